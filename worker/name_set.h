/* name_set.h - a set of file names (strings, copied in), for the
 * worker's bookkeeping of which instances were listed, sent or
 * acknowledged. Not thread-safe. */
#ifndef MC_WORKER_NAME_SET_H
#define MC_WORKER_NAME_SET_H

#include <stdbool.h>
#include <stddef.h>

#include "base/mc_err.h"

typedef struct name_set name_set;

MC_NODISCARD mc_err name_set_create(name_set **out);
void                name_set_destroy(name_set *s); /* NULL: no-op */
/* name_set_add - add a copy of name (len bytes, no NUL needed); *added
 * (may be NULL) says whether it was new. MC_ENOMEM. */
MC_NODISCARD mc_err name_set_add(
    name_set *s, const char *name, size_t len, bool *added);
bool   name_set_has(const name_set *s, const char *name); /* NULL: false */
size_t name_set_count(const name_set *s);

#endif
