/* task_format_test.c - the task folder's files (common/task/): task.json,
 * result.json and the notification request, each written by its writer
 * and read back by its reader with every field intact, and each reader's
 * refusals (oversized, wrong types, bad ids) naming what is wrong. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"

#include "config/config.h"
#include "os/sys_fs.h"
#include "tags/tagset.h"
#include "task/notify_json.h"
#include "task/result_json.h"
#include "task/task.h"
#include "task/task_json.h"

#define TASK_ID "0c9e4f3a-6f1d-11ef-8a3b-0242ac120002"
#define TMP_ROOT_LEN 64

static char tmp_root[TMP_ROOT_LEN];

static void
make_tmp(void)
{
	snprintf(tmp_root, sizeof(tmp_root), "/tmp/mc-task-format.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp_root));
}

static void
rm_tmp(void)
{
	ck_assert_int_eq(sys_remove_tree(tmp_root), MC_OK);
}

static void
tmp_path(char *buf, size_t len, const char *name)
{
	ck_assert_int_eq(
	    sys_path_fmt(buf, len, "%s/%s", tmp_root, name), MC_OK);
}

/* ---- task.json -------------------------------------------------------- */

static const char CONFIG_YAML[] =
    "appliance_name: unit\n"
    "coordinator_url: ipc:///tmp/unit.ipc\n"
    "targets:\n"
    "  pacs: {target_type: dicom, ip: 10.0.0.5, port: 104,"
    " aet_target: PACS}\n"
    "  web: {target_type: dicomweb, url: 'http://web',"
    " access_token: s3cret}\n"
    "modules:\n"
    "  anon:\n"
    "    command: [/bin/anon, --fast]\n"
    "    environment: {LEVEL: '2'}\n"
    "    timeout: 60\n"
    "rules:\n"
    "  ct:\n"
    "    rule: \"tags.Modality == 'CT'\"\n"
    "    action: both\n"
    "    processing_module: anon\n"
    "    target: [pacs, web]\n"
    "    priority: urgent\n"
    "    notification_webhook: http://hook/token\n";

typedef struct built {
	mc_config *cfg;
	mc_tagset *tags;
	char      *text;
	char       path[MC_PATH_MAX];
} built;

/* build_task - task.json of rule ct for TASK_ID, written to tmp_root */
static void
build_task(built *b)
{
	const char *trig[] = {"ct"};
	task_spec   s;
	config_diag diag;
	size_t      n_diag = 0;
	char        why[512] = "";

	memset(b, 0, sizeof(*b));
	if (config_load_buffer("t.yaml", CONFIG_YAML, strlen(CONFIG_YAML),
	        &b->cfg, &diag, 1, &n_diag) != MC_OK &&
	    n_diag > 0)
		config_diag_format(&diag, why, sizeof(why));
	ck_assert_msg(b->cfg != NULL, "config: %s", why);
	ck_assert_int_eq(mc_tagset_create(&b->tags), MC_OK);
	ck_assert_int_eq(mc_tagset_set(b->tags, "SenderAET", "CT1"), MC_OK);
	ck_assert_int_eq(mc_tagset_set(b->tags, "PatientID", "P7"), MC_OK);
	memset(&s, 0, sizeof(s));
	s.id = TASK_ID;
	s.kind = "both";
	s.uid = s.series_uid = "1.2.3";
	s.uid_type = "series";
	s.rule = config_find_rule(b->cfg, "ct");
	s.triggered = trig;
	s.n_triggered = 1;
	s.tags = b->tags;
	s.targets[s.n_targets++] = config_find_target(b->cfg, "pacs");
	s.targets[s.n_targets++] = config_find_target(b->cfg, "web");
	s.cfg = b->cfg;
	ck_assert_int_eq(task_json_build(&s, &b->text), MC_OK);
	tmp_path(b->path, sizeof(b->path), TASK_JSON_NAME);
	ck_assert_int_eq(
	    sys_write_file_atomic(b->path, b->text, strlen(b->text)), MC_OK);
}

static void
built_free(built *b)
{
	free(b->text);
	mc_tagset_destroy(b->tags);
	config_destroy(b->cfg);
}

static task *
load_ok(const char *path)
{
	task   *t = NULL;
	mc_diag d;

	memset(&d, 0, sizeof(d));
	ck_assert_msg(
	    task_load(path, &t, &d) == MC_OK, "%s: %s", d.field, d.msg);
	return t;
}

