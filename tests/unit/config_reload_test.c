/* config_reload_test.c - a reload's parse runs beside the caller: a
 * file that takes a long time to parse does not hold it, and the result
 * (a configuration, or the findings) is handed over once done. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "check_tmpdir.h"

#include "core/config_reload.h"
#include "os/sys_fs.h"

#define SLOW_FILE_SCALARS 16000 /* 16 MB of settings: ~0.3 s to parse */
#define DONE_WAIT_S 60
#define CALL_MAX_MS 250.0 /* start and done return at once (loaded host) */

static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double) t.tv_sec * 1e3 + (double) t.tv_nsec / 1e6;
}

/* write_slow_file - a module whose settings are 16 MB of text: parsed
 * in full, then refused for the settings' 1 MB cap */
static void
write_slow_file(const char *path)
{
	FILE *f = fopen(path, "w");
	char  value[1001];

	ck_assert_ptr_nonnull(f);
	memset(value, 'y', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	fprintf(f, "modules:\n  m:\n    docker_tag: x\n    settings:\n");
	for (int i = 0; i < SLOW_FILE_SCALARS; i++)
		fprintf(f, "      k%d: %s\n", i, value);
	ck_assert_int_eq(fclose(f), 0);
}

static config_reload *
wait_done(config_reload *r)
{
	double t0 = now_ms(), dt;
	int    polls = 0;

	for (;;) {
		double c0 = now_ms();
		bool   done = config_reload_done(r);
		dt = now_ms() - c0;
		ck_assert_msg(
		    dt < CALL_MAX_MS, "config_reload_done took %.1f ms", dt);
		if (done)
			break;
		polls++;
		ck_assert_msg(now_ms() - t0 < DONE_WAIT_S * 1e3, "not done");
		usleep(5000);
	}
	ck_assert_int_gt(polls, 0); /* it was running while we went on */
	return r;
}

START_TEST(a_slow_file_is_parsed_beside_the_caller)
{
	char           path[128];
	config_reload *r = NULL;
	double         t0;

	snprintf(path, sizeof(path), "%s/mercure.yaml", mc_check_tmpdir);
	write_slow_file(path);
	t0 = now_ms();
	ck_assert_int_eq(config_reload_start(path, "test", &r), MC_OK);
	ck_assert_double_lt(now_ms() - t0, CALL_MAX_MS);
	wait_done(r);
	ck_assert_int_eq(r->rv, MC_ECONFIG);
	ck_assert_ptr_null(r->cfg);
	ck_assert_uint_ge(r->n_diags, 1);
	ck_assert_str_eq(r->diags[0].d.msg, "value too large (over 1048576 "
	                                    "bytes)");
	ck_assert_str_eq(r->why, "test");
	config_reload_free(r);
}
END_TEST

START_TEST(a_valid_file_hands_over_its_configuration)
{
	char           path[128];
	config_reload *r = NULL;
	mc_config     *cfg;
	FILE          *f;

	snprintf(path, sizeof(path), "%s/mercure.yaml", mc_check_tmpdir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fprintf(f, "port: 11113\n");
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(config_reload_start(path, "SIGHUP", &r), MC_OK);
	while (!config_reload_done(r))
		usleep(1000);
	ck_assert_int_eq(r->rv, MC_OK);
	ck_assert_ptr_nonnull(cfg = r->cfg);
	ck_assert_uint_eq(cfg->port, 11113);
	r->cfg = NULL; /* taken */
	config_reload_free(r);
	config_destroy(cfg);
}
END_TEST

/* Freeing a load still under way waits for it and leaks nothing. */
START_TEST(free_while_loading_waits)
{
	char           path[128];
	config_reload *r = NULL;

	snprintf(path, sizeof(path), "%s/mercure.yaml", mc_check_tmpdir);
	write_slow_file(path);
	ck_assert_int_eq(config_reload_start(path, "test", &r), MC_OK);
	config_reload_free(r);
	config_reload_free(NULL);
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("config_reload");
	const TTest *reload[] = {a_slow_file_is_parsed_beside_the_caller,
	    a_valid_file_hands_over_its_configuration,
	    free_while_loading_waits, NULL};

	tcase_set_timeout(
	    mc_check_tmpdir_tcase(s, "reload", reload), DONE_WAIT_S + 30);
	return mc_check_run(s);
}
