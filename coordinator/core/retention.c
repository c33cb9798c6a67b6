/* retention.c - success/ and discard/ are cleaned after `retention`
 * seconds (mercure's default 3 days); error/ never automatically: an
 * operator decides. The HTTP API's retrievals and target tests (their
 * request, output and exit files) go after the same time. Runs from a loop
 * timer; the folders are small in number (one per task), so a scan per minute
 * is cheap. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/coord_int.h"
#include "base/log.h"
#include "http/http_loop_qr.h"
#include "os/sys_fs.h"

#define ROUTED_MEMORY_US (24LL * 3600 * 1000000)

static void
clean_dir(coord *c, const char *name, time_t cutoff)
{
	char           dir[MC_PATH_MAX], p[MC_PATH_MAX];
	DIR           *d;
	struct dirent *de;
	struct stat    st;

	if (coord_path(c, dir, sizeof(dir), name, NULL, NULL) ||
	    (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    sys_path_fmt(p, sizeof(p), "%s/%s", dir, de->d_name) ||
		    lstat(p, &st) != 0 || st.st_mtime > cutoff)
			continue;
		if (sys_remove_tree(p) == MC_OK) {
			log_info("event=retention.removed folder=%s task=%s",
			    name, de->d_name);
			coord_event(c, "task.cleaned", NULL, NULL, de->d_name,
			    NULL, NULL, name);
		}
	}
	closedir(d);
}

/* newest - the latest mtime of <dir>/<id>{.json,.log,.exit}; 0: none */
static time_t
newest(const char *dir, const char *id)
{
	static const char *const ext[] = {
	    ".json", ".log", HTTP_CHILD_EXIT_SUFFIX, NULL};
	char        p[MC_PATH_MAX];
	struct stat st;
	time_t      t = 0;

	for (size_t i = 0; ext[i]; i++)
		if (sys_path_fmt(p, sizeof(p), "%s/%s%s", dir, id, ext[i]) ==
		        MC_OK &&
		    lstat(p, &st) == 0 && st.st_mtime > t)
			t = st.st_mtime;
	return t;
}

/* clean_requests - the files of a request (<id>.json, .log, .exit) once
 * none of them changed since cutoff: a running child's log still grows.
 * Only names of the form the API hands out are touched. */
static void
clean_requests(coord *c, const char *name, time_t cutoff)
{
	char           dir[MC_PATH_MAX], p[MC_PATH_MAX], id[64];
	DIR           *d;
	struct dirent *de;

	if (coord_path(c, dir, sizeof(dir), name, NULL, NULL) ||
	    (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		const char *dot = strchr(de->d_name, '.');
		size_t      n = dot ? (size_t) (dot - de->d_name) : 0;
		if (n == 0 || n >= sizeof(id))
			continue;
		memcpy(id, de->d_name, n);
		id[n] = '\0';
		if (!http_retrieval_id_is_valid(id) ||
		    newest(dir, id) > cutoff ||
		    sys_path_fmt(p, sizeof(p), "%s/%s", dir, de->d_name))
			continue;
		if (unlink(p) == 0)
			log_info("event=retention.removed folder=%s file=%s",
			    name, de->d_name);
	}
	closedir(d);
}

int64_t
retention_timer(loop *l, void *arg)
{
	coord         *c = arg;
	time_t         cutoff = time(NULL) - (time_t) c->cfg->retention_s;
	int64_t        old = sys_now_us() - ROUTED_MEMORY_US;
	routed_series *r, *tmp;

	(void) l;
	clean_dir(c, DIR_SUCCESS, cutoff);
	clean_dir(c, DIR_DISCARD, cutoff);
	clean_requests(c, HTTP_RETRIEVALS_DIR, cutoff);
	clean_requests(c, HTTP_TARGET_TESTS_DIR, cutoff);
	HASH_ITER(hh, c->routed, r, tmp)
	{
		if (r->when_us < old) {
			HASH_DEL(c->routed, r);
			free(r);
		}
	}
	return COORD_RETENTION_INTERVAL_MS;
}
