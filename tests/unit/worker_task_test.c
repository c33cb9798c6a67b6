/* worker_task_test.c - the worker without a network peer: task.json is
 * read and refused as docs/tasks.md says (with line and column for bad
 * JSON), result.json says what happened, complete targets are skipped,
 * the folder target delivers once and atomically, and the result message
 * reaches a PULL socket. */
#include <check.h>
#include <jansson.h>
#include <nng/nng.h>
#include <nng/protocol/pipeline0/pull.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "check_task.h"
#include "check_tmpdir.h"

#include "config/config.h"
#include "msg/msg_codec.h"
#include "result_push.h"
#include "os/sys_files.h"
#include "os/sys_fs.h"
#include "targets/target.h"
#include "task/task.h"
#include "task_run.h"

static const char GOOD_TASK[] =
    "{\"id\": \"6f1c-01\",\n"
    " \"info\": {\"sender_address\": \"10.0.0.7\", \"sender_aet\": \"CT1\",\n"
    "          \"receiver_aet\": \"MERCURE\", \"fail_stage\": null},\n"
    " \"dispatch\": {\"target_name\": [\"pacs\", \"archive\", \"gone\"],\n"
    "   \"status\": {\"pacs\": {\"state\": \"complete\", \"time\": \"x\"},\n"
    "              \"archive\": {\"state\": \"waiting\"}},\n"
    "   \"retries\": 0},\n"
    " \"process\": null,\n"
    " \"mercure_c\": {\"kind\": \"dispatch\", \"attempt\": 2,\n"
    "   \"coordinator_url\": \"ipc:///tmp/x.ipc\",\n"
    "   \"targets\": {\n"
    "     \"pacs\": {\"target_type\": \"dicom\", \"ip\": \"127.0.0.1\",\n"
    "              \"port\": 104, \"aet_target\": \"PACS\",\n"
    "              \"pass_sender_aet\": true, \"contact\": null},\n"
    "     \"archive\": {\"target_type\": \"folder\", \"folder\": \"/a\"}}}}\n";

static mc_err
parse_bad(const char *text, mc_diag *d)
{
	task  *t = (task *) 1;
	mc_err rv;

	memset(d, 0, sizeof(*d));
	rv = task_parse(text, strlen(text), &t, d);
	ck_assert_ptr_null(t);
	return rv;
}

START_TEST(a_complete_task_json_is_read_field_by_field)
{
	task *t = mc_check_task_parse(GOOD_TASK);

	ck_assert_str_eq(task_id(t), "6f1c-01");
	ck_assert_str_eq(task_kind(t), "dispatch");
	ck_assert_str_eq(task_coordinator_url(t), "ipc:///tmp/x.ipc");
	ck_assert_str_eq(task_info(t, "sender_aet"), "CT1");
	ck_assert_str_eq(task_info(t, "sender_address"), "10.0.0.7");
	ck_assert_str_eq(task_info(t, "fail_stage"), "");
	ck_assert_str_eq(task_info(t, "no_such_key"), "");
	ck_assert_uint_eq(task_target_count(t), 3);
	ck_assert_str_eq(task_target_name(t, 0), "pacs");
	ck_assert_str_eq(task_target_name(t, 1), "archive");
	ck_assert_str_eq(task_target_name(t, 2), "gone");
	ck_assert(task_target_is_complete(t, 0));
	ck_assert(!task_target_is_complete(t, 1));
	ck_assert(!task_target_is_complete(t, 2));

	const target_cfg *pacs = task_target_cfg(t, 0);
	ck_assert_ptr_nonnull(pacs);
	ck_assert_str_eq(target_cfg_name(pacs), "pacs");
	ck_assert_str_eq(target_cfg_get(pacs, "target_type"), "dicom");
	ck_assert_str_eq(target_cfg_get(pacs, "port"), "104");
	ck_assert_str_eq(target_cfg_get(pacs, "pass_sender_aet"), "true");
	ck_assert_ptr_null(target_cfg_get(pacs, "contact"));
	ck_assert_str_eq(
	    target_cfg_get(task_target_cfg(t, 1), "folder"), "/a");
	ck_assert_ptr_null(task_target_cfg(t, 2));
	task_destroy(t);
}
END_TEST

