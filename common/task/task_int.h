/* task_int.h - what the files of common/task/ share with jansson: the
 * layout of struct task, read by task_json_read.c (identity, dispatch,
 * targets) and task_json_process.c (the process section, modules, rule);
 * the loader of the coordinator's task.json (task_json_write.c's
 * rewrites, task_json_read_meta); and the text helper every writer uses.
 * Nothing outside common/task/ includes it. */
#ifndef MC_COMMON_TASK_INT_H
#define MC_COMMON_TASK_INT_H

#include <jansson.h>

#include "task/task.h"
#include "task/task_json.h"

typedef struct task_named_cfg {
	const char *name; /* a key of mercure_c.targets (owned by root) */
	target_cfg *cfg;
} task_named_cfg;

struct task {
	json_t     *root; /* owns every string below that is not in owned */
	const char *id, *kind, *coordinator_url;
	json_t     *info;
	json_t     *status; /* dispatch.status or NULL */
	/* dispatch.target_name, in order, without duplicates */
	const char *names[TASK_TARGETS_MAX];
	size_t      n;
	/* every entry of mercure_c.targets */
	task_named_cfg all[TASK_TARGETS_MAX];
	size_t         n_all;
	/* the process section: one step per module of the chain */
	module_spec steps[TASK_STEPS_MAX];
	json_t     *step_json[TASK_STEPS_MAX]; /* borrowed from root */
	size_t      n_steps;
	task_rule   rule;
	/* strings and arrays made while parsing (not in root) */
	void **owned;
	size_t n_owned, cap_owned;
};

/* task_bad - fill d (field, msg) and return MC_ECONFIG. */
mc_err task_bad(mc_diag *d, const char *field, const char *msg);

/* task_own - remember p (malloc'ed) to free with the task; NULL when p
 * is NULL or memory runs out (p is then freed). */
void *task_own(task *t, void *p);

/* task_process_parse - the process section, mercure_c.modules and
 * mercure_c.rule into t->steps and t->rule. Called by task_parse for
 * every kind (an absent or null process gives no steps). MC_ECONFIG with
 * d filled, MC_ENOMEM. */
mc_err task_process_parse(task *t, mc_diag *d);

/* task_json_load - path's JSON object (new reference), as the
 * coordinator reads its own task.json: duplicate keys are not refused
 * here (the worker's task_parse refuses them, and a task it refuses
 * must still reach error/ with the reason). NULL with err ("path: line
 * L column C: ...") for a damaged file or another root. */
json_t *task_json_load(const char *path, char *err, size_t errlen);

/* task_json_set - o.key = v, taking v; -1 when v is NULL (memory ran
 * out while making it), else json_object_set_new's result. Writers OR
 * the results and check once. */
int task_json_set(json_t *o, const char *key, json_t *v);

/* task_json_done - o when bad is 0; else NULL, o freed */
json_t *task_json_done(json_t *o, int bad);

/* task_json_text - s as a JSON string; json_string() refuses text that
 * is not UTF-8 (an OS message, a Latin-1 name, an odd path), so such
 * text is kept readable with '?' for its bytes above 0x7f. NULL only
 * when memory runs out. */
json_t *task_json_text(const char *s);

#endif
