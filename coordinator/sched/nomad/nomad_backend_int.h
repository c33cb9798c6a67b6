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
	ST_STOP
} nt_state;

struct nomad_backend {
	pthread_t     thread;
	bool          started;
	nomad_client *client;
	work_queue *req_q;  /* loop -> backend: NT_SUBMIT, and the stop node */
	work_queue *done_q; /* backend -> loop, borrowed */
	work_node   stop_node;
	atomic_bool stop, registered, up;
	nomad_reg_job jobs[NOMAD_MAX_JOBS];
	size_t        n_jobs, reg_next;
	bool          reg_in_call, probe_in_call;
	int64_t       reg_not_before, probe_not_before;
	unsigned      reg_errors, wait_s;
	ntask        *active;
};

/* nomad_now_ms - CLOCK_MONOTONIC milliseconds */
int64_t nomad_now_ms(void);
/* nomad_backoff_ms - the wait after `errors` failed calls in a row */
int64_t nomad_backoff_ms(unsigned errors);
/* nomad_mark_down - no answer from Nomad: stop submitting, probe */
void nomad_mark_down(nomad_backend *b, const char *what, const char *err);
/* nomad_task_kick - start t's next call (nomad_task.c) */
void nomad_task_kick(nomad_backend *b, ntask *t);

#endif
