/* dcm_glue_tags.cpp - DCMTK side of dcm_glue.h: process set-up and
 * reading one file's header into mercure's tag set.
 *
 * Every extern "C" function catches all exceptions; std::bad_alloc
 * becomes MC_ENOMEM, anything else MC_EINTERNAL. */
#include "dcmtk/config/osconfig.h"

#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcdict.h"
#include "dcmtk/dcmdata/dcdatset.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcmetinf.h"
#include "dcmtk/dcmdata/dcspchrs.h"
#include "dcmtk/dcmdata/dctag.h"
#include "dcmtk/dcmdata/dcvr.h"
#include "dcmtk/oflog/oflog.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <utility>
#include <vector>

/* The common headers have no extern "C" guards of their own. */
extern "C" {
#include "msg/instance.h"
#include "base/mc_err.h"
#include "tags/tagset.h"
}
#include "dcm/dcm_glue.h"
#include "dcm/dcm_mem_stream_int.h"

namespace
{

/* mercure's tags_list.h without its
 * duplicates, led by the three keys mercure writes first into .tags. */
struct named_tag {
	const char *name;
	DcmTagKey   key;
};

const named_tag MAIN_TAGS[] = {
    {"SpecificCharacterSet", DCM_SpecificCharacterSet},
    {"SeriesInstanceUID", DCM_SeriesInstanceUID},
    {"SOPInstanceUID", DCM_SOPInstanceUID},
    {"Modality", DCM_Modality},
    {"BodyPartExamined", DCM_BodyPartExamined},
    {"ProtocolName", DCM_ProtocolName},
    {"RetrieveAETitle", DCM_RetrieveAETitle},
    {"StationAETitle", DCM_StationAETitle},
    {"Manufacturer", DCM_Manufacturer},
    {"ManufacturerModelName", DCM_ManufacturerModelName},
    {"StudyDescription", DCM_StudyDescription},
    {"CodeValue", DCM_CodeValue},
    {"CodeMeaning", DCM_CodeMeaning},
    {"SeriesDescription", DCM_SeriesDescription},
    {"PatientName", DCM_PatientName},
    {"PatientID", DCM_PatientID},
    {"PatientBirthDate", DCM_PatientBirthDate},
    {"PatientSex", DCM_PatientSex},
    {"AccessionNumber", DCM_AccessionNumber},
    {"ReferringPhysicianName", DCM_ReferringPhysicianName},
    {"StudyID", DCM_StudyID},
    {"SeriesNumber", DCM_SeriesNumber},
    {"StudyInstanceUID", DCM_StudyInstanceUID},
    {"SeriesDate", DCM_SeriesDate},
    {"SeriesTime", DCM_SeriesTime},
    {"AcquisitionDate", DCM_AcquisitionDate},
    {"AcquisitionTime", DCM_AcquisitionTime},
    {"SequenceName", DCM_SequenceName},
    {"ScanningSequence", DCM_ScanningSequence},
    {"SequenceVariant", DCM_SequenceVariant},
    {"MagneticFieldStrength", DCM_MagneticFieldStrength},
    {"StationName", DCM_StationName},
    {"DeviceSerialNumber", DCM_DeviceSerialNumber},
    {"DeviceUID", DCM_DeviceUID},
    {"SoftwareVersions", DCM_SoftwareVersions},
    {"ContrastBolusAgent", DCM_ContrastBolusAgent},
    {"ImageComments", DCM_ImageComments},
    {"SliceThickness", DCM_SliceThickness},
    {"InstanceNumber", DCM_InstanceNumber},
    {"AcquisitionNumber", DCM_AcquisitionNumber},
    {"InstitutionName", DCM_InstitutionName},
    {"AcquisitionType", DCM_AcquisitionType},
    {"ImageType", DCM_ImageType},
};

const char UTF8_REPLACEMENT[] = "\xEF\xBF\xBD";
const char CHARSET_UTF8[] = "ISO_IR 192";

/* Length of the valid UTF-8 sequence at s[i..n), or 0 if it is not one
 * (overlong forms, surrogates and values above U+10FFFF are invalid). */
size_t
utf8_seq_len(const unsigned char *s, size_t i, size_t n)
{
	unsigned char c = s[i];
	size_t        len;
	unsigned      lo = 0x80, hi = 0xBF;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	if (i + len > n)
		return 0;
	if (s[i + 1] < lo || s[i + 1] > hi)
		return 0;
	for (size_t k = 2; k < len; k++)
		if (s[i + k] < 0x80 || s[i + k] > 0xBF)
			return 0;
	return len;
}

/* Copy v replacing every invalid UTF-8 sequence by U+FFFD; true if any
 * byte was replaced. */
bool
utf8_repair(const std::string &v, std::string &out)
{
	const unsigned char *s =
	    reinterpret_cast<const unsigned char *>(v.data());
	bool replaced = false;

	out.clear();
	out.reserve(v.size());
	for (size_t i = 0; i < v.size();) {
		size_t len = utf8_seq_len(s, i, v.size());
		if (len == 0) {
			out += UTF8_REPLACEMENT;
			replaced = true;
			i++;
			continue;
		}
		out.append(v, i, len);
		i += len;
	}
	return replaced;
}

/* The fallback of the contract: ASCII kept, every other byte U+FFFD. */
std::string
ascii_or_replacement(const std::string &v)
{
	std::string out;
	out.reserve(v.size());
	for (unsigned char c : v) {
		if (c < 0x80)
			out += static_cast<char>(c);
		else
			out += UTF8_REPLACEMENT;
	}
	return out;
}

/* A value needs conversion only if it has bytes outside 7-bit ASCII or
 * an ESC (ISO 2022 designation). Every DICOM character set is ASCII in
 * its default G0, so plain ASCII text is already UTF-8. */
bool
needs_conversion(const std::string &v)
{
	for (unsigned char c : v)
		if (c >= 0x80 || c == 0x1B)
			return true;
	return false;
}

std::string
trim_spaces(const std::string &s)
{
	size_t b = s.find_first_not_of(' ');
	size_t e = s.find_last_not_of(' ');
	return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

/* One converter per thread, kept for the last SpecificCharacterSet
 * seen: consecutive instances nearly always share it, and building a
 * converter opens iconv descriptors. Never shared between threads. */
struct charset_cache {
	std::string                              charset;
	std::unique_ptr<DcmSpecificCharacterSet> conv;
	bool                                     usable = false;
};

thread_local charset_cache t_charset;

/* The converter for charset (a dataset's SpecificCharacterSet value), or
 * NULL if DCMTK cannot convert from it. Terms like "ISO 2022 IR 87"
 * without the leading empty value are retried as "\ISO 2022 IR 87", as
 * mercure does. */
DcmSpecificCharacterSet *
converter_for(const std::string &charset)
{
	charset_cache &c = t_charset;

	if (c.conv && c.charset == charset)
		return c.usable ? c.conv.get() : NULL;
	c.conv.reset(new DcmSpecificCharacterSet());
	c.charset = charset;
	c.usable = c.conv->selectCharacterSet(charset.c_str()).good();
	if (!c.usable && !charset.empty() && charset[0] != '\\') {
		std::string alt = "\\" + charset;
		c.conv.reset(new DcmSpecificCharacterSet());
		c.usable = c.conv->selectCharacterSet(alt.c_str()).good();
	}
	return c.usable ? c.conv.get() : NULL;
}

/* mercure's post-processing of every value: CR -> ';', LF -> ' ',
 * '"' -> '\''. */
void
mercure_escape(std::string &v)
{
	for (char &ch : v) {
		if (ch == '\r')
			ch = ';';
		else if (ch == '\n')
			ch = ' ';
		else if (ch == '"')
			ch = '\'';
	}
}

/* What extraction noticed: charset trouble, values cut to the caps. */
struct value_notes {
	bool        charset_warned = false;
	size_t      cut = 0;
	std::string first_cut;
	size_t      first_cut_bytes = 0;
};

struct charset_ctx {
	std::string charset; /* the dataset's SpecificCharacterSet */
	bool        is_utf8 = false;
	bool        warned = false;
	value_notes notes; /* values cut to the caps */
};

/* ---- ISO 2022 Japanese without DCMTK --------------------------------
 * DCMTK 3.6.7 built against glibc's iconv refuses "ISO 2022 IR 87" and
 * "ISO 2022 IR 159" ("not supported by the utilized character set
 * conversion library"), which is how Japanese modalities label their
 * names: mercure's charset issues #42/#59/#82. For character sets made
 * only of IR 6, 13, 87 and 159 we decode ourselves (PS3.5 6.1.2.5 and
 * Annex H): JIS X 0208/0212 runs go through glibc's EUC-JP, half-width
 * katakana (G1 of IR 13) map to U+FF61.., and the initial designations
 * come back after every delimiter. */

enum class jp_g0 { ascii, roman, jis0208, jis0212 };

struct jp_state {
	jp_g0 g0 = jp_g0::ascii;
	bool  kana = false; /* G1 = JIS X 0201 katakana */
};

/* The initial state for charset, or false if charset is not one we
 * decode (anything but IR 6/13/87/159, or no multi-byte set at all). */
bool
jp_initial(const std::string &charset, jp_state *init)
{
	std::vector<std::string> terms;
	size_t                   start = 0;
	bool                     multibyte = false;

	for (;;) {
		size_t end = charset.find('\\', start);
		size_t len = end == std::string::npos ? end : end - start;
		terms.push_back(trim_spaces(charset.substr(start, len)));
		if (end == std::string::npos)
			break;
		start = end + 1;
	}
	for (const std::string &t : terms) {
		if (t == "ISO 2022 IR 87" || t == "ISO 2022 IR 159")
			multibyte = true;
		else if (!t.empty() && t != "ISO 2022 IR 6" &&
		         t != "ISO 2022 IR 13" && t != "ISO_IR 13")
			return false;
	}
	*init = jp_state();
	if (terms[0] == "ISO 2022 IR 13" || terms[0] == "ISO_IR 13") {
		init->g0 = jp_g0::roman;
		init->kana = true;
	}
	return multibyte;
}

void
append_utf8(std::string &out, unsigned cp)
{
	if (cp < 0x80) {
		out += static_cast<char>(cp);
	} else if (cp < 0x800) {
		out += static_cast<char>(0xC0 | (cp >> 6));
		out += static_cast<char>(0x80 | (cp & 0x3F));
	} else {
		out += static_cast<char>(0xE0 | (cp >> 12));
		out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
		out += static_cast<char>(0x80 | (cp & 0x3F));
	}
}

struct eucjp_iconv {
	iconv_t cd = reinterpret_cast<iconv_t>(-1);
	~eucjp_iconv()
	{
		if (cd != reinterpret_cast<iconv_t>(-1))
			iconv_close(cd);
	}
};

thread_local eucjp_iconv t_eucjp;

/* Append the EUC-JP bytes in run as UTF-8; false if iconv refuses. */
bool
flush_eucjp(std::string &run, std::string &out)
{
	if (run.empty())
		return true;
	if (t_eucjp.cd == reinterpret_cast<iconv_t>(-1))
		t_eucjp.cd = iconv_open("UTF-8", "EUC-JP");
	if (t_eucjp.cd == reinterpret_cast<iconv_t>(-1))
		return false;
	iconv(t_eucjp.cd, NULL, NULL, NULL, NULL);
	std::vector<char> buf(run.size() * 2 + 16);
	char             *in = &run[0];
	size_t            inleft = run.size();
	char             *o = buf.data();
	size_t            oleft = buf.size();
	size_t            rc = iconv(t_eucjp.cd, &in, &inleft, &o, &oleft);
	if (rc == static_cast<size_t>(-1))
		return false;
	out.append(buf.data(), buf.size() - oleft);
	run.clear();
	return true;
}

/* Length of a known escape sequence at raw[i] (ESC included) and the
 * state it selects, or 0 if unknown. */
size_t
jp_escape(const std::string &raw, size_t i, jp_state &st)
{
	struct esc {
		const char *seq;
		int         g0; /* -1: designates G1 katakana */
		jp_g0       set;
	};
	static const esc known[] = {
	    {"\x1B(B", 0, jp_g0::ascii},
	    {"\x1B(J", 0, jp_g0::roman},
	    {"\x1B$B", 0, jp_g0::jis0208},
	    {"\x1B$@", 0, jp_g0::jis0208},
	    {"\x1B$(D", 0, jp_g0::jis0212},
	    {"\x1B)I", -1, jp_g0::ascii},
	};
	for (const esc &e : known) {
		size_t n = strlen(e.seq);
		if (raw.compare(i, n, e.seq) != 0)
			continue;
		if (e.g0 < 0)
			st.kana = true;
		else
			st.g0 = e.set;
		return n;
	}
	return 0;
}

bool
jp_decode(const std::string &raw, const jp_state &init, const OFString &delims,
    std::string &out)
{
	jp_state    st = init;
	std::string run; /* pending JIS X 0208/0212 text as EUC-JP */

	out.clear();
	for (size_t i = 0; i < raw.size();) {
		unsigned char c = static_cast<unsigned char>(raw[i]);
		bool two = st.g0 == jp_g0::jis0208 || st.g0 == jp_g0::jis0212;
		if (c == 0x1B) {
			size_t n = jp_escape(raw, i, st);
			if (n == 0)
				return false;
			i += n;
			continue;
		}
		if (two && c >= 0x21 && c <= 0x7E) {
			unsigned char d =
			    i + 1 < raw.size()
			        ? static_cast<unsigned char>(raw[i + 1])
			        : 0;
			if (d < 0x21 || d > 0x7E)
				return false;
			if (st.g0 == jp_g0::jis0212)
				run += '\x8F';
			run += static_cast<char>(c | 0x80);
			run += static_cast<char>(d | 0x80);
			i += 2;
			continue;
		}
		if (!flush_eucjp(run, out))
			return false;
		i++;
		if (c >= 0xA1 && c <= 0xDF && st.kana) {
			append_utf8(out, 0xFF61 + (c - 0xA1));
			continue;
		}
		if (c >= 0x80)
			return false;
		if (delims.find(static_cast<char>(c)) != OFString_npos) {
			out += static_cast<char>(c);
			st = init; /* designations reset at delimiters */
		} else if (st.g0 == jp_g0::roman && c == 0x5C) {
			append_utf8(out, 0xA5); /* YEN SIGN */
		} else if (st.g0 == jp_g0::roman && c == 0x7E) {
			append_utf8(out, 0x203E); /* OVERLINE */
		} else {
			out += static_cast<char>(c);
		}
	}
	return flush_eucjp(run, out);
}

/* Convert raw (bytes in the dataset's character set) to UTF-8: DCMTK
 * first, our ISO 2022 Japanese decoder second. False if neither can. */
bool
convert_charset(const std::string &raw, const DcmVR &vr,
    const std::string &charset, std::string &out)
{
	DcmSpecificCharacterSet *conv = converter_for(charset);
	const OFString          &delims = vr.getDelimiterChars();
	OFString                 converted;
	jp_state                 jp;

	if (conv != NULL &&
	    conv->convertString(raw.data(), raw.size(), converted, delims)
	        .good()) {
		out.assign(converted.c_str(), converted.length());
		return true;
	}
	return jp_initial(charset, &jp) && jp_decode(raw, jp, delims, out);
}

/* Turn the raw bytes of one element into mercure's UTF-8 text. */
std::string
to_utf8(const std::string &raw, DcmEVR evr, charset_ctx &cs)
{
	std::string out = raw;
	DcmVR       vr(evr);

	if (vr.isAffectedBySpecificCharacterSet() && !cs.is_utf8 &&
	    needs_conversion(raw) &&
	    !convert_charset(raw, vr, cs.charset, out)) {
		cs.warned = true;
		out = ascii_or_replacement(raw);
	}
	std::string checked;
	if (utf8_repair(out, checked))
		cs.warned = true;
	mercure_escape(checked);
	return checked;
}

/* The top-level elements of an item by tag: one walk of DCMTK's list,
 * then a binary search per tag, where findAndGetElement walks the list
 * again for each of the fifty-odd tags (a tenth of the receiver's CPU per
 * image, measured with callgrind). */
class element_index
{
      public:
	explicit element_index(DcmItem *item)
	{
		DcmObject *o = NULL;

		while (item != NULL && (o = item->nextInContainer(o)) != NULL)
			elems_.push_back(static_cast<DcmElement *>(o));
		/* DcmItem keeps its elements in tag order; do not rely on it
		 */
		std::stable_sort(elems_.begin(), elems_.end(), before);
	}
	DcmElement *find(const DcmTagKey &key) const
	{
		auto it = std::lower_bound(elems_.begin(), elems_.end(), key,
		    [](const DcmElement *e, const DcmTagKey &k) {
			    return e->getTag().getXTag() < k;
		    });
		return it != elems_.end() && (*it)->getTag().getXTag() == key
		           ? *it
		           : NULL;
	}

      private:
	static bool before(const DcmElement *a, const DcmElement *b)
	{
		return a->getTag().getXTag() < b->getTag().getXTag();
	}
	std::vector<DcmElement *> elems_;
};

/* A value over the caps, from its raw bytes (at most
 * DCM_VALUE_MAX_BYTES of them): at most DCM_VALUE_MAX_VM values, each
 * without trailing spaces or NULs. One pass. */
std::string
cut_string_value(const std::vector<char> &raw)
{
	std::string out;
	size_t      vm = 1, keep = out.size();

	out.reserve(raw.size());
	for (char c : raw) {
		if (c == '\\') {
			if (++vm > DCM_VALUE_MAX_VM)
				break;
			out.resize(keep);
			out += c;
			keep = out.size();
			continue;
		}
		out += c;
		if (c != ' ' && c != '\0')
			keep = out.size();
	}
	out.resize(keep);
	return out;
}

/* A string value: DCMTK's own reading (padding removed per value) when
 * it is within the caps, where its cost (quadratic in the number of
 * values) stays small; otherwise the capped prefix, read without
 * loading the rest. true if cut. */
bool
string_value(DcmElement *elem, std::string &out)
{
	Uint32   len = elem->getLength();
	size_t   want = std::min<size_t>(len, DCM_VALUE_MAX_BYTES);
	OFString v;

	/* fewer bytes than the value cap cannot hold too many values:
	 * no need to look at them first */
	if (len < DCM_VALUE_MAX_VM) {
		if (elem->getOFStringArray(v).good())
			out.assign(v.c_str(), v.length());
		return false;
	}
	std::vector<char> raw(want);
	if (want > 0 &&
	    elem->getPartialValue(raw.data(), 0, static_cast<Uint32>(want))
	        .bad())
		return false;
	size_t vm =
	    1 + static_cast<size_t>(std::count(raw.begin(), raw.end(), '\\'));
	if (len <= DCM_VALUE_MAX_BYTES && vm <= DCM_VALUE_MAX_VM) {
		if (elem->getOFStringArray(v).good())
			out.assign(v.c_str(), v.length());
		return false;
	}
	out = cut_string_value(raw);
	return true;
}

/* A binary value (US, FD, AT, OB, OW...): at most DCM_VALUE_MAX_VM
 * values. DCMTK counts OB and OW as one value however long, and prints
 * every byte or word of it. */
bool
binary_value(DcmElement *elem, std::string &out)
{
	unsigned long vm = elem->getVM();
	OFString      v;

	if (vm <= DCM_VALUE_MAX_VM &&
	    elem->getLength() <= DCM_VALUE_MAX_BYTES) {
		if (elem->getOFStringArray(v).good())
			out.assign(v.c_str(), v.length());
		return false;
	}
	for (unsigned long i = 0; i < DCM_VALUE_MAX_VM; i++) {
		if (elem->getOFString(v, i).bad())
			break;
		if (i > 0)
			out += '\\';
		out.append(v.c_str(), v.length());
	}
	return true;
}

/* The raw value of key at the top level of an item, "" when absent,
 * empty or not representable as text (a sequence). Multi-values keep
 * '\'. A value over the caps is cut and counted in notes under name. */
std::string
raw_value(const element_index &item, const DcmTagKey &key, DcmEVR *evr,
    const char *name, value_notes *notes)
{
	DcmElement *elem = item.find(key);
	std::string v;
	bool        cut;

	*evr = EVR_UNKNOWN;
	if (elem == NULL)
		return std::string();
	*evr = elem->getVR();
	if (*evr == EVR_SQ || elem->isLeaf() == OFFalse)
		return std::string();
	if (DcmVR(*evr).isaString())
		cut = string_value(elem, v);
	else
		cut = binary_value(elem, v);
	if (cut && notes != NULL) {
		if (notes->cut++ == 0) {
			notes->first_cut = name;
			notes->first_cut_bytes = elem->getLength();
		}
	}
	/* values may hold embedded NULs; the tag set stores C strings. */
	return std::string(v.c_str(), strlen(v.c_str()));
}

/* The tag set of one file, complete before any of it goes into the
 * caller's set: a parse of bytes in memory may still turn out not to
 * decide, and then the file's own parse fills the set. */
struct tag_values {
	std::vector<std::pair<const char *, std::string>> kv;
};

void
put_tag(tag_values &out, const char *key, const element_index &item,
    const DcmTagKey &tag, charset_ctx &cs)
{
	DcmEVR      evr;
	std::string raw = raw_value(item, tag, &evr, key, &cs.notes);
	out.kv.emplace_back(key, to_utf8(raw, evr, cs));
}

/* Does the loaded file look like DICOM at all? DCMTK's auto-detection
 * happily parses arbitrary bytes as a dataset, so require a file meta
 * header or at least a SOPInstanceUID. */
bool
looks_like_dicom(DcmFileFormat &ff)
{
	DcmMetaInfo *meta = ff.getMetaInfo();
	DcmDataset  *ds = ff.getDataset();

	if (meta != NULL && meta->tagExistsWithValue(DCM_TransferSyntaxUID))
		return true;
	return ds != NULL && ds->tagExistsWithValue(DCM_SOPInstanceUID);
}

/* values longer than this stay on disk (read on demand if asked for) */
const Uint32 GLUE_MAX_READ_LENGTH = 4096;

mc_err
read_file(const char *path, DcmFileFormat &ff, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		int e = errno;
		mc_errf(err, errlen, "%s: %s", path, strerror(e));
		return e == ENOENT ? MC_ENOENT : MC_EIO;
	}
	if (!S_ISREG(st.st_mode)) {
		mc_errf(err, errlen, "%s: not a regular file", path);
		return MC_EPARSE;
	}
	/* DCMTK recurses once per nesting level, without a limit */
	mc_err rv = dcm_scan_file(path, err, errlen);
	if (rv != MC_OK)
		return rv;
	/* The whole file is parsed, but no value longer than
	 * GLUE_MAX_READ_LENGTH is read: PixelData is skipped by a seek, so
	 * this costs about what reading the header alone costs, and it
	 * catches a dataset cut inside PixelData ("larger than remaining
	 * bytes in file"), which a stop at PixelData would store as good. */
	OFCondition cond = ff.loadFile(path, EXS_Unknown, EGL_noChange,
	    GLUE_MAX_READ_LENGTH, ERM_autoDetect);
	if (cond.bad()) {
		mc_errf(err, errlen, "%s: not readable as DICOM: %s", path,
		    cond.text());
		return MC_EPARSE;
	}
	if (!looks_like_dicom(ff)) {
		mc_errf(err, errlen,
		    "%s: not DICOM (no file meta header, no SOPInstanceUID)",
		    path);
		return MC_EPARSE;
	}
	return MC_OK;
}

/* read_file on the file whose first bytes h holds, the same steps
 * (pre-scan, DCMTK's parse of everything, the same stream answers) on
 * the bytes in memory. true when they decide and ff holds the result;
 * false when the file itself must be read: they end before the
 * dataset does, or they fail (the file's parse then gives the error, in
 * its own words). */
bool
read_mem(const std::shared_ptr<dcm_mem::head> &h, DcmFileFormat &ff)
{
	char err[256];
	bool undecided = false;

	if (dcm_scan_mem(h->data, h->len, h->size, &undecided, err,
	        sizeof(err)) != MC_OK ||
	    undecided)
		return false;
	/* what DcmFileFormat::loadFile does around its read */
	dcm_mem::stream in(h, 0);
	ff.transferInit();
	OFCondition cond =
	    ff.read(in, EXS_Unknown, EGL_noChange, GLUE_MAX_READ_LENGTH);
	ff.transferEnd();
	return cond.good() && !h->beyond && looks_like_dicom(ff);
}

bool
parse_hex_tag(const char *s, DcmTagKey *key)
{
	unsigned g = 0, e = 0;
	char     tail = 0;
	size_t   n = strlen(s);

	/* exactly "gggg,eeee", optionally in parentheses */
	if (n == 11 && s[0] == '(' && s[10] == ')') {
		std::string inner(s + 1, 9);
		return parse_hex_tag(inner.c_str(), key);
	}
	if (n != 9 || s[4] != ',')
		return false;
	for (size_t i = 0; i < n; i++)
		if (i != 4 && !isxdigit(static_cast<unsigned char>(s[i])))
			return false;
	if (sscanf(s, "%4x,%4x%c", &g, &e, &tail) != 2)
		return false;
	*key = DcmTagKey(static_cast<Uint16>(g), static_cast<Uint16>(e));
	return true;
}

/* The key a tag is stored under: the dictionary keyword, or "(gggg,eeee)"
 * for private tags and tags the dictionary does not name. */
std::string
tag_key_name(const DcmTagKey &key)
{
	if (!key.isPrivate()) {
		DcmTag      tag(key);
		const char *name = tag.getTagName();
		if (name != NULL && strcmp(name, DcmTag_ERROR_TagName) != 0)
			return name;
	}
	return key.toString().c_str();
}

/* A keyword of the dictionary or "gggg,eeee" / "(gggg,eeee)". */
mc_err
resolve_spec(const char *spec, DcmTagKey *key, char *err, size_t errlen)
{
	DcmTag tag;

	if (spec == NULL || spec[0] == '\0') {
		mc_errf(err, errlen, "empty tag name");
		return MC_EINVAL;
	}
	if (parse_hex_tag(spec, key))
		return MC_OK;
	/* findTagFromName would also take "gggg,eeee" with fewer digits */
	if (strchr(spec, ',') != NULL ||
	    DcmTag::findTagFromName(spec, tag).bad()) {
		mc_errf(err, errlen,
		    "unknown DICOM tag '%s' (not a dictionary keyword, not "
		    "gggg,eeee)",
		    spec);
		return MC_EINVAL;
	}
	*key = tag;
	return MC_OK;
}

} // namespace

