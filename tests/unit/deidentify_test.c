/* deidentify_test.c - the parts of the built-in module deidentify that
 * need no DICOM file: its settings (deid_settings.c) at config load and
 * in the worker, the values derived from the key (checked against
 * HMAC-SHA256 computed apart, with Python's hmac), the lookup table and
 * the mapping file. tests/integration/test_deidentify_profile checks the
 * DICOM actions. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check_main.h"
#include "check_tmpdir.h"

#include "config/config.h"
#include "config/deid_settings.h"
#include "os/sys_fs.h"
#include "process/builtin/deidentify_int.h"

#define ERR_LEN 512
#define UNIT_KEY "0123456789abcdef-unit-test-key"

static deid_settings set;
static char          err[ERR_LEN];

static mc_err
parse(const char *json)
{
	err[0] = '\0';
	return deid_settings_parse(json, &set, err, sizeof(err));
}

static void
write_text(const char *path, const char *text)
{
	ck_assert_int_eq(sys_write_file_sync(path, text, strlen(text)), MC_OK);
}

static void
path_in_tmp(char *buf, size_t len, const char *name)
{
	ck_assert_int_eq(
	    sys_path_fmt(buf, len, "%s/%s", mc_check_tmpdir, name), MC_OK);
}

/* ---- settings --------------------------------------------------------- */

START_TEST(settings_have_defaults_and_need_only_a_key)
{
	ck_assert_int_eq(parse("{\"secret_file\": \"/etc/key\"}"), MC_OK);
	ck_assert_str_eq(set.secret_file, "/etc/key");
	ck_assert_str_eq(set.patient_id, "ANON-{hash}");
	ck_assert_str_eq(set.patient_name, "ANONYMOUS^{hash}");
	ck_assert_uint_eq(set.options, 0);
	ck_assert_uint_eq(set.date_shift_max_days, 365);
	ck_assert_uint_eq(set.n_keep_private, 0);
	ck_assert(!set.allow_burned_in);
	ck_assert(!set.lookup_fallback);
	ck_assert_str_eq(set.mapping_file, "");
}
END_TEST

START_TEST(settings_read_options_private_tags_and_flags)
{
	ck_assert_int_eq(
	    parse("{\"secret_env\": \"K\", \"options\": "
	          "[\"retain_modified_dates\", \"clean_descriptors\", "
	          "\"retain_device_identity\"], \"keep_private\": "
	          "[\"0009,1002\", \"(0019,10aF)\"], \"allow_burned_in\": "
	          "\"true\", \"date_shift_max_days\": \"30\", "
	          "\"lookup_missing\": \"pattern\"}"),
	    MC_OK);
	ck_assert_uint_eq(set.options, DEID_OPT(RETAIN_MODIFIED_DATES) |
	                                   DEID_OPT(CLEAN_DESCRIPTORS) |
	                                   DEID_OPT(RETAIN_DEVICE_IDENTITY));
	ck_assert_uint_eq(set.n_keep_private, 2);
	ck_assert_uint_eq(set.keep_private[0], 0x00091002u);
	ck_assert_uint_eq(set.keep_private[1], 0x001910AFu);
	ck_assert(set.allow_burned_in);
	ck_assert(set.lookup_fallback);
	ck_assert_uint_eq(set.date_shift_max_days, 30);
	ck_assert_str_eq(
	    deid_option_name(DEID_OPT_BIT_CLEAN_GRAPHICS), "clean_graphics");
	ck_assert_str_eq(deid_option_name(DEID_OPT_COUNT), "");
}
END_TEST

