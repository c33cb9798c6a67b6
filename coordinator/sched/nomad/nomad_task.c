/* nomad_task.c - one task on the backend thread: dispatch it, find its
 * child again after a restart, follow the child's allocations with
 * blocking queries, and conclude exactly once with the verdict of
 * reference 3.4 (see the design notes in nomad_backend.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "sched/nomad/nomad_backend_int.h"
#include "sched/nomad/nomad_job.h"

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
		    t->id, t->child[0] ? t->child : "-", exit_code, reason);
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
	t->not_before_ms = nomad_now_ms() + nomad_backoff_ms(t->errors);
	if (r->rv == MC_ENET) {
		/* no answer: waiting, however long, is not a failure */
		nomad_mark_down(b, call, r->error);
		log_debug("event=nomad.retry task=%s call=%s msg=\"%s\"",
		    t->id, call, r->error);
		return false;
	}
	log_warn("event=nomad.error task=%s child=%s call=%s status=%ld "
	         "try=%u msg=\"%s\"",
	    t->id, t->child[0] ? t->child : "-", call, r->status, t->errors,
	    r->error);
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
		    t->id, t->child, t->token, r->reattached ? "yes" : "no");
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
	               (r->status >= 400 && r->status < 500 &&
	                   r->status != 403 && r->status != 429))) {
		/* validation: the same request can never succeed */
		snprintf(why, sizeof(why),
		    "nomad refused the dispatch (%ld): "
		    "%s",
		    r->status, r->error);
		conclude(b, t, NOMAD_EXIT_UNUSABLE, why);
		return;
	}
	(void) failed_call(b, t, "dispatch", r);
}

/* ---- re-attaching after a restart ------------------------------------ */

/* on_children - the newest child whose Meta names this task, if any, is
 * a candidate; anything else leaves it to the dispatch, whose token
 * finds the child too (or makes it when the crash came before) */
static void
on_children(void *arg, const nomad_reply *r)
{
	ntask             *t = arg;
	const nomad_child *best = NULL;

	t->in_call = false;
	if (r->rv == MC_ENET) {
		(void) failed_call(t->b, t, "children", r);
		return;
	}
	for (size_t i = 0; r->rv == MC_OK && i < r->n_children; i++)
		if (strcmp(r->children[i].meta_value, t->id) == 0 &&
		    (best == NULL ||
		        r->children[i].create_index > best->create_index))
			best = &r->children[i];
	t->errors = 0;
	t->state = ST_DISPATCH;
	if (best != NULL) {
		snprintf(t->child, sizeof(t->child), "%s", best->id);
		t->state = ST_CHECK;
	}
}

static void
on_check(void *arg, const nomad_reply *r)
{
	ntask *t = arg;

	t->in_call = false;
	if (r->rv == MC_ENET) {
		(void) failed_call(t->b, t, "job", r);
		return;
	}
	t->errors = 0;
	if (r->rv == MC_OK && strcmp(r->job_token, t->token) == 0) {
		log_info("event=nomad.reattached task=%s child=%s "
		         "via=children",
		    t->id, t->child);
		t->state = ST_FOLLOW;
		return;
	}
	t->child[0] = '\0'; /* an earlier attempt's child */
	t->state = ST_DISPATCH;
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
		    a->last_event[0] ? a->last_event : a->client_description);
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
		(void) failed_call(b, t, "allocations", r);
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
	if ((a = newest(r)) == NULL && nomad_stream_live(b) &&
	    !t->stream_recheck) {
		/* the stream shows the placement when it comes */
		t->state = ST_WATCH;
		t->not_before_ms = nomad_now_ms() + (int64_t) b->wait_s * 1000;
		return;
	}
	t->stream_recheck = false;
	if (a == NULL) {
		if (t->job_dead_seen) {
			conclude(b, t, NOMAD_EXIT_RETRY,
			    "the child job ended without an allocation");
			return;
		}
		/* not placed yet, or gone: look at the job when nothing moved
		 */
		if (prev == 0 || r->index <= prev)
			t->state = ST_INSPECT_JOB;
		return;
	}
	note_status(t, a);
	if (a->create_index > t->alloc_create_index)
		t->alloc_create_index = a->create_index;
	if (verdict(a, &code, why, sizeof(why))) {
		conclude(b, t, code, why);
	} else if (nomad_stream_live(b)) {
		t->state = ST_WATCH;
		t->not_before_ms = nomad_now_ms() + (int64_t) b->wait_s * 1000;
	}
}

/* nomad_task_on_alloc - the stream's word on one allocation; only a
 * task whose child is confirmed takes it, and only from its newest
 * allocation (or a lost one) */
