/* sched_nomad.c - the Nomad backend's loop-thread side: settings (config
 * first, then Nomad's environment variables), the jobs to register, the
 * per-task dispatch record, and the verdicts coming back from the
 * backend thread (nomad_backend.c) through a work queue.
 *
 * Design notes: each task folder holds a small record, `.nomad`, written
 * before a dispatch and closed before the verdict is reported:
 *     seq=2 state=open child=mercure-worker/dispatch-...
 * The idempotency token is "<task id>-<seq>". A coordinator restarted
 * while the record is open dispatches with the same token, and Nomad
 * answers with the child it already made (reference 1.3), so the task is
 * re-attached, never run twice; a closed record, or one older than
 * task.json, means the next attempt (a retry, or --retry from error/)
 * gets a new seq, hence a new child. */
#include "sched/nomad/sched_nomad.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/log.h"
#include "sched/nomad/nomad_job.h"
#include "sched/nomad/nomad_module_step.h"
#include "sched/nomad/sched_nomad_int.h"
#include "os/sys_fs.h"

#define NOMAD_RECORD_FILE ".nomad"
#define NOMAD_MAX_DISPATCH_DEFAULT 8
#define NOMAD_MAX_DISPATCH_LIMIT 4096
#define NOMAD_WAIT_DEFAULT_S 60
#define NOMAD_HTTP_TIMEOUT_DEFAULT_S 10
#define NOMAD_TOKEN_FILE_MAX (64 * 1024)
#define NOMAD_KEEP_FAILED_DEFAULT 50
#define NOMAD_KEEP_FAILED_HOURS_DEFAULT 24

typedef struct sched_nomad {
	sched          base;
	work_queue    *done_q;
	nomad_backend *backend;
	unsigned       max_dispatch;
	unsigned       in_flight;
	char           root[MC_PATH_MAX];
	nomad_steps   *steps; /* chains of container modules */
} sched_nomad;

/* settings - the strings behind nomad_client_opts */
typedef struct settings {
	char     address[512], ns[64], region[64];
	char     ca[1024], cert[1024], key[1024];
	char    *token; /* secret; wiped and freed */
	unsigned max_dispatch, wait_s, timeout_s;
	unsigned keep_failed, keep_failed_hours;
	bool     event_stream;
} settings;

/* ---- settings --------------------------------------------------------- */

static const char *
field(const mc_config *cfg, const char *key)
{
	return config_kv_get(&cfg->scheduler.fields, key);
}

/* pick - config value, else the environment variable, else "" */
static void
pick(char *dst, size_t len, const mc_config *cfg, const char *key,
    const char *env)
{
	const char *v = field(cfg, key);

	if (v == NULL || v[0] == '\0')
		v = env ? getenv(env) : NULL;
	snprintf(dst, len, "%s", v ? v : "");
}

static mc_err
number(const mc_config *cfg, const char *key, unsigned def, unsigned max,
    unsigned *out)
{
	const char *v = field(cfg, key);
	char       *end;
	long        n;

	*out = def;
	if (v == NULL)
		return MC_OK;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < 1 || n > (long) max) {
		log_error("event=nomad.bad_setting field=scheduler.%s "
		          "msg=\"must be a whole number in 1..%u\"",
		    key, max);
		return MC_ECONFIG;
	}
	*out = (unsigned) n;
	return MC_OK;
}

/* number0 - as number, 0 allowed */
static mc_err
number0(const mc_config *cfg, const char *key, unsigned def, unsigned max,
    unsigned *out)
{
	const char *v = field(cfg, key);

	if (v != NULL && strcmp(v, "0") == 0) {
		*out = 0;
		return MC_OK;
	}
	return number(cfg, key, def, max, out);
}

static mc_err
boolean(const mc_config *cfg, const char *key, bool def, bool *out)
{
	const char *v = field(cfg, key);

	*out = def;
	if (v == NULL)
		return MC_OK;
	if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
		*out = v[0] == 't';
		return MC_OK;
	}
	log_error("event=nomad.bad_setting field=scheduler.%s "
	          "msg=\"must be true or false\"",
	    key);
	return MC_ECONFIG;
}

