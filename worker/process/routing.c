/* routing.c - the dynamic routing decision of routing.h. A request that
 * cannot be followed whole is not followed at all: sending to half of
 * what a module asked for is harder to explain than the rule's targets
 * plus a reason in result.json. */
#include "process/routing.h"

#include <stdio.h>
#include <string.h>

static bool
in_list(const char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

static void
use_rule_targets(const task *t, routing_plan *p)
{
	size_t n = task_target_count(t);

	for (size_t i = 0; i < n && i < ROUTING_TARGETS_MAX; i++)
		p->names[i] = task_target_name(t, i);
	p->o.n_targets = n < ROUTING_TARGETS_MAX ? n : ROUTING_TARGETS_MAX;
}

/* MC_OK when every name may be used; else the reason is set */
static bool
check_names(const task *t, const char *const *names, size_t n,
    bool check_allowed, routing_plan *p)
{
	const task_rule *r = task_get_rule(t);

	if (n == 0) {
		snprintf(
		    p->reason, sizeof(p->reason), "refused: no target named");
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (check_allowed && r->n_allowed > 0 &&
		    !in_list(r->allowed, r->n_allowed, names[i])) {
			snprintf(p->reason, sizeof(p->reason),
			    "refused: target '%s' is not in "
			    "dynamic_routing_allowed_targets",
			    names[i]);
			return false;
		}
		if (task_find_target(t, names[i]) == NULL) {
			snprintf(p->reason, sizeof(p->reason),
			    "refused: target '%s' has no configuration "
			    "in mercure_c.targets",
			    names[i]);
			return false;
		}
	}
	return true;
}

static void
use_names(const char *const *names, size_t n, routing_plan *p)
{
	for (size_t i = 0; i < n && i < ROUTING_TARGETS_MAX; i++)
		p->names[i] = names[i];
	p->o.n_targets = n < ROUTING_TARGETS_MAX ? n : ROUTING_TARGETS_MAX;
	p->o.applied = true;
}

static void
decide_request(const task *t, const module_result *mr, routing_plan *p)
{
	const task_rule *r = task_get_rule(t);

	switch (mr->routing) {
	case ROUTING_DISCARD:
		p->o.applied = p->o.discard = true;
		snprintf(p->reason, sizeof(p->reason), "module: discard");
		return;
	case ROUTING_ALTERNATE:
		if (check_names(t, r->alternate, r->n_alternate, false, p)) {
			use_names(r->alternate, r->n_alternate, p);
			snprintf(p->reason, sizeof(p->reason),
			    "module: conditional_alternate_target");
			return;
		}
		break;
	case ROUTING_TARGETS:
		if (check_names(t, (const char *const *) mr->targets,
		        mr->n_targets, true, p)) {
			use_names((const char *const *) mr->targets,
			    mr->n_targets, p);
			snprintf(
			    p->reason, sizeof(p->reason), "module: target");
			return;
		}
		break;
	case ROUTING_NONE:
		break;
	}
	use_rule_targets(t, p);
}

void
routing_decide(const task *t, const module_result *mr, routing_plan *p)
{
	memset(p, 0, sizeof(*p));
	p->o.targets = p->names;
	p->o.reason = p->reason;
	if (mr == NULL || mr->routing == ROUTING_NONE) {
		snprintf(p->reason, sizeof(p->reason), "rule");
		use_rule_targets(t, p);
		return;
	}
	if (!task_get_rule(t)->dynamic_routing) {
		snprintf(p->reason, sizeof(p->reason),
		    "ignored: the rule does not allow dynamic_routing");
		use_rule_targets(t, p);
		return;
	}
	decide_request(t, mr, p);
}
