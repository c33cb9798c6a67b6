/* http_loop.c - the HTTP server's errands, answered on the loop: each
 * job popped from the queue is run to completion here (as control.c runs
 * a control request) and handed back with http_job_finish(). Reads the
 * loop's state freely, since this is the loop thread; writes it only
 * through the coordinator's own functions (tasks_retry_error,
 * coord_force_complete), which also write the audit trail. */
#include "http/http_loop.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "base/log.h"
#include "core/coord_int.h"
#include "dcm/dcm_glue.h"
#include "http/http_cli.h"
#include "http/http_job.h"
#include "http/http_loop_qr.h"
#include "http/http_metrics.h"
#include "http/http_query.h"
#include "http/http_rates.h"
#include "http/http_server.h"
#include "http/http_stats.h"

static void restore_counters(coord *c);

static void
answer_json(http_job *j, int status, json_t *v)
{
	char *text =
	    v ? json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;

	json_decref(v);
	if (text == NULL) {
		http_job_answer(j, 500, NULL, "{\"error\":\"out of memory\"}");
		return;
	}
	free(j->body);
	j->status = status;
	j->content_type = NULL;
	j->body = text;
	j->body_len = strlen(text);
}

static void
answer_error(http_job *j, int status, const char *msg)
{
	answer_json(j, status, json_pack("{s:s}", "error", msg));
}

static double
age_s(int64_t since_ms)
{
	return (double) (loop_now_ms() - since_ms) / 1000.0;
}

/* count_by_kind - into obj[kind] for tasks in state st */
static json_t *
tasks_by_kind(coord *c, task_state st)
{
	json_t     *o = json_object();
	task_entry *t, *tmp;

	HASH_ITER(hh, c->tasks, t, tmp)
	{
		json_t *n;
		if (t->state != st || o == NULL)
			continue;
		n = json_object_get(o, t->meta.kind);
		json_object_set_new(o, t->meta.kind,
		    json_integer(n ? json_integer_value(n) + 1 : 1));
	}
	return o;
}

static void
status(coord *c, http_job *j)
{
	answer_json(j, 200,
	    json_pack("{s:I,s:I,s:{s:o,s:o,s:o,s:I},s:{s:s,s:I},"
	              "s:{s:I,s:I,s:I,s:I},s:I,s:I}",
	        "open_series", (json_int_t) series_table_count(c->series),
	        "studies_waiting", (json_int_t) HASH_COUNT(c->studies),
	        "tasks", "queued", tasks_by_kind(c, TASK_QUEUED), "running",
	        tasks_by_kind(c, TASK_RUNNING), "waiting",
	        tasks_by_kind(c, TASK_WAITING), "total",
	        (json_int_t) HASH_COUNT(c->tasks), "scheduler", "name",
	        c->sched->name, "running",
	        (json_int_t) c->sched->ops->running(c->sched), "receiver",
	        "messages", (json_int_t) c->n_messages, "bad_messages",
	        (json_int_t) c->n_bad_messages, "instances",
	        (json_int_t) c->n_instances, "bytes", (json_int_t) c->n_bytes,
	        "config_generation", (json_int_t) c->config_generation,
	        "audit_dropped", (json_int_t) bookkeeping_dropped(c->bk)));
}

static void
series_list(coord *c, http_job *j)
{
	json_t *a = json_array();

	for (series *s = series_table_first(c->series); s && a;
	     s = series_next(s))
		json_array_append_new(
		    a, json_pack("{s:s,s:s,s:I,s:I,s:f,s:f,s:b}", "uid",
		           s->uid, "study", s->study_uid, "instances",
		           (json_int_t) s->n_instances, "bytes",
		           (json_int_t) s->bytes, "age_s", age_s(s->first_ms),
		           "idle_s", age_s(s->last_ms), "forced", s->forced));
	answer_json(j, 200, a ? json_pack("{s:o}", "series", a) : NULL);
}

