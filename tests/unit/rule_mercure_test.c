/* rule_mercure_test.c - cases taken from mercure itself: the rules and
 * tag sets of its router tests (app/tests/test_router.py, test_query.py),
 * the examples of its documentation (docs/usage/rules.rst,
 * docs/anonymizer.rst) and rule editor
 * (app/webinterface/templates/rules_edit.html), and the behaviour of its
 * evaluator (app/common/rule_evaluation.py: replace_tags, safe_eval_cmds,
 * asteval's safe mode, mercure's default), each with mercure's own
 * result. */
#include "rule/rule.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "tags/tags_json.h"

/* What mercure's parse_rule() gives. M_FALSE_MISSING is its
 * TagNotFoundException (false, nothing logged); M_FALSE_ERROR an
 * exception at run time (false, logged); M_REFUSED a SyntaxError or a
 * node asteval does not run, which is a compile error here. */
typedef enum {
	M_TRUE,
	M_FALSE,
	M_FALSE_MISSING,
	M_FALSE_ERROR,
	M_REFUSED,
} mercure_result;

typedef struct mercure_case {
	const char    *source; /* the mercure file the case comes from */
	const char    *rule;
	const char    *tags; /* "Key=Value" lines separated by '\n' */
	mercure_result want;
} mercure_case;

