/* receiver_server.c - accept loop and a fixed pool of association
 * threads fed by a bounded queue of connections whose association
 * request is complete. The accept thread never blocks on a peer and
 * never starts a thread: it accepts, watches new connections until
 * their first record is in (poll, SO_RCVLOWAT), queues them, and refuses
 * what is over the limit itself with a non-blocking write (see
 * receiver_server.h for the bounds). Only the accept thread touches
 * conns; the queue is shared under mu. */
#define _GNU_SOURCE /* accept4(2), POLLRDHUP: Linux */
#include "receiver_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"

#define RECEIVER_LISTEN_BACKLOG 128
#define REFUSE_MAX 64         /* refusals waiting for the peer's close */
#define REFUSE_LINGER_MS 2000 /* how long one may wait */
#define ACCEPT_BATCH 64       /* accepts per wake-up */
#define ACCEPT_BACKOFF_MS 100 /* after EMFILE and the like */
#define FD_RELIEF_BATCH 32    /* pending connections dropped per EMFILE */
#define LOG_INTERVAL_MS 10000 /* repeated events: one line per interval */
#define DRAIN_BUF_LEN 4096

typedef enum { CONN_PENDING, CONN_REFUSING } conn_state;

/* A connection the accept thread holds: waiting for its first record,
 * or refused and waiting for the peer to close. Kept in accept order. */
typedef struct conn {
	int        fd;
	conn_state st;
	int64_t    deadline_ms;
} conn;

typedef struct queued {
	int     fd;
	int64_t since_ms;
} queued;

/* An event that a peer can repeat at will: logged once per interval with
 * the count of those not logged. */
typedef struct log_limit {
	int64_t  last_ms;
	uint64_t unlogged;
} log_limit;

