/* http_users.h - the HTTP server's users and tokens: roles, password and
 * token hashes, and the users file (one entry a line, docs/http.md):
 *   user:NAME:ROLE:HASH     HASH a yescrypt hash ("$y$...")
 *   token:NAME:ROLE:SHA256  the hex SHA-256 of the token
 * An http_users is one parsed file; it is not locked: the server guards
 * its copy with its own mutex. */
#ifndef MC_COORDINATOR_HTTP_USERS_H
#define MC_COORDINATOR_HTTP_USERS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/mc_err.h"

/* roles in increasing power: a route names the lowest it needs */
typedef enum {
	HTTP_ROLE_NONE = 0,
	HTTP_ROLE_VIEWER,
	HTTP_ROLE_OPERATOR,
	HTTP_ROLE_ADMIN
} http_role;

typedef enum { HTTP_ENTRY_USER, HTTP_ENTRY_TOKEN } http_entry_kind;

#define HTTP_NAME_MAX 64
#define HTTP_HASH_MAX 192 /* a yescrypt hash is about 73 characters */
#define HTTP_TOKEN_PREFIX "mct_"
#define HTTP_TOKEN_BYTES 32 /* random bytes of a token */
#define HTTP_TOKEN_LEN (sizeof(HTTP_TOKEN_PREFIX) - 1 + 2 * HTTP_TOKEN_BYTES)
#define HTTP_SHA256_HEX 64
#define HTTP_PASSWORD_MAX 1024 /* longer is refused, not cut */
#define HTTP_USERS_FILE_MAX (1024 * 1024)

/* http_role_parse - "viewer", "operator", "admin"; false otherwise. */
bool http_role_parse(const char *s, http_role *out);
/* http_role_str - the role's name; "none" for HTTP_ROLE_NONE. */
const char *http_role_str(http_role r);

/* http_user_name_is_valid - 1..HTTP_NAME_MAX of [A-Za-z0-9._@-], not
 * starting with '.' or '-'. NULL: false. */
bool http_user_name_is_valid(const char *s);

/* http_password_hash - a yescrypt hash of pw with a fresh random salt
 * into out (at least HTTP_HASH_MAX). MC_EINVAL for an empty or over-long
 * password or one holding a newline or NUL-free control character. */
MC_NODISCARD mc_err http_password_hash(const char *pw, char *out, size_t len);

/* http_password_check - pw hashes to hash (crypt_r, compared in
 * constant time). Slow by design: call with no lock held. */
bool http_password_check(const char *hash, const char *pw);

/* http_token_new - "mct_" and 64 hex digits of getrandom(2) into out (at
 * least HTTP_TOKEN_LEN + 1). */
MC_NODISCARD mc_err http_token_new(char *out, size_t len);

/* http_token_hash - the hex SHA-256 of token into out
 * (HTTP_SHA256_HEX + 1). */
void http_token_hash(const char *token, char out[HTTP_SHA256_HEX + 1]);

typedef struct http_users http_users;

/* http_users_parse - text[0..len) into a new set. Blank lines and lines
 * starting with '#' are skipped; any other malformed line is MC_EPARSE
 * with err "line N: why" (*out NULL). */
MC_NODISCARD mc_err http_users_parse(
    const char *text, size_t len, http_users **out, char *err, size_t errlen);

/* http_users_load - http_users_parse() of path; a missing file is an
 * empty set (no one can log in). */
MC_NODISCARD mc_err http_users_load(
    const char *path, http_users **out, char *err, size_t errlen);

void   http_users_destroy(http_users *u); /* NULL: no-op */
size_t http_users_count(const http_users *u);

/* http_users_set - add or replace the entry of kind and name (hash and
 * name copied). */
MC_NODISCARD mc_err http_users_set(http_users *u, http_entry_kind kind,
    const char *name, http_role role, const char *hash);

/* http_users_find - the entry of kind and name: its role and hash
 * (copied into hash, HTTP_HASH_MAX). False when there is none. */
bool http_users_find(const http_users *u, http_entry_kind kind,
    const char *name, http_role *role, char *hash, size_t len);

/* http_users_find_token - the token entry whose hash is token_sha256:
 * its role and name (copied, HTTP_NAME_MAX + 1). HTTP_ROLE_NONE when
 * there is none. */
http_role http_users_find_token(
    const http_users *u, const char *token_sha256, char *name, size_t len);

/* http_users_format - the file's text, malloc'ed into *out. */
MC_NODISCARD mc_err http_users_format(
    const http_users *u, char **out, size_t *len);

/* http_users_save - write the file atomically (a temporary file, fsync,
 * rename) with mode 0600, whatever the umask. */
MC_NODISCARD mc_err http_users_save(const http_users *u, const char *path);

#endif
