/* multipart.h - a multipart/related request body of whole files (DICOMweb
 * STOW-RS, PS3.18 8.6.1.2), produced piece by piece from the files so
 * that a batch of large instances is never held in memory, with its
 * length known before the first byte (multipart.c). No I/O library: the
 * dicomweb target feeds multipart_read() to libcurl's read callback. */
#ifndef MC_WORKER_MULTIPART_H
#define MC_WORKER_MULTIPART_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/mc_err.h"

#define MULTIPART_BOUNDARY_MAX_LEN 40
#define MULTIPART_PART_TYPE "application/dicom"

typedef struct multipart_seg {
	const char *text; /* NULL: the file at path */
	const char *path;
	int64_t     len;
} multipart_seg;

typedef struct multipart {
	multipart_seg *seg;
	size_t         n, cur;
	int64_t        off; /* within seg[cur] */
	FILE          *f;   /* open while reading a file segment */
	int64_t        total;
	bool           read_error;
	char           open_part[128], close_all[64];
} multipart;

/* multipart_boundary - a fresh boundary ("mercure-c-" + hex) into buf. */
void multipart_boundary(char *buf, size_t len);

/* multipart_init - a body of the n files (paths borrowed; each file's
 * size taken now) with boundary (copied). MC_EIO (a file cannot be
 * stat'ed: err names it), MC_ENOMEM. Call multipart_fini() either way. */
MC_NODISCARD mc_err multipart_init(multipart *m, const char *const *paths,
    size_t n, const char *boundary, char *err, size_t errlen);

/* multipart_read - up to len next bytes of the body into buf; 0 at the
 * end. On a read error (a file shrank or vanished) m->read_error is set
 * and 0 is returned. */
size_t multipart_read(multipart *m, char *buf, size_t len);

void multipart_fini(multipart *m);

#endif
