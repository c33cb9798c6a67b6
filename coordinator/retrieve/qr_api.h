/* qr_api.h - the query of the query/retrieve commands for a caller that
 * is not the command line (the HTTP API): a C-FIND, or QIDO-RS for a
 * DICOMweb source, with the same key checks, bounds and timeouts as
 * --query, and its matches as the JSON --query --json prints. No child
 * process, no coordinator state: any thread. */
#ifndef MC_COORDINATOR_QR_API_H
#define MC_COORDINATOR_QR_API_H

#include <jansson.h>

#include "config/config.h"
#include "dcm/dcm_qr.h"

/* qr_matches_json - m[0..n) as an array of objects keyed by DICOM
 * keyword (--query --json's form). NULL: out of memory. */
json_t *qr_matches_json(dcm_qr_level level, const dcm_qr_match *m, size_t n);

/* qr_api_find - the query keys[0..n) (each checked with
 * dcm_qr_key_check, wildcards allowed) at level on node; *out the
 * matches (qr_matches_json). Errors as dcm_qr_find, err says which;
 * MC_EINVAL for a bad key, before any connection. The process has
 * called dcm_glue_init() once, before its threads. */
MC_NODISCARD mc_err qr_api_find(const config_dicom_node *node,
    dcm_qr_level level, const dcm_qr_key *keys, size_t n, json_t **out,
    char *err, size_t errlen);

#endif
