/* loop_test.c - the coordinator's event loop: timers fire in deadline
 * order whatever order they were added in, re-arm under their id, and
 * stay dead once cancelled; fd handlers are level-triggered and can be
 * removed; the before-sleep hook runs once before each wait; loop_stop,
 * the stop flag and a signal end the run. Deadlines are a few ms apart
 * and every wait is bounded by a stop timer, so a loaded host changes
 * when things fire, never the order that is asserted. */
#include <check.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "check_main.h"

#include "core/loop.h"

#define STEP_MS 5         /* between two deadlines that must not swap */
#define N_ORDERED 40      /* past the heap's first two growths (16, 32) */
#define HEAP_FIRST_CAP 16 /* loop.c's first heap allocation */
#define SAFETY_MS 2000    /* a run that should have ended by now */
#define LOG_MAX 128
#define ADD_ATTEMPTS 20 /* a host too busy to add timers quickly */
#define TAG_PAST 100    /* the timer added with a delay in the past */

static loop *l;

/* what fired, in order */
static int    fired[LOG_MAX];
static size_t n_fired;

static void
setup(void)
{
	ck_assert_int_eq(loop_create(&l), MC_OK);
	n_fired = 0;
}

static void
teardown(void)
{
	loop_destroy(l);
	loop_destroy(NULL);
}

/* fresh_loop - drop l with every timer in it for a new one */
static void
fresh_loop(void)
{
	loop_destroy(l);
	ck_assert_int_eq(loop_create(&l), MC_OK);
}

static void
note(int what)
{
	ck_assert_uint_lt(n_fired, LOG_MAX);
	fired[n_fired++] = what;
}

/* a timer whose arg is its tag (an int in a pointer) */
static int64_t
on_tag(loop *lp, void *arg)
{
	(void) lp;
	note((int) (intptr_t) arg);
	return LOOP_TIMER_DONE;
}

static int64_t
on_stop(loop *lp, void *arg)
{
	(void) arg;
	loop_stop(lp);
	return LOOP_TIMER_DONE;
}

static uint64_t
add_tag(int64_t delay_ms, int tag)
{
	uint64_t id = 0;

	ck_assert_int_eq(
	    loop_add_timer(l, delay_ms, on_tag, (void *) (intptr_t) tag, &id),
	    MC_OK);
	ck_assert_uint_gt(id, 0);
	return id;
}

/* run_until - run until a timer or handler stops the loop, or at the
 * latest stop_ms from now */
static void
run_until(int64_t stop_ms)
{
	ck_assert_int_eq(
	    loop_add_timer(l, stop_ms, on_stop, NULL, NULL), MC_OK);
	ck_assert_int_eq(loop_run(l, NULL), MC_OK);
}

/* add_slots - one timer per slot in order[0..n), slot s due s * STEP_MS
 * from now and tagged s; ids[s] its id. The deadlines keep slot order
 * only when adding them all took less than STEP_MS, so a host too busy
 * for that gets a fresh loop and a retry. */
static void
add_slots(const int *order, size_t n, uint64_t *ids)
{
	for (int attempt = 0; attempt < ADD_ATTEMPTS; attempt++) {
		int64_t t0 = loop_now_ms();

		for (size_t i = 0; i < n; i++)
			ids[order[i]] = add_tag(order[i] * STEP_MS, order[i]);
		if (loop_now_ms() - t0 < STEP_MS)
			return;
		fresh_loop();
	}
	ck_abort_msg("adding timers took over %d ms every time", STEP_MS);
}

/* add_scrambled - N_ORDERED slots, i * 17 mod 40 visiting every slot once */
static void
add_scrambled(uint64_t ids[N_ORDERED])
{
	int order[N_ORDERED];

	for (int i = 0; i < N_ORDERED; i++)
		order[i] = (i * 17) % N_ORDERED;
	add_slots(order, N_ORDERED, ids);
}

