/* dcm_glue_edit.cpp - DCMTK side of dcm_edit.h: resolving tags against
 * the data dictionary, checking values against their VR, and rewriting
 * one file with a list of operations.
 *
 * Design notes: a written text never reaches DCMTK unchecked: the
 * element is built and checked (checkValue: length, characters, VM
 * separators) before it replaces the dataset's, so a bad value fails the
 * file instead of producing a file that breaks the peer. Patterns use
 * POSIX regcomp without back references (glibc matches those by
 * backtracking), so matching stays polynomial; values are bounded by
 * DCM_EDIT_VALUE_MAX_BYTES. Every extern "C" function catches all
 * exceptions; std::bad_alloc becomes MC_ENOMEM, anything else
 * MC_EINTERNAL. */
#include "dcmtk/config/osconfig.h"

#include "dcmtk/dcmdata/dcdatset.h"
#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcdict.h"
#include "dcmtk/dcmdata/dcdicent.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcitem.h"
#include "dcmtk/dcmdata/dctag.h"
#include "dcmtk/dcmdata/dcvr.h"

#include <regex.h>
#include <stdio.h>
#include <string.h>

#include <memory>
#include <new>
#include <string>
#include <vector>

/* The common headers have no extern "C" guards of their own. */
extern "C" {
#include "base/mc_err.h"
#include "os/sys_files.h"
#include "os/sys_fs.h"
}
#include "dcm/dcm_edit.h"

namespace
{

constexpr int MAX_GROUPS = 10; /* \0 .. \9 */

/* a finding: which field, and why */
struct finding {
	dcm_edit_field field = DCM_EDIT_FIELD_TAG;
	std::string    msg;
};

bool
fail(finding &f, dcm_edit_field field, const std::string &msg)
{
	f.field = field;
	f.msg = msg;
	return false;
}

int
hex4(const char *s, Uint16 &out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char     c = s[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned) (c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned) (c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned) (c - 'A' + 10);
		else
			return -1;
		v = v * 16 + d;
	}
	out = (Uint16) v;
	return 0;
}

/* the name a message uses for key: its keyword, or (gggg,eeee) */
std::string
tag_name(const DcmTagKey &key)
{
	DcmTag      tag(key);
	const char *name = tag.getTagName();
	char        buf[16];

	if (name != NULL && strcmp(name, DcmTag_ERROR_TagName) != 0)
		return name;
	snprintf(
	    buf, sizeof(buf), "(%04x,%04x)", key.getGroup(), key.getElement());
	return buf;
}

/* parse_tag - "gggg,eeee", "(gggg,eeee)" or a keyword of the dictionary */
bool
parse_tag(const char *spec, DcmTagKey &key, std::string &why)
{
	size_t len = strlen(spec);
	Uint16 g, e;

	if (len == 11 && spec[0] == '(' && spec[10] == ')') {
		spec++;
		len = 9;
	}
	if (len == 9 && spec[4] == ',') {
		if (hex4(spec, g) != 0 || hex4(spec + 5, e) != 0) {
			why = "'" + std::string(spec, len) +
			      "' is not gggg,eeee in hexadecimal";
			return false;
		}
		key = DcmTagKey(g, e);
		return true;
	}
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char) spec[i])) {
			why = "'" + std::string(spec) +
			      "' is neither a keyword nor gggg,eeee";
			return false;
		}
	if (len == 0) {
		why = "a tag is empty";
		return false;
	}
	const DcmDataDictionary &dict = dcmDataDict.rdlock();
	const DcmDictEntry      *ent = dict.findEntry(spec);
	bool priv = ent != NULL && ent->getPrivateCreator() != NULL;
	if (ent != NULL)
		key = ent->getKey();
	dcmDataDict.rdunlock();
	if (priv) {
		/* findEntry gives the first entry of that name, which may be
		 * a private one ("StudyComments" of a vendor): a keyword
		 * names the standard attribute. The iterators need the
		 * write lock (they are not const). */
		DcmDataDictionary &w = dcmDataDict.wrlock();
		ent = NULL;
		for (auto it = w.normalBegin(); it != w.normalEnd(); ++it) {
			const DcmDictEntry *c = *it;
			if (c->getPrivateCreator() == NULL &&
			    strcmp(c->getTagName(), spec) == 0) {
				ent = c;
				key = c->getKey();
				break;
			}
		}
		dcmDataDict.wrunlock();
	}
	if (ent == NULL) {
		why = dcmDataDict.isDictionaryLoaded()
		          ? "unknown keyword '" + std::string(spec) + "'"
		          : "the DICOM data dictionary is not loaded (see "
		            "DCMDICTPATH), so keyword '" +
		                std::string(spec) + "' cannot be looked up";
		return false;
	}
	return true;
}

