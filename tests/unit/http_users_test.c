/* http_users_test.c - roles and names, yescrypt password hashes, tokens
 * stored as SHA-256, the users file's parser (errors by line) and its
 * atomic 0600 write. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check_main.h"
#include "check_tmpdir.h"

#include "http/http_users.h"

START_TEST(roles_and_names)
{
	http_role r = HTTP_ROLE_NONE;

	ck_assert(http_role_parse("viewer", &r) && r == HTTP_ROLE_VIEWER);
	ck_assert(http_role_parse("operator", &r) && r == HTTP_ROLE_OPERATOR);
	ck_assert(http_role_parse("admin", &r) && r == HTTP_ROLE_ADMIN);
	ck_assert(!http_role_parse("Admin", &r));
	ck_assert(!http_role_parse("none", &r));
	ck_assert(!http_role_parse(NULL, &r));
	ck_assert_str_eq(http_role_str(HTTP_ROLE_OPERATOR), "operator");
	ck_assert(HTTP_ROLE_VIEWER < HTTP_ROLE_OPERATOR &&
	          HTTP_ROLE_OPERATOR < HTTP_ROLE_ADMIN);
	ck_assert(http_user_name_is_valid("alice"));
	ck_assert(http_user_name_is_valid("a.b_c@d-e"));
	ck_assert(!http_user_name_is_valid(""));
	ck_assert(!http_user_name_is_valid("../x"));
	ck_assert(!http_user_name_is_valid(".x"));
	ck_assert(!http_user_name_is_valid("a:b"));
	ck_assert(!http_user_name_is_valid("a b"));
	ck_assert(!http_user_name_is_valid("\xc3\xa9"));
	ck_assert(!http_user_name_is_valid(NULL));
	char longname[HTTP_NAME_MAX + 2];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ck_assert(!http_user_name_is_valid(longname));
	longname[HTTP_NAME_MAX] = '\0';
	ck_assert(http_user_name_is_valid(longname));
}
END_TEST

START_TEST(a_password_hash_is_yescrypt_salted_and_checks)
{
	char a[HTTP_HASH_MAX], b[HTTP_HASH_MAX];

	ck_assert_int_eq(http_password_hash("s3cret pw", a, sizeof(a)), MC_OK);
	ck_assert_int_eq(http_password_hash("s3cret pw", b, sizeof(b)), MC_OK);
	ck_assert(strncmp(a, "$y$", 3) == 0);
	ck_assert_str_ne(a, b); /* a fresh salt each time */
	ck_assert(strstr(a, "s3cret") == NULL);
	ck_assert(http_password_check(a, "s3cret pw"));
	ck_assert(http_password_check(b, "s3cret pw"));
	ck_assert(!http_password_check(a, "s3cret pW"));
	ck_assert(!http_password_check(a, ""));
	ck_assert(!http_password_check(NULL, "s3cret pw"));
	ck_assert(!http_password_check("", "s3cret pw"));
	ck_assert(!http_password_check("garbage", "s3cret pw"));
	ck_assert_int_eq(http_password_hash("", a, sizeof(a)), MC_EINVAL);
	ck_assert_int_eq(http_password_hash("a\nb", a, sizeof(a)), MC_EINVAL);
	ck_assert_int_eq(http_password_hash("x", a, 10), MC_EINVAL);
}
END_TEST

START_TEST(a_token_is_random_and_stored_as_its_sha256)
{
	char t1[HTTP_TOKEN_LEN + 1], t2[HTTP_TOKEN_LEN + 1];
	char h[HTTP_SHA256_HEX + 1];

	ck_assert_int_eq(http_token_new(t1, sizeof(t1)), MC_OK);
	ck_assert_int_eq(http_token_new(t2, sizeof(t2)), MC_OK);
	ck_assert_uint_eq(strlen(t1), HTTP_TOKEN_LEN);
	ck_assert(strncmp(t1, "mct_", 4) == 0);
	ck_assert_str_ne(t1, t2);
	ck_assert_int_eq(http_token_new(t1, HTTP_TOKEN_LEN), MC_EINVAL);
	/* FIPS 180-2's example */
	http_token_hash("abc", h);
	ck_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9c"
	                    "b410ff61f20015ad");
}
END_TEST