/* read_token - token_file (first line, trimmed), else NOMAD_TOKEN */
static mc_err
read_token(const mc_config *cfg, char **out)
{
	const char *path = field(cfg, "token_file");
	const char *env = getenv("NOMAD_TOKEN");
	char       *text = NULL;
	size_t      len = 0;

	*out = NULL;
	if (path == NULL || path[0] == '\0') {
		if (env != NULL && env[0] != '\0' &&
		    (*out = strdup(env)) == NULL)
			return MC_ENOMEM;
		return MC_OK;
	}
	if (sys_read_file(path, &text, &len) != MC_OK ||
	    len > NOMAD_TOKEN_FILE_MAX) {
		log_error("event=nomad.bad_setting field=scheduler.token_file "
		          "path=%s msg=\"cannot read the token file\"",
		    path);
		free(text);
		return MC_ECONFIG;
	}
	text[strcspn(text, "\r\n")] = '\0';
	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t'))
		text[--len] = '\0';
	*out = text;
	return MC_OK;
}

static mc_err
read_settings(const mc_config *cfg, settings *s)
{
	mc_err rv;

	memset(s, 0, sizeof(*s));
	pick(s->address, sizeof(s->address), cfg, "address", "NOMAD_ADDR");
	pick(s->ns, sizeof(s->ns), cfg, "namespace", "NOMAD_NAMESPACE");
	pick(s->region, sizeof(s->region), cfg, "region", "NOMAD_REGION");
	pick(s->ca, sizeof(s->ca), cfg, "ca_file", "NOMAD_CACERT");
	pick(s->cert, sizeof(s->cert), cfg, "cert_file", "NOMAD_CLIENT_CERT");
	pick(s->key, sizeof(s->key), cfg, "key_file", "NOMAD_CLIENT_KEY");
	if ((rv = number(cfg, "max_dispatch", NOMAD_MAX_DISPATCH_DEFAULT,
	         NOMAD_MAX_DISPATCH_LIMIT, &s->max_dispatch)) ||
	    (rv = number(cfg, "blocking_wait", NOMAD_WAIT_DEFAULT_S, 300,
	         &s->wait_s)) ||
	    (rv = number(cfg, "http_timeout", NOMAD_HTTP_TIMEOUT_DEFAULT_S,
	         600, &s->timeout_s)) ||
	    (rv = number0(cfg, "keep_failed_children",
	         NOMAD_KEEP_FAILED_DEFAULT, 100000, &s->keep_failed)) ||
	    (rv = number0(cfg, "keep_failed_children_hours",
	         NOMAD_KEEP_FAILED_HOURS_DEFAULT, 24 * 365,
	         &s->keep_failed_hours)) ||
	    (rv = boolean(cfg, "event_stream", true, &s->event_stream)))
		return rv;
	return read_token(cfg, &s->token);
}

static void
settings_fini(settings *s)
{
	if (s->token) {
		memset(s->token, 0, strlen(s->token));
		free(s->token);
	}
}

/* ---- jobs ------------------------------------------------------------- */

static mc_err
add_job(nomad_job_desc *d, const settings *s, nomad_reg_job *j)
{
	char   err[512];
	mc_err rv;

	/* Nomad's own variables place the jobs too, the config winning */
	if (d->ns[0] == '\0')
		snprintf(d->ns, sizeof(d->ns), "%s", s->ns);
	if (d->region[0] == '\0')
		snprintf(d->region, sizeof(d->region), "%s", s->region);
	snprintf(j->id, sizeof(j->id), "%s", d->id);
	if ((rv = nomad_job_json(d, &j->body)) != MC_OK)
		return rv;
	if (nomad_job_validate(j->body, err, sizeof(err)) != MC_OK) {
		log_error("event=nomad.bad_job job=%s msg=\"%s\"", d->id, err);
		return MC_ECONFIG;
	}
	return MC_OK;
}

/* build_jobs - the worker's job, then one per container module */
static mc_err
build_jobs(
    const mc_config *cfg, const settings *s, nomad_reg_job *jobs, size_t *n)
{
	nomad_job_desc *d = calloc(1, sizeof(*d));
	char            err[512];
	mc_err          rv;

	*n = 0;
	if (d == NULL)
		return MC_ENOMEM;
	if ((rv = nomad_job_worker_from_config(cfg, d, err, sizeof(err))) !=
	    MC_OK) {
		log_error("event=nomad.bad_setting msg=\"%s\"", err);
		goto out;
	}
	if ((rv = add_job(d, s, &jobs[(*n)++])) != MC_OK)
		goto out;
	for (size_t i = 0; i < cfg->n_modules; i++) {
		rv = nomad_job_module_from_config(
		    cfg, &cfg->modules[i], d, err, sizeof(err));
		if (rv == MC_ENOENT)
			continue;
		if (rv == MC_OK && *n == NOMAD_MAX_JOBS) {
			snprintf(err, sizeof(err), "more than %d modules",
			    NOMAD_MAX_JOBS - 1);
			rv = MC_ECONFIG;
		}
		if (rv != MC_OK) {
			log_error("event=nomad.bad_setting msg=\"%s\"", err);
			goto out;
		}
		if ((rv = add_job(d, s, &jobs[(*n)++])) != MC_OK)
			goto out;
	}
out:
	free(d);
	return rv;
}

