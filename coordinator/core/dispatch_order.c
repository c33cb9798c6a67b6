/* dispatch_order.c - the gate a queued dispatch task passes before the
 * scheduler gets it (tasks_pick asks): a target's max_concurrent_tasks,
 * and study_dispatch_order, which sends the series of one study to one
 * target one after the other. What a task's place needs is on disk
 * (tasks/<id>/order.json, written with the task; its targets from
 * task.json; the open series from incoming/'s journals), so a restarted
 * coordinator keeps the order. Scheduling itself is left to tasks.c.
 *
 * Design notes. "Earlier" for a task T of study S under mode M: a task
 * of S still in tasks/ (queued, retrying or running), a task of S that
 * failed (error/), or a series of S still arriving (open in the series
 * table, whose rules would send it to the target), each with a smaller
 * order_key under M and one of T's targets. A series that has not begun
 * to arrive is unknown and cannot be waited for. Past T's bound
 * (order.json's created_us + the timeout) T waits only for an earlier
 * task that is running now, and goes after it: a failed or a stuck
 * series never holds the rest for longer than the bound. The keys are a
 * total order, so no two tasks wait for each other under one mode. */
#include "core/dispatch_order.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "core/coord_int.h"
#include "core/route_intent.h"
#include "core/route_select.h"
#include "os/sys_fs.h"

typedef struct order_info {
	char           id[TASK_ID_MAX_LEN + 1];
	bool           ordered; /* order.json was read */
	char           study[MC_UID_MAX_LEN + 1];
	char           series[MC_UID_MAX_LEN + 1];
	bool           has_number;
	long long      number;
	int64_t        first_us, created_us;
	char         **targets; /* still to be delivered */
	size_t         n_targets;
	unsigned       attempt; /* of the task when the targets were read */
	bool           wait_logged, release_logged, busy_logged;
	UT_hash_handle hh;
} order_info;

typedef struct order_gate {
	order_info      *tasks;  /* by task id: tasks in tasks/ */
	order_info      *failed; /* by task id: ordered tasks in error/ */
	bool             failed_loaded;
	const mc_config *cfg; /* what active was computed for */
	bool             active;
} order_gate;

/* ---- the order --------------------------------------------------------- */

static int
cmp_i64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

int
order_key_cmp(
    config_dispatch_order mode, const order_key *a, const order_key *b)
{
	int d;

	if (mode == CONFIG_ORDER_SERIES_NUMBER) {
		if (a->has_number != b->has_number)
			return a->has_number ? -1 : 1;
		if (a->has_number && a->number != b->number)
			return a->number < b->number ? -1 : 1;
	}
	if ((d = cmp_i64(a->first_us, b->first_us)) != 0)
		return d;
	if ((d = strcmp(a->series, b->series)) != 0)
		return d;
	return strcmp(a->id, b->id);
}

bool
order_series_number(const char *text, long long *out)
{
	char     *end;
	long long n;

	if (text == NULL)
		return false;
	while (*text == ' ')
		text++;
	if (*text == '\0')
		return false;
	n = strtoll(text, &end, 10);
	if (end == text)
		return false;
	while (*end == ' ')
		end++;
	if (*end != '\0')
		return false;
	*out = n;
	return true;
}

config_dispatch_order
order_mode(const mc_config *cfg, const config_rule *r)
{
	if (r != NULL && r->study_dispatch_order != CONFIG_ORDER_INHERIT)
		return r->study_dispatch_order;
	return cfg->study_dispatch_order == CONFIG_ORDER_INHERIT
	           ? CONFIG_ORDER_NONE
	           : cfg->study_dispatch_order;
}

uint32_t
order_timeout_s(const mc_config *cfg, const config_rule *r)
{
	if (r != NULL && r->study_dispatch_order_timeout_s > 0)
		return r->study_dispatch_order_timeout_s;
	return cfg->study_dispatch_order_timeout_s;
}

/* ---- order.json -------------------------------------------------------- */

