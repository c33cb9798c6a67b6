/* nomad_purge.c - dispatched children do not pile up in Nomad: once a
 * task's verdict is recorded (the loop thread closed its .nomad record),
 * its child is purged (DELETE ?purge=true); a failed child is kept for
 * inspection, up to keep_failed of them and keep_failed_hours each,
 * then purged too. A failed purge is logged and tried again later,
 * never fatal.
 *
 * Design notes: after a restart the children whose verdict was recorded
 * before the crash are found once by listing the worker job's children:
 * a dead child is purged unless its task's record is still open and
 * names it (or names no child yet), which means that task is being
 * re-attached and needs the child's allocations for its verdict. The
 * failed ones among them join the kept list with their SubmitTime.
 * A purge waits delay_ms after the verdict (twice the HTTP timeout): a
 * dispatch that timed out on our side may still be applied by the server
 * later, and Nomad forgets a purged child's idempotency token, so purging
 * before then could let that late dispatch make a second child. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "os/sys_fs.h"
#include "sched/nomad/nomad_backend_int.h"
#include "sched/nomad/nomad_job.h"

#define NOMAD_PURGE_PARALLEL 4
#define NOMAD_PURGE_CHECK_MS 60000

typedef struct pentry {
	struct pentry      *next;
	struct nomad_purge *p;
	char                child[NOMAD_ID_MAX];
	unsigned            errors;
	int64_t             not_before;
	bool                in_call;
} pentry;

typedef struct kept {
	char    child[NOMAD_ID_MAX];
	int64_t since_s; /* wall clock: Nomad's SubmitTime after a restart */
} kept;

typedef struct nomad_purge {
	nomad_backend *b;
	pentry        *head, *tail; /* due, in order */
	unsigned       in_flight;
	kept          *kept; /* oldest first */
	size_t         n_kept, cap_kept;
	unsigned       keep, keep_hours;
	int64_t        delay_ms;
	bool           swept, sweep_in_call;
	unsigned       sweep_errors;
	int64_t        sweep_not_before;
	char           root[MC_PATH_MAX];
} nomad_purge;

static int64_t
wall_s(void)
{
	return (int64_t) time(NULL);
}

static void
enqueue(nomad_purge *p, const char *child)
{
	pentry *e = calloc(1, sizeof(*e));

	if (e == NULL) {
		/* the next start's sweep finds it */
		log_warn("event=nomad.purge_failed child=%s msg=\"out of "
		         "memory\"",
		    child);
		return;
	}
	e->p = p;
	e->not_before = nomad_now_ms() + p->delay_ms;
	snprintf(e->child, sizeof(e->child), "%s", child);
	if (p->tail)
		p->tail->next = e;
	else
		p->head = e;
	p->tail = e;
}

/* keep - into the kept list, ordered by age */
static void
keep(nomad_purge *p, const char *child, int64_t since_s)
{
	size_t i;

	if (p->n_kept == p->cap_kept) {
		size_t cap = p->cap_kept ? p->cap_kept * 2 : 64;
		kept  *k = realloc(p->kept, cap * sizeof(*k));
		if (k == NULL) {
			enqueue(p, child);
			return;
		}
		p->kept = k;
		p->cap_kept = cap;
	}
	for (i = p->n_kept; i > 0 && p->kept[i - 1].since_s > since_s; i--)
		p->kept[i] = p->kept[i - 1];
	snprintf(p->kept[i].child, sizeof(p->kept[i].child), "%s", child);
	p->kept[i].since_s = since_s;
	p->n_kept++;
}

/* trim - the oldest kept children beyond the count or the age go */
static void
trim(nomad_purge *p)
{
	int64_t limit = wall_s() - (int64_t) p->keep_hours * 3600;
	size_t  drop = 0;

	while (drop < p->n_kept &&
	       (p->n_kept - drop > p->keep || p->kept[drop].since_s <= limit))
		enqueue(p, p->kept[drop++].child);
	if (drop == 0)
		return;
	memmove(p->kept, p->kept + drop, (p->n_kept - drop) * sizeof(kept));
	p->n_kept -= drop;
}

void
nomad_purge_child(nomad_backend *b, const char *child, bool failed)
{
	nomad_purge *p = b->purge;

	if (p == NULL || child[0] == '\0')
		return;
	if (failed) {
		log_info("event=nomad.child_kept child=%s kept=%zu", child,
		    p->n_kept + 1);
		keep(p, child, wall_s());
		trim(p);
	} else {
		enqueue(p, child);
	}
}

static void
on_purged(void *arg, const nomad_reply *r)
{
	pentry      *e = arg, **pp;
	nomad_purge *p = e->p;

	e->in_call = false;
	p->in_flight--;
	if (r->rv == MC_OK) {
		log_debug("event=nomad.purged child=%s", e->child);
		for (pp = &p->head; *pp != e; pp = &(*pp)->next)
			;
		*pp = e->next;
		if (p->tail == e) {
			p->tail = NULL;
			for (pentry *x = p->head; x != NULL; x = x->next)
				p->tail = x;
		}
		free(e);
		return;
	}
	e->errors++;
	e->not_before = nomad_now_ms() + nomad_backoff_ms(e->errors);
	if (e->errors == 1 || e->errors % 20 == 0)
		log_warn("event=nomad.purge_failed child=%s status=%ld try=%u "
		         "msg=\"%s\" effect=\"tried again later\"",
		    e->child, r->status, e->errors, r->error);
}

