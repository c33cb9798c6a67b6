/* check_main.h - what every unit test's main() does with Check: tests
 * grouped into TCases from NULL-terminated lists, the suite run in forked
 * children (CK_FORK, the default) and the exit status from the failures. */
#ifndef MC_TESTS_CHECK_MAIN_H
#define MC_TESTS_CHECK_MAIN_H

#include <check.h>

/* mc_check_tcase - a TCase named name holding tests (a NULL-terminated
 * list, run in that order), added to s. Returned so that the caller can
 * add fixtures and a timeout. */
TCase *mc_check_tcase(Suite *s, const char *name, const TTest *const *tests);

/* mc_check_fixture_tcase - mc_check_tcase() with setup and teardown
 * (either may be NULL) as a checked fixture: they run around each test,
 * inside its forked child. */
TCase *mc_check_fixture_tcase(Suite *s, const char *name,
    const TTest *const *tests, SFun setup, SFun teardown);

/* mc_check_run - run every test of s with CK_NORMAL output and free s.
 * Returns EXIT_SUCCESS when no test failed, EXIT_FAILURE otherwise. */
int mc_check_run(Suite *s);

#endif
