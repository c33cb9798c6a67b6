/* multipart.c - a multipart/related body streamed from files
 * (multipart.h): "--B\r\nContent-Type: application/dicom\r\n\r\n",
 * the file, "\r\n" for each file, then "--B--\r\n". */
#include "targets/multipart.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "os/sys_files.h"

#define MULTIPART_PREFIX "mercure-c-"

void
multipart_boundary(char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned          seed = (unsigned) time(NULL) ^
	                (unsigned) getpid() * 2654435761u ^ (unsigned) clock();
	size_t n = (size_t) snprintf(buf, len, "%s", MULTIPART_PREFIX);

	for (; n + 1 < len && n < MULTIPART_BOUNDARY_MAX_LEN; n++) {
		seed = seed * 1103515245u + 12345u;
		buf[n] = hex[(seed >> 16) & 0xf];
	}
	buf[n] = '\0';
}

static void
add(multipart *m, const char *text, const char *path, int64_t len)
{
	m->seg[m->n].text = text;
	m->seg[m->n].path = path;
	m->seg[m->n].len = len;
	m->total += len;
	m->n++;
}

mc_err
multipart_init(multipart *m, const char *const *paths, size_t n,
    const char *boundary, char *err, size_t errlen)
{
	struct stat st;

	memset(m, 0, sizeof(*m));
	snprintf(m->open_part, sizeof(m->open_part),
	    "--%s\r\nContent-Type: " MULTIPART_PART_TYPE "\r\n\r\n", boundary);
	snprintf(m->close_all, sizeof(m->close_all), "--%s--\r\n", boundary);
	if ((m->seg = calloc(3 * n + 1, sizeof(*m->seg))) == NULL)
		return MC_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (stat(paths[i], &st) != 0) {
			snprintf(err, errlen, "cannot stat %s", paths[i]);
			return MC_EIO;
		}
		add(m, m->open_part, NULL, (int64_t) strlen(m->open_part));
		add(m, NULL, paths[i], (int64_t) st.st_size);
		add(m, "\r\n", NULL, 2);
	}
	add(m, m->close_all, NULL, (int64_t) strlen(m->close_all));
	return MC_OK;
}

/* bytes of the current file segment into buf; 0 and read_error on a
 * failure */
static size_t
read_file(multipart *m, const multipart_seg *s, char *buf, size_t n)
{
	char err[256];

	if (m->f == NULL)
		m->f = sys_files_fopen(s->path, err, sizeof(err));
	if (m->f == NULL || (n = fread(buf, 1, n, m->f)) == 0) {
		m->read_error = true;
		return 0;
	}
	return n;
}

size_t
multipart_read(multipart *m, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len && m->cur < m->n && !m->read_error) {
		const multipart_seg *s = &m->seg[m->cur];
		size_t               left = (size_t) (s->len - m->off), n;
		if (left == 0) {
			if (m->f != NULL)
				fclose(m->f);
			m->f = NULL;
			m->cur++;
			m->off = 0;
			continue;
		}
		n = left < len - got ? left : len - got;
		if (s->text != NULL)
			memcpy(buf + got, s->text + m->off, n);
		else if ((n = read_file(m, s, buf + got, n)) == 0)
			return 0;
		m->off += (int64_t) n;
		got += n;
	}
	return got;
}

void
multipart_fini(multipart *m)
{
	if (m->f != NULL)
		fclose(m->f);
	free(m->seg);
	memset(m, 0, sizeof(*m));
}
