/* router.c - a complete series becomes tasks. The decision is written
 * first (route_intent.h), then each task folder is built under
 * tasks/.build-<id> and renamed into place, then the series folder is
 * emptied. Every step is idempotent, so router_recover_intents() can
 * redo a decision that a killed coordinator left half done. Instances
 * that arrived while the series was routed (late images) are found in
 * the journal and start a new series: never deleted unrouted. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uuid/uuid.h>
#include <dirent.h>

#include "core/coord_int.h"
#include "core/dispatch_order.h"
#include "msg/journal.h"
#include "base/log.h"
#include "core/notify_request.h"
#include "core/route_intent.h"
#include "core/route_select.h"
#include "core/stream.h"
#include "os/sys_fs.h"
#include "tags/tags_json.h"

/* how long a series whose decision could not be written waits */
#define ROUTE_RETRY_MS 5000

void
coord_new_task_id(char out[TASK_ID_MAX_LEN + 1])
{
	uuid_t u;
	uuid_generate_time(u);
	uuid_unparse_lower(u, out);
}

bool
coord_task_exists(const coord *c, const char *id)
{
	static const char *const dirs[] = {
	    DIR_TASKS, DIR_SUCCESS, DIR_ERROR, DIR_DISCARD};
	char path[MC_PATH_MAX];

	for (size_t i = 0; i < 4; i++)
		if (coord_path(c, path, sizeof(path), dirs[i], id, NULL) ==
		        MC_OK &&
		    sys_exists(path))
			return true;
	return false;
}

mc_err
router_link_instances(coord *c, const route_intent *ri, const char *dir)
{
	char   src[MC_PATH_MAX], dst[MC_PATH_MAX], name[160];
	size_t missing = 0;

	for (size_t i = 0; i < ri->n_sops; i++) {
		snprintf(name, sizeof(name), "%s.dcm", ri->sops[i]);
		if (coord_path(c, src, sizeof(src), DIR_INCOMING, ri->series,
		        name) != MC_OK ||
		    sys_path_fmt(dst, sizeof(dst), "%s/%s#%s.dcm", dir,
		        ri->series, ri->sops[i]) != MC_OK)
			return MC_EINVAL;
		if (link(src, dst) == 0 || errno == EEXIST)
			continue;
		if (errno != ENOENT)
			return mc_from_errno(errno);
		missing++;
	}
	if (missing)
		log_warn("event=route.missing_files series=%s missing=%zu",
		    ri->series, missing);
	return MC_OK;
}

static mc_err
write_text(const char *dir, const char *name, const char *text)
{
	char path[MC_PATH_MAX];

	if (sys_path_fmt(path, sizeof(path), "%s/%s", dir, name) != MC_OK)
		return MC_EINVAL;
	/* the .build folder is private until its rename: no per-file rename */
	return sys_write_file_sync(path, text, strlen(text));
}

/* router_build_task - tasks/.build-<id>/{task.json,tags.json,in/} then
 * rename to <dest>/<id>. Nothing to do when the task exists in any
 * state. */
mc_err
router_build_task(coord *c, const route_intent *ri, const intent_entry *e)
{
	char   tmp[MC_PATH_MAX], in[MC_PATH_MAX], dst[MC_PATH_MAX];
	char   bname[64], *tags = NULL;
	mc_err rv;

	if (coord_task_exists(c, e->id))
		return MC_OK;
	snprintf(bname, sizeof(bname), ".build-%s", e->id);
	if ((rv = coord_path(c, tmp, sizeof(tmp), DIR_TASKS, bname, NULL)) ||
	    (rv = coord_path(c, dst, sizeof(dst), e->dest, e->id, NULL)) ||
	    (rv = sys_path_fmt(in, sizeof(in), "%s/in", tmp)))
		return rv;
	if ((rv = sys_remove_tree(tmp)) || (rv = sys_mkdir_p(in)) ||
	    (rv = write_text(tmp, TASK_JSON_NAME, e->task_json)) ||
	    (rv = tags_json_encode(ri->tags, &tags)) ||
	    (rv = write_text(tmp, TASK_TAGS_FILE, tags)) ||
	    (strcmp(e->dest, DIR_TASKS) == 0 &&
	        (rv = dispatch_order_write(ri, tmp))) ||
	    (rv = router_link_instances(c, ri, in)) ||
	    (rv = sys_fsync_path(in)) || (rv = sys_fsync_path(tmp)))
		goto done;
	if (rename(tmp, dst) != 0) {
		rv = mc_from_errno(errno);
		goto done;
	}
	sys_dirname_of(dst, tmp, sizeof(tmp));
	rv = sys_fsync_path(tmp);
done:
	free(tags);
	return rv;
}

