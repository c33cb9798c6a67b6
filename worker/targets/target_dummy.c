/* target_dummy.c - the "dummy" target: mercure's no-op. Every file counts
 * as sent, nothing leaves the machine; for rules that only process or
 * only notify, and for tests. */
#include "targets/target.h"

#include "base/log.h"

static mc_err
dummy_send(const target_cfg *cfg, const task_ctx *ctx,
    const target_files *files, target_result *res)
{
	log_debug("event=dummy.send task=%s target=%s files=%zu", ctx->task_id,
	    target_cfg_name(cfg), files->n);
	res->sent = files->n;
	return MC_OK;
}

static mc_err
dummy_test(const target_cfg *cfg, const task_ctx *ctx, char *msg, size_t len)
{
	(void) cfg;
	(void) ctx;
	mc_errf(msg, len, "dummy target: nothing to check");
	return MC_OK;
}

const target_ops target_ops_dummy = {
    .send = dummy_send,
    .test = dummy_test,
};