static void
studies_list(coord *c, http_job *j)
{
	json_t *a = json_array();
	study  *s, *tmp;
	int64_t now = sys_now_us();

	HASH_ITER(hh, c->studies, s, tmp)
	{
		if (a == NULL)
			break;
		json_array_append_new(
		    a, json_pack("{s:s,s:s,s:f,s:f,s:b}", "study",
		           s->study_uid, "rule", s->rule, "age_s",
		           (double) (now - s->created_us) / 1e6, "idle_s",
		           (double) (now - s->last_us) / 1e6, "forced",
		           s->forced));
	}
	answer_json(j, 200, a ? json_pack("{s:o}", "studies", a) : NULL);
}

static void
tasks_list(coord *c, http_job *j)
{
	json_t     *a = json_array();
	task_entry *t, *tmp;
	unsigned    n = 0;

	HASH_ITER(hh, c->tasks, t, tmp)
	{
		const char *st = task_state_str(t->state);
		if (a == NULL || n >= j->limit)
			break;
		if (j->arg[0] && strcmp(j->arg, st) != 0)
			continue;
		json_array_append_new(
		    a, json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:f}", "id", t->id,
		           "state", st, "kind", t->meta.kind, "rule",
		           t->meta.rule, "series", t->meta.uid, "attempt",
		           (json_int_t) t->meta.attempt, "age_s",
		           age_s(t->enqueued_ms)));
		n++;
	}
	answer_json(j, 200,
	    a ? json_pack("{s:s,s:o}", "state", j->arg[0] ? j->arg : "loop",
	            "tasks", a)
	      : NULL);
}

static void
gauge(http_metrics *m, const char *family, const char *help,
    const char *labels, double v)
{
	http_metrics_add(m, family, "gauge", help, labels, v);
}

static void
metrics(coord *c, http_job *j)
{
	http_metrics  *g = NULL;
	char          *a, *b, lab[256];
	struct statvfs vfs;
	task_entry    *t, *tmp;

	if (http_metrics_create(&g) != MC_OK) {
		answer_error(j, 500, "out of memory");
		return;
	}
	http_metrics_add(g, "mercure_received_instances_total", "counter",
	    "Instance messages from receivers since the start.", NULL,
	    (double) c->n_instances);
	http_metrics_add(g, "mercure_received_bytes_total", "counter",
	    "Bytes of the instances received since the start.", NULL,
	    (double) c->n_bytes);
	http_metrics_add(g, "mercure_series_completed_total", "counter",
	    "Series complete and routed since the start.", NULL,
	    (double) c->n_series_completed);
	gauge(g, "mercure_open_series", "Series receiving instances.", NULL,
	    (double) series_table_count(c->series));
	gauge(g, "mercure_studies_waiting", "Study collections waiting.", NULL,
	    (double) HASH_COUNT(c->studies));
	for (size_t i = 0; i < c->cfg->n_targets; i++)
		gauge(g, "mercure_target_halted",
		    "1 when the target is halted (its tasks wait).",
		    http_metrics_label(
		        lab, sizeof(lab), "target", c->cfg->targets[i].name),
		    target_halt_is(c, c->cfg->targets[i].name) ? 1 : 0);
	gauge(g, "mercure_config_generation",
	    "Configurations loaded since the start (1: the first).", NULL,
	    (double) c->config_generation);
	if (statvfs(c->root, &vfs) == 0)
		gauge(g, "mercure_storage_free_bytes",
		    "Bytes free for us under the storage root.", NULL,
		    (double) vfs.f_bavail * (double) vfs.f_frsize);
	http_stats_gauges(c, g);
	HASH_ITER(hh, c->tasks, t, tmp)
	{
		http_metrics_label(lab, sizeof(lab), "kind", t->meta.kind);
		if (t->state == TASK_RUNNING)
			gauge(g, "mercure_tasks_running", "Tasks running.",
			    lab, 1);
		else
			gauge(g, "mercure_tasks_queued",
			    "Tasks waiting to run (queued, waiting for a "
			    "retry, orphaned).",
			    lab, 1);
	}
	a = http_metrics_format(c->metrics);
	b = http_metrics_format(g);
	http_metrics_destroy(g);
	if (a == NULL || b == NULL) {
		free(a);
		free(b);
		answer_error(j, 500, "out of memory");
		return;
	}
	free(j->body);
	j->body_len = strlen(a) + strlen(b);
	j->body = malloc(j->body_len + 1);
	if (j->body != NULL)
		snprintf(j->body, j->body_len + 1, "%s%s", a, b);
	j->status = j->body ? 200 : 500;
	j->content_type = "text/plain; version=0.0.4; charset=utf-8";
	free(a);
	free(b);
}

