/* task_json_read.c - reading task.json with jansson: the worker's
 * complete reading, which validates everything, so the rest of the
 * worker reads plain C fields and each target's configuration as
 * key=value text (target_cfg); and the coordinator's summary
 * (task_json_read_meta). task_json_process.c reads the process section.
 * jansson reports syntax errors with a 1-based line and column; for a
 * value of the wrong type it gives no position, so those errors name the
 * field instead. */
#include "task/task.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/sys_fs.h"
#include "task/task_int.h"

#define TASK_STATE_COMPLETE "complete"
#define TASK_KIND_DISPATCH "dispatch"

mc_err
task_bad(mc_diag *d, const char *field, const char *msg)
{
	snprintf(d->field, sizeof(d->field), "%s", field);
	snprintf(d->msg, sizeof(d->msg), "%s", msg);
	d->line = d->column = 0;
	return MC_ECONFIG;
}

void *
task_own(task *t, void *p)
{
	if (p == NULL)
		return NULL;
	if (t->n_owned == t->cap_owned) {
		size_t cap = t->cap_owned ? t->cap_owned * 2 : 16;
		void **n = realloc(t->owned, cap * sizeof(*n));
		if (n == NULL) {
			free(p);
			return NULL;
		}
		t->owned = n;
		t->cap_owned = cap;
	}
	t->owned[t->n_owned++] = p;
	return p;
}

bool
task_id_is_safe(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n == 0 || n > TASK_ID_MAX_LEN || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		        (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		        ch == '.'))
			return false;
	}
	return true;
}

/* a scalar as the text a target's code reads; NULL for null */
static char *
scalar_text(json_t *v)
{
	char buf[64];

	switch (json_typeof(v)) {
	case JSON_STRING:
		return strdup(json_string_value(v));
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return strdup(buf);
	case JSON_REAL:
		snprintf(buf, sizeof(buf), "%g", json_real_value(v));
		return strdup(buf);
	case JSON_TRUE:
		return strdup("true");
	case JSON_FALSE:
		return strdup("false");
	case JSON_NULL:
		return NULL;
	default:
		return json_dumps(v, JSON_COMPACT);
	}
}

static mc_err
build_cfg(const char *name, json_t *obj, target_cfg **out, mc_diag *d)
{
	const char *key;
	json_t     *v;
	target_cfg *c;
	char        field[128];

	*out = NULL;
	snprintf(field, sizeof(field), "mercure_c.targets.%s", name);
	if (!json_is_object(obj))
		return task_bad(d, field, "must be an object");
	if (target_cfg_create(name, &c) != MC_OK)
		return MC_ENOMEM;
	json_object_foreach(obj, key, v)
	{
		if (json_is_null(v))
			continue;
		char  *text = scalar_text(v);
		mc_err rv =
		    text == NULL ? MC_ENOMEM : target_cfg_set(c, key, text);
		free(text);
		if (rv != MC_OK) {
			target_cfg_destroy(c);
			return rv;
		}
	}
	*out = c;
	return MC_OK;
}

static bool
status_is_complete(json_t *status, const char *name)
{
	json_t *st = json_object_get(status, name);
	json_t *state = json_object_get(st, "state");

	return json_is_string(state) &&
	       strcmp(json_string_value(state), TASK_STATE_COMPLETE) == 0;
}

static mc_err
add_target(task *t, json_t *name, mc_diag *d)
{
	const char *s = json_string_value(name);

	if (s == NULL || s[0] == '\0')
		return task_bad(d, "dispatch.target_name",
		    "must be a non-empty string or a list of them");
	if (t->n == TASK_TARGETS_MAX)
		return task_bad(d, "dispatch.target_name", "too many targets");
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->names[i], s) == 0)
			return MC_OK; /* named twice: send once */
	t->names[t->n++] = s;
	return MC_OK;
}

