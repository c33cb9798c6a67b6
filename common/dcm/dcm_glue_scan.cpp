/* dcm_glue_scan.cpp - a bounded walk over a DICOM file's element headers
 * before DCMTK parses it (dcm_scan_file in dcm_glue.h).
 *
 * DCMTK reads sequences and items by recursion, one C++ frame pair per
 * level and no depth limit: a dataset of a few thousand nested
 * undefined-length sequences overflows any thread's stack. This walk
 * keeps its own stack of open containers, reads each element header once
 * and skips values, so its time is linear in the number of elements and
 * its memory bounded by DCM_SCAN_MAX_DEPTH. It follows DCMTK's reading
 * rules where they decide what is a container (explicit VR as read, SQ
 * from the dictionary in implicit VR, undefined-length UN as an implicit
 * little endian sequence, undefined-length OB/OW as pixel fragments) and
 * counts generously where DCMTK might recurse and we cannot tell: an
 * implicit VR value that starts with an item tag is taken as a sequence.
 * Whatever the walk cannot follow (a length past its container or the
 * file) is refused: DCMTK would refuse most of it too, and what it would
 * accept we cannot bound. */
#include "dcmtk/config/osconfig.h"

#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcistrmf.h"
#include "dcmtk/dcmdata/dcitem.h"
#include "dcmtk/dcmdata/dctag.h"
#include "dcmtk/dcmdata/dcvr.h"
#include "dcmtk/dcmdata/dcxfer.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <memory>
#include <new>
#include <string>
#include <vector>

extern "C" {
#include "base/mc_err.h"
}
#include "dcm/dcm_glue.h"
#include "dcm/dcm_mem_stream_int.h"

namespace
{

const uint64_t UNDEF = 0xFFFFFFFFu;
const size_t   SCAN_BUF = 64 * 1024;

/* Bytes of the file from an offset on, plain or inflated; skip() does
 * not read what it can seek over. The file is an fd, or its first bytes
 * in memory: a read past those (before the file's end) fails and marks
 * beyond(), since the walk then cannot tell what the file holds. */
class byte_source
{
      public:
	explicit byte_source(int fd, uint64_t size)
	    : fd_(fd), size_(size), buf_(new unsigned char[SCAN_BUF])
	{
	}
	byte_source(const unsigned char *mem, size_t len, uint64_t size)
	    : fd_(-1), size_(size), buf_(new unsigned char[SCAN_BUF]),
	      mem_(mem), mem_len_(len)
	{
	}
	~byte_source()
	{
		if (inflating_)
			inflateEnd(&z_);
	}
	byte_source(const byte_source &) = delete;
	byte_source &operator=(const byte_source &) = delete;

	uint64_t pos() const
	{
		return pos_;
	}
	bool deflated() const
	{
		return inflating_;
	}
	bool over_cap() const
	{
		return over_cap_;
	}
	bool beyond() const
	{
		return beyond_;
	}

	/* from here on the bytes are raw deflate (PS3.5 A.5) */
	bool start_inflate()
	{
		memset(&z_, 0, sizeof(z_));
		if (inflateInit2(&z_, -MAX_WBITS) != Z_OK)
			return false;
		inflating_ = true;
		zin_.resize(SCAN_BUF);
		/* what is already buffered is compressed input */
		pending_.assign(buf_.get() + off_, buf_.get() + len_);
		off_ = len_ = 0;
		return true;
	}

	/* exactly n bytes into p, or false at the end */
	bool read(void *p, size_t n)
	{
		unsigned char *o = static_cast<unsigned char *>(p);
		while (n > 0) {
			if (off_ == len_ && !fill())
				return false;
			size_t k = std::min(n, len_ - off_);
			memcpy(o, buf_.get() + off_, k);
			o += k;
			off_ += k;
			n -= k;
			pos_ += k;
		}
		return true;
	}

