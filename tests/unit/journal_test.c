/* journal_test.c - the series journal keeps every good record, whatever
 * happened to the lines around it. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "check_tmpdir.h"

#include "msg/journal.h"
#include "os/sys_fs.h"

static char path[128];

static void
setup(void)
{
	mc_check_tmpdir_setup();
	snprintf(
	    path, sizeof(path), "%s/%s", mc_check_tmpdir, JOURNAL_FILE_NAME);
}

static void
make(mc_instance *in, int n)
{
	char sop[32];
	mc_instance_init(in);
	snprintf(sop, sizeof(sop), "1.2.3.4.%d", n);
	mc_copy_text(in->study_uid, sizeof(in->study_uid), "1.2.3");
	mc_copy_text(in->series_uid, sizeof(in->series_uid), "1.2.3.4");
	mc_copy_text(in->sop_uid, sizeof(in->sop_uid), sop);
	snprintf(in->path, sizeof(in->path), "incoming/1.2.3.4/%s.dcm", sop);
	in->size = (uint64_t) n * 100;
	ck_assert_int_eq(mc_tagset_create(&in->tags), MC_OK);
	ck_assert_int_eq(
	    mc_tagset_set(in->tags, "PatientName",
	        "\xe5\xb1\xb1\xe7\x94\xb0^\xe5\xa4\xaa\xe9\x83\x8e"),
	    MC_OK);
	ck_assert_int_eq(mc_tagset_set(in->tags, "SeriesDescription",
	                     "a \"quoted\" \\ value"),
	    MC_OK);
	ck_assert_int_eq(
	    mc_tagset_set(in->tags, "ImageComments", "tab\there\x01\x1f end"),
	    MC_OK);
}

typedef struct {
	int      n;
	char     sops[16][MC_UID_MAX_LEN + 1];
	uint64_t sizes[16];
} seen;

static void
collect(void *ctx, mc_instance *in)
{
	seen *s = ctx;
	ck_assert_str_eq(mc_tagset_get(in->tags, "PatientName"),
	    "\xe5\xb1\xb1\xe7\x94\xb0^\xe5\xa4\xaa\xe9\x83\x8e");
	ck_assert_str_eq(mc_tagset_get(in->tags, "SeriesDescription"),
	    "a \"quoted\" \\ value");
	ck_assert_str_eq(
	    mc_tagset_get(in->tags, "ImageComments"), "tab\there\x01\x1f end");
	snprintf(s->sops[s->n], sizeof(s->sops[0]), "%s", in->sop_uid);
	s->sizes[s->n++] = in->size;
}

START_TEST(appended_records_read_back_in_order)
{
	seen   s = {0};
	size_t bad = 99;

	for (int i = 1; i <= 3; i++) {
		mc_instance in;
		make(&in, i);
		ck_assert_int_eq(
		    journal_append(path, &in, SYS_SYNC_DATA), MC_OK);
		mc_instance_fini(&in);
	}
	ck_assert_int_eq(journal_read(path, collect, &s, &bad), MC_OK);
	ck_assert_int_eq(s.n, 3);
	ck_assert_uint_eq(bad, 0);
	ck_assert_str_eq(s.sops[0], "1.2.3.4.1");
	ck_assert_str_eq(s.sops[2], "1.2.3.4.3");
	ck_assert_uint_eq(s.sizes[1], 200);
}
END_TEST

START_TEST(damaged_and_torn_lines_are_skipped_and_counted)
{
	seen        s = {0};
	size_t      bad = 0;
	mc_instance in;
	char       *line;
	size_t      len;

	make(&in, 1);
	ck_assert_int_eq(journal_append(path, &in, SYS_SYNC_NONE), MC_OK);
	ck_assert_int_eq(
	    sys_append(path, "{garbage\n", 9, SYS_SYNC_NONE), MC_OK);
	mc_instance_fini(&in);
	make(&in, 2);
	ck_assert_int_eq(journal_append(path, &in, SYS_SYNC_NONE), MC_OK);
	mc_instance_fini(&in);
	/* a record cut in the middle, as a crash during write leaves it */
	make(&in, 3);
	ck_assert_int_eq(journal_encode_line(&in, &line, &len), MC_OK);
	ck_assert_int_eq(
	    sys_append(path, line, len / 2, SYS_SYNC_NONE), MC_OK);
	free(line);
	mc_instance_fini(&in);
	ck_assert_int_eq(journal_read(path, collect, &s, &bad), MC_OK);
	ck_assert_int_eq(s.n, 2);
	ck_assert_uint_eq(bad, 2);
	ck_assert_str_eq(s.sops[1], "1.2.3.4.2");
}
END_TEST

START_TEST(record_with_hostile_uid_is_not_accepted)
{
	mc_instance in;
	const char *l =
	    "{\"v\":1,\"sop\":\"../x\",\"study\":\"1\",\"series\":"
	    "\"1\",\"sop_class\":\"\",\"path\":\"\",\"sender_address\":"
	    "\"\",\"sender_aet\":\"\",\"receiver_aet\":\"\",\"tags\":{}}";
	mc_instance_init(&in);
	ck_assert_int_eq(journal_decode_line(l, strlen(l), &in), MC_EPARSE);
	ck_assert_ptr_null(in.tags);
}
END_TEST

START_TEST(missing_journal_is_enoent)
{
	seen s = {0};
	ck_assert_int_eq(
	    journal_read("/nonexistent/journal", collect, &s, NULL),
	    MC_ENOENT);
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("journal");
	const TTest *records[] = {appended_records_read_back_in_order,
	    damaged_and_torn_lines_are_skipped_and_counted,
	    record_with_hostile_uid_is_not_accepted, missing_journal_is_enoent,
	    NULL};

	mc_check_fixture_tcase(
	    s, "records", records, setup, mc_check_tmpdir_teardown);
	return mc_check_run(s);
}
