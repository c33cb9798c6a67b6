/* tags_json.h - tag sets as JSON objects: mercure's .tags sidecar format
 * (one flat object, all values strings, keys in extraction order). */
#ifndef MC_COMMON_TAGS_JSON_H
#define MC_COMMON_TAGS_JSON_H

#include <stddef.h>

#include "base/mc_err.h"
#include "tags/tagset.h"

/* tags_json_encode - t as an indented JSON object with a final newline.
 * On MC_OK *out is malloc'ed (caller frees). */
MC_NODISCARD mc_err tags_json_encode(const mc_tagset *t, char **out);

/* tags_json_decode - add the members of a flat JSON object of strings to
 * out (numbers and booleans are kept as their text). MC_EPARSE with
 * "line L column C: ..." in err for bad JSON. */
MC_NODISCARD mc_err tags_json_decode(
    const char *text, size_t len, mc_tagset *out, char *err, size_t errlen);

#endif
