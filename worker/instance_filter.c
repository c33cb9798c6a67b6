/* instance_filter.c - instance_filter.h. The tags come from each file's
 * header (DCMTK, up to the pixel data): the task folder holds the
 * instances but not the receiver's journal, and the header is what the
 * receiver read too. A move is one rename(2) inside the task folder, so
 * a worker killed half-way leaves every file in in/ or filtered/, whole. */
#include "instance_filter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "dcm/dcm_glue.h"
#include "os/sys_files.h"
#include "os/sys_fs.h"
#include "rule/rule.h"
#include "tags/tagset.h"

#define FILTER_IN_DIR "in"
#define FILTER_ERR_MAX 512

static bool
is_dcm(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && strcmp(name + n - 4, ".dcm") == 0;
}

/* the tags expr names that the dictionary knows, beyond mercure's list */
static dcm_taglist *
extra_tags(const rule *r)
{
	size_t       n = rule_tag_count(r), k = 0;
	const char **specs = calloc(n ? n : 1, sizeof(*specs));
	dcm_taglist *l = NULL, *one;
	char         err[FILTER_ERR_MAX];

	if (specs == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *name = rule_tag_at(r, i);
		if (dcm_taglist_create(&name, 1, &one, err, sizeof(err)) ==
		    MC_OK) {
			dcm_taglist_destroy(one);
			specs[k++] = name;
		}
	}
	if (k > 0 &&
	    dcm_taglist_create(specs, k, &l, err, sizeof(err)) != MC_OK)
		l = NULL;
	free(specs);
	return l;
}

/* true when the instance at path passes (or cannot be judged) */
static bool
passes(const rule *r, const dcm_taglist *extra, const char *path)
{
	mc_tagset  *tags = NULL;
	char        err[FILTER_ERR_MAX];
	bool        warn = false, ok = true;
	const char *why = NULL;

	if (mc_tagset_create(&tags) != MC_OK)
		return true;
	if (dcm_extract_tags(path, extra, tags, &warn, err, sizeof(err)) !=
	    MC_OK)
		log_warn("event=instance_filter.unreadable file=%s msg=\"%s\" "
		         "kept=1",
		    path, err);
	else
		ok = rule_eval(r, tags, &why);
	mc_tagset_destroy(tags);
	return ok;
}

static mc_err
move_out(const char *task_dir, const char *name, char *err, size_t errlen)
{
	char   from[MC_PATH_MAX], to[MC_PATH_MAX], dir[MC_PATH_MAX];
	mc_err rv;

	if (sys_path_fmt(dir, sizeof(dir), "%s/%s", task_dir,
	        INSTANCE_FILTER_DIR) != MC_OK ||
	    sys_path_fmt(from, sizeof(from), "%s/%s/%s", task_dir,
	        FILTER_IN_DIR, name) != MC_OK ||
	    sys_path_fmt(to, sizeof(to), "%s/%s", dir, name) != MC_OK) {
		mc_errf(err, errlen, "task folder path too long");
		return MC_EINVAL;
	}
	if ((rv = sys_mkdir_p(dir)) != MC_OK) {
		mc_errf(
		    err, errlen, "cannot create %s: %s", dir, mc_strerror(rv));
		return rv;
	}
	return sys_files_rename(from, to, err, errlen);
}

static mc_err
list_filtered(const char *task_dir, instance_filter_report *rep, char *err,
    size_t errlen)
{
	char dir[MC_PATH_MAX];

	if (sys_path_fmt(dir, sizeof(dir), "%s/%s", task_dir,
	        INSTANCE_FILTER_DIR) != MC_OK) {
		mc_errf(err, errlen, "task folder path too long");
		return MC_EINVAL;
	}
	if (!sys_exists(dir))
		return MC_OK;
	return sys_files_list(
	    dir, &rep->filtered, &rep->n_filtered, err, errlen);
}

mc_err
instance_filter_apply(const char *expr, const char *task_dir,
    instance_filter_report *rep, char *err, size_t errlen)
{
	rule        *r = NULL;
	dcm_taglist *extra;
	mc_diag      d = {0};
	char         in[MC_PATH_MAX], **names = NULL;
	size_t       n = 0;
	mc_err       rv;

	memset(rep, 0, sizeof(*rep));
	if ((rv = rule_compile(expr, strlen(expr), &r, &d)) != MC_OK) {
		mc_errf(err, errlen, "instance_filter: column %zu: %s",
		    d.column, d.msg);
		return rv == MC_ENOMEM ? MC_ENOMEM : MC_ESYNTAX;
	}
	if ((rv = dcm_glue_init(err, errlen)) != MC_OK) {
		rule_free(r);
		return rv;
	}
	if (sys_path_fmt(in, sizeof(in), "%s/%s", task_dir, FILTER_IN_DIR) !=
	        MC_OK ||
	    (rv = sys_files_list(in, &names, &n, err, errlen)) != MC_OK) {
		rule_free(r);
		return rv != MC_OK ? rv : MC_EINVAL;
	}
	extra = extra_tags(r);
	for (size_t i = 0; i < n && rv == MC_OK; i++) {
		char path[MC_PATH_MAX];
		if (!is_dcm(names[i]))
			continue;
		if (sys_path_fmt(path, sizeof(path), "%s/%s", in, names[i]) !=
		        MC_OK ||
		    passes(r, extra, path)) {
			rep->kept++;
			continue;
		}
		rv = move_out(task_dir, names[i], err, errlen);
	}
	dcm_taglist_destroy(extra);
	sys_files_free(names, n);
	rule_free(r);
	if (rv == MC_OK)
		rv = list_filtered(task_dir, rep, err, errlen);
	return rv;
}

void
instance_filter_report_fini(instance_filter_report *rep)
{
	sys_files_free(rep->filtered, rep->n_filtered);
	memset(rep, 0, sizeof(*rep));
}
