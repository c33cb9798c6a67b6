/* stream.h - stream mode (docs/rules.md, dispatch_mode: stream). The
 * series-level route rules a series' first instance triggers, when they
 * dispatch in stream mode, get their tasks at once: a worker starts and
 * sends each instance as soon as it is here, and completing the series
 * ends the stream. The decision is written first, as the routing's
 * (incoming/<SeriesUID>/.stream.json, a route_intent of stream entries),
 * so a restarted coordinator takes the same tasks up again.
 *
 * What a stream task's folder holds besides a task's (docs/tasks.md):
 * stream.list, one line per instance linked into in/, appended as they
 * arrive; stream.end, written once in/ holds the whole series. Loop
 * thread only. */
#ifndef MC_COORDINATOR_STREAM_H
#define MC_COORDINATOR_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include "base/mc_err.h"
#include "core/coord_int.h"
#include "core/route_intent.h"

#define STREAM_INTENT_FILE ".stream.json"
#define STREAM_LIST_FILE "stream.list"
#define STREAM_END_FILE "stream.end"
/* how much longer than its series' quiet period a stream worker waits
 * for the next instance or the end before it gives the task back to
 * the retry path (a coordinator that is gone) */
#define STREAM_IDLE_MARGIN_S 300

/* stream_on_instance - s got an instance (in->sop_uid; added: it was
 * new; is_new: it began s). The first instance starts s's streams (or
 * takes up those of .stream.json); every new instance is linked into
 * each stream task's in/ and listed. */
void stream_on_instance(
    coord *c, series *s, const mc_instance *in, bool is_new, bool added);

/* stream_plan - when s completes: its stream entries into ri (the same
 * ids) and their targets into taken, which later rules then leave out
 * (mercure de-duplicates targets across the rules of a series). A
 * stream task that concluded early is dropped from s first: its rule is
 * then planned as in series mode. */
MC_NODISCARD mc_err stream_plan(coord *c, series *s, route_intent *ri,
    const char **taken, size_t *n_taken);

/* stream_has_rule - s streams for the rule of that name */
bool stream_has_rule(const series *s, const char *rule_name);

/* stream_finalize - end the stream of entry e: every instance of ri
 * linked into its in/, then stream.end. Wherever the task is (queued,
 * waiting for a retry, or in error/ for an operator's --retry). MC_OK
 * also when the task concluded already (nothing left to end); an error
 * when in/ or stream.end could not be written. */
MC_NODISCARD mc_err stream_finalize(
    coord *c, const route_intent *ri, const intent_entry *e);

#endif
