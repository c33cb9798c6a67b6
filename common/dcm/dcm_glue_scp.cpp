/* dcm_glue_scp.cpp - DCMTK side of dcm_glue.h: one DICOM association on
 * a socket the caller accepted, with DCMTK's low-level ASC/DIMSE API (as
 * storescp uses it).
 *
 * DCMTK only knows two ways to get a connection: accept() on a listen
 * socket it bound to 0.0.0.0 itself, or the process-global
 * dcmExternalSocketHandle (inetd style). We use the global, and it is
 * read only inside ASC_initializeNetwork (listen socket or not) and at
 * the start of ASC_receiveAssociation (dul.cc
 * receiveTransportConnectionTCP, before it asks the transport layer for
 * a connection object); so those run under g_ext_socket_mutex. Our
 * transport layers (plain and TLS) release the lock in createConnection,
 * the first call after DCMTK has read the global: the TLS handshake and
 * the reading of the A-ASSOCIATE-RQ run in parallel, outside the lock.
 *
 * Deadlines: per-read socket timeouts alone let a peer that sends a byte
 * now and then hold a thread for ever. A watchdog thread per dcm_scp
 * therefore holds each association's current phase: the handshake and
 * each command have a whole deadline, a dataset must arrive at a minimum
 * rate per window. When a rule is broken it shuts the socket down, which
 * makes DCMTK's blocked read fail at once; the serving thread reports
 * why. The watchdog only ever shuts down sockets registered with it, and
 * a socket is unregistered before it is closed.
 *
 * fd ownership: DCMTK closes the socket it is given when the association
 * is dropped, and when ASC_receiveAssociation fails it has closed it on
 * some paths (handshake, PDU errors) but not on others (getpeername). We
 * therefore give DCMTK a dup() of fd and keep fd ourselves. After a
 * failed receive the dup is closed only if it still names our socket
 * (same st_dev/st_ino, which no other open file can have while we hold
 * fd). fd itself is closed exactly once, by us.
 *
 * Every extern "C" function catches all exceptions. */
#include "dcmtk/config/osconfig.h"

#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcmetinf.h"
#include "dcmtk/dcmdata/dcostrma.h"
#include "dcmtk/dcmdata/dcuid.h"
#include "dcmtk/dcmnet/assoc.h"
#include "dcmtk/dcmnet/dimse.h"
#include "dcmtk/dcmnet/dul.h"
#include "dcmtk/dcmtls/tlslayer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <new>
#include <string>
#include <vector>

#include "dcm/dcm_glue.h"
#include "dcm/dcm_glue_tls.h"
#include "msg/instance.h"
#include "base/mc_err.h"
#include "os/sys_fs.h"
#include "tags/tagset.h"

namespace
{

const unsigned      ACSE_TIMEOUT_DEFAULT_S = 30;
const unsigned      DIMSE_TIMEOUT_DEFAULT_S = 60;
const unsigned      MAX_PDU_DEFAULT = 16384;
const int           RELEASE_WAIT_S = 5; /* peer's close after A-RELEASE-RP */
const size_t        PDU_HEADER_LEN = 6; /* type, reserved, 32-bit length */
const uint32_t      ASSOC_RQ_WAIT_MAX = 1u << 20; /* beyond: let DCMTK read */
const size_t        FILE_BUF_LEN = 64 * 1024;
const uint64_t      WRITEBACK_STEP = 256 * 1024;
const unsigned char PDU_TYPE_ASSOCIATE_RQ = 0x01;
const size_t        TLS_HEADER_LEN = 5; /* type, version, 16-bit length */
const unsigned char TLS_RECORD_HANDSHAKE = 0x16;
const unsigned char PDU_TYPE_ASSOCIATE_RJ = 0x03;
const unsigned      RATE_WINDOW_DEFAULT_S = 30;
const int           WATCH_TICK_MS = 100; /* how late a deadline may fire */

/* Serialises every use of dcmExternalSocketHandle (see top). */
std::mutex g_ext_socket_mutex;

/* This thread's hold on g_ext_socket_mutex while it is inside
 * ASC_receiveAssociation; released by release_ext_socket(). */
thread_local std::unique_lock<std::mutex> *t_ext_lock = NULL;

/* Called by our transport layers once DCMTK has read the global. */
void
release_ext_socket()
{
	if (t_ext_lock != NULL && t_ext_lock->owns_lock()) {
		dcmExternalSocketHandle.set(-1);
		t_ext_lock->unlock();
	}
}

class plain_layer : public DcmTransportLayer
{
      public:
	DcmTransportConnection *createConnection(
	    DcmNativeSocketType fd, OFBool secure) override
	{
		release_ext_socket();
		return DcmTransportLayer::createConnection(fd, secure);
	}
};

class tls_layer : public DcmTLSTransportLayer
{
      public:
	tls_layer() : DcmTLSTransportLayer(NET_ACCEPTOR, NULL, OFTrue)
	{
	}
	DcmTransportConnection *createConnection(
	    DcmNativeSocketType fd, OFBool secure) override
	{
		release_ext_socket();
		return DcmTLSTransportLayer::createConnection(fd, secure);
	}
};

const char *const TS_UNCOMPRESSED[] = {
    UID_LittleEndianExplicitTransferSyntax,
    UID_BigEndianExplicitTransferSyntax,
    UID_LittleEndianImplicitTransferSyntax,
};

/* Preferred first: a compressed proposal is kept as the sender has it. */
const char *const TS_COMPRESSED[] = {
    UID_JPEG2000TransferSyntax,
    UID_JPEG2000LosslessOnlyTransferSyntax,
    UID_JPEGProcess2_4TransferSyntax,
    UID_JPEGProcess1TransferSyntax,
    UID_JPEGProcess14SV1TransferSyntax,
    UID_JPEGProcess14TransferSyntax,
    UID_JPEGLSLossyTransferSyntax,
    UID_JPEGLSLosslessTransferSyntax,
    UID_RLELosslessTransferSyntax,
    UID_MPEG2MainProfileAtMainLevelTransferSyntax,
    UID_MPEG2MainProfileAtHighLevelTransferSyntax,
    UID_MPEG4HighProfileLevel4_1TransferSyntax,
    UID_MPEG4BDcompatibleHighProfileLevel4_1TransferSyntax,
    UID_MPEG4HighProfileLevel4_2_For2DVideoTransferSyntax,
    UID_MPEG4HighProfileLevel4_2_For3DVideoTransferSyntax,
    UID_MPEG4StereoHighProfileLevel4_2TransferSyntax,
    UID_HEVCMainProfileLevel5_1TransferSyntax,
    UID_HEVCMain10ProfileLevel5_1TransferSyntax,
    UID_DeflatedExplicitVRLittleEndianTransferSyntax,
};

int64_t
now_ms()
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

/* What the watchdog holds an association to (see top). */
enum class phase { none, handshake, command, data };
enum class cause { none, handshake, command, rate, shutdown };

/* One association as the watchdog sees it; lives on the serving
 * thread's stack between watchdog::add and watchdog::remove. */
struct guard {
	int                   fd = -1;
	phase                 ph = phase::none;
	int64_t               deadline = 0; /* handshake, command */
	std::atomic<uint64_t> bytes{0};     /* dataset bytes received */
	uint64_t              window_bytes = 0;
	int64_t               window_end = 0;
	cause                 fired = cause::none;
};

class watchdog
{
      public:
	watchdog(unsigned min_rate, unsigned window_s)
	    : min_rate_(min_rate), window_s_(window_s)
	{
		th_ = std::thread([this] { loop(); });
	}
	~watchdog()
	{
		{
			std::lock_guard<std::mutex> l(mu_);
			stop_ = true;
		}
		cv_.notify_all();
		th_.join();
	}
	watchdog(const watchdog &) = delete;
	watchdog &operator=(const watchdog &) = delete;

