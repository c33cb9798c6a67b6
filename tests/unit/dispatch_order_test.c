/* dispatch_order_test.c - the order of the series of a study
 * (order_key_cmp, SeriesNumber as a number, the rule over the global
 * setting), their configuration with its errors at file:line:column, and
 * the gate as tasks_pick() meets it: task folders with order.json and
 * task.json on disk, an open series, a failed one, the bound, and a
 * target's max_concurrent_tasks. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "check_tmpdir.h"

#include "core/dispatch_order.h"
#include "core/tasks_int.h"
#include "os/sys_fs.h"

#define STUDY "1.2.3"
#define MAX_DIAGS 8

/* ---- the order -------------------------------------------------------- */

static order_key
key(const char *uid, bool has, long long num, int64_t first, const char *id)
{
	order_key k = {uid, has, num, first, id};
	return k;
}

START_TEST(series_number_goes_before_arrival)
{
	order_key a = key("1.2.3.2", true, 2, 100, "a");
	order_key b = key("1.2.3.1", true, 1, 200, "b");

	ck_assert_int_gt(order_key_cmp(CONFIG_ORDER_SERIES_NUMBER, &a, &b), 0);
	ck_assert_int_lt(order_key_cmp(CONFIG_ORDER_SERIES_NUMBER, &b, &a), 0);
	ck_assert_int_lt(order_key_cmp(CONFIG_ORDER_ARRIVAL, &a, &b), 0);
	ck_assert_int_gt(order_key_cmp(CONFIG_ORDER_ARRIVAL, &b, &a), 0);
}
END_TEST

START_TEST(a_series_without_number_goes_after_the_numbered_ones)
{
	order_key n = key("1.9", false, 0, 1, "n");
	order_key m = key("1.8", true, 99, 500, "m");

	ck_assert_int_gt(order_key_cmp(CONFIG_ORDER_SERIES_NUMBER, &n, &m), 0);
	ck_assert_int_lt(order_key_cmp(CONFIG_ORDER_ARRIVAL, &n, &m), 0);
}
END_TEST

START_TEST(equal_numbers_go_by_arrival_then_uid_then_task)
{
	order_key a = key("1.5", true, 3, 100, "a");
	order_key b = key("1.4", true, 3, 200, "b");
	order_key c = key("1.4", true, 3, 100, "c");
	order_key d = key("1.4", true, 3, 100, "d");

	ck_assert_int_lt(order_key_cmp(CONFIG_ORDER_SERIES_NUMBER, &a, &b), 0);
	ck_assert_int_lt(order_key_cmp(CONFIG_ORDER_SERIES_NUMBER, &c, &a), 0);
	ck_assert_int_lt(order_key_cmp(CONFIG_ORDER_SERIES_NUMBER, &c, &d), 0);
	ck_assert_int_eq(order_key_cmp(CONFIG_ORDER_SERIES_NUMBER, &c, &c), 0);
}
END_TEST

START_TEST(series_number_text_is_an_integer_string)
{
	long long n = 0;

	ck_assert(order_series_number("12", &n));
	ck_assert_int_eq(n, 12);
	ck_assert(order_series_number(" -3 ", &n));
	ck_assert_int_eq(n, -3);
	ck_assert(!order_series_number("", &n));
	ck_assert(!order_series_number("  ", &n));
	ck_assert(!order_series_number("4a", &n));
	ck_assert(!order_series_number("x", &n));
	ck_assert(!order_series_number(NULL, &n));
}
END_TEST

/* ---- the configuration ------------------------------------------------ */

static config_diag diags[MAX_DIAGS];
static size_t      n_diags;
static char        out[2048];

static mc_err
load(const char *text, mc_config **c)
{
	mc_err rv = config_load_buffer(
	    "t.yaml", text, strlen(text), c, diags, MAX_DIAGS, &n_diags);
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n_diags && used < sizeof(out); i++) {
		char line[512];
		int  w = snprintf(out + used, sizeof(out) - used, "%s%s",
                    i ? "\n" : "",
		     config_diag_format(&diags[i], line, sizeof(line)));
		used += w > 0 ? (size_t) w : 0;
	}
	return rv;
}

