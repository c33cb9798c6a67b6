/* builtin_deidentify.c - `builtin: deidentify`: the step's instances
 * de-identified by PS3.15 Annex E (deidentify.h) into its out folder.
 * This file is the registry's row: the settings check, the default
 * mapping file under the configuration's storage root, the module log. */
#include "process/builtin/builtin.h"

#include <stdlib.h>

#include "config/deid_settings.h"
#include "os/sys_fs.h"
#include "process/builtin/deidentify.h"
#include "worker_config.h"

static mc_err
deid_check(const char *settings_json, char *msg, size_t msgsz)
{
	deid_settings *s = malloc(sizeof(*s));
	mc_err         rv;

	if (s == NULL)
		return MC_ENOMEM;
	rv = deid_settings_parse(settings_json, s, msg, msgsz);
	free(s);
	return rv;
}

/* <storage_root>/deidentify/mapping.tsv, or "" without a configuration */
static void
default_mapping(char *buf, size_t len)
{
	const mc_config *cfg = NULL;
	char             err[256];

	buf[0] = '\0';
	if (worker_config_get(&cfg, err, sizeof(err)) != MC_OK)
		return;
	if (sys_path_fmt(buf, len, "%s/%s", cfg->storage_root,
	        DEIDENTIFY_MAPPING_DEFAULT) != MC_OK)
		buf[0] = '\0';
}

static mc_err
deid_run(const builtin_ctx *ctx, module_outcome *out)
{
	char               mapping[MC_PATH_MAX];
	deidentify_opts    o = {0};
	deidentify_outcome r;
	mc_err             rv;

	default_mapping(mapping, sizeof(mapping));
	o.settings_json = ctx->settings_json;
	o.in_dir = ctx->in_dir;
	o.out_dir = ctx->out_dir;
	o.default_mapping = mapping[0] != '\0' ? mapping : NULL;
	o.task_id = ctx->task_id;
	if ((rv = deidentify_run(&o, &r)) != MC_OK) {
		builtin_log(ctx, "deidentify: failed: %s", r.error);
		return builtin_fail(out, rv, r.retryable, "module '%s': %s",
		    ctx->name, r.error);
	}
	builtin_log(ctx,
	    "deidentify: %zu instances de-identified, %zu other files left "
	    "out",
	    r.files, r.skipped);
	out->ok = true;
	return MC_OK;
}

const builtin_ops builtin_ops_deidentify = {
    "deidentify", deid_check, deid_run};
