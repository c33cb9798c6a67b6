/* target_cfg.h - the configuration of one named target as task.json's
 * mercure_c.targets carries it and as the worker's target types read it:
 * flat key=value strings with mercure's field names. The reader of
 * task.json builds one per target (task_json.h); a target of the
 * configuration file becomes one with target_cfg_from_config. */
#ifndef MC_COMMON_TARGET_CFG_H
#define MC_COMMON_TARGET_CFG_H

#include <stdbool.h>
#include <stddef.h>

#include "base/mc_err.h"
#include "config/config.h"

/* A target's fields as written in the config (mercure's names). Numbers
 * and booleans are kept as text ("104", "true"); nested values as
 * compact JSON text. */
typedef struct target_cfg target_cfg;

/* target_cfg_create - an empty configuration for name (copied). On MC_OK
 * *out is new, freed with target_cfg_destroy(). MC_ENOMEM. */
MC_NODISCARD mc_err target_cfg_create(const char *name, target_cfg **out);
void                target_cfg_destroy(target_cfg *c); /* NULL: no-op */
/* target_cfg_set - add or replace key (both copied). MC_ENOMEM. */
MC_NODISCARD mc_err target_cfg_set(
    target_cfg *c, const char *key, const char *value);
const char *target_cfg_name(const target_cfg *c);
/* target_cfg_get - value of key (borrowed, valid while c lives); NULL when
 * the key is absent. A JSON null is stored as absent. */
const char *target_cfg_get(const target_cfg *c, const char *key);
/* target_cfg_get_uint - key as an integer in [lo, hi]; *out = def when
 * absent or empty. MC_EINVAL (err names key and value) otherwise. */
MC_NODISCARD mc_err target_cfg_get_uint(const target_cfg *c, const char *key,
    unsigned lo, unsigned hi, unsigned def, unsigned *out, char *err,
    size_t errlen);
/* target_cfg_get_bool - key as true/false (also "True", "1", "yes");
 * *out = def when absent. MC_EINVAL (err filled) otherwise. */
MC_NODISCARD mc_err target_cfg_get_bool(const target_cfg *c, const char *key,
    bool def, bool *out, char *err, size_t errlen);

/* target_cfg_from_config - t's fields as a target_cfg: every field as
 * written, secrets included, and aet_source's default (which the
 * coordinator writes into task.json too). On MC_OK *out is new.
 * MC_ENOMEM. */
MC_NODISCARD mc_err target_cfg_from_config(
    const config_target *t, target_cfg **out);

#endif
