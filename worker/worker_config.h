/* worker_config.h - the configuration file as the worker reads it: the
 * source of every target's fields (secrets included) and of a rule's
 * webhook URL, which task files never hold. Its path is given by
 * --config or $MERCURE_CONFIG (the coordinator sets it for the workers
 * it starts). Loaded once per process, on first use. */
#ifndef MC_WORKER_WORKER_CONFIG_H
#define MC_WORKER_WORKER_CONFIG_H

#include <stddef.h>

#include "config/config.h"
#include "base/mc_err.h"
#include "task/target_cfg.h"

/* worker_config_set_path - path (borrowed; must outlive the process's
 * use of it), or NULL/"" for $MERCURE_CONFIG. */
void worker_config_set_path(const char *path);

/* worker_config_path - the file in use, or NULL when none is given
 * (targets then come from task.json alone, without secrets unless
 * <field>_env / <field>_file name them). */
const char *worker_config_path(void);

/* worker_config_get - the loaded configuration (borrowed, lives until
 * worker_config_release). MC_ENOENT when no file is given; MC_ECONFIG or
 * a file error with err naming the file and its first error. */
MC_NODISCARD mc_err worker_config_get(
    const mc_config **out, char *err, size_t errlen);

/* worker_config_target - target name of the configuration file. MC_OK
 * and *out new; MC_ENOENT (no such target, or no file given) or a load
 * error, with err saying which. */
MC_NODISCARD mc_err worker_config_target(
    const char *name, target_cfg **out, char *err, size_t errlen);

/* worker_config_webhook - rule rule_name's notification_webhook into buf.
 * MC_ENOENT (no file given, no such rule, or the rule has no webhook) or
 * a load error, with err saying which (never the URL). */
MC_NODISCARD mc_err worker_config_webhook(
    const char *rule_name, char *buf, size_t len, char *err, size_t errlen);

/* worker_config_release - free the loaded configuration. */
void worker_config_release(void);

#endif
