/* http_loop.h - the loop's side of the HTTP server: the job queue it
 * watches, the answers it gives (status, series, studies, tasks,
 * metrics, actions) and the counters behind /metrics. Loop thread only;
 * the HTTP threads reach it through http_job.h. */
#ifndef MC_COORDINATOR_HTTP_LOOP_H
#define MC_COORDINATOR_HTTP_LOOP_H

#include "base/mc_err.h"

struct coord;

/* http_loop_open - when the configuration has an http block: make the
 * job queue, watch it on the loop and start the server. Nothing when
 * the block is absent. */
MC_NODISCARD mc_err http_loop_open(struct coord *c);

/* http_loop_close - stop the server (requests waiting for the loop are
 * answered 503), then free the queue. Safe when never opened. */
void http_loop_close(struct coord *c);

/* http_loop_note_event - count an audit-trail event for /metrics (called
 * by coord_event). */
void http_loop_note_event(struct coord *c, const char *event,
    const char *rule_name, const char *task);

#endif
