/* stream_list.c - reading stream.list as it grows (stream_list.h). The
 * reader keeps the byte offset of the first line it has not taken; each
 * poll stats the file and reads only from there when it grew, so a
 * series of thousands of lines is read once, not once per poll. The
 * file is reopened per poll: on shared storage a long-open handle may
 * not see another node's appends. */
#include "stream/stream_list.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "name_set.h"
#include "os/sys_files.h"
#include "os/sys_fs.h"

struct stream_list {
	char      path[MC_PATH_MAX];
	char      task[64];
	uint64_t  offset; /* bytes taken: every line before it is done */
	name_set *seen;
	size_t    skipped;
};

bool
stream_name_is_safe(const char *name, size_t len)
{
	return len > 0 && len <= STREAM_NAME_MAX_LEN && name[0] != '.' &&
	       memchr(name, '/', len) == NULL &&
	       memchr(name, '\0', len) == NULL;
}

void
stream_name_for_log(const char *name, size_t n, char *buf, size_t len)
{
	size_t at = 0;

	for (size_t i = 0; i < n && at + 1 < len; i++) {
		unsigned char c = (unsigned char) name[i];
		buf[at++] = c < 0x20 || c >= 0x7f || c == '"' || c == '\\'
		                ? '?'
		                : (char) c;
	}
	if (len > 0)
		buf[at] = '\0';
}

mc_err
stream_list_create(const char *path, const char *task, stream_list **out)
{
	stream_list *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (s == NULL || name_set_create(&s->seen) != MC_OK) {
		free(s);
		return MC_ENOMEM;
	}
	if (sys_path_fmt(s->path, sizeof(s->path), "%s", path) != MC_OK) {
		stream_list_destroy(s);
		return MC_EINVAL;
	}
	snprintf(s->task, sizeof(s->task), "%s", task);
	*out = s;
	return MC_OK;
}

void
stream_list_destroy(stream_list *s)
{
	if (s == NULL)
		return;
	name_set_destroy(s->seen);
	free(s);
}

size_t
stream_list_skipped(const stream_list *s)
{
	return s->skipped;
}

/* one complete line (without its newline) */
static mc_err
take_line(stream_list *s, const char *line, size_t len, stream_list_fn fn,
    void *arg, size_t *n_new)
{
	bool added = false;

	if (!stream_name_is_safe(line, len)) {
		char shown[65];
		s->skipped++;
		stream_name_for_log(line, len, shown, sizeof(shown));
		log_warn("event=stream.unsafe_name task=%s name=\"%s\"",
		    s->task, shown);
		return MC_OK;
	}
	if (name_set_add(s->seen, line, len, &added) != MC_OK)
		return MC_ENOMEM;
	if (!added)
		return MC_OK;
	char name[STREAM_NAME_MAX_LEN + 1];
	memcpy(name, line, len);
	name[len] = '\0';
	fn(arg, name);
	(*n_new)++;
	return MC_OK;
}

mc_err
stream_list_poll(stream_list *s, stream_list_fn fn, void *arg, size_t *n_new,
    char *err, size_t errlen)
{
	uint64_t size = 0;
	size_t   got, start = 0, count = 0;
	char    *buf;
	FILE    *f;
	mc_err   rv = MC_OK;

	if (n_new != NULL)
		*n_new = 0;
	if (sys_file_size(s->path, &size) != MC_OK || size <= s->offset)
		return MC_OK; /* none yet, or nothing new */
	if ((buf = malloc((size_t) (size - s->offset))) == NULL)
		return MC_ENOMEM;
	if ((f = sys_files_fopen(s->path, err, errlen)) == NULL) {
		free(buf);
		return MC_EIO;
	}
	if (fseeko(f, (off_t) s->offset, SEEK_SET) != 0) {
		fclose(f);
		free(buf);
		mc_errf(err, errlen, "seek %s", s->path);
		return MC_EIO;
	}
	got = fread(buf, 1, (size_t) (size - s->offset), f);
	fclose(f);
	for (size_t i = 0; i < got && rv == MC_OK; i++) {
		if (buf[i] != '\n')
			continue;
		rv = take_line(s, buf + start, i - start, fn, arg, &count);
		start = i + 1;
	}
	if (rv == MC_OK)
		s->offset += start; /* a torn tail is read again next time */
	free(buf);
	if (n_new != NULL)
		*n_new = count;
	return rv;
}
