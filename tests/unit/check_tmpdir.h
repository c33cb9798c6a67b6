/* check_tmpdir.h - a fresh temp folder for each unit test: made by a
 * checked fixture inside the test's forked child, removed with all it
 * holds when the test ends, so no test sees another's files. */
#ifndef MC_TESTS_CHECK_TMPDIR_H
#define MC_TESTS_CHECK_TMPDIR_H

#include <check.h>

#define MC_CHECK_TMPDIR_LEN 64

/* mc_check_tmpdir - the running test's folder, "" when there is none. */
extern char mc_check_tmpdir[MC_CHECK_TMPDIR_LEN];

/* mc_check_tmpdir_setup - make a new empty /tmp/mc-<program>.XXXXXX into
 * mc_check_tmpdir; fails the test when it cannot. A checked fixture, or
 * called by a test that wants its folder later. */
void mc_check_tmpdir_setup(void);

/* mc_check_tmpdir_teardown - remove mc_check_tmpdir and everything in
 * it, then empty the name; fails the test when removal fails. With no
 * folder made it does nothing, so it may close a TCase whose tests make
 * their folder only sometimes. */
void mc_check_tmpdir_teardown(void);

/* mc_check_tmpdir_tcase - mc_check_tcase() (check_main.h) with the two
 * above as its checked fixture: each test starts in a new empty folder. */
TCase *mc_check_tmpdir_tcase(
    Suite *s, const char *name, const TTest *const *tests);

#endif
