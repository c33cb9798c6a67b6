/* http_auth.h - who is asking: the users file (read again when it
 * changes), the login sessions of browsers, and the slow-down after
 * failed logins. Owned by the HTTP server; every function may be called
 * from any of its threads (one mutex inside; slow hashes run outside
 * it). */
#ifndef MC_COORDINATOR_HTTP_AUTH_H
#define MC_COORDINATOR_HTTP_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "http/http_users.h"

#define HTTP_SESSION_ID_LEN 64 /* hex of 32 random bytes */
#define HTTP_SESSIONS_MAX 1024
#define HTTP_SESSION_TTL_S (12 * 3600)
#define HTTP_FAIL_DELAY_MS 250 /* per failure in the last minute */
#define HTTP_FAIL_DELAY_MAX_MS 3000
#define HTTP_FAIL_WINDOW_S 60

typedef enum {
	HTTP_VIA_NONE,
	HTTP_VIA_BASIC,
	HTTP_VIA_BEARER,
	HTTP_VIA_COOKIE
} http_via;

/* http_who - the caller of one request */
typedef struct http_who {
	http_role role; /* HTTP_ROLE_NONE: not authenticated */
	http_via  via;
	char      user[HTTP_NAME_MAX + 1];
	char      csrf[HTTP_SESSION_ID_LEN + 1]; /* cookie sessions only */
} http_who;

typedef struct http_auth http_auth;

/* http_auth_create - users from users_path (copied; a missing file is
 * no users). */
MC_NODISCARD mc_err http_auth_create(const char *users_path, http_auth **out);
void                http_auth_destroy(http_auth *a); /* NULL: no-op */

/* http_auth_password - check a user's password (slow; any thread). On
 * success who is filled (via as given). A failure is counted and logged
 * with remote, and the call returns only after the failure delay. */
bool http_auth_password(http_auth *a, const char *user, const char *pw,
    http_via via, const char *remote, http_who *who);

/* http_auth_token - check a bearer token; as http_auth_password. */
bool http_auth_token(
    http_auth *a, const char *token, const char *remote, http_who *who);

/* http_auth_session_new - a new session for who (a user); its id into
 * id, its CSRF token into who->csrf. */
MC_NODISCARD mc_err http_auth_session_new(
    http_auth *a, http_who *who, char id[HTTP_SESSION_ID_LEN + 1]);

/* http_auth_session - the session of cookie value id, with the user's
 * current role from the users file (a user removed since: none). */
bool http_auth_session(http_auth *a, const char *id, http_who *who);

/* http_auth_session_end - forget the session (unknown: no-op). */
void http_auth_session_end(http_auth *a, const char *id);

#endif
