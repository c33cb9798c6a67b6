/* receiver_store.c - from a complete received file to a stored instance.
 * Order matters for "what is acked is on disk", with one flush per
 * instance: the temp file is renamed to its finished name, which holds
 * its length and CRC, and fsync'ed (its data, and on ext4 and xfs that
 * name in tmp/), then renamed into place, then recorded in the journal
 * without a flush of its own. A crash after the acknowledgement can lose
 * the rename or the journal line, never the data: the receiver moves
 * finished temp files into place when it starts (receiver_recover.c),
 * and the coordinator reads a file that no journal line names from its
 * DICOM header. A record never names a file that is not in place. */
#include "receiver_store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "msg/journal.h"
#include "base/log.h"
#include "store_path.h"
#include "os/sys_fs.h"
#include "tags/tags_json.h"
#include "tmp_pool.h"

#define STORE_RENAME_TRIES 3
#define STORE_SET_TAG_NAME_MAX 64

/* set_tags - o->set_tags, each "Name=value" (getdcmtags checked them) */
static mc_err
set_tags(const receiver_store_opts *o, mc_tagset *t)
{
	char name[STORE_SET_TAG_NAME_MAX + 1];

	for (size_t i = 0; i < o->n_set_tags; i++) {
		const char *eq = strchr(o->set_tags[i], '=');
		size_t      n = eq ? (size_t) (eq - o->set_tags[i]) : 0;
		if (n == 0 || n > STORE_SET_TAG_NAME_MAX)
			continue;
		memcpy(name, o->set_tags[i], n);
		name[n] = '\0';
		if (mc_tagset_set(t, name, eq + 1) != MC_OK)
			return MC_ENOMEM;
	}
	return MC_OK;
}

static mc_err
fill_instance(const receiver_store_opts *o, const store_origin *org,
    mc_instance *out, char *reason, size_t rlen)
{
	mc_tagset  *t = out->tags;
	const char *study = mc_tagset_get(t, "StudyInstanceUID");
	const char *series = mc_tagset_get(t, "SeriesInstanceUID");
	const char *sop = mc_tagset_get(t, "SOPInstanceUID");

	if (!uid_is_valid(sop) || !uid_is_valid(series) ||
	    !uid_is_valid(study)) {
		snprintf(reason, rlen,
		    "invalid or missing UID (study='%.80s' series='%.80s' "
		    "sop='%.80s'): a UID must be digits and dots, at most 64",
		    study ? study : "", series ? series : "", sop ? sop : "");
		return MC_EUID;
	}
	mc_copy_text(out->study_uid, sizeof(out->study_uid), study);
	mc_copy_text(out->series_uid, sizeof(out->series_uid), series);
	mc_copy_text(out->sop_uid, sizeof(out->sop_uid), sop);
	mc_copy_text(out->sop_class_uid, sizeof(out->sop_class_uid),
	    mc_tagset_get(t, "SOPClassUID"));
	mc_copy_text(out->sender_address, sizeof(out->sender_address),
	    org->sender_address);
	mc_copy_text(
	    out->sender_aet, sizeof(out->sender_aet), org->sender_aet);
	mc_copy_text(
	    out->receiver_aet, sizeof(out->receiver_aet), org->receiver_aet);
	snprintf(out->path, sizeof(out->path), "%s%s%s/%s.dcm",
	    o->path_prefix ? o->path_prefix : "",
	    o->path_prefix && o->path_prefix[0] ? "/" : "", series, sop);
	out->recv_time_us = sys_now_us();
	if (mc_tagset_set(t, "SenderAddress", out->sender_address) != MC_OK ||
	    mc_tagset_set(t, "SenderAET", out->sender_aet) != MC_OK ||
	    mc_tagset_set(t, "ReceiverAET", out->receiver_aet) != MC_OK)
		return MC_ENOMEM;
	return set_tags(o, t);
}

