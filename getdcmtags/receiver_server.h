/* receiver_server.h - the DICOM listening socket and the threads that
 * serve associations. DCMTK would listen on 0.0.0.0 whatever we asked;
 * this binds the configured address itself and hands each accepted
 * connection to dcm_scp_serve() on one of max_associations threads.
 * Up to max_associations further connections wait in a queue; beyond
 * that, a connection is refused politely (A-ASSOCIATE-RJ, transient,
 * local limit exceeded) so a sender retries instead of hanging. */
#ifndef MC_GETDCMTAGS_RECEIVER_SERVER_H
#define MC_GETDCMTAGS_RECEIVER_SERVER_H

#include <signal.h>

#include "dcm_glue.h"
#include "mc_err.h"

typedef struct receiver_server_opts {
	const char *bind;             /* "0.0.0.0", "127.0.0.1", "::" */
	unsigned    port;             /* 0: any free port */
	unsigned    max_associations; /* serving threads, >= 1 */
	dcm_scp    *scp;              /* borrowed; outlives the server */
} receiver_server_opts;

typedef struct receiver_server receiver_server;

/* receiver_server_create - bind and listen; err says why not (address in
 * use, bad address). Threads start here too. */
MC_NODISCARD mc_err receiver_server_create(const receiver_server_opts *o,
    receiver_server **out, char *err, size_t errlen);
/* receiver_server_port - the port actually bound (useful with port 0). */
unsigned receiver_server_port(const receiver_server *s);
/* receiver_server_run - accept until *stop becomes non-zero (checked at
 * least every RECEIVER_STOP_POLL_MS); then stop accepting, let running
 * associations finish, and return. Call from one thread. */
#define RECEIVER_STOP_POLL_MS 200
MC_NODISCARD mc_err receiver_server_run(receiver_server *s,
    volatile sig_atomic_t *stop);
/* receiver_server_destroy - NULL: no-op. Only after run has returned or
 * if it was never called. */
void receiver_server_destroy(receiver_server *s);

#endif