START_TEST(absent_settings_change_nothing)
{
	mc_config *c = NULL;

	ck_assert_int_eq(load("targets: {p: {target_type: dummy}}\n"
	                      "rules: {r: {rule: 'True', target: p}}\n",
	                     &c),
	    MC_OK);
	ck_assert_int_eq(c->study_dispatch_order, CONFIG_ORDER_NONE);
	ck_assert_uint_eq(c->study_dispatch_order_timeout_s, 3600);
	ck_assert_int_eq(
	    c->rules[0].study_dispatch_order, CONFIG_ORDER_INHERIT);
	ck_assert_uint_eq(c->targets[0].max_concurrent_tasks, 0);
	ck_assert_int_eq(order_mode(c, &c->rules[0]), CONFIG_ORDER_NONE);
	ck_assert_uint_eq(order_timeout_s(c, &c->rules[0]), 3600);
	config_destroy(c);
}
END_TEST

START_TEST(a_rule_overrides_the_global_setting)
{
	mc_config *c = NULL;

	ck_assert_int_eq(
	    load(
	        "study_dispatch_order: series_number\n"
	        "study_dispatch_order_timeout: 60\n"
	        "targets: {p: {target_type: dummy, max_concurrent_tasks: 2}}\n"
	        "rules:\n"
	        "  a: {rule: 'True', target: p}\n"
	        "  b: {rule: 'True', target: p, study_dispatch_order: "
	        "arrival, study_dispatch_order_timeout: 5}\n"
	        "  c: {rule: 'True', target: p, study_dispatch_order: none}\n",
	        &c),
	    MC_OK);
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(c->targets[0].max_concurrent_tasks, 2);
	ck_assert_int_eq(
	    order_mode(c, &c->rules[0]), CONFIG_ORDER_SERIES_NUMBER);
	ck_assert_uint_eq(order_timeout_s(c, &c->rules[0]), 60);
	ck_assert_int_eq(order_mode(c, &c->rules[1]), CONFIG_ORDER_ARRIVAL);
	ck_assert_uint_eq(order_timeout_s(c, &c->rules[1]), 5);
	ck_assert_int_eq(order_mode(c, &c->rules[2]), CONFIG_ORDER_NONE);
	ck_assert_int_eq(order_mode(c, NULL), CONFIG_ORDER_SERIES_NUMBER);
	config_destroy(c);
}
END_TEST

START_TEST(bad_values_are_errors_at_their_place)
{
	mc_config *c = NULL;

	ck_assert_int_eq(
	    load(
	        "study_dispatch_order: first\n"
	        "study_dispatch_order_timeout: -1\n"
	        "targets: {p: {target_type: dummy, max_concurrent_tasks: x}}\n"
	        "rules: {r: {rule: 'True', study_dispatch_order: inherit}}\n",
	        &c),
	    MC_ECONFIG);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(out, "t.yaml:1:23: study_dispatch_order: unknown "
	                          "study_dispatch_order 'first'") != NULL,
	    "%s", out);
	ck_assert_msg(
	    strstr(out, "t.yaml:2:31: study_dispatch_order_timeout: "
	                "must be at least 1 (seconds), got -1") != NULL,
	    "%s", out);
	ck_assert_msg(
	    strstr(out,
	        "t.yaml:3:57: targets.p.max_concurrent_tasks: expected an integer") !=
	        NULL,
	    "%s", out);
	ck_assert_msg(
	    strstr(out, "t.yaml:4:49: rules.r.study_dispatch_order: "
	                "unknown study_dispatch_order 'inherit'") != NULL,
	    "%s", out);
}
END_TEST

START_TEST(dispatch_mode_streams_only_series_level_route_rules)
{
	mc_config *c = NULL;

	ck_assert_int_eq(
	    load("targets: {p: {target_type: dummy}}\n"
	         "rules:\n"
	         "  plain: {rule: 'True', target: p}\n"
	         "  own: {rule: 'True', target: p, dispatch_mode: stream}\n",
	        &c),
	    MC_OK);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(c->dispatch_mode, CONFIG_DISPATCH_SERIES);
	ck_assert(!config_rule_streams(c, &c->rules[0]));
	ck_assert(config_rule_streams(c, &c->rules[1]));
	config_destroy(c);

	ck_assert_int_eq(
	    load("dispatch_mode: stream\n"
	         "modules: {m: {docker_tag: x/y}}\n"
	         "targets: {p: {target_type: dummy}}\n"
	         "rules:\n"
	         "  a: {rule: 'True', target: p}\n"
	         "  b: {rule: 'True', target: p, dispatch_mode: series}\n"
	         "  c: {rule: 'True', target: p, action_trigger: study}\n"
	         "  d: {rule: 'True', target: p, action: both, "
	         "processing_module: m}\n"
	         "  e: {rule: 'True', target: p, instance_filter: 'True'}\n"
	         "  f: {rule: 'True', target: p, set_tags: "
	         "[{tag: StationName, set: X}]}\n"
	         "  g: {rule: 'True', target: p, study_dispatch_order: "
	         "arrival}\n",
	        &c),
	    MC_OK);
	/* the top level's stream is silent where it cannot apply */
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(c->dispatch_mode, CONFIG_DISPATCH_STREAM);
	ck_assert(config_rule_streams(c, &c->rules[0]));
	for (size_t i = 1; i < 7; i++)
		ck_assert_msg(!config_rule_streams(c, &c->rules[i]), "rule %s",
		    c->rules[i].name);
	config_destroy(c);
}
END_TEST

