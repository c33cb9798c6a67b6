/* retention_test.c - the retention pass removes the HTTP API's request
 * files (retrievals/, target_tests/) once every file of a request is
 * older than `retention`, keeps a request whose log still changed
 * recently, and never touches a name the API did not hand out. A coord
 * is assembled with only what retention_timer reads: the root, the
 * configuration, no audit trail. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "check_main.h"
#include "check_tmpdir.h"

#include "core/coord_int.h"
#include "http/http_loop_qr.h"
#include "os/sys_fs.h"

#define OLD_ID "0a1b2c3d-0000-4000-8000-000000000001"
#define NEW_ID "0a1b2c3d-0000-4000-8000-000000000002"
#define LOG_ID "0a1b2c3d-0000-4000-8000-000000000003"

/* put - root/dir/name with mtime age_s seconds ago */
static void
put(const char *dir, const char *name, time_t age_s)
{
	char            p[MC_PATH_MAX];
	struct timespec ts[2];

	ck_assert_int_eq(
	    sys_path_fmt(p, sizeof(p), "%s/%s", mc_check_tmpdir, dir), MC_OK);
	ck_assert_int_eq(sys_mkdir_p(p), MC_OK);
	ck_assert_int_eq(
	    sys_path_fmt(p, sizeof(p), "%s/%s/%s", mc_check_tmpdir, dir, name),
	    MC_OK);
	ck_assert_int_eq(sys_write_file_atomic(p, "{}", 2), MC_OK);
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - age_s;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	ck_assert_int_eq(utimensat(AT_FDCWD, p, ts, 0), 0);
}

static bool
there(const char *dir, const char *name)
{
	char p[MC_PATH_MAX];

	ck_assert_int_eq(
	    sys_path_fmt(p, sizeof(p), "%s/%s/%s", mc_check_tmpdir, dir, name),
	    MC_OK);
	return sys_exists(p);
}

START_TEST(old_requests_go_recent_and_foreign_files_stay)
{
	static const char *const dirs[] = {
	    HTTP_RETRIEVALS_DIR, HTTP_TARGET_TESTS_DIR};
	mc_config cfg;
	coord    *c = calloc(1, sizeof(*c));

	ck_assert_ptr_nonnull(c);
	memset(&cfg, 0, sizeof(cfg));
	cfg.retention_s = 3600;
	c->cfg = &cfg;
	snprintf(c->root, sizeof(c->root), "%s", mc_check_tmpdir);
	for (size_t i = 0; i < 2; i++) {
		put(dirs[i], OLD_ID ".json", 7200);
		put(dirs[i], OLD_ID ".log", 7200);
		put(dirs[i], OLD_ID ".exit", 7200);
		put(dirs[i], NEW_ID ".json", 10);
		put(dirs[i], NEW_ID ".log", 10);
		/* an old request whose child still writes its log */
		put(dirs[i], LOG_ID ".json", 7200);
		put(dirs[i], LOG_ID ".log", 5);
		put(dirs[i], "notes.txt", 7200);
		put(dirs[i], "..hidden", 7200);
	}
	ck_assert_int_eq(
	    retention_timer(NULL, c), COORD_RETENTION_INTERVAL_MS);
	for (size_t i = 0; i < 2; i++) {
		ck_assert(!there(dirs[i], OLD_ID ".json"));
		ck_assert(!there(dirs[i], OLD_ID ".log"));
		ck_assert(!there(dirs[i], OLD_ID ".exit"));
		ck_assert(there(dirs[i], NEW_ID ".json"));
		ck_assert(there(dirs[i], NEW_ID ".log"));
		ck_assert(there(dirs[i], LOG_ID ".json"));
		ck_assert(there(dirs[i], LOG_ID ".log"));
		ck_assert(there(dirs[i], "notes.txt"));
		ck_assert(there(dirs[i], "..hidden"));
	}
	free(c);
}
END_TEST

START_TEST(no_request_folders_is_fine)
{
	mc_config cfg;
	coord    *c = calloc(1, sizeof(*c));

	ck_assert_ptr_nonnull(c);
	memset(&cfg, 0, sizeof(cfg));
	cfg.retention_s = 1;
	c->cfg = &cfg;
	snprintf(c->root, sizeof(c->root), "%s", mc_check_tmpdir);
	ck_assert_int_eq(
	    retention_timer(NULL, c), COORD_RETENTION_INTERVAL_MS);
	free(c);
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("retention");
	const TTest *tests[] = {old_requests_go_recent_and_foreign_files_stay,
	    no_request_folders_is_fine, NULL};

	mc_check_tmpdir_tcase(s, "requests", tests);
	return mc_check_run(s);
}