struct dcm_taglist {
	std::vector<named_tag>   tags;
	std::vector<std::string> names; /* tags[i].name points here */
};

extern "C" mc_err
dcm_taglist_create(const char *const *specs, size_t n, dcm_taglist **out,
    char *err, size_t errlen)
{
	*out = NULL;
	try {
		std::unique_ptr<dcm_taglist> l(new dcm_taglist());
		l->names.reserve(n);
		l->tags.reserve(n);
		for (size_t i = 0; i < n; i++) {
			DcmTagKey key;
			mc_err rv = resolve_spec(specs[i], &key, err, errlen);
			if (rv != MC_OK)
				return rv;
			l->names.push_back(tag_key_name(key));
			l->tags.push_back(named_tag{NULL, key});
		}
		for (size_t i = 0; i < n; i++)
			l->tags[i].name = l->names[i].c_str();
		*out = l.release();
		return MC_OK;
	} catch (const std::bad_alloc &) {
		mc_errf(err, errlen, "out of memory");
		return MC_ENOMEM;
	} catch (...) {
		mc_errf(err, errlen, "internal error resolving tags");
		return MC_EINTERNAL;
	}
}

extern "C" void
dcm_taglist_destroy(dcm_taglist *l)
{
	delete l;
}

/* mercure's tag set of a parsed file into vals and cs */
static void
collect(DcmFileFormat &ff, const dcm_taglist *extra, tag_values &vals,
    charset_ctx &cs)
{
	element_index ds(ff.getDataset());
	element_index meta(ff.getMetaInfo());
	DcmEVR        evr;

	cs.charset = trim_spaces(raw_value(
	    ds, DCM_SpecificCharacterSet, &evr, "SpecificCharacterSet", NULL));
	cs.is_utf8 = cs.charset == CHARSET_UTF8;

	vals.kv.reserve(sizeof(MAIN_TAGS) / sizeof(MAIN_TAGS[0]) + 2 +
	                (extra != NULL ? extra->tags.size() : 0));
	for (const named_tag &t : MAIN_TAGS)
		put_tag(vals, t.name, ds, t.key, cs);
	put_tag(vals, "MediaStorageSOPClassUID", meta,
	    DCM_MediaStorageSOPClassUID, cs);
	put_tag(vals, "SOPClassUID", ds, DCM_SOPClassUID, cs);
	if (extra != NULL)
		for (const named_tag &t : extra->tags)
			put_tag(vals, t.name, ds, t.key, cs);
}