START_TEST(a_rule_asking_for_stream_that_cannot_is_warned)
{
	mc_config *c = NULL;

	ck_assert_int_eq(load("targets: {p: {target_type: dummy}}\n"
	                      "rules:\n"
	                      "  f:\n"
	                      "    rule: 'True'\n"
	                      "    target: p\n"
	                      "    dispatch_mode: stream\n"
	                      "    instance_filter: 'True'\n",
	                     &c),
	    MC_OK);
	ck_assert_str_eq(out,
	    "t.yaml:4:5: warning: rules.f.dispatch_mode: stream has no effect "
	    "here, the rule dispatches in series mode: instance_filter is "
	    "applied to the whole series");
	ck_assert(!config_rule_streams(c, &c->rules[0]));
	config_destroy(c);
	ck_assert_int_eq(load("dispatch_mode: fast\n"
	                      "rules: {r: {rule: 'True', dispatch_mode: 1}}\n",
	                     &c),
	    MC_ECONFIG);
	ck_assert_msg(strstr(out, "t.yaml:1:16: dispatch_mode: unknown "
	                          "dispatch_mode 'fast'") != NULL,
	    "%s", out);
	ck_assert_msg(
	    strstr(out, "t.yaml:2:42: rules.r.dispatch_mode: unknown "
	                "dispatch_mode '1'") != NULL,
	    "%s", out);
}
END_TEST

/* ---- the gate --------------------------------------------------------- */

typedef struct fake_sched {
	sched base;
} fake_sched;

static bool
fake_has_capacity(const sched *s, sched_kind kind)
{
	(void) s;
	(void) kind;
	return true;
}

static mc_err
fake_submit(sched *s, const char *task_id, sched_kind kind, const char *dir)
{
	(void) s;
	(void) task_id;
	(void) kind;
	(void) dir;
	return MC_OK;
}

static unsigned
fake_running(const sched *s)
{
	(void) s;
	return 0;
}

static void
fake_stop(sched *s)
{
	(void) s;
}

static const sched_ops fake_ops = {
    .size = sizeof(fake_sched),
    .has_capacity = fake_has_capacity,
    .submit = fake_submit,
    .running = fake_running,
    .stop = fake_stop,
};

static coord     *c;
static fake_sched fake;

static void
setup(void)
{
	char yaml[1024];

	mc_check_tmpdir_setup();
	snprintf(yaml, sizeof(yaml),
	    "storage_root: %s\n"
	    "study_dispatch_order: series_number\n"
	    "study_dispatch_order_timeout: 60\n"
	    "targets:\n"
	    "  pacs: {target_type: dummy}\n"
	    "  one: {target_type: dummy, max_concurrent_tasks: 1}\n"
	    "rules:\n"
	    "  r: {rule: \"tags.Modality == 'CT'\", target: pacs}\n"
	    "  l: {rule: \"tags.Modality == 'MR'\", target: one, "
	    "study_dispatch_order: none}\n",
	    mc_check_tmpdir);
	memset(&fake, 0, sizeof(fake));
	fake.base.ops = &fake_ops;
	fake.base.name = "fake";
	ck_assert_ptr_nonnull(c = calloc(1, sizeof(*c)));
	ck_assert_int_eq(load(yaml, &c->cfg), MC_OK);
	c->sched = &fake.base;
	snprintf(c->root, sizeof(c->root), "%s", mc_check_tmpdir);
	ck_assert_int_eq(series_table_create(&c->series), MC_OK);
}