/* execute - carry the decision out; the number of entries that failed
 * (their instances must then stay where they are) */
static size_t
execute(coord *c, const route_intent *ri)
{
	size_t failed = 0;

	for (size_t i = 0; i < ri->n_entries; i++) {
		const intent_entry *e = &ri->entries[i];
		mc_err              rv;

		if (e->study_rule[0]) {
			rv = study_add_series(c, e->study_rule, ri);
			if (rv != MC_OK) {
				failed++;
				log_error("event=study.add_failed series=%s "
				          "rule=%s err=%s",
				    ri->series, e->study_rule,
				    mc_strerror(rv));
			}
			continue;
		}
		if (e->stream) {
			failed += stream_finalize(c, ri, e) != MC_OK;
			continue;
		}
		rv = router_build_task(c, ri, e);
		if (rv != MC_OK) {
			failed++;
			log_error("event=task.build_failed series=%s task=%s "
			          "err=%s",
			    ri->series, e->id, mc_strerror(rv));
			continue;
		}
		if (strcmp(e->dest, DIR_TASKS) == 0 &&
		    tasks_enqueue(c, e->id) != MC_OK)
			log_error("event=task.enqueue_failed task=%s", e->id);
	}
	return failed;
}

typedef struct late_ctx {
	const route_intent *ri;
	coord              *c;
	size_t              n;
} late_ctx;

static bool
intent_has_sop(const route_intent *ri, const char *sop)
{
	for (size_t i = 0; i < ri->n_sops; i++)
		if (strcmp(ri->sops[i], sop) == 0)
			return true;
	return false;
}

static void
on_late_record(void *ctx, mc_instance *in)
{
	late_ctx *lc = ctx;
	char      path[MC_PATH_MAX];

	if (intent_has_sop(lc->ri, in->sop_uid) ||
	    coord_path(lc->c, path, sizeof(path), in->path, NULL, NULL) !=
	        MC_OK ||
	    !sys_exists(path))
		return;
	lc->n++;
	coord_add_instance(lc->c, in, true);
}

/* finish - empty the series folder of what was routed; instances that
 * arrived meanwhile become a new series. */
static void
finish(coord *c, const route_intent *ri)
{
	char     dir[MC_PATH_MAX], p[MC_PATH_MAX], q[MC_PATH_MAX];
	char     name[160];
	late_ctx lc = {ri, c, 0};

	if (coord_path(c, dir, sizeof(dir), DIR_INCOMING, ri->series, NULL))
		return;
	for (size_t i = 0; i < ri->n_sops; i++) {
		snprintf(name, sizeof(name), "%s.dcm", ri->sops[i]);
		if (sys_path_fmt(p, sizeof(p), "%s/%s", dir, name) == MC_OK)
			unlink(p);
		/* getdcmtags (storescp's or a C-GET's import) writes the
		 * tags beside the file; they go with it */
		snprintf(name, sizeof(name), "%s.tags", ri->sops[i]);
		if (sys_path_fmt(p, sizeof(p), "%s/%s", dir, name) == MC_OK)
			unlink(p);
	}
	/* before the late instances: they start a stream of their own */
	if (sys_path_fmt(p, sizeof(p), "%s/%s", dir, STREAM_INTENT_FILE) ==
	    MC_OK)
		unlink(p);
	if (sys_path_fmt(p, sizeof(p), "%s/%s", dir, JOURNAL_FILE_NAME) ==
	        MC_OK &&
	    sys_path_fmt(q, sizeof(q), "%s/.journal.routed", dir) == MC_OK &&
	    rename(p, q) == 0) {
		(void) !journal_read(q, on_late_record, &lc, NULL);
		unlink(q);
	}
	if (sys_path_fmt(p, sizeof(p), "%s/%s", dir, ROUTE_INTENT_FILE) ==
	    MC_OK)
		unlink(p);
	router_remove_leftovers(dir);
	rmdir(dir); /* fails while a late instance is in it: fine */
	if (lc.n)
		coord_event(c, "series.late_instances", ri->series, ri->study,
		    NULL, NULL, NULL, "instances arrived while routing");
}

