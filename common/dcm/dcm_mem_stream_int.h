/* dcm_mem_stream_int.h - a DCMTK input stream over the first bytes of a
 * file held in memory, for the glue's parse of a received instance
 * without reading its file back (dcm_glue_tags.cpp, dcm_glue_scan.cpp).
 * Internal to common/dcm/.
 *
 * The stream behaves as DcmInputFileStream on a file of `size` bytes of
 * which the first `len` are at `data`: the same answers to avail(),
 * eos() and skip(), and a factory for values DCMTK leaves unread, so that
 * DCMTK takes the same paths and reaches the same result as on the file.
 * Skipping past `len` needs no bytes; reading there cannot be answered:
 * it marks the shared state `beyond`, and a result reached with `beyond`
 * set says nothing (the caller reads the file instead). */
#ifndef MC_DCM_DCM_MEM_STREAM_INT_H
#define MC_DCM_DCM_MEM_STREAM_INT_H

#include "dcmtk/config/osconfig.h"

#include "dcmtk/dcmdata/dcerror.h"
#include "dcmtk/dcmdata/dcistrma.h"

#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <memory>

namespace dcm_mem
{

/* The bytes, shared by every stream and factory made from them; borrowed
 * from the caller, who keeps them until the last DCMTK object is gone. */
struct head {
	const unsigned char *data;
	size_t               len;  /* bytes at data: the file's first ones */
	uint64_t             size; /* the whole file's length */
	bool beyond = false; /* a read wanted bytes past len, before size */

	head(const void *d, size_t l, uint64_t s)
	    : data(static_cast<const unsigned char *>(d)), len(l), size(s)
	{
	}
};

/* DcmFileProducer's contract over head: skip and avail as for a file of
 * head::size bytes, reads from memory. */
class producer : public DcmProducer
{
      public:
	producer(std::shared_ptr<head> h, uint64_t offset)
	    : h_(std::move(h)), pos_(std::min(offset, h_->size))
	{
	}
	OFBool good() const override
	{
		return status_.good();
	}
	OFCondition status() const override
	{
		return status_;
	}
	OFBool eos() override
	{
		return pos_ >= h_->size;
	}
	offile_off_t avail() override
	{
		return static_cast<offile_off_t>(h_->size - pos_);
	}
	offile_off_t read(void *buf, offile_off_t buflen) override
	{
		if (status_.bad() || buf == NULL || buflen <= 0)
			return 0;
		uint64_t want = static_cast<uint64_t>(buflen);
		uint64_t until = std::min<uint64_t>(pos_ + want, h_->size);
		if (until > h_->len && until > pos_) { /* bytes not here */
			h_->beyond = true;
			until = std::max<uint64_t>(pos_, h_->len);
		}
		size_t n = static_cast<size_t>(until - pos_);
		if (n > 0)
			memcpy(buf, h_->data + pos_, n);
		pos_ += n;
		return static_cast<offile_off_t>(n);
	}
	offile_off_t skip(offile_off_t skiplen) override
	{
		if (status_.bad() || skiplen <= 0)
			return 0;
		uint64_t n = std::min<uint64_t>(
		    static_cast<uint64_t>(skiplen), h_->size - pos_);
		pos_ += n;
		return static_cast<offile_off_t>(n);
	}
	void putback(offile_off_t num) override
	{
		if (status_.good() && num > 0) {
			if (static_cast<uint64_t>(num) <= pos_)
				pos_ -= static_cast<uint64_t>(num);
			else
				status_ = EC_PutbackFailed;
		}
	}

      private:
	std::shared_ptr<head> h_;
	uint64_t              pos_;
	OFCondition           status_ = EC_Normal;
};

class stream;

/* Makes a stream at an offset: how DCMTK reads a value it skipped. */
class factory : public DcmInputStreamFactory
{
      public:
	factory(std::shared_ptr<head> h, uint64_t offset)
	    : h_(std::move(h)), offset_(offset)
	{
	}
	DcmInputStream        *create() const override;
	DcmInputStreamFactory *clone() const override
	{
		return new factory(h_, offset_);
	}
	/* DCMTK tells a temp file's factory by this; ours is a file's */
	DcmInputStreamFactoryType ident() const override
	{
		return DFT_DcmInputFileStreamFactory;
	}

      private:
	std::shared_ptr<head> h_;
	uint64_t              offset_;
};

class stream : public DcmInputStream
{
      public:
	/* DcmInputStream only keeps the pointer to producer_, as
	 * DcmInputFileStream does with its own member */
	stream(std::shared_ptr<head> h, uint64_t offset)
	    : DcmInputStream(&producer_), producer_(h, offset),
	      h_(std::move(h)), offset_(offset)
	{
	}
	/* none once a filter (inflate) is installed: as for a file */
	DcmInputStreamFactory *newFactory() const override
	{
		if (currentProducer() != &producer_)
			return NULL;
		return new factory(
		    h_, offset_ + static_cast<uint64_t>(tell()));
	}

      private:
	producer              producer_;
	std::shared_ptr<head> h_;
	uint64_t              offset_;
};

inline DcmInputStream *
factory::create() const
{
	return new stream(h_, offset_);
}

} // namespace dcm_mem

#endif
