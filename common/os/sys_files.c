/* sys_files.c - directory listing, durable copies and flat directory
 * removal for the worker (the rest is common/os/sys_fs.c). Every error text
 * is "<syscall> <path>: <strerror>", what an operator needs to fix it. */
#include "os/sys_files.h"

#include "os/sys_fs.h"

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SYS_FILES_COPY_BUF 65536
#define SYS_FILES_TAIL_MAX 4096

static mc_err
os_err(char *err, size_t errlen, const char *what, const char *path, int e)
{
	snprintf(err, errlen, "%s %s: %s", what, path, strerror(e));
	return mc_from_errno(e);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

void
sys_files_free(char **names, size_t n)
{
	if (names == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static mc_err
push_name(char ***names, size_t *n, size_t *cap, const char *name)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		char **nn = realloc(*names, nc * sizeof(*nn));
		if (nn == NULL)
			return MC_ENOMEM;
		*names = nn;
		*cap = nc;
	}
	if (((*names)[*n] = strdup(name)) == NULL)
		return MC_ENOMEM;
	(*n)++;
	return MC_OK;
}

/* what an entry of a listed folder is, without following it */
static int
entry_mode(int dfd, const struct dirent *e, unsigned *mode)
{
	struct stat st;

	if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return -1;
	*mode = (unsigned) st.st_mode;
	return 0;
}

static mc_err
refuse(char *err, size_t errlen, const char *dir, const char *name,
    const char *kind)
{
	snprintf(err, errlen,
	    "%s/%s is %s: only regular files are taken (refused)", dir, name,
	    kind[0] ? kind : "not a regular file");
	return MC_EREFUSED;
}

/* dir itself, never through a link (a module may have replaced its
 * output folder by one) */
static mc_err
open_dir(const char *dir, DIR **out, char *err, size_t errlen)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	*out = NULL;
	if (fd < 0 && (errno == ELOOP || errno == ENOTDIR)) {
		struct stat st;
		snprintf(err, errlen, "%s is %s, not a folder: refused", dir,
		    lstat(dir, &st) == 0 ? sys_file_kind(st.st_mode)
		                         : "not a folder");
		return MC_EREFUSED;
	}
	if (fd < 0)
		return os_err(err, errlen, "open", dir, errno);
	if ((*out = fdopendir(fd)) == NULL) {
		int e = errno;
		close(fd);
		return os_err(err, errlen, "opendir", dir, e);
	}
	return MC_OK;
}

mc_err
sys_files_list(
    const char *dir, char ***names, size_t *n, char *err, size_t errlen)
{
	DIR           *d;
	struct dirent *e;
	size_t         cap = 0;
	unsigned       mode = 0;
	mc_err         rv;

	*names = NULL;
	*n = 0;
	if ((rv = open_dir(dir, &d, err, errlen)) != MC_OK)
		return rv;
	while (rv == MC_OK && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (entry_mode(dirfd(d), e, &mode) != 0) {
			rv = os_err(err, errlen, "stat", e->d_name, errno);
		} else if (S_ISREG(mode)) {
			if ((rv = push_name(names, n, &cap, e->d_name)) !=
			    MC_OK)
				snprintf(err, errlen, "listing %s: %s", dir,
				    mc_strerror(rv));
		} else if (!S_ISDIR(mode)) {
			rv = refuse(
			    err, errlen, dir, e->d_name, sys_file_kind(mode));
		}
	}
	closedir(d);
	if (rv != MC_OK) {
		sys_files_free(*names, *n);
		*names = NULL;
		*n = 0;
		return rv;
	}
	if (*n > 1)
		qsort(*names, *n, sizeof(**names), cmp_names);
	return MC_OK;
}

