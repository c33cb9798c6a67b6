/* process_chain.c - the work before and after each step of a module
 * chain (process_chain.h): the step folders, the step task.json, the
 * checks of what a module wrote, its result.json, the rotation of
 * work/out into the next step's work/in and the chain's out/.
 *
 * Design notes: in/ is never touched, and out/ appears (by rename) only
 * when the whole chain succeeded; so a crash anywhere leaves either no
 * out/ (the next attempt starts over from in/) or a complete one. */
#include "task/process_chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "os/sys_files.h"
#include "os/sys_fs.h"

#define CHAIN_LOG_NAME_MAX 64

/* names in out/ that are not output */
static const char *const NOT_OUTPUT[] = {TASK_JSON_NAME, MODULE_RESULT_NAME};
#define NOT_OUTPUT_N (sizeof(NOT_OUTPUT) / sizeof(NOT_OUTPUT[0]))

/* sub - task_dir/rel into buf; false (err set) when too long */
static bool
sub(char *buf, size_t len, const char *task_dir, const char *rel, char *err,
    size_t errlen)
{
	if (sys_path_fmt(buf, len, "%s/%s", task_dir, rel) == MC_OK)
		return true;
	mc_errf(err, errlen, "task folder path too long: %s", task_dir);
	return false;
}

