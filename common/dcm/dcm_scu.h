/* dcm_scu.h - the C face of DCMTK as a storage SCU: read a file's meta
 * header, open an association with given presentation contexts, C-STORE
 * files on it (one response status each), C-ECHO, release. Plain C; the
 * implementation is C++17 in dcm_glue_scu.cpp and never lets an exception
 * out. Nothing else in the worker includes a DCMTK header. One dcm_scu
 * belongs to one thread at a time. */
#ifndef MC_GETDCMTAGS_DCM_SCU_H
#define MC_GETDCMTAGS_DCM_SCU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/mc_err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DCM_SCU_UID_MAX_LEN 64
/* DICOM allows 128 presentation contexts per association (odd ids 1..255) */
#define DCM_SCU_MAX_CONTEXTS 128
#define DCM_SCU_MAX_TS 8

#define DCM_TS_IMPLICIT_LE "1.2.840.10008.1.2"
#define DCM_TS_EXPLICIT_LE "1.2.840.10008.1.2.1"
#define DCM_TS_EXPLICIT_BE "1.2.840.10008.1.2.2"
#define DCM_SOP_VERIFICATION "1.2.840.10008.1.1"

/* dcm_scu_init - dcm_glue_init (dcm_glue.h) for programs that use only
 * this header: once per process, before any thread. */
MC_NODISCARD mc_err dcm_scu_init(char *err, size_t errlen);

/* What a file's meta header says about it. */
typedef struct dcm_file_meta {
	char sop_class_uid[DCM_SCU_UID_MAX_LEN + 1];
	char sop_instance_uid[DCM_SCU_UID_MAX_LEN + 1];
	char transfer_syntax_uid[DCM_SCU_UID_MAX_LEN + 1];
} dcm_file_meta;

/* dcm_scu_probe - read only the File Meta Information of path into out.
 * Returns MC_OK; MC_ENOENT (no such file); MC_EPARSE (not a DICOM Part 10
 * file, or the meta header lacks a SOP class, instance or transfer
 * syntax; err says which). Any thread. */
MC_NODISCARD mc_err dcm_scu_probe(
    const char *path, dcm_file_meta *out, char *err, size_t errlen);

/* Values of a file's dataset that name where it belongs (xnat target). */
#define DCM_IDS_VALUE_MAX_LEN 64
typedef struct dcm_file_ids {
	char patient_id[DCM_IDS_VALUE_MAX_LEN + 1]; /* "" when absent */
	char study_date[DCM_IDS_VALUE_MAX_LEN + 1]; /* as stored: YYYYMMDD */
} dcm_file_ids;

/* dcm_scu_read_ids - PatientID and StudyDate of path's dataset (read up
 * to the pixel data), each "" when absent. Returns MC_OK; MC_ENOENT;
 * MC_EIO; MC_EPARSE (not DICOM, or a value longer than
 * DCM_IDS_VALUE_MAX_LEN). Any thread. */
MC_NODISCARD mc_err dcm_scu_read_ids(
    const char *path, dcm_file_ids *out, char *err, size_t errlen);

/* dcm_ts_is_uncompressed - true for Implicit LE, Explicit LE and
 * Explicit BE, which DCMTK converts into each other while sending. */
bool dcm_ts_is_uncompressed(const char *ts);

/* dcm_ts_can_decode - true for the compressed syntaxes the glue can turn
 * into an uncompressed one while sending (DCMTK's decoders: JPEG baseline,
 * extended and lossless, JPEG-LS, RLE; and deflated Explicit LE). */
bool dcm_ts_can_decode(const char *ts);

/* One presentation context to propose: an abstract syntax and its
 * transfer syntaxes, preferred first (all borrowed). */
typedef struct dcm_scu_context {
	const char *sop_class_uid;
	const char *ts[DCM_SCU_MAX_TS];
	size_t      n_ts;
} dcm_scu_context;

typedef struct dcm_scu_opts {
	const char *host;              /* name or address */
	unsigned    port;              /* 1..65535 */
	const char *calling_aet;       /* ours */
	const char *called_aet;        /* the peer's */
	unsigned    connect_timeout_s; /* 0: 10 */
	unsigned    acse_timeout_s;    /* 0: 30 */
	unsigned    dimse_timeout_s;   /* 0: 60 */
	/* DICOM over TLS when tls_key is set (NULL or "": plain TCP): our
	 * private key and certificate and the CA that must have signed the
	 * peer's certificate, all PEM files. The peer's certificate is
	 * required and verified against ca_cert; its host name is not
	 * checked (as storescu +tls does). */
	const char *tls_key;
	const char *tls_cert;
	const char *ca_cert;
} dcm_scu_opts;

typedef struct dcm_scu dcm_scu;

/* dcm_scu_open - connect to the peer and negotiate an association that
 * proposes ctx[0..n) (1 <= n <= DCM_SCU_MAX_CONTEXTS; copied). On MC_OK
 * *out is new; free it with dcm_scu_release() or dcm_scu_destroy().
 * Errors (*out NULL, err says "host:port" and why):
 *   MC_ENET       no connection (refused, unreachable, name unknown)
 *   MC_ETIMEDOUT  connect or ACSE timeout
 *   MC_EREFUSED   association rejected ("called AE title not recognized")
 *   MC_EDICOM     accepted, but no presentation context was
 *   MC_ECONFIG    TLS files missing, unreadable, or key and certificate
 *                 do not match
 *   MC_EINVAL     bad opts or n; MC_ENOMEM. */
MC_NODISCARD mc_err dcm_scu_open(const dcm_scu_opts *o,
    const dcm_scu_context *ctx, size_t n, dcm_scu **out, char *err,
    size_t errlen);

/* dcm_scu_store - C-STORE path (meta as from dcm_scu_probe) on the open
 * association: the accepted context with the file's own transfer syntax,
 * else one with an uncompressed syntax (Explicit LE first): an
 * uncompressed file is converted by DCMTK while sending, a compressed one
 * that dcm_ts_can_decode() is decoded in memory first (never re-encoded
 * lossy). converted (DCM_SCU_UID_MAX_LEN + 1 bytes) gets the syntax the
 * instance was decoded into, "" when it went in its own or was only
 * converted between uncompressed syntaxes. On MC_OK *status is the
 * peer's response status, which the caller judges. Errors:
 *   MC_EDICOM    no accepted context fits; nothing was sent, the
 *                association is still usable
 *   MC_EPARSE    the file could not be read, decoded or encoded; still
 *                usable
 *   MC_ENET, MC_ETIMEDOUT  the association is lost: dcm_scu_destroy().
 * err names the SOP instance and says why. */
MC_NODISCARD mc_err dcm_scu_store(dcm_scu *s, const char *path,
    const dcm_file_meta *meta, uint16_t *status, char *converted, char *err,
    size_t errlen);

/* dcm_scu_echo - C-ECHO; needs a proposed and accepted Verification
 * context. MC_OK only for status 0x0000. */
MC_NODISCARD mc_err dcm_scu_echo(dcm_scu *s, char *err, size_t errlen);

/* dcm_scu_release - release the association gracefully and free s
 * (always, whatever the result). MC_OK or MC_ENET with err filled. */
MC_NODISCARD mc_err dcm_scu_release(dcm_scu *s, char *err, size_t errlen);

/* dcm_scu_destroy - abort the association if it is still up and free s.
 * NULL: no-op. */
void dcm_scu_destroy(dcm_scu *s);

#ifdef __cplusplus
}
#endif

#endif
