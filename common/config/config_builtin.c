/* config_builtin.c - the built-in modules as the configuration checks
 * them: config/builtin_modules.def turned into a table of names and
 * settings checks, and the check of a module's `builtin` field. The
 * worker's registry is made from the same rows; each built-in's own
 * settings check lives in config_builtin_<name>.c when it has one. */
#include "config/config.h"

#include <string.h>

#include "config/config_int.h"

typedef struct builtin_row {
	const char          *name;
	config_builtin_check check;
} builtin_row;

static const builtin_row ROWS[] = {
#define BUILTIN_MODULE(name, check) {#name, check},
#include "config/builtin_modules.def"
#undef BUILTIN_MODULE
};
#define ROWS_N (sizeof(ROWS) / sizeof(ROWS[0]))

static const char *const NAMES[] = {
#define BUILTIN_MODULE(name, check) #name,
#include "config/builtin_modules.def"
#undef BUILTIN_MODULE
    NULL};

void
config_builtin_check_none(cctx *x, const cnode *settings, const char *path)
{
	(void) x;
	(void) settings;
	(void) path;
}

const char *const *
config_builtin_names(size_t *n)
{
	if (n != NULL)
		*n = ROWS_N;
	return NAMES;
}

bool
config_builtin_is_known(const char *name)
{
	for (size_t i = 0; name != NULL && i < ROWS_N; i++)
		if (strcmp(ROWS[i].name, name) == 0)
			return true;
	return false;
}

/* set - a field that is there and says something: not null, not "" */
static const cnode *
set(const cnode *m, const char *key)
{
	const cnode *v = cval_field(m, key);

	if (v == NULL || cval_is_null(v) ||
	    (v->kind == CNODE_SCALAR && v->len == 0))
		return NULL;
	return v;
}

void
config_builtin_check_module(
    cctx *x, const cnode *m, const cnode *builtin, const char *path)
{
	static const char *const OTHERS[] = {"docker_tag", "command"};
	char                     sub[CONFIG_PATH_MAX_LEN];
	int                      i = 0;

	config_path(sub, path, "builtin");
	if (cval_is_null(builtin)) {
		cctx_error(x, builtin, sub, "must name a built-in module");
		return;
	}
	if (!cval_enum(x, builtin, sub, "built-in module", NAMES, ROWS_N, &i))
		return;
	for (size_t k = 0; k < sizeof(OTHERS) / sizeof(OTHERS[0]); k++) {
		const cnode *o = set(m, OTHERS[k]);
		if (o != NULL)
			cctx_error(x, o, config_path(sub, path, OTHERS[k]),
			    "a module is either 'builtin' or '%s', not both",
			    OTHERS[k]);
	}
	x->builtin_module = m;
	ROWS[i].check(
	    x, cval_field(m, "settings"), config_path(sub, path, "settings"));
	x->builtin_module = NULL;
}