mc_err
dispatch_order_write(const route_intent *ri, const char *dir)
{
	json_t     *o = json_object();
	const char *num =
	    ri->tags ? mc_tagset_get(ri->tags, "SeriesNumber") : NULL;
	char   path[MC_PATH_MAX], *text;
	mc_err rv;

	if (o == NULL)
		return MC_ENOMEM;
	json_object_set_new(o, "v", json_integer(1));
	json_object_set_new(o, "study", json_string(ri->study));
	json_object_set_new(o, "series", json_string(ri->series));
	json_object_set_new(
	    o, "series_number", num ? json_string(num) : json_null());
	json_object_set_new(o, "first_us", json_integer(ri->first_us));
	json_object_set_new(o, "created_us", json_integer(sys_now_us()));
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text == NULL)
		return MC_ENOMEM;
	if ((rv = sys_path_fmt(path, sizeof(path), "%s/%s", dir,
	         DISPATCH_ORDER_FILE)) == MC_OK)
		rv = sys_write_file_sync(path, text, strlen(text));
	free(text);
	return rv;
}

static void
copy_str(json_t *o, const char *key, char *dst, size_t cap)
{
	const char *s = json_string_value(json_object_get(o, key));
	snprintf(dst, cap, "%s", s ? s : "");
}

/* read_order - dir's order.json into in; false without a usable one */
static bool
read_order(const char *dir, order_info *in)
{
	char    path[MC_PATH_MAX];
	json_t *o;

	if (sys_path_fmt(path, sizeof(path), "%s/%s", dir,
	        DISPATCH_ORDER_FILE) != MC_OK ||
	    !sys_exists(path) || (o = json_load_file(path, 0, NULL)) == NULL)
		return false;
	copy_str(o, "study", in->study, sizeof(in->study));
	copy_str(o, "series", in->series, sizeof(in->series));
	in->has_number = order_series_number(
	    json_string_value(json_object_get(o, "series_number")),
	    &in->number);
	in->first_us = json_integer_value(json_object_get(o, "first_us"));
	in->created_us = json_integer_value(json_object_get(o, "created_us"));
	json_decref(o);
	in->ordered = in->study[0] != '\0';
	return in->ordered;
}

static void
free_targets(order_info *in)
{
	for (size_t i = 0; i < in->n_targets; i++)
		free(in->targets[i]);
	free(in->targets);
	in->targets = NULL;
	in->n_targets = 0;
}

static void
add_target(order_info *in, const char *name)
{
	char **n;

	if ((n = realloc(in->targets, (in->n_targets + 1) * sizeof(*n))) ==
	    NULL)
		return;
	in->targets = n;
	if ((n[in->n_targets] = strdup(name)) != NULL)
		in->n_targets++;
}

/* read_targets - task.json's dispatch.target_name, less the targets its
 * dispatch.status says are complete (a retry sends only the rest); the
 * rule's targets when task.json cannot be read */
static void
read_targets(
    const coord *c, const char *dir, const char *rule_name, order_info *in)
{
	char               path[MC_PATH_MAX];
	json_t            *o = NULL, *d, *names, *status, *v;
	const config_rule *r;
	size_t             i;

	free_targets(in);
	if (sys_path_fmt(path, sizeof(path), "%s/%s", dir, TASK_JSON_NAME) ==
	        MC_OK &&
	    (o = json_load_file(path, 0, NULL)) != NULL) {
		d = json_object_get(o, "dispatch");
		names = json_object_get(d, "target_name");
		status = json_object_get(d, "status");
		if (json_is_string(names))
			add_target(in, json_string_value(names));
		json_array_foreach(names, i, v)
		{
			const char *n = json_string_value(v), *st;
			if (n == NULL)
				continue;
			st = json_string_value(json_object_get(
			    json_object_get(status, n), "state"));
			if (st == NULL || strcmp(st, "complete") != 0)
				add_target(in, n);
		}
		json_decref(o);
		return;
	}
	if ((r = config_find_rule(c->cfg, rule_name)) != NULL)
		for (i = 0; i < r->n_targets; i++)
			add_target(in, r->targets[i]);
}

