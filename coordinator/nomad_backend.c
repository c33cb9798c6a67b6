/* nomad_backend.c - the Nomad backend's own thread: registers the jobs,
 * dispatches each submitted task, follows its child with blocking
 * queries on the child's allocations and hands the verdict back to the
 * loop through a work queue. Every network wait happens here, never on
 * the loop thread.
 *
 * Design notes:
 * - A task ends exactly once: conclude() pushes the task itself onto
 *   done_q and forgets it; nothing else removes a task from the active
 *   list (stop frees the rest without a verdict, on purpose: their
 *   children keep running and a restarted coordinator re-attaches).
 * - Unreachable Nomad (no answer at all) is waiting, not failure: calls
 *   are retried with back-off, `ready` turns false so no new task is
 *   submitted, and a leader probe notices the return. Answers that are
 *   errors are failures: permanent ones at once, transient ones after
 *   NOMAD_ERRORS_MAX tries, so no task hangs on an error.
 * - The verdict follows reference 3.4: the newest alloc decides; the
 *   exit code is the last Terminated event's; `lost` (node down) is a
 *   retryable failure, and the child is then stopped so that no
 *   replacement runs beside the coordinator's own retry. */
#include "sched_nomad_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "nomad_job.h"

#define NOMAD_BACKOFF_MIN_MS 250
#define NOMAD_BACKOFF_MAX_MS 8000
#define NOMAD_PROBE_INTERVAL_MS 1000
#define NOMAD_IDLE_POLL_MS 1000
#define NOMAD_ERRORS_MAX 5

