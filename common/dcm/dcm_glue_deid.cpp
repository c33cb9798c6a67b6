/* dcm_glue_deid.cpp - DCMTK side of dcm_deid.h: the actions of PS3.15
 * Table E.1-1 on one file, every sequence level included.
 *
 * Design notes: the action of an attribute is the Basic Profile's unless
 * an enabled option names one; K (retain) beats C (clean) beats the basic
 * action. Compound actions keep the attribute present with the least
 * content: X/Z, Z/D, X/Z/D give a zero-length value, X/D a dummy, X/Z/U*
 * keeps the sequence and remaps the UIDs inside it (its items are
 * de-identified like the dataset). Attributes the table does not list
 * are kept; private ones are removed unless listed. Recursion is bounded
 * by DCM_SCAN_MAX_DEPTH, and dcm_scan_file has bounded the file before
 * DCMTK parses it. The table and the values it makes are
 * dcm_glue_deid_table.cpp's. */
#include "dcmtk/config/osconfig.h"

#include "dcmtk/dcmdata/dcdatset.h"
#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcitem.h"
#include "dcmtk/dcmdata/dcmetinf.h"
#include "dcmtk/dcmdata/dcsequen.h"
#include "dcmtk/dcmdata/dcvr.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <new>
#include <string>
#include <vector>

extern "C" {
#include "base/mc_err.h"
}
#include "dcm/dcm_deid.h"
#include "dcm/dcm_deid_int.h"
#include "dcm/dcm_glue.h"

using namespace deid_tab;

