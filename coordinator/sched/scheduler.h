/* scheduler.h - scheduler backends: where a task's worker runs. The
 * coordinator decides what runs next and owns retries; a backend only
 * starts a worker for a task and reports when it ended. Backends are a
 * struct of function pointers, as curl's vtls backends are: local
 * (sched_local.c: child processes) and nomad (sched_nomad.c: Nomad
 * dispatch), each one row of sched_registry.c. sched_create allocates
 * a backend's struct and fills in its sched part, so that a backend only
 * starts and stops what is its own. Loop thread. */
#ifndef MC_COORDINATOR_SCHEDULER_H
#define MC_COORDINATOR_SCHEDULER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/mc_err.h"
#include "config/config.h"
#include "core/loop.h"

typedef struct sched         sched;
typedef struct sched_backend sched_backend; /* sched_registry.h */

/* sched_done_fn - a task's worker ended; exit_code is its exit status, or
 * 128+signal, or -1 when it could not be started after all. */
typedef void (*sched_done_fn)(void *ctx, const char *task_id, int exit_code);

/* sched_reaped_fn - a child of this process that is not one of the
 * backend's workers ended (a retrieval, a notification worker), reaped
 * by a backend with SCHED_CAP_REAPS_ALL_CHILDREN; exit_code as for
 * sched_done_fn (128+signal when killed). */
typedef void (*sched_reaped_fn)(void *ctx, pid_t pid, int exit_code);

typedef enum { SCHED_KIND_DISPATCH, SCHED_KIND_PROCESS } sched_kind;

/* sched_opts - what every backend is started with. */
typedef struct sched_opts {
	const mc_config *cfg;         /* borrowed during start only */
	const char      *worker_path; /* mercure-worker; borrowed, as cfg */
	sched_done_fn    done;        /* called on the loop thread */
	void            *ctx;
	sched_reaped_fn  reaped; /* NULL: other children are not told */
} sched_opts;

/* Capabilities a backend declares in its registry row. */
typedef enum {
	/* it reaps every ended child of this process, not only its workers
	 * (the local backend, on each SIGCHLD); without it the coordinator
	 * reaps the notification workers it starts itself */
	SCHED_CAP_REAPS_ALL_CHILDREN = 1u << 0,
} sched_cap;

typedef struct sched_ops {
	/* size - of the backend's struct, whose first member is a sched */
	size_t size;
	/* start - set up s, which is zeroed but for its sched part. On an
	 * error stop is called next: it copes with whatever start left. */
	mc_err (*start)(sched *s, const sched_opts *o);
	/* has_capacity - may another worker of this kind start now? */
	bool (*has_capacity)(const sched *s, sched_kind kind);
	/* submit - start the worker for task_dir. On MC_OK done will be
	 * called exactly once for it; on error never. */
	mc_err (*submit)(sched *s, const char *task_id, sched_kind kind,
	    const char *task_dir);
	/* running - workers started and not yet reported. */
	unsigned (*running)(const sched *s);
	/* stop - release what start made; workers keep running. s itself is
	 * freed by sched_destroy. */
	void (*stop)(sched *s);
} sched_ops;

/* sched - the part of every backend that sched_create fills in. */
struct sched {
	const sched_ops *ops;
	const char      *name; /* the configuration's scheduler.type */
	unsigned         caps; /* sched_cap bits */
	loop            *l;
	sched_done_fn    done;
	void            *ctx;
	sched_reaped_fn  reaped;
};

/* sched_create - start the backend of registry row b (borrowed; rows are
 * static). o is borrowed for the call. On MC_OK *out is new, freed with
 * sched_destroy(); else *out is NULL and the result is MC_ENOMEM or what
 * the backend's start returned (it logs why). */
MC_NODISCARD mc_err sched_create(
    const sched_backend *b, loop *l, const sched_opts *o, sched **out);

/* sched_destroy - stop s and free it; its workers keep running (their
 * results are picked up at restart). NULL: no-op. */
void sched_destroy(sched *s);

#endif
