/* work_queue.h - hand owned items from any thread to the loop thread (or
 * the other way): a mutex, an intrusive FIFO list and an eventfd that is
 * readable while the queue is not empty. Pushes coalesce wakeups, as
 * libuv's uv_async_send does; the reader pops until NULL. */
#ifndef MC_COORDINATOR_WORK_QUEUE_H
#define MC_COORDINATOR_WORK_QUEUE_H

#include <stddef.h>

#include "base/mc_err.h"

/* work_node - embed one in each item (any position; container_of style
 * is the caller's business). Owned by the queue while queued. */
typedef struct work_node {
	struct work_node *next;
} work_node;

typedef struct work_queue work_queue;

/* work_free_fn - frees one item still queued at destroy time. */
typedef void (*work_free_fn)(work_node *n);

/* work_queue_create - free_fn (may be NULL: items are left alone) is
 * called by destroy on every item still queued. On MC_OK *out is new,
 * freed with work_queue_destroy(); on error *out is NULL. Any thread. */
MC_NODISCARD mc_err work_queue_create(work_free_fn free_fn, work_queue **out);

/* work_queue_destroy - frees q and every item still queued. No other
 * thread may use q any more. NULL: no-op. */
void work_queue_destroy(work_queue *q);

/* work_queue_fd - readable (level) while items are queued; for epoll or
 * poll. Owned by q. */
int work_queue_fd(const work_queue *q);

/* work_queue_push - append n (taken). Never fails: the eventfd counter
 * only needs to be non-zero. Any thread. */
void work_queue_push(work_queue *q, work_node *n);

/* work_queue_pop - the oldest item (now the caller's), or NULL when the
 * queue is empty, in which case the fd is no longer readable. Any
 * thread. */
work_node *work_queue_pop(work_queue *q);

/* work_queue_len - items queued now (a snapshot). Any thread. */
size_t work_queue_len(work_queue *q);

#endif