/* every entry of mercure_c.targets becomes a target_cfg */
static mc_err
parse_targets(task *t, json_t *targets, mc_diag *d)
{
	const char *name;
	json_t     *v;
	mc_err      rv;

	json_object_foreach(targets, name, v)
	{
		if (t->n_all == TASK_TARGETS_MAX)
			return task_bad(
			    d, "mercure_c.targets", "too many targets");
		rv = build_cfg(name, v, &t->all[t->n_all].cfg, d);
		if (rv != MC_OK)
			return rv;
		t->all[t->n_all++].name = name;
	}
	return MC_OK;
}

static mc_err
parse_dispatch(task *t, mc_diag *d)
{
	json_t *disp = json_object_get(t->root, "dispatch");
	bool    required = strcmp(t->kind, TASK_KIND_DISPATCH) == 0;
	json_t *names, *status, *v;
	size_t  i;
	mc_err  rv;

	if (!required && (disp == NULL || json_is_null(disp)))
		return MC_OK;
	if (!json_is_object(disp))
		return task_bad(d, "dispatch", "missing or not an object");
	names = json_object_get(disp, "target_name");
	status = json_object_get(disp, "status");
	if (status != NULL && !json_is_object(status) && !json_is_null(status))
		return task_bad(d, "dispatch.status", "must be an object");
	t->status = json_is_object(status) ? status : NULL;
	if (!required && (names == NULL || json_is_null(names)))
		return MC_OK;
	if (json_is_string(names))
		return add_target(t, names, d);
	if (!json_is_array(names))
		return task_bad(d, "dispatch.target_name",
		    "missing; must be a string or a list of strings");
	json_array_foreach(names, i, v)
	{
		if ((rv = add_target(t, v, d)) != MC_OK)
			return rv;
	}
	return MC_OK;
}

/* mercure_c.stream: absent or null, or {"idle_timeout_s": 1..max} */
static mc_err
check_stream(json_t *mc, mc_diag *d)
{
	json_t *s = json_object_get(mc, "stream");
	json_t *idle;
	char    msg[96];

	if (s == NULL || json_is_null(s))
		return MC_OK;
	if (!json_is_object(s))
		return task_bad(d, "mercure_c.stream", "must be an object");
	idle = json_object_get(s, "idle_timeout_s");
	if (!json_is_integer(idle) || json_integer_value(idle) < 1 ||
	    json_integer_value(idle) > TASK_STREAM_IDLE_MAX_S) {
		snprintf(msg, sizeof(msg), "must be an integer 1..%d",
		    TASK_STREAM_IDLE_MAX_S);
		return task_bad(d, "mercure_c.stream.idle_timeout_s", msg);
	}
	return MC_OK;
}

static mc_err
parse_root(task *t, mc_diag *d)
{
	json_t *id = json_object_get(t->root, "id");
	json_t *mc = json_object_get(t->root, "mercure_c");
	json_t *kind, *url, *targets;
	char    msg[96];
	mc_err  rv;

	if (!json_is_object(t->root))
		return task_bad(d, "", "the document must be an object");
	if (!json_is_string(id))
		return task_bad(d, "id", "missing or not a string");
	if (!task_id_is_safe(json_string_value(id))) {
		snprintf(msg, sizeof(msg),
		    "must be 1..%d characters of A-Z a-z 0-9 . _ - and "
		    "not start with '.'",
		    TASK_ID_MAX_LEN);
		return task_bad(d, "id", msg);
	}
	t->id = json_string_value(id);
	t->info = json_object_get(t->root, "info");
	if (t->info != NULL && !json_is_object(t->info) &&
	    !json_is_null(t->info))
		return task_bad(d, "info", "must be an object");
	if (!json_is_object(mc))
		return task_bad(d, "mercure_c", "missing or not an object");
	kind = json_object_get(mc, "kind");
	if (!json_is_string(kind))
		return task_bad(
		    d, "mercure_c.kind", "missing or not a string");
	t->kind = json_string_value(kind);
	url = json_object_get(mc, "coordinator_url");
	if (url != NULL && !json_is_string(url) && !json_is_null(url))
		return task_bad(
		    d, "mercure_c.coordinator_url", "must be a string");
	t->coordinator_url = json_is_string(url) ? json_string_value(url) : "";
	targets = json_object_get(mc, "targets");
	if (targets != NULL && !json_is_object(targets) &&
	    !json_is_null(targets))
		return task_bad(d, "mercure_c.targets", "must be an object");
	if ((rv = check_stream(mc, d)) != MC_OK ||
	    (rv = parse_dispatch(t, d)) != MC_OK ||
	    (rv = parse_targets(t, targets, d)) != MC_OK)
		return rv;
	return task_process_parse(t, d);
}

