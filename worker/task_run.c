/* task_run.c - one task from task.json to result.json. A dispatch task
 * sends in/ to each pending target through target.h; a processing task
 * ("process", "both") first runs its module chain (process_run.c) and
 * then sends out/ to the targets routing.c picks (the rule's for "both",
 * only what dynamic routing asked for "process"). result.json is written
 * atomically, then the result message is pushed. The task folder's files
 * are common/task/ (task.h, result_json.h); result_push.c does the
 * nng.
 * Targets run one after another: they are few and usually different
 * peers, and a serial run keeps the log of one task readable. */
#include "task_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "instance_filter.h"
#include "process/process_run.h"
#include "result_push.h"
#include "process/routing.h"
#include "sent_log.h"
#include "set_tags_copy.h"
#include "stream/stream_run.h"
#include "os/sys_files.h"
#include "os/sys_fs.h"
#include "targets/target.h"
#include "task/task.h"
#include "worker_config.h"

#define TASK_RUN_ERROR_MAX 512
#define TASK_IN_DIR "in"
#define TASK_KIND_DISPATCH "dispatch"
#define TASK_KIND_PROCESS "process"
#define TASK_KIND_BOTH "both"

typedef struct run {
	const task_run_opts       *o;
	int64_t                    started_us;
	const char                *id;    /* task id, or the folder's name */
	const char                *kind;  /* "" when task.json is unusable */
	const char                *url;   /* "" when none */
	char                     **names; /* of the listed folder */
	size_t                     n_names;
	char                     **paths; /* of the files to send */
	size_t                     n_paths;
	const task_process_report *process; /* NULL for dispatch */
	char tags_set[128]; /* what set_tags did, for result.json; "" */
	instance_filter_report filter; /* the rule's instance_filter */
	/* a stream task's targets that were streamed (stream_run.h): their
	 * outcomes, reported with the others */
	stream_target *streamed;
	size_t         n_streamed;
} run;

/* one target's send, as its type reports it (target.h) */
typedef struct target_outcome {
	const char   *name;
	bool          ok;
	target_result r;
	size_t        already; /* in its sent/ log: not sent again */
} target_outcome;

/* the targets to send to */
typedef struct send_list {
	const char *const *names;
	size_t             n;
} send_list;

static double
ms_since(int64_t start_us)
{
	return (double) (sys_now_us() - start_us) / 1000.0;
}

static void
push_result(const run *r, bool ok, task_exit code)
{
	mc_result_msg m;
	char          err[TASK_RUN_ERROR_MAX];
	mc_err        rv;

	if (r->url[0] == '\0')
		return;
	memset(&m, 0, sizeof(m));
	snprintf(m.task_id, sizeof(m.task_id), "%s", r->id);
	m.ok = ok ? 1 : 0;
	m.exit_code = (int) code;
	if ((rv = result_push_send(r->url, &m, err, sizeof(err))) != MC_OK)
		log_warn("event=result.push_failed task=%s url=%s err=%s "
		         "msg=\"%s\"",
		    r->id, r->url, mc_strerror(rv), err);
}

static void
finish(const run *r, const task_target_report *out, size_t n, bool ok,
    bool retryable, task_exit code, const char *error)
{
	task_result res = {.task_id = r->id,
	    .kind = r->kind,
	    .ok = ok,
	    .retryable = retryable,
	    .started_us = r->started_us,
	    .finished_us = sys_now_us(),
	    .targets = out,
	    .n_targets = n,
	    .error = error,
	    .process = r->process,
	    .tags_set = r->tags_set,
	    .filtered = (const char *const *) r->filter.filtered,
	    .n_filtered = r->filter.n_filtered};
	char        path[MC_PATH_MAX];
	char       *text = NULL;
	size_t      len = 0;
	mc_err      rv;

	rv = sys_path_fmt(
	    path, sizeof(path), "%s/%s", r->o->task_dir, TASK_RESULT_NAME);
	if (rv == MC_OK)
		rv = task_result_encode(&res, &text, &len);
	if (rv == MC_OK)
		rv = sys_write_file_atomic(path, text, len);
	free(text);
	if (rv != MC_OK)
		log_error("event=result.write_failed task=%s path=%s err=%s",
		    r->id, path, mc_strerror(rv));
	log_info("event=task.done task=%s kind=%s ok=%d exit=%d ms=%.1f",
	    r->id, r->kind, ok ? 1 : 0, (int) code, ms_since(r->started_us));
	push_result(r, ok, code);
}

