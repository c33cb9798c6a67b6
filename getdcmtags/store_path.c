/* store_path.c - setting aside files that cannot be stored, with a
 * reason next to them. Never deletes: an operator decides. */
#include "store_path.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "os/sys_fs.h"

#define STORE_ERROR_VARIANTS_MAX 1000

mc_err
store_move_to_error(const char *incoming, const char *src, const char *name,
    const char *reason)
{
	char        dir[MC_PATH_MAX], dst[MC_PATH_MAX];
	char        note[MC_PATH_MAX + 8], text[1024];
	struct stat st;
	mc_err      rv;
	int         i;

	if ((rv = sys_path_fmt(dir, sizeof(dir), "%s/%s", incoming,
	         STORE_ERROR_DIR)) != MC_OK ||
	    (rv = sys_mkdir_p(dir)) != MC_OK ||
	    (rv = sys_path_fmt(dst, sizeof(dst), "%s/%s", dir, name)) != MC_OK)
		return rv;
	for (i = 1; lstat(dst, &st) == 0 && i < STORE_ERROR_VARIANTS_MAX; i++)
		if ((rv = sys_path_fmt(
		         dst, sizeof(dst), "%s/%s.%d", dir, name, i)) != MC_OK)
			return rv;
	if (rename(src, dst) != 0)
		return mc_from_errno(errno);
	if (sys_path_fmt(note, sizeof(note), "%s.error", dst) != MC_OK)
		return MC_OK; /* moved; a note name that long cannot exist */
	snprintf(text, sizeof(text), "ERROR: %s\n", reason);
	if ((rv = sys_write_file_atomic(note, text, strlen(text))) != MC_OK)
		log_warn("event=error_note.failed file=%s err=\"%s\"", note,
		    mc_strerror(rv));
	return MC_OK;
}