mc_err
task_parse(const char *text, size_t len, task **out, mc_diag *d)
{
	json_error_t je;
	task        *t;
	mc_err       rv;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return MC_ENOMEM;
	t->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (t->root == NULL) {
		d->line = je.line > 0 ? (size_t) je.line : 0;
		d->column = je.column > 0 ? (size_t) je.column : 0;
		d->field[0] = '\0';
		snprintf(d->msg, sizeof(d->msg), "%s", je.text);
		free(t);
		return MC_EPARSE;
	}
	if ((rv = parse_root(t, d)) != MC_OK) {
		task_destroy(t);
		return rv;
	}
	*out = t;
	return MC_OK;
}

mc_err
task_load(const char *path, task **out, mc_diag *d)
{
	char  *text;
	size_t len;
	mc_err rv;

	*out = NULL;
	snprintf(d->file, sizeof(d->file), "%s", path);
	if ((rv = sys_read_file(path, &text, &len)) != MC_OK) {
		d->line = d->column = 0;
		d->field[0] = '\0';
		snprintf(d->msg, sizeof(d->msg), "cannot read: %s",
		    mc_strerror(rv));
		return rv;
	}
	rv = task_parse(text, len, out, d);
	free(text);
	return rv;
}

static json_t *
target_object(json_t *root, const char *name)
{
	json_t *o = json_object_get(json_object_get(root, "targets"), name);

	if (o == NULL)
		o = json_object_get(
		    json_object_get(
		        json_object_get(root, "mercure_c"), "targets"),
		    name);
	if (o == NULL && json_is_string(json_object_get(root, "target_type")))
		o = root;
	return o;
}

mc_err
task_load_target(
    const char *path, const char *name, target_cfg **out, mc_diag *d)
{
	json_error_t je;
	json_t      *root, *o;
	mc_err       rv;

	*out = NULL;
	memset(d, 0, sizeof(*d));
	snprintf(d->file, sizeof(d->file), "%s", path);
	if ((root = json_load_file(path, JSON_REJECT_DUPLICATES, &je)) ==
	    NULL) {
		d->line = je.line > 0 ? (size_t) je.line : 0;
		d->column = je.column > 0 ? (size_t) je.column : 0;
		snprintf(d->msg, sizeof(d->msg), "%s", je.text);
		return MC_EPARSE;
	}
	if ((o = target_object(root, name)) == NULL) {
		snprintf(d->field, sizeof(d->field), "targets.%s", name);
		snprintf(d->msg, sizeof(d->msg), "no such target");
		json_decref(root);
		return MC_ENOENT;
	}
	rv = build_cfg(name, o, out, d);
	json_decref(root);
	return rv;
}

void
task_destroy(task *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n_all; i++)
		target_cfg_destroy(t->all[i].cfg);
	for (size_t i = 0; i < t->n_owned; i++)
		free(t->owned[i]);
	free(t->owned);
	json_decref(t->root);
	free(t);
}

const char *
task_id(const task *t)
{
	return t->id;
}

const char *
task_kind(const task *t)
{
	return t->kind;
}

const char *
task_coordinator_url(const task *t)
{
	return t->coordinator_url;
}

unsigned
task_stream_idle_s(const task *t)
{
	json_t *mc = json_object_get(t->root, "mercure_c");
	json_t *idle =
	    json_object_get(json_object_get(mc, "stream"), "idle_timeout_s");

	/* checked by check_stream when the task was parsed */
	return json_is_integer(idle) ? (unsigned) json_integer_value(idle) : 0;
}

