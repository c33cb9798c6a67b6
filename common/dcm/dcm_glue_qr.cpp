/* dcm_glue_qr.cpp - DCMTK side of dcm_qr.h: query/retrieve as an SCU on
 * DcmSCU (what findscu, movescu and getscu use), one association per
 * call.
 *
 * DcmSCU calls a virtual handler for each response, which is where the
 * bounds are kept: the handler stops the session (and the association is
 * then aborted, not released) once a peer sends more matches, bigger
 * responses or more C-GET files than allowed, or the call's deadline has
 * passed; each single wait is bounded by the DIMSE timeout in
 * non-blocking mode. C-GET is received in DcmSCU's bit-preserving mode:
 * each instance streams into its file instead of memory, and the file is
 * named by us from the request's SOP Instance UID once that UID has been
 * checked to be digits and dots, never from anything else the peer says.
 *
 * Every extern "C" function catches all exceptions. */
#include "dcmtk/config/osconfig.h"

#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcuid.h"
#include "dcmtk/dcmnet/diutil.h"
#include "dcmtk/dcmnet/scu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

#include <new>
#include <string>
#include <vector>

#include "dcm/dcm_qr.h"
#include "tags/uid.h"

namespace
{

const unsigned CONNECT_TIMEOUT_DEFAULT_S = 10;
const unsigned ACSE_TIMEOUT_DEFAULT_S = 30;
const unsigned DIMSE_TIMEOUT_DEFAULT_S = 60;
const unsigned DEADLINE_DEFAULT_S = 3600;
const size_t   MAX_MATCHES_DEFAULT = 1000;
const size_t   MAX_RESPONSE_BYTES_DEFAULT = 64 * 1024;
const size_t   MAX_FILES_DEFAULT = 100000;
const uint64_t MAX_BYTES_DEFAULT = 64ull << 30;
const uint64_t MIN_FREE_BYTES_DEFAULT = 1ull << 30;
/* a GET context and storage contexts: DICOM's 128 at most */
const int    STORAGE_CONTEXTS_MAX = 120;
const Uint32 MAX_PDU_BYTES = 65536;

/* ---- the SCU ---- */

bool
is_pending(Uint16 s)
{
	return s == STATUS_Pending ||
	       s == STATUS_FIND_Pending_WarningUnsupportedOptionalKeys;
}

/* a value for a terminal: printable ASCII, anything else '?' */
void
copy_shown(char *dst, size_t cap, const OFString &v)
{
	size_t n = 0;

	for (size_t i = 0; i < v.length() && n + 1 < cap; i++) {
		unsigned char c = static_cast<unsigned char>(v[i]);
		dst[n++] = c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?';
	}
	while (n > 0 && dst[n - 1] == ' ')
		n--; /* DICOM pads to even length */
	dst[n] = '\0';
}

class qr_scu : public DcmSCU
{
      public:
	const dcm_qr_opts        *o = NULL;
	time_t                    deadline = 0;
	dcm_qr_level              level = DCM_QR_STUDY;
	std::vector<dcm_qr_match> matches;
	unsigned long             rx_bytes = 0;    /* of the current dataset */
	mc_err                    stop_rv = MC_OK; /* a bound was hit */
	std::string               stop_why;
	dcm_qr_result             res;
	std::string               dir; /* C-GET */

	qr_scu()
	{
		memset(&res, 0, sizeof(res));
	}

	void stop(mc_err rv, const std::string &why)
	{
		if (stop_rv == MC_OK) {
			stop_rv = rv;
			stop_why = why;
		}
	}

	bool past_deadline()
	{
		if (time(NULL) <= deadline)
			return false;
		stop(MC_ETIMEDOUT, "the call's deadline passed");
		return true;
	}

	void notifyRECEIVEProgress(const unsigned long byteCount) override
	{
		rx_bytes = byteCount;
	}

