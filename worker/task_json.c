/* task_json.c - task.json in, result.json out: the worker's only use of
 * jansson. task.json is validated completely here, so the rest of the
 * worker reads plain C fields and each target's configuration as
 * key=value text (target_cfg). jansson reports syntax errors with a
 * 1-based line and column; for a value of the wrong type it gives no
 * position, so those errors name the field instead. */
#include "task.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys_fs.h"

#define TASK_TARGETS_MAX 256
#define TASK_STATE_COMPLETE "complete"

struct task {
	json_t     *root; /* owns every string below */
	const char *id, *kind, *coordinator_url;
	json_t     *info;
	const char *names[TASK_TARGETS_MAX];
	bool        complete[TASK_TARGETS_MAX];
	target_cfg *cfgs[TASK_TARGETS_MAX]; /* NULL: not configured */
	size_t      n;
};

static mc_err
bad(mc_diag *d, const char *field, const char *msg)
{
	snprintf(d->field, sizeof(d->field), "%s", field);
	snprintf(d->msg, sizeof(d->msg), "%s", msg);
	d->line = d->column = 0;
	return MC_ECONFIG;
}

static bool
id_is_safe(const char *s)
{
	size_t n = strlen(s);

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
		return bad(d, field, "must be an object");
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
add_target(task *t, json_t *name, json_t *status, json_t *targets, mc_diag *d)
{
	const char *s = json_string_value(name);
	json_t     *cfg;

	if (s == NULL || s[0] == '\0')
		return bad(d, "dispatch.target_name",
		           "must be a non-empty string or a list of them");
	if (t->n == TASK_TARGETS_MAX)
		return bad(d, "dispatch.target_name", "too many targets");
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->names[i], s) == 0)
			return MC_OK; /* named twice: send once */
	t->names[t->n] = s;
	t->complete[t->n] = status_is_complete(status, s);
	cfg = json_object_get(targets, s);
	if (cfg != NULL) {
		mc_err rv = build_cfg(s, cfg, &t->cfgs[t->n], d);
		if (rv != MC_OK)
			return rv;
	}
	t->n++;
	return MC_OK;
}

static mc_err
parse_dispatch(task *t, json_t *targets, mc_diag *d)
{
	json_t *disp = json_object_get(t->root, "dispatch");
	json_t *names, *status, *v;
	size_t  i;
	mc_err  rv;

	if (!json_is_object(disp))
		return bad(d, "dispatch", "missing or not an object");
	names = json_object_get(disp, "target_name");
	status = json_object_get(disp, "status");
	if (status != NULL && !json_is_object(status) && !json_is_null(status))
		return bad(d, "dispatch.status", "must be an object");
	if (json_is_string(names))
		return add_target(t, names, status, targets, d);
	if (!json_is_array(names))
		return bad(d, "dispatch.target_name",
		           "missing; must be a string or a list of strings");
	json_array_foreach(names, i, v)
	{
		if ((rv = add_target(t, v, status, targets, d)) != MC_OK)
			return rv;
	}
	return MC_OK;
}

static mc_err
parse_root(task *t, mc_diag *d)
{
	json_t *id = json_object_get(t->root, "id");
	json_t *mc = json_object_get(t->root, "mercure_c");
	json_t *kind, *url, *targets;

	if (!json_is_object(t->root))
		return bad(d, "", "the document must be an object");
	if (!json_is_string(id))
		return bad(d, "id", "missing or not a string");
	if (!id_is_safe(json_string_value(id)))
		return bad(d, "id",
		           "must be 1..63 characters of A-Z a-z 0-9 . _ - "
		           "and not start with '.'");
	t->id = json_string_value(id);
	t->info = json_object_get(t->root, "info");
	if (t->info != NULL && !json_is_object(t->info) &&
	    !json_is_null(t->info))
		return bad(d, "info", "must be an object");
	if (!json_is_object(mc))
		return bad(d, "mercure_c", "missing or not an object");
	kind = json_object_get(mc, "kind");
	if (!json_is_string(kind))
		return bad(d, "mercure_c.kind", "missing or not a string");
	t->kind = json_string_value(kind);
	url = json_object_get(mc, "coordinator_url");
	if (url != NULL && !json_is_string(url) && !json_is_null(url))
		return bad(d, "mercure_c.coordinator_url", "must be a string");
	t->coordinator_url = json_is_string(url) ? json_string_value(url) : "";
	targets = json_object_get(mc, "targets");
	if (targets != NULL && !json_is_object(targets) &&
	    !json_is_null(targets))
		return bad(d, "mercure_c.targets", "must be an object");
	return parse_dispatch(t, targets, d);
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
		d->line = je.line > 0 ? (size_t)je.line : 0;
		d->column = je.column > 0 ? (size_t)je.column : 0;
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

void
task_destroy(task *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++)
		target_cfg_destroy(t->cfgs[i]);
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
	return t->complete[i];
}

const target_cfg *
task_target_cfg(const task *t, size_t i)
{
	return t->cfgs[i];
}

static int
set_new(json_t *obj, const char *key, json_t *v)
{
	return v == NULL ? -1 : json_object_set_new(obj, key, v);
}

/* json_string() refuses invalid UTF-8 (an OS message, an odd path):
 * keep such text readable with '?' for the bytes that are not ASCII */
static json_t *
text_value(const char *s)
{
	json_t *v = json_string(s);
	char   *copy;

	if (v != NULL || (copy = strdup(s)) == NULL)
		return v;
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	v = json_string(copy);
	free(copy);
	return v;
}

static json_t *
encode_target(const task_target_outcome *o)
{
	json_t *j = json_object();
	int     bad_set = 0;

	if (j == NULL)
		return NULL;
	bad_set |= set_new(j, "ok", json_boolean(o->ok));
	bad_set |= set_new(j, "sent", json_integer((json_int_t)o->r.sent));
	bad_set |= set_new(j, "failed", json_integer((json_int_t)o->r.failed));
	bad_set |=
	    set_new(j, "retryable", json_boolean(!o->ok && o->r.retryable));
	bad_set |= set_new(j, "error", text_value(o->r.error));
	if (bad_set != 0) {
		json_decref(j);
		return NULL;
	}
	return j;
}

mc_err
task_result_encode(const task_result *r, char **out, size_t *len)
{
	json_t *root = json_object(), *targets = json_object();
	int     bad_set = 0;

	*out = NULL;
	if (root == NULL || targets == NULL) {
		json_decref(root);
		json_decref(targets);
		return MC_ENOMEM;
	}
	bad_set |= set_new(root, "v", json_integer(TASK_RESULT_VERSION));
	bad_set |= set_new(root, "task", text_value(r->task_id));
	bad_set |= set_new(root, "kind", text_value(r->kind));
	bad_set |= set_new(root, "ok", json_boolean(r->ok));
	bad_set |= set_new(root, "started_us", json_integer(r->started_us));
	bad_set |= set_new(root, "finished_us", json_integer(r->finished_us));
	for (size_t i = 0; i < r->n_targets; i++)
		bad_set |= set_new(targets, r->targets[i].name,
		                   encode_target(&r->targets[i]));
	bad_set |= set_new(root, "targets", targets);
	bad_set |= set_new(root, "error", text_value(r->error));
	if (bad_set == 0)
		*out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (*out == NULL)
		return MC_ENOMEM;
	*len = strlen(*out);
	return MC_OK;
}
