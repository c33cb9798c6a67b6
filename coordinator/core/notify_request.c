/* notify_request.c - deciding on, writing and launching notification
 * requests. The worker renders the templates and retries. */
#include "core/notify_request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "os/sys_fs.h"
#include "os/sys_spawn.h"
#include "tags/tags_json.h"
#include "task/notify_json.h"

static const char *const event_names[] = {"reception", "completion", "error"};

static bool
trigger_on(const config_rule *r, notify_event ev)
{
	static const char *const keys[] = {"notification_trigger_reception",
	    "notification_trigger_completion", "notification_trigger_error"};
	const char              *v = config_kv_get(&r->extra, keys[ev]);

	/* mercure's defaults: every trigger on */
	return v == NULL || strcasecmp(v, "false") != 0;
}

static const char *
nonempty(const config_rule *r, const char *key)
{
	const char *v = config_kv_get(&r->extra, key);
	return v && *v ? v : NULL;
}

/* the most variables a request carries: rule, event, task_id, details,
 * appliance and the three PHI ones */
#define NOTIFY_VARS_MAX 8

/* request - the notification's text (malloc'ed), or NULL when memory
 * runs out. tags (may be NULL) give the PHI variables when
 * phi_notifications allows. */
static char *
request(coord *c, notify_event ev, const config_rule *r, const char *id,
    const char *task_id, const mc_tagset *tags, const char *details)
{
	notify_var  vars[NOTIFY_VARS_MAX];
	size_t      n = 0;
	const char *url = nonempty(r, "notification_webhook");
	const char *to = nonempty(r, "notification_email");
	const char *p = nonempty(r, "notification_payload");
	const char *pb = nonempty(r, "notification_payload_body");
	const char *eb = nonempty(r, "notification_email_body");
	const char *et = nonempty(r, "notification_email_type");
	/* the URL stays in the configuration (it often holds a token); the
	 * worker looks it up by the rule's name */
	notify_webhook      w = {NULL, p ? p : "", pb ? pb : "",
	         c->cfg->webhook_certificate_location};
	notify_email        e = {to, eb ? eb : "", et ? et : "plain",
	           c->cfg->email_notification_from, NULL};
	notify_request_spec s = {id, event_names[ev], r->name,
	    task_id ? task_id : "", url ? &w : NULL, to ? &e : NULL, vars, 0};
	char               *text = NULL;

	vars[n++] = (notify_var){"rule", r->name};
	vars[n++] = (notify_var){"event", event_names[ev]};
	vars[n++] = (notify_var){"task_id", task_id ? task_id : ""};
	vars[n++] = (notify_var){"details", details ? details : ""};
	vars[n++] = (notify_var){"appliance", c->cfg->appliance_name};
	if (c->cfg->phi_notifications && tags) {
		const char *pn = mc_tagset_get(tags, "PatientName");
		const char *mrn = mc_tagset_get(tags, "PatientID");
		const char *acc = mc_tagset_get(tags, "AccessionNumber");
		vars[n++] = (notify_var){"patient_name", pn ? pn : ""};
		vars[n++] = (notify_var){"mrn", mrn ? mrn : ""};
		vars[n++] = (notify_var){"acc", acc ? acc : ""};
	}
	s.n_vars = n;
	if (notify_request_encode(&s, &text) != MC_OK)
		return NULL;
	return text;
}

/* launch - `mercure-worker --notify FILE`, its output in FILE.log; the
 * child is reaped by the local backend or coord's slow tick */
static void
launch(coord *c, const char *file, const char *id)
{
	char *argv[] = {
	    c->worker_path, (char *) "--notify", (char *) file, NULL};
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
	static const char *const dirs[] = {
	    DIR_TASKS, DIR_SUCCESS, DIR_ERROR, DIR_DISCARD};
	char       path[MC_PATH_MAX], err[64], *text;
	size_t     len;
	mc_tagset *t = NULL;

	for (size_t i = 0; i < 4 && task_id; i++) {
		if (coord_path(c, path, sizeof(path), dirs[i], task_id,
		        TASK_TAGS_FILE) != MC_OK ||
		    sys_read_file(path, &text, &len) != MC_OK)
			continue;
		if (mc_tagset_create(&t) == MC_OK &&
		    tags_json_decode(text, len, t, NULL, err, sizeof(err)) !=
		        MC_OK) {
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
	const config_rule *r =
	    rule_name ? config_find_rule(c->cfg, rule_name) : NULL;
	char       id[TASK_ID_MAX_LEN + 1], dir[MC_PATH_MAX];
	char       file[MC_PATH_MAX], *text;
	mc_tagset *own = NULL;

	if (r == NULL || !trigger_on(r, ev) ||
	    (!nonempty(r, "notification_webhook") &&
	        !nonempty(r, "notification_email")))
		return;
	if (tags == NULL)
		tags = own = task_tags(c, task_id);
	coord_new_task_id(id);
	text = request(c, ev, r, id, task_id, tags, details);
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
	const config_rule *r =
	    rule_name ? config_find_rule(c->cfg, rule_name) : NULL;
	const char *on_request =
	    r ? config_kv_get(
	            &r->extra, "notification_trigger_completion_on_request")
	      : NULL;

	if (on_request && strcasecmp(on_request, "true") == 0 && !requested)
		return;
	notify_fire(c, NOTIFY_COMPLETION, rule_name, task_id, NULL,
	    module_text && *module_text ? module_text : NULL);
}