static void
teardown(void)
{
	task_entry *t, *tmp;

	HASH_ITER(hh, c->tasks, t, tmp)
	{
		HASH_DEL(c->tasks, t);
		free(t);
	}
	dispatch_gate_free(c);
	series_table_destroy(c->series);
	config_destroy(c->cfg);
	free(c);
	mc_check_tmpdir_teardown();
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[MC_PATH_MAX];

	ck_assert_int_eq(sys_mkdir_p(dir), MC_OK);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_int_eq(sys_write_file_sync(path, text, strlen(text)), MC_OK);
}

/* add_task - a queued dispatch task in <state_dir>/<id> (tasks, error)
 * of STUDY's series number num that first arrived at first_us and was
 * made at created_us; in the queue when state_dir is tasks */
static task_entry *
add_task(const char *state_dir, const char *id, const char *rname, int num,
    int64_t first_us, int64_t created_us, const char *target)
{
	char        dir[MC_PATH_MAX], text[512];
	task_entry *t;

	ck_assert_int_eq(
	    coord_path(c, dir, sizeof(dir), state_dir, id, NULL), MC_OK);
	snprintf(text, sizeof(text),
	    "{\"study\":\"" STUDY "\",\"series\":\"" STUDY ".%d\","
	    "\"series_number\":\"%d\",\"first_us\":%lld,"
	    "\"created_us\":%lld}",
	    num, num, (long long) first_us, (long long) created_us);
	write_file(dir, DISPATCH_ORDER_FILE, text);
	snprintf(text, sizeof(text),
	    "{\"dispatch\":{\"target_name\":[\"%s\"],\"status\":{}}}", target);
	write_file(dir, TASK_JSON_NAME, text);
	if (strcmp(state_dir, DIR_TASKS) != 0)
		return NULL;
	ck_assert_ptr_nonnull(t = calloc(1, sizeof(*t)));
	snprintf(t->id, sizeof(t->id), "%s", id);
	snprintf(t->meta.kind, sizeof(t->meta.kind), "dispatch");
	snprintf(t->meta.rule, sizeof(t->meta.rule), "%s", rname);
	t->meta.attempt = 1;
	t->state = TASK_QUEUED;
	t->enqueued_ms = first_us; /* any order: the gate decides */
	HASH_ADD_STR(c->tasks, id, t);
	return t;
}

static const char *
pick(void)
{
	task_entry *t = tasks_pick(c, 1000000, false);
	return t ? t->id : "";
}

/* finish - t ends in dest, as tasks.c's move_task() forgets it */
static void
finish(task_entry *t, const char *dest)
{
	dispatch_gate_leave(c, t, dest);
	HASH_DEL(c->tasks, t);
	free(t);
}

START_TEST(the_lower_series_number_goes_first_and_alone)
{
	int64_t     now = sys_now_us();
	task_entry *two = add_task(DIR_TASKS, "two", "r", 2, 100, now, "pacs");
	task_entry *one = add_task(DIR_TASKS, "one", "r", 1, 200, now, "pacs");

	ck_assert_str_eq(pick(), "one");
	one->state = TASK_RUNNING;
	ck_assert_str_eq(pick(), ""); /* two waits for one to be delivered */
	one->state = TASK_QUEUED;     /* a retry waits: so does two */
	one->not_before_ms = 2000000;
	ck_assert_str_eq(pick(), "");
	finish(one, DIR_SUCCESS);
	ck_assert_str_eq(pick(), "two");
	(void) two;
}
END_TEST

START_TEST(an_open_earlier_series_holds_a_later_task)
{
	mc_instance in;
	series     *s;
	bool        added;
	int64_t     now = sys_now_us();

	add_task(DIR_TASKS, "two", "r", 2, 100, now, "pacs");
	mc_instance_init(&in);
	snprintf(in.study_uid, sizeof(in.study_uid), STUDY);
	snprintf(in.series_uid, sizeof(in.series_uid), STUDY ".1");
	snprintf(in.sop_uid, sizeof(in.sop_uid), STUDY ".1.1");
	snprintf(in.path, sizeof(in.path), "incoming/" STUDY ".1/x.dcm");
	in.recv_time_us = 300; /* arrived after two's series began */
	ck_assert_int_eq(mc_tagset_create(&in.tags), MC_OK);
	ck_assert_int_eq(mc_tagset_set(in.tags, "Modality", "CT"), MC_OK);
	ck_assert_int_eq(mc_tagset_set(in.tags, "SeriesNumber", "1"), MC_OK);
	ck_assert_int_eq(
	    series_table_add(c->series, &in, 1, &s, &added), MC_OK);
	mc_instance_fini(&in);
	ck_assert_str_eq(pick(), "");
	/* an MR series goes to another target: it holds nothing here */
	ck_assert_int_eq(mc_tagset_set(s->tags, "Modality", "MR"), MC_OK);
	ck_assert_str_eq(pick(), "two");
}
END_TEST

