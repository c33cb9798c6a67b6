/* worker_process_test.c - the processing side of the worker without a
 * network: the process section and modules of task.json become module
 * specs (both config forms), the step task.json a module reads, the
 * module's result.json keys merged over a chain and round-tripped,
 * dynamic routing decisions, templates with escaping, secrets from the
 * config, the environment and a file, STOW responses, and a command
 * module run end to end with the dummy target. */
#include <check.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "check_task.h"
#include "check_tmpdir.h"

#include "task/module_result.h"
#include "process/routing.h"
#include "targets/secret.h"
#include "targets/stow_json.h"
#include "os/sys_fs.h"
#include "targets/target.h"
#include "task/task.h"
#include "task_run.h"
#include "notify/template.h"

static const char PROCESS_TASK[] =
    "{\"id\": \"p1\", \"info\": {\"applied_rule\": \"r\"},\n"
    " \"dispatch\": {\"target_name\": [\"pacs\"], \"status\": {}},\n"
    " \"process\": [\n"
    "   {\"module_name\": \"a\", \"settings\": {\"k\": 1},\n"
    "    \"retain_input_images\": false},\n"
    "   {\"module_name\": \"b\", \"settings\": {},\n"
    "    \"retain_input_images\": \"true\",\n"
    "    \"module_config\": {\"docker_tag\": \"img:1\",\n"
    "       \"network_enabled\": \"false\"}}],\n"
    " \"mercure_c\": {\"kind\": \"both\",\n"
    "   \"targets\": {\"pacs\": {\"target_type\": \"dummy\"},\n"
    "                \"alt\": {\"target_type\": \"dummy\"},\n"
    "                \"alt2\": {\"target_type\": \"dummy\"}},\n"
    "   \"modules\": {\"a\": {\"command\": [\"/bin/echo\", \"x y\", 3],\n"
    "      \"environment\": \"{\\\"A\\\": \\\"1\\\", \\\"N\\\": 2}\",\n"
    "      \"timeout\": \"60\"}},\n"
    "   \"rule\": {\"name\": \"r\", \"dynamic_routing\": \"True\",\n"
    "      \"dynamic_routing_allowed_targets\": \"alt, alt2\",\n"
    "      \"conditional_alternate_target\": [\"alt2\"]}}}\n";

START_TEST(a_chain_becomes_module_specs_from_either_config_form)
{
	task              *t = mc_check_task_parse(PROCESS_TASK);
	const module_spec *a, *b;

	ck_assert_uint_eq(task_step_count(t), 2);
	a = task_step(t, 0);
	b = task_step(t, 1);
	ck_assert_str_eq(a->name, "a");
	ck_assert_int_eq(a->kind, MODULE_COMMAND);
	ck_assert_uint_eq(a->argc, 3);
	ck_assert_str_eq(a->argv[1], "x y");
	ck_assert_str_eq(a->argv[2], "3");
	ck_assert_ptr_null(a->argv[3]);
	ck_assert_uint_eq(a->n_env, 2);
	ck_assert_str_eq(a->env[0], "A=1");
	ck_assert_str_eq(a->env[1], "N=2");
	ck_assert_uint_eq(a->timeout_s, 60);
	ck_assert(a->network);
	ck_assert(!a->retain_input_images);
	ck_assert_int_eq(b->kind, MODULE_CONTAINER);
	ck_assert_str_eq(b->docker_tag, "img:1");
	ck_assert_uint_eq(b->timeout_s, MODULE_TIMEOUT_DEFAULT_S);
	ck_assert(!b->network);
	ck_assert(b->retain_input_images);
	ck_assert(task_get_rule(t)->dynamic_routing);
	ck_assert_uint_eq(task_get_rule(t)->n_allowed, 2);
	ck_assert_str_eq(task_get_rule(t)->allowed[1], "alt2");
	ck_assert_uint_eq(task_get_rule(t)->n_alternate, 1);
	task_destroy(t);
}
END_TEST

