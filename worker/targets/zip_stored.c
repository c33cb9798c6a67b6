/* zip_stored.c - a stored (uncompressed) zip archive streamed from files
 * (zip_stored.h), as PKWARE's APPNOTE.TXT lays it out: for each member a
 * local file header and the file's bytes, then the central directory and
 * its end record.
 *
 * Design notes: every member's CRC-32 and size are written in its local
 * header, which needs a first pass over the files. Streaming without it
 * would put them in data descriptors after the data (flag bit 3), and
 * java.util.zip.ZipInputStream, which Java servers such as XNAT read
 * uploads with, refuses a data descriptor on a stored member. Reading
 * the files twice costs I/O but no disk space: the archive itself is
 * never written anywhere. A file that changes between the passes is
 * caught by its size (a read error); its bytes are not checked again. */
#include "targets/zip_stored.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zlib.h>

#include "os/sys_files.h"

#define ZIP_LOCAL_SIG 0x04034b50u
#define ZIP_CENTRAL_SIG 0x02014b50u
#define ZIP_END_SIG 0x06054b50u
#define ZIP_LOCAL_LEN 30
#define ZIP_CENTRAL_LEN 46
#define ZIP_END_LEN 22
#define ZIP_VERSION_NEEDED 10           /* 1.0: stored, no extras */
#define ZIP_VERSION_MADE (3u << 8 | 20) /* Unix, 2.0 */
#define ZIP_UNIX_MODE 0100600u          /* regular file, rw------- */
#define ZIP_READ_CHUNK 65536

typedef struct zip_member {
	const char *path;
	char       *name;
	uint32_t    size, crc, offset;
	uint16_t    dos_time, dos_date;
	uint8_t     local[ZIP_LOCAL_LEN + ZIP_STORED_NAME_MAX_LEN];
	size_t      local_len;
} zip_member;

struct zip_stored {
	zip_member *m;
	size_t      n;
	uint8_t    *central; /* central directory and end record */
	size_t      central_len;
	int64_t     total;
	/* the read position: member cur, part 0 (header) or 1 (data), off
	 * bytes into it; cur == n is the central directory */
	size_t  cur, part;
	int64_t off;
	FILE   *f;
	bool    failed;
};

static uint8_t *
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t) (v & 0xFF);
	p[1] = (uint8_t) ((v >> 8) & 0xFF);
	return p + 2;
}

static uint8_t *
put32(uint8_t *p, uint32_t v)
{
	p = put16(p, v & 0xFFFF);
	return put16(p, v >> 16);
}

/* the file's mtime as MS-DOS date and time (local time, 2 s steps) */
static void
dos_stamp(time_t t, uint16_t *dtime, uint16_t *ddate)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL || tm.tm_year < 80) {
		*dtime = 0;
		*ddate = (1 << 5) | 1; /* 1980-01-01 */
		return;
	}
	*dtime =
	    (uint16_t) (tm.tm_hour << 11 | tm.tm_min << 5 | tm.tm_sec / 2);
	*ddate = (uint16_t) ((tm.tm_year - 80) << 9 | (tm.tm_mon + 1) << 5 |
	                     tm.tm_mday);
}

/* size and CRC-32 of the member's file */
static mc_err
scan_file(zip_member *m, char *err, size_t errlen)
{
	char        buf[ZIP_READ_CHUNK];
	struct stat st;
	uLong       crc = crc32(0L, Z_NULL, 0);
	uint64_t    got = 0;
	size_t      n;
	FILE       *f = sys_files_fopen(m->path, err, errlen);

	if (f == NULL)
		return MC_EIO;
	if (fstat(fileno(f), &st) != 0) {
		fclose(f);
		snprintf(err, errlen, "cannot stat %s", m->path);
		return MC_EIO;
	}
	if ((uint64_t) st.st_size > ZIP_STORED_MAX_BYTES) {
		fclose(f);
		snprintf(err, errlen,
		    "%s: larger than a zip without ZIP64 "
		    "holds (4 GiB)",
		    m->path);
		return MC_EINVAL;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		crc = crc32(crc, (const Bytef *) buf, (uInt) n);
		got += n;
	}
	if (ferror(f) || got != (uint64_t) st.st_size) {
		fclose(f);
		snprintf(err, errlen, "cannot read %s", m->path);
		return MC_EIO;
	}
	fclose(f);
	m->size = (uint32_t) got;
	m->crc = (uint32_t) crc;
	dos_stamp(st.st_mtime, &m->dos_time, &m->dos_date);
	return MC_OK;
}

