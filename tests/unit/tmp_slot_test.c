/* tmp_slot_test.c - temp folder slots: each receiver on a storage root
 * gets its own, a held slot is never swept, a free one is swept once and
 * can be claimed again. A flock belongs to the open file, so two claims
 * in one process contend like two processes do. */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "check_tmpdir.h"

#include "tmp_slot.h"

typedef struct swept {
	unsigned n;
	char     last[512];
} swept;

static void
note(void *ctx, const char *dir)
{
	swept *w = ctx;

	__atomic_fetch_add(&w->n, 1, __ATOMIC_SEQ_CST);
	snprintf(w->last, sizeof(w->last), "%s", dir);
}

START_TEST(each_claim_gets_its_own_slot)
{
	tmp_slot *a, *b;
	char      want[512];

	ck_assert_int_eq(tmp_slot_claim(mc_check_tmpdir, &a), MC_OK);
	ck_assert_int_eq(tmp_slot_claim(mc_check_tmpdir, &b), MC_OK);
	ck_assert_uint_eq(tmp_slot_number(a), 1);
	ck_assert_uint_eq(tmp_slot_number(b), 2);
	snprintf(want, sizeof(want), "%s/tmp", mc_check_tmpdir);
	ck_assert_str_eq(tmp_slot_dir(a), want);
	snprintf(want, sizeof(want), "%s/tmp.2", mc_check_tmpdir);
	ck_assert_str_eq(tmp_slot_dir(b), want);
	tmp_slot_destroy(a);
	tmp_slot_destroy(b);
}
END_TEST

START_TEST(only_free_slots_are_swept_and_claimed_again)
{
	tmp_slot *a, *b, *c;
	swept     w = {0, ""};

	ck_assert_int_eq(tmp_slot_claim(mc_check_tmpdir, &a), MC_OK);
	ck_assert_int_eq(tmp_slot_claim(mc_check_tmpdir, &b), MC_OK);
	ck_assert_uint_eq(tmp_slot_sweep(b, note, &w), 0); /* a holds 1 */
	tmp_slot_destroy(a);
	ck_assert_uint_eq(tmp_slot_sweep(b, note, &w), 1);
	ck_assert_uint_eq(w.n, 1);
	ck_assert_ptr_nonnull(strstr(w.last, "/tmp"));
	ck_assert_ptr_null(strstr(w.last, "/tmp.2"));
	ck_assert_int_eq(tmp_slot_claim(mc_check_tmpdir, &c), MC_OK);
	ck_assert_uint_eq(tmp_slot_number(c), 1);
	ck_assert_uint_eq(tmp_slot_sweep(b, note, &w), 0);
	tmp_slot_destroy(b);
	tmp_slot_destroy(c);
}
END_TEST

START_TEST(all_slots_held_is_an_error)
{
	tmp_slot *s[TMP_SLOT_MAX], *extra;
	unsigned  i;

	for (i = 0; i < TMP_SLOT_MAX; i++)
		ck_assert_int_eq(
		    tmp_slot_claim(mc_check_tmpdir, &s[i]), MC_OK);
	ck_assert_int_eq(tmp_slot_claim(mc_check_tmpdir, &extra), MC_EAGAIN);
	ck_assert_ptr_null(extra);
	for (i = 0; i < TMP_SLOT_MAX; i++)
		tmp_slot_destroy(s[i]);
}
END_TEST

START_TEST(the_sweeper_thread_recovers_a_slot_freed_later)
{
	tmp_slot *a, *b;
	swept     w = {0, ""};
	int       i;

	ck_assert_int_eq(tmp_slot_claim(mc_check_tmpdir, &a), MC_OK);
	ck_assert_int_eq(tmp_slot_claim(mc_check_tmpdir, &b), MC_OK);
	ck_assert_int_eq(tmp_slot_sweeper_start(b, 1, note, &w), MC_OK);
	tmp_slot_destroy(a);
	for (i = 0; i < 100 && __atomic_load_n(&w.n, __ATOMIC_SEQ_CST) == 0;
	     i++)
		usleep(50000);
	tmp_slot_destroy(b); /* joins the thread: w is stable after it */
	ck_assert_uint_ge(w.n, 1);
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("tmp_slot");
	const TTest *slot[] = {each_claim_gets_its_own_slot,
	    only_free_slots_are_swept_and_claimed_again,
	    all_slots_held_is_an_error,
	    the_sweeper_thread_recovers_a_slot_freed_later, NULL};

	tcase_set_timeout(mc_check_tmpdir_tcase(s, "slot", slot), 30);
	return mc_check_run(s);
}
