/* task_json_process.c - the processing half of reading task.json
 * (jansson): mercure's process section (one step or a chain), the modules
 * of mercure_c.modules and what the worker needs of mercure_c.rule,
 * turned into plain C (module_spec, task_rule) at parse time; and the
 * per-step task.json a module reads. task_json_read.c reads the rest of
 * the document.
 *
 * The coordinator writes config scalars as text ("60", "false") and maps
 * and lists as JSON, so every reader here accepts both forms. */
#include "task/task_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TASK_FIELD_MAX 128 /* a field's name in a diagnostic */

/* a string kept with the task */
static const char *
own_str(task *t, const char *s)
{
	return task_own(t, strdup(s));
}

static bool
text_is_true(const char *s)
{
	return s != NULL &&
	       (strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0 ||
	           strcasecmp(s, "yes") == 0 || strcasecmp(s, "on") == 0);
}

/* true, false, or def for absent/null; "true"/"false" text too */
static bool
json_flag(json_t *v, bool def)
{
	if (v == NULL || json_is_null(v))
		return def;
	if (json_is_boolean(v))
		return json_is_true(v);
	if (json_is_integer(v))
		return json_integer_value(v) != 0;
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		if (s[0] == '\0')
			return def;
		return text_is_true(s);
	}
	return def;
}

/* a scalar as text (kept with the task); NULL for other types */
static const char *
scalar(task *t, json_t *v)
{
	char buf[64];

	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return own_str(t, buf);
	}
	if (json_is_real(v)) {
		snprintf(buf, sizeof(buf), "%g", json_real_value(v));
		return own_str(t, buf);
	}
	if (json_is_boolean(v))
		return json_is_true(v) ? "true" : "false";
	return NULL;
}

/* a NULL-terminated array of n + 1 pointers, kept with the task */
static const char **
own_vec(task *t, size_t n)
{
	return task_own(t, calloc(n + 1, sizeof(const char *)));
}

/* split text at any of seps into words (copied) */
static mc_err
split_words(task *t, const char *text, const char *seps,
    const char *const **out, size_t *n, size_t max)
{
	char        *copy = task_own(t, strdup(text));
	const char **v = own_vec(t, max);
	char        *p = copy;

	*n = 0;
	if (copy == NULL || v == NULL)
		return MC_ENOMEM;
	while (*p != '\0' && *n < max) {
		size_t len;
		p += strspn(p, seps);
		if (*p == '\0')
			break;
		len = strcspn(p, seps);
		v[(*n)++] = p;
		if (p[len] == '\0')
			break;
		p[len] = '\0';
		p += len + 1;
	}
	*out = v;
	return MC_OK;
}

/* a list of strings, or one string split at commas and spaces */
static mc_err
name_list(task *t, json_t *v, const char *const **out, size_t *n)
{
	const char **vec;
	size_t       i;
	json_t      *e;

	*out = NULL;
	*n = 0;
	if (json_is_string(v))
		return split_words(
		    t, json_string_value(v), ", \t", out, n, TASK_LIST_MAX);
	if (!json_is_array(v))
		return MC_OK;
	if ((vec = own_vec(t, json_array_size(v))) == NULL)
		return MC_ENOMEM;
	json_array_foreach(v, i, e)
	{
		if (json_is_string(e) && json_string_value(e)[0] != '\0')
			vec[(*n)++] = json_string_value(e);
	}
	*out = vec;
	return MC_OK;
}

