/* tmp_pool.c - pre-written temp files (see tmp_pool.h for why).
 *
 * One mutex guards the classes (sizes in use) and their lists of ready
 * files; the refill thread writes new files without holding it and
 * publishes them only after one syncfs made their blocks and names
 * durable, so a published file never needs a journal commit again. */
#define _GNU_SOURCE /* syncfs(2): Linux */
#include "tmp_pool.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <zlib.h>

#include "flush_group.h"
#include "msg/instance.h"
#include "base/log.h"
#include "os/sys_fs.h"

#define POOL_CLASSES 4              /* distinct sizes kept at once */
#define POOL_CLASS_BYTES (8u << 20) /* ready files per class, in bytes */
#define POOL_FILES_MIN 8
#define POOL_FILES_MAX 128
#define POOL_ROUND 16 /* files made per round, per size */
#define POOL_NAME_MAX 64
#define POOL_BLOCK 4096u
#define POOL_RETRY_US 1000000 /* after a failed refill (disk full) */

static const unsigned char TRAILER_MAGIC[8] = {
    'M', 'C', 'P', 'O', 'O', 'L', '1', '\0'};

typedef struct pool_class {
	uint64_t size;                /* 0: slot free */
	char (*names)[POOL_NAME_MAX]; /* ready files, a stack */
	unsigned n, cap;
	int64_t  last_use_us;
} pool_class;

struct tmp_pool {
	char            dir[MC_PATH_MAX];
	int             dirfd;
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	pthread_t       thread;
	bool            started, stop, wanted;
	uint64_t        seq;
	uint64_t     taken, missed; /* opens served, opens with none ready */
	flush_group *flush;         /* NULL: each seal flushes alone */
	uint64_t     floor_bytes;   /* tmp_pool_set_floor */
	unsigned     floor_pct;
	bool         low;              /* below the floor (logged once) */
	_Atomic int64_t hold_until_us; /* no refill before (a give-back) */
	bool            round_busy;    /* a refill round is making files */
	pthread_cond_t  idle;          /* signalled when a round ends */
	pool_class      cls[POOL_CLASSES];
};

/* unlink_name - remove the pool file called name (in p->dir) */
static void
unlink_name(const tmp_pool *p, const char *name)
{
	char path[MC_PATH_MAX + POOL_NAME_MAX];

	if (sys_path_fmt(path, sizeof(path), "%s/%s", p->dir, name) == MC_OK)
		unlink(path);
}

static unsigned
files_for(uint64_t size)
{
	uint64_t n = POOL_CLASS_BYTES / size;

	return n < POOL_FILES_MIN   ? POOL_FILES_MIN
	       : n > POOL_FILES_MAX ? POOL_FILES_MAX
	                            : (unsigned) n;
}

/* class_for - the file size for an image of about hint bytes: room for a
 * little growth (images of a series differ by a few strings) and the
 * trailer, in whole blocks. 0: no pool file for this size. */
static uint64_t
class_for(uint64_t hint)
{
	uint64_t want = hint + hint / 16 + 256 + TMP_POOL_TRAILER_LEN;

	if (hint == 0)
		return 0;
	want = (want + POOL_BLOCK - 1) / POOL_BLOCK * POOL_BLOCK;
	return want > TMP_POOL_MAX_BYTES ? 0 : want;
}

static void
put_u32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char) (v >> (8 * i));
}

static void
put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char) (v >> (8 * i));
}

static uint64_t
get_u64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint32_t
get_u32(const unsigned char *p)
{
	return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 |
	       (uint32_t) p[3] << 24;
}

static uint32_t
crc_of(const void *p, size_t n)
{
	return (uint32_t) crc32(
	    crc32(0L, Z_NULL, 0), (const Bytef *) p, (uInt) n);
}