	/* the next n bytes, without returning them; false if fewer left */
	bool skip(uint64_t n)
	{
		uint64_t have = len_ - off_;
		if (n <= have) {
			off_ += static_cast<size_t>(n);
			pos_ += n;
			return true;
		}
		if (!inflating_) {
			/* plain file: the end is known, seek */
			if (n > size_ - pos_)
				return false;
			pos_ += n;
			raw_ = pos_;
			off_ = len_ = 0;
			return true;
		}
		while (n > 0) {
			if (off_ == len_ && !fill())
				return false;
			size_t k = static_cast<size_t>(
			    std::min<uint64_t>(n, len_ - off_));
			off_ += k;
			n -= k;
			pos_ += k;
		}
		return true;
	}

	/* the next n bytes are there (without consuming them) */
	bool peek(void *p, size_t n)
	{
		if (len_ - off_ < n) {
			/* move the rest to the front and top up */
			memmove(buf_.get(), buf_.get() + off_, len_ - off_);
			len_ -= off_;
			off_ = 0;
			while (len_ < n && fill_more()) {
			}
			if (len_ < n)
				return false;
		}
		memcpy(p, buf_.get() + off_, n);
		return true;
	}

      private:
	bool fill()
	{
		off_ = len_ = 0;
		return fill_more();
	}

	/* append to buf_ after len_; false when nothing more comes */
	bool fill_more()
	{
		size_t room = SCAN_BUF - len_;
		if (room == 0)
			return false;
		if (!inflating_) {
			ssize_t r = raw_read(buf_.get() + len_, room);
			if (r <= 0)
				return false;
			len_ += static_cast<size_t>(r);
			raw_ += static_cast<uint64_t>(r);
			return true;
		}
		for (;;) {
			if (z_.avail_in == 0 && !refill_input())
				return false;
			z_.next_out = buf_.get() + len_;
			z_.avail_out = static_cast<uInt>(room);
			int    zr = inflate(&z_, Z_NO_FLUSH);
			size_t got = room - z_.avail_out;
			len_ += got;
			inflated_ += got;
			if (inflated_ > DCM_SCAN_MAX_INFLATED_BYTES) {
				/* DCMTK loads every value of a stream it
				 * cannot seek in, however long */
				over_cap_ = true;
				return false;
			}
			if (got > 0)
				return true;
			if (zr != Z_OK)
				return false; /* end of stream or broken */
		}
	}

	bool refill_input()
	{
		if (!pending_.empty()) {
			zin_.swap(pending_);
			z_.next_in = zin_.data();
			z_.avail_in = static_cast<uInt>(zin_.size());
			pending_.clear();
			return true;
		}
		zin_.resize(SCAN_BUF);
		ssize_t r = raw_read(zin_.data(), zin_.size());
		if (r <= 0)
			return false;
		raw_ += static_cast<uint64_t>(r);
		z_.next_in = zin_.data();
		z_.avail_in = static_cast<uInt>(r);
		return true;
	}

	/* up to room bytes of the file at raw_: 0 at its end */
	ssize_t raw_read(unsigned char *p, size_t room)
	{
		ssize_t r;
		if (mem_ == NULL) {
			do
				r = pread(
				    fd_, p, room, static_cast<off_t>(raw_));
			while (r < 0 && errno == EINTR);
			return r;
		}
		if (raw_ >= mem_len_) {
			if (raw_ < size_)
				beyond_ = true;
			return 0;
		}
		size_t n =
		    std::min(room, static_cast<size_t>(mem_len_ - raw_));
		memcpy(p, mem_ + raw_, n);
		return static_cast<ssize_t>(n);
	}

