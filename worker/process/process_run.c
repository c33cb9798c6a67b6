/* process_run.c - a module chain over a task folder (process_run.h), as
 * mercure's processor runs one: for each step, write that step's
 * task.json into the in folder, run the module, check that it wrote
 * something, read its result.json, and let its out folder become the
 * next step's in folder. module_run.c runs one module.
 *
 * Design notes: in/ is never touched, and out/ appears (by rename) only
 * when the whole chain succeeded, followed by processed.json; so a crash
 * anywhere leaves either no out/ (the next attempt starts over from in/)
 * or a complete one (the next attempt only dispatches). work/ is left
 * behind after a failure for the operator to look at and removed at the
 * start of the next attempt. */
#include "process/process_run.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "process/module.h"
#include "os/sys_files.h"
#include "os/sys_fs.h"
#include "targets/target.h"

#define PROCESS_IN_DIR "in"
#define PROCESS_WORK_DIR "work"
#define PROCESS_LOG_NAME_MAX 64

typedef struct chain {
	const task    *t;
	const char    *task_dir;
	process_state *ps;
	char           in[MC_PATH_MAX];   /* task/in */
	char           work[MC_PATH_MAX]; /* task/work */
	char           win[MC_PATH_MAX];  /* task/work/in */
	char           wout[MC_PATH_MAX]; /* task/work/out */
} chain;

/* names in out/ that are not output */
static const char *const NOT_OUTPUT[] = {TASK_JSON_NAME, MODULE_RESULT_NAME};
#define NOT_OUTPUT_N (sizeof(NOT_OUTPUT) / sizeof(NOT_OUTPUT[0]))