static mc_err
copy_fd(int in, int out, const char *src, const char *dst, char *err,
    size_t errlen)
{
	char buf[SYS_FILES_COPY_BUF];

	for (;;) {
		ssize_t r = read(in, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return os_err(err, errlen, "read", src, errno);
		if (r == 0)
			return MC_OK;
		for (ssize_t off = 0; off < r;) {
			ssize_t w = write(out, buf + off, (size_t) (r - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return os_err(
				    err, errlen, "write", dst, errno);
			off += w;
		}
	}
}

/* sys_open_regular() with the error text of this file */
static mc_err
open_plain(const char *path, int flags, int *fd, char *err, size_t errlen)
{
	const char *kind;
	mc_err      rv = sys_open_regular(path, flags, fd, &kind);

	if (rv == MC_EREFUSED)
		snprintf(err, errlen,
		    "%s is %s: only regular files are taken (refused)", path,
		    kind[0] ? kind : "not a regular file");
	else if (rv != MC_OK)
		snprintf(err, errlen, "%s %s: %s",
		    (flags & O_CREAT) ? "create" : "open", path,
		    mc_strerror(rv));
	return rv;
}

FILE *
sys_files_fopen(const char *path, char *err, size_t errlen)
{
	FILE *f;
	int   fd;

	if (open_plain(path, O_RDONLY, &fd, err, errlen) != MC_OK)
		return NULL;
	if ((f = fdopen(fd, "rb")) == NULL) {
		os_err(err, errlen, "open", path, errno);
		close(fd);
	}
	return f;
}

mc_err
sys_files_copy(
    const char *src, const char *dst, int flags, char *err, size_t errlen)
{
	int    in, out;
	mc_err rv;

	if ((rv = open_plain(src, O_RDONLY, &in, err, errlen)) != MC_OK)
		return rv;
	if ((rv = open_plain(dst, O_WRONLY | O_CREAT | O_TRUNC, &out, err,
	         errlen)) != MC_OK) {
		close(in);
		return rv;
	}

	rv = copy_fd(in, out, src, dst, err, errlen);
	if (rv == MC_OK && (flags & SYS_FILES_SYNC) && fsync(out) != 0)
		rv = os_err(err, errlen, "fsync", dst, errno);
	if (close(out) != 0 && rv == MC_OK)
		rv = os_err(err, errlen, "close", dst, errno);
	close(in);
	return rv;
}

mc_err
sys_files_touch(const char *path, char *err, size_t errlen)
{
	int    fd;
	mc_err rv;

	if ((rv = open_plain(path, O_WRONLY | O_CREAT, &fd, err, errlen)) !=
	    MC_OK)
		return rv;
	if (fsync(fd) != 0)
		rv = os_err(err, errlen, "fsync", path, errno);
	close(fd);
	return rv;
}

mc_err
sys_files_remove_dir(const char *dir, char *err, size_t errlen)
{
	DIR           *d;
	struct dirent *e;
	mc_err         rv;

	/* opened without following a link, entries removed relative to
	 * that descriptor: a link planted under this name never makes us
	 * empty the folder it points to */
	if ((rv = open_dir(dir, &d, err, errlen)) != MC_OK)
		return rv == MC_ENOENT ? MC_OK : rv;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) != 0 && rv == MC_OK)
			rv = os_err(err, errlen, "unlink", e->d_name, errno);
	}
	closedir(d);
	if (rv == MC_OK && rmdir(dir) != 0)
		rv = os_err(err, errlen, "rmdir", dir, errno);
	return rv;
}

mc_err
sys_files_writable_dir(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return os_err(err, errlen, "stat", path, errno);
	if (!S_ISDIR(st.st_mode))
		return os_err(err, errlen, "open", path, ENOTDIR);
	if (access(path, W_OK | X_OK) != 0)
		return os_err(err, errlen, "access", path, errno);
	return MC_OK;
}

static bool
is_skipped(const char *name, const char *const *skip, size_t n_skip)
{
	if (name[0] == '.')
		return true;
	for (size_t i = 0; i < n_skip; i++)
		if (strcmp(name, skip[i]) == 0)
			return true;
	return false;
}

mc_err
sys_files_count_entries(const char *dir, const char *const *skip,
    size_t n_skip, size_t *count, char *err, size_t errlen)
{
	DIR           *d = opendir(dir);
	struct dirent *e;

	*count = 0;
	if (d == NULL)
		return os_err(err, errlen, "opendir", dir, errno);
	while ((e = readdir(d)) != NULL)
		if (!is_skipped(e->d_name, skip, n_skip))
			(*count)++;
	closedir(d);
	return MC_OK;
}

void
sys_files_last_line(
    const char *path, unsigned long long offset, char *buf, size_t len)
{
	char        tail[SYS_FILES_TAIL_MAX + 1];
	struct stat st;
	ssize_t     r;
	off_t       from;
	int         fd;
	char       *end, *start;

	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) <
	    0)
		return;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (unsigned long long) st.st_size <= offset) {
		close(fd);
		return;
	}
	from = st.st_size - (off_t) offset > SYS_FILES_TAIL_MAX
	           ? st.st_size - SYS_FILES_TAIL_MAX
	           : (off_t) offset;
	r = pread(fd, tail, SYS_FILES_TAIL_MAX, from);
	close(fd);
	if (r <= 0)
		return;
	tail[r] = '\0';
	end = tail + r;
	while (end > tail &&
	       (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		*--end = '\0';
	start = strrchr(tail, '\n');
	start = start ? start + 1 : tail;
	snprintf(buf, len, "%s", start);
}

mc_err
sys_files_rename(const char *from, const char *to, char *err, size_t errlen)
{
	if (rename(from, to) == 0)
		return MC_OK;
	int e = errno;
	snprintf(err, errlen, "rename %s to %s: %s", from, to, strerror(e));
	return mc_from_errno(e);
}

mc_err
sys_files_mkdir(const char *path, char *err, size_t errlen)
{
	if (mkdir(path, SYS_DIR_MODE_MAX) == 0)
		return MC_OK;
	return os_err(err, errlen, "mkdir", path, errno);
}