static mc_err
write_sidecar(const char *series_dir, const mc_instance *in, bool sync)
{
	char   path[MC_PATH_MAX], tmp[MC_PATH_MAX + 16];
	char  *json;
	mc_err rv = tags_json_encode(in->tags, &json);

	if (rv != MC_OK)
		return rv;
	if (sys_path_fmt(path, sizeof(path), "%s/%s.tags", series_dir,
	        in->sop_uid) != MC_OK) {
		free(json);
		return MC_EINVAL;
	}
	if (sync) {
		rv = sys_write_file_atomic(path, json, strlen(json));
	} else {
		(void) !sys_path_fmt(tmp, sizeof(tmp), "%s.tmp", path);
		unlink(tmp);
		rv = sys_append(tmp, json, strlen(json), SYS_SYNC_NONE);
		if (rv == MC_OK && rename(tmp, path) != 0)
			rv = mc_from_errno(errno);
	}
	free(json);
	return rv;
}

/* place_and_record - the file is valid: put it in its series folder and
 * record it. Returns the failing step's error with reason filled. */
static mc_err
place_and_record(const receiver_store_opts *o, const char *src,
    mc_instance *in, char *reason, size_t rlen)
{
	char   dir[MC_PATH_MAX], dst[MC_PATH_MAX], jpath[MC_PATH_MAX];
	mc_err rv;

	if (sys_path_fmt(dir, sizeof(dir), "%s/%s", o->incoming,
	        in->series_uid) != MC_OK ||
	    sys_path_fmt(dst, sizeof(dst), "%s/%s.dcm", dir, in->sop_uid) !=
	        MC_OK ||
	    sys_path_fmt(jpath, sizeof(jpath), "%s/%s", dir,
	        JOURNAL_FILE_NAME) != MC_OK) {
		snprintf(reason, rlen, "storage path too long");
		return MC_EINVAL;
	}
	/* rename replaces an earlier copy of a re-sent instance atomically.
	 * The series folder usually exists; when it does not (first image,
	 * or the coordinator removed the folder it had emptied, even between
	 * our mkdir and rename) make it and retry */
	for (int tries = 0; rename(src, dst) != 0; tries++) {
		int e = errno;
		if (e != ENOENT || tries == STORE_RENAME_TRIES) {
			snprintf(reason, rlen, "cannot move into place: %s",
			    strerror(e));
			return mc_from_errno(e);
		}
		if ((rv = sys_mkdir_p(dir)) != MC_OK) {
			snprintf(reason, rlen,
			    "cannot create series folder: %s",
			    mc_strerror(rv));
			return rv;
		}
	}
	if (o->mode == STORE_RECORD_SIDECAR)
		rv = write_sidecar(dir, in, o->fsync);
	else
		rv = journal_append(jpath, in, SYS_SYNC_NONE);
	if (rv != MC_OK) {
		snprintf(reason, rlen, "cannot record the instance: %s",
		    mc_strerror(rv));
		/* not recorded, so not acked: take the file back out so the
		 * folder never holds an instance the sender thinks failed */
		if (rename(dst, src) != 0)
			log_warn("event=instance.unrecord_failed series=%s "
			         "sop=%s",
			    in->series_uid, in->sop_uid);
	}
	return rv;
}

bool
store_done_parse(const char *name, uint64_t *bytes, uint32_t *crc)
{
	const char        *p = name + strlen(STORE_DONE_PREFIX);
	char              *end;
	unsigned long long b;
	unsigned long      c;

	if (strncmp(name, STORE_DONE_PREFIX, strlen(STORE_DONE_PREFIX)) != 0 ||
	    *p < '0' || *p > '9')
		return false;
	errno = 0;
	b = strtoull(p, &end, 10);
	if (errno != 0 || *end != '-' || end[1] == '-' || end[1] == '+')
		return false;
	c = strtoul(end + 1, &end, 16);
	if (errno != 0 || *end != '-' || c > 0xFFFFFFFFul)
		return false;
	*bytes = b;
	*crc = (uint32_t) c;
	return true;
}

/* mark_finished - rename src (the whole transfer is in its first bytes)
 * to its STORE_DONE_PREFIX name, into done. Unflushed: the flush that
 * follows (or the seal before) makes it durable with the data. */