/* ---- the dispatch record ---------------------------------------------- */

typedef struct record {
	unsigned seq;
	bool     open;
	char     child[NOMAD_ID_MAX];
} record;

static mc_err
record_path(const sched_nomad *sn, const char *task_id, char *buf, size_t len)
{
	return sys_path_fmt(
	    buf, len, "%s/tasks/%s/%s", sn->root, task_id, NOMAD_RECORD_FILE);
}

const char *
nomad_rec_field(const char *text, const char *key, char *buf, size_t len)
{
	size_t      k = strlen(key);
	const char *p = text;

	buf[0] = '\0';
	while ((p = strstr(p, key)) != NULL) {
		if ((p == text || p[-1] == ' ') && p[k] == '=') {
			p += k + 1;
			snprintf(buf, len, "%.*s", (int) strcspn(p, " \n"), p);
			break;
		}
		p += k;
	}
	return buf;
}

/* record_read - a missing or unreadable record is seq 0, closed */
static void
record_read(const char *path, record *r)
{
	char  *text = NULL, v[32];
	size_t len;

	memset(r, 0, sizeof(*r));
	if (sys_read_file(path, &text, &len) != MC_OK)
		return;
	r->seq = (unsigned) strtoul(
	    nomad_rec_field(text, "seq", v, sizeof(v)), NULL, 10);
	r->open =
	    strcmp(nomad_rec_field(text, "state", v, sizeof(v)), "open") == 0;
	nomad_rec_field(text, "child", r->child, sizeof(r->child));
	free(text);
}

static mc_err
record_write(const char *path, const record *r)
{
	char text[NOMAD_ID_MAX + 64];
	int  n = snprintf(text, sizeof(text), "seq=%u state=%s child=%s\n",
	     r->seq, r->open ? "open" : "closed", r->child);

	return sys_write_file_atomic(path, text, (size_t) n);
}

/* record_is_current - an open record names the running attempt only if
 * task.json was not rewritten after it: a retry (prepare_retry) or
 * --retry (reset) rewrites task.json, and a task concluded without us
 * (its result.json found at a restart) leaves its record open. */
static bool
record_is_current(
    const sched_nomad *sn, const char *task_id, const char *rec_path)
{
	char        tj[MC_PATH_MAX];
	struct stat r, t;

	if (sys_path_fmt(tj, sizeof(tj), "%s/tasks/%s/task.json", sn->root,
	        task_id) != MC_OK ||
	    stat(rec_path, &r) != 0 || stat(tj, &t) != 0)
		return true;
	return r.st_mtim.tv_sec > t.st_mtim.tv_sec ||
	       (r.st_mtim.tv_sec == t.st_mtim.tv_sec &&
	           r.st_mtim.tv_nsec >= t.st_mtim.tv_nsec);
}

/* ---- the scheduler interface ------------------------------------------ */

static bool
nomad_has_capacity(const sched *s, sched_kind kind)
{
	const sched_nomad *sn = (const sched_nomad *) s;

	(void) kind; /* one cap: children in flight */
	return sn->in_flight < sn->max_dispatch &&
	       nomad_backend_ready(sn->backend);
}

static unsigned
nomad_running(const sched *s)
{
	return ((const sched_nomad *) s)->in_flight;
}

static bool submit_steps(sched_nomad *sn, ntask *t, unsigned seq);

static mc_err
nomad_submit(
    sched *s, const char *task_id, sched_kind kind, const char *task_dir)
{
	sched_nomad *sn = (sched_nomad *) s;
	char         path[MC_PATH_MAX];
	record       r;
	ntask       *t;
	mc_err       rv;

	(void) kind;
	(void) task_dir; /* the record's path comes from the storage root */
	if (strlen(task_id) >= NOMAD_TASK_ID_MAX)
		return MC_EINVAL;
	if ((rv = record_path(sn, task_id, path, sizeof(path))) != MC_OK)
		return rv;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return MC_ENOMEM;
	record_read(path, &r);
	t->resume = r.open && record_is_current(sn, task_id, path);
	if (!t->resume) {
		/* a new attempt: a new child */
		r.seq++;
		r.open = true;
		r.child[0] = '\0';
	}
	if ((rv = record_write(path, &r)) != MC_OK) {
		log_error("event=nomad.record_failed task=%s err=%s", task_id,
		    mc_strerror(rv));
		free(t);
		return rv;
	}
	t->kind = NT_SUBMIT;
	if (t->resume) /* the child named by the record, if it got that far */
		snprintf(t->child, sizeof(t->child), "%s", r.child);
	snprintf(t->id, sizeof(t->id), "%s", task_id);
	snprintf(t->token, sizeof(t->token), "%s-%u", task_id, r.seq);
	if (kind == SCHED_KIND_PROCESS && submit_steps(sn, t, r.seq))
		return MC_OK;
	sn->in_flight++;
	nomad_backend_submit(sn->backend, t);
	return MC_OK;
}

