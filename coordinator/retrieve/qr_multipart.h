/* qr_multipart.h - a streaming reader of a multipart/related body (RFC
 * 2046) as WADO-RS sends it: each part's content goes into a new file of
 * a folder, as it arrives, so that no instance is held in memory. Part
 * headers are bounded; the caller bounds the parts and bytes through the
 * begin callback. */
#ifndef MC_COORDINATOR_QR_MULTIPART_H
#define MC_COORDINATOR_QR_MULTIPART_H

#include <stddef.h>

#include "base/mc_err.h"

#define QR_MULTIPART_BOUNDARY_MAX 70 /* RFC 2046 */

typedef struct qr_multipart qr_multipart;

/* Called before each part: MC_OK lets it be written, anything else stops
 * the body with that error (err filled by the callback). */
typedef mc_err (*qr_multipart_begin_fn)(void *ctx, char *err, size_t errlen);

/* qr_multipart_create - a reader for the Content-Type header value ctype
 * (its boundary parameter) writing part n to dir/<prefix>-<n>.dcm. All
 * borrowed. MC_EPROTO when ctype is not multipart with a boundary. */
MC_NODISCARD mc_err qr_multipart_create(const char *ctype, const char *dir,
    const char *prefix, qr_multipart_begin_fn begin, void *ctx,
    qr_multipart **out, char *err, size_t errlen);

/* qr_multipart_feed - the next len bytes of the body. MC_OK, or the
 * first error (MC_EIO writing, MC_EPROTO a malformed body, or the begin
 * callback's); after an error every call returns it again. */
MC_NODISCARD mc_err qr_multipart_feed(
    qr_multipart *m, const char *p, size_t len, char *err, size_t errlen);

/* qr_multipart_finish - the body ended: MC_OK if the closing delimiter
 * was seen, else MC_EPROTO and the unfinished part's file is removed.
 * *parts gets how many parts were written completely. */
MC_NODISCARD mc_err qr_multipart_finish(
    qr_multipart *m, size_t *parts, char *err, size_t errlen);

/* qr_multipart_destroy - close and free; an unfinished part's file is
 * removed. NULL: no-op. */
void qr_multipart_destroy(qr_multipart *m);

#endif