/* record_open_for - the task's .nomad record is open and names child
 * or no child yet, and no result.json says the worker finished: its
 * attempt may still need the child */
static bool
record_open_for(const nomad_purge *p, const char *task_id, const char *child)
{
	char   path[MC_PATH_MAX], done[MC_PATH_MAX], *text = NULL, *c;
	size_t len;
	bool   open;

	if (task_id[0] == '\0' || strchr(task_id, '/') != NULL ||
	    strcmp(task_id, "..") == 0 ||
	    sys_path_fmt(path, sizeof(path), "%s/tasks/%s/.nomad", p->root,
	        task_id) != MC_OK ||
	    sys_path_fmt(done, sizeof(done), "%s/tasks/%s/result.json",
	        p->root, task_id) != MC_OK)
		return true; /* not ours to judge: leave it */
	/* a worker that finished while no coordinator ran left result.json,
	 * and the task is concluded from it, not from Nomad */
	if (access(done, F_OK) == 0)
		return false;
	if (sys_read_file(path, &text, &len) != MC_OK)
		return false; /* concluded and moved on */
	open = strstr(text, "state=open") != NULL;
	if (open && (c = strstr(text, "child=")) != NULL) {
		size_t n = strcspn(c + 6, " \n");
		open = n == 0 ||
		       (n == strlen(child) && strncmp(c + 6, child, n) == 0);
	}
	free(text);
	return open;
}

static bool
followed(const nomad_backend *b, const char *child)
{
	for (const ntask *t = b->active; t != NULL; t = t->next)
		if (strcmp(t->child, child) == 0)
			return true;
	return false;
}

static void
on_children(void *arg, const nomad_reply *r)
{
	nomad_purge *p = arg;
	size_t       purge = 0, kept_n = 0;

	p->sweep_in_call = false;
	if (r->rv != MC_OK) {
		p->sweep_errors++;
		p->sweep_not_before =
		    nomad_now_ms() + nomad_backoff_ms(p->sweep_errors);
		log_warn(
		    "event=nomad.purge_sweep_failed status=%ld msg=\"%s\"",
		    r->status, r->error);
		return;
	}
	p->swept = true;
	for (size_t i = 0; i < r->n_children; i++) {
		const nomad_child *k = &r->children[i];
		if (strcmp(k->status, "dead") != 0 || followed(p->b, k->id) ||
		    record_open_for(p, k->meta_value, k->id))
			continue;
		if (k->failed) {
			keep(p, k->id, k->submit_time_ns / 1000000000);
			kept_n++;
		} else {
			enqueue(p, k->id);
			purge++;
		}
	}
	trim(p);
	log_info("event=nomad.purge_sweep children=%zu purge=%zu "
	         "failed_kept=%zu",
	    r->n_children, purge, p->n_kept);
	(void) kept_n;
}

void
nomad_purge_step(nomad_backend *b, int64_t now, int64_t *next_ms)
{
	nomad_purge *p = b->purge;
	int64_t      check;

	if (p == NULL || !nomad_backend_ready(b))
		return;
	if (!p->swept && !p->sweep_in_call) {
		if (now >= p->sweep_not_before &&
		    nomad_client_children(b->client, b->jobs[0].id,
		        NOMAD_JOB_META_TASK, on_children, p) == MC_OK)
			p->sweep_in_call = true;
		else if (p->sweep_not_before < *next_ms)
			*next_ms = p->sweep_not_before;
	}
	if (p->n_kept > 0) {
		trim(p);
		/* the age limit comes without any event: look again */
		check = now + NOMAD_PURGE_CHECK_MS;
		if (check < *next_ms)
			*next_ms = check;
	}
	for (pentry *e = p->head;
	     e != NULL && p->in_flight < NOMAD_PURGE_PARALLEL; e = e->next) {
		if (e->in_call)
			continue;
		if (now < e->not_before) {
			if (e->not_before < *next_ms)
				*next_ms = e->not_before;
			continue;
		}
		if (nomad_client_purge(b->client, e->child, on_purged, e) ==
		    MC_OK) {
			e->in_call = true;
			p->in_flight++;
		}
	}
}

mc_err
nomad_purge_create(nomad_backend *b, const char *storage_root,
    unsigned keep_failed, unsigned keep_failed_hours, unsigned delay_ms,
    nomad_purge **out)
{
	nomad_purge *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (p == NULL)
		return MC_ENOMEM;
	p->b = b;
	/* without the records there is nothing to tell a leftover by */
	p->swept = storage_root == NULL || storage_root[0] == '\0';
	snprintf(
	    p->root, sizeof(p->root), "%s", storage_root ? storage_root : "");
	p->keep = keep_failed;
	p->keep_hours = keep_failed_hours;
	p->delay_ms = delay_ms;
	*out = p;
	return MC_OK;
}

void
nomad_purge_destroy(nomad_purge *p)
{
	if (p == NULL)
		return;
	while (p->head != NULL) {
		pentry *e = p->head;
		p->head = e->next;
		free(e);
	}
	free(p->kept);
	free(p);
}