void
router_remove_leftovers(const char *dir)
{
	DIR           *d = opendir(dir);
	struct dirent *de;
	char           p[MC_PATH_MAX];

	/* a coordinator killed while writing an intent leaves its temp file
	 * (.route.json.tmp.<pid>), one killed while reading the routed
	 * journal leaves .journal.routed: both are ours and dead */
	while (d && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, ROUTE_INTENT_FILE ".tmp.",
		        sizeof(ROUTE_INTENT_FILE ".tmp.") - 1) != 0 &&
		    strncmp(de->d_name, STREAM_INTENT_FILE ".tmp.",
		        sizeof(STREAM_INTENT_FILE ".tmp.") - 1) != 0 &&
		    strcmp(de->d_name, ".journal.routed") != 0)
			continue;
		if (sys_path_fmt(p, sizeof(p), "%s/%s", dir, de->d_name) ==
		    MC_OK)
			unlink(p);
	}
	if (d)
		closedir(d);
}

static const char *
kind_of(config_action a)
{
	switch (a) {
	case CONFIG_ACTION_ROUTE:
		return "dispatch";
	case CONFIG_ACTION_BOTH:
		return "both";
	case CONFIG_ACTION_PROCESS:
		return "process";
	case CONFIG_ACTION_NOTIFICATION:
		return "notification";
	default:
		return "discard";
	}
}

static bool
target_taken(const char *const *taken, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(taken[i], name) == 0)
			return true;
	return false;
}

mc_err
router_add_task_entry(coord *c, route_intent *ri, const config_rule *r,
    const char *const *triggered, size_t n_trig, const char **taken,
    size_t *n_taken, unsigned stream_idle_s)
{
	intent_entry *e = &ri->entries[ri->n_entries];
	task_spec     sp = {0};

	if (ri->n_entries == ROUTE_INTENT_MAX_ENTRIES)
		return MC_EINVAL;
	coord_new_task_id(e->id);
	snprintf(e->rule, sizeof(e->rule), "%s", r ? r->name : "");
	sp.id = e->id;
	sp.kind = r ? kind_of(r->action) : "discard";
	sp.uid = ri->series;
	sp.uid_type = "series";
	sp.series_uid = ri->series;
	sp.rule = r;
	sp.triggered = triggered;
	sp.n_triggered = n_trig;
	sp.tags = ri->tags;
	sp.cfg = c->cfg;
	sp.stream_idle_s = stream_idle_s;
	e->stream = stream_idle_s > 0;
	for (size_t i = 0; r && i < r->n_targets; i++) {
		const config_target *t = &c->cfg->targets[r->target_index[i]];
		/* mercure de-duplicates targets across the rules of a series
		 */
		if (r->action == CONFIG_ACTION_ROUTE &&
		    target_taken(taken, *n_taken, t->name))
			continue;
		if (sp.n_targets < TASK_TARGETS_MAX)
			sp.targets[sp.n_targets++] = t;
		if (*n_taken < TASK_TARGETS_MAX)
			taken[(*n_taken)++] = t->name;
	}
	if (r && r->action == CONFIG_ACTION_ROUTE && sp.n_targets == 0)
		return MC_OK; /* every target already covered by another rule
		               */
	snprintf(e->dest, sizeof(e->dest), "%s",
	    r == NULL || r->action == CONFIG_ACTION_DISCARD ? DIR_DISCARD
	    : r->action == CONFIG_ACTION_NOTIFICATION       ? DIR_SUCCESS
	                                                    : DIR_TASKS);
	if (task_json_build(&sp, &e->task_json) != MC_OK)
		return MC_ENOMEM;
	ri->n_entries++;
	return MC_OK;
}

