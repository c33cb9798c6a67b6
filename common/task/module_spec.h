/* module_spec.h - one processing module as task.json describes it (the
 * process section and mercure_c.modules, docs/tasks.md): what the
 * reader of task.json builds (task_step) and what the worker's module
 * runner starts. Plain data, no functions. */
#ifndef MC_COMMON_MODULE_SPEC_H
#define MC_COMMON_MODULE_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "task/task_limits.h"

/* MODULE_BUILTIN runs inside the worker process (worker/process/builtin/),
 * named by a row of config/builtin_modules.def. */
typedef enum { MODULE_COMMAND, MODULE_CONTAINER, MODULE_BUILTIN } module_kind;

/* A module of the chain. Every pointer is borrowed from the task that
 * built it and lives as long as that task. */
typedef struct module_spec {
	const char        *name; /* module_name, for logs and log files */
	module_kind        kind;
	const char *const *argv; /* command: NULL-terminated, argc >= 1 */
	size_t             argc;
	const char        *docker_tag; /* container */
	const char        *builtin;    /* builtin: a row's name */
	/* the step's settings as compact JSON text ("{}" when none) */
	const char        *settings_json;
	const char *const *env; /* "KEY=value" from environment */
	size_t             n_env;
	unsigned           timeout_s; /* 1..MODULE_TIMEOUT_MAX_S */
	bool               network;   /* container: false -> none */
	bool               retain_input_images;
} module_spec;

#endif
