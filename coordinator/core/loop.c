/* loop.c - epoll plus a binary min-heap of timers. Timer ids are carried
 * instead of pointers, so cancelling a timer that already fired is a
 * harmless no-op (nng's id-map idea). */
#include "core/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define LOOP_MAX_EVENTS 64
#define LOOP_FD_MAX 1024

typedef struct fd_handler {
	loop_fd_fn fn;
	void      *arg;
} fd_handler;

typedef struct timer {
	int64_t       due_ms;
	uint64_t      id;
	loop_timer_fn fn;
	void         *arg;
} timer;

struct loop {
	int          ep;
	fd_handler   fds[LOOP_FD_MAX];
	timer       *heap;
	size_t       n, cap;
	uint64_t     next_id;
	loop_hook_fn before;
	void        *before_arg;
	int          stopped;
};

int64_t
loop_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

mc_err
loop_create(loop **out)
{
	loop *l = calloc(1, sizeof(*l));

	*out = NULL;
	if (l == NULL)
		return MC_ENOMEM;
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	if (l->ep < 0) {
		free(l);
		return mc_from_errno(errno);
	}
	l->next_id = 1;
	*out = l;
	return MC_OK;
}

void
loop_destroy(loop *l)
{
	if (l == NULL)
		return;
	close(l->ep);
	free(l->heap);
	free(l);
}

mc_err
loop_add_fd(loop *l, int fd, loop_fd_fn fn, void *arg)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};

	if (fd < 0 || fd >= LOOP_FD_MAX)
		return MC_EINVAL;
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) != 0)
		return mc_from_errno(errno);
	l->fds[fd] = (fd_handler){fn, arg};
	return MC_OK;
}

void
loop_remove_fd(loop *l, int fd)
{
	if (fd < 0 || fd >= LOOP_FD_MAX)
		return;
	epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
	l->fds[fd] = (fd_handler){NULL, NULL};
}

static void
heap_swap(timer *a, timer *b)
{
	timer t = *a;
	*a = *b;
	*b = t;
}

static void
heap_up(loop *l, size_t i)
{
	while (i > 0 && l->heap[(i - 1) / 2].due_ms > l->heap[i].due_ms) {
		heap_swap(&l->heap[(i - 1) / 2], &l->heap[i]);
		i = (i - 1) / 2;
	}
}

static void
heap_down(loop *l, size_t i)
{
	for (;;) {
		size_t m = i, a = 2 * i + 1, b = 2 * i + 2;
		if (a < l->n && l->heap[a].due_ms < l->heap[m].due_ms)
			m = a;
		if (b < l->n && l->heap[b].due_ms < l->heap[m].due_ms)
			m = b;
		if (m == i)
			return;
		heap_swap(&l->heap[m], &l->heap[i]);
		i = m;
	}
}

static void
heap_remove_at(loop *l, size_t i)
{
	l->heap[i] = l->heap[--l->n];
	if (i < l->n) {
		heap_down(l, i);
		heap_up(l, i);
	}
}

/* heap_reserve - room for one more timer */
static mc_err
heap_reserve(loop *l)
{
	size_t cap;
	timer *h;

	if (l->n < l->cap)
		return MC_OK;
	cap = l->cap ? l->cap * 2 : 16;
	if ((h = realloc(l->heap, cap * sizeof(*h))) == NULL)
		return MC_ENOMEM;
	l->heap = h;
	l->cap = cap;
	return MC_OK;
}

/* heap_push - add t; heap_reserve() made room */
static void
heap_push(loop *l, const timer *t)
{
	l->heap[l->n++] = *t;
	heap_up(l, l->n - 1);
}

mc_err
loop_add_timer(
    loop *l, int64_t delay_ms, loop_timer_fn fn, void *arg, uint64_t *id)
{
	timer t = {loop_now_ms() + (delay_ms > 0 ? delay_ms : 0), 0, fn, arg};

	if (heap_reserve(l) != MC_OK)
		return MC_ENOMEM;
	t.id = l->next_id++;
	if (id)
		*id = t.id;
	heap_push(l, &t);
	return MC_OK;
}

void
loop_cancel_timer(loop *l, uint64_t id)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->heap[i].id == id) {
			heap_remove_at(l, i);
			return;
		}
}

void
loop_set_before_sleep(loop *l, loop_hook_fn fn, void *arg)
{
	l->before = fn;
	l->before_arg = arg;
}

void
loop_stop(loop *l)
{
	l->stopped = 1;
}

static void
run_due_timers(loop *l)
{
	int64_t now = loop_now_ms();

	while (l->n > 0 && l->heap[0].due_ms <= now) {
		timer   t = l->heap[0];
		int64_t next;

		heap_remove_at(l, 0);
		next = t.fn(l, t.arg);
		/* re-arm under the same id, so a holder can cancel; the heap
		 * may have filled up meanwhile (fn may add timers) */
		if (next != LOOP_TIMER_DONE && heap_reserve(l) == MC_OK) {
			t.due_ms = loop_now_ms() + next;
			heap_push(l, &t);
		}
	}
}

mc_err
loop_run(loop *l, volatile sig_atomic_t *stop)
{
	struct epoll_event evs[LOOP_MAX_EVENTS];

	l->stopped = 0;
	while (!l->stopped && !(stop && *stop)) {
		int timeout = -1, n;

		if (l->before)
			l->before(l, l->before_arg);
		if (l->n > 0) {
			int64_t d = l->heap[0].due_ms - loop_now_ms();
			timeout = d < 0 ? 0 : (d > 1000 ? 1000 : (int) d);
		} else {
			timeout = 1000;
		}
		n = epoll_wait(l->ep, evs, LOOP_MAX_EVENTS, timeout);
		if (n < 0 && errno != EINTR)
			return mc_from_errno(errno);
		for (int i = 0; i < n; i++) {
			fd_handler *h = &l->fds[evs[i].data.fd];
			if (h->fn)
				h->fn(l, evs[i].data.fd, h->arg);
		}
		run_due_timers(l);
	}
	return MC_OK;
}
