/* config_dispatch_order.c - the settings that shape when dispatch tasks
 * may start: study_dispatch_order and study_dispatch_order_timeout (at
 * the top level and in a rule), dispatch_mode (the same) and a target's
 * max_concurrent_tasks. The coordinator applies them
 * (coordinator/core/dispatch_order.c, coordinator/core/stream.c). */
#include "config/config.h"

#include <stdint.h>
#include <string.h>

#include "config/config_int.h"

/* the values a file may write; "inherit" is only what an absent rule
 * field means */
static const char *const orders[] = {"none", "arrival", "series_number"};

void
config_check_dispatch_order(
    cctx *x, const cnode *v, const char *path, config_dispatch_order *out)
{
	int o = 0;

	if (cval_is_null(v))
		return;
	if (cval_enum(x, v, path, "study_dispatch_order", orders,
	        sizeof(orders) / sizeof(orders[0]), &o))
		*out = (config_dispatch_order) o;
}

/* a bound of 0 would release every waiting series at once: at least 1 */
void
config_check_dispatch_order_timeout(
    cctx *x, const cnode *v, const char *path, uint32_t *out)
{
	int32_t n = 0;

	if (!cval_int(x, v, path, &n) || cval_is_null(v))
		return;
	if (n < 1) {
		cctx_error(x, v, path, "must be at least 1 (seconds), got %s",
		    v->text);
		return;
	}
	*out = (uint32_t) n;
}

void
config_check_max_concurrent_tasks(
    cctx *x, const cnode *m, const char *path, config_target *t)
{
	const cnode *v = cval_field(m, "max_concurrent_tasks");
	char         sub[CONFIG_PATH_MAX_LEN];
	int32_t      n = 0;

	if (v == NULL)
		return;
	config_path(sub, path, "max_concurrent_tasks");
	if (!cval_int(x, v, sub, &n) || cval_is_null(v))
		return;
	if (n < 1) {
		cctx_error(x, v, sub,
		    "must be at least 1 (leave it out for no limit), got %s",
		    v->text);
		return;
	}
	t->max_concurrent_tasks = (unsigned) n;
}

static const char *const modes[] = {"series", "stream"};

void
config_check_dispatch_mode(
    cctx *x, const cnode *v, const char *path, config_dispatch_mode *out)
{
	int m = 0;

	if (cval_is_null(v))
		return;
	if (cval_enum(x, v, path, "dispatch_mode", modes,
	        sizeof(modes) / sizeof(modes[0]), &m))
		*out = (config_dispatch_mode) m;
}

static bool
rule_has_extra(const config_rule *r, const char *key)
{
	for (size_t i = 0; i < r->extra.n; i++)
		if (strcmp(r->extra.items[i].key, key) == 0 &&
		    r->extra.items[i].kind != CONFIG_KV_NULL)
			return true;
	return false;
}

/* why_not_stream - what keeps r from streaming, NULL when nothing */
static const char *
why_not_stream(const mc_config *c, const config_rule *r)
{
	config_dispatch_order o = r->study_dispatch_order;

	if (o == CONFIG_ORDER_INHERIT)
		o = c->study_dispatch_order;
	if (r->action != CONFIG_ACTION_ROUTE)
		return "only a route rule streams (processing needs the whole "
		       "series)";
	if (r->action_trigger != CONFIG_TRIGGER_SERIES)
		return "only a series-level rule streams";
	if (rule_has_extra(r, "set_tags"))
		return "set_tags edits copies of the whole series";
	if (rule_has_extra(r, "instance_filter"))
		return "instance_filter is applied to the whole series";
	if (o != CONFIG_ORDER_NONE)
		return "study_dispatch_order waits for the whole series";
	return NULL;
}

bool
config_rule_streams(const mc_config *c, const config_rule *r)
{
	config_dispatch_mode m = r->dispatch_mode;

	if (m == CONFIG_DISPATCH_MODE_INHERIT)
		m = c->dispatch_mode;
	return m == CONFIG_DISPATCH_STREAM && why_not_stream(c, r) == NULL;
}

/* a rule that asks for stream itself and cannot: said, then series */
void
config_check_rule_stream(
    cctx *x, const mc_config *c, const config_rule *r, const char *path)
{
	char        sub[CONFIG_PATH_MAX_LEN];
	const char *why;

	if (r->dispatch_mode != CONFIG_DISPATCH_STREAM ||
	    (why = why_not_stream(c, r)) == NULL)
		return;
	cctx_diag(x, CONFIG_WARNING, r->line, r->column,
	    config_path(sub, path, "dispatch_mode"),
	    "stream has no effect here, the rule dispatches in series mode: "
	    "%s",
	    why);
}