static mc_err
commit(const tag_values &vals, const charset_ctx &cs, mc_tagset *out,
    dcm_extract_notes *notes)
{
	mc_err rv;

	for (const auto &kv : vals.kv)
		if ((rv = mc_tagset_set(out, kv.first, kv.second.c_str())) !=
		    MC_OK)
			return rv;
	if (notes != NULL) {
		notes->charset_warning = cs.warned;
		notes->values_cut = cs.notes.cut;
		mc_copy_text(notes->first_cut, sizeof(notes->first_cut),
		    cs.notes.first_cut.c_str());
		notes->first_cut_bytes = cs.notes.first_cut_bytes;
	}
	return MC_OK;
}

static mc_err
extract(const char *path, const dcm_taglist *extra, mc_tagset *out,
    dcm_extract_notes *notes, char *err, size_t errlen)
{
	DcmFileFormat ff;
	mc_err        rv = read_file(path, ff, err, errlen);
	tag_values    vals;
	charset_ctx   cs;

	if (rv != MC_OK)
		return rv;
	collect(ff, extra, vals, cs);
	return commit(vals, cs, out, notes);
}

/* extract from the bytes in memory; MC_EAGAIN when they do not decide */
static mc_err
extract_mem(const std::shared_ptr<dcm_mem::head> &h, const dcm_taglist *extra,
    mc_tagset *out, dcm_extract_notes *notes)
{
	tag_values  vals;
	charset_ctx cs;
	{
		/* values it skipped are read from h while it lives */
		DcmFileFormat ff;
		if (!read_mem(h, ff))
			return MC_EAGAIN;
		collect(ff, extra, vals, cs);
	}
	if (h->beyond) /* a long value lay past the bytes in memory */
		return MC_EAGAIN;
	return commit(vals, cs, out, notes);
}

