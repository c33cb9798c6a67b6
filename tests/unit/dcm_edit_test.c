/* dcm_edit_test.c - changing attributes of DICOM files (dcm_edit.h):
 * each operation is checked alone with the field and reason of a
 * mistake, a list rewrites a copy with the values expected (read back
 * through dcmdump) and leaves the original alone, and the hostile cases
 * (huge values, a UID set to garbage, text the file's character set
 * cannot hold, attributes that are never changed) fail with a reason. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "check_tmpdir.h"

#include "dcm/dcm_edit.h"
#include "os/sys_files.h"
#include "os/sys_fs.h"
#include "os/sys_spawn.h"

#define PYDICOM_DATA "/usr/lib/python3/dist-packages/pydicom/data"
#define CT_SMALL PYDICOM_DATA "/test_files/CT_small.dcm"
#define MR_J2K PYDICOM_DATA "/test_files/MR_small_jp2klossless.dcm"
#define DUMP_MAX 65536

static const char *
path_of(const char *rel)
{
	static char p[MC_PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", mc_check_tmpdir, rel);
	return p;
}

/* dump - dcmdump of path (a few attributes), through a log file */
static const char *
dump(const char *path)
{
	static char out[DUMP_MAX];
	char        log[MC_PATH_MAX], err[256], *text = NULL;
	char *argv[] = {"dcmdump", "-M", "+P", "0002,0010", "+P", "0008,0050",
	    "+P", "0008,1010", "+P", "0008,0080", "+P", "0008,1030", "+P",
	    "0010,4000", "+P", "0008,0018", "+P", "0002,0003", "+P",
	    "0010,0010", (char *) path, NULL};
	sys_spawn_opts   so = {argv, NULL, log, SYS_SPAWN_SEARCH_PATH};
	sys_child_status st;
	pid_t            pid;
	size_t           len = 0;

	snprintf(log, sizeof(log), "%s/dump.txt", mc_check_tmpdir);
	ck_assert_int_eq(sys_remove_tree(log), MC_OK);
	ck_assert_int_eq(sys_spawn_start(&so, &pid, err, sizeof(err)), MC_OK);
	ck_assert_int_eq(sys_spawn_wait(pid, 30000, &st), MC_OK);
	ck_assert_int_eq(sys_read_file(log, &text, &len), MC_OK);
	snprintf(out, sizeof(out), "%s", text);
	free(text);
	return out;
}

static void
assert_has(const char *text, const char *want)
{
	ck_assert_msg(
	    strstr(text, want) != NULL, "'%s' not in:\n%s", want, text);
}

static void
assert_lacks(const char *text, const char *bad)
{
	ck_assert_msg(strstr(text, bad) == NULL, "'%s' in:\n%s", bad, text);
}

/* ---- checks of single operations ---------------------------------------- */

