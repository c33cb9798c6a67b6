/* zip_stored.h - a zip archive of whole files, stored without
 * compression, produced piece by piece from the files so that a series is
 * never copied to disk or held in memory, with its length known before
 * the first byte (zip_stored.c). No I/O library: the xnat target feeds
 * zip_stored_read() to libcurl's read callback. */
#ifndef MC_WORKER_ZIP_STORED_H
#define MC_WORKER_ZIP_STORED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/mc_err.h"

/* No ZIP64: each member and the whole archive stay below 4 GiB, and there
 * are at most 65535 members. */
#define ZIP_STORED_MAX_BYTES 0xFFFFFFFEu
#define ZIP_STORED_MAX_MEMBERS 0xFFFFu
#define ZIP_STORED_NAME_MAX_LEN 255

typedef struct zip_stored zip_stored;

/* zip_stored_create - an archive of the n files at paths (borrowed until
 * destroy), member i named names[i] (copied; at most
 * ZIP_STORED_NAME_MAX_LEN bytes). Each file is read once now for its
 * size and CRC-32. MC_EIO (a file cannot be read: err names it),
 * MC_EINVAL (over the limits above, or an empty or too long name: err
 * says which), MC_ENOMEM. *out is NULL on failure. */
MC_NODISCARD mc_err zip_stored_create(const char *const *paths,
    const char *const *names, size_t n, zip_stored **out, char *err,
    size_t errlen);

/* zip_stored_size - the archive's length in bytes. */
int64_t zip_stored_size(const zip_stored *z);

/* zip_stored_read - up to len next bytes of the archive into buf; 0 at
 * the end. On a read error (a file shrank, grew or vanished since
 * create) zip_stored_failed() turns true and 0 is returned. */
size_t zip_stored_read(zip_stored *z, char *buf, size_t len);
bool   zip_stored_failed(const zip_stored *z);

/* zip_stored_destroy - close and free; NULL: no-op. */
void zip_stored_destroy(zip_stored *z);

#endif
