/* qr_multipart.c - multipart/related, streamed into files (see
 * qr_multipart.h). The body is read as if it began with CRLF, so that
 * every delimiter, the first included, is CRLF "--" boundary. Only the
 * bytes that could still be the start of a delimiter are held back; the
 * rest of a part goes to its file as it comes. */
#include "retrieve/qr_multipart.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "os/sys_fs.h"

#define QR_MP_HEADERS_MAX 8192 /* one part's header block */
#define QR_MP_AFTER_MAX 128    /* padding after a delimiter */

typedef enum { MP_PREAMBLE, MP_AFTER, MP_HEADERS, MP_BODY, MP_DONE } mp_state;

struct qr_multipart {
	char                  delim[4 + QR_MULTIPART_BOUNDARY_MAX + 1];
	size_t                dlen;
	mp_state              st;
	char                 *buf;
	size_t                n, cap;
	FILE                 *f;
	char                  path[MC_PATH_MAX];
	size_t                parts;
	const char           *dir, *prefix;
	qr_multipart_begin_fn begin;
	void                 *ctx;
	mc_err                failed;
};

/* boundary - the boundary parameter of ctype, unquoted, into out */
static bool
boundary(const char *ctype, char *out, size_t cap)
{
	const char *p = ctype;
	size_t      n = 0;

	if (strncasecmp(ctype, "multipart/", 10) != 0)
		return false;
	while ((p = strchr(p, ';')) != NULL) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, "boundary=", 9) != 0)
			continue;
		p += 9;
		bool quoted = *p == '"';
		p += quoted;
		while (p[n] != '\0' &&
		       (quoted ? p[n] != '"' : p[n] != ';' && p[n] != ' '))
			n++;
		if (n == 0 || n >= cap || n > QR_MULTIPART_BOUNDARY_MAX)
			return false;
		memcpy(out, p, n);
		out[n] = '\0';
		return true;
	}
	return false;
}

mc_err
qr_multipart_create(const char *ctype, const char *dir, const char *prefix,
    qr_multipart_begin_fn begin, void *ctx, qr_multipart **out, char *err,
    size_t errlen)
{
	char          b[QR_MULTIPART_BOUNDARY_MAX + 1];
	qr_multipart *m;

	*out = NULL;
	if (ctype == NULL || !boundary(ctype, b, sizeof(b))) {
		mc_errf(err, errlen,
		    "not a multipart answer with a boundary (Content-Type "
		    "%.80s)",
		    ctype ? ctype : "missing");
		return MC_EPROTO;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return MC_ENOMEM;
	m->dlen = (size_t) snprintf(m->delim, sizeof(m->delim), "\r\n--%s", b);
	m->cap = 4 * QR_MP_HEADERS_MAX;
	if ((m->buf = malloc(m->cap)) == NULL) {
		free(m);
		return MC_ENOMEM;
	}
	memcpy(m->buf, "\r\n", 2);
	m->n = 2;
	m->dir = dir;
	m->prefix = prefix;
	m->begin = begin;
	m->ctx = ctx;
	*out = m;
	return MC_OK;
}

static size_t
find(const char *hay, size_t n, const char *needle, size_t k)
{
	for (size_t i = 0; k <= n && i + k <= n; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, k) == 0)
			return i;
	return (size_t) -1;
}

static void
drop(qr_multipart *m, size_t k)
{
	memmove(m->buf, m->buf + k, m->n - k);
	m->n -= k;
}

static mc_err
fail(qr_multipart *m, mc_err rv, char *err, size_t errlen, const char *why)
{
	if (why != NULL)
		mc_errf(err, errlen, "%s", why);
	m->failed = rv;
	return rv;
}

static mc_err
open_part(qr_multipart *m, char *err, size_t errlen)
{
	mc_err rv = m->begin(m->ctx, err, errlen);

	if (rv != MC_OK)
		return fail(m, rv, err, errlen, NULL);
	if (sys_path_fmt(m->path, sizeof(m->path), "%s/%s-%zu.dcm", m->dir,
	        m->prefix, m->parts) != MC_OK ||
	    (m->f = fopen(m->path, "wbx")) == NULL)
		return fail(m, MC_EIO, err, errlen, "cannot create a file");
	return MC_OK;
}