static void
info_free(order_info *in)
{
	if (in == NULL)
		return;
	free_targets(in);
	free(in);
}

/* ---- the gate's state -------------------------------------------------- */

static bool
config_is_active(const mc_config *cfg)
{
	if (cfg->study_dispatch_order == CONFIG_ORDER_ARRIVAL ||
	    cfg->study_dispatch_order == CONFIG_ORDER_SERIES_NUMBER)
		return true;
	for (size_t i = 0; i < cfg->n_targets; i++)
		if (cfg->targets[i].max_concurrent_tasks > 0)
			return true;
	for (size_t i = 0; i < cfg->n_rules; i++)
		if (cfg->rules[i].study_dispatch_order ==
		        CONFIG_ORDER_ARRIVAL ||
		    cfg->rules[i].study_dispatch_order ==
		        CONFIG_ORDER_SERIES_NUMBER)
			return true;
	return false;
}

/* gate_of - c's gate, NULL while nothing is configured that it applies
 * (so a configuration without these settings costs no memory) */
static order_gate *
gate_of(coord *c)
{
	if (c->gate == NULL &&
	    (c->cfg == NULL || !config_is_active(c->cfg) ||
	        (c->gate = calloc(1, sizeof(*c->gate))) == NULL))
		return NULL;
	if (c->gate->cfg != c->cfg) {
		c->gate->cfg = c->cfg;
		c->gate->active = c->cfg != NULL && config_is_active(c->cfg);
	}
	return c->gate;
}

static bool
sends(const task_entry *t)
{
	return strcmp(t->meta.kind, "dispatch") == 0 ||
	       strcmp(t->meta.kind, "both") == 0;
}

/* info_of - t's entry, read from its folder the first time and its
 * targets again after each attempt; NULL only without memory */
static order_info *
info_of(coord *c, order_gate *g, const task_entry *t)
{
	order_info *in = NULL, *old = NULL;
	char        dir[MC_PATH_MAX];

	HASH_FIND_STR(g->tasks, t->id, in);
	if (in != NULL && in->attempt == t->meta.attempt)
		return in;
	if (coord_path(c, dir, sizeof(dir), DIR_TASKS, t->id, NULL) != MC_OK)
		return NULL;
	if (in == NULL) {
		if ((in = calloc(1, sizeof(*in))) == NULL)
			return NULL;
		snprintf(in->id, sizeof(in->id), "%s", t->id);
		(void) read_order(dir, in);
		HASH_ADD_STR(g->tasks, id, in);
		/* a failed task queued again (--retry) holds no one as a
		 * failure any more */
		HASH_FIND_STR(g->failed, t->id, old);
		if (old != NULL) {
			HASH_DEL(g->failed, old);
			info_free(old);
		}
	}
	in->attempt = t->meta.attempt;
	read_targets(c, dir, t->meta.rule, in);
	return in;
}

