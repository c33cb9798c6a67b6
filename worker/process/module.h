/* module.h - one processing module as the worker runs it: what task.json
 * says about it (module_spec, built by the reader of task.json in
 * task/task_json_process.c) run once on an in/ and an out/ folder with
 * mercure's contract (module_run.c).
 * Chains, step task.json files and result.json are process_run.c's. */
#ifndef MC_WORKER_MODULE_H
#define MC_WORKER_MODULE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/mc_err.h"
#include "os/sys_spawn.h"
#include "task/module_spec.h"

#define MODULE_ERROR_MAX_LEN 511
/* where mercure's containers see their folders */
#define MODULE_CONTAINER_IN "/tmp/data"
#define MODULE_CONTAINER_OUT "/tmp/output"

typedef struct module_run_opts {
	const module_spec *m;
	const char        *in_dir;   /* absolute; holds task.json */
	const char        *out_dir;  /* absolute, exists, empty */
	const char        *log_path; /* appended: the module's output */
	const char        *task_id;
	size_t             step; /* 1-based, for names */
} module_run_opts;

typedef struct module_outcome {
	bool             ok;
	bool             retryable; /* a later attempt may succeed as is */
	bool             timed_out;
	bool             ran; /* the module itself was started */
	sys_child_status st;  /* valid when ran */
	char             error[MODULE_ERROR_MAX_LEN + 1]; /* "" when ok */
} module_outcome;

/* module_run - run o->m once: a command with posix_spawn (no shell), a
 * container with docker or podman (the first on PATH, or
 * $MERCURE_CONTAINER_RUNTIME), a built-in inside this process
 * (builtin/builtin.h: no environment, no timeout). The module sees
 * MERCURE_IN_DIR, MERCURE_OUT_DIR, MONAI_INPUTPATH, MONAI_OUTPUTPATH,
 * HOLOSCAN_INPUT_PATH, HOLOSCAN_OUTPUT_PATH, its own environment and, for a
 * command, PATH, HOME, LANG, LC_ALL, TZ, TMPDIR and DCMDICTPATH of the worker
 * (nothing else: the worker's secrets stay out). Its output goes to
 * o->log_path. Past the timeout its process group (for a container: the
 * container) is stopped. out->ok only for exit status 0; out->error says why
 * not. Returns MC_OK when it ran and succeeded, else an error matching
 * out->error: MC_ENOENT (program or runtime missing), MC_ETIMEDOUT,
 * MC_EIO (non-zero exit, crash), MC_ENET (the container runtime cannot
 * reach its engine), MC_ECLOSED (the worker was told to stop). */
MC_NODISCARD mc_err module_run(const module_run_opts *o, module_outcome *out);

#endif
