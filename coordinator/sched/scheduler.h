/* scheduler.h - scheduler backends: where a task's worker runs. The
 * coordinator decides what runs next and owns retries; a backend only
 * starts a worker for a task and reports when it ended. Backends are a
 * struct of function pointers, as curl's vtls backends are: local
 * (sched_local.c: fork/exec children) and nomad (sched_nomad.c: Nomad
 * dispatch). Loop thread. */
#ifndef MC_COORDINATOR_SCHEDULER_H
#define MC_COORDINATOR_SCHEDULER_H

#include <stdbool.h>

#include "base/mc_err.h"

typedef struct sched sched;

/* sched_done_fn - a task's worker ended; exit_code is its exit status, or
 * 128+signal, or -1 when it could not be started after all. */
typedef void (*sched_done_fn)(void *ctx, const char *task_id, int exit_code);

typedef enum { SCHED_KIND_DISPATCH, SCHED_KIND_PROCESS } sched_kind;

typedef struct sched_ops {
	const char *name;
	/* has_capacity - may another worker of this kind start now? */
	bool (*has_capacity)(const sched *s, sched_kind kind);
	/* submit - start the worker for task_dir. On MC_OK done will be
	 * called exactly once for it; on error never. */
	mc_err (*submit)(sched *s, const char *task_id, sched_kind kind,
	    const char *task_dir);
	/* running - workers started and not yet reported. */
	unsigned (*running)(const sched *s);
	void (*destroy)(sched *s);
} sched_ops;

struct sched {
	const sched_ops *ops;
};

#endif
