/* http_stats.h - the loop's counters for /metrics that are not audit
 * trail events as they stand (what a dispatch delivered and how long it
 * took, the time from a series' completion to its task's end, the
 * receiver's rejections, whether Nomad answers) and the per-minute rates
 * of the last hour (GET /api/v1/rates). Loop thread only. */
#ifndef MC_COORDINATOR_HTTP_STATS_H
#define MC_COORDINATOR_HTTP_STATS_H

#include <stdbool.h>

#include "http/http_job.h"
#include "http/http_metrics.h"
#include "task/result_json.h"

struct coord;
struct task_entry;

/* http_stats_note_instance - an instance message arrived */
void http_stats_note_instance(struct coord *c);

/* http_stats_note_reject - the receiver refused an instance for reason
 * (msg_codec.h's MSG_REJECT_*; another word counts as "other") */
void http_stats_note_reject(struct coord *c, const char *reason);

/* http_stats_note_attempt - a worker's attempt at t ended with r (its
 * result.json; NULL when it left none): the instances it dispatched and
 * its time per target of the configuration (others are not counted, so the
 * label values stay bounded), written to the audit trail as task.dispatched so
 * that the counters go on after a restart. */
void http_stats_note_attempt(
    struct coord *c, const struct task_entry *t, const task_result *r);

/* http_stats_note_done - t ended for good (success or error): its time
 * since it was queued, which is its series' (or study's) completion for
 * the tasks routed by this coordinator */
void http_stats_note_done(struct coord *c, const struct task_entry *t);

/* http_stats_gauges - the gauges read at scrape time into g (Nomad up) */
void http_stats_gauges(struct coord *c, http_metrics *g);

/* http_stats_restore - the dispatch counters from the audit trail's
 * totals (one aggregate query), at start */
void http_stats_restore(struct coord *c);

/* http_stats_rates - HTTP_JOB_RATES: the per-minute counts of the last
 * hour, oldest first */
void http_stats_rates(struct coord *c, http_job *j);

#endif
