/* http_loop_qr.c - the loop's side of query/retrieve in the API
 * (http_loop_qr.h). A retrieval runs as `mercure-coordinator --config F
 * --retrieve ...`, started here with sys_spawn as the notification
 * workers are: the loop reaps every child (the local scheduler, or
 * coord's slow tick), so no other thread may start or wait for one. The
 * same goes for a target's connectivity test (mercure-coordinator
 * --test-target, which runs the worker). The
 * child files what it fetches through the receiver's path, and the
 * running coordinator routes it like any received study. */
#include "http/http_loop_qr.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "core/coord_int.h"
#include "dcm/dcm_qr.h"
#include "http/http_query.h"
#include "os/sys_spawn.h"

/* a child started here, until it is reaped */
typedef struct qr_child {
	pid_t          pid;
	char           dir[16]; /* HTTP_RETRIEVALS_DIR or _TARGET_TESTS_DIR */
	char           id[TASK_ID_MAX_LEN + 1];
	UT_hash_handle hh;
} qr_child;

/* remember - pid is the child of request id under dirname; out of
 * memory: it is never reported ended, as before it was remembered */
static void
remember(coord *c, pid_t pid, const char *dirname, const char *id)
{
	qr_child *k = calloc(1, sizeof(*k));

	if (k == NULL)
		return;
	k->pid = pid;
	snprintf(k->dir, sizeof(k->dir), "%s", dirname);
	snprintf(k->id, sizeof(k->id), "%s", id);
	HASH_ADD_INT(c->qr_children, pid, k);
}

void
http_loop_child_ended(coord *c, pid_t pid, int exit_code)
{
	qr_child *k = NULL;
	char      path[MC_PATH_MAX], *text;
	json_t   *o;

	HASH_FIND_INT(c->qr_children, &pid, k);
	if (k == NULL)
		return;
	HASH_DEL(c->qr_children, k);
	o = json_pack("{s:i,s:s}", "exit_code", exit_code, "status",
	    exit_code > 128  ? "killed by a signal"
	    : exit_code == 0 ? "exited"
	                     : "exited with an error");
	if (exit_code > 128)
		json_object_set_new(
		    o, "signal", json_integer(exit_code - 128));
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (text == NULL ||
	    coord_path(c, path, sizeof(path), k->dir, NULL, NULL) != MC_OK ||
	    sys_path_fmt(path + strlen(path), sizeof(path) - strlen(path),
	        "/%s%s", k->id, HTTP_CHILD_EXIT_SUFFIX) != MC_OK ||
	    sys_write_file_atomic(path, text, strlen(text)) != MC_OK)
		log_warn("event=http.child_exit_unrecorded id=%s", k->id);
	log_info("event=http.child_ended what=%s id=%s exit_code=%d", k->dir,
	    k->id, exit_code);
	free(text);
	free(k);
}

void
http_loop_qr_forget(coord *c)
{
	qr_child *k, *t;

	HASH_ITER(hh, c->qr_children, k, t)
	{
		HASH_DEL(c->qr_children, k);
		free(k);
	}
}

/* the fixed arguments before the keys, and the NULL at the end */
#define QR_ARGV_FIXED 14
#define QR_KV_MAX (64 + 2 * DCM_QR_VALUE_MAX_LEN)

static void
answer(http_job *j, int status, json_t *v)
{
	char *text =
	    v ? json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;

	json_decref(v);
	http_job_answer(j, text ? status : 500, NULL,
	    text ? text : "{\"error\":\"out of memory\"}");
	free(text);
}

static void
answer_error(http_job *j, int status, const char *msg)
{
	answer(j, status, json_pack("{s:s}", "error", msg));
}

