/* tags_json_test.c - .tags files: JSON objects of strings, and text
 * that is not UTF-8, which mercure's router still evaluates (it retries
 * with errors="surrogateescape"; app/tests/test_router.py feeds
 * b'{"BadTag": "\xb1d\\u0000 Garbage"}'). */
#include "tags/tags_json.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"

#define FFFD "\xef\xbf\xbd"

/* decode - text into a new set; *replaced from the decoder. */
static mc_tagset *
decode(const char *text, size_t len, size_t *replaced)
{
	mc_tagset *t;
	char       err[128] = "";

	ck_assert_int_eq(mc_tagset_create(&t), MC_OK);
	ck_assert_msg(tags_json_decode(
	                  text, len, t, replaced, err, sizeof(err)) == MC_OK,
	    "%s", err);
	return t;
}

START_TEST(clean_text_is_read_as_it_is)
{
	static const char text[] =
	    "{\"Modality\": \"MR\", \"InstitutionName\": "
	    "\"Universit\xc3\xa4tsklinik\", \"Number\": 12, \"Flag\": true}";
	size_t     replaced = 99;
	mc_tagset *t = decode(text, sizeof(text) - 1, &replaced);

	ck_assert_uint_eq(replaced, 0);
	ck_assert_str_eq(mc_tagset_get(t, "Modality"), "MR");
	ck_assert_str_eq(
	    mc_tagset_get(t, "InstitutionName"), "Universit\xc3\xa4tsklinik");
	ck_assert_str_eq(mc_tagset_get(t, "Number"), "12");
	ck_assert_str_eq(mc_tagset_get(t, "Flag"), "True");
	mc_tagset_destroy(t);
}
END_TEST

START_TEST(mercures_garbage_tag_is_read_with_replacement_characters)
{
	static const char text[] = "{\"BadTag\": \"\xb1"
	                           "d\\u0000 Garbage\"}";
	size_t            replaced = 0;
	mc_tagset        *t = decode(text, sizeof(text) - 1, &replaced);

	ck_assert_uint_eq(replaced, 2);
	ck_assert_str_eq(mc_tagset_get(t, "BadTag"), FFFD "d" FFFD " Garbage");
	mc_tagset_destroy(t);
}
END_TEST

START_TEST(each_byte_outside_a_utf8_sequence_is_one_replacement)
{
	/* a cut sequence (E2 82), a lone continuation byte, an overlong
	 * form (C0 AF), an encoded surrogate (ED A0 80), past U+10FFFF
	 * (F4 90 80 80); Python's surrogateescape maps each byte alike */
	static const char text[] = "{\"K\": \"a\xe2\x82z\x80"
	                           "b\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\"}";
	size_t            replaced = 0;
	mc_tagset        *t = decode(text, sizeof(text) - 1, &replaced);

	ck_assert_uint_eq(replaced, 12);
	ck_assert_str_eq(mc_tagset_get(t, "K"),
	    "a" FFFD                                    FFFD "z" FFFD
	    "b" FFFD FFFD FFFD FFFD FFFD FFFD FFFD FFFD FFFD);
	mc_tagset_destroy(t);
}
END_TEST

START_TEST(a_key_that_is_not_utf8_is_repaired_too)
{
	static const char text[] = "{\"K\xff\": \"v\"}";
	mc_tagset        *t = decode(text, sizeof(text) - 1, NULL);

	ck_assert_str_eq(mc_tagset_get(t, "K" FFFD), "v");
	mc_tagset_destroy(t);
}
END_TEST

START_TEST(bad_json_is_still_an_error)
{
	mc_tagset *t;
	char       err[128] = "";
	size_t     replaced = 0;

	ck_assert_int_eq(mc_tagset_create(&t), MC_OK);
	ck_assert_int_eq(tags_json_decode("{\"a\": \xb1}", 8, t, &replaced,
	                     err, sizeof(err)),
	    MC_EPARSE);
	ck_assert_ptr_nonnull(strstr(err, "line 1"));
	mc_tagset_destroy(t);
}
END_TEST

static Suite *
tags_json_suite(void)
{
	Suite             *s = suite_create("tags_json");
	const TTest *const tests[] = {clean_text_is_read_as_it_is,
	    mercures_garbage_tag_is_read_with_replacement_characters,
	    each_byte_outside_a_utf8_sequence_is_one_replacement,
	    a_key_that_is_not_utf8_is_repaired_too, bad_json_is_still_an_error,
	    NULL};

	mc_check_tcase(s, "decode", tests);
	return s;
}

int
main(void)
{
	return mc_check_run(tags_json_suite());
}