START_TEST(a_failed_series_holds_the_later_ones_until_their_bound)
{
	int64_t     now = sys_now_us();
	task_entry *one = add_task(DIR_TASKS, "one", "r", 1, 100, now, "pacs");
	task_entry *two = add_task(DIR_TASKS, "two", "r", 2, 200, now, "pacs");

	ck_assert_str_eq(pick(), "one");
	finish(one, DIR_ERROR);
	ck_assert_str_eq(pick(), "");
	/* past the bound (60 s after the task was made) it goes */
	finish(two, DIR_SUCCESS);
	add_task(DIR_TASKS, "late", "r", 2, 200, now - 61000000, "pacs");
	ck_assert_str_eq(pick(), "late");
}
END_TEST

START_TEST(a_failed_series_found_in_error_after_a_restart_holds_too)
{
	int64_t now = sys_now_us();

	add_task(DIR_ERROR, "one", "r", 1, 100, now, "pacs");
	add_task(DIR_TASKS, "two", "r", 2, 200, now, "pacs");
	ck_assert_str_eq(pick(), "");
}
END_TEST

START_TEST(past_its_bound_a_task_still_waits_for_a_running_one)
{
	int64_t     now = sys_now_us();
	task_entry *one = add_task(DIR_TASKS, "one", "r", 1, 100, now, "pacs");

	add_task(DIR_TASKS, "two", "r", 2, 200, now - 61000000, "pacs");
	one->state = TASK_RUNNING;
	ck_assert_str_eq(pick(), "");
	one->state = TASK_QUEUED;
	one->not_before_ms = 2000000; /* waiting for a retry: passed */
	ck_assert_str_eq(pick(), "two");
}
END_TEST

START_TEST(other_studies_and_targets_do_not_wait)
{
	int64_t     now = sys_now_us();
	task_entry *one = add_task(DIR_TASKS, "one", "r", 1, 100, now, "pacs");

	add_task(DIR_TASKS, "two", "r", 2, 200, now, "elsewhere");
	one->state = TASK_RUNNING;
	ck_assert_str_eq(pick(), "two");
}
END_TEST

START_TEST(max_concurrent_tasks_holds_the_rest_queued)
{
	int64_t     now = sys_now_us();
	task_entry *a = add_task(DIR_TASKS, "a", "l", 1, 100, now, "one");
	task_entry *b = add_task(DIR_TASKS, "b", "l", 2, 200, now, "one");

	ck_assert_str_eq(pick(), "a");
	a->state = TASK_RUNNING;
	ck_assert_str_eq(pick(), "");
	ck_assert_int_eq(b->state, TASK_QUEUED);
	finish(a, DIR_SUCCESS);
	ck_assert_str_eq(pick(), "b");
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("dispatch_order");
	const TTest *order[] = {series_number_goes_before_arrival,
	    a_series_without_number_goes_after_the_numbered_ones,
	    equal_numbers_go_by_arrival_then_uid_then_task,
	    series_number_text_is_an_integer_string, NULL};
	const TTest *config[] = {absent_settings_change_nothing,
	    a_rule_overrides_the_global_setting,
	    bad_values_are_errors_at_their_place,
	    dispatch_mode_streams_only_series_level_route_rules,
	    a_rule_asking_for_stream_that_cannot_is_warned, NULL};
	const TTest *gate[] = {the_lower_series_number_goes_first_and_alone,
	    an_open_earlier_series_holds_a_later_task,
	    a_failed_series_holds_the_later_ones_until_their_bound,
	    a_failed_series_found_in_error_after_a_restart_holds_too,
	    past_its_bound_a_task_still_waits_for_a_running_one,
	    other_studies_and_targets_do_not_wait,
	    max_concurrent_tasks_holds_the_rest_queued, NULL};

	mc_check_tcase(s, "order", order);
	mc_check_tcase(s, "config", config);
	mc_check_fixture_tcase(s, "gate", gate, setup, teardown);
	return mc_check_run(s);
}