START_TEST(task_json_round_trips_from_configuration_to_worker)
{
	built              b;
	task              *t;
	const module_spec *m;

	make_tmp();
	build_task(&b);
	ck_assert_ptr_null(strstr(b.text, "s3cret"));
	ck_assert_ptr_null(strstr(b.text, "http://hook/token"));
	t = load_ok(b.path);
	ck_assert_str_eq(task_id(t), TASK_ID);
	ck_assert_str_eq(task_kind(t), "both");
	ck_assert_str_eq(task_coordinator_url(t), "ipc:///tmp/unit.ipc");
	ck_assert_str_eq(task_info(t, "uid"), "1.2.3");
	ck_assert_str_eq(task_info(t, "sender_aet"), "CT1");
	ck_assert_str_eq(task_info(t, "mrn"), "P7");
	ck_assert_str_eq(task_info(t, "applied_rule"), "ct");
	ck_assert_uint_eq(task_target_count(t), 2);
	ck_assert_str_eq(task_target_name(t, 0), "pacs");
	ck_assert_str_eq(task_target_name(t, 1), "web");
	ck_assert(!task_target_is_complete(t, 0));
	ck_assert_str_eq(target_cfg_get(task_target_cfg(t, 0), "port"), "104");
	ck_assert_str_eq(
	    target_cfg_get(task_target_cfg(t, 1), "url"), "http://web");
	ck_assert_ptr_null(
	    target_cfg_get(task_target_cfg(t, 1), "access_token"));
	ck_assert_uint_eq(task_step_count(t), 1);
	m = task_step(t, 0);
	ck_assert_str_eq(m->name, "anon");
	ck_assert_int_eq(m->kind, MODULE_COMMAND);
	ck_assert_uint_eq(m->argc, 2);
	ck_assert_str_eq(m->argv[1], "--fast");
	ck_assert_uint_eq(m->n_env, 1);
	ck_assert_str_eq(m->env[0], "LEVEL=2");
	ck_assert_uint_eq(m->timeout_s, 60);
	ck_assert_str_eq(task_get_rule(t)->name, "ct");

	/* the secret comes from the configuration, the target whole */
	ck_assert(task_needs_config(t));
	ck_assert_int_eq(task_use_config(t, b.cfg), MC_OK);
	ck_assert(!task_needs_config(t));
	ck_assert_str_eq(
	    target_cfg_get(task_find_target(t, "web"), "access_token"),
	    "s3cret");
	ck_assert_str_eq(
	    target_cfg_get(task_find_target(t, "pacs"), "ip"), "10.0.0.5");
	task_destroy(t);
	built_free(&b);
	rm_tmp();
}
END_TEST

START_TEST(the_coordinator_reads_back_and_rewrites_for_retry)
{
	built              b;
	task_meta          m;
	task              *t;
	char               err[256];
	task_target_report out[2] = {{.name = "pacs", .ok = true, .error = ""},
	    {.name = "web", .error = "down"}};
	task_result        r = {.targets = out, .n_targets = 2};

	make_tmp();
	build_task(&b);
	ck_assert_int_eq(
	    task_json_read_meta(b.path, &m, err, sizeof(err)), MC_OK);
	ck_assert_str_eq(m.kind, "both");
	ck_assert_int_eq(m.priority, CONFIG_PRIORITY_URGENT);
	ck_assert_uint_eq(m.attempt, 1);
	ck_assert_uint_eq(m.retries, 0);
	ck_assert_str_eq(m.uid, "1.2.3");
	ck_assert_str_eq(m.rule, "ct");

	ck_assert_int_eq(
	    task_json_prepare_retry(b.path, &r, 1, 1700000000), MC_OK);
	ck_assert_int_eq(
	    task_json_read_meta(b.path, &m, err, sizeof(err)), MC_OK);
	ck_assert_uint_eq(m.attempt, 2);
	ck_assert_uint_eq(m.retries, 1);
	ck_assert_int_eq(m.next_retry_unix_s, 1700000000);
	t = load_ok(b.path);
	ck_assert(task_status_is_complete(t, "pacs"));
	ck_assert(!task_status_is_complete(t, "web"));
	task_destroy(t);

	ck_assert_int_eq(
	    task_json_set_fail_stage(b.path, "DISPATCHING"), MC_OK);
	t = load_ok(b.path);
	ck_assert_str_eq(task_info(t, "fail_stage"), "DISPATCHING");
	task_destroy(t);

	ck_assert_int_eq(task_json_reset_for_retry(b.path), MC_OK);
	ck_assert_int_eq(
	    task_json_read_meta(b.path, &m, err, sizeof(err)), MC_OK);
	ck_assert_uint_eq(m.attempt, 1);
	ck_assert_uint_eq(m.retries, 0);
	ck_assert_int_eq(m.next_retry_unix_s, 0);
	t = load_ok(b.path);
	ck_assert(task_status_is_complete(t, "pacs"));
	ck_assert_str_eq(task_info(t, "fail_stage"), "");
	task_destroy(t);

	out[1].ok = true;
	ck_assert_int_eq(task_json_record_result(b.path, &r), MC_OK);
	t = load_ok(b.path);
	ck_assert(task_status_is_complete(t, "web"));
	task_destroy(t);
	built_free(&b);
	rm_tmp();
}
END_TEST

