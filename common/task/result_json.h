/* result_json.h - result.json (docs/tasks.md): what one attempt at a task
 * came to. The worker writes it (task_result_encode) before it reports
 * over nng, the coordinator reads it (task_result_read) to decide the
 * task's fate. One struct, task_result, serves both: every field the
 * writer writes, the reader reads back. Callers need no <jansson.h>. */
#ifndef MC_COMMON_RESULT_JSON_H
#define MC_COMMON_RESULT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/mc_err.h"
#include "task/task_limits.h"

/* One target of the attempt. */
typedef struct task_target_report {
	const char *name;
	bool        ok;
	bool        retryable; /* written as false when ok */
	size_t      sent;      /* instances / files delivered */
	size_t      failed;    /* not delivered */
	const char *error;     /* "" when ok */
	/* per-instance outcomes of the types that report them (dicom): the
	 * writer's JSON array text, written as "instances" (NULL: none);
	 * the reader checks it is an array (task_target_instance reads
	 * its entries) */
	const char *instances_json;
	size_t      n_instances;
	const void *instances; /* the reader's; NULL when writing */
	/* instances an earlier run delivered (the target's sent/ log,
	 * dicom types), counted as delivered and not sent again; written
	 * as "already" when above 0, not read back */
	size_t already;
} task_target_report;

/* One module run of the chain. */
typedef struct task_step_report {
	const char *module;
	bool        ok, timed_out;
	int         exit_code; /* -1 when it did not exit (signal, not run) */
	int         signal;    /* 0 unless killed by one */
	double      ms;
	const char *log;   /* log file name in the task folder */
	const char *error; /* "" when ok */
} task_step_report;

typedef struct task_process_report {
	bool                    ok, retryable;
	bool                    reused; /* out/ of an earlier attempt */
	const task_step_report *steps;
	size_t                  n_steps;
	size_t                  output_files;
	const char             *error;  /* "" when ok */
	const char *module_result_json; /* NULL: none; else a JSON object */
} task_process_report;

typedef struct task_result {
	const char               *task_id;
	const char               *kind;
	bool                      ok;
	bool                      retryable; /* a retry may succeed */
	int64_t                   started_us, finished_us;
	const task_target_report *targets;
	size_t                    n_targets;
	const char               *error; /* "" when ok */
	/* what the rule's set_tags did to the copies that were sent, for
	 * the audit trail ("operations=2 files=3 changed=6"); "" (or NULL
	 * when writing) when the rule has none */
	const char                *tags_set;
	const task_process_report *process; /* NULL for dispatch */
	/* the files the rule's instance_filter held back (in filtered/),
	 * written as "filtered"; the reader keeps only their number */
	const char *const *filtered;
	size_t             n_filtered;
	/* module_result.notification, as read back (the writer takes it
	 * inside process->module_result_json): a module's
	 * __mercure_notification */
	const char *notify_text; /* "" when none */
	bool        notify_requested;
	void       *owned; /* what task_result_read allocated; else NULL */
} task_result;

/* task_result_encode - result.json text for r ("process" and
 * "module_result" only when r->process is set; notify_* and owned are
 * not read). Text that is not UTF-8 is written with '?' for its bytes
 * above 0x7f. On MC_OK *out is malloc'ed, NUL-terminated (caller frees),
 * *len its length. MC_ENOMEM. Any thread. */
MC_NODISCARD mc_err task_result_encode(
    const task_result *r, char **out, size_t *len);

/* task_result_parse - read the text of a result.json (borrowed) into r,
 * whose strings and arrays then live until task_result_fini(r). A
 * missing "retryable" is true when a failed target says so, or when the
 * task failed and names no failed target (a crash may pass on retry).
 * Refused: bad JSON (err has line and column), a root that is not an
 * object, a field of the wrong type (err names it), a "task" that is not
 * a task id (task_id_is_safe), more than TASK_TARGETS_MAX targets or
 * TASK_STEPS_MAX steps: MC_EPARSE, r zeroed. MC_ENOMEM. */
MC_NODISCARD mc_err task_result_parse(
    const char *text, size_t len, task_result *r, char *err, size_t errlen);

/* task_result_read - read path and task_result_parse it; err starts with
 * path. A file that cannot be read: its error, r zeroed. */
MC_NODISCARD mc_err task_result_read(
    const char *path, task_result *r, char *err, size_t errlen);

/* task_result_fini - free what task_result_read/parse allocated and zero
 * r. A zeroed r or one filled by hand (owned NULL): no-op. */
void task_result_fini(task_result *r);

/* One entry of a target's "instances" as the reader finds it: each
 * field as written when of the right type, else "" / -1 / false. */
typedef struct task_instance_report {
	const char *file;   /* the file's name in the task folder */
	const char *sop;    /* SOP Instance UID */
	long        status; /* the peer's C-STORE status; -1: none */
	bool        ok;     /* delivered */
} task_instance_report;

/* task_target_instance - entry i (< t->n_instances) of t, read by
 * task_result_read/parse; false for an entry that is not an object
 * (out then zeroed to "" / -1 / false). Strings live as long as r. */
bool task_target_instance(
    const task_target_report *t, size_t i, task_instance_report *out);

/* task_result_archive - rename <dir>/result.json to
 * <dir>/result.<attempt>.json, so the next attempt starts without a
 * result and the history stays with the task. No result: MC_OK. */
MC_NODISCARD mc_err task_result_archive(const char *dir, unsigned attempt);

#endif
