/* uid_test.c - which strings may become file names. */
#include <check.h>
#include <stdlib.h>

#include "check_main.h"

#include "tags/uid.h"

START_TEST(ordinary_uids_are_valid)
{
	ck_assert(uid_is_valid("1.2.840.10008.5.1.4.1.1.2"));
	ck_assert(uid_is_valid("2.25.123456789012345678901234567890"));
	ck_assert(uid_is_valid("1"));
}
END_TEST

START_TEST(path_tricks_and_letters_are_invalid)
{
	ck_assert(!uid_is_valid("../../x"));
	ck_assert(!uid_is_valid(".."));
	ck_assert(!uid_is_valid("1.2/3"));
	ck_assert(!uid_is_valid("1.2.3a"));
	ck_assert(!uid_is_valid("1..2"));
	ck_assert(!uid_is_valid(".1.2"));
	ck_assert(!uid_is_valid("1.2."));
	ck_assert(!uid_is_valid(""));
	ck_assert(!uid_is_valid(NULL));
	ck_assert(!uid_is_valid("1.2 "));
}
END_TEST

START_TEST(length_limit_is_sixty_four)
{
	char s[70];
	for (int i = 0; i < 64; i++)
		s[i] = '1';
	s[64] = '\0';
	ck_assert(uid_is_valid(s));
	s[64] = '1';
	s[65] = '\0';
	ck_assert(!uid_is_valid(s));
}
END_TEST

START_TEST(task_ids_are_lower_case_uuids_only)
{
	ck_assert(task_id_is_valid("0c9e4f3a-6f1d-11ef-8a3b-0242ac120002"));
	ck_assert(!task_id_is_valid("0C9E4F3A-6F1D-11EF-8A3B-0242AC120002"));
	ck_assert(!task_id_is_valid("../../x"));
	ck_assert(!task_id_is_valid("0c9e4f3a-6f1d-11ef-8a3b-0242ac12000"));
	ck_assert(!task_id_is_valid("0c9e4f3a-6f1d-11ef-8a3b-0242ac1200022"));
	ck_assert(!task_id_is_valid("0c9e4f3a-6f1d-11ef-8a3b/0242ac120002"));
	ck_assert(!task_id_is_valid("0c9e4f3a-6f1d-11ef-8a3b-0242ac12000/"));
	ck_assert(!task_id_is_valid("0c9e4f3a_6f1d-11ef-8a3b-0242ac120002"));
	ck_assert(!task_id_is_valid("../../../../../../../../../../tmp/x"));
	ck_assert(!task_id_is_valid(""));
	ck_assert(!task_id_is_valid(NULL));
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("uid");
	const TTest *validation[] = {ordinary_uids_are_valid,
	    path_tricks_and_letters_are_invalid, length_limit_is_sixty_four,
	    task_ids_are_lower_case_uuids_only, NULL};

	mc_check_tcase(s, "validation", validation);
	return mc_check_run(s);
}
