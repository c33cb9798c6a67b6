/* stream_watch.h - waiting for a stream task's folder to change
 * (stream.list appended, stream.end created or moved in): inotify where
 * it works, and never longer than the poll interval, because inotify
 * sees nothing that another node writes to shared storage. */
#ifndef MC_WORKER_STREAM_WATCH_H
#define MC_WORKER_STREAM_WATCH_H

#include "base/mc_err.h"

#define STREAM_WATCH_POLL_MS 100

typedef struct stream_watch stream_watch;

/* stream_watch_open - watch dir; without inotify (or a watch) the wait
 * is the poll alone. MC_ENOMEM only. */
MC_NODISCARD mc_err stream_watch_open(const char *dir, stream_watch **out);
void                stream_watch_close(stream_watch *w); /* NULL: no-op */
/* stream_watch_wait - return after a change of the folder or after
 * STREAM_WATCH_POLL_MS, whichever comes first. */
void stream_watch_wait(stream_watch *w);

#endif
