/* check_tmpdir.c - the per-test temp folder (check_tmpdir.h). Named
 * after the test program so that a folder left by a crashed run says
 * whose it is. */
#define _GNU_SOURCE /* program_invocation_short_name: glibc */
#include "check_tmpdir.h"

#include <check.h>
#include <errno.h> /* program_invocation_short_name */
#include <stdio.h>
#include <stdlib.h>

#include "check_main.h"
#include "os/sys_fs.h"

char mc_check_tmpdir[MC_CHECK_TMPDIR_LEN];

void
mc_check_tmpdir_setup(void)
{
	int n = snprintf(mc_check_tmpdir, sizeof(mc_check_tmpdir),
	    "/tmp/mc-%.32s.XXXXXX", program_invocation_short_name);

	ck_assert(n > 0 && (size_t) n < sizeof(mc_check_tmpdir));
	ck_assert_ptr_nonnull(mkdtemp(mc_check_tmpdir));
}

void
mc_check_tmpdir_teardown(void)
{
	if (mc_check_tmpdir[0] == '\0')
		return;
	ck_assert_int_eq(sys_remove_tree(mc_check_tmpdir), MC_OK);
	mc_check_tmpdir[0] = '\0';
}

TCase *
mc_check_tmpdir_tcase(Suite *s, const char *name, const TTest *const *tests)
{
	return mc_check_fixture_tcase(
	    s, name, tests, mc_check_tmpdir_setup, mc_check_tmpdir_teardown);
}
