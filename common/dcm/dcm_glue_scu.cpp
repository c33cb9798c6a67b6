/* dcm_glue_scu.cpp - DCMTK side of dcm_scu.h: a storage SCU on DCMTK's
 * low-level ASC/DIMSE API (as storescu uses it).
 *
 * Why not DcmSCU: when an association is rejected, DcmSCU keeps the
 * result/source/reason in a private member and only logs them at debug
 * level, and an operator needs "called AE title not recognized", not
 * "association rejected". With T_ASC_Parameters in hand we read them with
 * ASC_getRejectParameters. Everything else (one presentation context per
 * proposal, per-instance status from DIMSE_storeUser) is what DcmSCU does.
 *
 * DIMSE waits use DIMSE_NONBLOCKING with the DIMSE timeout, since in
 * DIMSE_BLOCKING mode DCMTK ignores the timeout. The connect timeout is
 * the process-global dcmConnectionTimeout: set before each connect, so a
 * process's threads should all connect with the same timeout (the
 * worker's associations of one target do).
 *
 * A compressed instance whose syntax the peer refused is decoded with
 * DCMTK's JPEG, JPEG-LS and RLE decoders (registered once, on first use)
 * and sent from memory in an uncompressed syntax; nothing is ever
 * encoded lossy.
 *
 * Every extern "C" function catches all exceptions. */
#include "dcmtk/config/osconfig.h"

#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcdict.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcmetinf.h"
#include "dcmtk/dcmdata/dcrledrg.h"
#include "dcmtk/dcmdata/dcuid.h"
#include "dcmtk/dcmdata/dcxfer.h"
#include "dcmtk/dcmjpeg/djdecode.h"
#include "dcmtk/dcmjpls/djdecode.h"
#include "dcmtk/dcmnet/assoc.h"
#include "dcmtk/dcmnet/dimse.h"
#include "dcmtk/dcmnet/dul.h"
#include "dcmtk/dcmtls/tlslayer.h"
#include "dcmtk/oflog/oflog.h"
#include "dcmtk/ofstd/ofstd.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <memory>
#include <mutex>
#include <new>
#include <string>

#include "dcm/dcm_scu.h"
#include "dcm/dcm_glue_tls.h"
#include "msg/instance.h"

namespace
{

const unsigned CONNECT_TIMEOUT_DEFAULT_S = 10;
const unsigned ACSE_TIMEOUT_DEFAULT_S = 30;
const unsigned DIMSE_TIMEOUT_DEFAULT_S = 60;
const size_t   PEER_ADDR_MAX_LEN = 63; /* DIC_NODENAME holds 64 */

const char *
reject_reason_text(const T_ASC_RejectParameters &r)
{
	switch (r.reason) {
	case ASC_REASON_SU_NOREASON:
		return "no reason given";
	case ASC_REASON_SU_APPCONTEXTNAMENOTSUPPORTED:
		return "application context name not supported";
	case ASC_REASON_SU_CALLINGAETITLENOTRECOGNIZED:
		return "calling AE title not recognized";
	case ASC_REASON_SU_CALLEDAETITLENOTRECOGNIZED:
		return "called AE title not recognized";
	case ASC_REASON_SP_ACSE_NOREASON:
		return "no reason given (ACSE)";
	case ASC_REASON_SP_ACSE_PROTOCOLVERSIONNOTSUPPORTED:
		return "protocol version not supported";
	case ASC_REASON_SP_PRES_TEMPORARYCONGESTION:
		return "temporary congestion";
	case ASC_REASON_SP_PRES_LOCALLIMITEXCEEDED:
		return "local limit exceeded";
	}
	return "unknown reason";
}

/* The innermost condition says what happened ("Connection refused"); the
 * outer ones only that association setup failed. DCMTK's text for the
 * chain is "a\nb\nc": keep the last line. */
std::string
cond_text(const OFCondition &c)
{
	OFString    dump;
	std::string s = DimseCondition::dump(dump, c).c_str();
	size_t      nl = s.find_last_of('\n');
	std::string last = nl == std::string::npos ? s : s.substr(nl + 1);
	/* lines look like "0006:031c TCP Initialization Error: ..." */
	size_t sp = last.find(' ');
	if (sp != std::string::npos && sp == 9 && last[4] == ':')
		last = last.substr(sp + 1);
	return last;
}

bool
cond_is_timeout(const OFCondition &c)
{
	return c == DIMSE_NODATAAVAILABLE || c == DUL_READTIMEOUT;
}

} /* namespace */

