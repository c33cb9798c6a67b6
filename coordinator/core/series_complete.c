/* series_complete.c - see series_complete.h. Every signal only brings
 * the completion earlier; the quiet period stays the bound for a series
 * none of them concerns. */
#include "core/series_complete.h"

#include <errno.h>
#include <stdlib.h>

#include "base/log.h"
#include "core/coord_int.h"
#include "core/route_select.h"

#define EXPECTED_MAX 1000000L

/* tag_count - a DICOM IS value of 1..EXPECTED_MAX, else 0 */
static long
tag_count(const mc_tagset *tags, const char *key)
{
	const char *v = mc_tagset_get(tags, key);
	char       *end;
	long        n;

	if (v == NULL)
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	while (*end == ' ')
		end++;
	if (errno != 0 || end == v || *end != '\0' || n < 1 ||
	    n > EXPECTED_MAX)
		return 0;
	return n;
}

uint32_t
series_expected_from_tags(const mc_tagset *tags)
{
	long total = tag_count(tags, "ImagesInAcquisition");
	long frames = tag_count(tags, "NumberOfFrames");

	if (total == 0) {
		long t = tag_count(tags, "NumberOfTemporalPositions");
		long z = tag_count(tags, "NumberOfSlices");
		if (t > 0 && z > 0 && t * z <= EXPECTED_MAX)
			total = t * z;
	}
	if (total == 0)
		return 0;
	if (frames > 1)
		/* a count of frames: one instance that holds them all is
		 * the series; instances of some frames each say nothing */
		return frames >= total ? 1 : 0;
	return (uint32_t) total;
}

static bool
any_rule_sets_completion(const mc_config *cfg)
{
	for (size_t i = 0; i < cfg->n_rules; i++)
		if (cfg->rules[i].has_series_complete_trigger ||
		    cfg->rules[i].expected_instances > 0)
			return true;
	return false;
}

void
series_complete_plan(const mc_config *cfg, const mc_tagset *tags,
    int64_t *quiet_ms, uint32_t *expected)
{
	route_selection sel;

	*quiet_ms = -1;
	*expected = 0;
	if (!any_rule_sets_completion(cfg))
		goto tags; /* no rule to evaluate for this */
	route_select(cfg, tags, &sel);
	/* one completion serves every rule of the series: the longest
	 * trigger, so a rule that asks for more time never gets a split
	 * series, and the largest count, for the same reason */
	for (size_t i = 0; sel.discard_rule == NULL && i < sel.n; i++) {
		const config_rule *r = sel.triggered[i];
		if (r->has_series_complete_trigger &&
		    (int64_t) r->series_complete_trigger_s * 1000 > *quiet_ms)
			*quiet_ms =
			    (int64_t) r->series_complete_trigger_s * 1000;
		if (r->expected_instances > *expected)
			*expected = r->expected_instances;
	}
tags:
	if (*expected == 0 && cfg->series_complete_on_expected_count)
		*expected = series_expected_from_tags(tags);
}

void
series_complete_on_instance(coord *c, series *s, bool added)
{
	if (s->forced)
		return;
	/* +1: a new series (0) is planned under the first configuration */
	if (s->timing_gen != c->config_generation + 1) {
		int64_t quiet;
		series_complete_plan(c->cfg, s->tags, &quiet, &s->expected);
		s->timing_gen = c->config_generation + 1;
		series_table_set_timing(c->series, s, quiet, s->due_ms);
	}
	if (added && s->due_ms > 0)
		series_table_set_timing(c->series, s, s->quiet_ms, 0);
	if (s->expected > 0 && s->n_instances >= s->expected) {
		log_info("event=series.expected_count series=%s instances=%zu "
		         "expected=%u",
		    s->uid, s->n_instances, s->expected);
		series_table_force(c->series, s);
	}
}

void
series_complete_replan(coord *c)
{
	for (series *s = series_table_first(c->series); s != NULL;) {
		series *next = series_next(s);
		series_complete_on_instance(c, s, false);
		s = next;
	}
}

void
series_complete_on_association(coord *c, const mc_assoc_msg *m)
{
	int64_t grace = (int64_t) c->cfg->association_complete_grace_s * 1000;
	int64_t now = loop_now_ms();

	if (!c->cfg->series_complete_on_association_end)
		return;
	for (size_t i = 0; i < m->n_series; i++) {
		series *s = series_table_find(c->series, m->series[i]);
		int64_t quiet =
		    (int64_t) c->cfg->series_complete_trigger_s * 1000;
		if (s == NULL || s->forced)
			continue; /* routed already, or about to be */
		if (!m->released) {
			log_info("event=series.association_aborted series=%s "
			         "msg=\"no completion signal\"",
			    s->uid);
			continue;
		}
		if (now + grace >= series_due_ms(s, quiet))
			continue;
		log_info("event=series.association_end series=%s "
		         "instances=%zu grace_ms=%lld",
		    s->uid, s->n_instances, (long long) grace);
		/* 0 is "no deadline": a grace of 0 at a monotonic 0 is 1 */
		series_table_set_timing(c->series, s, s->quiet_ms,
		    now + grace > 0 ? now + grace : 1);
	}
}