static mc_err
parse_command(
    task *t, module_spec *m, json_t *cmd, const char *field, mc_diag *d)
{
	const char **argv;
	size_t       i;
	json_t      *e;

	if (json_is_string(cmd)) {
		if (split_words(t, json_string_value(cmd), " \t", &m->argv,
		        &m->argc, TASK_ARGV_MAX) != MC_OK)
			return MC_ENOMEM;
	} else if (json_is_array(cmd) &&
	           json_array_size(cmd) <= TASK_ARGV_MAX) {
		if ((argv = own_vec(t, json_array_size(cmd))) == NULL)
			return MC_ENOMEM;
		json_array_foreach(cmd, i, e)
		{
			if ((argv[i] = scalar(t, e)) == NULL)
				return task_bad(
				    d, field, "must be a list of strings");
		}
		m->argv = argv;
		m->argc = json_array_size(cmd);
	} else {
		return task_bad(d, field, "must be a list of strings");
	}
	if (m->argc == 0 || m->argv[0][0] == '\0')
		return task_bad(d, field, "is empty");
	m->kind = MODULE_COMMAND;
	return MC_OK;
}

/* parse_builtin - `builtin` names a row of config/builtin_modules.def and
 * stands alone: a module that also has a command or a docker_tag is
 * refused rather than run one way or the other */
static mc_err
parse_builtin(
    task *t, module_spec *m, json_t *cfg, const char *path, mc_diag *d)
{
	char        field[TASK_FIELD_MAX + 32], msg[128];
	const char *name = json_string_value(json_object_get(cfg, "builtin"));
	json_t     *cmd = json_object_get(cfg, "command");
	const char *tag =
	    json_string_value(json_object_get(cfg, "docker_tag"));

	(void) t;
	snprintf(field, sizeof(field), "%s.builtin", path);
	if (name == NULL || !config_builtin_is_known(name)) {
		snprintf(msg, sizeof(msg), "unknown built-in module '%.64s'",
		    name ? name : "");
		return task_bad(d, field, msg);
	}
	if ((cmd != NULL && !json_is_null(cmd) &&
	        !(json_is_string(cmd) && json_string_value(cmd)[0] == '\0')) ||
	    (tag != NULL && tag[0] != '\0'))
		return task_bad(d, field,
		    "a module is either 'builtin' or 'command'/'docker_tag', "
		    "not both");
	m->kind = MODULE_BUILTIN;
	m->builtin = name;
	return MC_OK;
}

/* "environment": an object, or mercure's JSON text of one */
static mc_err
parse_env(task *t, module_spec *m, json_t *env, const char *field, mc_diag *d)
{
	json_t      *obj = env, *parsed = NULL, *v;
	const char  *key, *val;
	const char **vec;
	mc_err       rv = MC_OK;

	if (env == NULL || json_is_null(env))
		return MC_OK;
	if (json_is_string(env)) {
		if (json_string_value(env)[0] == '\0')
			return MC_OK;
		obj = parsed = json_loads(json_string_value(env), 0, NULL);
	}
	if (!json_is_object(obj) || json_object_size(obj) > TASK_ENV_MAX) {
		json_decref(parsed);
		return task_bad(d, field, "must be an object of strings");
	}
	if ((vec = own_vec(t, json_object_size(obj))) == NULL) {
		json_decref(parsed);
		return MC_ENOMEM;
	}
	json_object_foreach(obj, key, v)
	{
		size_t n;
		char  *kv;
		if ((val = scalar(t, v)) == NULL || key[0] == '\0' ||
		    strchr(key, '=') != NULL) {
			rv =
			    task_bad(d, field, "must be an object of strings");
			break;
		}
		n = strlen(key) + strlen(val) + 2;
		if ((kv = task_own(t, malloc(n))) == NULL) {
			rv = MC_ENOMEM;
			break;
		}
		snprintf(kv, n, "%s=%s", key, val);
		vec[m->n_env++] = kv;
	}
	json_decref(parsed);
	m->env = vec;
	return rv;
}

