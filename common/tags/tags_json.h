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
 * "line L column C: ..." in err for bad JSON.
 *
 * Text that is not UTF-8 is decoded as mercure decodes it (its router
 * retries with errors="surrogateescape" and evaluates the rules): each
 * byte that is not part of a valid UTF-8 sequence becomes U+FFFD, as
 * the DICOM extraction does, and so does a \u0000 in a value, which a
 * C string cannot hold. *replaced (when not NULL) gets how many were
 * replaced, for the caller's warning; 0 for clean text. */
MC_NODISCARD mc_err tags_json_decode(const char *text, size_t len,
    mc_tagset *out, size_t *replaced, char *err, size_t errlen);

#endif