static const mercure_case cases[] = {
    /* test_router.py: the rules dict and the tag sets of its tests */
    {"test_router.py", "@StudyDescription@ == \"foo\" ",
        "SeriesDescription=foo", M_FALSE_MISSING},
    {"test_router.py", "tags.SeriesDescription == \"foo\" ",
        "SeriesDescription=foo", M_TRUE},
    {"test_router.py", "tags.SeriesDescription == \"new_rule\" ",
        "SeriesDescription=foo", M_FALSE},
    {"test_router.py", "tags.SeriesDescription == \"new_rule\" ",
        "SeriesDescription=new_rule", M_TRUE},
    {"test_router.py", "tags.SeriesDescription == \"foo\" ",
        "SeriesDescription=new_rule", M_FALSE},
    {"test_router.py", "\"Garbage\" in tags.BADTAG ", "SeriesDescription=foo",
        M_FALSE_MISSING},
    {"test_router.py", "@StudyDescription@ == \"foo\" ", "asdfasdfas=foo",
        M_FALSE_MISSING},
    {"test_router.py", "tags.SeriesDescription == \"foo\" ", "asdfasdfas=foo",
        M_FALSE_MISSING},
    {"test_router.py", "\"Garbage\" in tags.BADTAG ", "asdfasdfas=foo",
        M_FALSE_MISSING},
    {"test_router.py", "@SeriesDescription@ == 'Test'",
        "SeriesInstanceUID=123\nSeriesDescription=Test\nModality=CT", M_TRUE},
    {"test_router.py", "@Modality@ == 'CT'",
        "SeriesInstanceUID=123\nSeriesDescription=Test\nModality=CT", M_TRUE},
    /* its "broken" rule: an IndentationError in safe mode (mercure logs
     * "Invalid rule encountered:  1/0 "), ZeroDivisionError unsafe */
    {"test_router.py", " 1/0 ", "SeriesDescription=foo", M_REFUSED},
    {"test_router.py", "1/0", "SeriesDescription=foo", M_FALSE_ERROR},
    /* test_query.py, test_dicomweb.py, test_studies.py, ... */
    {"test_query.py", "False", "Modality=CT", M_FALSE},
    {"test_query.py", "True", "Modality=CT", M_TRUE},
    /* docs/usage/rules.rst */
    {"rules.rst", "'CINE' in tags.SeriesDescription",
        "SeriesDescription=CINE 2ch", M_TRUE},
    {"rules.rst", "tags.SeriesDescription == 'CINE'",
        "SeriesDescription=CINE 2ch", M_FALSE},
    {"rules.rst", "tags.SeriesDescription == 'CINE'", "SeriesDescription=CINE",
        M_TRUE},
    {"rules.rst", "tags.SeriesDescription.lower() = 'cine'",
        "SeriesDescription=CINE", M_REFUSED},
    {"rules.rst", "tags.SeriesDescription.lower() == 'cine'",
        "SeriesDescription=CINE", M_TRUE},
    {"rules.rst", "float(tags.SliceThickness) < 2.0", "SliceThickness=1.5",
        M_TRUE},
    {"rules.rst", "float(tags.SliceThickness) < 2.0", "SliceThickness=3",
        M_FALSE},
    /* rule_evaluation.py: replace_tags() rewrites only the @X@ whose tag
     * exists; one left in the text is a SyntaxError, reported as a
     * missing tag, whatever the rest of the expression says. */
    {"rule_evaluation.py", "@Modality@ == 'MR' or @StationName@ == 'X'",
        "Modality=MR", M_FALSE_MISSING},
    {"rule_evaluation.py", "True or @StationName@ == 'X'", "Modality=MR",
        M_FALSE_MISSING},
    {"rule_evaluation.py", "not @StationName@", "Modality=MR",
        M_FALSE_MISSING},
    {"rule_evaluation.py", "@Modality@ == 'MR' or @StationName@ == 'X'",
        "Modality=MR\nStationName=Y", M_TRUE},
    {"rule_evaluation.py", "tags.Modality == 'MR' or tags.Station == 'X'",
        "Modality=MR", M_TRUE},
    /* rules_edit.html: the examples of the rule editor's help */
    {"rules_edit.html",
        "(tags.Modality == 'MR') and ('GRASP' in tags.StudyDescription)",
        "Modality=MR\nStudyDescription=Liver GRASP", M_TRUE},
    {"rules_edit.html",
        "(tags.Modality == 'MR') and ('GRASP' in tags.StudyDescription)",
        "Modality=CT\nStudyDescription=Liver GRASP", M_FALSE},
    {"rules_edit.html",
        "(tags.Modality == 'MR') and ('GRASP' in tags.StudyDescription)",
        "Modality=MR", M_FALSE_MISSING},
    {"rules_edit.html",
        "(float(tags.SeriesNumber) > 100) or "
        "(tags.ScanningSequence.lower()=='gr')",
        "SeriesNumber=101", M_TRUE},
    {"rules_edit.html",
        "(float(tags.SeriesNumber) > 100) or "
        "(tags.ScanningSequence.lower()=='gr')",
        "SeriesNumber=3\nScanningSequence=GR", M_TRUE},
    {"rules_edit.html",
        "(float(tags.SeriesNumber) > 100) or "
        "(tags.ScanningSequence.lower()=='gr')",
        "SeriesNumber=3\nScanningSequence=SE", M_FALSE},
    {"rules_edit.html",
        "(float(tags.SeriesNumber) > 100) or "
        "(tags.ScanningSequence.lower()=='gr')",
        "SeriesNumber=3", M_FALSE_MISSING},
    {"rules_edit.html",
        "(float(tags.SeriesNumber) > 100) or "
        "(tags.ScanningSequence.lower()=='gr')",
        "SeriesNumber=abc\nScanningSequence=GR", M_FALSE_ERROR},
    /* anonymizer.rst */
    {"anonymizer.rst", "'az_' in @ReceiverAET@", "ReceiverAET=az_myproject",
        M_TRUE},
    {"anonymizer.rst", "'az_' in @ReceiverAET@", "ReceiverAET=myproject",
        M_FALSE},
    {"anonymizer.rst", "'az_' in @ReceiverAET@", "Modality=MR",
        M_FALSE_MISSING},
    /* rule_evaluation.py: safe_eval_cmds, what the safe mode runs */
    {"rule_evaluation.py", "round(float(tags.SliceThickness)) == 2",
        "SliceThickness=2.5", M_TRUE},
    {"rule_evaluation.py", "round(float(tags.SliceThickness), 1) == 1.2",
        "SliceThickness=1.25", M_TRUE},
    {"rule_evaluation.py",
        "sum([int(x) for x in tags.ImageType.split('\\\\')]) > 0",
        "ImageType=1\\2", M_REFUSED},
    {"rule_evaluation.py", "sum([float(tags.SliceThickness), 1]) == 2.5",
        "SliceThickness=1.5", M_TRUE},
    {"rule_evaluation.py",
        "any([tags.SeriesDescription.lower().startswith(p) for p in "
        "('t1', 't2')])",
        "SeriesDescription=T1 MPRAGE", M_REFUSED},
    {"rule_evaluation.py",
        "any([tags.Modality == 'CT', tags.Modality == 'MR'])", "Modality=MR",
        M_TRUE},
    {"rule_evaluation.py",
        "all([tags.Modality == 'MR', "
        "'CINE' in tags.SeriesDescription])",
        "Modality=MR\nSeriesDescription=SA", M_FALSE},
    {"rule_evaluation.py", "sqrt(float(tags.PixelArea)) < 1.0",
        "PixelArea=0.25", M_TRUE},
    {"rule_evaluation.py", "sqrt(float(tags.PixelArea)) < 1.0", "PixelArea=-1",
        M_FALSE_ERROR},
    {"rule_evaluation.py", "floor(float(tags.SliceThickness)) == 1",
        "SliceThickness=1.9", M_TRUE},
    {"rule_evaluation.py", "int(tags.Rows) ** 2 > 250000", "Rows=512", M_TRUE},
    {"rule_evaluation.py", "tags.SeriesDescription.find('SA') >= 0",
        "SeriesDescription=CINE SA", M_TRUE},
    {"rule_evaluation.py",
        "tags.SeriesDescription.replace(' ', '') == 'CINESA'",
        "SeriesDescription=CINE SA", M_TRUE},
    {"rule_evaluation.py", "tags.SeriesNumber.isdigit()", "SeriesNumber=12",
        M_TRUE},
    {"rule_evaluation.py", "tags.SeriesNumber.isdigit()", "SeriesNumber=12a",
        M_FALSE},
    {"rule_evaluation.py", "tags.StationName is not None", "StationName=MR1",
        M_TRUE},
    {"rule_evaluation.py",
        "tags.InstitutionName.lower() == "
        "'universit\xc3\xa4tsklinik'",
        "InstitutionName=UNIVERSIT\xc3\x84TSKLINIK", M_TRUE},
    {"rule_evaluation.py", "tags.StationName in ('MR1', 'MR2')",
        "StationName=MR2", M_TRUE},
    {"rule_evaluation.py", "('MR1', 'MR2') == ['MR1', 'MR2']",
        "StationName=MR2", M_FALSE},
    /* asteval, minimal=True: what the safe mode refuses */
    {"rule_evaluation.py", "'MR' if tags.Modality else 'CT'", "Modality=MR",
        M_REFUSED},
    {"rule_evaluation.py", "(lambda: True)()", "Modality=MR", M_REFUSED},
    {"rule_evaluation.py", "'{}'.format(tags.Modality) == 'MR'", "Modality=MR",
        M_REFUSED},
    {"rule_evaluation.py", "tags.Modality.__class__ == str", "Modality=MR",
        M_REFUSED},
    {"rule_evaluation.py", "\ttags.Modality == 'MR'", "Modality=MR",
        M_REFUSED},
    {"rule_evaluation.py", "tags.Modality == 'MR'\nand True", "Modality=MR",
        M_REFUSED},
    /* rule_evaluation.py: the example in its closing comment */
    {"rule_evaluation.py",
        "('Tr' in @ManufacturerModelName@) | (@ManufacturerModelName@ == "
        "'Trio')",
        "ManufacturerModelName=Trio", M_TRUE},
    {"rule_evaluation.py",
        "('Tr' in @ManufacturerModelName@) | (@ManufacturerModelName@ == "
        "'Trio')",
        "ManufacturerModelName=Prisma", M_FALSE},
};