START_TEST(timers_fire_in_deadline_order_whatever_the_order_added)
{
	uint64_t ids[N_ORDERED];

	add_scrambled(ids);
	run_until((N_ORDERED + 2) * STEP_MS);
	ck_assert_uint_eq(n_fired, N_ORDERED);
	for (int i = 0; i < N_ORDERED; i++)
		ck_assert_int_eq(fired[i], i);
}
END_TEST

START_TEST(cancelling_anywhere_in_the_heap_keeps_the_rest_in_order)
{
	uint64_t ids[N_ORDERED];
	int      expect = 0;

	add_scrambled(ids);
	for (int slot = 0; slot < N_ORDERED; slot += 3)
		loop_cancel_timer(l, ids[slot]);
	run_until((N_ORDERED + 2) * STEP_MS);
	ck_assert_uint_eq(n_fired, N_ORDERED - (N_ORDERED + 2) / 3);
	for (size_t i = 0; i < n_fired; i++) {
		if (expect % 3 == 0)
			expect++;
		ck_assert_int_eq(fired[i], expect);
		expect++;
	}
}
END_TEST

/* This order puts slot 2 last in the heap's array, below slot 4's
 * parent: cancelling 4 moves 2 into a place where it has to rise. */
START_TEST(a_timer_moved_by_a_cancel_rises_to_its_place)
{
	static const int order[] = {0, 3, 1, 4, 5, 6, 2};
	static const int expect[] = {0, 1, 2, 3, 5, 6};
	uint64_t         ids[7];

	add_slots(order, 7, ids);
	loop_cancel_timer(l, ids[4]);
	run_until(8 * STEP_MS);
	ck_assert_uint_eq(n_fired, 6);
	for (size_t i = 0; i < 6; i++)
		ck_assert_int_eq(fired[i], expect[i]);
}
END_TEST

START_TEST(timers_due_at_the_same_time_each_fire_once_before_later_ones)
{
	int  seen[20] = {0};
	bool quick = false;

	/* as in add_slots: "now" and "later" stay apart only if adding is
	 * quicker than the gap */
	for (int attempt = 0; attempt < ADD_ATTEMPTS && !quick; attempt++) {
		int64_t t0 = loop_now_ms();

		fresh_loop();
		for (int i = 0; i < 10; i++) {
			add_tag(0, i);
			add_tag(4 * STEP_MS, 10 + i);
		}
		add_tag(-5000, TAG_PAST); /* a delay in the past means now */
		quick = loop_now_ms() - t0 < 4 * STEP_MS;
	}
	ck_assert(quick);
	run_until(8 * STEP_MS);
	ck_assert_uint_eq(n_fired, 21);
	for (size_t i = 0; i < n_fired; i++) {
		if (fired[i] == TAG_PAST) {
			ck_assert_uint_lt(i, 11);
			continue;
		}
		ck_assert_int_eq(seen[fired[i]]++, 0);
		/* the ten due now all come before the ten due later */
		ck_assert((fired[i] < 10) == (i < 11));
	}
}
END_TEST

static uint64_t cancel_target;

static int64_t
on_cancel_other(loop *lp, void *arg)
{
	loop_cancel_timer(lp, cancel_target);
	note((int) (intptr_t) arg);
	return LOOP_TIMER_DONE;
}

START_TEST(a_cancelled_timer_never_fires_and_stale_ids_are_harmless)
{
	uint64_t a, b, d;

	ck_assert_int_eq(loop_add_timer(l, STEP_MS, on_cancel_other,
	                     (void *) (intptr_t) 1, &a),
	    MC_OK);
	b = add_tag(2 * STEP_MS, 2);
	cancel_target = add_tag(3 * STEP_MS, 3); /* cancelled by a */
	d = add_tag(4 * STEP_MS, 4);
	ck_assert(a < b && b < cancel_target && cancel_target < d);
	loop_cancel_timer(l, b);
	run_until(8 * STEP_MS);
	ck_assert_uint_eq(n_fired, 2);
	ck_assert_int_eq(fired[0], 1);
	ck_assert_int_eq(fired[1], 4);
	/* fired, cancelled, never issued: all ignored */
	loop_cancel_timer(l, a);
	loop_cancel_timer(l, b);
	loop_cancel_timer(l, d);
	loop_cancel_timer(l, d + 1000);
	loop_cancel_timer(l, 0);
	add_tag(0, 5);
	run_until(2 * STEP_MS);
	ck_assert_uint_eq(n_fired, 3);
	ck_assert_int_eq(fired[2], 5);
}
END_TEST