static const struct bad_setting {
	const char *json;
	const char *want;
} bad_settings[] = {
    {"{}", "deidentify setting secret_file: the key for UIDs and hashes is "
           "needed: set secret_file or secret_env"},
    {"{\"secret\": \"abcdefghijklmnopq\"}",
        "deidentify setting secret: the key must not be written in the "
        "settings (they are copied into task.json): name a file with "
        "secret_file or a variable with secret_env"},
    {"{\"secret_file\": \"/k\", \"secret_env\": \"K\"}",
        "deidentify setting secret_file: set secret_file or secret_env, not "
        "both"},
    {"{\"secret_file\": \"/k\", \"optoins\": []}",
        "deidentify: unknown setting 'optoins'"},
    {"{\"secret_file\": \"/k\", \"options\": \"retain_uids\"}",
        "deidentify setting options: must be a list of names"},
    {"{\"secret_file\": \"/k\", \"options\": [\"retain_uids\", \"x\"]}",
        "deidentify setting options: item 2 is not one of retain_full_dates, "
        "retain_modified_dates, clean_descriptors, retain_uids, "
        "retain_device_identity, retain_patient_characteristics, "
        "retain_institution_identity, clean_graphics"},
    {"{\"secret_file\": \"/k\", \"options\": [\"retain_full_dates\", "
     "\"retain_modified_dates\"]}",
        "deidentify setting options: retain_full_dates and "
        "retain_modified_dates exclude each other"},
    {"{\"secret_file\": \"/k\", \"keep_private\": [\"0008,0050\"]}",
        "deidentify setting keep_private: item 1 is not a private data "
        "element \"gggg,eeee\" (odd group, element xx10..xxFF)"},
    {"{\"secret_file\": \"/k\", \"keep_private\": [\"0009,0010\"]}",
        "deidentify setting keep_private: item 1 is not a private data "
        "element \"gggg,eeee\" (odd group, element xx10..xxFF)"},
    {"{\"secret_file\": \"/k\", \"patient_id\": \"{id}\"}",
        "deidentify setting patient_id: may hold printable ASCII and {hash} "
        "only"},
    {"{\"secret_file\": \"/k\", \"patient_name\": \"a\\\\b\"}",
        "deidentify setting patient_name: may hold printable ASCII and "
        "{hash} only"},
    {"{\"secret_file\": \"/k\", \"patient_id\": \"\"}",
        "deidentify setting patient_id: must not be empty"},
    {"{\"secret_file\": \"/k\", \"patient_id\": "
     "\"{hash}{hash}{hash}{hash}{hash}{hash}\"}",
        "deidentify setting patient_id: gives more than 64 characters"},
    {"{\"secret_file\": \"/k\", \"date_shift_max_days\": 0}",
        "deidentify setting date_shift_max_days: must be a whole number of "
        "days, 1..36500"},
    {"{\"secret_file\": \"/k\", \"allow_burned_in\": \"yes\"}",
        "deidentify setting allow_burned_in: must be true or false"},
    {"{\"secret_file\": \"/k\", \"lookup_missing\": \"skip\"}",
        "deidentify setting lookup_missing: must be \"fail\" or \"pattern\""},
    {"[]", "deidentify setting settings: must be a mapping"},
};

START_TEST(each_bad_setting_gives_its_message)
{
	ck_assert_int_eq(parse(bad_settings[_i].json), MC_ECONFIG);
	ck_assert_str_eq(err, bad_settings[_i].want);
}
END_TEST

/* the same check at config load, at the settings' line and column */
START_TEST(config_load_checks_the_settings_where_they_are)
{
	static const char text[] =
	    "modules:\n"
	    "  deid:\n"
	    "    builtin: deidentify\n"
	    "    settings:\n"
	    "      secret: abcdefghijklmnopq\n"
	    "  ok:\n"
	    "    builtin: deidentify\n"
	    "    settings: {secret_file: /k, options: [retain_uids]}\n"
	    "  bare:\n"
	    "    builtin: deidentify\n";
	config_diag d[8];
	size_t      n = 0;
	mc_config  *c = NULL;
	char        line[512];

	ck_assert_int_eq(
	    config_load_buffer("t.yaml", text, strlen(text), &c, d, 8, &n),
	    MC_ECONFIG);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(config_diag_format(&d[0], line, sizeof(line)),
	    "t.yaml:5:7: modules.deid.settings: deidentify setting secret: "
	    "the key must not be written in the settings (they are copied "
	    "into task.json): name a file with secret_file or a variable with "
	    "secret_env");
	ck_assert_ptr_null(strstr(line, "abcdefghijklmnopq"));
}
END_TEST

/* ---- the key ----------------------------------------------------------- */

static void
unit_key(deid_key *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->bytes, UNIT_KEY, strlen(UNIT_KEY));
	k->len = strlen(UNIT_KEY);
}

