/* fuzz_pdu.c - the receiver's network input: any bytes, sent by a peer
 * over a socket, into dcm_scp_serve (association negotiation, PDU and
 * PDV framing, DIMSE commands, C-STORE data streamed to a temp file)
 * over a loopback TCP connection (DCMTK's transport refuses a socketpair:
 * it sets TCP options). A thread plays the peer: it writes the input, shuts
 * its side for writing and reads whatever the receiver answers until the
 * receiver closes. The end of the input is the end of the connection, so
 * nothing waits for a timeout. Seeds are captured real associations (echoscu,
 * storescu), so that mutations start past the A-ASSOCIATE-RQ. */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dcm/dcm_glue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_PDU_AET "MERCURE"
/* bounds a receiver waiting on a stalled peer */
#define FUZZ_PDU_TIMEOUT_S 1
#define FUZZ_PDU_CONNECT_TRIES 500 /* 10 ms apart */

typedef struct peer {
	int            fd;
	const uint8_t *data;
	size_t         size;
} peer;

static void *
peer_main(void *arg)
{
	peer   *p = arg;
	char    sink[16384];
	size_t  off = 0;
	ssize_t n;

	while (off < p->size) {
		n = write(p->fd, p->data + off, p->size - off);
		if (n <= 0)
			break; /* the receiver closed early: fine */
		off += (size_t) n;
	}
	shutdown(p->fd, SHUT_WR);
	while ((n = read(p->fd, sink, sizeof(sink))) > 0)
		;
	return NULL;
}

/* on_store - keep nothing: the file is removed, the answer is Success. */
static uint16_t
on_store(void *ctx, const dcm_assoc_info *a, const dcm_store_req *req,
    void **cookie)
{
	(void) ctx;
	(void) a;
	*cookie = NULL;
	if (req->tmp_path[0] != '\0')
		unlink(req->tmp_path);
	return DCM_STATUS_SUCCESS;
}

/* scp - one acceptor for the whole run, temp files in a private folder */
static dcm_scp *
scp(void)
{
	static dcm_scp *s;
	static char     dir[] = "/tmp/fuzz_pdu.XXXXXX";
	char            err[256];
	dcm_scp_opts    o = {0};

	if (s != NULL)
		return s;
	if (mkdtemp(dir) == NULL || dcm_glue_init(err, sizeof(err)) != MC_OK)
		abort();
	o.aet = FUZZ_PDU_AET;
	o.accept_compressed = true;
	o.tmp_dir = dir;
	o.acse_timeout_s = FUZZ_PDU_TIMEOUT_S;
	o.dimse_timeout_s = FUZZ_PDU_TIMEOUT_S;
	o.on_store = on_store;
	if (dcm_scp_create(&o, &s, err, sizeof(err)) != MC_OK) {
		fprintf(stderr, "fuzz_pdu: %s\n", err);
		abort();
	}
	return s;
}

/* listener - the loopback socket peers connect to, made once */
static int
listener(struct sockaddr_in *a, socklen_t *len)
{
	static int lfd = -1;

	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 &&
	    ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	        bind(lfd, (struct sockaddr *) a, sizeof(*a)) != 0 ||
	        listen(lfd, 4) != 0)) {
		perror("fuzz_pdu: listen");
		abort();
	}
	if (getsockname(lfd, (struct sockaddr *) a, len) != 0)
		abort();
	return lfd;
}

/* connected - a loopback TCP connection: sv[0] the receiver's end,
 * sv[1] the peer's. A failure of the host (ephemeral ports taken by
 * other programs' connection floods) is retried, not a finding. */
static void
connected(int sv[2])
{
	struct sockaddr_in a = {0};
	socklen_t          len = sizeof(a);
	int                lfd = listener(&a, &len), one = 1;

	for (int tries = 0;; tries++) {
		sv[1] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (sv[1] >= 0 &&
		    connect(sv[1], (struct sockaddr *) &a, len) == 0)
			break;
		if (tries == FUZZ_PDU_CONNECT_TRIES) {
			perror("fuzz_pdu: loopback connection");
			abort();
		}
		if (sv[1] >= 0)
			close(sv[1]);
		usleep(10000);
	}
	if ((sv[0] = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
		perror("fuzz_pdu: accept");
		abort();
	}
	/* small answers must not wait for delayed acknowledgements */
	(void) setsockopt(sv[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	(void) setsockopt(sv[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int            sv[2];
	pthread_t      t;
	peer           p = {.data = data, .size = size};
	dcm_assoc_info info;
	char           err[256];
	dcm_scp       *s = scp();

	connected(sv);
	p.fd = sv[1];
	if (pthread_create(&t, NULL, peer_main, &p) != 0)
		abort();
	if (dcm_scp_serve(s, sv[0], &info, err, sizeof(err)) != MC_OK &&
	    getenv("FUZZ_PDU_VERBOSE") != NULL)
		fprintf(stderr, "fuzz_pdu: %s\n", err);
	pthread_join(t, NULL);
	close(sv[1]);
	return 0;
}
