/* deidentify.c - the built-in module deidentify over one folder: the
 * settings, the key and the lookup table once, then dcm_deid_file per
 * instance with the callbacks that give new identities, then the
 * mapping file. What the DICOM actions are is common/dcm's. */
#include "process/builtin/deidentify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "dcm/dcm_deid.h"
#include "os/sys_files.h"
#include "os/sys_fs.h"
#include "process/builtin/deidentify_int.h"

#define DEID_METHOD "mercure-c deidentify: DICOM PS3.15 E.1 Basic Profile"
#define DEID_SUFFIX ".dcm"
#define DEID_TMP_NAME ".deidentify.part"

/* the DEID_OPT bits in the order of DEID_OPTIONS, as dcm_deid flags */
static const unsigned DCM_FLAG[DEID_OPT_COUNT] = {DCM_DEID_RETAIN_FULL_DATES,
    DCM_DEID_RETAIN_MODIFIED_DATES, DCM_DEID_CLEAN_DESCRIPTORS,
    DCM_DEID_RETAIN_UIDS, DCM_DEID_RETAIN_DEVICE_IDENTITY,
    DCM_DEID_RETAIN_PATIENT_CHARS, DCM_DEID_RETAIN_INSTITUTION_IDENTITY,
    DCM_DEID_CLEAN_GRAPHICS};

typedef struct deid_job {
	deid_settings       s;
	deid_key            key;
	deid_lookup        *lookup;
	deid_map           *map;
	char                mapping[DEID_PATH_SIZE];
	deidentify_outcome *out;
} deid_job;

static mc_err
patient_cb(void *ctx, const char *old_id, const char *old_name, char *new_id,
    char *new_name, long *shift_days, char *err, size_t errlen)
{
	deid_job   *j = ctx;
	const char *id, *name;
	char        hash[DEID_HASH_HEX_LEN + 1];
	mc_err      rv;

	(void) old_name;
	*shift_days = 0;
	if ((rv = deid_hash_hex(&j->key, old_id, hash)) != MC_OK)
		return rv;
	if (deid_lookup_find(j->lookup, old_id, &id, &name)) {
		snprintf(new_id, DCM_DEID_ID_SIZE, "%s", id);
		if (name[0] != '\0')
			snprintf(new_name, DCM_DEID_NAME_SIZE, "%s", name);
		else
			deid_expand(j->s.patient_name, hash, new_name);
	} else if (j->lookup != NULL && !j->s.lookup_fallback) {
		mc_errf(err, errlen,
		    "the patient is not in lookup_table (lookup_missing: fail)");
		return MC_ENOENT;
	} else {
		deid_expand(j->s.patient_id, hash, new_id);
		deid_expand(j->s.patient_name, hash, new_name);
	}
	if (j->s.options & DEID_OPT(RETAIN_MODIFIED_DATES))
		return deid_shift_days(
		    &j->key, old_id, j->s.date_shift_max_days, shift_days);
	return MC_OK;
}

static mc_err
uid_cb(void *ctx, const char *old_uid, char *new_uid)
{
	deid_job *j = ctx;
	return deid_uid(&j->key, old_uid, new_uid);
}

static mc_err
note(deid_job *j, const dcm_deid_report *r)
{
	char   days[32];
	mc_err rv;

	snprintf(days, sizeof(days), "%ld", r->shift_days);
	if ((rv = deid_map_add(j->map, "patient", r->patient_id,
	         r->new_patient_id)) != MC_OK ||
	    (rv = deid_map_add(
	         j->map, "study", r->study_uid, r->new_study_uid)) != MC_OK ||
	    (rv = deid_map_add(
	         j->map, "series", r->series_uid, r->new_series_uid)) != MC_OK)
		return rv;
	if (j->s.options & DEID_OPT(RETAIN_MODIFIED_DATES))
		return deid_map_add(j->map, "date_shift", r->patient_id, days);
	return MC_OK;
}

