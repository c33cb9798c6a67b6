/* series_table_test.c - the open series: one series per SeriesInstanceUID
 * with its first instance's tags, instances counted once by SOP Instance
 * UID, and the arrival order (oldest last arrival first) that the
 * completion timer relies on, through arrivals, forcing and removal. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "check_main.h"

#include "core/series_table.h"

#define T0 1000 /* monotonic ms of the first arrival */
#define MANY_SERIES 500

static series_table *t;

static void
setup(void)
{
	ck_assert_int_eq(series_table_create(&t), MC_OK);
}

static void
teardown(void)
{
	series_table_destroy(t);
}

/* arrive - instance sop of series uid (study "1.2"), size bytes, with a
 * tag Modality = modality when modality is not NULL. Returns the series;
 * *added says whether the instance was new. The instance's tags are
 * freed here when the table did not take them. */
static series *
arrive(const char *uid, const char *sop, uint64_t size, const char *modality,
    int64_t now_ms, bool *added)
{
	mc_instance in;
	series     *s = NULL;

	mc_instance_init(&in);
	mc_copy_text(in.study_uid, sizeof(in.study_uid), "1.2");
	mc_copy_text(in.series_uid, sizeof(in.series_uid), uid);
	mc_copy_text(in.sop_uid, sizeof(in.sop_uid), sop);
	snprintf(in.path, sizeof(in.path), "incoming/%s/%s.dcm", uid, sop);
	in.size = size;
	in.recv_time_us = now_ms * 1000;
	if (modality != NULL) {
		ck_assert_int_eq(mc_tagset_create(&in.tags), MC_OK);
		ck_assert_int_eq(
		    mc_tagset_set(in.tags, "Modality", modality), MC_OK);
	}
	ck_assert_int_eq(series_table_add(t, &in, now_ms, &s, added), MC_OK);
	ck_assert_ptr_nonnull(s);
	mc_instance_fini(&in);
	return s;
}

/* add_new - arrive() that must add a new instance */
static series *
add_new(const char *uid, const char *sop, int64_t now_ms)
{
	bool    added = false;
	series *s = arrive(uid, sop, 100, "MR", now_ms, &added);

	ck_assert(added);
	return s;
}

/* assert_order - the series UIDs from first to last, and the same
 * backwards through prev, with the count */
static void
assert_order(const char *const *uids, size_t n)
{
	size_t  i = 0;
	series *s, *last = NULL;

	ck_assert_uint_eq(series_table_count(t), n);
	for (s = series_table_first(t); s != NULL; s = series_next(s)) {
		ck_assert_uint_lt(i, n);
		ck_assert_str_eq(s->uid, uids[i]);
		ck_assert_ptr_eq(series_table_find(t, uids[i]), s);
		last = s;
		i++;
	}
	ck_assert_uint_eq(i, n);
	for (s = last; s != NULL; s = s->prev)
		ck_assert_str_eq(s->uid, uids[--i]);
	ck_assert_uint_eq(i, 0);
	ck_assert_ptr_eq(series_table_oldest(t), series_table_first(t));
}

START_TEST(an_empty_table_has_nothing_to_find_or_walk)
{
	ck_assert_uint_eq(series_table_count(t), 0);
	ck_assert_ptr_null(series_table_first(t));
	ck_assert_ptr_null(series_table_oldest(t));
	ck_assert_ptr_null(series_table_find(t, "1.2.3"));
	ck_assert_ptr_null(series_table_find(t, ""));
	series_table_destroy(NULL);
}
END_TEST

START_TEST(the_first_instance_makes_the_series_and_gives_it_its_tags)
{
	mc_instance      in;
	series          *s = NULL;
	series_instance *i;
	bool             added = false;
	mc_tagset       *tags;

	mc_instance_init(&in);
	mc_copy_text(in.study_uid, sizeof(in.study_uid), "1.2");
	mc_copy_text(in.series_uid, sizeof(in.series_uid), "1.2.3");
	mc_copy_text(in.sop_uid, sizeof(in.sop_uid), "1.2.3.1");
	mc_copy_text(in.path, sizeof(in.path), "incoming/1.2.3/a.dcm");
	in.size = 4096;
	in.recv_time_us = 1700000000000000;
	ck_assert_int_eq(mc_tagset_create(&in.tags), MC_OK);
	ck_assert_int_eq(mc_tagset_set(in.tags, "Modality", "MR"), MC_OK);
	tags = in.tags;
	ck_assert_int_eq(series_table_add(t, &in, T0, &s, &added), MC_OK);
	ck_assert(added);
	ck_assert_ptr_null(in.tags); /* taken */
	ck_assert_ptr_eq(s->tags, tags);
	ck_assert_str_eq(s->uid, "1.2.3");
	ck_assert_str_eq(s->study_uid, "1.2");
	ck_assert_uint_eq(s->n_instances, 1);
	ck_assert_uint_eq(s->bytes, 4096);
	ck_assert_int_eq(s->first_ms, T0);
	ck_assert_int_eq(s->last_ms, T0);
	ck_assert_int_eq(s->first_us, 1700000000000000);
	ck_assert_int_eq(s->last_us, 1700000000000000);
	ck_assert(!s->forced);
	ck_assert_ptr_eq(series_table_find(t, "1.2.3"), s);
	ck_assert_uint_eq(series_table_count(t), 1);
	ck_assert_ptr_null(series_find_instance(s, "1.2.3.2"));
	ck_assert_ptr_nonnull(i = series_find_instance(s, "1.2.3.1"));
	ck_assert_str_eq(i->path, "incoming/1.2.3/a.dcm");
	ck_assert_uint_eq(i->size, 4096);
	mc_instance_fini(&in);
}
END_TEST

