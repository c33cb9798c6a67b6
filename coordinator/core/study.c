/* study.c - study-level rules: series collect per (StudyInstanceUID,
 * rule) in studies/<StudyUID>#<rule>/ (hard links, mercure's names, and
 * study.json), and the study completes by timeout, by its required
 * series, or by force, with mercure's discard/proceed/ignore policy
 * (docs/coordinator.md, as mercure does it). Completing moves the whole folder
 * into a task's in/ with one rename. */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/coord_int.h"
#include "base/log.h"
#include "core/route_intent.h"
#include "os/sys_fs.h"
#include "tags/tags_json.h"

#define STUDY_JSON_FILE "study.json"
#define STUDY_SERIES_MAX 512

static void
study_key(char *buf, size_t len, const char *study_uid, const char *rname)
{
	snprintf(buf, len, "%s#%s", study_uid, rname);
}

static json_t *
study_load(const char *dir)
{
	char path[MC_PATH_MAX];

	if (sys_path_fmt(path, sizeof(path), "%s/%s", dir, STUDY_JSON_FILE))
		return NULL;
	return json_load_file(path, 0, NULL);
}

static mc_err
study_save(const char *dir, json_t *o)
{
	char   path[MC_PATH_MAX], *text;
	mc_err rv;

	if (sys_path_fmt(path, sizeof(path), "%s/%s", dir, STUDY_JSON_FILE))
		return MC_EINVAL;
	if ((text = json_dumps(o, JSON_INDENT(2))) == NULL)
		return MC_ENOMEM;
	rv = sys_write_file_atomic(path, text, strlen(text));
	free(text);
	return rv;
}

static study *
study_track(coord *c, const char *key, json_t *o)
{
	study      *st = NULL;
	const char *uid = json_string_value(json_object_get(o, "study_uid"));
	const char *rname = json_string_value(json_object_get(o, "rule"));

	HASH_FIND_STR(c->studies, key, st);
	if (st == NULL) {
		if ((st = calloc(1, sizeof(*st))) == NULL)
			return NULL;
		snprintf(st->key, sizeof(st->key), "%s", key);
		HASH_ADD_STR(c->studies, key, st);
	}
	snprintf(st->study_uid, sizeof(st->study_uid), "%s", uid ? uid : "");
	snprintf(st->rule, sizeof(st->rule), "%s", rname ? rname : "");
	st->created_us = json_integer_value(json_object_get(o, "created_us"));
	st->last_us = json_integer_value(json_object_get(o, "last_us"));
	st->forced =
	    st->forced || json_is_true(json_object_get(o, "complete_force"));
	return st;
}

static bool
has_series(json_t *uids, const char *uid)
{
	size_t  i;
	json_t *v;

	json_array_foreach(uids, i, v)
	{
		if (strcmp(json_string_value(v) ? json_string_value(v) : "",
		        uid) == 0)
			return true;
	}
	return false;
}

mc_err
study_add_series(coord *c, const char *rname, const route_intent *ri)
{
	char        dir[MC_PATH_MAX], key[256], *tags = NULL, tp[MC_PATH_MAX];
	json_t     *o;
	const char *desc = mc_tagset_get(ri->tags, "SeriesDescription");
	int64_t     now = sys_now_us();
	mc_err      rv;

	study_key(key, sizeof(key), ri->study, rname);
	if ((rv = coord_path(c, dir, sizeof(dir), DIR_STUDIES, key, NULL)) ||
	    (rv = sys_mkdir_p(dir)) ||
	    (rv = router_link_instances(c, ri, dir)))
		return rv;
	if ((o = study_load(dir)) == NULL) {
		o = json_object();
		json_object_set_new(o, "study_uid", json_string(ri->study));
		json_object_set_new(o, "rule", json_string(rname));
		json_object_set_new(o, "created_us", json_integer(now));
		json_object_set_new(o, "received_series", json_array());
		json_object_set_new(o, "received_series_uid", json_array());
		json_object_set_new(o, "complete_force", json_false());
		if (tags_json_encode(ri->tags, &tags) == MC_OK &&
		    sys_path_fmt(
		        tp, sizeof(tp), "%s/%s", dir, TASK_TAGS_FILE) == MC_OK)
			(void) !sys_write_file_atomic(tp, tags, strlen(tags));
		free(tags);
	}
	if (!has_series(
	        json_object_get(o, "received_series_uid"), ri->series)) {
		json_array_append_new(json_object_get(o, "received_series"),
		    json_string(desc && *desc ? desc : "#@INVALID@#"));
		json_array_append_new(
		    json_object_get(o, "received_series_uid"),
		    json_string(ri->series));
	}
	json_object_set_new(o, "last_us", json_integer(now));
	rv = study_save(dir, o);
	if (rv == MC_OK && study_track(c, key, o) == NULL)
		rv = MC_ENOMEM;
	json_decref(o);
	return rv;
}