static mc_err
write_out(qr_multipart *m, size_t k, char *err, size_t errlen)
{
	if (k > 0 && fwrite(m->buf, 1, k, m->f) != k)
		return fail(m, MC_EIO, err, errlen, "cannot write a file");
	drop(m, k);
	return MC_OK;
}

/* step - one state's work on the held bytes; false: wait for more */
static bool
step(qr_multipart *m, mc_err *rv, char *err, size_t errlen)
{
	size_t i;

	switch (m->st) {
	case MP_PREAMBLE:
		if ((i = find(m->buf, m->n, m->delim, m->dlen)) ==
		    (size_t) -1) {
			if (m->n >= m->dlen)
				drop(m, m->n - (m->dlen - 1));
			return false;
		}
		drop(m, i + m->dlen);
		m->st = MP_AFTER;
		return true;
	case MP_AFTER:
		if (m->n >= 2 && memcmp(m->buf, "--", 2) == 0) {
			m->st = MP_DONE;
			return true;
		}
		if ((i = find(m->buf, m->n, "\r\n", 2)) == (size_t) -1) {
			if (m->n > QR_MP_AFTER_MAX)
				*rv = fail(m, MC_EPROTO, err, errlen,
				    "malformed multipart delimiter");
			return false;
		}
		drop(m, i); /* padding; the CRLF starts the headers */
		m->st = MP_HEADERS;
		return true;
	case MP_HEADERS:
		if ((i = find(m->buf, m->n, "\r\n\r\n", 4)) == (size_t) -1) {
			if (m->n > QR_MP_HEADERS_MAX)
				*rv = fail(m, MC_EPROTO, err, errlen,
				    "multipart headers too long");
			return false;
		}
		drop(m, i + 4);
		if ((*rv = open_part(m, err, errlen)) != MC_OK)
			return false;
		m->st = MP_BODY;
		return true;
	case MP_BODY:
		if ((i = find(m->buf, m->n, m->delim, m->dlen)) ==
		    (size_t) -1) {
			if (m->n >= m->dlen)
				*rv = write_out(
				    m, m->n - (m->dlen - 1), err, errlen);
			return false;
		}
		if ((*rv = write_out(m, i, err, errlen)) != MC_OK)
			return false;
		if (fclose(m->f) != 0) {
			m->f = NULL;
			*rv = fail(
			    m, MC_EIO, err, errlen, "cannot write a file");
			return false;
		}
		m->f = NULL;
		m->parts++;
		drop(m, m->dlen);
		m->st = MP_AFTER;
		return true;
	case MP_DONE:
		m->n = 0; /* the epilogue is ignored */
		return false;
	}
	return false;
}

mc_err
qr_multipart_feed(
    qr_multipart *m, const char *p, size_t len, char *err, size_t errlen)
{
	mc_err rv = MC_OK;

	if (m->failed != MC_OK)
		return m->failed;
	while (len > 0) {
		size_t k = m->cap - m->n < len ? m->cap - m->n : len;
		memcpy(m->buf + m->n, p, k);
		m->n += k;
		p += k;
		len -= k;
		while (rv == MC_OK && step(m, &rv, err, errlen))
			;
		if (rv != MC_OK)
			return rv;
		if (m->n == m->cap)
			return fail(m, MC_EPROTO, err, errlen,
			    "malformed multipart body");
	}
	return MC_OK;
}

mc_err
qr_multipart_finish(qr_multipart *m, size_t *parts, char *err, size_t errlen)
{
	*parts = m->parts;
	if (m->failed != MC_OK)
		return m->failed;
	if (m->st != MP_DONE)
		return fail(m, MC_EPROTO, err, errlen,
		    "the multipart body ended before its closing delimiter");
	return MC_OK;
}

void
qr_multipart_destroy(qr_multipart *m)
{
	if (m == NULL)
		return;
	if (m->f != NULL) {
		fclose(m->f);
		(void) !sys_remove_tree(m->path);
	}
	free(m->buf);
	free(m);
}
