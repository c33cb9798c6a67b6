/* check_main.c - the Check runner every unit test shares (check_main.h). */
#include "check_main.h"

#include <stdlib.h>

TCase *
mc_check_tcase(Suite *s, const char *name, const TTest *const *tests)
{
	TCase *tc = tcase_create(name);

	for (size_t i = 0; tests[i] != NULL; i++)
		tcase_add_test(tc, tests[i]);
	suite_add_tcase(s, tc);
	return tc;
}

TCase *
mc_check_fixture_tcase(Suite *s, const char *name, const TTest *const *tests,
    SFun setup, SFun teardown)
{
	TCase *tc = mc_check_tcase(s, name, tests);

	tcase_add_checked_fixture(tc, setup, teardown);
	return tc;
}

int
mc_check_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int      failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
