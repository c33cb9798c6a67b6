/* set_tags_copy.c - the rule option set_tags (set_tags_copy.h): each file
 * to send rewritten by dcm_edit into the task's tagged/ folder. The
 * originals are only read; the copies are each written under a temporary
 * name and renamed, so a crash leaves whole copies or none, and the next
 * attempt starts the folder over anyway. */
#include "set_tags_copy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/sys_files.h"
#include "os/sys_fs.h"
#include "process/builtin/set_tags_ops.h"

void
set_tags_copy_free(char **paths, size_t n)
{
	for (size_t i = 0; paths != NULL && i < n; i++)
		free(paths[i]);
	free(paths);
}

mc_err
set_tags_copy(const char *list_json, const char *dir, char *const *paths,
    size_t n, char ***out, set_tags_stats *st, bool *retryable, char *err,
    size_t errlen)
{
	dcm_edit *e = NULL;
	char    **copies = NULL;
	char      dst[MC_PATH_MAX];
	mc_err    rv;

	*out = NULL;
	*retryable = false;
	memset(st, 0, sizeof(*st));
	if ((rv = set_tags_compile(
	         list_json, &e, &st->operations, err, errlen)) != MC_OK)
		return rv;
	if ((rv = sys_remove_tree(dir)) != MC_OK ||
	    (rv = sys_files_mkdir(dir, err, errlen)) != MC_OK) {
		if (rv != MC_OK && err[0] == '\0')
			snprintf(err, errlen, "%s: %s", dir, mc_strerror(rv));
		*retryable = true;
		dcm_edit_destroy(e);
		return rv;
	}
	if ((copies = calloc(n ? n : 1, sizeof(*copies))) == NULL) {
		dcm_edit_destroy(e);
		*retryable = true;
		snprintf(err, errlen, "out of memory");
		return MC_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		size_t changed = 0;
		if (sys_path_fmt(dst, sizeof(dst), "%s/%s", dir,
		        sys_basename_of(paths[i])) != MC_OK) {
			snprintf(err, errlen, "path too long: %s", paths[i]);
			rv = MC_EINVAL;
			break;
		}
		if ((rv = dcm_edit_file(
		         e, paths[i], dst, &changed, err, errlen)) != MC_OK) {
			*retryable = rv == MC_EIO || rv == MC_ENOMEM;
			break;
		}
		if ((copies[i] = strdup(dst)) == NULL) {
			snprintf(err, errlen, "out of memory");
			*retryable = true;
			rv = MC_ENOMEM;
			break;
		}
		st->files++;
		st->changed += changed;
	}
	dcm_edit_destroy(e);
	if (rv != MC_OK) {
		set_tags_copy_free(copies, n);
		return rv;
	}
	*out = copies;
	return MC_OK;
}