int
tmp_pool_data_crc(int fd, uint64_t n, uint32_t *out)
{
	unsigned char buf[64 * 1024];
	uLong         crc = crc32(0L, Z_NULL, 0);
	uint64_t      off = 0;

	while (off < n) {
		size_t want =
		    n - off < sizeof(buf) ? (size_t) (n - off) : sizeof(buf);
		ssize_t r = pread(fd, buf, want, (off_t) off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		crc = crc32(crc, buf, (uInt) r);
		off += (uint64_t) r;
	}
	*out = (uint32_t) crc;
	return 0;
}

/* Trailer: magic[8] bytes[8] data_crc[4] zero[8] trailer_crc[4] (LE). */
static void
trailer_encode(
    unsigned char t[TMP_POOL_TRAILER_LEN], uint64_t bytes, uint32_t dcrc)
{
	memset(t, 0, TMP_POOL_TRAILER_LEN);
	memcpy(t, TRAILER_MAGIC, sizeof(TRAILER_MAGIC));
	put_u64(t + 8, bytes);
	put_u32(t + 16, dcrc);
	put_u32(t + 28, crc_of(t, 28));
}

static bool
trailer_decode(const unsigned char t[TMP_POOL_TRAILER_LEN], uint64_t *bytes,
    uint32_t *dcrc)
{
	if (memcmp(t, TRAILER_MAGIC, sizeof(TRAILER_MAGIC)) != 0 ||
	    get_u32(t + 28) != crc_of(t, 28))
		return false;
	*bytes = get_u64(t + 8);
	*dcrc = get_u32(t + 16);
	return true;
}

bool
tmp_pool_fits(uint64_t bytes, uint64_t prealloc)
{
	return prealloc >= TMP_POOL_TRAILER_LEN &&
	       bytes <= prealloc - TMP_POOL_TRAILER_LEN;
}

static mc_err
pwrite_all(int fd, const void *p, size_t n, off_t off)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = pwrite(fd, c, n, off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return mc_from_errno(errno);
		c += w;
		n -= (size_t) w;
		off += w;
	}
	return MC_OK;
}

mc_err
tmp_pool_seal(tmp_pool *p, const char *path, uint64_t bytes, uint64_t prealloc)
{
	unsigned char t[TMP_POOL_TRAILER_LEN];
	uint32_t      dcrc;
	mc_err        rv = MC_OK;
	int           fd;

	if (!tmp_pool_fits(bytes, prealloc))
		return MC_EINVAL;
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
		return mc_from_errno(errno);
	if (tmp_pool_data_crc(fd, bytes, &dcrc) != 0)
		rv = MC_EIO;
	if (rv == MC_OK) {
		trailer_encode(t, bytes, dcrc);
		rv = pwrite_all(fd, t, sizeof(t),
		    (off_t) (prealloc - TMP_POOL_TRAILER_LEN));
	}
	/* the blocks were written and flushed before: data only, no
	 * journal commit (the one thing this file is here for) */
	if (rv == MC_OK && p != NULL && p->flush != NULL)
		rv = flush_group_sync(p->flush, fd, prealloc);
	else if (rv == MC_OK && fdatasync(fd) != 0)
		rv = mc_from_errno(errno);
	if (close(fd) != 0 && rv == MC_OK)
		rv = mc_from_errno(errno);
	return rv;
}

mc_err
tmp_pool_trim(const char *path, uint64_t bytes)
{
	return truncate(path, (off_t) bytes) == 0 ? MC_OK
	                                          : mc_from_errno(errno);
}

/* The size a pool file was made with, from its name; 0 if not one. */
static uint64_t
name_class(const char *path)
{
	const char *b = sys_basename_of(path);
	char       *end;

	if (strncmp(b, TMP_POOL_PREFIX, strlen(TMP_POOL_PREFIX)) != 0)
		return 0;
	errno = 0;
	unsigned long long v = strtoull(b + strlen(TMP_POOL_PREFIX), &end, 10);
	return errno == 0 && *end == '-' ? (uint64_t) v : 0;
}

tmp_pool_state
tmp_pool_recover(const char *path)
{
	uint64_t      cls = name_class(path), bytes;
	unsigned char t[TMP_POOL_TRAILER_LEN];
	uint32_t      want, got;
	struct stat   st;
	int           fd;
	bool          ok = false;

	if (cls == 0 || stat(path, &st) != 0 || (uint64_t) st.st_size != cls)
		return TMP_POOL_NOT_POOL; /* cut or outgrown: parse decides */
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) >= 0) {
		ok = pread(fd, t, sizeof(t), (off_t) (cls - sizeof(t))) ==
		         (ssize_t) sizeof(t) &&
		     trailer_decode(t, &bytes, &want) &&
		     tmp_pool_fits(bytes, cls) &&
		     tmp_pool_data_crc(fd, bytes, &got) == 0 && got == want &&
		     ftruncate(fd, (off_t) bytes) == 0 && fsync(fd) == 0;
		close(fd);
	}
	if (ok)
		return TMP_POOL_RESTORED;
	unlink(path);
	return TMP_POOL_UNUSED;
}

