/* tmp_slot.c - temp folder slots held by flock (see tmp_slot.h). */
#include "tmp_slot.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "os/sys_fs.h"

struct tmp_slot {
	char     storage[MC_PATH_MAX];
	char     dir[MC_PATH_MAX];
	unsigned number;
	int      lock_fd;
	/* the sweeper */
	pthread_t           thread;
	bool                running;
	bool                stop;
	pthread_mutex_t     mu;
	pthread_cond_t      cv;
	unsigned            interval_s;
	tmp_slot_recover_fn fn;
	void               *ctx;
};

static mc_err
slot_dir(const char *storage, unsigned n, char *buf, size_t len)
{
	return n == 1 ? sys_path_fmt(buf, len, "%s/tmp", storage)
	              : sys_path_fmt(buf, len, "%s/tmp.%u", storage, n);
}

/* try_lock - the slot's lock, taken without waiting; -1 when another
 * process holds it or the folder cannot be used */
static int
try_lock(const char *dir)
{
	char path[MC_PATH_MAX];
	int  fd;

	if (sys_path_fmt(path, sizeof(path), "%s/" TMP_SLOT_LOCK, dir) !=
	        MC_OK ||
	    (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	         SYS_FILE_MODE_MAX)) < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

mc_err
tmp_slot_claim(const char *storage, tmp_slot **out)
{
	tmp_slot *s;
	unsigned  n;
	mc_err    rv;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return MC_ENOMEM;
	s->lock_fd = -1;
	if ((rv = sys_path_fmt(
	         s->storage, sizeof(s->storage), "%s", storage)) != MC_OK) {
		free(s);
		return rv;
	}
	for (n = 1; n <= TMP_SLOT_MAX && s->lock_fd < 0; n++) {
		if ((rv = slot_dir(storage, n, s->dir, sizeof(s->dir))) !=
		        MC_OK ||
		    (rv = sys_mkdir_p(s->dir)) != MC_OK) {
			free(s);
			return rv;
		}
		if ((s->lock_fd = try_lock(s->dir)) >= 0)
			s->number = n;
	}
	if (s->lock_fd < 0) {
		free(s);
		return MC_EAGAIN;
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	*out = s;
	return MC_OK;
}

const char *
tmp_slot_dir(const tmp_slot *s)
{
	return s->dir;
}

unsigned
tmp_slot_number(const tmp_slot *s)
{
	return s->number;
}

unsigned
tmp_slot_sweep(const tmp_slot *s, tmp_slot_recover_fn fn, void *ctx)
{
	char        dir[MC_PATH_MAX];
	struct stat st;
	unsigned    n, swept = 0;
	int         fd;

	for (n = 1; n <= TMP_SLOT_MAX; n++) {
		if (n == s->number ||
		    slot_dir(s->storage, n, dir, sizeof(dir)) != MC_OK ||
		    lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		if ((fd = try_lock(dir)) < 0)
			continue; /* a live receiver's */
		log_info("event=tmp_slot.recover slot=%u dir=%s", n, dir);
		fn(ctx, dir);
		swept++;
		flock(fd, LOCK_UN);
		close(fd);
	}
	return swept;
}

static void *
sweeper_main(void *arg)
{
	tmp_slot       *s = arg;
	struct timespec until;

	pthread_mutex_lock(&s->mu);
	while (!s->stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t) s->interval_s;
		while (!s->stop &&
		       pthread_cond_timedwait(&s->cv, &s->mu, &until) == 0)
			;
		if (s->stop)
			break;
		pthread_mutex_unlock(&s->mu);
		(void) tmp_slot_sweep(s, s->fn, s->ctx);
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

mc_err
tmp_slot_sweeper_start(
    tmp_slot *s, unsigned interval_s, tmp_slot_recover_fn fn, void *ctx)
{
	if (s->running || interval_s == 0)
		return MC_EINVAL;
	s->interval_s = interval_s;
	s->fn = fn;
	s->ctx = ctx;
	if (pthread_create(&s->thread, NULL, sweeper_main, s) != 0)
		return MC_ENOMEM;
	s->running = true;
	return MC_OK;
}

void
tmp_slot_destroy(tmp_slot *s)
{
	if (s == NULL)
		return;
	if (s->running) {
		pthread_mutex_lock(&s->mu);
		s->stop = true;
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->thread, NULL);
	}
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	flock(s->lock_fd, LOCK_UN);
	close(s->lock_fd);
	free(s);
}
