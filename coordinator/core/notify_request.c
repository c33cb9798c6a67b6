/* notify_request.c - deciding on, writing and launching notification
 * requests. The worker renders the templates and retries. */
#include "core/notify_request.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "os/sys_fs.h"
#include "os/sys_spawn.h"
#include "tags/tags_json.h"

static const char *const event_names[] = {"reception", "completion",
    "error"};

static bool
trigger_on(const config_rule *r, notify_event ev)
{
	static const char *const keys[] = {"notification_trigger_reception",
	    "notification_trigger_completion", "notification_trigger_error"};
	const char *v = config_kv_get(&r->extra, keys[ev]);

	/* mercure's defaults: every trigger on */
	return v == NULL || strcasecmp(v, "false") != 0;
}

static const char *
nonempty(const config_rule *r, const char *key)
{
	const char *v = config_kv_get(&r->extra, key);
	return v && *v ? v : NULL;
}

static json_t *
build_vars(coord *c, notify_event ev, const config_rule *r,
    const char *task_id, const mc_tagset *tags, const char *details)
{
	json_t *v = json_object();

	json_object_set_new(v, "rule", json_string(r->name));
	json_object_set_new(v, "event", json_string(event_names[ev]));
	json_object_set_new(v, "task_id", json_string(task_id ? task_id : ""));
	json_object_set_new(v, "details", json_string(details ? details : ""));
	json_object_set_new(v, "appliance",
	    json_string(c->cfg->appliance_name));
	if (c->cfg->phi_notifications && tags) {
		const char *pn = mc_tagset_get(tags, "PatientName");
		const char *id = mc_tagset_get(tags, "PatientID");
		const char *acc = mc_tagset_get(tags, "AccessionNumber");
		json_object_set_new(v, "patient_name", json_string(pn ? pn : ""));
		json_object_set_new(v, "mrn", json_string(id ? id : ""));
		json_object_set_new(v, "acc", json_string(acc ? acc : ""));
	}
	return v;
}

static json_t *
build_request(coord *c, notify_event ev, const config_rule *r,
    const char *id, const char *task_id, const mc_tagset *tags,
    const char *details)
{
	json_t     *o = json_object();
	const char *url = nonempty(r, "notification_webhook");
	const char *to = nonempty(r, "notification_email");

	json_object_set_new(o, "v", json_integer(1));
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "event", json_string(event_names[ev]));
	json_object_set_new(o, "rule", json_string(r->name));
	json_object_set_new(o, "task_id", json_string(task_id ? task_id : ""));
	/* the URL stays in the configuration (it often holds a token); the
	 * worker looks it up by the rule's name */
	if (url) {
		json_t     *w = json_object();
		const char *p = nonempty(r, "notification_payload");
		const char *b = nonempty(r, "notification_payload_body");
		json_object_set_new(w, "payload", json_string(p ? p : ""));
		json_object_set_new(w, "payload_body", json_string(b ? b : ""));
		json_object_set_new(o, "webhook", w);
	}
	if (to) {
		json_t     *e = json_object();
		const char *b = nonempty(r, "notification_email_body");
		const char *t = nonempty(r, "notification_email_type");
		json_object_set_new(e, "to", json_string(to));
		json_object_set_new(e, "body", json_string(b ? b : ""));
		json_object_set_new(e, "type", json_string(t ? t : "plain"));
		json_object_set_new(e, "from",
		    json_string("mercure@mercure.mercure"));
		json_object_set_new(o, "email", e);
	}
	json_object_set_new(o, "vars",
	    build_vars(c, ev, r, task_id, tags, details));
	return o;
}

/* launch - `mercure-worker --notify FILE`, its output in FILE.log; the
 * child is reaped by the local backend or coord's slow tick */
static void
launch(coord *c, const char *file, const char *id)
{
	char          *argv[] = {c->worker_path, (char *) "--notify",
		     (char *) file, NULL};
	char           logp[MC_PATH_MAX], err[256];
	sys_spawn_opts so = {argv, NULL, logp, 0};
	pid_t          pid;

	if (sys_path_fmt(logp, sizeof(logp), "%s.log", file) != MC_OK)
		return;
	if (sys_spawn_start(&so, &pid, err, sizeof(err)) != MC_OK)
		log_warn("event=notify.spawn_failed notification=%s "
			 "msg=\"%s\"",
		    id, err);
}

/* task_tags - the task's tags.json, wherever the task is now */
static mc_tagset *
task_tags(coord *c, const char *task_id)
{
	static const char *const dirs[] = {DIR_TASKS, DIR_SUCCESS, DIR_ERROR,
	    DIR_DISCARD};
	char       path[MC_PATH_MAX], err[64], *text;
	size_t     len;
	mc_tagset *t = NULL;

	for (size_t i = 0; i < 4 && task_id; i++) {
		if (coord_path(c, path, sizeof(path), dirs[i], task_id,
			TASK_TAGS_FILE) != MC_OK ||
		    sys_read_file(path, &text, &len) != MC_OK)
			continue;
		if (mc_tagset_create(&t) == MC_OK &&
		    tags_json_decode(text, len, t, err, sizeof(err)) != MC_OK) {
			mc_tagset_destroy(t);
			t = NULL;
		}
		free(text);
		break;
	}
	return t;
}

void
notify_fire(coord *c, notify_event ev, const char *rule_name,
    const char *task_id, const mc_tagset *tags, const char *details)
{
	const config_rule *r = rule_name ? config_find_rule(c->cfg, rule_name)
					 : NULL;
	char               id[TASK_ID_LEN + 1], dir[MC_PATH_MAX];
	char               file[MC_PATH_MAX], *text;
	mc_tagset         *own = NULL;
	json_t            *req;

	if (r == NULL || !trigger_on(r, ev) ||
	    (!nonempty(r, "notification_webhook") &&
		!nonempty(r, "notification_email")))
		return;
	if (tags == NULL)
		tags = own = task_tags(c, task_id);
	coord_new_task_id(id);
	req = build_request(c, ev, r, id, task_id, tags, details);
	text = json_dumps(req, JSON_INDENT(2));
	json_decref(req);
	mc_tagset_destroy(own);
	if (text == NULL ||
	    coord_path(c, dir, sizeof(dir), NOTIFY_DIR, NULL, NULL) != MC_OK ||
	    sys_mkdir_p(dir) != MC_OK ||
	    sys_path_fmt(file, sizeof(file), "%s/%s.json", dir, id) != MC_OK ||
	    sys_write_file_atomic(file, text, strlen(text)) != MC_OK) {
		log_warn("event=notify.write_failed rule=%s task=%s", r->name,
		    task_id ? task_id : "");
		free(text);
		return;
	}
	free(text);
	log_info("event=notify.requested notification=%s rule=%s task=%s "
		 "trigger=%s",
	    id, r->name, task_id ? task_id : "", event_names[ev]);
	coord_event(c, "notification.requested", NULL, NULL, task_id, r->name,
	    NULL, event_names[ev]);
	launch(c, file, id);
}

void
notify_completion(coord *c, const char *rule_name, const char *task_id,
    const char *module_text, bool requested)
{
	const config_rule *r = rule_name ? config_find_rule(c->cfg, rule_name)
					 : NULL;
	const char *on_request = r ? config_kv_get(&r->extra,
			"notification_trigger_completion_on_request")
				   : NULL;

	if (on_request && strcasecmp(on_request, "true") == 0 && !requested)
		return;
	notify_fire(c, NOTIFY_COMPLETION, rule_name, task_id, NULL,
	    module_text && *module_text ? module_text : NULL);
}
