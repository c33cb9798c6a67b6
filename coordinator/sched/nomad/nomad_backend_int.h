/* nomad_backend_int.h - the backend thread's state, shared by
 * nomad_backend.c (the thread: reachability, registration, the loop over
 * the tasks) and nomad_task.c (one task's calls and verdict). Backend
 * thread only, except the atomics; nothing else includes it. */
#ifndef MC_COORDINATOR_NOMAD_BACKEND_INT_H
#define MC_COORDINATOR_NOMAD_BACKEND_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "sched/nomad/sched_nomad_int.h"

#define NOMAD_BACKOFF_MIN_MS 250
#define NOMAD_BACKOFF_MAX_MS 8000
#define NOMAD_PROBE_INTERVAL_MS 1000
#define NOMAD_IDLE_POLL_MS 1000
#define NOMAD_ERRORS_MAX 5

typedef enum {
	ST_DISPATCH,
	ST_FIND,  /* after a restart: look for the child among the job's */
	ST_CHECK, /* ... and check it is this attempt's (its token) */
	ST_FOLLOW,
	ST_INSPECT_JOB,
	ST_INSPECT_EVALS,
	ST_STOP,
	ST_WATCH /* the event stream follows it: no call of its own */
} nt_state;

struct nomad_backend {
	pthread_t     thread;
	bool          started;
	nomad_client *client;
	work_queue *req_q;  /* loop -> backend: NT_SUBMIT, and the stop node */
	work_queue *done_q; /* backend -> loop, borrowed */
	work_node   stop_node;
	atomic_bool stop, registered, up;
	nomad_reg_job        jobs[NOMAD_MAX_JOBS];
	size_t               n_jobs, reg_next;
	bool                 reg_in_call, probe_in_call;
	int64_t              reg_not_before, probe_not_before;
	unsigned             reg_errors, wait_s;
	ntask               *active;
	struct nomad_stream *stream; /* nomad_stream.c */
	struct nomad_purge  *purge;  /* nomad_purge.c */
};

/* nomad_now_ms - CLOCK_MONOTONIC milliseconds */
int64_t nomad_now_ms(void);
/* nomad_backoff_ms - the wait after `errors` failed calls in a row */
int64_t nomad_backoff_ms(unsigned errors);
/* nomad_mark_down - no answer from Nomad: stop submitting, probe */
void nomad_mark_down(nomad_backend *b, const char *what, const char *err);
/* nomad_task_kick - start t's next call (nomad_task.c) */
void nomad_task_kick(nomad_backend *b, ntask *t);

/* nomad_task_on_alloc - an allocation of t's child, from the event
 * stream: concludes t when it ended (nomad_task.c) */
void nomad_task_on_alloc(nomad_backend *b, ntask *t, const nomad_alloc *a);

/* the event stream (nomad_stream.c): one stream for all the children */
MC_NODISCARD mc_err nomad_stream_create(
    nomad_backend *b, bool enabled, struct nomad_stream **out);
void nomad_stream_destroy(struct nomad_stream *s);
/* nomad_stream_live - connected and reading: ST_WATCH tasks rely on it */
bool nomad_stream_live(const nomad_backend *b);
/* nomad_stream_step - (re)connect when due; *next_ms lowered to the next
 * moment it needs a step */
void nomad_stream_step(nomad_backend *b, int64_t now, int64_t *next_ms);

/* purging concluded children (nomad_purge.c) */
MC_NODISCARD mc_err nomad_purge_create(nomad_backend *b,
    const char *storage_root, unsigned keep_failed, unsigned keep_failed_hours,
    unsigned delay_ms, struct nomad_purge **out);
void                nomad_purge_destroy(struct nomad_purge *p);
/* nomad_purge_child - child's verdict is recorded: purge it now, or keep
 * it for inspection when it failed */
void nomad_purge_child(nomad_backend *b, const char *child, bool failed);
/* nomad_purge_step - the restart sweep once, the kept children's limits,
 * the purges due; *next_ms lowered as for nomad_stream_step */
void nomad_purge_step(nomad_backend *b, int64_t now, int64_t *next_ms);

#endif
