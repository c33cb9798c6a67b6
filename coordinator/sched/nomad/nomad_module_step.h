/* nomad_module_step.h - a processing chain whose modules are all
 * containers, run under Nomad as one dispatched child of
 * mercure-module-<name> per step, the coordinator doing the work between
 * the steps (common/task/process_chain.h) and then dispatching the
 * output through the worker's job as any task. Loop thread; used by
 * sched_nomad.c only. */
#ifndef MC_COORDINATOR_NOMAD_MODULE_STEP_H
#define MC_COORDINATOR_NOMAD_MODULE_STEP_H

#include <stdbool.h>

#include "base/mc_err.h"
#include "config/config.h"
#include "sched/nomad/sched_nomad_int.h"

typedef struct nomad_steps nomad_steps;

typedef enum {
	STEPS_WORKER, /* the worker's job runs it (or dispatches its out/) */
	STEPS_SUBMIT, /* *out: the next step's child, to submit */
	STEPS_FAILED  /* result.json written; *code is the verdict */
} steps_next;

/* nomad_steps_create - scheduler.modules_in_worker and
 * scheduler.module_placement_timeout of cfg, and the job of each
 * container module (borrowed during the call). MC_ECONFIG (logged) for
 * a bad setting, MC_ENOMEM. */
MC_NODISCARD mc_err nomad_steps_create(
    const mc_config *cfg, const char *storage_root, nomad_steps **out);
void nomad_steps_destroy(nomad_steps *s); /* NULL: no-op */

/* nomad_steps_begin - a processing task is submitted for attempt seq;
 * resume when the attempt was under way before a restart. */
steps_next nomad_steps_begin(nomad_steps *s, const char *task_id, unsigned seq,
    bool resume, ntask **out, int *code);

/* nomad_steps_on_attached - a step's child is known (NT_ATTACHED) */
void nomad_steps_on_attached(nomad_steps *s, const ntask *t);

/* nomad_steps_on_done - a step's verdict (NT_DONE; t stays the
 * caller's). STEPS_WORKER: every step done, out/ and processed.json in
 * place. */
steps_next nomad_steps_on_done(
    nomad_steps *s, const ntask *t, ntask **out, int *code);

#endif
