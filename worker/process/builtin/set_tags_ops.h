/* set_tags_ops.h - set_tags operations as the worker reads them from a
 * task (JSON, the syntax of docs/set_tags.md that the configuration
 * checked at load), compiled into a dcm_edit; shared by the built-in
 * module set_tags (builtin_set_tags.c) and the rule option set_tags
 * (task_run.c, applied to the copies that are sent). */
#ifndef MC_WORKER_SET_TAGS_OPS_H
#define MC_WORKER_SET_TAGS_OPS_H

#include <stddef.h>

#include "base/mc_err.h"
#include "dcm/dcm_edit.h"

/* set_tags_compile - list_json (borrowed) is a JSON list of operations
 * ({"tag": ..., "set" | "remove" | "copy_from" | "regex" + "replace"}).
 * On MC_OK *out is new (dcm_edit_destroy) and *n_ops (may be NULL) the
 * number of operations. MC_ECONFIG with msg naming the operation
 * ("set_tags[2].tag: unknown keyword 'X'"), MC_ENOMEM; *out NULL. */
MC_NODISCARD mc_err set_tags_compile(const char *list_json, dcm_edit **out,
    size_t *n_ops, char *msg, size_t msgsz);

/* set_tags_compile_settings - the same for settings_json, an object
 * whose "set_tags" is the list (the module's settings). */
MC_NODISCARD mc_err set_tags_compile_settings(const char *settings_json,
    dcm_edit **out, size_t *n_ops, char *msg, size_t msgsz);

#endif
