/* sys_files.h - the file-system calls the worker needs beyond
 * common/sys_fs.h: list a flat directory, copy a file durably, empty and
 * remove a flat directory, create an empty marker. Raw syscalls for the
 * worker live here only. Errors carry the OS message in err
 * ("open /x/y: Permission denied"). Thread-safe. */
#ifndef MC_WORKER_SYS_FILES_H
#define MC_WORKER_SYS_FILES_H

#include <stddef.h>

#include "mc_err.h"

/* sys_files_list - names of the regular files in dir whose name does not
 * start with '.', sorted (strcmp). On MC_OK *names is a new array of n
 * new strings (n may be 0), freed with sys_files_free(). */
MC_NODISCARD mc_err sys_files_list(const char *dir, char ***names, size_t *n,
                                   char *err, size_t errlen);
void                sys_files_free(char **names, size_t n); /* NULL: no-op */

/* sys_files_copy - copy src to dst (created or truncated, 0644), fsync
 * dst. On error dst may be partial; the caller removes it. */
MC_NODISCARD mc_err sys_files_copy(const char *src, const char *dst, char *err,
                                   size_t errlen);

/* sys_files_touch - create an empty file (existing: kept), fsync it. */
MC_NODISCARD mc_err sys_files_touch(const char *path, char *err,
                                    size_t errlen);

/* sys_files_remove_dir - remove every entry of a flat dir (files only)
 * and the dir itself. A missing dir is MC_OK. */
MC_NODISCARD mc_err sys_files_remove_dir(const char *dir, char *err,
                                         size_t errlen);

/* sys_files_writable_dir - MC_OK when path is a directory we can write to;
 * MC_ENOENT / other errors with err filled. */
MC_NODISCARD mc_err sys_files_writable_dir(const char *path, char *err,
                                           size_t errlen);

#endif