	OFCondition handleFINDResponse(const T_ASC_PresentationContextID,
	    QRResponse *r, OFBool &more) override
	{
		more = OFFalse;
		unsigned long bytes = rx_bytes;
		rx_bytes = 0;
		if (r == NULL)
			return EC_Normal;
		res.status = r->m_status;
		if (!is_pending(r->m_status) || past_deadline())
			return EC_Normal;
		if (bytes > o->max_response_bytes) {
			stop(MC_EPROTO,
			    "a response of " + std::to_string(bytes) +
			        " bytes, over the limit of " +
			        std::to_string(o->max_response_bytes));
			return EC_Normal;
		}
		if (matches.size() >= o->max_matches) {
			stop(MC_EPROTO, "more than " +
			                    std::to_string(o->max_matches) +
			                    " matches; narrow the query");
			return EC_Normal;
		}
		if (r->m_dataset != NULL)
			matches.push_back(extract(*r->m_dataset));
		more = OFTrue;
		return EC_Normal;
	}

	dcm_qr_match extract(DcmDataset &d)
	{
		dcm_qr_match m;
		OFString     v;
		memset(&m, 0, sizeof(m));
		struct {
			DcmTagKey tag;
			char     *dst;
			size_t    cap;
		} f[] = {
		    {DCM_StudyInstanceUID, m.study_uid, sizeof(m.study_uid)},
		    {DCM_SeriesInstanceUID, m.series_uid,
		        sizeof(m.series_uid)},
		    {DCM_PatientID, m.patient_id, sizeof(m.patient_id)},
		    {DCM_AccessionNumber, m.accession, sizeof(m.accession)},
		    {DCM_StudyDate, m.study_date, sizeof(m.study_date)},
		    {level == DCM_QR_STUDY ? DCM_ModalitiesInStudy
		                           : DCM_Modality,
		        m.modality, sizeof(m.modality)},
		    {level == DCM_QR_STUDY ? DCM_StudyDescription
		                           : DCM_SeriesDescription,
		        m.description, sizeof(m.description)},
		    {level == DCM_QR_STUDY
		            ? DCM_NumberOfStudyRelatedInstances
		            : DCM_NumberOfSeriesRelatedInstances,
		        m.n_instances, sizeof(m.n_instances)},
		};
		for (auto &x : f) {
			v.clear();
			/* all values of a multi-valued one (ModalitiesInStudy)
			 */
			if (d.findAndGetOFStringArray(x.tag, v).good())
				copy_shown(x.dst, x.cap, v);
		}
		return m;
	}

	void note_retrieve(const RetrieveResponse *r)
	{
		res.status = r->m_status;
		res.completed = r->m_numberOfCompletedSubops;
		res.failed = r->m_numberOfFailedSubops;
		res.warning = r->m_numberOfWarningSubops;
	}

	OFCondition handleMOVEResponse(const T_ASC_PresentationContextID,
	    RetrieveResponse *r, OFBool &more) override
	{
		more = OFFalse;
		if (r == NULL)
			return EC_Normal;
		note_retrieve(r);
		more = is_pending(r->m_status) && !past_deadline();
		return EC_Normal;
	}

	OFCondition handleCGETResponse(const T_ASC_PresentationContextID,
	    RetrieveResponse *r, OFBool &more) override
	{
		more = OFFalse;
		if (r == NULL)
			return EC_Normal;
		note_retrieve(r);
		more = is_pending(r->m_status) && !past_deadline();
		return EC_Normal;
	}

	bool may_take_file(const T_DIMSE_C_StoreRQ *rq)
	{
		struct statvfs fs;
		if (past_deadline())
			return false;
		if (!uid_is_valid(rq->AffectedSOPInstanceUID)) {
			stop(MC_EPROTO, "a C-STORE whose SOP Instance UID is "
			                "not a UID");
			return false;
		}
		if (res.files >= o->max_files) {
			stop(MC_EPROTO, "more than " +
			                    std::to_string(o->max_files) +
			                    " files");
			return false;
		}
		if (res.bytes >= o->max_bytes) {
			stop(MC_EPROTO, "more than " +
			                    std::to_string(o->max_bytes) +
			                    " bytes");
			return false;
		}
		if (statvfs(dir.c_str(), &fs) != 0 ||
		    static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize <
		        o->min_free_bytes) {
			stop(MC_ENOSPC, "less than " +
			                    std::to_string(o->min_free_bytes) +
			                    " bytes free in " + dir);
			return false;
		}
		return true;
	}