START_TEST(target_name_may_be_a_single_string_and_duplicates_count_once)
{
	task *t = mc_check_task_parse(
	    "{\"id\":\"a\",\"dispatch\":{\"target_name\":\"p\"},"
	    "\"mercure_c\":{\"kind\":\"dispatch\"}}");
	ck_assert_uint_eq(task_target_count(t), 1);
	ck_assert_str_eq(task_target_name(t, 0), "p");
	ck_assert_str_eq(task_coordinator_url(t), "");
	task_destroy(t);
	t = mc_check_task_parse(
	    "{\"id\":\"a\",\"dispatch\":{\"target_name\":[\"p\",\"p\"]"
	    "},\"mercure_c\":{\"kind\":\"dispatch\"}}");
	ck_assert_uint_eq(task_target_count(t), 1);
	task_destroy(t);
}
END_TEST

/* a target that task.json gives without its secrets comes from the
 * configuration, whole; one without secrets stays as task.json has it;
 * one the configuration no longer has is gone */
START_TEST(targets_without_their_secrets_come_from_the_configuration)
{
	static const char yaml[] =
	    "targets:\n"
	    "  web: {target_type: dicomweb, url: 'http://new', "
	    "access_token: tok-1}\n"
	    "  pacs: {target_type: dicom, ip: other, port: 105, "
	    "aet_target: OTHER}\n";
	static const char text[] =
	    "{\"id\": \"t1\", \"dispatch\": {\"target_name\": [\"web\", "
	    "\"pacs\", \"gone\"]}, \"mercure_c\": {\"kind\": \"dispatch\", "
	    "\"targets\": {"
	    "\"web\": {\"target_type\": \"dicomweb\", \"url\": \"http://old\", "
	    "\"secret_fields\": [\"access_token\"]},"
	    "\"pacs\": {\"target_type\": \"dicom\", \"ip\": \"h\", "
	    "\"port\": \"104\", \"aet_target\": \"PACS\"},"
	    "\"gone\": {\"target_type\": \"s3\", "
	    "\"secret_fields\": [\"secret_access_key\"]}}}}";
	mc_config *cfg = NULL;
	task      *t = mc_check_task_parse(text);

	ck_assert(task_needs_config(t));
	ck_assert_int_eq(config_load_buffer("w.yaml", yaml, strlen(yaml), &cfg,
	                     NULL, 0, NULL),
	    MC_OK);
	ck_assert_int_eq(task_use_config(t, cfg), MC_OK);
	ck_assert_str_eq(
	    target_cfg_get(task_find_target(t, "web"), "url"), "http://new");
	ck_assert_str_eq(
	    target_cfg_get(task_find_target(t, "web"), "access_token"),
	    "tok-1");
	ck_assert_str_eq(
	    target_cfg_get(task_find_target(t, "pacs"), "ip"), "h");
	ck_assert_ptr_null(task_find_target(t, "gone"));
	ck_assert(!task_needs_config(t));
	task_destroy(t);
	config_destroy(cfg);
}
END_TEST

START_TEST(bad_json_is_refused_with_line_and_column)
{
	mc_diag d;
	char    buf[512];

	ck_assert_int_eq(
	    parse_bad("{\n  \"id\": \"x\",\n  oops\n}", &d), MC_EPARSE);
	ck_assert_uint_eq(d.line, 3);
	/* jansson's column is that of the last character it read: the
	 * end of the bad token "oops" */
	ck_assert_uint_eq(d.column, 6);
	ck_assert(strlen(d.msg) > 0);
	snprintf(d.file, sizeof(d.file), "task.json");
	mc_diag_format(&d, buf, sizeof(buf));
	ck_assert_msg(strncmp(buf, "task.json:3:6: ", 15) == 0, "%s", buf);

	ck_assert_int_eq(parse_bad("", &d), MC_EPARSE);
	ck_assert_int_eq(parse_bad("{\"id\": \"x\"", &d), MC_EPARSE);
	ck_assert_uint_eq(d.line, 1);
	ck_assert_int_eq(
	    parse_bad("{\"id\":\"a\",\"id\":\"b\"}", &d), MC_EPARSE);
}
END_TEST

