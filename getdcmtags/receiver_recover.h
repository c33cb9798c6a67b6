/* receiver_recover.h - at start, the temp files a killed receiver left
 * in <storage_root>/tmp: a transfer the receiver finished (marked at the
 * durable point, see receiver_store.h) may have been acknowledged (only
 * its rename was lost), so it is stored like a received instance, or set
 * aside in incoming/error/ if it cannot be; anything else was never
 * acknowledged and is removed. A file is read at most once by recovery:
 * one found half-recovered is set aside unread. */
#ifndef MC_GETDCMTAGS_RECEIVER_RECOVER_H
#define MC_GETDCMTAGS_RECEIVER_RECOVER_H

#include <stddef.h>

#include "receiver_store.h"

/* receiver_recover_tmp - every regular file in tmp_dir through the store
 * path o. *stored and *removed (may be NULL) count the outcomes. Call
 * before serving. */
void receiver_recover_tmp(const receiver_store_opts *o, const char *tmp_dir,
    size_t *stored, size_t *removed);

#endif