/* series_match - mercure: each quoted name in study_trigger_series is a
 * case-insensitive substring test against the received descriptions. */
static bool
series_match(const config_rule *r, json_t *received)
{
	const char *descs[STUDY_SERIES_MAX];
	size_t      n = 0, i;
	json_t     *v;

	json_array_foreach(received, i, v)
	{
		if (n < STUDY_SERIES_MAX && json_string_value(v))
			descs[n++] = json_string_value(v);
	}
	return rule_series_match(r->series_compiled, descs, n);
}

static bool
study_has_open_series(coord *c, const char *study_uid)
{
	for (series *s = series_table_first(c->series); s; s = series_next(s))
		if (strcmp(s->study_uid, study_uid) == 0)
			return true;
	return false;
}

static json_t *
mercure_study_object(const config_rule *r, json_t *o, bool forced)
{
	json_t *s = json_object();
	char    buf[32];
	time_t  t;

	json_object_set_new(
	    s, "study_uid", json_copy(json_object_get(o, "study_uid")));
	json_object_set_new(s, "complete_trigger",
	    json_string(
	        r ? config_study_condition_str(r->study_trigger_condition)
	          : "timeout"));
	json_object_set_new(s, "complete_required_series",
	    json_string(r ? r->study_trigger_series : ""));
	t = (time_t) (json_integer_value(json_object_get(o, "created_us")) /
	              1000000);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", localtime(&t));
	json_object_set_new(s, "creation_time", json_string(buf));
	t = (time_t) (json_integer_value(json_object_get(o, "last_us")) /
	              1000000);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", localtime(&t));
	json_object_set_new(s, "last_receive_time", json_string(buf));
	json_object_set_new(s, "received_series",
	    json_copy(json_object_get(o, "received_series")));
	json_object_set_new(s, "received_series_uid",
	    json_copy(json_object_get(o, "received_series_uid")));
	json_object_set_new(s, "complete_force", json_boolean(forced));
	json_object_set_new(s, "complete_force_action",
	    json_string(
	        r ? config_force_action_str(r->study_force_completion_action)
	          : "discard"));
	return s;
}

static void
move_up(const char *in, const char *build, const char *name)
{
	char a[MC_PATH_MAX], b[MC_PATH_MAX];

	if (sys_path_fmt(a, sizeof(a), "%s/%s", in, name) == MC_OK &&
	    sys_path_fmt(b, sizeof(b), "%s/%s", build, name) == MC_OK)
		rename(a, b);
}

