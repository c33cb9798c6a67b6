/* task_int.h - the layout of struct task, shared by the two files that
 * read task.json with jansson: task_json.c (identity, dispatch, targets,
 * result.json) and task_process.c (the process section, modules, rule).
 * Nothing else includes it. */
#ifndef MC_WORKER_TASK_INT_H
#define MC_WORKER_TASK_INT_H

#include <jansson.h>

#include "process/module.h"
#include "task.h"

#define TASK_TARGETS_MAX 256

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

#endif
