/* route_select.h - which rules a series triggers, with mercure's
 * semantics (docs/rules.md): rules in file order, disabled rules
 * skipped, a triggered discard rule wins and stops the evaluation,
 * fallback rules only when no other rule triggered. Pure: no I/O, any thread.
 */
#ifndef MC_COORDINATOR_ROUTE_SELECT_H
#define MC_COORDINATOR_ROUTE_SELECT_H

#include <stdbool.h>

#include "config/config.h"

#define ROUTE_SELECT_MAX_RULES 256

typedef struct route_selection {
	const config_rule *triggered[ROUTE_SELECT_MAX_RULES]; /* not discard */
	size_t             n;
	const config_rule *discard_rule; /* set: the series is discarded */
	bool               fallback;     /* triggered[] are fallback rules */
} route_selection;

/* route_select - evaluate c's rules on tags into out. With no rule
 * triggered, out->n is 0 and discard_rule NULL: the series is discarded
 * as "no rule". */
void route_select(
    const mc_config *c, const mc_tagset *tags, route_selection *out);

#endif
