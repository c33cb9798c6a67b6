/* reconcile.c - the file system is the source of truth. At start, and
 * every COORD_RECONCILE_INTERVAL_MS, incoming/ is compared with the
 * series table: a series folder whose instances the table does not know
 * (a message lost, a coordinator restarted) is read back from its
 * journal, and a .dcm that no journal record names is read from its
 * DICOM header. tasks/ is read once at start: queued tasks are queued
 * again, finished ones are concluded, running ones are waited for. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/coord_int.h"
#include "core/series_complete.h"
#include "core/stream.h"
#include "dcm/dcm_glue.h"
#include "msg/journal.h"
#include "base/log.h"
#include "os/sys_fs.h"
#include "tags/tags_json.h"
#include "tags/uid.h"

/* path_is_expected - a message's path is the one its UIDs name, so a
 * message (from any peer that reaches the coordinator's socket) can
 * never make a file outside incoming/ part of a series */
static bool
path_is_expected(const mc_instance *in)
{
	char want[sizeof(in->path)];

	return uid_is_valid(in->series_uid) && uid_is_valid(in->sop_uid) &&
	       sys_path_fmt(want, sizeof(want), "%s/%s/%s.dcm", DIR_INCOMING,
	           in->series_uid, in->sop_uid) == MC_OK &&
	       strcmp(want, in->path) == 0;
}

/* record_tags - the series' first tags in the audit trail, so that a
 * history search by patient, MRN or accession number finds it */
static void
record_tags(coord *c, const series *s)
{
	char *json = NULL;

	if (s->tags == NULL || tags_json_encode(s->tags, &json) != MC_OK)
		return;
	bookkeeping_series(c->bk, s->uid, s->study_uid, json);
	free(json);
}

void
coord_add_instance(coord *c, mc_instance *in, bool from_scan)
{
	series *s;
	bool    added,
	    is_new = series_table_find(c->series, in->series_uid) == NULL;

	if (!from_scan && !path_is_expected(in)) {
		c->n_bad_messages++;
		log_warn("event=message.dropped series=%s sop=%s msg=\"path "
		         "is not incoming/<series>/<sop>.dcm\"",
		    uid_is_valid(in->series_uid) ? in->series_uid : "-",
		    uid_is_valid(in->sop_uid) ? in->sop_uid : "-");
		return;
	}
	if (is_new && !from_scan) {
		/* a message may arrive after its series was routed by the
		 * scan: the file is gone then, and so is the instance */
		char path[MC_PATH_MAX];
		if (coord_path(c, path, sizeof(path), in->path, NULL, NULL) !=
		        MC_OK ||
		    !sys_exists(path))
			return;
	}
	if (series_table_add(c->series, in, loop_now_ms(), &s, &added) !=
	    MC_OK) {
		log_error("event=series.add_failed series=%s sop=%s",
		    in->series_uid, in->sop_uid);
		return;
	}
	if (is_new) {
		routed_series *r = NULL;
		HASH_FIND_STR(c->routed, s->uid, r);
		coord_event(c, r ? "series.late" : "series.received", s->uid,
		    s->study_uid, NULL, NULL, NULL,
		    mc_tagset_get(s->tags, "SenderAET"));
		record_tags(c, s);
	}
	stream_on_instance(c, s, in, is_new, added);
	series_complete_on_instance(c, s, added);
}

typedef struct scan_ctx {
	coord *c;
	size_t n;
} scan_ctx;

static void
on_record(void *ctx, mc_instance *in)
{
	scan_ctx *sc = ctx;
	char      path[MC_PATH_MAX];

	if (coord_path(sc->c, path, sizeof(path), in->path, NULL, NULL) !=
	        MC_OK ||
	    !sys_exists(path))
		return; /* routed already, or replaced */
	coord_add_instance(sc->c, in, true);
	sc->n++;
}