struct receiver_server {
	receiver_server_opts opts;
	int                  lfd;
	unsigned             port;
	bool                 tls;
	pthread_t           *threads;
	size_t               n_threads;
	pthread_mutex_t      mu;
	pthread_cond_t       cv;      /* queue not empty, or closing */
	pthread_cond_t       done_cv; /* a thread ended */
	size_t               running; /* threads not ended */
	queued              *queue;   /* ring */
	size_t               q_cap, q_head, q_len;
	int                  closing;
	bool                 abandoned; /* threads left running at exit */
	/* accept thread only */
	conn          *conns;
	size_t         n_conns, conns_cap, n_refusing;
	struct pollfd *pfds;
	int64_t        backoff_until_ms;
	log_limit      lim_refused, lim_dropped, lim_accept;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* log_limit_due - true if this occurrence is to be logged (*unlogged:
 * how many were not since the last line); else counts it. */
static bool
log_limit_due(log_limit *l, int64_t now, uint64_t *unlogged)
{
	if (l->last_ms != 0 && now - l->last_ms < LOG_INTERVAL_MS) {
		l->unlogged++;
		return false;
	}
	*unlogged = l->unlogged;
	l->unlogged = 0;
	l->last_ms = now;
	return true;
}

static int
open_listener(const char *bind_addr, unsigned port, unsigned *bound, char *err,
    size_t errlen)
{
	struct addrinfo hints = {0}, *ai = NULL;
	char            portstr[16];
	int             fd = -1, one = 1, rv;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%u", port);
	if ((rv = getaddrinfo(bind_addr, portstr, &hints, &ai)) != 0) {
		snprintf(err, errlen, "bad bind address '%s': %s", bind_addr,
		    gai_strerror(rv));
		return -1;
	}
	fd = socket(
	    ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
	    listen(fd, RECEIVER_LISTEN_BACKLOG) != 0) {
		snprintf(err, errlen, "cannot listen on %s:%u: %s", bind_addr,
		    port, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	{
		struct sockaddr_storage ss;
		socklen_t               sl = sizeof(ss);
		getsockname(fd, (struct sockaddr *) &ss, &sl);
		*bound = ntohs(ss.ss_family == AF_INET6
		                   ? ((struct sockaddr_in6 *) &ss)->sin6_port
		                   : ((struct sockaddr_in *) &ss)->sin_port);
	}
	return fd;
}

static void *
serve_thread(void *arg)
{
	receiver_server *s = arg;

	for (;;) {
		int            fd;
		dcm_assoc_info info;
		char           err[256] = "";
		mc_err         rv;

		pthread_mutex_lock(&s->mu);
		while (s->q_len == 0 && !s->closing)
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->q_len == 0) {
			s->running--;
			pthread_cond_broadcast(&s->done_cv);
			pthread_mutex_unlock(&s->mu);
			return NULL;
		}
		fd = s->queue[s->q_head].fd;
		s->q_head = (s->q_head + 1) % s->q_cap;
		s->q_len--;
		pthread_mutex_unlock(&s->mu);

		memset(&info, 0, sizeof(info));
		rv = dcm_scp_serve(s->opts.scp, fd, &info, err, sizeof(err));
		if (s->opts.assoc_end != NULL)
			s->opts.assoc_end(
			    s->opts.assoc_ctx, &info, rv == MC_OK);
		if (rv != MC_OK) {
			char peer[LOG_ESC_LEN(sizeof(info.peer_address))];
			char calling[LOG_ESC_LEN(sizeof(info.calling_aet))];
			char called[LOG_ESC_LEN(sizeof(info.called_aet))];
			char msg[LOG_ESC_LEN(sizeof(err))];
			log_warn("event=association.failed peer=\"%s\" "
			         "calling=\"%s\" called=\"%s\" err=%s "
			         "msg=\"%s\"",
			    log_esc(peer, sizeof(peer), info.peer_address),
			    log_esc(
			        calling, sizeof(calling), info.calling_aet),
			    log_esc(called, sizeof(called), info.called_aet),
			    mc_strerror(rv), log_esc(msg, sizeof(msg), err));
		}
	}
}

/* ---- connections the accept thread holds ----------------------------- */

static void
set_lowat(int fd, size_t n)
{
	int v = (int) n;

	setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &v, sizeof(v));
}

static void
conn_remove(receiver_server *s, size_t i)
{
	if (s->conns[i].st == CONN_REFUSING)
		s->n_refusing--;
	memmove(&s->conns[i], &s->conns[i + 1],
	    (s->n_conns - i - 1) * sizeof(conn));
	s->n_conns--;
}

static void
conn_close(receiver_server *s, size_t i)
{
	close(s->conns[i].fd);
	conn_remove(s, i);
}

static void
log_dropped(receiver_server *s, const char *reason)
{
	uint64_t n;

	if (log_limit_due(&s->lim_dropped, now_ms(), &n))
		log_warn("event=connection.dropped reason=\"%s\" "
		         "not_logged=%llu",
		    reason, (unsigned long long) n);
}

/* drop_oldest_pending - make room: the connection that has waited
 * longest for its first record goes. false if there is none. */
static bool
drop_oldest_pending(receiver_server *s, const char *reason)
{
	for (size_t i = 0; i < s->n_conns; i++)
		if (s->conns[i].st == CONN_PENDING) {
			conn_close(s, i);
			log_dropped(s, reason);
			return true;
		}
	return false;
}

/* drain - read and discard what is buffered; false at EOF or error */
static bool
drain(int fd)
{
	char buf[DRAIN_BUF_LEN];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0)
			continue;
		return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		                    errno == EINTR);
	}
}

/* refuse - answer with A-ASSOCIATE-RJ without blocking, then wait (in
 * the poll set, bounded) for the peer to close: closing with its data
 * unread would reset the connection and could lose the answer. TLS has
 * no plaintext answer: closed. Over REFUSE_MAX: closed. */
static void
refuse(receiver_server *s, int fd, const char *reason)
{
	unsigned char rj[DCM_REJECT_PDU_LEN];
	size_t        n = dcm_reject_pdu(rj, sizeof(rj));
	uint64_t      unlogged;

	if (log_limit_due(&s->lim_refused, now_ms(), &unlogged))
		log_warn("event=association.refused reason=\"%s\" "
		         "max_associations=%u not_logged=%llu",
		    reason, s->opts.max_associations,
		    (unsigned long long) unlogged);
	if (s->tls || s->n_refusing >= REFUSE_MAX ||
	    s->n_conns >= s->conns_cap || !drain(fd) ||
	    send(fd, rj, n, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t) n) {
		close(fd);
		return;
	}
	shutdown(fd, SHUT_WR);
	set_lowat(fd, 1);
	s->conns[s->n_conns++] =
	    (conn){fd, CONN_REFUSING, now_ms() + REFUSE_LINGER_MS};
	s->n_refusing++;
}