struct dcm_scu {
	T_ASC_Network     *net;
	T_ASC_Parameters  *params; /* owned by assoc once it exists */
	T_ASC_Association *assoc;
	unsigned           dimse_timeout_s;
	DIC_US             next_msg_id;
	size_t             n_ctx;
	std::string        peer; /* "host:port" for messages */
	/* outlives net, which uses it (scu_free drops net first) */
	std::unique_ptr<DcmTLSTransportLayer> tls;
};

namespace
{

void
scu_free(dcm_scu *s)
{
	if (s->assoc != NULL) {
		ASC_destroyAssociation(&s->assoc); /* frees params too */
		s->params = NULL;
	}
	if (s->params != NULL)
		ASC_destroyAssociationParameters(&s->params);
	if (s->net != NULL)
		ASC_dropNetwork(&s->net);
	delete s; /* the TLS layer after the network that used it */
}

bool
is_set(const char *p)
{
	return p != NULL && p[0] != '\0';
}

/* the requestor side of DICOM TLS, as storescu +tls KEY CERT +cf CA */
mc_err
make_tls(dcm_scu *s, const dcm_scu_opts *o, char *err, size_t errlen)
{
	if (!is_set(o->tls_cert) || !is_set(o->ca_cert)) {
		mc_errf(err, errlen,
		    "TLS needs tls_key, tls_cert and ca_cert together");
		return MC_ECONFIG;
	}
	s->tls.reset(new DcmTLSTransportLayer(NET_REQUESTOR, NULL, OFTrue));
	DcmTLSTransportLayer &t = *s->tls;

	if (!t) {
		mc_errf(err, errlen, "TLS: cannot create an OpenSSL context");
		return MC_EINTERNAL;
	}
	return dcm_tls_configure(
	    t, o->tls_key, o->tls_cert, o->ca_cert, err, errlen);
}

/* network, association parameters, AE titles and addresses of s */
mc_err
setup(dcm_scu *s, const dcm_scu_opts *o, char *err, size_t errlen)
{
	s->net = NULL;
	s->params = NULL;
	s->assoc = NULL;
	s->next_msg_id = 1;
	s->n_ctx = 0;
	s->dimse_timeout_s =
	    o->dimse_timeout_s ? o->dimse_timeout_s : DIMSE_TIMEOUT_DEFAULT_S;
	s->peer = std::string(o->host) + ":" + std::to_string(o->port);
	if (s->peer.size() > PEER_ADDR_MAX_LEN) {
		mc_errf(err, errlen, "host name too long: %s", o->host);
		return MC_EINVAL;
	}
	unsigned acse =
	    o->acse_timeout_s ? o->acse_timeout_s : ACSE_TIMEOUT_DEFAULT_S;
	unsigned conn = o->connect_timeout_s ? o->connect_timeout_s
	                                     : CONNECT_TIMEOUT_DEFAULT_S;
	dcmConnectionTimeout.set(static_cast<Sint32>(conn));
	OFCondition c = ASC_initializeNetwork(
	    NET_REQUESTOR, 0, static_cast<int>(acse), &s->net);
	if (c.good())
		c = ASC_createAssociationParameters(
		    &s->params, ASC_DEFAULTMAXPDU);
	if (c.bad()) {
		mc_errf(err, errlen, "network setup: %s", c.text());
		return MC_EINTERNAL;
	}
	if (is_set(o->tls_key)) {
		mc_err rv = make_tls(s, o, err, errlen);
		if (rv != MC_OK)
			return rv;
		c = ASC_setTransportLayer(s->net, s->tls.get(), 0);
		if (c.good())
			c = ASC_setTransportLayerType(s->params, OFTrue);
		if (c.bad()) {
			mc_errf(
			    err, errlen, "TLS transport layer: %s", c.text());
			return MC_EINTERNAL;
		}
	}
	ASC_setAPTitles(s->params, o->calling_aet, o->called_aet, NULL);
	ASC_setPresentationAddresses(
	    s->params, OFStandard::getHostName().c_str(), s->peer.c_str());
	return MC_OK;
}

mc_err
add_contexts(
    dcm_scu *s, const dcm_scu_context *ctx, size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		const char *ts[DCM_SCU_MAX_TS];
		size_t      nts = ctx[i].n_ts;
		if (nts == 0 || nts > DCM_SCU_MAX_TS ||
		    ctx[i].sop_class_uid == NULL) {
			mc_errf(err, errlen,
			    "presentation context %zu invalid", i);
			return MC_EINVAL;
		}
		for (size_t k = 0; k < nts; k++)
			ts[k] = ctx[i].ts[k];
		T_ASC_PresentationContextID id =
		    static_cast<T_ASC_PresentationContextID>(2 * i + 1);
		OFCondition c = ASC_addPresentationContext(s->params, id,
		    ctx[i].sop_class_uid, ts, static_cast<int>(nts));
		if (c.bad()) {
			mc_errf(err, errlen, "adding presentation context: %s",
			    c.text());
			return MC_EINVAL;
		}
	}
	s->n_ctx = n;
	return MC_OK;
}

