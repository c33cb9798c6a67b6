/* task.h - a task as the worker sees it: what task.json asks for
 * (docs/tasks.md) and what result.json reports. Reading and writing the
 * JSON is task_json.c, the only worker file that includes <jansson.h>. */
#ifndef MC_WORKER_TASK_H
#define MC_WORKER_TASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mc_err.h"
#include "target.h"

#define TASK_ID_MAX_LEN 63
#define TASK_JSON_NAME "task.json"
#define TASK_RESULT_NAME "result.json"
#define TASK_RESULT_VERSION 1

/* ---- task.json --------------------------------------------------------- */

typedef struct task task;

/* task_parse - parse and validate the text of a task.json (borrowed).
 * Checked: valid JSON; "id" a non-empty string of [A-Za-z0-9._-] not
 * starting with '.', at most TASK_ID_MAX_LEN; "info" an object or absent;
 * "dispatch" an object with "target_name" a string or a list of strings
 * and "status" an object or absent; "mercure_c" an object with "kind" a
 * string and "targets" an object of objects. On MC_OK *out is new (freed
 * with task_destroy). MC_EPARSE (JSON syntax: d has line and column) or
 * MC_ECONFIG (d->field names the bad field, d->msg says why); MC_ENOMEM.
 * d->file is left as the caller set it. */
MC_NODISCARD mc_err task_parse(const char *text, size_t len, task **out,
                               mc_diag *d);
/* task_load - read path and task_parse it; d->file = path. MC_ENOENT and
 * other file errors with d->msg set. */
MC_NODISCARD mc_err task_load(const char *path, task **out, mc_diag *d);
void                task_destroy(task *t); /* NULL: no-op */

const char *task_id(const task *t);
const char *task_kind(const task *t);
/* task_coordinator_url - mercure_c.coordinator_url, or "" */
const char *task_coordinator_url(const task *t);
/* task_info - info.<key> as text ("" when absent or null). */
const char *task_info(const task *t, const char *key);
/* The targets named in dispatch.target_name, in that order. */
size_t      task_target_count(const task *t);
const char *task_target_name(const task *t, size_t i);
/* task_target_is_complete - dispatch.status.<name>.state == "complete" */
bool task_target_is_complete(const task *t, size_t i);
/* task_target_cfg - mercure_c.targets.<name>; NULL when it is missing */
const target_cfg *task_target_cfg(const task *t, size_t i);

/* ---- result.json ------------------------------------------------------- */

typedef struct task_target_outcome {
	const char   *name;
	bool          ok;
	target_result r;
} task_target_outcome;

typedef struct task_result {
	const char                *task_id;
	const char                *kind;
	bool                       ok;
	int64_t                    started_us, finished_us;
	const task_target_outcome *targets;
	size_t                     n_targets;
	const char                *error; /* "" when ok */
} task_result;

/* task_result_encode - result.json text for r (docs/tasks.md). On MC_OK
 * *out is malloc'ed, NUL-terminated (caller frees), *len its length. */
MC_NODISCARD mc_err task_result_encode(const task_result *r, char **out,
                                       size_t *len);

#endif