static const struct bad_op {
	dcm_edit_op    op;
	dcm_edit_field field;
	const char    *msg;
} bad_ops[] = {
    {{DCM_EDIT_SET, "AccesionNumber", "x", NULL}, DCM_EDIT_FIELD_TAG,
        "unknown keyword 'AccesionNumber'"},
    {{DCM_EDIT_SET, "0008,10g0", "x", NULL}, DCM_EDIT_FIELD_TAG,
        "'0008,10g0' is not gggg,eeee in hexadecimal"},
    {{DCM_EDIT_SET, "Station Name", "x", NULL}, DCM_EDIT_FIELD_TAG,
        "is neither a keyword nor gggg,eeee"},
    {{DCM_EDIT_SET, "StationName", "12345678901234567", NULL},
        DCM_EDIT_FIELD_VALUE, "is not a valid SH value for StationName"},
    {{DCM_EDIT_SET, "StudyInstanceUID", "not-a-uid", NULL},
        DCM_EDIT_FIELD_VALUE, "is not a valid UI value"},
    {{DCM_EDIT_SET, "TransferSyntaxUID", "1.2", NULL}, DCM_EDIT_FIELD_TAG,
        "groups 0000-0007"},
    {{DCM_EDIT_SET, "SpecificCharacterSet", "ISO_IR 192", NULL},
        DCM_EDIT_FIELD_TAG, "is never changed"},
    {{DCM_EDIT_SET, "SOPClassUID", "1.2.3", NULL}, DCM_EDIT_FIELD_TAG,
        "is never changed"},
    {{DCM_EDIT_REMOVE, "PixelData", NULL, NULL}, DCM_EDIT_FIELD_TAG,
        "pixel data"},
    {{DCM_EDIT_REMOVE, "SOPInstanceUID", NULL, NULL}, DCM_EDIT_FIELD_TAG,
        "never removed"},
    {{DCM_EDIT_SET, "0008,0000", "1", NULL}, DCM_EDIT_FIELD_TAG,
        "group length"},
    {{DCM_EDIT_SET, "0009,1001", "x", NULL}, DCM_EDIT_FIELD_TAG, "is private"},
    {{DCM_EDIT_SET, "Rows", "1", NULL}, DCM_EDIT_FIELD_TAG,
        "has VR US: only text VRs"},
    {{DCM_EDIT_SET, "ReferencedSeriesSequence", "", NULL}, DCM_EDIT_FIELD_TAG,
        "has VR SQ"},
    {{DCM_EDIT_SET, "StationName", "{StationNam}", NULL}, DCM_EDIT_FIELD_VALUE,
        "in {StationNam}: unknown keyword"},
    {{DCM_EDIT_SET, "StationName", "a{b", NULL}, DCM_EDIT_FIELD_VALUE,
        "'{' without '}'"},
    {{DCM_EDIT_SET, "StationName", "a}b", NULL}, DCM_EDIT_FIELD_VALUE,
        "a lone '}'"},
    {{DCM_EDIT_COPY, "InstitutionName", "StationNme", NULL},
        DCM_EDIT_FIELD_VALUE, "unknown keyword 'StationNme'"},
    {{DCM_EDIT_REGEX, "StudyDescription", "(a", "x"}, DCM_EDIT_FIELD_VALUE,
        "bad regular expression"},
    {{DCM_EDIT_REGEX, "StudyDescription", "(a)\\1", "x"}, DCM_EDIT_FIELD_VALUE,
        "back references"},
    {{DCM_EDIT_REGEX, "StudyDescription", "(a)", "\\2"},
        DCM_EDIT_FIELD_REPLACE, "the pattern has only 1 group(s)"},
    {{DCM_EDIT_REGEX, "StudyDescription", "a", "\\n"}, DCM_EDIT_FIELD_REPLACE,
        "must be followed by a group number"},
    {{DCM_EDIT_REGEX, "StudyDescription", "a", NULL}, DCM_EDIT_FIELD_REPLACE,
        "the replacement is missing"},
};

START_TEST(each_bad_operation_names_its_field_and_reason)
{
	const struct bad_op *b = &bad_ops[_i];
	dcm_edit_field       field = (dcm_edit_field) -1;
	char                 err[512] = "";

	ck_assert_int_eq(
	    dcm_edit_check(&b->op, &field, err, sizeof(err)), MC_EINVAL);
	ck_assert_int_eq(field, b->field);
	assert_has(err, b->msg);
}
END_TEST

START_TEST(good_operations_pass_the_check)
{
	static const dcm_edit_op good[] = {
	    {DCM_EDIT_SET, "AccessionNumber", "EXT-{AccessionNumber}", NULL},
	    {DCM_EDIT_SET, "0008,1010", "CT7", NULL},
	    {DCM_EDIT_SET, "(0008,1010)", "{{x}}", NULL},
	    {DCM_EDIT_SET, "InstitutionName", "", NULL},
	    {DCM_EDIT_SET, "StudyInstanceUID", "1.2.826.0.1.3680043.2", NULL},
	    {DCM_EDIT_REMOVE, "PatientComments", NULL, NULL},
	    {DCM_EDIT_REMOVE, "0009,1001", NULL, NULL},
	    {DCM_EDIT_COPY, "InstitutionName", "StationName", NULL},
	    {DCM_EDIT_REGEX, "StudyDescription", "^(.*)$", "RESEARCH \\1"},
	};
	dcm_edit_field field;
	char           err[512];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(dcm_edit_check(
		                  &good[i], &field, err, sizeof(err)) == MC_OK,
		    "%zu: %s", i, err);
}
END_TEST

