/* http_cli.h - the command-line side of the HTTP server's users:
 * `--add-user NAME --role ROLE` (the password from standard input) and
 * `--add-token NAME --role ROLE` (prints the new token). */
#ifndef MC_COORDINATOR_HTTP_CLI_H
#define MC_COORDINATOR_HTTP_CLI_H

#include <stdio.h>

#include "config/config.h"

/* http_users_path - cfg's http.users_file, or <storage_root>/users. */
MC_NODISCARD mc_err http_users_path(
    const mc_config *cfg, char *buf, size_t len);

/* http_cli_add_user, http_cli_add_token - add or replace the entry in
 * the users file; messages go to out and err. Return the exit status:
 * 0 done, 1 failed, 2 bad arguments. */
int http_cli_add_user(const mc_config *cfg, const char *name, const char *role,
    FILE *in, FILE *out, FILE *err);
int http_cli_add_token(const mc_config *cfg, const char *name,
    const char *role, FILE *out, FILE *err);

#endif
