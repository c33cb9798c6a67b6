/* retention.c - success/ and discard/ are cleaned after `retention`
 * seconds (mercure's default 3 days); error/ never automatically: an
 * operator decides. Runs from a loop timer; the folders are small in
 * number (one per task), so a scan per minute is cheap. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/coord_int.h"
#include "base/log.h"
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
	HASH_ITER(hh, c->routed, r, tmp)
	{
		if (r->when_us < old) {
			HASH_DEL(c->routed, r);
			free(r);
		}
	}
	return COORD_RETENTION_INTERVAL_MS;
}
