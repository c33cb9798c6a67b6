/* tasks_test.c - which queued task starts next (docs/coordinator.md:
 * urgent before normal before off-peak, off-peak only in its window,
 * first come first served within a class) and how tasks_dispatch()
 * starts tasks up to the scheduler's limits, orphans a task the
 * scheduler answers MC_EAGAIN for and holds back one whose start failed.
 * A coord is assembled here with only what these functions read: the
 * task table, a stand-in scheduler, the off-peak window and the root. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "check_tmpdir.h"

#include "core/tasks_int.h"

#define NOW_MS 100000
#define MINUTES_PER_DAY (24 * 60)
#define SUBMITS_MAX 16
#define ANSWERS_MAX 8

/* a scheduler that starts nothing: it counts workers per kind against
 * a limit and answers submit() from a list */
typedef struct fake_sched {
	sched    base; /* first: a sched * is a fake_sched * */
	unsigned limit[2], running[2];
	char     ids[SUBMITS_MAX][MC_TASK_ID_LEN + 1];
	char     dirs[SUBMITS_MAX][MC_PATH_MAX];
	size_t   n_submits;
	mc_err   answers[ANSWERS_MAX]; /* MC_OK once they run out */
	size_t   n_answers;
} fake_sched;

static bool
fake_has_capacity(const sched *s, sched_kind kind)
{
	const fake_sched *f = (const fake_sched *) s;

	return f->running[kind] < f->limit[kind];
}

static mc_err
fake_submit(sched *s, const char *task_id, sched_kind kind, const char *dir)
{
	fake_sched *f = (fake_sched *) s;
	mc_err      rv =
            f->n_submits < f->n_answers ? f->answers[f->n_submits] : MC_OK;

	ck_assert_uint_lt(f->n_submits, SUBMITS_MAX);
	snprintf(f->ids[f->n_submits], sizeof(f->ids[0]), "%s", task_id);
	snprintf(f->dirs[f->n_submits], sizeof(f->dirs[0]), "%s", dir);
	f->n_submits++;
	if (rv == MC_OK)
		f->running[kind]++;
	return rv;
}

static unsigned
fake_running(const sched *s)
{
	const fake_sched *f = (const fake_sched *) s;

	return f->running[0] + f->running[1];
}

static void
fake_stop(sched *s)
{
	(void) s;
}

static const sched_ops fake_ops = {
    .size = sizeof(fake_sched),
    .has_capacity = fake_has_capacity,
    .submit = fake_submit,
    .running = fake_running,
    .stop = fake_stop,
};

static coord     *c;
static fake_sched fake;
static mc_config  cfg;

static void
setup(void)
{
	memset(&fake, 0, sizeof(fake));
	fake.base.ops = &fake_ops;
	fake.base.name = "fake";
	fake.limit[SCHED_KIND_DISPATCH] = 100;
	fake.limit[SCHED_KIND_PROCESS] = 100;
	memset(&cfg, 0, sizeof(cfg));
	cfg.offpeak_start_min = 22 * 60;
	cfg.offpeak_end_min = 6 * 60;
	ck_assert_ptr_nonnull(c = calloc(1, sizeof(*c)));
	c->sched = &fake.base;
	c->cfg = &cfg;
	mc_check_tmpdir_setup();
	snprintf(c->root, sizeof(c->root), "%s", mc_check_tmpdir);
}

static void
teardown(void)
{
	task_entry *t, *tmp;

	HASH_ITER(hh, c->tasks, t, tmp)
	{
		HASH_DEL(c->tasks, t);
		free(t);
	}
	free(c);
	mc_check_tmpdir_teardown();
}

/* add_task - a queued task as tasks_enqueue() leaves it */
static task_entry *
add_task(const char *id, const char *kind, config_priority prio,
    int64_t enqueued_ms)
{
	task_entry *t = calloc(1, sizeof(*t));

	ck_assert_ptr_nonnull(t);
	snprintf(t->id, sizeof(t->id), "%s", id);
	snprintf(t->meta.kind, sizeof(t->meta.kind), "%s", kind);
	t->meta.priority = prio;
	t->state = TASK_QUEUED;
	t->enqueued_ms = enqueued_ms;
	t->not_before_ms = enqueued_ms;
	HASH_ADD_STR(c->tasks, id, t);
	return t;
}

/* pick_id - the id tasks_pick() chooses, "" for none */
static const char *
pick_id(int64_t now, bool offpeak)
{
	task_entry *t = tasks_pick(c, now, offpeak);

	return t ? t->id : "";
}

