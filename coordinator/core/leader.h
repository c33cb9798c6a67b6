/* leader.h - which of several coordinators leads. Under the local
 * scheduler: an flock on <storage_root>/coordinator.lock, held on an open
 * descriptor until the process ends (the kernel drops it when the process
 * dies). Under Nomad: a Nomad Variables lock (sched/nomad/nomad_lock.h)
 * kept by a lease thread that renews it well inside its TTL and steps
 * down, before the TTL has run out on this process's own clock, when it
 * cannot. Only the leader creates the coordinator (coord_create): binds
 * coordinator_url, opens the bookkeeping, re-attaches to the work on
 * disk. A standby does none of that. */
#ifndef MC_COORDINATOR_LEADER_H
#define MC_COORDINATOR_LEADER_H

#include <signal.h>
#include <stdbool.h>

#include "base/mc_err.h"
#include "config/config.h"

/* sent to the thread that called leader_wait() when the lease is lost;
 * its handler must make that thread's loop stop */
#define LEADER_LOST_SIGNAL SIGUSR1

typedef struct leader leader;

/* leader_create - the lock the configuration's scheduler calls for; no
 * lock is taken yet. MC_ECONFIG for bad settings. */
MC_NODISCARD mc_err leader_create(const mc_config *cfg, leader **out);

/* leader_destroy - releases a lock still held (a clean shutdown: the
 * next leader need not wait for a TTL). NULL: no-op. */
void leader_destroy(leader *l);

/* leader_wait - until this process leads (MC_OK) or *stop is set
 * (MC_ECLOSED). Logs event=coordinator.standby once while another
 * process holds the lock, event=coordinator.leader when it is taken. A
 * lock that expires is renewed from then on by a thread of its own. */
MC_NODISCARD mc_err leader_wait(leader *l, volatile sig_atomic_t *stop);

/* leader_lost - the lease has ended (renew failed or too late); the
 * caller stops acting, tears the coordinator down, then calls
 * leader_stepped_down(). Any thread. */
bool leader_lost(leader *l);

/* leader_stepped_down - after leader_lost(): join the lease thread, so
 * leader_wait() can run again */
void leader_stepped_down(leader *l);

#endif
