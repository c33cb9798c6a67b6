/* sched_registry.c - the table of scheduler backends (sched_registry.h).
 * A new scheduler is a name in CONFIG_SCHEDULERS, a backend file behind
 * scheduler.h and one row here; the coordinator tests capabilities,
 * never names. */
#include "sched/sched_registry.h"

#include <stdio.h>
#include <string.h>

#include "sched/nomad/sched_nomad.h"
#include "sched/sched_local.h"

static const sched_backend backends[] = {
    {CONFIG_SCHEDULER_LOCAL, &sched_local_ops, SCHED_CAP_REAPS_ALL_CHILDREN},
    {CONFIG_SCHEDULER_NOMAD, &sched_nomad_ops, 0},
};

#define N_BACKENDS (sizeof(backends) / sizeof(backends[0]))
#define SCHED_COUNT_ONE(id, s) +1
_Static_assert(N_BACKENDS == 0 CONFIG_SCHEDULERS(SCHED_COUNT_ONE),
    "one row per scheduler name the configuration accepts");

const char *
sched_backend_name(const sched_backend *b)
{
	return config_scheduler_type_str(b->type);
}

/* known - "local, nomad" */
static void
known(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < N_BACKENDS && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
		    sched_backend_name(&backends[i]));
		if (n < 0)
			return;
		used += (size_t) n;
	}
}

const sched_backend *
sched_registry_find(const char *name, char *err, size_t errlen)
{
	char names[128];

	for (size_t i = 0; i < N_BACKENDS; i++)
		if (name != NULL &&
		    strcmp(sched_backend_name(&backends[i]), name) == 0)
			return &backends[i];
	known(names, sizeof(names));
	snprintf(err, errlen, "unknown scheduler '%s' (known: %s)",
	    name ? name : "", names);
	return NULL;
}
