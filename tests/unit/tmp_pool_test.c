/* tmp_pool_test.c - pre-written temp files: what the refill thread makes,
 * and what recovery does with each state a crash can leave a file in. */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "check_tmpdir.h"

#include "os/sys_fs.h"
#include "tmp_pool.h"

#define DATA_LEN 9000
#define WAIT_MS 10000

static void
fill(unsigned char *buf, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char) ((i * 31u + seed * 7u) ^ (i >> 8));
}

static uint64_t
size_of(const char *path)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	return (uint64_t) st.st_size;
}

static bool
all_zero(const char *path)
{
	FILE *f = fopen(path, "rb");
	int   c;
	bool  z = true;

	ck_assert_ptr_nonnull(f);
	while ((c = fgetc(f)) != EOF)
		z = z && c == 0;
	fclose(f);
	return z;
}

static unsigned
count_files(void)
{
	DIR           *d = opendir(mc_check_tmpdir);
	struct dirent *de;
	unsigned       n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.' ||
		     strncmp(de->d_name, TMP_POOL_PREFIX,
		         strlen(TMP_POOL_PREFIX)) == 0;
	closedir(d);
	return n;
}

/* new_pool - a pool on the test folder, sharing flushes, with no free
 * space floor (this machine's /tmp may be fuller than the default's) */
static tmp_pool *
new_pool(void)
{
	tmp_pool *p = NULL;
	char      err[256] = "";

	ck_assert_msg(tmp_pool_create(mc_check_tmpdir, true, &p, err,
	                  sizeof(err)) == MC_OK,
	    "tmp_pool_create: %s", err);
	tmp_pool_set_floor(p, 0, 0);
	return p;
}

/* open_ready - the first request for a size gets nothing and starts a
 * refill; a later one gets a file. */
static int
open_ready(tmp_pool *p, uint64_t hint, char *path, uint64_t *prealloc)
{
	int fd = -1;

	for (int ms = 0; ms < WAIT_MS && fd < 0; ms += 10) {
		fd = tmp_pool_open(p, hint, path, 4096, prealloc);
		if (fd < 0)
			usleep(10000);
	}
	ck_assert_int_ge(fd, 0);
	return fd;
}

/* write_instance - a pool file holding DATA_LEN bytes, as the receive
 * path leaves it before sealing */
static void
write_instance(
    tmp_pool *p, char *path, uint64_t *prealloc, unsigned char *data)
{
	int fd = open_ready(p, DATA_LEN, path, prealloc);

	fill(data, DATA_LEN, 3);
	ck_assert_int_eq(write(fd, data, DATA_LEN), DATA_LEN);
	ck_assert_int_eq(close(fd), 0);
}

