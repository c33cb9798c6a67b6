/* registry_test.c - the two tables that extend the program by one row:
 * the target types (config/target_types.def, as the worker and the
 * configuration read it) and the rule language's functions and methods
 * (rule_builtin.h). Each row must be whole, each name unique, and what
 * is derived from the rows (lookups, the list of names, the arity check,
 * the configuration's type check) must agree with them. The built-in
 * processing modules (config/builtin_modules.def, the worker's
 * builtin_registry.c) likewise. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"

#include "config/config.h"
#include "process/builtin/builtin.h"
#include "rule/rule.h"
#include "rule/rule_builtin.h"
#include "targets/target.h"

#define REGISTRY_TEXT_MAX 512
#define REGISTRY_DIAGS 16

/* ---- target types ---------------------------------------------------- */

START_TEST(every_target_type_has_a_name_and_a_send)
{
	ck_assert_uint_gt(target_type_count(), 0);
	for (size_t i = 0; i < target_type_count(); i++) {
		const target_type *t = target_type_at(i);
		ck_assert_ptr_nonnull(t);
		ck_assert_ptr_nonnull(t->name);
		ck_assert_uint_gt(strlen(t->name), 0);
		ck_assert_ptr_nonnull(t->ops);
		ck_assert_msg(t->ops->send != NULL, "%s has no send", t->name);
	}
	ck_assert_ptr_null(target_type_at(target_type_count()));
}
END_TEST

START_TEST(target_type_names_are_unique_and_each_finds_its_row)
{
	for (size_t i = 0; i < target_type_count(); i++) {
		const target_type *t = target_type_at(i);
		for (size_t j = i + 1; j < target_type_count(); j++)
			ck_assert_str_ne(t->name, target_type_at(j)->name);
		ck_assert_ptr_eq(target_type_find(t->name), t);
	}
}
END_TEST

START_TEST(the_list_of_known_types_names_every_row_in_order)
{
	char   want[REGISTRY_TEXT_MAX] = "";
	size_t used = 0;

	for (size_t i = 0; i < target_type_count(); i++) {
		int w = snprintf(want + used, sizeof(want) - used, "%s%s",
		    i > 0 ? ", " : "", target_type_at(i)->name);
		ck_assert_int_gt(w, 0);
		used += (size_t) w;
		ck_assert_uint_lt(used, sizeof(want));
	}
	ck_assert_str_eq(target_type_names(), want);
}
END_TEST

/* config_accepts_type - a target of type name loads without "unknown
 * target_type" (it may lack required fields) */
static void
config_accepts_type(const char *name)
{
	char        text[REGISTRY_TEXT_MAX], line[REGISTRY_TEXT_MAX];
	config_diag d[REGISTRY_DIAGS];
	size_t      n = 0;
	mc_config  *cfg = NULL;
	mc_err      rv;

	snprintf(
	    text, sizeof(text), "targets:\n  t: {target_type: %s}\n", name);
	rv = config_load_buffer(
	    "t.yaml", text, strlen(text), &cfg, d, REGISTRY_DIAGS, &n);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(
		    strstr(d[i].d.msg, "unknown target_type") == NULL, "%s",
		    config_diag_format(&d[i], line, sizeof(line)));
	ck_assert(rv == MC_OK || rv == MC_ECONFIG);
	config_destroy(cfg);
}

START_TEST(the_configuration_knows_every_type_the_worker_sends_to)
{
	for (size_t i = 0; i < target_type_count(); i++) {
		const char *name = target_type_at(i)->name;
		ck_assert_msg(config_target_type_is_known(name), "%s", name);
		config_accepts_type(name);
	}
	ck_assert(!config_target_type_is_known("ftp"));
	ck_assert(!config_target_type_is_known(NULL));
}
END_TEST

/* ---- rule builtins ---------------------------------------------------- */

typedef struct builtin_table {
	const char         *what;
	const rule_builtin *rows;
	size_t              n;
	const rule_builtin *(*list)(size_t *n);
} builtin_table;

static builtin_table
table(int methods)
{
	builtin_table t = {methods ? "method" : "function", NULL, 0,
	    methods ? rule_methods : rule_functions};

	t.rows = t.list(&t.n);
	return t;
}

START_TEST(every_builtin_has_a_name_a_function_and_min_le_max)
{
	builtin_table t = table(_i);

	ck_assert_uint_gt(t.n, 0);
	for (size_t i = 0; i < t.n; i++) {
		const rule_builtin *b = &t.rows[i];
		ck_assert_ptr_nonnull(b->name);
		ck_assert_uint_gt(strlen(b->name), 0);
		ck_assert_msg(
		    b->fn != NULL, "%s %s has no fn", t.what, b->name);
		ck_assert_msg(b->min_args <= b->max_args, "%s %s: min > max",
		    t.what, b->name);
	}
}
END_TEST

START_TEST(builtin_names_are_unique_and_each_finds_its_row)
{
	builtin_table t = table(_i);

	for (size_t i = 0; i < t.n; i++) {
		const char *name = t.rows[i].name;
		for (size_t j = i + 1; j < t.n; j++)
			ck_assert_str_ne(name, t.rows[j].name);
		ck_assert_ptr_eq(
		    rule_builtin_find(t.list, name, strlen(name)), &t.rows[i]);
	}
	ck_assert_ptr_null(rule_builtin_find(t.list, "nosuch", 6));
}
END_TEST

