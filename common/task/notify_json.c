/* notify_json.c - a notification request file (docs/tasks.md) read with
 * jansson; the notifier's only use of it. */
#include "notify/notify_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

mc_err
notify_request_load(const char *path, notify_request **out, char *err,
                    size_t errlen)
{
	json_error_t    je;
	notify_request *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (r == NULL)
		return MC_ENOMEM;
	r->root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(r->root)) {
		snprintf(err, errlen, "%s:%d:%d: %s", path, je.line, je.column,
		         r->root ? "not a JSON object" : je.text);
		notify_request_destroy(r);
		return MC_EPARSE;
	}
	r->webhook = json_object_get(r->root, "webhook");
	r->email = json_object_get(r->root, "email");
	r->vars = json_object_get(r->root, "vars");
	if ((r->webhook && !json_is_object(r->webhook)) ||
	    (r->email && !json_is_object(r->email)) ||
	    (r->vars && !json_is_object(r->vars))) {
		snprintf(err, errlen,
		         "%s: webhook, email and vars must be objects", path);
		notify_request_destroy(r);
		return MC_ECONFIG;
	}
	if (!json_is_object(r->webhook))
		r->webhook = NULL;
	if (!json_is_object(r->email))
		r->email = NULL;
	*out = r;
	return MC_OK;
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
