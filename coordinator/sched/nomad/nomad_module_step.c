/* nomad_module_step.c - a chain of container modules as Nomad children
 * (nomad_module_step.h).
 *
 * Design notes: the step under way is recorded in the task folder, in
 * `.nomad-steps`:
 *     seq=2 step=1 state=run child=mercure-module-a/dispatch-...
 *     seq=2 step=1 state=checked child=...
 * seq is the attempt's (the `.nomad` record's), step is 1-based. `run`:
 * the step's child is dispatched (idempotency token
 * "<task>-<seq>-s<step>") or about to be; a restarted coordinator
 * re-attaches to it like to a worker child. `checked`: its output was
 * checked and its requests saved (work/mr-<step>.json holds the merged
 * requests of steps 1..step), so a restart goes on with the rotation
 * or the end of the chain and never runs a finished step again. The
 * rotation and the end tolerate a crash halfway: each looks at what is
 * already done (work/out missing or empty, out/ present). */
#include "sched/nomad/nomad_module_step.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "os/sys_fs.h"
#include "task/module_result.h"
#include "task/process_chain.h"
#include "sched/nomad/nomad_job.h"
#include "sched/nomad/nomad_backend_int.h"
#include "task/result_json.h"
#include "task/task.h"

#define STEPS_FILE ".nomad-steps"
#define STEPS_PLACE_DEFAULT_S 600
#define STEPS_PLACE_MAX_S 604800
#define STEPS_EXIT_FAILED 1 /* the worker's exit for a failed chain */
#define STEPS_ERROR_MAX 511

typedef struct step_job {
	char module[128];
	char job[128];
} step_job;

struct nomad_steps {
	bool      in_worker;
	unsigned  place_s;
	char      root[MC_PATH_MAX];
	step_job *jobs;
	size_t    n_jobs;
};

typedef struct steps_rec {
	unsigned seq, step;
	bool     checked;
	char     child[NOMAD_ID_MAX];
} steps_rec;

/* ---- setup ------------------------------------------------------------ */

static bool
flag_true(const char *v)
{
	return v != NULL && (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 ||
	                        strcmp(v, "1") == 0);
}

mc_err
nomad_steps_create(
    const mc_config *cfg, const char *storage_root, nomad_steps **out)
{
	nomad_steps    *s = calloc(1, sizeof(*s));
	nomad_job_desc *d = calloc(1, sizeof(*d));
	const char     *v;
	char            err[512];
	mc_err          rv = MC_OK;

	*out = NULL;
	if (s == NULL || d == NULL ||
	    (cfg->n_modules && (s->jobs = calloc(cfg->n_modules,
	                            sizeof(*s->jobs))) == NULL)) {
		free(d);
		nomad_steps_destroy(s);
		return MC_ENOMEM;
	}
	snprintf(s->root, sizeof(s->root), "%s", storage_root);
	s->in_worker = flag_true(
	    config_kv_get(&cfg->scheduler.fields, "modules_in_worker"));
	s->place_s = STEPS_PLACE_DEFAULT_S;
	v = config_kv_get(&cfg->scheduler.fields, "module_placement_timeout");
	if (v != NULL) {
		char *end;
		long  n;
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno || end == v || *end || n < 1 ||
		    n > STEPS_PLACE_MAX_S) {
			log_error("event=nomad.bad_setting "
			          "field=scheduler.module_placement_timeout "
			          "msg=\"must be a whole number in 1..%d\"",
			    STEPS_PLACE_MAX_S);
			rv = MC_ECONFIG;
		}
		s->place_s = (unsigned) n;
	}
	for (size_t i = 0; rv == MC_OK && i < cfg->n_modules; i++) {
		memset(d, 0, sizeof(*d));
		if (nomad_job_module_from_config(
		        cfg, &cfg->modules[i], d, err, sizeof(err)) != MC_OK)
			continue; /* not a container (build_jobs logs errors)
			           */
		step_job *j = &s->jobs[s->n_jobs++];
		snprintf(
		    j->module, sizeof(j->module), "%s", cfg->modules[i].name);
		snprintf(j->job, sizeof(j->job), "%s", d->id);
	}
	free(d);
	if (rv != MC_OK) {
		nomad_steps_destroy(s);
		return rv;
	}
	*out = s;
	return MC_OK;
}