static int     periodic_calls, periodic_limit;
static int64_t periodic_at[8]; /* when the first calls came */

/* runs periodic_limit times, then stops the loop */
static int64_t
on_periodic(loop *lp, void *arg)
{
	(void) arg;
	if (periodic_calls < 8)
		periodic_at[periodic_calls] = loop_now_ms();
	if (++periodic_calls < periodic_limit)
		return STEP_MS;
	loop_stop(lp);
	return LOOP_TIMER_DONE;
}

static uint64_t periodic_id;
static int      calls_at_cancel;

static int64_t
on_cancel_periodic(loop *lp, void *arg)
{
	(void) arg;
	loop_cancel_timer(lp, periodic_id);
	calls_at_cancel = periodic_calls;
	return LOOP_TIMER_DONE;
}

START_TEST(a_timer_returning_a_delay_runs_again_until_it_returns_done)
{
	periodic_calls = 0;
	periodic_limit = 4;
	ck_assert_int_eq(loop_add_timer(l, 0, on_periodic, NULL, NULL), MC_OK);
	run_until(SAFETY_MS);
	ck_assert_int_eq(periodic_calls, 4);
	for (int i = 1; i < 4; i++) /* each after the delay it returned */
		ck_assert_int_ge(periodic_at[i] - periodic_at[i - 1], STEP_MS);
	run_until(4 * STEP_MS); /* done means done */
	ck_assert_int_eq(periodic_calls, 4);
}
END_TEST

START_TEST(a_rearmed_timer_keeps_its_id_so_it_can_still_be_cancelled)
{
	periodic_calls = 0;
	periodic_limit = 1000000;
	ck_assert_int_eq(
	    loop_add_timer(l, 0, on_periodic, NULL, &periodic_id), MC_OK);
	ck_assert_int_eq(
	    loop_add_timer(l, 4 * STEP_MS, on_cancel_periodic, NULL, NULL),
	    MC_OK);
	run_until(12 * STEP_MS);
	ck_assert_int_ge(calls_at_cancel, 1);
	ck_assert_int_eq(periodic_calls, calls_at_cancel);
}
END_TEST

/* the full-heap case: the timer that fires adds one, so re-arming it
 * finds the heap full and has to grow it */
static uint64_t grow_added_id;
static int      grow_calls;

static int64_t
on_grow(loop *lp, void *arg)
{
	(void) arg;
	if (grow_calls++ == 0) {
		ck_assert_int_eq(loop_add_timer(lp, SAFETY_MS * 10, on_tag,
		                     NULL, &grow_added_id),
		    MC_OK);
		loop_stop(lp);
	}
	return 2 * STEP_MS;
}

START_TEST(rearming_into_a_full_heap_keeps_the_id_and_reuses_none)
{
	uint64_t ids[HEAP_FIRST_CAP], grow_id, later;

	grow_calls = 0;
	ck_assert_int_eq(loop_add_timer(l, 0, on_grow, NULL, &grow_id), MC_OK);
	for (int i = 1; i < HEAP_FIRST_CAP; i++)
		ids[i] = add_tag(SAFETY_MS * 10, i);
	ck_assert_int_eq(loop_run(l, NULL), MC_OK);
	ck_assert_int_eq(grow_calls, 1);
	later = add_tag(SAFETY_MS * 10, 99);
	ck_assert_uint_gt(later, grow_added_id);
	ck_assert_uint_ne(later, grow_id);
	for (int i = 1; i < HEAP_FIRST_CAP; i++)
		ck_assert_uint_ne(later, ids[i]);
	/* cancelled under its first id, it does not come back */
	loop_cancel_timer(l, grow_id);
	run_until(6 * STEP_MS);
	ck_assert_int_eq(grow_calls, 1);
	ck_assert_uint_eq(n_fired, 0);
}
END_TEST

