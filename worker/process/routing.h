/* routing.h - where the output of a processing task goes: the rule's
 * targets (dispatch.target_name), or what the module asked in
 * __mercure_routing when the rule allows dynamic routing (mercure_c.rule).
 * Pure decision, no I/O (routing.c). */
#ifndef MC_WORKER_ROUTING_H
#define MC_WORKER_ROUTING_H

#include "task/module_result.h"
#include "task/task.h"

#define ROUTING_REASON_MAX_LEN 255
#define ROUTING_TARGETS_MAX 256

typedef struct routing_plan {
	routing_outcome o; /* o.targets points into names */
	const char     *names[ROUTING_TARGETS_MAX];
	char            reason[ROUTING_REASON_MAX_LEN + 1];
} routing_plan;

/* routing_decide - fill p for task t and the chain's merged result mr:
 *  - no request: the rule's targets (applied false, reason "rule");
 *  - a request while the rule's dynamic_routing is off: the rule's
 *    targets, reason says the request was ignored;
 *  - "discard": nothing (discard true);
 *  - "use_alternate_target": the rule's conditional_alternate_target;
 *  - "target": those names, each of which must be in
 *    dynamic_routing_allowed_targets (when that list is not empty) and
 *    in mercure_c.targets; otherwise the whole request is refused and
 *    the rule's targets are used, reason naming the first bad name.
 * p->o.targets borrow from t and mr: valid while both live. */
void routing_decide(const task *t, const module_result *mr, routing_plan *p);

#endif
