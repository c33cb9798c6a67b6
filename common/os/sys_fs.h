/* sys_fs.h - the file-system primitives every part uses: durable writes,
 * atomic replacement, directories. Raw file syscalls live here and in
 * the other sys_* files only. All functions are thread-safe. */
#ifndef MC_COMMON_SYS_FS_H
#define MC_COMMON_SYS_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/mc_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* MC_PATH_MAX - the longest path, with its NUL, that any part builds or
 * accepts: Linux's PATH_MAX. A longer one is refused with MC_ENAMETOOLONG
 * by sys_path_fmt, never cut. */
#define MC_PATH_MAX 4096

/* Creation modes. Files are created asking for at most SYS_FILE_MODE_MAX
 * and folders for at most SYS_DIR_MODE_MAX, never for anything for
 * "other" users, whatever the umask; the umask set from the config's
 * file_mode (sys_fs_apply_file_mode) narrows that to 0600/0700 by
 * default. Patient data must not be readable by every local user. */
#define SYS_FILE_MODE_MAX 0660
#define SYS_DIR_MODE_MAX 0770
#define SYS_FILE_MODE_DEFAULT 0600

/* sys_file_mode_is_valid - mode is one of 0600, 0640, 0660. */
bool sys_file_mode_is_valid(unsigned mode);
/* sys_fs_apply_file_mode - set the process umask so that new files get
 * mode and new folders mode plus x wherever it has r (0600 -> 0700,
 * 0640 -> 0750, 0660 -> 0770). MC_EINVAL for a mode that is not valid
 * (the umask is then 077). Call once at start, before any thread. */
MC_NODISCARD mc_err sys_fs_apply_file_mode(unsigned mode);
/* sys_fs_file_mode - the file mode the last sys_fs_apply_file_mode() or
 * sys_fs_follow_dir_mode() set (SYS_FILE_MODE_DEFAULT before): for a
 * file made by a call that ignores the umask (mkstemp makes 0600), which
 * is then given this mode with fchmod. */
unsigned sys_fs_file_mode(void);
/* sys_fs_follow_dir_mode - sys_fs_apply_file_mode() with the group bits
 * of the existing folder dir (made under the configured mode by the
 * coordinator): for a program that has no config, such as the worker.
 * The umask is 077 when dir cannot be read. */
MC_NODISCARD mc_err sys_fs_follow_dir_mode(const char *dir);

/* sys_open_regular - open path with flags (O_RDONLY, O_WRONLY|O_CREAT..;
 * O_NOFOLLOW, O_NONBLOCK and O_CLOEXEC are added; created files ask for
 * SYS_FILE_MODE_MAX) and make sure it is a regular file (fstat after the
 * open, so that nothing can be swapped in between). A symbolic link, a
 * FIFO (never waited on), a socket, a device or a folder is MC_EREFUSED
 * and the kind of the file is in *kind (a constant, "" when not known).
 * On MC_OK *fd is open, blocking, and the caller closes it. */
MC_NODISCARD mc_err sys_open_regular(
    const char *path, int flags, int *fd, const char **kind);
/* sys_file_kind - "a symbolic link", "a FIFO", "a socket", "a device",
 * "a folder", "a regular file" for a st_mode (constant text). */
const char *sys_file_kind(unsigned st_mode);

/* sys_mkdir_p - create dir and its parents (SYS_DIR_MODE_MAX under the
 * umask); existing is OK. */
MC_NODISCARD mc_err sys_mkdir_p(const char *dir);
/* sys_fsync_path - open path read-only and fsync it (file or dir). */
MC_NODISCARD mc_err sys_fsync_path(const char *path);
/* sys_write_file_atomic - write data to "<path>.tmp.<pid>", fsync, rename
 * over path, fsync the directory. Readers see the old or the new file,
 * never a part. */
MC_NODISCARD mc_err sys_write_file_atomic(
    const char *path, const void *data, size_t len);
/* sys_write_file_private - sys_write_file_atomic() for a file that may
 * hold secrets: the temporary file is made in path's folder with mode
 * 0600 whatever the umask, and given the owner and group of the file it
 * replaces (when that file exists and they differ from ours; an error if it
 * cannot be: mc_from_errno), so an edit keeps who may read it. */
MC_NODISCARD mc_err sys_write_file_private(
    const char *path, const void *data, size_t len);
/* sys_write_file_sync - create or truncate path (never through a link:
 * MC_EREFUSED, see sys_open_regular), write data, fsync.
 * Not atomic: for files inside a folder that is itself renamed into
 * place afterwards (then one rename replaces a rename per file). */
MC_NODISCARD mc_err sys_write_file_sync(
    const char *path, const void *data, size_t len);
/* sys_append - append len bytes with one write(2) to an O_APPEND file,
 * creating it (never through a link, see sys_open_regular). sync holds
 * flags: SYS_SYNC_DATA, fdatasync after; SYS_APPEND_OWNER_ONLY, the file
 * is made (or narrowed to) 0600 whatever the umask, for records no group
 * member may read. A short write is undone by truncation so the file
 * never ends in a torn record that we wrote. */
enum { SYS_SYNC_NONE = 0, SYS_SYNC_DATA = 1, SYS_APPEND_OWNER_ONLY = 2 };
MC_NODISCARD mc_err sys_append(
    const char *path, const void *data, size_t len, int sync);
/* sys_read_file - read a whole regular file (a symbolic link to one is
 * followed: secrets are often mounted as links; a FIFO or a device is
 * MC_EREFUSED, never waited on); *out is malloc'ed and NUL-terminated
 * (*len excludes the NUL). Caller frees. */
MC_NODISCARD mc_err sys_read_file(const char *path, char **out, size_t *len);
/* sys_read_plain_file - sys_read_file() for a file someone else may have
 * put there (a module's output): a link is refused too (MC_EREFUSED),
 * and a file over max_len bytes is MC_EINVAL. */
MC_NODISCARD mc_err sys_read_plain_file(
    const char *path, size_t max_len, char **out, size_t *len);
/* sys_file_size - size of path in bytes. */
MC_NODISCARD mc_err sys_file_size(const char *path, uint64_t *size);
/* sys_dirname_of - the directory part of path into buf ("." if none). */
void sys_dirname_of(const char *path, char *buf, size_t len);
/* sys_basename_of - pointer to the last component of path (borrowed). */
const char *sys_basename_of(const char *path);
/* sys_path_fmt - snprintf for paths: MC_EINVAL when the result does not
 * fit in buf (it is then truncated, never used for a file name). */
MC_NODISCARD mc_err sys_path_fmt(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* sys_remove_tree - remove path and everything below it (no symlink is
 * followed). A missing path is MC_OK. */
MC_NODISCARD mc_err sys_remove_tree(const char *path);
/* sys_exists - lstat(path) succeeded. */
bool sys_exists(const char *path);
/* sys_now_us - wall clock, microseconds since the Unix epoch. */
int64_t sys_now_us(void);

#ifdef __cplusplus
}
#endif

#endif
