/* http_job.h - one request's errand to the loop: an HTTP thread fills
 * in what it needs, pushes the job on the server's work_queue and waits
 * for the answer with a deadline; the loop runs it (http_loop.h) and
 * finishes it. Whichever side lets go last frees it, so a loop that
 * answers late never writes into freed memory and an HTTP thread never
 * waits past its deadline.
 *
 * Fields: kind, arg, limit, user, in are written by the HTTP thread before
 * the push and only read afterwards; status, body, content_type are
 * written by the loop before http_job_finish() and read by the HTTP
 * thread only after http_job_wait() returned MC_OK. */
#ifndef MC_COORDINATOR_HTTP_JOB_H
#define MC_COORDINATOR_HTTP_JOB_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/work_queue.h"
#include "http/http_users.h"

#define HTTP_JOB_ARG_MAX 256

typedef enum {
	HTTP_JOB_PING,          /* the loop answers: readiness */
	HTTP_JOB_STATUS,        /* GET /api/v1/status */
	HTTP_JOB_SERIES,        /* GET /api/v1/series */
	HTTP_JOB_STUDIES,       /* GET /api/v1/studies */
	HTTP_JOB_TASKS,         /* GET /api/v1/tasks, the loop's states */
	HTTP_JOB_METRICS,       /* GET /metrics */
	HTTP_JOB_RETRY,         /* POST tasks/{id}/retry */
	HTTP_JOB_REROUTE,       /* POST tasks/{id}/reroute */
	HTTP_JOB_FORCE,         /* POST series|studies/{uid}/force-complete */
	HTTP_JOB_TARGETS,       /* GET /api/v1/targets */
	HTTP_JOB_CONFIG,        /* GET /api/v1/config */
	HTTP_JOB_HALT,          /* POST targets/{name}/halt */
	HTTP_JOB_RESUME,        /* POST targets/{name}/resume */
	HTTP_JOB_SOURCE,        /* POST /api/v1/query: the source's node */
	HTTP_JOB_RETRIEVE,      /* POST /api/v1/retrieve: start the child */
	HTTP_JOB_TEST_TARGET,   /* POST targets/{name}/test: start the child */
	HTTP_JOB_CONFIG_RELOAD, /* PUT config, config/rollback: audit, load */
	HTTP_JOB_CONFIG_STATE,  /* the reload's progress */
	HTTP_JOB_RATES          /* GET /api/v1/rates */
} http_job_kind;

typedef struct http_job {
	work_node     node; /* first: the queue's node is the job */
	http_job_kind kind;
	char          arg[HTTP_JOB_ARG_MAX]; /* an id or a state */
	unsigned      limit;
	char          user[HTTP_NAME_MAX + 1]; /* for the audit trail */
	char         *in; /* malloc'ed request JSON, or NULL */
	/* the answer */
	int         status; /* HTTP status */
	char       *body;   /* malloc'ed, or NULL */
	size_t      body_len;
	const char *content_type; /* static; NULL: application/json */
	/* the hand-over */
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	bool            done;
	int             refs;
} http_job;

/* http_job_new - a job of kind with two references (the waiter's and
 * the loop's). NULL: out of memory. */
http_job *http_job_new(http_job_kind kind);

/* http_job_wait - push j on q and wait up to timeout_ms for the loop to
 * finish it. MC_OK: the answer is in j; MC_ETIMEDOUT otherwise. Either
 * way the caller then calls http_job_release() once. */
MC_NODISCARD mc_err http_job_wait(work_queue *q, http_job *j, int timeout_ms);

/* http_job_finish - the loop's side: the answer is in j; wake the
 * waiter and drop the loop's reference. */
void http_job_finish(http_job *j);

/* http_job_release - the waiter's side: drop its reference (j may be
 * freed). */
void http_job_release(http_job *j);

/* http_job_answer - set the answer: status and a copy of text (JSON
 * unless type says otherwise). */
void http_job_answer(
    http_job *j, int status, const char *type, const char *text);

/* http_job_free_queued - work_free_fn for a queue destroyed with jobs
 * still in it: each is finished with 503. */
void http_job_free_queued(work_node *n);

#endif
