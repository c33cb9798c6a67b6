/* series_complete_test.c - the completion signals besides the quiet
 * period (docs/config.md, "Series completion"): the count the first
 * instance's tags announce, a rule's own trigger and expected_instances
 * (the longest trigger and the largest count when several rules
 * trigger), their configuration, the series table's own deadlines, and
 * the "association" message that carries an association's end. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"

#include "core/series_complete.h"
#include "core/series_table.h"
#include "msg/msg_codec.h"

#define GLOBAL_QUIET_MS 60000

static mc_tagset *tags;

static void
tags_setup(void)
{
	ck_assert_int_eq(mc_tagset_create(&tags), MC_OK);
	ck_assert_int_eq(mc_tagset_set(tags, "Modality", "MR"), MC_OK);
}

static void
tags_teardown(void)
{
	mc_tagset_destroy(tags);
}

static void
set(const char *key, const char *value)
{
	ck_assert_int_eq(mc_tagset_set(tags, key, value), MC_OK);
}

static mc_config *
load(const char *yaml)
{
	mc_config  *cfg = NULL;
	config_diag d[8];
	size_t      n = 0;
	mc_err      rv = config_load_buffer(
	         "test.yaml", yaml, strlen(yaml), &cfg, d, 8, &n);

	ck_assert_msg(rv == MC_OK, "config: %s", n ? d[0].d.msg : "?");
	return cfg;
}

static bool
loads(const char *yaml)
{
	mc_config *cfg = NULL;
	mc_err     rv = config_load_buffer(
	        "test.yaml", yaml, strlen(yaml), &cfg, NULL, 0, NULL);

	config_destroy(cfg);
	return rv == MC_OK;
}

START_TEST(no_count_tag_announces_nothing)
{
	ck_assert_uint_eq(series_expected_from_tags(tags), 0);
}
END_TEST

START_TEST(images_in_acquisition_is_the_count)
{
	set("ImagesInAcquisition", "24");
	ck_assert_uint_eq(series_expected_from_tags(tags), 24);
	set("ImagesInAcquisition", " 24 "); /* IS values may be padded */
	ck_assert_uint_eq(series_expected_from_tags(tags), 24);
}
END_TEST

START_TEST(temporal_positions_times_slices_when_there_is_no_total)
{
	set("NumberOfTemporalPositions", "5");
	ck_assert_uint_eq(series_expected_from_tags(tags), 0);
	set("NumberOfSlices", "12");
	ck_assert_uint_eq(series_expected_from_tags(tags), 60);
	set("ImagesInAcquisition", "7"); /* the total wins */
	ck_assert_uint_eq(series_expected_from_tags(tags), 7);
}
END_TEST

START_TEST(a_multiframe_instance_holding_every_frame_is_the_series)
{
	set("NumberOfFrames", "60");
	ck_assert_uint_eq(series_expected_from_tags(tags), 0);
	set("ImagesInAcquisition", "60");
	ck_assert_uint_eq(series_expected_from_tags(tags), 1);
	set("ImagesInAcquisition", "120"); /* part of the frames: unknown */
	ck_assert_uint_eq(series_expected_from_tags(tags), 0);
	set("NumberOfFrames", "1"); /* single frame: a count of instances */
	ck_assert_uint_eq(series_expected_from_tags(tags), 120);
}
END_TEST

START_TEST(values_that_are_no_count_are_absent)
{
	static const char *const bad[] = {
	    "", "0", "-3", "2.5", "12a", "1000001", "99999999999999999999"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		set("ImagesInAcquisition", bad[i]);
		ck_assert_msg(series_expected_from_tags(tags) == 0,
		    "'%s' taken as a count", bad[i]);
	}
	set("ImagesInAcquisition", "1000000");
	ck_assert_uint_eq(series_expected_from_tags(tags), 1000000);
}
END_TEST

#define RULES_YAML                                                             \
	"rules:\n"                                                             \
	"  slow: {rule: \"tags.Modality == 'MR'\", action: notification,\n"    \
	"         series_complete_trigger: 30}\n"                              \
	"  fast: {rule: \"True\", action: notification,\n"                     \
	"         series_complete_trigger: 5, expected_instances: 10}\n"       \
	"  plain: {rule: \"True\", action: notification}\n"                    \
	"  counted: {rule: \"tags.Modality == 'CT'\", action: notification,\n" \
	"         expected_instances: 40}\n"