static void
assert_field_error(const char *text, const char *field)
{
	mc_diag d;

	ck_assert_int_eq(parse_bad(text, &d), MC_ECONFIG);
	ck_assert_str_eq(d.field, field);
	ck_assert(strlen(d.msg) > 0);
}

START_TEST(missing_or_mistyped_fields_are_named)
{
	assert_field_error("[1, 2]", "");
	assert_field_error("{\"dispatch\":{\"target_name\":[\"p\"]},"
	                   "\"mercure_c\":{\"kind\":\"dispatch\"}}",
	    "id");
	assert_field_error("{\"id\":7}", "id");
	assert_field_error("{\"id\":\"../etc\",\"dispatch\":{\"target_name\":"
	                   "\"p\"},\"mercure_c\":{\"kind\":\"dispatch\"}}",
	    "id");
	assert_field_error("{\"id\":\".hidden\"}", "id");
	assert_field_error(
	    "{\"id\":\"a\",\"dispatch\":{\"target_name\":[\"p\"]"
	    "}}",
	    "mercure_c");
	assert_field_error(
	    "{\"id\":\"a\",\"mercure_c\":{\"kind\":\"dispatch\"}"
	    "}",
	    "dispatch");
	assert_field_error("{\"id\":\"a\",\"dispatch\":{},\"mercure_c\":{"
	                   "\"kind\":\"dispatch\"}}",
	    "dispatch.target_name");
	assert_field_error("{\"id\":\"a\",\"dispatch\":{\"target_name\":[1]},"
	                   "\"mercure_c\":{\"kind\":\"dispatch\"}}",
	    "dispatch.target_name");
	assert_field_error(
	    "{\"id\":\"a\",\"dispatch\":{\"target_name\":\"p\"},"
	    "\"mercure_c\":{}}",
	    "mercure_c.kind");
	assert_field_error(
	    "{\"id\":\"a\",\"dispatch\":{\"target_name\":\"p\"},"
	    "\"mercure_c\":{\"kind\":\"dispatch\",\"targets\":"
	    "{\"p\":\"dicom\"}}}",
	    "mercure_c.targets.p");
	assert_field_error("{\"id\":\"a\",\"info\":[],\"dispatch\":{"
	                   "\"target_name\":\"p\"},\"mercure_c\":{\"kind\":"
	                   "\"dispatch\"}}",
	    "info");
}
END_TEST