/* dcm_extract_tags_ex's exceptions into mc_err, for both entry points */
template <typename Fn>
static mc_err
guarded(const char *what, char *err, size_t errlen, Fn fn)
{
	try {
		mc_err rv = fn();
		if (rv == MC_ENOMEM)
			mc_errf(err, errlen, "out of memory");
		return rv;
	} catch (const std::bad_alloc &) {
		mc_errf(err, errlen, "out of memory");
		return MC_ENOMEM;
	} catch (const std::exception &e) {
		mc_errf(err, errlen, "%s: %s", what, e.what());
		return MC_EINTERNAL;
	} catch (...) {
		mc_errf(err, errlen, "%s: unexpected exception", what);
		return MC_EINTERNAL;
	}
}

extern "C" mc_err
dcm_extract_tags_ex(const char *path, const dcm_taglist *extra, mc_tagset *out,
    dcm_extract_notes *notes, char *err, size_t errlen)
{
	if (notes != NULL)
		*notes = dcm_extract_notes{false, 0, "", 0};
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (path == NULL || out == NULL) {
		mc_errf(err, errlen, "dcm_extract_tags: NULL argument");
		return MC_EINVAL;
	}
	return guarded(path, err, errlen,
	    [&] { return extract(path, extra, out, notes, err, errlen); });
}

