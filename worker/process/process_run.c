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
#include "task/process_chain.h"
#include "os/sys_files.h"
#include "os/sys_fs.h"
#include "targets/target.h"

typedef struct chain {
	const task    *t;
	const char    *task_dir;
	process_state *ps;
	char           win[MC_PATH_MAX];  /* task/work/in */
	char           wout[MC_PATH_MAX]; /* task/work/out */
} chain;

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

/* task/work/{in,out} fresh, in holding copies of the instances */
static mc_err
prepare(chain *c)
{
	char   err[PROCESS_ERROR_MAX_LEN + 1];
	bool   retryable = false;
	mc_err rv;

	if (sys_path_fmt(c->win, sizeof(c->win), "%s/%s/%s", c->task_dir,
	        PROCESS_CHAIN_WORK, PROCESS_CHAIN_IN) != MC_OK ||
	    sys_path_fmt(c->wout, sizeof(c->wout), "%s/%s/%s", c->task_dir,
	        PROCESS_CHAIN_WORK, PROCESS_CHAIN_OUT) != MC_OK ||
	    sys_path_fmt(c->ps->out_dir, sizeof(c->ps->out_dir), "%s/%s",
	        c->task_dir, PROCESS_OUT_DIR) != MC_OK)
		return chain_fail(
		    c, MC_EINVAL, false, "task folder path too long");
	if ((rv = process_chain_prepare(
	         c->task_dir, err, sizeof(err), &retryable)) != MC_OK)
		return chain_fail(c, rv, retryable, "%s", err);
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
check_output(chain *c, size_t i)
{
	char   err[PROCESS_ERROR_MAX_LEN + 1];
	mc_err rv;

	rv = process_chain_check(
	    c->t, i, c->task_dir, &c->ps->mr, err, sizeof(err));
	if (rv != MC_OK)
		return chain_fail(c, rv, false, "%s", err);
	return MC_OK;
}

/* work/out becomes work/in of the next step */
static mc_err
rotate(chain *c)
{
	char   err[PROCESS_ERROR_MAX_LEN + 1];
	mc_err rv;

	if ((rv = process_chain_rotate(c->task_dir, err, sizeof(err))) !=
	    MC_OK)
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

	process_chain_log_name(
	    m, i, c->ps->step_logs[i], sizeof(c->ps->step_logs[i]));
	if (sys_path_fmt(logp, sizeof(logp), "%s/%s", c->task_dir,
	        c->ps->step_logs[i]) != MC_OK)
		return chain_fail(c, MC_EINVAL, false, "path too long");
	if ((rv = process_chain_step_json(
	         c->t, i, c->task_dir, NULL, err, sizeof(err))) != MC_OK)
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
	if ((rv = check_output(c, i)) != MC_OK) {
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
	char   err[PROCESS_ERROR_MAX_LEN + 1];
	bool   retryable = true;
	mc_err rv;

	if ((rv = process_chain_finish(
	         c->t, c->task_dir, err, sizeof(err), &retryable)) != MC_OK)
		return chain_fail(c, rv, retryable, "%s", err);
	process_chain_cleanup(c->t, c->task_dir);
	return MC_OK;
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
	c->ps->report.output_files =
	    process_chain_count_output(c->ps->out_dir);
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
	ps->report.output_files = process_chain_count_output(ps->out_dir);
	return MC_OK;
}

void
process_state_fini(process_state *ps)
{
	module_result_fini(&ps->mr);
}