START_TEST(the_longest_trigger_and_largest_count_of_the_triggered_rules)
{
	mc_config *cfg = load(RULES_YAML);
	int64_t    quiet;
	uint32_t   expected;

	series_complete_plan(cfg, tags, &quiet, &expected);
	ck_assert_int_eq(quiet, 30000); /* slow and fast: the longest */
	ck_assert_uint_eq(expected, 10);
	set("Modality", "CT"); /* fast, plain and counted */
	series_complete_plan(cfg, tags, &quiet, &expected);
	ck_assert_int_eq(quiet, 5000);
	ck_assert_uint_eq(expected, 40);
	config_destroy(cfg);
}
END_TEST

START_TEST(rules_without_a_trigger_leave_the_global_one)
{
	mc_config *cfg =
	    load("rules:\n"
	         "  plain: {rule: \"True\", action: notification}\n");
	int64_t  quiet;
	uint32_t expected;

	set("ImagesInAcquisition", "12");
	series_complete_plan(cfg, tags, &quiet, &expected);
	ck_assert_int_eq(quiet, -1);
	ck_assert_uint_eq(expected, 0); /* tags count only when enabled */
	config_destroy(cfg);
}
END_TEST

START_TEST(tag_counts_need_the_setting_and_a_rule_count_wins_over_them)
{
	mc_config *cfg =
	    load("series_complete_on_expected_count: true\n"
	         "rules:\n"
	         "  plain: {rule: \"True\", action: notification}\n"
	         "  ct: {rule: \"tags.Modality == 'CT'\",\n"
	         "       action: notification, "
	         "expected_instances: 3}\n");
	int64_t  quiet;
	uint32_t expected;

	set("ImagesInAcquisition", "12");
	series_complete_plan(cfg, tags, &quiet, &expected);
	ck_assert_uint_eq(expected, 12);
	set("Modality", "CT");
	series_complete_plan(cfg, tags, &quiet, &expected);
	ck_assert_uint_eq(expected, 3);
	config_destroy(cfg);
}
END_TEST

START_TEST(a_discarded_series_keeps_the_global_trigger)
{
	mc_config *cfg =
	    load("rules:\n"
	         "  fast: {rule: \"True\", action: notification,\n"
	         "         series_complete_trigger: 2}\n"
	         "  away: {rule: \"True\", action: discard}\n");
	int64_t  quiet;
	uint32_t expected;

	series_complete_plan(cfg, tags, &quiet, &expected);
	ck_assert_int_eq(quiet, -1);
	config_destroy(cfg);
}
END_TEST

START_TEST(the_settings_have_defaults_and_bounds)
{
	mc_config *cfg = load("port: 11112\n");

	ck_assert(!cfg->series_complete_on_association_end);
	ck_assert(!cfg->series_complete_on_expected_count);
	ck_assert_uint_eq(cfg->association_complete_grace_s, 2);
	config_destroy(cfg);
	cfg = load("series_complete_on_association_end: true\n"
	           "association_complete_grace: 0\n"
	           "series_complete_on_expected_count: true\n");
	ck_assert(cfg->series_complete_on_association_end);
	ck_assert(cfg->series_complete_on_expected_count);
	ck_assert_uint_eq(cfg->association_complete_grace_s, 0);
	config_destroy(cfg);
	ck_assert(!loads("association_complete_grace: 3601\n"));
	ck_assert(!loads("series_complete_on_association_end: 3\n"));
	ck_assert(!loads("rules:\n  r: {rule: \"True\", "
	                 "series_complete_trigger: 0}\n"));
	ck_assert(!loads("rules:\n  r: {rule: \"True\", "
	                 "expected_instances: -1}\n"));
	ck_assert(!loads("rules:\n  r: {rule: \"True\", "
	                 "expected_instances: many}\n"));
}
END_TEST

/* ---- the series table's own deadlines ------------------------------- */

static series_table *t;

static void
table_setup(void)
{
	ck_assert_int_eq(series_table_create(&t), MC_OK);
}

static void
table_teardown(void)
{
	series_table_destroy(t);
}

static series *
arrive(const char *uid, const char *sop, int64_t now_ms)
{
	mc_instance in;
	series     *s = NULL;
	bool        added;

	mc_instance_init(&in);
	mc_copy_text(in.study_uid, sizeof(in.study_uid), "1.2");
	mc_copy_text(in.series_uid, sizeof(in.series_uid), uid);
	mc_copy_text(in.sop_uid, sizeof(in.sop_uid), sop);
	ck_assert_int_eq(series_table_add(t, &in, now_ms, &s, &added), MC_OK);
	mc_instance_fini(&in);
	return s;
}

