/* http_query_test.c - the pure parts of the HTTP server: UTF-8 checks and
 * case folding, numbers, form fields, Basic credentials, the tasks and
 * history query parameters, the metrics text and the job hand-over's
 * deadline. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"

#include "http/http_job.h"
#include "http/http_metrics.h"
#include "http/http_query.h"

/* a query string as a NULL-terminated list of key, value */
static const char *
get(void *ctx, const char *key)
{
	const char *const *kv = ctx;

	for (size_t i = 0; kv[i] != NULL; i += 2)
		if (strcmp(kv[i], key) == 0)
			return kv[i + 1];
	return NULL;
}

START_TEST(utf8_is_checked_strictly)
{
	ck_assert(http_utf8_valid("abc", 3));
	ck_assert(http_utf8_valid("M\xc3\xbcller", 7));
	ck_assert(http_utf8_valid("\xf0\x9f\x98\x80", 4));
	ck_assert(http_utf8_valid("a\tb", 3));
	ck_assert(!http_utf8_valid("\xff", 1));
	ck_assert(!http_utf8_valid("\xc3", 1));             /* cut short */
	ck_assert(!http_utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
	ck_assert(!http_utf8_valid("\xe0\x80\xaf", 3));     /* overlong */
	ck_assert(!http_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
	ck_assert(!http_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	ck_assert(!http_utf8_valid("a\nb", 3));
	ck_assert(!http_utf8_valid("a\0b", 3));
}
END_TEST

START_TEST(folding_lowers_every_script)
{
	char out[64];

	ck_assert(http_utf8_fold("M\xc3\x9c"
	                         "LLER^J\xc3\x96RG",
	    out, sizeof(out)));
	ck_assert_str_eq(out, "m\xc3\xbcller^j\xc3\xb6rg"); /* müller^jörg */
	/* ΩΜΈΓΑ -> ωμέγα */
	ck_assert(http_utf8_fold(
	    "\xce\xa9\xce\x9c\xce\x88\xce\x93\xce\x91", out, sizeof(out)));
	ck_assert_str_eq(out, "\xcf\x89\xce\xbc\xce\xad\xce\xb3\xce\xb1");
	ck_assert(http_utf8_fold("", out, sizeof(out)));
	ck_assert_str_eq(out, "");
	ck_assert(!http_utf8_fold("\xff", out, sizeof(out)));
	ck_assert(!http_utf8_fold("abcdefgh", out, 4));
}
END_TEST

START_TEST(numbers_are_digits_within_a_bound)
{
	uint64_t v = 7;

	ck_assert(http_parse_uint("0", 10, &v) && v == 0);
	ck_assert(http_parse_uint("1000", 1000, &v) && v == 1000);
	ck_assert(!http_parse_uint("1001", 1000, &v));
	ck_assert(!http_parse_uint("-1", 1000, &v));
	ck_assert(!http_parse_uint("+1", 1000, &v));
	ck_assert(!http_parse_uint(" 1", 1000, &v));
	ck_assert(!http_parse_uint("1e3", 1000, &v));
	ck_assert(!http_parse_uint("", 1000, &v));
	ck_assert(!http_parse_uint(NULL, 1000, &v));
	ck_assert(!http_parse_uint("18446744073709551616", UINT64_MAX, &v));
	ck_assert(http_parse_uint("18446744073709551615", UINT64_MAX, &v));
	ck_assert(v == UINT64_MAX);
}
END_TEST

START_TEST(form_fields_decode)
{
	const char *b = "username=al%69ce&password=p%40ss+word&x";
	char        out[32];

	ck_assert_int_eq(
	    http_form_get(b, strlen(b), "username", out, sizeof(out)), MC_OK);
	ck_assert_str_eq(out, "alice");
	ck_assert_int_eq(
	    http_form_get(b, strlen(b), "password", out, sizeof(out)), MC_OK);
	ck_assert_str_eq(out, "p@ss word");
	ck_assert_int_eq(
	    http_form_get(b, strlen(b), "x", out, sizeof(out)), MC_OK);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(
	    http_form_get(b, strlen(b), "user", out, sizeof(out)), MC_ENOENT);
	ck_assert_int_eq(
	    http_form_get("a=%zz", 5, "a", out, sizeof(out)), MC_EINVAL);
	ck_assert_int_eq(
	    http_form_get("a=%4", 4, "a", out, sizeof(out)), MC_EINVAL);
	ck_assert_int_eq(
	    http_form_get("a=%ff", 5, "a", out, sizeof(out)), MC_EINVAL);
	ck_assert_int_eq(
	    http_form_get("a=%00", 5, "a", out, sizeof(out)), MC_EINVAL);
	ck_assert_int_eq(
	    http_form_get("a=0123456789", 12, "a", out, 8), MC_EINVAL);
}
END_TEST

START_TEST(basic_and_bearer_headers)
{
	char u[32], p[32];

	/* "alice:pa:ss" */
	ck_assert(http_basic_decode(
	    "Basic YWxpY2U6cGE6c3M=", u, sizeof(u), p, sizeof(p)));
	ck_assert_str_eq(u, "alice");
	ck_assert_str_eq(p, "pa:ss");
	ck_assert(
	    http_basic_decode("basic  YTpi", u, sizeof(u), p, sizeof(p)));
	ck_assert_str_eq(u, "a");
	ck_assert_str_eq(p, "b");
	ck_assert(!http_basic_decode(
	    "Basic YWxpY2U=", u, sizeof(u), p, sizeof(p))); /* no colon */
	ck_assert(
	    !http_basic_decode("Basic !!!!", u, sizeof(u), p, sizeof(p)));
	ck_assert(
	    !http_basic_decode("Basic YTpi=", u, sizeof(u), p, sizeof(p)));
	ck_assert(!http_basic_decode(
	    "Basic YQBiOmM=", u, sizeof(u), p, sizeof(p))); /* a NUL inside */
	ck_assert(!http_basic_decode("Bearer x", u, sizeof(u), p, sizeof(p)));
	ck_assert(!http_basic_decode(NULL, u, sizeof(u), p, sizeof(p)));
	ck_assert_str_eq(http_bearer_token("Bearer mct_1"), "mct_1");
	ck_assert_ptr_null(http_bearer_token("Bearer "));
	ck_assert_ptr_null(http_bearer_token("Basic x"));
}
END_TEST

START_TEST(tasks_query)
{
	const char *none[] = {NULL};
	const char *all[] = {
	    "state", "error", "limit", "5", "before", "1700000000", NULL};
	http_tasks_query q;
	char             err[128];

	ck_assert_int_eq(
	    http_tasks_query_parse(get, (void *) none, &q, err, sizeof(err)),
	    MC_OK);
	ck_assert_int_eq(q.state, HTTP_TASKS_LOOP);
	ck_assert_uint_eq(q.limit, HTTP_LIMIT_DEFAULT);
	ck_assert(q.before == 0);
	ck_assert_int_eq(
	    http_tasks_query_parse(get, (void *) all, &q, err, sizeof(err)),
	    MC_OK);
	ck_assert_int_eq(q.state, HTTP_TASKS_ERROR);
	ck_assert_str_eq(q.state_name, "error");
	ck_assert_uint_eq(q.limit, 5);
	ck_assert(q.before == 1700000000);
	const char *bad[][3] = {{"state", "Error", "state must be"},
	    {"limit", "0", "limit must be 1..1000"},
	    {"limit", "1001", "limit must be 1..1000"},
	    {"before", "-5", "before must be a Unix time in seconds"}};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *kv[] = {bad[i][0], bad[i][1], NULL};
		ck_assert_int_eq(http_tasks_query_parse(
		                     get, (void *) kv, &q, err, sizeof(err)),
		    MC_EINVAL);
		ck_assert_msg(strncmp(err, bad[i][2], strlen(bad[i][2])) == 0,
		    "%s", err);
	}
}
END_TEST

START_TEST(history_query)
{
	const char        *kv[] = {"patient", "M\xc3\x9cLLER", "mrn", "PID1",
	           "accession", "ACC 1", "study", "1.2.3", "series", "1.2.3.4",
	           "task", "0c9e4f3a-6f1d-11ef-8a3b-0242ac120002", "since", "10",
	           "until", "20", "limit", "3", NULL};
	http_history_query q;
	char               err[128];

	ck_assert_int_eq(
	    http_history_query_parse(get, (void *) kv, &q, err, sizeof(err)),
	    MC_OK);
	ck_assert_str_eq(q.patient, "m\xc3\xbcller");
	ck_assert_str_eq(q.mrn, "PID1");
	ck_assert_str_eq(q.accession, "ACC 1");
	ck_assert_str_eq(q.study, "1.2.3");
	ck_assert_str_eq(q.series, "1.2.3.4");
	ck_assert_str_eq(q.task, "0c9e4f3a-6f1d-11ef-8a3b-0242ac120002");
	ck_assert(q.since == 10 && q.until == 20);
	ck_assert_uint_eq(q.limit, 3);
	const char *bad[][3] = {{"study", "../etc", "study must be a UID"},
	    {"series", "1.2.a", "series must be a UID"},
	    {"task", "../../x", "task must be a task id"},
	    {"patient", "\xff", "patient must be UTF-8"},
	    {"mrn", "a\nb", "mrn must be UTF-8"},
	    {"since", "1e9", "since must be a Unix time"},
	    {"until", "99999999999999", "until must be a Unix time"}};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *one[] = {bad[i][0], bad[i][1], NULL};
		ck_assert_int_eq(http_history_query_parse(
		                     get, (void *) one, &q, err, sizeof(err)),
		    MC_EINVAL);
		ck_assert_msg(strncmp(err, bad[i][2], strlen(bad[i][2])) == 0,
		    "%s", err);
	}
	char long_name[HTTP_QUERY_TEXT_MAX + 2];
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	const char *lk[] = {"patient", long_name, NULL};
	ck_assert_int_eq(
	    http_history_query_parse(get, (void *) lk, &q, err, sizeof(err)),
	    MC_EINVAL);
}
END_TEST

START_TEST(metrics_text_format)
{
	http_metrics *m = NULL;
	char          lab[128], *text;

	ck_assert_int_eq(http_metrics_create(&m), MC_OK);
	http_metrics_add(m, "b_total", "counter", "B things.",
	    http_metrics_label(lab, sizeof(lab), "rule", "a\"b\\c\nd"), 1);
	http_metrics_add(m, "b_total", "counter", "B things.",
	    http_metrics_label(lab, sizeof(lab), "rule", "a\"b\\c\nd"), 2);
	http_metrics_add(m, "a_bytes", "gauge", "A bytes.", NULL, 1e12);
	text = http_metrics_format(m);
	ck_assert_ptr_nonnull(text);
	ck_assert_str_eq(text,
	    "# HELP a_bytes A bytes.\n# TYPE a_bytes gauge\n"
	    "a_bytes 1000000000000\n"
	    "# HELP b_total B things.\n# TYPE b_total counter\n"
	    "b_total{rule=\"a\\\"b\\\\c\\nd\"} 3\n");
	free(text);
	http_metrics_destroy(m);
	http_metrics_destroy(NULL);
}
END_TEST

START_TEST(a_job_nobody_answers_times_out_and_is_freed_later)
{
	work_queue *q = NULL;
	http_job   *j = http_job_new(HTTP_JOB_STATUS);
	work_node  *n;

	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(work_queue_create(http_job_free_queued, &q), MC_OK);
	ck_assert_int_eq(http_job_wait(q, j, 50), MC_ETIMEDOUT);
	http_job_release(j); /* the waiter lets go first */
	n = work_queue_pop(q);
	ck_assert_ptr_eq(n, &j->node);
	http_job_answer(j, 200, NULL, "{}");
	http_job_finish(j); /* the loop's release frees it */
	work_queue_destroy(q);
}
END_TEST

static Suite *
http_query_suite(void)
{
	Suite       *s = suite_create("http_query");
	const TTest *tests[] = {utf8_is_checked_strictly,
	    folding_lowers_every_script, numbers_are_digits_within_a_bound,
	    form_fields_decode, basic_and_bearer_headers, tasks_query,
	    history_query, metrics_text_format,
	    a_job_nobody_answers_times_out_and_is_freed_later, NULL};

	mc_check_tcase(s, "pure", tests);
	return s;
}

int
main(void)
{
	return mc_check_run(http_query_suite());
}
