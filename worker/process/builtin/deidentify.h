/* deidentify.h - the built-in module deidentify: every instance of an in
 * folder de-identified into an out folder (DICOM PS3.15 Annex E, Basic
 * Application Level Confidentiality Profile with the options of its
 * settings), in the worker's own process. docs/deidentify.md is the
 * user's side. */
#ifndef MC_WORKER_DEIDENTIFY_H
#define MC_WORKER_DEIDENTIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "base/mc_err.h"

#define DEIDENTIFY_ERROR_MAX_LEN 511
#define DEIDENTIFY_MAPPING_DEFAULT "deidentify/mapping.tsv" /* in root */

typedef struct deidentify_opts {
	const char *settings_json; /* process.settings (borrowed; NULL: {}) */
	const char *in_dir;        /* the instances: <series>#<sop>.dcm */
	const char *out_dir;       /* exists, empty */
	/* the mapping file when the settings name none; NULL: they must */
	const char *default_mapping;
	const char *task_id; /* for the mapping file and the log */
} deidentify_opts;

typedef struct deidentify_outcome {
	bool   retryable; /* a later attempt may succeed as is */
	size_t files;     /* instances written */
	size_t skipped;   /* files that are not instances, left out */
	char   error[DEIDENTIFY_ERROR_MAX_LEN + 1]; /* "" on MC_OK */
} deidentify_outcome;

/* deidentify_run - write each *.dcm (any case) of o->in_dir,
 * de-identified, into o->out_dir as <new series UID>#<new SOP UID>.dcm;
 * other files (task.json, a module's reports) are left out, never passed
 * on as they are: they may hold patient data. Then append the old -> new
 * identifiers to the mapping file (0600). All or nothing: on an error out/ may
 * hold some files, and the caller fails the step. The log gets one line with
 * counts and UIDs, never patient data. Returns MC_OK; MC_ECONFIG
 * (settings, key, lookup table); MC_EREFUSED (BurnedInAnnotation YES,
 * not allowed); MC_ENOENT (a patient missing from the lookup table);
 * MC_EPARSE (an instance DCMTK cannot read); MC_EIO; MC_ENOMEM; with
 * out->error saying which. One thread per call. */
MC_NODISCARD mc_err deidentify_run(
    const deidentify_opts *o, deidentify_outcome *out);

#endif
