/* qr_int.h - shared by qr_cli.c (arguments, configuration, --query) and
 * qr_run.c (--retrieve, --retrieve-list) and nothing else. */
#ifndef MC_COORDINATOR_QR_INT_H
#define MC_COORDINATOR_QR_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "dcm/dcm_qr.h"

typedef enum { QR_QUERY = 1, QR_RETRIEVE, QR_LIST } qr_mode;

typedef struct qr_args {
	qr_mode      mode;
	const char  *config;
	const char  *source;
	const char  *list;       /* --retrieve-list FILE */
	const char  *force_rule; /* NULL: none */
	dcm_qr_level level;
	bool         move; /* --method move; C-GET otherwise */
	bool         json;
	size_t       max_matches;           /* 0: dcm_qr's default */
	size_t       max_files;             /* 0: dcm_qr's default */
	dcm_qr_key   keys[DCM_QR_MAX_KEYS]; /* point into argv */
	size_t       n_keys;
} qr_args;

typedef struct qr_ctx {
	const qr_args    *a;
	const mc_config  *cfg;
	config_dicom_node node; /* a DICOMweb one: ip is the URL's host */
	dcm_qr_opts       opts;
	char              web_host[256];
} qr_ctx;

/* QR_WEB_SENDER_AET - the SenderAET of instances fetched by DICOMweb
 * (mercure's query tool sets the same) */
#define QR_WEB_SENDER_AET "MERCURE-QUERY"

/* qr_find - C-FIND, or QIDO-RS for a DICOMweb source; as dcm_qr_find. */
MC_NODISCARD mc_err qr_find(const qr_ctx *x, const dcm_qr_key *keys, size_t n,
    dcm_qr_match **out, size_t *n_out, char *err, size_t errlen);

/* What a retrieve did, in studies (or series at --level series). */
typedef struct qr_counts {
	size_t found, retrieved, failed, files;
} qr_counts;

/* qr_run_retrieve - C-FIND with keys, then fetch every match (C-GET and
 * hand the files to the router, or C-MOVE to the receiver), one progress
 * line each on stdout; adds to *c. prefix starts each line ("" or
 * "[3/10] "). Returns 0, or 1 when the query failed. */
int qr_run_retrieve(const qr_ctx *x, const dcm_qr_key *keys, size_t n,
    const char *prefix, qr_counts *c);

/* qr_run_list - --retrieve-list: one accession number a line; a summary
 * line at the end. The exit status. */
int qr_run_list(const qr_ctx *x);

#endif