START_TEST(uids_hashes_and_shifts_are_the_documented_hmacs)
{
	deid_key k;
	char     uid[DCM_DEID_UID_SIZE], hash[DEID_HASH_HEX_LEN + 1];
	char     out[DEID_PATTERN_SIZE];
	long     days = 0;

	unit_key(&k);
	/* HMAC-SHA256(key, "1.2.3.4"), first 128 bits in decimal */
	ck_assert_int_eq(deid_uid(&k, "1.2.3.4", uid), MC_OK);
	ck_assert_str_eq(uid, "2.25.23195943454956801335587860022547796970");
	/* HMAC-SHA256(key, "patient:PID1"), 12 hex digits */
	ck_assert_int_eq(deid_hash_hex(&k, "PID1", hash), MC_OK);
	ck_assert_str_eq(hash, "DD5D1CE7AAAF");
	/* -1 - (first 64 bits of HMAC-SHA256(key, "dateshift:PID1")) % 365 */
	ck_assert_int_eq(deid_shift_days(&k, "PID1", 365, &days), MC_OK);
	ck_assert_int_eq(days, -33);
	ck_assert_int_eq(deid_shift_days(&k, "PID1", 1, &days), MC_OK);
	ck_assert_int_eq(days, -1);
	deid_expand("ANON-{hash}-{hash}", hash, out);
	ck_assert_str_eq(out, "ANON-DD5D1CE7AAAF-DD5D1CE7AAAF");
	deid_key_wipe(&k);
	ck_assert_uint_eq(k.len, 0);
	ck_assert_int_eq(k.bytes[0], 0);
}
END_TEST

START_TEST(the_key_comes_from_a_file_or_a_variable_never_into_errors)
{
	char     path[MC_PATH_MAX];
	deid_key k, f;

	path_in_tmp(path, sizeof(path), "key");
	write_text(path, UNIT_KEY "\n");
	ck_assert_int_eq(
	    parse("{\"secret_env\": \"MC_UNIT_DEID_KEY\"}"), MC_OK);
	setenv("MC_UNIT_DEID_KEY", UNIT_KEY, 1);
	ck_assert_int_eq(deid_key_load(&set, &k, err, sizeof(err)), MC_OK);
	snprintf(set.secret_env, sizeof(set.secret_env), "%s", "");
	snprintf(set.secret_file, sizeof(set.secret_file), "%s", path);
	ck_assert_int_eq(deid_key_load(&set, &f, err, sizeof(err)), MC_OK);
	ck_assert_uint_eq(k.len, strlen(UNIT_KEY));
	ck_assert_uint_eq(f.len, k.len);
	ck_assert_int_eq(memcmp(k.bytes, f.bytes, k.len), 0);
	write_text(path, "tooshort");
	ck_assert_int_eq(
	    deid_key_load(&set, &f, err, sizeof(err)), MC_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err, "must hold 16 to 4096 bytes"));
	ck_assert_ptr_null(strstr(err, "tooshort"));
	unsetenv("MC_UNIT_DEID_KEY");
	snprintf(
	    set.secret_env, sizeof(set.secret_env), "%s", "MC_UNIT_DEID_KEY");
	ck_assert_int_eq(
	    deid_key_load(&set, &f, err, sizeof(err)), MC_ECONFIG);
	ck_assert_str_eq(err, "deidentify: secret_env names MC_UNIT_DEID_KEY, "
	                      "which is not set");
}
END_TEST

/* ---- the lookup table --------------------------------------------------- */

START_TEST(the_lookup_table_reads_quotes_headers_and_comments)
{
	char         path[MC_PATH_MAX];
	deid_lookup *l = NULL;
	const char  *id = NULL, *name = NULL;

	path_in_tmp(path, sizeof(path), "lookup.csv");
	write_text(path,
	    "original_patient_id,new_patient_id,new_patient_name\r\n"
	    "# a comment\r\n"
	    "\r\n"
	    "\"P,1\",S-1,\"Subject^One\"\r\n"
	    "P2,S-2\n"
	    "\"P\"\"3\",S-3,\n");
	ck_assert_int_eq(deid_lookup_load(path, &l, err, sizeof(err)), MC_OK);
	ck_assert(deid_lookup_find(l, "P,1", &id, &name));
	ck_assert_str_eq(id, "S-1");
	ck_assert_str_eq(name, "Subject^One");
	ck_assert(deid_lookup_find(l, "P2", &id, &name));
	ck_assert_str_eq(id, "S-2");
	ck_assert_str_eq(name, "");
	ck_assert(deid_lookup_find(l, "P\"3", &id, &name));
	ck_assert_str_eq(id, "S-3");
	ck_assert(!deid_lookup_find(l, "P4", &id, &name));
	ck_assert(!deid_lookup_find(l, "original_patient_id", &id, &name));
	deid_lookup_destroy(l);
	deid_lookup_destroy(NULL);
}
END_TEST