bool
text_vr(DcmEVR vr)
{
	switch (vr) {
	case EVR_AE:
	case EVR_AS:
	case EVR_CS:
	case EVR_DA:
	case EVR_DS:
	case EVR_DT:
	case EVR_IS:
	case EVR_LO:
	case EVR_LT:
	case EVR_PN:
	case EVR_SH:
	case EVR_ST:
	case EVR_TM:
	case EVR_UC:
	case EVR_UI:
	case EVR_UR:
	case EVR_UT:
		return true;
	default:
		return false;
	}
}

bool
known(const DcmTagKey &key)
{
	const DcmDataDictionary &dict = dcmDataDict.rdlock();
	bool                     k = dict.findEntry(key, NULL) != NULL;
	dcmDataDict.rdunlock();
	return k;
}

/* may_change - whether key may be the target of kind */
bool
may_change(const DcmTagKey &key, dcm_edit_kind kind, std::string &why)
{
	Uint16 g = key.getGroup(), e = key.getElement();

	if (g <= 0x0007) {
		why = tag_name(key) +
		      " is in groups 0000-0007 (command, file meta, "
		      "DICOMDIR), which are never changed";
		return false;
	}
	if (e == 0x0000) {
		why = tag_name(key) + " is a group length";
		return false;
	}
	if (g == 0x7fe0) {
		why = tag_name(key) + " is pixel data, never changed";
		return false;
	}
	if (key == DCM_SpecificCharacterSet || key == DCM_SOPClassUID) {
		why = tag_name(key) +
		      " is never changed (it decides how the rest is read)";
		return false;
	}
	if (kind == DCM_EDIT_REMOVE) {
		if (key == DCM_SOPInstanceUID ||
		    key == DCM_SeriesInstanceUID ||
		    key == DCM_StudyInstanceUID) {
			why = tag_name(key) +
			      " identifies the instance and is never removed";
			return false;
		}
		return true;
	}
	if (g & 1) {
		why = tag_name(key) +
		      " is private: its VR is not known, it can only be "
		      "removed";
		return false;
	}
	if (!known(key)) {
		why =
		    tag_name(key) +
		    " is not in the data dictionary: its VR is not known, it "
		    "can only be removed";
		return false;
	}
	DcmTag tag(key);
	if (!text_vr(tag.getEVR())) {
		why =
		    tag_name(key) + " has VR " + tag.getVRName() +
		    ": only text VRs (AE AS CS DA DS DT IS LO LT PN SH ST TM "
		    "UC UI UR UT) can be set";
		return false;
	}
	return true;
}

/* one piece of a template: text, or the value of a tag */
struct piece {
	bool        is_tag = false;
	std::string text;
	DcmTagKey   key;
};

bool
non_ascii(const std::string &s)
{
	for (unsigned char c : s)
		if (c >= 0x80)
			return true;
	return false;
}