void
process_chain_log_name(const module_spec *m, size_t i, char *buf, size_t len)
{
	char   name[CHAIN_LOG_NAME_MAX];
	size_t n = 0;

	for (const char *p = m->name; *p && n + 1 < sizeof(name); p++) {
		char ch = *p;
		bool ok = (ch >= 'a' && ch <= 'z') ||
		          (ch >= 'A' && ch <= 'Z') ||
		          (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		          ch == '.';
		name[n++] = ok ? ch : '_';
	}
	name[n] = '\0';
	snprintf(buf, len, "module-%zu-%s.log", i + 1, name);
}

/* copy every file of from into to, skipping names that exist there */
static mc_err
copy_files(const char *from, const char *to, char *err, size_t errlen)
{
	char **names = NULL;
	size_t n = 0;
	char   src[MC_PATH_MAX], dst[MC_PATH_MAX];
	mc_err rv;

	if ((rv = sys_files_list(from, &names, &n, err, errlen)) != MC_OK)
		return rv;
	for (size_t i = 0; i < n && rv == MC_OK; i++) {
		if (sys_path_fmt(src, sizeof(src), "%s/%s", from, names[i]) !=
		        MC_OK ||
		    sys_path_fmt(dst, sizeof(dst), "%s/%s", to, names[i]) !=
		        MC_OK) {
			mc_errf(
			    err, errlen, "path too long: %s/%s", to, names[i]);
			rv = MC_EINVAL;
		} else if (!sys_exists(dst)) {
			rv = sys_files_copy(
			    src, dst, SYS_FILES_NOSYNC, err, errlen);
		}
	}
	sys_files_free(names, n);
	return rv;
}

mc_err
process_chain_step_json(const task *t, size_t i, const char *task_dir,
    const char *dir, char *err, size_t errlen)
{
	char   win[MC_PATH_MAX], path[MC_PATH_MAX], *text = NULL;
	size_t len = 0;
	mc_err rv;

	if (dir == NULL) {
		if (!sub(win, sizeof(win), task_dir,
		        PROCESS_CHAIN_WORK "/" PROCESS_CHAIN_IN, err, errlen))
			return MC_EINVAL;
		dir = win;
	}
	if (sys_path_fmt(path, sizeof(path), "%s/%s", dir, TASK_JSON_NAME) !=
	    MC_OK) {
		mc_errf(err, errlen, "path too long: %s", dir);
		return MC_EINVAL;
	}
	if ((rv = task_step_json(t, i, &text, &len)) == MC_OK)
		rv = sys_write_file_atomic(path, text, len);
	free(text);
	if (rv != MC_OK)
		mc_errf(
		    err, errlen, "cannot write %s: %s", path, mc_strerror(rv));
	return rv;
}

mc_err
process_chain_prepare(
    const char *task_dir, char *err, size_t errlen, bool *retryable)
{
	char   in[MC_PATH_MAX], work[MC_PATH_MAX], out[MC_PATH_MAX];
	char   win[MC_PATH_MAX], wout[MC_PATH_MAX];
	size_t n_in = 0;
	mc_err rv;

	*retryable = false;
	if (!sub(in, sizeof(in), task_dir, PROCESS_CHAIN_IN, err, errlen) ||
	    !sub(work, sizeof(work), task_dir, PROCESS_CHAIN_WORK, err,
	        errlen) ||
	    !sub(out, sizeof(out), task_dir, PROCESS_CHAIN_OUT, err, errlen) ||
	    !sub(win, sizeof(win), work, PROCESS_CHAIN_IN, err, errlen) ||
	    !sub(wout, sizeof(wout), work, PROCESS_CHAIN_OUT, err, errlen))
		return MC_EINVAL;
	if ((rv = sys_files_count_entries(in, NULL, 0, &n_in, err, errlen)) !=
	    MC_OK)
		return rv;
	if (n_in == 0) {
		mc_errf(err, errlen, "in/ holds no instances to process");
		return MC_ENOENT;
	}
	*retryable = true;
	if ((rv = sys_remove_tree(work)) != MC_OK ||
	    (rv = sys_remove_tree(out)) != MC_OK) {
		mc_errf(
		    err, errlen, "cannot clear %s: %s", work, mc_strerror(rv));
		return rv;
	}
	if ((rv = sys_mkdir_p(win)) != MC_OK ||
	    (rv = sys_mkdir_p(wout)) != MC_OK) {
		mc_errf(err, errlen, "cannot create %s: %s", work,
		    mc_strerror(rv));
		return rv;
	}
	if ((rv = copy_files(in, win, err, errlen)) != MC_OK)
		*retryable = rv == MC_ENOSPC || rv == MC_EIO;
	return rv;
}

mc_err
process_chain_check(const task *t, size_t i, const char *task_dir,
    module_result *mr, char *err, size_t errlen)
{
	const module_spec *m = task_step(t, i);
	char               wout[MC_PATH_MAX], path[MC_PATH_MAX];
	char               why[512];
	char             **names = NULL;
	size_t             n = 0;
	mc_err             rv;

	if (!sub(wout, sizeof(wout), task_dir,
	        PROCESS_CHAIN_WORK "/" PROCESS_CHAIN_OUT, err, errlen))
		return MC_EINVAL;
	/* links, FIFOs, sockets and devices first, before anything in the
	 * folder is opened: nothing the module could not read itself may
	 * reach a target, and nothing may make the reader wait */
	if ((rv = sys_files_list(wout, &names, &n, why, sizeof(why))) !=
	    MC_OK) {
		mc_errf(err, errlen, "module '%s' (step %zu): %s", m->name,
		    i + 1, why);
		return rv;
	}
	sys_files_free(names, n);
	rv = sys_files_count_entries(
	    wout, NOT_OUTPUT, NOT_OUTPUT_N, &n, err, errlen);
	if (rv != MC_OK)
		return rv;
	if (n == 0) {
		mc_errf(err, errlen,
		    "module '%s' (step %zu) exited 0 but wrote "
		    "no file into its output folder",
		    m->name, i + 1);
		return MC_ENOENT;
	}
	if (sys_path_fmt(path, sizeof(path), "%s/%s", wout,
	        MODULE_RESULT_NAME) == MC_OK &&
	    module_result_read(path, mr, why, sizeof(why)) != MC_OK)
		log_warn("event=process.bad_module_result task=%s module=%s "
		         "msg=\"%s\"",
		    task_id(t), m->name, why);
	return MC_OK;
}

mc_err
process_chain_rotate(const char *task_dir, char *err, size_t errlen)
{
	char   win[MC_PATH_MAX], wout[MC_PATH_MAX];
	mc_err rv;

	if (!sub(win, sizeof(win), task_dir,
	        PROCESS_CHAIN_WORK "/" PROCESS_CHAIN_IN, err, errlen) ||
	    !sub(wout, sizeof(wout), task_dir,
	        PROCESS_CHAIN_WORK "/" PROCESS_CHAIN_OUT, err, errlen))
		return MC_EINVAL;
	if ((rv = sys_remove_tree(win)) != MC_OK) {
		mc_errf(
		    err, errlen, "cannot remove %s: %s", win, mc_strerror(rv));
		return rv;
	}
	if ((rv = sys_files_rename(wout, win, err, errlen)) != MC_OK)
		return rv;
	return sys_files_mkdir(wout, err, errlen);
}

mc_err
process_chain_finish(const task *t, const char *task_dir, char *err,
    size_t errlen, bool *retryable)
{
	size_t last = task_step_count(t) - 1;
	char   in[MC_PATH_MAX], wout[MC_PATH_MAX], out[MC_PATH_MAX];
	char   tj[MC_PATH_MAX], why[512];
	bool   retain = false;
	mc_err rv;

	*retryable = false;
	if (!sub(in, sizeof(in), task_dir, PROCESS_CHAIN_IN, err, errlen) ||
	    !sub(wout, sizeof(wout), task_dir,
	        PROCESS_CHAIN_WORK "/" PROCESS_CHAIN_OUT, err, errlen) ||
	    !sub(out, sizeof(out), task_dir, PROCESS_CHAIN_OUT, err, errlen))
		return MC_EINVAL;
	*retryable = true;
	for (size_t i = 0; i <= last; i++)
		retain |= task_step(t, i)->retain_input_images;
	if (retain && (rv = copy_files(in, wout, why, sizeof(why))) != MC_OK) {
		mc_errf(err, errlen, "retaining inputs: %s", why);
		return rv;
	}
	if (sys_path_fmt(tj, sizeof(tj), "%s/%s", wout, TASK_JSON_NAME) ==
	        MC_OK &&
	    !sys_exists(tj) &&
	    (rv = process_chain_step_json(
	         t, last, task_dir, wout, err, errlen)) != MC_OK)
		return rv;
	return sys_files_rename(wout, out, err, errlen);
}

void
process_chain_cleanup(const task *t, const char *task_dir)
{
	char   work[MC_PATH_MAX];
	mc_err rv;

	if (sys_path_fmt(work, sizeof(work), "%s/%s", task_dir,
	        PROCESS_CHAIN_WORK) != MC_OK)
		return;
	if ((rv = sys_remove_tree(work)) != MC_OK)
		log_warn("event=process.cleanup_failed task=%s path=%s err=%s",
		    task_id(t), work, mc_strerror(rv));
}

size_t
process_chain_count_output(const char *dir)
{
	char   err[512];
	size_t n = 0;

	if (sys_files_count_entries(
	        dir, NOT_OUTPUT, NOT_OUTPUT_N, &n, err, sizeof(err)) != MC_OK)
		return 0;
	return n;
}

mc_err
process_mark_done(const char *task_dir, const char *module_result_json)
{
	char path[MC_PATH_MAX];

	if (sys_path_fmt(path, sizeof(path), "%s/%s", task_dir,
	        PROCESS_MARKER) != MC_OK)
		return MC_EINVAL;
	return sys_write_file_atomic(
	    path, module_result_json, strlen(module_result_json));
}
