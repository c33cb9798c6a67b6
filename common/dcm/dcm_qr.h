/* dcm_qr.h - the C face of DCMTK as a query/retrieve SCU (Study Root):
 * C-FIND at study or series level, C-MOVE to a named AE, C-GET into a
 * folder. Plain C; the implementation is C++17 in dcm_glue_qr.cpp (on
 * DCMTK's DcmSCU) and never lets an exception out. Every call opens its
 * own association and closes it before returning, so nothing outlives a
 * call. What a peer controls is bounded by the options: matches, bytes of
 * responses, files and bytes received by C-GET, free disk, and time (the
 * connect, ACSE and DIMSE timeouts, and a deadline for the whole call).
 * Call dcm_glue_init() or dcm_scu_init() first (TCP_NODELAY, logging).
 * One thread at a time per process (DCMTK's connect timeout is global). */
#ifndef MC_DCM_DCM_QR_H
#define MC_DCM_DCM_QR_H

#include <stddef.h>
#include <stdint.h>

#include "base/mc_err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DCM_QR_UID_MAX_LEN 64
#define DCM_QR_VALUE_MAX_LEN 64 /* LO, the longest key we send or show */
#define DCM_QR_MAX_KEYS 16

typedef enum { DCM_QR_STUDY, DCM_QR_SERIES } dcm_qr_level;

/* One matching key: a DICOM keyword (dcm_qr_key_check lists the allowed
 * ones) and its value, both borrowed. */
typedef struct dcm_qr_key {
	const char *keyword;
	const char *value;
} dcm_qr_key;

typedef struct dcm_qr_opts {
	const char *host;               /* name or address */
	unsigned    port;               /* 1..65535 */
	const char *calling_aet;        /* ours */
	const char *called_aet;         /* the node's */
	unsigned    connect_timeout_s;  /* 0: 10 */
	unsigned    acse_timeout_s;     /* 0: 30 */
	unsigned    dimse_timeout_s;    /* 0: 60; each wait for the peer */
	unsigned    deadline_s;         /* 0: 3600; the whole call */
	size_t      max_matches;        /* C-FIND; 0: 1000 */
	size_t      max_response_bytes; /* one C-FIND response; 0: 64 KiB */
	size_t      max_files;          /* C-GET; 0: 100000 */
	uint64_t    max_bytes;          /* C-GET, all files; 0: 64 GiB */
	uint64_t    min_free_bytes;     /* C-GET keeps free; 0: 1 GiB */
} dcm_qr_opts;

/* One C-FIND match; text fields are cut to their size, "" when absent. */
typedef struct dcm_qr_match {
	char study_uid[DCM_QR_UID_MAX_LEN + 1];
	char series_uid[DCM_QR_UID_MAX_LEN + 1]; /* series level only */
	char patient_id[DCM_QR_VALUE_MAX_LEN + 1];
	char accession[DCM_QR_VALUE_MAX_LEN + 1];
	char study_date[DCM_QR_VALUE_MAX_LEN + 1];
	char modality[DCM_QR_VALUE_MAX_LEN + 1]; /* or ModalitiesInStudy */
	char description[DCM_QR_VALUE_MAX_LEN + 1];
	char n_instances[DCM_QR_VALUE_MAX_LEN + 1];
} dcm_qr_match;

/* What a C-MOVE or C-GET did: the peer's final sub-operation counts, and
 * for C-GET the files this side stored. */
typedef struct dcm_qr_result {
	uint16_t status; /* the final response's status */
	unsigned completed, failed, warning;
	size_t   files; /* C-GET: files stored in the folder */
	uint64_t bytes; /* C-GET: their size */
} dcm_qr_result;

/* dcm_qr_key_check - keyword is one of PatientID, AccessionNumber,
 * StudyDate, Modality, StudyInstanceUID, SeriesInstanceUID, and value
 * suits it: at most 64 characters of printable ASCII, no backslash (a
 * list separator) and no wildcard (* ?) unless allow_wildcards is
 * nonzero (never in a UID); a date is YYYYMMDD or a range
 * YYYYMMDD-YYYYMMDD (either end may be empty); a UID is digits and dots.
 * MC_OK or MC_EINVAL with err saying why. Any thread. */
MC_NODISCARD mc_err dcm_qr_key_check(const char *keyword, const char *value,
    int allow_wildcards, char *err, size_t errlen);

/* dcm_qr_find - C-FIND at level with keys[0..n) (checked with
 * dcm_qr_key_check, wildcards allowed; at most DCM_QR_MAX_KEYS).
 * On MC_OK *out is a new array of *n_out matches (free() it; NULL when
 * there are none). Errors (*out NULL):
 *   MC_ENET, MC_ETIMEDOUT  no connection, or the peer went silent
 *   MC_EREFUSED  association rejected (wrong AE titles, mostly)
 *   MC_EDICOM    no Study Root FIND context, or a failure status
 *   MC_EPROTO    more than max_matches, or a response over
 *                max_response_bytes (the association is aborted)
 *   MC_EINVAL    bad options or keys; MC_ENOMEM. err says which. */
MC_NODISCARD mc_err dcm_qr_find(const dcm_qr_opts *o, dcm_qr_level level,
    const dcm_qr_key *keys, size_t n, dcm_qr_match **out, size_t *n_out,
    char *err, size_t errlen);

/* dcm_qr_move - C-MOVE the study (series_uid NULL) or the series to the
 * AE titled dest_aet, which the peer must know (host and port are its
 * configuration, not ours). MC_OK when the final status is success or
 * warning; *res filled in any case. Errors as dcm_qr_find, and MC_EDICOM
 * for a failure status (0xA801: the peer does not know dest_aet). */
MC_NODISCARD mc_err dcm_qr_move(const dcm_qr_opts *o, const char *study_uid,
    const char *series_uid, const char *dest_aet, dcm_qr_result *res,
    char *err, size_t errlen);

/* dcm_qr_get - C-GET the study (series_uid NULL) or the series; each
 * instance is written, as received, to dir/<SOPInstanceUID>.dcm (dir
 * exists; a file that could not be completed is removed). The peer may
 * send no more than max_files files and max_bytes bytes, and no file is
 * accepted while the file system of dir has less than min_free_bytes
 * free; past a bound the rest is refused and the association aborted
 * (MC_EPROTO, or MC_ENOSPC for the disk). *res filled in any case. Errors
 * otherwise as dcm_qr_move. */
MC_NODISCARD mc_err dcm_qr_get(const dcm_qr_opts *o, const char *study_uid,
    const char *series_uid, const char *dir, dcm_qr_result *res, char *err,
    size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
