/* module_result.c - a module's result.json (jansson): the two keys mercure
 * gives meaning to, merged over a chain, and our "module_result" object in
 * result.json (module_result.h). Everything else a module writes stays in
 * its out/result.json for whoever wants it. */
#include "task/module_result.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/sys_fs.h"

#define KEY_NOTIFICATION "__mercure_notification"
#define KEY_ROUTING "__mercure_routing"
#define ROUTING_TARGETS_MAX 64
/* a module's result.json holds two small keys; anything larger is not
 * one we should hold in memory */
#define MODULE_RESULT_MAX_BYTES (1024 * 1024)

void
module_result_init(module_result *r)
{
	memset(r, 0, sizeof(*r));
}

static void
free_routing(module_result *r)
{
	for (size_t i = 0; i < r->n_targets; i++)
		free(r->targets[i]);
	free(r->targets);
	free(r->routing_json);
	r->targets = NULL;
	r->n_targets = 0;
	r->routing_json = NULL;
	r->routing = ROUTING_NONE;
}

void
module_result_fini(module_result *r)
{
	free_routing(r);
	free(r->notify_text);
	memset(r, 0, sizeof(*r));
}

static mc_err
push_target(module_result *r, const char *name)
{
	if (r->targets == NULL &&
	    (r->targets = calloc(ROUTING_TARGETS_MAX, sizeof(char *))) == NULL)
		return MC_ENOMEM;
	if (r->n_targets == ROUTING_TARGETS_MAX)
		return MC_EPARSE;
	if ((r->targets[r->n_targets] = strdup(name)) == NULL)
		return MC_ENOMEM;
	r->n_targets++;
	return MC_OK;
}

/* "target": a name or a list of names */
static mc_err
parse_targets(json_t *v, module_result *r)
{
	size_t  i;
	json_t *e;
	mc_err  rv;

	if (json_is_string(v))
		return push_target(r, json_string_value(v));
	if (!json_is_array(v))
		return MC_EPARSE;
	json_array_foreach(v, i, e)
	{
		if (!json_is_string(e) || json_string_value(e)[0] == '\0')
			return MC_EPARSE;
		if ((rv = push_target(r, json_string_value(e))) != MC_OK)
			return rv;
	}
	return MC_OK;
}