/* retry - a task of error/ queued again (reroute: false), or a task of
 * discard/ routed again by the rules in force (reroute: true) */
static void
retry(coord *c, http_job *j, bool reroute)
{
	char   msg[256] = "", info[128];
	mc_err rv = reroute ? router_reroute(c, j->arg, msg, sizeof(msg))
	                    : tasks_retry_error(c, j->arg, msg, sizeof(msg));

	if (rv == MC_OK) {
		snprintf(info, sizeof(info), "%s by %s",
		    reroute ? "reroute" : "retry", j->user);
		coord_event(
		    c, "http.action", NULL, NULL, j->arg, NULL, NULL, info);
		answer_json(
		    j, 200, json_pack("{s:b,s:s}", "ok", 1, "msg", msg));
		return;
	}
	if (rv == MC_ENOENT)
		answer_error(j, coord_task_exists(c, j->arg) ? 409 : 404,
		    !coord_task_exists(c, j->arg) ? "no such task"
		    : reroute
		        ? "the task is not in discard/: only a "
		          "discarded task can be rerouted"
		        : "the task is not in error/: only a failed task "
		          "can be retried");
	else
		answer_error(j, 500, msg);
}

static void
force(coord *c, http_job *j)
{
	char reply[256], info[128];

	snprintf(info, sizeof(info), "http by %s", j->user);
	if (!coord_force_complete(c, j->arg, info, reply, sizeof(reply))) {
		answer_error(j, 404, reply);
		return;
	}
	answer_json(j, 200, json_pack("{s:b,s:s}", "ok", 1, "msg", reply));
}

static void
targets_list(coord *c, http_job *j)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < c->cfg->n_targets; i++) {
		const config_target *t = &c->cfg->targets[i];
		json_array_append_new(
		    a, json_pack("{s:s,s:s,s:b}", "name", t->name, "type",
		           t->type, "halted", target_halt_is(c, t->name)));
	}
	answer_json(j, 200, a ? json_pack("{s:o}", "targets", a) : NULL);
}

static void
halt(coord *c, http_job *j, bool on)
{
	char info[128], esc[4 * HTTP_JOB_ARG_MAX + 8];

	if (config_find_target(c->cfg, j->arg) == NULL) {
		answer_error(j, 404, "no such target");
		return;
	}
	if (!target_halt_set(c, j->arg, on)) {
		answer_error(j, 409,
		    on ? "the target is halted already"
		       : "the target is not halted");
		return;
	}
	snprintf(info, sizeof(info), "by %s", j->user);
	coord_event(c, on ? "target.halted" : "target.resumed", NULL, NULL,
	    NULL, NULL, j->arg, info);
	log_info("event=%s target=\"%s\" user=%s",
	    on ? "target.halted" : "target.resumed",
	    http_log_value(j->arg, esc, sizeof(esc)), j->user);
	answer_json(j, 200,
	    json_pack(
	        "{s:b,s:s,s:b}", "ok", 1, "target", j->arg, "halted", on));
}

/* looks_secret - a field of a generic section (module settings, the
 * scheduler's) whose name says it holds a secret */