/* enqueue_or_refuse - a connection whose first record is complete */
static void
enqueue_or_refuse(receiver_server *s, int fd)
{
	pthread_mutex_lock(&s->mu);
	if (s->q_len < s->q_cap) {
		s->queue[(s->q_head + s->q_len) % s->q_cap] =
		    (queued){fd, now_ms()};
		s->q_len++;
		pthread_cond_signal(&s->cv);
		fd = -1;
	}
	pthread_mutex_unlock(&s->mu);
	if (fd >= 0)
		refuse(s, fd,
		    "every association thread busy and the queue "
		    "full");
}

/* expire_queue - connections that waited longer than limit_ms for a
 * thread (0: all of them). The queue is in arrival order, so only its
 * head can be due. */
static void
expire_queue(receiver_server *s, int64_t now, int64_t limit_ms)
{
	for (;;) {
		int fd = -1;
		pthread_mutex_lock(&s->mu);
		if (s->q_len > 0 &&
		    now - s->queue[s->q_head].since_ms >= limit_ms) {
			fd = s->queue[s->q_head].fd;
			s->q_head = (s->q_head + 1) % s->q_cap;
			s->q_len--;
		}
		pthread_mutex_unlock(&s->mu);
		if (fd < 0)
			return;
		refuse(s, fd,
		    limit_ms > 0
		        ? "waited longer than queue_timeout for a thread"
		        : "the receiver is stopping");
	}
}

/* pending_ready - has the first record fully arrived? Sets SO_RCVLOWAT
 * to what is still missing, so that poll wakes only when it is there.
 * Returns 1 ready, 0 not yet, -1 the peer closed or failed. */
static int
pending_ready(receiver_server *s, int fd)
{
	unsigned char h[DCM_REQUEST_HEADER_MAX];
	const size_t  hl = dcm_request_header_len(s->tls);
	int           avail = 0;
	ssize_t       n = recv(fd, h, hl, MSG_PEEK | MSG_DONTWAIT);
	size_t        want;

	if (n == 0)
		return -1;
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ||
		               errno == EINTR
		           ? 0
		           : -1;
	if ((size_t) n < hl) {
		set_lowat(fd, hl);
		return 0;
	}
	if ((want = dcm_request_len(h, s->tls)) == 0)
		return 1; /* not a request: DCMTK answers it at once */
	if (ioctl(fd, FIONREAD, &avail) == 0 && (size_t) avail >= want)
		return 1;
	set_lowat(fd, want);
	return 0;
}

/* check_pending - after poll said conns[i] changed; true if removed */
static bool
check_pending(receiver_server *s, size_t i, short revents)
{
	int fd = s->conns[i].fd;
	int r = pending_ready(s, fd);

	if (r == 0 && !(revents & (POLLERR | POLLHUP | POLLRDHUP)))
		return false;
	conn_remove(s, i);
	if (r <= 0) {
		close(fd); /* closed before its request was complete */
		return true;
	}
	set_lowat(fd, 1);
	enqueue_or_refuse(s, fd);
	return true;
}

/* on_conn_event - poll reported something for conns[i] */
static bool
on_conn_event(receiver_server *s, size_t i, short revents)
{
	if (s->conns[i].st == CONN_PENDING)
		return check_pending(s, i, revents);
	if (drain(s->conns[i].fd) && !(revents & (POLLERR | POLLHUP)))
		return false;
	conn_close(s, i); /* the refused peer closed */
	return true;
}

static void
expire_conns(receiver_server *s, int64_t now)
{
	for (size_t i = 0; i < s->n_conns;) {
		if (now < s->conns[i].deadline_ms) {
			i++;
			continue;
		}
		if (s->conns[i].st == CONN_PENDING)
			log_dropped(s, "no association request within "
			               "handshake_timeout");
		conn_close(s, i);
	}
}

