/* sys_fs.c - durable and atomic file operations. Everything that must
 * survive a crash goes through here: write a temp file, fsync it, rename
 * it into place, fsync the directory. */
#include "os/sys_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#define SYS_UMASK_DEFAULT 077

/* written once at start, before any thread, by the program's main */
static unsigned g_file_mode = SYS_FILE_MODE_DEFAULT;

unsigned
sys_fs_file_mode(void)
{
	return g_file_mode;
}

bool
sys_file_mode_is_valid(unsigned mode)
{
	return mode == 0600 || mode == 0640 || mode == 0660;
}

mc_err
sys_fs_apply_file_mode(unsigned mode)
{
	unsigned dir;

	if (!sys_file_mode_is_valid(mode)) {
		umask(SYS_UMASK_DEFAULT);
		g_file_mode = SYS_FILE_MODE_DEFAULT;
		return MC_EINVAL;
	}
	g_file_mode = mode;
	dir = mode | ((mode & 0444) >> 2);
	umask((mode_t) (0777 & ~dir));
	return MC_OK;
}

mc_err
sys_fs_follow_dir_mode(const char *dir)
{
	struct stat st;

	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		umask(SYS_UMASK_DEFAULT);
		g_file_mode = SYS_FILE_MODE_DEFAULT;
		return mc_from_errno(errno ? errno : ENOTDIR);
	}
	return sys_fs_apply_file_mode(0600 | ((unsigned) st.st_mode & 0060));
}

const char *
sys_file_kind(unsigned st_mode)
{
	switch (st_mode & S_IFMT) {
	case S_IFREG:
		return "a regular file";
	case S_IFLNK:
		return "a symbolic link";
	case S_IFIFO:
		return "a FIFO";
	case S_IFSOCK:
		return "a socket";
	case S_IFCHR:
	case S_IFBLK:
		return "a device";
	case S_IFDIR:
		return "a folder";
	default:
		return "not a regular file";
	}
}

/* open(2) never waits on a FIFO here (O_NONBLOCK), never follows a link
 * at the last component (O_NOFOLLOW: ELOOP), and what was opened is
 * judged by fstat on the descriptor, so a swap after a check is moot */
static mc_err
open_regular_mode(const char *path, int flags, unsigned mode, int *fd,
    const char **kind, struct stat *out)
{
	struct stat st;
	int         f, e;

	*fd = -1;
	*kind = "";
	f = open(path, flags | O_NONBLOCK | O_CLOEXEC, (mode_t) mode);
	if (f < 0) {
		e = errno;
		if (e == ELOOP && (flags & O_NOFOLLOW)) {
			*kind = "a symbolic link";
			return MC_EREFUSED;
		}
		/* a FIFO without a reader, a socket */
		if (e == ENXIO || e == ENODEV) {
			*kind = lstat(path, &st) == 0
			            ? sys_file_kind(st.st_mode)
			            : "";
			return MC_EREFUSED;
		}
		return mc_from_errno(e);
	}
	if (fstat(f, &st) != 0) {
		e = errno;
		close(f);
		return mc_from_errno(e);
	}
	if (!S_ISREG(st.st_mode)) {
		*kind = sys_file_kind(st.st_mode);
		close(f);
		return MC_EREFUSED;
	}
	/* back to blocking; O_APPEND is the only status flag we pass */
	if (fcntl(f, F_SETFL, flags & O_APPEND) != 0) {
		e = errno;
		close(f);
		return mc_from_errno(e);
	}
	if (out != NULL)
		*out = st;
	*fd = f;
	return MC_OK;
}

static mc_err
open_regular(
    const char *path, int flags, int *fd, const char **kind, struct stat *out)
{
	return open_regular_mode(
	    path, flags, SYS_FILE_MODE_MAX, fd, kind, out);
}

mc_err
sys_open_regular(const char *path, int flags, int *fd, const char **kind)
{
	return open_regular(path, flags | O_NOFOLLOW, fd, kind, NULL);
}

mc_err
sys_mkdir_p(const char *dir)
{
	char   buf[MC_PATH_MAX];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(buf))
		return MC_EINVAL;
	memcpy(buf, dir, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, SYS_DIR_MODE_MAX) != 0 && errno != EEXIST)
			return mc_from_errno(errno);
		*p = '/';
	}
	if (mkdir(buf, SYS_DIR_MODE_MAX) != 0 && errno != EEXIST)
		return mc_from_errno(errno);
	return MC_OK;
}

mc_err
sys_fsync_path(const char *path)
{
	int    fd = open(path, O_RDONLY | O_CLOEXEC);
	mc_err rv = MC_OK;

	if (fd < 0)
		return mc_from_errno(errno);
	if (fsync(fd) != 0)
		rv = mc_from_errno(errno);
	close(fd);
	return rv;
}

void
sys_dirname_of(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t      n;

	if (slash == NULL) {
		snprintf(buf, len, ".");
		return;
	}
	n = (size_t) (slash - path);
	if (n == 0)
		n = 1; /* "/x" -> "/" */
	if (n >= len)
		n = len - 1;
	memcpy(buf, path, n);
	buf[n] = '\0';
}

const char *
sys_basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static mc_err
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return mc_from_errno(errno);
		}
		p += w;
		len -= (size_t) w;
	}
	return MC_OK;
}

/* put_in_place - the last step of an atomic write: the flushed temp file
 * renamed over path and the folder flushed; when rv (the writing) or the
 * rename failed, the temp file is removed and the error returned */
static mc_err
put_in_place(const char *tmp, const char *path, mc_err rv)
{
	char dir[MC_PATH_MAX];

	if (rv == MC_OK && rename(tmp, path) != 0)
		rv = mc_from_errno(errno);
	if (rv != MC_OK) {
		unlink(tmp);
		return rv;
	}
	sys_dirname_of(path, dir, sizeof(dir));
	return sys_fsync_path(dir);
}

