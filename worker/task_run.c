/* task_run.c - one task from task.json to result.json: list in/, hand
 * the files to each pending target through target.h, collect what each
 * reports, write result.json atomically, push the result message. The
 * targets do the sending; task_json.c the JSON; result_push.c the nng.
 * Targets run one after another: they are few and usually different
 * peers, and a serial run keeps the log of one task readable. */
#include "task_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "result_push.h"
#include "sys_files.h"
#include "sys_fs.h"
#include "task.h"

#define TASK_RUN_PATH_MAX 4096
#define TASK_RUN_ERROR_MAX 512
#define TASK_IN_DIR "in"
#define TASK_KIND_DISPATCH "dispatch"

typedef struct run {
	const task_run_opts *o;
	int64_t              started_us;
	const char          *id;   /* task id, or the folder's name */
	const char          *kind; /* "" when task.json is unusable */
	const char          *url;  /* "" when none */
	char               **names;
	char               **paths;
	size_t               n_files;
} run;

static double
ms_since(int64_t start_us)
{
	return (double)(sys_now_us() - start_us) / 1000.0;
}

static void
finish(const run *r, const task_target_outcome *out, size_t n, bool ok,
       task_exit code, const char *error)
{
	task_result   res = {r->id,        r->kind, ok, r->started_us,
	                     sys_now_us(), out,     n,  error};
	mc_result_msg m;
	char          path[TASK_RUN_PATH_MAX], err[TASK_RUN_ERROR_MAX];
	char         *text = NULL;
	size_t        len = 0;
	mc_err        rv;

	rv = sys_path_fmt(path, sizeof(path), "%s/%s", r->o->task_dir,
	                  TASK_RESULT_NAME);
	if (rv == MC_OK)
		rv = task_result_encode(&res, &text, &len);
	if (rv == MC_OK)
		rv = sys_write_file_atomic(path, text, len);
	free(text);
	if (rv != MC_OK)
		log_error("event=result.write_failed task=%s path=%s err=%s",
		          r->id, path, mc_strerror(rv));
	log_info("event=task.done task=%s kind=%s ok=%d exit=%d ms=%.1f",
	         r->id, r->kind, ok ? 1 : 0, (int)code,
	         ms_since(r->started_us));
	if (r->url[0] == '\0')
		return;
	memset(&m, 0, sizeof(m));
	snprintf(m.task_id, sizeof(m.task_id), "%s", r->id);
	m.ok = ok ? 1 : 0;
	m.exit_code = (int)code;
	if ((rv = result_push_send(r->url, &m, err, sizeof(err))) != MC_OK)
		log_warn("event=result.push_failed task=%s url=%s err=%s "
		         "msg=\"%s\"",
		         r->id, r->url, mc_strerror(rv), err);
}

static task_exit
unusable(run *r, const char *msg)
{
	log_error("event=task.unusable task=%s dir=%s msg=\"%s\"", r->id,
	          r->o->task_dir, msg);
	finish(r, NULL, 0, false, TASK_EXIT_UNUSABLE, msg);
	return TASK_EXIT_UNUSABLE;
}

static mc_err
list_inputs(run *r, char *err, size_t errlen)
{
	char   dir[TASK_RUN_PATH_MAX];
	mc_err rv;

	if (sys_path_fmt(dir, sizeof(dir), "%s/%s", r->o->task_dir,
	                 TASK_IN_DIR) != MC_OK) {
		snprintf(err, errlen, "task folder path too long");
		return MC_EINVAL;
	}
	rv = sys_files_list(dir, &r->names, &r->n_files, err, errlen);
	if (rv != MC_OK)
		return rv;
	if (r->n_files == 0)
		return MC_OK;
	if ((r->paths = calloc(r->n_files, sizeof(*r->paths))) == NULL)
		return MC_ENOMEM;
	for (size_t i = 0; i < r->n_files; i++) {
		size_t n = strlen(dir) + strlen(r->names[i]) + 2;
		if ((r->paths[i] = malloc(n)) == NULL)
			return MC_ENOMEM;
		snprintf(r->paths[i], n, "%s/%s", dir, r->names[i]);
	}
	return MC_OK;
}

