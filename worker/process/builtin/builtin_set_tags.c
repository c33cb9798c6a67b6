/* builtin_set_tags.c - `builtin: set_tags`: every input file written to
 * the out folder with the attributes its settings name set, removed or
 * rewritten (docs/set_tags.md); the inputs are read, never changed. A
 * file the operations cannot be applied to fails the step (not
 * retryable: the same file fails the same way), since sending it
 * unchanged would defeat the purpose. The log says what changed. */
#include "process/builtin/builtin.h"

#include "process/builtin/set_tags_ops.h"

typedef struct set_tags_run {
	const dcm_edit *e;
	size_t          files, changed;
} set_tags_run;

static mc_err
set_tags_check(const char *settings_json, char *msg, size_t msgsz)
{
	dcm_edit *e = NULL;
	mc_err    rv =
	    set_tags_compile_settings(settings_json, &e, NULL, msg, msgsz);

	dcm_edit_destroy(e);
	return rv;
}

static mc_err
set_tags_one(const builtin_ctx *ctx, const char *name, const char *src,
    const char *dst, void *arg, module_outcome *out)
{
	set_tags_run *r = arg;
	char          err[MODULE_ERROR_MAX_LEN + 1];
	size_t        changed = 0;
	mc_err        rv;

	(void) name;
	rv = dcm_edit_file(r->e, src, dst, &changed, err, sizeof(err));
	if (rv != MC_OK)
		return builtin_fail(out, rv, rv == MC_EIO || rv == MC_ENOMEM,
		    "module '%s': %s", ctx->name, err);
	r->files++;
	r->changed += changed;
	return MC_OK;
}

static mc_err
set_tags_run_step(const builtin_ctx *ctx, module_outcome *out)
{
	set_tags_run r = {NULL, 0, 0};
	dcm_edit    *e = NULL;
	char         msg[256];
	size_t       n_ops = 0;
	mc_err       rv;

	if ((rv = set_tags_compile_settings(
	         ctx->settings_json, &e, &n_ops, msg, sizeof(msg))) != MC_OK)
		return builtin_fail(out, rv, false,
		    "module '%s': settings: %s", ctx->name, msg);
	r.e = e;
	rv = builtin_each_input(ctx, set_tags_one, &r, out);
	dcm_edit_destroy(e);
	if (rv == MC_OK)
		builtin_log(ctx,
		    "set_tags: %zu operations, %zu files written, %zu "
		    "attributes changed",
		    n_ops, r.files, r.changed);
	else
		builtin_log(ctx, "set_tags failed: %s", out->error);
	return rv;
}

const builtin_ops builtin_ops_set_tags = {
    "set_tags", set_tags_check, set_tags_run_step};