static bool
looks_secret(const char *key)
{
	static const char *const words[] = {
	    "password", "token", "secret", "key", "credential", NULL};

	if (config_target_field_is_secret(key))
		return true;
	for (size_t i = 0; words[i]; i++)
		if (strstr(key, words[i]) != NULL &&
		    strstr(key, "_file") == NULL &&
		    strstr(key, "_env") == NULL)
			return true;
	return false;
}

/* kv_json - a field list as an object; secrets as "(redacted)", nested
 * values (compact JSON text) as they are, but a module's settings, which
 * may hold anything, only by their keys' presence */
static json_t *
kv_json(const config_kvlist *l, bool target)
{
	json_t *o = json_object();

	for (size_t i = 0; o && i < l->n; i++) {
		const config_kv *kv = &l->items[i];
		json_t          *v;
		json_error_t     e;
		bool secret = target ? config_target_field_is_secret(kv->key)
		                     : looks_secret(kv->key);
		if (secret && kv->value != NULL)
			v = json_string("(redacted)");
		else if (kv->kind == CONFIG_KV_NULL)
			v = json_null();
		else if (kv->kind == CONFIG_KV_JSON)
			v = target ? json_loads(kv->value, 0, &e)
			           : json_string("(redacted: nested)");
		else
			v = json_string(kv->value);
		json_object_set_new(o, kv->key, v ? v : json_null());
	}
	return o;
}

static void
config_view(coord *c, http_job *j)
{
	const mc_config *cfg = c->cfg;
	json_t          *rules = json_object(), *targets = json_object(),
	       *modules = json_object();

	for (size_t i = 0; rules && i < cfg->n_rules; i++) {
		const config_rule *r = &cfg->rules[i];
		json_t            *tl = json_array();
		for (size_t k = 0; tl && k < r->n_targets; k++)
			json_array_append_new(tl, json_string(r->targets[k]));
		json_object_set_new(rules, r->name,
		    json_pack("{s:s,s:s,s:s,s:o,s:s,s:b,s:b}", "rule", r->text,
		        "action", config_action_str(r->action),
		        "action_trigger",
		        config_trigger_str(r->action_trigger), "targets",
		        tl ? tl : json_array(), "priority",
		        config_priority_str(r->priority), "fallback",
		        r->fallback, "disabled", r->disabled));
	}
	for (size_t i = 0; targets && i < cfg->n_targets; i++)
		json_object_set_new(targets, cfg->targets[i].name,
		    kv_json(&cfg->targets[i].fields, true));
	for (size_t i = 0; modules && i < cfg->n_modules; i++)
		json_object_set_new(modules, cfg->modules[i].name,
		    kv_json(&cfg->modules[i].fields, false));
	answer_json(j, 200,
	    json_pack("{s:s,s:I,s:s,s:i,s:i,s:i,s:o,s:o,s:o,s:{s:s,s:o},"
	              "s:{s:b,s:s,s:i}}",
	        "path", cfg->path ? cfg->path : "", "generation",
	        (json_int_t) c->config_generation, "appliance_name",
	        cfg->appliance_name, "port", (int) cfg->port,
	        "series_complete_trigger",
	        (int) cfg->series_complete_trigger_s, "study_complete_trigger",
	        (int) cfg->study_complete_trigger_s, "rules",
	        rules ? rules : json_object(), "targets",
	        targets ? targets : json_object(), "modules",
	        modules ? modules : json_object(), "scheduler", "type",
	        config_scheduler_type_str(cfg->scheduler.type), "fields",
	        kv_json(&cfg->scheduler.fields, false), "http", "enabled",
	        cfg->http.enabled, "bind",
	        cfg->http.bind ? cfg->http.bind : "", "port",
	        (int) cfg->http.port));
}

/* config_state - the generation in force, reloads refused so far and
 * whether a load is under way: PUT config waits on these */
static void
config_state(coord *c, http_job *j)
{
	answer_json(j, 200,
	    json_pack("{s:I,s:I,s:b}", "generation",
	        (json_int_t) c->config_generation, "rejected",
	        (json_int_t) c->config_rejected, "reloading",
	        c->reload != NULL));
}