/* parse_template - text with {tag} placeholders and {{ }} escapes */
bool
parse_template(const char *t, std::vector<piece> &out, std::string &why)
{
	piece lit;

	for (const char *p = t; *p != '\0'; p++) {
		if (p[0] == '{' && p[1] == '{') {
			lit.text += '{';
			p++;
		} else if (p[0] == '}' && p[1] == '}') {
			lit.text += '}';
			p++;
		} else if (*p == '}') {
			why = "a lone '}' (write '}}' for a brace)";
			return false;
		} else if (*p == '{') {
			const char *end = strchr(p + 1, '}');
			piece       ph;
			if (end == NULL) {
				why =
				    "'{' without '}' (write '{{' for a brace)";
				return false;
			}
			std::string spec(p + 1, (size_t) (end - p - 1));
			ph.is_tag = true;
			if (!parse_tag(spec.c_str(), ph.key, why)) {
				why = "in {" + spec + "}: " + why;
				return false;
			}
			if (!lit.text.empty())
				out.push_back(lit);
			lit.text.clear();
			out.push_back(ph);
			p = end;
		} else {
			lit.text += *p;
		}
	}
	if (!lit.text.empty())
		out.push_back(lit);
	return true;
}

/* replacement - \0..\9 and \\; anything else after '\' is refused */
bool
parse_replace(const char *r, size_t groups, std::vector<piece> &out,
    std::vector<int> &refs, std::string &why)
{
	piece lit;

	for (const char *p = r; *p != '\0'; p++) {
		if (*p != '\\') {
			lit.text += *p;
			continue;
		}
		if (p[1] == '\\') {
			lit.text += '\\';
			p++;
			continue;
		}
		if (p[1] < '0' || p[1] > '9') {
			why = "'\\' must be followed by a group number 0-9 or "
			      "'\\' (write '\\\\' for a backslash)";
			return false;
		}
		if ((size_t) (p[1] - '0') > groups) {
			why = std::string("\\") + p[1] +
			      ": the pattern has only " +
			      std::to_string(groups) + " group(s)";
			return false;
		}
		out.push_back(lit);
		refs.push_back((int) out.size() - 1);
		lit.text.clear();
		piece g;
		g.is_tag = true; /* a group reference, number in text */
		g.text = std::string(1, p[1]);
		out.push_back(g);
		p++;
	}
	out.push_back(lit);
	return true;
}

/* compile_pattern - regcomp(REG_EXTENDED) without back references */
bool
compile_pattern(const char *pat, regex_t &re, std::string &why)
{
	char buf[256];
	int  rc;

	for (const char *p = pat; *p != '\0'; p++) {
		if (*p != '\\')
			continue;
		if (p[1] >= '1' && p[1] <= '9') {
			why = "back references (\\1 in the pattern) are not "
			      "allowed";
			return false;
		}
		if (p[1] != '\0')
			p++;
	}
	if ((rc = regcomp(&re, pat, REG_EXTENDED)) != 0) {
		regerror(rc, &re, buf, sizeof(buf));
		regfree(&re);
		why = std::string("bad regular expression: ") + buf;
		return false;
	}
	return true;
}

/* within_max_length - every value (between '\\', which the single-valued
 * text VRs do not split at) within the VR's maximum length in bytes;
 * for PN each component group ('=') on its own. checkValue() leaves
 * the length to a switch that is off by default. */
bool
within_max_length(DcmEVR evr, const std::string &value)
{
	DcmVR  vr(evr);
	size_t max = vr.getMaxValueLength();
	bool   single =
	    evr == EVR_LT || evr == EVR_ST || evr == EVR_UT || evr == EVR_UR;
	size_t start = 0;

	while (start <= value.size()) {
		size_t end =
		    single ? std::string::npos : value.find('\\', start);
		if (end == std::string::npos)
			end = value.size();
		std::string one = value.substr(start, end - start);
		if (evr == EVR_PN) {
			size_t g = 0;
			while (g <= one.size()) {
				size_t ge = one.find('=', g);
				if (ge == std::string::npos)
					ge = one.size();
				if (ge - g > max)
					return false;
				g = ge + 1;
			}
		} else if (one.size() > max) {
			return false;
		}
		start = end + 1;
	}
	return true;
}