START_TEST(a_bad_lookup_line_is_named_by_number_only)
{
	char         path[MC_PATH_MAX];
	deid_lookup *l = (deid_lookup *) 1;

	path_in_tmp(path, sizeof(path), "lookup.csv");
	write_text(path, "SECRETPID1,S-1\nSECRETPID2,\"S-2\n");
	ck_assert_int_eq(
	    deid_lookup_load(path, &l, err, sizeof(err)), MC_EPARSE);
	ck_assert_ptr_null(l);
	ck_assert_str_eq(err, "deidentify: lookup_table line 2: expected "
	                      "original_patient_id,new_patient_id[,new_"
	                      "patient_name]");
	write_text(path, "SECRETPID1,S\\1\n");
	ck_assert_int_eq(
	    deid_lookup_load(path, &l, err, sizeof(err)), MC_EPARSE);
	ck_assert_ptr_nonnull(strstr(err, "line 1: the original ID"));
	ck_assert_ptr_null(strstr(err, "SECRETPID"));
}
END_TEST

/* ---- the mapping file --------------------------------------------------- */

START_TEST(the_mapping_file_is_0600_with_each_pair_once)
{
	char        path[MC_PATH_MAX], *text = NULL;
	size_t      len = 0, lines = 0;
	deid_map   *m = NULL;
	struct stat st;

	path_in_tmp(path, sizeof(path), "sub/dir/mapping.tsv");
	ck_assert_int_eq(deid_map_create(&m), MC_OK);
	ck_assert_int_eq(deid_map_add(m, "patient", "P1", "ANON-1"), MC_OK);
	ck_assert_int_eq(deid_map_add(m, "study", "1.2", "2.25.9"), MC_OK);
	ck_assert_int_eq(deid_map_add(m, "patient", "P1", "ANON-1"), MC_OK);
	ck_assert_int_eq(deid_map_add(m, "patient", "P\t2", "A"), MC_OK);
	ck_assert_int_eq(
	    deid_map_write(m, path, "task-1", err, sizeof(err)), MC_OK);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(
	    deid_map_write(m, path, "task-2", err, sizeof(err)), MC_OK);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(sys_read_file(path, &text, &len), MC_OK);
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	ck_assert_uint_eq(lines, 6);
	ck_assert_ptr_nonnull(strstr(text, "\ttask-1\tpatient\tP1\tANON-1\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ttask-2\tstudy\t1.2\t2.25.9\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ttask-1\tpatient\tP 2\tA\n"));
	free(text);
	deid_map_destroy(m);
	deid_map_destroy(NULL);
}
END_TEST

static Suite *
deidentify_suite(void)
{
	Suite       *s = suite_create("deidentify");
	const TTest *settings[] = {settings_have_defaults_and_need_only_a_key,
	    settings_read_options_private_tags_and_flags,
	    config_load_checks_the_settings_where_they_are, NULL};
	const TTest *key[] = {uids_hashes_and_shifts_are_the_documented_hmacs,
	    the_key_comes_from_a_file_or_a_variable_never_into_errors, NULL};
	const TTest *files[] = {
	    the_lookup_table_reads_quotes_headers_and_comments,
	    a_bad_lookup_line_is_named_by_number_only,
	    the_mapping_file_is_0600_with_each_pair_once, NULL};

	tcase_add_loop_test(mc_check_tcase(s, "settings", settings),
	    each_bad_setting_gives_its_message, 0,
	    (int) (sizeof(bad_settings) / sizeof(bad_settings[0])));
	mc_check_tmpdir_tcase(s, "key", key);
	mc_check_tmpdir_tcase(s, "files", files);
	return s;
}

int
main(void)
{
	return mc_check_run(deidentify_suite());
}