/* submit_steps - a chain of container modules runs as module children
 * first (nomad_module_step.c); true when t was taken for that: its
 * steps are submitted, or its verdict is queued */
static bool
submit_steps(sched_nomad *sn, ntask *t, unsigned seq)
{
	ntask     *st = NULL;
	int        code = 0;
	steps_next nx =
	    nomad_steps_begin(sn->steps, t->id, seq, t->resume, &st, &code);

	if (nx == STEPS_WORKER)
		return false;
	sn->in_flight++;
	if (nx == STEPS_SUBMIT) {
		free(t);
		nomad_backend_submit(sn->backend, st);
		return true;
	}
	/* the verdict goes the way of every verdict: through done_q */
	t->kind = NT_DONE;
	t->exit_code = code;
	work_queue_push(sn->done_q, &t->node);
	return true;
}

/* purge_step_child - a module step's child whose verdict
 * nomad_steps_on_done has recorded goes the way of the worker's children
 * (nomad_purge.c: purged, or kept a while when it failed) */
static void
purge_step_child(sched_nomad *sn, const ntask *t)
{
	ntask *p;

	if (t->kind != NT_DONE || t->child[0] == '\0' ||
	    (p = calloc(1, sizeof(*p))) == NULL)
		return;
	p->kind = NT_PURGE;
	p->exit_code = t->exit_code;
	snprintf(p->id, sizeof(p->id), "%s", t->id);
	snprintf(p->child, sizeof(p->child), "%s", t->child);
	nomad_backend_submit(sn->backend, p);
}

/* on_step - a module step's ntask came back; false when t is now the
 * task's verdict (an NT_DONE of the worker's kind) for on_backend */
static bool
on_step(sched_nomad *sn, ntask *t)
{
	char       path[MC_PATH_MAX];
	record     r;
	ntask     *next = NULL;
	int        code = 0;
	steps_next nx;

	if (t->kind == NT_ATTACHED) {
		nomad_steps_on_attached(sn->steps, t);
		free(t);
		return true;
	}
	nx = nomad_steps_on_done(sn->steps, t, &next, &code);
	purge_step_child(sn, t);
	if (nx == STEPS_SUBMIT) {
		free(t);
		nomad_backend_submit(sn->backend, next);
		return true;
	}
	t->job[0] = '\0';
	t->child[0] = '\0';
	if (nx == STEPS_FAILED) {
		t->exit_code = code;
		return false;
	}
	/* every step done: out/ goes through the worker's job, as the
	 * attempt's own child (token <task>-<seq>) */
	if (record_path(sn, t->id, path, sizeof(path)) == MC_OK)
		record_read(path, &r);
	else
		memset(&r, 0, sizeof(r));
	{
		char id[NOMAD_TASK_ID_MAX];
		snprintf(id, sizeof(id), "%s", t->id);
		memset(t, 0, sizeof(*t));
		snprintf(t->id, sizeof(t->id), "%s", id);
	}
	t->kind = NT_SUBMIT;
	snprintf(t->token, sizeof(t->token), "%s-%u", t->id, r.seq);
	nomad_backend_submit(sn->backend, t);
	return true;
}

/* on_backend - verdicts and attachments, on the loop thread */
static void
on_backend(loop *l, int fd, void *arg)
{
	sched_nomad *sn = arg;
	work_node   *n;
	char         path[MC_PATH_MAX];
	record       r;

	(void) l;
	(void) fd;
	while ((n = work_queue_pop(sn->done_q)) != NULL) {
		ntask *t = (ntask *) n;
		if (t->job[0] && on_step(sn, t))
			continue;
		if (record_path(sn, t->id, path, sizeof(path)) == MC_OK) {
			record_read(path, &r);
			snprintf(r.child, sizeof(r.child), "%s", t->child);
			r.open = t->kind != NT_DONE;
			if (record_write(path, &r) != MC_OK)
				log_warn("event=nomad.record_failed task=%s",
				    t->id);
		}
		if (t->kind == NT_DONE) {
			sn->in_flight--;
			sn->base.done(sn->base.ctx, t->id, t->exit_code);
			if (t->child[0]) {
				/* the verdict is recorded: the child can go */
				t->kind = NT_PURGE;
				nomad_backend_submit(sn->backend, t);
				continue;
			}
		}
		free(t);
	}
}

