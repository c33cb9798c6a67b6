/* tmp_slot.h - the temp folder of one receiver when several receivers
 * share a storage root (two nodes behind one floating address, or two
 * processes on one machine). Temp files are private to the receiver that
 * writes them, and recovery at start removes what it does not recognise
 * as finished: a receiver must never recover a folder another live
 * receiver is writing to.
 *
 * Each receiver claims a slot: <storage>/tmp for the first, then
 * tmp.2 ... tmp.<TMP_SLOT_MAX>. A slot is held by an exclusive flock on
 * its lock file, kept open for the life of the process; the kernel (on
 * NFS, the server once the client's lease ends) drops it when the
 * process dies. A slot whose lock is free belongs to nobody: whoever
 * takes the lock next recovers what was left in it, either by claiming
 * it at start or by a sweep of the other slots. */
#ifndef MC_GETDCMTAGS_TMP_SLOT_H
#define MC_GETDCMTAGS_TMP_SLOT_H

#include "base/mc_err.h"

#define TMP_SLOT_MAX 64
/* the lock file's name inside a slot; recovery leaves it alone */
#define TMP_SLOT_LOCK ".slot.lock"

typedef struct tmp_slot tmp_slot;

/* recover_fn - what to do with a slot that nobody holds; called with the
 * slot's lock held, so no receiver starts writing there meanwhile */
typedef void (*tmp_slot_recover_fn)(void *ctx, const char *dir);

/* tmp_slot_claim - the first free slot under storage (created if
 * absent), locked. MC_EAGAIN when all TMP_SLOT_MAX are held. */
MC_NODISCARD mc_err tmp_slot_claim(const char *storage, tmp_slot **out);

const char *tmp_slot_dir(const tmp_slot *s);
unsigned    tmp_slot_number(const tmp_slot *s);

/* tmp_slot_sweep - every other existing slot whose lock is free goes
 * through fn, its lock held meanwhile. Returns the number swept. */
unsigned tmp_slot_sweep(const tmp_slot *s, tmp_slot_recover_fn fn, void *ctx);

/* tmp_slot_sweeper_start - tmp_slot_sweep every interval_s seconds on a
 * thread of its own, until tmp_slot_destroy: a receiver that died on a
 * node that never comes back leaves finished transfers that someone
 * must store. fn must be safe to call while associations are served. */
MC_NODISCARD mc_err tmp_slot_sweeper_start(
    tmp_slot *s, unsigned interval_s, tmp_slot_recover_fn fn, void *ctx);

/* tmp_slot_destroy - stops the sweeper, releases the lock. NULL is a
 * no-op. */
void tmp_slot_destroy(tmp_slot *s);

#endif
