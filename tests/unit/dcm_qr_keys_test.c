/* dcm_qr_keys_test.c - which matching keys a query or retrieve may send
 * to a PACS: the six keywords, their lengths, the characters, dates and
 * UIDs, and wildcards only where a query asks for them. */
#include <check.h>
#include <string.h>

#include "check_main.h"

#include "dcm/dcm_qr.h"

static char err[256];

static mc_err
check(const char *k, const char *v, int wild)
{
	err[0] = '\0';
	return dcm_qr_key_check(k, v, wild, err, sizeof(err));
}

START_TEST(ordinary_keys_pass)
{
	ck_assert_int_eq(check("PatientID", "PID 0001-x", 0), MC_OK);
	ck_assert_int_eq(check("AccessionNumber", "ACC00901", 0), MC_OK);
	ck_assert_int_eq(check("StudyDate", "20240101", 0), MC_OK);
	ck_assert_int_eq(check("StudyDate", "20240101-20240131", 0), MC_OK);
	ck_assert_int_eq(check("StudyDate", "-20240131", 0), MC_OK);
	ck_assert_int_eq(check("StudyDate", "20240101-", 0), MC_OK);
	ck_assert_int_eq(check("Modality", "MR", 0), MC_OK);
	ck_assert_int_eq(
	    check("StudyInstanceUID", "1.2.840.113619.2.1", 0), MC_OK);
	ck_assert_int_eq(check("SeriesInstanceUID", "2.25.1", 0), MC_OK);
}
END_TEST

START_TEST(unknown_keywords_are_refused_with_the_list)
{
	ck_assert_int_eq(check("PatientName", "DOE^JOHN", 1), MC_EINVAL);
	ck_assert_str_eq(err,
	    "unknown key 'PatientName' (PatientID, AccessionNumber, "
	    "StudyDate, Modality, StudyInstanceUID, SeriesInstanceUID)");
	ck_assert_int_eq(check("patientid", "x", 1), MC_EINVAL);
	ck_assert_int_eq(check(NULL, "x", 1), MC_EINVAL);
}
END_TEST

START_TEST(values_are_printable_ascii_without_backslash_and_bounded)
{
	char long_id[80];

	ck_assert_int_eq(check("PatientID", "a\\b", 1), MC_EINVAL);
	ck_assert_str_eq(err, "PatientID: only printable ASCII without '\\'");
	ck_assert_int_eq(check("PatientID", "caf\xc3\xa9", 1), MC_EINVAL);
	ck_assert_int_eq(check("PatientID", "a\nb", 1), MC_EINVAL);
	ck_assert_int_eq(check("PatientID", "a\tb", 1), MC_EINVAL);
	ck_assert_int_eq(check("PatientID", "", 1), MC_EINVAL);
	ck_assert_int_eq(check("PatientID", NULL, 1), MC_EINVAL);
	memset(long_id, 'x', 64);
	long_id[64] = '\0';
	ck_assert_int_eq(check("PatientID", long_id, 1), MC_OK);
	long_id[64] = 'x';
	long_id[65] = '\0';
	ck_assert_int_eq(check("PatientID", long_id, 1), MC_EINVAL);
	ck_assert_str_eq(err, "PatientID: 1 to 64 characters");
	ck_assert_int_eq(
	    check("AccessionNumber", "12345678901234567", 1), MC_EINVAL);
	ck_assert_str_eq(err, "AccessionNumber: 1 to 16 characters");
}
END_TEST

START_TEST(wildcards_only_in_a_query_and_never_in_uids_or_dates)
{
	ck_assert_int_eq(check("PatientID", "PID*", 1), MC_OK);
	ck_assert_int_eq(check("AccessionNumber", "ACC0090?", 1), MC_OK);
	ck_assert_int_eq(check("PatientID", "PID*", 0), MC_EINVAL);
	ck_assert_str_eq(err, "PatientID: no wildcards here");
	ck_assert_int_eq(check("StudyInstanceUID", "1.2.*", 1), MC_EINVAL);
	ck_assert_int_eq(check("StudyDate", "2024*", 1), MC_EINVAL);
}
END_TEST

START_TEST(dates_and_uids_have_their_forms)
{
	ck_assert_int_eq(check("StudyDate", "2024-01-01", 0), MC_EINVAL);
	ck_assert_str_eq(
	    err, "StudyDate: YYYYMMDD or a range YYYYMMDD-YYYYMMDD");
	ck_assert_int_eq(check("StudyDate", "-", 0), MC_EINVAL);
	ck_assert_int_eq(check("StudyDate", "202401011", 0), MC_EINVAL);
	ck_assert_int_eq(check("StudyDate", "2024010a", 0), MC_EINVAL);
	ck_assert_int_eq(check("StudyInstanceUID", "../../x", 0), MC_EINVAL);
	ck_assert_int_eq(check("StudyInstanceUID", "1..2", 0), MC_EINVAL);
	ck_assert_int_eq(check("SeriesInstanceUID", "1.2.", 0), MC_EINVAL);
	ck_assert_str_eq(
	    err, "SeriesInstanceUID: not a UID (digits and dots)");
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("dcm_qr_keys");
	const TTest *keys[] = {ordinary_keys_pass,
	    unknown_keywords_are_refused_with_the_list,
	    values_are_printable_ascii_without_backslash_and_bounded,
	    wildcards_only_in_a_query_and_never_in_uids_or_dates,
	    dates_and_uids_have_their_forms, NULL};

	mc_check_tcase(s, "keys", keys);
	return mc_check_run(s);
}
