/* route_intent.h - the write-ahead record of one routing decision,
 * incoming/<SeriesUID>/.route.json. It is written (atomically) before
 * any task of the decision exists and removed after the series folder
 * was emptied, so a coordinator killed in between redoes exactly the
 * same decision at restart: the same task ids, no task lost, none
 * duplicated. */
#ifndef MC_COORDINATOR_ROUTE_INTENT_H
#define MC_COORDINATOR_ROUTE_INTENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/mc_err.h"
#include "tags/tagset.h"
#include "task/task_json.h"
#include "tags/uid.h"

#define ROUTE_INTENT_MAX_ENTRIES 64

typedef struct intent_entry {
	char  id[TASK_ID_MAX_LEN + 1]; /* "" for a study entry */
	char  dest[16];        /* tasks, discard, success; "" for study */
	char  study_rule[128]; /* study-level rule, or "" */
	char  rule[128];       /* the task's rule, or "" (no rule) */
	char *task_json;       /* owned; NULL for study entries */
	/* a stream task, made at the series' first instance (stream.h):
	 * completing the series ends its stream instead of building it */
	bool stream;
} intent_entry;

typedef struct route_intent {
	char         series[MC_UID_MAX_LEN + 1];
	char         study[MC_UID_MAX_LEN + 1];
	int64_t      first_us; /* the series' first arrival, wall clock */
	char       **sops;     /* owned */
	size_t       n_sops;
	mc_tagset   *tags; /* owned */
	intent_entry entries[ROUTE_INTENT_MAX_ENTRIES];
	size_t       n_entries;
} route_intent;

void route_intent_init(route_intent *ri);
void route_intent_fini(route_intent *ri);
/* route_intent_add_sop - copies sop. */
MC_NODISCARD mc_err route_intent_add_sop(route_intent *ri, const char *sop);
MC_NODISCARD mc_err route_intent_write(
    const route_intent *ri, const char *path);
/* route_intent_read - fill an init'ed ri from path. MC_EPARSE for a
 * damaged file (it was then never complete: the rename did not happen). */
MC_NODISCARD mc_err route_intent_read(const char *path, route_intent *ri);

#endif
