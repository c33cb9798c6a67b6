/* coord.h - the coordinator: one event loop that owns the series table,
 * the study collections and the task queue, fed by the instance and
 * result messages (nng PULL), the control socket, child exits and
 * timers. main() creates one coord and runs it; a test can make two. */
#ifndef MC_COORDINATOR_COORD_H
#define MC_COORDINATOR_COORD_H

#include <signal.h>

#include "config/config.h"
#include "base/mc_err.h"

typedef struct coord coord;

typedef struct coord_opts {
	const char *config_path; /* reloaded on SIGHUP and on change */
	const char *worker_path; /* mercure-worker */
	const char *db_path;     /* NULL: <storage_root>/mercure.sqlite */
} coord_opts;

/* coord_create - takes cfg (freed by coord_destroy, or replaced on
 * reload). Creates the storage folders, opens the sockets and the
 * bookkeeping, and recovers everything on disk from before (unfinished
 * routing, open series, queued and running tasks). */
MC_NODISCARD mc_err coord_create(
    const coord_opts *o, mc_config *cfg, coord **out);
void coord_destroy(coord *c); /* NULL: no-op */

/* coord_run - until *stop is set. *reload set: reload the config. */
MC_NODISCARD mc_err coord_run(
    coord *c, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload);

#endif
