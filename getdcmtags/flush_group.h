/* flush_group.h - one device cache flush for several associations.
 *
 * Why: an fdatasync is two things, writing the file's dirty pages to the
 * device and flushing the device's volatile cache. The second is the slow
 * part on virtual and consumer disks, and each association waiting for
 * its own flush makes the device do them one after the other. Here each
 * caller writes its own pages and waits for them (sync_file_range), then
 * waits for one flush that started after that: the first caller to find
 * no flush under way issues it (fdatasync of its own, now clean, file:
 * ext4 and xfs then send the flush alone) for everyone who arrived before
 * it started.
 *
 * Only correct for files whose blocks and length are already durable and
 * do not change (tmp_pool's pre-written files on ext4 or xfs), since
 * sync_file_range writes no metadata, and only where fdatasync of a clean
 * file still flushes the device. flush_group_create refuses other file
 * systems; callers then use fdatasync. */
#ifndef MC_GETDCMTAGS_FLUSH_GROUP_H
#define MC_GETDCMTAGS_FLUSH_GROUP_H

#include <stdint.h>

#include "base/mc_err.h"

typedef struct flush_group flush_group;

/* flush_group_create - for files under dir; NULL when dir's file system
 * is not one where the above holds (or out of memory). */
flush_group *flush_group_create(const char *dir);

void flush_group_destroy(flush_group *g); /* NULL: no-op */

/* flush_group_sync - bytes [0, len) of fd are durable when this returns
 * MC_OK. Any thread. */
MC_NODISCARD mc_err flush_group_sync(flush_group *g, int fd, uint64_t len);

/* flush_group_flushes - device flushes issued so far (each served one or
 * more callers). */
uint64_t flush_group_flushes(flush_group *g);

#endif