void
tmp_pool_set_floor(tmp_pool *p, uint64_t bytes, unsigned percent)
{
	pthread_mutex_lock(&p->mu);
	p->floor_bytes = bytes;
	p->floor_pct = percent > 100 ? 100 : percent;
	pthread_mutex_unlock(&p->mu);
}

mc_err
tmp_pool_parse_floor(const char *s, uint64_t *bytes, unsigned *percent)
{
	char              *end;
	unsigned long long v;
	unsigned           shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (end == s || errno != 0 || *s == '-')
		return MC_EINVAL;
	*bytes = 0;
	*percent = 0;
	if (strcmp(end, "%") == 0) {
		if (v > 100)
			return MC_EINVAL;
		*percent = (unsigned) v;
		return MC_OK;
	}
	switch (*end) {
	case 'K':
		shift = 10;
		end++;
		break;
	case 'M':
		shift = 20;
		end++;
		break;
	case 'G':
		shift = 30;
		end++;
		break;
	default:
		break;
	}
	if (*end != '\0' || v > (UINT64_MAX >> shift))
		return MC_EINVAL;
	*bytes = (uint64_t) v << shift;
	return MC_OK;
}

/* held - whether a give-back asked for no spares now */
static bool
held(tmp_pool *p)
{
	return sys_now_us() < atomic_load(&p->hold_until_us);
}

/* room_for_spares - the bytes spares may take before the free space of
 * the file system falls below the floor. mu held. */
static uint64_t
room_for_spares(tmp_pool *p)
{
	struct statvfs sv;
	uint64_t       total, avail, floor;

	if (fstatvfs(p->dirfd, &sv) != 0)
		return 0;
	total = (uint64_t) sv.f_blocks * sv.f_frsize;
	avail = (uint64_t) sv.f_bavail * sv.f_frsize;
	floor = total / 100 * p->floor_pct;
	if (floor < p->floor_bytes)
		floor = p->floor_bytes;
	if (avail <= floor) {
		if (!p->low)
			log_warn("event=tmp_pool.paused dir=%s free=%llu "
			         "floor=%llu msg=\"no spares below the free "
			         "space floor\"",
			    p->dir, (unsigned long long) avail,
			    (unsigned long long) floor);
		p->low = true;
		return 0;
	}
	p->low = false;
	return avail - floor;
}

/* ready_files - spares ready in every class. mu held. */
static unsigned
ready_files(const tmp_pool *p)
{
	unsigned n = 0;

	for (int i = 0; i < POOL_CLASSES; i++)
		n += p->cls[i].n;
	return n;
}

bool
tmp_pool_give_back(tmp_pool *p)
{
	unsigned n;

	if (p == NULL)
		return false;
	pthread_mutex_lock(&p->mu);
	if (ready_files(p) == 0 && !p->round_busy) {
		pthread_mutex_unlock(&p->mu);
		return false; /* nothing of ours takes space */
	}
	/* a round under way stops at its next file and removes what it
	 * made: wait for that, the image needs the space now */
	atomic_store(&p->hold_until_us,
	    sys_now_us() + (int64_t) TMP_POOL_HOLD_MS * 1000);
	while (p->round_busy)
		pthread_cond_wait(&p->idle, &p->mu);
	n = ready_files(p);
	for (int i = 0; i < POOL_CLASSES; i++) {
		for (unsigned k = 0; k < p->cls[i].n; k++)
			unlink_name(p, p->cls[i].names[k]);
		p->cls[i].n = 0;
	}
	pthread_mutex_unlock(&p->mu);
	log_warn("event=tmp_pool.given_back dir=%s files=%u "
	         "msg=\"an image needed the space\"",
	    p->dir, n);
	return true;
}

/* pool_class_find - the class for size, or a slot for it (the least
 * recently used one, whose files the thread removes). mu held. */
static pool_class *
pool_class_find(tmp_pool *p, uint64_t size, bool *is_new)
{
	pool_class *lru = &p->cls[0];

	*is_new = false;
	for (int i = 0; i < POOL_CLASSES; i++) {
		if (p->cls[i].size == size)
			return &p->cls[i];
		if (p->cls[i].last_use_us < lru->last_use_us)
			lru = &p->cls[i];
	}
	*is_new = true;
	return lru;
}