START_TEST(later_instances_keep_the_first_tags_and_add_up)
{
	bool    added = false;
	series *s = arrive("1.2.3", "1", 100, "MR", T0, &added);

	ck_assert(added);
	ck_assert_ptr_eq(arrive("1.2.3", "2", 250, "CT", T0 + 5, &added), s);
	ck_assert(added);
	ck_assert_ptr_eq(arrive("1.2.3", "3", 50, NULL, T0 + 9, &added), s);
	ck_assert(added);
	ck_assert_str_eq(mc_tagset_get(s->tags, "Modality"), "MR");
	ck_assert_uint_eq(mc_tagset_count(s->tags), 1);
	ck_assert_uint_eq(s->n_instances, 3);
	ck_assert_uint_eq(s->bytes, 400);
	ck_assert_int_eq(s->first_ms, T0);
	ck_assert_int_eq(s->last_ms, T0 + 9);
	ck_assert_int_eq(s->first_us, T0 * 1000);
	ck_assert_int_eq(s->last_us, (T0 + 9) * 1000);
	ck_assert_uint_eq(series_table_count(t), 1);
}
END_TEST

START_TEST(a_series_without_tags_gets_an_empty_set)
{
	bool    added = false;
	series *s = arrive("1.2.3", "1", 100, NULL, T0, &added);

	ck_assert(added);
	ck_assert_ptr_nonnull(s->tags);
	ck_assert_uint_eq(mc_tagset_count(s->tags), 0);
}
END_TEST

START_TEST(a_known_instance_is_not_counted_again_but_is_an_arrival)
{
	const char *const before[] = {"1.2.3", "1.2.4"};
	const char *const after[] = {"1.2.4", "1.2.3"};
	bool              added = true;
	series           *s = add_new("1.2.3", "1", T0);

	add_new("1.2.4", "1", T0 + 1);
	assert_order(before, 2);
	/* the same SOP again, in the same series and as large as anything */
	ck_assert_ptr_eq(
	    arrive("1.2.3", "1", 999999, "CT", T0 + 7, &added), s);
	ck_assert(!added);
	ck_assert_uint_eq(s->n_instances, 1);
	ck_assert_uint_eq(s->bytes, 100);
	ck_assert_uint_eq(series_find_instance(s, "1")->size, 100);
	ck_assert_int_eq(s->last_ms, T0 + 7);
	assert_order(after, 2);
	/* the same SOP UID in another series is another instance */
	arrive("1.2.4", "1", 100, NULL, T0 + 8, &added);
	ck_assert(!added);
	arrive("1.2.5", "1", 100, NULL, T0 + 9, &added);
	ck_assert(added);
	ck_assert_uint_eq(series_table_count(t), 3);
}
END_TEST

START_TEST(series_are_kept_oldest_last_arrival_first)
{
	const char *const abc[] = {"a", "b", "c"};
	const char *const bca[] = {"b", "c", "a"};
	const char *const cab[] = {"c", "a", "b"};

	add_new("a", "1", T0);
	add_new("b", "1", T0 + 1);
	add_new("c", "1", T0 + 2);
	assert_order(abc, 3);
	add_new("a", "2", T0 + 3);
	assert_order(bca, 3);
	add_new("b", "2", T0 + 4);
	assert_order(cab, 3);
	/* the last one arriving again stays last */
	add_new("b", "3", T0 + 5);
	assert_order(cab, 3);
	ck_assert_int_eq(series_table_oldest(t)->last_ms, T0 + 2);
}
END_TEST

START_TEST(a_forced_series_goes_first_and_stays_first_through_arrivals)
{
	const char *const bac[] = {"b", "a", "c"};
	const char *const bca[] = {"b", "c", "a"};
	const char *const cba[] = {"c", "b", "a"};

	add_new("a", "1", T0);
	add_new("b", "1", T0 + 1);
	add_new("c", "1", T0 + 2);
	series_table_force(t, series_table_find(t, "b"));
	ck_assert(series_table_find(t, "b")->forced);
	assert_order(bac, 3);
	add_new("b", "2", T0 + 3); /* forced: not moved to the end */
	assert_order(bac, 3);
	ck_assert_int_eq(series_table_find(t, "b")->last_ms, T0 + 3);
	add_new("a", "2", T0 + 4); /* others still move behind */
	assert_order(bca, 3);
	/* forcing another puts it in front of the first forced one */
	series_table_force(t, series_table_find(t, "c"));
	assert_order(cba, 3);
	/* forcing the head again changes nothing */
	series_table_force(t, series_table_find(t, "c"));
	assert_order(cba, 3);
}
END_TEST

