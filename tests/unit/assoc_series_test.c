/* assoc_series_test.c - the series an association carried (the receiver's
 * "association" message): each series once per association, and only the
 * series that no other live association carries, so the first of two
 * parallel associations to end announces nothing the second still
 * sends. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "check_main.h"

#include "assoc_series.h"

static assoc_series *a;

static void
setup(void)
{
	ck_assert_int_eq(assoc_series_create(&a), MC_OK);
}

static void
teardown(void)
{
	assoc_series_destroy(a);
}

/* end_list - the association of this thread ends: its announced series
 * joined by spaces into out */
static void
end_list(char *out, size_t cap)
{
	mc_assoc_msg m;

	memset(&m, 0, sizeof(m));
	ck_assert_int_eq(assoc_series_end(a, &m), MC_OK);
	out[0] = '\0';
	for (size_t i = 0, n = 0; i < m.n_series && n < cap; i++)
		n += (size_t) snprintf(out + n, cap - n, "%s ", m.series[i]);
	mc_assoc_msg_fini(&m);
}

START_TEST(each_series_once_in_the_order_first_stored)
{
	char got[256];

	assoc_series_note(a, "1.1");
	assoc_series_note(a, "1.2");
	assoc_series_note(a, "1.1");
	assoc_series_note(a, "1.2");
	end_list(got, sizeof(got));
	ck_assert_str_eq(got, "1.1 1.2 ");
	/* the thread's next association starts empty */
	end_list(got, sizeof(got));
	ck_assert_str_eq(got, "");
}
END_TEST

static void *
other_association(void *arg)
{
	char *got = arg;

	assoc_series_note(a, "1.2");
	assoc_series_note(a, "1.3");
	end_list(got, 256);
	return NULL;
}

START_TEST(a_series_still_carried_elsewhere_is_not_announced)
{
	char      mine[256], theirs[256];
	pthread_t th;

	assoc_series_note(a, "1.1");
	assoc_series_note(a, "1.2");
	ck_assert_int_eq(
	    pthread_create(&th, NULL, other_association, theirs), 0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_str_eq(theirs, "1.3 "); /* 1.2 is still ours */
	end_list(mine, sizeof(mine));
	ck_assert_str_eq(mine, "1.1 1.2 ");
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("assoc_series");
	const TTest *tests[] = {each_series_once_in_the_order_first_stored,
	    a_series_still_carried_elsewhere_is_not_announced, NULL};

	mc_check_fixture_tcase(s, "associations", tests, setup, teardown);
	return mc_check_run(s);
}