int
tmp_pool_open(tmp_pool *p, uint64_t size_hint, char *path, size_t pathlen,
    uint64_t *prealloc)
{
	uint64_t    size = class_for(size_hint);
	char        name[POOL_NAME_MAX] = "";
	pool_class *c;
	bool        is_new;
	int         fd;

	*prealloc = 0;
	if (p == NULL || size == 0)
		return -1;
	pthread_mutex_lock(&p->mu);
	c = pool_class_find(p, size, &is_new);
	if (is_new) {
		/* a size no longer arriving: its ready files go (a refill
		 * under way for it sees the size change and drops its own) */
		for (unsigned i = 0; i < c->n; i++)
			unlink_name(p, c->names[i]);
		c->size = size;
		c->n = 0;
	}
	c->last_use_us = sys_now_us();
	if (c->n > 0)
		memcpy(name, c->names[--c->n], POOL_NAME_MAX);
	if (name[0] != '\0')
		p->taken++;
	else
		p->missed++;
	/* refill early: a round takes a while */
	if (c->n < files_for(size) * 3 / 4) {
		p->wanted = true;
		pthread_cond_signal(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	if (name[0] == '\0' ||
	    sys_path_fmt(path, pathlen, "%s/%s", p->dir, name) != MC_OK)
		return -1;
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0) {
		unlink(path);
		return -1;
	}
	*prealloc = size;
	return fd;
}

/* make_file - one pre-written file of size bytes; 0 or an errno. */
static int
make_file(tmp_pool *p, uint64_t size, char name[POOL_NAME_MAX])
{
	static const char zeros[POOL_BLOCK];
	char              path[MC_PATH_MAX + POOL_NAME_MAX];
	int               fd, e = 0;

	snprintf(name, POOL_NAME_MAX, "%s%llu-%ld-%llu", TMP_POOL_PREFIX,
	    (unsigned long long) size, (long) getpid(),
	    (unsigned long long) ++p->seq);
	if (sys_path_fmt(path, sizeof(path), "%s/%s", p->dir, name) != MC_OK)
		return ENAMETOOLONG;
	if ((fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC,
	         SYS_FILE_MODE_MAX)) < 0)
		return errno;
	for (uint64_t off = 0; off < size && e == 0; off += POOL_BLOCK)
		if (pwrite_all(fd, zeros, POOL_BLOCK, (off_t) off) != MC_OK)
			e = errno ? errno : EIO;
	if (close(fd) != 0 && e == 0)
		e = errno;
	if (e != 0)
		unlink(path);
	return e;
}

/* refill - bring every class up to its target; files are listed only
 * after the syncfs that makes them durable. */