/* config_reload_job - the HTTP thread wrote the configuration file (arg:
 * "save" or "rollback"): the audit trail names the user, then the file
 * is loaded the way SIGHUP loads it */
static void
config_reload_job(coord *c, http_job *j)
{
	char info[HTTP_JOB_ARG_MAX + HTTP_NAME_MAX + 16];

	snprintf(info, sizeof(info), "config %s by %s", j->arg, j->user);
	coord_event(c, "http.action", NULL, NULL, NULL, NULL, NULL, info);
	log_info("event=http.config what=%s user=%s", j->arg, j->user);
	config_state(c, j);
	coord_reload_config(c, "http");
}

static void
run(coord *c, http_job *j)
{
	switch (j->kind) {
	case HTTP_JOB_PING:
		answer_json(
		    j, 200, json_pack("{s:s}", "scheduler", c->sched->name));
		break;
	case HTTP_JOB_STATUS:
		status(c, j);
		break;
	case HTTP_JOB_SERIES:
		series_list(c, j);
		break;
	case HTTP_JOB_STUDIES:
		studies_list(c, j);
		break;
	case HTTP_JOB_TASKS:
		tasks_list(c, j);
		break;
	case HTTP_JOB_METRICS:
		metrics(c, j);
		break;
	case HTTP_JOB_RETRY:
	case HTTP_JOB_REROUTE:
		retry(c, j, j->kind == HTTP_JOB_REROUTE);
		break;
	case HTTP_JOB_FORCE:
		force(c, j);
		break;
	case HTTP_JOB_TARGETS:
		targets_list(c, j);
		break;
	case HTTP_JOB_CONFIG:
		config_view(c, j);
		break;
	case HTTP_JOB_HALT:
	case HTTP_JOB_RESUME:
		halt(c, j, j->kind == HTTP_JOB_HALT);
		break;
	case HTTP_JOB_SOURCE:
		http_loop_source(c, j);
		break;
	case HTTP_JOB_RETRIEVE:
		http_loop_retrieve(c, j);
		break;
	case HTTP_JOB_TEST_TARGET:
		http_loop_test_target(c, j);
		break;
	case HTTP_JOB_CONFIG_RELOAD:
		config_reload_job(c, j);
		break;
	case HTTP_JOB_CONFIG_STATE:
		config_state(c, j);
		break;
	case HTTP_JOB_RATES:
		http_stats_rates(c, j);
		break;
	}
}

static void
on_jobs(loop *l, int fd, void *arg)
{
	coord     *c = arg;
	work_node *n;

	(void) l;
	(void) fd;
	while ((n = work_queue_pop(c->http_q)) != NULL) {
		http_job *j = (http_job *) n;
		run(c, j);
		http_job_finish(j);
	}
}

mc_err
http_loop_open(coord *c)
{
	char             users[MC_PATH_MAX], db[MC_PATH_MAX], err[256];
	http_server_opts o;
	mc_err           rv;

	c->config_generation = 1;
	if ((rv = http_metrics_create(&c->metrics)) != MC_OK)
		return rv;
	if ((c->rates = calloc(1, sizeof(*c->rates))) == NULL)
		return MC_ENOMEM;
	restore_counters(c);
	http_stats_restore(c);
	if (!c->cfg->http.enabled)
		return MC_OK;
	/* POST /api/v1/query runs DCMTK on the HTTP threads: its set-up
	 * once, before they start */
	if ((rv = dcm_glue_init(err, sizeof(err))) != MC_OK) {
		log_error("event=http.dcm_init_failed msg=\"%s\"", err);
		return rv;
	}
	if (c->o.db_path)
		snprintf(db, sizeof(db), "%s", c->o.db_path);
	else if ((rv = coord_path(c, db, sizeof(db), "mercure.sqlite", NULL,
	              NULL)) != MC_OK)
		return rv;
	if ((rv = http_users_path(c->cfg, users, sizeof(users))) != MC_OK ||
	    (rv = work_queue_create(http_job_free_queued, &c->http_q)) !=
	        MC_OK ||
	    (rv = loop_add_fd(c->l, work_queue_fd(c->http_q), on_jobs, c)) !=
	        MC_OK)
		return rv;
	o = (http_server_opts){
	    &c->cfg->http, c->root, users, db, c->http_q, c->config_path};
	return http_server_start(&o, &c->http);
}