static mc_err
mark_finished(const char *src, uint64_t bytes, char *done, size_t donelen)
{
	char     dir[MC_PATH_MAX];
	uint32_t crc;
	int      fd = open(src, O_RDONLY | O_CLOEXEC);
	int      r;

	if (fd < 0)
		return mc_from_errno(errno);
	r = tmp_pool_data_crc(fd, bytes, &crc);
	close(fd);
	if (r != 0)
		return MC_EIO;
	sys_dirname_of(src, dir, sizeof(dir));
	if (sys_path_fmt(done, donelen, "%s/" STORE_DONE_PREFIX "%llu-%08x-%s",
	        dir, (unsigned long long) bytes, (unsigned) crc,
	        sys_basename_of(src) + (sys_basename_of(src)[0] == '.')) !=
	    MC_OK)
		return MC_EINVAL;
	return rename(src, done) == 0 ? MC_OK : mc_from_errno(errno);
}

/* make_durable - the data of src reaches the disk before the instance is
 * acknowledged: a data-only flush for a pool file it fits in (see
 * tmp_pool.h), a full fsync otherwise. A pool file is then cut to its
 * data, which the flush does not wait for. With mark, src is renamed to
 * its finished name (path written to done): after the seal, whose
 * trailer already marks the file, and before the cut, which the journal
 * then commits after the rename; before the flush otherwise, which then
 * makes the name durable with the data. */
static mc_err
make_durable(const receiver_store_opts *o, const char *src,
    const store_origin *org, bool mark, char *done, size_t donelen)
{
	uint64_t bytes = org->bytes;
	bool     pool = org->prealloc > 0 && bytes <= org->prealloc;
	bool   seal = pool && o->fsync && tmp_pool_fits(bytes, org->prealloc);
	mc_err rv = MC_OK;

	mc_copy_text(done, donelen, src);
	if (mark && bytes == 0 && (rv = sys_file_size(src, &bytes)) != MC_OK)
		return rv;
	if (seal &&
	    (rv = tmp_pool_seal(o->pool, src, bytes, org->prealloc)) != MC_OK)
		return rv;
	if (seal && mark &&
	    (rv = mark_finished(src, bytes, done, donelen)) != MC_OK)
		return rv;
	if (pool && (rv = tmp_pool_trim(done, bytes)) != MC_OK)
		return rv;
	if (!seal && mark &&
	    (rv = mark_finished(src, bytes, done, donelen)) != MC_OK)
		return rv;
	return o->fsync && !seal ? sys_fsync_path(done) : MC_OK;
}

static uint16_t
status_for(mc_err rv)
{
	switch (rv) {
	case MC_ENOSPC:
	case MC_ENOMEM:
	case MC_EIO:
		return DCM_STATUS_OUT_OF_RESOURCES;
	default:
		return DCM_STATUS_CANNOT_UNDERSTAND;
	}
}

/* set_aside - a file we could not take: an incomplete one (disk full) is
 * removed, anything else goes to error/ for an operator to look at. */
static void
set_aside(const receiver_store_opts *o, const char *src, mc_err why,
    const char *sop, const char *reason)
{
	char name[MC_PATH_MAX];

	if (why == MC_ENOSPC) {
		unlink(src);
		return;
	}
	snprintf(name, sizeof(name), "%lld-%s%s",
	    (long long) (sys_now_us() / 1000),
	    uid_is_valid(sop) ? sop : sys_basename_of(src), ".dcm");
	if (store_move_to_error(o->incoming, src, name, reason) != MC_OK) {
		log_warn("event=error_move.failed file=%s", src);
		unlink(src);
	}
}

/* note_cut - one line per instance with values cut to the caps */
static void
note_cut(const mc_instance *in, const dcm_extract_notes *n)
{
	if (n->values_cut > 0)
		log_warn(
		    "event=instance.value_cut series=%s sop=%s values=%zu "
		    "first=%s bytes=%zu max_bytes=%d max_values=%d",
		    in->series_uid, in->sop_uid, n->values_cut, n->first_cut,
		    n->first_cut_bytes, DCM_VALUE_MAX_BYTES, DCM_VALUE_MAX_VM);
	if (n->charset_warning) {
		/* the sender's text: escaped so it stays inside its quotes */
		char cs[LOG_ESC_LEN(64)];

		log_warn(
		    "event=instance.charset series=%s sop=%s charset=\"%s\""
		    " msg=\"unconvertible bytes replaced by U+FFFD\"",
		    in->series_uid, in->sop_uid,
		    log_esc(cs, sizeof(cs),
		        mc_tagset_get(in->tags, "SpecificCharacterSet")));
	}
}