/* value_error - why value is not valid for key's VR, or "" */
std::string
value_error(const DcmTagKey &key, const std::string &value)
{
	DcmElement *el = DcmItem::newDicomElement(key);
	std::string why;

	if (el == NULL)
		return "cannot make an element for " + tag_name(key);
	OFCondition c = el->putString(value.c_str(), value.size());
	if (c.good())
		c = el->checkValue("1-n");
	if (c.good() && !within_max_length(el->getTag().getEVR(), value))
		c = EC_MaximumLengthViolated;
	if (c.bad()) {
		DcmTag      tag(key);
		std::string shown =
		    value.size() > 64 ? value.substr(0, 64) + "..." : value;
		why = "'" + shown + "' (" + std::to_string(value.size()) +
		      " bytes) is not a valid " + tag.getVRName() +
		      " value for " + tag_name(key) + ": " + c.text();
	}
	delete el;
	return why;
}

struct op {
	dcm_edit_kind      kind = DCM_EDIT_SET;
	DcmTagKey          key;
	std::vector<piece> tmpl;    /* SET, COPY */
	std::vector<piece> replace; /* REGEX */
	bool               has_re = false;
	regex_t            re;
	bool               literal_non_ascii = false;

	op() = default;
	op(const op &) = delete;
	op &operator=(const op &) = delete;
	~op()
	{
		if (has_re)
			regfree(&re);
	}
};

bool
text_ok(const char *t, dcm_edit_field field, const char *what, finding &f)
{
	if (t == NULL)
		return fail(f, field, std::string(what) + " is missing");
	if (strlen(t) > DCM_EDIT_TEXT_MAX_BYTES)
		return fail(f, field,
		    std::string(what) + " is longer than " +
		        std::to_string(DCM_EDIT_TEXT_MAX_BYTES) + " bytes");
	return true;
}

/* build - check o and compile it into out */
bool
build(const dcm_edit_op *o, op &out, finding &f)
{
	std::string why;

	out.kind = o->kind;
	if (o->tag == NULL)
		return fail(f, DCM_EDIT_FIELD_TAG, "tag is missing");
	if (!parse_tag(o->tag, out.key, why) ||
	    !may_change(out.key, o->kind, why))
		return fail(f, DCM_EDIT_FIELD_TAG, why);
	switch (o->kind) {
	case DCM_EDIT_REMOVE:
		return true;
	case DCM_EDIT_SET:
		if (!text_ok(o->value, DCM_EDIT_FIELD_VALUE, "the value", f))
			return false;
		if (!parse_template(o->value, out.tmpl, why))
			return fail(f, DCM_EDIT_FIELD_VALUE, why);
		break;
	case DCM_EDIT_COPY: {
		piece ph;
		if (!text_ok(o->value, DCM_EDIT_FIELD_VALUE, "the source", f))
			return false;
		ph.is_tag = true;
		if (!parse_tag(o->value, ph.key, why))
			return fail(f, DCM_EDIT_FIELD_VALUE, why);
		out.tmpl.push_back(ph);
		break;
	}
	case DCM_EDIT_REGEX: {
		std::vector<int> refs;
		if (!text_ok(
		        o->value, DCM_EDIT_FIELD_VALUE, "the pattern", f) ||
		    !text_ok(o->replace, DCM_EDIT_FIELD_REPLACE,
		        "the replacement", f))
			return false;
		if (!compile_pattern(o->value, out.re, why))
			return fail(f, DCM_EDIT_FIELD_VALUE, why);
		out.has_re = true;
		if (!parse_replace(
		        o->replace, out.re.re_nsub, out.replace, refs, why))
			return fail(f, DCM_EDIT_FIELD_REPLACE, why);
		for (const piece &p : out.replace)
			if (!p.is_tag && non_ascii(p.text))
				out.literal_non_ascii = true;
		return true;
	}
	default:
		return fail(f, DCM_EDIT_FIELD_TAG, "unknown operation");
	}
	bool only_text = true;
	for (const piece &p : out.tmpl) {
		if (p.is_tag)
			only_text = false;
		else if (non_ascii(p.text))
			out.literal_non_ascii = true;
	}
	if (only_text) {
		std::string v = out.tmpl.empty() ? "" : out.tmpl[0].text;
		if (!(why = value_error(out.key, v)).empty())
			return fail(f, DCM_EDIT_FIELD_VALUE, why);
	}
	return true;
}

