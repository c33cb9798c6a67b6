/* http_stats_test.c - the pieces behind /metrics and /api/v1/rates that
 * hold state: the per-minute ring (slots reused an hour later, gaps as
 * zeros, oldest first), the histogram's text, and the failed-login table
 * by address (one address's failures do not count for another; the table
 * stays bounded). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"

#include "http/http_fails.h"
#include "http/http_metrics.h"
#include "http/http_rates.h"

/* a minute boundary, so that the expected slots are plain arithmetic */
#define T0 ((int64_t) 1700000040)

START_TEST(rates_ring_is_oldest_first_with_gaps_as_zero)
{
	http_rates r;
	uint64_t   v[HTTP_RATES_SLOTS];
	int64_t    end;

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(T0 % 60, 0);
	http_rates_add(&r, HTTP_RATE_RECEIVED, T0, 5);
	http_rates_add(&r, HTTP_RATE_RECEIVED, T0 + 59, 2);
	http_rates_add(&r, HTTP_RATE_RECEIVED, T0 + 60, 1);
	http_rates_add(&r, HTTP_RATE_ERRORS, T0 + 60, 3);
	http_rates_add(&r, HTTP_RATE_DISPATCHED, T0 + 3 * 60 + 1, 10);
	end = http_rates_series(&r, HTTP_RATE_RECEIVED, T0 + 3 * 60 + 30, v);
	ck_assert_int_eq(end, T0 + 4 * 60);
	/* the newest slot is the minute under way: T0+3min */
	ck_assert_uint_eq(v[59], 0);
	ck_assert_uint_eq(v[58], 0);
	ck_assert_uint_eq(v[57], 1);
	ck_assert_uint_eq(v[56], 7);
	for (int i = 0; i < 56; i++)
		ck_assert_uint_eq(v[i], 0);
	http_rates_series(&r, HTTP_RATE_DISPATCHED, T0 + 3 * 60 + 30, v);
	ck_assert_uint_eq(v[59], 10);
	http_rates_series(&r, HTTP_RATE_ERRORS, T0 + 3 * 60 + 30, v);
	ck_assert_uint_eq(v[57], 3);
	ck_assert_uint_eq(v[56], 0);
}
END_TEST

START_TEST(rates_ring_forgets_what_is_older_than_an_hour)
{
	http_rates r;
	uint64_t   v[HTTP_RATES_SLOTS];

	memset(&r, 0, sizeof(r));
	http_rates_add(&r, HTTP_RATE_RECEIVED, T0, 4);
	/* 59 minutes on: still the oldest slot */
	http_rates_series(&r, HTTP_RATE_RECEIVED, T0 + 59 * 60, v);
	ck_assert_uint_eq(v[0], 4);
	/* an hour on: gone, though nothing wrote the slot since */
	http_rates_series(&r, HTTP_RATE_RECEIVED, T0 + 60 * 60, v);
	for (int i = 0; i < HTTP_RATES_SLOTS; i++)
		ck_assert_uint_eq(v[i], 0);
	/* the same slot written an hour later starts from zero */
	http_rates_add(&r, HTTP_RATE_RECEIVED, T0 + 60 * 60 + 5, 1);
	http_rates_series(&r, HTTP_RATE_RECEIVED, T0 + 60 * 60 + 5, v);
	ck_assert_uint_eq(v[59], 1);
	/* out-of-range kinds are ignored */
	http_rates_add(&r, HTTP_RATE_N, T0, 1);
	http_rates_series(&r, HTTP_RATE_N, T0, v);
	ck_assert_uint_eq(v[59], 0);
}
END_TEST

