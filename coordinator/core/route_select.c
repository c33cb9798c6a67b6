/* route_select.c - rule selection for one series or study. */
#include "core/route_select.h"

#include <string.h>

static void
add(route_selection *out, const config_rule *r)
{
	if (out->n < ROUTE_SELECT_MAX_RULES)
		out->triggered[out->n++] = r;
}

/* force - select the rule named by mercureForceRule, if any. */
static bool
force(const mc_config *c, const mc_tagset *tags, route_selection *out)
{
	const config_rule *r;

	out->forced = tags ? mc_tagset_get(tags, ROUTE_FORCE_RULE_TAG) : NULL;
	if (out->forced == NULL)
		return false;
	if ((r = config_find_rule(c, out->forced)) == NULL)
		out->force_unknown = true;
	else if (r->action == CONFIG_ACTION_DISCARD)
		out->discard_rule = r;
	else
		add(out, r);
	return true;
}

void
route_select(const mc_config *c, const mc_tagset *tags, route_selection *out)
{
	memset(out, 0, sizeof(*out));
	if (force(c, tags, out))
		return;
	for (size_t i = 0; i < c->n_rules; i++) {
		const config_rule *r = &c->rules[i];
		if (r->disabled || r->fallback || r->compiled == NULL)
			continue;
		if (!rule_eval(r->compiled, tags, NULL))
			continue;
		if (r->action == CONFIG_ACTION_DISCARD) {
			out->discard_rule = r;
			out->n = 0;
			return;
		}
		add(out, r);
	}
	if (out->n > 0)
		return;
	for (size_t i = 0; i < c->n_rules; i++) {
		const config_rule *r = &c->rules[i];
		if (r->disabled || !r->fallback || r->compiled == NULL ||
		    !rule_eval(r->compiled, tags, NULL))
			continue;
		if (r->action == CONFIG_ACTION_DISCARD) {
			out->discard_rule = r;
			out->n = 0;
			return;
		}
		out->fallback = true;
		add(out, r);
	}
}
