/* sent_log.c - the sent/<target>.log of a task folder (sent_log.h): read
 * once when a target's send starts, appended to per acknowledged
 * instance. The names read are kept in a name_set; the appends go
 * straight to the file, one write(2) each (sys_append). */
#include "sent_log.h"

#include <stdlib.h>
#include <string.h>

#include "name_set.h"
#include "os/sys_fs.h"

#define SENT_LOG_NAME_KEEP_MAX 200

struct sent_log {
	char      path[MC_PATH_MAX];
	name_set *names;
};

static bool
plain_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

mc_err
sent_log_file_name(const char *target, char *buf, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t            n = strlen(target), at = 0;
	bool keep = n > 0 && n <= SENT_LOG_NAME_KEEP_MAX && target[0] != '.';

	for (size_t i = 0; keep && i < n; i++)
		keep = plain_char(target[i]);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char) target[i];
		if (keep || (plain_char((char) c) && !(i == 0 && c == '.'))) {
			if (at + 1 >= len)
				return MC_EINVAL;
			buf[at++] = (char) c;
			continue;
		}
		if (at + 3 >= len)
			return MC_EINVAL;
		buf[at++] = '%';
		buf[at++] = hex[c >> 4];
		buf[at++] = hex[c & 15];
	}
	if (n == 0) {
		if (len < 2)
			return MC_EINVAL;
		buf[at++] = '%'; /* "" is a valid YAML key */
	}
	if (at + 5 > len)
		return MC_EINVAL;
	memcpy(buf + at, ".log", 5);
	return MC_OK;
}

/* every complete line of text into l->names; true when text ends in a
 * torn line */
static mc_err
load_lines(sent_log *l, const char *text, size_t len, bool *torn)
{
	size_t start = 0;

	for (size_t i = 0; i < len; i++) {
		if (text[i] != '\n')
			continue;
		if (i > start && name_set_add(l->names, text + start,
		                     i - start, NULL) != MC_OK)
			return MC_ENOMEM;
		start = i + 1;
	}
	*torn = start < len;
	return MC_OK;
}

mc_err
sent_log_open(const char *task_dir, const char *target, sent_log **out,
    char *err, size_t errlen)
{
	sent_log *l = calloc(1, sizeof(*l));
	char      dir[MC_PATH_MAX], file[MC_PATH_MAX];
	char     *text = NULL;
	size_t    len = 0;
	bool      torn = false;
	mc_err    rv;

	*out = NULL;
	if (l == NULL || name_set_create(&l->names) != MC_OK) {
		sent_log_destroy(l);
		mc_errf(err, errlen, "out of memory");
		return MC_ENOMEM;
	}
	if (sent_log_file_name(target, file, sizeof(file)) != MC_OK ||
	    sys_path_fmt(dir, sizeof(dir), "%s/%s", task_dir, SENT_LOG_DIR) !=
	        MC_OK ||
	    sys_path_fmt(l->path, sizeof(l->path), "%s/%s", dir, file) !=
	        MC_OK) {
		sent_log_destroy(l);
		mc_errf(err, errlen, "%s/%s: path too long", task_dir,
		    SENT_LOG_DIR);
		return MC_EINVAL;
	}
	if ((rv = sys_mkdir_p(dir)) != MC_OK) {
		sent_log_destroy(l);
		mc_errf(err, errlen, "mkdir %s: %s", dir, mc_strerror(rv));
		return rv;
	}
	rv = sys_read_plain_file(l->path, SIZE_MAX / 2, &text, &len);
	if (rv == MC_ENOENT) {
		rv = MC_OK;
	} else if (rv == MC_OK) {
		rv = load_lines(l, text, len, &torn);
		if (rv == MC_OK && torn)
			rv = sys_append(l->path, "\n", 1, SYS_SYNC_NONE);
	}
	free(text);
	if (rv != MC_OK) {
		mc_errf(err, errlen, "%s: %s", l->path, mc_strerror(rv));
		sent_log_destroy(l);
		return rv;
	}
	*out = l;
	return MC_OK;
}

void
sent_log_destroy(sent_log *l)
{
	if (l == NULL)
		return;
	name_set_destroy(l->names);
	free(l);
}

bool
sent_log_has(const sent_log *l, const char *name)
{
	return l != NULL && name_set_has(l->names, name);
}

size_t
sent_log_count(const sent_log *l)
{
	return l != NULL ? name_set_count(l->names) : 0;
}

mc_err
sent_log_add(sent_log *l, const char *name)
{
	size_t n = strlen(name);
	char   line[MC_PATH_MAX + 1];

	if (n == 0 || n >= MC_PATH_MAX || strchr(name, '\n') != NULL)
		return MC_EINVAL;
	memcpy(line, name, n);
	line[n] = '\n';
	return sys_append(l->path, line, n + 1, SYS_SYNC_NONE);
}

mc_err
sent_log_unsent(const sent_log *l, const char *const *paths, size_t n,
    const char ***out, size_t *n_out)
{
	const char **kept = calloc(n ? n : 1, sizeof(*kept));

	*out = NULL;
	*n_out = 0;
	if (kept == NULL)
		return MC_ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (!sent_log_has(l, sys_basename_of(paths[i])))
			kept[(*n_out)++] = paths[i];
	*out = kept;
	return MC_OK;
}