mc_err
request(dcm_scu *s, char *err, size_t errlen)
{
	OFCondition c = ASC_requestAssociation(s->net, s->params, &s->assoc);
	if (c.good()) {
		if (ASC_countAcceptedPresentationContexts(s->params) == 0) {
			mc_errf(err, errlen,
			    "%s accepted the association but none of its %zu "
			    "presentation contexts",
			    s->peer.c_str(), s->n_ctx);
			return MC_EDICOM;
		}
		return MC_OK;
	}
	if (c == DUL_ASSOCIATIONREJECTED) {
		T_ASC_RejectParameters rej;
		ASC_getRejectParameters(s->params, &rej);
		mc_errf(err, errlen, "%s: association rejected (%s): %s",
		    s->peer.c_str(),
		    rej.result == ASC_RESULT_REJECTEDTRANSIENT ? "transient"
		                                               : "permanent",
		    reject_reason_text(rej));
		return MC_EREFUSED;
	}
	std::string why = cond_text(c);
	mc_errf(err, errlen, "cannot associate with %s: %s", s->peer.c_str(),
	    why.c_str());
	if (cond_is_timeout(c) || why.find("imeout") != std::string::npos ||
	    why.find("timed out") != std::string::npos)
		return MC_ETIMEDOUT;
	return MC_ENET;
}

/* The accepted context for (sop class, ts): the exact syntax first, then
 * an uncompressed one (Explicit LE before the others) when ts is
 * uncompressed or can be decoded; *accepted gets its syntax. 0: none. */
T_ASC_PresentationContextID
find_context(
    dcm_scu *s, const char *sop_class, const char *ts, std::string *accepted)
{
	T_ASC_PresentationContextID fallback = 0;
	bool convertible = dcm_ts_is_uncompressed(ts) || dcm_ts_can_decode(ts);
	std::string fallback_ts;

	for (size_t i = 0; i < s->n_ctx; i++) {
		T_ASC_PresentationContext   pc;
		T_ASC_PresentationContextID id =
		    static_cast<T_ASC_PresentationContextID>(2 * i + 1);
		if (ASC_findAcceptedPresentationContext(s->params, id, &pc)
		        .bad())
			continue;
		if (pc.resultReason != ASC_P_ACCEPTANCE ||
		    strcmp(pc.abstractSyntax, sop_class) != 0)
			continue;
		if (strcmp(pc.acceptedTransferSyntax, ts) == 0) {
			*accepted = ts;
			return id;
		}
		if (!convertible ||
		    !dcm_ts_is_uncompressed(pc.acceptedTransferSyntax))
			continue;
		if (fallback == 0 || (strcmp(pc.acceptedTransferSyntax,
		                          DCM_TS_EXPLICIT_LE) == 0 &&
		                         fallback_ts != DCM_TS_EXPLICIT_LE)) {
			fallback = id;
			fallback_ts = pc.acceptedTransferSyntax;
		}
	}
	*accepted = fallback_ts;
	return fallback;
}

void
register_decoders()
{
	static std::once_flag once;
	std::call_once(once, [] {
		DJDecoderRegistration::registerCodecs();
		DJLSDecoderRegistration::registerCodecs();
		DcmRLEDecoderRegistration::registerCodecs();
	});
}

/* path decoded into syntax ts (uncompressed), in *ff; false with err */
bool
decode_file(const char *path, const dcm_file_meta *m, const std::string &ts,
    DcmFileFormat *ff, char *err, size_t errlen)
{
	register_decoders();
	E_TransferSyntax want = DcmXfer(ts.c_str()).getXfer();
	OFCondition      c = ff->loadFile(path);
	if (c.good())
		c = ff->getDataset()->chooseRepresentation(want, NULL);
	if (c.good() && !ff->getDataset()->canWriteXfer(want))
		c = EC_CannotChangeRepresentation;
	if (c.bad()) {
		mc_errf(err, errlen,
		    "instance %s: cannot decode %s from %s into %s: %s",
		    m->sop_instance_uid, path, m->transfer_syntax_uid,
		    ts.c_str(), c.text());
		return false;
	}
	return true;
}

