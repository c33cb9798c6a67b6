/* task_json.h - task.json in mercure's shape plus our mercure_c key
 * (docs/tasks.md), as the coordinator handles it: built from the
 * configuration and rewritten between attempts (task_json_write.c), and
 * the little the coordinator keeps in memory read back
 * (task_json_read_meta). The worker reads the whole file through
 * task.h. Callers need no <jansson.h>. */
#ifndef MC_COMMON_TASK_JSON_H
#define MC_COMMON_TASK_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/mc_err.h"
#include "config/config.h"
#include "tags/tagset.h"
#include "task/result_json.h"
#include "task/task_limits.h"

/* ---- writing ------------------------------------------------------------ */

typedef struct task_spec {
	const char *id;
	const char *kind; /* dispatch, process, both, notification, discard */
	const char *uid;  /* series or study UID */
	const char *uid_type;           /* "series" or "study" */
	const char *series_uid;         /* series-level: same as uid */
	const config_rule   *rule;      /* applied rule; NULL for "no rule" */
	const char *const   *triggered; /* names of every triggered rule */
	size_t               n_triggered;
	const mc_tagset     *tags; /* the first instance's tags */
	const config_target *targets[TASK_TARGETS_MAX];
	size_t               n_targets;
	const mc_config     *cfg;
	const char          *study_json; /* compact JSON of "study", or NULL */
	/* a stream task (docs/tasks.md): how long its worker waits for the
	 * next instance or the end; 0: a task of the whole series */
	unsigned stream_idle_s;
} task_spec;

/* task_json_build - the task.json text for s. *out malloc'ed. Secret
 * fields (config_target_field_is_secret, CONFIG_RULE_SECRET_FIELD) are
 * left out. MC_ENOMEM. */
MC_NODISCARD mc_err task_json_build(const task_spec *s, char **out);

/* task_json_prepare_retry - rewrite task.json (atomically) for the next
 * attempt: the targets of r that succeeded become "complete", the
 * failed ones "error", dispatch.retries = retries, dispatch.next_retry_at
 * and mercure_c.attempt set. MC_EPARSE for a damaged file, file errors. */
MC_NODISCARD mc_err task_json_prepare_retry(const char *path,
    const task_result *r, unsigned retries, int64_t next_retry_unix_s);

/* task_json_record_result - persist each target's outcome in
 * dispatch.status: "complete" for the targets of r that succeeded,
 * "error" for the failed ones (mercure keeps this in task.json;
 * success/ must say complete for every delivered target). */
MC_NODISCARD mc_err task_json_record_result(
    const char *path, const task_result *r);

/* task_json_reset_for_retry - for --retry of an error/ task: retries 0,
 * next_retry_at null, attempt 1, fail_stage null, every not complete
 * target "waiting". */
MC_NODISCARD mc_err task_json_reset_for_retry(const char *path);

/* task_json_set_fail_stage - info.fail_stage = stage (e.g. "DISPATCHING"). */
MC_NODISCARD mc_err task_json_set_fail_stage(
    const char *path, const char *stage);

/* ---- what the coordinator keeps ----------------------------------------- */

/* task_meta - what the coordinator keeps in memory of a task, read back
 * from task.json at start and after a retry. */
typedef struct task_meta {
	char            kind[TASK_KIND_MAX_LEN + 1];
	config_priority priority;
	unsigned        attempt;           /* mercure_c.attempt, 1-based */
	unsigned        retries;           /* dispatch.retries */
	int64_t         next_retry_unix_s; /* 0: none */
	char            uid[MC_UID_MAX_LEN + 1];
	char            rule[TASK_RULE_NAME_MAX_LEN + 1];
} task_meta;

/* task_json_read_meta - read path's task.json into m, with defaults for
 * what is missing or of another type (kind "dispatch", attempt 1): the
 * coordinator queues every task it finds, and the worker's task_parse
 * refuses a bad one, which then reaches error/ with the reason. MC_EPARSE
 * with err ("path: line L column C: ...") only for a file that is not a
 * JSON object. */
MC_NODISCARD mc_err task_json_read_meta(
    const char *path, task_meta *m, char *err, size_t errlen);

#endif