static size_t
walk_count(void)
{
	size_t n = 0;

	for (series *s = series_table_first(t); s; s = series_next(s))
		n++;
	return n;
}

START_TEST(a_new_series_follows_the_global_quiet_period)
{
	series *s = arrive("1.1", "1", 1000);

	ck_assert_int_eq(s->quiet_ms, -1);
	ck_assert_int_eq(series_due_ms(s, GLOBAL_QUIET_MS), 61000);
	ck_assert_ptr_null(series_table_timed(t));
	ck_assert_ptr_eq(series_table_oldest(t), s);
}
END_TEST

START_TEST(an_own_deadline_moves_a_series_to_the_timed_list)
{
	series *a = arrive("1.1", "1", 1000);
	series *b = arrive("1.2", "1", 2000);
	series *c = arrive("1.3", "1", 3000);

	series_table_set_timing(t, b, 5000, 0);
	ck_assert_int_eq(series_due_ms(b, GLOBAL_QUIET_MS), 7000);
	ck_assert_ptr_eq(series_table_timed(t), b);
	ck_assert_ptr_eq(series_table_oldest(t), a);
	ck_assert_ptr_eq(series_next(a), c); /* b is not in the quiet list */
	ck_assert_uint_eq(walk_count(), 3);
	/* an earlier deadline (an association's end) wins over the quiet
	 * period, a later one does not */
	series_table_set_timing(t, a, -1, 4000);
	ck_assert_int_eq(series_due_ms(a, GLOBAL_QUIET_MS), 4000);
	series_table_set_timing(t, a, -1, 90000);
	ck_assert_int_eq(series_due_ms(a, GLOBAL_QUIET_MS), 61000);
	ck_assert_ptr_eq(series_table_oldest(t), c);
	ck_assert_uint_eq(walk_count(), 3);
}
END_TEST

START_TEST(back_in_the_quiet_list_a_series_takes_its_place_by_arrival)
{
	series *a = arrive("1.1", "1", 1000);
	series *b = arrive("1.2", "1", 2000);
	series *c = arrive("1.3", "1", 3000);

	series_table_set_timing(t, b, -1, 2500);
	series_table_set_timing(t, a, -1, 2500);
	ck_assert_ptr_eq(series_table_oldest(t), c);
	series_table_set_timing(t, b, -1, 0);
	series_table_set_timing(t, a, -1, 0);
	ck_assert_ptr_eq(series_table_oldest(t), a);
	ck_assert_ptr_eq(series_next(a), b);
	ck_assert_ptr_eq(series_next(b), c);
	ck_assert_ptr_null(series_table_timed(t));
}
END_TEST

START_TEST(forcing_a_timed_series_puts_it_first_in_the_quiet_list)
{
	series *a = arrive("1.1", "1", 1000);
	series *b = arrive("1.2", "1", 2000);

	series_table_set_timing(t, b, 5000, 0);
	series_table_force(t, b);
	ck_assert_ptr_eq(series_table_oldest(t), b);
	ck_assert_ptr_eq(series_next(b), a);
	ck_assert_ptr_null(series_table_timed(t));
	ck_assert_int_eq(series_due_ms(b, GLOBAL_QUIET_MS), INT64_MIN);
	/* a later arrival neither moves it nor makes it timed again */
	arrive("1.2", "2", 9000);
	ck_assert_ptr_eq(series_table_oldest(t), b);
	series_table_set_timing(t, b, 5000, 0);
	ck_assert_ptr_null(series_table_timed(t));
}
END_TEST

START_TEST(arrivals_and_removal_keep_both_lists_whole)
{
	series *a = arrive("1.1", "1", 1000);
	series *b = arrive("1.2", "1", 2000);
	series *c = arrive("1.3", "1", 3000);

	series_table_set_timing(t, a, 1000, 0);
	series_table_set_timing(t, c, 1000, 0);
	arrive("1.1", "2", 4000); /* a to the tail of the timed list */
	ck_assert_ptr_eq(series_table_timed(t), c);
	ck_assert_ptr_eq(series_next(c), a);
	series_table_remove(t, c);
	ck_assert_ptr_eq(series_table_timed(t), a);
	ck_assert_ptr_eq(series_table_first(t), b);
	ck_assert_ptr_eq(series_next(b), a);
	ck_assert_uint_eq(walk_count(), 2);
}
END_TEST