START_TEST(histogram_text_is_cumulative_in_ascending_le)
{
	static const double b[] = {0.5, 1, 10};
	http_metrics       *m = NULL;
	char                lab[64], *text;

	ck_assert_int_eq(http_metrics_create(&m), MC_OK);
	http_metrics_label(lab, sizeof(lab), "target", "pacs\"1");
	http_metrics_observe(m, "x_seconds", "X.", lab, b, 3, 0.2);
	http_metrics_observe(m, "x_seconds", "X.", lab, b, 3, 1);
	http_metrics_observe(m, "x_seconds", "X.", lab, b, 3, 99);
	http_metrics_observe(m, "y_seconds", "Y.", NULL, b, 3, 2);
	http_metrics_add(m, "a_total", "counter", "A.", NULL, 1);
	text = http_metrics_format(m);
	ck_assert_ptr_nonnull(text);
	ck_assert_str_eq(text,
	    "# HELP a_total A.\n# TYPE a_total counter\na_total 1\n"
	    "# HELP x_seconds X.\n# TYPE x_seconds histogram\n"
	    "x_seconds_bucket{target=\"pacs\\\"1\",le=\"0.5\"} 1\n"
	    "x_seconds_bucket{target=\"pacs\\\"1\",le=\"1\"} 2\n"
	    "x_seconds_bucket{target=\"pacs\\\"1\",le=\"10\"} 2\n"
	    "x_seconds_bucket{target=\"pacs\\\"1\",le=\"+Inf\"} 3\n"
	    "x_seconds_sum{target=\"pacs\\\"1\"} 100.2\n"
	    "x_seconds_count{target=\"pacs\\\"1\"} 3\n"
	    "# HELP y_seconds Y.\n# TYPE y_seconds histogram\n"
	    "y_seconds_bucket{le=\"0.5\"} 0\ny_seconds_bucket{le=\"1\"} 0\n"
	    "y_seconds_bucket{le=\"10\"} 1\ny_seconds_bucket{le=\"+Inf\"} 1\n"
	    "y_seconds_sum 2\ny_seconds_count 1\n");
	free(text);
	http_metrics_destroy(m);
}
END_TEST

START_TEST(failed_logins_count_per_address)
{
	http_fails *f = NULL;
	time_t      t = 1700000000;

	ck_assert_int_eq(http_fails_create(&f), MC_OK);
	for (unsigned i = 1; i <= 10; i++)
		ck_assert_uint_eq(http_fails_note(f, "10.0.0.66", t, 60), i);
	/* another client is not slowed by the guesser */
	ck_assert_uint_eq(http_fails_note(f, "10.0.0.7", t, 60), 1);
	/* the window passes: the guesser starts over */
	ck_assert_uint_eq(http_fails_note(f, "10.0.0.66", t + 61, 60), 1);
	/* more failures than the ring keeps: capped, never wrong-signed */
	for (unsigned i = 0; i < 3 * HTTP_FAILS_PER_ADDR; i++)
		http_fails_note(f, "10.0.0.66", t + 62, 60);
	ck_assert_uint_eq(
	    http_fails_note(f, "10.0.0.66", t + 62, 60), HTTP_FAILS_PER_ADDR);
	ck_assert_uint_eq(http_fails_count(f), 2);
	http_fails_destroy(f);
	http_fails_destroy(NULL);
}
END_TEST

START_TEST(failed_login_table_is_bounded_and_drops_the_oldest)
{
	http_fails *f = NULL;
	char        addr[32];
	time_t      t = 1700000000;

	ck_assert_int_eq(http_fails_create(&f), MC_OK);
	http_fails_note(f, "192.0.2.1", t, 60);
	http_fails_note(f, "192.0.2.1", t, 60);
	for (unsigned i = 0; i < 2 * HTTP_FAILS_ADDRS; i++) {
		snprintf(addr, sizeof(addr), "10.%u.%u.%u", i >> 16,
		    (i >> 8) & 255, i & 255);
		http_fails_note(f, addr, t + 1 + (time_t) (i / 100), 60);
		ck_assert_uint_le(http_fails_count(f), HTTP_FAILS_ADDRS);
	}
	ck_assert_uint_eq(http_fails_count(f), HTTP_FAILS_ADDRS);
	/* the first address was the oldest: evicted, so it starts over */
	ck_assert_uint_eq(http_fails_note(f, "192.0.2.1", t + 2, 60), 1);
	http_fails_destroy(f);
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("http_stats");
	const TTest *tests[] = {rates_ring_is_oldest_first_with_gaps_as_zero,
	    rates_ring_forgets_what_is_older_than_an_hour,
	    histogram_text_is_cumulative_in_ascending_le,
	    failed_logins_count_per_address,
	    failed_login_table_is_bounded_and_drops_the_oldest, NULL};

	mc_check_tcase(s, "pure", tests);
	return mc_check_run(s);
}
