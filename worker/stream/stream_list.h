/* stream_list.h - the incremental reader of a stream task's stream.list
 * (docs/tasks.md): the coordinator appends one line per instance, the
 * file's name in in/, after the link exists. Each poll reads what was
 * added since the last one and hands over the names of the complete
 * lines that are safe and new; a torn last line (a coordinator crash)
 * waits until its newline comes, duplicates are dropped, unsafe names
 * logged once and skipped. */
#ifndef MC_WORKER_STREAM_LIST_H
#define MC_WORKER_STREAM_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include "base/mc_err.h"

#define STREAM_LIST_NAME "stream.list"
#define STREAM_NAME_MAX_LEN 255

typedef struct stream_list stream_list;

/* stream_name_is_safe - name (len bytes) is 1..STREAM_NAME_MAX_LEN bytes
 * without '/' or NUL and does not start with '.': one file in in/. */
bool stream_name_is_safe(const char *name, size_t len);

/* stream_name_for_log - at most len - 1 bytes of name (n bytes) with
 * every byte outside printable ASCII, and '"' and '\\', as '?', so that
 * a hostile line cannot break a key=value log line. */
void stream_name_for_log(const char *name, size_t n, char *buf, size_t len);

/* stream_list_create - a reader of path (which may not exist yet: an
 * empty list so far); task (borrowed, for the logs) names the task. */
MC_NODISCARD mc_err stream_list_create(
    const char *path, const char *task, stream_list **out);
void stream_list_destroy(stream_list *s); /* NULL: no-op */

/* stream_list_poll - call fn(arg, name) for each new safe name of the
 * complete lines added since the last poll, in the file's order; name
 * is borrowed for the call. *n_new (may be NULL) counts the calls.
 * MC_OK also when the file does not exist; MC_ENOMEM, or a read error
 * (err filled) which a later poll may not have. */
typedef void (*stream_list_fn)(void *arg, const char *name);
MC_NODISCARD mc_err stream_list_poll(stream_list *s, stream_list_fn fn,
    void *arg, size_t *n_new, char *err, size_t errlen);

/* stream_list_skipped - the unsafe lines seen so far. */
size_t stream_list_skipped(const stream_list *s);

#endif
