/* stream.c - the stream tasks of a series (stream.h): decided at its
 * first instance with the rules' own semantics (route_select.h, on the
 * first instance's tags, as at completion), fed one instance at a time,
 * ended when the series completes. Each step is idempotent: a link that
 * exists is kept, a task that exists is not built again, so a restart
 * repeats them safely. */
#include "core/stream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "core/notify_request.h"
#include "core/route_select.h"
#include "os/sys_fs.h"

/* task_dir_of - where task id is while its stream can still grow: in
 * tasks/ (queued, running or waiting for a retry) or error/ (for an
 * operator's --retry). false when it is in neither. */
static bool
task_dir_of(coord *c, const char *id, char *dir, size_t len, bool *queued)
{
	*queued = coord_path(c, dir, len, DIR_TASKS, id, NULL) == MC_OK &&
	          sys_exists(dir);
	if (*queued)
		return true;
	return coord_path(c, dir, len, DIR_ERROR, id, NULL) == MC_OK &&
	       sys_exists(dir);
}

static unsigned
idle_s_of(const coord *c, const config_rule *r)
{
	uint32_t quiet = r->has_series_complete_trigger
	                     ? r->series_complete_trigger_s
	                     : c->cfg->series_complete_trigger_s;
	return (unsigned) quiet + STREAM_IDLE_MARGIN_S;
}

/* plan_streams - the stream entries of s's first instance into ri;
 * none when the series is discarded or no rule streams */
static mc_err
plan_streams(coord *c, const series *s, route_intent *ri)
{
	route_selection sel;
	const char     *trig[ROUTE_SELECT_MAX_RULES];
	const char     *taken[TASK_TARGETS_MAX];
	size_t          n_taken = 0;
	mc_err          rv;

	route_select(c->cfg, s->tags, &sel);
	if (sel.discard_rule || sel.n == 0)
		return MC_OK;
	if ((rv = router_intent_head(ri, s)) != MC_OK)
		return rv;
	for (size_t k = 0; k < sel.n; k++)
		trig[k] = sel.triggered[k]->name;
	for (size_t k = 0; k < sel.n; k++) {
		const config_rule *r = sel.triggered[k];
		if (!config_rule_streams(c->cfg, r))
			continue;
		if ((rv = router_add_task_entry(c, ri, r, trig, sel.n, taken,
		         &n_taken, idle_s_of(c, r))) != MC_OK)
			return rv;
	}
	return MC_OK;
}

static void
announce(coord *c, const route_intent *ri)
{
	for (size_t i = 0; i < ri->n_entries; i++) {
		const intent_entry *e = &ri->entries[i];
		coord_event(c, "task.created", ri->series, ri->study, e->id,
		    e->rule, NULL, "stream");
		notify_fire(
		    c, NOTIFY_RECEPTION, e->rule, e->id, ri->tags, NULL);
	}
}

/* start - s's streams: taken up from .stream.json, or decided now and
 * written there before any task exists */
static void
start(coord *c, series *s)
{
	char          path[MC_PATH_MAX];
	route_intent *ri = calloc(1, sizeof(*ri));
	bool          resumed = false;
	mc_err        rv;

	if (ri == NULL || coord_path(c, path, sizeof(path), DIR_INCOMING,
	                      s->uid, STREAM_INTENT_FILE) != MC_OK) {
		free(ri);
		return;
	}
	route_intent_init(ri);
	if (sys_exists(path)) {
		resumed = true;
		rv = route_intent_read(path, ri);
		if (rv == MC_OK && strcmp(ri->series, s->uid) != 0)
			rv = MC_EPARSE;
	} else {
		rv = plan_streams(c, s, ri);
		if (rv == MC_OK && ri->n_entries > 0)
			rv = route_intent_write(ri, path);
	}
	if (rv != MC_OK || ri->n_entries == 0) {
		if (rv != MC_OK) /* the series goes in series mode */
			log_error("event=stream.failed series=%s err=%s",
			    s->uid, mc_strerror(rv));
		route_intent_fini(ri);
		free(ri);
		return;
	}
	if (!resumed)
		announce(c, ri);
	for (size_t i = 0; i < ri->n_entries; i++) {
		const intent_entry *e = &ri->entries[i];
		char                dir[MC_PATH_MAX];
		bool                queued;
		/* in/ starts empty: the instances follow one by one */
		if ((rv = router_build_task(c, ri, e)) != MC_OK)
			log_error("event=task.build_failed series=%s task=%s "
			          "err=%s",
			    s->uid, e->id, mc_strerror(rv));
		else if (task_dir_of(c, e->id, dir, sizeof(dir), &queued) &&
		         queued && tasks_enqueue(c, e->id) != MC_OK)
			log_error("event=task.enqueue_failed task=%s", e->id);
		log_info("event=stream.task series=%s task=%s rule=%s", s->uid,
		    e->id, e->rule);
	}
	log_info("event=stream.%s series=%s tasks=%zu",
	    resumed ? "resumed" : "start", s->uid, ri->n_entries);
	s->stream = ri;
}

