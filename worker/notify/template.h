/* template.h - mercure's notification templates, the part we support:
 * "{{ name }}" is replaced by the value of name (missing: empty), with
 * or without spaces inside the braces; Jinja filters after '|' are
 * ignored and other Jinja syntax is copied as it is. Values are escaped
 * for where they land: inside a JSON string (webhooks), HTML (HTML
 * e-mail) or not at all (plain e-mail). template.c. */
#ifndef MC_WORKER_TEMPLATE_H
#define MC_WORKER_TEMPLATE_H

#include <stddef.h>

#include "base/mc_err.h"

typedef enum {
	TEMPLATE_ESCAPE_NONE,
	TEMPLATE_ESCAPE_JSON, /* " \ and control characters */
	TEMPLATE_ESCAPE_HTML  /* & < > " ' */
} template_escape;

/* the value of a variable (borrowed), or NULL when unknown */
typedef const char *(*template_lookup)(const char *name, void *ctx);

/* template_render - text with every {{ name }} replaced. On MC_OK *out is
 * malloc'ed and NUL-terminated. MC_ENOMEM. Any thread. */
MC_NODISCARD mc_err template_render(const char *text, template_lookup lookup,
    void *ctx, template_escape esc, char **out);

#endif
