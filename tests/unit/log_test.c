/* log_test.c - one event is one line whatever a value holds, and a
 * quoted value cannot be closed from inside. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"

#include "base/log.h"

/* Run log lines into a temp file standing in for stderr; return its
 * contents (static buffer). */
static char captured[8192];

static FILE *
capture_start(void)
{
	FILE *f = tmpfile();

	ck_assert_ptr_nonnull(f);
	fflush(stderr);
	ck_assert_int_eq(dup2(fileno(f), STDERR_FILENO), STDERR_FILENO);
	return f;
}

static const char *
capture_end(FILE *f)
{
	size_t n;

	fflush(stderr);
	rewind(f);
	n = fread(captured, 1, sizeof(captured) - 1, f);
	captured[n] = '\0';
	fclose(f);
	return captured;
}

static size_t
count_char(const char *s, char c)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

START_TEST(control_bytes_in_a_value_are_escaped_by_the_sink)
{
	FILE       *f = capture_start();
	const char *out;

	log_set_program("t");
	log_warn("event=x.y v=%s end=1", "a\nb\rc\x1b[31m\td\x7f");
	log_warn("event=x.z msg=\"%s\"", "line one\nline two");
	out = capture_end(f);
	ck_assert_uint_eq(count_char(out, '\n'), 2);
	ck_assert_ptr_nonnull(
	    strstr(out, " v=a\\nb\\rc\\x1b[31m\\td\\x7f end=1\n"));
	ck_assert_ptr_nonnull(strstr(out, "msg=\"line one\\nline two\"\n"));
	ck_assert_ptr_null(strchr(out, '\r'));
	ck_assert_ptr_null(strchr(out, '\x1b'));
}
END_TEST

START_TEST(a_line_too_long_is_cut_and_still_one_line)
{
	static char big[6000];
	FILE       *f = capture_start();
	const char *out;

	memset(big, '\n', sizeof(big) - 1);
	log_error("event=big v=%s", big);
	out = capture_end(f);
	ck_assert_uint_eq(count_char(out, '\n'), 1);
	ck_assert_int_eq(out[strlen(out) - 1], '\n');
	ck_assert_ptr_nonnull(strstr(out, "event=big v=\\n\\n"));
}
END_TEST

START_TEST(log_esc_escapes_quotes_backslashes_and_controls)
{
	char buf[LOG_ESC_LEN(16)];

	ck_assert_str_eq(
	    log_esc(buf, sizeof(buf), "Q\" called=\"X"), "Q\\\" called=\\\"X");
	ck_assert_str_eq(log_esc(buf, sizeof(buf), "B\\S\a"), "B\\\\S\\x07");
	ck_assert_str_eq(
	    log_esc(buf, sizeof(buf), "A\r\nB\x1b"), "A\\r\\nB\\x1b");
	ck_assert_str_eq(log_esc(buf, sizeof(buf), "Müller"), "Müller");
	ck_assert_str_eq(log_esc(buf, sizeof(buf), NULL), "");
}
END_TEST

START_TEST(log_esc_cuts_between_escapes)
{
	char buf[6];

	/* "a" + "\x01" (4) = 5 bytes + NUL fits; the next escape does not */
	ck_assert_str_eq(log_esc(buf, sizeof(buf), "a\x01\x02"), "a\\x01");
	ck_assert_str_eq(log_esc(buf, 3, "\"\"\""), "\\\"");
	ck_assert_str_eq(log_esc(buf, 1, "abc"), "");
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("log");
	const TTest *escaping[] = {
	    control_bytes_in_a_value_are_escaped_by_the_sink,
	    a_line_too_long_is_cut_and_still_one_line,
	    log_esc_escapes_quotes_backslashes_and_controls,
	    log_esc_cuts_between_escapes, NULL};

	mc_check_tcase(s, "escaping", escaping);
	return mc_check_run(s);
}
