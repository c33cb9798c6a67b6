/* config_http_test.c - the `http` block: off when absent, its defaults,
 * every field, and its errors at their line and column. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "check_main.h"

#include "config/config.h"

#define MAX_DIAGS 16

static char out[4096];

static mc_err
load(const char *text, mc_config **c)
{
	config_diag d[MAX_DIAGS];
	size_t      n = 0, used = 0;
	mc_err      rv = config_load_buffer(
	         "t.yaml", text, strlen(text), c, d, MAX_DIAGS, &n);

	out[0] = '\0';
	for (size_t i = 0; i < n && i < MAX_DIAGS && used < sizeof(out); i++) {
		char line[512];
		int  w = snprintf(out + used, sizeof(out) - used, "%s%s",
                    i ? "\n" : "",
		     config_diag_format(&d[i], line, sizeof(line)));
		used += w > 0 ? (size_t) w : 0;
	}
	return rv;
}

START_TEST(without_the_block_the_server_is_off)
{
	mc_config *c = NULL;

	ck_assert_int_eq(load("appliance_name: x\n", &c), MC_OK);
	ck_assert(!c->http.enabled);
	config_destroy(c);
}
END_TEST

START_TEST(an_empty_block_is_on_with_the_defaults)
{
	mc_config *c = NULL;

	ck_assert_int_eq(load("http:\n", &c), MC_OK);
	ck_assert_str_eq(out, "");
	ck_assert(c->http.enabled);
	ck_assert_str_eq(c->http.bind, "127.0.0.1");
	ck_assert_uint_eq(c->http.port, 8080);
	ck_assert_ptr_null(c->http.tls_cert);
	ck_assert_ptr_null(c->http.users_file);
	ck_assert(!c->http.metrics_public);
	config_destroy(c);
	ck_assert_int_eq(load("http: {}\n", &c), MC_OK);
	ck_assert(c->http.enabled);
	config_destroy(c);
}
END_TEST

START_TEST(every_field_is_read)
{
	mc_config *c = NULL;

	ck_assert_int_eq(load("http:\n  bind: 0.0.0.0\n  port: '9090'\n"
	                      "  tls_cert: /c.pem\n  tls_key: /k.pem\n"
	                      "  users_file: /etc/u\n"
	                      "  metrics_public: true\n",
	                     &c),
	    MC_OK);
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(c->http.bind, "0.0.0.0");
	ck_assert_uint_eq(c->http.port, 9090);
	ck_assert_str_eq(c->http.tls_cert, "/c.pem");
	ck_assert_str_eq(c->http.tls_key, "/k.pem");
	ck_assert_str_eq(c->http.users_file, "/etc/u");
	ck_assert(c->http.metrics_public);
	config_destroy(c);
}
END_TEST

static void
check_error(const char *text, const char *want)
{
	mc_config *c = (mc_config *) 1;

	ck_assert_int_eq(load(text, &c), MC_ECONFIG);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(out, want);
}

START_TEST(errors_name_the_field_line_and_column)
{
	check_error("http: {port: 0}\n",
	    "t.yaml:1:14: http.port: port must be 1..65535, got 0");
	check_error("http:\n  bind: 'a b'\n",
	    "t.yaml:2:9: http.bind: invalid host 'a b'");
	check_error("http:\n  tls_cert: /c.pem\n",
	    "t.yaml:2:3: http: tls_cert and tls_key must be given together");
	check_error("http:\n  metrics_public: maybe\n",
	    "t.yaml:2:19: http.metrics_public: expected true or false, got "
	    "'maybe'");
	check_error("http:\n  users_file: ''\n",
	    "t.yaml:2:15: http.users_file: must not be empty");
	check_error(
	    "http: [1]\n", "t.yaml:1:7: http: expected a mapping, got a list");
}
END_TEST

static Suite *
config_http_suite(void)
{
	Suite       *s = suite_create("config_http");
	const TTest *tests[] = {without_the_block_the_server_is_off,
	    an_empty_block_is_on_with_the_defaults, every_field_is_read,
	    errors_name_the_field_line_and_column, NULL};

	mc_check_tcase(s, "http", tests);
	return s;
}

int
main(void)
{
	return mc_check_run(config_http_suite());
}