	int      fd_;
	uint64_t size_;
	uint64_t raw_ = 0; /* file offset of next read */
	uint64_t pos_ = 0; /* offset in the (inflated) data */
	/* not zeroed: only bytes read into it are looked at */
	std::unique_ptr<unsigned char[]> buf_;
	size_t                           off_ = 0, len_ = 0;
	bool                             inflating_ = false;
	bool                             over_cap_ = false;
	uint64_t                         inflated_ = 0;
	const unsigned char             *mem_ = NULL; /* or NULL: read fd_ */
	size_t                           mem_len_ = 0;
	bool                             beyond_ = false;
	z_stream                         z_;
	std::vector<unsigned char>       zin_, pending_;
};

struct encoding {
	bool explicit_vr = true;
	bool big_endian = false;
};

enum class ctx_kind { dataset, item, sequence, fragments };

struct container {
	ctx_kind kind;
	uint64_t end; /* offset where it ends, or UNDEF (delimiter) */
	encoding enc;
};

uint16_t
u16(const unsigned char *p, bool be)
{
	return be ? static_cast<uint16_t>(p[0] << 8 | p[1])
	          : static_cast<uint16_t>(p[1] << 8 | p[0]);
}

uint32_t
u32(const unsigned char *p, bool be)
{
	return be ? static_cast<uint32_t>(p[0]) << 24 | p[1] << 16 |
	                p[2] << 8 | p[3]
	          : static_cast<uint32_t>(p[3]) << 24 | p[2] << 16 |
	                p[1] << 8 | p[0];
}

/* DCMTK's own guess for a dataset without a usable transfer syntax
 * (DcmItem::checkTransferSyntax, protected: reached by deriving). */
class xfer_probe : public DcmItem
{
      public:
	static E_TransferSyntax guess(const char *path, uint64_t offset)
	{
		DcmInputFileStream in(path, static_cast<offile_off_t>(offset));
		return guess(in);
	}
	static E_TransferSyntax guess(
	    const std::shared_ptr<dcm_mem::head> &h, uint64_t offset)
	{
		dcm_mem::stream in(h, offset);
		return guess(in);
	}

      private:
	static E_TransferSyntax guess(DcmInputStream &in)
	{
		xfer_probe p;
		if (in.status().bad())
			return EXS_LittleEndianExplicit;
		return p.checkTransferSyntax(in);
	}
};

encoding
encoding_of(E_TransferSyntax ts)
{
	DcmXfer  x(ts);
	encoding e;
	e.explicit_vr = x.isExplicitVR();
	e.big_endian = x.getByteOrder() == EBO_BigEndian;
	return e;
}

/* What DcmVR makes of a VR as read in explicit VR. */
struct vr_info {
	DcmEVR evr;
	bool   extended; /* 4-byte length after 2 reserved bytes */
};

vr_info
vr_info_of(const char *vrs)
{
	DcmVR vr(vrs);
	return vr_info{vr.getEVR(), vr.usesExtendedLengthEncoding() != 0};
}

/* DcmVR looks a VR's name up in a list; every real VR is two capitals,
 * so those are looked up once per process, the rest each time. */
vr_info
read_vr(const char *vrs)
{
	static const std::vector<vr_info> caps = [] {
		std::vector<vr_info> t;
		char                 v[3] = {0, 0, 0};
		for (v[0] = 'A'; v[0] <= 'Z'; v[0]++)
			for (v[1] = 'A'; v[1] <= 'Z'; v[1]++)
				t.push_back(vr_info_of(v));
		return t;
	}();
	if (vrs[0] >= 'A' && vrs[0] <= 'Z' && vrs[1] >= 'A' && vrs[1] <= 'Z')
		return caps[static_cast<size_t>(vrs[0] - 'A') * 26 +
		            static_cast<size_t>(vrs[1] - 'A')];
	return vr_info_of(vrs);
}

class scanner
{
      public:
	scanner(byte_source &src, uint64_t size, char *err, size_t errlen)
	    : src_(src), size_(size), err_(err), errlen_(errlen)
	{
	}

	mc_err walk_meta(uint64_t start, std::string *ts);
	mc_err walk_dataset(encoding enc);