static void fail(deid_job *j, bool retryable, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail(deid_job *j, bool retryable, const char *fmt, ...)
{
	va_list ap;

	j->out->retryable = retryable;
	va_start(ap, fmt);
	vsnprintf(j->out->error, sizeof(j->out->error), fmt, ap);
	va_end(ap);
}

/* one instance: written under a temporary name, renamed to its new UIDs
 * once complete */
static mc_err
one_file(deid_job *j, const dcm_deid_opts *d, const char *in_dir,
    const char *out_dir, const char *name)
{
	char            in[MC_PATH_MAX], tmp[MC_PATH_MAX], dst[MC_PATH_MAX];
	char            err[DEIDENTIFY_ERROR_MAX_LEN + 1] = "";
	dcm_deid_report r;
	mc_err          rv;

	if (sys_path_fmt(in, sizeof(in), "%s/%s", in_dir, name) != MC_OK ||
	    sys_path_fmt(tmp, sizeof(tmp), "%s/%s", out_dir, DEID_TMP_NAME) !=
	        MC_OK)
		return MC_EINVAL;
	rv = dcm_deid_file(in, tmp, d, &r, err, sizeof(err));
	if (rv != MC_OK) {
		/* err names no patient data; the file name holds UIDs only */
		fail(j, rv == MC_EIO || rv == MC_ENOMEM, "%s: %s", name, err);
		if (sys_remove_tree(tmp) != MC_OK)
			log_warn("event=deidentify.cleanup path=%s", tmp);
		return rv;
	}
	if ((rv = sys_path_fmt(dst, sizeof(dst), "%s/%s#%s%s", out_dir,
	         r.new_series_uid, r.new_sop_uid, DEID_SUFFIX)) != MC_OK)
		return rv;
	if (sys_exists(dst)) {
		fail(j, false, "%s: another instance has the SOP UID %s", name,
		    r.sop_uid);
		return MC_EEXIST;
	}
	if ((rv = sys_files_rename(tmp, dst, err, sizeof(err))) != MC_OK) {
		fail(j, true, "%s: %s", name, err);
		return rv;
	}
	if (r.burned_in)
		log_warn("event=deidentify.burned_in sop=%s new_sop=%s "
		         "msg=\"BurnedInAnnotation YES, allowed by "
		         "allow_burned_in\"",
		    r.sop_uid, r.new_sop_uid);
	j->out->files++;
	return note(j, &r);
}

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n > m && strcasecmp(s + n - m, suffix) == 0;
}

static mc_err
all_files(deid_job *j, const deidentify_opts *o)
{
	dcm_deid_opts d = {0};
	char        **names = NULL;
	size_t        n = 0;
	char          err[DEIDENTIFY_ERROR_MAX_LEN + 1] = "";
	mc_err        rv;

	for (unsigned b = 0; b < DEID_OPT_COUNT; b++)
		if (j->s.options & (1u << b))
			d.options |= DCM_FLAG[b];
	d.keep_private = j->s.keep_private;
	d.n_keep_private = j->s.n_keep_private;
	d.allow_burned_in = j->s.allow_burned_in;
	d.method = DEID_METHOD;
	d.patient = patient_cb;
	d.uid = uid_cb;
	d.ctx = j;
	if ((rv = sys_files_list(o->in_dir, &names, &n, err, sizeof(err))) !=
	    MC_OK) {
		fail(j, false, "%s", err);
		return rv;
	}
	for (size_t i = 0; i < n && rv == MC_OK; i++) {
		if (!has_suffix(names[i], DEID_SUFFIX)) {
			j->out->skipped++;
			continue;
		}
		rv = one_file(j, &d, o->in_dir, o->out_dir, names[i]);
	}
	sys_files_free(names, n);
	return rv;
}

/* settings, key, lookup table, mapping path: nothing is read twice */
static mc_err
prepare(deid_job *j, const deidentify_opts *o)
{
	char   err[DEIDENTIFY_ERROR_MAX_LEN + 1] = "";
	mc_err rv;

	if ((rv = dcm_deid_init(err, sizeof(err))) != MC_OK) {
		fail(j, false, "deidentify: %s", err);
		return rv;
	}
	if ((rv = deid_settings_parse(
	         o->settings_json, &j->s, err, sizeof(err))) != MC_OK ||
	    (rv = deid_key_load(&j->s, &j->key, err, sizeof(err))) != MC_OK ||
	    (j->s.lookup_table[0] != '\0' &&
	        (rv = deid_lookup_load(j->s.lookup_table, &j->lookup, err,
	             sizeof(err))) != MC_OK)) {
		fail(j, false, "%s", err);
		return rv;
	}
	if (j->s.mapping_file[0] != '\0')
		snprintf(
		    j->mapping, sizeof(j->mapping), "%s", j->s.mapping_file);
	else if (o->default_mapping != NULL)
		snprintf(
		    j->mapping, sizeof(j->mapping), "%s", o->default_mapping);
	else {
		fail(j, false,
		    "deidentify: no mapping_file in the settings and no "
		    "storage root to put one in");
		return MC_ECONFIG;
	}
	if ((rv = deid_map_create(&j->map)) != MC_OK)
		fail(j, true, "out of memory");
	return rv;
}

mc_err
deidentify_run(const deidentify_opts *o, deidentify_outcome *out)
{
	deid_job *j = calloc(1, sizeof(*j));
	char      err[DEIDENTIFY_ERROR_MAX_LEN + 1] = "";
	mc_err    rv;

	memset(out, 0, sizeof(*out));
	if (j == NULL) {
		snprintf(out->error, sizeof(out->error), "out of memory");
		out->retryable = true;
		return MC_ENOMEM;
	}
	j->out = out;
	if ((rv = prepare(j, o)) == MC_OK && (rv = all_files(j, o)) == MC_OK) {
		rv = deid_map_write(j->map, j->mapping,
		    o->task_id ? o->task_id : "", err, sizeof(err));
		if (rv != MC_OK)
			fail(j, true, "%s", err);
	}
	if (rv == MC_OK)
		log_info("event=deidentify.done task=%s files=%zu skipped=%zu",
		    o->task_id ? o->task_id : "", out->files, out->skipped);
	deid_key_wipe(&j->key);
	deid_lookup_destroy(j->lookup);
	deid_map_destroy(j->map);
	free(j);
	return rv;
}