mc_err
store(dcm_scu *s, const char *path, const dcm_file_meta *m, uint16_t *status,
    char *converted, char *err, size_t errlen)
{
	std::string                 accepted;
	T_ASC_PresentationContextID id = find_context(
	    s, m->sop_class_uid, m->transfer_syntax_uid, &accepted);
	converted[0] = '\0';
	if (id == 0) {
		mc_errf(err, errlen,
		    "instance %s: %s accepted no presentation context for "
		    "SOP class %s in transfer syntax %s",
		    m->sop_instance_uid, s->peer.c_str(), m->sop_class_uid,
		    m->transfer_syntax_uid);
		return MC_EDICOM;
	}
	T_DIMSE_C_StoreRQ req;
	memset(&req, 0, sizeof(req));
	req.MessageID = s->next_msg_id++;
	mc_copy_text(req.AffectedSOPClassUID, sizeof(req.AffectedSOPClassUID),
	    m->sop_class_uid);
	mc_copy_text(req.AffectedSOPInstanceUID,
	    sizeof(req.AffectedSOPInstanceUID), m->sop_instance_uid);
	req.DataSetType = DIMSE_DATASET_PRESENT;
	req.Priority = DIMSE_PRIORITY_MEDIUM;

	/* a compressed file the peer takes only uncompressed: decoded here
	 * (DCMTK would refuse to send it from the file) */
	std::unique_ptr<DcmFileFormat> decoded;
	if (accepted != m->transfer_syntax_uid &&
	    !dcm_ts_is_uncompressed(m->transfer_syntax_uid)) {
		decoded.reset(new DcmFileFormat());
		if (!decode_file(
		        path, m, accepted, decoded.get(), err, errlen))
			return MC_EPARSE;
	}

	T_DIMSE_C_StoreRSP rsp;
	memset(&rsp, 0, sizeof(rsp));
	DcmDataset *detail = NULL;
	/* with a file name DCMTK loads the dataset and encodes it in the
	 * context's transfer syntax */
	OFCondition c = DIMSE_storeUser(s->assoc, id, &req,
	    decoded ? NULL : path, decoded ? decoded->getDataset() : NULL,
	    NULL, NULL, DIMSE_NONBLOCKING,
	    static_cast<int>(s->dimse_timeout_s), &rsp, &detail);
	if (decoded)
		mc_copy_text(
		    converted, DCM_SCU_UID_MAX_LEN + 1, accepted.c_str());
	delete detail;
	if (c.good()) {
		*status = rsp.DimseStatus;
		return MC_OK;
	}
	if (c == DIMSE_SENDFAILED && strchr(c.text(), '\n') == NULL) {
		/* a plain DIMSE_SENDFAILED comes from the checks DCMTK makes
		 * before sending anything (load, encode): the file's fault,
		 * and the association is still good */
		mc_errf(err, errlen,
		    "instance %s: cannot load %s or encode it in the "
		    "accepted transfer syntax",
		    m->sop_instance_uid, path);
		return MC_EPARSE;
	}
	std::string why = cond_text(c);
	mc_errf(err, errlen, "instance %s: C-STORE to %s failed: %s",
	    m->sop_instance_uid, s->peer.c_str(), why.c_str());
	return cond_is_timeout(c) ? MC_ETIMEDOUT : MC_ENET;
}

} /* namespace */

