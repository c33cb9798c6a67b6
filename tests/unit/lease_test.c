/* lease_test.c - the leader lease's deadlines on a fake clock
 * (core/lease.h): renew a third of the TTL after the last success, stop
 * acting a margin before the TTL runs out, measured from when the
 * successful call was sent; a renew may take only the time left. */
#include <check.h>

#include "check_main.h"

#include "core/lease.h"

START_TEST(not_held_until_acquired)
{
	lease l;

	lease_init(&l, 10000);
	ck_assert(!lease_valid(&l, 0));
	ck_assert(!lease_valid(&l, 5000));
}
END_TEST

START_TEST(held_until_the_ttl_minus_the_margin)
{
	lease l;

	lease_init(&l, 10000);
	lease_ok(&l, 1000); /* the acquire was sent at t=1 s */
	ck_assert(lease_valid(&l, 1000));
	ck_assert(lease_valid(&l, 9999));
	/* a 1 s margin: the holder stops at 10 s, before the TTL ends at
	 * 11 s on its own clock (Nomad waits 2 x TTL: 21 s) */
	ck_assert_int_eq(lease_deadline(&l), 10000);
	ck_assert(!lease_valid(&l, 10000));
	ck_assert(!lease_valid(&l, 11000));
}
END_TEST

START_TEST(the_margin_is_a_tenth_of_a_short_ttl)
{
	lease l;

	lease_init(&l, 5000);
	lease_ok(&l, 0);
	ck_assert_int_eq(lease_deadline(&l), 4500);
	lease_init(&l, 60000);
	lease_ok(&l, 0);
	ck_assert_int_eq(lease_deadline(&l), 59000);
}
END_TEST

START_TEST(renew_a_third_of_the_ttl_after_the_last_success)
{
	lease l;

	lease_init(&l, 15000);
	lease_ok(&l, 0);
	ck_assert_int_eq(lease_next_renew(&l), 5000);
	lease_ok(&l, 5200); /* renewed: sent at 5.2 s */
	ck_assert_int_eq(lease_next_renew(&l), 10200);
	ck_assert_int_eq(lease_deadline(&l), 5200 + 15000 - 1000);
	ck_assert(lease_valid(&l, 19000));
}
END_TEST

START_TEST(failed_renews_run_out_at_the_deadline)
{
	lease   l;
	int64_t now;

	lease_init(&l, 10000);
	lease_ok(&l, 0);
	/* renews at 3.33 s, 4.33 s, ... all fail: each may take only the
	 * time left, and none is allowed past the deadline */
	for (now = lease_next_renew(&l); lease_valid(&l, now); now += 1000)
		ck_assert_int_eq(lease_call_timeout(&l, now), 9000 - now);
	ck_assert_int_ge(now, 9000);
	ck_assert_int_eq(lease_call_timeout(&l, now), 0);
	ck_assert_int_eq(lease_call_timeout(&l, 20000), 0);
}
END_TEST

START_TEST(a_success_counts_from_when_the_call_was_sent)
{
	lease l;

	lease_init(&l, 10000);
	lease_ok(&l, 0);
	/* a renew sent at 3 s, answered at 8 s: the lease runs from 3 s */
	lease_ok(&l, 3000);
	ck_assert_int_eq(lease_deadline(&l), 12000);
	ck_assert(!lease_valid(&l, 12000));
}
END_TEST

START_TEST(lost_is_not_valid_even_before_the_deadline)
{
	lease l;

	lease_init(&l, 10000);
	lease_ok(&l, 0);
	lease_lost(&l);
	ck_assert(!lease_valid(&l, 1));
	lease_ok(&l, 20000); /* acquired again */
	ck_assert(lease_valid(&l, 20001));
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("lease");
	const TTest *all[] = {not_held_until_acquired,
	    held_until_the_ttl_minus_the_margin,
	    the_margin_is_a_tenth_of_a_short_ttl,
	    renew_a_third_of_the_ttl_after_the_last_success,
	    failed_renews_run_out_at_the_deadline,
	    a_success_counts_from_when_the_call_was_sent,
	    lost_is_not_valid_even_before_the_deadline, NULL};

	mc_check_tcase(s, "deadlines", all);
	return mc_check_run(s);
}