START_TEST(result_json_has_every_field_of_the_spec)
{
	target_result      archive;
	task_target_report out[2];
	task_result        r;
	char              *text;
	size_t             len;
	json_error_t       je;

	memset(&archive, 0, sizeof(archive));
	archive.failed = 20;
	target_result_fail(&archive, true, "cannot create %s: %s", "/d/x",
	    "Permission denied");
	target_result_fail(&archive, true, "a later error is not kept");
	out[0] = (task_target_report){
	    .name = "pacs", .ok = true, .sent = 20, .error = ""};
	out[1] = (task_target_report){.name = "archive",
	    .retryable = archive.retryable,
	    .failed = archive.failed,
	    .error = archive.error};
	r = (task_result){.task_id = "6f1c",
	    .kind = "dispatch",
	    .ok = false,
	    .retryable = true,
	    .started_us = 1700000000000000,
	    .finished_us = 1700000000250000,
	    .targets = out,
	    .n_targets = 2,
	    .error = "1 of 2 targets failed"};
	ck_assert_int_eq(task_result_encode(&r, &text, &len), MC_OK);
	ck_assert_uint_eq(strlen(text), len);

	json_t *j = json_loads(text, 0, &je);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "v")), 1);
	ck_assert_str_eq(
	    json_string_value(json_object_get(j, "task")), "6f1c");
	ck_assert_str_eq(
	    json_string_value(json_object_get(j, "kind")), "dispatch");
	ck_assert(json_is_false(json_object_get(j, "ok")));
	ck_assert(json_is_true(json_object_get(j, "retryable")));
	ck_assert_ptr_null(json_object_get(j, "process"));
	ck_assert_int_eq(json_integer_value(json_object_get(j, "finished_us")),
	    1700000000250000);
	ck_assert_str_eq(json_string_value(json_object_get(j, "error")),
	    "1 of 2 targets failed");
	json_t *p = json_object_get(json_object_get(j, "targets"), "pacs");
	json_t *a = json_object_get(json_object_get(j, "targets"), "archive");
	ck_assert(json_is_true(json_object_get(p, "ok")));
	ck_assert_int_eq(json_integer_value(json_object_get(p, "sent")), 20);
	ck_assert(json_is_false(json_object_get(p, "retryable")));
	ck_assert_str_eq(json_string_value(json_object_get(p, "error")), "");
	ck_assert(json_is_false(json_object_get(a, "ok")));
	ck_assert_int_eq(json_integer_value(json_object_get(a, "failed")), 20);
	ck_assert(json_is_true(json_object_get(a, "retryable")));
	ck_assert_str_eq(json_string_value(json_object_get(a, "error")),
	    "cannot create /d/x: Permission denied");
	json_decref(j);
	free(text);
}
END_TEST

START_TEST(target_fields_convert_with_range_checks)
{
	target_cfg *c;
	unsigned    u;
	bool        b;
	char        err[128];

	ck_assert_int_eq(target_cfg_create("t", &c), MC_OK);
	ck_assert_int_eq(target_cfg_set(c, "port", "104"), MC_OK);
	ck_assert_int_eq(target_cfg_set(c, "bad", "10x"), MC_OK);
	ck_assert_int_eq(target_cfg_set(c, "yes", "True"), MC_OK);
	ck_assert_int_eq(target_cfg_set(c, "port", "11112"), MC_OK);
	ck_assert_int_eq(target_cfg_get_uint(
	                     c, "port", 1, 65535, 104, &u, err, sizeof(err)),
	    MC_OK);
	ck_assert_uint_eq(u, 11112);
	ck_assert_int_eq(target_cfg_get_uint(
	                     c, "none", 1, 65535, 104, &u, err, sizeof(err)),
	    MC_OK);
	ck_assert_uint_eq(u, 104);
	ck_assert_int_eq(
	    target_cfg_get_uint(c, "bad", 1, 65535, 104, &u, err, sizeof(err)),
	    MC_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "10x"));
	ck_assert_int_eq(
	    target_cfg_get_uint(c, "port", 1, 1000, 104, &u, err, sizeof(err)),
	    MC_EINVAL);
	ck_assert_int_eq(
	    target_cfg_get_bool(c, "yes", false, &b, err, sizeof(err)), MC_OK);
	ck_assert(b);
	ck_assert_int_eq(
	    target_cfg_get_bool(c, "bad", false, &b, err, sizeof(err)),
	    MC_EINVAL);
	target_cfg_destroy(c);
	target_cfg_destroy(NULL);

	ck_assert_ptr_eq(target_type_find("dicom")->ops, &target_ops_dicom);
	ck_assert_ptr_eq(target_type_find("folder")->ops, &target_ops_folder);
	ck_assert_ptr_eq(target_type_find("s3")->ops, &target_ops_s3);
	ck_assert_ptr_eq(
	    target_type_find("dicomtls")->ops, &target_ops_dicomtls);
	ck_assert_ptr_eq(target_type_find("xnat")->ops, &target_ops_xnat);
	ck_assert_ptr_null(target_type_find("ftp"));
	ck_assert_ptr_null(target_type_find(NULL));
}
END_TEST