/* ---- file events -------------------------------------------------- */

typedef struct fd_ctx {
	int    fds[2]; /* a pipe: read end, write end */
	int    calls, seen_fd;
	void  *seen_arg;
	size_t bytes;
	int    read_per_call; /* 0: drain */
	int    stop_after;
	int    remove_after;
} fd_ctx;

static void
pipe_open(fd_ctx *c)
{
	memset(c, 0, sizeof(*c));
	ck_assert_int_eq(pipe(c->fds), 0);
}

static void
pipe_close(fd_ctx *c)
{
	close(c->fds[0]);
	close(c->fds[1]);
}

static void
put_bytes(fd_ctx *c, size_t n)
{
	char buf[16] = {0};

	ck_assert_uint_le(n, sizeof(buf));
	ck_assert_int_eq(write(c->fds[1], buf, n), (ssize_t) n);
}

static void
on_readable(loop *lp, int fd, void *arg)
{
	fd_ctx *c = arg;
	char    buf[64];
	ssize_t got;
	size_t  want =
            c->read_per_call ? (size_t) c->read_per_call : sizeof(buf);

	c->calls++;
	c->seen_fd = fd;
	c->seen_arg = arg;
	got = read(fd, buf, want);
	if (got > 0)
		c->bytes += (size_t) got;
	note('F');
	if (c->calls == c->remove_after)
		loop_remove_fd(lp, fd);
	if (c->calls == c->stop_after)
		loop_stop(lp);
}

/* watch - c's read end in the loop, and bytes waiting in the pipe */
static void
watch(fd_ctx *c, size_t bytes)
{
	ck_assert_int_eq(loop_add_fd(l, c->fds[0], on_readable, c), MC_OK);
	put_bytes(c, bytes);
}

static void
on_readable_other(loop *lp, int fd, void *arg)
{
	(void) lp;
	(void) fd;
	(void) arg;
	ck_abort_msg("a refused registration replaced the handler");
}

START_TEST(a_readable_fd_calls_its_handler_with_the_fd_and_arg)
{
	fd_ctx c;

	pipe_open(&c);
	c.stop_after = 1;
	watch(&c, 3);
	run_until(SAFETY_MS);
	ck_assert_int_eq(c.calls, 1);
	ck_assert_int_eq(c.seen_fd, c.fds[0]);
	ck_assert_ptr_eq(c.seen_arg, &c);
	ck_assert_uint_eq(c.bytes, 3);
	pipe_close(&c);
}
END_TEST

START_TEST(an_fd_stays_readable_until_drained)
{
	fd_ctx c;

	pipe_open(&c);
	c.read_per_call = 1;
	c.stop_after = 3;
	watch(&c, 3);
	run_until(SAFETY_MS);
	ck_assert_int_eq(c.calls, 3);
	ck_assert_uint_eq(c.bytes, 3);
	pipe_close(&c);
}
END_TEST

START_TEST(a_removed_fd_is_not_watched_even_with_data_left)
{
	fd_ctx c;

	pipe_open(&c);
	c.read_per_call = 1;
	c.remove_after = 1;
	watch(&c, 3);
	run_until(10 * STEP_MS);
	ck_assert_int_eq(c.calls, 1);
	ck_assert_uint_eq(c.bytes, 1);
	/* removing what is not there is harmless */
	loop_remove_fd(l, c.fds[0]);
	loop_remove_fd(l, -1);
	loop_remove_fd(l, 1 << 20);
	/* and it can be watched again */
	c.stop_after = 2;
	c.remove_after = 0;
	ck_assert_int_eq(loop_add_fd(l, c.fds[0], on_readable, &c), MC_OK);
	run_until(SAFETY_MS);
	ck_assert_int_eq(c.calls, 2);
	ck_assert_uint_eq(c.bytes, 2);
	pipe_close(&c);
}
END_TEST

