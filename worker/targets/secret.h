/* secret.h - a target's secret fields (passwords, tokens, S3 keys):
 * written in the config, or kept out of it and task.json by naming an
 * environment variable (<field>_env) or a file (<field>_file). The value
 * lives in a caller's buffer that secret_wipe() clears; it is never
 * logged and never put into an error text. */
#ifndef MC_WORKER_SECRET_H
#define MC_WORKER_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#include "base/mc_err.h"
#include "targets/target.h"

#define SECRET_MAX_LEN 4095

/* secret_get - field of cfg: the field itself when set and not empty,
 * else the environment variable named by <field>_env, else the contents
 * of the file named by <field>_file (trailing newlines removed). *found
 * says whether any of them gave a value (buf is "" otherwise). Errors,
 * with err naming the field and the variable or file but never the
 * value: MC_ECONFIG (the named variable is unset, the value is too
 * long), MC_EIO (the file cannot be read). */
MC_NODISCARD mc_err secret_get(const target_cfg *cfg, const char *field,
    char *buf, size_t len, bool *found, char *err, size_t errlen);

/* secret_wipe - overwrite buf with zeros (not optimized away). */
void secret_wipe(char *buf, size_t len);

#endif