mc_err
router_intent_head(route_intent *ri, const series *s)
{
	mc_err rv;

	memcpy(ri->series, s->uid, sizeof(ri->series));
	memcpy(ri->study, s->study_uid, sizeof(ri->study));
	ri->first_us = s->first_us;
	if ((rv = mc_tagset_create(&ri->tags)) != MC_OK)
		return rv;
	for (size_t k = 0; k < mc_tagset_count(s->tags); k++) {
		const mc_tag *t = mc_tagset_at(s->tags, k);
		if ((rv = mc_tagset_set(ri->tags, t->key, t->value)) != MC_OK)
			return rv;
	}
	return MC_OK;
}

static mc_err
plan(coord *c, series *s, route_intent *ri)
{
	route_selection  sel;
	const char      *trig[ROUTE_SELECT_MAX_RULES];
	const char      *taken[TASK_TARGETS_MAX];
	size_t           n_taken = 0;
	series_instance *i, *tmp;
	mc_err           rv;

	HASH_ITER(hh, s->instances, i, tmp)
	{
		if ((rv = route_intent_add_sop(ri, i->sop)) != MC_OK)
			return rv;
	}
	if ((rv = router_intent_head(ri, s)) != MC_OK)
		return rv;
	route_select(c->cfg, s->tags, &sel);
	if (sel.force_unknown) {
		/* the tag's text comes from outside: escaped for the log */
		char name[LOG_ESC_LEN(64)];
		log_error(
		    "event=route.force_rule_unknown series=%s rule=\"%s\""
		    " msg=\"mercureForceRule names no rule; discarded\"",
		    s->uid, log_esc(name, sizeof(name), sel.forced));
	} else if (sel.forced != NULL)
		log_info("event=route.force_rule series=%s rule=%s", s->uid,
		    sel.forced);
	/* the streams already sent: they end, whatever the rules say now */
	if ((rv = stream_plan(c, s, ri, taken, &n_taken)) != MC_OK)
		return rv;
	if (ri->n_entries > 0 && (sel.discard_rule || sel.n == 0))
		return MC_OK;
	if (sel.discard_rule || sel.n == 0) {
		const char *name =
		    sel.discard_rule ? sel.discard_rule->name : "";
		return router_add_task_entry(c, ri, sel.discard_rule, &name,
		    sel.discard_rule ? 1 : 0, taken, &n_taken, 0);
	}
	for (size_t k = 0; k < sel.n; k++)
		trig[k] = sel.triggered[k]->name;
	for (size_t k = 0; k < sel.n; k++) {
		const config_rule *r = sel.triggered[k];
		if (stream_has_rule(s, r->name))
			continue;
		if (r->action_trigger == CONFIG_TRIGGER_STUDY) {
			intent_entry *e = &ri->entries[ri->n_entries];
			if (ri->n_entries == ROUTE_INTENT_MAX_ENTRIES)
				break;
			snprintf(e->study_rule, sizeof(e->study_rule), "%s",
			    r->name);
			ri->n_entries++;
			continue;
		}
		if ((rv = router_add_task_entry(
		         c, ri, r, trig, sel.n, taken, &n_taken, 0)) != MC_OK)
			return rv;
	}
	return MC_OK;
}

static void
log_plan(coord *c, const route_intent *ri)
{
	for (size_t i = 0; i < ri->n_entries; i++) {
		const intent_entry *e = &ri->entries[i];
		if (e->study_rule[0]) {
			coord_event(c, "series.to_study", ri->series,
			    ri->study, NULL, e->study_rule, NULL, NULL);
			continue;
		}
		/* a stream task was made, and said so, at its first instance
		 */
		if (e->stream)
			continue;
		coord_event(c,
		    strcmp(e->dest, DIR_DISCARD) == 0 ? "task.discarded"
		                                      : "task.created",
		    ri->series, ri->study, e->id, e->rule, NULL, e->dest);
		if (e->rule[0] == '\0' || strcmp(e->dest, DIR_DISCARD) == 0)
			continue;
		notify_fire(
		    c, NOTIFY_RECEPTION, e->rule, e->id, ri->tags, NULL);
		if (strcmp(e->dest, DIR_SUCCESS) == 0) /* notification only */
			notify_fire(c, NOTIFY_COMPLETION, e->rule, e->id,
			    ri->tags, NULL);
	}
}

