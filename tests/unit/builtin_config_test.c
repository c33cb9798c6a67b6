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

/* the examples of docs/set_tags.md */
static const char set_tags_example[] =
    "targets:\n"
    "  research: {target_type: folder, folder: /srv/research}\n"
    "modules:\n"
    "  tag-for-research:\n"
    "    builtin: set_tags\n"
    "    settings:\n"
    "      set_tags:\n"
    "        - {tag: InstitutionName, set: \"Research PACS\"}\n"
    "rules:\n"
    "  external:\n"
    "    rule: '@Modality@ == \"CT\"'\n"
    "    action: route\n"
    "    target: research\n"
    "    set_tags:\n"
    "      - tag: AccessionNumber\n"
    "        set: \"EXT-{AccessionNumber}\"\n"
    "      - tag: \"0008,1010\"\n"
    "        set: CT7\n"
    "      - tag: PatientComments\n"
    "        remove: true\n"
    "      - tag: InstitutionName\n"
    "        copy_from: StationName\n"
    "      - tag: StudyDescription\n"
    "        regex: '^(.*)$'\n"
    "        replace: 'RESEARCH \\1'\n"
    "      - {tag: StationName, set: 104}\n"
    "  processed:\n"
    "    rule: 'True'\n"
    "    action: both\n"
    "    target: research\n"
    "    processing_module: tag-for-research\n";

START_TEST(the_set_tags_examples_load_and_are_kept_for_the_task)
{
	mc_config         *c = NULL;
	const config_rule *r;

	ck_assert_msg(load(set_tags_example, &c) == MC_OK, "%s", out);
	ck_assert_str_eq(out, "");
	r = config_find_rule(c, "external");
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(strstr(config_kv_get(&r->extra, "set_tags"),
	    "{\"tag\":\"AccessionNumber\",\"set\":\"EXT-{AccessionNumber}\"}"));
	config_destroy(c);
}
END_TEST

START_TEST(set_tags_on_a_rule_that_sends_nothing_is_a_warning)
{
	mc_config *c = NULL;

	ck_assert_int_eq(load("rules:\n  r:\n    action: discard\n"
	                      "    set_tags: [{tag: StationName, set: x}]\n",
	                     &c),
	    MC_OK);
	ck_assert_str_eq(out, "t.yaml:4:15: warning: rules.r.set_tags: no "
	                      "effect: action 'discard' sends nothing");
	config_destroy(c);
}
END_TEST

