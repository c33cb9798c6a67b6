/* deidentify_map.c - what deidentify changed, old value to new, for the
 * site's mapping file: collected while the files are written (each pair
 * once), appended when the task's files are done. The file holds patient
 * identifiers and so is made readable by the service user alone; these
 * values never go to a log. */
#include "process/builtin/deidentify_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "os/sys_fs.h"

#define DEID_MAP_KIND_SIZE 16
#define DEID_MAP_VALUE_SIZE 200
#define DEID_MAP_TIME_SIZE 32

typedef struct deid_pair {
	char kind[DEID_MAP_KIND_SIZE];
	char old_value[DEID_MAP_VALUE_SIZE], new_value[DEID_MAP_VALUE_SIZE];
} deid_pair;

struct deid_map {
	deid_pair *p;
	size_t     n, cap;
};

mc_err
deid_map_create(deid_map **out)
{
	*out = calloc(1, sizeof(**out));
	return *out != NULL ? MC_OK : MC_ENOMEM;
}

void
deid_map_destroy(deid_map *m)
{
	if (m == NULL)
		return;
	if (m->p != NULL)
		memset(m->p, 0, m->cap * sizeof(*m->p));
	free(m->p);
	free(m);
}

/* a value for one TSV field: tabs and line ends would split records */
static void
field_copy(char *dst, size_t len, const char *src)
{
	size_t i = 0;

	for (; src[i] != '\0' && i + 1 < len; i++)
		dst[i] = (src[i] == '\t' || src[i] == '\n' || src[i] == '\r')
		             ? ' '
		             : src[i];
	dst[i] = '\0';
}

mc_err
deid_map_add(
    deid_map *m, const char *kind, const char *old_value, const char *val)
{
	deid_pair p;

	/* zeroed: pairs are compared with memcmp, bytes past the NULs too */
	memset(&p, 0, sizeof(p));
	field_copy(p.kind, sizeof(p.kind), kind);
	field_copy(p.old_value, sizeof(p.old_value), old_value);
	field_copy(p.new_value, sizeof(p.new_value), val);
	for (size_t i = 0; i < m->n; i++)
		if (memcmp(&m->p[i], &p, sizeof(p)) == 0)
			return MC_OK;
	if (m->n == m->cap) {
		size_t     cap = m->cap ? m->cap * 2 : 16;
		deid_pair *np = realloc(m->p, cap * sizeof(*np));
		if (np == NULL)
			return MC_ENOMEM;
		m->p = np;
		m->cap = cap;
	}
	m->p[m->n++] = p;
	return MC_OK;
}

static mc_err
append_all(
    const deid_map *m, const char *path, const char *task_id, const char *now)
{
	size_t cap = m->n * (sizeof(deid_pair) + 128) + 1, len = 0;
	char  *buf = malloc(cap);
	mc_err rv;

	if (buf == NULL)
		return MC_ENOMEM;
	for (size_t i = 0; i < m->n; i++)
		len += (size_t) snprintf(buf + len, cap - len,
		    "%s\t%s\t%s\t%s\t%s\n", now, task_id, m->p[i].kind,
		    m->p[i].old_value, m->p[i].new_value);
	/* one write for the task's records: concurrent workers append to
	 * the same file without interleaving lines */
	rv = sys_append(path, buf, len, SYS_SYNC_DATA | SYS_APPEND_OWNER_ONLY);
	memset(buf, 0, cap);
	free(buf);
	return rv;
}

mc_err
deid_map_write(const deid_map *m, const char *path, const char *task_id,
    char *err, size_t errlen)
{
	char      dir[DEID_PATH_SIZE], now[DEID_MAP_TIME_SIZE];
	time_t    t = time(NULL);
	struct tm tm;
	mc_err    rv;

	if (m->n == 0)
		return MC_OK;
	sys_dirname_of(path, dir, sizeof(dir));
	if ((rv = sys_mkdir_p(dir)) != MC_OK) {
		mc_errf(err, errlen, "deidentify: mapping_file folder %s: %s",
		    dir, mc_strerror(rv));
		return rv;
	}
	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if ((rv = append_all(m, path, task_id, now)) != MC_OK)
		mc_errf(err, errlen, "deidentify: mapping_file %s: %s", path,
		    mc_strerror(rv));
	return rv;
}
