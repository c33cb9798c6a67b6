/* config_complete.c - the signals that complete a series before its
 * quiet period is over (docs/config.md, "Series completion"): the end of
 * the association that carried it, the instance count its tags or a rule
 * announce, and a rule's own quiet period. */
#include "config/config.h"

#include "config/config_int.h"

#define COMPLETE_GRACE_MAX_S 3600u
#define COMPLETE_EXPECTED_MAX 1000000u
#define COMPLETE_TRIGGER_MAX_S ((uint32_t) INT32_MAX)

void
config_build_completion(cctx *x, const cnode *on_assoc_end, const cnode *grace,
    const cnode *on_expected)
{
	mc_config *c = x->cfg;

	if (on_assoc_end != NULL)
		cval_bool(x, on_assoc_end,
		    "series_complete_on_association_end",
		    &c->series_complete_on_association_end);
	if (grace != NULL)
		cval_uint(x, grace, "association_complete_grace",
		    COMPLETE_GRACE_MAX_S, &c->association_complete_grace_s);
	if (on_expected != NULL)
		cval_bool(x, on_expected, "series_complete_on_expected_count",
		    &c->series_complete_on_expected_count);
}

/* at_least_one - a positive integer up to max into *out; false (after an
 * error) otherwise, and for null. */
static bool
at_least_one(
    cctx *x, const cnode *v, const char *path, uint32_t max, uint32_t *out)
{
	int32_t n = 0;

	if (!cval_int(x, v, path, &n) || cval_is_null(v))
		return false;
	if (n < 1 || (uint32_t) n > max) {
		cctx_error(x, v, path, "must be 1 to %lu, got %s",
		    (unsigned long) max, v->text);
		return false;
	}
	*out = (uint32_t) n;
	return true;
}

void
config_build_rule_completion(cctx *x, config_rule *r, const cnode *trigger,
    const cnode *expected, const char *path)
{
	char sub[CONFIG_PATH_MAX_LEN];

	if (trigger != NULL &&
	    at_least_one(x, trigger,
	        config_path(sub, path, "series_complete_trigger"),
	        COMPLETE_TRIGGER_MAX_S, &r->series_complete_trigger_s))
		r->has_series_complete_trigger = true;
	if (expected != NULL)
		(void) at_least_one(x, expected,
		    config_path(sub, path, "expected_instances"),
		    COMPLETE_EXPECTED_MAX, &r->expected_instances);
}
