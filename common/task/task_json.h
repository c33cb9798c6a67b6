/* task_json.h - task.json in mercure's shape (docs/tasks.md) and the
 * worker's result.json, behind a C API so that callers need no
 * <jansson.h>. */
#ifndef MC_COORDINATOR_TASK_JSON_H
#define MC_COORDINATOR_TASK_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "base/mc_err.h"
#include "tags/tagset.h"

#define TASK_ID_LEN 36
#define TASK_MAX_TARGETS 64

typedef struct task_spec {
	const char        *id;
	const char        *kind; /* dispatch, process, both, notification, discard */
	const char        *uid;  /* series or study UID */
	const char        *uid_type; /* "series" or "study" */
	const char        *series_uid; /* series-level: same as uid */
	const config_rule *rule; /* applied rule; NULL for "no rule" */
	const char *const *triggered; /* names of every triggered rule */
	size_t             n_triggered;
	const mc_tagset   *tags; /* the first instance's tags */
	const config_target *targets[TASK_MAX_TARGETS];
	size_t               n_targets;
	const mc_config     *cfg;
	const char          *study_json; /* compact JSON of "study", or NULL */
} task_spec;

/* task_json_build - the task.json text for s. *out malloc'ed. Secret
 * fields (config_target_field_is_secret, CONFIG_RULE_SECRET_FIELD) are
 * left out. */
MC_NODISCARD mc_err task_json_build(const task_spec *s, char **out);

/* task_meta - what the coordinator keeps in memory of a task, read back
 * from task.json at start and after a retry. */
typedef struct task_meta {
	char            kind[16];
	config_priority priority;
	unsigned        attempt;  /* mercure_c.attempt, 1-based */
	unsigned        retries;  /* dispatch.retries */
	int64_t         next_retry_unix_s; /* 0: none */
	char            uid[65];
	char            rule[128];
} task_meta;

/* task_json_read_meta - read path's task.json into m. MC_EPARSE with err
 * ("line L column C: ...") for a damaged file. */
MC_NODISCARD mc_err task_json_read_meta(const char *path, task_meta *m,
    char *err, size_t errlen);

/* task_result - the worker's result.json, reduced to what decides the
 * task's fate. */
typedef struct task_result {
	bool   ok;
	bool   retryable; /* some failed target may succeed on retry */
	char   error[512];
	char   detail[1024]; /* error, plus the first failed target's own */
	char   done_targets[TASK_MAX_TARGETS][64]; /* ok targets */
	size_t n_done;
	char   failed_targets[TASK_MAX_TARGETS][64];
	size_t n_failed;
	/* a module's __mercure_notification (module_result.notification) */
	char   notify_text[1024];
	bool   notify_requested;
} task_result;

MC_NODISCARD mc_err task_result_read(const char *path, task_result *r,
    char *err, size_t errlen);

/* task_json_prepare_retry - rewrite task.json (atomically) for the next
 * attempt: targets in r->done_targets become "complete", the failed ones
 * "error", dispatch.retries = retries, dispatch.next_retry_at and
 * mercure_c.attempt set. */
MC_NODISCARD mc_err task_json_prepare_retry(const char *path,
    const task_result *r, unsigned retries, int64_t next_retry_unix_s);

/* task_json_record_result - persist each target's outcome in
 * dispatch.status: "complete" for r->done_targets, "error" for the
 * failed ones (mercure keeps this in task.json; success/ must say
 * complete for every delivered target). */
MC_NODISCARD mc_err task_json_record_result(const char *path,
    const task_result *r);

/* task_result_archive - rename <dir>/result.json to
 * <dir>/result.<attempt>.json, so the next attempt starts without a
 * result and the history stays with the task. No result: MC_OK. */
MC_NODISCARD mc_err task_result_archive(const char *dir, unsigned attempt);

/* task_json_reset_for_retry - for --retry of an error/ task: retries 0,
 * next_retry_at null, attempt 1, fail_stage null, every not complete
 * target "waiting". */
MC_NODISCARD mc_err task_json_reset_for_retry(const char *path);

/* task_json_set_fail_stage - info.fail_stage = stage (e.g. "DISPATCHING"). */
MC_NODISCARD mc_err task_json_set_fail_stage(const char *path,
    const char *stage);

#endif
