/* worker_builtin_test.c - built-in processing modules in the worker:
 * task.json's `builtin` becomes a MODULE_BUILTIN step (alone, known
 * names only), and a chain of built-ins runs inside the worker and its
 * output reaches the target, with the inputs in in/ untouched. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "check_task.h"
#include "check_tmpdir.h"

#include "os/sys_fs.h"
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

int
main(void)
{
	Suite       *s = suite_create("worker_builtin");
	const TTest *parse[] = {a_builtin_step_is_parsed_with_its_settings,
	    an_unknown_or_mixed_builtin_is_refused, NULL};
	const TTest *run[] = {
	    a_chain_of_builtins_runs_in_the_worker_and_is_sent, NULL};
	TCase *tc;

	mc_check_tcase(s, "task.json", parse);
	tc = mc_check_tmpdir_tcase(s, "run", run);
	tcase_set_timeout(tc, 20);
	return mc_check_run(s);
}
