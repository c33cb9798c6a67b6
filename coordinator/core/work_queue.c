/* work_queue.c - the hand-over between threads (the loop owns the state,
 * other threads hand it work through this queue): a
 * mutex-protected FIFO of intrusive nodes and an eventfd that is readable
 * exactly while the list is not empty.
 *
 * Design notes: the eventfd is written on the empty -> non-empty edge
 * only and drained when a pop empties the list, both under the mutex, so
 * the fd's readability always matches the list and a wakeup is never
 * lost (a reader that sees the fd readable finds an item, a reader that
 * empties the list also clears the fd). */
#include "core/work_queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct work_queue {
	pthread_mutex_t mu;
	work_node      *head, *tail;
	size_t          len;
	int             efd;
	work_free_fn    free_fn;
};

mc_err
work_queue_create(work_free_fn free_fn, work_queue **out)
{
	work_queue *q = calloc(1, sizeof(*q));

	*out = NULL;
	if (q == NULL)
		return MC_ENOMEM;
	q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->efd < 0) {
		mc_err rv = mc_from_errno(errno);
		free(q);
		return rv;
	}
	if (pthread_mutex_init(&q->mu, NULL) != 0) {
		close(q->efd);
		free(q);
		return MC_ENOMEM;
	}
	q->free_fn = free_fn;
	*out = q;
	return MC_OK;
}

void
work_queue_destroy(work_queue *q)
{
	work_node *n, *next;

	if (q == NULL)
		return;
	for (n = q->head; n != NULL; n = next) {
		next = n->next;
		if (q->free_fn != NULL)
			q->free_fn(n);
	}
	pthread_mutex_destroy(&q->mu);
	close(q->efd);
	free(q);
}

int
work_queue_fd(const work_queue *q)
{
	return q->efd;
}

void
work_queue_push(work_queue *q, work_node *n)
{
	uint64_t one = 1;

	n->next = NULL;
	pthread_mutex_lock(&q->mu);
	if (q->tail != NULL)
		q->tail->next = n;
	else
		q->head = n;
	q->tail = n;
	if (q->len++ == 0) {
		/* the counter cannot overflow: it is drained at every empty */
		(void) !write(q->efd, &one, sizeof(one));
	}
	pthread_mutex_unlock(&q->mu);
}

work_node *
work_queue_pop(work_queue *q)
{
	work_node *n;
	uint64_t   v;

	pthread_mutex_lock(&q->mu);
	n = q->head;
	if (n != NULL) {
		q->head = n->next;
		if (q->head == NULL)
			q->tail = NULL;
		n->next = NULL;
		q->len--;
	}
	if (q->len == 0)
		(void) !read(q->efd, &v, sizeof(v));
	pthread_mutex_unlock(&q->mu);
	return n;
}

size_t
work_queue_len(work_queue *q)
{
	size_t n;

	pthread_mutex_lock(&q->mu);
	n = q->len;
	pthread_mutex_unlock(&q->mu);
	return n;
}