void
nomad_steps_destroy(nomad_steps *s)
{
	if (s == NULL)
		return;
	free(s->jobs);
	free(s);
}

static const char *
job_for(const nomad_steps *s, const char *module)
{
	for (size_t i = 0; i < s->n_jobs; i++)
		if (strcmp(s->jobs[i].module, module) == 0)
			return s->jobs[i].job;
	return NULL;
}

/* ---- the record ------------------------------------------------------- */

static void
rec_read(const char *dir, steps_rec *r)
{
	char   path[MC_PATH_MAX], *text = NULL, v[32];
	size_t len;

	memset(r, 0, sizeof(*r));
	if (sys_path_fmt(path, sizeof(path), "%s/%s", dir, STEPS_FILE) !=
	        MC_OK ||
	    sys_read_file(path, &text, &len) != MC_OK)
		return;
	r->seq = (unsigned) strtoul(
	    nomad_rec_field(text, "seq", v, sizeof(v)), NULL, 10);
	r->step = (unsigned) strtoul(
	    nomad_rec_field(text, "step", v, sizeof(v)), NULL, 10);
	r->checked = strcmp(nomad_rec_field(text, "state", v, sizeof(v)),
	                 "checked") == 0;
	nomad_rec_field(text, "child", r->child, sizeof(r->child));
	free(text);
}

static mc_err
rec_write(const char *dir, const steps_rec *r)
{
	char path[MC_PATH_MAX], text[NOMAD_ID_MAX + 96];
	int  n =
	    snprintf(text, sizeof(text), "seq=%u step=%u state=%s child=%s\n",
	        r->seq, r->step, r->checked ? "checked" : "run", r->child);
	mc_err rv;

	if ((rv = sys_path_fmt(
	         path, sizeof(path), "%s/%s", dir, STEPS_FILE)) != MC_OK ||
	    (rv = sys_write_file_atomic(path, text, (size_t) n)) != MC_OK)
		log_error("event=nomad.record_failed file=%s err=%s", path,
		    mc_strerror(rv));
	return rv;
}

/* ---- a task ----------------------------------------------------------- */

typedef struct stask {
	nomad_steps *s;
	const char  *id;
	char         dir[MC_PATH_MAX];
	task        *t;
	size_t       n;
	steps_rec    rec;
} stask;

/* st_load - the task, and whether its chain runs as module children */
static bool
st_load(nomad_steps *s, const char *id, stask *x)
{
	char    path[MC_PATH_MAX];
	mc_diag d;

	memset(x, 0, sizeof(*x));
	memset(&d, 0, sizeof(d));
	x->s = s;
	x->id = id;
	if (s->in_worker ||
	    sys_path_fmt(x->dir, sizeof(x->dir), "%s/tasks/%s", s->root, id) !=
	        MC_OK ||
	    sys_path_fmt(
	        path, sizeof(path), "%s/%s", x->dir, TASK_JSON_NAME) != MC_OK)
		return false;
	if (task_load(path, &x->t, &d) != MC_OK) {
		log_warn("event=nomad.steps_unreadable task=%s field=%s "
		         "msg=\"%s\"",
		    id, d.field, d.msg);
		return false;
	}
	x->n = task_step_count(x->t);
	if (x->n == 0)
		return false;
	for (size_t i = 0; i < x->n; i++) {
		const module_spec *m = task_step(x->t, i);
		if (m->kind != MODULE_CONTAINER || !job_for(s, m->name))
			return false; /* the worker runs the whole chain */
	}
	return true;
}

static void
st_fini(stask *x)
{
	task_destroy(x->t);
	x->t = NULL;
}