START_TEST(the_file_parses_and_finds_entries)
{
	const char *text =
	    "# comment\n\n"
	    "user:alice:operator:$y$j9T$abc$def\r\n"
	    "token:prom:viewer:"
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n"
	    "user:bob:admin:$y$x$y$z";
	http_users *u = NULL;
	char      err[128] = "", hash[HTTP_HASH_MAX], name[HTTP_NAME_MAX + 1];
	http_role r = HTTP_ROLE_NONE;

	ck_assert_int_eq(
	    http_users_parse(text, strlen(text), &u, err, sizeof(err)), MC_OK);
	ck_assert_uint_eq(http_users_count(u), 3);
	ck_assert(http_users_find(
	    u, HTTP_ENTRY_USER, "alice", &r, hash, sizeof(hash)));
	ck_assert_int_eq(r, HTTP_ROLE_OPERATOR);
	ck_assert_str_eq(hash, "$y$j9T$abc$def");
	ck_assert(!http_users_find(
	    u, HTTP_ENTRY_TOKEN, "alice", &r, hash, sizeof(hash)));
	ck_assert(!http_users_find(
	    u, HTTP_ENTRY_USER, "carol", &r, hash, sizeof(hash)));
	ck_assert_int_eq(
	    http_users_find_token(u,
	        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb"
	        "410ff61f20015ad",
	        name, sizeof(name)),
	    HTTP_ROLE_VIEWER);
	ck_assert_str_eq(name, "prom");
	ck_assert_int_eq(http_users_find_token(u, "ba78", name, sizeof(name)),
	    HTTP_ROLE_NONE);
	/* replacing keeps one entry */
	ck_assert_int_eq(http_users_set(u, HTTP_ENTRY_USER, "alice",
	                     HTTP_ROLE_VIEWER, "$y$new"),
	    MC_OK);
	ck_assert_uint_eq(http_users_count(u), 3);
	ck_assert_int_eq(http_users_set(u, HTTP_ENTRY_USER, "x",
	                     HTTP_ROLE_VIEWER, "$y$a:b"),
	    MC_EINVAL);
	http_users_destroy(u);
	http_users_destroy(NULL);
}
END_TEST

static void
parse_fails(const char *text, const char *want)
{
	http_users *u = (http_users *) 1;
	char        err[128] = "";

	ck_assert_int_eq(
	    http_users_parse(text, strlen(text), &u, err, sizeof(err)),
	    MC_EPARSE);
	ck_assert_ptr_null(u);
	ck_assert_str_eq(err, want);
}

START_TEST(malformed_lines_are_errors_with_their_line)
{
	parse_fails("\nuser:alice\n", "line 2: expected kind:name:role:hash");
	parse_fails(
	    "group:a:viewer:$y$\n", "line 1: unknown kind (user or token)");
	parse_fails("user:../a:viewer:$y$\n", "line 1: invalid name");
	parse_fails("user:a:root:$y$\n",
	    "line 1: unknown role (viewer, operator, admin)");
	parse_fails("user:a:viewer:plain\n",
	    "line 1: a password hash starts with '$'");
	parse_fails(
	    "token:a:viewer:abc\n", "line 1: a token's hash is 64 hex digits");
}
END_TEST

START_TEST(the_file_is_saved_0600_and_loads_back)
{
	char        path[128], err[128] = "";
	http_users *u = NULL, *v = NULL;
	struct stat st;
	http_role   r;
	char        hash[HTTP_HASH_MAX];

	snprintf(path, sizeof(path), "%s/users", mc_check_tmpdir);
	umask(0);
	ck_assert_int_eq(http_users_load(path, &u, err, sizeof(err)), MC_OK);
	ck_assert_uint_eq(http_users_count(u), 0); /* missing: empty */
	ck_assert_int_eq(http_users_set(u, HTTP_ENTRY_USER, "alice",
	                     HTTP_ROLE_ADMIN, "$y$j9T$s$h"),
	    MC_OK);
	ck_assert_int_eq(http_users_save(u, path), MC_OK);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(http_users_load(path, &v, err, sizeof(err)), MC_OK);
	ck_assert(http_users_find(
	    v, HTTP_ENTRY_USER, "alice", &r, hash, sizeof(hash)));
	ck_assert_int_eq(r, HTTP_ROLE_ADMIN);
	http_users_destroy(u);
	http_users_destroy(v);
}
END_TEST

static Suite *
http_users_suite(void)
{
	Suite       *s = suite_create("http_users");
	const TTest *pure[] = {roles_and_names,
	    a_password_hash_is_yescrypt_salted_and_checks,
	    a_token_is_random_and_stored_as_its_sha256,
	    the_file_parses_and_finds_entries,
	    malformed_lines_are_errors_with_their_line, NULL};
	const TTest *files[] = {the_file_is_saved_0600_and_loads_back, NULL};

	/* yescrypt is slow by design: a loaded machine needs more than
	 * Check's default of 4 s for the hashes of one test */
	tcase_set_timeout(mc_check_tcase(s, "pure", pure), 60);
	mc_check_tmpdir_tcase(s, "files", files);
	return s;
}

int
main(void)
{
	return mc_check_run(http_users_suite());
}