void
nomad_task_on_alloc(nomad_backend *b, ntask *t, const nomad_alloc *a)
{
	char why[NOMAD_ERROR_MAX];
	int  code;
	bool lost = strcmp(a->client_status, "lost") == 0;

	if (t->state != ST_FOLLOW && t->state != ST_WATCH &&
	    t->state != ST_INSPECT_JOB && t->state != ST_INSPECT_EVALS)
		return;
	if (a->create_index < t->alloc_create_index && !lost)
		return;
	t->alloc_create_index = a->create_index;
	note_status(t, a);
	if (!lost && !verdict(a, &code, why, sizeof(why)))
		return;
	if (t->in_call) /* its own call's answer is no longer needed */
		nomad_client_cancel(b->client, t);
	t->in_call = false;
	if (lost) {
		snprintf(why, sizeof(why),
		    "allocation %.8s lost with node %s: %s", a->id,
		    a->node_name[0] ? a->node_name : "?",
		    a->client_description);
		stop_child(b, t, NOMAD_EXIT_RETRY, why);
		return;
	}
	conclude(b, t, code, why);
}

static void
on_job(void *arg, const nomad_reply *r)
{
	ntask         *t = arg;
	nomad_backend *b = t->b;

	t->in_call = false;
	if (r->rv == MC_EREFUSED && r->status == 404) {
		conclude(b, t, NOMAD_EXIT_RETRY,
		    "the child job is gone (garbage-collected or purged)");
		return;
	}
	if (r->rv != MC_OK) {
		(void) failed_call(b, t, "job", r);
		return;
	}
	if (r->job_status && strcmp(r->job_status, "dead") == 0) {
		/* the job may have died between our empty allocation list and
		 * this look (an allocation that failed at once): list the
		 * allocations once more, without blocking, before concluding
		 * that it never had one */
		t->job_dead_seen = true;
		t->index = 0;
		t->state = ST_FOLLOW;
		return;
	}
	t->state = t->problem_logged ? ST_FOLLOW : ST_INSPECT_EVALS;
	if (t->place_deadline_ms && nomad_now_ms() >= t->place_deadline_ms)
		t->state = ST_INSPECT_EVALS; /* on_evals gives up */
}

static void
on_evals(void *arg, const nomad_reply *r)
{
	ntask *t = arg;

	t->in_call = false;
	t->state = ST_FOLLOW;
	if (r->rv == MC_OK && r->eval_problem[0] && t->place_deadline_ms &&
	    nomad_now_ms() >= t->place_deadline_ms) {
		char why[NOMAD_ERROR_MAX];
		snprintf(why, sizeof(why), "%s", r->eval_problem);
		t->unplaced = true;
		stop_child(t->b, t, NOMAD_EXIT_UNUSABLE, why);
		return;
	}
	if (r->rv == MC_OK && r->eval_problem[0]) {
		t->problem_logged = true;
		log_warn("event=nomad.not_placed task=%s child=%s msg=\"%s\"",
		    t->id, t->child, r->eval_problem);
	}
}

/* job_of - the parameterized job t is a child of */
static const char *
job_of(const nomad_backend *b, const ntask *t)
{
	return t->job[0] ? t->job : b->jobs[0].id;
}

/* nomad_task_kick - start t's next call (the callbacks find the backend
 * in t->b) */
void
nomad_task_kick(nomad_backend *b, ntask *t)
{
	mc_err rv = MC_OK;

	switch ((nt_state) t->state) {
	case ST_DISPATCH:
		if (!nomad_backend_ready(b))
			return;
		rv = nomad_client_dispatch(b->client, job_of(b, t),
		    NOMAD_JOB_META_TASK, t->id, t->token, on_dispatch, t);
		break;
	case ST_FIND:
		rv = nomad_client_children(b->client, job_of(b, t),
		    NOMAD_JOB_META_TASK, on_children, t);
		break;
	case ST_CHECK:
		rv = nomad_client_job(b->client, t->child, on_check, t);
		break;
	case ST_FOLLOW:
		/* while the stream is live a look is a snapshot, never a
		 * long poll */
		if (nomad_stream_live(b))
			t->index = 0;
		rv = nomad_client_allocations(
		    b->client, t->child, t->index, b->wait_s, on_allocs, t);
		break;
	case ST_INSPECT_JOB:
		rv = nomad_client_job(b->client, t->child, on_job, t);
		break;
	case ST_INSPECT_EVALS:
		rv =
		    nomad_client_evaluations(b->client, t->child, on_evals, t);
		break;
	case ST_WATCH:
		/* the stream dropped, or nothing came for a whole wait: a
		 * snapshot, and a look at the job if it shows no allocation */
		t->stream_recheck = nomad_stream_live(b);
		t->state = ST_FOLLOW;
		t->index = 0;
		rv = nomad_client_allocations(
		    b->client, t->child, 0, b->wait_s, on_allocs, t);
		break;
	case ST_STOP:
		return;
	}
	if (rv == MC_OK)
		t->in_call = true;
	else
		t->not_before_ms = nomad_now_ms() + NOMAD_BACKOFF_MAX_MS;
}