static task_exit
unusable(run *r, const char *msg)
{
	log_error("event=task.unusable task=%s dir=%s msg=\"%s\"", r->id,
	    r->o->task_dir, msg);
	finish(r, NULL, 0, false, false, TASK_EXIT_UNUSABLE, msg);
	return TASK_EXIT_UNUSABLE;
}

/* the files of dir (task/in or task/out), without task.json and the
 * module's result.json */
static mc_err
list_files(run *r, const char *dir, char *err, size_t errlen)
{
	mc_err rv;

	rv = sys_files_list(dir, &r->names, &r->n_names, err, errlen);
	if (rv != MC_OK || r->n_names == 0)
		return rv;
	if ((r->paths = calloc(r->n_names, sizeof(*r->paths))) == NULL)
		return MC_ENOMEM;
	for (size_t i = 0; i < r->n_names; i++) {
		size_t len = strlen(dir) + strlen(r->names[i]) + 2;
		if (strcmp(r->names[i], TASK_JSON_NAME) == 0 ||
		    strcmp(r->names[i], TASK_RESULT_NAME) == 0)
			continue;
		if ((r->paths[r->n_paths] = malloc(len)) == NULL)
			return MC_ENOMEM;
		snprintf(
		    r->paths[r->n_paths++], len, "%s/%s", dir, r->names[i]);
	}
	return MC_OK;
}

static task_ctx
ctx_of(const run *r, const task *t)
{
	task_ctx ctx = {r->id, r->o->task_dir, task_info(t, "sender_address"),
	    task_info(t, "sender_aet"), task_info(t, "receiver_aet"), NULL};
	return ctx;
}

/* send_acked - the send of a type that acknowledges each instance (the
 * types that stream): what the target's sent/ log lists was delivered
 * by an earlier run and is counted, not sent; the rest is sent and
 * logged as the peer acknowledges it */
static void
send_acked(const target_type *tt, const target_cfg *cfg, task_ctx *ctx,
    const target_files *files, target_outcome *o)
{
	char         err[TARGET_ERROR_MAX_LEN + 1];
	sent_log    *log = NULL;
	const char **kept = NULL;
	target_files rest = {NULL, 0};
	mc_err       rv;

	rv = sent_log_open(ctx->task_dir, o->name, &log, err, sizeof(err));
	if (rv == MC_OK && (rv = sent_log_unsent(log, files->paths, files->n,
	                        &kept, &rest.n)) != MC_OK)
		mc_errf(err, sizeof(err), "out of memory");
	if (rv != MC_OK) {
		o->r.failed = files->n;
		target_result_fail(&o->r, true, "sent log: %s", err);
		sent_log_destroy(log);
		return;
	}
	rest.paths = kept;
	o->already = files->n - rest.n;
	if (o->already > 0)
		log_info("event=target.already_sent task=%s target=%s "
		         "already=%zu rest=%zu",
		    ctx->task_id, o->name, o->already, rest.n);
	ctx->sent = log;
	o->ok = tt->ops->send(cfg, ctx, &rest, &o->r) == MC_OK;
	ctx->sent = NULL;
	free(kept);
	sent_log_destroy(log);
}

