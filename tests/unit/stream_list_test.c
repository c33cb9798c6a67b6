/* stream_list_test.c - the reader of stream.list: complete lines only (a
 * torn last line waits for its newline), each name once, unsafe names
 * skipped, an absent file read as an empty list, and the name set that
 * holds what was seen. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "check_tmpdir.h"

#include "name_set.h"
#include "stream/stream_list.h"

#define GOT_MAX 16

typedef struct got {
	char   names[GOT_MAX][300];
	size_t n;
} got;

static char list_path[600];

static void
on_name(void *arg, const char *name)
{
	got *g = arg;

	ck_assert_uint_lt(g->n, GOT_MAX);
	snprintf(g->names[g->n++], sizeof(g->names[0]), "%s", name);
}

static void
append(const char *text)
{
	FILE *f = fopen(list_path, "ab");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static size_t
poll_into(stream_list *s, got *g)
{
	char   err[256];
	size_t n = 99;

	g->n = 0;
	ck_assert_int_eq(
	    stream_list_poll(s, on_name, g, &n, err, sizeof(err)), MC_OK);
	ck_assert_uint_eq(n, g->n);
	return n;
}

static void
setup(void)
{
	mc_check_tmpdir_setup();
	snprintf(
	    list_path, sizeof(list_path), "%s/stream.list", mc_check_tmpdir);
}

START_TEST(absent_file_is_an_empty_list)
{
	stream_list *s;
	got          g;

	ck_assert_int_eq(stream_list_create(list_path, "t", &s), MC_OK);
	ck_assert_uint_eq(poll_into(s, &g), 0);
	append("");
	ck_assert_uint_eq(poll_into(s, &g), 0);
	stream_list_destroy(s);
	stream_list_destroy(NULL);
}
END_TEST

START_TEST(lines_in_order_and_a_torn_line_waits)
{
	stream_list *s;
	got          g;

	ck_assert_int_eq(stream_list_create(list_path, "t", &s), MC_OK);
	append("a#1.dcm\na#2.dcm\na#3.d");
	ck_assert_uint_eq(poll_into(s, &g), 2);
	ck_assert_str_eq(g.names[0], "a#1.dcm");
	ck_assert_str_eq(g.names[1], "a#2.dcm");
	ck_assert_uint_eq(poll_into(s, &g), 0); /* still torn */
	append("cm\n");
	ck_assert_uint_eq(poll_into(s, &g), 1);
	ck_assert_str_eq(g.names[0], "a#3.dcm");
	ck_assert_uint_eq(poll_into(s, &g), 0);
	stream_list_destroy(s);
}
END_TEST

START_TEST(duplicates_are_given_once)
{
	stream_list *s;
	got          g;

	ck_assert_int_eq(stream_list_create(list_path, "t", &s), MC_OK);
	append("x.dcm\nx.dcm\ny.dcm\n");
	ck_assert_uint_eq(poll_into(s, &g), 2);
	ck_assert_str_eq(g.names[0], "x.dcm");
	ck_assert_str_eq(g.names[1], "y.dcm");
	append("y.dcm\nx.dcm\nz.dcm\n");
	ck_assert_uint_eq(poll_into(s, &g), 1);
	ck_assert_str_eq(g.names[0], "z.dcm");
	stream_list_destroy(s);
}
END_TEST

START_TEST(unsafe_names_are_skipped)
{
	stream_list *s;
	got          g;
	char         longline[300];

	memset(longline, 'n', 256);
	longline[256] = '\n';
	longline[257] = '\0';
	ck_assert_int_eq(stream_list_create(list_path, "t", &s), MC_OK);
	append("../etc/passwd\n.hidden\nsub/x.dcm\n\nok.dcm\n");
	append(longline);
	ck_assert_uint_eq(poll_into(s, &g), 1);
	ck_assert_str_eq(g.names[0], "ok.dcm");
	ck_assert_uint_eq(stream_list_skipped(s), 5);
	longline[255] = '\n';
	longline[256] = '\0';
	append(longline); /* 255 characters: the longest name */
	ck_assert_uint_eq(poll_into(s, &g), 1);
	ck_assert_uint_eq(strlen(g.names[0]), 255);
	stream_list_destroy(s);
}
END_TEST

START_TEST(name_is_safe)
{
	ck_assert(stream_name_is_safe("1.2.3#4.5.dcm", 13));
	ck_assert(!stream_name_is_safe("", 0));
	ck_assert(!stream_name_is_safe(".x", 2));
	ck_assert(!stream_name_is_safe("a/b", 3));
	ck_assert(!stream_name_is_safe("a\0b", 3));
}
END_TEST

START_TEST(names_for_logs_are_printable)
{
	char buf[8];

	stream_name_for_log("a\"b\\c\x01\xc3", 7, buf, sizeof(buf));
	ck_assert_str_eq(buf, "a?b?c??");
	stream_name_for_log("abcdefghij", 10, buf, sizeof(buf));
	ck_assert_str_eq(buf, "abcdefg");
}
END_TEST

START_TEST(name_set_grows_and_finds)
{
	name_set *s;
	char      name[32];
	bool      added;

	ck_assert_int_eq(name_set_create(&s), MC_OK);
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "f%d.dcm", i);
		ck_assert_int_eq(
		    name_set_add(s, name, strlen(name), &added), MC_OK);
		ck_assert(added);
	}
	ck_assert_int_eq(name_set_add(s, "f7.dcmXYZ", 6, &added), MC_OK);
	ck_assert(!added);
	ck_assert_uint_eq(name_set_count(s), 1000);
	ck_assert(name_set_has(s, "f999.dcm"));
	ck_assert(!name_set_has(s, "f1000.dcm"));
	ck_assert(!name_set_has(s, "f7"));
	ck_assert(!name_set_has(NULL, "f7.dcm"));
	name_set_destroy(s);
	name_set_destroy(NULL);
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("stream_list");
	const TTest *list[] = {absent_file_is_an_empty_list,
	    lines_in_order_and_a_torn_line_waits, duplicates_are_given_once,
	    unsafe_names_are_skipped, NULL};
	const TTest *names[] = {name_is_safe, names_for_logs_are_printable,
	    name_set_grows_and_finds, NULL};

	mc_check_fixture_tcase(
	    s, "list", list, setup, mc_check_tmpdir_teardown);
	mc_check_tcase(s, "names", names);
	return mc_check_run(s);
}
