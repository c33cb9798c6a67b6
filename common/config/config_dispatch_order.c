/* config_dispatch_order.c - the settings that shape when dispatch tasks
 * may start: study_dispatch_order and study_dispatch_order_timeout (at
 * the top level and in a rule) and a target's max_concurrent_tasks. The
 * coordinator applies them (coordinator/core/dispatch_order.c). */
#include "config/config.h"

#include <stdint.h>

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
