/* tasks_int.h - how the task queue chooses what starts next, for tasks.c
 * and its unit test (tests/unit/tasks_test.c) only. Loop thread. */
#ifndef MC_COORDINATOR_TASKS_INT_H
#define MC_COORDINATOR_TASKS_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/coord_int.h"

/* tasks_pick - the next task to start, or NULL when none can: the lowest
 * (class, enqueued_ms) among the eligible tasks of c->tasks, where urgent
 * is class 0, normal 1 and off-peak 2. Eligible: TASK_QUEUED, its
 * not_before_ms reached by now_ms, off-peak ones only when offpeak, and
 * c->sched has capacity for its kind ("dispatch" or anything else, a
 * processing worker), no target of its halted, and the dispatch gate
 * (dispatch_order.h: study order, max_concurrent_tasks) lets it.
 * Between equal enqueue times the task that entered c->tasks first wins.
 * Changes nothing. */
task_entry *tasks_pick(coord *c, int64_t now_ms, bool offpeak);

/* tasks_offpeak_at - whether minute_of_day (0-1439, local time) lies in
 * cfg's off-peak window [offpeak_start_min, offpeak_end_min). A window
 * that starts after it ends runs over midnight; start == end is empty. */
bool tasks_offpeak_at(const mc_config *cfg, unsigned minute_of_day);

#endif
