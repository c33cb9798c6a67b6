/* process_run.h - the processing half of a task (kind "process" or
 * "both"): run the module chain of task.json over in/ and leave the
 * result in out/, following mercure's module contract. Dispatching out/
 * is task_run.c's.
 *
 * Folders of the task (docs/modules.md):
 *   in/                 the instances; never changed, so --retry can start
 *                       over from them
 *   work/in, work/out   the current step's folders (copies, not links:
 *                       a module may edit its inputs in place)
 *   out/                the chain's output, once every step succeeded
 *   module-<n>-<name>.log  each step's stdout and stderr, kept
 *   processed.json      written last: out/ is complete, and what the
 *                       modules asked (module_result) */
#ifndef MC_WORKER_PROCESS_RUN_H
#define MC_WORKER_PROCESS_RUN_H

#include "task/module_result.h"
#include "task/process_chain.h"
#include "task/task.h"
#include "os/sys_fs.h"

#define PROCESS_ERROR_MAX_LEN 511
#define PROCESS_OUT_DIR "out"

typedef struct process_state {
	task_process_report report; /* for result.json; points below */
	task_step_report    steps[TASK_STEPS_MAX];
	char          step_errors[TASK_STEPS_MAX][PROCESS_ERROR_MAX_LEN + 1];
	char          step_logs[TASK_STEPS_MAX][128];
	char          error[PROCESS_ERROR_MAX_LEN + 1];
	module_result mr; /* the chain's merged requests */
	char          out_dir[MC_PATH_MAX];
} process_state;

/* process_run - run t's chain in task_dir, or reuse out/ when an earlier
 * attempt finished it (processed.json present). ps is filled whatever
 * happens (ps->report.ok, .retryable, .error); call process_state_fini()
 * after. Returns MC_OK when out/ holds the chain's output. One thread. */
mc_err process_run(const task *t, const char *task_dir, process_state *ps);

void process_state_fini(process_state *ps);

#endif