START_TEST(too_long_texts_and_too_many_operations_are_refused)
{
	char       *big = malloc(DCM_EDIT_TEXT_MAX_BYTES + 2);
	dcm_edit_op o = {DCM_EDIT_SET, "AdditionalPatientHistory", big, NULL};
	dcm_edit_op many[DCM_EDIT_MAX_OPS + 1];
	dcm_edit_field field;
	dcm_edit      *e = (dcm_edit *) 1;
	size_t         bad = 0;
	char           err[512];

	memset(big, 'a', DCM_EDIT_TEXT_MAX_BYTES + 1);
	big[DCM_EDIT_TEXT_MAX_BYTES + 1] = '\0';
	ck_assert_int_eq(
	    dcm_edit_check(&o, &field, err, sizeof(err)), MC_EINVAL);
	assert_has(err, "longer than 1024 bytes");
	for (size_t i = 0; i <= DCM_EDIT_MAX_OPS; i++)
		many[i] = (dcm_edit_op){
		    DCM_EDIT_REMOVE, "PatientComments", NULL, NULL};
	ck_assert_int_eq(dcm_edit_create(many, DCM_EDIT_MAX_OPS + 1, &e, &bad,
	                     err, sizeof(err)),
	    MC_EINVAL);
	ck_assert_ptr_null(e);
	assert_has(err, "more than 64 operations");
	ck_assert_int_eq(dcm_edit_create(many, DCM_EDIT_MAX_OPS, &e, &bad, err,
	                     sizeof(err)),
	    MC_OK);
	dcm_edit_destroy(e);
	free(big);
}
END_TEST

/* ---- files ----------------------------------------------------------------
 */

static dcm_edit *
make(const dcm_edit_op *ops, size_t n)
{
	dcm_edit *e = NULL;
	size_t    bad = 0;
	char      err[512] = "";

	ck_assert_msg(
	    dcm_edit_create(ops, n, &e, &bad, err, sizeof(err)) == MC_OK,
	    "op %zu: %s", bad, err);
	return e;
}

START_TEST(a_copy_gets_the_changes_and_the_original_keeps_its_values)
{
	static const dcm_edit_op ops[] = {
	    {DCM_EDIT_SET, "AccessionNumber", "EXT-{StationName}", NULL},
	    {DCM_EDIT_SET, "0008,1010", "CT7", NULL},
	    {DCM_EDIT_SET, "PatientComments", "x", NULL},
	    {DCM_EDIT_REMOVE, "PatientComments", NULL, NULL},
	    {DCM_EDIT_COPY, "InstitutionName", "StationName", NULL},
	    {DCM_EDIT_REGEX, "StudyDescription", "^(.*)$", "RESEARCH \\1"},
	};
	dcm_edit   *e = make(ops, sizeof(ops) / sizeof(ops[0]));
	size_t      changed = 0;
	char        err[512] = "";
	const char *d;

	ck_assert_msg(dcm_edit_file(e, CT_SMALL, path_of("out.dcm"), &changed,
	                  err, sizeof(err)) == MC_OK,
	    "%s", err);
	ck_assert_uint_eq(changed, 6);
	ck_assert(!sys_exists(path_of("out.dcm.part")));
	d = dump(path_of("out.dcm"));
	assert_has(d, "(0008,0050) SH [EXT-CT01_OC0]");
	assert_has(d, "(0008,1010) SH [CT7]");
	/* copied after the station was set: operations run in order */
	assert_has(d, "(0008,0080) LO [CT7]");
	assert_has(d, "(0008,1030) LO [RESEARCH e+1]");
	assert_has(d, "LittleEndianExplicit");
	assert_lacks(d, "(0010,4000)");
	d = dump(CT_SMALL);
	assert_has(d, "(0008,1010) SH [CT01_OC0]");
	assert_has(d, "(0008,0080) LO [JFK IMAGING CENTER]");
	assert_has(d, "(0008,1030) LO [e+1]");
	dcm_edit_destroy(e);
}
END_TEST

