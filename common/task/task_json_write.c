/* task_json_write.c - building task.json from the configuration and
 * updating it between attempts, with jansson: the coordinator's side of
 * the file. Every rewrite is atomic (sys_fs). The reading side is
 * task_json_read.c. */
#include "task/task_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "os/sys_fs.h"
#include "task/task_int.h"

#define MERCURE_C_VERSION "0.1.0-c"

static void
now_str(char *buf, size_t len, time_t t)
{
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

static json_t *
str_or_missing(const mc_tagset *t, const char *key)
{
	const char *v = t ? mc_tagset_get(t, key) : NULL;
	return json_string(v && *v ? v : "MISSING");
}

static json_t *
build_info(const task_spec *s)
{
	json_t *info = json_object(), *trig = json_object();
	char    host[256] = "";

	gethostname(host, sizeof(host) - 1);
	for (size_t i = 0; i < s->n_triggered; i++)
		json_object_set_new(trig, s->triggered[i], json_true());
	json_object_set_new(info, "action",
	    json_string(
	        s->rule ? config_action_str(s->rule->action) : "discard"));
	json_object_set_new(info, "uid", json_string(s->uid));
	json_object_set_new(info, "uid_type", json_string(s->uid_type));
	json_object_set_new(info, "triggered_rules", trig);
	json_object_set_new(
	    info, "applied_rule", json_string(s->rule ? s->rule->name : ""));
	json_object_set_new(
	    info, "patient_name", str_or_missing(s->tags, "PatientName"));
	json_object_set_new(info, "mrn", str_or_missing(s->tags, "PatientID"));
	json_object_set_new(
	    info, "acc", str_or_missing(s->tags, "AccessionNumber"));
	json_object_set_new(
	    info, "sender_address", str_or_missing(s->tags, "SenderAddress"));
	json_object_set_new(
	    info, "sender_aet", str_or_missing(s->tags, "SenderAET"));
	json_object_set_new(
	    info, "receiver_aet", str_or_missing(s->tags, "ReceiverAET"));
	json_object_set_new(info, "device_serial_number",
	    str_or_missing(s->tags, "DeviceSerialNumber"));
	json_object_set_new(
	    info, "mercure_version", json_string(MERCURE_C_VERSION));
	json_object_set_new(
	    info, "mercure_appliance", json_string(s->cfg->appliance_name));
	json_object_set_new(info, "mercure_server", json_string(host));
	json_object_set_new(info, "fail_stage", json_null());
	return info;
}

/* kv_object - a config key/value list as a JSON object: scalars as
 * strings (as written), maps and lists as JSON, nulls as null; the keys
 * skip() is true for are left out */
static json_t *
kv_object_without(const config_kvlist *l, bool (*skip)(const char *key))
{
	json_t *o = json_object();

	for (size_t i = 0; i < l->n; i++) {
		const config_kv *kv = &l->items[i];
		json_t          *v = NULL;
		if (skip != NULL && skip(kv->key))
			continue;
		if (kv->kind == CONFIG_KV_NULL || kv->value == NULL)
			v = json_null();
		else if (kv->kind == CONFIG_KV_JSON)
			v = json_loads(kv->value, JSON_DECODE_ANY, NULL);
		if (v == NULL)
			v = json_string(kv->value);
		json_object_set_new(o, kv->key, v);
	}
	return o;
}

static json_t *
kv_object(const config_kvlist *l)
{
	return kv_object_without(l, NULL);
}

/* secret_names - the names of t's secret fields, or NULL for none */
static json_t *
secret_names(const config_target *t)
{
	json_t *names = NULL;

	for (size_t i = 0; i < t->fields.n; i++) {
		if (!config_target_field_is_secret(t->fields.items[i].key))
			continue;
		if (names == NULL)
			names = json_array();
		json_array_append_new(
		    names, json_string(t->fields.items[i].key));
	}
	return names;
}

/* target_fields - a target as written, without its secrets: task.json
 * lies in the storage root, which outlives the task (error/ is never
 * cleaned). TASK_SECRET_FIELDS names what was left out; the worker then
 * reads the target from the configuration file. */
static json_t *
target_fields(const config_target *t)
{
	json_t *o =
	    kv_object_without(&t->fields, config_target_field_is_secret);
	json_t *secrets = secret_names(t);

	if (secrets != NULL)
		json_object_set_new(o, TASK_SECRET_FIELDS, secrets);

	/* defaults the worker should not have to know */
	if (t->aet_source && !json_object_get(o, "aet_source"))
		json_object_set_new(
		    o, "aet_source", json_string(t->aet_source));
	return o;
}

static json_t *
build_dispatch(const task_spec *s, const char *now)
{
	json_t *d = json_object(), *names = json_array(), *st = json_object();

	for (size_t i = 0; i < s->n_targets; i++) {
		json_t *one = json_object();
		json_array_append_new(names, json_string(s->targets[i]->name));
		json_object_set_new(one, "state", json_string("waiting"));
		json_object_set_new(one, "time", json_string(now));
		json_object_set_new(st, s->targets[i]->name, one);
	}
	json_object_set_new(d, "target_name", names);
	json_object_set_new(d, "status", st);
	json_object_set_new(d, "retries", json_integer(0));
	json_object_set_new(d, "next_retry_at", json_null());
	json_object_set_new(d, "series_uid",
	    s->series_uid ? json_string(s->series_uid) : json_null());
	return d;
}

/* step_settings - mercure: module.settings, then the rule's
 * processing_settings (an object for every module, or a list with one
 * object per module of the chain) merged over them */
static json_t *
step_settings(const config_module *m, const config_rule *r, size_t step)
{
	json_t     *set = NULL, *rs, *over;
	const char *ms = m ? config_kv_get(&m->fields, "settings") : NULL;

	if (ms)
		set = json_loads(ms, JSON_DECODE_ANY, NULL);
	if (!json_is_object(set)) {
		json_decref(set);
		set = json_object();
	}
	rs = json_loads(r->processing_settings ? r->processing_settings : "{}",
	    JSON_DECODE_ANY, NULL);
	over = json_is_array(rs) ? json_array_get(rs, step) : rs;
	if (json_is_object(over))
		json_object_update(set, over);
	json_decref(rs);
	return set;
}

static json_t *
build_process(const task_spec *s, json_t *modules)
{
	const config_rule *r = s->rule;
	json_t            *chain = json_array();

	for (size_t i = 0; i < r->n_processing_modules; i++) {
		const config_module *m =
		    config_find_module(s->cfg, r->processing_modules[i]);
		json_t *step = json_object();
		json_t *mc = m ? kv_object(&m->fields) : json_object();
		json_object_set_new(step, "module_name",
		    json_string(r->processing_modules[i]));
		json_object_set(step, "module_config", mc);
		json_object_set_new(step, "settings", step_settings(m, r, i));
		json_object_set_new(step, "retain_input_images",
		    json_boolean(r->processing_retain_images));
		json_array_append_new(chain, step);
		json_object_set_new(modules, r->processing_modules[i], mc);
	}
	if (json_array_size(chain) == 1) {
		json_t *one = json_incref(json_array_get(chain, 0));
		json_decref(chain);
		return one;
	}
	return chain;
}

static bool
rule_field_is_secret(const char *key)
{
	return strcmp(key, CONFIG_RULE_SECRET_FIELD) == 0;
}

/* rule_object - what the worker needs of the rule: dynamic routing and
 * the notification fields, as written, without the webhook URL */
static json_t *
rule_object(const config_rule *r)
{
	json_t *o = kv_object_without(&r->extra, rule_field_is_secret);

	json_object_set_new(o, "name", json_string(r->name));
	json_object_set_new(
	    o, "action", json_string(config_action_str(r->action)));
	return o;
}

/* add_one_target - the config of target `name` into tg, if it exists */
static void
add_one_target(const task_spec *s, json_t *tg, const char *name, size_t n)
{
	char                 buf[128];
	const config_target *t;

	while (n > 0 && (*name == ' ' || *name == '"' || *name == '\'')) {
		name++;
		n--;
	}
	while (n > 0 && (name[n - 1] == ' ' || name[n - 1] == '"' ||
	                    name[n - 1] == '\''))
		n--;
	if (n == 0 || n >= sizeof(buf))
		return;
	memcpy(buf, name, n);
	buf[n] = '\0';
	if ((t = config_find_target(s->cfg, buf)) != NULL &&
	    json_object_get(tg, t->name) == NULL)
		json_object_set_new(tg, t->name, target_fields(t));
}

/* add_dynamic_targets - a module may route to the rule's allowed
 * dynamic targets (every target when the list is empty) or its
 * alternate target; the worker needs their configs to do it */
static void
add_dynamic_targets(const task_spec *s, json_t *tg)
{
	const config_rule *r = s->rule;
	const char        *dyn = config_kv_get(&r->extra, "dynamic_routing");
	const char        *allowed =
	    config_kv_get(&r->extra, "dynamic_routing_allowed_targets");
	const char *alt =
	    config_kv_get(&r->extra, "conditional_alternate_target");

	if (alt && *alt)
		add_one_target(s, tg, alt, strlen(alt));
	if (dyn == NULL || strcasecmp(dyn, "true") != 0)
		return;
	if (allowed == NULL || strspn(allowed, " []\"'") == strlen(allowed)) {
		for (size_t i = 0; i < s->cfg->n_targets; i++)
			add_one_target(s, tg, s->cfg->targets[i].name,
			    strlen(s->cfg->targets[i].name));
		return;
	}
	/* "a, b" or a JSON list ["a","b"] */
	for (const char *p = allowed; *p;) {
		size_t n = strcspn(p, ",[]");
		add_one_target(s, tg, p, n);
		p += n;
		if (*p)
			p++;
	}
}

static json_t *
build_ours(const task_spec *s)
{
	json_t *o = json_object(), *tg = json_object();

	for (size_t i = 0; i < s->n_targets; i++)
		json_object_set_new(
		    tg, s->targets[i]->name, target_fields(s->targets[i]));
	if (s->rule)
		add_dynamic_targets(s, tg);
	json_object_set_new(o, "kind", json_string(s->kind));
	json_object_set_new(o, "attempt", json_integer(1));
	json_object_set_new(o, "priority",
	    json_string(config_priority_str(
	        s->rule ? s->rule->priority : CONFIG_PRIORITY_NORMAL)));
	json_object_set_new(
	    o, "coordinator_url", json_string(s->cfg->coordinator_url));
	json_object_set_new(o, "targets", tg);
	if (s->rule)
		json_object_set_new(o, "rule", rule_object(s->rule));
	if (s->stream_idle_s > 0) {
		json_t *st = json_object();
		json_object_set_new(
		    st, "idle_timeout_s", json_integer(s->stream_idle_s));
		json_object_set_new(o, "stream", st);
	}
	return o;
}

mc_err
task_json_build(const task_spec *s, char **out)
{
	json_t *root = json_object(), *study = NULL, *ours,
	       *ours_modules = NULL;
	char now[32];

	now_str(now, sizeof(now), time(NULL));
	json_object_set_new(root, "id", json_string(s->id));
	json_object_set_new(root, "info", build_info(s));
	json_object_set_new(root, "dispatch",
	    s->n_targets ? build_dispatch(s, now) : json_object());
	if (s->rule && s->rule->n_processing_modules > 0 &&
	    (strcmp(s->kind, "process") == 0 ||
	        strcmp(s->kind, "both") == 0)) {
		json_t *modules = json_object();
		json_object_set_new(
		    root, "process", build_process(s, modules));
		ours_modules = modules;
	} else {
		json_object_set_new(root, "process", json_null());
	}
	if (s->study_json)
		study = json_loads(s->study_json, 0, NULL);
	json_object_set_new(root, "study", study ? study : json_null());
	json_object_set_new(root, "nomad_info", json_null());
	ours = build_ours(s);
	json_object_set_new(
	    ours, "modules", ours_modules ? ours_modules : json_object());
	json_object_set_new(root, "mercure_c", ours);
	*out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	return *out ? MC_OK : MC_ENOMEM;
}

static mc_err
save(const char *path, json_t *root)
{
	char  *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	mc_err rv;

	if (text == NULL)
		return MC_ENOMEM;
	rv = sys_write_file_atomic(path, text, strlen(text));
	free(text);
	return rv;
}

static void
set_state(json_t *status, const char *name, const char *state)
{
	json_t *one = json_object();
	char    now[32];

	now_str(now, sizeof(now), time(NULL));
	json_object_set_new(one, "state", json_string(state));
	json_object_set_new(one, "time", json_string(now));
	json_object_set_new(status, name, one);
}

/* set_outcomes - "complete" for r's targets that succeeded, then
 * "error" for the failed ones */
static void
set_outcomes(json_t *status, const task_result *r)
{
	for (size_t i = 0; i < r->n_targets; i++)
		if (r->targets[i].ok)
			set_state(status, r->targets[i].name, "complete");
	for (size_t i = 0; i < r->n_targets; i++)
		if (!r->targets[i].ok)
			set_state(status, r->targets[i].name, "error");
}

mc_err
task_json_prepare_retry(const char *path, const task_result *r,
    unsigned retries, int64_t next_retry_unix_s)
{
	char    err[256], when[32];
	json_t *root = task_json_load(path, err, sizeof(err));
	json_t *disp, *st, *ours;
	mc_err  rv;

	if (root == NULL)
		return MC_EPARSE;
	disp = json_object_get(root, "dispatch");
	st = json_object_get(disp, "status");
	ours = json_object_get(root, "mercure_c");
	if (st != NULL)
		set_outcomes(st, r);
	if (disp) {
		json_object_set_new(disp, "retries", json_integer(retries));
		now_str(when, sizeof(when), (time_t) next_retry_unix_s);
		json_object_set_new(disp, "next_retry_at", json_string(when));
	}
	if (ours) {
		json_object_set_new(
		    ours, "attempt", json_integer(retries + 1));
		json_object_set_new(ours, "next_retry_unix_s",
		    json_integer(next_retry_unix_s));
	}
	rv = save(path, root);
	json_decref(root);
	return rv;
}

mc_err
task_json_record_result(const char *path, const task_result *r)
{
	char    err[256];
	json_t *root = task_json_load(path, err, sizeof(err)), *st;
	mc_err  rv;

	if (root == NULL)
		return MC_EPARSE;
	st = json_object_get(json_object_get(root, "dispatch"), "status");
	if (st != NULL)
		set_outcomes(st, r);
	rv = save(path, root);
	json_decref(root);
	return rv;
}

mc_err
task_json_reset_for_retry(const char *path)
{
	char        err[256];
	json_t     *root = task_json_load(path, err, sizeof(err));
	json_t     *disp, *st, *one;
	const char *name;
	mc_err      rv;

	if (root == NULL)
		return MC_EPARSE;
	disp = json_object_get(root, "dispatch");
	st = json_object_get(disp, "status");
	if (disp) {
		json_object_set_new(disp, "retries", json_integer(0));
		json_object_set_new(disp, "next_retry_at", json_null());
	}
	json_object_foreach(st, name, one)
	{
		const char *s =
		    json_string_value(json_object_get(one, "state"));
		if (s == NULL || strcmp(s, "complete") != 0)
			set_state(st, name, "waiting");
	}
	json_object_set_new(
	    json_object_get(root, "mercure_c"), "attempt", json_integer(1));
	json_object_del(
	    json_object_get(root, "mercure_c"), "next_retry_unix_s");
	json_object_set_new(
	    json_object_get(root, "info"), "fail_stage", json_null());
	rv = save(path, root);
	json_decref(root);
	return rv;
}

mc_err
task_json_set_fail_stage(const char *path, const char *stage)
{
	char    err[256];
	json_t *root = task_json_load(path, err, sizeof(err));
	mc_err  rv;

	if (root == NULL)
		return MC_EPARSE;
	json_object_set_new(
	    json_object_get(root, "info"), "fail_stage", json_string(stage));
	rv = save(path, root);
	json_decref(root);
	return rv;
}

json_t *
task_json_text(const char *s)
{
	json_t *v = json_string(s);
	char   *copy;

	if (v != NULL || (copy = strdup(s)) == NULL)
		return v;
	for (char *p = copy; *p; p++)
		if ((unsigned char) *p >= 0x80)
			*p = '?';
	v = json_string(copy);
	free(copy);
	return v;
}

int
task_json_set(json_t *o, const char *key, json_t *v)
{
	return v == NULL ? -1 : json_object_set_new(o, key, v);
}

json_t *
task_json_done(json_t *o, int bad)
{
	if (bad == 0)
		return o;
	json_decref(o);
	return NULL;
}
