/* sched_local.h - the embedded default: each task runs as a child
 * process `mercure-worker TASK_DIR`, at most max_dispatch dispatch and
 * max_process processing workers at once. The child inherits an
 * flock()ed descriptor of TASK_DIR/.lock, so the lock lives exactly as
 * long as the worker: a restarted coordinator sees that a task from
 * before is still running and waits for it instead of starting it twice.
 * Child exits arrive through a signalfd in the coordinator's loop. */
#ifndef MC_COORDINATOR_SCHED_LOCAL_H
#define MC_COORDINATOR_SCHED_LOCAL_H

#include "core/loop.h"
#include "sched/scheduler.h"

#define TASK_LOCK_FILE ".lock"
#define TASK_LOG_FILE "worker.log"

typedef struct sched_local_opts {
	const char   *worker_path; /* the mercure-worker executable */
	unsigned      max_dispatch;
	unsigned      max_process;
	sched_done_fn done;
	void         *ctx;
} sched_local_opts;

/* sched_local_create - SIGCHLD must be blocked in every thread before
 * this is called (the coordinator's main does it). */
MC_NODISCARD mc_err sched_local_create(loop *l, const sched_local_opts *o,
    sched **out);

#endif
