/* qr_multipart_test.c - WADO-RS answers read into files: parts split
 * anywhere between feeds, content that looks almost like a delimiter
 * (RFC 2046 forbids the delimiter itself inside a part),
 * preamble and epilogue, and the errors: no boundary, no closing
 * delimiter, headers without end, a part the caller refuses. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "check_tmpdir.h"

#include "os/sys_fs.h"
#include "retrieve/qr_multipart.h"

static size_t begun, allowed = 100;
static char   err[256];

static mc_err
on_begin(void *ctx, char *e, size_t elen)
{
	(void) ctx;
	if (begun == allowed) {
		snprintf(e, elen, "refused");
		return MC_ENOSPC;
	}
	begun++;
	return MC_OK;
}

static qr_multipart *
reader(const char *ctype)
{
	qr_multipart *m = NULL;

	begun = 0;
	ck_assert_int_eq(qr_multipart_create(ctype, mc_check_tmpdir, "p",
	                     on_begin, NULL, &m, err, sizeof(err)),
	    MC_OK);
	return m;
}

static void
assert_part(size_t i, const char *want, size_t len)
{
	char   path[MC_PATH_MAX], *got = NULL;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/p-%zu.dcm", mc_check_tmpdir, i);
	ck_assert_int_eq(sys_read_file(path, &got, &n), MC_OK);
	ck_assert_uint_eq(n, len);
	ck_assert(memcmp(got, want, len) == 0);
	free(got);
}

static const char body[] =
    "preamble\r\n"
    "--b0UND\r\nContent-Type: application/dicom\r\n\r\n"
    "first\r\n--b0UN part\r\n-b0UND\r\n--b0U"
    "\r\n--b0UND  \r\nContent-Type: application/dicom\r\n\r\n"
    "second"
    "\r\n--b0UND--\r\nepilogue";

START_TEST(parts_split_anywhere_land_in_their_files)
{
	size_t step[] = {1, 2, 3, 7, sizeof(body)};

	for (size_t s = 0; s < sizeof(step) / sizeof(step[0]); s++) {
		qr_multipart *m =
		    reader("multipart/related; type=\"application/dicom\"; "
		           "boundary=\"b0UND\"");
		size_t parts = 0;
		for (size_t i = 0; i < sizeof(body) - 1; i += step[s]) {
			size_t k = sizeof(body) - 1 - i < step[s]
			               ? sizeof(body) - 1 - i
			               : step[s];
			ck_assert_int_eq(qr_multipart_feed(
			                     m, body + i, k, err, sizeof(err)),
			    MC_OK);
		}
		ck_assert_int_eq(
		    qr_multipart_finish(m, &parts, err, sizeof(err)), MC_OK);
		ck_assert_uint_eq(parts, 2);
		qr_multipart_destroy(m);
		assert_part(0, "first\r\n--b0UN part\r\n-b0UND\r\n--b0U",
		    sizeof("first\r\n--b0UN part\r\n-b0UND\r\n--b0U") - 1);
		assert_part(1, "second", 6);
		ck_assert_int_eq(sys_remove_tree(mc_check_tmpdir), MC_OK);
		ck_assert_int_eq(sys_mkdir_p(mc_check_tmpdir), MC_OK);
	}
}
END_TEST

START_TEST(no_boundary_is_refused)
{
	qr_multipart *m = NULL;

	ck_assert_int_eq(
	    qr_multipart_create("application/dicom", mc_check_tmpdir, "p",
	        on_begin, NULL, &m, err, sizeof(err)),
	    MC_EPROTO);
	ck_assert_ptr_null(m);
	ck_assert_int_eq(
	    qr_multipart_create("multipart/related; type=x", mc_check_tmpdir,
	        "p", on_begin, NULL, &m, err, sizeof(err)),
	    MC_EPROTO);
}
END_TEST

START_TEST(a_body_cut_short_fails_and_leaves_no_partial_file)
{
	static const char cut[] = "--B\r\n\r\nwhole\r\n--B\r\n\r\nhalf of it";
	qr_multipart     *m = reader("multipart/related; boundary=B");
	size_t            parts = 0;
	char              path[MC_PATH_MAX];

	ck_assert_int_eq(
	    qr_multipart_feed(m, cut, sizeof(cut) - 1, err, sizeof(err)),
	    MC_OK);
	ck_assert_int_eq(
	    qr_multipart_finish(m, &parts, err, sizeof(err)), MC_EPROTO);
	ck_assert_uint_eq(parts, 1);
	qr_multipart_destroy(m);
	assert_part(0, "whole", 5);
	snprintf(path, sizeof(path), "%s/p-1.dcm", mc_check_tmpdir);
	ck_assert(!sys_exists(path));
}
END_TEST

START_TEST(endless_headers_and_refused_parts_stop_the_body)
{
	qr_multipart *m = reader("multipart/related; boundary=B");
	char         *junk = malloc(20000);
	size_t        parts = 0;

	memset(junk, 'h', 20000);
	ck_assert_int_eq(
	    qr_multipart_feed(m, "--B\r\n", 5, err, sizeof(err)), MC_OK);
	ck_assert_int_eq(
	    qr_multipart_feed(m, junk, 20000, err, sizeof(err)), MC_EPROTO);
	ck_assert_str_eq(err, "multipart headers too long");
	qr_multipart_destroy(m);
	free(junk);

	allowed = 1;
	m = reader("multipart/related; boundary=B");
	ck_assert_int_eq(
	    qr_multipart_feed(m, "--B\r\n\r\none\r\n--B\r\n\r\ntwo\r\n--B--",
	        30, err, sizeof(err)),
	    MC_ENOSPC);
	ck_assert_str_eq(err, "refused");
	ck_assert_int_eq(
	    qr_multipart_finish(m, &parts, err, sizeof(err)), MC_ENOSPC);
	ck_assert_uint_eq(parts, 1);
	qr_multipart_destroy(m);
	allowed = 100;
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("qr_multipart");
	const TTest *read[] = {parts_split_anywhere_land_in_their_files,
	    no_boundary_is_refused,
	    a_body_cut_short_fails_and_leaves_no_partial_file,
	    endless_headers_and_refused_parts_stop_the_body, NULL};

	mc_check_tmpdir_tcase(s, "read", read);
	return mc_check_run(s);
}