/* complete - the study folder becomes tasks/<id>/in (or discard/<id>/in) */
static void
complete(coord *c, study *st, const config_rule *r, json_t *o, bool discard)
{
	char        id[TASK_ID_MAX_LEN + 1], build[MC_PATH_MAX], bname[64];
	char        src[MC_PATH_MAX], in[MC_PATH_MAX], dst[MC_PATH_MAX];
	char        tp[MC_PATH_MAX], *tj = NULL, *sj;
	size_t      len;
	mc_tagset  *tags = NULL;
	char       *text = NULL;
	task_spec   sp = {0};
	json_t     *so = mercure_study_object(r, o, st->forced);
	const char *name = r ? r->name : st->rule;

	coord_new_task_id(id);
	snprintf(bname, sizeof(bname), ".build-%s", id);
	if (coord_path(c, build, sizeof(build), DIR_TASKS, bname, NULL) ||
	    coord_path(c, src, sizeof(src), DIR_STUDIES, st->key, NULL) ||
	    coord_path(c, dst, sizeof(dst), discard ? DIR_DISCARD : DIR_TASKS,
	        id, NULL) ||
	    sys_path_fmt(in, sizeof(in), "%s/in", build) ||
	    sys_mkdir_p(build) != MC_OK || rename(src, in) != 0) {
		log_error("event=study.complete_failed study=%s rule=%s",
		    st->study_uid, st->rule);
		json_decref(so);
		return;
	}
	/* in/ holds only instances: the bookkeeping files go up a level */
	move_up(in, build, STUDY_JSON_FILE);
	move_up(in, build, TASK_TAGS_FILE);
	(void) !sys_path_fmt(tp, sizeof(tp), "%s/%s", build, TASK_TAGS_FILE);
	if (mc_tagset_create(&tags) == MC_OK &&
	    sys_read_file(tp, &text, &len) == MC_OK)
		(void) !tags_json_decode(
		    text, len, tags, NULL, tp, sizeof(tp));
	sj = json_dumps(so, JSON_COMPACT);
	sp.id = id;
	sp.kind = discard                                 ? "discard"
	          : r && r->action == CONFIG_ACTION_ROUTE ? "dispatch"
	          : r && r->action == CONFIG_ACTION_BOTH  ? "both"
	                                                  : "process";
	sp.uid = st->study_uid;
	sp.uid_type = "study";
	sp.rule = r;
	sp.triggered = &name;
	sp.n_triggered = 1;
	sp.tags = tags;
	sp.cfg = c->cfg;
	sp.study_json = sj;
	for (size_t i = 0;
	     r && !discard && i < r->n_targets && i < TASK_TARGETS_MAX; i++)
		sp.targets[sp.n_targets++] =
		    &c->cfg->targets[r->target_index[i]];
	if (task_json_build(&sp, &tj) == MC_OK &&
	    sys_path_fmt(tp, sizeof(tp), "%s/%s", build, TASK_JSON_NAME) ==
	        MC_OK &&
	    sys_write_file_atomic(tp, tj, strlen(tj)) == MC_OK &&
	    rename(build, dst) == 0) {
		coord_event(c, discard ? "study.discarded" : "study.complete",
		    NULL, st->study_uid, id, st->rule, NULL, NULL);
		if (!discard)
			(void) tasks_enqueue(c, id);
		HASH_DEL(c->studies, st);
		free(st);
	} else {
		log_error("event=study.task_failed study=%s task=%s",
		    st->study_uid, id);
	}
	free(tj);
	free(sj);
	free(text);
	mc_tagset_destroy(tags);
	json_decref(so);
}

static void
check_one(coord *c, study *st, int64_t now)
{
	const config_rule *r = config_find_rule(c->cfg, st->rule);
	const mc_config   *cfg = c->cfg;
	char               dir[MC_PATH_MAX];
	json_t            *o;
	bool               done = st->forced;

	if (coord_path(c, dir, sizeof(dir), DIR_STUDIES, st->key, NULL) ||
	    (o = study_load(dir)) == NULL)
		return;
	if (!done && r &&
	    r->study_trigger_condition == CONFIG_STUDY_RECEIVED_SERIES &&
	    r->series_compiled)
		done = series_match(r, json_object_get(o, "received_series"));
	else if (!done)
		done = now > st->last_us +
		                 (int64_t) cfg->study_complete_trigger_s *
		                     1000000 &&
		       !study_has_open_series(c, st->study_uid);
	if (done) {
		complete(c, st, r, o, false);
	} else if (now > st->created_us +
	                     (int64_t) cfg->study_forcecomplete_trigger_s *
	                         1000000) {
		config_force_action a = r ? r->study_force_completion_action
		                          : CONFIG_FORCE_DISCARD;
		if (a == CONFIG_FORCE_DISCARD)
			complete(c, st, r, o, true);
		else if (a == CONFIG_FORCE_PROCEED) {
			st->forced = true;
			complete(c, st, r, o, false);
		}
	}
	json_decref(o);
}

void
study_check(coord *c)
{
	study  *st, *tmp;
	int64_t now = sys_now_us();

	HASH_ITER(hh, c->studies, st, tmp)
	check_one(c, st, now);
}

bool
study_force(coord *c, const char *study_uid)
{
	study *st, *tmp;
	bool   any = false;

	HASH_ITER(hh, c->studies, st, tmp)
	{
		if (strcmp(st->study_uid, study_uid) == 0) {
			st->forced = true;
			any = true;
		}
	}
	return any;
}

void
study_recover(coord *c)
{
	char           dir[MC_PATH_MAX], sd[MC_PATH_MAX];
	DIR           *d;
	struct dirent *de;

	if (coord_path(c, dir, sizeof(dir), DIR_STUDIES, NULL, NULL) ||
	    (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		json_t *o;
		if (de->d_name[0] == '.' ||
		    sys_path_fmt(sd, sizeof(sd), "%s/%s", dir, de->d_name) ||
		    (o = study_load(sd)) == NULL)
			continue;
		(void) study_track(c, de->d_name, o);
		json_decref(o);
	}
	closedir(d);
}