static void
load_failed(coord *c, order_gate *g)
{
	char           dir[MC_PATH_MAX], sub[MC_PATH_MAX];
	DIR           *d;
	struct dirent *de;

	g->failed_loaded = true;
	if (coord_path(c, dir, sizeof(dir), DIR_ERROR, NULL, NULL) != MC_OK ||
	    (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		order_info *in = NULL;
		if (de->d_name[0] == '.' ||
		    strlen(de->d_name) > TASK_ID_MAX_LEN ||
		    sys_path_fmt(sub, sizeof(sub), "%s/%s", dir, de->d_name) !=
		        MC_OK)
			continue;
		HASH_FIND_STR(g->failed, de->d_name, in);
		if (in != NULL || (in = calloc(1, sizeof(*in))) == NULL)
			continue;
		memcpy(in->id, de->d_name, strlen(de->d_name) + 1);
		if (!read_order(sub, in)) {
			info_free(in);
			continue;
		}
		read_targets(c, sub, "", in);
		HASH_ADD_STR(g->failed, id, in);
	}
	closedir(d);
}

/* ---- the checks -------------------------------------------------------- */

static bool
has_target(const order_info *in, const char *name)
{
	for (size_t i = 0; i < in->n_targets; i++)
		if (strcmp(in->targets[i], name) == 0)
			return true;
	return false;
}

static bool
shares_target(const order_info *a, const order_info *b)
{
	for (size_t i = 0; i < a->n_targets; i++)
		if (has_target(b, a->targets[i]))
			return true;
	return false;
}

static bool
is_running(const task_entry *t)
{
	return t->state == TASK_RUNNING || t->state == TASK_ORPHANED;
}

static bool
limit_blocks(coord *c, order_gate *g, const task_entry *t, order_info *in)
{
	for (size_t i = 0; i < in->n_targets; i++) {
		const config_target *ct =
		    config_find_target(c->cfg, in->targets[i]);
		task_entry *u, *tmp;
		unsigned    n = 0;
		if (ct == NULL || ct->max_concurrent_tasks == 0)
			continue;
		HASH_ITER(hh, c->tasks, u, tmp)
		{
			order_info *ui;
			if (u == t || !is_running(u) || !sends(u) ||
			    (ui = info_of(c, g, u)) == NULL)
				continue;
			if (has_target(ui, in->targets[i]))
				n++;
		}
		if (n < ct->max_concurrent_tasks)
			continue;
		if (!in->busy_logged)
			log_info("event=task.target_busy task=%s target=%s "
			         "running=%u max_concurrent_tasks=%u",
			    t->id, ct->name, n, ct->max_concurrent_tasks);
		in->busy_logged = true;
		return true;
	}
	return false;
}

static order_key
key_of(const order_info *in)
{
	order_key k = {
	    in->series, in->has_number, in->number, in->first_us, in->id};
	return k;
}

/* open_series_sends - the rules of open series s would send it to a
 * target of in as a series (what router.c will decide on these tags) */
static bool
open_series_sends(const coord *c, const series *s, const order_info *in)
{
	route_selection sel;

	if (s->tags == NULL)
		return false;
	route_select(c->cfg, s->tags, &sel);
	if (sel.discard_rule != NULL)
		return false;
	for (size_t k = 0; k < sel.n; k++) {
		const config_rule *r = sel.triggered[k];
		if (r->action_trigger != CONFIG_TRIGGER_SERIES ||
		    (r->action != CONFIG_ACTION_ROUTE &&
		        r->action != CONFIG_ACTION_BOTH))
			continue;
		for (size_t i = 0; i < r->n_targets; i++)
			if (has_target(in, r->targets[i]))
				return true;
	}
	return false;
}

/* earlier - counts of the earlier series t waits for (wait) and passes
 * because its bound is over (passed) */
typedef struct earlier {
	size_t      wait, passed;
	char        first[MC_UID_MAX_LEN + 1]; /* one waited for */
	const char *what;                      /* its state */
} earlier;

static void
count(earlier *e, bool waits, const char *uid, const char *what)
{
	if (!waits) {
		e->passed++;
		return;
	}
	if (e->wait++ == 0) {
		snprintf(e->first, sizeof(e->first), "%s", uid);
		e->what = what;
	}
}

static void
find_earlier(coord *c, order_gate *g, const task_entry *t,
    const order_info *in, config_dispatch_order mode, bool over, earlier *e)
{
	order_key   kt = key_of(in);
	task_entry *u, *tmp;
	order_info *f, *ftmp;

	HASH_ITER(hh, c->tasks, u, tmp)
	{
		order_info *ui;
		order_key   ku;
		if (u == t || !sends(u) || (ui = info_of(c, g, u)) == NULL ||
		    !ui->ordered || strcmp(ui->study, in->study) != 0 ||
		    !shares_target(ui, in))
			continue;
		ku = key_of(ui);
		if (order_key_cmp(mode, &ku, &kt) < 0)
			count(e, !over || is_running(u), ui->series,
			    is_running(u) ? "running" : "queued");
	}
	HASH_ITER(hh, g->failed, f, ftmp)
	{
		order_key kf = key_of(f);
		if (strcmp(f->study, in->study) == 0 && shares_target(f, in) &&
		    order_key_cmp(mode, &kf, &kt) < 0)
			count(e, !over, f->series, "failed");
	}
	for (series *s = c->series ? series_table_first(c->series) : NULL;
	     s != NULL; s = series_next(s)) {
		order_key ks = {s->uid, false, 0, s->first_us, ""};
		/* the series of t itself is still in the table while it
		 * is routed */
		if (strcmp(s->study_uid, in->study) != 0 ||
		    strcmp(s->uid, in->series) == 0)
			continue;
		ks.has_number = order_series_number(
		    s->tags ? mc_tagset_get(s->tags, "SeriesNumber") : NULL,
		    &ks.number);
		if (order_key_cmp(mode, &ks, &kt) < 0 &&
		    open_series_sends(c, s, in))
			count(e, !over, s->uid, "arriving");
	}
}

static bool
order_blocks(coord *c, order_gate *g, const task_entry *t, order_info *in)
{
	const config_rule    *r = config_find_rule(c->cfg, t->meta.rule);
	config_dispatch_order mode = order_mode(c->cfg, r);
	int64_t               bound_us, now_us = sys_now_us();
	earlier               e = {0};
	bool                  over;
	char                  info[256];

	if (mode == CONFIG_ORDER_NONE || !in->ordered)
		return false;
	if (!g->failed_loaded)
		load_failed(c, g);
	bound_us =
	    in->created_us + (int64_t) order_timeout_s(c->cfg, r) * 1000000;
	over = now_us >= bound_us;
	find_earlier(c, g, t, in, mode, over, &e);
	if (e.wait > 0) {
		if (!in->wait_logged)
			log_info("event=task.order_wait task=%s rule=%s "
			         "study=%s series=%s order=%s earlier=%zu "
			         "first=%s state=%s",
			    t->id, t->meta.rule, in->study, in->series,
			    config_dispatch_order_str(mode), e.wait, e.first,
			    e.what);
		in->wait_logged = true;
		return true;
	}
	if (e.passed > 0 && !in->release_logged) {
		long long waited =
		    (long long) ((now_us - in->created_us) / 1000000);
		log_warn("event=task.order_timeout task=%s rule=%s study=%s "
		         "series=%s order=%s waited_s=%lld passed=%zu "
		         "msg=\"sent before earlier series of its study\"",
		    t->id, t->meta.rule, in->study, in->series,
		    config_dispatch_order_str(mode), waited, e.passed);
		snprintf(info, sizeof(info),
		    "study_dispatch_order_timeout: sent after %lld s before "
		    "%zu earlier series",
		    waited, e.passed);
		coord_event(c, "task.order_timeout", in->series, in->study,
		    t->id, t->meta.rule, NULL, info);
		in->release_logged = true;
	}
	return false;
}

bool
dispatch_gate_blocks(coord *c, task_entry *t)
{
	order_gate *g;
	order_info *in;

	if (!sends(t) || (g = gate_of(c)) == NULL || !g->active ||
	    (in = info_of(c, g, t)) == NULL)
		return false;
	return limit_blocks(c, g, t, in) || order_blocks(c, g, t, in);
}

void
dispatch_gate_leave(coord *c, const task_entry *t, const char *dest)
{
	order_info *in = NULL;

	if (c->gate == NULL)
		return;
	HASH_FIND_STR(c->gate->tasks, t->id, in);
	if (in == NULL)
		return;
	HASH_DEL(c->gate->tasks, in);
	if (strcmp(dest, DIR_ERROR) == 0 && in->ordered) {
		HASH_ADD_STR(c->gate->failed, id, in);
		return;
	}
	info_free(in);
}

void
dispatch_gate_free(coord *c)
{
	order_info *in, *tmp;

	if (c->gate == NULL)
		return;
	HASH_ITER(hh, c->gate->tasks, in, tmp)
	{
		HASH_DEL(c->gate->tasks, in);
		info_free(in);
	}
	HASH_ITER(hh, c->gate->failed, in, tmp)
	{
		HASH_DEL(c->gate->failed, in);
		info_free(in);
	}
	free(c->gate);
	c->gate = NULL;
}
