/* sched_local.h - the embedded default: each task runs as a child
 * process `mercure-worker TASK_DIR`. The child inherits an
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

/* sched_local_ops - the backend behind the registry's "local" row: at
 * most scheduler.max_dispatch dispatch and max_process processing
 * workers at once, each `o->worker_path TASK_DIR`. SIGCHLD must be
 * blocked in every thread before it starts (the coordinator's main does
 * it); it reaps every child of the process. */
extern const sched_ops sched_local_ops;

#endif
