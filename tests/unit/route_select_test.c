/* route_select_test.c - which rules a series triggers (docs/rules.md,
 * docs/coordinator.md): file order, disabled rules never, a triggered
 * discard rule wins over everything, fallback rules only when no other
 * rule triggered, a rule that fails at run time is false, and at most
 * ROUTE_SELECT_MAX_RULES are kept. The rules are built here rather than
 * loaded, so that each case holds exactly the rules it names. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "check_main.h"

#include "core/route_select.h"

#define TEST_RULES_MAX (ROUTE_SELECT_MAX_RULES + 44)
#define TEST_RULE_NAME_LEN 16

/* flags for add_rule() */
enum { RULE_PLAIN = 0, RULE_FALLBACK = 1, RULE_DISABLED = 2 };

static config_rule rules[TEST_RULES_MAX];
static char        names[TEST_RULES_MAX][TEST_RULE_NAME_LEN];
static mc_config   cfg;
static mc_tagset  *mr; /* an MR CINE series' first instance */

static void
setup(void)
{
	memset(rules, 0, sizeof(rules));
	memset(&cfg, 0, sizeof(cfg));
	cfg.rules = rules;
	ck_assert_int_eq(mc_tagset_create(&mr), MC_OK);
	ck_assert_int_eq(mc_tagset_set(mr, "Modality", "MR"), MC_OK);
	ck_assert_int_eq(
	    mc_tagset_set(mr, "SeriesDescription", "T1 CINE"), MC_OK);
}

static void
teardown(void)
{
	for (size_t i = 0; i < cfg.n_rules; i++)
		rule_free(rules[i].compiled);
	mc_tagset_destroy(mr);
}

/* add_rule - the next rule in file order; text NULL leaves it without a
 * compiled expression (a rule the loader could not compile). */
static const config_rule *
add_rule(const char *text, config_action action, int flags)
{
	config_rule *r = &rules[cfg.n_rules];
	mc_diag      d;

	ck_assert_uint_lt(cfg.n_rules, TEST_RULES_MAX);
	snprintf(names[cfg.n_rules], sizeof(names[0]), "r%zu", cfg.n_rules);
	r->name = names[cfg.n_rules];
	r->text = text;
	r->action = action;
	r->fallback = (flags & RULE_FALLBACK) != 0;
	r->disabled = (flags & RULE_DISABLED) != 0;
	if (text != NULL)
		ck_assert_int_eq(
		    rule_compile(text, strlen(text), &r->compiled, &d), MC_OK);
	cfg.n_rules++;
	return r;
}

static route_selection
select_for(const mc_tagset *tags)
{
	route_selection sel;

	route_select(&cfg, tags, &sel);
	return sel;
}

START_TEST(no_rules_trigger_nothing_and_discard_nothing)
{
	route_selection sel = select_for(mr);

	ck_assert_uint_eq(sel.n, 0);
	ck_assert_ptr_null(sel.discard_rule);
	ck_assert(!sel.fallback);
}
END_TEST

START_TEST(triggered_rules_come_in_file_order_and_the_rest_are_left_out)
{
	const config_rule *a = add_rule("True", CONFIG_ACTION_ROUTE, 0);
	const config_rule *c, *d;
	route_selection    sel;

	add_rule("tags.Modality == 'CT'", CONFIG_ACTION_ROUTE, 0);
	c = add_rule(
	    "'CINE' in tags.SeriesDescription", CONFIG_ACTION_PROCESS, 0);
	add_rule("tags.Missing == 'x'", CONFIG_ACTION_ROUTE, 0);
	d = add_rule("tags.Modality == 'MR'", CONFIG_ACTION_NOTIFICATION, 0);
	sel = select_for(mr);
	ck_assert_uint_eq(sel.n, 3);
	ck_assert_ptr_eq(sel.triggered[0], a);
	ck_assert_ptr_eq(sel.triggered[1], c);
	ck_assert_ptr_eq(sel.triggered[2], d);
	ck_assert_ptr_null(sel.discard_rule);
	ck_assert(!sel.fallback);
}
END_TEST

START_TEST(the_same_rules_select_by_the_tags_they_are_given)
{
	const config_rule *ct =
	    add_rule("tags.Modality == 'CT'", CONFIG_ACTION_ROUTE, 0);
	mc_tagset      *tags;
	route_selection sel;

	add_rule("tags.Modality == 'MR'", CONFIG_ACTION_ROUTE, 0);
	ck_assert_int_eq(mc_tagset_create(&tags), MC_OK);
	ck_assert_int_eq(mc_tagset_set(tags, "Modality", "CT"), MC_OK);
	sel = select_for(tags);
	ck_assert_uint_eq(sel.n, 1);
	ck_assert_ptr_eq(sel.triggered[0], ct);
	sel = select_for(mr);
	ck_assert_uint_eq(sel.n, 1);
	ck_assert_ptr_eq(sel.triggered[0], &rules[1]);
	mc_tagset_destroy(tags);
}
END_TEST

