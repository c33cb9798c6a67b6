/* sys_files.h - the file-system calls the worker needs beyond
 * common/os/sys_fs.h: list a flat directory, copy a file durably, empty and
 * remove a flat directory, create an empty marker. Raw syscalls for the
 * worker live here only. Errors carry the OS message in err
 * ("open /x/y: Permission denied"). Thread-safe. */
#ifndef MC_WORKER_SYS_FILES_H
#define MC_WORKER_SYS_FILES_H

#include <stddef.h>
#include <stdio.h>

#include "base/mc_err.h"

/* sys_files_list - names of the regular files in dir whose name does not
 * start with '.', sorted (strcmp). Folders are skipped. Anything else (a
 * symbolic link, to a file or a folder, a FIFO, a socket, a device) is
 * MC_EREFUSED with its name and kind in err, and so is a dir that is
 * itself a link: a module's output must never make us read or send a
 * file it could not reach itself. Nothing is opened but dir. On MC_OK
 * *names is a new array of n new strings (n may be 0), freed with
 * sys_files_free(). */
MC_NODISCARD mc_err sys_files_list(
    const char *dir, char ***names, size_t *n, char *err, size_t errlen);
void sys_files_free(char **names, size_t n); /* NULL: no-op */

/* sys_files_copy - copy src to dst (created or truncated, mode from
 * sys_fs.h); with SYS_FILES_SYNC in flags dst is fsynced. Neither is
 * opened through a link, and both must be regular files (MC_EREFUSED
 * otherwise; a FIFO is never waited on). On error dst may be partial;
 * the caller removes it. */
enum { SYS_FILES_NOSYNC = 0, SYS_FILES_SYNC = 1 };
MC_NODISCARD mc_err sys_files_copy(
    const char *src, const char *dst, int flags, char *err, size_t errlen);

/* sys_files_fopen - path opened for reading as a stdio stream, never
 * through a link and only if it is a regular file (see
 * sys_open_regular; a FIFO is never waited on). NULL with the reason in
 * err otherwise. */
FILE *sys_files_fopen(const char *path, char *err, size_t errlen);

/* sys_files_count_entries - entries of dir (files and folders) whose name
 * does not start with '.' and is none of skip[0..n_skip). */
MC_NODISCARD mc_err sys_files_count_entries(const char *dir,
    const char *const *skip, size_t n_skip, size_t *count, char *err,
    size_t errlen);

/* sys_files_last_line - the last non-empty line of path at or after byte
 * offset into buf (cut to len - 1; "" when none or unreadable). */
void sys_files_last_line(
    const char *path, unsigned long long offset, char *buf, size_t len);

/* sys_files_rename - rename(2) with "rename a to b: why" in err. */
MC_NODISCARD mc_err sys_files_rename(
    const char *from, const char *to, char *err, size_t errlen);

/* sys_files_mkdir - mkdir(path) (mode from sys_fs.h); existing is an
 * error (MC_EEXIST). */
MC_NODISCARD mc_err sys_files_mkdir(
    const char *path, char *err, size_t errlen);

/* sys_files_touch - create an empty file (existing: kept), fsync it; a
 * link or anything but a regular file there is MC_EREFUSED. */
MC_NODISCARD mc_err sys_files_touch(
    const char *path, char *err, size_t errlen);

/* sys_files_remove_dir - remove every entry of a flat dir (files only)
 * and the dir itself. A missing dir is MC_OK; a dir that is a link is
 * MC_EREFUSED (the folder it points to is never touched). */
MC_NODISCARD mc_err sys_files_remove_dir(
    const char *dir, char *err, size_t errlen);

/* sys_files_writable_dir - MC_OK when path is a directory we can write to;
 * MC_ENOENT / other errors with err filled. */
MC_NODISCARD mc_err sys_files_writable_dir(
    const char *path, char *err, size_t errlen);

#endif