START_TEST(the_summary_takes_defaults_and_refuses_non_objects)
{
	static const char odd[] =
	    "{\"mercure_c\": {\"kind\": 5, \"attempt\": \"x\"}}";
	task_meta m;
	char      path[MC_PATH_MAX], err[256];

	make_tmp();
	tmp_path(path, sizeof(path), TASK_JSON_NAME);
	ck_assert_int_eq(sys_write_file_atomic(path, odd, strlen(odd)), MC_OK);
	ck_assert_int_eq(
	    task_json_read_meta(path, &m, err, sizeof(err)), MC_OK);
	ck_assert_str_eq(m.kind, "dispatch");
	ck_assert_uint_eq(m.attempt, 1);
	ck_assert_int_eq(m.priority, CONFIG_PRIORITY_NORMAL);
	ck_assert_int_eq(sys_write_file_atomic(path, "[1]", 3), MC_OK);
	ck_assert_int_eq(
	    task_json_read_meta(path, &m, err, sizeof(err)), MC_EPARSE);
	ck_assert_ptr_nonnull(strstr(err, "not an object"));
	rm_tmp();
}
END_TEST

/* the field task_parse names for text, which it must refuse */
static void
assert_refused(const char *text, mc_err want, const char *field)
{
	task   *t = (task *) 1;
	mc_diag d;

	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(task_parse(text, strlen(text), &t, &d), want);
	ck_assert_ptr_null(t);
	ck_assert_msg(strcmp(d.field, field) == 0, "field '%s' (%s), not '%s'",
	    d.field, d.msg, field);
	ck_assert(strlen(d.msg) > 0);
}

/* a dispatch task.json with id and target_name as given */
static char *
dispatch_task(const char *id_json, const char *names_json)
{
	static const char fmt[] =
	    "{\"id\": %s, \"dispatch\": {\"target_name\": %s}, "
	    "\"mercure_c\": {\"kind\": \"dispatch\"}}";
	size_t len = sizeof(fmt) + strlen(id_json) + strlen(names_json);
	char  *text = malloc(len);

	ck_assert_ptr_nonnull(text);
	snprintf(text, len, fmt, id_json, names_json);
	return text;
}

static void
assert_id(const char *id_json, bool ok)
{
	char   *text = dispatch_task(id_json, "\"p\"");
	task   *t = NULL;
	mc_diag d;

	memset(&d, 0, sizeof(d));
	if (ok) {
		ck_assert_int_eq(
		    task_parse(text, strlen(text), &t, &d), MC_OK);
		task_destroy(t);
	} else {
		assert_refused(text, MC_ECONFIG, "id");
	}
	free(text);
}

