/* receiver_server.h - the DICOM listening socket and the threads that
 * serve associations. DCMTK would listen on 0.0.0.0 whatever we asked;
 * this binds the configured address itself.
 *
 * What a peer can hold, and for how long:
 * - A new connection costs one descriptor and no thread: the accept
 *   thread keeps it until its first record (the A-ASSOCIATE-RQ, or with
 *   TLS the ClientHello) is complete, for at most handshake_timeout_s.
 *   At most max_pending wait so; beyond, the oldest is dropped, so idle
 *   connections can never lock a sender out.
 * - A connection whose request is complete goes to one of
 *   max_associations threads (dcm_scp_serve, with its own deadlines), or
 *   waits in a queue of max_associations places for at most
 *   queue_timeout_s. Beyond the queue, or after that wait, it is refused
 *   politely (A-ASSOCIATE-RJ, transient, local limit exceeded; a TLS
 *   connection is just closed), without a thread, so a sender retries.
 * - accept() failing for lack of descriptors backs off and is logged once
 *   per interval; the oldest waiting connection is dropped to make room. */
#ifndef MC_GETDCMTAGS_RECEIVER_SERVER_H
#define MC_GETDCMTAGS_RECEIVER_SERVER_H

#include <signal.h>
#include <stdbool.h>

#include "dcm/dcm_glue.h"
#include "base/mc_err.h"

#define RECEIVER_HANDSHAKE_TIMEOUT_DEFAULT_S 30
#define RECEIVER_QUEUE_TIMEOUT_DEFAULT_S 20
#define RECEIVER_SHUTDOWN_TIMEOUT_DEFAULT_S 30
#define RECEIVER_MAX_PENDING_DEFAULT 256

typedef struct receiver_server_opts {
	const char *bind;                /* "0.0.0.0", "127.0.0.1", "::" */
	unsigned    port;                /* 0: any free port */
	unsigned    max_associations;    /* serving threads, >= 1 */
	dcm_scp    *scp;                 /* borrowed; outlives the server */
	unsigned    handshake_timeout_s; /* 0: the default above */
	unsigned    queue_timeout_s;     /* 0: the default above */
	unsigned    shutdown_timeout_s;  /* 0: the default above */
	unsigned    max_pending;         /* 0: the default above */
	/* assoc_end - called in the association's thread when it ended
	 * (released: true for an A-RELEASE, false for an abort or a
	 * failure); NULL: not called */
	void (*assoc_end)(
	    void *ctx, const dcm_assoc_info *info, bool released);
	void *assoc_ctx;
} receiver_server_opts;

typedef struct receiver_server receiver_server;

/* receiver_server_create - bind and listen; err says why not (address in
 * use, bad address). Threads start here too. */
MC_NODISCARD mc_err receiver_server_create(const receiver_server_opts *o,
    receiver_server **out, char *err, size_t errlen);
/* receiver_server_port - the port actually bound (useful with port 0). */
unsigned receiver_server_port(const receiver_server *s);
/* receiver_server_run - accept until *stop becomes non-zero (checked at
 * least every RECEIVER_STOP_POLL_MS); then stop accepting and let running
 * associations finish, for at most shutdown_timeout_s: then every
 * association still running is cut (dcm_scp_abort_all; an instance
 * already answered is durable, one not answered yet the sender sends
 * again). Returns MC_OK once every thread has ended, or MC_ETIMEDOUT if
 * one is still busy RECEIVER_SHUTDOWN_GRACE_MS after the cut (e.g. in
 * our own processing of an instance): the caller must then exit the
 * process without destroying s or the dcm_scp. Call from one thread. */
#define RECEIVER_STOP_POLL_MS 200
#define RECEIVER_SHUTDOWN_GRACE_MS 5000
MC_NODISCARD mc_err receiver_server_run(
    receiver_server *s, volatile sig_atomic_t *stop);
/* receiver_server_destroy - NULL: no-op. Only after run has returned
 * MC_OK or if it was never called. */
void receiver_server_destroy(receiver_server *s);

#endif
