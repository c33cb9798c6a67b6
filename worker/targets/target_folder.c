/* target_folder.c - the "folder" target: copy the task's files to
 * <folder>/<task-id>/ and put an empty .complete marker inside, as
 * mercure does (it uses a fresh uuid4 folder; we use the task id so that
 * a retry is idempotent).
 *
 * Design notes: files are copied into <folder>/<task-id>.partial/,
 * fsynced, and the directory is renamed to <folder>/<task-id>/ only when
 * all are there, so a reader never sees half a delivery under the final
 * name. A .partial left by a crash is removed on the next attempt. If the
 * final directory already exists, an earlier attempt got past the rename
 * and only the marker may be missing. file_filter is mercure's: a
 * comma-separated list of globs of file names NOT to copy. */
#include "targets/target.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/log.h"
#include "os/sys_files.h"
#include "os/sys_fs.h"

#define FOLDER_MARKER ".complete"
#define FOLDER_PARTIAL_SUFFIX ".partial"

typedef struct folder_paths {
	char final[MC_PATH_MAX];
	char partial[MC_PATH_MAX];
	char marker[MC_PATH_MAX];
} folder_paths;

static mc_err
make_paths(const char *folder, const char *task_id, folder_paths *fp)
{
	if (sys_path_fmt(fp->final, sizeof(fp->final), "%s/%s", folder,
	        task_id) != MC_OK ||
	    sys_path_fmt(fp->partial, sizeof(fp->partial), "%s/%s%s", folder,
	        task_id, FOLDER_PARTIAL_SUFFIX) != MC_OK ||
	    sys_path_fmt(fp->marker, sizeof(fp->marker), "%s/%s", fp->final,
	        FOLDER_MARKER) != MC_OK)
		return MC_EINVAL;
	return MC_OK;
}

static size_t
count_selected(const char *filter, const target_files *files)
{
	size_t n = 0;

	for (size_t i = 0; i < files->n; i++)
		if (!target_file_is_filtered(
		        filter, sys_basename_of(files->paths[i])))
			n++;
	return n;
}

/* copy the selected files into fp->partial (created fresh) */
static mc_err
copy_all(const char *filter, const target_files *files, const folder_paths *fp,
    char *err, size_t errlen)
{
	char   dst[MC_PATH_MAX];
	mc_err rv;

	if ((rv = sys_files_remove_dir(fp->partial, err, errlen)) != MC_OK)
		return rv;
	if (mkdir(fp->partial, SYS_DIR_MODE_MAX) != 0) {
		int e = errno;
		mc_errf(err, errlen, "cannot create %s: %s", fp->partial,
		    strerror(e));
		return mc_from_errno(e);
	}
	for (size_t i = 0; i < files->n; i++) {
		const char *name = sys_basename_of(files->paths[i]);
		if (target_file_is_filtered(filter, name))
			continue;
		if (sys_path_fmt(dst, sizeof(dst), "%s/%s", fp->partial,
		        name) != MC_OK) {
			mc_errf(err, errlen, "path too long: %s/%s",
			    fp->partial, name);
			return MC_EINVAL;
		}
		rv = sys_files_copy(
		    files->paths[i], dst, SYS_FILES_SYNC, err, errlen);
		if (rv != MC_OK)
			return rv;
	}
	if ((rv = sys_fsync_path(fp->partial)) != MC_OK)
		mc_errf(
		    err, errlen, "fsync %s: %s", fp->partial, mc_strerror(rv));
	return rv;
}

static mc_err
publish(const char *folder, const folder_paths *fp, char *err, size_t errlen)
{
	mc_err rv;

	if (rename(fp->partial, fp->final) != 0) {
		int e = errno;
		mc_errf(err, errlen, "rename %s to %s: %s", fp->partial,
		    fp->final, strerror(e));
		return mc_from_errno(e);
	}
	if ((rv = sys_fsync_path(folder)) != MC_OK) {
		mc_errf(err, errlen, "fsync %s: %s", folder, mc_strerror(rv));
		return rv;
	}
	if ((rv = sys_files_touch(fp->marker, err, errlen)) != MC_OK)
		return rv;
	if ((rv = sys_fsync_path(fp->final)) != MC_OK)
		mc_errf(
		    err, errlen, "fsync %s: %s", fp->final, mc_strerror(rv));
	return rv;
}

static void
remove_partial(
    const task_ctx *ctx, const target_cfg *cfg, const folder_paths *fp)
{
	char err[TARGET_ERROR_MAX_LEN + 1];

	if (sys_files_remove_dir(fp->partial, err, sizeof(err)) != MC_OK)
		log_warn("event=folder.cleanup_failed task=%s target=%s "
		         "msg=\"%s\"",
		    ctx->task_id, target_cfg_name(cfg), err);
}

static bool
is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static mc_err
folder_send(const target_cfg *cfg, const task_ctx *ctx,
    const target_files *files, target_result *res)
{
	const char  *folder = target_cfg_get(cfg, "folder");
	const char  *filter = target_cfg_get(cfg, "file_filter");
	size_t       n = count_selected(filter, files);
	folder_paths fp;
	char         err[TARGET_ERROR_MAX_LEN + 1] = "";
	mc_err       rv;

	res->failed = n;
	if (folder == NULL || folder[0] == '\0') {
		target_result_fail(
		    res, false, "folder target without 'folder'");
		return MC_ECONFIG;
	}
	if (make_paths(folder, ctx->task_id, &fp) != MC_OK) {
		target_result_fail(
		    res, false, "path too long: %s/%s", folder, ctx->task_id);
		return MC_EINVAL;
	}
	if ((rv = sys_files_writable_dir(folder, err, sizeof(err))) != MC_OK) {
		target_result_fail(res, true, "%s", err);
		return rv;
	}
	if (is_dir(fp.final)) {
		/* an earlier attempt got past the rename */
		log_info("event=folder.already_delivered task=%s target=%s "
		         "path=%s",
		    ctx->task_id, target_cfg_name(cfg), fp.final);
		rv = sys_files_touch(fp.marker, err, sizeof(err));
	} else if ((rv = copy_all(filter, files, &fp, err, sizeof(err))) ==
	           MC_OK) {
		rv = publish(folder, &fp, err, sizeof(err));
	} else {
		remove_partial(ctx, cfg, &fp);
	}
	if (rv != MC_OK) {
		target_result_fail(res, true, "%s", err);
		return rv;
	}
	res->sent = n;
	res->failed = 0;
	return MC_OK;
}

static mc_err
folder_test(const target_cfg *cfg, const task_ctx *ctx, char *msg, size_t len)
{
	const char *folder = target_cfg_get(cfg, "folder");
	mc_err      rv;

	(void) ctx;
	if (folder == NULL || folder[0] == '\0') {
		mc_errf(msg, len, "folder target without 'folder'");
		return MC_ECONFIG;
	}
	if ((rv = sys_files_writable_dir(folder, msg, len)) == MC_OK)
		mc_errf(msg, len, "folder %s is writable", folder);
	return rv;
}

const target_ops target_ops_folder = {
    .send = folder_send,
    .test = folder_test,
};