	void add(guard &g, int fd)
	{
		std::lock_guard<std::mutex> l(mu_);
		g.fd = fd;
		active_.push_back(&g);
		if (stopping_)
			fire(g, cause::shutdown);
		cv_.notify_all();
	}
	/* Unregister before fd is closed; returns why it fired, if it did */
	cause remove(guard &g)
	{
		std::lock_guard<std::mutex> l(mu_);
		active_.remove(&g);
		return g.fired;
	}
	/* Enter a phase; timeout_s: its whole deadline (handshake,
	 * command); the data phase is judged by the rate rule instead. */
	void enter(guard &g, phase ph, unsigned timeout_s)
	{
		std::lock_guard<std::mutex> l(mu_);
		const int64_t               now = now_ms();
		g.ph = ph;
		g.deadline = now + static_cast<int64_t>(timeout_s) * 1000;
		g.window_bytes = g.bytes.load(std::memory_order_relaxed);
		g.window_end = now + static_cast<int64_t>(window_s_) * 1000;
	}
	/* Shut every association down, and every one registered later. */
	void abort_all()
	{
		std::lock_guard<std::mutex> l(mu_);
		stopping_ = true;
		for (guard *g : active_)
			fire(*g, cause::shutdown);
	}

      private:
	void fire(guard &g, cause why)
	{
		if (g.fired != cause::none)
			return;
		g.fired = why;
		shutdown(g.fd, SHUT_RDWR); /* the blocked read fails now */
	}
	void check(guard &g, int64_t now)
	{
		if (g.ph == phase::handshake && now >= g.deadline)
			fire(g, cause::handshake);
		else if (g.ph == phase::command && now >= g.deadline)
			fire(g, cause::command);
		else if (g.ph == phase::data && min_rate_ > 0 &&
		         now >= g.window_end) {
			uint64_t b = g.bytes.load(std::memory_order_relaxed);
			if (b - g.window_bytes <
			    static_cast<uint64_t>(min_rate_) * window_s_) {
				fire(g, cause::rate);
				return;
			}
			g.window_bytes = b;
			g.window_end =
			    now + static_cast<int64_t>(window_s_) * 1000;
		}
	}
	void loop()
	{
		std::unique_lock<std::mutex> l(mu_);
		while (!stop_) {
			if (active_.empty())
				cv_.wait(l);
			else
				cv_.wait_for(l,
				    std::chrono::milliseconds(WATCH_TICK_MS));
			const int64_t now = now_ms();
			for (guard *g : active_)
				check(*g, now);
		}
	}

