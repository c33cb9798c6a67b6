/* builtin_config_test.c - a module's `builtin:` as the configuration
 * checks it (config/builtin_modules.def, config_builtin.c): a known name,
 * alone (no docker_tag, no command), each error at its line and column. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"

#include "config/config.h"

#define MAX_DIAGS 32
#define OUT_LEN 8192

static config_diag diags[MAX_DIAGS];
static size_t      n_diags;
static char        out[OUT_LEN];

/* load - loads text as "t.yaml"; out gets every diagnostic, one a line. */
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

/* check_error - text fails with exactly want (all diagnostics). */
static void
check_error(const char *text, const char *want)
{
	mc_config *c = (mc_config *) 1;

	ck_assert_int_eq(load(text, &c), MC_ECONFIG);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(out, want);
}

/* check_ok - text loads without any finding. */
static void
check_ok(const char *text)
{
	mc_config *c = NULL;

	ck_assert_msg(load(text, &c) == MC_OK, "%s", out);
	ck_assert_str_eq(out, "");
	config_destroy(c);
}

START_TEST(a_builtin_module_loads_and_keeps_its_name)
{
	mc_config           *c = NULL;
	const config_module *m;

	ck_assert_int_eq(
	    load("modules:\n  pass:\n    builtin: copy\n", &c), MC_OK);
	ck_assert_str_eq(out, "");
	m = config_find_module(c, "pass");
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(config_kv_get(&m->fields, "builtin"), "copy");
	config_destroy(c);
	check_ok("modules:\n  pass: {builtin: copy, settings: {a: 1}}\n");
}
END_TEST

static const struct bad_case {
	const char *text;
	const char *want;
} bad_cases[] = {
    {"modules:\n  m:\n    builtin: cpy\n",
        "t.yaml:3:14: modules.m.builtin: unknown built-in module 'cpy' "
        "(expected copy or set_tags)"},
    {"modules:\n  m:\n    builtin: copy\n    docker_tag: x/y\n",
        "t.yaml:4:17: modules.m.docker_tag: a module is either 'builtin' "
        "or 'docker_tag', not both"},
    {"modules:\n  m: {builtin: copy, command: [/bin/true]}\n",
        "t.yaml:2:22: warning: modules.m.command: unknown field, kept (did "
        "you mean 'comment'?)\n"
        "t.yaml:2:31: modules.m.command: a module is either 'builtin' or "
        "'command', not both"},
    {"modules:\n  m:\n    builtin:\n",
        "t.yaml:3:13: modules.m.builtin: must name a built-in module"},
    {"modules:\n  m:\n    builtin: [copy]\n",
        "t.yaml:3:14: modules.m.builtin: expected a string, got a list"},
};

START_TEST(each_bad_builtin_gives_the_expected_message)
{
	check_error(bad_cases[_i].text, bad_cases[_i].want);
}
END_TEST

static Suite *
builtin_config_suite(void)
{
	Suite       *s = suite_create("builtin_config");
	const TTest *valid[] = {
	    a_builtin_module_loads_and_keeps_its_name, NULL};

	mc_check_tcase(s, "valid", valid);
	tcase_add_loop_test(
	    mc_check_tcase(s, "invalid", (const TTest *[]){NULL}),
	    each_bad_builtin_gives_the_expected_message, 0,
	    (int) (sizeof(bad_cases) / sizeof(bad_cases[0])));
	return s;
}

int
main(void)
{
	return mc_check_run(builtin_config_suite());
}
