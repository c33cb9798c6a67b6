/* series_table.h - the open series: every series with instances in
 * incoming/ that has not been routed yet. Keyed by SeriesInstanceUID;
 * each series keeps its first instance's tags (what the rules see, as in
 * mercure), its instances (deduplicated by SOP Instance UID) and its
 * arrival times. The series that complete by the global quiet period
 * are kept in order of last arrival, so the next one of them to complete
 * is always the first; the few with a deadline of their own (a rule's
 * trigger, the grace after their association ended) are in a second
 * list, checked one by one. Loop thread only. */
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
	/* completion signals (series_complete.h); set through
	 * series_table_set_timing */
	int64_t  quiet_ms;   /* own quiet period; -1: the global one */
	int64_t  due_ms;     /* an earlier deadline; 0: none */
	uint32_t expected;   /* instances that complete it; 0: unknown */
	uint64_t timing_gen; /* config generation of the two, +1 */
	bool     timed;      /* in the list of own deadlines */
	struct series_table *owner;
	/* the tasks of its stream-mode rules (stream.h), owned; NULL when
	 * none */
	struct route_intent *stream;
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
/* series_table_oldest - of the series completing by the global quiet
 * period (and the forced ones, first), the one with the oldest last
 * arrival, or NULL. */
series *series_table_oldest(const series_table *t);
/* series_table_first, series_next - iterate every open series (those
 * completing by the global quiet period first). */
series *series_table_first(const series_table *t);
series *series_next(const series *s);
/* series_table_remove - take s out and free it with its instances. */
void   series_table_remove(series_table *t, series *s);
size_t series_table_count(const series_table *t);
/* series_table_force - mark s complete: it moves to the head, so the next
 * completion check takes it whatever its quiet period. */
void series_table_force(series_table *t, series *s);

/* series_table_set_timing - s's own quiet period (-1: the global one)
 * and earlier deadline (0: none); moves it between the two lists. */
void series_table_set_timing(
    series_table *t, series *s, int64_t quiet_ms, int64_t due_ms);
/* series_table_timed - the first series with a deadline of its own
 * (series_next goes on through them), NULL when none. */
series *series_table_timed(const series_table *t);
/* series_due_ms - when s completes, on the loop's monotonic clock, with
 * global_quiet_ms as the quiet period of a series without its own;
 * INT64_MIN for a forced series. */
int64_t series_due_ms(const series *s, int64_t global_quiet_ms);

/* series_find_instance - NULL if sop is not in s. */
series_instance *series_find_instance(const series *s, const char *sop);

#endif