static fd_ctx *pair[2];

/* removes the other fd of the pair: both are ready in the same wait */
static void
on_readable_remove_other(loop *lp, int fd, void *arg)
{
	fd_ctx *c = arg, *other = c == pair[0] ? pair[1] : pair[0];

	on_readable(lp, fd, arg);
	loop_remove_fd(lp, other->fds[0]);
}

START_TEST(an_fd_removed_by_another_handler_is_not_called_that_round)
{
	fd_ctx a, b;

	pipe_open(&a);
	pipe_open(&b);
	pair[0] = &a;
	pair[1] = &b;
	ck_assert_int_eq(
	    loop_add_fd(l, a.fds[0], on_readable_remove_other, &a), MC_OK);
	ck_assert_int_eq(
	    loop_add_fd(l, b.fds[0], on_readable_remove_other, &b), MC_OK);
	put_bytes(&a, 1);
	put_bytes(&b, 1);
	run_until(10 * STEP_MS);
	ck_assert_int_eq(a.calls + b.calls, 1);
	pipe_close(&a);
	pipe_close(&b);
}
END_TEST

START_TEST(bad_or_doubled_fds_are_refused_and_change_nothing)
{
	fd_ctx c;

	pipe_open(&c);
	ck_assert_int_eq(loop_add_fd(l, -1, on_readable, &c), MC_EINVAL);
	ck_assert_int_eq(loop_add_fd(l, 1 << 20, on_readable, &c), MC_EINVAL);
	c.stop_after = 1;
	ck_assert_int_eq(loop_add_fd(l, c.fds[0], on_readable, &c), MC_OK);
	ck_assert_int_ne(
	    loop_add_fd(l, c.fds[0], on_readable_other, NULL), MC_OK);
	put_bytes(&c, 1);
	run_until(SAFETY_MS);
	ck_assert_int_eq(c.calls, 1);
	ck_assert_ptr_eq(c.seen_arg, &c);
	pipe_close(&c);
}
END_TEST

/* ---- before-sleep hook and stopping --------------------------------- */

static int hook_calls;

/* the hook wakes the loop itself through the pipe, three times */
static void
on_before_sleep(loop *lp, void *arg)
{
	fd_ctx *c = arg;

	hook_calls++;
	note('H');
	put_bytes(c, 1);
	if (hook_calls == 3)
		loop_stop(lp);
}

START_TEST(the_before_sleep_hook_runs_once_before_each_wait)
{
	fd_ctx c;

	pipe_open(&c);
	hook_calls = 0;
	ck_assert_int_eq(loop_add_fd(l, c.fds[0], on_readable, &c), MC_OK);
	loop_set_before_sleep(l, on_before_sleep, &c);
	ck_assert_int_eq(
	    loop_add_timer(l, SAFETY_MS, on_stop, NULL, NULL), MC_OK);
	ck_assert_int_eq(loop_run(l, NULL), MC_OK);
	ck_assert_int_eq(hook_calls, 3);
	ck_assert_uint_eq(n_fired, 6);
	for (size_t i = 0; i < n_fired; i++)
		ck_assert_int_eq(fired[i], i % 2 == 0 ? 'H' : 'F');
	/* no hook: the loop runs without one */
	loop_set_before_sleep(l, NULL, NULL);
	add_tag(0, 7);
	run_until(2 * STEP_MS);
	ck_assert_int_eq(hook_calls, 3);
	ck_assert_int_eq(fired[n_fired - 1], 7);
	pipe_close(&c);
}
END_TEST

static volatile sig_atomic_t stop_flag;

static int64_t
on_set_flag(loop *lp, void *arg)
{
	(void) lp;
	(void) arg;
	stop_flag = 1;
	return LOOP_TIMER_DONE;
}