static mc_tagset *
make_tags(const char *spec)
{
	mc_tagset *t;
	char      *copy = strdup(spec), *save = NULL;

	ck_assert_ptr_nonnull(copy);
	ck_assert_int_eq(mc_tagset_create(&t), MC_OK);
	for (char *line = strtok_r(copy, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		ck_assert_ptr_nonnull(eq);
		*eq = '\0';
		ck_assert_int_eq(mc_tagset_set(t, line, eq + 1), MC_OK);
	}
	free(copy);
	return t;
}

START_TEST(each_case_gives_mercures_result)
{
	const mercure_case *c = &cases[_i];
	rule               *r = NULL;
	mc_diag             d = {0};
	mc_err      rv = rule_compile(c->rule, strlen(c->rule), &r, &d);
	mc_tagset  *t;
	const char *why = NULL;
	bool        res;

	if (c->want == M_REFUSED) {
		ck_assert_msg(
		    rv == MC_ESYNTAX, "%s: %s compiles", c->source, c->rule);
		return;
	}
	ck_assert_msg(rv == MC_OK, "%s: %s: column %zu: %s", c->source,
	    c->rule, d.column, d.msg);
	t = make_tags(c->tags);
	res = rule_eval(r, t, &why);
	ck_assert_msg(res == (c->want == M_TRUE), "%s: %s gives %d (%s)",
	    c->source, c->rule, res, why ? why : "no error");
	if (c->want == M_TRUE || c->want == M_FALSE)
		ck_assert_msg(why == NULL, "%s: %s: unexpected error %s",
		    c->source, c->rule, why);
	else if (c->want == M_FALSE_MISSING)
		ck_assert_msg(
		    why != NULL && strncmp(why, "missing tag ", 12) == 0,
		    "%s: %s: why = %s", c->source, c->rule,
		    why ? why : "(null)");
	else
		ck_assert_msg(
		    why != NULL && strncmp(why, "missing tag ", 12) != 0,
		    "%s: %s: why = %s", c->source, c->rule,
		    why ? why : "(null)");
	mc_tagset_destroy(t);
	rule_free(r);
}
END_TEST

/* test_router.py's test_route_series_with_bad_tags: a tags file that is
 * not UTF-8 is still evaluated, and route_series_bad_tag triggers. */
START_TEST(a_tags_file_that_is_not_utf8_still_triggers_its_rule)
{
	static const char text[] = "{\"BadTag\": \"\xb1"
	                           "d\\u0000 Garbage\"}";
	static const char rule_text[] = "\"Garbage\" in tags.BADTAG ";
	mc_tagset        *t;
	rule             *r;
	mc_diag           d = {0};
	char              err[128];
	size_t            replaced = 0;

	ck_assert_int_eq(mc_tagset_create(&t), MC_OK);
	ck_assert_int_eq(tags_json_decode(text, sizeof(text) - 1, t, &replaced,
	                     err, sizeof(err)),
	    MC_OK);
	ck_assert_uint_gt(replaced, 0);
	ck_assert_int_eq(
	    rule_compile(rule_text, strlen(rule_text), &r, &d), MC_OK);
	ck_assert(rule_eval(r, t, NULL));
	rule_free(r);
	mc_tagset_destroy(t);
}
END_TEST

static Suite *
rule_mercure_suite(void)
{
	Suite *s = suite_create("rule_mercure");
	TCase *tc = tcase_create("mercure's cases");

	tcase_add_loop_test(tc, each_case_gives_mercures_result, 0,
	    (int) (sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(
	    tc, a_tags_file_that_is_not_utf8_still_triggers_its_rule);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return mc_check_run(rule_mercure_suite());
}
