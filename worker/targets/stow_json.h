/* stow_json.h - the response of a DICOMweb STOW-RS request (PS3.18
 * 10.5.3): a DICOM JSON object (or a list of one) whose
 * ReferencedSOPSequence (0008,1199) lists what was stored and whose
 * FailedSOPSequence (0008,1198) lists what was not, each failure with
 * its ReferencedSOPInstanceUID (0008,1155) and FailureReason (0008,1197).
 * stow_json.c reads it with jansson. */
#ifndef MC_WORKER_STOW_JSON_H
#define MC_WORKER_STOW_JSON_H

#include <stddef.h>

#include "base/mc_err.h"

#define STOW_FAILURES_MAX 64 /* kept in detail; all are counted */
#define STOW_UID_MAX_LEN 64

typedef struct stow_failure {
	char     sop_instance_uid[STOW_UID_MAX_LEN + 1];
	unsigned reason; /* FailureReason; 0 when absent */
} stow_failure;

typedef struct stow_response {
	size_t       n_referenced;
	size_t       n_failed;
	stow_failure failed[STOW_FAILURES_MAX]; /* the first ones */
} stow_response;

/* stow_response_parse - body (len bytes, borrowed) into out. An empty
 * body gives zero counts. MC_EPARSE with err when it is not DICOM JSON. */
MC_NODISCARD mc_err stow_response_parse(const char *body, size_t len,
    stow_response *out, char *err, size_t errlen);

#endif
