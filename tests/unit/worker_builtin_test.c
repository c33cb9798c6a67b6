/* worker_builtin_test.c - built-in processing modules in the worker:
 * task.json's `builtin` becomes a MODULE_BUILTIN step (alone, known
 * names only), and a chain of built-ins runs inside the worker and its
 * output reaches the target, with the inputs in in/ untouched; set_tags
 * as a module and as a rule option changes what the target gets and
 * never the task's own files, and a file it cannot change is not sent. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "check_task.h"
#include "check_tmpdir.h"

#include "os/sys_files.h"
#include "os/sys_fs.h"
#include "os/sys_spawn.h"
#include "task/task.h"
#include "task_run.h"

static void
put(const char *rel, const char *text)
{
	char  p[MC_PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", mc_check_tmpdir, rel);
	ck_assert_ptr_nonnull(f = fopen(p, "w"));
	fputs(text, f);
	fclose(f);
}

#define CT_SMALL                                                              \
	"/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm"
#define DUMP_MAX 65536

static const char *path_of(const char *rel);

/* dump - dcmdump of rel (a few attributes), through a log file */
static const char *
dump(const char *rel)
{
	static char out[DUMP_MAX];
	char        log[MC_PATH_MAX], err[256], *text = NULL;
	char        p[MC_PATH_MAX];
	char *argv[] = {"dcmdump", "+P", "0008,1010", "+P", "0008,0080", "+P",
	    "0008,1030", p, NULL};
	sys_spawn_opts   so = {argv, NULL, log, SYS_SPAWN_SEARCH_PATH};
	sys_child_status st;
	pid_t            pid;
	size_t           len = 0;

	snprintf(log, sizeof(log), "%s/dump.txt", mc_check_tmpdir);
	snprintf(p, sizeof(p), "%s", path_of(rel));
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

/* one CT in t/in, an empty dst/ for the folder target f */
static void
ct_task(const char *doc)
{
	char err[256];

	ck_assert_int_eq(sys_mkdir_p(path_of("t/in")), MC_OK);
	ck_assert_int_eq(sys_mkdir_p(path_of("dst")), MC_OK);
	ck_assert_int_eq(sys_files_copy(CT_SMALL, path_of("t/in/ct.dcm"),
	                     SYS_FILES_NOSYNC, err, sizeof(err)),
	    MC_OK);
	put("t/task.json", doc);
}

/* run t; its result.json (new) */
static json_t *
run_task(task_exit want)
{
	task_run_opts o = {path_of("t"), NULL};
	char         *text = NULL;
	size_t        len = 0;
	json_t       *j;

	o.task_dir = path_of("t");
	ck_assert_int_eq(task_run(&o), want);
	ck_assert_int_eq(
	    sys_read_file(path_of("t/result.json"), &text, &len), MC_OK);
	ck_assert_ptr_nonnull(j = json_loads(text, 0, NULL));
	free(text);
	return j;
}

static const char *
path_of(const char *rel)
{
	static char p[MC_PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", mc_check_tmpdir, rel);
	return p;
}

START_TEST(a_builtin_step_is_parsed_with_its_settings)
{
	task *t = mc_check_task_parse(
	    "{\"id\":\"x\",\"process\":{\"module_name\":\"m\","
	    "\"settings\":{\"k\":[1,\"a\"]}},\"mercure_c\":{\"kind\":"
	    "\"process\",\"modules\":{\"m\":{\"builtin\":\"copy\"}}}}");
	const module_spec *m = task_step(t, 0);

	ck_assert_int_eq(m->kind, MODULE_BUILTIN);
	ck_assert_str_eq(m->builtin, "copy");
	ck_assert_str_eq(m->settings_json, "{\"k\":[1,\"a\"]}");
	task_destroy(t);
}
END_TEST

static void
assert_module_error(const char *modules, const char *field, const char *msg)
{
	char    text[1024];
	task   *t = NULL;
	mc_diag d;

	snprintf(text, sizeof(text),
	    "{\"id\":\"x\",\"process\":{\"module_name\":\"m\"},"
	    "\"mercure_c\":{\"kind\":\"process\",\"modules\":%s}}",
	    modules);
	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(task_parse(text, strlen(text), &t, &d), MC_ECONFIG);
	ck_assert_ptr_null(t);
	ck_assert_str_eq(d.field, field);
	ck_assert_msg(strstr(d.msg, msg) != NULL, "%s", d.msg);
}

START_TEST(an_unknown_or_mixed_builtin_is_refused)
{
	assert_module_error("{\"m\":{\"builtin\":\"nosuch\"}}",
	    "mercure_c.modules.m.builtin", "unknown built-in module 'nosuch'");
	assert_module_error("{\"m\":{\"builtin\":7}}",
	    "mercure_c.modules.m.builtin", "unknown built-in module ''");
	assert_module_error(
	    "{\"m\":{\"builtin\":\"copy\",\"docker_tag\":\"img\"}}",
	    "mercure_c.modules.m.builtin", "not both");
	assert_module_error(
	    "{\"m\":{\"builtin\":\"copy\",\"command\":[\"/bin/true\"]}}",
	    "mercure_c.modules.m.builtin", "not both");
}
END_TEST

START_TEST(a_chain_of_builtins_runs_in_the_worker_and_is_sent)
{
	task_run_opts o;
	char         *text = NULL;
	size_t        len = 0;
	json_t       *j;

	ck_assert_int_eq(sys_mkdir_p(path_of("t/in")), MC_OK);
	ck_assert_int_eq(sys_mkdir_p(path_of("dst")), MC_OK);
	put("t/in/a.dcm", "A");
	put("t/in/b.dcm", "B");
	snprintf(text = malloc(2048), 2048,
	    "{\"id\": \"t\", \"dispatch\": {\"target_name\": [\"f\"]},"
	    " \"process\": [{\"module_name\": \"one\"},"
	    "  {\"module_name\": \"two\"}],"
	    " \"mercure_c\": {\"kind\": \"both\","
	    "  \"targets\": {\"f\": {\"target_type\": \"folder\","
	    "   \"folder\": \"%s/dst\"}},"
	    "  \"modules\": {\"one\": {\"builtin\": \"copy\"},"
	    "   \"two\": {\"builtin\": \"copy\"}}}}",
	    mc_check_tmpdir);
	put("t/task.json", text);
	free(text);
	o.task_dir = path_of("t");
	o.coordinator_url = NULL;
	ck_assert_int_eq(task_run(&o), TASK_EXIT_OK);
	ck_assert_int_eq(
	    sys_read_file(path_of("t/result.json"), &text, &len), MC_OK);
	ck_assert_ptr_nonnull(j = json_loads(text, 0, NULL));
	ck_assert(json_is_true(json_object_get(j, "ok")));
	ck_assert_int_eq(json_integer_value(json_object_get(
	                     json_object_get(j, "process"), "output_files")),
	    2);
	ck_assert(sys_exists(path_of("t/in/a.dcm")));
	ck_assert(sys_exists(path_of("t/out/b.dcm")));
	ck_assert(sys_exists(path_of("t/module-2-two.log")));
	json_decref(j);
	free(text);
}
END_TEST

START_TEST(the_set_tags_module_changes_the_output_not_the_input)
{
	char    doc[2048], *log = NULL;
	size_t  len = 0;
	json_t *j;

	snprintf(doc, sizeof(doc),
	    "{\"id\": \"t\", \"dispatch\": {\"target_name\": [\"f\"]},"
	    " \"process\": [{\"module_name\": \"pass\"},"
	    "  {\"module_name\": \"tag\", \"settings\": {\"set_tags\": ["
	    "   {\"tag\": \"StationName\", \"set\": \"CT7\"},"
	    "   {\"tag\": \"InstitutionName\", \"copy_from\": "
	    "\"StationName\"}]}}],"
	    " \"mercure_c\": {\"kind\": \"both\","
	    "  \"targets\": {\"f\": {\"target_type\": \"folder\","
	    "   \"folder\": \"%s/dst\"}},"
	    "  \"modules\": {\"pass\": {\"builtin\": \"copy\"},"
	    "   \"tag\": {\"builtin\": \"set_tags\"}}}}",
	    mc_check_tmpdir);
	ct_task(doc);
	j = run_task(TASK_EXIT_OK);
	ck_assert(json_is_true(json_object_get(j, "ok")));
	assert_has(dump("dst/t/ct.dcm"), "(0008,1010) SH [CT7]");
	assert_has(dump("dst/t/ct.dcm"), "(0008,0080) LO [CT7]");
	assert_has(dump("t/out/ct.dcm"), "(0008,1010) SH [CT7]");
	assert_has(dump("t/in/ct.dcm"), "(0008,1010) SH [CT01_OC0]");
	ck_assert_int_eq(
	    sys_read_file(path_of("t/module-2-tag.log"), &log, &len), MC_OK);
	assert_has(log, "set_tags: 2 operations, 1 files written, 2 "
	                "attributes changed");
	free(log);
	json_decref(j);
}
END_TEST

START_TEST(bad_settings_of_the_set_tags_module_fail_the_step)
{
	char    doc[2048];
	json_t *j;

	snprintf(doc, sizeof(doc),
	    "{\"id\": \"t\", \"dispatch\": {\"target_name\": [\"f\"]},"
	    " \"process\": {\"module_name\": \"tag\", \"settings\": "
	    "{\"set_tags\": [{\"tag\": \"NoSuchKeyword\", \"set\": \"x\"}]}},"
	    " \"mercure_c\": {\"kind\": \"both\","
	    "  \"targets\": {\"f\": {\"target_type\": \"folder\","
	    "   \"folder\": \"%s/dst\"}},"
	    "  \"modules\": {\"tag\": {\"builtin\": \"set_tags\"}}}}",
	    mc_check_tmpdir);
	ct_task(doc);
	j = run_task(TASK_EXIT_TARGET_FAILED);
	ck_assert(json_is_false(json_object_get(j, "retryable")));
	assert_has(json_string_value(json_object_get(j, "error")),
	    "settings: set_tags[0]: unknown keyword 'NoSuchKeyword'");
	ck_assert(!sys_exists(path_of("dst/t")));
	json_decref(j);
}
END_TEST

/* a dispatch task to folder f whose rule has set_tags ops (JSON) */
static void
rule_task(const char *ops)
{
	char doc[2048];

	snprintf(doc, sizeof(doc),
	    "{\"id\": \"t\", \"dispatch\": {\"target_name\": [\"f\"]},"
	    " \"mercure_c\": {\"kind\": \"dispatch\","
	    "  \"targets\": {\"f\": {\"target_type\": \"folder\","
	    "   \"folder\": \"%s/dst\"}},"
	    "  \"rule\": {\"name\": \"r\", \"set_tags\": %s}}}",
	    mc_check_tmpdir, ops);
	ct_task(doc);
}

START_TEST(the_rule_option_sends_changed_copies_and_keeps_the_originals)
{
	json_t *j;

	rule_task(
	    "[{\"tag\": \"StationName\", \"set\": \"EXT-{StationName}\"},"
	    " {\"tag\": \"StudyDescription\", \"regex\": \"^(.*)$\","
	    "  \"replace\": \"RESEARCH \\\\1\"}]");
	j = run_task(TASK_EXIT_OK);
	assert_has(dump("dst/t/ct.dcm"), "(0008,1010) SH [EXT-CT01_OC0]");
	assert_has(dump("dst/t/ct.dcm"), "(0008,1030) LO [RESEARCH e+1]");
	assert_has(dump("t/in/ct.dcm"), "(0008,1010) SH [CT01_OC0]");
	assert_has(dump("t/in/ct.dcm"), "(0008,1030) LO [e+1]");
	ck_assert(sys_exists(path_of("t/tagged/ct.dcm")));
	ck_assert_str_eq(json_string_value(json_object_get(j, "tags_set")),
	    "operations=2 files=1 changed=2");
	json_decref(j);
}
END_TEST

START_TEST(a_file_the_rule_option_cannot_change_is_not_sent)
{
	json_t *j;

	/* InstitutionName (18 bytes) does not fit StationName (SH, 16) */
	rule_task("[{\"tag\": \"StationName\", \"copy_from\": "
	          "\"InstitutionName\"}]");
	j = run_task(TASK_EXIT_TARGET_FAILED);
	ck_assert(json_is_false(json_object_get(j, "retryable")));
	assert_has(json_string_value(json_object_get(j, "error")),
	    "set_tags: ct.dcm: 'JFK IMAGING CENTER' (18 bytes) is not a "
	    "valid SH value for StationName");
	ck_assert(!sys_exists(path_of("dst/t")));
	assert_has(dump("t/in/ct.dcm"), "(0008,1010) SH [CT01_OC0]");
	json_decref(j);
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("worker_builtin");
	const TTest *parse[] = {a_builtin_step_is_parsed_with_its_settings,
	    an_unknown_or_mixed_builtin_is_refused, NULL};
	const TTest *run[] = {
	    a_chain_of_builtins_runs_in_the_worker_and_is_sent,
	    the_set_tags_module_changes_the_output_not_the_input,
	    bad_settings_of_the_set_tags_module_fail_the_step,
	    the_rule_option_sends_changed_copies_and_keeps_the_originals,
	    a_file_the_rule_option_cannot_change_is_not_sent, NULL};
	TCase *tc;

	mc_check_tcase(s, "task.json", parse);
	tc = mc_check_tmpdir_tcase(s, "run", run);
	tcase_set_timeout(tc, 20);
	return mc_check_run(s);
}