/* fail - result.json of a failed chain, as the worker writes one */
static steps_next fail(stask *x, size_t step, int exit_code, bool retryable,
    int *code, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static steps_next
fail(stask *x, size_t step, int exit_code, bool retryable, int *code,
    const char *fmt, ...)
{
	task_step_report    steps[TASK_STEPS_MAX];
	task_process_report pr;
	task_result         res;
	char                msg[STEPS_ERROR_MAX + 1], error[600];
	char                path[MC_PATH_MAX], *text = NULL;
	size_t              len = 0;
	va_list             ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memset(steps, 0, sizeof(steps));
	for (size_t i = 0; i < step && i < TASK_STEPS_MAX; i++) {
		steps[i].module = task_step(x->t, i)->name;
		steps[i].ok = i + 1 < step;
		steps[i].exit_code = i + 1 < step ? 0 : exit_code;
		steps[i].log = "";
		steps[i].error = i + 1 < step ? "" : msg;
	}
	memset(&pr, 0, sizeof(pr));
	pr.retryable = retryable;
	pr.steps = steps;
	pr.n_steps = step < TASK_STEPS_MAX ? step : TASK_STEPS_MAX;
	pr.error = msg;
	snprintf(error, sizeof(error), "processing failed: %s", msg);
	memset(&res, 0, sizeof(res));
	res.task_id = x->id;
	res.kind = task_kind(x->t);
	res.retryable = retryable;
	res.started_us = res.finished_us = sys_now_us();
	res.error = error;
	res.process = &pr;
	log_warn("event=process.failed task=%s retryable=%d msg=\"%s\"", x->id,
	    retryable ? 1 : 0, msg);
	if (sys_path_fmt(path, sizeof(path), "%s/%s", x->dir,
	        TASK_RESULT_NAME) != MC_OK ||
	    task_result_encode(&res, &text, &len) != MC_OK ||
	    sys_write_file_atomic(path, text, len) != MC_OK)
		log_error("event=result.write_failed task=%s", x->id);
	free(text);
	*code = STEPS_EXIT_FAILED;
	return STEPS_FAILED;
}

/* the merged requests of steps 1..step */
static mc_err
mr_path(const stask *x, unsigned step, char *buf, size_t len)
{
	return sys_path_fmt(
	    buf, len, "%s/%s/mr-%u.json", x->dir, PROCESS_CHAIN_WORK, step);
}

static void
mr_load(const stask *x, unsigned step, module_result *mr)
{
	char   path[MC_PATH_MAX], *text = NULL;
	size_t len;

	module_result_init(mr);
	if (step == 0 || mr_path(x, step, path, sizeof(path)) != MC_OK ||
	    sys_read_file(path, &text, &len) != MC_OK)
		return;
	if (module_result_decode(text, mr) != MC_OK) {
		module_result_fini(mr);
		module_result_init(mr);
	}
	free(text);
}

/* submit_step - the child of step rec.step */
static steps_next
submit_step(stask *x, bool resume, ntask **out, int *code)
{
	size_t             i = x->rec.step - 1;
	const module_spec *m = task_step(x->t, i);
	char               err[STEPS_ERROR_MAX + 1];
	ntask             *nt;

	if (process_chain_step_json(x->t, i, x->dir, NULL, err, sizeof(err)) !=
	    MC_OK)
		return fail(x, i + 1, -1, true, code, "%s", err);
	if ((nt = calloc(1, sizeof(*nt))) == NULL)
		return fail(x, i + 1, -1, true, code, "out of memory");
	nt->kind = NT_SUBMIT;
	nt->resume = resume;
	nt->step = x->rec.step;
	snprintf(nt->id, sizeof(nt->id), "%s", x->id);
	snprintf(nt->token, sizeof(nt->token), "%s-%u-s%u", x->id, x->rec.seq,
	    x->rec.step);
	snprintf(nt->job, sizeof(nt->job), "%s", job_for(x->s, m->name));
	if (resume)
		snprintf(nt->child, sizeof(nt->child), "%s", x->rec.child);
	nt->place_deadline_ms =
	    nomad_now_ms() + (int64_t) x->s->place_s * 1000;
	log_info("event=module.start task=%s step=%u module=%s kind=nomad "
	         "job=%s resume=%s",
	    x->id, x->rec.step, m->name, nt->job, resume ? "yes" : "no");
	*out = nt;
	return STEPS_SUBMIT;
}

/* finish - after the last step was checked: out/ and processed.json */
static steps_next
finish(stask *x, int *code)
{
	char          out[MC_PATH_MAX], wout[MC_PATH_MAX];
	char          err[STEPS_ERROR_MAX + 1], *json = NULL;
	module_result mr;
	bool          retryable = true;

	if (sys_path_fmt(out, sizeof(out), "%s/%s", x->dir,
	        PROCESS_CHAIN_OUT) != MC_OK ||
	    sys_path_fmt(wout, sizeof(wout), "%s/%s/%s", x->dir,
	        PROCESS_CHAIN_WORK, PROCESS_CHAIN_OUT) != MC_OK)
		return fail(x, x->n, -1, false, code, "path too long");
	/* a restart after the rename finds out/ and no work/out */
	if (!(sys_exists(out) && !sys_exists(wout)) &&
	    process_chain_finish(x->t, x->dir, err, sizeof(err), &retryable) !=
	        MC_OK)
		return fail(x, x->n, -1, retryable, code, "%s", err);
	mr_load(x, (unsigned) x->n, &mr);
	if (module_result_encode(&mr, NULL, &json) != MC_OK ||
	    process_mark_done(x->dir, json) != MC_OK) {
		free(json);
		module_result_fini(&mr);
		return fail(x, x->n, -1, true, code, "cannot write %s in %s",
		    PROCESS_MARKER, x->dir);
	}
	free(json);
	module_result_fini(&mr);
	process_chain_cleanup(x->t, x->dir);
	log_info("event=process.chain_done task=%s steps=%zu files=%zu", x->id,
	    x->n, process_chain_count_output(out));
	return STEPS_WORKER;
}

/* advance - from a checked step to the next one, or the end */
static steps_next
advance(stask *x, ntask **out, int *code)
{
	char   wout[MC_PATH_MAX], err[STEPS_ERROR_MAX + 1];
	mc_err rv = MC_OK;

	if (x->rec.step >= x->n)
		return finish(x, code);
	if (sys_path_fmt(wout, sizeof(wout), "%s/%s/%s", x->dir,
	        PROCESS_CHAIN_WORK, PROCESS_CHAIN_OUT) != MC_OK)
		return fail(x, x->rec.step, -1, false, code, "path too long");
	/* a restart after the rotation finds work/out missing or empty */
	if (!sys_exists(wout))
		rv = sys_mkdir_p(wout);
	else if (process_chain_count_output(wout) > 0)
		rv = process_chain_rotate(x->dir, err, sizeof(err));
	if (rv != MC_OK)
		return fail(
		    x, x->rec.step, -1, true, code, "%s", mc_strerror(rv));
	x->rec.step++;
	x->rec.checked = false;
	x->rec.child[0] = '\0';
	if (rec_write(x->dir, &x->rec) != MC_OK)
		return fail(
		    x, x->rec.step, -1, true, code, "cannot record the step");
	return submit_step(x, false, out, code);
}

steps_next
nomad_steps_begin(nomad_steps *s, const char *task_id, unsigned seq,
    bool resume, ntask **out, int *code)
{
	char       marker[MC_PATH_MAX], outd[MC_PATH_MAX];
	char       err[STEPS_ERROR_MAX + 1];
	bool       retryable = false;
	stask      x;
	steps_next nx;

	*out = NULL;
	if (!st_load(s, task_id, &x)) {
		st_fini(&x);
		return STEPS_WORKER;
	}
	/* a finished chain: the worker reuses out/ */
	if (sys_path_fmt(marker, sizeof(marker), "%s/%s", x.dir,
	        PROCESS_MARKER) == MC_OK &&
	    sys_path_fmt(outd, sizeof(outd), "%s/%s", x.dir,
	        PROCESS_CHAIN_OUT) == MC_OK &&
	    sys_exists(marker) && sys_exists(outd)) {
		st_fini(&x);
		return STEPS_WORKER;
	}
	rec_read(x.dir, &x.rec);
	if (resume && x.rec.seq == seq && x.rec.step >= 1 &&
	    x.rec.step <= x.n) {
		log_info("event=nomad.steps_resumed task=%s step=%u state=%s "
		         "child=%s",
		    task_id, x.rec.step, x.rec.checked ? "checked" : "run",
		    x.rec.child[0] ? x.rec.child : "-");
		nx = x.rec.checked ? advance(&x, out, code)
		                   : submit_step(&x, true, out, code);
	} else if (process_chain_prepare(
	               x.dir, err, sizeof(err), &retryable) != MC_OK) {
		nx = fail(&x, 0, -1, retryable, code, "%s", err);
	} else {
		log_info("event=process.start task=%s kind=%s steps=%zu "
		         "via=nomad",
		    task_id, task_kind(x.t), x.n);
		memset(&x.rec, 0, sizeof(x.rec));
		x.rec.seq = seq;
		x.rec.step = 1;
		nx =
		    rec_write(x.dir, &x.rec) != MC_OK
		        ? fail(&x, 1, -1, true, code, "cannot record the step")
		        : submit_step(&x, false, out, code);
	}
	st_fini(&x);
	return nx;
}

void
nomad_steps_on_attached(nomad_steps *s, const ntask *t)
{
	char      dir[MC_PATH_MAX];
	steps_rec r;

	if (sys_path_fmt(dir, sizeof(dir), "%s/tasks/%s", s->root, t->id) !=
	    MC_OK)
		return;
	rec_read(dir, &r);
	if (r.step != t->step || r.checked)
		return;
	snprintf(r.child, sizeof(r.child), "%s", t->child);
	(void) rec_write(dir, &r);
}

/* checked - step t->step exited 0: its output checked, the requests
 * merged and saved, the record moved on */
static steps_next
checked(stask *x, const ntask *t, ntask **out, int *code)
{
	size_t        i = t->step - 1;
	char          err[STEPS_ERROR_MAX + 1], path[MC_PATH_MAX];
	char         *json = NULL;
	module_result acc, cur;
	mc_err        rv;

	module_result_init(&cur);
	rv = process_chain_check(x->t, i, x->dir, &cur, err, sizeof(err));
	if (rv != MC_OK) {
		module_result_fini(&cur);
		return fail(x, t->step, 0, false, code, "%s", err);
	}
	mr_load(x, t->step - 1, &acc);
	module_result_merge(&acc, &cur);
	module_result_fini(&cur);
	rv = module_result_encode(&acc, NULL, &json);
	module_result_fini(&acc);
	if (rv == MC_OK &&
	    (rv = mr_path(x, t->step, path, sizeof(path))) == MC_OK)
		rv = sys_write_file_atomic(path, json, strlen(json));
	free(json);
	if (rv != MC_OK)
		return fail(x, t->step, 0, true, code,
		    "cannot save the requests of step %u: %s", t->step,
		    mc_strerror(rv));
	log_info("event=module.done task=%s step=%u module=%s child=%s", x->id,
	    t->step, task_step(x->t, i)->name, t->child);
	x->rec.checked = true;
	if (rec_write(x->dir, &x->rec) != MC_OK)
		return fail(
		    x, t->step, 0, true, code, "cannot record the step");
	return advance(x, out, code);
}

steps_next
nomad_steps_on_done(nomad_steps *s, const ntask *t, ntask **out, int *code)
{
	stask              x;
	const module_spec *m;
	steps_next         nx;

	*out = NULL;
	if (!st_load(s, t->id, &x)) {
		/* task.json changed under a running chain: the worker's
		 * verdict path decides (no result.json: a retry) */
		st_fini(&x);
		*code = NOMAD_EXIT_RETRY;
		return STEPS_FAILED;
	}
	rec_read(x.dir, &x.rec);
	m = task_step(x.t, t->step - 1);
	if (t->exit_code == 0)
		nx = checked(&x, t, out, code);
	else if (t->unplaced)
		nx = fail(&x, t->step, -1, false, code,
		    "module '%s' (step %u): Nomad could not place %s "
		    "within %u s (scheduler.module_placement_timeout): %s",
		    m->name, t->step, t->job, s->place_s, t->reason);
	else
		nx = fail(&x, t->step, t->exit_code,
		    t->exit_code == NOMAD_EXIT_RETRY, code,
		    "module '%s' (step %u) failed in Nomad child %s: %s",
		    m->name, t->step, t->child[0] ? t->child : "-", t->reason);
	st_fini(&x);
	return nx;
}
