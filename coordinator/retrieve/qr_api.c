/* qr_api.c - the query for the HTTP API (qr_api.h): the command line's
 * qr_find with a context built from a node instead of argv. */
#include "retrieve/qr_api.h"

#include <stdio.h>
#include <stdlib.h>

#include "retrieve/qr_int.h"

json_t *
qr_matches_json(dcm_qr_level level, const dcm_qr_match *m, size_t n)
{
	json_t *arr = json_array();
	bool    study = level == DCM_QR_STUDY;

	for (size_t i = 0; arr != NULL && i < n; i++) {
		json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}",
		    "StudyInstanceUID", m[i].study_uid, "PatientID",
		    m[i].patient_id, "AccessionNumber", m[i].accession,
		    "StudyDate", m[i].study_date,
		    study ? "ModalitiesInStudy" : "Modality", m[i].modality,
		    study ? "StudyDescription" : "SeriesDescription",
		    m[i].description,
		    study ? "NumberOfStudyRelatedInstances"
		          : "NumberOfSeriesRelatedInstances",
		    m[i].n_instances);
		if (o == NULL) {
			json_decref(arr);
			return NULL;
		}
		if (!study)
			json_object_set_new(o, "SeriesInstanceUID",
			    json_string(m[i].series_uid));
		json_array_append_new(arr, o);
	}
	return arr;
}

mc_err
qr_api_find(const config_dicom_node *node, dcm_qr_level level,
    const dcm_qr_key *keys, size_t n, json_t **out, char *err, size_t errlen)
{
	qr_args       a = {.mode = QR_QUERY, .level = level};
	qr_ctx        x = {.a = &a, .node = *node};
	dcm_qr_match *m = NULL;
	size_t        nm = 0;
	mc_err        rv;

	*out = NULL;
	if (n > DCM_QR_MAX_KEYS) {
		snprintf(err, errlen, "at most %d keys", DCM_QR_MAX_KEYS);
		return MC_EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		if ((rv = dcm_qr_key_check(keys[i].keyword, keys[i].value, 1,
		         err, errlen)) != MC_OK)
			return rv;
	x.opts = (dcm_qr_opts){.host = node->ip,
	    .port = node->port,
	    .calling_aet = node->aet_source,
	    .called_aet = node->aet_target};
	if ((rv = qr_find(&x, keys, n, &m, &nm, err, errlen)) != MC_OK)
		return rv;
	*out = qr_matches_json(level, m, nm);
	free(m);
	if (*out == NULL) {
		snprintf(err, errlen, "out of memory");
		return MC_ENOMEM;
	}
	return MC_OK;
}
