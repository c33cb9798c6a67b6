/* builtin_copy.c - `builtin: copy`: every input file into the out
 * folder, unchanged. A chain's placeholder step, and the smallest
 * example of a built-in (docs/internals/adding-a-builtin-module.md). */
#include "process/builtin/builtin.h"

#include "os/sys_files.h"

static mc_err
copy_one(const builtin_ctx *ctx, const char *name, const char *src,
    const char *dst, void *arg, module_outcome *out)
{
	char   err[MODULE_ERROR_MAX_LEN + 1];
	mc_err rv;

	(void) name;
	(void) arg;
	if ((rv = sys_files_copy(
	         src, dst, SYS_FILES_NOSYNC, err, sizeof(err))) != MC_OK)
		return builtin_fail(out, rv, rv != MC_EREFUSED,
		    "module '%s': %s", ctx->name, err);
	return MC_OK;
}

static mc_err
copy_run(const builtin_ctx *ctx, module_outcome *out)
{
	return builtin_each_input(ctx, copy_one, NULL, out);
}

const builtin_ops builtin_ops_copy = {"copy", NULL, copy_run};
