/* sched_registry.h - the schedulers this build has: one row each, found
 * by the configuration's scheduler.type. The names are CONFIG_SCHEDULERS
 * (config/config.h), the list the configuration accepts before anything
 * starts; the registry gives each of them its backend and capabilities.
 * Read-only; any thread. */
#ifndef MC_COORDINATOR_SCHED_REGISTRY_H
#define MC_COORDINATOR_SCHED_REGISTRY_H

#include <stddef.h>

#include "config/config.h"
#include "sched/scheduler.h"

/* sched_backend - one row (the typedef is in scheduler.h) */
struct sched_backend {
	config_scheduler_type type; /* named config_scheduler_type_str(type) */
	const sched_ops      *ops;
	unsigned              caps; /* sched_cap bits */
};

/* sched_registry_find - the row named name (borrowed), or NULL with err
 * filled: "unknown scheduler 'x' (known: local, nomad)". */
const sched_backend *sched_registry_find(
    const char *name, char *err, size_t errlen);

/* sched_backend_name - the row's name, as in the configuration. */
const char *sched_backend_name(const sched_backend *b);

#endif