static void
nomad_stop(sched *s)
{
	sched_nomad *sn = (sched_nomad *) s;

	/* children keep running: a restarted coordinator re-attaches */
	nomad_backend_stop(sn->backend);
	nomad_steps_destroy(sn->steps);
	if (sn->done_q) {
		loop_remove_fd(s->l, work_queue_fd(sn->done_q));
		work_queue_destroy(sn->done_q);
	}
}

static void
free_task_node(work_node *n)
{
	free(n);
}

static mc_err
start_backend(sched_nomad *sn, const mc_config *cfg, settings *s)
{
	nomad_reg_job    *jobs = calloc(NOMAD_MAX_JOBS, sizeof(*jobs));
	nomad_backend_cfg bc;
	size_t            n = 0;
	mc_err            rv;

	if (jobs == NULL)
		return MC_ENOMEM;
	if ((rv = build_jobs(cfg, s, jobs, &n)) != MC_OK)
		goto out;
	memset(&bc, 0, sizeof(bc));
	bc.client = (nomad_client_opts){s->address, s->token, s->ns, s->region,
	    s->ca, s->cert, s->key, s->timeout_s * 1000};
	bc.jobs = jobs;
	bc.n_jobs = n;
	bc.wait_s = s->wait_s;
	bc.event_stream = s->event_stream;
	bc.keep_failed = s->keep_failed;
	bc.keep_failed_hours = s->keep_failed_hours;
	bc.storage_root = sn->root;
	if ((rv = nomad_backend_start(&bc, sn->done_q, &sn->backend)) != MC_OK)
		log_error("event=nomad.start_failed addr=%s err=%s",
		    s->address[0] ? s->address : NOMAD_ADDR_DEFAULT,
		    mc_strerror(rv));
	else
		log_info("event=nomad.started addr=%s namespace=%s region=%s "
		         "jobs=%zu max_dispatch=%u acl_token=%s",
		    s->address[0] ? s->address : NOMAD_ADDR_DEFAULT,
		    s->ns[0] ? s->ns : "default",
		    s->region[0] ? s->region : "-", n, s->max_dispatch,
		    s->token ? "set" : "none");
out:
	for (size_t i = 0; i < NOMAD_MAX_JOBS; i++)
		free(jobs[i].body);
	free(jobs);
	return rv;
}

static mc_err
nomad_start(sched *base, const sched_opts *o)
{
	sched_nomad *sn = (sched_nomad *) base;
	settings     s;
	mc_err       rv;

	snprintf(sn->root, sizeof(sn->root), "%s", o->cfg->storage_root);
	if ((rv = read_settings(o->cfg, &s)) != MC_OK) {
		settings_fini(&s);
		return rv;
	}
	sn->max_dispatch = s.max_dispatch;
	if ((rv = nomad_steps_create(o->cfg, sn->root, &sn->steps)) ||
	    (rv = work_queue_create(free_task_node, &sn->done_q)) ||
	    (rv = loop_add_fd(
	         base->l, work_queue_fd(sn->done_q), on_backend, sn))) {
		settings_fini(&s);
		return rv;
	}
	rv = start_backend(sn, o->cfg, &s);
	settings_fini(&s);
	return rv;
}

bool
sched_nomad_up(const sched *s)
{
	const sched_nomad *sn = (const sched_nomad *) s;

	return s->ops == &sched_nomad_ops && sn->backend != NULL &&
	       nomad_backend_ready(sn->backend);
}

const sched_ops sched_nomad_ops = {sizeof(sched_nomad), nomad_start,
    nomad_has_capacity, nomad_submit, nomad_running, nomad_stop};

mc_err
sched_nomad_client_open(const mc_config *cfg, nomad_client **out)
{
	settings          s;
	nomad_client_opts o;
	mc_err            rv;

	*out = NULL;
	if ((rv = read_settings(cfg, &s)) == MC_OK) {
		o = (nomad_client_opts){s.address, s.token, s.ns, s.region,
		    s.ca, s.cert, s.key, s.timeout_s * 1000};
		rv = nomad_client_create(&o, out);
	}
	settings_fini(&s);
	return rv;
}