static void
refill(tmp_pool *p)
{
	uint64_t size[POOL_CLASSES];
	unsigned need[POOL_CLASSES];
	char(*made)[POOL_NAME_MAX] = NULL;
	unsigned nmade[POOL_CLASSES] = {0}, total = 0, at = 0;
	int      e = 0, se;
	uint64_t room;

	pthread_mutex_lock(&p->mu);
	p->wanted = false;
	room = held(p) ? 0 : room_for_spares(p);
	for (int i = 0; i < POOL_CLASSES; i++) {
		size[i] = p->cls[i].size;
		need[i] = size[i] && p->cls[i].n < files_for(size[i])
		              ? files_for(size[i]) - p->cls[i].n
		              : 0;
		/* small rounds: the first files of a new size are ready
		 * after one short batch, not after a whole pool */
		if (need[i] > POOL_ROUND)
			need[i] = POOL_ROUND;
		/* within the room the floor leaves */
		if (size[i] > 0 && need[i] > room / size[i])
			need[i] = (unsigned) (room / size[i]);
		room -= need[i] * size[i];
		total += need[i];
	}
	p->round_busy =
	    total > 0 && (made = calloc(total, sizeof(*made))) != NULL;
	pthread_mutex_unlock(&p->mu);
	if (made == NULL)
		return;
	for (int i = 0; i < POOL_CLASSES && e == 0; i++)
		for (; nmade[i] < need[i] && e == 0 && !held(p);
		     nmade[i]++, at++)
			if ((e = make_file(p, size[i], made[at])) != 0)
				break;
	/* the files made before a failure (the disk filled up) are whole:
	 * they are kept once durable */
	se = syncfs(p->dirfd) != 0 ? errno : 0;
	if (e == 0)
		e = se;
	pthread_mutex_lock(&p->mu);
	at = 0;
	for (int i = 0; i < POOL_CLASSES; i++) {
		pool_class *c = &p->cls[i];
		for (unsigned k = 0; k < nmade[i]; k++, at++) {
			/* a give-back during the round wants the space */
			bool keep = se == 0 && c->size == size[i] && !held(p);
			if (keep && c->n == c->cap) {
				unsigned ncap = c->cap ? c->cap * 2 : 16;
				void    *g = realloc(
				       c->names, ncap * sizeof(*c->names));
				keep = g != NULL;
				if (keep) {
					c->names = g;
					c->cap = ncap;
				}
			}
			if (keep)
				memcpy(
				    c->names[c->n++], made[at], POOL_NAME_MAX);
			else
				unlink_name(p, made[at]);
		}
	}
	for (int i = 0; i < POOL_CLASSES && e == 0 && !p->low && !held(p); i++)
		if (p->cls[i].size && p->cls[i].n < files_for(p->cls[i].size))
			p->wanted = true; /* more rounds until full */
	p->round_busy = false;
	pthread_cond_broadcast(&p->idle);
	pthread_mutex_unlock(&p->mu);
	free(made);
	if (e != 0) {
		log_warn("event=tmp_pool.refill_failed dir=%s msg=\"%s\" "
		         "action=\"ordinary temp files until it works\"",
		    p->dir, strerror(e));
		usleep(POOL_RETRY_US);
	}
}

static void *
refill_main(void *arg)
{
	tmp_pool *p = arg;

	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		if (!p->wanted) {
			pthread_cond_wait(&p->cv, &p->mu);
			continue;
		}
		pthread_mutex_unlock(&p->mu);
		refill(p);
		pthread_mutex_lock(&p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

mc_err
tmp_pool_create(const char *dir, bool share_flushes, tmp_pool **out, char *err,
    size_t errlen)
{
	tmp_pool *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (p == NULL) {
		mc_errf(err, errlen, "out of memory");
		return MC_ENOMEM;
	}
	mc_copy_text(p->dir, sizeof(p->dir), dir);
	p->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->dirfd < 0) {
		mc_errf(err, errlen, "%s: %s", dir, strerror(errno));
		free(p);
		return MC_EIO;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	pthread_cond_init(&p->idle, NULL);
	p->floor_bytes = TMP_POOL_MIN_FREE_BYTES;
	p->floor_pct = TMP_POOL_MIN_FREE_PCT;
	p->flush = share_flushes ? flush_group_create(dir) : NULL;
	if (pthread_create(&p->thread, NULL, refill_main, p) != 0) {
		mc_errf(err, errlen, "cannot start the refill thread");
		tmp_pool_destroy(p);
		return MC_ENOMEM;
	}
	p->started = true;
	*out = p;
	return MC_OK;
}

void
tmp_pool_stats(
    tmp_pool *p, uint64_t *taken, uint64_t *missed, uint64_t *flushes)
{
	*taken = *missed = *flushes = 0;
	if (p == NULL)
		return;
	*flushes = flush_group_flushes(p->flush);
	pthread_mutex_lock(&p->mu);
	*taken = p->taken;
	*missed = p->missed;
	pthread_mutex_unlock(&p->mu);
}

void
tmp_pool_destroy(tmp_pool *p)
{
	if (p == NULL)
		return;
	if (p->started) {
		pthread_mutex_lock(&p->mu);
		p->stop = true;
		pthread_cond_signal(&p->cv);
		pthread_mutex_unlock(&p->mu);
		pthread_join(p->thread, NULL);
	}
	for (int i = 0; i < POOL_CLASSES; i++) {
		for (unsigned k = 0; k < p->cls[i].n; k++)
			unlink_name(p, p->cls[i].names[k]);
		free(p->cls[i].names);
	}
	pthread_cond_destroy(&p->cv);
	pthread_cond_destroy(&p->idle);
	pthread_mutex_destroy(&p->mu);
	flush_group_destroy(p->flush);
	close(p->dirfd);
	free(p);
}
