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
#include "sched/nomad/nomad_client.h"
#include "sched/scheduler.h"

/* sched_nomad_ops - the backend behind the registry's "nomad" row. Its
 * start reads the scheduler settings (config first, then NOMAD_ADDR,
 * NOMAD_TOKEN, NOMAD_NAMESPACE, NOMAD_REGION, NOMAD_CACERT,
 * NOMAD_CLIENT_CERT, NOMAD_CLIENT_KEY), starts the backend thread and
 * registers the jobs (retried in the background while Nomad is
 * unreachable; tasks wait queued meanwhile). MC_ECONFIG for bad
 * settings. done is called on the loop thread. */
extern const sched_ops sched_nomad_ops;

/* sched_nomad_client_open - a client with the backend's connection
 * settings (address, token, namespace, region, TLS, http_timeout), for
 * calls made outside the backend (the leader lock). MC_ECONFIG for bad
 * settings; on MC_OK *out is new (nomad_client_destroy), else NULL. */
MC_NODISCARD mc_err sched_nomad_client_open(
    const mc_config *cfg, nomad_client **out);

/* sched_nomad_up - s is the Nomad backend, its jobs are registered and
 * Nomad answers (loop thread; for /metrics) */
bool sched_nomad_up(const sched *s);

#endif