typedef enum {
	ST_DISPATCH,
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

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
backoff_ms(unsigned errors)
{
	int64_t d = NOMAD_BACKOFF_MIN_MS;

	for (unsigned i = 1; i < errors && d < NOMAD_BACKOFF_MAX_MS; i++)
		d *= 2;
	return d < NOMAD_BACKOFF_MAX_MS ? d : NOMAD_BACKOFF_MAX_MS;
}

bool
nomad_backend_ready(const nomad_backend *b)
{
	return atomic_load(&b->registered) && atomic_load(&b->up);
}

void
nomad_backend_submit(nomad_backend *b, ntask *t)
{
	work_queue_push(b->req_q, &t->node);
}

/* ---- reachability ----------------------------------------------------- */

static void
mark_down(nomad_backend *b, const char *what, const char *err)
{
	if (atomic_exchange(&b->up, false))
		log_warn("event=nomad.unreachable addr=%s call=%s msg=\"%s\" "
		         "effect=\"tasks wait queued\"",
		         nomad_client_address(b->client), what, err);
}

static void
on_probe(void *arg, const nomad_reply *r)
{
	nomad_backend *b = arg;

	b->probe_in_call = false;
	b->probe_not_before = now_ms() + NOMAD_PROBE_INTERVAL_MS;
	if (r->rv != MC_OK)
		return;
	if (!atomic_exchange(&b->up, true))
		log_info("event=nomad.reachable addr=%s",
		         nomad_client_address(b->client));
	/* whatever waited for Nomad goes now */
	for (ntask *t = b->active; t != NULL; t = t->next)
		t->not_before_ms = 0;
	b->reg_not_before = 0;
}

/* ---- registration ----------------------------------------------------- */

static void
on_register(void *arg, const nomad_reply *r)
{
	nomad_backend       *b = arg;
	const nomad_reg_job *j = &b->jobs[b->reg_next];

	b->reg_in_call = false;
	if (r->rv == MC_OK) {
		log_info("event=nomad.registered job=%s index=%llu", j->id,
		         (unsigned long long)r->index);
		b->reg_errors = 0;
		if (++b->reg_next == b->n_jobs)
			atomic_store(&b->registered, true);
		return;
	}
	b->reg_errors++;
	b->reg_not_before = now_ms() + backoff_ms(b->reg_errors);
	if (r->rv == MC_ENET) {
		mark_down(b, "register", r->error);
		return;
	}
	log_error("event=nomad.register_failed job=%s status=%ld try=%u "
	          "msg=\"%s\"",
	          j->id, r->status, b->reg_errors, r->error);
}

static void
kick_register(nomad_backend *b, int64_t now)
{
	if (atomic_load(&b->registered) || b->reg_in_call ||
	    now < b->reg_not_before)
		return;
	if (nomad_client_register(b->client, b->jobs[b->reg_next].body,
	                          on_register, b) == MC_OK)
		b->reg_in_call = true;
}

/* ---- the end of a task ------------------------------------------------ */

static void
conclude(nomad_backend *b, ntask *t, int exit_code, const char *reason)
{
	ntask **pp;

	for (pp = &b->active; *pp != NULL && *pp != t; pp = &(*pp)->next)
		;
	if (*pp == t)
		*pp = t->next;
	t->next = NULL;
	t->kind = NT_DONE;
	t->exit_code = exit_code;
	snprintf(t->reason, sizeof(t->reason), "%s", reason);
	if (exit_code == 0)
		log_info("event=nomad.task_done task=%s child=%s exit=0",
		         t->id, t->child);
	else
		log_warn("event=nomad.task_failed task=%s child=%s exit=%d "
		         "msg=\"%s\"",
		         t->id, t->child[0] ? t->child : "-", exit_code,
		         reason);
	work_queue_push(b->done_q, &t->node);
}

static void
on_stopped(void *arg, const nomad_reply *r)
{
	ntask *t = arg;
	char   why[NOMAD_ERROR_MAX];

	t->in_call = false;
	if (r->rv != MC_OK)
		log_warn("event=nomad.stop_failed task=%s child=%s status=%ld "
		         "msg=\"%s\"",
		         t->id, t->child, r->status, r->error);
	snprintf(why, sizeof(why), "%s", t->reason);
	conclude(t->b, t, t->exit_code, why);
}

/* stop_child - DELETE the child, then conclude with exit_code and
 * reason (kept in t meanwhile) */
static void
stop_child(nomad_backend *b, ntask *t, int exit_code, const char *reason)
{
	t->exit_code = exit_code;
	snprintf(t->reason, sizeof(t->reason), "%s", reason);
	t->state = ST_STOP;
	if (nomad_client_stop(b->client, t->child, on_stopped, t) == MC_OK)
		t->in_call = true;
	else
		conclude(b, t, exit_code, reason);
}

/* failed_call - an answer that is an error: retry later, or give up
 * after NOMAD_ERRORS_MAX; true when the task was concluded */
static bool
failed_call(nomad_backend *b, ntask *t, const char *call, const nomad_reply *r)
{
	char why[NOMAD_ERROR_MAX];

	t->errors++;
	t->not_before_ms = now_ms() + backoff_ms(t->errors);
	if (r->rv == MC_ENET) {
		/* no answer: waiting, however long, is not a failure */
		mark_down(b, call, r->error);
		log_debug("event=nomad.retry task=%s call=%s msg=\"%s\"",
		          t->id, call, r->error);
		return false;
	}
	log_warn("event=nomad.error task=%s child=%s call=%s status=%ld "
	         "try=%u msg=\"%s\"",
	         t->id, t->child[0] ? t->child : "-", call, r->status,
	         t->errors, r->error);
	if (t->errors < NOMAD_ERRORS_MAX)
		return false;
	snprintf(why, sizeof(why), "nomad %s failed %u times: %s", call,
	         t->errors, r->error);
	if (t->child[0])
		stop_child(b, t, NOMAD_EXIT_RETRY, why);
	else
		conclude(b, t, NOMAD_EXIT_RETRY, why);
	return true;
}

/* ---- dispatch --------------------------------------------------------- */

static bool
contains(const char *s, const char *needle)
{
	return strstr(s, needle) != NULL;
}

static void
on_dispatch(void *arg, const nomad_reply *r)
{
	ntask         *t = arg;
	nomad_backend *b = t->b;
	char           why[NOMAD_ERROR_MAX];

	t->in_call = false;
	if (r->rv == MC_OK) {
		ntask *a = calloc(1, sizeof(*a));
		snprintf(t->child, sizeof(t->child), "%s", r->child_id);
		t->reattached = r->reattached;
		t->state = ST_FOLLOW;
		t->errors = 0;
		t->index = 0;
		t->not_before_ms = 0;
		log_info("event=nomad.dispatched task=%s child=%s idem=%s "
		         "reattached=%s",
		         t->id, t->child, t->token,
		         r->reattached ? "yes" : "no");
		if (a !=
		    NULL) { /* informative only: a lost one harms nothing */
			a->kind = NT_ATTACHED;
			snprintf(a->id, sizeof(a->id), "%s", t->id);
			snprintf(a->token, sizeof(a->token), "%s", t->token);
			snprintf(a->child, sizeof(a->child), "%s", t->child);
			work_queue_push(b->done_q, &a->node);
		}
		return;
	}
	if (r->rv == MC_EREFUSED && r->status == 500 &&
	    (contains(r->error, "parameterized job not found") ||
	     contains(r->error, "is stopped") ||
	     contains(r->error, "is not a parameterized job"))) {
		/* the job is gone or changed under us: register again */
		log_warn("event=nomad.job_missing task=%s msg=\"%s\"", t->id,
		         r->error);
		atomic_store(&b->registered, false);
		b->reg_next = 0;
	} else if (r->rv == MC_EREFUSED &&
	           ((r->status == 500 &&
	             (contains(r->error, "Dispatch ") ||
	              contains(r->error, "Payload") ||
	              contains(r->error, "priority must be"))) ||
	            (r->status >= 400 && r->status < 500 && r->status != 403 &&
	             r->status != 429))) {
		/* validation: the same request can never succeed */
		snprintf(why, sizeof(why),
		         "nomad refused the dispatch (%ld): "
		         "%s",
		         r->status, r->error);
		conclude(b, t, NOMAD_EXIT_UNUSABLE, why);
		return;
	}
	(void)failed_call(b, t, "dispatch", r);
}

/* ---- following a child ------------------------------------------------ */

static const nomad_alloc *
newest(const nomad_reply *r)
{
	const nomad_alloc *a = NULL;

	for (size_t i = 0; i < r->n_allocs; i++)
		if (a == NULL || r->allocs[i].create_index > a->create_index)
			a = &r->allocs[i];
	return a;
}

static const nomad_alloc *
lost_one(const nomad_reply *r)
{
	for (size_t i = 0; i < r->n_allocs; i++)
		if (strcmp(r->allocs[i].client_status, "lost") == 0)
			return &r->allocs[i];
	return NULL;
}

static void
note_status(ntask *t, const nomad_alloc *a)
{
	if (strcmp(t->last_alloc_status, a->client_status) == 0)
		return;
	snprintf(t->last_alloc_status, sizeof(t->last_alloc_status), "%s",
	         a->client_status);
	log_info("event=nomad.alloc task=%s child=%s alloc=%.8s node=%s "
	         "status=%s",
	         t->id, t->child, a->id, a->node_name[0] ? a->node_name : "-",
	         a->client_status);
}

/* verdict - true (and *code, why) when the newest alloc has ended */
static bool
verdict(const nomad_alloc *a, int *code, char *why, size_t len)
{
	if (strcmp(a->client_status, "complete") == 0) {
		if (strcmp(a->desired_status, "run") != 0 || a->killed) {
			*code = NOMAD_EXIT_RETRY;
			snprintf(why, len, "allocation %.8s was stopped (%s)",
			         a->id, a->last_event);
		} else if (strstr(a->client_description, "max_run_duration")) {
			*code = NOMAD_EXIT_RETRY;
			snprintf(why, len, "allocation %.8s timed out", a->id);
		} else {
			*code = a->exit_code;
			snprintf(why, len, "exit code %d", a->exit_code);
		}
		return true;
	}
	if (strcmp(a->client_status, "failed") == 0) {
		*code = a->has_exit && a->exit_code != 0 ? a->exit_code
		                                         : NOMAD_EXIT_RETRY;
		snprintf(why, len, "allocation %.8s failed on %s: %s", a->id,
		         a->node_name[0] ? a->node_name : "?",
		         a->last_event[0] ? a->last_event
		                          : a->client_description);
		return true;
	}
	return false; /* pending, running, unknown (disconnected) */
}

static void
on_allocs(void *arg, const nomad_reply *r)
{
	ntask             *t = arg;
	nomad_backend     *b = t->b;
	const nomad_alloc *a;
	char               why[NOMAD_ERROR_MAX];
	int                code;
	uint64_t           prev = t->index;

	t->in_call = false;
	if (r->rv != MC_OK) {
		if (r->status == 400) /* "Invalid index": start over */
			t->index = 0;
		(void)failed_call(b, t, "allocations", r);
		return;
	}
	t->errors = 0;
	/* an index that went backwards means a new cluster state */
	t->index = r->index < prev ? 0 : r->index;
	if ((a = lost_one(r)) != NULL) {
		note_status(t, a);
		snprintf(why, sizeof(why),
		         "allocation %.8s lost with node %s: "
		         "%s",
		         a->id, a->node_name[0] ? a->node_name : "?",
		         a->client_description);
		stop_child(b, t, NOMAD_EXIT_RETRY, why);
		return;
	}
	if ((a = newest(r)) == NULL) {
		/* not placed yet, or gone: look at the job when nothing moved
		 */
		if (prev == 0 || r->index <= prev)
			t->state = ST_INSPECT_JOB;
		return;
	}
	note_status(t, a);
	if (verdict(a, &code, why, sizeof(why)))
		conclude(b, t, code, why);
}

static void
on_job(void *arg, const nomad_reply *r)
{
	ntask         *t = arg;
	nomad_backend *b = t->b;

	t->in_call = false;
	if (r->rv == MC_EREFUSED && r->status == 404) {
		conclude(
		    b, t, NOMAD_EXIT_RETRY,
		    "the child job is gone (garbage-collected or purged)");
		return;
	}
	if (r->rv != MC_OK) {
		(void)failed_call(b, t, "job", r);
		return;
	}
	if (r->job_status && strcmp(r->job_status, "dead") == 0) {
		conclude(b, t, NOMAD_EXIT_RETRY,
		         "the child job ended without an allocation");
		return;
	}
	t->state = t->problem_logged ? ST_FOLLOW : ST_INSPECT_EVALS;
}

static void
on_evals(void *arg, const nomad_reply *r)
{
	ntask *t = arg;

	t->in_call = false;
	t->state = ST_FOLLOW;
	if (r->rv == MC_OK && r->eval_problem[0]) {
		t->problem_logged = true;
		log_warn("event=nomad.not_placed task=%s child=%s msg=\"%s\"",
		         t->id, t->child, r->eval_problem);
	}
}

/* ---- the thread ------------------------------------------------------- */

/* kick - start t's next call (the callbacks find the backend in t->b) */
static void
kick(nomad_backend *b, ntask *t)
{
	mc_err rv = MC_OK;

	switch ((nt_state)t->state) {
	case ST_DISPATCH:
		if (!nomad_backend_ready(b))
			return;
		rv = nomad_client_dispatch(b->client, b->jobs[0].id,
		                           NOMAD_JOB_META_TASK, t->id,
		                           t->token, on_dispatch, t);
		break;
	case ST_FOLLOW:
		rv = nomad_client_allocations(b->client, t->child, t->index,
		                              b->wait_s, on_allocs, t);
		break;
	case ST_INSPECT_JOB:
		rv = nomad_client_job(b->client, t->child, on_job, t);
		break;
	case ST_INSPECT_EVALS:
		rv =
		    nomad_client_evaluations(b->client, t->child, on_evals, t);
		break;
	case ST_STOP:
		return;
	}
	if (rv == MC_OK)
		t->in_call = true;
	else
		t->not_before_ms = now_ms() + NOMAD_BACKOFF_MAX_MS;
}

static void
take_submissions(nomad_backend *b)
{
	work_node *n;

	while ((n = work_queue_pop(b->req_q)) != NULL) {
		ntask *t = (ntask *)n;
		if (n == &b->stop_node)
			continue;
		t->state = ST_DISPATCH;
		t->b = b;
		t->next = b->active;
		b->active = t;
	}
}

static int
step(nomad_backend *b)
{
	int64_t now = now_ms(), next = now + NOMAD_IDLE_POLL_MS;
	ntask  *t, *tn;

	take_submissions(b);
	if (!atomic_load(&b->up) && !b->probe_in_call &&
	    now >= b->probe_not_before &&
	    nomad_client_leader(b->client, on_probe, b) == MC_OK)
		b->probe_in_call = true;
	if (atomic_load(&b->up))
		kick_register(b, now);
	for (t = b->active; t != NULL; t = tn) {
		tn = t->next;
		if (t->in_call)
			continue;
		if (now >= t->not_before_ms)
			kick(b, t);
		else if (t->not_before_ms < next)
			next = t->not_before_ms;
	}
	if (!atomic_load(&b->registered) && b->reg_not_before > now &&
	    b->reg_not_before < next)
		next = b->reg_not_before;
	return (int)(next > now ? next - now : 0);
}

static void *
backend_main(void *arg)
{
	nomad_backend *b = arg;

	while (!atomic_load(&b->stop)) {
		int timeout = step(b);
		if (nomad_client_poll(b->client, work_queue_fd(b->req_q),
		                      timeout) != MC_OK) {
			log_error("event=nomad.poll_failed msg=\"libcurl\"");
			break;
		}
	}
	return NULL;
}

mc_err
nomad_backend_start(const nomad_backend_cfg *cfg, work_queue *done_q,
                    nomad_backend **out)
{
	nomad_backend *b = calloc(1, sizeof(*b));
	mc_err         rv;

	*out = NULL;
	if (b == NULL)
		return MC_ENOMEM;
	b->done_q = done_q;
	b->wait_s = cfg->wait_s;
	atomic_init(&b->stop, false);
	atomic_init(&b->registered, false);
	atomic_init(&b->up, true); /* until a call says otherwise */
	for (size_t i = 0; i < cfg->n_jobs && i < NOMAD_MAX_JOBS; i++) {
		snprintf(b->jobs[i].id, sizeof(b->jobs[i].id), "%s",
		         cfg->jobs[i].id);
		if ((b->jobs[i].body = strdup(cfg->jobs[i].body)) == NULL) {
			nomad_backend_stop(b);
			return MC_ENOMEM;
		}
		b->n_jobs++;
	}
	if ((rv = work_queue_create(NULL, &b->req_q)) != MC_OK ||
	    (rv = nomad_client_create(&cfg->client, &b->client)) != MC_OK) {
		nomad_backend_stop(b);
		return rv;
	}
	if (pthread_create(&b->thread, NULL, backend_main, b) != 0) {
		nomad_backend_stop(b);
		return MC_ENOMEM;
	}
	b->started = true;
	*out = b;
	return MC_OK;
}

void
nomad_backend_stop(nomad_backend *b)
{
	work_node *n;

	if (b == NULL)
		return;
	if (b->started) {
		atomic_store(&b->stop, true);
		work_queue_push(b->req_q, &b->stop_node);
		pthread_join(b->thread, NULL);
	}
	nomad_client_destroy(b->client); /* no callback runs any more */
	while (b->active != NULL) {
		ntask *t = b->active;
		b->active = t->next;
		free(t);
	}
	while (b->req_q && (n = work_queue_pop(b->req_q)) != NULL)
		if (n != &b->stop_node)
			free(n);
	work_queue_destroy(b->req_q);
	for (size_t i = 0; i < b->n_jobs; i++)
		free(b->jobs[i].body);
	free(b);
}
