/* sched_nomad.h - the Nomad backend: at start, register the worker's
 * parameterized batch job (and one per container module) with PUT
 * /v1/jobs; per task, POST /v1/job/<id>/dispatch with the task id in Meta
 * and an idempotency token; follow each child job's allocations with
 * blocking queries and report the verdict (exit code of the last
 * Terminated event; `lost` is a retryable failure). Nomad's HTTP API is
 * spoken only in nomad_client.c. All network waits happen on the
 * backend's own thread; results reach the loop through a work queue, so
 * the loop never blocks on Nomad. The coordinator owns retries. */
#ifndef MC_COORDINATOR_SCHED_NOMAD_H
#define MC_COORDINATOR_SCHED_NOMAD_H

#include "config/config.h"
#include "core/loop.h"
#include "sched/scheduler.h"

typedef struct sched_nomad_opts {
	const mc_config *cfg;  /* borrowed for create only; copied */
	sched_done_fn    done; /* called on the loop thread */
	void            *ctx;
} sched_nomad_opts;

/* sched_nomad_create - read the scheduler settings (config first, then
 * NOMAD_ADDR, NOMAD_TOKEN, NOMAD_NAMESPACE, NOMAD_REGION, NOMAD_CACERT,
 * NOMAD_CLIENT_CERT, NOMAD_CLIENT_KEY), start the backend thread and
 * register the jobs (retried in the background while Nomad is
 * unreachable; tasks wait queued meanwhile). MC_ECONFIG for bad
 * settings. */
MC_NODISCARD mc_err sched_nomad_create(loop *l, const sched_nomad_opts *o,
    sched **out);

#endif