/* start - what the dispatcher would do with the pick: mark it running */
static void
start(const char *id)
{
	task_entry *t = NULL;

	HASH_FIND_STR(c->tasks, id, t);
	ck_assert_ptr_nonnull(t);
	t->state = TASK_RUNNING;
}

/* assert_starts - tasks_pick() offers ids[] in this order when each is
 * started before the next pick, and then nothing */
static void
assert_starts(bool offpeak, const char *const *ids)
{
	for (size_t i = 0; ids[i] != NULL; i++) {
		ck_assert_str_eq(pick_id(NOW_MS, offpeak), ids[i]);
		start(ids[i]);
	}
	ck_assert_str_eq(pick_id(NOW_MS, offpeak), "");
}

START_TEST(an_empty_queue_offers_nothing)
{
	ck_assert_ptr_null(tasks_pick(c, NOW_MS, true));
	ck_assert_ptr_null(tasks_pick(c, NOW_MS, false));
}
END_TEST

START_TEST(urgent_goes_before_normal_and_normal_before_offpeak)
{
	add_task("off", "dispatch", CONFIG_PRIORITY_OFFPEAK, 1);
	add_task("normal", "dispatch", CONFIG_PRIORITY_NORMAL, 2);
	add_task("urgent", "dispatch", CONFIG_PRIORITY_URGENT, 3);
	assert_starts(true, (const char *[]){"urgent", "normal", "off", NULL});
}
END_TEST

START_TEST(within_a_class_the_earliest_enqueued_goes_first)
{
	add_task("c", "process", CONFIG_PRIORITY_NORMAL, 30);
	add_task("a", "process", CONFIG_PRIORITY_NORMAL, 10);
	add_task("d", "process", CONFIG_PRIORITY_URGENT, 40);
	add_task("b", "process", CONFIG_PRIORITY_NORMAL, 20);
	assert_starts(false, (const char *[]){"d", "a", "b", "c", NULL});
}
END_TEST

START_TEST(equal_enqueue_times_go_to_the_task_queued_first)
{
	task_entry *x = add_task("x", "dispatch", CONFIG_PRIORITY_NORMAL, 5);

	add_task("y", "dispatch", CONFIG_PRIORITY_NORMAL, 5);
	ck_assert_str_eq(pick_id(NOW_MS, false), "x");
	/* x leaves the table and comes back: now it is behind y */
	HASH_DEL(c->tasks, x);
	HASH_ADD_STR(c->tasks, id, x);
	ck_assert_str_eq(pick_id(NOW_MS, false), "y");
}
END_TEST

START_TEST(offpeak_tasks_wait_for_their_window)
{
	add_task("off1", "dispatch", CONFIG_PRIORITY_OFFPEAK, 1);
	add_task("off2", "process", CONFIG_PRIORITY_OFFPEAK, 2);
	ck_assert_str_eq(pick_id(NOW_MS, false), "");
	ck_assert_str_eq(pick_id(NOW_MS, true), "off1");
	add_task("late", "dispatch", CONFIG_PRIORITY_NORMAL, 50);
	ck_assert_str_eq(pick_id(NOW_MS, false), "late");
	ck_assert_str_eq(pick_id(NOW_MS, true), "late");
}
END_TEST

START_TEST(a_task_waiting_for_its_retry_is_passed_over_until_due)
{
	task_entry *a = add_task("a", "dispatch", CONFIG_PRIORITY_URGENT, 1);

	add_task("b", "dispatch", CONFIG_PRIORITY_NORMAL, 5);
	a->not_before_ms = NOW_MS + 1;
	ck_assert_str_eq(pick_id(NOW_MS, false), "b");
	ck_assert_str_eq(pick_id(NOW_MS + 1, false), "a");
	start("b");
	ck_assert_str_eq(pick_id(NOW_MS, false), "");
}
END_TEST

START_TEST(only_queued_tasks_are_offered)
{
	add_task("running", "dispatch", CONFIG_PRIORITY_URGENT, 1)->state =
	    TASK_RUNNING;
	add_task("waiting", "dispatch", CONFIG_PRIORITY_URGENT, 2)->state =
	    TASK_WAITING;
	add_task("orphan", "dispatch", CONFIG_PRIORITY_URGENT, 3)->state =
	    TASK_ORPHANED;
	ck_assert_str_eq(pick_id(NOW_MS, true), "");
	add_task("queued", "dispatch", CONFIG_PRIORITY_OFFPEAK, 9);
	ck_assert_str_eq(pick_id(NOW_MS, true), "queued");
}
END_TEST