mc_err
mc_of_exception()
{
	try {
		throw;
	} catch (const std::bad_alloc &) {
		return MC_ENOMEM;
	} catch (...) {
		return MC_EINTERNAL;
	}
}

/* the value of key in ds as text ("" when absent or not text) */
std::string
value_of(DcmDataset *ds, const DcmTagKey &key)
{
	OFString s;

	if (ds->findAndGetOFStringArray(key, s, OFFalse).bad())
		return "";
	return std::string(s.c_str(), s.length());
}

bool
charset_is_utf8(DcmDataset *ds)
{
	std::string cs = value_of(ds, DCM_SpecificCharacterSet);
	return cs.find("ISO_IR 192") != std::string::npos;
}

/* put - key = value in ds, after the checks of the VR */
bool
put(DcmDataset *ds, const op &o, const std::string &value, std::string &why)
{
	if (value.size() > DCM_EDIT_VALUE_MAX_BYTES) {
		why = tag_name(o.key) + ": the value would be " +
		      std::to_string(value.size()) + " bytes (at most " +
		      std::to_string(DCM_EDIT_VALUE_MAX_BYTES) + ")";
		return false;
	}
	if (o.literal_non_ascii && !charset_is_utf8(ds)) {
		why = tag_name(o.key) +
		      ": the configured text is not ASCII and the file's "
		      "SpecificCharacterSet is not ISO_IR 192 (UTF-8)";
		return false;
	}
	if (!(why = value_error(o.key, value)).empty())
		return false;
	OFCondition c =
	    ds->putAndInsertString(o.key, value.c_str(), value.size(), OFTrue);
	if (c.bad()) {
		why = tag_name(o.key) + ": " + c.text();
		return false;
	}
	return true;
}

bool
apply_regex(DcmDataset *ds, const op &o, bool &changed, std::string &why)
{
	regmatch_t  m[MAX_GROUPS];
	std::string v, out;

	changed = false;
	if (!ds->tagExists(o.key, OFFalse))
		return true;
	v = value_of(ds, o.key);
	if (v.size() > DCM_EDIT_VALUE_MAX_BYTES) {
		why = tag_name(o.key) + ": the value is longer than " +
		      std::to_string(DCM_EDIT_VALUE_MAX_BYTES) + " bytes";
		return false;
	}
	if (regexec(&o.re, v.c_str(), MAX_GROUPS, m, 0) != 0)
		return true;
	out.assign(v, 0, (size_t) m[0].rm_so);
	for (const piece &p : o.replace) {
		if (!p.is_tag) {
			out += p.text;
			continue;
		}
		int g = p.text[0] - '0';
		if (m[g].rm_so >= 0)
			out.append(v, (size_t) m[g].rm_so,
			    (size_t) (m[g].rm_eo - m[g].rm_so));
	}
	out.append(v, (size_t) m[0].rm_eo, std::string::npos);
	changed = true;
	return put(ds, o, out, why);
}

bool
apply(DcmDataset *ds, const op &o, size_t &changed, std::string &why)
{
	std::string value;
	bool        did = false;

	switch (o.kind) {
	case DCM_EDIT_REMOVE:
		if (ds->findAndDeleteElement(o.key, OFFalse, OFFalse).good())
			changed++;
		return true;
	case DCM_EDIT_REGEX:
		if (!apply_regex(ds, o, did, why))
			return false;
		changed += did ? 1 : 0;
		return true;
	default:
		for (const piece &p : o.tmpl) {
			value += p.is_tag ? value_of(ds, p.key) : p.text;
			if (value.size() > DCM_EDIT_VALUE_MAX_BYTES)
				break;
		}
		if (!put(ds, o, value, why))
			return false;
		changed++;
		return true;
	}
}