/* keyword_only - the name of b's slot i when it is keyword-only ("*name"
 * in its params), into buf; false otherwise */
static bool
keyword_only(const rule_builtin *b, size_t i, char *buf, size_t len)
{
	const char *p = b->params;

	for (size_t k = 0; p != NULL && *p != '\0'; k++) {
		size_t n = strcspn(p, " ");
		if (k == i && p[0] == '*') {
			snprintf(buf, len, "%.*s=", (int) n - 1, p + 1);
			return true;
		}
		p += n + (p[n] == ' ');
	}
	return false;
}

/* call_text - "name('a', ...)" or "'s'.name('a', ...)" with nargs
 * arguments, keyword-only ones last as name='a' */
static void
call_text(const char *what, const rule_builtin *b, size_t nargs, char *buf,
    size_t len)
{
	size_t used = (size_t) snprintf(buf, len, "%s%s(",
	    strcmp(what, "method") == 0 ? "'s'." : "", b->name);
	size_t done = 0;
	char   kw[64];

	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < nargs && used < len; i++) {
			bool k = keyword_only(b, i, kw, sizeof(kw));
			if (k != (pass == 1))
				continue;
			used += (size_t) snprintf(buf + used, len - used,
			    "%s%s'a'", done++ > 0 ? ", " : "", k ? kw : "");
		}
	ck_assert_uint_lt(used + 1, len);
	snprintf(buf + used, len - used, ")");
}

static mc_err
compile_call(
    const builtin_table *t, const rule_builtin *b, size_t nargs, mc_diag *d)
{
	char   text[REGISTRY_TEXT_MAX];
	rule  *r = NULL;
	mc_err rv;

	call_text(t->what, b, nargs, text, sizeof(text));
	memset(d, 0, sizeof(*d));
	rv = rule_compile(text, strlen(text), &r, d);
	rule_free(r);
	return rv;
}

START_TEST(the_compiler_checks_arity_from_the_row)
{
	builtin_table t = table(_i);
	mc_diag       d;

	for (size_t i = 0; i < t.n; i++) {
		const rule_builtin *b = &t.rows[i];
		size_t most = b->max_args == RULE_ANY_ARGS ? b->min_args + 3
		                                           : b->max_args;
		ck_assert_int_eq(compile_call(&t, b, b->min_args, &d), MC_OK);
		ck_assert_int_eq(compile_call(&t, b, most, &d), MC_OK);
		if (b->min_args > 0) {
			ck_assert_int_eq(
			    compile_call(&t, b, b->min_args - 1, &d),
			    MC_ESYNTAX);
			ck_assert_ptr_nonnull(
			    strstr(d.msg, "wrong number of arguments"));
		}
		if (b->max_args != RULE_ANY_ARGS) {
			ck_assert_int_eq(
			    compile_call(&t, b, most + 1, &d), MC_ESYNTAX);
			ck_assert_ptr_nonnull(
			    strstr(d.msg, "wrong number of arguments"));
		}
	}
}
END_TEST

/* ---- built-in modules -------------------------------------------------- */

static const char *const builtin_rows[] = {
#define BUILTIN_MODULE(name, check) #name,
#include "config/builtin_modules.def"
#undef BUILTIN_MODULE
};
#define BUILTIN_ROWS_N (sizeof(builtin_rows) / sizeof(builtin_rows[0]))

START_TEST(every_builtin_module_row_has_ops_named_for_it)
{
	for (size_t i = 0; i < BUILTIN_ROWS_N; i++) {
		const builtin_ops *b = builtin_find(builtin_rows[i]);
		ck_assert_msg(b != NULL, "%s has no ops", builtin_rows[i]);
		ck_assert_str_eq(b->name, builtin_rows[i]);
		ck_assert_msg(b->run != NULL, "%s has no run", b->name);
		ck_assert(config_builtin_is_known(builtin_rows[i]));
		for (size_t j = i + 1; j < BUILTIN_ROWS_N; j++)
			ck_assert_str_ne(builtin_rows[i], builtin_rows[j]);
	}
	ck_assert_ptr_null(builtin_find("nosuch"));
	ck_assert_ptr_null(builtin_find(NULL));
	ck_assert(!config_builtin_is_known("nosuch"));
	ck_assert(!config_builtin_is_known(NULL));
}
END_TEST

static Suite *
registry_suite(void)
{
	Suite *s = suite_create("registry");
	TCase *tc = tcase_create("target types");

	tcase_add_test(tc, every_target_type_has_a_name_and_a_send);
	tcase_add_test(
	    tc, target_type_names_are_unique_and_each_finds_its_row);
	tcase_add_test(tc, the_list_of_known_types_names_every_row_in_order);
	tcase_add_test(
	    tc, the_configuration_knows_every_type_the_worker_sends_to);
	suite_add_tcase(s, tc);

	/* loop 0: the functions, 1: the methods */
	tc = tcase_create("rule builtins");
	tcase_add_loop_test(
	    tc, every_builtin_has_a_name_a_function_and_min_le_max, 0, 2);
	tcase_add_loop_test(
	    tc, builtin_names_are_unique_and_each_finds_its_row, 0, 2);
	tcase_add_loop_test(tc, the_compiler_checks_arity_from_the_row, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("builtin modules");
	tcase_add_test(tc, every_builtin_module_row_has_ops_named_for_it);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return mc_check_run(registry_suite());
}