const char *
task_info(const task *t, const char *key)
{
	const char *s = json_string_value(json_object_get(t->info, key));
	return s != NULL ? s : "";
}

size_t
task_target_count(const task *t)
{
	return t->n;
}

const char *
task_target_name(const task *t, size_t i)
{
	return t->names[i];
}

bool
task_target_is_complete(const task *t, size_t i)
{
	return status_is_complete(t->status, t->names[i]);
}

bool
task_status_is_complete(const task *t, const char *name)
{
	return status_is_complete(t->status, name);
}

const target_cfg *
task_find_target(const task *t, const char *name)
{
	for (size_t i = 0; i < t->n_all; i++)
		if (t->all[i].cfg != NULL && strcmp(t->all[i].name, name) == 0)
			return t->all[i].cfg;
	return NULL;
}

static bool
lacks_secrets(const target_cfg *c)
{
	return c != NULL && target_cfg_get(c, TASK_SECRET_FIELDS) != NULL;
}

bool
task_needs_config(const task *t)
{
	for (size_t i = 0; i < t->n_all; i++)
		if (lacks_secrets(t->all[i].cfg))
			return true;
	return false;
}

mc_err
task_use_config(task *t, const mc_config *cfg)
{
	for (size_t i = 0; i < t->n_all; i++) {
		const config_target *ct;
		if (!lacks_secrets(t->all[i].cfg))
			continue;
		ct = config_find_target(cfg, t->all[i].name);
		target_cfg_destroy(t->all[i].cfg);
		t->all[i].cfg = NULL;
		if (ct != NULL &&
		    target_cfg_from_config(ct, &t->all[i].cfg) != MC_OK)
			return MC_ENOMEM;
	}
	return MC_OK;
}

const target_cfg *
task_target_cfg(const task *t, size_t i)
{
	return task_find_target(t, t->names[i]);
}

/* ---- the coordinator's summary ------------------------------------------ */

json_t *
task_json_load(const char *path, char *err, size_t errlen)
{
	json_error_t je;
	json_t      *o = json_load_file(path, 0, &je);

	if (o == NULL || !json_is_object(o)) {
		snprintf(err, errlen, "%s: line %d column %d: %s", path,
		    je.line, je.column, o ? "not an object" : je.text);
		json_decref(o);
		return NULL;
	}
	return o;
}

static config_priority
priority_of(const char *s)
{
	if (s && strcmp(s, "urgent") == 0)
		return CONFIG_PRIORITY_URGENT;
	if (s && strcmp(s, "offpeak") == 0)
		return CONFIG_PRIORITY_OFFPEAK;
	return CONFIG_PRIORITY_NORMAL;
}

mc_err
task_json_read_meta(const char *path, task_meta *m, char *err, size_t errlen)
{
	json_t     *root = task_json_load(path, err, errlen);
	json_t     *ours, *disp, *info;
	const char *s;

	memset(m, 0, sizeof(*m));
	if (root == NULL)
		return MC_EPARSE;
	ours = json_object_get(root, "mercure_c");
	disp = json_object_get(root, "dispatch");
	info = json_object_get(root, "info");
	s = json_string_value(json_object_get(ours, "kind"));
	snprintf(m->kind, sizeof(m->kind), "%s", s ? s : "dispatch");
	m->priority =
	    priority_of(json_string_value(json_object_get(ours, "priority")));
	m->attempt =
	    (unsigned) json_integer_value(json_object_get(ours, "attempt"));
	if (m->attempt == 0)
		m->attempt = 1;
	m->retries =
	    (unsigned) json_integer_value(json_object_get(disp, "retries"));
	m->next_retry_unix_s =
	    json_integer_value(json_object_get(ours, "next_retry_unix_s"));
	s = json_string_value(json_object_get(info, "uid"));
	snprintf(m->uid, sizeof(m->uid), "%s", s ? s : "");
	s = json_string_value(json_object_get(info, "applied_rule"));
	snprintf(m->rule, sizeof(m->rule), "%s", s ? s : "");
	json_decref(root);
	return MC_OK;
}