static void
build_local(zip_member *m)
{
	size_t   nl = strlen(m->name);
	uint8_t *p = m->local;

	p = put32(p, ZIP_LOCAL_SIG);
	p = put16(p, ZIP_VERSION_NEEDED);
	p = put16(p, 0); /* flags: sizes here, no descriptor */
	p = put16(p, 0); /* method: stored */
	p = put16(p, m->dos_time);
	p = put16(p, m->dos_date);
	p = put32(p, m->crc);
	p = put32(p, m->size); /* compressed */
	p = put32(p, m->size);
	p = put16(p, (uint32_t) nl);
	p = put16(p, 0); /* extra field */
	memcpy(p, m->name, nl);
	m->local_len = ZIP_LOCAL_LEN + nl;
}

static mc_err
build_central(zip_stored *z)
{
	size_t   len = ZIP_END_LEN;
	uint8_t *p;

	for (size_t i = 0; i < z->n; i++)
		len += ZIP_CENTRAL_LEN + strlen(z->m[i].name);
	if ((z->central = malloc(len)) == NULL)
		return MC_ENOMEM;
	p = z->central;
	for (size_t i = 0; i < z->n; i++) {
		const zip_member *m = &z->m[i];
		size_t            nl = strlen(m->name);
		p = put32(p, ZIP_CENTRAL_SIG);
		p = put16(p, ZIP_VERSION_MADE);
		p = put16(p, ZIP_VERSION_NEEDED);
		p = put16(p, 0);
		p = put16(p, 0);
		p = put16(p, m->dos_time);
		p = put16(p, m->dos_date);
		p = put32(p, m->crc);
		p = put32(p, m->size);
		p = put32(p, m->size);
		p = put16(p, (uint32_t) nl);
		p = put16(p, 0); /* extra field */
		p = put16(p, 0); /* comment */
		p = put16(p, 0); /* disk */
		p = put16(p, 0); /* internal attributes */
		p = put32(p, ZIP_UNIX_MODE << 16);
		p = put32(p, m->offset);
		memcpy(p, m->name, nl);
		p += nl;
	}
	p = put32(p, ZIP_END_SIG);
	p = put16(p, 0);
	p = put16(p, 0);
	p = put16(p, (uint32_t) z->n);
	p = put16(p, (uint32_t) z->n);
	p = put32(p, (uint32_t) (len - ZIP_END_LEN));
	p = put32(p, (uint32_t) z->total); /* where the directory starts */
	p = put16(p, 0);                   /* comment */
	z->central_len = len;
	z->total += (int64_t) len;
	return z->total > (int64_t) ZIP_STORED_MAX_BYTES ? MC_EINVAL : MC_OK;
}

static mc_err
add_members(zip_stored *z, const char *const *paths, const char *const *names,
    char *err, size_t errlen)
{
	mc_err rv;

	for (size_t i = 0; i < z->n; i++) {
		zip_member *m = &z->m[i];
		size_t      nl = strlen(names[i]);
		if (nl == 0 || nl > ZIP_STORED_NAME_MAX_LEN) {
			snprintf(
			    err, errlen, "zip member name of %zu bytes", nl);
			return MC_EINVAL;
		}
		m->path = paths[i];
		if ((m->name = strdup(names[i])) == NULL)
			return MC_ENOMEM;
		if ((rv = scan_file(m, err, errlen)) != MC_OK)
			return rv;
		m->offset = (uint32_t) z->total;
		build_local(m);
		z->total += (int64_t) (m->local_len + m->size);
		if (z->total > (int64_t) ZIP_STORED_MAX_BYTES) {
			snprintf(err, errlen,
			    "the files add up to more than "
			    "a zip without ZIP64 holds (4 GiB)");
			return MC_EINVAL;
		}
	}
	return MC_OK;
}