START_TEST(the_step_task_json_holds_that_step_and_no_mercure_c)
{
	task        *t = mc_check_task_parse(PROCESS_TASK);
	char        *text = NULL;
	size_t       len = 0;
	json_t      *j;
	json_error_t je;

	ck_assert_int_eq(task_step_json(t, 1, &text, &len), MC_OK);
	ck_assert_uint_eq(strlen(text), len);
	j = json_loads(text, 0, &je);
	ck_assert_ptr_nonnull(j);
	ck_assert_ptr_null(json_object_get(j, "mercure_c"));
	ck_assert_str_eq(json_string_value(json_object_get(
	                     json_object_get(j, "process"), "module_name")),
	    "b");
	ck_assert_str_eq(json_string_value(json_object_get(j, "id")), "p1");
	json_decref(j);
	free(text);
	task_destroy(t);
}
END_TEST

static void
assert_process_error(
    const char *process, const char *modules, const char *field)
{
	char    text[2048];
	task   *t = NULL;
	mc_diag d;

	snprintf(text, sizeof(text),
	    "{\"id\":\"x\",\"process\":%s,\"mercure_c\":{\"kind\":"
	    "\"process\",\"modules\":%s}}",
	    process, modules);
	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(task_parse(text, strlen(text), &t, &d), MC_ECONFIG);
	ck_assert_ptr_null(t);
	ck_assert_msg(
	    strstr(d.field, field) != NULL, "field '%s' (%s)", d.field, d.msg);
}

START_TEST(bad_process_sections_name_the_field)
{
	assert_process_error("null", "{}", "process");
	assert_process_error("[]", "{}", "process");
	assert_process_error("{\"settings\":{}}", "{}", "process[0]");
	assert_process_error("{\"module_name\":\"m\"}", "{}", "process[0]");
	assert_process_error(
	    "{\"module_name\":\"m\"}", "{\"m\":{}}", "mercure_c.modules.m");
	assert_process_error("{\"module_name\":\"m\"}",
	    "{\"m\":{\"command\":{\"a\":1}}}", "mercure_c.modules.m.command");
	assert_process_error("{\"module_name\":\"m\"}",
	    "{\"m\":{\"command\":\"x\",\"timeout\":0}}",
	    "mercure_c.modules.m.timeout");
	assert_process_error("{\"module_name\":\"m\"}",
	    "{\"m\":{\"command\":\"x\",\"environment\":[1]}}",
	    "mercure_c.modules.m.environment");
}
END_TEST

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

START_TEST(module_results_merge_over_a_chain_and_round_trip)
{
	module_result acc, back;
	char          err[256], *json = NULL;

	mc_check_tmpdir_setup();
	module_result_init(&acc);
	put("r1.json", "{\"__mercure_notification\": {\"text\": \"one\"},"
	               " \"__mercure_routing\": {\"target\": \"x\"}}");
	put("r2.json",
	    "{\"other\": 1, \"__mercure_notification\": "
	    "{\"text\": \"two\", \"requested\": true},"
	    " \"__mercure_routing\": {\"target\": [\"a\", \"b\"]}}");
	put("bad.json", "{\"__mercure_routing\": {\"target\": [1]}}");
	ck_assert_int_eq(
	    module_result_read(path_of("r1.json"), &acc, err, sizeof(err)),
	    MC_OK);
	ck_assert_int_eq(
	    module_result_read(path_of("none.json"), &acc, err, sizeof(err)),
	    MC_OK);
	ck_assert_int_eq(
	    module_result_read(path_of("r2.json"), &acc, err, sizeof(err)),
	    MC_OK);
	ck_assert_int_eq(
	    module_result_read(path_of("bad.json"), &acc, err, sizeof(err)),
	    MC_EPARSE);
	ck_assert_ptr_nonnull(strstr(err, "__mercure_routing.target"));
	ck_assert_str_eq(acc.notify_text, "one\ntwo");
	ck_assert(acc.notify_requested);
	ck_assert_int_eq(acc.routing, ROUTING_TARGETS);
	ck_assert_uint_eq(acc.n_targets, 2);
	ck_assert_str_eq(acc.targets[1], "b");
	ck_assert_int_eq(module_result_encode(&acc, NULL, &json), MC_OK);
	module_result_init(&back);
	ck_assert_int_eq(module_result_decode(json, &back), MC_OK);
	ck_assert_str_eq(back.notify_text, "one\ntwo");
	ck_assert_uint_eq(back.n_targets, 2);
	free(json);
	module_result_fini(&acc);
	module_result_fini(&back);
}
END_TEST

