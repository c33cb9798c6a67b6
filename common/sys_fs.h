/* sys_fs.h - the file-system primitives every part uses: durable writes,
 * atomic replacement, directories. Raw file syscalls live here and in
 * the other sys_* files only. All functions are thread-safe. */
#ifndef MC_COMMON_SYS_FS_H
#define MC_COMMON_SYS_FS_H

#include <stddef.h>
#include <stdint.h>

#include "mc_err.h"

/* sys_mkdir_p - create dir and its parents (mode 0755); existing is OK. */
MC_NODISCARD mc_err sys_mkdir_p(const char *dir);
/* sys_fsync_path - open path read-only and fsync it (file or dir). */
MC_NODISCARD mc_err sys_fsync_path(const char *path);
/* sys_write_file_atomic - write data to "<path>.tmp.<pid>", fsync, rename
 * over path, fsync the directory. Readers see the old or the new file,
 * never a part. */
MC_NODISCARD mc_err sys_write_file_atomic(const char *path, const void *data,
    size_t len);
/* sys_write_file_sync - create or truncate path, write data, fsync.
 * Not atomic: for files inside a folder that is itself renamed into
 * place afterwards (then one rename replaces a rename per file). */
MC_NODISCARD mc_err sys_write_file_sync(const char *path, const void *data,
    size_t len);
/* sys_append - append len bytes with one write(2) to an O_APPEND file,
 * creating it (0644). With sync set to SYS_SYNC_DATA, fdatasync after. A
 * short write is undone by truncation so the file never ends in a torn
 * record that we wrote. */
enum { SYS_SYNC_NONE = 0, SYS_SYNC_DATA = 1 };
MC_NODISCARD mc_err sys_append(const char *path, const void *data,
    size_t len, int sync);
/* sys_read_file - read a whole file; *out is malloc'ed and NUL-terminated
 * (*len excludes the NUL). Caller frees. */
MC_NODISCARD mc_err sys_read_file(const char *path, char **out, size_t *len);
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
#include <stdbool.h>
bool sys_exists(const char *path);
/* sys_now_us - wall clock, microseconds since the Unix epoch. */
int64_t sys_now_us(void);

#endif