bool
http_retrieval_id_is_valid(const char *id)
{
	size_t n = strlen(id);

	if (n != 36)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? id[i] != '-'
		         : !((id[i] >= '0' && id[i] <= '9') ||
		               (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	}
	return true;
}

void
http_loop_source(coord *c, http_job *j)
{
	config_dicom_node n;
	char              msg[HTTP_JOB_ARG_MAX + 64];

	if (!config_find_dicom_node(c->cfg, j->arg, &n)) {
		snprintf(msg, sizeof(msg), "no source '%s'", j->arg);
		answer_error(j, 422, msg);
		return;
	}
	answer(j, 200,
	    json_pack("{s:s,s:s?,s:i,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?}",
	        "name", n.name, "ip", n.ip, "port", (int) n.port, "aet_target",
	        n.aet_target, "aet_source", n.aet_source, "url", n.url,
	        "qido_url_prefix", n.qido_url_prefix, "wado_url_prefix",
	        n.wado_url_prefix, "access_token", n.access_token, "http_user",
	        n.http_user, "http_password", n.http_password));
}

/* check - the request against the configuration in force; NULL when
 * it fits, else why not */
static const char *
check(coord *c, json_t *in, config_dicom_node *n)
{
	const char *source = json_string_value(json_object_get(in, "source"));
	const char *method = json_string_value(json_object_get(in, "method"));
	json_t     *fr = json_object_get(in, "force_rule");

	if (source == NULL || !config_find_dicom_node(c->cfg, source, n))
		return "no such source: name a node of "
		       "dicom_retrieve.dicom_nodes or a dicom or dicomweb "
		       "target with direction pull or both";
	if (n->url != NULL && method != NULL && strcmp(method, "move") == 0)
		return "the source is a DICOMweb source: WADO-RS only, no "
		       "method move";
	if (fr != NULL &&
	    config_find_rule(c->cfg, json_string_value(fr)) == NULL)
		return "force_rule names no rule";
	return NULL;
}

/* self - this program's path */
static mc_err
self(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);

	if (n <= 0 || (size_t) n >= len - 1)
		return MC_ENOENT;
	buf[n] = '\0';
	return MC_OK;
}

/* spawn - the child for in, its output appended to logp */
static mc_err
spawn(coord *c, json_t *in, const char *logp, pid_t *pid, char *err,
    size_t errlen)
{
	char        prog[MC_PATH_MAX];
	char        kv[DCM_QR_MAX_KEYS][QR_KV_MAX];
	char       *argv[QR_ARGV_FIXED + DCM_QR_MAX_KEYS + 1];
	json_t     *keys = json_object_get(in, "keys"), *v;
	json_t     *fr = json_object_get(in, "force_rule");
	const char *k;
	size_t      n = 0, nk = 0;

	if (self(prog, sizeof(prog)) != MC_OK) {
		snprintf(err, errlen, "cannot find this program's path");
		return MC_ENOENT;
	}
	argv[n++] = prog;
	argv[n++] = (char *) "--config";
	argv[n++] = c->config_path;
	argv[n++] = (char *) "--retrieve";
	argv[n++] = (char *) json_string_value(json_object_get(in, "source"));
	argv[n++] = (char *) "--method";
	argv[n++] = (char *) json_string_value(json_object_get(in, "method"));
	argv[n++] = (char *) "--level";
	argv[n++] = (char *) json_string_value(json_object_get(in, "level"));
	if (fr != NULL) {
		argv[n++] = (char *) "--force-rule";
		argv[n++] = (char *) json_string_value(fr);
	}
	argv[n++] = (char *) "--";
	json_object_foreach(keys, k, v)
	{
		if (nk == DCM_QR_MAX_KEYS ||
		    snprintf(kv[nk], sizeof(kv[nk]), "%s=%s", k,
		        json_string_value(v)) >= (int) sizeof(kv[nk])) {
			snprintf(err, errlen, "too many or too long keys");
			return MC_EINVAL;
		}
		argv[n++] = kv[nk++];
	}
	argv[n] = NULL;
	sys_spawn_opts so = {argv, NULL, logp, 0};
	return sys_spawn_start(&so, pid, err, errlen);
}

/* record - a new id into in, with the user and the time, written to
 * <root>/<dir>/<id>.json; logp gets <id>.log beside it. false after an
 * answer. */