static void
decide(const task *t, const char *result, routing_plan *p, module_result *mr)
{
	char err[256];

	put("r.json", result);
	module_result_init(mr);
	ck_assert_int_eq(
	    module_result_read(path_of("r.json"), mr, err, sizeof(err)),
	    MC_OK);
	routing_decide(t, mr, p);
}

START_TEST(dynamic_routing_is_followed_only_within_the_rule)
{
	task         *t = mc_check_task_parse(PROCESS_TASK);
	routing_plan  p;
	module_result mr;

	mc_check_tmpdir_setup();
	routing_decide(t, NULL, &p);
	ck_assert(!p.o.applied);
	ck_assert_uint_eq(p.o.n_targets, 1);
	ck_assert_str_eq(p.o.targets[0], "pacs");
	decide(t, "{\"__mercure_routing\": {\"target\": [\"alt\", \"alt2\"]}}",
	    &p, &mr);
	ck_assert(p.o.applied);
	ck_assert_uint_eq(p.o.n_targets, 2);
	module_result_fini(&mr);
	decide(t, "{\"__mercure_routing\": {\"target\": \"pacs\"}}", &p, &mr);
	ck_assert(!p.o.applied);
	ck_assert_str_eq(p.o.targets[0], "pacs");
	ck_assert_ptr_nonnull(strstr(p.reason, "not in dynamic_routing"));
	module_result_fini(&mr);
	decide(t, "{\"__mercure_routing\": {\"use_alternate_target\": true}}",
	    &p, &mr);
	ck_assert(p.o.applied);
	ck_assert_str_eq(p.o.targets[0], "alt2");
	module_result_fini(&mr);
	decide(t, "{\"__mercure_routing\": {\"discard\": true}}", &p, &mr);
	ck_assert(p.o.discard);
	ck_assert_uint_eq(p.o.n_targets, 0);
	module_result_fini(&mr);
	task_destroy(t);
}
END_TEST

static const char *
lookup(const char *name, void *ctx)
{
	(void) ctx;
	if (strcmp(name, "rule") == 0)
		return "ct";
	if (strcmp(name, "patient_name") == 0)
		return "O\"Hara <&>\n";
	return NULL;
}

START_TEST(templates_substitute_and_escape_for_their_place)
{
	char *out = NULL;

	ck_assert_int_eq(template_render("{{rule}}-{{ rule }}-{{ rule|upper }}"
	                                 "-{{ none }}-{% if x %}-{{ a b }}",
	                     lookup, NULL, TEMPLATE_ESCAPE_NONE, &out),
	    MC_OK);
	ck_assert_str_eq(out, "ct-ct-ct--{% if x %}-{{ a b }}");
	free(out);
	ck_assert_int_eq(template_render("\"{{ patient_name }}\"", lookup,
	                     NULL, TEMPLATE_ESCAPE_JSON, &out),
	    MC_OK);
	ck_assert_str_eq(out, "\"O\\\"Hara <&>\\n\"");
	free(out);
	ck_assert_int_eq(template_render("<p>{{ patient_name }}", lookup, NULL,
	                     TEMPLATE_ESCAPE_HTML, &out),
	    MC_OK);
	ck_assert_str_eq(out, "<p>O&quot;Hara &lt;&amp;&gt;\n");
	free(out);
	ck_assert_int_eq(template_render("{{ unclosed", lookup, NULL,
	                     TEMPLATE_ESCAPE_NONE, &out),
	    MC_OK);
	ck_assert_str_eq(out, "{{ unclosed");
	free(out);
}
END_TEST