static const struct bad_case {
	const char *text;
	const char *want;
} bad_cases[] = {
    {"modules:\n  m:\n    builtin: cpy\n",
        "t.yaml:3:14: modules.m.builtin: unknown built-in module 'cpy' "
        "(expected copy, set_tags or deidentify)"},
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

/* set_tags, in a rule and in the module's settings: each mistake at the
 * node it is about */
static const struct bad_case set_tags_cases[] = {
    {"rules:\n  r:\n    rule: 'True'\n    set_tags:\n      - tag: Acce"
     "sionNumber\n        set: x\n",
        "t.yaml:5:14: rules.r.set_tags[0].tag: unknown keyword 'Acces"
        "ionNumber'"},
    {"rules:\n  r:\n    set_tags:\n      - {tag: \"0008,10g0\", set: CT"
     "7}\n",
        "t.yaml:4:15: rules.r.set_tags[0].tag: '0008,10g0' is not ggg"
        "g,eeee in hexadecimal"},
    {"rules:\n  r:\n    set_tags:\n      - {tag: StationName, set: \"1"
     "2345678901234567\"}\n",
        "t.yaml:4:33: rules.r.set_tags[0].set: '12345678901234567' (1"
        "7 bytes) is not a valid SH value for StationName: Maximum VR"
        " length violated"},
    {"rules:\n  r:\n    set_tags:\n      - {tag: StudyInstanceUID, se"
     "t: garbage}\n",
        "t.yaml:4:38: rules.r.set_tags[0].set: 'garbage' (7 bytes) is"
        " not a valid UI value for StudyInstanceUID: Value Representa"
        "tion violated"},
    {"rules:\n  r:\n    set_tags:\n      - {tag: StudyDescription, re"
     "gex: \"(a\", replace: x}\n",
        "t.yaml:4:40: rules.r.set_tags[0].regex: bad regular expressi"
        "on: Unmatched ( or \\("},
    {"rules:\n  r:\n    set_tags:\n      - {tag: StudyDescription, re"
     "gex: \"(a)\", replace: '\\2'}\n",
        "t.yaml:4:56: rules.r.set_tags[0].replace: \\2: the pattern ha"
        "s only 1 group(s)"},
    {"rules:\n  r:\n    set_tags:\n      - {tag: StationName, set: x,"
     " remove: true}\n",
        "t.yaml:4:9: rules.r.set_tags[0]: an operation has exactly on"
        "e of set, remove, copy_from or regex (with replace)"},
    {"rules:\n  r:\n    set_tags:\n      - {set: x}\n",
        "t.yaml:4:9: rules.r.set_tags[0]: missing field 'tag'"},
    {"rules:\n  r:\n    set_tags:\n      - {tag: StationName, set: 1."
     "50}\n",
        "t.yaml:4:33: rules.r.set_tags[0].set: write '1.50' in quotes"
        ": unquoted, YAML reads it as a number"},
    {"rules:\n  r:\n    set_tags:\n      - {tag: StationName, remove:"
     " false}\n",
        "t.yaml:4:36: rules.r.set_tags[0].remove: remove: false does "
        "nothing; leave the operation out"},
    {"rules:\n  r:\n    set_tags:\n      - {tag: StationName, replace"
     ": x}\n",
        "t.yaml:4:9: rules.r.set_tags[0]: an operation has exactly on"
        "e of set, remove, copy_from or regex (with replace)"},
    {"rules:\n  r:\n    set_tags: {tag: StationName, set: x}\n",
        "t.yaml:3:15: rules.r.set_tags: expected a list of operations"
        " (- tag: ..., set: ...)"},
    {"rules:\n  r:\n    set_tags:\n      - {tag: InstitutionName, cop"
     "y_from: StationNme}\n",
        "t.yaml:4:43: rules.r.set_tags[0].copy_from: unknown keyword "
        "'StationNme'"},
    {"rules:\n  r:\n    set_tags:\n      - {tag: PixelData, remove: t"
     "rue}\n",
        "t.yaml:4:15: rules.r.set_tags[0].tag: PixelData is pixel dat"
        "a, never changed"},
    {"modules:\n  m:\n    builtin: set_tags\n",
        "t.yaml:3:5: modules.m.settings: the set_tags module needs se"
        "ttings: set_tags: [...]"},
    {"modules:\n  m:\n    builtin: set_tags\n    settings:\n      set_"
     "tag: []\n",
        "t.yaml:5:7: modules.m.settings.set_tag: unknown field (did y"
        "ou mean 'set_tags'?)\nt.yaml:5:7: modules.m.settings: missing"
        " field 'set_tags'"},
    {"modules:\n  m:\n    builtin: set_tags\n    settings:\n      set_"
     "tags:\n        - tag: StationName\n          set: \"{StationNam"
     "e\"\n",
        "t.yaml:7:16: modules.m.settings.set_tags[0].set: '{' without"
        " '}' (write '{{' for a brace)"},
    {"rules:\n  r:\n    set_tags:\n      - {tag: StationName, sett: x"
     "}\n",
        "t.yaml:4:28: rules.r.set_tags[0].sett: unknown field (did yo"
        "u mean 'set'?)"},
    {"rules:\n  r:\n    set_tags:\n      - {tag: \"0009,1001\", set: x}"
     "\n",
        "t.yaml:4:15: rules.r.set_tags[0].tag: (0009,1001) is private"
        ": its VR is not known, it can only be removed"},
    {"rules:\n  r:\n    set_tags:\n      - {tag: StudyDescription, re"
     "gex: \"(a)\\\\1\", replace: x}\n",
        "t.yaml:4:40: rules.r.set_tags[0].regex: back references (\\1 "
        "in the pattern) are not allowed"},
};

START_TEST(each_bad_set_tags_gives_the_expected_message)
{
	check_error(set_tags_cases[_i].text, set_tags_cases[_i].want);
}
END_TEST

START_TEST(each_bad_builtin_gives_the_expected_message)
{
	check_error(bad_cases[_i].text, bad_cases[_i].want);
}
END_TEST

static Suite *
builtin_config_suite(void)
{
	Suite       *s = suite_create("builtin_config");
	const TTest *valid[] = {a_builtin_module_loads_and_keeps_its_name,
	    the_set_tags_examples_load_and_are_kept_for_the_task,
	    set_tags_on_a_rule_that_sends_nothing_is_a_warning, NULL};

	mc_check_tcase(s, "valid", valid);
	tcase_add_loop_test(
	    mc_check_tcase(s, "invalid", (const TTest *[]){NULL}),
	    each_bad_builtin_gives_the_expected_message, 0,
	    (int) (sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_loop_test(
	    mc_check_tcase(s, "set_tags", (const TTest *[]){NULL}),
	    each_bad_set_tags_gives_the_expected_message, 0,
	    (int) (sizeof(set_tags_cases) / sizeof(set_tags_cases[0])));
	return s;
}

int
main(void)
{
	return mc_check_run(builtin_config_suite());
}