/* add_from_header - a .dcm no journal record names: read its header */
static void
add_from_header(coord *c, const char *series_uid, const char *file)
{
	char        path[MC_PATH_MAX], err[128];
	mc_instance in;
	bool        warn;

	mc_instance_init(&in);
	if (coord_path(
	        c, path, sizeof(path), DIR_INCOMING, series_uid, file) ||
	    mc_tagset_create(&in.tags) != MC_OK ||
	    dcm_extract_tags(path, NULL, in.tags, &warn, err, sizeof(err)) !=
	        MC_OK) {
		log_warn(
		    "event=reconcile.unreadable series=%s file=%s msg=\"%.200s\"",
		    series_uid, file, err);
		mc_instance_fini(&in);
		return;
	}
	mc_copy_text(in.series_uid, sizeof(in.series_uid),
	    mc_tagset_get(in.tags, "SeriesInstanceUID"));
	mc_copy_text(in.study_uid, sizeof(in.study_uid),
	    mc_tagset_get(in.tags, "StudyInstanceUID"));
	mc_copy_text(in.sop_uid, sizeof(in.sop_uid),
	    mc_tagset_get(in.tags, "SOPInstanceUID"));
	in.recv_time_us = sys_now_us();
	if (sys_path_fmt(in.path, sizeof(in.path), "%s/%s/%s", DIR_INCOMING,
	        series_uid, file) == MC_OK &&
	    strcmp(in.series_uid, series_uid) == 0 &&
	    uid_is_valid(in.sop_uid) && uid_is_valid(in.study_uid))
		coord_add_instance(c, &in, true);
	mc_instance_fini(&in);
}

