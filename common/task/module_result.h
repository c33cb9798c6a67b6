/* module_result.h - what a module asks of mercure through the result.json
 * it writes into its out/ folder: "__mercure_notification" (text for the
 * notification details; "requested": fire the completion notification)
 * and "__mercure_routing" ("target": names, "discard": true or
 * "use_alternate_target": true). Read, merged over a chain, and written
 * into our result.json as "module_result" (module_result.c, jansson). */
#ifndef MC_WORKER_MODULE_RESULT_H
#define MC_WORKER_MODULE_RESULT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/mc_err.h"

#define MODULE_RESULT_NAME "result.json"

typedef enum {
	ROUTING_NONE,     /* no routing asked */
	ROUTING_TARGETS,  /* "target": [...] */
	ROUTING_DISCARD,  /* "discard": true */
	ROUTING_ALTERNATE /* "use_alternate_target": true */
} routing_kind;

typedef struct module_result {
	bool         notification; /* __mercure_notification was there */
	char        *notify_text;  /* malloc'ed; NULL when none */
	bool         notify_requested;
	routing_kind routing;
	char       **targets; /* ROUTING_TARGETS: malloc'ed names */
	size_t       n_targets;
	char        *routing_json; /* __mercure_routing as given, or NULL */
} module_result;

/* What the worker did with a routing request (routing.c decides). */
typedef struct routing_outcome {
	bool               applied; /* the module's request was followed */
	bool               discard; /* nothing is dispatched */
	const char        *reason;  /* why it was (not) followed; never NULL */
	const char *const *targets; /* what was dispatched to */
	size_t             n_targets;
} routing_outcome;

void module_result_init(module_result *r);
void module_result_fini(module_result *r); /* frees the contents */

/* module_result_read - read a module's result.json at path into r. A
 * missing file is MC_OK with nothing set. MC_EPARSE when it is not a JSON
 * object or the special keys have the wrong shape (err says which); r is
 * then unchanged. MC_ENOMEM. */
MC_NODISCARD mc_err module_result_read(
    const char *path, module_result *r, char *err, size_t errlen);

/* module_result_merge - fold a later step's result into acc: its routing
 * request replaces acc's, its notification text is appended on a new
 * line, requested is or-ed. from is emptied (acc takes its memory). */
void module_result_merge(module_result *acc, module_result *from);

/* module_result_encode - our "module_result" object as JSON text:
 * {"notification": {"text", "requested"} | null,
 *  "routing": {"requested": <__mercure_routing> | null, "applied",
 *              "discard", "targets": [...], "reason"}}.
 * ro may be NULL (no dispatch decided yet). *out malloc'ed. MC_ENOMEM. */
MC_NODISCARD mc_err module_result_encode(
    const module_result *r, const routing_outcome *ro, char **out);

/* module_result_decode - the module_result_encode text of an earlier
 * attempt back into r (the request, not the decision). MC_EPARSE. */
MC_NODISCARD mc_err module_result_decode(const char *json, module_result *r);

#endif