static void
on_accept_error(receiver_server *s, int err)
{
	uint64_t unlogged;

	if (err == EINTR || err == EAGAIN || err == EWOULDBLOCK ||
	    err == ECONNABORTED)
		return;
	if (log_limit_due(&s->lim_accept, now_ms(), &unlogged))
		log_error("event=accept.failed err=\"%s\" not_logged=%llu "
		          "msg=\"dropping the oldest waiting connections, or "
		          "retrying every %d ms\"",
		    strerror(err), (unsigned long long) unlogged,
		    ACCEPT_BACKOFF_MS);
	/* Out of descriptors: the connections that have waited longest for
	 * their request give theirs back, so that a sender behind them in
	 * the backlog is reached (a flood of silent connections must not
	 * lock it out). Nothing to give back (or ENOBUFS, ENOMEM): the
	 * connection stays in the backlog and poll would report it again
	 * at once, so wait instead of spinning. */
	if (err == EMFILE || err == ENFILE) {
		size_t dropped = 0;
		while (dropped < FD_RELIEF_BATCH &&
		       drop_oldest_pending(s, "out of descriptors"))
			dropped++;
		if (dropped > 0)
			return;
	}
	s->backoff_until_ms = now_ms() + ACCEPT_BACKOFF_MS;
}

static void
accept_some(receiver_server *s)
{
	const int64_t deadline =
	    now_ms() + (int64_t) s->opts.handshake_timeout_s * 1000;

	for (int k = 0; k < ACCEPT_BATCH; k++) {
		int one = 1;
		int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			on_accept_error(s, errno);
			return;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (s->n_conns - s->n_refusing >= s->opts.max_pending ||
		    s->n_conns >= s->conns_cap)
			if (!drop_oldest_pending(s, "over max_pending")) {
				close(fd);
				continue;
			}
		s->conns[s->n_conns++] = (conn){fd, CONN_PENDING, deadline};
		/* the request usually came with the connection */
		check_pending(s, s->n_conns - 1, 0);
	}
}

/* poll_timeout - until the next deadline, at most RECEIVER_STOP_POLL_MS */
static int
poll_timeout(const receiver_server *s, int64_t now)
{
	int64_t t = RECEIVER_STOP_POLL_MS;

	for (size_t i = 0; i < s->n_conns; i++)
		if (s->conns[i].deadline_ms - now < t)
			t = s->conns[i].deadline_ms - now;
	if (s->backoff_until_ms > now && s->backoff_until_ms - now < t)
		t = s->backoff_until_ms - now;
	return t < 0 ? 0 : (int) t;
}

static void
accept_round(receiver_server *s)
{
	int64_t now = now_ms();
	size_t  n;
	int     r;

	expire_queue(s, now, (int64_t) s->opts.queue_timeout_s * 1000);
	expire_conns(s, now);
	s->pfds[0] = (struct pollfd){
	    s->backoff_until_ms > now ? -1 : s->lfd, POLLIN, 0};
	for (n = 0; n < s->n_conns; n++)
		s->pfds[n + 1] =
		    (struct pollfd){s->conns[n].fd, POLLIN | POLLRDHUP, 0};
	r = poll(s->pfds, n + 1, poll_timeout(s, now));
	if (r <= 0)
		return; /* timeout, or EINTR from a signal */
	/* backwards: a removal shifts only entries already handled */
	for (size_t i = n; i-- > 0;)
		if (s->pfds[i + 1].revents != 0)
			on_conn_event(s, i, s->pfds[i + 1].revents);
	if (s->pfds[0].revents & POLLIN)
		accept_some(s);
}

mc_err
receiver_server_create(const receiver_server_opts *o, receiver_server **out,
    char *err, size_t errlen)
{
	receiver_server   *s = calloc(1, sizeof(*s));
	size_t             n = o->max_associations ? o->max_associations : 1;
	pthread_condattr_t ca;

	*out = NULL;
	if (s == NULL)
		return MC_ENOMEM;
	s->opts = *o;
	if (s->opts.handshake_timeout_s == 0)
		s->opts.handshake_timeout_s =
		    RECEIVER_HANDSHAKE_TIMEOUT_DEFAULT_S;
	if (s->opts.queue_timeout_s == 0)
		s->opts.queue_timeout_s = RECEIVER_QUEUE_TIMEOUT_DEFAULT_S;
	if (s->opts.shutdown_timeout_s == 0)
		s->opts.shutdown_timeout_s =
		    RECEIVER_SHUTDOWN_TIMEOUT_DEFAULT_S;
	if (s->opts.max_pending == 0)
		s->opts.max_pending = RECEIVER_MAX_PENDING_DEFAULT;
	s->tls = dcm_scp_uses_tls(o->scp);
	s->q_cap = n;
	s->conns_cap = s->opts.max_pending + REFUSE_MAX;
	s->queue = calloc(s->q_cap, sizeof(*s->queue));
	s->threads = calloc(n, sizeof(pthread_t));
	s->conns = calloc(s->conns_cap, sizeof(*s->conns));
	s->pfds = calloc(s->conns_cap + 1, sizeof(*s->pfds));
	if (s->queue == NULL || s->threads == NULL || s->conns == NULL ||
	    s->pfds == NULL) {
		receiver_server_destroy(s);
		return MC_ENOMEM;
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->done_cv, &ca);
	pthread_condattr_destroy(&ca);
	s->lfd = open_listener(o->bind, o->port, &s->port, err, errlen);
	if (s->lfd < 0) {
		s->lfd = 0;
		receiver_server_destroy(s);
		return MC_ENET;
	}
	for (; s->n_threads < n; s->n_threads++) {
		if (pthread_create(&s->threads[s->n_threads], NULL,
		        serve_thread, s) != 0) {
			snprintf(err, errlen, "cannot start threads");
			receiver_server_destroy(s);
			return MC_ENOMEM;
		}
		s->running++;
	}
	*out = s;
	return MC_OK;
}