START_TEST(priority_does_not_change_the_order_of_selection)
{
	route_selection sel;

	add_rule("True", CONFIG_ACTION_ROUTE, 0);
	add_rule("True", CONFIG_ACTION_ROUTE, 0);
	add_rule("True", CONFIG_ACTION_ROUTE, 0);
	rules[0].priority = CONFIG_PRIORITY_OFFPEAK;
	rules[1].priority = CONFIG_PRIORITY_NORMAL;
	rules[2].priority = CONFIG_PRIORITY_URGENT;
	sel = select_for(mr);
	ck_assert_uint_eq(sel.n, 3);
	for (size_t i = 0; i < 3; i++)
		ck_assert_ptr_eq(sel.triggered[i], &rules[i]);
}
END_TEST

START_TEST(a_disabled_rule_never_triggers_not_even_a_discard_rule)
{
	const config_rule *b;
	route_selection    sel;

	add_rule("True", CONFIG_ACTION_ROUTE, RULE_DISABLED);
	add_rule("True", CONFIG_ACTION_DISCARD, RULE_DISABLED);
	b = add_rule("True", CONFIG_ACTION_ROUTE, 0);
	add_rule("True", CONFIG_ACTION_ROUTE, RULE_FALLBACK | RULE_DISABLED);
	sel = select_for(mr);
	ck_assert_uint_eq(sel.n, 1);
	ck_assert_ptr_eq(sel.triggered[0], b);
	ck_assert_ptr_null(sel.discard_rule);
}
END_TEST

START_TEST(a_triggered_discard_rule_wins_over_rules_before_and_after_it)
{
	const config_rule *x;
	route_selection    sel;

	add_rule("True", CONFIG_ACTION_ROUTE, 0);
	add_rule("True", CONFIG_ACTION_BOTH, 0);
	x = add_rule("tags.Modality == 'MR'", CONFIG_ACTION_DISCARD, 0);
	add_rule("True", CONFIG_ACTION_DISCARD, 0); /* never reached */
	add_rule("True", CONFIG_ACTION_ROUTE, 0);
	add_rule("True", CONFIG_ACTION_ROUTE, RULE_FALLBACK);
	sel = select_for(mr);
	ck_assert_ptr_eq(sel.discard_rule, x);
	ck_assert_uint_eq(sel.n, 0);
	ck_assert(!sel.fallback);
}
END_TEST

START_TEST(a_discard_rule_that_does_not_trigger_changes_nothing)
{
	route_selection sel;

	add_rule("True", CONFIG_ACTION_ROUTE, 0);
	add_rule("tags.Modality == 'CT'", CONFIG_ACTION_DISCARD, 0);
	add_rule("tags.Missing == 'MR'", CONFIG_ACTION_DISCARD, 0);
	add_rule("True", CONFIG_ACTION_ROUTE, 0);
	sel = select_for(mr);
	ck_assert_ptr_null(sel.discard_rule);
	ck_assert_uint_eq(sel.n, 2);
	ck_assert_ptr_eq(sel.triggered[0], &rules[0]);
	ck_assert_ptr_eq(sel.triggered[1], &rules[3]);
}
END_TEST

START_TEST(fallback_rules_stay_out_while_another_rule_triggers)
{
	const config_rule *a;
	route_selection    sel;

	add_rule("True", CONFIG_ACTION_ROUTE, RULE_FALLBACK);
	a = add_rule("tags.Modality == 'MR'", CONFIG_ACTION_ROUTE, 0);
	add_rule("True", CONFIG_ACTION_DISCARD, RULE_FALLBACK);
	sel = select_for(mr);
	ck_assert_uint_eq(sel.n, 1);
	ck_assert_ptr_eq(sel.triggered[0], a);
	ck_assert_ptr_null(sel.discard_rule);
	ck_assert(!sel.fallback);
}
END_TEST

START_TEST(every_triggered_fallback_rule_is_taken_when_nothing_else_is)
{
	route_selection sel;

	add_rule("True", CONFIG_ACTION_ROUTE, RULE_FALLBACK);
	add_rule("tags.Modality == 'CT'", CONFIG_ACTION_ROUTE, 0);
	add_rule("tags.Modality == 'CT'", CONFIG_ACTION_ROUTE, RULE_FALLBACK);
	add_rule("'T1' in tags.SeriesDescription", CONFIG_ACTION_PROCESS,
	    RULE_FALLBACK);
	sel = select_for(mr);
	ck_assert(sel.fallback);
	ck_assert_uint_eq(sel.n, 2);
	ck_assert_ptr_eq(sel.triggered[0], &rules[0]);
	ck_assert_ptr_eq(sel.triggered[1], &rules[3]);
	ck_assert_ptr_null(sel.discard_rule);
}
END_TEST