mc_err
zip_stored_create(const char *const *paths, const char *const *names, size_t n,
    zip_stored **out, char *err, size_t errlen)
{
	zip_stored *z;
	mc_err      rv;

	*out = NULL;
	if (n > ZIP_STORED_MAX_MEMBERS) {
		snprintf(err, errlen,
		    "%zu files: a zip without ZIP64 holds "
		    "at most %u",
		    n, ZIP_STORED_MAX_MEMBERS);
		return MC_EINVAL;
	}
	if ((z = calloc(1, sizeof(*z))) == NULL ||
	    (z->m = calloc(n + 1, sizeof(*z->m))) == NULL) {
		free(z);
		snprintf(err, errlen, "out of memory");
		return MC_ENOMEM;
	}
	z->n = n;
	if ((rv = add_members(z, paths, names, err, errlen)) == MC_OK &&
	    (rv = build_central(z)) != MC_OK)
		snprintf(err, errlen, "%s",
		    rv == MC_ENOMEM ? "out of memory"
		                    : "the zip would exceed 4 GiB");
	if (rv != MC_OK) {
		zip_stored_destroy(z);
		return rv;
	}
	*out = z;
	return MC_OK;
}

int64_t
zip_stored_size(const zip_stored *z)
{
	return z->total;
}

bool
zip_stored_failed(const zip_stored *z)
{
	return z->failed;
}

/* the current piece: bytes in memory (*mem) or the member's file */
static int64_t
piece(const zip_stored *z, const uint8_t **mem)
{
	if (z->cur == z->n) {
		*mem = z->central;
		return (int64_t) z->central_len;
	}
	if (z->part == 0) {
		*mem = z->m[z->cur].local;
		return (int64_t) z->m[z->cur].local_len;
	}
	*mem = NULL;
	return z->m[z->cur].size;
}

static void
next_piece(zip_stored *z)
{
	if (z->f != NULL)
		fclose(z->f);
	z->f = NULL;
	z->off = 0;
	if (z->cur == z->n) {
		z->cur++; /* past the end */
	} else if (z->part == 0) {
		z->part = 1;
	} else {
		z->part = 0;
		z->cur++;
	}
}

/* n bytes of the current member's file; false on a short read */
static bool
read_member(zip_stored *z, char *buf, size_t n)
{
	char err[256];

	if (z->f == NULL && (z->f = sys_files_fopen(
	                         z->m[z->cur].path, err, sizeof(err))) == NULL)
		return false;
	if (fread(buf, 1, n, z->f) != n)
		return false;
	/* the last bytes: the file must end here, as it did when scanned */
	if (z->off + (int64_t) n == (int64_t) z->m[z->cur].size &&
	    fgetc(z->f) != EOF)
		return false;
	return true;
}

size_t
zip_stored_read(zip_stored *z, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len && z->cur <= z->n && !z->failed) {
		const uint8_t *mem = NULL;
		int64_t        left = piece(z, &mem) - z->off;
		size_t         n;
		if (left == 0) {
			next_piece(z);
			continue;
		}
		n = (uint64_t) left < len - got ? (size_t) left : len - got;
		if (mem != NULL) {
			memcpy(buf + got, mem + z->off, n);
		} else if (!read_member(z, buf + got, n)) {
			z->failed = true;
			return 0;
		}
		z->off += (int64_t) n;
		got += n;
	}
	return got;
}

void
zip_stored_destroy(zip_stored *z)
{
	if (z == NULL)
		return;
	if (z->f != NULL)
		fclose(z->f);
	for (size_t i = 0; i < z->n; i++)
		free(z->m[i].name);
	free(z->m);
	free(z->central);
	free(z);
}
