/* task_stream_test.c - mercure_c.stream in task.json: absent or null is a
 * normal task (0), {"idle_timeout_s": N} with N in 1..86400 a stream
 * task, and anything else refused naming the field. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "check_main.h"

#include "task/task.h"

/* a dispatch task.json whose mercure_c.stream is stream_json (NULL:
 * absent) */
static mc_err
parse_with(const char *stream_json, task **t, mc_diag *d)
{
	char text[512];

	snprintf(text, sizeof(text),
	    "{\"id\": \"s1\", \"dispatch\": {\"target_name\": \"p\"}, "
	    "\"mercure_c\": {\"kind\": \"dispatch\"%s%s}}",
	    stream_json ? ", \"stream\": " : "",
	    stream_json ? stream_json : "");
	memset(d, 0, sizeof(*d));
	return task_parse(text, strlen(text), t, d);
}

static unsigned
idle_of(const char *stream_json)
{
	task    *t = NULL;
	mc_diag  d;
	unsigned v;

	ck_assert_int_eq(parse_with(stream_json, &t, &d), MC_OK);
	v = task_stream_idle_s(t);
	task_destroy(t);
	return v;
}

static void
assert_refused(const char *stream_json, const char *field)
{
	task   *t = NULL;
	mc_diag d;

	ck_assert_int_eq(parse_with(stream_json, &t, &d), MC_ECONFIG);
	ck_assert_ptr_null(t);
	ck_assert_str_eq(d.field, field);
	ck_assert(strlen(d.msg) > 0);
}

START_TEST(absent_or_null_is_a_normal_task)
{
	ck_assert_uint_eq(idle_of(NULL), 0);
	ck_assert_uint_eq(idle_of("null"), 0);
}
END_TEST

START_TEST(idle_timeout_in_range)
{
	ck_assert_uint_eq(idle_of("{\"idle_timeout_s\": 1}"), 1);
	ck_assert_uint_eq(idle_of("{\"idle_timeout_s\": 300}"), 300);
	ck_assert_uint_eq(idle_of("{\"idle_timeout_s\": 86400}"), 86400);
}
END_TEST

START_TEST(bad_values_name_the_field)
{
	const char *idle = "mercure_c.stream.idle_timeout_s";

	assert_refused("true", "mercure_c.stream");
	assert_refused("[]", "mercure_c.stream");
	assert_refused("\"300\"", "mercure_c.stream");
	assert_refused("{}", idle);
	assert_refused("{\"idle_timeout_s\": 0}", idle);
	assert_refused("{\"idle_timeout_s\": -5}", idle);
	assert_refused("{\"idle_timeout_s\": 86401}", idle);
	assert_refused("{\"idle_timeout_s\": 1.5}", idle);
	assert_refused("{\"idle_timeout_s\": \"30\"}", idle);
	assert_refused("{\"idle_timeout_s\": null}", idle);
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("task_stream");
	const TTest *tests[] = {absent_or_null_is_a_normal_task,
	    idle_timeout_in_range, bad_values_name_the_field, NULL};

	mc_check_tcase(s, "stream", tests);
	return mc_check_run(s);
}
