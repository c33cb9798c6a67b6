/* sched_nomad_int.h - what sched_nomad.c (the loop thread's side) and
 * nomad_backend.c (the backend thread) share; nothing else includes it. */
#ifndef MC_COORDINATOR_SCHED_NOMAD_INT_H
#define MC_COORDINATOR_SCHED_NOMAD_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "sched/nomad/nomad_client.h"
#include "core/work_queue.h"

#define NOMAD_TASK_ID_MAX 64
#define NOMAD_TOKEN_MAX 96
/* the verdict for "run it again": lost, stopped, unreachable too long */
#define NOMAD_EXIT_RETRY 75
/* the verdict for "cannot work, do not retry" (the worker's own 2) */
#define NOMAD_EXIT_UNUSABLE 2
#define NOMAD_MAX_JOBS 65

/* NT_PURGE: a concluded task handed back to the backend once its verdict
 * is recorded, so that its child is purged (nomad_purge.c) */
typedef enum { NT_SUBMIT, NT_ATTACHED, NT_DONE, NT_PURGE } ntask_kind;

/* ntask - one task's trip: made by submit on the loop thread, owned by
 * the backend while in flight, handed back as NT_DONE (the same memory,
 * so a verdict can never be lost to an allocation failure) and freed by
 * the loop thread. NT_ATTACHED items are separate, optional copies. */
typedef struct ntask {
	work_node  node;
	ntask_kind kind;
	char       id[NOMAD_TASK_ID_MAX];
	char       token[NOMAD_TOKEN_MAX]; /* idempotency token */
	char       child[NOMAD_ID_MAX];    /* the dispatched job */
	bool       resume;    /* NT_SUBMIT: an attempt from before a restart */
	int        exit_code; /* NT_DONE */
	char       reason[NOMAD_ERROR_MAX];
	/* a module step (nomad_module_step.c): the parameterized job to
	 * dispatch instead of the worker's ("" = the worker's), the 1-based
	 * step, and how long its child may wait for a placement */
	char     job[128];
	unsigned step;
	int64_t  place_deadline_ms; /* 0 = no bound */
	bool     unplaced;          /* NT_DONE: the bound passed */
	/* backend thread only */
	struct nomad_backend *b;
	int                   state;
	uint64_t              index; /* of the last allocations answer */
	int64_t               not_before_ms;
	unsigned              errors; /* consecutive failed calls */
	bool                  in_call, problem_logged, reattached;
	bool                  job_dead_seen; /* one last look at its allocs */
	bool     stream_recheck; /* ST_WATCH timed out: look at the job too */
	uint64_t alloc_create_index; /* the newest alloc seen (stream) */
	char     last_alloc_status[16];
	struct ntask *next;
} ntask;

typedef struct nomad_reg_job {
	char  id[128];
	char *body; /* {"Job":...}, owned */
} nomad_reg_job;

/* nomad_backend_cfg - copied by nomad_backend_start (bodies too). */
typedef struct nomad_backend_cfg {
	nomad_client_opts    client;
	const nomad_reg_job *jobs; /* jobs[0] is the worker's */
	size_t               n_jobs;
	unsigned             wait_s;            /* blocking query wait */
	bool                 event_stream;      /* follow through the stream */
	unsigned             keep_failed;       /* failed children kept */
	unsigned             keep_failed_hours; /* ... at most this long */
	const char          *storage_root;      /* the task records */
} nomad_backend_cfg;

typedef struct nomad_backend nomad_backend;

/* nomad_backend_start - create the client and start the thread, which
 * registers the jobs (again and again while Nomad is unreachable). Every
 * finished task comes back on done_q (borrowed; it must outlive the
 * backend). MC_EINVAL for a bad address. Loop thread. */
MC_NODISCARD mc_err nomad_backend_start(
    const nomad_backend_cfg *cfg, work_queue *done_q, nomad_backend **out);

/* nomad_backend_ready - jobs registered and Nomad answering. Any thread. */
bool nomad_backend_ready(const nomad_backend *b);

/* nomad_backend_submit - t (kind NT_SUBMIT, id and token set) is taken;
 * it comes back on done_q as NT_DONE. Any thread. */
void nomad_backend_submit(nomad_backend *b, ntask *t);

/* nomad_backend_stop - stop and join the thread; tasks in flight are
 * freed without a verdict (a restarted coordinator re-attaches to their
 * children). NULL: no-op. */
void nomad_backend_stop(nomad_backend *b);

/* nomad_rec_field - the value of the word "key=value" in a one-line
 * record of such words (the task record, a chain's .nomad-steps) into
 * buf, "" when the key is absent; returns buf. */
const char *nomad_rec_field(
    const char *text, const char *key, char *buf, size_t len);

#endif