/* remove_partial - a temporary file that will not be renamed; a failure
 * leaves a ".part" file that the caller's folder cleanup removes */
void
remove_partial(const char *tmp)
{
	mc_err rv = sys_remove_tree(tmp);
	(void) rv;
}

} // namespace

struct dcm_edit {
	std::vector<std::unique_ptr<op>> ops;
};

extern "C" mc_err
dcm_edit_check(
    const dcm_edit_op *o, dcm_edit_field *field, char *err, size_t errlen)
{
	try {
		op      out;
		finding f;
		if (build(o, out, f))
			return MC_OK;
		*field = f.field;
		mc_errf(err, errlen, "%s", f.msg.c_str());
		return MC_EINVAL;
	} catch (...) {
		mc_err rv = mc_of_exception();
		mc_errf(err, errlen, "%s", mc_strerror(rv));
		return rv;
	}
}

extern "C" mc_err
dcm_edit_create(const dcm_edit_op *ops, size_t n, dcm_edit **out, size_t *bad,
    char *err, size_t errlen)
{
	*out = NULL;
	*bad = 0;
	if (n > DCM_EDIT_MAX_OPS) {
		*bad = DCM_EDIT_MAX_OPS;
		mc_errf(
		    err, errlen, "more than %d operations", DCM_EDIT_MAX_OPS);
		return MC_EINVAL;
	}
	try {
		std::unique_ptr<dcm_edit> e(new dcm_edit);
		for (size_t i = 0; i < n; i++) {
			finding f;
			e->ops.emplace_back(new op);
			if (!build(&ops[i], *e->ops.back(), f)) {
				*bad = i;
				mc_errf(err, errlen, "%s", f.msg.c_str());
				return MC_EINVAL;
			}
		}
		*out = e.release();
		return MC_OK;
	} catch (...) {
		mc_err rv = mc_of_exception();
		mc_errf(err, errlen, "%s", mc_strerror(rv));
		return rv;
	}
}

extern "C" void
dcm_edit_destroy(dcm_edit *e)
{
	delete e;
}

extern "C" mc_err
dcm_edit_file(const dcm_edit *e, const char *src, const char *dst,
    size_t *changed, char *err, size_t errlen)
{
	char tmp[MC_PATH_MAX];

	if (changed != NULL)
		*changed = 0;
	if (sys_path_fmt(tmp, sizeof(tmp), "%s.part", dst) != MC_OK) {
		mc_errf(err, errlen, "path too long: %s", dst);
		return MC_EINVAL;
	}
	try {
		DcmFileFormat ff;
		size_t        n = 0;
		std::string   why;
		OFCondition   c = ff.loadFile(src);
		if (c.bad()) {
			mc_errf(err, errlen, "%s: not readable as DICOM: %s",
			    sys_basename_of(src), c.text());
			return MC_EPARSE;
		}
		DcmDataset      *ds = ff.getDataset();
		E_TransferSyntax xfer = ds->getOriginalXfer();
		for (const auto &o : e->ops) {
			if (!apply(ds, *o, n, why)) {
				mc_errf(err, errlen, "%s: %s",
				    sys_basename_of(src), why.c_str());
				return MC_EINVAL;
			}
		}
		c = ff.saveFile(tmp, xfer, EET_ExplicitLength, EGL_recalcGL,
		    EPD_noChange, 0, 0, EWM_updateMeta);
		if (c.bad()) {
			remove_partial(tmp);
			mc_errf(err, errlen, "%s: cannot write %s: %s",
			    sys_basename_of(src), tmp, c.text());
			return MC_EIO;
		}
		mc_err rv = sys_files_rename(tmp, dst, err, errlen);
		if (rv != MC_OK) {
			remove_partial(tmp);
			return rv;
		}
		if (changed != NULL)
			*changed = n;
		return MC_OK;
	} catch (...) {
		remove_partial(tmp);
		mc_err rv = mc_of_exception();
		mc_errf(err, errlen, "%s", mc_strerror(rv));
		return rv;
	}
}
