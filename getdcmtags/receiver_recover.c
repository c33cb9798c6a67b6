/* receiver_recover.c - recovery of temp files left by a killed receiver
 * (see receiver_recover.h). Runs once, before the first association.
 *
 * Only a transfer the receiver finished is stored: a file with its
 * finished name (length and CRC verified) or a pre-written file with a
 * valid trailer. Anything else, however well it parses (a transfer cut
 * at an element boundary does), was never acknowledged and is removed.
 * A file is renamed before it is parsed, so one whose parse kills the
 * process is set aside at the next start instead of parsed again. */
#include "receiver_recover.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "store_path.h"
#include "os/sys_fs.h"
#include "tmp_pool.h"
#include "tmp_slot.h"

typedef struct recover_counts {
	size_t stored, removed, failed;
} recover_counts;

/* verify_done - a finished file whose first bytes match its name's
 * length and CRC is cut to that length; false if they do not match (the
 * crash kept the name but not all the data: never acknowledged). */
static bool
verify_done(const char *path)
{
	uint64_t    bytes;
	uint32_t    want, got;
	struct stat st;
	bool        ok;
	int         fd;

	if (!store_done_parse(sys_basename_of(path), &bytes, &want))
		return false;
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
		return false;
	ok = fstat(fd, &st) == 0 && (uint64_t) st.st_size >= bytes &&
	     tmp_pool_data_crc(fd, bytes, &got) == 0 && got == want &&
	     ((uint64_t) st.st_size == bytes ||
	         ftruncate(fd, (off_t) bytes) == 0);
	close(fd);
	return ok;
}

static void
remove_unfinished(const char *path, recover_counts *c, const char *why)
{
	unlink(path);
	c->removed++;
	log_info("event=tmp.removed file=%s reason=\"%s\"",
	    sys_basename_of(path), why);
}

/* set_aside_unparsed - a file whose recovery began at an earlier start
 * and never ended: the parse may be what stopped the process. */
static void
set_aside_unparsed(
    const receiver_store_opts *o, const char *path, recover_counts *c)
{
	static const char why[] =
	    "recovery of this file began and did not end (the receiver "
	    "stopped while reading it); not read again";
	char name[MC_PATH_MAX];

	snprintf(name, sizeof(name), "%lld-%s.dcm",
	    (long long) (sys_now_us() / 1000), sys_basename_of(path) + 1);
	c->failed++;
	log_warn("event=tmp.recover_failed file=%s reason=\"%s\"",
	    sys_basename_of(path), why);
	if (store_move_to_error(o->incoming, path, name, why) != MC_OK)
		unlink(path);
}

static void
recover_one(const receiver_store_opts *o, const char *path, recover_counts *c)
{
	const char *name = sys_basename_of(path);
	char        dir[MC_PATH_MAX], rec[MC_PATH_MAX], reason[512];
	mc_instance in;

	if (strncmp(name, STORE_RECOVERING_PREFIX,
	        strlen(STORE_RECOVERING_PREFIX)) == 0) {
		set_aside_unparsed(o, path, c);
		return;
	}
	switch (tmp_pool_recover(path)) {
	case TMP_POOL_UNUSED: /* a spare or a transfer never acknowledged */
		c->removed++;
		return;
	case TMP_POOL_RESTORED:
		log_info("event=tmp.restored file=%s reason=\"acknowledged, "
		         "cut to its data from the trailer\"",
		    name);
		break;
	case TMP_POOL_NOT_POOL:
		if (!store_done_parse(name, &(uint64_t){0}, &(uint32_t){0})) {
			remove_unfinished(path, c,
			    "transfer not finished, never acknowledged");
			return;
		}
		if (!verify_done(path)) {
			remove_unfinished(path, c,
			    "finished but its data did not survive; never "
			    "acknowledged");
			return;
		}
		break;
	}
	sys_dirname_of(path, dir, sizeof(dir));
	if (sys_path_fmt(rec, sizeof(rec), "%s/" STORE_RECOVERING_PREFIX "%s",
	        dir, name + (name[0] == '.')) != MC_OK ||
	    rename(path, rec) != 0) {
		c->failed++;
		log_warn("event=tmp.recover_failed file=%s reason=\"cannot "
		         "rename before reading: %s\"",
		    name, strerror(errno));
		return;
	}
	mc_instance_init(&in);
	if (receiver_store_recovered(o, rec, &in, reason, sizeof(reason)) !=
	    MC_OK) {
		c->failed++;
		log_warn("event=tmp.recover_failed file=%s reason=\"%s\"",
		    name, reason);
		return;
	}
	c->stored++;
	log_info(
	    "event=tmp.recovered series=%s sop=%s", in.series_uid, in.sop_uid);
	mc_instance_fini(&in);
}

void
receiver_recover_tmp(const receiver_store_opts *o, const char *tmp_dir,
    size_t *stored, size_t *removed)
{
	DIR           *d = opendir(tmp_dir);
	struct dirent *de;
	char           path[MC_PATH_MAX];
	recover_counts c = {0, 0, 0};
	struct stat    st;

	while (d && (de = readdir(d)) != NULL) {
		if (sys_path_fmt(path, sizeof(path), "%s/%s", tmp_dir,
		        de->d_name) != MC_OK ||
		    lstat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
		    strcmp(de->d_name, TMP_SLOT_LOCK) == 0)
			continue;
		recover_one(o, path, &c);
	}
	if (d)
		closedir(d);
	if (c.stored || c.removed || c.failed)
		log_info("event=tmp.recovery stored=%zu removed=%zu "
		         "set_aside=%zu",
		    c.stored, c.removed, c.failed);
	if (stored)
		*stored = c.stored;
	if (removed)
		*removed = c.removed;
}