	/* the file name DcmSCU offers comes from the peer's UID unchecked;
	 * ours is checked first */
	OFCondition handleSTORERequestFile(T_ASC_PresentationContextID *pc,
	    const OFString &, T_DIMSE_C_StoreRQ *rq) override
	{
		if (!may_take_file(rq))
			return EC_IllegalCall;
		std::string path =
		    dir + "/" + rq->AffectedSOPInstanceUID + ".dcm";
		OFCondition c =
		    DcmSCU::handleSTORERequestFile(pc, path.c_str(), rq);
		struct stat st;
		if (c.good() && stat(path.c_str(), &st) == 0) {
			res.files++;
			res.bytes += static_cast<uint64_t>(st.st_size);
		}
		return c;
	}
};

/* defaults for the zeros of dcm_qr_opts */
dcm_qr_opts
with_defaults(const dcm_qr_opts *in)
{
	dcm_qr_opts o = *in;
	if (o.connect_timeout_s == 0)
		o.connect_timeout_s = CONNECT_TIMEOUT_DEFAULT_S;
	if (o.acse_timeout_s == 0)
		o.acse_timeout_s = ACSE_TIMEOUT_DEFAULT_S;
	if (o.dimse_timeout_s == 0)
		o.dimse_timeout_s = DIMSE_TIMEOUT_DEFAULT_S;
	if (o.deadline_s == 0)
		o.deadline_s = DEADLINE_DEFAULT_S;
	if (o.max_matches == 0)
		o.max_matches = MAX_MATCHES_DEFAULT;
	if (o.max_response_bytes == 0)
		o.max_response_bytes = MAX_RESPONSE_BYTES_DEFAULT;
	if (o.max_files == 0)
		o.max_files = MAX_FILES_DEFAULT;
	if (o.max_bytes == 0)
		o.max_bytes = MAX_BYTES_DEFAULT;
	if (o.min_free_bytes == 0)
		o.min_free_bytes = MIN_FREE_BYTES_DEFAULT;
	return o;
}

OFList<OFString>
plain_syntaxes()
{
	OFList<OFString> ts;
	ts.push_back(UID_LittleEndianExplicitTransferSyntax);
	ts.push_back(UID_LittleEndianImplicitTransferSyntax);
	ts.push_back(UID_BigEndianExplicitTransferSyntax);
	return ts;
}

/* the C-GET storage contexts: every syntax DCMTK knows for the storage
 * classes it lists, so that the peer need not convert */
OFList<OFString>
storage_syntaxes()
{
	OFList<OFString> ts = plain_syntaxes();
	const char      *more[] = {UID_JPEGProcess1TransferSyntax,
	         UID_JPEGProcess2_4TransferSyntax,
	         UID_JPEGProcess14SV1TransferSyntax,
	         UID_JPEGLSLosslessTransferSyntax,
	         UID_JPEG2000LosslessOnlyTransferSyntax, UID_JPEG2000TransferSyntax,
	         UID_RLELosslessTransferSyntax,
	         UID_DeflatedExplicitVRLittleEndianTransferSyntax};
	for (const char *t : more)
		ts.push_back(t);
	return ts;
}

/* the association's parameters and the contexts to propose: the Q/R
 * model, and for C-GET every storage class in the SCP role */
void
configure(qr_scu &s, const dcm_qr_opts &o, const char *abstract, bool storage)
{
	s.setAETitle(o.calling_aet);
	s.setPeerAETitle(o.called_aet);
	s.setPeerHostName(o.host);
	s.setPeerPort(static_cast<Uint16>(o.port));
	s.setConnectionTimeout(static_cast<Sint32>(o.connect_timeout_s));
	s.setACSETimeout(o.acse_timeout_s);
	s.setDIMSETimeout(o.dimse_timeout_s);
	s.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
	s.setMaxReceivePDULength(MAX_PDU_BYTES);
	s.setProgressNotificationMode(OFTrue);
	s.addPresentationContext(abstract, plain_syntaxes());
	if (!storage)
		return;
	s.setStorageMode(DCMSCU_STORAGE_BIT_PRESERVING);
	OFList<OFString> ts = storage_syntaxes();
	for (int i = 0; i < numberOfDcmLongSCUStorageSOPClassUIDs &&
	                i < STORAGE_CONTEXTS_MAX;
	     i++)
		s.addPresentationContext(
		    dcmLongSCUStorageSOPClassUIDs[i], ts, ASC_SC_ROLE_SCP);
}

/* DCMTK's text for a chain of conditions is "a\nb\nc"; the last line is
 * the innermost cause ("Connection refused") */
std::string
last_line(const OFCondition &c)
{
	OFString    dump;
	std::string why = DimseCondition::dump(dump, c).c_str();
	size_t      nl = why.find_last_of('\n');
	return nl == std::string::npos ? why : why.substr(nl + 1);
}

mc_err
assoc_failed(const OFCondition &c, const dcm_qr_opts &o,
    const std::string &peer, const char *abstract, char *err, size_t errlen)
{
	if (c == DUL_ASSOCIATIONREJECTED) {
		mc_errf(err, errlen,
		    "%s rejected the association: check that the node's AE "
		    "title is '%s' and that it knows ours, '%s'",
		    peer.c_str(), o.called_aet, o.calling_aet);
		return MC_EREFUSED;
	}
	if (c == NET_EC_NoAcceptablePresentationContexts) {
		mc_errf(err, errlen,
		    "%s accepted no presentation context for %s", peer.c_str(),
		    dcmFindNameOfUID(abstract, abstract));
		return MC_EDICOM;
	}
	std::string why = last_line(c);
	mc_errf(err, errlen, "cannot associate with %s: %s", peer.c_str(),
	    why.c_str());
	return why.find("imeout") != std::string::npos ||
	               why.find("timed out") != std::string::npos
	           ? MC_ETIMEDOUT
	           : MC_ENET;
}

mc_err
connect(qr_scu &s, const dcm_qr_opts &o, const char *abstract, bool storage,
    char *err, size_t errlen)
{
	std::string peer = std::string(o.host) + ":" + std::to_string(o.port);

	configure(s, o, abstract, storage);
	OFCondition c = s.initNetwork();
	if (c.bad()) {
		mc_errf(err, errlen, "network setup: %s", c.text());
		return MC_EINTERNAL;
	}
	c = s.negotiateAssociation();
	if (c.bad())
		return assoc_failed(c, o, peer, abstract, err, errlen);
	if (s.findPresentationContextID(abstract, "") == 0) {
		mc_errf(err, errlen, "%s accepted the association but not %s",
		    peer.c_str(), dcmFindNameOfUID(abstract, abstract));
		s.abortAssociation();
		return MC_EDICOM;
	}
	return MC_OK;
}

/* end the association: released after a clean session, aborted when a
 * bound stopped it (the peer may still be sending) */
void
finish(qr_scu &s, bool clean)
{
	if (!s.isConnected())
		return;
	if (clean)
		(void) s.releaseAssociation();
	else
		(void) s.abortAssociation();
}

/* The outcome of a session: the DcmSCU condition, a bound, the status. */
mc_err
outcome(qr_scu &s, const OFCondition &c, const char *what, char *err,
    size_t errlen)
{
	std::string peer =
	    std::string(s.o->host) + ":" + std::to_string(s.o->port);
	if (s.stop_rv != MC_OK) {
		finish(s, false);
		mc_errf(err, errlen, "%s from %s stopped: %s", what,
		    peer.c_str(), s.stop_why.c_str());
		return s.stop_rv;
	}
	if (c.bad()) {
		std::string why = last_line(c);
		finish(s, false);
		mc_errf(err, errlen, "%s with %s failed: %s", what,
		    peer.c_str(), why.c_str());
		return c == DIMSE_NODATAAVAILABLE || c == DUL_READTIMEOUT
		           ? MC_ETIMEDOUT
		           : MC_ENET;
	}
	finish(s, true);
	Uint16 st = s.res.status;
	if (st == STATUS_Success || (st & 0xf000) == 0xb000)
		return MC_OK;
	mc_errf(err, errlen, "%s: %s answered status 0x%04x (%s)", what,
	    peer.c_str(), st,
	    st == STATUS_MOVE_Failed_MoveDestinationUnknown
	        ? "move destination unknown: the node must know our "
	          "receiver's AE title, host and port"
	        : DU_cmoveStatusString(st));
	return MC_EDICOM;
}

bool
opts_ok(const dcm_qr_opts *o)
{
	return o != NULL && o->host != NULL && o->host[0] != '\0' &&
	       o->port > 0 && o->port <= 65535 && o->calling_aet != NULL &&
	       o->called_aet != NULL && strlen(o->calling_aet) <= 16 &&
	       strlen(o->called_aet) <= 16 && strlen(o->host) < 64;
}

/* the identifier of a C-MOVE or C-GET */
mc_err
retrieve_keys(DcmDataset &d, const char *study, const char *series, char *err,
    size_t errlen)
{
	if (study == NULL || !uid_is_valid(study) ||
	    (series != NULL && !uid_is_valid(series))) {
		mc_errf(err, errlen, "invalid study or series UID");
		return MC_EINVAL;
	}
	d.putAndInsertString(
	    DCM_QueryRetrieveLevel, series != NULL ? "SERIES" : "STUDY");
	d.putAndInsertString(DCM_StudyInstanceUID, study);
	if (series != NULL)
		d.putAndInsertString(DCM_SeriesInstanceUID, series);
	return MC_OK;
}

mc_err
find(const dcm_qr_opts *in, dcm_qr_level level, const dcm_qr_key *keys,
    size_t n, dcm_qr_match **out, size_t *n_out, char *err, size_t errlen)
{
	dcm_qr_opts o = with_defaults(in);
	qr_scu      s;
	DcmDataset  q;

	s.o = &o;
	s.level = level;
	s.deadline = time(NULL) + o.deadline_s;
	q.putAndInsertString(DCM_QueryRetrieveLevel,
	    level == DCM_QR_STUDY ? "STUDY" : "SERIES");
	/* return keys */
	DcmTagKey ret[] = {DCM_StudyInstanceUID, DCM_PatientID,
	    DCM_AccessionNumber, DCM_StudyDate,
	    level == DCM_QR_STUDY ? DCM_ModalitiesInStudy : DCM_Modality,
	    level == DCM_QR_STUDY ? DCM_StudyDescription
	                          : DCM_SeriesDescription,
	    level == DCM_QR_STUDY ? DCM_NumberOfStudyRelatedInstances
	                          : DCM_NumberOfSeriesRelatedInstances};
	for (const DcmTagKey &t : ret)
		q.insertEmptyElement(t);
	if (level == DCM_QR_SERIES)
		q.insertEmptyElement(DCM_SeriesInstanceUID);
	for (size_t i = 0; i < n; i++) {
		mc_err rv = dcm_qr_key_check(
		    keys[i].keyword, keys[i].value, 1, err, errlen);
		if (rv != MC_OK)
			return rv;
		DcmTagKey t = DCM_ModalitiesInStudy;
		if (strcmp(keys[i].keyword, "Modality") != 0 ||
		    level != DCM_QR_STUDY) {
			DcmTag tag;
			if (DcmTag::findTagFromName(keys[i].keyword, tag)
			        .bad()) {
				mc_errf(err, errlen, "unknown keyword %s",
				    keys[i].keyword);
				return MC_EINVAL;
			}
			t = tag.getXTag();
		}
		q.putAndInsertString(t, keys[i].value);
	}
	mc_err rv =
	    connect(s, o, UID_FINDStudyRootQueryRetrieveInformationModel,
	        false, err, errlen);
	if (rv != MC_OK)
		return rv;
	T_ASC_PresentationContextID pc = s.findPresentationContextID(
	    UID_FINDStudyRootQueryRetrieveInformationModel, "");
	OFCondition c = s.sendFINDRequest(pc, &q, NULL);
	rv = outcome(s, c, "C-FIND", err, errlen);
	if (rv != MC_OK)
		return rv;
	if (!s.matches.empty()) {
		*out = static_cast<dcm_qr_match *>(
		    malloc(s.matches.size() * sizeof(dcm_qr_match)));
		if (*out == NULL) {
			mc_errf(err, errlen, "out of memory");
			return MC_ENOMEM;
		}
		memcpy(*out, s.matches.data(),
		    s.matches.size() * sizeof(dcm_qr_match));
	}
	*n_out = s.matches.size();
	return MC_OK;
}

mc_err
retrieve(const dcm_qr_opts *in, const char *study, const char *series,
    const char *dest_aet, const char *dir, dcm_qr_result *res, char *err,
    size_t errlen)
{
	dcm_qr_opts o = with_defaults(in);
	qr_scu      s;
	DcmDataset  q;
	bool        get = dir != NULL;
	const char *model =
	    get ? UID_GETStudyRootQueryRetrieveInformationModel
	        : UID_MOVEStudyRootQueryRetrieveInformationModel;

	s.o = &o;
	s.deadline = time(NULL) + o.deadline_s;
	if (get)
		s.dir = dir;
	mc_err rv = retrieve_keys(q, study, series, err, errlen);
	if (rv == MC_OK)
		rv = connect(s, o, model, get, err, errlen);
	if (rv != MC_OK)
		return rv;
	T_ASC_PresentationContextID pc =
	    s.findPresentationContextID(model, "");
	OFCondition c = get ? s.sendCGETRequest(pc, &q, NULL)
	                    : s.sendMOVERequest(pc, dest_aet, &q, NULL);
	rv = outcome(s, c, get ? "C-GET" : "C-MOVE", err, errlen);
	*res = s.res;
	return rv;
}

} /* namespace */