START_TEST(forcing_the_last_or_only_series_keeps_the_links_whole)
{
	const char *const only[] = {"a"};
	const char *const ba[] = {"b", "a"};
	const char *const ab[] = {"a", "b"};

	add_new("a", "1", T0);
	series_table_force(t, series_table_find(t, "a"));
	assert_order(only, 1);
	add_new("b", "1", T0 + 1);
	assert_order(ab, 2);
	series_table_force(t, series_table_find(t, "b"));
	assert_order(ba, 2);
	/* a, forced before b, is now the tail; forced, it stays there */
	add_new("a", "2", T0 + 2);
	assert_order(ba, 2);
	add_new("c", "1", T0 + 3);
	ck_assert_str_eq(series_table_first(t)->next->next->uid, "c");
}
END_TEST

START_TEST(removing_the_head_a_middle_and_the_tail_relinks_the_rest)
{
	const char *const bcd[] = {"b", "c", "d"};
	const char *const bd[] = {"b", "d"};
	const char *const b[] = {"b"};
	const char *const ae[] = {"a", "e"};

	add_new("a", "1", T0);
	add_new("b", "1", T0 + 1);
	add_new("c", "1", T0 + 2);
	add_new("d", "1", T0 + 3);
	add_new("c", "2", T0 + 4);
	add_new("d", "2", T0 + 5);
	series_table_remove(t, series_table_find(t, "a")); /* head */
	assert_order(bcd, 3);
	series_table_remove(t, series_table_find(t, "c")); /* middle */
	assert_order(bd, 2);
	ck_assert_ptr_null(series_table_find(t, "c"));
	series_table_remove(t, series_table_find(t, "d")); /* tail */
	assert_order(b, 1);
	series_table_remove(t, series_table_find(t, "b")); /* the last */
	ck_assert_uint_eq(series_table_count(t), 0);
	ck_assert_ptr_null(series_table_first(t));
	ck_assert_ptr_null(series_table_oldest(t));
	/* the same UIDs start new series from scratch */
	add_new("a", "1", T0 + 6);
	add_new("e", "1", T0 + 7);
	assert_order(ae, 2);
	ck_assert_uint_eq(series_table_find(t, "a")->n_instances, 1);
	ck_assert_int_eq(series_table_find(t, "a")->first_ms, T0 + 6);
}
END_TEST

START_TEST(removal_while_walking_visits_every_series_once)
{
	char    uid[16];
	size_t  seen = 0, kept = 0;
	series *s, *next;

	for (int i = 0; i < MANY_SERIES; i++) {
		snprintf(uid, sizeof(uid), "1.%d", i);
		add_new(uid, "1", T0 + i);
	}
	ck_assert_uint_eq(series_table_count(t), MANY_SERIES);
	/* the completion check's pattern: take next, then remove */
	for (s = series_table_first(t); s != NULL; s = next) {
		next = series_next(s);
		snprintf(uid, sizeof(uid), "1.%zu", seen);
		ck_assert_str_eq(s->uid, uid);
		if (seen++ % 3 != 0)
			series_table_remove(t, s);
	}
	ck_assert_uint_eq(seen, MANY_SERIES);
	ck_assert_uint_eq(series_table_count(t), (MANY_SERIES + 2) / 3);
	for (s = series_table_first(t); s != NULL; s = series_next(s)) {
		snprintf(uid, sizeof(uid), "1.%zu", kept * 3);
		ck_assert_str_eq(s->uid, uid);
		kept++;
	}
	ck_assert_uint_eq(kept, (MANY_SERIES + 2) / 3);
}
END_TEST

START_TEST(destroy_frees_series_still_open)
{
	bool added;

	add_new("a", "1", T0);
	add_new("a", "2", T0 + 1);
	arrive("b", "1", 100, NULL, T0 + 2, &added);
	/* teardown destroys the table with both; ASan would see a leak */
	ck_assert_uint_eq(series_table_count(t), 2);
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("series_table");
	const TTest *keys[] = {an_empty_table_has_nothing_to_find_or_walk,
	    the_first_instance_makes_the_series_and_gives_it_its_tags,
	    later_instances_keep_the_first_tags_and_add_up,
	    a_series_without_tags_gets_an_empty_set,
	    a_known_instance_is_not_counted_again_but_is_an_arrival,
	    destroy_frees_series_still_open, NULL};
	const TTest *order[] = {series_are_kept_oldest_last_arrival_first,
	    a_forced_series_goes_first_and_stays_first_through_arrivals,
	    forcing_the_last_or_only_series_keeps_the_links_whole,
	    removing_the_head_a_middle_and_the_tail_relinks_the_rest,
	    removal_while_walking_visits_every_series_once, NULL};

	mc_check_fixture_tcase(
	    s, "series and instances", keys, setup, teardown);
	mc_check_fixture_tcase(s, "arrival order", order, setup, teardown);
	return mc_check_run(s);
}
