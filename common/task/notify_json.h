/* notify_json.h - a notification request file (docs/tasks.md,
 * "Notification requests"): the coordinator writes one per notification
 * (notify_request_encode) and `mercure-worker --notify FILE` reads it
 * (notify_request_load). Callers need no <jansson.h>. */
#ifndef MC_COMMON_NOTIFY_JSON_H
#define MC_COMMON_NOTIFY_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "base/mc_err.h"
#include "task/task_limits.h"

/* the sender of an e-mail that names none (mercure's) */
#define NOTIFY_FROM_DEFAULT "mercure@mercure.mercure"

/* ---- writing ------------------------------------------------------------ */

/* One template variable of "vars". */
typedef struct notify_var {
	const char *name;
	const char *value;
} notify_var;

/* The "webhook" section. url is NULL for the coordinator's requests: the
 * URL stays in the configuration (it often carries a token). */
typedef struct notify_webhook {
	const char *url;          /* NULL: not written */
	const char *payload;      /* "" when the rule sets none */
	const char *payload_body; /* "" when the rule sets none */
	/* CA certificates (PEM file) to verify the server with, from
	 * webhook_certificate_location; NULL: not written (the system's) */
	const char *ca;
} notify_webhook;

/* The "email" section. */
typedef struct notify_email {
	const char *to;      /* "a@b.org, c@d.org" */
	const char *body;    /* "" when the rule sets none */
	const char *type;    /* "plain" or "html" */
	const char *from;    /* NOTIFY_FROM_DEFAULT for the coordinator's */
	const char *subject; /* NULL: not written */
} notify_email;

/* A request as written. Every pointer is borrowed. */
typedef struct notify_request_spec {
	const char           *id;      /* a task id (task_id_is_safe) */
	const char           *event;   /* "reception", "completion", "error" */
	const char           *rule;    /* the rule's name */
	const char           *task_id; /* "" when none */
	const notify_webhook *webhook; /* NULL: no webhook */
	const notify_email   *email;   /* NULL: no e-mail */
	const notify_var     *vars;
	size_t                n_vars;
} notify_request_spec;

/* notify_request_encode - the request file's text for s. Text that is
 * not UTF-8 (a patient name in Latin-1) is written with '?' for its
 * bytes above 0x7f. On MC_OK *out is malloc'ed and NUL-terminated
 * (caller frees). MC_EINVAL when s->id is not a task id; MC_ENOMEM. Any
 * thread. */
MC_NODISCARD mc_err notify_request_encode(
    const notify_request_spec *s, char **out);

/* ---- reading ------------------------------------------------------------ */

typedef struct notify_request notify_request; /* notify_json.c */

/* notify_request_parse - check the text of a request (borrowed). Refused
 * with err saying why: bad JSON or a root that is not an object
 * (MC_EPARSE, with line and column), a duplicate key (MC_EPARSE); "id"
 * that is not a task id, "task_id" that is neither "" nor one, "event",
 * "rule" or "task_id" not strings, "webhook", "email" or "vars" not
 * objects of strings (MC_ECONFIG). On MC_OK *out is new
 * (notify_request_destroy). MC_ENOMEM. */
MC_NODISCARD mc_err notify_request_parse(const char *text, size_t len,
    notify_request **out, char *err, size_t errlen);
/* notify_request_load - read path and notify_request_parse it; err starts
 * with path. File errors with err set. */
MC_NODISCARD mc_err notify_request_load(
    const char *path, notify_request **out, char *err, size_t errlen);
void notify_request_destroy(notify_request *r); /* NULL: no-op */

/* Fields of the request ("" when absent; strings borrowed from r). */
const char *notify_request_field(const notify_request *r, const char *key);
/* webhook.<key> / email.<key> ("" when absent); NULL when the section is
 * absent */
const char *notify_request_webhook(const notify_request *r, const char *key);
const char *notify_request_email(const notify_request *r, const char *key);
/* vars.<name>, else the top-level field of that name; NULL: unknown.
 * The signature of a template_lookup. */
const char *notify_request_var(const char *name, void *r);

#endif