extern "C" {

mc_err
dcm_qr_find(const dcm_qr_opts *o, dcm_qr_level level, const dcm_qr_key *keys,
    size_t n, dcm_qr_match **out, size_t *n_out, char *err, size_t errlen)
{
	*out = NULL;
	*n_out = 0;
	if (!opts_ok(o) || n > DCM_QR_MAX_KEYS || (n > 0 && keys == NULL)) {
		mc_errf(err, errlen, "invalid query options");
		return MC_EINVAL;
	}
	try {
		return find(o, level, keys, n, out, n_out, err, errlen);
	} catch (const std::bad_alloc &) {
		mc_errf(err, errlen, "out of memory");
		return MC_ENOMEM;
	} catch (...) {
		mc_errf(err, errlen, "unexpected exception");
		return MC_EINTERNAL;
	}
}

mc_err
dcm_qr_move(const dcm_qr_opts *o, const char *study_uid,
    const char *series_uid, const char *dest_aet, dcm_qr_result *res,
    char *err, size_t errlen)
{
	memset(res, 0, sizeof(*res));
	if (!opts_ok(o) || dest_aet == NULL || dest_aet[0] == '\0' ||
	    strlen(dest_aet) > 16) {
		mc_errf(err, errlen, "invalid retrieve options");
		return MC_EINVAL;
	}
	try {
		return retrieve(o, study_uid, series_uid, dest_aet, NULL, res,
		    err, errlen);
	} catch (const std::bad_alloc &) {
		mc_errf(err, errlen, "out of memory");
		return MC_ENOMEM;
	} catch (...) {
		mc_errf(err, errlen, "unexpected exception");
		return MC_EINTERNAL;
	}
}

mc_err
dcm_qr_get(const dcm_qr_opts *o, const char *study_uid, const char *series_uid,
    const char *dir, dcm_qr_result *res, char *err, size_t errlen)
{
	memset(res, 0, sizeof(*res));
	if (!opts_ok(o) || dir == NULL || dir[0] == '\0') {
		mc_errf(err, errlen, "invalid retrieve options");
		return MC_EINVAL;
	}
	try {
		return retrieve(
		    o, study_uid, series_uid, NULL, dir, res, err, errlen);
	} catch (const std::bad_alloc &) {
		mc_errf(err, errlen, "out of memory");
		return MC_ENOMEM;
	} catch (...) {
		mc_errf(err, errlen, "unexpected exception");
		return MC_EINTERNAL;
	}
}

} /* extern "C" */
