/* dcm_deid.h - the C face of de-identifying one DICOM file with DCMTK:
 * the actions of PS3.15 Table E.1-1 (common/dcm/deid_table.def) with the
 * options chosen, applied to every level of the dataset. What the new
 * patient identity and UIDs are is the caller's (callbacks), so that the
 * keys and the lookup table stay outside DCMTK's seam. Plain C; the
 * implementation is dcm_glue_deid.cpp and never lets an exception out. */
#ifndef MC_COMMON_DCM_DEID_H
#define MC_COMMON_DCM_DEID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/mc_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The option columns of Table E.1-1 that are implemented, as flags. */
#define DCM_DEID_RETAIN_FULL_DATES (1u << 0)
#define DCM_DEID_RETAIN_MODIFIED_DATES (1u << 1)
#define DCM_DEID_CLEAN_DESCRIPTORS (1u << 2)
#define DCM_DEID_RETAIN_UIDS (1u << 3)
#define DCM_DEID_RETAIN_DEVICE_IDENTITY (1u << 4)
#define DCM_DEID_RETAIN_PATIENT_CHARS (1u << 5)
#define DCM_DEID_RETAIN_INSTITUTION_IDENTITY (1u << 6)
#define DCM_DEID_CLEAN_GRAPHICS (1u << 7)

/* Lengths with the NUL: a UID (64) and a LO/PN value the callbacks
 * write (PN: 64 per component group, three groups). */
#define DCM_DEID_UID_SIZE 65
#define DCM_DEID_ID_SIZE 65
#define DCM_DEID_NAME_SIZE 200

/* dcm_deid_patient_fn - the replacement identity of the patient whose
 * PatientID and PatientName (raw bytes of the file, "" when absent) are
 * given: new_id, new_name and, for modified dates, the shift in days.
 * Returns MC_OK or an error with err filled (never naming the patient),
 * which fails the file with that code. */
typedef mc_err (*dcm_deid_patient_fn)(void *ctx, const char *old_id,
    const char *old_name, char *new_id, char *new_name, long *shift_days,
    char *err, size_t errlen);

/* dcm_deid_uid_fn - the replacement of one UID into new_uid
 * (DCM_DEID_UID_SIZE bytes); the same old_uid must always give the same
 * new one. Returns MC_OK or an error. */
typedef mc_err (*dcm_deid_uid_fn)(
    void *ctx, const char *old_uid, char *new_uid);

typedef struct dcm_deid_opts {
	unsigned        options;      /* DCM_DEID_* flags */
	const uint32_t *keep_private; /* (group << 16) | element, odd group */
	size_t          n_keep_private;
	bool        allow_burned_in; /* else BurnedInAnnotation YES fails */
	const char *method;          /* DeidentificationMethod text */
	dcm_deid_patient_fn patient;
	dcm_deid_uid_fn     uid;
	void               *ctx;
} dcm_deid_opts;

/* What one file was and became (UIDs are not patient data; the mapping
 * file is the caller's). Counts are of elements at every level. */
typedef struct dcm_deid_report {
	char study_uid[DCM_DEID_UID_SIZE], new_study_uid[DCM_DEID_UID_SIZE];
	char series_uid[DCM_DEID_UID_SIZE], new_series_uid[DCM_DEID_UID_SIZE];
	char sop_uid[DCM_DEID_UID_SIZE], new_sop_uid[DCM_DEID_UID_SIZE];
	char patient_id[DCM_DEID_ID_SIZE], new_patient_id[DCM_DEID_ID_SIZE];
	long shift_days;
	bool burned_in; /* BurnedInAnnotation was YES (allowed) */
	size_t removed, emptied, replaced, remapped, shifted, cleaned;
} dcm_deid_report;

/* dcm_deid_init - dcm_glue_init (dcm_glue.h) for programs that use only
 * this header: DCMTK's logger quiet (its messages may quote values), the
 * data dictionary checked. Once per process, before any thread; later
 * calls return the first result. */
MC_NODISCARD mc_err dcm_deid_init(char *err, size_t errlen);

/* dcm_deid_file - read in_path (checked by dcm_scan_file first: depth,
 * element count and lengths bounded), apply the Basic Application Level
 * Confidentiality Profile with o->options, remove private elements
 * other than o->keep_private (and their creators), set
 * PatientIdentityRemoved, DeidentificationMethod(CodeSequence) and
 * LongitudinalTemporalInformationModified, and write out_path (created,
 * same transfer syntax, pixel data untouched). r is filled as far as
 * known. Returns MC_OK; MC_EREFUSED when BurnedInAnnotation is YES and
 * not allowed (nothing written); MC_EPARSE (not DICOM, too deep);
 * MC_EIO (cannot write); a callback's error; MC_ENOMEM, MC_EINTERNAL.
 * err never holds patient data. Any thread. */
MC_NODISCARD mc_err dcm_deid_file(const char *in_path, const char *out_path,
    const dcm_deid_opts *o, dcm_deid_report *r, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