namespace
{

/* ---- one file --------------------------------------------------------- */

struct deid_run {
	const dcm_deid_opts     *o;
	dcm_deid_report         *r;
	std::string              new_id, new_name;
	long                     shift_days = 0;
	std::vector<std::string> phi_tokens; /* what C removes from texts */
	char                    *err;
	size_t                   errlen;
};

std::string
get_string(DcmElement *e)
{
	OFString s;
	if (e->getOFStringArray(s).bad())
		return std::string();
	return std::string(s.c_str(), s.length());
}

std::vector<std::string>
split(const std::string &s, const char *seps)
{
	std::vector<std::string> out;
	size_t                   start = 0;

	for (size_t i = 0; i <= s.size(); i++) {
		if (i == s.size() || strchr(seps, s[i]) != NULL) {
			if (i > start)
				out.push_back(s.substr(start, i - start));
			start = i + 1;
		}
	}
	return out;
}

mc_err
set_value(deid_run &run, DcmElement *e, const std::string &v)
{
	if (e->putString(v.c_str()).bad()) {
		mc_errf(run.err, run.errlen, "cannot set %s",
		    e->getTag().toString().c_str());
		return MC_EINTERNAL;
	}
	return MC_OK;
}

mc_err
remap_uids(deid_run &run, DcmElement *e)
{
	std::string in = get_string(e), out;
	char        buf[DCM_DEID_UID_SIZE];

	if (e->ident() != EVR_UI || in.empty())
		return MC_OK;
	for (const std::string &u : split(in, "\\")) {
		mc_err rv = run.o->uid(run.o->ctx, u.c_str(), buf);
		if (rv != MC_OK) {
			mc_errf(run.err, run.errlen, "cannot remap a UID");
			return rv;
		}
		if (!out.empty())
			out += '\\';
		out += buf;
	}
	run.r->remapped++;
	return set_value(run, e, out);
}

mc_err
shift_dates(deid_run &run, DcmElement *e)
{
	DcmEVR vr = e->ident();

	if (vr != EVR_DA && vr != EVR_DT)
		return MC_OK; /* TM: whole days leave a time as it is */
	std::string out;
	for (std::string v : split(get_string(e), "\\")) {
		if (!shift_date(v, run.shift_days)) {
			run.r->emptied++;
			e->clear();
			return MC_OK;
		}
		if (!out.empty())
			out += '\\';
		out += v;
	}
	run.r->shifted++;
	return set_value(run, e, out);
}

/* clean: remove the patient's own identifiers from a text */
mc_err
clean_text(deid_run &run, DcmElement *e)
{
	std::string v = get_string(e), low = v;
	bool        changed = false;

	if (!e->isaString() || v.empty())
		return MC_OK;
	for (const std::string &tok : run.phi_tokens) {
		for (size_t i = 0; i < low.size(); i++)
			low[i] = static_cast<char>(
			    tolower(static_cast<unsigned char>(v[i])));
		size_t at;
		while ((at = low.find(tok)) != std::string::npos) {
			v.erase(at, tok.size());
			low.erase(at, tok.size());
			changed = true;
		}
	}
	if (!changed)
		return MC_OK;
	run.r->cleaned++;
	return set_value(run, e, v);
}

mc_err deid_item(deid_run &run, DcmItem *item, unsigned depth);

mc_err
deid_items(deid_run &run, DcmElement *e, unsigned depth)
{
	if (e->ident() != EVR_SQ)
		return MC_OK;
	DcmSequenceOfItems *sq = static_cast<DcmSequenceOfItems *>(e);
	for (unsigned long i = 0; i < sq->card(); i++) {
		mc_err rv = deid_item(run, sq->getItem(i), depth + 1);
		if (rv != MC_OK)
			return rv;
	}
	return MC_OK;
}

/* what to do with an element of the item; *remove set for X */
mc_err
apply(deid_run &run, DcmElement *e, act a, unsigned depth, bool *remove)
{
	const char *dummy;

	switch (a) {
	case A_X:
		*remove = true;
		return MC_OK;
	case A_Z:
	case A_ZD:
	case A_XZ:
	case A_XZD:
		run.r->emptied++;
		e->clear();
		return MC_OK;
	case A_D:
	case A_XD:
		if (e->ident() == EVR_SQ)
			return deid_items(run, e, depth);
		if (e->ident() == EVR_UI)
			return remap_uids(run, e);
		run.r->replaced++;
		if ((dummy = dummy_for(e->ident())) == NULL) {
			e->clear();
			return MC_OK;
		}
		return set_value(run, e, dummy);
	case A_U:
		return remap_uids(run, e);
	case A_C:
		if (e->ident() == EVR_SQ)
			return deid_items(run, e, depth);
		/* overlay and curve data: nothing can clean pixels here */
		if (!e->isaString()) {
			*remove = true;
			return MC_OK;
		}
		if (run.o->options & DCM_DEID_RETAIN_MODIFIED_DATES &&
		    (e->ident() == EVR_DA || e->ident() == EVR_DT ||
		        e->ident() == EVR_TM))
			return shift_dates(run, e);
		return clean_text(run, e);
	case A_XZU:
		if (e->ident() == EVR_SQ)
			return deid_items(run, e, depth);
		run.r->emptied++;
		e->clear();
		return MC_OK;
	case A_K:
	case A__:
	default:
		return deid_items(run, e, depth);
	}
}

bool
keep_private(const dcm_deid_opts *o, const DcmTagKey &k)
{
	Uint16 g = k.getGroup(), el = k.getElement();

	for (size_t i = 0; i < o->n_keep_private; i++) {
		Uint16 kg = static_cast<Uint16>(o->keep_private[i] >> 16);
		Uint16 ke = static_cast<Uint16>(o->keep_private[i] & 0xFFFF);
		if (kg != g)
			continue;
		if (ke == el)
			return true;
		/* the creator of a kept element's block */
		if (el >= 0x0010 && el <= 0x00FF && (ke >> 8) == el)
			return true;
	}
	return false;
}

mc_err
patient_identity(deid_run &run, DcmElement *e, bool *remove)
{
	*remove = false;
	run.r->replaced++;
	if (e->getTag() == DCM_PatientID)
		return set_value(run, e, run.new_id);
	return set_value(run, e, run.new_name);
}

mc_err
deid_element(deid_run &run, DcmElement *e, unsigned depth, bool *remove)
{
	DcmTagKey k = e->getTag();

	*remove = false;
	if (k.getElement() == 0x0000) { /* group lengths: recomputed */
		*remove = true;
		return MC_OK;
	}
	if (k.isPrivate()) {
		*remove = !keep_private(run.o, k);
		return *remove ? MC_OK : deid_items(run, e, depth);
	}
	if (k == DCM_PatientID || k == DCM_PatientName)
		return patient_identity(run, e, remove);
	act a = A__;
	if (!action(k.getGroup(), k.getElement(), run.o->options, &a))
		return deid_items(run, e, depth);
	return apply(run, e, a, depth, remove);
}

mc_err
deid_item(deid_run &run, DcmItem *item, unsigned depth)
{
	if (item == NULL)
		return MC_OK;
	if (depth > DCM_SCAN_MAX_DEPTH) {
		mc_errf(run.err, run.errlen, "sequences nested deeper than %d",
		    DCM_SCAN_MAX_DEPTH);
		return MC_EPARSE;
	}
	/* backwards, so that removing an element moves none still to come */
	for (unsigned long i = item->card(); i-- > 0;) {
		DcmElement *e = item->getElement(i);
		bool        remove = false;
		mc_err      rv = deid_element(run, e, depth, &remove);
		if (rv != MC_OK)
			return rv;
		if (remove) {
			delete item->remove(e);
			run.r->removed++;
		}
	}
	return MC_OK;
}

std::string
find_string(DcmItem *d, const DcmTagKey &k)
{
	OFString s;
	if (d->findAndGetOFStringArray(k, s).bad())
		return std::string();
	return std::string(s.c_str(), s.length());
}

void
copy_cut(char *dst, size_t n, const std::string &s)
{
	snprintf(dst, n, "%s", s.c_str());
}

/* the identifiers cleaning removes from texts: lower case, at least 3
 * bytes (shorter ones would cut words apart) */
void
collect_tokens(deid_run &run, DcmDataset *d)
{
	const DcmTagKey keys[] = {DCM_PatientName, DCM_PatientID,
	    DCM_RETIRED_OtherPatientIDs, DCM_AccessionNumber,
	    DCM_PatientBirthDate, DCM_PatientBirthName,
	    DCM_PatientMotherBirthName};

	for (const DcmTagKey &k : keys) {
		for (std::string t : split(find_string(d, k), "^= \\,")) {
			if (t.size() < 3)
				continue;
			for (char &c : t)
				c = static_cast<char>(
				    tolower(static_cast<unsigned char>(c)));
			run.phi_tokens.push_back(t);
		}
	}
}

mc_err
burned_in(deid_run &run, DcmDataset *d)
{
	std::string v = find_string(d, DCM_BurnedInAnnotation);

	while (!v.empty() && v.back() == ' ')
		v.pop_back();
	if (strcasecmp(v.c_str(), "YES") != 0)
		return MC_OK;
	run.r->burned_in = true;
	if (run.o->allow_burned_in)
		return MC_OK;
	mc_errf(run.err, run.errlen,
	    "BurnedInAnnotation is YES: the pixel data may show patient "
	    "data, which de-identification does not remove");
	return MC_EREFUSED;
}

mc_err
begin(deid_run &run, DcmDataset *d)
{
	char   id[DCM_DEID_ID_SIZE] = "", name[DCM_DEID_NAME_SIZE] = "";
	mc_err rv;

	copy_cut(run.r->study_uid, sizeof(run.r->study_uid),
	    find_string(d, DCM_StudyInstanceUID));
	copy_cut(run.r->series_uid, sizeof(run.r->series_uid),
	    find_string(d, DCM_SeriesInstanceUID));
	copy_cut(run.r->sop_uid, sizeof(run.r->sop_uid),
	    find_string(d, DCM_SOPInstanceUID));
	if ((rv = burned_in(run, d)) != MC_OK)
		return rv;
	std::string old_id = find_string(d, DCM_PatientID);
	copy_cut(run.r->patient_id, sizeof(run.r->patient_id), old_id);
	rv = run.o->patient(run.o->ctx, old_id.c_str(),
	    find_string(d, DCM_PatientName).c_str(), id, name, &run.shift_days,
	    run.err, run.errlen);
	if (rv != MC_OK)
		return rv;
	run.new_id = id;
	run.new_name = name;
	run.r->shift_days = run.shift_days;
	copy_cut(run.r->new_patient_id, sizeof(run.r->new_patient_id), id);
	/* every C on a text removes them, whichever option asked for it */
	collect_tokens(run, d);
	/* the profile replaces them; present even when the file had none */
	if (d->putAndInsertString(DCM_PatientID, id).bad() ||
	    d->putAndInsertString(DCM_PatientName, name).bad())
		return MC_ENOMEM;
	return MC_OK;
}

struct method_code {
	unsigned    flag; /* 0: always */
	const char *value, *meaning;
};

const method_code METHOD_CODES[] = {
    {0, "113100", "Basic Application Confidentiality Profile"},
    {DCM_DEID_CLEAN_GRAPHICS, "113103", "Clean Graphics Option"},
    {DCM_DEID_CLEAN_DESCRIPTORS, "113105", "Clean Descriptors Option"},
    {DCM_DEID_RETAIN_FULL_DATES, "113106",
        "Retain Longitudinal Temporal Information Full Dates Option"},
    {DCM_DEID_RETAIN_MODIFIED_DATES, "113107",
        "Retain Longitudinal Temporal Information Modified Dates Option"},
    {DCM_DEID_RETAIN_PATIENT_CHARS, "113108",
        "Retain Patient Characteristics Option"},
    {DCM_DEID_RETAIN_DEVICE_IDENTITY, "113109",
        "Retain Device Identity Option"},
    {DCM_DEID_RETAIN_UIDS, "113110", "Retain UIDs Option"},
    {DCM_DEID_RETAIN_INSTITUTION_IDENTITY, "113112",
        "Retain Institution Identity Option"},
};

mc_err
add_code(DcmDataset *d, const char *value, const char *meaning)
{
	DcmItem *it = NULL;

	if (d->findOrCreateSequenceItem(
	         DCM_DeidentificationMethodCodeSequence, it, -2)
	        .bad() ||
	    it->putAndInsertString(DCM_CodeValue, value).bad() ||
	    it->putAndInsertString(DCM_CodingSchemeDesignator, "DCM").bad() ||
	    it->putAndInsertString(DCM_CodeMeaning, meaning).bad())
		return MC_ENOMEM;
	return MC_OK;
}

/* PS3.15 E.1.1: say that, and how, the identity was removed */
mc_err
mark(deid_run &run, DcmDataset *d)
{
	unsigned    opt = run.o->options;
	const char *ltim = (opt & DCM_DEID_RETAIN_FULL_DATES) ? "UNMODIFIED"
	                   : (opt & DCM_DEID_RETAIN_MODIFIED_DATES)
	                       ? "MODIFIED"
	                       : "REMOVED";

	delete d->remove(DCM_DeidentificationMethodCodeSequence);
	if (d->putAndInsertString(DCM_PatientIdentityRemoved, "YES").bad() ||
	    d->putAndInsertString(DCM_DeidentificationMethod, run.o->method)
	        .bad() ||
	    d->putAndInsertString(
	         DCM_LongitudinalTemporalInformationModified, ltim)
	        .bad())
		return MC_ENOMEM;
	for (const method_code &c : METHOD_CODES) {
		if (c.flag != 0 && (opt & c.flag) == 0)
			continue;
		mc_err rv = add_code(d, c.value, c.meaning);
		if (rv != MC_OK)
			return rv;
	}
	if (run.o->n_keep_private > 0)
		return add_code(d, "113111", "Retain Safe Private Option");
	return MC_OK;
}

/* the file meta header names the sender and may carry private data */
void
clean_meta(DcmMetaInfo *m, const char *sop)
{
	const DcmTagKey drop[] = {DCM_SourceApplicationEntityTitle,
	    DCM_SendingApplicationEntityTitle,
	    DCM_ReceivingApplicationEntityTitle, DCM_PrivateInformation,
	    DCM_PrivateInformationCreatorUID};

	for (const DcmTagKey &k : drop)
		delete m->remove(k);
	m->putAndInsertString(DCM_MediaStorageSOPInstanceUID, sop);
}

mc_err
deid_dataset(deid_run &run, DcmFileFormat &ff)
{
	DcmDataset *d = ff.getDataset();
	mc_err      rv;

	if ((rv = begin(run, d)) != MC_OK)
		return rv;
	if ((rv = deid_item(run, d, 0)) != MC_OK)
		return rv;
	if ((rv = mark(run, d)) != MC_OK)
		return rv;
	copy_cut(run.r->new_study_uid, sizeof(run.r->new_study_uid),
	    find_string(d, DCM_StudyInstanceUID));
	copy_cut(run.r->new_series_uid, sizeof(run.r->new_series_uid),
	    find_string(d, DCM_SeriesInstanceUID));
	copy_cut(run.r->new_sop_uid, sizeof(run.r->new_sop_uid),
	    find_string(d, DCM_SOPInstanceUID));
	clean_meta(ff.getMetaInfo(), run.r->new_sop_uid);
	return MC_OK;
}

mc_err
load(const char *path, DcmFileFormat &ff, char *err, size_t errlen)
{
	mc_err rv = dcm_scan_file(path, err, errlen);

	if (rv != MC_OK)
		return rv;
	OFCondition cond = ff.loadFile(path, EXS_Unknown, EGL_noChange,
	    DCM_MaxReadLength, ERM_autoDetect);
	if (cond.good())
		cond = ff.loadAllDataIntoMemory();
	if (cond.bad()) {
		mc_errf(err, errlen, "%s: not readable as DICOM: %s", path,
		    cond.text());
		return MC_EPARSE;
	}
	return MC_OK;
}

} // namespace