static void
dispatch_one(const run *r, const task *t, const char *name, target_outcome *o)
{
	const target_cfg  *cfg = task_find_target(t, name);
	const char        *type = cfg ? target_cfg_get(cfg, "target_type") : 0;
	const target_type *tt = target_type_find(type);
	task_ctx           ctx = ctx_of(r, t);
	target_files files = {(const char *const *) r->paths, r->n_paths};
	int64_t      t0 = sys_now_us();

	o->name = name;
	if (cfg == NULL) {
		/* renamed or removed after the task was made: a retry with
		 * the same configuration cannot help; the task waits in
		 * error/ for --retry */
		o->r.failed = files.n;
		target_result_fail(&o->r, false,
		    "no configuration for target '%s' (not in "
		    "mercure_c.targets, or no longer in the "
		    "configuration file)",
		    o->name);
	} else if (tt == NULL) {
		o->r.failed = files.n;
		target_result_fail(&o->r, false,
		    "unknown target_type '%s' (known: %s)", type ? type : "",
		    target_type_names());
	} else if (tt->ops->stream_open != NULL) {
		send_acked(tt, cfg, &ctx, &files, o);
	} else {
		o->ok = tt->ops->send(cfg, &ctx, &files, &o->r) == MC_OK;
	}
	if (o->ok)
		log_info(
		    "event=target.done task=%s target=%s type=%s sent=%zu "
		    "already=%zu ms=%.1f",
		    r->id, o->name, tt->name, o->r.sent, o->already,
		    ms_since(t0));
	else
		log_warn("event=target.failed task=%s target=%s type=%s "
		         "sent=%zu failed=%zu retryable=%d ms=%.1f msg=\"%s\"",
		    r->id, o->name, type ? type : "", o->r.sent, o->r.failed,
		    o->r.retryable ? 1 : 0, ms_since(t0), o->r.error);
}

/* report_of - o as result.json reports it; borrows o's strings */
static task_target_report
report_of(const target_outcome *o)
{
	task_target_report rep = {.name = o->name,
	    .ok = o->ok,
	    .retryable = o->r.retryable,
	    .sent = o->r.sent,
	    .failed = o->r.failed,
	    .error = o->r.error,
	    .instances_json = o->r.instances_json,
	    .already = o->already};
	return rep;
}

/* take_streamed - the outcome of target name when it was streamed (its
 * instances_json moves to o); false when it was not */
static bool
take_streamed(run *r, const char *name, target_outcome *o)
{
	for (size_t i = 0; i < r->n_streamed; i++) {
		stream_target *st = &r->streamed[i];
		if (strcmp(st->name, name) != 0)
			continue;
		o->name = st->name;
		o->ok = st->ok;
		o->r = st->r;
		o->already = st->already;
		st->r.instances_json = NULL;
		log_info("event=target.%s task=%s target=%s mode=stream "
		         "sent=%zu failed=%zu already=%zu retryable=%d "
		         "msg=\"%s\"",
		    o->ok ? "done" : "failed", r->id, o->name, o->r.sent,
		    o->r.failed, o->already, o->r.retryable ? 1 : 0,
		    o->r.error);
		return true;
	}
	return false;
}

/* tag_copies - the rule's set_tags applied to copies of the files to
 * send (in the task's tagged/ folder), which are then sent instead; the
 * originals stay as received. Only when some target is still to be
 * sent to. false after the failure was reported: nothing is sent
 * unchanged. */
static bool
tag_copies(run *r, const task *t, const send_list *sl, task_exit *code)
{
	const char    *list = task_get_rule(t)->set_tags_json;
	char           dir[MC_PATH_MAX], err[TASK_RUN_ERROR_MAX];
	char           msg[TASK_RUN_ERROR_MAX + 16];
	char         **copies = NULL;
	set_tags_stats st;
	bool           pending = false, retryable = false;
	mc_err         rv;

	for (size_t i = 0; i < sl->n; i++)
		pending |= !task_status_is_complete(t, sl->names[i]);
	if (list == NULL || r->n_paths == 0 || !pending)
		return true;
	err[0] = '\0';
	if (sys_path_fmt(dir, sizeof(dir), "%s/%s", r->o->task_dir,
	        TASK_TAGGED_DIR) != MC_OK) {
		*code = unusable(r, "task folder path too long");
		return false;
	}
	rv = set_tags_copy(list, dir, r->paths, r->n_paths, &copies, &st,
	    &retryable, err, sizeof(err));
	if (rv != MC_OK) {
		log_error("event=task.set_tags_failed task=%s retryable=%d "
		          "msg=\"%s\"",
		    r->id, retryable ? 1 : 0, err);
		snprintf(msg, sizeof(msg), "set_tags: %s", err);
		finish(r, NULL, 0, false, retryable, TASK_EXIT_TARGET_FAILED,
		    msg);
		*code = TASK_EXIT_TARGET_FAILED;
		return false;
	}
	sys_files_free(r->paths, r->n_paths);
	r->paths = copies;
	snprintf(r->tags_set, sizeof(r->tags_set),
	    "operations=%zu files=%zu changed=%zu", st.operations, st.files,
	    st.changed);
	log_info("event=task.tags_set task=%s %s", r->id, r->tags_set);
	return true;
}