static void
on_count_hook(loop *lp, void *arg)
{
	(void) lp;
	(void) arg;
	hook_calls++;
}

START_TEST(the_stop_flag_or_loop_stop_end_a_run_and_the_next_runs_anew)
{
	hook_calls = 0;
	stop_flag = 0;
	loop_set_before_sleep(l, on_count_hook, NULL);
	ck_assert_int_eq(
	    loop_add_timer(l, STEP_MS, on_set_flag, NULL, NULL), MC_OK);
	ck_assert_int_eq(loop_run(l, &stop_flag), MC_OK);
	ck_assert_int_ge(hook_calls, 1);
	/* a flag already set: not even the hook runs */
	hook_calls = 0;
	ck_assert_int_eq(loop_run(l, &stop_flag), MC_OK);
	ck_assert_int_eq(hook_calls, 0);
	/* loop_stop ends one run; the next one starts afresh */
	stop_flag = 0;
	run_until(STEP_MS);
	add_tag(0, 8);
	run_until(2 * STEP_MS);
	ck_assert_uint_eq(n_fired, 1);
	ck_assert_int_eq(fired[0], 8);
}
END_TEST

static void
on_alarm(int sig)
{
	(void) sig;
	stop_flag = 1;
}

START_TEST(a_signal_interrupts_the_wait_so_the_flag_is_seen_at_once)
{
	struct sigaction sa;
	struct itimerval it = {{0, 0}, {0, 20 * 1000}};
	int64_t          t0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: epoll_wait sees EINTR */
	ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);
	stop_flag = 0;
	t0 = loop_now_ms();
	ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
	/* nothing to wait for: without the signal this waits a second */
	ck_assert_int_eq(loop_run(l, &stop_flag), MC_OK);
	ck_assert_int_lt(loop_now_ms() - t0, 500);
	ck_assert_int_eq(stop_flag, 1);
}
END_TEST

START_TEST(now_ms_never_goes_back_and_follows_the_clock)
{
	int64_t a = loop_now_ms(), b;

	usleep(20 * 1000);
	b = loop_now_ms();
	ck_assert_int_ge(b - a, 19);
	ck_assert_int_le(loop_now_ms() - b, 1000);
	ck_assert_int_ge(loop_now_ms(), b);
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("loop");
	const TTest *timers[] = {
	    timers_fire_in_deadline_order_whatever_the_order_added,
	    cancelling_anywhere_in_the_heap_keeps_the_rest_in_order,
	    a_timer_moved_by_a_cancel_rises_to_its_place,
	    timers_due_at_the_same_time_each_fire_once_before_later_ones,
	    a_cancelled_timer_never_fires_and_stale_ids_are_harmless,
	    a_timer_returning_a_delay_runs_again_until_it_returns_done,
	    a_rearmed_timer_keeps_its_id_so_it_can_still_be_cancelled,
	    rearming_into_a_full_heap_keeps_the_id_and_reuses_none,
	    now_ms_never_goes_back_and_follows_the_clock, NULL};
	const TTest *fds[] = {
	    a_readable_fd_calls_its_handler_with_the_fd_and_arg,
	    an_fd_stays_readable_until_drained,
	    a_removed_fd_is_not_watched_even_with_data_left,
	    an_fd_removed_by_another_handler_is_not_called_that_round,
	    bad_or_doubled_fds_are_refused_and_change_nothing, NULL};
	const TTest *runs[] = {
	    the_before_sleep_hook_runs_once_before_each_wait,
	    the_stop_flag_or_loop_stop_end_a_run_and_the_next_runs_anew,
	    a_signal_interrupts_the_wait_so_the_flag_is_seen_at_once, NULL};

	mc_check_fixture_tcase(s, "timers", timers, setup, teardown);
	mc_check_fixture_tcase(s, "file events", fds, setup, teardown);
	mc_check_fixture_tcase(s, "hook and stop", runs, setup, teardown);
	return mc_check_run(s);
}