mc_err
sys_write_file_atomic(const char *path, const void *data, size_t len)
{
	char tmp[MC_PATH_MAX];

	if ((size_t) snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path,
	        (long) getpid()) >= sizeof(tmp))
		return MC_EINVAL;
	return put_in_place(tmp, path, sys_write_file_sync(tmp, data, len));
}

mc_err
sys_write_file_sync(const char *path, const void *data, size_t len)
{
	const char *kind;
	int         fd;
	mc_err      rv;

	if ((rv = sys_open_regular(
	         path, O_WRONLY | O_CREAT | O_TRUNC, &fd, &kind)) != MC_OK)
		return rv;
	rv = write_all(fd, data, len);
	if (rv == MC_OK && fsync(fd) != 0)
		rv = mc_from_errno(errno);
	if (close(fd) != 0 && rv == MC_OK)
		rv = mc_from_errno(errno);
	return rv;
}

mc_err
sys_append(const char *path, const void *data, size_t len, int sync)
{
	int         fd;
	struct stat st;
	const char *kind;
	unsigned    mode =
            (sync & SYS_APPEND_OWNER_ONLY) ? 0600 : SYS_FILE_MODE_MAX;
	mc_err rv;

	if ((rv = open_regular_mode(path,
	         O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, mode, &fd, &kind,
	         &st)) != MC_OK)
		return rv;
	/* a file made before (or by hand) with group bits is narrowed before
	 * anything is written to it */
	if ((st.st_mode & 077) != 0 && (sync & SYS_APPEND_OWNER_ONLY) &&
	    fchmod(fd, 0600) != 0) {
		rv = mc_from_errno(errno);
		close(fd);
		return rv;
	}
	rv = write_all(fd, data, len);
	/* A failed append (ENOSPC) must not leave half a record: cut back
	 * to where we started. Concurrent appenders write whole records
	 * with one write(2) each, so the cut only removes our own bytes
	 * unless another record raced in after ours; readers skip a line
	 * that does not parse, so the worst case is one lost record that
	 * the coordinator finds again from the DICOM file. */
	if (rv != MC_OK && ftruncate(fd, st.st_size) != 0)
		rv = MC_EIO;
	if (rv == MC_OK && (sync & SYS_SYNC_DATA) && fdatasync(fd) != 0)
		rv = mc_from_errno(errno);
	if (close(fd) != 0 && rv == MC_OK)
		rv = mc_from_errno(errno);
	return rv;
}

static mc_err
read_fd(int fd, size_t max_len, char **out, size_t *len)
{
	struct stat st;
	char       *buf;
	size_t      got = 0;

	if (fstat(fd, &st) != 0)
		return mc_from_errno(errno);
	if ((uint64_t) st.st_size > (uint64_t) max_len)
		return MC_EINVAL;
	if ((buf = malloc((size_t) st.st_size + 1)) == NULL)
		return MC_ENOMEM;
	while (got < (size_t) st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t) st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t) r;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return MC_OK;
}

static mc_err
read_regular(
    const char *path, int nofollow, size_t max_len, char **out, size_t *len)
{
	const char *kind;
	int         fd;
	mc_err      rv;

	*out = NULL;
	*len = 0;
	if ((rv = open_regular(path, O_RDONLY | nofollow, &fd, &kind, NULL)) !=
	    MC_OK)
		return rv;
	rv = read_fd(fd, max_len, out, len);
	close(fd);
	return rv;
}

mc_err
sys_read_file(const char *path, char **out, size_t *len)
{
	return read_regular(path, 0, SIZE_MAX - 1, out, len);
}

mc_err
sys_read_plain_file(const char *path, size_t max_len, char **out, size_t *len)
{
	return read_regular(path, O_NOFOLLOW, max_len, out, len);
}

mc_err
sys_file_size(const char *path, uint64_t *size)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return mc_from_errno(errno);
	*size = (uint64_t) st.st_size;
	return MC_OK;
}

int64_t
sys_now_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t) tv.tv_sec * 1000000 + tv.tv_usec;
}

mc_err
sys_path_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int     n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return (n < 0 || (size_t) n >= len) ? MC_EINVAL : MC_OK;
}

static int
remove_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void) st;
	(void) flag;
	(void) ftw;
	return remove(p) == 0 || errno == ENOENT ? 0 : -1;
}

mc_err
sys_remove_tree(const char *path)
{
	if (!sys_exists(path))
		return MC_OK;
	if (nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		return mc_from_errno(errno);
	return MC_OK;
}

bool
sys_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

mc_err
sys_write_file_private(const char *path, const void *data, size_t len)
{
	char        tmp[MC_PATH_MAX];
	struct stat st;
	bool        chown_to = stat(path, &st) == 0 &&
	                (st.st_uid != geteuid() || st.st_gid != getegid());
	int    fd;
	mc_err rv;

	if ((size_t) snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >=
	    sizeof(tmp))
		return MC_EINVAL;
	if ((fd = mkstemp(tmp)) < 0)
		return mc_from_errno(errno);
	rv = fchmod(fd, 0600) != 0 ? mc_from_errno(errno) : MC_OK;
	if (rv == MC_OK && chown_to && fchown(fd, st.st_uid, st.st_gid) != 0)
		rv = mc_from_errno(errno);
	if (rv == MC_OK)
		rv = write_all(fd, data, len);
	if (rv == MC_OK && fsync(fd) != 0)
		rv = mc_from_errno(errno);
	if (close(fd) != 0 && rv == MC_OK)
		rv = mc_from_errno(errno);
	return put_in_place(tmp, path, rv);
}