static task_exit
dispatch(run *r, const task *t, const send_list *sl)
{
	size_t              n = sl->n ? sl->n : 1;
	target_outcome     *out = calloc(n, sizeof(*out));
	task_target_report *rep = calloc(n, sizeof(*rep));
	size_t              n_out = 0, n_bad = 0;
	bool                retryable = false;
	char                error[TASK_RUN_ERROR_MAX] = "";
	task_exit           code;

	if (out == NULL || rep == NULL) {
		free(out);
		free(rep);
		return unusable(r, "out of memory");
	}
	if (!tag_copies(r, t, sl, &code)) {
		free(out);
		free(rep);
		return code;
	}
	log_info("event=task.start task=%s kind=%s files=%zu targets=%zu",
	    r->id, r->kind, r->n_paths, sl->n);
	for (size_t i = 0; i < sl->n; i++) {
		if (task_status_is_complete(t, sl->names[i])) {
			log_info("event=target.skipped task=%s target=%s "
			         "reason=complete",
			    r->id, sl->names[i]);
			continue;
		}
		if (!take_streamed(r, sl->names[i], &out[n_out]))
			dispatch_one(r, t, sl->names[i], &out[n_out]);
		if (!out[n_out].ok) {
			n_bad++;
			retryable |= out[n_out].r.retryable;
		}
		rep[n_out] = report_of(&out[n_out]);
		n_out++;
	}
	if (n_bad > 0)
		snprintf(error, sizeof(error), "%zu of %zu targets failed",
		    n_bad, n_out);
	finish(r, rep, n_out, n_bad == 0, retryable,
	    n_bad ? TASK_EXIT_TARGET_FAILED : TASK_EXIT_OK, error);
	for (size_t i = 0; i < n_out; i++)
		free(out[i].r.instances_json);
	free(rep);
	free(out);
	return n_bad ? TASK_EXIT_TARGET_FAILED : TASK_EXIT_OK;
}

static task_exit
run_dispatch(run *r, const task *t)
{
	char        err[TASK_RUN_ERROR_MAX], dir[MC_PATH_MAX];
	const char *names[ROUTING_TARGETS_MAX];
	size_t      n = task_target_count(t);
	send_list   sl = {names, 0};

	if (sys_path_fmt(dir, sizeof(dir), "%s/%s", r->o->task_dir,
	        TASK_IN_DIR) != MC_OK)
		return unusable(r, "task folder path too long");
	if (list_files(r, dir, err, sizeof(err)) != MC_OK)
		return unusable(r, err);
	for (size_t i = 0; i < n && sl.n < sizeof(names) / sizeof(*names); i++)
		names[sl.n++] = task_target_name(t, i);
	return dispatch(r, t, &sl);
}

/* after the chain: where out/ goes, recorded in processed.json and
 * result.json's module_result */
static task_exit
route_output(run *r, const task *t, process_state *ps)
{
	routing_plan plan;
	send_list    sl = {NULL, 0};
	char         err[TASK_RUN_ERROR_MAX], *mr_json = NULL;
	task_exit    code;

	routing_decide(t, &ps->mr, &plan);
	if (ps->mr.routing != ROUTING_NONE)
		log_info("event=process.routing task=%s applied=%d discard=%d "
		         "targets=%zu reason=\"%s\"",
		    r->id, plan.o.applied ? 1 : 0, plan.o.discard ? 1 : 0,
		    plan.o.n_targets, plan.reason);
	/* "process" sends nothing unless a module routed it somewhere */
	if (!plan.o.discard &&
	    (strcmp(r->kind, TASK_KIND_BOTH) == 0 || plan.o.applied)) {
		sl.names = plan.o.targets;
		sl.n = plan.o.n_targets;
	}
	if (module_result_encode(&ps->mr, &plan.o, &mr_json) != MC_OK)
		return unusable(r, "out of memory");
	ps->report.module_result_json = mr_json;
	if (!ps->report.reused &&
	    process_mark_done(r->o->task_dir, mr_json) != MC_OK)
		log_warn("event=process.mark_failed task=%s", r->id);
	if (list_files(r, ps->out_dir, err, sizeof(err)) != MC_OK) {
		code = unusable(r, err);
	} else {
		code = dispatch(r, t, &sl);
	}
	ps->report.module_result_json = NULL;
	free(mr_json);
	return code;
}

