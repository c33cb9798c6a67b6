/* target_xnat_test.c - what the xnat target refuses before it sends a
 * request: missing or malformed fields, a series without .dcm files. The
 * requests themselves are tested against a stand-in of XNAT
 * (tests/integration/test_target_xnat). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"

#include "targets/target.h"

static target_cfg *
xnat_cfg(const char *skip)
{
	static const char *kv[][2] = {{"target_type", "xnat"},
	    {"host", "http://127.0.0.1:1/"}, {"project_id", "p1"},
	    {"user", "mercure"}, {"password", "pw-unit-3f"}};
	target_cfg        *c = NULL;

	ck_assert_int_eq(target_cfg_create("x", &c), MC_OK);
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		if (strcmp(kv[i][0], skip) != 0)
			ck_assert_int_eq(
			    target_cfg_set(c, kv[i][0], kv[i][1]), MC_OK);
	return c;
}

/* send one file with field skip left out; the error text */
static void
send_without(const char *skip, const char *file, const char *want)
{
	target_cfg        *c = xnat_cfg(skip);
	const char        *paths[] = {file};
	target_files       files = {paths, 1};
	task_ctx           ctx = {"t1", "/nonexistent", "", "", "", NULL};
	target_result      res;
	const target_type *tt = target_type_find("xnat");

	memset(&res, 0, sizeof(res));
	ck_assert_ptr_nonnull(tt);
	ck_assert_int_ne(tt->ops->send(c, &ctx, &files, &res), MC_OK);
	ck_assert_msg(strstr(res.error, want) != NULL, "error '%s' lacks '%s'",
	    res.error, want);
	ck_assert(!res.retryable);
	ck_assert_uint_eq(res.sent, 0);
	ck_assert_uint_eq(res.failed, 1);
	ck_assert_ptr_null(strstr(res.error, "pw-unit-3f"));
	target_cfg_destroy(c);
}

START_TEST(missing_fields_fail_for_good)
{
	send_without(
	    "host", "/nonexistent/a.dcm", "xnat target without 'host'");
	send_without(
	    "user", "/nonexistent/a.dcm", "xnat target without 'user'");
	send_without("password", "/nonexistent/a.dcm",
	    "xnat target without 'password'");
	send_without("project_id", "/nonexistent/a.dcm",
	    "xnat target without 'project_id'");
}
END_TEST

START_TEST(host_must_be_an_http_url)
{
	target_cfg *c = xnat_cfg("");
	char        msg[256] = "";
	task_ctx    ctx = {"", "", "", "", "", NULL};

	ck_assert_int_eq(target_cfg_set(c, "host", "xnat.example.org"), MC_OK);
	ck_assert_int_eq(
	    target_type_find("xnat")->ops->test(c, &ctx, msg, sizeof(msg)),
	    MC_ECONFIG);
	ck_assert_str_eq(msg, "xnat host must be an http:// or https:// URL");
	target_cfg_destroy(c);
}
END_TEST

START_TEST(a_series_without_dcm_files_fails_for_good)
{
	send_without(
	    "", "/nonexistent/notes.txt", "none of the 1 files ends in .dcm");
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("target_xnat");
	const TTest *fields[] = {missing_fields_fail_for_good,
	    host_must_be_an_http_url,
	    a_series_without_dcm_files_fails_for_good, NULL};

	mc_check_tcase(s, "fields", fields);
	return mc_check_run(s);
}
