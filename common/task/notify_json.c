/* notify_json.c - a notification request file (docs/tasks.md) written
 * and read with jansson (notify_json.h). The coordinator writes it and
 * never speaks HTTP or SMTP; the worker reads it and does. Its ids and
 * names end up in the worker's key=value logs, so the reader lets no
 * id through that could break a log line or name a path. */
#include "task/notify_json.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/sys_fs.h"
#include "task/task.h"
#include "task/task_int.h"

/* ---- writing ------------------------------------------------------------ */

static int
set_str(json_t *o, const char *key, const char *v)
{
	return task_json_set(o, key, task_json_text(v != NULL ? v : ""));
}

static json_t *
encode_webhook(const notify_webhook *w)
{
	json_t *o = json_object();
	int     bad = o == NULL ? -1 : 0;

	if (w->url != NULL)
		bad |= set_str(o, "url", w->url);
	bad |= set_str(o, "payload", w->payload);
	bad |= set_str(o, "payload_body", w->payload_body);
	if (w->ca != NULL)
		bad |= set_str(o, "ca", w->ca);
	return task_json_done(o, bad);
}

static json_t *
encode_email(const notify_email *e)
{
	json_t *o = json_object();
	int     bad = o == NULL ? -1 : 0;

	bad |= set_str(o, "to", e->to);
	bad |= set_str(o, "body", e->body);
	bad |= set_str(o, "type", e->type);
	bad |= set_str(o, "from", e->from);
	if (e->subject != NULL)
		bad |= set_str(o, "subject", e->subject);
	return task_json_done(o, bad);
}

static json_t *
encode_vars(const notify_request_spec *s)
{
	json_t *o = json_object();
	int     bad = o == NULL ? -1 : 0;

	for (size_t i = 0; bad == 0 && i < s->n_vars; i++)
		bad |= set_str(o, s->vars[i].name, s->vars[i].value);
	return task_json_done(o, bad);
}

mc_err
notify_request_encode(const notify_request_spec *s, char **out)
{
	json_t *o;
	int     bad;

	*out = NULL;
	if (!task_id_is_safe(s->id))
		return MC_EINVAL;
	if ((o = json_object()) == NULL)
		return MC_ENOMEM;
	bad = task_json_set(o, "v", json_integer(NOTIFY_REQUEST_VERSION));
	bad |= set_str(o, "id", s->id);
	bad |= set_str(o, "event", s->event);
	bad |= set_str(o, "rule", s->rule);
	bad |= set_str(o, "task_id", s->task_id);
	if (s->webhook != NULL)
		bad |= task_json_set(o, "webhook", encode_webhook(s->webhook));
	if (s->email != NULL)
		bad |= task_json_set(o, "email", encode_email(s->email));
	bad |= task_json_set(o, "vars", encode_vars(s));
	if (bad == 0)
		*out = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	return *out != NULL ? MC_OK : MC_ENOMEM;
}

/* ---- reading ------------------------------------------------------------ */

struct notify_request {
	json_t *root;
	json_t *webhook, *email, *vars; /* NULL when absent */
};

static const char *
str_of(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* a section: absent (NULL), or an object whose values are strings */
static bool
section_ok(json_t *o)
{
	const char *key;
	json_t     *v;

	if (o == NULL)
		return true;
	if (!json_is_object(o))
		return false;
	json_object_foreach(o, key, v)
	{
		if (!json_is_string(v))
			return false;
	}
	return true;
}

static bool
is_text(json_t *root, const char *key)
{
	json_t *v = json_object_get(root, key);
	return v == NULL || json_is_string(v);
}

/* check - the request's fields; NULL when fine, else why not */
static const char *
check(const notify_request *r)
{
	const char *task_id = str_of(r->root, "task_id");

	if (!is_text(r->root, "id") || !is_text(r->root, "event") ||
	    !is_text(r->root, "rule") || !is_text(r->root, "task_id"))
		return "id, event, rule and task_id must be strings";
	if (!task_id_is_safe(str_of(r->root, "id")))
		return "id is not a task id";
	if (task_id[0] != '\0' && !task_id_is_safe(task_id))
		return "task_id is not a task id";
	if (!section_ok(r->webhook) || !section_ok(r->email) ||
	    !section_ok(r->vars))
		return "webhook, email and vars must be objects of strings";
	return NULL;
}

/* parse_named - notify_request_parse with errors naming name */
static mc_err
parse_named(const char *name, const char *text, size_t len,
    notify_request **out, char *err, size_t errlen)
{
	json_error_t    je;
	notify_request *r = calloc(1, sizeof(*r));
	const char     *why;

	*out = NULL;
	if (r == NULL)
		return MC_ENOMEM;
	r->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(r->root)) {
		snprintf(err, errlen, "%s:%d:%d: %s", name, je.line, je.column,
		    r->root ? "not a JSON object" : je.text);
		notify_request_destroy(r);
		return MC_EPARSE;
	}
	r->webhook = json_object_get(r->root, "webhook");
	r->email = json_object_get(r->root, "email");
	r->vars = json_object_get(r->root, "vars");
	if ((why = check(r)) != NULL) {
		snprintf(err, errlen, "%s: %s", name, why);
		notify_request_destroy(r);
		return MC_ECONFIG;
	}
	*out = r;
	return MC_OK;
}

mc_err
notify_request_parse(const char *text, size_t len, notify_request **out,
    char *err, size_t errlen)
{
	return parse_named("request", text, len, out, err, errlen);
}

mc_err
notify_request_load(
    const char *path, notify_request **out, char *err, size_t errlen)
{
	char  *text;
	size_t len;
	mc_err rv;

	*out = NULL;
	if ((rv = sys_read_file(path, &text, &len)) != MC_OK) {
		snprintf(err, errlen, "%s: %s", path, mc_strerror(rv));
		return rv;
	}
	rv = parse_named(path, text, len, out, err, errlen);
	free(text);
	return rv;
}

void
notify_request_destroy(notify_request *r)
{
	if (r == NULL)
		return;
	json_decref(r->root);
	free(r);
}

const char *
notify_request_field(const notify_request *r, const char *key)
{
	return str_of(r->root, key);
}

const char *
notify_request_webhook(const notify_request *r, const char *key)
{
	return r->webhook ? str_of(r->webhook, key) : NULL;
}

const char *
notify_request_email(const notify_request *r, const char *key)
{
	return r->email ? str_of(r->email, key) : NULL;
}

const char *
notify_request_var(const char *name, void *ctx)
{
	const notify_request *r = ctx;
	json_t               *v = json_object_get(r->vars, name);

	if (v == NULL)
		v = json_object_get(r->root, name);
	if (json_is_string(v))
		return json_string_value(v);
	return NULL;
}