static task_exit
run_process(run *r, const task *t)
{
	process_state *ps = malloc(sizeof(*ps));
	task_exit      code;

	if (ps == NULL)
		return unusable(r, "out of memory");
	log_info("event=process.start task=%s kind=%s steps=%zu", r->id,
	    r->kind, task_step_count(t));
	r->process = &ps->report;
	if (process_run(t, r->o->task_dir, ps) == MC_OK) {
		code = route_output(r, t, ps);
	} else {
		char error[TASK_RUN_ERROR_MAX];
		mc_errf(
		    error, sizeof(error), "processing failed: %s", ps->error);
		finish(r, NULL, 0, false, ps->report.retryable,
		    TASK_EXIT_TARGET_FAILED, error);
		code = TASK_EXIT_TARGET_FAILED;
	}
	r->process = NULL;
	process_state_fini(ps);
	free(ps);
	return code;
}

/* use_config - targets whose secrets task.json leaves out, as the
 * configuration file defines them now; false after the failure was
 * reported. No file given is a deployment error (not retryable); a file
 * that cannot be read or does not load may be fine on the next try (an
 * edit in progress: the coordinator keeps its last good one meanwhile). */
static bool
use_config(run *r, task *t)
{
	const mc_config *cfg;
	char             err[TASK_RUN_ERROR_MAX];
	mc_err           rv;

	if (!task_needs_config(t))
		return true;
	rv = worker_config_get(&cfg, err, sizeof(err));
	if (rv == MC_OK && (rv = task_use_config(t, cfg)) != MC_OK)
		snprintf(err, sizeof(err), "%s", mc_strerror(rv));
	if (rv == MC_OK)
		return true;
	log_error("event=task.config_failed task=%s msg=\"%s\"", r->id, err);
	finish(
	    r, NULL, 0, false, rv != MC_ENOENT, TASK_EXIT_TARGET_FAILED, err);
	return false;
}

/* filter_instances - the rule's instance_filter: what fails it leaves
 * in/ for filtered/ before anything is sent or processed. false after
 * the failure was reported (a filter that does not compile is not
 * retryable; a folder that cannot be changed may be). */
static bool
filter_instances(run *r, const task *t, task_exit *code)
{
	const char *expr = task_get_rule(t)->instance_filter;
	char        err[TASK_RUN_ERROR_MAX];
	mc_err      rv;

	if (expr == NULL)
		return true;
	rv = instance_filter_apply(
	    expr, r->o->task_dir, &r->filter, err, sizeof(err));
	if (rv != MC_OK) {
		log_error("event=task.filter_failed task=%s err=%s msg=\"%s\"",
		    r->id, mc_strerror(rv), err);
		finish(r, NULL, 0, false, rv != MC_ESYNTAX,
		    TASK_EXIT_TARGET_FAILED, err);
		*code = TASK_EXIT_TARGET_FAILED;
		return false;
	}
	log_info("event=task.filtered task=%s kept=%zu filtered=%zu", r->id,
	    r->filter.kept, r->filter.n_filtered);
	return true;
}

/* run_stream - a stream task: the targets that can stream are sent the
 * series as it arrives (stream/stream_run.c); the task goes on as a
 * normal one once stream.end says in/ is complete, and those targets'
 * outcomes are then reported with the others'. A rule with set_tags or
 * instance_filter needs the whole series first: nothing is streamed,
 * the end is only waited for. false after the task was finished (idle
 * timeout, every streamed target failed and there is no other, in/
 * unusable). */