extern "C" mc_err
dcm_extract_tags_mem(const void *head, size_t head_len, uint64_t size,
    const char *path, const dcm_taglist *extra, mc_tagset *out,
    dcm_extract_notes *notes, char *err, size_t errlen)
{
	if (notes != NULL)
		*notes = dcm_extract_notes{false, 0, "", 0};
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (out == NULL || (head == NULL && head_len > 0)) {
		mc_errf(err, errlen, "dcm_extract_tags_mem: bad argument");
		return MC_EINVAL;
	}
	mc_err rv = MC_EAGAIN;
	if (head != NULL && head_len <= size) {
		rv = guarded("(in memory)", err, errlen, [&] {
			auto h = std::make_shared<dcm_mem::head>(
			    head, head_len, size);
			return extract_mem(h, extra, out, notes);
		});
		/* anything but a result: the file decides, in its words */
		if (rv != MC_OK)
			rv = MC_EAGAIN;
	}
	if (rv == MC_OK || path == NULL) {
		if (rv != MC_OK)
			mc_errf(
			    err, errlen, "the bytes in memory do not decide");
		return rv;
	}
	return dcm_extract_tags_ex(path, extra, out, notes, err, errlen);
}

extern "C" mc_err
dcm_extract_tags(const char *path, const dcm_taglist *extra, mc_tagset *out,
    bool *charset_warning, char *err, size_t errlen)
{
	dcm_extract_notes n;
	mc_err rv = dcm_extract_tags_ex(path, extra, out, &n, err, errlen);

	if (charset_warning != NULL)
		*charset_warning = rv == MC_OK && n.charset_warning;
	return rv;
}
