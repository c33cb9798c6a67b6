/* series_complete.h - the signals that complete a series besides its
 * quiet period (docs/config.md, "Series completion"): a rule's own
 * series_complete_trigger, the instance count a rule or the series' tags
 * announce, and the end of the association that carried it. The first
 * part is pure (config and tags in, numbers out); the second applies it
 * to the coordinator's open series. */
#ifndef MC_COORDINATOR_SERIES_COMPLETE_H
#define MC_COORDINATOR_SERIES_COMPLETE_H

#include <stdint.h>

#include "config/config.h"
#include "msg/msg_codec.h"
#include "tags/tagset.h"

struct coord;
struct series;

/* series_expected_from_tags - the instance count the first instance's
 * tags announce, 0 when they announce none: ImagesInAcquisition, else
 * NumberOfTemporalPositions x NumberOfSlices; a multiframe instance
 * (NumberOfFrames > 1) whose frames reach that count is the whole series
 * (1). Values that are not integers of 1 to 1,000,000 count as absent. */
uint32_t series_expected_from_tags(const mc_tagset *tags);

/* series_complete_plan - for a series whose first tags are tags: its own
 * quiet period in ms (*quiet_ms; -1: the global one), the longest
 * series_complete_trigger among the rules it triggers that set one; and
 * *expected, the largest expected_instances among them, else (with
 * series_complete_on_expected_count) what the tags announce, else 0. */
void series_complete_plan(const mc_config *cfg, const mc_tagset *tags,
    int64_t *quiet_ms, uint32_t *expected);

/* series_complete_on_instance - after an instance was added to s (added:
 * it was new): plan a new series (or one planned under an older
 * configuration), take back the grace of an association end (the series
 * is arriving again), and force s complete when its expected count is
 * reached. */
void series_complete_on_instance(
    struct coord *c, struct series *s, bool added);

/* series_complete_replan - every open series planned again, after the
 * configuration changed. */
void series_complete_replan(struct coord *c);

/* series_complete_on_association - an association of the receiver ended:
 * with series_complete_on_association_end, a released association gives
 * each of its open series a deadline association_complete_grace seconds
 * from now (when that is earlier than its own). An aborted one changes
 * nothing: the sender may well send the series again. */
void series_complete_on_association(struct coord *c, const mc_assoc_msg *m);

#endif