START_TEST(a_kind_at_its_limit_is_passed_over_for_one_with_room)
{
	add_task("send", "dispatch", CONFIG_PRIORITY_URGENT, 1);
	add_task("both", "both", CONFIG_PRIORITY_NORMAL, 2);
	add_task("proc", "process", CONFIG_PRIORITY_NORMAL, 3);
	fake.limit[SCHED_KIND_DISPATCH] = 0;
	ck_assert_str_eq(pick_id(NOW_MS, false), "both");
	fake.limit[SCHED_KIND_PROCESS] = 0;
	ck_assert_str_eq(pick_id(NOW_MS, false), "");
	fake.limit[SCHED_KIND_DISPATCH] = 1;
	ck_assert_str_eq(pick_id(NOW_MS, false), "send");
}
END_TEST

START_TEST(picking_changes_nothing)
{
	task_entry *a = add_task("a", "dispatch", CONFIG_PRIORITY_NORMAL, 1);

	for (int i = 0; i < 3; i++)
		ck_assert_ptr_eq(tasks_pick(c, NOW_MS, false), a);
	ck_assert_int_eq(a->state, TASK_QUEUED);
	ck_assert_int_eq(a->not_before_ms, 1);
	ck_assert_uint_eq(HASH_COUNT(c->tasks), 1);
	ck_assert_uint_eq(fake.n_submits, 0);
}
END_TEST

/* count_offpeak_minutes - how many minutes of a day are in the window */
static unsigned
count_offpeak_minutes(void)
{
	unsigned n = 0;

	for (unsigned m = 0; m < MINUTES_PER_DAY; m++)
		n += tasks_offpeak_at(&cfg, m);
	return n;
}

START_TEST(the_offpeak_window_may_run_over_midnight)
{
	/* 22:00 to 06:00, the default */
	ck_assert(!tasks_offpeak_at(&cfg, 22 * 60 - 1));
	ck_assert(tasks_offpeak_at(&cfg, 22 * 60));
	ck_assert(tasks_offpeak_at(&cfg, MINUTES_PER_DAY - 1));
	ck_assert(tasks_offpeak_at(&cfg, 0));
	ck_assert(tasks_offpeak_at(&cfg, 6 * 60 - 1));
	ck_assert(!tasks_offpeak_at(&cfg, 6 * 60));
	ck_assert(!tasks_offpeak_at(&cfg, 12 * 60));
	ck_assert_uint_eq(count_offpeak_minutes(), 8 * 60);
	/* 01:00 to 02:00 */
	cfg.offpeak_start_min = 60;
	cfg.offpeak_end_min = 120;
	ck_assert(!tasks_offpeak_at(&cfg, 59));
	ck_assert(tasks_offpeak_at(&cfg, 60));
	ck_assert(tasks_offpeak_at(&cfg, 119));
	ck_assert(!tasks_offpeak_at(&cfg, 120));
	ck_assert_uint_eq(count_offpeak_minutes(), 60);
	/* start == end: never */
	cfg.offpeak_end_min = 60;
	ck_assert_uint_eq(count_offpeak_minutes(), 0);
	/* the whole day */
	cfg.offpeak_start_min = 0;
	cfg.offpeak_end_min = MINUTES_PER_DAY;
	ck_assert_uint_eq(count_offpeak_minutes(), MINUTES_PER_DAY);
}
END_TEST

START_TEST(dispatch_starts_in_order_until_the_scheduler_is_full)
{
	char dir[MC_PATH_MAX];

	add_task("n1", "dispatch", CONFIG_PRIORITY_NORMAL, 1);
	add_task("n2", "dispatch", CONFIG_PRIORITY_NORMAL, 2);
	add_task("u", "dispatch", CONFIG_PRIORITY_URGENT, 3);
	add_task("p", "process", CONFIG_PRIORITY_NORMAL, 4);
	fake.limit[SCHED_KIND_DISPATCH] = 2;
	fake.limit[SCHED_KIND_PROCESS] = 1;
	tasks_dispatch(c);
	ck_assert_uint_eq(fake.n_submits, 3);
	ck_assert_str_eq(fake.ids[0], "u");
	ck_assert_str_eq(fake.ids[1], "n1");
	ck_assert_str_eq(fake.ids[2], "p");
	ck_assert_int_eq(
	    sys_path_fmt(dir, sizeof(dir), "%s/tasks/u", c->root), MC_OK);
	ck_assert_str_eq(fake.dirs[0], dir);
	ck_assert_uint_eq(fake_running(&fake.base), 3);
	ck_assert_str_eq(pick_id(loop_now_ms(), false), "");
	/* a worker ends: the next one starts at the next dispatch */
	fake.running[SCHED_KIND_DISPATCH]--;
	tasks_dispatch(c);
	ck_assert_uint_eq(fake.n_submits, 4);
	ck_assert_str_eq(fake.ids[3], "n2");
}
END_TEST