extern "C" {

bool
dcm_ts_is_uncompressed(const char *ts)
{
	return ts != NULL && (strcmp(ts, DCM_TS_IMPLICIT_LE) == 0 ||
	                         strcmp(ts, DCM_TS_EXPLICIT_LE) == 0 ||
	                         strcmp(ts, DCM_TS_EXPLICIT_BE) == 0);
}

bool
dcm_ts_can_decode(const char *ts)
{
	static const char *const decodable[] = {
	    UID_JPEGProcess1TransferSyntax,
	    UID_JPEGProcess2_4TransferSyntax,
	    UID_JPEGProcess14TransferSyntax,
	    UID_JPEGProcess14SV1TransferSyntax,
	    UID_JPEGLSLosslessTransferSyntax,
	    UID_JPEGLSLossyTransferSyntax,
	    UID_RLELosslessTransferSyntax,
	    UID_DeflatedExplicitVRLittleEndianTransferSyntax,
	};
	for (const char *d : decodable)
		if (ts != NULL && strcmp(ts, d) == 0)
			return true;
	return false;
}

mc_err
dcm_scu_probe(const char *path, dcm_file_meta *out, char *err, size_t errlen)
{
	try {
		memset(out, 0, sizeof(*out));
		if (access(path, R_OK) != 0) {
			int e = errno;
			mc_errf(err, errlen, "%s: %s", path, strerror(e));
			return e == ENOENT ? MC_ENOENT : MC_EIO;
		}
		DcmFileFormat ff;
		OFCondition   c = ff.loadFile(path, EXS_Unknown, EGL_noChange,
		      DCM_MaxReadLength, ERM_metaOnly);
		if (c.bad()) {
			mc_errf(err, errlen, "%s: not a DICOM file: %s", path,
			    c.text());
			return MC_EPARSE;
		}
		DcmMetaInfo *mi = ff.getMetaInfo();
		OFString     cls, inst, ts;
		if (mi == NULL ||
		    mi->findAndGetOFString(DCM_MediaStorageSOPClassUID, cls)
		        .bad() ||
		    mi->findAndGetOFString(
		          DCM_MediaStorageSOPInstanceUID, inst)
		        .bad() ||
		    mi->findAndGetOFString(DCM_TransferSyntaxUID, ts).bad() ||
		    cls.empty() || inst.empty() || ts.empty()) {
			mc_errf(err, errlen,
			    "%s: not a DICOM Part 10 file (no SOP class, "
			    "instance or transfer syntax in the meta header)",
			    path);
			return MC_EPARSE;
		}
		if (cls.length() > DCM_SCU_UID_MAX_LEN ||
		    inst.length() > DCM_SCU_UID_MAX_LEN ||
		    ts.length() > DCM_SCU_UID_MAX_LEN) {
			mc_errf(err, errlen, "%s: UID longer than 64", path);
			return MC_EPARSE;
		}
		mc_copy_text(out->sop_class_uid, sizeof(out->sop_class_uid),
		    cls.c_str());
		mc_copy_text(out->sop_instance_uid,
		    sizeof(out->sop_instance_uid), inst.c_str());
		mc_copy_text(out->transfer_syntax_uid,
		    sizeof(out->transfer_syntax_uid), ts.c_str());
		return MC_OK;
	} catch (const std::bad_alloc &) {
		mc_errf(err, errlen, "out of memory");
		return MC_ENOMEM;
	} catch (...) {
		mc_errf(err, errlen, "%s: unexpected exception", path);
		return MC_EINTERNAL;
	}
}

mc_err
dcm_scu_read_ids(const char *path, dcm_file_ids *out, char *err, size_t errlen)
{
	try {
		memset(out, 0, sizeof(*out));
		if (access(path, R_OK) != 0) {
			int e = errno;
			mc_errf(err, errlen, "%s: %s", path, strerror(e));
			return e == ENOENT ? MC_ENOENT : MC_EIO;
		}
		/* the two values come before (7FE0,0010): stop there so that
		 * the pixel data is never read */
		DcmFileFormat ff;
		OFCondition   c =
		    ff.loadFileUntilTag(path, EXS_Unknown, EGL_noChange,
		        DCM_MaxReadLength, ERM_autoDetect, DCM_PixelData);
		if (c.bad()) {
			mc_errf(err, errlen, "%s: not a DICOM file: %s", path,
			    c.text());
			return MC_EPARSE;
		}
		DcmDataset *ds = ff.getDataset();
		OFString    pid, date;
		if (ds != NULL) {
			(void) ds->findAndGetOFString(DCM_PatientID, pid);
			(void) ds->findAndGetOFString(DCM_StudyDate, date);
		}
		if (pid.length() > DCM_IDS_VALUE_MAX_LEN ||
		    date.length() > DCM_IDS_VALUE_MAX_LEN) {
			mc_errf(err, errlen,
			    "%s: PatientID or StudyDate longer than %d bytes",
			    path, DCM_IDS_VALUE_MAX_LEN);
			return MC_EPARSE;
		}
		mc_copy_text(
		    out->patient_id, sizeof(out->patient_id), pid.c_str());
		mc_copy_text(
		    out->study_date, sizeof(out->study_date), date.c_str());
		return MC_OK;
	} catch (const std::bad_alloc &) {
		mc_errf(err, errlen, "out of memory");
		return MC_ENOMEM;
	} catch (...) {
		mc_errf(err, errlen, "%s: unexpected exception", path);
		return MC_EINTERNAL;
	}
}

mc_err
dcm_scu_open(const dcm_scu_opts *o, const dcm_scu_context *ctx, size_t n,
    dcm_scu **out, char *err, size_t errlen)
{
	dcm_scu *s = NULL;

	*out = NULL;
	try {
		if (o->host == NULL || o->host[0] == '\0' || o->port == 0 ||
		    o->port > 65535 || n == 0 || n > DCM_SCU_MAX_CONTEXTS) {
			mc_errf(err, errlen, "invalid SCU options");
			return MC_EINVAL;
		}
		s = new dcm_scu();
		mc_err rv = setup(s, o, err, errlen);
		if (rv == MC_OK)
			rv = add_contexts(s, ctx, n, err, errlen);
		if (rv == MC_OK)
			rv = request(s, err, errlen);
		if (rv != MC_OK) {
			if (s->assoc != NULL)
				ASC_abortAssociation(s->assoc);
			scu_free(s);
			return rv;
		}
		*out = s;
		return MC_OK;
	} catch (const std::bad_alloc &) {
		if (s != NULL)
			scu_free(s);
		mc_errf(err, errlen, "out of memory");
		return MC_ENOMEM;
	} catch (...) {
		if (s != NULL)
			scu_free(s);
		mc_errf(err, errlen, "unexpected exception");
		return MC_EINTERNAL;
	}
}

mc_err
dcm_scu_store(dcm_scu *s, const char *path, const dcm_file_meta *meta,
    uint16_t *status, char *converted, char *err, size_t errlen)
{
	try {
		return store(s, path, meta, status, converted, err, errlen);
	} catch (const std::bad_alloc &) {
		mc_errf(err, errlen, "out of memory");
		return MC_ENOMEM;
	} catch (...) {
		mc_errf(err, errlen, "unexpected exception");
		return MC_EINTERNAL;
	}
}

mc_err
dcm_scu_echo(dcm_scu *s, char *err, size_t errlen)
{
	try {
		T_ASC_PresentationContextID id =
		    ASC_findAcceptedPresentationContextID(
		        s->assoc, UID_VerificationSOPClass);
		if (id == 0) {
			mc_errf(err, errlen,
			    "%s did not accept the Verification SOP class",
			    s->peer.c_str());
			return MC_EDICOM;
		}
		DIC_US      st = 0;
		DcmDataset *detail = NULL;
		OFCondition c = DIMSE_echoUser(s->assoc, s->next_msg_id++,
		    DIMSE_NONBLOCKING, static_cast<int>(s->dimse_timeout_s),
		    &st, &detail);
		delete detail;
		if (c.bad()) {
			mc_errf(err, errlen, "C-ECHO to %s failed: %s",
			    s->peer.c_str(), cond_text(c).c_str());
			return cond_is_timeout(c) ? MC_ETIMEDOUT : MC_ENET;
		}
		if (st != STATUS_Success) {
			mc_errf(err, errlen, "C-ECHO to %s: status 0x%04x",
			    s->peer.c_str(), static_cast<unsigned>(st));
			return MC_EDICOM;
		}
		return MC_OK;
	} catch (...) {
		mc_errf(err, errlen, "unexpected exception");
		return MC_EINTERNAL;
	}
}

mc_err
dcm_scu_release(dcm_scu *s, char *err, size_t errlen)
{
	mc_err rv = MC_OK;

	try {
		OFCondition c = ASC_releaseAssociation(s->assoc);
		if (c.bad()) {
			mc_errf(err, errlen, "release of %s failed: %s",
			    s->peer.c_str(), cond_text(c).c_str());
			ASC_abortAssociation(s->assoc);
			rv = MC_ENET;
		}
		scu_free(s);
	} catch (...) {
		mc_errf(err, errlen, "unexpected exception");
		rv = MC_EINTERNAL;
	}
	return rv;
}

void
dcm_scu_destroy(dcm_scu *s)
{
	if (s == NULL)
		return;
	try {
		if (s->assoc != NULL)
			ASC_abortAssociation(s->assoc);
		scu_free(s);
	} catch (...) {
		/* nothing sensible left to do */
	}
}

} /* extern "C" */