/* add - one new instance into every stream task of s */
static void
add(coord *c, const series *s, const char *sop)
{
	char src[MC_PATH_MAX], name[MC_UID_MAX_LEN * 2 + 8];
	char name_dcm[MC_UID_MAX_LEN + 8];

	snprintf(name_dcm, sizeof(name_dcm), "%s.dcm", sop);
	snprintf(name, sizeof(name), "%s#%s.dcm", s->uid, sop);
	if (coord_path(c, src, sizeof(src), DIR_INCOMING, s->uid, name_dcm) !=
	    MC_OK)
		return;
	for (size_t i = 0; i < s->stream->n_entries; i++) {
		const intent_entry *e = &s->stream->entries[i];
		char                dir[MC_PATH_MAX], dst[MC_PATH_MAX];
		char                list[MC_PATH_MAX], line[sizeof(name) + 1];
		bool                queued;
		mc_err              rv;

		if (!task_dir_of(c, e->id, dir, sizeof(dir), &queued) ||
		    sys_path_fmt(dst, sizeof(dst), "%s/in/%s", dir, name) !=
		        MC_OK ||
		    sys_path_fmt(list, sizeof(list), "%s/%s", dir,
		        STREAM_LIST_FILE) != MC_OK)
			continue;
		if (link(src, dst) != 0) {
			/* EEXIST: linked before a restart; listed or not,
			 * the end's listing of in/ finds it */
			if (errno != EEXIST)
				log_warn("event=stream.link_failed task=%s "
				         "sop=%s err=%s",
				    e->id, sop, strerror(errno));
			continue;
		}
		/* no flush: the list only wakes the worker early; in/ and
		 * stream.end are what count */
		snprintf(line, sizeof(line), "%s\n", name);
		if ((rv = sys_append(
		         list, line, strlen(line), SYS_SYNC_NONE)) != MC_OK)
			log_warn("event=stream.list_failed task=%s err=%s",
			    e->id, mc_strerror(rv));
	}
}

void
stream_on_instance(
    coord *c, series *s, const mc_instance *in, bool is_new, bool added)
{
	if (is_new && s->stream == NULL)
		start(c, s);
	if (s->stream == NULL || !added)
		return;
	add(c, s, in->sop_uid);
	if (is_new)
		tasks_dispatch(c); /* its worker starts with the first one */
}

bool
stream_has_rule(const series *s, const char *rule_name)
{
	for (size_t i = 0; s->stream && i < s->stream->n_entries; i++)
		if (strcmp(s->stream->entries[i].rule, rule_name) == 0)
			return true;
	return false;
}

/* drop_concluded - a stream task that concluded before its end (no
 * worker of ours does that; a task moved by hand may) no longer
 * receives: its rule then gets a task of the whole series */
static void
drop_concluded(coord *c, series *s)
{
	route_intent *st = s->stream;

	for (size_t i = 0; i < st->n_entries;) {
		char dir[MC_PATH_MAX];
		bool queued;
		if (task_dir_of(
		        c, st->entries[i].id, dir, sizeof(dir), &queued)) {
			i++;
			continue;
		}
		log_warn("event=stream.concluded_early series=%s task=%s "
		         "rule=%s msg=\"a task of the whole series follows\"",
		    s->uid, st->entries[i].id, st->entries[i].rule);
		free(st->entries[i].task_json);
		memmove(&st->entries[i], &st->entries[i + 1],
		    (st->n_entries - i - 1) * sizeof(st->entries[0]));
		st->n_entries--;
	}
}

mc_err
stream_plan(
    coord *c, series *s, route_intent *ri, const char **taken, size_t *n_taken)
{
	if (s->stream)
		drop_concluded(c, s);
	for (size_t i = 0; s->stream && i < s->stream->n_entries; i++) {
		const intent_entry *from = &s->stream->entries[i];
		intent_entry       *e = &ri->entries[ri->n_entries];
		const config_rule  *r = config_find_rule(c->cfg, from->rule);

		if (ri->n_entries == ROUTE_INTENT_MAX_ENTRIES)
			return MC_EINVAL;
		*e = *from;
		if (from->task_json &&
		    (e->task_json = strdup(from->task_json)) == NULL)
			return MC_ENOMEM;
		ri->n_entries++;
		for (size_t k = 0; r && k < r->n_targets; k++)
			if (*n_taken < TASK_TARGETS_MAX)
				taken[(*n_taken)++] = r->targets[k];
	}
	return MC_OK;
}

mc_err
stream_finalize(coord *c, const route_intent *ri, const intent_entry *e)
{
	char   dir[MC_PATH_MAX], in[MC_PATH_MAX], end[MC_PATH_MAX];
	char   text[64];
	bool   queued = false;
	mc_err rv;

	/* never built (its build failed at the start): built whole now */
	if (!task_dir_of(c, e->id, dir, sizeof(dir), &queued) &&
	    !coord_task_exists(c, e->id) &&
	    (rv = router_build_task(c, ri, e)) != MC_OK) {
		log_error("event=task.build_failed series=%s task=%s err=%s",
		    ri->series, e->id, mc_strerror(rv));
		return rv;
	}
	if (!queued && !task_dir_of(c, e->id, dir, sizeof(dir), &queued)) {
		log_warn("event=stream.end_skipped series=%s task=%s "
		         "msg=\"task already concluded\"",
		    ri->series, e->id);
		return MC_OK;
	}
	snprintf(text, sizeof(text), "{\"instances\":%zu}\n", ri->n_sops);
	if ((rv = sys_path_fmt(in, sizeof(in), "%s/in", dir)) != MC_OK ||
	    (rv = sys_path_fmt(
	         end, sizeof(end), "%s/%s", dir, STREAM_END_FILE)) != MC_OK ||
	    (rv = router_link_instances(c, ri, in)) != MC_OK ||
	    (rv = sys_fsync_path(in)) != MC_OK ||
	    (rv = sys_write_file_atomic(end, text, strlen(text))) != MC_OK) {
		log_error("event=stream.end_failed series=%s task=%s err=%s",
		    ri->series, e->id, mc_strerror(rv));
		return rv;
	}
	snprintf(text, sizeof(text), "instances=%zu", ri->n_sops);
	coord_event(c, "task.stream_end", ri->series, ri->study, e->id,
	    e->rule, NULL, text);
	if (queued && tasks_enqueue(c, e->id) != MC_OK)
		log_error("event=task.enqueue_failed task=%s", e->id);
	return MC_OK;
}