/* ---- the association message ---------------------------------------- */

START_TEST(an_association_message_decodes_to_what_was_encoded)
{
	char         uids[2][MC_UID_MAX_LEN + 1] = {"1.2.3", "1.2.4"};
	mc_assoc_msg m = {0}, out;
	void        *buf;
	size_t       len;
	char         type[MSG_TYPE_MAX_LEN + 1], err[128];

	m.released = true;
	m.time_us = 1700000000123456;
	mc_copy_text(m.sender_aet, sizeof(m.sender_aet), "STORESCU");
	mc_copy_text(m.sender_address, sizeof(m.sender_address), "::1");
	mc_copy_text(m.receiver_aet, sizeof(m.receiver_aet), "MERCURE");
	m.series = uids;
	m.n_series = 2;
	ck_assert_int_eq(msg_encode_association(&m, &buf, &len), MC_OK);
	ck_assert_int_eq(
	    msg_peek_type(buf, len, type, err, sizeof(err)), MC_OK);
	ck_assert_str_eq(type, "association");
	ck_assert_int_eq(
	    msg_decode_association(buf, len, &out, err, sizeof(err)), MC_OK);
	ck_assert(out.released);
	ck_assert_int_eq(out.time_us, m.time_us);
	ck_assert_str_eq(out.sender_aet, "STORESCU");
	ck_assert_str_eq(out.sender_address, "::1");
	ck_assert_str_eq(out.receiver_aet, "MERCURE");
	ck_assert_uint_eq(out.n_series, 2);
	ck_assert_str_eq(out.series[1], "1.2.4");
	mc_assoc_msg_fini(&out);
	free(buf);
	m.released = false;
	m.n_series = 0;
	ck_assert_int_eq(msg_encode_association(&m, &buf, &len), MC_OK);
	ck_assert_int_eq(
	    msg_decode_association(buf, len, &out, err, sizeof(err)), MC_OK);
	ck_assert(!out.released);
	ck_assert_uint_eq(out.n_series, 0);
	mc_assoc_msg_fini(&out);
	free(buf);
}
END_TEST

START_TEST(an_association_message_with_a_bad_uid_is_refused)
{
	char         uids[1][MC_UID_MAX_LEN + 1] = {"1.2.x"};
	mc_assoc_msg m = {0}, out;
	void        *buf;
	size_t       len;
	char         err[128];
	mc_instance  in;

	m.series = uids;
	m.n_series = 1;
	ck_assert_int_eq(msg_encode_association(&m, &buf, &len), MC_OK);
	ck_assert_int_eq(
	    msg_decode_association(buf, len, &out, err, sizeof(err)),
	    MC_EPROTO);
	ck_assert_ptr_null(out.series);
	/* nor is it an instance message */
	mc_instance_init(&in);
	ck_assert_int_eq(
	    msg_decode_instance(buf, len, &in, err, sizeof(err)), MC_EPROTO);
	free(buf);
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("series_complete");
	const TTest *counts[] = {no_count_tag_announces_nothing,
	    images_in_acquisition_is_the_count,
	    temporal_positions_times_slices_when_there_is_no_total,
	    a_multiframe_instance_holding_every_frame_is_the_series,
	    values_that_are_no_count_are_absent,
	    the_longest_trigger_and_largest_count_of_the_triggered_rules,
	    rules_without_a_trigger_leave_the_global_one,
	    tag_counts_need_the_setting_and_a_rule_count_wins_over_them,
	    a_discarded_series_keeps_the_global_trigger,
	    the_settings_have_defaults_and_bounds, NULL};
	const TTest *table[] = {a_new_series_follows_the_global_quiet_period,
	    an_own_deadline_moves_a_series_to_the_timed_list,
	    back_in_the_quiet_list_a_series_takes_its_place_by_arrival,
	    forcing_a_timed_series_puts_it_first_in_the_quiet_list,
	    arrivals_and_removal_keep_both_lists_whole, NULL};
	const TTest *msg[] = {
	    an_association_message_decodes_to_what_was_encoded,
	    an_association_message_with_a_bad_uid_is_refused, NULL};

	mc_check_fixture_tcase(
	    s, "counts and triggers", counts, tags_setup, tags_teardown);
	mc_check_fixture_tcase(
	    s, "own deadlines", table, table_setup, table_teardown);
	mc_check_tcase(s, "association message", msg);
	return mc_check_run(s);
}