START_TEST(a_fallback_discard_rule_discards_only_when_nothing_else_triggers)
{
	const config_rule *fd;
	route_selection    sel;

	add_rule("True", CONFIG_ACTION_ROUTE, RULE_FALLBACK);
	fd = add_rule("True", CONFIG_ACTION_DISCARD, RULE_FALLBACK);
	add_rule("True", CONFIG_ACTION_ROUTE, RULE_FALLBACK);
	sel = select_for(mr);
	ck_assert_ptr_eq(sel.discard_rule, fd);
	ck_assert_uint_eq(sel.n, 0);
}
END_TEST

START_TEST(rules_without_a_compiled_expression_are_skipped)
{
	route_selection sel;

	add_rule(NULL, CONFIG_ACTION_DISCARD, 0);
	add_rule(NULL, CONFIG_ACTION_ROUTE, 0);
	add_rule("True", CONFIG_ACTION_ROUTE, 0);
	add_rule(NULL, CONFIG_ACTION_ROUTE, RULE_FALLBACK);
	sel = select_for(mr);
	ck_assert_ptr_null(sel.discard_rule);
	ck_assert_uint_eq(sel.n, 1);
	ck_assert_ptr_eq(sel.triggered[0], &rules[2]);
	ck_assert(!sel.fallback);
}
END_TEST

START_TEST(a_rule_that_fails_at_run_time_does_not_trigger)
{
	route_selection sel;

	add_rule("int(tags.SeriesDescription) > 1", CONFIG_ACTION_ROUTE, 0);
	add_rule("tags.SeriesDescription < 3", CONFIG_ACTION_DISCARD, 0);
	add_rule("not tags.Missing == 'x'", CONFIG_ACTION_DISCARD, 0);
	add_rule("1 // 0 == 0", CONFIG_ACTION_ROUTE, RULE_FALLBACK);
	sel = select_for(mr);
	ck_assert_uint_eq(sel.n, 0);
	ck_assert_ptr_null(sel.discard_rule);
	ck_assert(!sel.fallback);
}
END_TEST

START_TEST(at_most_the_limit_is_kept_and_later_rules_are_still_evaluated)
{
	route_selection sel;

	for (size_t i = 0; i < ROUTE_SELECT_MAX_RULES + 10; i++)
		add_rule("True", CONFIG_ACTION_ROUTE, 0);
	sel = select_for(mr);
	ck_assert_uint_eq(sel.n, ROUTE_SELECT_MAX_RULES);
	for (size_t i = 0; i < ROUTE_SELECT_MAX_RULES; i++)
		ck_assert_ptr_eq(sel.triggered[i], &rules[i]);
	/* a discard rule past the limit still wins */
	add_rule("True", CONFIG_ACTION_DISCARD, 0);
	sel = select_for(mr);
	ck_assert_ptr_eq(
	    sel.discard_rule, &rules[ROUTE_SELECT_MAX_RULES + 10]);
	ck_assert_uint_eq(sel.n, 0);
}
END_TEST

START_TEST(each_call_starts_from_an_empty_selection)
{
	route_selection sel;

	memset(&sel, 0x5a, sizeof(sel));
	route_select(&cfg, mr, &sel);
	ck_assert_uint_eq(sel.n, 0);
	ck_assert_ptr_null(sel.discard_rule);
	ck_assert(!sel.fallback);
	add_rule("True", CONFIG_ACTION_ROUTE, RULE_FALLBACK);
	route_select(&cfg, mr, &sel);
	ck_assert(sel.fallback);
	add_rule("True", CONFIG_ACTION_ROUTE, 0);
	route_select(&cfg, mr, &sel);
	ck_assert(!sel.fallback);
	ck_assert_uint_eq(sel.n, 1);
	ck_assert_ptr_eq(sel.triggered[0], &rules[1]);
}
END_TEST

/* ---- mercureForceRule: mercure's get_triggered_rules
 * (app/routing/route_series.py) and the tag its query and upload tools
 * set (app/tests/test_query.py, test_dicomweb.py) ---- */

START_TEST(a_forced_rule_applies_without_evaluating_any_rule)
{
	const config_rule *forced;
	route_selection    sel;

	add_rule("tags.Modality == 'MR'", CONFIG_ACTION_ROUTE, 0);
	add_rule("True", CONFIG_ACTION_DISCARD, 0);
	forced = add_rule("False", CONFIG_ACTION_PROCESS, 0);
	ck_assert_int_eq(mc_tagset_set(mr, "mercureForceRule", "r2"), MC_OK);
	sel = select_for(mr);
	ck_assert_uint_eq(sel.n, 1);
	ck_assert_ptr_eq(sel.triggered[0], forced);
	ck_assert_ptr_null(sel.discard_rule);
	ck_assert(!sel.fallback);
	ck_assert_str_eq(sel.forced, "r2");
	ck_assert(!sel.force_unknown);
}
END_TEST

