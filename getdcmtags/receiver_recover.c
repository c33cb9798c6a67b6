/* receiver_recover.c - recovery of temp files left by a killed receiver
 * (see receiver_recover.h). Runs once, before the first association. */
#include "receiver_recover.h"

#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "store_path.h"
#include "sys_fs.h"
#include "tmp_pool.h"

static void
recover_one(const receiver_store_opts *o, const char *path, size_t *stored,
    size_t *removed)
{
	mc_tagset   *t = NULL;
	bool         warn;
	char         reason[512] = "";
	mc_instance  in;
	uint16_t     status;
	store_origin org = {"", "", "", NULL, 0, 0};

	switch (tmp_pool_recover(path)) {
	case TMP_POOL_UNUSED: /* a spare or a transfer never acknowledged */
		(*removed)++;
		return;
	case TMP_POOL_RESTORED:
		log_info("event=tmp.restored file=%s reason=\"acknowledged, "
			 "cut to its data from the trailer\"",
		    sys_basename_of(path));
		break;
	case TMP_POOL_NOT_POOL:
		break;
	}
	/* incomplete (never acknowledged): not an error for an operator */
	if (mc_tagset_create(&t) != MC_OK ||
	    dcm_extract_tags(path, o->extra, t, &warn, reason,
		sizeof(reason)) != MC_OK) {
		mc_tagset_destroy(t);
		unlink(path);
		(*removed)++;
		log_info("event=tmp.removed file=%s reason=\"incomplete, was "
			 "never acknowledged\"",
		    sys_basename_of(path));
		return;
	}
	mc_tagset_destroy(t);
	mc_instance_init(&in);
	if (receiver_store_file(o, path, &org, &in, &status, reason,
		sizeof(reason)) != MC_OK) {
		log_warn("event=tmp.recover_failed file=%s reason=\"%s\"",
		    sys_basename_of(path), reason);
		return;
	}
	(*stored)++;
	log_info("event=tmp.recovered series=%s sop=%s", in.series_uid,
	    in.sop_uid);
	mc_instance_fini(&in);
}

void
receiver_recover_tmp(const receiver_store_opts *o, const char *tmp_dir,
    size_t *stored, size_t *removed)
{
	DIR           *d = opendir(tmp_dir);
	struct dirent *de;
	char           path[STORE_PATH_MAX];
	size_t         ns = 0, nr = 0;
	struct stat    st;

	while (d && (de = readdir(d)) != NULL) {
		if (sys_path_fmt(path, sizeof(path), "%s/%s", tmp_dir,
			de->d_name) != MC_OK ||
		    lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		recover_one(o, path, &ns, &nr);
	}
	if (d)
		closedir(d);
	if (ns || nr)
		log_info("event=tmp.recovery stored=%zu removed=%zu", ns, nr);
	if (stored)
		*stored = ns;
	if (removed)
		*removed = nr;
}