	std::mutex              mu_;
	std::condition_variable cv_;
	std::list<guard *>      active_;
	bool                    stop_ = false;
	bool                    stopping_ = false;
	const unsigned          min_rate_, window_s_;
	std::thread             th_;
};

void
set_socket_timeouts(int fd, unsigned seconds)
{
	struct timeval tv;
	tv.tv_sec = static_cast<time_t>(seconds);
	tv.tv_usec = 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

void
peer_address(int fd, char *out, size_t cap)
{
	struct sockaddr_storage ss;
	socklen_t               len = sizeof(ss);
	char                    host[NI_MAXHOST];

	out[0] = '\0';
	if (getpeername(fd, reinterpret_cast<struct sockaddr *>(&ss), &len) !=
	    0)
		return;
	if (getnameinfo(reinterpret_cast<struct sockaddr *>(&ss), len, host,
	        sizeof(host), NULL, 0, NI_NUMERICHOST) != 0)
		return;
	const char *h = host;
	if (strncmp(h, "::ffff:", 7) == 0 && strchr(h + 7, '.') != NULL)
		h += 7; /* IPv4-mapped: show the IPv4 address */
	mc_copy_text(out, cap, h);
}

/* The first record the peer sends: an A-ASSOCIATE-RQ PDU (type 0x01,
 * 32-bit length) or, with TLS, a handshake record (type 0x16, 16-bit
 * length) carrying the ClientHello. Given its header h, the record's
 * total length, or 0 if it is something else (DCMTK rejects that at
 * once, no need to wait for it). */
size_t
first_record_len(const unsigned char *h, bool tls)
{
	if (tls)
		return h[0] == TLS_RECORD_HANDSHAKE
		           ? TLS_HEADER_LEN + ((size_t) h[3] << 8 | h[4])
		           : 0;
	uint32_t len = (uint32_t) h[2] << 24 | (uint32_t) h[3] << 16 |
	               (uint32_t) h[4] << 8 | h[5];
	if (h[0] != PDU_TYPE_ASSOCIATE_RQ || len > ASSOC_RQ_WAIT_MAX)
		return 0;
	return PDU_HEADER_LEN + len;
}

/* Wait, without holding any lock, until the peer's first record (see
 * above) is fully buffered, so that the locked part does not wait for
 * the peer. SO_RCVLOWAT makes poll() wake only once enough bytes are
 * there. With TLS the rest of the handshake still happens under the
 * lock (DCMTK runs it inside ASC_receiveAssociation); SO_RCVTIMEO bounds
 * each of its reads. */
mc_err
wait_for_request(
    int fd, unsigned timeout_s, bool tls, char *err, size_t errlen)
{
	const int64_t deadline =
	    now_ms() + static_cast<int64_t>(timeout_s) * 1000;
	const size_t header_len = tls ? TLS_HEADER_LEN : PDU_HEADER_LEN;
	size_t       want = header_len;
	bool         have_header = false;
	mc_err       rv = MC_OK;

	for (;;) {
		int lowat = static_cast<int>(want);
		setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat));
		int64_t left = deadline - now_ms();
		if (left <= 0) {
			mc_errf(err, errlen,
			    "no association request within %u s", timeout_s);
			rv = MC_ETIMEDOUT;
			break;
		}
		struct pollfd p = {fd, POLLIN | POLLRDHUP, 0};
		int           n = poll(&p, 1, static_cast<int>(left));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			mc_errf(err, errlen, "poll: %s", strerror(errno));
			rv = MC_ENET;
			break;
		}
		if (n == 0)
			continue; /* deadline checked above */
		int avail = 0;
		if (ioctl(fd, FIONREAD, &avail) != 0)
			avail = 0;
		if (static_cast<size_t>(avail) >= want) {
			if (have_header)
				break;
			unsigned char h[PDU_HEADER_LEN];
			if (recv(fd, h, header_len, MSG_PEEK | MSG_DONTWAIT) !=
			    static_cast<ssize_t>(header_len))
				continue;
			have_header = true;
			want = first_record_len(h, tls);
			if (want == 0)
				break;
			continue;
		}
		if (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) {
			mc_errf(err, errlen,
			    "peer closed before its association request");
			rv = MC_ECLOSED;
			break;
		}
		struct timespec pause = {0, 1000000}; /* spurious wake-up */
		nanosleep(&pause, NULL);
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof(one));
	return rv;
}

/* Close DCMTK's copy of the socket if DCMTK has not (see top). Needed
 * only when ASC_receiveAssociation failed: once it succeeded, DCMTK's
 * connection object owns dfd and ASC_destroyAssociation closes it. */
