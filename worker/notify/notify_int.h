/* notify_int.h - the parts of notify.c: the request as read from its
 * file (task/notify_json.h) and the two ways out over libcurl
 * (notify_send.c). Nothing outside notify*.c includes it. */
#ifndef MC_WORKER_NOTIFY_INT_H
#define MC_WORKER_NOTIFY_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/mc_err.h"
#include "task/notify_json.h"

#define NOTIFY_ERROR_MAX_LEN 511

/* notify_url_origin - scheme://host[:port] of url (no user, path or
 * query), for logs and messages. */
void notify_url_origin(const char *url, char *buf, size_t len);

/* notify_http_post - POST body as application/json to url; MC_OK for a
 * 2xx answer. ca (NULL: the system's CAs) is a PEM file of the CA
 * certificates an https server is verified with. err never holds the
 * URL's path or query (they may carry tokens). */
MC_NODISCARD mc_err notify_http_post(const char *url, const char *body,
    const char *ca, char *err, size_t errlen);

/* notify_smtp_send - send message (headers + body, CRLF lines) from
 * from to the comma-separated rcpts over smtp_url (user and password
 * from $MERCURE_SMTP_USER and $MERCURE_SMTP_PASSWORD when set; STARTTLS
 * when the server offers it). */
MC_NODISCARD mc_err notify_smtp_send(const char *smtp_url, const char *from,
    const char *rcpts, const char *message, char *err, size_t errlen);

#endif
