/* flush_group_test.c - shared device flushes: every caller's data is
 * durable when it returns, rounds serve several callers, and file systems
 * where sync_file_range plus one flush is not enough get no group. */
#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "check_main.h"
#include "check_tmpdir.h"

#include "flush_group.h"
#include "os/sys_fs.h"

#define THREADS 4
#define SYNCS 50
#define FILE_LEN 8192

typedef struct worker {
	flush_group *g;
	int          n;
	int          ok;
	char         data[FILE_LEN];
} worker;

static void *
work(void *arg)
{
	worker *w = arg;
	char    path[128];
	int     fd;

	snprintf(path, sizeof(path), "%s/f%d", mc_check_tmpdir, w->n);
	fd = open(path, O_CREAT | O_RDWR, 0600);
	if (fd < 0)
		return NULL;
	for (int i = 0; i < SYNCS; i++) {
		memset(w->data, 'a' + (w->n + i) % 26, sizeof(w->data));
		if (pwrite(fd, w->data, sizeof(w->data), 0) !=
		        (ssize_t) sizeof(w->data) ||
		    flush_group_sync(w->g, fd, sizeof(w->data)) != MC_OK)
			break;
		w->ok++;
	}
	close(fd);
	return NULL;
}

static bool
on_ext4_or_xfs(const char *d)
{
	struct statfs sf;

	return statfs(d, &sf) == 0 &&
	       ((unsigned long) sf.f_type == 0xEF53u ||
	           (unsigned long) sf.f_type == 0x58465342u);
}

START_TEST(concurrent_callers_share_rounds)
{
	flush_group *g = flush_group_create(mc_check_tmpdir);
	pthread_t    t[THREADS];
	worker       w[THREADS];
	char         got[FILE_LEN];

	if (!on_ext4_or_xfs(mc_check_tmpdir)) {
		ck_assert_ptr_null(g);
		return;
	}
	ck_assert_ptr_nonnull(g);
	ck_assert_uint_eq(flush_group_flushes(g), 0);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (worker){.g = g, .n = i};
		ck_assert_int_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < THREADS; i++) {
		char  path[128];
		FILE *f;
		ck_assert_int_eq(w[i].ok, SYNCS);
		snprintf(path, sizeof(path), "%s/f%d", mc_check_tmpdir, i);
		f = fopen(path, "rb");
		ck_assert_ptr_nonnull(f);
		ck_assert_uint_eq(fread(got, 1, sizeof(got), f), FILE_LEN);
		fclose(f);
		ck_assert_int_eq(memcmp(got, w[i].data, FILE_LEN), 0);
	}
	/* at least one flush, never more than one per call */
	ck_assert_uint_ge(flush_group_flushes(g), 1);
	ck_assert_uint_le(flush_group_flushes(g), THREADS * SYNCS);
	flush_group_destroy(g);
}
END_TEST

START_TEST(tmpfs_gets_no_group)
{
	/* /dev/shm is a tmpfs on Debian; skip quietly where it is not */
	if (on_ext4_or_xfs("/dev/shm") || access("/dev/shm", W_OK) != 0)
		return;
	ck_assert_ptr_null(flush_group_create("/dev/shm"));
	ck_assert_ptr_null(flush_group_create("/nonexistent/dir"));
	flush_group_destroy(NULL);
	ck_assert_uint_eq(flush_group_flushes(NULL), 0);
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("flush_group");
	const TTest *group[] = {
	    concurrent_callers_share_rounds, tmpfs_gets_no_group, NULL};

	tcase_set_timeout(mc_check_tmpdir_tcase(s, "group", group), 60);
	return mc_check_run(s);
}