unsigned
receiver_server_port(const receiver_server *s)
{
	return s->port;
}

/* wait_threads - until every serving thread ended or deadline (monotonic
 * ms) passed; true if they all ended. */
static bool
wait_threads(receiver_server *s, int64_t deadline)
{
	struct timespec ts = {
	    (time_t) (deadline / 1000), (long) (deadline % 1000) * 1000000};
	bool all;

	pthread_mutex_lock(&s->mu);
	while (s->running > 0 &&
	       pthread_cond_timedwait(&s->done_cv, &s->mu, &ts) == 0)
		;
	all = s->running == 0;
	pthread_mutex_unlock(&s->mu);
	return all;
}

static void
close_conns(receiver_server *s)
{
	while (s->n_conns > 0)
		conn_close(s, s->n_conns - 1);
}

/* stop_threads - the shutdown deadline (see receiver_server.h) */
static mc_err
stop_threads(receiver_server *s)
{
	pthread_mutex_lock(&s->mu);
	s->closing = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	if (!wait_threads(
	        s, now_ms() + (int64_t) s->opts.shutdown_timeout_s * 1000)) {
		log_warn("event=receiver.shutdown_deadline timeout_s=%u "
		         "msg=\"cutting the associations still running\"",
		    s->opts.shutdown_timeout_s);
		dcm_scp_abort_all(s->opts.scp);
		if (!wait_threads(s, now_ms() + RECEIVER_SHUTDOWN_GRACE_MS)) {
			s->abandoned = true;
			log_error("event=receiver.shutdown_forced busy=%zu "
			          "msg=\"threads still busy; exiting without "
			          "them (nothing answered is lost)\"",
			    s->running);
			return MC_ETIMEDOUT;
		}
	}
	for (size_t i = 0; i < s->n_threads; i++)
		pthread_join(s->threads[i], NULL);
	s->n_threads = 0;
	return MC_OK;
}

mc_err
receiver_server_run(receiver_server *s, volatile sig_atomic_t *stop)
{
	while (!*stop)
		accept_round(s);
	log_info("event=receiver.stopping msg=\"finishing running "
	         "associations\" timeout_s=%u",
	    s->opts.shutdown_timeout_s);
	/* what waits for a thread is not running yet: refused (the sender
	 * retries), so that only running associations delay the stop */
	expire_queue(s, now_ms(), 0);
	close_conns(s);
	return stop_threads(s);
}

void
receiver_server_destroy(receiver_server *s)
{
	if (s == NULL || s->abandoned)
		return; /* abandoned: threads still use s; the process exits */
	if (s->n_threads > 0) {
		pthread_mutex_lock(&s->mu);
		s->closing = 1;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		for (size_t i = 0; i < s->n_threads; i++)
			pthread_join(s->threads[i], NULL);
	}
	if (s->lfd > 0)
		close(s->lfd);
	for (size_t i = 0; s->queue && i < s->q_len; i++)
		close(s->queue[(s->q_head + i) % s->q_cap].fd);
	if (s->conns != NULL)
		close_conns(s);
	free(s->queue);
	free(s->threads);
	free(s->conns);
	free(s->pfds);
	if (s->q_cap) {
		pthread_mutex_destroy(&s->mu);
		pthread_cond_destroy(&s->cv);
		pthread_cond_destroy(&s->done_cv);
	}
	free(s);
}
