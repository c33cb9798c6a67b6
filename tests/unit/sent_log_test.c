/* sent_log_test.c - a target's sent/ log: names read back, a torn last
 * line ignored and ended, appends that a new open sees, target names
 * that are unsafe as file names encoded, and the files left to send. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "check_tmpdir.h"

#include "sent_log.h"

static char sent_dir[600];

static void
put(const char *name, const char *text)
{
	char  path[700];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", sent_dir, name);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void
slurp(const char *name, char *buf, size_t len)
{
	char   path[700];
	FILE  *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", sent_dir, name);
	f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static void
setup(void)
{
	mc_check_tmpdir_setup();
	snprintf(sent_dir, sizeof(sent_dir), "%s/%s", mc_check_tmpdir,
	    SENT_LOG_DIR);
}

START_TEST(empty_then_appended)
{
	sent_log *l, *again;
	char      err[256], text[256];

	ck_assert_int_eq(
	    sent_log_open(mc_check_tmpdir, "pacs", &l, err, sizeof(err)),
	    MC_OK);
	ck_assert_uint_eq(sent_log_count(l), 0);
	ck_assert_int_eq(sent_log_add(l, "s#1.dcm"), MC_OK);
	ck_assert_int_eq(sent_log_add(l, "s#2.dcm"), MC_OK);
	ck_assert(!sent_log_has(l, "s#1.dcm")); /* as read at open */
	ck_assert_int_eq(sent_log_add(l, ""), MC_EINVAL);
	ck_assert_int_eq(sent_log_add(l, "a\nb"), MC_EINVAL);
	slurp("pacs.log", text, sizeof(text));
	ck_assert_str_eq(text, "s#1.dcm\ns#2.dcm\n");
	ck_assert_int_eq(
	    sent_log_open(mc_check_tmpdir, "pacs", &again, err, sizeof(err)),
	    MC_OK);
	ck_assert_uint_eq(sent_log_count(again), 2);
	ck_assert(sent_log_has(again, "s#2.dcm"));
	ck_assert(!sent_log_has(again, "s#3.dcm"));
	sent_log_destroy(again);
	sent_log_destroy(l);
	sent_log_destroy(NULL);
}
END_TEST

START_TEST(torn_line_is_ignored_and_ended)
{
	sent_log *l;
	char      err[256], text[256];

	ck_assert_int_eq(
	    sent_log_open(mc_check_tmpdir, "pacs", &l, err, sizeof(err)),
	    MC_OK);
	sent_log_destroy(l);
	put("pacs.log", "a.dcm\na.dcm\n\nb.dcm\nc.d");
	ck_assert_int_eq(
	    sent_log_open(mc_check_tmpdir, "pacs", &l, err, sizeof(err)),
	    MC_OK);
	ck_assert_uint_eq(sent_log_count(l), 2);
	ck_assert(sent_log_has(l, "a.dcm"));
	ck_assert(sent_log_has(l, "b.dcm"));
	ck_assert(!sent_log_has(l, "c.d"));
	ck_assert_int_eq(sent_log_add(l, "c.dcm"), MC_OK);
	sent_log_destroy(l);
	slurp("pacs.log", text, sizeof(text));
	ck_assert_str_eq(text, "a.dcm\na.dcm\n\nb.dcm\nc.d\nc.dcm\n");
	ck_assert_int_eq(
	    sent_log_open(mc_check_tmpdir, "pacs", &l, err, sizeof(err)),
	    MC_OK);
	ck_assert(sent_log_has(l, "c.dcm"));
	ck_assert(sent_log_has(l, "c.d")); /* ended: a name now, harmless */
	sent_log_destroy(l);
}
END_TEST

START_TEST(target_names_are_encoded)
{
	char buf[64];

	ck_assert_int_eq(
	    sent_log_file_name("pacs-1_a.b", buf, sizeof(buf)), MC_OK);
	ck_assert_str_eq(buf, "pacs-1_a.b.log");
	ck_assert_int_eq(
	    sent_log_file_name("../x y", buf, sizeof(buf)), MC_OK);
	ck_assert_str_eq(buf, "%2E.%2Fx%20y.log");
	ck_assert_int_eq(sent_log_file_name("a%b", buf, sizeof(buf)), MC_OK);
	ck_assert_str_eq(buf, "a%25b.log");
	ck_assert_int_eq(sent_log_file_name("", buf, sizeof(buf)), MC_OK);
	ck_assert_str_eq(buf, "%.log");
	ck_assert_int_eq(
	    sent_log_file_name("M\xc3\xbcller", buf, sizeof(buf)), MC_OK);
	ck_assert_str_eq(buf, "M%C3%BCller.log");
	ck_assert_int_eq(sent_log_file_name("pacs", buf, 8), MC_EINVAL);
	ck_assert_int_eq(sent_log_file_name("pacs", buf, 9), MC_OK);
}
END_TEST

START_TEST(unsafe_target_name_stays_in_sent)
{
	sent_log *l;
	char      err[256], text[64];

	ck_assert_int_eq(
	    sent_log_open(mc_check_tmpdir, "../../x", &l, err, sizeof(err)),
	    MC_OK);
	ck_assert_int_eq(sent_log_add(l, "a.dcm"), MC_OK);
	sent_log_destroy(l);
	slurp("%2E.%2F..%2Fx.log", text, sizeof(text));
	ck_assert_str_eq(text, "a.dcm\n");
}
END_TEST

START_TEST(unsent_keeps_order)
{
	sent_log         *l;
	char              err[256];
	const char *const paths[] = {
	    "/t/in/a.dcm", "/t/in/b.dcm", "/t/in/c.dcm", "/t/in/d.dcm"};
	const char **rest;
	size_t       n;

	ck_assert_int_eq(
	    sent_log_open(mc_check_tmpdir, "pacs", &l, err, sizeof(err)),
	    MC_OK);
	sent_log_destroy(l);
	put("pacs.log", "b.dcm\nd.dcm\nzzz.dcm\n");
	ck_assert_int_eq(
	    sent_log_open(mc_check_tmpdir, "pacs", &l, err, sizeof(err)),
	    MC_OK);
	ck_assert_int_eq(sent_log_unsent(l, paths, 4, &rest, &n), MC_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(rest[0], "/t/in/a.dcm");
	ck_assert_str_eq(rest[1], "/t/in/c.dcm");
	free(rest);
	ck_assert_int_eq(sent_log_unsent(l, paths, 0, &rest, &n), MC_OK);
	ck_assert_uint_eq(n, 0);
	free(rest);
	sent_log_destroy(l);
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("sent_log");
	const TTest *log[] = {empty_then_appended,
	    torn_line_is_ignored_and_ended, unsafe_target_name_stays_in_sent,
	    unsent_keeps_order, NULL};
	const TTest *names[] = {target_names_are_encoded, NULL};

	mc_check_fixture_tcase(s, "log", log, setup, mc_check_tmpdir_teardown);
	mc_check_tcase(s, "names", names);
	return mc_check_run(s);
}