extern "C" mc_err
dcm_deid_init(char *err, size_t errlen)
{
	return dcm_glue_init(err, errlen);
}

extern "C" mc_err
dcm_deid_file(const char *in_path, const char *out_path,
    const dcm_deid_opts *o, dcm_deid_report *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	try {
		DcmFileFormat ff;
		deid_run      run;
		mc_err        rv;

		run.o = o;
		run.r = r;
		run.err = err;
		run.errlen = errlen;
		if ((rv = load(in_path, ff, err, errlen)) != MC_OK)
			return rv;
		if ((rv = deid_dataset(run, ff)) != MC_OK)
			return rv;
		OFCondition cond =
		    ff.saveFile(out_path, EXS_Unknown, EET_ExplicitLength,
		        EGL_withoutGL, EPD_noChange, 0, 0, EWM_fileformat);
		if (cond.bad()) {
			mc_errf(err, errlen, "%s: cannot write: %s", out_path,
			    cond.text());
			return MC_EIO;
		}
		return MC_OK;
	} catch (const std::bad_alloc &) {
		mc_errf(err, errlen, "out of memory");
		return MC_ENOMEM;
	} catch (...) {
		mc_errf(err, errlen, "internal error de-identifying a file");
		return MC_EINTERNAL;
	}
}