START_TEST(secrets_come_from_the_field_the_environment_or_a_file)
{
	target_cfg *c;
	char        buf[64], err[256];
	bool        found;

	mc_check_tmpdir_setup();
	put("pw", "from-file\n");
	ck_assert_int_eq(target_cfg_create("t", &c), MC_OK);
	ck_assert_int_eq(secret_get(c, "password", buf, sizeof(buf), &found,
	                     err, sizeof(err)),
	    MC_OK);
	ck_assert(!found);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(
	    target_cfg_set(c, "password_file", path_of("pw")), MC_OK);
	ck_assert_int_eq(secret_get(c, "password", buf, sizeof(buf), &found,
	                     err, sizeof(err)),
	    MC_OK);
	ck_assert(found);
	ck_assert_str_eq(buf, "from-file");
	setenv("MC_UNIT_SECRET", "from-env", 1);
	ck_assert_int_eq(
	    target_cfg_set(c, "password_env", "MC_UNIT_SECRET"), MC_OK);
	ck_assert_int_eq(secret_get(c, "password", buf, sizeof(buf), &found,
	                     err, sizeof(err)),
	    MC_OK);
	ck_assert_str_eq(buf, "from-env");
	ck_assert_int_eq(target_cfg_set(c, "password", "inline"), MC_OK);
	ck_assert_int_eq(secret_get(c, "password", buf, sizeof(buf), &found,
	                     err, sizeof(err)),
	    MC_OK);
	ck_assert_str_eq(buf, "inline");
	ck_assert_int_eq(
	    target_cfg_set(c, "token_env", "MC_UNIT_UNSET"), MC_OK);
	unsetenv("MC_UNIT_UNSET");
	ck_assert_int_eq(
	    secret_get(c, "token", buf, sizeof(buf), &found, err, sizeof(err)),
	    MC_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err, "MC_UNIT_UNSET"));
	secret_wipe(buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
	target_cfg_destroy(c);
}
END_TEST

START_TEST(stow_responses_count_stored_and_failed_instances)
{
	static const char body[] =
	    "{\"00081199\": {\"vr\": \"SQ\", \"Value\": [{}, {}]},"
	    " \"00081198\": {\"vr\": \"SQ\", \"Value\": ["
	    "  {\"00081155\": {\"vr\": \"UI\", \"Value\": [\"1.2.3\"]},"
	    "   \"00081197\": {\"vr\": \"US\", \"Value\": [43264]}}]}}";
	stow_response r;
	char          err[128];

	ck_assert_int_eq(
	    stow_response_parse(body, strlen(body), &r, err, sizeof(err)),
	    MC_OK);
	ck_assert_uint_eq(r.n_referenced, 2);
	ck_assert_uint_eq(r.n_failed, 1);
	ck_assert_str_eq(r.failed[0].sop_instance_uid, "1.2.3");
	ck_assert_uint_eq(r.failed[0].reason, 0xA900);
	ck_assert_int_eq(
	    stow_response_parse("[{}]", 4, &r, err, sizeof(err)), MC_OK);
	ck_assert_uint_eq(r.n_failed, 0);
	ck_assert_int_eq(
	    stow_response_parse(" \n", 2, &r, err, sizeof(err)), MC_OK);
	ck_assert_int_eq(
	    stow_response_parse("<html>", 6, &r, err, sizeof(err)), MC_EPARSE);
}
END_TEST

START_TEST(urls_lose_credentials_and_queries_in_messages)
{
	char buf[256];

	target_url_for_log(
	    "https://u:p@h.org:8042/dicom-web/studies?t=1", buf, sizeof(buf));
	ck_assert_str_eq(buf, "https://h.org:8042/dicom-web/studies");
	target_url_for_log("http://h/x#frag", buf, sizeof(buf));
	ck_assert_str_eq(buf, "http://h/x");
}
END_TEST