START_TEST(a_forced_rule_applies_even_disabled_or_fallback)
{
	const config_rule *disabled, *fallback;
	route_selection    sel;

	add_rule("True", CONFIG_ACTION_ROUTE, 0);
	disabled = add_rule("True", CONFIG_ACTION_ROUTE, RULE_DISABLED);
	fallback = add_rule("False", CONFIG_ACTION_ROUTE, RULE_FALLBACK);
	ck_assert_int_eq(mc_tagset_set(mr, "mercureForceRule", "r1"), MC_OK);
	sel = select_for(mr);
	ck_assert_uint_eq(sel.n, 1);
	ck_assert_ptr_eq(sel.triggered[0], disabled);
	ck_assert_int_eq(mc_tagset_set(mr, "mercureForceRule", "r2"), MC_OK);
	sel = select_for(mr);
	ck_assert_uint_eq(sel.n, 1);
	ck_assert_ptr_eq(sel.triggered[0], fallback);
	ck_assert(!sel.fallback);
}
END_TEST

START_TEST(a_forced_rule_that_does_not_exist_selects_nothing)
{
	route_selection sel;

	add_rule("True", CONFIG_ACTION_ROUTE, 0);
	add_rule("True", CONFIG_ACTION_ROUTE, RULE_FALLBACK);
	/* the name is exact, as mercure's dict lookup is */
	ck_assert_int_eq(mc_tagset_set(mr, "mercureForceRule", "R0"), MC_OK);
	sel = select_for(mr);
	ck_assert_uint_eq(sel.n, 0);
	ck_assert_ptr_null(sel.discard_rule);
	ck_assert(sel.force_unknown);
	ck_assert_str_eq(sel.forced, "R0");
}
END_TEST

START_TEST(a_forced_discard_rule_discards)
{
	const config_rule *d;
	route_selection    sel;

	add_rule("True", CONFIG_ACTION_ROUTE, 0);
	d = add_rule("False", CONFIG_ACTION_DISCARD, 0);
	ck_assert_int_eq(mc_tagset_set(mr, "mercureForceRule", "r1"), MC_OK);
	sel = select_for(mr);
	ck_assert_uint_eq(sel.n, 0);
	ck_assert_ptr_eq(sel.discard_rule, d);
}
END_TEST

START_TEST(without_the_tag_nothing_is_forced)
{
	route_selection sel;

	add_rule("True", CONFIG_ACTION_ROUTE, 0);
	/* only the exact name forces, as in mercure */
	ck_assert_int_eq(mc_tagset_set(mr, "mercureforcerule", "r0"), MC_OK);
	sel = select_for(mr);
	ck_assert_uint_eq(sel.n, 1);
	ck_assert_ptr_null(sel.forced);
	ck_assert(!sel.force_unknown);
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("route_select");
	const TTest *order[] = {no_rules_trigger_nothing_and_discard_nothing,
	    triggered_rules_come_in_file_order_and_the_rest_are_left_out,
	    the_same_rules_select_by_the_tags_they_are_given,
	    priority_does_not_change_the_order_of_selection,
	    a_disabled_rule_never_triggers_not_even_a_discard_rule,
	    rules_without_a_compiled_expression_are_skipped,
	    a_rule_that_fails_at_run_time_does_not_trigger,
	    at_most_the_limit_is_kept_and_later_rules_are_still_evaluated,
	    each_call_starts_from_an_empty_selection, NULL};
	const TTest *discard[] = {
	    a_triggered_discard_rule_wins_over_rules_before_and_after_it,
	    a_discard_rule_that_does_not_trigger_changes_nothing, NULL};
	const TTest *fallback[] = {
	    fallback_rules_stay_out_while_another_rule_triggers,
	    every_triggered_fallback_rule_is_taken_when_nothing_else_is,
	    a_fallback_discard_rule_discards_only_when_nothing_else_triggers,
	    NULL};
	const TTest *forced[] = {
	    a_forced_rule_applies_without_evaluating_any_rule,
	    a_forced_rule_applies_even_disabled_or_fallback,
	    a_forced_rule_that_does_not_exist_selects_nothing,
	    a_forced_discard_rule_discards, without_the_tag_nothing_is_forced,
	    NULL};

	mc_check_fixture_tcase(s, "order", order, setup, teardown);
	mc_check_fixture_tcase(s, "forced", forced, setup, teardown);
	mc_check_fixture_tcase(s, "discard", discard, setup, teardown);
	mc_check_fixture_tcase(s, "fallback", fallback, setup, teardown);
	return mc_check_run(s);
}