START_TEST(a_compressed_file_keeps_its_transfer_syntax)
{
	static const dcm_edit_op ops[] = {
	    {DCM_EDIT_SET, "StationName", "J2K", NULL}};
	dcm_edit   *e = make(ops, 1);
	char        err[512] = "";
	const char *d;

	ck_assert_msg(dcm_edit_file(e, MR_J2K, path_of("j.dcm"), NULL, err,
	                  sizeof(err)) == MC_OK,
	    "%s", err);
	d = dump(path_of("j.dcm"));
	assert_has(d, "JPEG2000LosslessOnly");
	assert_has(d, "(0008,1010) SH [J2K]");
	dcm_edit_destroy(e);
}
END_TEST

START_TEST(a_new_sop_instance_uid_reaches_the_meta_header)
{
	static const dcm_edit_op ops[] = {{DCM_EDIT_SET, "SOPInstanceUID",
	    "1.2.826.0.1.3680043.10.99.1", NULL}};
	dcm_edit                *e = make(ops, 1);
	char                     err[512] = "";
	const char              *d;

	ck_assert_int_eq(dcm_edit_file(e, CT_SMALL, path_of("u.dcm"), NULL,
	                     err, sizeof(err)),
	    MC_OK);
	d = dump(path_of("u.dcm"));
	assert_has(d, "(0002,0003) UI [1.2.826.0.1.3680043.10.99.1]");
	assert_has(d, "(0008,0018) UI [1.2.826.0.1.3680043.10.99.1]");
	dcm_edit_destroy(e);
}
END_TEST

/* fails - the op list on CT_small fails with reason; nothing written */
static void
fails(const dcm_edit_op *ops, size_t n, const char *reason)
{
	dcm_edit *e = make(ops, n);
	char      err[512] = "";

	ck_assert_msg(dcm_edit_file(e, CT_SMALL, path_of("bad.dcm"), NULL, err,
	                  sizeof(err)) == MC_EINVAL,
	    "wanted '%s'", reason);
	assert_has(err, reason);
	ck_assert(!sys_exists(path_of("bad.dcm")));
	ck_assert(!sys_exists(path_of("bad.dcm.part")));
	dcm_edit_destroy(e);
}

START_TEST(values_made_invalid_by_the_file_fail_the_file)
{
	/* a template that outgrows the VR (SH: 16) */
	static const dcm_edit_op longer[] = {
	    {DCM_EDIT_SET, "StationName", "{InstitutionName}", NULL}};
	/* grows eightfold per operation: LT stops at its 10240 bytes, UT
	 * (no VR limit) at the value cap, never allocating more */
#define EIGHT(t) "{" t "}{" t "}{" t "}{" t "}{" t "}{" t "}{" t "}{" t "}"
	static const dcm_edit_op lt[] = {
	    {DCM_EDIT_SET, "AdditionalPatientHistory", "xxxxxxxxxxxxxxxx",
	        NULL},
	    {DCM_EDIT_SET, "AdditionalPatientHistory",
	        EIGHT("AdditionalPatientHistory"), NULL},
	    {DCM_EDIT_SET, "AdditionalPatientHistory",
	        EIGHT("AdditionalPatientHistory"), NULL},
	    {DCM_EDIT_SET, "AdditionalPatientHistory",
	        EIGHT("AdditionalPatientHistory"), NULL},
	    {DCM_EDIT_SET, "AdditionalPatientHistory",
	        EIGHT("AdditionalPatientHistory"), NULL},
	};
	static const dcm_edit_op ut[] = {
	    {DCM_EDIT_SET, "TextValue", "xxxxxxxxxxxxxxxx", NULL},
	    {DCM_EDIT_SET, "TextValue", EIGHT("TextValue"), NULL},
	    {DCM_EDIT_SET, "TextValue", EIGHT("TextValue"), NULL},
	    {DCM_EDIT_SET, "TextValue", EIGHT("TextValue"), NULL},
	    {DCM_EDIT_SET, "TextValue", EIGHT("TextValue"), NULL},
	    {DCM_EDIT_SET, "TextValue", EIGHT("TextValue"), NULL},
	};
	static const dcm_edit_op garbage_uid[] = {
	    {DCM_EDIT_SET, "StudyInstanceUID", "{PatientName}", NULL}};
	static const dcm_edit_op latin1[] = {
	    {DCM_EDIT_SET, "StationName", "Z\xc3\xbcrich", NULL}};
	static const dcm_edit_op regex_bad[] = {
	    {DCM_EDIT_REGEX, "SOPInstanceUID", "^1", "x"}};

	fails(longer, 1, "is not a valid SH value for StationName");
	fails(lt, 5, "is not a valid LT value");
	fails(ut, 6, "the value would be");
	fails(garbage_uid, 1, "is not a valid UI value for StudyInstanceUID");
	fails(latin1, 1, "is not ISO_IR 192");
	fails(regex_bad, 1, "is not a valid UI value");
}
END_TEST

