/* config_builtin_deidentify.c - the settings of `builtin: deidentify`
 * checked at load (deid_settings.c is the one parser; the worker runs it
 * again on the merged settings of each step). The key itself is not
 * read here: the coordinator need not be able to read it. */
#include "config/config.h"

#include <stdlib.h>

#include "config/config_int.h"
#include "config/deid_settings.h"

#define DEID_CHECK_MSG_LEN 256

void
config_builtin_check_deidentify(
    cctx *x, const cnode *settings, const char *path)
{
	char           msg[DEID_CHECK_MSG_LEN];
	const char    *json;
	deid_settings *s;

	/* absent: the rule's processing_settings may hold all of them */
	if (settings == NULL || cval_is_null(settings))
		return;
	if ((json = cval_json(x, settings, path)) == NULL)
		return;
	if ((s = malloc(sizeof(*s))) == NULL) {
		cctx_error(x, settings, path, "out of memory");
		return;
	}
	if (deid_settings_parse(json, s, msg, sizeof(msg)) != MC_OK)
		cctx_error(x, settings, path, "%s", msg);
	free(s);
}