static void
scan_series_dir(coord *c, const char *uid)
{
	char           dir[MC_PATH_MAX], path[MC_PATH_MAX];
	DIR           *d;
	struct dirent *de;
	scan_ctx       sc = {c, 0};
	series        *s = series_table_find(c->series, uid);
	size_t         n_dcm = 0, bad = 0;

	/* a decision a failed step left (a full disk): carried out first,
	 * so that its instances are not taken for a new series */
	router_resume_intent(c, uid);
	s = series_table_find(c->series, uid);
	if (coord_path(c, dir, sizeof(dir), DIR_INCOMING, uid, NULL) ||
	    (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && strstr(de->d_name, ".dcm"))
			n_dcm++;
	if (n_dcm == 0 && s == NULL) {
		/* no instance left and none open: what remains is a journal
		 * of routed instances and our own leftovers; an instance
		 * arriving meanwhile is found from its header next time */
		closedir(d);
		if (coord_path(c, path, sizeof(path), DIR_INCOMING, uid,
		        ROUTE_INTENT_FILE) == MC_OK &&
		    sys_exists(path))
			return;
		router_remove_leftovers(dir);
		if (coord_path(c, path, sizeof(path), DIR_INCOMING, uid,
		        JOURNAL_FILE_NAME) == MC_OK)
			unlink(path);
		if (rmdir(dir) == 0)
			log_info("event=reconcile.emptied series=%s", uid);
		return;
	}
	if (n_dcm == 0 || (s && s->n_instances >= n_dcm)) {
		closedir(d);
		return; /* nothing the table does not know */
	}
	if (coord_path(c, path, sizeof(path), DIR_INCOMING, uid,
	        JOURNAL_FILE_NAME) == MC_OK)
		(void) !journal_read(path, on_record, &sc, &bad);
	s = series_table_find(c->series, uid);
	if (s == NULL || s->n_instances < n_dcm) {
		rewinddir(d);
		while ((de = readdir(d)) != NULL) {
			char  sop[MC_UID_MAX_LEN + 8];
			char *dot;
			if (de->d_name[0] == '.' ||
			    (dot = strstr(de->d_name, ".dcm")) == NULL ||
			    (size_t) (dot - de->d_name) > MC_UID_MAX_LEN)
				continue;
			snprintf(sop, sizeof(sop), "%.*s",
			    (int) (dot - de->d_name), de->d_name);
			s = series_table_find(c->series, uid);
			if (s == NULL || series_find_instance(s, sop) == NULL)
				add_from_header(c, uid, de->d_name);
		}
	}
	closedir(d);
	if (sc.n || bad)
		log_info("event=reconcile.series series=%s from_journal=%zu "
		         "bad_lines=%zu",
		    uid, sc.n, bad);
}

void
reconcile_incoming(coord *c)
{
	char           dir[MC_PATH_MAX];
	DIR           *d;
	struct dirent *de;

	if (coord_path(c, dir, sizeof(dir), DIR_INCOMING, NULL, NULL) ||
	    (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (!uid_is_valid(de->d_name))
			continue; /* ".", "..", "error" and strangers */
		scan_series_dir(c, de->d_name);
	}
	closedir(d);
}

/* restore_study_build - a study that was being turned into a task when
 * the coordinator died goes back to studies/ */
static bool
restore_study_build(coord *c, const char *build)
{
	char        in[MC_PATH_MAX], a[MC_PATH_MAX], b[MC_PATH_MAX];
	char        key[256], *text = NULL, tj[MC_PATH_MAX];
	size_t      len;
	const char *names[] = {"study.json", TASK_TAGS_FILE};

	if (sys_path_fmt(in, sizeof(in), "%s/in", build) != MC_OK ||
	    sys_path_fmt(tj, sizeof(tj), "%s/%s", build, TASK_JSON_NAME) !=
	        MC_OK ||
	    sys_exists(tj))
		return false;
	for (size_t i = 0; i < 2; i++)
		if (sys_path_fmt(a, sizeof(a), "%s/%s", build, names[i]) ==
		        MC_OK &&
		    sys_path_fmt(b, sizeof(b), "%s/%s", in, names[i]) == MC_OK)
			rename(a, b);
	if (sys_path_fmt(a, sizeof(a), "%s/study.json", in) != MC_OK ||
	    sys_read_file(a, &text, &len) != MC_OK)
		return false;
	{
		mc_tagset *t = NULL;
		char       err[64];
		bool       ok = mc_tagset_create(&t) == MC_OK &&
		          tags_json_decode(
		              text, len, t, NULL, err, sizeof(err)) == MC_OK &&
		          mc_tagset_get(t, "study_uid") &&
		          mc_tagset_get(t, "rule");
		if (ok)
			snprintf(key, sizeof(key), "%s#%s",
			    mc_tagset_get(t, "study_uid"),
			    mc_tagset_get(t, "rule"));
		mc_tagset_destroy(t);
		free(text);
		if (!ok || coord_path(c, b, sizeof(b), DIR_STUDIES, key, NULL))
			return false;
	}
	if (rename(in, b) != 0)
		return false;
	log_info("event=study.restored study_key=%s", key);
	return true;
}

void
reconcile_tasks(coord *c)
{
	char           dir[MC_PATH_MAX], sub[MC_PATH_MAX];
	DIR           *d;
	struct dirent *de;

	if (coord_path(c, dir, sizeof(dir), DIR_TASKS, NULL, NULL) ||
	    (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		task_entry *t = NULL;
		if (de->d_name[0] == '.' &&
		    strncmp(de->d_name, ".build-", 7) == 0) {
			if (sys_path_fmt(sub, sizeof(sub), "%s/%s", dir,
			        de->d_name) == MC_OK &&
			    !restore_study_build(c, sub))
				(void) !sys_remove_tree(sub);
			continue;
		}
		if (de->d_name[0] == '.' ||
		    tasks_enqueue(c, de->d_name) != MC_OK)
			continue;
		/* a worker from before may still run, or may have finished:
		 * the orphan check decides once its lock is free */
		HASH_FIND_STR(c->tasks, de->d_name, t);
		if (t)
			t->state = TASK_ORPHANED;
	}
	closedir(d);
	tasks_check_orphans(c);
}

mc_err
router_reroute(coord *c, const char *id, char *msg, size_t len)
{
	char           dir[MC_PATH_MAX], in[MC_PATH_MAX], tp[MC_PATH_MAX];
	char          *text = NULL;
	size_t         tlen, n = 0, replaced = 0;
	DIR           *d;
	struct dirent *de;
	mc_tagset     *tags = NULL;
	mc_err         rv;

	if (!task_id_is_valid(id)) {
		snprintf(msg, len, "not a valid task id (a UUID)");
		return MC_EINVAL;
	}
	if ((rv = coord_path(c, dir, sizeof(dir), DIR_DISCARD, id, NULL)) ||
	    (rv = sys_path_fmt(in, sizeof(in), "%s/in", dir)) ||
	    (rv = sys_path_fmt(tp, sizeof(tp), "%s/%s", dir, TASK_TAGS_FILE)))
		return rv;
	if (sys_read_file(tp, &text, &tlen) != MC_OK ||
	    mc_tagset_create(&tags) != MC_OK ||
	    tags_json_decode(text, tlen, tags, &replaced, msg, len) != MC_OK ||
	    (d = opendir(in)) == NULL) {
		snprintf(msg, len, "no readable task %s in discard/", id);
		free(text);
		mc_tagset_destroy(tags);
		return MC_ENOENT;
	}
	free(text);
	if (replaced > 0)
		log_warn(
		    "event=reroute.tags_not_utf8 task=%s replaced=%zu"
		    " msg=\"bytes of %s that are not UTF-8 read as U+FFFD\"",
		    id, replaced, TASK_TAGS_FILE);
	while ((de = readdir(d)) != NULL) {
		/* <SeriesUID>#<SOPUID>.dcm, as the router named them */
		char  series_uid[MC_UID_MAX_LEN + 1], sop[MC_UID_MAX_LEN + 1];
		char  src[MC_PATH_MAX], dst[MC_PATH_MAX], jp[MC_PATH_MAX];
		char *hash = strchr(de->d_name, '#'), *dot;
		mc_instance inst;
		if (hash == NULL || (dot = strstr(hash, ".dcm")) == NULL ||
		    hash - de->d_name > MC_UID_MAX_LEN ||
		    dot - hash - 1 > MC_UID_MAX_LEN)
			continue;
		snprintf(series_uid, sizeof(series_uid), "%.*s",
		    (int) (hash - de->d_name), de->d_name);
		snprintf(sop, sizeof(sop), "%.*s", (int) (dot - hash - 1),
		    hash + 1);
		if (!uid_is_valid(series_uid) || !uid_is_valid(sop))
			continue;
		mc_instance_init(&inst);
		mc_copy_text(
		    inst.series_uid, sizeof(inst.series_uid), series_uid);
		mc_copy_text(inst.sop_uid, sizeof(inst.sop_uid), sop);
		mc_copy_text(inst.study_uid, sizeof(inst.study_uid),
		    mc_tagset_get(tags, "StudyInstanceUID"));
		snprintf(inst.path, sizeof(inst.path), "%s/%s/%s.dcm",
		    DIR_INCOMING, series_uid, sop);
		if (sys_path_fmt(src, sizeof(src), "%s/%s", in, de->d_name) ||
		    coord_path(
		        c, dst, sizeof(dst), DIR_INCOMING, series_uid, NULL) ||
		    sys_mkdir_p(dst) != MC_OK ||
		    coord_path(c, dst, sizeof(dst), inst.path, NULL, NULL) ||
		    coord_path(c, jp, sizeof(jp), DIR_INCOMING, series_uid,
		        JOURNAL_FILE_NAME) ||
		    rename(src, dst) != 0)
			continue;
		inst.recv_time_us = sys_now_us();
		inst.tags = tags; /* borrowed for the journal record */
		(void) !journal_append(jp, &inst, SYS_SYNC_DATA);
		inst.tags = NULL;
		if (mc_tagset_create(&inst.tags) == MC_OK)
			for (size_t k = 0; k < mc_tagset_count(tags); k++)
				(void) !mc_tagset_set(inst.tags,
				    mc_tagset_at(tags, k)->key,
				    mc_tagset_at(tags, k)->value);
		coord_add_instance(c, &inst, true);
		mc_instance_fini(&inst);
		n++;
		{
			series *s = series_table_find(c->series, series_uid);
			if (s)
				series_table_force(c->series, s);
		}
	}
	closedir(d);
	mc_tagset_destroy(tags);
	(void) !sys_remove_tree(dir);
	coord_event(c, "task.rerouted", NULL, NULL, id, NULL, NULL, NULL);
	snprintf(msg, len,
	    "task %s: %zu instances sent through the rules "
	    "again",
	    id, n);
	return MC_OK;
}
