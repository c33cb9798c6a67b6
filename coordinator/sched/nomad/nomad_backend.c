/* nomad_backend.c - the Nomad backend's own thread: registers the jobs,
 * watches whether Nomad answers, and drives each submitted task
 * (nomad_task.c: dispatch, re-attach, follow the child's allocations
 * with blocking queries) until its verdict goes back to the loop through
 * a work queue. Every network wait happens here, never on the loop
 * thread.
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
#include "sched/nomad/nomad_backend_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "sched/nomad/nomad_job.h"

int64_t
nomad_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
nomad_backoff_ms(unsigned errors)
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

void
nomad_mark_down(nomad_backend *b, const char *what, const char *err)
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
	b->probe_not_before = nomad_now_ms() + NOMAD_PROBE_INTERVAL_MS;
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
		    (unsigned long long) r->index);
		b->reg_errors = 0;
		if (++b->reg_next == b->n_jobs)
			atomic_store(&b->registered, true);
		return;
	}
	b->reg_errors++;
	b->reg_not_before = nomad_now_ms() + nomad_backoff_ms(b->reg_errors);
	if (r->rv == MC_ENET) {
		nomad_mark_down(b, "register", r->error);
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
	if (nomad_client_register(
	        b->client, b->jobs[b->reg_next].body, on_register, b) == MC_OK)
		b->reg_in_call = true;
}

/* ---- the thread ------------------------------------------------------- */

static void
take_submissions(nomad_backend *b)
{
	work_node *n;

	while ((n = work_queue_pop(b->req_q)) != NULL) {
		ntask *t = (ntask *) n;
		if (n == &b->stop_node)
			continue;
		if (t->kind == NT_PURGE) {
			nomad_purge_child(b, t->child, t->exit_code != 0);
			free(t);
			continue;
		}
		t->b = b;
		t->state = ST_DISPATCH;
		if (t->resume && t->child[0]) {
			log_info("event=nomad.reattached task=%s child=%s "
			         "via=record",
			    t->id, t->child);
			t->state = ST_FOLLOW;
		} else if (t->resume) {
			t->state = ST_FIND;
		}
		t->next = b->active;
		b->active = t;
	}
}

static int
step(nomad_backend *b)
{
	int64_t now = nomad_now_ms(), next = now + NOMAD_IDLE_POLL_MS;
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
			nomad_task_kick(b, t);
		else if (t->not_before_ms < next)
			next = t->not_before_ms;
	}
	nomad_stream_step(b, now, &next);
	nomad_purge_step(b, now, &next);
	if (!atomic_load(&b->registered) && b->reg_not_before > now &&
	    b->reg_not_before < next)
		next = b->reg_not_before;
	return (int) (next > now ? next - now : 0);
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
nomad_backend_start(
    const nomad_backend_cfg *cfg, work_queue *done_q, nomad_backend **out)
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
	    (rv = nomad_client_create(&cfg->client, &b->client)) != MC_OK ||
	    (rv = nomad_stream_create(b, cfg->event_stream, &b->stream)) !=
	        MC_OK ||
	    (rv = nomad_purge_create(b, cfg->storage_root, cfg->keep_failed,
	         cfg->keep_failed_hours, 2 * cfg->client.timeout_ms,
	         &b->purge)) != MC_OK) {
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
	nomad_stream_destroy(b->stream);
	nomad_purge_destroy(b->purge);
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