static void
assert_content(const char *path, const unsigned char *data, size_t n)
{
	unsigned char got[DATA_LEN + 1];
	FILE         *f = fopen(path, "rb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fread(got, 1, sizeof(got), f), n);
	fclose(f);
	ck_assert_int_eq(memcmp(got, data, n), 0);
}

START_TEST(no_file_for_first_image_or_large_ones)
{
	tmp_pool *p;
	char      path[MC_PATH_MAX];
	uint64_t  pre = 1;

	p = new_pool();
	ck_assert_int_eq(tmp_pool_open(p, 0, path, sizeof(path), &pre), -1);
	ck_assert_uint_eq(pre, 0);
	ck_assert_int_eq(
	    tmp_pool_open(p, TMP_POOL_MAX_BYTES, path, sizeof(path), &pre),
	    -1);
	usleep(200000);
	ck_assert_int_eq(
	    tmp_pool_open(p, TMP_POOL_MAX_BYTES, path, sizeof(path), &pre),
	    -1);
	ck_assert_int_eq(
	    tmp_pool_open(NULL, 100, path, sizeof(path), &pre), -1);
	tmp_pool_destroy(p);
	ck_assert_uint_eq(count_files(), 0);
}
END_TEST

START_TEST(spares_are_zero_block_multiples_and_go_with_the_pool)
{
	tmp_pool *p;
	char      path[MC_PATH_MAX];
	uint64_t  pre;
	int       fd;

	p = new_pool();
	fd = open_ready(p, DATA_LEN, path, &pre);
	close(fd);
	ck_assert_uint_ge(pre, DATA_LEN + TMP_POOL_TRAILER_LEN);
	ck_assert_uint_eq(pre % 4096, 0);
	ck_assert_uint_le(pre, DATA_LEN * 2);
	ck_assert_uint_eq(size_of(path), pre);
	ck_assert(all_zero(path));
	ck_assert_uint_gt(count_files(), 1); /* spares besides ours */
	tmp_pool_destroy(p);
	ck_assert_uint_eq(count_files(), 1); /* only the one we took */
	ck_assert(tmp_pool_recover(path) == TMP_POOL_UNUSED);
	ck_assert_uint_eq(count_files(), 0);
}
END_TEST

START_TEST(sealed_but_not_cut_is_restored)
{
	tmp_pool     *p;
	char          path[MC_PATH_MAX];
	unsigned char data[DATA_LEN];
	uint64_t      pre;

	p = new_pool();
	write_instance(p, path, &pre, data);
	ck_assert(tmp_pool_fits(DATA_LEN, pre));
	ck_assert_int_eq(tmp_pool_seal(p, path, DATA_LEN, pre), MC_OK);
	ck_assert_uint_eq(size_of(path), pre); /* the crash came here */
	tmp_pool_destroy(p);
	ck_assert(tmp_pool_recover(path) == TMP_POOL_RESTORED);
	ck_assert_uint_eq(size_of(path), DATA_LEN);
	assert_content(path, data, DATA_LEN);
}
END_TEST

START_TEST(sealed_and_cut_is_an_ordinary_file)
{
	tmp_pool     *p;
	char          path[MC_PATH_MAX];
	unsigned char data[DATA_LEN];
	uint64_t      pre;

	p = new_pool();
	write_instance(p, path, &pre, data);
	ck_assert_int_eq(tmp_pool_seal(p, path, DATA_LEN, pre), MC_OK);
	ck_assert_int_eq(tmp_pool_trim(path, DATA_LEN), MC_OK);
	tmp_pool_destroy(p);
	ck_assert(tmp_pool_recover(path) == TMP_POOL_NOT_POOL);
	ck_assert_uint_eq(size_of(path), DATA_LEN);
	assert_content(path, data, DATA_LEN);
}
END_TEST

START_TEST(unsealed_or_torn_data_is_removed)
{
	tmp_pool     *p;
	char          a[MC_PATH_MAX], b[MC_PATH_MAX];
	unsigned char data[DATA_LEN];
	uint64_t      pre;
	int           fd;

	p = new_pool();
	/* a: the transfer ended without a seal: never acknowledged */
	write_instance(p, a, &pre, data);
	/* b: sealed, then one data block did not reach the disk */
	write_instance(p, b, &pre, data);
	ck_assert_int_eq(tmp_pool_seal(p, b, DATA_LEN, pre), MC_OK);
	fd = open(b, O_WRONLY);
	ck_assert_int_eq(pwrite(fd, "\0\0\0\0", 4, 5000), 4);
	close(fd);
	tmp_pool_destroy(p);
	ck_assert(tmp_pool_recover(a) == TMP_POOL_UNUSED);
	ck_assert(tmp_pool_recover(b) == TMP_POOL_UNUSED);
	ck_assert(!sys_exists(a));
	ck_assert(!sys_exists(b));
}
END_TEST

START_TEST(data_without_room_for_the_trailer_is_refused)
{
	tmp_pool     *p;
	char          path[MC_PATH_MAX];
	unsigned char data[DATA_LEN];
	uint64_t      pre;

	p = new_pool();
	write_instance(p, path, &pre, data);
	ck_assert(!tmp_pool_fits(pre - TMP_POOL_TRAILER_LEN + 1, pre));
	ck_assert(tmp_pool_fits(pre - TMP_POOL_TRAILER_LEN, pre));
	ck_assert_int_eq(tmp_pool_seal(p, path, pre - 1, pre), MC_EINVAL);
	ck_assert_int_eq(tmp_pool_seal(p, path, pre + 1, pre), MC_EINVAL);
	tmp_pool_destroy(p);
}
END_TEST

START_TEST(other_files_are_left_alone)
{
	char  path[MC_PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/.rcv-abcdef", mc_check_tmpdir);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	fputs("not a pool file", f);
	fclose(f);
	ck_assert(tmp_pool_recover(path) == TMP_POOL_NOT_POOL);
	ck_assert_uint_eq(size_of(path), 15);
	/* a pool name whose file outgrew its size: parse decides */
	snprintf(path, sizeof(path), "%s/%s4096-1-1", mc_check_tmpdir,
	    TMP_POOL_PREFIX);
	f = fopen(path, "wb");
	for (int i = 0; i < 5000; i++)
		fputc('x', f);
	fclose(f);
	ck_assert(tmp_pool_recover(path) == TMP_POOL_NOT_POOL);
	ck_assert_uint_eq(size_of(path), 5000);
}
END_TEST

START_TEST(many_sizes_keep_a_bounded_pool)
{
	tmp_pool *p;
	char      path[MC_PATH_MAX];
	uint64_t  pre;

	p = new_pool();
	for (unsigned k = 1; k <= 8; k++) {
		int fd = open_ready(p, k * 20000, path, &pre);
		close(fd);
		ck_assert_int_eq(unlink(path), 0);
	}
	usleep(300000);
	/* four sizes at most, each at most 8 MiB or 64 files of spares */
	ck_assert_uint_le(count_files(), 4 * 64);
	tmp_pool_destroy(p);
	ck_assert_uint_eq(count_files(), 0);
}
END_TEST

/* Below the free space floor no spare is made: here the floor is the
 * whole file system, then more bytes than any disk has. The same
 * requests with no floor get files. */
START_TEST(no_spares_below_the_free_space_floor)
{
	tmp_pool *p = new_pool();
	char      path[MC_PATH_MAX];
	uint64_t  prealloc;

	tmp_pool_set_floor(p, 0, 100);
	for (int i = 0; i < 20; i++) {
		ck_assert_int_lt(
		    tmp_pool_open(p, DATA_LEN, path, sizeof(path), &prealloc),
		    0);
		usleep(10000);
	}
	ck_assert_uint_eq(count_files(), 0);
	tmp_pool_set_floor(p, UINT64_MAX, 0);
	for (int i = 0; i < 20; i++) {
		ck_assert_int_lt(
		    tmp_pool_open(p, DATA_LEN, path, sizeof(path), &prealloc),
		    0);
		usleep(10000);
	}
	ck_assert_uint_eq(count_files(), 0);
	tmp_pool_set_floor(p, 0, 0);
	close(open_ready(p, DATA_LEN, path, &prealloc));
	unlink(path);
	tmp_pool_destroy(p);
}
END_TEST

/* An image that needs the space gets every spare back, and no new one
 * is made while the hold lasts. */
START_TEST(give_back_removes_every_spare_and_holds_refills)
{
	tmp_pool *p = new_pool();
	char      path[MC_PATH_MAX];
	uint64_t  prealloc;
	unsigned  before;

	close(open_ready(p, DATA_LEN, path, &prealloc));
	unlink(path);
	for (int ms = 0; ms < WAIT_MS && count_files() < 2; ms += 10)
		usleep(10000);
	before = count_files();
	ck_assert_uint_ge(before, 2);
	/* the ready ones, and a round under way stops and drops its own
	 * before the give-back returns */
	ck_assert(tmp_pool_give_back(p));
	ck_assert_uint_eq(count_files(), 0);
	for (int i = 0; i < 20; i++) {
		ck_assert_int_lt(
		    tmp_pool_open(p, DATA_LEN, path, sizeof(path), &prealloc),
		    0);
		usleep(10000);
	}
	ck_assert_uint_eq(count_files(), 0);
	/* nothing left to give */
	ck_assert(!tmp_pool_give_back(p));
	ck_assert(!tmp_pool_give_back(NULL));
	tmp_pool_destroy(p);
}
END_TEST

START_TEST(floors_parse_as_percent_or_size)
{
	uint64_t b;
	unsigned pct;

	ck_assert_int_eq(tmp_pool_parse_floor("5%", &b, &pct), MC_OK);
	ck_assert_uint_eq(pct, 5);
	ck_assert_uint_eq(b, 0);
	ck_assert_int_eq(tmp_pool_parse_floor("512M", &b, &pct), MC_OK);
	ck_assert_uint_eq(b, 512ull << 20);
	ck_assert_uint_eq(pct, 0);
	ck_assert_int_eq(tmp_pool_parse_floor("0", &b, &pct), MC_OK);
	ck_assert_uint_eq(b, 0);
	ck_assert_int_eq(tmp_pool_parse_floor("2G", &b, &pct), MC_OK);
	ck_assert_uint_eq(b, 2ull << 30);
	ck_assert_int_eq(tmp_pool_parse_floor("101%", &b, &pct), MC_EINVAL);
	ck_assert_int_eq(tmp_pool_parse_floor("-1", &b, &pct), MC_EINVAL);
	ck_assert_int_eq(tmp_pool_parse_floor("5x", &b, &pct), MC_EINVAL);
	ck_assert_int_eq(tmp_pool_parse_floor("", &b, &pct), MC_EINVAL);
	ck_assert_int_eq(
	    tmp_pool_parse_floor("99999999999G", &b, &pct), MC_EINVAL);
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("tmp_pool");
	const TTest *pool[] = {no_file_for_first_image_or_large_ones,
	    spares_are_zero_block_multiples_and_go_with_the_pool,
	    sealed_but_not_cut_is_restored, sealed_and_cut_is_an_ordinary_file,
	    unsealed_or_torn_data_is_removed,
	    data_without_room_for_the_trailer_is_refused,
	    other_files_are_left_alone, many_sizes_keep_a_bounded_pool,
	    no_spares_below_the_free_space_floor,
	    give_back_removes_every_spare_and_holds_refills,
	    floors_parse_as_percent_or_size, NULL};

	tcase_set_timeout(mc_check_tmpdir_tcase(s, "pool", pool), 60);
	return mc_check_run(s);
}