START_TEST(task_ids_are_bounded_by_the_uuid_length_and_safe_characters)
{
	assert_id("\"" TASK_ID "\"", true);
	assert_id("\"task-7\"", true);
	/* 36 characters pass, 37 do not */
	assert_id("\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"", true);
	assert_id("\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"", false);
	assert_id("\"../x\"", false);
	assert_id("\".hidden\"", false);
	assert_id("\"a b\"", false);
	assert_id("\"a\\nb\"", false);
	assert_id("\"\"", false);
	assert_id("7", false);
	assert_id("null", false);
	ck_assert(task_id_is_safe(TASK_ID));
	ck_assert(!task_id_is_safe(NULL));
}
END_TEST

/* repeated - open, then n items before<i>after joined by commas, then
 * close: a JSON list or object of n distinct entries (malloc'ed) */
static char *
repeated(
    size_t n, char open, const char *before, const char *after, char close)
{
	size_t len = n * (strlen(before) + strlen(after) + 24) + 3;
	size_t used = 1;
	char  *s = malloc(len);

	ck_assert_ptr_nonnull(s);
	s[0] = open;
	for (size_t i = 0; i < n; i++)
		used += (size_t) snprintf(s + used, len - used, "%s%s%zu%s",
		    i ? "," : "", before, i, after);
	snprintf(s + used, len - used, "%c", close);
	return s;
}

/* a list of n names "t0".."t<n-1>"; an object of n folder targets */
static char *
name_list(size_t n)
{
	return repeated(n, '[', "\"t", "\"", ']');
}

static char *
target_objects(size_t n)
{
	return repeated(
	    n, '{', "\"t", "\": {\"target_type\": \"folder\"}", '}');
}

START_TEST(task_json_refuses_more_targets_than_the_limit)
{
	char   *names = name_list(TASK_TARGETS_MAX);
	char   *text = dispatch_task("\"a\"", names);
	char   *objs, *big;
	task   *t = NULL;
	mc_diag d;
	size_t  len;

	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(task_parse(text, strlen(text), &t, &d), MC_OK);
	ck_assert_uint_eq(task_target_count(t), TASK_TARGETS_MAX);
	task_destroy(t);
	free(text);
	free(names);

	names = name_list(TASK_TARGETS_MAX + 1);
	text = dispatch_task("\"a\"", names);
	assert_refused(text, MC_ECONFIG, "dispatch.target_name");
	free(text);
	free(names);

	objs = target_objects(TASK_TARGETS_MAX + 1);
	len = strlen(objs) + 128;
	big = malloc(len);
	ck_assert_ptr_nonnull(big);
	snprintf(big, len,
	    "{\"id\": \"a\", \"dispatch\": {\"target_name\": \"t0\"}, "
	    "\"mercure_c\": {\"kind\": \"dispatch\", \"targets\": %s}}",
	    objs);
	assert_refused(big, MC_ECONFIG, "mercure_c.targets");
	free(big);
	free(objs);
}
END_TEST

/* a process task.json whose module anon has the given fields */
static void
assert_module_refused(const char *module_fields, const char *field)
{
	static const char fmt[] =
	    "{\"id\": \"a\", \"process\": {\"module_name\": \"anon\"}, "
	    "\"mercure_c\": {\"kind\": \"process\", \"modules\": "
	    "{\"anon\": {%s}}}}";
	size_t len = sizeof(fmt) + strlen(module_fields);
	char  *text = malloc(len);

	ck_assert_ptr_nonnull(text);
	snprintf(text, len, fmt, module_fields);
	assert_refused(text, MC_ECONFIG, field);
	free(text);
}

START_TEST(task_json_refuses_oversized_and_mistyped_processing)
{
	char *chain = repeated(TASK_STEPS_MAX + 1, '[',
	    "{\"module_name\": \"anon\", \"n\": ", "}", ']');
	char *words = repeated(TASK_ARGV_MAX + 1, '[', "\"w", "\"", ']');
	char *env = repeated(TASK_ENV_MAX + 1, '{', "\"E", "\": \"v\"", '}');
	char  text[8192];

	snprintf(text, sizeof(text),
	    "{\"id\": \"a\", \"process\": %s, \"mercure_c\": {\"kind\": "
	    "\"process\", \"modules\": {\"anon\": {\"command\": "
	    "\"x\"}}}}",
	    chain);
	assert_refused(text, MC_ECONFIG, "process");

	snprintf(text, sizeof(text), "\"command\": %s", words);
	assert_module_refused(text, "mercure_c.modules.anon.command");
	snprintf(text, sizeof(text), "\"command\": \"x\", \"environment\": %s",
	    env);
	assert_module_refused(text, "mercure_c.modules.anon.environment");
	assert_module_refused("\"command\": \"x\", \"timeout\": 604801",
	    "mercure_c.modules.anon.timeout");
	assert_module_refused("\"command\": \"x\", \"timeout\": 0",
	    "mercure_c.modules.anon.timeout");
	assert_module_refused(
	    "\"command\": {\"a\": 1}", "mercure_c.modules.anon.command");
	assert_module_refused(
	    "\"docker_tag\": \"\"", "mercure_c.modules.anon");
	free(chain);
	free(words);
	free(env);
}
END_TEST

START_TEST(task_json_refuses_wrong_types_and_duplicate_keys)
{
	assert_refused("[1]", MC_ECONFIG, "");
	assert_refused("{\"id\": \"a\", \"info\": [], \"dispatch\": "
	               "{\"target_name\": \"p\"}, \"mercure_c\": {\"kind\": "
	               "\"dispatch\"}}",
	    MC_ECONFIG, "info");
	assert_refused("{\"id\": \"a\", \"dispatch\": {\"target_name\": "
	               "\"p\"}, \"mercure_c\": {\"kind\": 5}}",
	    MC_ECONFIG, "mercure_c.kind");
	assert_refused("{\"id\": \"a\", \"dispatch\": {\"target_name\": "
	               "\"p\"}, \"mercure_c\": {\"kind\": \"dispatch\", "
	               "\"targets\": \"p\"}}",
	    MC_ECONFIG, "mercure_c.targets");
	assert_refused("{\"id\": \"a\", \"dispatch\": {\"target_name\": "
	               "\"p\", \"status\": []}, \"mercure_c\": {\"kind\": "
	               "\"dispatch\"}}",
	    MC_ECONFIG, "dispatch.status");
	assert_refused("{\"id\": \"a\", \"id\": \"b\"}", MC_EPARSE, "");
}
END_TEST

/* ---- result.json ------------------------------------------------------ */

static const task_step_report STEPS[] = {
    {"anon", true, false, 0, 0, 12.5, "module-1-anon.log", ""},
    {"seg", false, true, -1, 9, 1000.0, "module-2-seg.log", "timed out"},
};

START_TEST(result_json_round_trips_every_field)
{
	task_target_report out[2] = {
	    {"pacs", true, false, 20, 0, "",
	        "[{\"file\": \"a.dcm\", \"ok\": true}, {\"ok\": true}]", 0,
	        NULL, 0},
	    {"arch", false, true, 0, 20, "cannot write: M\xfcller", NULL, 0,
	        NULL, 0},
	};
	task_process_report proc = {false, true, true, STEPS, 2, 7,
	    "processing failed",
	    "{\"notification\": {\"text\": \"look\", \"requested\": true}}"};
	task_result         w = {.task_id = TASK_ID,
	            .kind = "both",
	            .ok = false,
	            .retryable = true,
	            .started_us = 1700000000000000,
	            .finished_us = 1700000000250000,
	            .targets = out,
	            .n_targets = 2,
	            .error = "1 of 2 targets failed",
	            .process = &proc};
	task_result         r;
	char               *text, err[256];
	size_t              len;

	ck_assert_int_eq(task_result_encode(&w, &text, &len), MC_OK);
	ck_assert_int_eq(
	    task_result_parse(text, len, &r, err, sizeof(err)), MC_OK);
	free(text);
	ck_assert_str_eq(r.task_id, TASK_ID);
	ck_assert_str_eq(r.kind, "both");
	ck_assert(!r.ok);
	ck_assert(r.retryable);
	ck_assert_int_eq(r.started_us, 1700000000000000);
	ck_assert_int_eq(r.finished_us, 1700000000250000);
	ck_assert_str_eq(r.error, "1 of 2 targets failed");
	ck_assert_uint_eq(r.n_targets, 2);
	ck_assert_str_eq(r.targets[0].name, "pacs");
	ck_assert(r.targets[0].ok && !r.targets[0].retryable);
	ck_assert_uint_eq(r.targets[0].sent, 20);
	ck_assert_str_eq(r.targets[0].error, "");
	ck_assert_uint_eq(r.targets[0].n_instances, 2);
	ck_assert_uint_eq(r.targets[1].n_instances, 0);
	{
		task_instance_report ir;
		ck_assert(task_target_instance(&r.targets[0], 0, &ir));
		ck_assert_str_eq(ir.file, "a.dcm");
		ck_assert_str_eq(ir.sop, "");
		ck_assert_int_eq(ir.status, -1);
		ck_assert(ir.ok);
		ck_assert(task_target_instance(&r.targets[0], 1, &ir));
		ck_assert_str_eq(ir.file, "");
		ck_assert(!task_target_instance(&r.targets[0], 2, &ir));
		ck_assert(!ir.ok);
	}
	ck_assert_str_eq(r.targets[1].name, "arch");
	ck_assert(!r.targets[1].ok && r.targets[1].retryable);
	ck_assert_uint_eq(r.targets[1].failed, 20);
	/* not UTF-8: kept readable */
	ck_assert_str_eq(r.targets[1].error, "cannot write: M?ller");
	ck_assert_ptr_nonnull(r.process);
	ck_assert(!r.process->ok && r.process->retryable);
	ck_assert(r.process->reused);
	ck_assert_uint_eq(r.process->output_files, 7);
	ck_assert_str_eq(r.process->error, "processing failed");
	ck_assert_uint_eq(r.process->n_steps, 2);
	ck_assert_str_eq(r.process->steps[0].module, "anon");
	ck_assert(r.process->steps[0].ok);
	ck_assert_int_eq(r.process->steps[0].exit_code, 0);
	ck_assert(r.process->steps[0].ms == 12.5);
	ck_assert_str_eq(r.process->steps[0].log, "module-1-anon.log");
	ck_assert(r.process->steps[1].timed_out);
	ck_assert_int_eq(r.process->steps[1].exit_code, -1);
	ck_assert_int_eq(r.process->steps[1].signal, 9);
	ck_assert_str_eq(r.process->steps[1].error, "timed out");
	ck_assert_str_eq(r.process->module_result_json,
	    "{\"notification\":{\"text\":\"look\","
	    "\"requested\":true}}");
	ck_assert_str_eq(r.notify_text, "look");
	ck_assert(r.notify_requested);
	task_result_fini(&r);
	ck_assert_ptr_null(r.owned);
	task_result_fini(&r);
}
END_TEST

START_TEST(a_result_without_retryable_takes_it_from_its_targets)
{
	static const char crash[] = "{\"ok\": false, \"targets\": {}}";
	static const char some[] =
	    "{\"ok\": false, \"targets\": {\"a\": {\"ok\": false, "
	    "\"retryable\": true}, \"b\": {\"ok\": false}}}";
	static const char none[] =
	    "{\"ok\": false, \"targets\": {\"b\": {\"ok\": false}}}";
	task_result r;
	char        err[256];

	ck_assert_int_eq(
	    task_result_parse(crash, strlen(crash), &r, err, sizeof(err)),
	    MC_OK);
	ck_assert(r.retryable);
	ck_assert_str_eq(r.notify_text, "");
	task_result_fini(&r);
	ck_assert_int_eq(
	    task_result_parse(some, strlen(some), &r, err, sizeof(err)),
	    MC_OK);
	ck_assert(r.retryable);
	task_result_fini(&r);
	ck_assert_int_eq(
	    task_result_parse(none, strlen(none), &r, err, sizeof(err)),
	    MC_OK);
	ck_assert(!r.retryable);
	task_result_fini(&r);
}
END_TEST

static void
assert_result_refused(const char *text, const char *why)
{
	task_result r;
	char        err[256] = "";

	ck_assert_int_eq(
	    task_result_parse(text, strlen(text), &r, err, sizeof(err)),
	    MC_EPARSE);
	ck_assert_ptr_null(r.owned);
	ck_assert_uint_eq(r.n_targets, 0);
	ck_assert_msg(strstr(err, why) != NULL, "'%s' lacks '%s'", err, why);
}

START_TEST(result_json_refuses_wrong_types_bad_ids_and_oversized_lists)
{
	char *objs = target_objects(TASK_TARGETS_MAX + 1), *big;
	char *steps =
	    repeated(TASK_STEPS_MAX + 1, '[', "{\"exit\": ", "}", ']');
	size_t len = strlen(objs) + 32;
	char   text[4096];

	assert_result_refused("{\"ok\": true", "line 1");
	assert_result_refused("[1]", "not an object");
	assert_result_refused(
	    "{\"ok\": \"yes\"}", "ok: must be true or false");
	assert_result_refused("{\"v\": 2}", "v: ");
	assert_result_refused("{\"error\": 5}", "error: must be a string");
	assert_result_refused("{\"task\": \"../x\"}", "task: not a task id");
	assert_result_refused(
	    "{\"task\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
	    "task: not a task id");
	assert_result_refused(
	    "{\"targets\": []}", "targets: must be an object");
	assert_result_refused(
	    "{\"targets\": {\"a\": 1}}", "targets.a: must be an object");
	assert_result_refused(
	    "{\"targets\": {\"a\": {\"sent\": -1}}}", "targets.a.sent: ");
	assert_result_refused(
	    "{\"targets\": {\"a\": {\"sent\": \"3\"}}}", "targets.a.sent: ");
	assert_result_refused("{\"targets\": {\"a\": {\"error\": []}}}",
	    "targets.a.error: must be a string");
	assert_result_refused(
	    "{\"process\": []}", "process: must be an object");
	assert_result_refused(
	    "{\"process\": {\"steps\": [1]}}", "process.steps: each step");
	assert_result_refused("{\"process\": {\"steps\": [{\"exit\": 1.5}]}}",
	    "process.steps.exit: ");
	assert_result_refused(
	    "{\"module_result\": 5}", "module_result: must be an object");
	assert_result_refused(
	    "{\"module_result\": {\"notification\": {\"text\": 1}}}",
	    "module_result.notification.text: must be a string");
	assert_result_refused("{\"ok\": true, \"ok\": false}", "line 1");

	big = malloc(len);
	ck_assert_ptr_nonnull(big);
	snprintf(big, len, "{\"targets\": %s}", objs);
	assert_result_refused(big, "targets: too many targets");
	free(big);
	free(objs);
	snprintf(text, sizeof(text), "{\"process\": {\"steps\": %s}}", steps);
	assert_result_refused(text, "process.steps: too many steps");
	free(steps);
}
END_TEST

START_TEST(result_json_is_read_from_a_file_and_archived)
{
	static const char text[] = "{\"v\": 1, \"ok\": true}";
	char              path[MC_PATH_MAX], err[256];
	task_result       r;

	make_tmp();
	tmp_path(path, sizeof(path), TASK_RESULT_NAME);
	ck_assert_int_eq(
	    task_result_read(path, &r, err, sizeof(err)), MC_ENOENT);
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_int_eq(
	    sys_write_file_atomic(path, text, strlen(text)), MC_OK);
	ck_assert_int_eq(task_result_read(path, &r, err, sizeof(err)), MC_OK);
	ck_assert(r.ok);
	ck_assert(!r.retryable);
	ck_assert_ptr_null(r.process);
	task_result_fini(&r);
	ck_assert_int_eq(sys_write_file_atomic(path, "{", 1), MC_OK);
	ck_assert_int_eq(
	    task_result_read(path, &r, err, sizeof(err)), MC_EPARSE);
	ck_assert_msg(strncmp(err, path, strlen(path)) == 0, "%s", err);

	ck_assert_int_eq(task_result_archive(tmp_root, 2), MC_OK);
	ck_assert(!sys_exists(path));
	tmp_path(path, sizeof(path), "result.2.json");
	ck_assert(sys_exists(path));
	ck_assert_int_eq(task_result_archive(tmp_root, 3), MC_OK);
	rm_tmp();
}
END_TEST

/* ---- notification requests -------------------------------------------- */

START_TEST(a_notification_request_round_trips)
{
	notify_var     vars[] = {{"rule", "ct"}, {"details", "4 files"},
	        {"patient_name", "M\xfcller^Ann"}};
	notify_webhook w = {NULL, "\"text\": \"{{ rule }}\"", "", NULL};
	notify_email   e = {
	      "a@b.org", "Done", "plain", NOTIFY_FROM_DEFAULT, NULL};
	notify_request_spec s = {
	    TASK_ID, "completion", "ct", TASK_ID, &w, &e, vars, 3};
	notify_request *r;
	char           *text, err[256];

	ck_assert_int_eq(notify_request_encode(&s, &text), MC_OK);
	ck_assert_int_eq(
	    notify_request_parse(text, strlen(text), &r, err, sizeof(err)),
	    MC_OK);
	ck_assert_str_eq(notify_request_field(r, "id"), TASK_ID);
	ck_assert_str_eq(notify_request_field(r, "event"), "completion");
	ck_assert_str_eq(notify_request_field(r, "rule"), "ct");
	ck_assert_str_eq(notify_request_field(r, "task_id"), TASK_ID);
	ck_assert_str_eq(notify_request_field(r, "v"), "");
	ck_assert_str_eq(
	    notify_request_webhook(r, "payload"), "\"text\": \"{{ rule }}\"");
	ck_assert_str_eq(notify_request_webhook(r, "payload_body"), "");
	ck_assert_str_eq(notify_request_webhook(r, "url"), "");
	ck_assert_str_eq(notify_request_email(r, "to"), "a@b.org");
	ck_assert_str_eq(notify_request_email(r, "body"), "Done");
	ck_assert_str_eq(notify_request_email(r, "type"), "plain");
	ck_assert_str_eq(notify_request_email(r, "from"), NOTIFY_FROM_DEFAULT);
	ck_assert_str_eq(notify_request_var("details", r), "4 files");
	ck_assert_str_eq(notify_request_var("patient_name", r), "M?ller^Ann");
	/* not in vars: the top-level field */
	ck_assert_str_eq(notify_request_var("event", r), "completion");
	ck_assert_ptr_null(notify_request_var("nothing", r));
	ck_assert_ptr_null(strstr(text, "\"url\""));
	ck_assert_ptr_null(strstr(text, "\"ca\""));
	notify_request_destroy(r);
	free(text);

	/* webhook_certificate_location travels as webhook.ca */
	w.ca = "/etc/mercure/webhook-ca.pem";
	ck_assert_int_eq(notify_request_encode(&s, &text), MC_OK);
	ck_assert_int_eq(
	    notify_request_parse(text, strlen(text), &r, err, sizeof(err)),
	    MC_OK);
	ck_assert_str_eq(
	    notify_request_webhook(r, "ca"), "/etc/mercure/webhook-ca.pem");
	notify_request_destroy(r);
	free(text);

	/* no channel sections when the rule has none; no task */
	s.webhook = NULL;
	s.email = NULL;
	s.task_id = "";
	ck_assert_int_eq(notify_request_encode(&s, &text), MC_OK);
	ck_assert_int_eq(
	    notify_request_parse(text, strlen(text), &r, err, sizeof(err)),
	    MC_OK);
	ck_assert_ptr_null(notify_request_webhook(r, "payload"));
	ck_assert_ptr_null(notify_request_email(r, "to"));
	ck_assert_str_eq(notify_request_field(r, "task_id"), "");
	notify_request_destroy(r);
	notify_request_destroy(NULL);
	free(text);

	s.id = "../x";
	ck_assert_int_eq(notify_request_encode(&s, &text), MC_EINVAL);
	ck_assert_ptr_null(text);
}
END_TEST

static void
assert_request_refused(const char *text, mc_err want, const char *why)
{
	notify_request *r = (notify_request *) 1;
	char            err[256] = "";

	ck_assert_int_eq(
	    notify_request_parse(text, strlen(text), &r, err, sizeof(err)),
	    want);
	ck_assert_ptr_null(r);
	ck_assert_msg(strstr(err, why) != NULL, "'%s' lacks '%s'", err, why);
}

START_TEST(a_notification_request_refuses_wrong_types_and_bad_ids)
{
	assert_request_refused("{\"v\": 1, \"id\": ", MC_EPARSE, "request:1:");
	assert_request_refused("[]", MC_EPARSE, "not a JSON object");
	assert_request_refused(
	    "{\"id\": \"a\", \"id\": \"b\"}", MC_EPARSE, "duplicate");
	assert_request_refused(
	    "{\"event\": \"error\"}", MC_ECONFIG, "id is not a task id");
	assert_request_refused(
	    "{\"id\": \"../x\"}", MC_ECONFIG, "id is not a task id");
	assert_request_refused("{\"id\": \"a\", \"task_id\": \"a b\"}",
	    MC_ECONFIG, "task_id is not a task id");
	assert_request_refused(
	    "{\"id\": \"a\", \"rule\": 5}", MC_ECONFIG, "must be strings");
	assert_request_refused("{\"id\": \"a\", \"webhook\": null}",
	    MC_ECONFIG, "objects of strings");
	assert_request_refused("{\"id\": \"a\", \"email\": []}", MC_ECONFIG,
	    "objects of strings");
	assert_request_refused("{\"id\": \"a\", \"webhook\": {\"url\": 5}}",
	    MC_ECONFIG, "objects of strings");
	assert_request_refused("{\"id\": \"a\", \"vars\": {\"rule\": [1]}}",
	    MC_ECONFIG, "objects of strings");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("task_format");
	TCase *tj = tcase_create("task.json");
	TCase *rj = tcase_create("result.json");
	TCase *nj = tcase_create("notification request");

	tcase_add_test(tj, task_json_round_trips_from_configuration_to_worker);
	tcase_add_test(tj, the_coordinator_reads_back_and_rewrites_for_retry);
	tcase_add_test(tj, the_summary_takes_defaults_and_refuses_non_objects);
	tcase_add_test(
	    tj, task_ids_are_bounded_by_the_uuid_length_and_safe_characters);
	tcase_add_test(tj, task_json_refuses_more_targets_than_the_limit);
	tcase_add_test(
	    tj, task_json_refuses_oversized_and_mistyped_processing);
	tcase_add_test(tj, task_json_refuses_wrong_types_and_duplicate_keys);
	tcase_add_test(rj, result_json_round_trips_every_field);
	tcase_add_test(
	    rj, a_result_without_retryable_takes_it_from_its_targets);
	tcase_add_test(
	    rj, result_json_refuses_wrong_types_bad_ids_and_oversized_lists);
	tcase_add_test(rj, result_json_is_read_from_a_file_and_archived);
	tcase_add_test(nj, a_notification_request_round_trips);
	tcase_add_test(
	    nj, a_notification_request_refuses_wrong_types_and_bad_ids);
	suite_add_tcase(s, tj);
	suite_add_tcase(s, rj);
	suite_add_tcase(s, nj);
	return mc_check_run(s);
}
