/* task.h - a task as the worker sees it: task.json (docs/tasks.md) read
 * completely and checked field by field, so that the rest of the worker
 * reads plain C fields, each target's configuration as key=value text
 * (target_cfg) and each module as a module_spec. The reading is
 * task_json_read.c and task_json_process.c; the coordinator's side of
 * the file is task_json.h. Callers need no <jansson.h>. */
#ifndef MC_COMMON_TASK_H
#define MC_COMMON_TASK_H

#include <stdbool.h>
#include <stddef.h>

#include "base/mc_err.h"
#include "config/config.h"
#include "task/module_spec.h"
#include "task/result_json.h"
#include "task/target_cfg.h"
#include "task/task_limits.h"

/* task_id_is_safe - s is an id a reader accepts: 1..TASK_ID_MAX_LEN
 * characters of A-Z a-z 0-9 . _ -, not starting with '.', so that it
 * names one folder and breaks no key=value log line. Every UUID
 * (task_id_is_valid, tags/uid.h) is one. NULL: false. */
bool task_id_is_safe(const char *s);

/* ---- task.json -------------------------------------------------------- */

typedef struct task task;

/* task_parse - parse and validate the text of a task.json (borrowed).
 * Checked: valid JSON without duplicate keys; "id" a string that
 * task_id_is_safe accepts; "info" an object or absent; "dispatch" an
 * object with "target_name" a string or a list of at most
 * TASK_TARGETS_MAX strings (for kinds other than "dispatch" target_name
 * may be absent, and dispatch empty or null) and "status" an object or
 * absent; "mercure_c" an object with "kind" a string and "targets" an
 * object of at most TASK_TARGETS_MAX objects; the process section as
 * task_step_count() says. On MC_OK *out is new (freed with
 * task_destroy). MC_EPARSE (JSON syntax: d has line and column) or
 * MC_ECONFIG (d->field names the bad field, d->msg says why); MC_ENOMEM.
 * d->file is left as the caller set it. */
MC_NODISCARD mc_err task_parse(
    const char *text, size_t len, task **out, mc_diag *d);
/* task_load - read path and task_parse it; d->file = path. MC_ENOENT and
 * other file errors with d->msg set. */
MC_NODISCARD mc_err task_load(const char *path, task **out, mc_diag *d);
void                task_destroy(task *t); /* NULL: no-op */

/* task_load_target - for a connectivity test: read path, a JSON object
 * holding the configuration of target name under "targets" or
 * "mercure_c.targets" (so a task.json serves too), or being it (an
 * object with "target_type"). On MC_OK *out is new (target_cfg_destroy).
 * MC_ENOENT (no such target: d->msg says so), MC_EPARSE, MC_ECONFIG,
 * file errors; d filled. */
MC_NODISCARD mc_err task_load_target(
    const char *path, const char *name, target_cfg **out, mc_diag *d);

const char *task_id(const task *t);
const char *task_kind(const task *t);
/* task_coordinator_url - mercure_c.coordinator_url, or "" */
const char *task_coordinator_url(const task *t);
/* task_stream_idle_s - mercure_c.stream.idle_timeout_s of a stream task
 * (its series is sent while it arrives: in/ grows, stream.list names
 * each instance, stream.end closes it; docs/tasks.md); 0 for a normal
 * task. task_parse refuses a stream that is not an object or a value
 * outside 1..TASK_STREAM_IDLE_MAX_S. */
#define TASK_STREAM_IDLE_MAX_S 86400
unsigned task_stream_idle_s(const task *t);
/* task_info - info.<key> as text ("" when absent or null). */
const char *task_info(const task *t, const char *key);
/* The targets named in dispatch.target_name, in that order. */
size_t      task_target_count(const task *t);
const char *task_target_name(const task *t, size_t i);
/* task_target_is_complete - dispatch.status.<name>.state == "complete" */
bool task_target_is_complete(const task *t, size_t i);
/* task_target_cfg - mercure_c.targets.<name>; NULL when it is missing */
const target_cfg *task_target_cfg(const task *t, size_t i);
/* task_find_target - mercure_c.targets.<name> for any name (dynamic
 * routing may pick targets the rule does not name); NULL when missing. */
const target_cfg *task_find_target(const task *t, const char *name);
/* task_status_is_complete - dispatch.status.<name>.state == "complete" */
bool task_status_is_complete(const task *t, const char *name);

/* task_needs_config - some target of mercure_c.targets lacks its
 * secrets (TASK_SECRET_FIELDS): they are in the configuration file. */
bool task_needs_config(const task *t);

/* task_use_config - replace each such target with the definition of the
 * same name in the configuration file, whole (so that a secret is never
 * sent to the host of an older definition); one the file no longer has
 * is dropped, so task_find_target() gives NULL for it. Targets without
 * secrets stay as task.json has them. MC_ENOMEM. */
MC_NODISCARD mc_err task_use_config(task *t, const mc_config *cfg);

/* ---- processing (mercure_c.kind "process" or "both") ------------------ */

/* The chain from the process section (an object: one step; a list: the
 * chain in order, at most TASK_STEPS_MAX). Each step's module is
 * mercure_c.modules.<module_name>, else the step's module_config. Fields
 * read: "builtin" (a row of config/builtin_modules.def; with "command" or
 * "docker_tag" beside it the step is refused), else "command" (a list of
 * at most TASK_ARGV_MAX strings, or a string split at spaces; run
 * without a shell), else "docker_tag";
 * "environment" (an object of at most TASK_ENV_MAX entries, or JSON text
 * of one); "timeout" (seconds, 1..MODULE_TIMEOUT_MAX_S, default
 * MODULE_TIMEOUT_DEFAULT_S); "network_enabled" (default true); the
 * step's "retain_input_images"; the step's "settings" as JSON text.
 * task_parse refuses a step with none of builtin, command, docker_tag. */
size_t             task_step_count(const task *t);
const module_spec *task_step(const task *t, size_t i);

/* task_step_json - the task.json a module of step i reads in its in/:
 * this document with "process" = that step alone and without mercure_c
 * (which holds target configurations). On MC_OK *out is malloc'ed and
 * NUL-terminated, *len its length. MC_ENOMEM. */
MC_NODISCARD mc_err task_step_json(
    const task *t, size_t i, char **out, size_t *len);

/* What the worker needs of the rule: mercure_c.rule (booleans also as
 * "true"/"false" text; target lists as a list or "a, b" text, at most
 * TASK_LIST_MAX names). */
typedef struct task_rule {
	const char        *name;
	bool               dynamic_routing;
	const char *const *allowed; /* dynamic_routing_allowed_targets */
	size_t             n_allowed;
	const char *const *alternate; /* conditional_alternate_target */
	size_t             n_alternate;
	/* set_tags: the operations for the copies that are sent, as JSON
	 * text (docs/set_tags.md); NULL when the rule has none */
	const char *set_tags_json;
	/* instance_filter: a rule expression each instance must pass to be
	 * sent or processed (docs/rules.md); NULL when the rule has none */
	const char *instance_filter;
} task_rule;

const task_rule *task_get_rule(const task *t); /* never NULL */

#endif
