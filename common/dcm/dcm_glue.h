/* dcm_glue.h - the C face of everything DCMTK does for us: reading a
 * file's header into tags, and serving one DICOM association on a socket
 * that the caller accepted. Plain C; the implementation is C++17 in
 * dcm_glue_*.cpp and never lets an exception out. Nothing else in the
 * project includes a DCMTK header. */
#ifndef MC_GETDCMTAGS_DCM_GLUE_H
#define MC_GETDCMTAGS_DCM_GLUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/mc_err.h"
#include "tags/tagset.h"

#ifdef __cplusplus
extern "C" {
#endif

/* dcm_glue_init - once per process, before any thread: quiet DCMTK's
 * logger (it would log what we report as mc_err), set TCP_NODELAY=1 for
 * DCMTK (without it each DIMSE exchange waits ~44 ms for Nagle), ignore
 * SIGPIPE (DCMTK writes with write(2)), check that the data dictionary
 * is loaded. Returns MC_OK or MC_EINTERNAL with err filled. */
MC_NODISCARD mc_err dcm_glue_init(char *err, size_t errlen);

/* ---- tag extraction ------------------------------------------------ */

/* A resolved list of additional tags (keyword or "gggg,eeee"). */
typedef struct dcm_taglist dcm_taglist;

/* dcm_taglist_create - resolve specs (borrowed) against the dictionary.
 * An unknown keyword or a malformed "gggg,eeee" gives MC_EINVAL and err
 * names it. n may be 0. On failure *out is NULL. */
MC_NODISCARD mc_err dcm_taglist_create(const char *const *specs, size_t n,
    dcm_taglist **out, char *err, size_t errlen);
void                dcm_taglist_destroy(dcm_taglist *l); /* NULL: no-op */

/* dcm_extract_tags - read path up to (not including) PixelData and put
 * mercure's tag set into out (an empty set the caller owns): the keys of
 * mercure's getdcmtags/tags_list.h in that order without duplicates, then
 * MediaStorageSOPClassUID, then the extra tags (keyword as key, or
 * "(gggg,eeee)" for tags the dictionary does not name). Always present:
 * SpecificCharacterSet, SeriesInstanceUID, SOPInstanceUID,
 * StudyInstanceUID, SOPClassUID (empty string when absent). Values are
 * UTF-8, converted from SpecificCharacterSet (ISO 2022 included);
 * multi-values keep '\' between them; CR becomes ';', LF a space, '"'
 * becomes '\'' (as mercure). A value that cannot be converted is kept
 * with U+FFFD for the bad bytes and *charset_warning is set true: a
 * charset never fails an instance.
 * Returns MC_OK, MC_EPARSE (not DICOM / unreadable / truncated header;
 * err says why), MC_ENOENT, MC_ENOMEM. extra may be NULL. Any thread. */
MC_NODISCARD mc_err dcm_extract_tags(const char *path,
    const dcm_taglist *extra, mc_tagset *out, bool *charset_warning, char *err,
    size_t errlen);

/* ---- limits on what one file may make us spend --------------------- */

/* Sequences (and pixel fragment lists) nested inside each other. DCMTK
 * parses nesting by recursion without a limit; real data nests a handful
 * of levels (structured reports a few dozen at most). */
#define DCM_SCAN_MAX_DEPTH 64
/* Elements, items and fragments in one file, all levels together: each
 * costs DCMTK an object of its own. */
#define DCM_SCAN_MAX_ELEMENTS 1000000
/* A deflated dataset inflated: DCMTK cannot seek in it, so it loads
 * every value into memory whatever its length. */
#define DCM_SCAN_MAX_INFLATED_BYTES (256ull << 20)
/* A tag value is cut to this many bytes and this many values ('\'
 * separated) before it is converted; the cut is reported (notes). */
#define DCM_VALUE_MAX_BYTES 65536
#define DCM_VALUE_MAX_VM 1024

/* dcm_scan_file - walk the element headers of path (file meta header
 * and dataset, any uncompressed or deflated transfer syntax) without
 * recursion, in time linear in the number of elements, and refuse what
 * would make the full parse unbounded: nesting deeper than
 * DCM_SCAN_MAX_DEPTH, more than DCM_SCAN_MAX_ELEMENTS elements, lengths
 * past their container or the end of the file, a deflated dataset over
 * DCM_SCAN_MAX_INFLATED_BYTES. dcm_extract_tags calls it
 * first; exposed for tests and fuzzing.
 * Returns MC_OK, MC_EPARSE (err says what and where), MC_ENOENT, MC_EIO,
 * MC_ENOMEM. Any thread. */
MC_NODISCARD mc_err dcm_scan_file(const char *path, char *err, size_t errlen);

/* What dcm_extract_tags_ex noticed besides the tags. */
typedef struct dcm_extract_notes {
	bool   charset_warning; /* bytes replaced by U+FFFD */
	size_t values_cut;      /* values cut to the DCM_VALUE_MAX_* caps */
	char   first_cut[64];   /* key of the first cut value, or "" */
	size_t first_cut_bytes; /* its length in the file */
} dcm_extract_notes;

/* dcm_extract_tags_ex - dcm_extract_tags, reporting cut values as well
 * (notes may be NULL). A value longer than DCM_VALUE_MAX_BYTES or with
 * more than DCM_VALUE_MAX_VM values is cut to them (each kept value has
 * its trailing spaces removed) and counted in notes; the caller logs it.
 * Time is linear in the value sizes. */
MC_NODISCARD mc_err dcm_extract_tags_ex(const char *path,
    const dcm_taglist *extra, mc_tagset *out, dcm_extract_notes *notes,
    char *err, size_t errlen);

/* dcm_scan_mem - dcm_scan_file on a file of size bytes whose first len
 * bytes are at head (borrowed). *undecided is set when the walk needed
 * bytes past those: its result then says nothing about the file. Errors
 * as dcm_scan_file's, err without a file name. Any thread. */
MC_NODISCARD mc_err dcm_scan_mem(const void *head, size_t len, uint64_t size,
    bool *undecided, char *err, size_t errlen);

/* dcm_extract_tags_mem - dcm_extract_tags_ex on the file path of size
 * bytes whose first head_len bytes are at head (borrowed; the same bytes
 * as the file's), without reading the file when those bytes decide: the
 * dataset's elements and every value the tags need lie within them
 * (values past them may be skipped, as DCMTK skips PixelData), the same
 * nesting and length bounds as dcm_scan_file hold, and DCMTK parses them
 * without error. Otherwise path is read as dcm_extract_tags_ex reads it,
 * so that tags, notes, codes and messages are always what
 * dcm_extract_tags_ex(path) gives. path NULL: MC_EAGAIN (out untouched)
 * when the bytes in memory do not decide. Any thread. */
MC_NODISCARD mc_err dcm_extract_tags_mem(const void *head, size_t head_len,
    uint64_t size, const char *path, const dcm_taglist *extra, mc_tagset *out,
    dcm_extract_notes *notes, char *err, size_t errlen);

/* ---- serving associations ------------------------------------------ */

/* DICOM status codes we answer with. */
#define DCM_STATUS_SUCCESS 0x0000
#define DCM_STATUS_OUT_OF_RESOURCES 0xA700
#define DCM_STATUS_DATASET_MISMATCH 0xA900
#define DCM_STATUS_CANNOT_UNDERSTAND 0xC000

typedef struct dcm_assoc_info {
	char peer_address[64]; /* numeric, no reverse DNS */
	char calling_aet[17];
	char called_aet[17];
} dcm_assoc_info;

typedef struct dcm_store_req {
	const char *tmp_path;         /* the received file, closed */
	const char *sop_class_uid;    /* from the C-STORE request */
	const char *sop_instance_uid; /* from the C-STORE request */
	uint64_t    bytes;            /* size of tmp_path */
	int         write_errno; /* != 0: writing tmp_path failed (ENOSPC) */
	uint64_t    prealloc; /* > 0: tmp_path came from open_tmp, this long */
	/* the first head_len bytes of tmp_path's data (at most
	 * DCM_STORE_HEAD_MAX), valid during on_store: for
	 * dcm_extract_tags_mem. head_len 0: none kept */
	const void *head;
	size_t      head_len;
} dcm_store_req;

/* How many of a received instance's first bytes stay in memory: a small
 * image whole, the header of a CT or MR slice up to its PixelData. */
#define DCM_STORE_HEAD_MAX (64u * 1024u)

/* on_store - called in the association's thread once a C-STORE's
 * dataset is in req->tmp_path (file meta header included, bit-preserving)
 * or could not be written (req->write_errno set, the file may be partial
 * or absent). The callee owns the temp file from then on: it renames or
 * removes it. Returns the DICOM status to answer. *cookie may be set to
 * anything; it is given to after_response. */
typedef uint16_t (*dcm_on_store_fn)(void *ctx, const dcm_assoc_info *a,
    const dcm_store_req *req, void **cookie);
/* after_response - called after the C-STORE response was sent (or could
 * not be), with on_store's cookie. May be NULL. */
typedef void (*dcm_after_response_fn)(void *ctx, void *cookie);
/* dcm_open_tmp_fn - where the next C-STORE's bytes go: an fd open for
 * writing at offset 0 of a file of *prealloc bytes (path filled), or -1
 * for an ordinary new temp file. size_hint: the association's previous
 * instance's size (0 for its first). */
typedef int (*dcm_open_tmp_fn)(void *ctx, uint64_t size_hint, char *path,
    size_t pathlen, uint64_t *prealloc);

/* dcm_need_space_fn - writing a received instance ran out of space: free
 * what can be freed (spare files); true: worth one more try, which each
 * instance gets once. */
typedef bool (*dcm_need_space_fn)(void *ctx);

typedef struct dcm_scp_opts {
	const char *aet;                /* our AE title */
	bool        require_called_aet; /* reject other called AE titles */
	bool        accept_compressed;  /* JPEG, JPEG-LS, J2K, RLE, deflate */
	const char *tmp_dir;            /* temp files go here (same fs!) */
	unsigned    acse_timeout_s;     /* 0: 30; whole deadline for the TLS
	                                   handshake and the association
	                                   request once serving starts */
	unsigned dimse_timeout_s;       /* 0: 60; whole deadline for each
	                                   command, idle wait included */
	unsigned              max_pdu;  /* 0: 16384 */
	const char           *tls_key;  /* all three set: TLS; else plain */
	const char           *tls_cert;
	const char           *tls_ca; /* peers must present a cert from it */
	dcm_on_store_fn       on_store;
	dcm_after_response_fn after_response;
	void                 *ctx;
	dcm_open_tmp_fn       open_tmp; /* NULL: always ordinary temp files */
	bool early_writeback; /* start writing large files to disk while they
	                         arrive (when each is flushed before its
	                         answer) */
	unsigned min_rate;    /* bytes/s a dataset must arrive at, judged
	                         per rate window; 0: no minimum */
	unsigned          rate_window_s; /* 0: 30 */
	dcm_need_space_fn need_space; /* NULL: no space refuses the instance */
} dcm_scp_opts;

typedef struct dcm_scp dcm_scp;

/* dcm_scp_create - prepare an acceptor network that never listens itself
 * (DCMTK would bind 0.0.0.0; the caller owns the listening socket). opts
 * is copied (strings too). TLS key/cert/CA problems give MC_ECONFIG. */
MC_NODISCARD mc_err dcm_scp_create(
    const dcm_scp_opts *opts, dcm_scp **out, char *err, size_t errlen);
void dcm_scp_destroy(dcm_scp *s); /* NULL: no-op; no serve may be running */

/* dcm_scp_serve - run one association on the connected socket fd until it
 * ends: negotiate (every storage SOP class DCMTK knows plus Verification,
 * unknown SOP classes too; uncompressed transfer syntaxes, plus the
 * compressed ones when accept_compressed), answer C-ECHO, receive
 * C-STOREs through on_store, refuse other commands. Takes ownership of fd
 * (always closed on return). Many threads may serve at once, TLS
 * handshakes included; only DCMTK's reading of its process-global
 * external socket handle is serialised inside. Deadlines: the TLS
 * handshake and the request within acse_timeout_s, each command within
 * dimse_timeout_s, each dataset at min_rate per rate_window_s; a peer
 * past one is cut and MC_ETIMEDOUT returned with err saying which.
 * Returns MC_OK for a released association, or an error for an aborted
 * or failed one (info and err filled as known). */
mc_err dcm_scp_serve(
    dcm_scp *s, int fd, dcm_assoc_info *info, char *err, size_t errlen);

/* dcm_scp_abort_all - shut down the socket of every association being
 * served, and of every one that starts later: each dcm_scp_serve returns
 * soon with MC_ETIMEDOUT (an instance already answered stays answered).
 * For a shutdown that must not wait for slow peers. Any thread. */
void dcm_scp_abort_all(dcm_scp *s);

/* dcm_scp_uses_tls - whether s expects TLS connections. */
bool dcm_scp_uses_tls(const dcm_scp *s);

/* ---- the first bytes of a connection ------------------------------- */

/* The peer's first record is an A-ASSOCIATE-RQ PDU or, with TLS, the
 * handshake record holding the ClientHello. dcm_request_header_len - how
 * many bytes say its length (6 or 5; at most DCM_REQUEST_HEADER_MAX).
 * dcm_request_len - given those bytes h, the whole record's length, or 0
 * if it is something else or too long to wait for (DCMTK then reads and
 * answers it itself). Any thread. */
#define DCM_REQUEST_HEADER_MAX 6
size_t dcm_request_header_len(bool tls);
size_t dcm_request_len(const unsigned char *h, bool tls);

/* dcm_reject_pdu - an A-ASSOCIATE-RJ "transient, local limit exceeded"
 * into out; returns its length (10), or 0 if cap is too small. A
 * connection over the limit gets it without DCMTK and without a thread
 * (plain DICOM only; with TLS there is no plaintext to send). */
#define DCM_REJECT_PDU_LEN 10
size_t dcm_reject_pdu(unsigned char *out, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