/* store_durable - src is durable (and marked where the mode wants it):
 * read it, check it, put it in place. On failure it is set aside. */
static mc_err
store_durable(const receiver_store_opts *o, const char *src,
    const store_origin *org, mc_instance *out, uint16_t *status, char *reason,
    size_t rlen)
{
	dcm_extract_notes notes;
	mc_err            rv;

	/* the bytes still in memory spare reading src back; the result is
	 * the file's either way */
	if (org->head_len > 0 && org->bytes > 0)
		rv = dcm_extract_tags_mem(org->head, org->head_len, org->bytes,
		    src, o->extra, out->tags, &notes, reason, rlen);
	else
		rv = dcm_extract_tags_ex(
		    src, o->extra, out->tags, &notes, reason, rlen);
	if (rv != MC_OK)
		goto fail;
	if ((rv = fill_instance(o, org, out, reason, rlen)) != MC_OK)
		goto fail;
	out->size = org->bytes;
	if (out->size == 0 && (rv = sys_file_size(src, &out->size)) != MC_OK) {
		snprintf(reason, rlen, "cannot stat the received file");
		goto fail;
	}
	if (org->expected_sop_uid && org->expected_sop_uid[0] &&
	    strcmp(org->expected_sop_uid, out->sop_uid) != 0) {
		snprintf(reason, rlen,
		    "dataset SOP Instance UID differs from the request's");
		rv = MC_EUID;
		*status = DCM_STATUS_DATASET_MISMATCH;
		goto fail;
	}
	note_cut(out, &notes);
	if ((rv = place_and_record(o, src, out, reason, rlen)) != MC_OK)
		goto fail;
	return MC_OK;
fail:
	if (*status == DCM_STATUS_SUCCESS)
		*status = status_for(rv);
	set_aside(o, src, rv, out->sop_uid, reason);
	mc_instance_fini(out);
	return rv;
}

mc_err
receiver_store_file(const receiver_store_opts *o, const char *src,
    const store_origin *org, mc_instance *out, uint16_t *status, char *reason,
    size_t rlen)
{
	char   done[MC_PATH_MAX];
	mc_err rv;

	*status = DCM_STATUS_SUCCESS;
	reason[0] = '\0';
	if ((rv = mc_tagset_create(&out->tags)) != MC_OK) {
		*status = status_for(rv);
		set_aside(o, src, rv, "", "out of memory");
		return rv;
	}
	rv = make_durable(
	    o, src, org, o->mode == STORE_RECORD_JOURNAL, done, sizeof(done));
	if (rv != MC_OK) {
		snprintf(reason, rlen, "flushing the received data failed: %s",
		    mc_strerror(rv));
		*status = status_for(rv);
		/* the mark may be done or not: whichever name is there */
		set_aside(
		    o, access(done, F_OK) == 0 ? done : src, rv, "", reason);
		mc_instance_fini(out);
		return rv;
	}
	return store_durable(o, done, org, out, status, reason, rlen);
}

mc_err
receiver_store_recovered(const receiver_store_opts *o, const char *src,
    mc_instance *out, char *reason, size_t rlen)
{
	store_origin org = {"", "", "", NULL, 0, 0, NULL, 0};
	uint16_t     status = DCM_STATUS_SUCCESS;
	mc_err       rv;

	reason[0] = '\0';
	if ((rv = mc_tagset_create(&out->tags)) == MC_OK && o->fsync)
		rv = sys_fsync_path(src);
	if (rv != MC_OK) {
		snprintf(reason, rlen, "cannot flush: %s", mc_strerror(rv));
		set_aside(o, src, rv, "", reason);
		mc_instance_fini(out);
		return rv;
	}
	return store_durable(o, src, &org, out, &status, reason, rlen);
}
