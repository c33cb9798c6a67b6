/* work_queue_test.c - the hand-over between threads: FIFO order, the fd
 * readable exactly while items wait, nothing lost or doubled when
 * several threads push at once, leftovers freed by destroy (or left to
 * their owner without a free function). */
#include <check.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "check_main.h"

#include "core/work_queue.h"

#define WQ_THREADS 4
#define WQ_PER_THREAD 20000

typedef struct item {
	work_node node; /* first: a work_node * is an item * */
	unsigned  producer, seq;
} item;

static bool
readable(const work_queue *q)
{
	struct pollfd p = {work_queue_fd(q), POLLIN, 0};

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static item *
item_new(unsigned producer, unsigned seq)
{
	item *it = calloc(1, sizeof(*it));

	ck_assert_ptr_nonnull(it);
	it->producer = producer;
	it->seq = seq;
	return it;
}

START_TEST(items_come_out_in_order_and_the_fd_follows_the_list)
{
	work_queue *q = NULL;
	item       *it;

	ck_assert_int_eq(work_queue_create(NULL, &q), MC_OK);
	ck_assert(!readable(q));
	ck_assert_ptr_null(work_queue_pop(q));
	for (unsigned i = 0; i < 3; i++)
		work_queue_push(q, &item_new(0, i)->node);
	ck_assert(readable(q));
	ck_assert_uint_eq(work_queue_len(q), 3);
	for (unsigned i = 0; i < 3; i++) {
		it = (item *) work_queue_pop(q);
		ck_assert_ptr_nonnull(it);
		ck_assert_uint_eq(it->seq, i);
		free(it);
		ck_assert(readable(q) == (i < 2));
	}
	ck_assert_ptr_null(work_queue_pop(q));
	work_queue_push(q, &item_new(0, 9)->node);
	ck_assert(readable(q));
	free(work_queue_pop(q));
	ck_assert(!readable(q));
	work_queue_destroy(q);
	work_queue_destroy(NULL);
}
END_TEST

static void *
producer(void *arg)
{
	work_queue *q = ((void **) arg)[0];
	unsigned    id = (unsigned) (size_t) ((void **) arg)[1];

	for (unsigned i = 0; i < WQ_PER_THREAD; i++)
		work_queue_push(q, &item_new(id, i)->node);
	return NULL;
}

START_TEST(concurrent_pushes_lose_nothing_and_keep_each_order)
{
	work_queue *q = NULL;
	pthread_t   th[WQ_THREADS];
	void       *args[WQ_THREADS][2];
	unsigned    next[WQ_THREADS] = {0};
	size_t      got = 0;

	ck_assert_int_eq(work_queue_create(NULL, &q), MC_OK);
	for (size_t i = 0; i < WQ_THREADS; i++) {
		args[i][0] = q;
		args[i][1] = (void *) i;
		ck_assert_int_eq(
		    pthread_create(&th[i], NULL, producer, args[i]), 0);
	}
	while (got < (size_t) WQ_THREADS * WQ_PER_THREAD) {
		struct pollfd p = {work_queue_fd(q), POLLIN, 0};
		item         *it;
		ck_assert_int_eq(
		    poll(&p, 1, 5000), 1); /* a wakeup never lost */
		while ((it = (item *) work_queue_pop(q)) != NULL) {
			ck_assert_uint_eq(it->seq, next[it->producer]);
			next[it->producer]++;
			got++;
			free(it);
		}
	}
	for (size_t i = 0; i < WQ_THREADS; i++)
		pthread_join(th[i], NULL);
	ck_assert(!readable(q));
	work_queue_destroy(q);
}
END_TEST

static unsigned freed;

static void
count_free(work_node *n)
{
	freed++;
	free(n);
}

START_TEST(destroy_frees_what_is_still_queued)
{
	work_queue *q = NULL;

	freed = 0;
	ck_assert_int_eq(work_queue_create(count_free, &q), MC_OK);
	for (unsigned i = 0; i < 5; i++)
		work_queue_push(q, &item_new(0, i)->node);
	free(work_queue_pop(q));
	work_queue_destroy(q);
	ck_assert_uint_eq(freed, 4);
}
END_TEST

START_TEST(len_counts_what_waits_and_a_null_free_fn_leaves_items_alone)
{
	work_queue *q = NULL;
	item        items[4]; /* on the stack: destroy must not free them */

	ck_assert_int_eq(work_queue_create(NULL, &q), MC_OK);
	ck_assert_uint_eq(work_queue_len(q), 0);
	for (unsigned i = 0; i < 4; i++) {
		items[i].producer = 7;
		items[i].seq = i;
		work_queue_push(q, &items[i].node);
		ck_assert_uint_eq(work_queue_len(q), i + 1);
	}
	ck_assert_ptr_eq(work_queue_pop(q), &items[0].node);
	ck_assert_ptr_null(items[0].node.next);
	ck_assert_uint_eq(work_queue_len(q), 3);
	work_queue_destroy(q);
	for (unsigned i = 0; i < 4; i++)
		ck_assert_uint_eq(items[i].seq, i);
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("work_queue");
	const TTest *hand_over[] = {
	    items_come_out_in_order_and_the_fd_follows_the_list,
	    concurrent_pushes_lose_nothing_and_keep_each_order,
	    destroy_frees_what_is_still_queued,
	    len_counts_what_waits_and_a_null_free_fn_leaves_items_alone, NULL};

	tcase_set_timeout(mc_check_tcase(s, "hand-over", hand_over), 30);
	return mc_check_run(s);
}