START_TEST(a_regex_that_does_not_match_or_an_absent_tag_changes_nothing)
{
	static const dcm_edit_op ops[] = {
	    {DCM_EDIT_REGEX, "StationName", "^NOPE", "x"},
	    {DCM_EDIT_REGEX, "PatientComments", ".*", "x"},
	    {DCM_EDIT_REMOVE, "PatientComments", NULL, NULL},
	};
	dcm_edit   *e = make(ops, 3);
	size_t      changed = 9;
	char        err[512] = "";
	const char *d;

	ck_assert_int_eq(dcm_edit_file(e, CT_SMALL, path_of("n.dcm"), &changed,
	                     err, sizeof(err)),
	    MC_OK);
	ck_assert_uint_eq(changed, 0);
	d = dump(path_of("n.dcm"));
	assert_has(d, "(0008,1010) SH [CT01_OC0]");
	assert_lacks(d, "(0010,4000)");
	dcm_edit_destroy(e);
}
END_TEST

START_TEST(a_file_that_is_not_dicom_is_a_parse_error)
{
	static const dcm_edit_op ops[] = {
	    {DCM_EDIT_SET, "StationName", "x", NULL}};
	dcm_edit *e = make(ops, 1);
	char      err[512] = "";
	FILE     *f = fopen(path_of("junk.dcm"), "w");

	ck_assert_ptr_nonnull(f);
	fputs("not dicom at all", f);
	fclose(f);
	ck_assert_int_eq(dcm_edit_file(e, path_of("junk.dcm"),
	                     path_of("o.dcm"), NULL, err, sizeof(err)),
	    MC_EPARSE);
	ck_assert(!sys_exists(path_of("o.dcm")));
	dcm_edit_destroy(e);
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("dcm_edit");
	const TTest *check[] = {good_operations_pass_the_check,
	    too_long_texts_and_too_many_operations_are_refused, NULL};
	const TTest *files[] = {
	    a_copy_gets_the_changes_and_the_original_keeps_its_values,
	    a_compressed_file_keeps_its_transfer_syntax,
	    a_new_sop_instance_uid_reaches_the_meta_header,
	    values_made_invalid_by_the_file_fail_the_file,
	    a_regex_that_does_not_match_or_an_absent_tag_changes_nothing,
	    a_file_that_is_not_dicom_is_a_parse_error, NULL};

	tcase_add_loop_test(mc_check_tcase(s, "check", check),
	    each_bad_operation_names_its_field_and_reason, 0,
	    (int) (sizeof(bad_ops) / sizeof(bad_ops[0])));
	tcase_set_timeout(mc_check_tmpdir_tcase(s, "files", files), 60);
	return mc_check_run(s);
}