static void
remember_routed(coord *c, const char *uid)
{
	routed_series *r = NULL;

	HASH_FIND_STR(c->routed, uid, r);
	if (r == NULL && (r = calloc(1, sizeof(*r))) != NULL) {
		snprintf(r->uid, sizeof(r->uid), "%s", uid);
		HASH_ADD_STR(c->routed, uid, r);
	}
	if (r)
		r->when_us = sys_now_us();
}

void
router_route_series(coord *c, series *s)
{
	route_intent ri;
	char         path[MC_PATH_MAX];
	size_t       failed;
	mc_err       rv;

	route_intent_init(&ri);
	if ((rv = plan(c, s, &ri)) != MC_OK ||
	    (rv = coord_path(c, path, sizeof(path), DIR_INCOMING, s->uid,
	         ROUTE_INTENT_FILE)) != MC_OK ||
	    (rv = route_intent_write(&ri, path)) != MC_OK) {
		/* nothing happened yet: keep the series and try again in a
		 * while, not at once (a full disk stays full for a while, and
		 * a forced series would come straight back) */
		log_error("event=route.failed series=%s err=%s retry_ms=%d",
		    s->uid, mc_strerror(rv), ROUTE_RETRY_MS);
		route_intent_fini(&ri);
		s->forced = false;
		s->last_ms = loop_now_ms();
		series_table_set_timing(
		    c->series, s, s->quiet_ms, s->last_ms + ROUTE_RETRY_MS);
		return;
	}
	/* idle_ms: how long after its last instance the series completed,
	 * the cost of each completion signal (docs/performance.md) */
	log_info("event=series.complete series=%s study=%s instances=%zu "
	         "bytes=%llu tasks=%zu idle_ms=%lld",
	    s->uid, s->study_uid, s->n_instances,
	    (unsigned long long) s->bytes, ri.n_entries,
	    (long long) (loop_now_ms() - s->last_ms));
	log_plan(c, &ri);
	failed = execute(c, &ri);
	/* start the workers before emptying incoming/: the unlinks of a
	 * large series would otherwise delay dispatch by their count */
	tasks_dispatch(c);
	remember_routed(c, s->uid);
	series_table_remove(c->series, s);
	if (failed == 0)
		finish(c, &ri);
	else /* a full disk, say: the instances stay with the decision */
		log_error("event=route.incomplete series=%s failed=%zu "
		          "msg=\"instances and decision kept; the next scan "
		          "tries again\"",
		    ri.series, failed);
	route_intent_fini(&ri);
}

void
router_resume_intent(coord *c, const char *uid)
{
	char         path[MC_PATH_MAX];
	route_intent ri;

	if (uid[0] == '.' ||
	    coord_path(c, path, sizeof(path), DIR_INCOMING, uid,
	        ROUTE_INTENT_FILE) != MC_OK ||
	    !sys_exists(path))
		return;
	route_intent_init(&ri);
	if (route_intent_read(path, &ri) == MC_OK &&
	    strcmp(ri.series, uid) == 0) {
		size_t failed;
		log_info("event=route.resumed series=%s tasks=%zu", ri.series,
		    ri.n_entries);
		if ((failed = execute(c, &ri)) == 0)
			finish(c, &ri);
		else
			log_error("event=route.incomplete series=%s "
			          "failed=%zu msg=\"instances and decision "
			          "kept; the next scan tries again\"",
			    ri.series, failed);
	} else {
		/* a torn intent was never acted on: route afresh */
		unlink(path);
	}
	route_intent_fini(&ri);
}

void
router_recover_intents(coord *c)
{
	char           dir[MC_PATH_MAX];
	DIR           *d;
	struct dirent *de;

	if (coord_path(c, dir, sizeof(dir), DIR_INCOMING, NULL, NULL) !=
	        MC_OK ||
	    (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		router_resume_intent(c, de->d_name);
	closedir(d);
}
