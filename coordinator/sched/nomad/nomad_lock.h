/* nomad_lock.h - the coordinators' leader lock under Nomad: one Nomad
 * Variables lock (reference 1.11) at scheduler.leader_lock, acquired,
 * renewed and released with blocking calls, for the one thread that
 * keeps the lease (core/leader.c). The settings: leader_lock (path,
 * default mercure/coordinator), leader_ttl (seconds, 10..86400, default
 * 15), leader_lock_delay (seconds, 0..86400, default 15), leader_retry
 * (seconds between a standby's tries; default 1.1 x leader_ttl). */
#ifndef MC_COORDINATOR_NOMAD_LOCK_H
#define MC_COORDINATOR_NOMAD_LOCK_H

#include <stddef.h>
#include <stdint.h>

#include "base/mc_err.h"
#include "config/config.h"

#define NOMAD_LOCK_PATH_DEFAULT "mercure/coordinator"

typedef struct nomad_lock nomad_lock;

/* nomad_lock_create - reads the settings and makes a client; no call is
 * made yet. MC_ECONFIG for bad settings (logged). */
MC_NODISCARD mc_err nomad_lock_create(const mc_config *cfg, nomad_lock **out);
void                nomad_lock_destroy(nomad_lock *l); /* NULL: no-op */

/* nomad_lock_acquire - MC_OK: held, the lock's ID kept; MC_EAGAIN: held
 * by another holder (409); anything else: no answer or another error,
 * Nomad's text in err. */
MC_NODISCARD mc_err nomad_lock_acquire(
    nomad_lock *l, unsigned timeout_ms, char *err, size_t errlen);

/* nomad_lock_resume - take over the ID a dead predecessor on this node
 * held (kept by the caller where only one process at a time can read
 * it): held if a renew with it succeeds; otherwise the ID is forgotten
 * and the result is as for nomad_lock_renew. */
MC_NODISCARD mc_err nomad_lock_resume(nomad_lock *l, const char *id,
    unsigned timeout_ms, char *err, size_t errlen);

/* nomad_lock_renew - MC_OK only for a 200 within timeout_ms; MC_EREFUSED
 * when Nomad answered that this ID does not hold the lock (a 4xx),
 * MC_EAGAIN for a server error (5xx), MC_ENET when no answer came */
MC_NODISCARD mc_err nomad_lock_renew(
    nomad_lock *l, unsigned timeout_ms, char *err, size_t errlen);

/* nomad_lock_release - drop the lock (no lock delay for the next
 * holder); the ID is forgotten whatever the answer. */
void nomad_lock_release(nomad_lock *l, unsigned timeout_ms);

/* nomad_lock_forget - the lease is lost: the ID is no use any more */
void nomad_lock_forget(nomad_lock *l);

const char *nomad_lock_path(const nomad_lock *l);
const char *nomad_lock_id(const nomad_lock *l); /* "" when not held */
int64_t     nomad_lock_ttl_ms(const nomad_lock *l);
int64_t     nomad_lock_retry_ms(const nomad_lock *l);

#endif
