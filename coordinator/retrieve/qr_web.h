/* qr_web.h - query/retrieve from a DICOMweb source (a dicomweb target with
 * direction pull or both): QIDO-RS for the query, WADO-RS for the
 * retrieve, over libcurl. The same results and bounds as dcm_qr.h's DIMSE
 * calls, so qr_run treats both alike. One thread at a time. */
#ifndef MC_COORDINATOR_QR_WEB_H
#define MC_COORDINATOR_QR_WEB_H

#include <stddef.h>

#include "config/config.h"
#include "dcm/dcm_qr.h"

/* qr_web_find - QIDO-RS <url>[/<qido_url_prefix>]/studies (or /series)
 * with keys as query parameters. As dcm_qr_find: *out new (free()),
 * MC_EPROTO past o->max_matches or a reply over its size bound, MC_ENET
 * or MC_ETIMEDOUT, MC_EREFUSED for HTTP 401/403, MC_EDICOM for any other
 * HTTP error; err says which. */
MC_NODISCARD mc_err qr_web_find(const config_dicom_node *n,
    const dcm_qr_opts *o, dcm_qr_level level, const dcm_qr_key *keys,
    size_t nk, dcm_qr_match **out, size_t *n_out, char *err, size_t errlen);

/* qr_web_get - WADO-RS <url>[/<wado_url_prefix>]/studies/<uid>[/series/
 * <uid>], each instance of the multipart answer streamed into
 * dir/wado-<n>.dcm, within o's max_files, max_bytes and min_free_bytes.
 * As dcm_qr_get; res->files counts the complete files. */
MC_NODISCARD mc_err qr_web_get(const config_dicom_node *n,
    const dcm_qr_opts *o, const char *study_uid, const char *series_uid,
    const char *dir, dcm_qr_result *res, char *err, size_t errlen);

#endif