static mc_err
parse_routing(json_t *v, module_result *r, char *err, size_t errlen)
{
	json_t *target = json_object_get(v, "target");
	mc_err  rv = MC_OK;

	if (!json_is_object(v)) {
		snprintf(err, errlen, KEY_ROUTING " must be an object");
		return MC_EPARSE;
	}
	if (json_is_true(json_object_get(v, "discard")))
		r->routing = ROUTING_DISCARD;
	else if (json_is_true(json_object_get(v, "use_alternate_target")))
		r->routing = ROUTING_ALTERNATE;
	else if (target != NULL && !json_is_null(target)) {
		r->routing = ROUTING_TARGETS;
		rv = parse_targets(target, r);
	}
	if (rv == MC_EPARSE)
		snprintf(err, errlen,
		    KEY_ROUTING ".target must be a name or a list of "
		                "names");
	if (rv == MC_OK && (r->routing_json = json_dumps(v,
	                        JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
		rv = MC_ENOMEM;
	return rv;
}

static mc_err
parse_notification(json_t *v, module_result *r, char *err, size_t errlen)
{
	json_t     *text = json_object_get(v, "text");
	const char *s = json_string_value(text);

	if (!json_is_object(v) ||
	    (text != NULL && !json_is_null(text) && s == NULL)) {
		snprintf(err, errlen,
		    KEY_NOTIFICATION " must be an object with a text");
		return MC_EPARSE;
	}
	r->notification = true;
	r->notify_requested = json_is_true(json_object_get(v, "requested"));
	if (s != NULL && (r->notify_text = strdup(s)) == NULL)
		return MC_ENOMEM;
	return MC_OK;
}

/* the two keys of an object (a module's result.json) into r */
static mc_err
parse_keys(json_t *root, module_result *r, char *err, size_t errlen)
{
	json_t *n = json_object_get(root, KEY_NOTIFICATION);
	json_t *ro = json_object_get(root, KEY_ROUTING);
	mc_err  rv = MC_OK;

	if (n != NULL && !json_is_null(n))
		rv = parse_notification(n, r, err, errlen);
	if (rv == MC_OK && ro != NULL && !json_is_null(ro))
		rv = parse_routing(ro, r, err, errlen);
	return rv;
}

mc_err
module_result_read(
    const char *path, module_result *r, char *err, size_t errlen)
{
	module_result tmp;
	json_error_t  je;
	json_t       *root;
	char         *text = NULL;
	size_t        len = 0;
	mc_err        rv;

	if (!sys_exists(path))
		return MC_OK;
	/* written by the module: never through a link, never a FIFO */
	if ((rv = sys_read_plain_file(
	         path, MODULE_RESULT_MAX_BYTES, &text, &len)) != MC_OK) {
		snprintf(err, errlen, "%s: %s", path,
		    rv == MC_EINVAL ? "larger than 1 MiB" : mc_strerror(rv));
		return rv == MC_EREFUSED ? rv : MC_EPARSE;
	}
	root = json_loadb(text, len, 0, &je);
	free(text);
	if (!json_is_object(root)) {
		snprintf(err, errlen, "%s: %s", path,
		    root ? "not a JSON object" : je.text);
		json_decref(root);
		return MC_EPARSE;
	}
	module_result_init(&tmp);
	rv = parse_keys(root, &tmp, err, errlen);
	json_decref(root);
	if (rv != MC_OK) {
		module_result_fini(&tmp);
		return rv;
	}
	module_result_merge(r, &tmp);
	return MC_OK;
}

static void
append_text(module_result *acc, char *more)
{
	size_t n;
	char  *joined;

	if (acc->notify_text == NULL || acc->notify_text[0] == '\0') {
		free(acc->notify_text);
		acc->notify_text = more;
		return;
	}
	n = strlen(acc->notify_text) + strlen(more) + 2;
	if ((joined = malloc(n)) == NULL) {
		free(more); /* keep what we have */
		return;
	}
	snprintf(joined, n, "%s\n%s", acc->notify_text, more);
	free(acc->notify_text);
	free(more);
	acc->notify_text = joined;
}

void
module_result_merge(module_result *acc, module_result *from)
{
	if (from->notification) {
		acc->notification = true;
		acc->notify_requested |= from->notify_requested;
		if (from->notify_text != NULL)
			append_text(acc, from->notify_text);
		from->notify_text = NULL;
	}
	if (from->routing != ROUTING_NONE) {
		free_routing(acc);
		acc->routing = from->routing;
		acc->targets = from->targets;
		acc->n_targets = from->n_targets;
		acc->routing_json = from->routing_json;
		from->targets = NULL;
		from->n_targets = 0;
		from->routing_json = NULL;
	}
	module_result_fini(from);
}

static json_t *
encode_notification(const module_result *r)
{
	json_t *n;

	if (!r->notification)
		return json_null();
	n = json_object();
	json_object_set_new(
	    n, "text", json_string(r->notify_text ? r->notify_text : ""));
	json_object_set_new(n, "requested", json_boolean(r->notify_requested));
	return n;
}

static json_t *
encode_routing(const module_result *r, const routing_outcome *ro)
{
	json_t *o = json_object(), *list = json_array(), *req = NULL;

	if (r->routing_json != NULL)
		req = json_loads(r->routing_json, 0, NULL);
	json_object_set_new(o, "requested", req ? req : json_null());
	json_object_set_new(o, "applied", json_boolean(ro && ro->applied));
	json_object_set_new(o, "discard", json_boolean(ro && ro->discard));
	for (size_t i = 0; ro != NULL && i < ro->n_targets; i++)
		json_array_append_new(list, json_string(ro->targets[i]));
	json_object_set_new(o, "targets", list);
	json_object_set_new(o, "reason", json_string(ro ? ro->reason : ""));
	return o;
}

mc_err
module_result_encode(
    const module_result *r, const routing_outcome *ro, char **out)
{
	json_t *root = json_object();

	*out = NULL;
	if (root == NULL)
		return MC_ENOMEM;
	json_object_set_new(root, "notification", encode_notification(r));
	json_object_set_new(root, "routing", encode_routing(r, ro));
	*out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	return *out != NULL ? MC_OK : MC_ENOMEM;
}

mc_err
module_result_decode(const char *json, module_result *r)
{
	json_t *root = json_loads(json, 0, NULL), *wrap;
	char    err[128];
	mc_err  rv;

	if (!json_is_object(root)) {
		json_decref(root);
		return MC_EPARSE;
	}
	/* back into the shape a module writes */
	wrap = json_object();
	json_object_set(
	    wrap, KEY_NOTIFICATION, json_object_get(root, "notification"));
	json_object_set(wrap, KEY_ROUTING,
	    json_object_get(json_object_get(root, "routing"), "requested"));
	rv = parse_keys(wrap, r, err, sizeof(err));
	json_decref(wrap);
	json_decref(root);
	return rv;
}