static bool
record(coord *c, http_job *j, const char *dirname, json_t *in,
    char id[TASK_ID_MAX_LEN + 1], char logp[MC_PATH_MAX])
{
	char  dir[MC_PATH_MAX], reqp[MC_PATH_MAX];
	char *text;
	bool  ok;

	coord_new_task_id(id);
	json_object_set_new(in, "id", json_string(id));
	json_object_set_new(in, "user", json_string(j->user));
	json_object_set_new(in, "started_us", json_integer(sys_now_us()));
	text = json_dumps(in, JSON_COMPACT | JSON_ENSURE_ASCII);
	ok = text != NULL &&
	     coord_path(c, dir, sizeof(dir), dirname, NULL, NULL) == MC_OK &&
	     sys_path_fmt(reqp, MC_PATH_MAX, "%s/%s.json", dir, id) == MC_OK &&
	     sys_path_fmt(logp, MC_PATH_MAX, "%s/%s.log", dir, id) == MC_OK &&
	     sys_mkdir_p(dir) == MC_OK &&
	     sys_write_file_atomic(reqp, text, strlen(text)) == MC_OK;
	free(text);
	if (!ok)
		answer_error(j, 503, "cannot write the request's files");
	return ok;
}

void
http_loop_retrieve(coord *c, http_job *j)
{
	json_error_t      e;
	json_t           *in = j->in ? json_loads(j->in, 0, &e) : NULL;
	config_dicom_node n;
	const char       *why;
	char              id[TASK_ID_MAX_LEN + 1], logp[MC_PATH_MAX];
	char              err[256], info[512];
	pid_t             pid;

	if (in == NULL || !json_is_object(in)) {
		answer_error(j, 500, "bad request from the HTTP thread");
		goto out;
	}
	if ((why = check(c, in, &n)) != NULL) {
		answer_error(j, 422, why);
		goto out;
	}
	if (!record(c, j, HTTP_RETRIEVALS_DIR, in, id, logp))
		goto out;
	if (spawn(c, in, logp, &pid, err, sizeof(err)) != MC_OK) {
		log_warn(
		    "event=retrieve.spawn_failed id=%s msg=\"%s\"", id, err);
		answer_error(j, 503, err);
		goto out;
	}
	remember(c, pid, HTTP_RETRIEVALS_DIR, id);
	snprintf(info, sizeof(info), "id=%s source=%s method=%s by %s", id,
	    n.name, json_string_value(json_object_get(in, "method")), j->user);
	coord_event(c, "retrieve.started", NULL, NULL, NULL,
	    json_string_value(json_object_get(in, "force_rule")), NULL, info);
	log_info("event=retrieve.started id=%s source=%s user=%s", id, n.name,
	    j->user);
	answer(j, 202, json_pack("{s:s,s:s}", "id", id, "state", "running"));
out:
	json_decref(in);
}

void
http_loop_test_target(coord *c, http_job *j)
{
	json_t *in = json_pack("{s:s}", "target", j->arg);
	char    id[TASK_ID_MAX_LEN + 1], logp[MC_PATH_MAX], prog[MC_PATH_MAX];
	char    err[256], info[512], esc[4 * HTTP_JOB_ARG_MAX + 8];
	char   *argv[] = {prog, (char *) "--config", c->config_path,
	      (char *) "--test-target", j->arg, NULL};
	sys_spawn_opts so = {argv, NULL, logp, 0};
	pid_t          pid;

	if (config_find_target(c->cfg, j->arg) == NULL) {
		answer_error(j, 404, "no such target");
		goto out;
	}
	if (in == NULL) {
		answer_error(j, 500, "out of memory");
		goto out;
	}
	if (!record(c, j, HTTP_TARGET_TESTS_DIR, in, id, logp))
		goto out;
	if (self(prog, sizeof(prog)) != MC_OK ||
	    sys_spawn_start(&so, &pid, err, sizeof(err)) != MC_OK) {
		log_warn("event=target.test_spawn_failed id=%s", id);
		answer_error(j, 503, "cannot start the test");
		goto out;
	}
	remember(c, pid, HTTP_TARGET_TESTS_DIR, id);
	snprintf(info, sizeof(info), "id=%s by %s", id, j->user);
	coord_event(
	    c, "target.test_started", NULL, NULL, NULL, NULL, j->arg, info);
	log_info("event=target.test_started id=%s target=\"%s\" user=%s", id,
	    http_log_value(j->arg, esc, sizeof(esc)), j->user);
	answer(j, 202, json_pack("{s:s,s:s}", "id", id, "state", "running"));
out:
	json_decref(in);
}