START_TEST(a_command_module_runs_and_its_output_goes_to_the_dummy_target)
{
	task_run_opts o;
	char         *text = NULL;
	size_t        len = 0;
	json_t       *j;

	mc_check_tmpdir_setup();
	ck_assert_int_eq(sys_mkdir_p(path_of("t/in")), MC_OK);
	put("t/in/a.dcm", "A");
	put("t/in/b.dcm", "B");
	put("t/task.json",
	    "{\"id\": \"t\", \"dispatch\": {\"target_name\": [\"d\"]},"
	    " \"process\": {\"module_name\": \"cp\"},"
	    " \"mercure_c\": {\"kind\": \"both\","
	    "  \"targets\": {\"d\": {\"target_type\": \"dummy\"}},"
	    "  \"modules\": {\"cp\": {\"command\": [\"/bin/sh\", \"-c\","
	    "   \"cp \\\"$MERCURE_IN_DIR\\\"/*.dcm "
	    "\\\"$MERCURE_OUT_DIR\\\"\"]}}}}");
	o.task_dir = path_of("t");
	o.coordinator_url = NULL;
	ck_assert_int_eq(task_run(&o), TASK_EXIT_OK);
	ck_assert_int_eq(
	    sys_read_file(path_of("t/result.json"), &text, &len), MC_OK);
	j = json_loads(text, 0, NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert(json_is_true(json_object_get(j, "ok")));
	ck_assert_int_eq(
	    json_integer_value(json_object_get(
	        json_object_get(json_object_get(j, "targets"), "d"), "sent")),
	    2);
	ck_assert_int_eq(json_integer_value(json_object_get(
	                     json_object_get(j, "process"), "output_files")),
	    2);
	ck_assert(sys_exists(path_of("t/out/a.dcm")));
	ck_assert(sys_exists(path_of("t/out/task.json")));
	ck_assert(sys_exists(path_of("t/module-1-cp.log")));
	json_decref(j);
	free(text);
}
END_TEST

/* a "both" task whose module runs script (sh -c) and whose target is the
 * folder tmp/dst; returns the task's result.json (new) */
static json_t *
run_module_script(const char *script, task_exit want)
{
	char    doc[2048], *text = NULL;
	size_t  len = 0;
	json_t *j, *cmd = json_pack("[s, s, s]", "/bin/sh", "-c", script);
	char   *cmd_text = json_dumps(cmd, JSON_COMPACT);
	task_run_opts o;

	ck_assert_int_eq(sys_mkdir_p(path_of("t/in")), MC_OK);
	ck_assert_int_eq(sys_mkdir_p(path_of("dst")), MC_OK);
	put("t/in/a.dcm", "A");
	put("secret.txt", "host secret");
	snprintf(doc, sizeof(doc),
	    "{\"id\": \"t\", \"dispatch\": {\"target_name\": [\"f\"]},"
	    " \"process\": {\"module_name\": \"m\"},"
	    " \"mercure_c\": {\"kind\": \"both\","
	    "  \"targets\": {\"f\": {\"target_type\": \"folder\","
	    "   \"folder\": \"%s/dst\"}},"
	    "  \"modules\": {\"m\": {\"command\": %s,"
	    "   \"environment\": {\"SECRET\": \"%s/secret.txt\","
	    "    \"TOP\": \"%s\"}}}}}",
	    mc_check_tmpdir, cmd_text, mc_check_tmpdir, mc_check_tmpdir);
	free(cmd_text);
	json_decref(cmd);
	put("t/task.json", doc);
	o.task_dir = path_of("t");
	o.coordinator_url = NULL;
	ck_assert_int_eq(task_run(&o), want);
	ck_assert_int_eq(
	    sys_read_file(path_of("t/result.json"), &text, &len), MC_OK);
	ck_assert_ptr_nonnull(j = json_loads(text, 0, NULL));
	free(text);
	return j;
}

static size_t
count_dir(const char *rel)
{
	char           dir[MC_PATH_MAX];
	DIR           *d;
	struct dirent *e;
	size_t         n = 0;

	snprintf(dir, sizeof(dir), "%s", path_of(rel));
	ck_assert_ptr_nonnull(d = opendir(dir));
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* the module's output is refused: not retryable, the reason names the
 * file and its kind, nothing reached the folder target */
static void
assert_refused(const char *script, const char *reason)
{
	json_t     *j = run_module_script(script, TASK_EXIT_TARGET_FAILED);
	const char *err = json_string_value(json_object_get(j, "error"));

	ck_assert(json_is_false(json_object_get(j, "ok")));
	ck_assert(json_is_false(json_object_get(j, "retryable")));
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(
	    strstr(err, reason) != NULL, "error '%s' lacks '%s'", err, reason);
	ck_assert_msg(strstr(err, "refused") != NULL, "error '%s'", err);
	ck_assert_uint_eq(count_dir("dst"), 0);
	ck_assert(!sys_exists(path_of("t/out")));
	json_decref(j);
}

START_TEST(a_module_link_to_a_host_file_is_refused_and_nothing_sent)
{
	mc_check_tmpdir_setup();
	assert_refused("cp \"$MERCURE_IN_DIR\"/a.dcm \"$MERCURE_OUT_DIR\"/ &&"
	               " ln -s \"$SECRET\" \"$MERCURE_OUT_DIR\"/x.dcm",
	    "x.dcm is a symbolic link");
}
END_TEST

START_TEST(a_module_link_to_a_folder_is_refused)
{
	mc_check_tmpdir_setup();
	assert_refused("cp \"$MERCURE_IN_DIR\"/a.dcm \"$MERCURE_OUT_DIR\"/ &&"
	               " ln -s \"$TOP\" \"$MERCURE_OUT_DIR\"/d",
	    "/d is a symbolic link");
}
END_TEST

START_TEST(a_module_output_folder_replaced_by_a_link_is_refused)
{
	mc_check_tmpdir_setup();
	assert_refused("mkdir \"$TOP\"/elsewhere && cp \"$SECRET\" "
	               "\"$TOP\"/elsewhere/x.dcm && rmdir \"$MERCURE_OUT_DIR\""
	               " && ln -s \"$TOP\"/elsewhere \"$MERCURE_OUT_DIR\"",
	    "is a symbolic link, not a folder");
}
END_TEST

START_TEST(a_module_fifo_is_refused_without_waiting_on_it)
{
	int64_t t0;

	mc_check_tmpdir_setup();
	t0 = sys_now_us();
	assert_refused("cp \"$MERCURE_IN_DIR\"/a.dcm \"$MERCURE_OUT_DIR\"/ &&"
	               " mkfifo \"$MERCURE_OUT_DIR\"/x.dcm",
	    "x.dcm is a FIFO");
	mc_check_tmpdir_teardown();
	mc_check_tmpdir_setup();
	assert_refused("cp \"$MERCURE_IN_DIR\"/a.dcm \"$MERCURE_OUT_DIR\"/ &&"
	               " mkfifo \"$MERCURE_OUT_DIR\"/result.json",
	    "result.json is a FIFO");
	ck_assert_int_lt(sys_now_us() - t0, 5 * 1000000);
}
END_TEST

START_TEST(a_module_link_as_result_json_is_refused)
{
	mc_check_tmpdir_setup();
	put("evil.json", "{\"__mercure_routing\": {\"discard\": true}}");
	assert_refused("cp \"$MERCURE_IN_DIR\"/a.dcm \"$MERCURE_OUT_DIR\"/ &&"
	               " ln -s \"$TOP\"/evil.json "
	               "\"$MERCURE_OUT_DIR\"/result.json",
	    "result.json is a symbolic link");
}
END_TEST

/* hard links are accepted: link(2) needs a name the module can already
 * reach on the same file system (and fs.protected_hardlinks a file it
 * owns or can read and write), so it delivers nothing the module could
 * not have copied; in/ itself may hold hard links to incoming/ */
START_TEST(a_module_hard_link_to_a_file_it_can_read_is_delivered)
{
	json_t *j;

	mc_check_tmpdir_setup();
	j = run_module_script("ln \"$MERCURE_IN_DIR\"/a.dcm "
	                      "\"$MERCURE_OUT_DIR\"/a.dcm",
	    TASK_EXIT_OK);
	ck_assert(json_is_true(json_object_get(j, "ok")));
	ck_assert_uint_eq(count_dir("dst/t"), 1);
	json_decref(j);
}
END_TEST

START_TEST(a_module_background_child_is_stopped_when_the_module_exits)
{
	json_t *j;

	mc_check_tmpdir_setup();
	j = run_module_script("cp \"$MERCURE_IN_DIR\"/a.dcm "
	                      "\"$MERCURE_OUT_DIR\"/; "
	                      "(sleep 0.3; touch \"$TOP\"/late) & exit 0",
	    TASK_EXIT_OK);
	json_decref(j);
	/* an absence: give the child three times its delay */
	usleep(900 * 1000);
	ck_assert(!sys_exists(path_of("late")));
}
END_TEST

START_TEST(a_folder_target_never_empties_a_folder_planted_as_its_partial)
{
	json_t *j;
	char    victim[MC_PATH_MAX];

	mc_check_tmpdir_setup();
	ck_assert_int_eq(sys_mkdir_p(path_of("dst")), MC_OK);
	ck_assert_int_eq(sys_mkdir_p(path_of("victim")), MC_OK);
	put("victim/keep.txt", "keep");
	snprintf(victim, sizeof(victim), "%s", path_of("victim"));
	ck_assert_int_eq(symlink(victim, path_of("dst/t.partial")), 0);
	j = run_module_script("cp \"$MERCURE_IN_DIR\"/a.dcm "
	                      "\"$MERCURE_OUT_DIR\"/",
	    TASK_EXIT_TARGET_FAILED);
	ck_assert(sys_exists(path_of("victim/keep.txt")));
	ck_assert(!sys_exists(path_of("dst/t")));
	json_decref(j);
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("worker_process");
	const TTest *parse[] = {
	    a_chain_becomes_module_specs_from_either_config_form,
	    the_step_task_json_holds_that_step_and_no_mercure_c,
	    bad_process_sections_name_the_field, NULL};
	const TTest *mr[] = {module_results_merge_over_a_chain_and_round_trip,
	    dynamic_routing_is_followed_only_within_the_rule, NULL};
	const TTest *misc[] = {templates_substitute_and_escape_for_their_place,
	    secrets_come_from_the_field_the_environment_or_a_file,
	    stow_responses_count_stored_and_failed_instances,
	    urls_lose_credentials_and_queries_in_messages, NULL};
	const TTest *run[] = {
	    a_command_module_runs_and_its_output_goes_to_the_dummy_target,
	    a_module_link_to_a_host_file_is_refused_and_nothing_sent,
	    a_module_link_to_a_folder_is_refused,
	    a_module_output_folder_replaced_by_a_link_is_refused,
	    a_module_fifo_is_refused_without_waiting_on_it,
	    a_module_link_as_result_json_is_refused,
	    a_module_hard_link_to_a_file_it_can_read_is_delivered,
	    a_module_background_child_is_stopped_when_the_module_exits,
	    a_folder_target_never_empties_a_folder_planted_as_its_partial,
	    NULL};
	TCase *tc;

	mc_check_tcase(s, "process section", parse);
	/* the tests make their folder when they need one */
	mc_check_fixture_tcase(s, "module results and routing", mr, NULL,
	    mc_check_tmpdir_teardown);
	mc_check_fixture_tcase(s, "templates, secrets, STOW, URLs", misc, NULL,
	    mc_check_tmpdir_teardown);
	tc = mc_check_fixture_tcase(
	    s, "run", run, NULL, mc_check_tmpdir_teardown);
	tcase_set_timeout(tc, 20);
	return mc_check_run(s);
}
