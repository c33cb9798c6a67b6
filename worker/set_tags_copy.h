/* set_tags_copy.h - the rule option set_tags: the files a task sends,
 * copied with the rule's operations applied into a folder of the task
 * (TASK_TAGGED_DIR), so that the targets get the changed copies and the
 * task's own files stay as they were received (docs/set_tags.md). */
#ifndef MC_WORKER_SET_TAGS_COPY_H
#define MC_WORKER_SET_TAGS_COPY_H

#include <stdbool.h>
#include <stddef.h>

#include "base/mc_err.h"

/* the folder of the task that holds the changed copies */
#define TASK_TAGGED_DIR "tagged"

typedef struct set_tags_stats {
	size_t operations; /* in the rule's list */
	size_t files;      /* copies written */
	size_t changed;    /* attributes set or removed, all files */
} set_tags_stats;

/* set_tags_copy - compile list_json (the rule's set_tags, JSON text;
 * borrowed) and write each of paths[0..n) with the operations applied
 * to dir/<its name>; dir is removed first if it exists (a retry starts
 * over from the originals), then created. On MC_OK *out is a new array
 * of n new paths in dir, in the order of paths (free with
 * set_tags_copy_free), and *st is filled. On failure *out is NULL, err
 * says why (naming the file and the attribute) and *retryable whether
 * another attempt may succeed (a full disk may pass; a value that breaks
 * its VR will not). MC_ECONFIG (the list), MC_EINVAL, MC_EPARSE, MC_EIO,
 * MC_ENOMEM. */
MC_NODISCARD mc_err set_tags_copy(const char *list_json, const char *dir,
    char *const *paths, size_t n, char ***out, set_tags_stats *st,
    bool *retryable, char *err, size_t errlen);

void set_tags_copy_free(char **paths, size_t n); /* NULL: no-op */

#endif
