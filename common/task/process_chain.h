/* process_chain.h - the steps of a module chain over a task folder, one
 * at a time: what happens before and after each module runs, whoever
 * runs it. The worker runs a whole chain with them (process_run.c); the
 * coordinator runs a chain of container modules as Nomad children and
 * does the work between the children with the same functions, so the
 * folders, the step task.json files, the output checks and the module
 * requests are the same either way (docs/modules.md).
 *
 * Every function takes the task folder and finds its sub-folders from
 * it: in/ (never changed), work/in and work/out (the current step),
 * out/ (the chain's output). On failure err says why and *retryable
 * whether a later attempt may succeed as is. */
#ifndef MC_WORKER_PROCESS_CHAIN_H
#define MC_WORKER_PROCESS_CHAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "base/mc_err.h"
#include "task/module_result.h"
#include "task/task.h"

#define PROCESS_CHAIN_IN "in"
#define PROCESS_CHAIN_WORK "work"
#define PROCESS_CHAIN_OUT "out"
/* written last: out/ is complete, and what the modules asked */
#define PROCESS_MARKER "processed.json"

/* process_chain_prepare - work/{in,out} fresh (out/ removed), work/in
 * holding copies of in/'s instances. MC_ENOENT when in/ is empty. */
MC_NODISCARD mc_err process_chain_prepare(
    const char *task_dir, char *err, size_t errlen, bool *retryable);

/* process_chain_step_json - step i's task.json into work/in (or into dir
 * when dir is not NULL): the task's, with process set to that step alone
 * and without mercure_c. */
MC_NODISCARD mc_err process_chain_step_json(const task *t, size_t i,
    const char *task_dir, const char *dir, char *err, size_t errlen);

/* process_chain_log_name - module-<i+1>-<name>.log, name made safe */
void process_chain_log_name(
    const module_spec *m, size_t i, char *buf, size_t len);

/* process_chain_check - what step i left in work/out after it exited 0:
 * only regular files and folders, at least one besides task.json and
 * result.json; the module's result.json is read into mr (a bad one is
 * logged and ignored). Never retryable. */
MC_NODISCARD mc_err process_chain_check(const task *t, size_t i,
    const char *task_dir, module_result *mr, char *err, size_t errlen);

/* process_chain_rotate - work/out becomes work/in, work/out empty */
MC_NODISCARD mc_err process_chain_rotate(
    const char *task_dir, char *err, size_t errlen);

/* process_chain_finish - after the last step: the inputs added when a
 * step asks retain_input_images, task.json as mercure leaves it, and
 * work/out renamed to out/. work/ stays (process_chain_cleanup). */
MC_NODISCARD mc_err process_chain_finish(const task *t, const char *task_dir,
    char *err, size_t errlen, bool *retryable);

/* process_chain_cleanup - remove work/ (logged when it cannot) */
void process_chain_cleanup(const task *t, const char *task_dir);

/* process_mark_done - write processed.json with module_result_json
 * (atomically), so that a retry of the dispatch reuses out/. */
MC_NODISCARD mc_err process_mark_done(
    const char *task_dir, const char *module_result_json);

/* process_chain_count_output - entries of dir besides task.json and
 * result.json; 0 when it cannot be read */
size_t process_chain_count_output(const char *dir);

#endif