START_TEST(eagain_orphans_the_task_and_dispatch_goes_on)
{
	task_entry *a = add_task("a", "dispatch", CONFIG_PRIORITY_NORMAL, 1);
	task_entry *b = add_task("b", "dispatch", CONFIG_PRIORITY_NORMAL, 2);

	fake.answers[0] = MC_EAGAIN;
	fake.n_answers = 1;
	tasks_dispatch(c);
	ck_assert_uint_eq(fake.n_submits, 2);
	ck_assert_int_eq(a->state, TASK_ORPHANED);
	ck_assert_int_eq(b->state, TASK_RUNNING);
	tasks_dispatch(c); /* an orphan is not offered again */
	ck_assert_uint_eq(fake.n_submits, 2);
}
END_TEST

START_TEST(a_failed_start_is_held_back_five_polls_and_dispatch_goes_on)
{
	task_entry *a = add_task("a", "dispatch", CONFIG_PRIORITY_URGENT, 1);
	task_entry *b = add_task("b", "dispatch", CONFIG_PRIORITY_NORMAL, 2);
	int64_t     t0, t1;

	fake.answers[0] = MC_EIO;
	fake.n_answers = 1;
	t0 = loop_now_ms();
	tasks_dispatch(c);
	t1 = loop_now_ms();
	ck_assert_uint_eq(fake.n_submits, 2);
	ck_assert_str_eq(fake.ids[0], "a");
	ck_assert_int_eq(a->state, TASK_QUEUED);
	ck_assert_int_ge(a->not_before_ms, t0 + 5 * COORD_TASK_POLL_MS);
	ck_assert_int_le(a->not_before_ms, t1 + 5 * COORD_TASK_POLL_MS);
	ck_assert_int_eq(b->state, TASK_RUNNING);
	ck_assert_str_eq(pick_id(t1, false), "");
	ck_assert_str_eq(pick_id(a->not_before_ms, false), "a");
}
END_TEST

START_TEST(dispatch_starts_offpeak_tasks_only_inside_the_window)
{
	task_entry *off =
	    add_task("off", "dispatch", CONFIG_PRIORITY_OFFPEAK, 1);

	cfg.offpeak_start_min = cfg.offpeak_end_min = 0; /* never */
	tasks_dispatch(c);
	ck_assert_uint_eq(fake.n_submits, 0);
	ck_assert_int_eq(off->state, TASK_QUEUED);
	cfg.offpeak_end_min = MINUTES_PER_DAY; /* always */
	tasks_dispatch(c);
	ck_assert_uint_eq(fake.n_submits, 1);
	ck_assert_int_eq(off->state, TASK_RUNNING);
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("tasks");
	const TTest *pick[] = {an_empty_queue_offers_nothing,
	    urgent_goes_before_normal_and_normal_before_offpeak,
	    within_a_class_the_earliest_enqueued_goes_first,
	    equal_enqueue_times_go_to_the_task_queued_first,
	    offpeak_tasks_wait_for_their_window,
	    a_task_waiting_for_its_retry_is_passed_over_until_due,
	    only_queued_tasks_are_offered,
	    a_kind_at_its_limit_is_passed_over_for_one_with_room,
	    picking_changes_nothing, the_offpeak_window_may_run_over_midnight,
	    NULL};
	const TTest *dispatch[] = {
	    dispatch_starts_in_order_until_the_scheduler_is_full,
	    eagain_orphans_the_task_and_dispatch_goes_on,
	    a_failed_start_is_held_back_five_polls_and_dispatch_goes_on,
	    dispatch_starts_offpeak_tasks_only_inside_the_window, NULL};

	mc_check_fixture_tcase(s, "pick", pick, setup, teardown);
	mc_check_fixture_tcase(s, "dispatch", dispatch, setup, teardown);
	return mc_check_run(s);
}
