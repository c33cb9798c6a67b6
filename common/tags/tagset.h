/* tagset.h - an ordered set of (key, value) text pairs: the tags of one
 * instance, keyed by mercure's names ("PatientName", "(0019,10aa)").
 * Keys are unique; values are UTF-8. The set owns copies of both. */
#ifndef MC_COMMON_TAGSET_H
#define MC_COMMON_TAGSET_H

#include <stddef.h>

#include "base/mc_err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mc_tagset mc_tagset;

typedef struct mc_tag {
	const char *key;
	const char *value;
} mc_tag;

/* mc_tagset_create - a new, empty set; *out is NULL on failure. */
MC_NODISCARD mc_err mc_tagset_create(mc_tagset **out);
/* mc_tagset_destroy - frees the set and its strings; NULL is a no-op. */
void mc_tagset_destroy(mc_tagset *t);
/* mc_tagset_set - copies key and value; replaces the value of an existing
 * key in place (its position is kept). Returns MC_OK or MC_ENOMEM. */
MC_NODISCARD mc_err mc_tagset_set(
    mc_tagset *t, const char *key, const char *value);
/* mc_tagset_get - the value of key, or NULL if absent. Borrowed; valid
 * until the key is set again or the set is destroyed. */
const char *mc_tagset_get(const mc_tagset *t, const char *key);
/* mc_tagset_count, mc_tagset_at - iterate in insertion order. */
size_t        mc_tagset_count(const mc_tagset *t);
const mc_tag *mc_tagset_at(const mc_tagset *t, size_t i);

#ifdef __cplusplus
}
#endif

#endif