static bool
run_stream(run *r, const task *t, task_exit *code)
{
	const task_rule *tr = task_get_rule(t);
	bool             can = strcmp(r->kind, TASK_KIND_DISPATCH) == 0 &&
	           tr->set_tags_json == NULL && tr->instance_filter == NULL;
	task_ctx       ctx = ctx_of(r, t);
	stream_opts    o = {&ctx, task_stream_idle_s(t), false};
	size_t         n = task_target_count(t);
	stream_outcome how;
	char           err[TASK_RUN_ERROR_MAX], error[TASK_RUN_ERROR_MAX];
	bool           retryable = false;

	if ((r->streamed = calloc(n ? n : 1, sizeof(*r->streamed))) == NULL) {
		*code = unusable(r, "out of memory");
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		const char        *name = task_target_name(t, i);
		const target_cfg  *cfg = task_find_target(t, name);
		const target_type *tt = target_type_find(
		    cfg ? target_cfg_get(cfg, "target_type") : NULL);
		if (task_status_is_complete(t, name))
			continue;
		if (can && tt != NULL && tt->ops->stream_open != NULL)
			r->streamed[r->n_streamed++] = (stream_target){
			    .name = name, .cfg = cfg, .ops = tt->ops};
		else
			o.others = true;
	}
	if (stream_run(&o, r->streamed, r->n_streamed, &how, err,
	        sizeof(err)) != MC_OK) {
		*code = unusable(r, err);
		return false;
	}
	if (how == STREAM_ENDED)
		return true;
	task_target_report *rep = calloc(r->n_streamed + 1, sizeof(*rep));
	target_outcome     *out = calloc(r->n_streamed + 1, sizeof(*out));
	if (rep == NULL || out == NULL) {
		free(rep);
		free(out);
		*code = unusable(r, "out of memory");
		return false;
	}
	for (size_t i = 0; i < r->n_streamed; i++) {
		(void) take_streamed(r, r->streamed[i].name, &out[i]);
		rep[i] = report_of(&out[i]);
		retryable |= out[i].r.retryable;
	}
	if (how == STREAM_IDLE)
		snprintf(error, sizeof(error), "%s", err);
	else
		snprintf(error, sizeof(error), "%zu of %zu targets failed",
		    r->n_streamed, r->n_streamed);
	finish(r, rep, r->n_streamed, false, retryable || how == STREAM_IDLE,
	    TASK_EXIT_TARGET_FAILED, error);
	for (size_t i = 0; i < r->n_streamed; i++)
		free(out[i].r.instances_json);
	free(rep);
	free(out);
	*code = TASK_EXIT_TARGET_FAILED;
	return false;
}

static task_exit
run_loaded(run *r, task *t)
{
	char      err[TASK_RUN_ERROR_MAX];
	task_exit code;

	r->id = task_id(t);
	r->kind = task_kind(t);
	if (r->url[0] == '\0')
		r->url = task_coordinator_url(t);
	if (!use_config(r, t))
		return TASK_EXIT_TARGET_FAILED;
	if (task_stream_idle_s(t) > 0 && !run_stream(r, t, &code))
		return code;
	if (!filter_instances(r, t, &code))
		return code;
	if (r->filter.n_filtered > 0 && r->filter.kept == 0) {
		/* nothing left to send or process: done, as a series the
		 * rule did not take would be */
		log_info("event=task.all_filtered task=%s filtered=%zu", r->id,
		    r->filter.n_filtered);
		finish(r, NULL, 0, true, false, TASK_EXIT_OK, "");
		return TASK_EXIT_OK;
	}
	if (strcmp(r->kind, TASK_KIND_DISPATCH) == 0)
		return run_dispatch(r, t);
	if (strcmp(r->kind, TASK_KIND_PROCESS) == 0 ||
	    strcmp(r->kind, TASK_KIND_BOTH) == 0)
		return run_process(r, t);
	snprintf(err, sizeof(err),
	    "kind '%s' is not supported by this worker (dispatch, "
	    "process, both)",
	    r->kind);
	return unusable(r, err);
}

task_exit
task_run(const task_run_opts *o)
{
	run       r;
	task     *t = NULL;
	mc_diag   d;
	char      path[MC_PATH_MAX], msg[TASK_RUN_ERROR_MAX];
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
		mc_errf(msg, sizeof(msg), "%s: %s", path, d.msg);
		return unusable(&r, msg);
	}
	code = run_loaded(&r, t);
	instance_filter_report_fini(&r.filter);
	for (size_t i = 0; i < r.n_streamed; i++)
		free(r.streamed[i].r.instances_json);
	free(r.streamed);
	sys_files_free(r.names, r.n_names);
	sys_files_free(r.paths, r.n_paths);
	task_destroy(t);
	worker_config_release();
	return code;
}