static mc_err chain_fail(chain *c, mc_err rv, bool retryable, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static mc_err
chain_fail(chain *c, mc_err rv, bool retryable, const char *fmt, ...)
{
	va_list ap;

	c->ps->report.ok = false;
	c->ps->report.retryable = retryable;
	va_start(ap, fmt);
	vsnprintf(c->ps->error, sizeof(c->ps->error), fmt, ap);
	va_end(ap);
	log_warn("event=process.failed task=%s retryable=%d msg=\"%s\"",
	    task_id(c->t), retryable ? 1 : 0, c->ps->error);
	return rv;
}

static void
log_name(const module_spec *m, size_t step, char *buf, size_t len)
{
	char   name[PROCESS_LOG_NAME_MAX];
	size_t n = 0;

	for (const char *p = m->name; *p && n + 1 < sizeof(name); p++) {
		char ch = *p;
		bool ok = (ch >= 'a' && ch <= 'z') ||
		          (ch >= 'A' && ch <= 'Z') ||
		          (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		          ch == '.';
		name[n++] = ok ? ch : '_';
	}
	name[n] = '\0';
	snprintf(buf, len, "module-%zu-%s.log", step + 1, name);
}

/* copy every file of from into to, skipping names that exist there */
static mc_err
copy_files(const char *from, const char *to, char *err, size_t errlen)
{
	char **names = NULL;
	size_t n = 0;
	char   src[MC_PATH_MAX], dst[MC_PATH_MAX];
	mc_err rv;

	if ((rv = sys_files_list(from, &names, &n, err, errlen)) != MC_OK)
		return rv;
	for (size_t i = 0; i < n && rv == MC_OK; i++) {
		if (sys_path_fmt(src, sizeof(src), "%s/%s", from, names[i]) !=
		        MC_OK ||
		    sys_path_fmt(dst, sizeof(dst), "%s/%s", to, names[i]) !=
		        MC_OK) {
			mc_errf(
			    err, errlen, "path too long: %s/%s", to, names[i]);
			rv = MC_EINVAL;
		} else if (!sys_exists(dst)) {
			rv = sys_files_copy(
			    src, dst, SYS_FILES_NOSYNC, err, errlen);
		}
	}
	sys_files_free(names, n);
	return rv;
}

static mc_err
write_step_json(chain *c, size_t i, const char *dir, char *err, size_t errlen)
{
	char   path[MC_PATH_MAX], *text = NULL;
	size_t len = 0;
	mc_err rv;

	if (sys_path_fmt(path, sizeof(path), "%s/%s", dir, TASK_JSON_NAME) !=
	    MC_OK) {
		mc_errf(err, errlen, "path too long: %s", dir);
		return MC_EINVAL;
	}
	if ((rv = task_step_json(c->t, i, &text, &len)) == MC_OK)
		rv = sys_write_file_atomic(path, text, len);
	free(text);
	if (rv != MC_OK)
		mc_errf(
		    err, errlen, "cannot write %s: %s", path, mc_strerror(rv));
	return rv;
}

/* task/work/{in,out} fresh, in holding copies of the instances */
static mc_err
prepare(chain *c)
{
	char   err[PROCESS_ERROR_MAX_LEN + 1];
	size_t n_in = 0;
	mc_err rv;

	if (sys_path_fmt(c->in, sizeof(c->in), "%s/%s", c->task_dir,
	        PROCESS_IN_DIR) != MC_OK ||
	    sys_path_fmt(c->work, sizeof(c->work), "%s/%s", c->task_dir,
	        PROCESS_WORK_DIR) != MC_OK ||
	    sys_path_fmt(c->win, sizeof(c->win), "%s/in", c->work) != MC_OK ||
	    sys_path_fmt(c->wout, sizeof(c->wout), "%s/out", c->work) !=
	        MC_OK ||
	    sys_path_fmt(c->ps->out_dir, sizeof(c->ps->out_dir), "%s/%s",
	        c->task_dir, PROCESS_OUT_DIR) != MC_OK)
		return chain_fail(
		    c, MC_EINVAL, false, "task folder path too long");
	if ((rv = sys_files_count_entries(
	         c->in, NULL, 0, &n_in, err, sizeof(err))) != MC_OK)
		return chain_fail(c, rv, false, "%s", err);
	if (n_in == 0)
		return chain_fail(
		    c, MC_ENOENT, false, "in/ holds no instances to process");
	if ((rv = sys_remove_tree(c->work)) != MC_OK ||
	    (rv = sys_remove_tree(c->ps->out_dir)) != MC_OK)
		return chain_fail(c, rv, true, "cannot clear %s: %s", c->work,
		    mc_strerror(rv));
	if ((rv = sys_mkdir_p(c->win)) != MC_OK ||
	    (rv = sys_mkdir_p(c->wout)) != MC_OK)
		return chain_fail(c, rv, true, "cannot create %s: %s", c->work,
		    mc_strerror(rv));
	if ((rv = copy_files(c->in, c->win, err, sizeof(err))) != MC_OK)
		return chain_fail(
		    c, rv, rv == MC_ENOSPC || rv == MC_EIO, "%s", err);
	return MC_OK;
}

static void
report_step(chain *c, size_t i, const module_outcome *mo, int64_t t0)
{
	task_step_report *st = &c->ps->steps[i];

	st->module = task_step(c->t, i)->name;
	st->ok = mo->ok;
	st->timed_out = mo->timed_out;
	st->exit_code = mo->ran && mo->st.exited ? mo->st.exit_code : -1;
	st->signal = mo->ran && !mo->st.exited ? mo->st.signal : 0;
	st->ms = (double) (sys_now_us() - t0) / 1000.0;
	st->log = c->ps->step_logs[i];
	snprintf(c->ps->step_errors[i], sizeof(c->ps->step_errors[i]), "%s",
	    mo->error);
	st->error = c->ps->step_errors[i];
	c->ps->report.n_steps = i + 1;
}

/* what the module left in work/out: something besides task.json and
 * result.json, and its result.json read */
static mc_err
check_output(chain *c, size_t i, const module_spec *m)
{
	char   err[PROCESS_ERROR_MAX_LEN + 1], path[MC_PATH_MAX];
	char **names = NULL;
	size_t n = 0;
	mc_err rv;

	/* links, FIFOs, sockets and devices first, before anything in the
	 * folder is opened: nothing the module could not read itself may
	 * reach a target, and nothing may make the worker wait */
	if ((rv = sys_files_list(c->wout, &names, &n, err, sizeof(err))) !=
	    MC_OK)
		return chain_fail(c, rv, false, "module '%s' (step %zu): %s",
		    m->name, i + 1, err);
	sys_files_free(names, n);
	rv = sys_files_count_entries(
	    c->wout, NOT_OUTPUT, NOT_OUTPUT_N, &n, err, sizeof(err));
	if (rv != MC_OK)
		return chain_fail(c, rv, false, "%s", err);
	if (n == 0)
		return chain_fail(c, MC_ENOENT, false,
		    "module '%s' (step %zu) exited 0 but wrote "
		    "no file into its output folder",
		    m->name, i + 1);
	if (sys_path_fmt(path, sizeof(path), "%s/%s", c->wout,
	        MODULE_RESULT_NAME) == MC_OK &&
	    module_result_read(path, &c->ps->mr, err, sizeof(err)) != MC_OK)
		log_warn("event=process.bad_module_result task=%s module=%s "
		         "msg=\"%s\"",
		    task_id(c->t), m->name, err);
	return MC_OK;
}

/* work/out becomes work/in of the next step */
static mc_err
rotate(chain *c)
{
	char   err[PROCESS_ERROR_MAX_LEN + 1];
	mc_err rv;

	if ((rv = sys_remove_tree(c->win)) != MC_OK)
		return chain_fail(c, rv, true, "cannot remove %s: %s", c->win,
		    mc_strerror(rv));
	if ((rv = sys_files_rename(c->wout, c->win, err, sizeof(err))) !=
	        MC_OK ||
	    (rv = sys_files_mkdir(c->wout, err, sizeof(err))) != MC_OK)
		return chain_fail(c, rv, true, "%s", err);
	return MC_OK;
}

static mc_err
run_step(chain *c, size_t i)
{
	const module_spec *m = task_step(c->t, i);
	char               err[PROCESS_ERROR_MAX_LEN + 1];
	char               logp[MC_PATH_MAX];
	module_outcome     mo;
	module_run_opts o = {m, c->win, c->wout, logp, task_id(c->t), i + 1};
	int64_t         t0 = sys_now_us();
	mc_err          rv;

	log_name(m, i, c->ps->step_logs[i], sizeof(c->ps->step_logs[i]));
	if (sys_path_fmt(logp, sizeof(logp), "%s/%s", c->task_dir,
	        c->ps->step_logs[i]) != MC_OK)
		return chain_fail(c, MC_EINVAL, false, "path too long");
	if ((rv = write_step_json(c, i, c->win, err, sizeof(err))) != MC_OK)
		return chain_fail(c, rv, true, "%s", err);
	log_info("event=module.start task=%s step=%zu module=%s kind=%s "
	         "timeout_s=%u",
	    task_id(c->t), i + 1, m->name,
	    m->kind == MODULE_CONTAINER ? "container"
	    : m->kind == MODULE_BUILTIN ? "builtin"
	                                : "command",
	    m->timeout_s);
	rv = module_run(&o, &mo);
	report_step(c, i, &mo, t0);
	if (rv != MC_OK)
		return chain_fail(c, rv, mo.retryable, "%s", mo.error);
	log_info("event=module.done task=%s step=%zu module=%s ms=%.1f",
	    task_id(c->t), i + 1, m->name, c->ps->steps[i].ms);
	if ((rv = check_output(c, i, m)) != MC_OK) {
		c->ps->steps[i].ok = false;
		snprintf(c->ps->step_errors[i], sizeof(c->ps->step_errors[i]),
		    "%s", c->ps->error);
	}
	return rv;
}

/* after the last step: inputs kept if asked, task.json as mercure
 * leaves it, work/out -> out/ */
static mc_err
finish_chain(chain *c)
{
	size_t last = task_step_count(c->t) - 1;
	char   err[PROCESS_ERROR_MAX_LEN + 1], tj[MC_PATH_MAX];
	bool   retain = false;
	mc_err rv;

	for (size_t i = 0; i <= last; i++)
		retain |= task_step(c->t, i)->retain_input_images;
	if (retain &&
	    (rv = copy_files(c->in, c->wout, err, sizeof(err))) != MC_OK)
		return chain_fail(c, rv, true, "retaining inputs: %s", err);
	if (sys_path_fmt(tj, sizeof(tj), "%s/%s", c->wout, TASK_JSON_NAME) ==
	        MC_OK &&
	    !sys_exists(tj) &&
	    (rv = write_step_json(c, last, c->wout, err, sizeof(err))) !=
	        MC_OK)
		return chain_fail(c, rv, true, "%s", err);
	if ((rv = sys_files_rename(
	         c->wout, c->ps->out_dir, err, sizeof(err))) != MC_OK)
		return chain_fail(c, rv, true, "%s", err);
	if ((rv = sys_remove_tree(c->work)) != MC_OK)
		log_warn("event=process.cleanup_failed task=%s path=%s err=%s",
		    task_id(c->t), c->work, mc_strerror(rv));
	return MC_OK;
}

static size_t
count_output(const char *out_dir)
{
	char   err[PROCESS_ERROR_MAX_LEN + 1];
	size_t n = 0;

	if (sys_files_count_entries(out_dir, NOT_OUTPUT, NOT_OUTPUT_N, &n, err,
	        sizeof(err)) != MC_OK)
		return 0;
	return n;
}

/* an earlier attempt finished the chain: take its out/ and requests */
static bool
reuse(chain *c)
{
	char   marker[MC_PATH_MAX], *text = NULL;
	size_t len = 0;

	if (sys_path_fmt(marker, sizeof(marker), "%s/%s", c->task_dir,
	        PROCESS_MARKER) != MC_OK ||
	    sys_path_fmt(c->ps->out_dir, sizeof(c->ps->out_dir), "%s/%s",
	        c->task_dir, PROCESS_OUT_DIR) != MC_OK ||
	    !sys_exists(marker) || !sys_exists(c->ps->out_dir))
		return false;
	if (sys_read_file(marker, &text, &len) != MC_OK)
		return false;
	if (module_result_decode(text, &c->ps->mr) != MC_OK) {
		free(text);
		module_result_fini(&c->ps->mr);
		module_result_init(&c->ps->mr);
		return false;
	}
	free(text);
	c->ps->report.ok = true;
	c->ps->report.reused = true;
	c->ps->report.output_files = count_output(c->ps->out_dir);
	log_info("event=process.reused task=%s files=%zu", task_id(c->t),
	    c->ps->report.output_files);
	return true;
}

mc_err
process_run(const task *t, const char *task_dir, process_state *ps)
{
	chain  c = {.t = t, .task_dir = task_dir, .ps = ps};
	size_t n = task_step_count(t);
	mc_err rv;

	memset(ps, 0, sizeof(*ps));
	module_result_init(&ps->mr);
	ps->report.steps = ps->steps;
	ps->report.error = ps->error;
	if (reuse(&c))
		return MC_OK;
	if (n == 0)
		return chain_fail(&c, MC_ECONFIG, false,
		    "kind '%s' but task.json has no process "
		    "section",
		    task_kind(t));
	if ((rv = prepare(&c)) != MC_OK)
		return rv;
	for (size_t i = 0; i < n; i++) {
		if ((rv = run_step(&c, i)) != MC_OK)
			return rv;
		if (i + 1 < n && (rv = rotate(&c)) != MC_OK)
			return rv;
	}
	if ((rv = finish_chain(&c)) != MC_OK)
		return rv;
	ps->report.ok = true;
	ps->report.output_files = count_output(ps->out_dir);
	return MC_OK;
}

mc_err
process_mark_done(const char *task_dir, const char *module_result_json)
{
	char path[MC_PATH_MAX];

	if (sys_path_fmt(path, sizeof(path), "%s/%s", task_dir,
	        PROCESS_MARKER) != MC_OK)
		return MC_EINVAL;
	return sys_write_file_atomic(
	    path, module_result_json, strlen(module_result_json));
}

void
process_state_fini(process_state *ps)
{
	module_result_fini(&ps->mr);
}
