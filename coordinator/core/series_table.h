/* series_table.h - the open series: every series with instances in
 * incoming/ that has not been routed yet. Keyed by SeriesInstanceUID;
 * each series keeps its first instance's tags (what the rules see, as in
 * mercure), its instances (deduplicated by SOP Instance UID) and its
 * arrival times. The series are also kept in order of last arrival, so
 * the next one to complete is always the first. Loop thread only. */
#ifndef MC_COORDINATOR_SERIES_TABLE_H
#define MC_COORDINATOR_SERIES_TABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <uthash.h>

#include "msg/instance.h"
#include "base/mc_err.h"

typedef struct series_instance {
	char           sop[MC_UID_MAX_LEN + 1];
	char           path[MC_INSTANCE_PATH_MAX]; /* relative to the root */
	uint64_t       size;
	UT_hash_handle hh; /* by sop, in arrival order */
} series_instance;

typedef struct series {
	char             uid[MC_UID_MAX_LEN + 1];
	char             study_uid[MC_UID_MAX_LEN + 1];
	mc_tagset       *tags;      /* the first instance's; owned */
	series_instance *instances; /* uthash head, owned */
	size_t           n_instances;
	uint64_t         bytes;
	int64_t          first_ms, last_ms; /* monotonic */
	int64_t          first_us, last_us; /* wall clock, for records */
	bool             forced;            /* complete at the next check */
	UT_hash_handle   hh;
	struct series   *prev, *next; /* by last arrival, oldest first */
} series;

typedef struct series_table series_table;

MC_NODISCARD mc_err series_table_create(series_table **out);
void                series_table_destroy(series_table *t); /* NULL: no-op */

/* series_table_add - record in (its tags are taken: in->tags becomes
 * NULL when they became the series' tags). *s_out is the series;
 * *added is false when the instance was already known (a re-send or the
 * same instance from the journal and from a message). now_ms is the
 * arrival time on the monotonic clock. */
MC_NODISCARD mc_err series_table_add(series_table *t, mc_instance *in,
    int64_t now_ms, series **s_out, bool *added);

series *series_table_find(const series_table *t, const char *uid);
/* series_table_oldest - the series with the oldest last arrival, or NULL. */
series *series_table_oldest(const series_table *t);
/* series_table_first, series_next - iterate every open series. */
series *series_table_first(const series_table *t);
series *series_next(const series *s);
/* series_table_remove - take s out and free it with its instances. */
void   series_table_remove(series_table *t, series *s);
size_t series_table_count(const series_table *t);
/* series_table_force - mark s complete: it moves to the head, so the next
 * completion check takes it whatever its quiet period. */
void series_table_force(series_table *t, series *s);

/* series_find_instance - NULL if sop is not in s. */
series_instance *series_find_instance(const series *s, const char *sop);

#endif
