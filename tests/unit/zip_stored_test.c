/* zip_stored_test.c - the stored zip streamed from files: its layout
 * byte by byte (headers, CRC-32, central directory, end record), its
 * length known up front, and a file that changes between the passes. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "check_tmpdir.h"

#include "targets/zip_stored.h"

static char p_a[600], p_b[600];

static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static uint32_t
u32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t) p[3] << 24;
}

static uint32_t
u16(const unsigned char *p)
{
	return p[0] | p[1] << 8;
}

static void
setup(void)
{
	mc_check_tmpdir_setup();
	snprintf(p_a, sizeof(p_a), "%s/a.dcm", mc_check_tmpdir);
	snprintf(p_b, sizeof(p_b), "%s/b.dcm", mc_check_tmpdir);
	put(p_a, "123456789");
	put(p_b, "");
}

/* the whole archive, read 7 bytes at a time */
static size_t
read_all(zip_stored *z, unsigned char *buf, size_t len)
{
	size_t got = 0, n;

	while (got < len && (n = zip_stored_read(z, (char *) buf + got,
	                         len - got < 7 ? len - got : 7)) > 0)
		got += n;
	return got;
}

START_TEST(layout_of_two_members)
{
	const char   *paths[] = {p_a, p_b}, *names[] = {"0.dcm", "1.dcm"};
	zip_stored   *z = NULL;
	unsigned char buf[1024];
	char          err[256] = "";
	size_t        len, cd;

	ck_assert_int_eq(
	    zip_stored_create(paths, names, 2, &z, err, sizeof(err)), MC_OK);
	/* 2 local headers + 9 bytes, 2 central entries, the end record */
	ck_assert_int_eq(zip_stored_size(z), 2 * 35 + 9 + 2 * 51 + 22);
	len = read_all(z, buf, sizeof(buf));
	ck_assert_uint_eq(len, (size_t) zip_stored_size(z));
	ck_assert(!zip_stored_failed(z));
	ck_assert_uint_eq(zip_stored_read(z, (char *) buf, 1), 0);
	/* member 0: stored, no descriptor flag, CRC-32 of "123456789" */
	ck_assert_uint_eq(u32(buf), 0x04034b50u);
	ck_assert_uint_eq(u16(buf + 6), 0);
	ck_assert_uint_eq(u16(buf + 8), 0);
	ck_assert_uint_eq(u32(buf + 14), 0xCBF43926u);
	ck_assert_uint_eq(u32(buf + 18), 9);
	ck_assert_uint_eq(u32(buf + 22), 9);
	ck_assert_uint_eq(u16(buf + 26), 5);
	ck_assert(memcmp(buf + 30, "0.dcm123456789", 14) == 0);
	/* member 1: empty */
	ck_assert_uint_eq(u32(buf + 44), 0x04034b50u);
	ck_assert_uint_eq(u32(buf + 44 + 14), 0);
	/* the central directory after it, the end record pointing there */
	cd = 44 + 35;
	ck_assert_uint_eq(u32(buf + cd), 0x02014b50u);
	ck_assert_uint_eq(u32(buf + cd + 16), 0xCBF43926u);
	ck_assert_uint_eq(u32(buf + cd + 42), 0);
	ck_assert_uint_eq(u32(buf + cd + 51 + 42), 44);
	ck_assert_uint_eq(u32(buf + len - 22), 0x06054b50u);
	ck_assert_uint_eq(u16(buf + len - 22 + 10), 2);
	ck_assert_uint_eq(u32(buf + len - 22 + 12), 2 * 51);
	ck_assert_uint_eq(u32(buf + len - 22 + 16), cd);
	zip_stored_destroy(z);
	zip_stored_destroy(NULL);
}
END_TEST

START_TEST(a_file_that_changes_is_a_read_error)
{
	const char   *paths[] = {p_a}, *names[] = {"0.dcm"};
	zip_stored   *z = NULL;
	unsigned char buf[1024];
	char          err[256] = "";

	ck_assert_int_eq(
	    zip_stored_create(paths, names, 1, &z, err, sizeof(err)), MC_OK);
	put(p_a, "1234567890");
	read_all(z, buf, sizeof(buf));
	ck_assert(zip_stored_failed(z));
	zip_stored_destroy(z);
}
END_TEST

START_TEST(missing_files_and_bad_names_are_refused)
{
	char        missing[700], err[256] = "", longname[300];
	const char *paths[] = {missing}, *names[] = {"0.dcm"};
	zip_stored *z = (zip_stored *) 1;

	snprintf(missing, sizeof(missing), "%s/none.dcm", mc_check_tmpdir);
	ck_assert_int_eq(
	    zip_stored_create(paths, names, 1, &z, err, sizeof(err)), MC_EIO);
	ck_assert_ptr_null(z);
	ck_assert_ptr_nonnull(strstr(err, "none.dcm"));
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	paths[0] = p_a;
	names[0] = longname;
	ck_assert_int_eq(
	    zip_stored_create(paths, names, 1, &z, err, sizeof(err)),
	    MC_EINVAL);
	names[0] = "";
	ck_assert_int_eq(
	    zip_stored_create(paths, names, 1, &z, err, sizeof(err)),
	    MC_EINVAL);
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("zip_stored");
	const TTest *zip[] = {layout_of_two_members,
	    a_file_that_changes_is_a_read_error,
	    missing_files_and_bad_names_are_refused, NULL};

	mc_check_fixture_tcase(s, "zip", zip, setup, mc_check_tmpdir_teardown);
	return mc_check_run(s);
}
