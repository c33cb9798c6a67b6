/* config_reload.h - loads the configuration file in a thread of its own:
 * a reload must not stop the event loop, which routes the images that
 * keep arriving, for as long as a large file takes to parse. */
#ifndef MC_COORDINATOR_CONFIG_RELOAD_H
#define MC_COORDINATOR_CONFIG_RELOAD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "base/mc_err.h"
#include "os/sys_fs.h"

#define CONFIG_RELOAD_DIAGS 64

typedef struct config_reload {
	/* the result, valid once config_reload_done() said so */
	mc_err      rv;
	mc_config  *cfg; /* MC_OK: the new configuration, the caller's */
	config_diag diags[CONFIG_RELOAD_DIAGS];
	size_t      n_diags;
	const char *why; /* as given */
	/* private */
	char       path[MC_PATH_MAX];
	atomic_int done;
	bool       joined;
	pthread_t  thread;
} config_reload;

/* config_reload_start - start loading path in a new thread. why (a
 * literal) is kept for the caller. */
MC_NODISCARD mc_err config_reload_start(
    const char *path, const char *why, config_reload **out);

/* config_reload_done - whether the load has finished; once true, the
 * result fields are valid (the thread is joined). Never blocks. */
bool config_reload_done(config_reload *r);

/* config_reload_free - waits for the thread if still running, frees r
 * and a configuration the caller did not take (set r->cfg to NULL to
 * take it). NULL: no-op. */
void config_reload_free(config_reload *r);

#endif
