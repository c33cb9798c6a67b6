/* builtin.h - processing modules that run inside the worker process: no
 * container, no spawn. A module of the configuration says
 * `builtin: <name>` instead of docker_tag or command; each name is a row
 * of config/builtin_modules.def (the configuration checks the name and
 * the settings at load), and the worker finds the row's builtin_ops here.
 * A built-in keeps mercure's module contract: it reads the files of
 * in_dir, writes its output into out_dir (at least one file, or the
 * step fails as any module's would) and never changes in_dir.
 * docs/internals/adding-a-builtin-module.md says how to add one. */
#ifndef MC_WORKER_BUILTIN_H
#define MC_WORKER_BUILTIN_H

#include <stdbool.h>
#include <stddef.h>

#include "base/mc_err.h"
#include "process/module.h"

/* What one run of a built-in sees. Every pointer is borrowed for the
 * call. */
typedef struct builtin_ctx {
	const char *name;          /* the module's name, for messages */
	const char *in_dir;        /* absolute; holds task.json */
	const char *out_dir;       /* absolute, exists, empty */
	const char *settings_json; /* the step's settings, JSON; "{}" */
	const char *log_path;      /* the module's log, appended */
	const char *task_id;
	size_t      step; /* 1-based */
} builtin_ctx;

/* builtin_ops - one built-in, defined in builtin_<name>.c as
 * const builtin_ops builtin_ops_<name>.
 *   check_settings  checks settings_json before run: the configuration
 *                   checked it at load, but a task.json may be older
 *                   than the configuration or written by hand. MC_OK, or
 *                   MC_ECONFIG with msg saying what is wrong (the step
 *                   fails, not retryable). NULL: nothing to check.
 *   run             does the work; fills out (out->ok, out->retryable,
 *                   out->error) with builtin_fail() on failure; returns
 *                   MC_OK only with out->ok set. It must not keep
 *                   pointers past the call, and it must bound what it
 *                   spends by its own limits: nothing stops it at the
 *                   module's timeout. */
typedef struct builtin_ops {
	const char *name;
	mc_err (*check_settings)(
	    const char *settings_json, char *msg, size_t msgsz);
	mc_err (*run)(const builtin_ctx *ctx, module_outcome *out);
} builtin_ops;

/* builtin_find - the row named name; NULL when there is none (or name is
 * NULL). Static. */
const builtin_ops *builtin_find(const char *name);

/* builtin_module_run - module_run() for a MODULE_BUILTIN module: a header
 * line in o->log_path, check_settings, run. Same results as module_run:
 * MC_OK with out->ok, else an error with out->error set (MC_ENOENT for a
 * name the worker does not know). One thread per call. */
MC_NODISCARD mc_err builtin_module_run(
    const module_run_opts *o, module_outcome *out);

/* builtin_fail - out->ok false, out->retryable, out->error from fmt;
 * returns rv. */
mc_err builtin_fail(module_outcome *out, mc_err rv, bool retryable,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* builtin_log - one line (a newline is added) appended to the module's
 * log, which is where what a built-in did is kept for the operator. */
void builtin_log(const builtin_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* builtin_input_fn - called by builtin_each_input for one input file:
 * name is its name in in_dir, src its path there, dst the path of the
 * same name in out_dir (not yet there). Returns MC_OK to go on; any
 * other code stops the walk and is returned, with out filled. */
typedef mc_err (*builtin_input_fn)(const builtin_ctx *ctx, const char *name,
    const char *src, const char *dst, void *arg, module_outcome *out);

/* builtin_each_input - fn for each regular file of in_dir in name
 * order, except task.json and result.json. A listing that fails
 * (unreadable, a link among the inputs) fails the step with out filled.
 * Returns MC_OK or the first error. */
MC_NODISCARD mc_err builtin_each_input(const builtin_ctx *ctx,
    builtin_input_fn fn, void *arg, module_outcome *out);

#endif