static void
dispatch_one(const run *r, const task *t, size_t i, task_target_outcome *o)
{
	const target_cfg  *cfg = task_target_cfg(t, i);
	const char        *type = cfg ? target_cfg_get(cfg, "target_type") : 0;
	const target_type *tt = target_type_find(type);
	task_ctx ctx = {r->id, r->o->task_dir, task_info(t, "sender_address"),
	                task_info(t, "sender_aet"),
	                task_info(t, "receiver_aet")};
	target_files files = {(const char *const *)r->paths, r->n_files};
	int64_t      t0 = sys_now_us();

	o->name = task_target_name(t, i);
	if (cfg == NULL) {
		o->r.failed = r->n_files;
		target_result_fail(
		    &o->r, false,
		    "no configuration for target '%s' in mercure_c.targets",
		    o->name);
	} else if (tt == NULL) {
		o->r.failed = r->n_files;
		target_result_fail(&o->r, false,
		                   "unknown target_type '%s' (known: %s)",
		                   type ? type : "", target_type_names());
	} else {
		o->ok = tt->send(cfg, &ctx, &files, &o->r) == MC_OK;
	}
	if (o->ok)
		log_info(
		    "event=target.done task=%s target=%s type=%s sent=%zu "
		    "ms=%.1f",
		    r->id, o->name, tt->name, o->r.sent, ms_since(t0));
	else
		log_warn("event=target.failed task=%s target=%s type=%s "
		         "sent=%zu failed=%zu retryable=%d ms=%.1f msg=\"%s\"",
		         r->id, o->name, type ? type : "", o->r.sent,
		         o->r.failed, o->r.retryable ? 1 : 0, ms_since(t0),
		         o->r.error);
}

static task_exit
dispatch(run *r, const task *t)
{
	size_t               n = task_target_count(t), n_out = 0, n_bad = 0;
	task_target_outcome *out = calloc(n ? n : 1, sizeof(*out));
	char                 error[TASK_RUN_ERROR_MAX] = "";

	if (out == NULL)
		return unusable(r, "out of memory");
	log_info("event=task.start task=%s kind=%s files=%zu targets=%zu",
	         r->id, r->kind, r->n_files, n);
	for (size_t i = 0; i < n; i++) {
		if (task_target_is_complete(t, i)) {
			log_info("event=target.skipped task=%s target=%s "
			         "reason=complete",
			         r->id, task_target_name(t, i));
			continue;
		}
		dispatch_one(r, t, i, &out[n_out]);
		if (!out[n_out].ok)
			n_bad++;
		n_out++;
	}
	if (n_bad > 0)
		snprintf(error, sizeof(error), "%zu of %zu targets failed",
		         n_bad, n_out);
	finish(r, out, n_out, n_bad == 0,
	       n_bad ? TASK_EXIT_TARGET_FAILED : TASK_EXIT_OK, error);
	free(out);
	return n_bad ? TASK_EXIT_TARGET_FAILED : TASK_EXIT_OK;
}

static task_exit
run_loaded(run *r, const task *t)
{
	char err[TASK_RUN_ERROR_MAX];

	r->id = task_id(t);
	r->kind = task_kind(t);
	if (r->url[0] == '\0')
		r->url = task_coordinator_url(t);
	if (strcmp(r->kind, TASK_KIND_DISPATCH) != 0) {
		snprintf(err, sizeof(err),
		         "kind '%s' is not supported by this worker (only "
		         "dispatch)",
		         r->kind);
		return unusable(r, err);
	}
	if (list_inputs(r, err, sizeof(err)) != MC_OK)
		return unusable(r, err);
	return dispatch(r, t);
}

task_exit
task_run(const task_run_opts *o)
{
	run       r;
	task     *t = NULL;
	mc_diag   d;
	char      path[TASK_RUN_PATH_MAX], msg[TASK_RUN_ERROR_MAX];
	task_exit code;
	mc_err    rv;

	memset(&r, 0, sizeof(r));
	memset(&d, 0, sizeof(d));
	r.o = o;
	r.started_us = sys_now_us();
	r.id = sys_basename_of(o->task_dir);
	r.kind = "";
	r.url = o->coordinator_url ? o->coordinator_url : "";
	if (sys_path_fmt(path, sizeof(path), "%s/%s", o->task_dir,
	                 TASK_JSON_NAME) != MC_OK)
		return unusable(&r, "task folder path too long");
	rv = task_load(path, &t, &d);
	if (rv == MC_EPARSE || rv == MC_ECONFIG)
		return unusable(&r, mc_diag_format(&d, msg, sizeof(msg)));
	if (rv != MC_OK) {
		target_errf(msg, sizeof(msg), "%s: %s", path, d.msg);
		return unusable(&r, msg);
	}
	code = run_loaded(&r, t);
	sys_files_free(r.names, r.n_files);
	sys_files_free(r.paths, r.n_files);
	task_destroy(t);
	return code;
}