      private:
	mc_err fail(const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
	mc_err element(container &top);
	mc_err in_sequence(container &top, bool fragments);
	mc_err push(ctx_kind kind, uint64_t len, encoding enc);
	mc_err run(size_t floor);

	byte_source           &src_;
	uint64_t               size_;
	char                  *err_;
	size_t                 errlen_;
	std::vector<container> stack_;
	uint64_t               elements_ = 0;
	size_t                 depth_ = 0; /* open sequences */
	std::string           *want_ts_ = NULL;
};

mc_err
scanner::fail(const char *fmt, ...)
{
	char    msg[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (src_.over_cap())
		snprintf(msg, sizeof(msg),
		    "deflated dataset inflates to more than %llu bytes",
		    static_cast<unsigned long long>(
		        DCM_SCAN_MAX_INFLATED_BYTES));
	mc_errf(err_, errlen_, "%s at byte %llu%s", msg,
	    static_cast<unsigned long long>(src_.pos()),
	    src_.deflated() ? " of the inflated data" : "");
	return MC_EPARSE;
}

mc_err
scanner::push(ctx_kind kind, uint64_t len, encoding enc)
{
	uint64_t end = UNDEF;
	if (len != UNDEF) {
		end = src_.pos() + len;
		const container &top = stack_.back();
		if ((top.end != UNDEF && end > top.end) ||
		    (!src_.deflated() && end > size_))
			return fail("length %llu runs past its container",
			    static_cast<unsigned long long>(len));
	}
	if (kind == ctx_kind::sequence || kind == ctx_kind::fragments) {
		if (++depth_ > DCM_SCAN_MAX_DEPTH)
			return fail("sequences nested deeper than %d",
			    DCM_SCAN_MAX_DEPTH);
	}
	stack_.push_back(container{kind, end, enc});
	return MC_OK;
}

/* one element of a dataset or item */
mc_err
scanner::element(container &top)
{
	unsigned char h[12];
	encoding      enc = top.enc;
	bool          be = enc.big_endian;
	uint32_t      len;

	if (!src_.read(h, 4))
		return fail("element header cut short");
	uint16_t g = u16(h, be), e = u16(h + 2, be);
	if (++elements_ > DCM_SCAN_MAX_ELEMENTS)
		return fail("more than %d elements", DCM_SCAN_MAX_ELEMENTS);
	if (g == 0xFFFE) {
		/* delimiters and stray items have no VR */
		if (!src_.read(h + 4, 4))
			return fail("item header cut short");
		len = u32(h + 4, be);
		if (e == 0xE00D && top.kind == ctx_kind::item) {
			stack_.pop_back();
			return MC_OK;
		}
		return fail("unexpected (FFFE,%04X) in a dataset", e);
	}
	DcmEVR evr = EVR_UNKNOWN;
	if (enc.explicit_vr) {
		char vrs[3] = {0, 0, 0};
		if (!src_.read(vrs, 2))
			return fail("element header cut short");
		vr_info vr = read_vr(vrs);
		evr = vr.evr;
		if (vr.extended) {
			if (!src_.read(h, 6))
				return fail("element header cut short");
			len = u32(h + 2, be);
		} else {
			if (!src_.read(h, 2))
				return fail("element header cut short");
			len = u16(h, be);
		}
	} else {
		if (!src_.read(h, 4))
			return fail("element header cut short");
		len = u32(h, be);
		evr = DcmTag(g, e).getEVR();
	}
	if (top.end != UNDEF && len != UNDEF && src_.pos() + len > top.end)
		return fail(
		    "(%04X,%04X) length %u runs past its item", g, e, len);
	if (want_ts_ != NULL && g == 0x0002 && e == 0x0010 && len < 256) {
		char v[256];
		if (!src_.read(v, len))
			return fail("transfer syntax cut short");
		want_ts_->assign(v, len);
		while (!want_ts_->empty() &&
		       (want_ts_->back() == '\0' || want_ts_->back() == ' '))
			want_ts_->pop_back();
		return MC_OK;
	}
	bool sq = evr == EVR_SQ;
	if (len == UNDEF) {
		switch (evr) {
		case EVR_SQ:
			break;
		case EVR_OB:
		case EVR_OW:
		case EVR_ox:
		case EVR_px:
			/* pixel data fragments; for other tags DCMTK fails */
			return push(ctx_kind::fragments, UNDEF, enc);
		default:
			/* UN and unknown: a sequence in implicit little
			 * endian (CP-246); in implicit VR every undefined
			 * length is one */
			enc.explicit_vr = false;
			enc.big_endian = false;
			sq = true;
		}
		return push(ctx_kind::sequence, UNDEF, enc);
	}
	if (!sq && !top.enc.explicit_vr && len >= 8) {
		/* a private or unknown sequence DCMTK may know by its
		 * creator: count it if it starts like one */
		unsigned char p[4];
		if (src_.peek(p, 4) && u16(p, be) == 0xFFFE &&
		    u16(p + 2, be) == 0xE000)
			sq = true;
	}
	if (sq)
		return push(ctx_kind::sequence, len, enc);
	if (!src_.skip(len))
		return fail(
		    "(%04X,%04X) value of %u bytes cut short", g, e, len);
	return MC_OK;
}

/* one item or delimiter inside a sequence or pixel fragments */
mc_err
scanner::in_sequence(container &top, bool fragments)
{
	unsigned char h[8];
	bool          be = top.enc.big_endian;

	if (!src_.read(h, 8))
		return fail("item header cut short");
	if (++elements_ > DCM_SCAN_MAX_ELEMENTS)
		return fail("more than %d elements", DCM_SCAN_MAX_ELEMENTS);
	uint16_t g = u16(h, be), e = u16(h + 2, be);
	uint32_t len = u32(h + 4, be);
	if (g == 0xFFFE && e == 0xE0DD) {
		if (top.end != UNDEF)
			return fail("sequence delimiter in a sequence of "
			            "defined length");
		stack_.pop_back();
		depth_--;
		return MC_OK;
	}
	if (g != 0xFFFE || e != 0xE000)
		return fail("(%04X,%04X) where an item was expected", g, e);
	if (top.end != UNDEF && len != UNDEF && src_.pos() + len > top.end)
		return fail("item of %u bytes runs past its sequence", len);
	if (fragments) {
		if (len == UNDEF)
			return fail("pixel fragment of undefined length");
		if (!src_.skip(len))
			return fail("pixel fragment cut short");
		return MC_OK;
	}
	return push(ctx_kind::item, len, top.enc);
}

/* walk until the stack is back at floor entries */
mc_err
scanner::run(size_t floor)
{
	while (stack_.size() > floor) {
		container &top = stack_.back();
		if (top.end != UNDEF && src_.pos() >= top.end) {
			if (top.kind == ctx_kind::sequence ||
			    top.kind == ctx_kind::fragments)
				depth_--;
			stack_.pop_back();
			continue;
		}
		mc_err rv;
		switch (top.kind) {
		case ctx_kind::dataset:
			if (top.end == UNDEF) {
				unsigned char b;
				if (!src_.peek(&b, 1))
					return MC_OK; /* end of the file */
			}
			rv = element(top);
			break;
		case ctx_kind::item:
			rv = element(top);
			break;
		case ctx_kind::sequence:
			rv = in_sequence(top, false);
			break;
		default:
			rv = in_sequence(top, true);
			break;
		}
		if (rv != MC_OK)
			return rv;
	}
	return MC_OK;
}

/* the file meta group, explicit little endian. As DcmMetaInfo::read: a
 * leading (0002,0000) group length decides where it ends, whatever the
 * groups of the elements inside; without one it ends at the first
 * element of another group. */
mc_err
scanner::walk_meta(uint64_t start, std::string *ts)
{
	encoding      le;
	unsigned char t[12];
	uint64_t      end = UINT64_MAX;

	if (!src_.skip(start))
		return fail("file meta header cut short");
	stack_.assign(1, container{ctx_kind::dataset, UNDEF, le});
	want_ts_ = ts;
	if (src_.peek(t, 12) && u16(t, false) == 0x0002 &&
	    u16(t + 2, false) == 0x0000 && memcmp(t + 4, "UL", 2) == 0 &&
	    u16(t + 6, false) == 4)
		end = src_.pos() + 12 + u32(t + 8, false);
	for (;;) {
		if (end != UINT64_MAX
		        ? src_.pos() >= end
		        : !src_.peek(t, 2) || u16(t, false) != 0x0002)
			break;
		if (end != UINT64_MAX && !src_.peek(t, 1))
			break; /* DCMTK stops at the end of the stream */
		size_t base = stack_.size();
		mc_err rv = element(stack_.back());
		if (rv == MC_OK && stack_.size() > base)
			rv = run(base);
		if (rv != MC_OK)
			return rv;
	}
	want_ts_ = NULL;
	return MC_OK;
}

mc_err
scanner::walk_dataset(encoding enc)
{
	stack_.assign(1, container{ctx_kind::dataset, UNDEF, enc});
	depth_ = 0;
	return run(0);
}

/* The walk over src (the file name), file meta header and dataset. A
 * dataset without a transfer syntax is probed with guess(offset). */
template <typename Guess>
mc_err
scan_source(const char *name, byte_source &src, uint64_t size, Guess guess,
    char *err, size_t errlen)
{
	scanner       sc(src, size, err, errlen);
	unsigned char head[132];
	uint64_t      meta_at = UINT64_MAX;
	std::string   ts;
	mc_err        rv;

	if (src.peek(head, sizeof(head)) && memcmp(head + 128, "DICM", 4) == 0)
		meta_at = 128 + 4;
	else if (src.peek(head, 2) && u16(head, false) == 0x0002)
		meta_at = 0;
	uint64_t ds_at = 0;
	if (meta_at != UINT64_MAX) {
		if ((rv = sc.walk_meta(meta_at, &ts)) != MC_OK)
			return rv;
		ds_at = src.pos();
	}
	/* as DcmFileFormat::lookForXfer: no or an empty UID is unknown,
	 * and an unknown syntax is guessed from the dataset's first bytes */
	DcmXfer          x(ts.empty() ? NULL : ts.c_str());
	E_TransferSyntax xs = ts.empty() ? EXS_Unknown : x.getXfer();
	if (xs != EXS_Unknown && x.getStreamCompression() == ESC_zlib) {
		if (!src.start_inflate()) {
			mc_errf(err, errlen, "%s: cannot inflate", name);
			return MC_ENOMEM;
		}
		xs = EXS_LittleEndianExplicit;
	} else if (xs == EXS_Unknown) {
		xs = guess(ds_at);
	}
	rv = sc.walk_dataset(encoding_of(xs));
	return rv;
}

} // namespace

extern "C" mc_err
dcm_scan_file(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int         fd;
	mc_err      rv;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		int e = errno;
		mc_errf(err, errlen, "%s: %s", path, strerror(e));
		return e == ENOENT ? MC_ENOENT : MC_EIO;
	}
	if (fstat(fd, &st) != 0) {
		mc_errf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return MC_EIO;
	}
	try {
		char        why[256] = "";
		uint64_t    size = static_cast<uint64_t>(st.st_size);
		byte_source src(fd, size);
		rv = scan_source(
		    path, src, size,
		    [path](
		        uint64_t at) { return xfer_probe::guess(path, at); },
		    why, sizeof(why));
		if (rv != MC_OK)
			mc_errf(err, errlen, "%s: refused before parsing: %s",
			    path, why);
	} catch (const std::bad_alloc &) {
		mc_errf(err, errlen, "%s: out of memory", path);
		rv = MC_ENOMEM;
	} catch (...) {
		mc_errf(
		    err, errlen, "%s: internal error in the pre-scan", path);
		rv = MC_EINTERNAL;
	}
	close(fd);
	return rv;
}

extern "C" mc_err
dcm_scan_mem(const void *head, size_t len, uint64_t size, bool *undecided,
    char *err, size_t errlen)
{
	*undecided = false;
	if (head == NULL || len > size) {
		mc_errf(err, errlen, "dcm_scan_mem: bad arguments");
		return MC_EINVAL;
	}
	try {
		auto h = std::make_shared<dcm_mem::head>(head, len, size);
		byte_source src(h->data, len, size);
		char        why[256] = "";
		mc_err      rv = scan_source(
		         "(in memory)", src, size,
		         [&h](uint64_t at) { return xfer_probe::guess(h, at); },
		         why, sizeof(why));
		*undecided = src.beyond() || h->beyond;
		if (rv != MC_OK)
			mc_errf(
			    err, errlen, "refused before parsing: %s", why);
		return rv;
	} catch (const std::bad_alloc &) {
		mc_errf(err, errlen, "out of memory");
		return MC_ENOMEM;
	} catch (...) {
		mc_errf(err, errlen, "internal error in the pre-scan");
		return MC_EINTERNAL;
	}
}