/* ---- a task folder on disk ------------------------------------------- */

static void
put(const char *rel, const char *text)
{
	char path[MC_PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", mc_check_tmpdir, rel);
	ck_assert_int_eq(
	    sys_write_file_atomic(path, text, strlen(text)), MC_OK);
}

static void
mk(const char *rel)
{
	char path[MC_PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", mc_check_tmpdir, rel);
	ck_assert_int_eq(sys_mkdir_p(path), MC_OK);
}

static bool
exists(const char *rel)
{
	char        path[MC_PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", mc_check_tmpdir, rel);
	return stat(path, &st) == 0;
}

static json_t *
load_result(const char *task_rel)
{
	char         path[MC_PATH_MAX];
	json_error_t je;

	snprintf(path, sizeof(path), "%s/%s/result.json", mc_check_tmpdir,
	    task_rel);
	json_t *j = json_load_file(path, 0, &je);
	ck_assert_msg(j != NULL, "result.json: %s", je.text);
	return j;
}

static task_exit
run_task(const char *task_rel)
{
	char          dir[MC_PATH_MAX];
	task_run_opts o = {dir, NULL};

	snprintf(dir, sizeof(dir), "%s/%s", mc_check_tmpdir, task_rel);
	return task_run(&o);
}

static void
folder_task(const char *targets_status, const char *filter)
{
	char json[2048];

	mk("t1/in");
	mk("archive");
	put("t1/in/a.dcm", "AAAA");
	put("t1/in/b.dcm", "BBBBBBBB");
	put("t1/in/notes.txt", "skip me");
	put("t1/in/.hidden", "never");
	snprintf(json, sizeof(json),
	    "{\"id\":\"t1\",\"dispatch\":{\"target_name\":[\"arch\",\"pacs\"],"
	    "\"status\":{%s}},\"mercure_c\":{\"kind\":\"dispatch\","
	    "\"targets\":{\"arch\":{\"target_type\":\"folder\",\"folder\":"
	    "\"%s/archive\"%s},\"pacs\":{\"target_type\":\"dicom\","
	    "\"ip\":\"127.0.0.1\",\"port\":1,\"aet_target\":\"X\"}}}}",
	    targets_status, mc_check_tmpdir, filter);
	put("t1/task.json", json);
}

START_TEST(folder_target_copies_filtered_files_once_with_a_marker)
{
	mc_check_tmpdir_setup();
	folder_task("\"pacs\":{\"state\":\"complete\"}",
	    ",\"file_filter\":\"*.txt, *.tmp\"");
	ck_assert_int_eq(run_task("t1"), TASK_EXIT_OK);
	ck_assert(exists("archive/t1/a.dcm"));
	ck_assert(exists("archive/t1/b.dcm"));
	ck_assert(exists("archive/t1/.complete"));
	ck_assert(!exists("archive/t1/notes.txt"));
	ck_assert(!exists("archive/t1/.hidden"));
	ck_assert(!exists("archive/t1.partial"));

	json_t *j = load_result("t1");
	json_t *tg = json_object_get(j, "targets");
	ck_assert(json_is_true(json_object_get(j, "ok")));
	ck_assert_uint_eq(json_object_size(tg), 1); /* pacs was complete */
	ck_assert_int_eq(json_integer_value(json_object_get(
	                     json_object_get(tg, "arch"), "sent")),
	    2);
	json_decref(j);

	/* a retry after a crash between rename and marker: delivered once */
	char marker[MC_PATH_MAX];
	snprintf(marker, sizeof(marker), "%s/archive/t1/.complete",
	    mc_check_tmpdir);
	ck_assert_int_eq(unlink(marker), 0);
	ck_assert_int_eq(run_task("t1"), TASK_EXIT_OK);
	ck_assert(exists("archive/t1/.complete"));
	mc_check_tmpdir_teardown();
}
END_TEST

START_TEST(a_stale_partial_folder_is_replaced)
{
	mc_check_tmpdir_setup();
	folder_task("\"pacs\":{\"state\":\"complete\"}", "");
	mk("archive/t1.partial");
	put("archive/t1.partial/old.dcm", "stale");
	ck_assert_int_eq(run_task("t1"), TASK_EXIT_OK);
	ck_assert(!exists("archive/t1.partial"));
	ck_assert(!exists("archive/t1/old.dcm"));
	ck_assert(exists("archive/t1/notes.txt"));
	mc_check_tmpdir_teardown();
}
END_TEST

START_TEST(a_missing_folder_is_a_retryable_failure_with_the_os_message)
{
	char path[MC_PATH_MAX];

	mc_check_tmpdir_setup();
	folder_task("\"pacs\":{\"state\":\"complete\"}", "");
	snprintf(path, sizeof(path), "%s/archive", mc_check_tmpdir);
	ck_assert_int_eq(rmdir(path), 0);
	ck_assert_int_eq(run_task("t1"), TASK_EXIT_TARGET_FAILED);
	json_t *j = load_result("t1");
	json_t *a = json_object_get(json_object_get(j, "targets"), "arch");
	ck_assert(json_is_false(json_object_get(j, "ok")));
	ck_assert(json_is_true(json_object_get(a, "retryable")));
	ck_assert_int_eq(json_integer_value(json_object_get(a, "failed")), 3);
	ck_assert_ptr_nonnull(
	    strstr(json_string_value(json_object_get(a, "error")),
	        "No such file or directory"));
	ck_assert_str_eq(json_string_value(json_object_get(j, "error")),
	    "1 of 1 targets failed");
	json_decref(j);
	mc_check_tmpdir_teardown();
}
END_TEST

START_TEST(unknown_target_type_and_missing_config_are_not_retryable)
{
	mc_check_tmpdir_setup();
	mk("t2/in");
	put("t2/in/x.dcm", "x");
	put("t2/task.json",
	    "{\"id\":\"t2\",\"dispatch\":{\"target_name\":[\"s\",\"nocfg\"]},"
	    "\"mercure_c\":{\"kind\":\"dispatch\",\"targets\":{\"s\":{"
	    "\"target_type\":\"ftp\"}}}}");
	ck_assert_int_eq(run_task("t2"), TASK_EXIT_TARGET_FAILED);
	json_t *j = load_result("t2");
	json_t *s = json_object_get(json_object_get(j, "targets"), "s");
	json_t *n = json_object_get(json_object_get(j, "targets"), "nocfg");
	ck_assert(json_is_false(json_object_get(s, "retryable")));
	ck_assert_ptr_nonnull(
	    strstr(json_string_value(json_object_get(s, "error")),
	        "unknown target_type 'ftp'"));
	ck_assert(json_is_false(json_object_get(n, "retryable")));
	json_decref(j);
	mc_check_tmpdir_teardown();
}
END_TEST

START_TEST(an_unusable_task_exits_2_and_says_why_in_result_json)
{
	mc_check_tmpdir_setup();
	mk("t3/in");
	put("t3/task.json", "{\"id\": \"t3\",\n\"dispatch\": [}\n");
	ck_assert_int_eq(run_task("t3"), TASK_EXIT_UNUSABLE);
	json_t     *j = load_result("t3");
	const char *e = json_string_value(json_object_get(j, "error"));
	ck_assert_str_eq(json_string_value(json_object_get(j, "task")), "t3");
	ck_assert(json_is_false(json_object_get(j, "ok")));
	ck_assert_msg(strstr(e, "task.json:2:") != NULL, "%s", e);
	json_decref(j);

	/* no task.json at all; a kind this worker does not run; no in/ */
	mk("t4/in");
	ck_assert_int_eq(run_task("t4"), TASK_EXIT_UNUSABLE);
	put("t4/task.json", "{\"id\":\"t4\",\"dispatch\":{\"target_name\":"
	                    "\"a\"},\"mercure_c\":{\"kind\":\"process\"}}");
	ck_assert_int_eq(run_task("t4"), TASK_EXIT_UNUSABLE);
	put("t4/task.json", "{\"id\":\"t4\",\"dispatch\":{\"target_name\":"
	                    "\"a\"},\"mercure_c\":{\"kind\":\"notify\"}}");
	ck_assert_int_eq(run_task("t4"), TASK_EXIT_UNUSABLE);
	mk("t5");
	put("t5/task.json", "{\"id\":\"t5\",\"dispatch\":{\"target_name\":"
	                    "\"a\"},\"mercure_c\":{\"kind\":\"dispatch\"}}");
	ck_assert_int_eq(run_task("t5"), TASK_EXIT_UNUSABLE);
	ck_assert(exists("t5/result.json"));
	ck_assert_int_eq(run_task("no-such-dir"), TASK_EXIT_UNUSABLE);
	mc_check_tmpdir_teardown();
}
END_TEST

START_TEST(the_result_message_reaches_a_pull_socket)
{
	nng_socket    pull;
	char          url[MC_PATH_MAX + 8], err[256];
	mc_result_msg m, got;
	void         *buf;
	size_t        len;

	mc_check_tmpdir_setup();
	snprintf(url, sizeof(url), "ipc://%s/c.ipc", mc_check_tmpdir);
	ck_assert_int_eq(nng_pull0_open(&pull), 0);
	ck_assert_int_eq(nng_listen(pull, url, NULL, 0), 0);
	nng_socket_set_ms(pull, NNG_OPT_RECVTIMEO, 2000);
	memset(&m, 0, sizeof(m));
	snprintf(m.task_id, sizeof(m.task_id), "6f1c-01");
	m.ok = 0;
	m.exit_code = 1;
	ck_assert_int_eq(result_push_send(url, &m, err, sizeof(err)), MC_OK);
	ck_assert_int_eq(nng_recv(pull, &buf, &len, NNG_FLAG_ALLOC), 0);
	ck_assert_int_eq(
	    msg_decode_result(buf, len, &got, err, sizeof(err)), MC_OK);
	ck_assert_str_eq(got.task_id, "6f1c-01");
	ck_assert_int_eq(got.ok, 0);
	ck_assert_int_eq(got.exit_code, 1);
	nng_free(buf, len);
	nng_close(pull);

	/* nobody listening: an error, quickly, never a hang */
	ck_assert_int_ne(result_push_send(url, &m, err, sizeof(err)), MC_OK);
	ck_assert(strlen(err) > 0);
	mc_check_tmpdir_teardown();
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("worker_task");
	const TTest *parse[] = {a_complete_task_json_is_read_field_by_field,
	    target_name_may_be_a_single_string_and_duplicates_count_once,
	    bad_json_is_refused_with_line_and_column,
	    targets_without_their_secrets_come_from_the_configuration,
	    missing_or_mistyped_fields_are_named, NULL};
	const TTest *result[] = {result_json_has_every_field_of_the_spec,
	    target_fields_convert_with_range_checks, NULL};
	const TTest *run[] = {
	    folder_target_copies_filtered_files_once_with_a_marker,
	    a_stale_partial_folder_is_replaced,
	    a_missing_folder_is_a_retryable_failure_with_the_os_message,
	    unknown_target_type_and_missing_config_are_not_retryable,
	    an_unusable_task_exits_2_and_says_why_in_result_json,
	    the_result_message_reaches_a_pull_socket, NULL};

	mc_check_tcase(s, "task.json", parse);
	mc_check_tcase(s, "result.json", result);
	tcase_set_timeout(mc_check_tcase(s, "task folder", run), 20);
	return mc_check_run(s);
}
