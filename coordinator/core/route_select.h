/* route_select.h - which rules a series triggers, with mercure's
 * semantics (docs/rules.md): rules in file order, disabled rules
 * skipped, a triggered discard rule wins and stops the evaluation,
 * fallback rules only when no other rule triggered; the special tag
 * mercureForceRule (set by mercure's query and upload tools) names the
 * one rule to apply, without evaluating any. Pure: no I/O, any thread.
 */
#ifndef MC_COORDINATOR_ROUTE_SELECT_H
#define MC_COORDINATOR_ROUTE_SELECT_H

#include <stdbool.h>

#include "config/config.h"

#define ROUTE_SELECT_MAX_RULES 256

/* The tag that forces a rule, as mercure's router reads it. */
#define ROUTE_FORCE_RULE_TAG "mercureForceRule"

typedef struct route_selection {
	const config_rule *triggered[ROUTE_SELECT_MAX_RULES]; /* not discard */
	size_t             n;
	const config_rule *discard_rule; /* set: the series is discarded */
	bool               fallback;     /* triggered[] are fallback rules */
	/* the value of mercureForceRule (borrowed from the tags), NULL
	 * without it; force_unknown: it names no rule, so nothing is
	 * selected and the series is discarded, as mercure does */
	const char *forced;
	bool        force_unknown;
} route_selection;

/* route_select - evaluate c's rules on tags into out. With no rule
 * triggered, out->n is 0 and discard_rule NULL: the series is discarded
 * as "no rule". A forced rule is selected whatever its expression, and
 * even when disabled or a fallback rule (mercure's get_triggered_rules);
 * a forced discard rule discards. */
void route_select(
    const mc_config *c, const mc_tagset *tags, route_selection *out);

#endif