static mc_err
parse_timeout(
    task *t, module_spec *m, json_t *v, const char *field, mc_diag *d)
{
	const char *s = scalar(t, v);
	char       *end, msg[64];
	long        n;

	m->timeout_s = MODULE_TIMEOUT_DEFAULT_S;
	if (v == NULL || json_is_null(v) || (s != NULL && s[0] == '\0'))
		return MC_OK;
	errno = 0;
	n = s ? strtol(s, &end, 10) : 0;
	if (s == NULL || errno != 0 || end == s || *end != '\0' || n < 1 ||
	    n > MODULE_TIMEOUT_MAX_S) {
		snprintf(msg, sizeof(msg),
		    "must be a number of seconds, 1 to %d",
		    MODULE_TIMEOUT_MAX_S);
		return task_bad(d, field, msg);
	}
	m->timeout_s = (unsigned) n;
	return MC_OK;
}

/* the module of step i: its config object -> t->steps[i] */
static mc_err
parse_module(
    task *t, module_spec *m, json_t *cfg, const char *path, mc_diag *d)
{
	char        field[TASK_FIELD_MAX + 32];
	json_t     *cmd = json_object_get(cfg, "command");
	json_t     *builtin = json_object_get(cfg, "builtin");
	const char *tag =
	    json_string_value(json_object_get(cfg, "docker_tag"));
	mc_err rv;

	snprintf(field, sizeof(field), "%s.command", path);
	if (builtin != NULL && !json_is_null(builtin)) {
		if ((rv = parse_builtin(t, m, cfg, path, d)) != MC_OK)
			return rv;
	} else if (cmd != NULL && !json_is_null(cmd) &&
	           !(json_is_string(cmd) &&
	               json_string_value(cmd)[0] == '\0')) {
		if ((rv = parse_command(t, m, cmd, field, d)) != MC_OK)
			return rv;
	} else if (tag != NULL && tag[0] != '\0') {
		m->kind = MODULE_CONTAINER;
		m->docker_tag = tag;
	} else {
		return task_bad(d, path,
		    "module has neither 'builtin', 'command' nor "
		    "'docker_tag'");
	}
	snprintf(field, sizeof(field), "%s.environment", path);
	if ((rv = parse_env(t, m, json_object_get(cfg, "environment"), field,
	         d)) != MC_OK)
		return rv;
	snprintf(field, sizeof(field), "%s.timeout", path);
	if ((rv = parse_timeout(
	         t, m, json_object_get(cfg, "timeout"), field, d)) != MC_OK)
		return rv;
	m->network = json_flag(json_object_get(cfg, "network_enabled"), true);
	return MC_OK;
}

/* step_settings - the step's settings as compact JSON text, for a
 * built-in module (a command or container reads them from its task.json) */
static mc_err
step_settings(task *t, module_spec *m, json_t *settings)
{
	if (settings == NULL || json_is_null(settings)) {
		m->settings_json = "{}";
		return MC_OK;
	}
	m->settings_json =
	    task_own(t, json_dumps(settings, JSON_COMPACT | JSON_ENCODE_ANY |
	                                         JSON_PRESERVE_ORDER));
	return m->settings_json != NULL ? MC_OK : MC_ENOMEM;
}

static mc_err
parse_step(task *t, size_t i, json_t *step, json_t *modules, mc_diag *d)
{
	module_spec *m = &t->steps[i];
	char         field[TASK_FIELD_MAX];
	const char  *name;
	json_t      *cfg;
	mc_err       rv;

	snprintf(field, sizeof(field), "process[%zu]", i);
	if (!json_is_object(step))
		return task_bad(d, field, "must be an object");
	name = json_string_value(json_object_get(step, "module_name"));
	if (name == NULL || name[0] == '\0')
		return task_bad(d, field, "missing module_name");
	memset(m, 0, sizeof(*m));
	m->name = name;
	m->retain_input_images =
	    json_flag(json_object_get(step, "retain_input_images"), false);
	cfg = json_object_get(modules, name);
	if (json_is_object(cfg)) {
		snprintf(field, sizeof(field), "mercure_c.modules.%s", name);
	} else {
		cfg = json_object_get(step, "module_config");
		snprintf(
		    field, sizeof(field), "process[%zu].module_config", i);
	}
	if (!json_is_object(cfg))
		return task_bad(d, field, "no configuration for this module");
	t->step_json[i] = step;
	if ((rv = step_settings(t, m, json_object_get(step, "settings"))) !=
	    MC_OK)
		return rv;
	return parse_module(t, m, cfg, field, d);
}