void
close_dup_if_ours(int fd, int dfd)
{
	struct stat a, b;

	if (dfd < 0)
		return;
	if (fstat(fd, &a) == 0 && fstat(dfd, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		close(dfd);
}

/* A DcmConsumer writing to a file descriptor. It never reports a
 * failure to DCMTK: after a write error it records errno and discards
 * the rest, so that DIMSE_receiveDataSetInFile keeps reading the whole
 * dataset off the network and the association stays in step. (DCMTK's
 * own DcmOutputFileStream ignores fclose() errors, and on a failed write
 * DIMSE_ignoreDataSet reads past the end if the failing PDV was the
 * last one.) */
class fd_consumer : public DcmConsumer
{
      public:
	/* writeback: start writing to disk every WRITEBACK_STEP bytes, so
	 * that the flush before the answer finds most of a large file
	 * already written (the disk works while the network delivers) */
	/* progress: counts every byte DCMTK delivers (the rate rule) */
	/* head: receives a copy of the first DCM_STORE_HEAD_MAX bytes, so
	 * that the tags are read without reading the file back */
	fd_consumer(int fd, int first_errno, bool writeback,
	    std::atomic<uint64_t> *progress, dcm_need_space_fn need_space,
	    void *ctx, std::vector<unsigned char> *head)
	    : fd_(fd), errno_(first_errno), buf_(new char[FILE_BUF_LEN]),
	      used_(0), written_(0), writeback_(writeback), started_(0),
	      progress_(progress), need_space_(need_space), ctx_(ctx),
	      head_(head)
	{
	}
	~fd_consumer() override
	{
		if (fd_ >= 0)
			::close(fd_);
	}
	OFBool good() const override
	{
		return OFTrue;
	}
	OFCondition status() const override
	{
		return EC_Normal;
	}
	OFBool isFlushed() const override
	{
		return used_ == 0;
	}
	offile_off_t avail() const override
	{
		return 0x7fffffff;
	}
	offile_off_t write(const void *buf, offile_off_t buflen) override
	{
		const char *p = static_cast<const char *>(buf);
		size_t      n = static_cast<size_t>(buflen);
		progress_->fetch_add(n, std::memory_order_relaxed);
		if (head_->size() < DCM_STORE_HEAD_MAX && errno_ == 0) {
			size_t k =
			    std::min(n, DCM_STORE_HEAD_MAX - head_->size());
			const unsigned char *u =
			    reinterpret_cast<const unsigned char *>(p);
			head_->insert(head_->end(), u, u + k); /* a memmove */
		}
		while (n > 0 && errno_ == 0) {
			if (used_ == FILE_BUF_LEN)
				drain();
			size_t k = std::min(n, FILE_BUF_LEN - used_);
			memcpy(&buf_[used_], p, k);
			used_ += k;
			p += k;
			n -= k;
		}
		return buflen;
	}
	void flush() override
	{
		drain();
	}
	/* Flush, close; returns the first errno seen (0: all written). */
	int finish()
	{
		drain();
		if (fd_ >= 0 && ::close(fd_) != 0 && errno_ == 0)
			errno_ = errno;
		fd_ = -1;
		return errno_;
	}
	uint64_t bytes() const
	{
		return written_;
	}

      private:
	void drain()
	{
		size_t off = 0;
		while (off < used_ && errno_ == 0 && fd_ >= 0) {
			ssize_t w = ::write(fd_, &buf_[off], used_ - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0 && errno == ENOSPC && need_space_ != NULL) {
				dcm_need_space_fn f = need_space_;
				need_space_ = NULL; /* one more try only */
				if (f(ctx_))
					continue;
				errno = ENOSPC;
			}
			if (w < 0) {
				errno_ = errno;
				break;
			}
			off += static_cast<size_t>(w);
			written_ += static_cast<uint64_t>(w);
		}
		used_ = 0;
		if (writeback_ && errno_ == 0 &&
		    written_ - started_ >= WRITEBACK_STEP) {
			/* a hint: an error here shows again in the fsync */
			(void) sync_file_range(fd_,
			    static_cast<off64_t>(started_),
			    static_cast<off64_t>(written_ - started_),
			    SYNC_FILE_RANGE_WRITE);
			started_ = written_;
		}
	}
	int                     fd_;
	int                     errno_;
	std::unique_ptr<char[]> buf_; /* not zeroed: written before read */
	size_t                  used_;
	uint64_t                written_;
	bool                    writeback_;
	uint64_t started_; /* writeback started below this offset */
	std::atomic<uint64_t>      *progress_;
	dcm_need_space_fn           need_space_; /* NULL once tried */
	void                       *ctx_;
	std::vector<unsigned char> *head_;
};

class fd_output_stream : public DcmOutputStream
{
      public:
	/* DcmOutputStream only stores the pointer (as DcmOutputFileStream
	 * does with its own member consumer). */
	fd_output_stream(int fd, int first_errno, bool writeback,
	    std::atomic<uint64_t> *progress, dcm_need_space_fn need_space,
	    void *ctx, std::vector<unsigned char> *head)
	    : DcmOutputStream(&consumer_),
	      consumer_(
	          fd, first_errno, writeback, progress, need_space, ctx, head)
	{
	}
	int finish()
	{
		return consumer_.finish();
	}
	uint64_t bytes() const
	{
		return consumer_.bytes();
	}

      private:
	fd_consumer consumer_;
};

/* The file meta header DIMSE_createFilestream would write: preamble,
 * "DICM", group 0002 with the accepted transfer syntax. */
OFCondition
write_meta_header(DcmOutputStream &out, const T_DIMSE_C_StoreRQ &rq,
    const char *ts, const char *calling_aet)
{
	DcmMetaInfo meta;
	Uint8       version[2] = {0, 1};
	OFCondition c;

	c = meta.putAndInsertUint8Array(
	    DCM_FileMetaInformationVersion, version, 2);
	if (c.good())
		c = meta.putAndInsertString(
		    DCM_MediaStorageSOPClassUID, rq.AffectedSOPClassUID);
	if (c.good())
		c = meta.putAndInsertString(
		    DCM_MediaStorageSOPInstanceUID, rq.AffectedSOPInstanceUID);
	if (c.good())
		c = meta.putAndInsertString(DCM_TransferSyntaxUID, ts);
	if (c.good())
		c = meta.putAndInsertString(DCM_ImplementationClassUID,
		    OFFIS_IMPLEMENTATION_CLASS_UID);
	if (c.good())
		c = meta.putAndInsertString(DCM_ImplementationVersionName,
		    OFFIS_DTK_IMPLEMENTATION_VERSION_NAME2);
	if (c.good() && calling_aet[0] != '\0')
		c = meta.putAndInsertString(
		    DCM_SourceApplicationEntityTitle, calling_aet);
	if (c.good())
		c = meta.computeGroupLengthAndPadding(EGL_withGL, EPD_noChange,
		    META_HEADER_DEFAULT_TRANSFERSYNTAX, EET_UndefinedLength);
	if (c.bad())
		return c;
	meta.transferInit();
	c = meta.write(
	    out, META_HEADER_DEFAULT_TRANSFERSYNTAX, EET_ExplicitLength, NULL);
	meta.transferEnd();
	return c;
}

} // namespace

struct dcm_scp {
	std::string                        aet, tmp_dir;
	bool                               require_called_aet = false;
	unsigned                           acse_timeout_s = 0;
	unsigned                           dimse_timeout_s = 0;
	unsigned                           min_rate = 0;
	unsigned                           rate_window_s = 0;
	unsigned                           max_pdu = 0;
	bool                               use_tls = false;
	bool                               early_writeback = false;
	dcm_on_store_fn                    on_store = NULL;
	dcm_after_response_fn              after_response = NULL;
	dcm_open_tmp_fn                    open_tmp = NULL;
	dcm_need_space_fn                  need_space = NULL;
	void                              *ctx = NULL;
	std::vector<const char *>          ts; /* preferred first */
	T_ASC_Network                     *net = NULL;
	std::unique_ptr<DcmTransportLayer> layer; /* plain or tls_layer */
	std::unique_ptr<watchdog>          watch;
};

namespace
{

/* State of one association, on the serving thread's stack. */
struct assoc_run {
	dcm_scp                   *s;
	T_ASC_Association         *assoc = NULL;
	dcm_assoc_info            *info;
	char                      *err;
	size_t                     errlen;
	guard                     *g;
	uint64_t                   last_bytes = 0; /* size hint for open_tmp */
	std::vector<unsigned char> head; /* each C-STORE's first bytes */
};

bool
is_set(const char *s)
{
	return s != NULL && s[0] != '\0';
}

mc_err
make_tls(dcm_scp *s, const dcm_scp_opts *o, char *err, size_t errlen)
{
	tls_layer *l = new tls_layer();
	s->layer.reset(l);
	DcmTLSTransportLayer &t = *l;

	if (!t) {
		mc_errf(err, errlen, "TLS: cannot create an OpenSSL context");
		return MC_ECONFIG;
	}
	return dcm_tls_configure(
	    t, o->tls_key, o->tls_cert, o->tls_ca, err, errlen);
}

mc_err
validate_opts(const dcm_scp_opts *o, char *err, size_t errlen)
{
	int tls_parts =
	    is_set(o->tls_key) + is_set(o->tls_cert) + is_set(o->tls_ca);

	if (!is_set(o->aet) || strlen(o->aet) > 16) {
		mc_errf(err, errlen, "AE title must have 1 to 16 characters");
		return MC_EINVAL;
	}
	if (!is_set(o->tmp_dir) || o->on_store == NULL) {
		mc_errf(err, errlen, "tmp_dir and on_store are required");
		return MC_EINVAL;
	}
	if (o->max_pdu != 0 && (o->max_pdu < ASC_MINIMUMPDUSIZE ||
	                           o->max_pdu > ASC_MAXIMUMPDUSIZE)) {
		mc_errf(err, errlen, "max_pdu %u outside %u..%u", o->max_pdu,
		    (unsigned) ASC_MINIMUMPDUSIZE,
		    (unsigned) ASC_MAXIMUMPDUSIZE);
		return MC_EINVAL;
	}
	if (tls_parts != 0 && tls_parts != 3) {
		mc_errf(err, errlen,
		    "TLS needs tls_key, tls_cert and tls_ca together");
		return MC_ECONFIG;
	}
	return MC_OK;
}

mc_err
create(const dcm_scp_opts *o, dcm_scp **out, char *err, size_t errlen)
{
	mc_err rv = validate_opts(o, err, errlen);
	if (rv != MC_OK)
		return rv;

	std::unique_ptr<dcm_scp> s(new dcm_scp());
	s->aet = o->aet;
	s->tmp_dir = o->tmp_dir;
	s->require_called_aet = o->require_called_aet;
	s->acse_timeout_s =
	    o->acse_timeout_s ? o->acse_timeout_s : ACSE_TIMEOUT_DEFAULT_S;
	s->dimse_timeout_s =
	    o->dimse_timeout_s ? o->dimse_timeout_s : DIMSE_TIMEOUT_DEFAULT_S;
	s->min_rate = o->min_rate;
	s->rate_window_s =
	    o->rate_window_s ? o->rate_window_s : RATE_WINDOW_DEFAULT_S;
	s->max_pdu = o->max_pdu ? o->max_pdu : MAX_PDU_DEFAULT;
	s->on_store = o->on_store;
	s->after_response = o->after_response;
	s->open_tmp = o->open_tmp;
	s->need_space = o->need_space;
	s->early_writeback = o->early_writeback;
	s->ctx = o->ctx;
	if (o->accept_compressed)
		for (const char *ts : TS_COMPRESSED)
			s->ts.push_back(ts);
	for (const char *ts : TS_UNCOMPRESSED)
		s->ts.push_back(ts);

	s->use_tls = is_set(o->tls_key);
	if (s->use_tls && (rv = make_tls(s.get(), o, err, errlen)) != MC_OK)
		return rv;
	if (!s->use_tls)
		s->layer.reset(new plain_layer());

	/* Never resolve peers' names (and never block on DNS). */
	dcmDisableGethostbyaddr.set(OFTrue);
	OFCondition c;
	{
		/* Any handle >= 0 stops initializeNetworkTCP from binding its
		 * own 0.0.0.0 listen socket; the value itself is not used. */
		std::lock_guard<std::mutex> lock(g_ext_socket_mutex);
		dcmExternalSocketHandle.set(0);
		c = ASC_initializeNetwork(NET_ACCEPTOR, 0,
		    static_cast<int>(s->acse_timeout_s), &s->net);
		dcmExternalSocketHandle.set(-1);
	}
	if (c.bad()) {
		mc_errf(err, errlen, "ASC_initializeNetwork: %s", c.text());
		return MC_EINTERNAL;
	}
	if ((c = ASC_setTransportLayer(s->net, s->layer.get(), 0)).bad()) {
		ASC_dropNetwork(&s->net);
		mc_errf(err, errlen, "ASC_setTransportLayer: %s", c.text());
		return MC_EINTERNAL;
	}
	s->watch.reset(new watchdog(s->min_rate, s->rate_window_s));
	*out = s.release();
	return MC_OK;
}

/* ASC_receiveAssociation on our dup of fd. The global lock is held only
 * until DCMTK has read dcmExternalSocketHandle (release_ext_socket). */
OFCondition
receive_association(dcm_scp *s, int dfd, T_ASC_Association **assoc)
{
	std::unique_lock<std::mutex> lock(g_ext_socket_mutex);
	struct lock_reset {
		std::unique_lock<std::mutex> &l;
		~lock_reset()
		{
			t_ext_lock = NULL;
			if (l.owns_lock())
				dcmExternalSocketHandle.set(-1);
		}
	} reset{lock};

	t_ext_lock = &lock;
	dcmExternalSocketHandle.set(dfd);
	return ASC_receiveAssociation(s->net, assoc,
	    static_cast<long>(s->max_pdu), NULL, NULL,
	    s->use_tls ? OFTrue : OFFalse, DUL_NOBLOCK,
	    static_cast<int>(s->acse_timeout_s));
}

void
reject(T_ASC_Association *assoc, T_ASC_RejectParametersResult result,
    T_ASC_RejectParametersSource source, T_ASC_RejectParametersReason reason)
{
	T_ASC_RejectParameters rej = {result, source, reason};
	ASC_rejectAssociation(assoc, &rej);
}

bool
is_proposed(const T_ASC_PresentationContext &pc, const char *ts)
{
	for (int k = 0; k < static_cast<int>(pc.transferSyntaxCount); k++)
		if (strcmp(pc.proposedTransferSyntaxes[k], ts) == 0)
			return true;
	return false;
}

/* storescp --promiscuous: contexts still refused whose abstract syntax
 * DCMTK does not know (private storage classes) are accepted with our
 * most preferred transfer syntax among those proposed. */
OFCondition
accept_unknown_contexts(
    T_ASC_Parameters *params, const std::vector<const char *> &ts)
{
	int n = ASC_countPresentationContexts(params);

	for (int i = 0; i < n; i++) {
		T_ASC_PresentationContext pc;
		OFCondition c = ASC_getPresentationContext(params, i, &pc);
		if (c.bad())
			return c;
		if (pc.resultReason == ASC_P_ACCEPTANCE ||
		    dcmFindNameOfUID(pc.abstractSyntax, NULL) != NULL)
			continue;
		for (const char *t : ts) {
			if (!is_proposed(pc, t))
				continue;
			c = ASC_acceptPresentationContext(
			    params, pc.presentationContextID, t);
			if (c.bad())
				return c;
			break;
		}
	}
	return EC_Normal;
}

mc_err
negotiate(assoc_run &r)
{
	T_ASC_Parameters *params = r.assoc->params;
	char              ctxname[65];
	const char       *verification = UID_VerificationSOPClass;

	if (ASC_getApplicationContextName(params, ctxname, sizeof(ctxname))
	        .bad() ||
	    strcmp(ctxname, UID_StandardApplicationContext) != 0) {
		reject(r.assoc, ASC_RESULT_REJECTEDPERMANENT,
		    ASC_SOURCE_SERVICEUSER,
		    ASC_REASON_SU_APPCONTEXTNAMENOTSUPPORTED);
		mc_errf(r.err, r.errlen, "unsupported application context");
		return MC_EREFUSED;
	}
	if (r.s->require_called_aet && r.s->aet != r.info->called_aet) {
		reject(r.assoc, ASC_RESULT_REJECTEDPERMANENT,
		    ASC_SOURCE_SERVICEUSER,
		    ASC_REASON_SU_CALLEDAETITLENOTRECOGNIZED);
		mc_errf(r.err, r.errlen, "called AE title '%s' is not ours",
		    r.info->called_aet);
		return MC_EREFUSED;
	}
	const int n_plain = static_cast<int>(
	    sizeof(TS_UNCOMPRESSED) / sizeof(TS_UNCOMPRESSED[0]));
	OFCondition c = ASC_acceptContextsWithPreferredTransferSyntaxes(params,
	    &verification, 1, const_cast<const char **>(TS_UNCOMPRESSED),
	    n_plain);
	if (c.good())
		c = ASC_acceptContextsWithPreferredTransferSyntaxes(params,
		    dcmAllStorageSOPClassUIDs,
		    numberOfDcmAllStorageSOPClassUIDs,
		    const_cast<const char **>(r.s->ts.data()),
		    static_cast<int>(r.s->ts.size()));
	if (c.good())
		c = accept_unknown_contexts(params, r.s->ts);
	if (c.bad()) {
		reject(r.assoc, ASC_RESULT_REJECTEDTRANSIENT,
		    ASC_SOURCE_SERVICEUSER, ASC_REASON_SU_NOREASON);
		mc_errf(r.err, r.errlen, "negotiation: %s", c.text());
		return MC_EPROTO;
	}
	if ((c = ASC_acknowledgeAssociation(r.assoc)).bad()) {
		mc_errf(
		    r.err, r.errlen, "sending A-ASSOCIATE-AC: %s", c.text());
		return MC_ENET;
	}
	return MC_OK;
}

/* The error text for an association the watchdog cut short. */
void
describe_cause(const dcm_scp *s, cause why, char *err, size_t errlen)
{
	switch (why) {
	case cause::handshake:
		mc_errf(err, errlen,
		    "no association within the %u s "
		    "handshake deadline",
		    s->acse_timeout_s);
		break;
	case cause::command:
		mc_errf(err, errlen,
		    "no complete command within the %u s "
		    "idle deadline",
		    s->dimse_timeout_s);
		break;
	case cause::rate:
		mc_errf(err, errlen,
		    "dataset arrived slower than %u bytes/s "
		    "over %u s",
		    s->min_rate, s->rate_window_s);
		break;
	case cause::shutdown:
		mc_errf(
		    err, errlen, "cut at the receiver's shutdown deadline");
		break;
	case cause::none:
		break;
	}
}

/* Create the temp file; on failure fd is -1 and *errno_out set. */
int
make_temp(const std::string &dir, std::string &path, int *errno_out)
{
	std::vector<char> tmpl(dir.begin(), dir.end());
	const char        suffix[] = "/.rcv-XXXXXX";

	tmpl.insert(tmpl.end(), suffix, suffix + sizeof(suffix));
	int fd = mkostemp(tmpl.data(), O_CLOEXEC);
	*errno_out = fd < 0 ? errno : 0;
	if (fd >= 0) /* mkostemp makes 0600: the configured file_mode */
		(void) fchmod(fd, sys_fs_file_mode());
	path.assign(tmpl.data());
	return fd;
}

/* One C-STORE: stream the dataset to a temp file, hand it over, answer.
 * Returns MC_OK to continue with the next command. */
mc_err
handle_store(
    assoc_run &r, T_ASC_PresentationContextID pid, T_DIMSE_C_StoreRQ &rq)
{
	T_ASC_PresentationContext pc;
	OFCondition               c;

	c = ASC_findAcceptedPresentationContext(r.assoc->params, pid, &pc);
	if (c.bad()) {
		mc_errf(r.err, r.errlen, "C-STORE on unknown context %u",
		    (unsigned) pid);
		return MC_EPROTO;
	}
	if (rq.DataSetType == DIMSE_DATASET_NULL) {
		mc_errf(r.err, r.errlen, "C-STORE without a dataset");
		return MC_EPROTO;
	}
	std::string path;
	int         open_errno = 0;
	uint64_t    prealloc = 0;
	int         fd = -1;

	if (r.s->open_tmp != NULL) {
		char pbuf[MC_PATH_MAX];
		fd = r.s->open_tmp(
		    r.s->ctx, r.last_bytes, pbuf, sizeof(pbuf), &prealloc);
		if (fd >= 0)
			path.assign(pbuf);
	}
	if (fd < 0) {
		prealloc = 0;
		fd = make_temp(r.s->tmp_dir, path, &open_errno);
	}
	r.head.clear();
	r.head.reserve(DCM_STORE_HEAD_MAX);
	fd_output_stream            out(fd, open_errno,
	               r.s->early_writeback && prealloc == 0, &r.g->bytes,
	               r.s->need_space, r.s->ctx, &r.head);
	T_ASC_PresentationContextID data_pid = 0;

	if (open_errno == 0)
		write_meta_header(
		    out, rq, pc.acceptedTransferSyntax, r.info->calling_aet);
	r.s->watch->enter(*r.g, phase::data, 0);
	c = DIMSE_receiveDataSetInFile(r.assoc, DIMSE_NONBLOCKING,
	    static_cast<int>(r.s->dimse_timeout_s), &data_pid, &out, NULL,
	    NULL);
	r.s->watch->enter(*r.g, phase::none, 0);
	int write_errno = out.finish();
	if (c.bad()) {
		if (open_errno == 0)
			unlink(path.c_str());
		mc_errf(
		    r.err, r.errlen, "receiving C-STORE data: %s", c.text());
		return c == DIMSE_NODATAAVAILABLE ? MC_ETIMEDOUT : MC_ENET;
	}

	dcm_store_req req;
	req.tmp_path = open_errno == 0 ? path.c_str() : ""; /* never created */
	req.sop_class_uid = rq.AffectedSOPClassUID;
	req.sop_instance_uid = rq.AffectedSOPInstanceUID;
	req.bytes = out.bytes();
	req.write_errno = write_errno;
	req.prealloc = prealloc;
	/* the copy is the file's first bytes only if all of them were
	 * written */
	req.head = r.head.data();
	req.head_len = write_errno == 0 && open_errno == 0
	                   ? std::min<size_t>(r.head.size(), req.bytes)
	                   : 0;
	r.last_bytes = out.bytes();
	void    *cookie = NULL;
	uint16_t status = r.s->on_store(r.s->ctx, r.info, &req, &cookie);

	T_DIMSE_C_StoreRSP rsp;
	memset(&rsp, 0, sizeof(rsp));
	rsp.MessageIDBeingRespondedTo = rq.MessageID;
	rsp.DimseStatus = status;
	rsp.DataSetType = DIMSE_DATASET_NULL;
	mc_copy_text(rsp.AffectedSOPClassUID, sizeof(rsp.AffectedSOPClassUID),
	    rq.AffectedSOPClassUID);
	mc_copy_text(rsp.AffectedSOPInstanceUID,
	    sizeof(rsp.AffectedSOPInstanceUID), rq.AffectedSOPInstanceUID);
	rsp.opts =
	    O_STORE_AFFECTEDSOPCLASSUID | O_STORE_AFFECTEDSOPINSTANCEUID;
	if (rq.opts & O_STORE_RQ_BLANK_PADDING)
		rsp.opts |= O_STORE_RSP_BLANK_PADDING;
	c = DIMSE_sendStoreResponse(r.assoc, pid, &rq, &rsp, NULL);
	if (r.s->after_response != NULL)
		r.s->after_response(r.s->ctx, cookie);
	if (c.bad()) {
		mc_errf(r.err, r.errlen, "sending C-STORE-RSP: %s", c.text());
		return MC_ENET;
	}
	return MC_OK;
}

/* Commands until release (MC_OK) or the end of the association. */
mc_err
dimse_loop(assoc_run &r)
{
	for (;;) {
		T_ASC_PresentationContextID pid = 0;
		T_DIMSE_Message             msg;
		r.s->watch->enter(*r.g, phase::command, r.s->dimse_timeout_s);
		OFCondition c = DIMSE_receiveCommand(r.assoc,
		    DIMSE_NONBLOCKING, static_cast<int>(r.s->dimse_timeout_s),
		    &pid, &msg, NULL);
		r.s->watch->enter(*r.g, phase::none, 0);

		if (c == DUL_PEERREQUESTEDRELEASE) {
			ASC_acknowledgeRelease(r.assoc);
			return MC_OK;
		}
		if (c == DUL_PEERABORTEDASSOCIATION) {
			mc_errf(
			    r.err, r.errlen, "peer aborted the association");
			return MC_ECLOSED;
		}
		if (c == DIMSE_NODATAAVAILABLE) {
			/* DCMTK's own timer, for the same rule */
			describe_cause(r.s, cause::command, r.err, r.errlen);
			return MC_ETIMEDOUT;
		}
		if (c.bad()) {
			mc_errf(r.err, r.errlen, "receiving command: %s",
			    c.text());
			return MC_ENET;
		}
		mc_err rv;
		switch (msg.CommandField) {
		case DIMSE_C_ECHO_RQ:
			c = DIMSE_sendEchoResponse(r.assoc, pid,
			    &msg.msg.CEchoRQ, STATUS_Success, NULL);
			rv = c.good() ? MC_OK : MC_ENET;
			if (rv != MC_OK)
				mc_errf(r.err, r.errlen,
				    "sending C-ECHO-RSP: %s", c.text());
			break;
		case DIMSE_C_STORE_RQ:
			rv = handle_store(r, pid, msg.msg.CStoreRQ);
			break;
		default:
			mc_errf(r.err, r.errlen, "unsupported command 0x%04x",
			    (unsigned) msg.CommandField);
			rv = MC_EPROTO;
			break;
		}
		if (rv != MC_OK)
			return rv;
	}
}

/* Everything between receiving the request and the end of the
 * association; returns the result, r.assoc left for the caller. */
mc_err
run_association(assoc_run &r)
{
	mc_err rv = negotiate(r);
	if (rv != MC_OK)
		return rv;
	return dimse_loop(r);
}

mc_err
serve_watched(dcm_scp *s, int fd, guard &g, dcm_assoc_info *info, char *err,
    size_t errlen)
{
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	peer_address(fd, info->peer_address, sizeof(info->peer_address));
	set_socket_timeouts(fd, s->acse_timeout_s);

	mc_err rv =
	    wait_for_request(fd, s->acse_timeout_s, s->use_tls, err, errlen);
	if (rv != MC_OK)
		return rv;
	/* >= 3: DCMTK takes 0 for "no external socket". */
	int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (dfd < 0) {
		mc_errf(err, errlen, "dup: %s", strerror(errno));
		return mc_from_errno(errno);
	}
	assoc_run   r{s, NULL, info, err, errlen, &g, 0, {}};
	OFCondition c = receive_association(s, dfd, &r.assoc);
	if (c.good()) {
		ASC_getAPTitles(r.assoc->params, info->calling_aet,
		    sizeof(info->calling_aet), info->called_aet,
		    sizeof(info->called_aet), NULL, 0);
		set_socket_timeouts(fd, s->dimse_timeout_s);
		rv = run_association(r);
	} else {
		mc_errf(err, errlen, "receiving association: %s", c.text());
		rv = c == DUL_READTIMEOUT ? MC_ETIMEDOUT : MC_EPROTO;
	}
	if (r.assoc != NULL) {
		if (rv == MC_OK)
			ASC_dropSCPAssociation(r.assoc, RELEASE_WAIT_S);
		else if (c.good() && rv != MC_EREFUSED && rv != MC_ECLOSED) {
			/* DCMTK waits for the peer to close after its
			 * A-ABORT; a peer that never does would keep the
			 * thread: our reads end now, the A-ABORT still goes */
			shutdown(fd, SHUT_RD);
			ASC_abortAssociation(r.assoc);
		}
		ASC_destroyAssociation(&r.assoc); /* drops what is left */
	}
	if (c.bad())
		close_dup_if_ours(fd, dfd);
	return rv;
}

/* Registered with the watchdog for exactly its lifetime: unregistered
 * before dcm_scp_serve closes fd, exceptions included. */
struct watched {
	watchdog &w;
	guard    &g;
	watched(watchdog &w_, guard &g_, int fd) : w(w_), g(g_)
	{
		w.add(g, fd);
	}
	~watched()
	{
		w.remove(g);
	}
	watched(const watched &) = delete;
	watched &operator=(const watched &) = delete;
};

mc_err
serve(dcm_scp *s, int fd, dcm_assoc_info *info, char *err, size_t errlen)
{
	guard  g;
	mc_err rv;
	{
		watched w(*s->watch, g, fd);
		s->watch->enter(g, phase::handshake, s->acse_timeout_s);
		rv = serve_watched(s, fd, g, info, err, errlen);
	}
	/* unregistered: the watchdog no longer touches g */
	if (rv != MC_OK && g.fired != cause::none) {
		describe_cause(s, g.fired, err, errlen);
		rv = MC_ETIMEDOUT;
	}
	return rv;
}

} // namespace

extern "C" mc_err
dcm_scp_create(
    const dcm_scp_opts *opts, dcm_scp **out, char *err, size_t errlen)
{
	*out = NULL;
	try {
		return create(opts, out, err, errlen);
	} catch (const std::bad_alloc &) {
		mc_errf(err, errlen, "out of memory");
		return MC_ENOMEM;
	} catch (...) {
		mc_errf(err, errlen, "unexpected exception in dcm_scp_create");
		return MC_EINTERNAL;
	}
}

extern "C" void
dcm_scp_destroy(dcm_scp *s)
{
	if (s == NULL)
		return;
	try {
		if (s->net != NULL)
			ASC_dropNetwork(&s->net);
		delete s; /* the TLS layer after the network that used it */
	} catch (...) {
	}
}

extern "C" mc_err
dcm_scp_serve(
    dcm_scp *s, int fd, dcm_assoc_info *info, char *err, size_t errlen)
{
	dcm_assoc_info local;
	mc_err         rv;

	if (info == NULL)
		info = &local;
	memset(info, 0, sizeof(*info));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	try {
		rv = serve(s, fd, info, err, errlen);
	} catch (const std::bad_alloc &) {
		mc_errf(err, errlen, "out of memory");
		rv = MC_ENOMEM;
	} catch (...) {
		mc_errf(err, errlen, "unexpected exception in dcm_scp_serve");
		rv = MC_EINTERNAL;
	}
	close(fd);
	return rv;
}

extern "C" void
dcm_scp_abort_all(dcm_scp *s)
{
	try {
		s->watch->abort_all();
	} catch (...) {
	}
}

extern "C" bool
dcm_scp_uses_tls(const dcm_scp *s)
{
	return s->use_tls;
}

extern "C" size_t
dcm_request_header_len(bool tls)
{
	return tls ? TLS_HEADER_LEN : PDU_HEADER_LEN;
}

extern "C" size_t
dcm_request_len(const unsigned char *h, bool tls)
{
	return first_record_len(h, tls);
}

extern "C" size_t
dcm_reject_pdu(unsigned char *out, size_t cap)
{
	/* A-ASSOCIATE-RJ (PS3.8 9.3.4): type, reserved, length 4;
	 * reserved, result, source, reason */
	const unsigned char rj[] = {PDU_TYPE_ASSOCIATE_RJ, 0, 0, 0, 0, 4, 0,
	    static_cast<unsigned char>(ASC_RESULT_REJECTEDTRANSIENT),
	    static_cast<unsigned char>(
	        ASC_SOURCE_SERVICEPROVIDER_PRESENTATION_RELATED),
	    static_cast<unsigned char>(
	        ASC_REASON_SP_PRES_LOCALLIMITEXCEEDED & 0xff)};

	if (cap < sizeof(rj))
		return 0;
	memcpy(out, rj, sizeof(rj));
	return sizeof(rj);
}