void
http_loop_close(coord *c)
{
	http_server_quiesce(c->http);
	/* waiting requests get their 503 now, not after their deadline */
	if (c->http_q != NULL) {
		work_node *n;
		while ((n = work_queue_pop(c->http_q)) != NULL)
			http_job_free_queued(n);
	}
	http_server_stop(c->http);
	c->http = NULL;
	if (c->http_q != NULL)
		loop_remove_fd(c->l, work_queue_fd(c->http_q));
	work_queue_destroy(c->http_q);
	c->http_q = NULL;
	http_metrics_destroy(c->metrics);
	c->metrics = NULL;
	free(c->rates);
	c->rates = NULL;
	http_loop_qr_forget(c);
}

/* note - count n events of name for /metrics; kind is the task's */
static void
note(coord *c, const char *event, const char *rule_name, const char *kind,
    double n)
{
	char        lab[512], l1[256], l2[128];
	const char *result = NULL;

	if (strcmp(event, "series.received") == 0) {
		http_metrics_add(c->metrics, "mercure_series_received_total",
		    "counter", "Series whose first instance arrived.", NULL,
		    n);
		return;
	}
	if (strcmp(event, "task.created") == 0 ||
	    strcmp(event, "series.to_study") == 0) {
		http_metrics_add(c->metrics, "mercure_rule_triggered_total",
		    "counter", "Series a rule triggered on.",
		    http_metrics_label(
		        l1, sizeof(l1), "rule", rule_name ? rule_name : ""),
		    n);
		return;
	}
	if (strcmp(event, "task.success") == 0)
		result = "success";
	else if (strcmp(event, "task.error") == 0)
		result = "error";
	else if (strcmp(event, "task.discarded") == 0)
		result = "discard";
	if (result == NULL)
		return;
	if (kind == NULL)
		kind = strcmp(result, "discard") == 0 ? "discard" : "unknown";
	snprintf(lab, sizeof(lab), "%s,%s",
	    http_metrics_label(l1, sizeof(l1), "kind", kind),
	    http_metrics_label(l2, sizeof(l2), "result", result));
	http_metrics_add(c->metrics, "mercure_tasks_finished_total", "counter",
	    "Tasks finished.", lab, n);
}

void
http_loop_note_event(
    coord *c, const char *event, const char *rule_name, const char *task)
{
	task_entry *t = NULL;

	if (c->metrics == NULL || event == NULL)
		return;
	if (task != NULL)
		HASH_FIND_STR(c->tasks, task, t);
	note(c, event, rule_name, t ? t->meta.kind : NULL, 1);
	if (t != NULL && (strcmp(event, "task.success") == 0 ||
	                     strcmp(event, "task.error") == 0))
		http_stats_note_done(c, t);
}

static void
on_total(void *ctx, const char *event, const char *rule_name, const char *kind,
    int64_t n)
{
	if (event != NULL)
		note(ctx, event, rule_name, kind, (double) n);
}

/* restore_counters - the audit trail's totals, so that the counters of
 * /metrics go on across a restart */
static void
restore_counters(coord *c)
{
	static const char *const names[] = {"series.received", "task.created",
	    "series.to_study", "task.success", "task.error", "task.discarded",
	    NULL};

	if (bookkeeping_event_totals(c->bk, names, on_total, c) != MC_OK)
		log_warn("event=http.metrics_restore_failed msg=\"the "
		         "counters start at zero\"");
}