/* parse_rule - o is mercure_c.rule */
static mc_err
parse_rule(task *t, json_t *o, mc_diag *d)
{
	task_rule  *r = &t->rule;
	const char *name = json_string_value(json_object_get(o, "name"));
	json_t     *info_rule = json_object_get(t->info, "applied_rule");
	json_t     *st;

	(void) d;
	r->name = name                        ? name
	          : json_is_string(info_rule) ? json_string_value(info_rule)
	                                      : "";
	if (!json_is_object(o))
		return MC_OK;
	r->dynamic_routing =
	    json_flag(json_object_get(o, "dynamic_routing"), false);
	if (name_list(t, json_object_get(o, "dynamic_routing_allowed_targets"),
	        &r->allowed, &r->n_allowed) != MC_OK ||
	    name_list(t, json_object_get(o, "conditional_alternate_target"),
	        &r->alternate, &r->n_alternate) != MC_OK)
		return MC_ENOMEM;
	st = json_object_get(o, "set_tags");
	if (st != NULL && !json_is_null(st) &&
	    (r->set_tags_json = task_own(
	         t, json_dumps(st, JSON_COMPACT | JSON_ENCODE_ANY |
	                               JSON_PRESERVE_ORDER))) == NULL)
		return MC_ENOMEM;
	st = json_object_get(o, "instance_filter");
	if (json_is_string(st) && json_string_length(st) > 0)
		r->instance_filter = json_string_value(st);
	return MC_OK;
}

mc_err
task_process_parse(task *t, mc_diag *d)
{
	json_t *mc = json_object_get(t->root, "mercure_c");
	json_t *proc = json_object_get(t->root, "process");
	json_t *modules = json_object_get(mc, "modules");
	json_t *step;
	size_t  i;
	mc_err  rv;

	if ((rv = parse_rule(t, json_object_get(mc, "rule"), d)) != MC_OK)
		return rv;
	if ((proc == NULL || json_is_null(proc) ||
	        (json_is_array(proc) && json_array_size(proc) == 0)) &&
	    (strcmp(t->kind, "process") == 0 || strcmp(t->kind, "both") == 0))
		return task_bad(d, "process",
		    "missing: kind process and both need the "
		    "process section");
	if (proc == NULL || json_is_null(proc))
		return MC_OK;
	if (json_is_object(proc)) {
		t->n_steps = 1;
		return parse_step(t, 0, proc, modules, d);
	}
	if (!json_is_array(proc))
		return task_bad(d, "process", "must be an object or a list");
	if (json_array_size(proc) > TASK_STEPS_MAX)
		return task_bad(d, "process", "too many modules in the chain");
	json_array_foreach(proc, i, step)
	{
		if ((rv = parse_step(t, i, step, modules, d)) != MC_OK)
			return rv;
		t->n_steps = i + 1;
	}
	return MC_OK;
}

size_t
task_step_count(const task *t)
{
	return t->n_steps;
}

const module_spec *
task_step(const task *t, size_t i)
{
	return &t->steps[i];
}

const task_rule *
task_get_rule(const task *t)
{
	return &t->rule;
}

mc_err
task_step_json(const task *t, size_t i, char **out, size_t *len)
{
	json_t *copy = json_deep_copy(t->root);
	json_t *step = json_deep_copy(t->step_json[i]);

	*out = NULL;
	if (copy == NULL || step == NULL ||
	    json_object_set_new(copy, "process", step) != 0) {
		json_decref(copy);
		return MC_ENOMEM;
	}
	json_object_del(copy, "mercure_c");
	*out = json_dumps(copy, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(copy);
	if (*out == NULL)
		return MC_ENOMEM;
	*len = strlen(*out);
	return MC_OK;
}
