/* receiver_server.c - accept loop and a fixed pool of association
 * threads fed by a bounded queue of connected sockets. The accept thread
 * never blocks on a peer: it only accepts, queues, or (queue full) hands
 * the connection to a short-lived refusal thread. */
#include "receiver_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

#define RECEIVER_LISTEN_BACKLOG 128

struct receiver_server {
	receiver_server_opts opts;
	int                  lfd;
	unsigned             port;
	pthread_t           *threads;
	size_t               n_threads;
	pthread_mutex_t      mu;
	pthread_cond_t       cv;
	int                 *queue; /* ring of connected fds */
	size_t               q_cap, q_head, q_len;
	int                  closing;
};

static int
open_listener(const char *bind_addr, unsigned port, unsigned *bound,
    char *err, size_t errlen)
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
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
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
			pthread_mutex_unlock(&s->mu);
			return NULL;
		}
		fd = s->queue[s->q_head];
		s->q_head = (s->q_head + 1) % s->q_cap;
		s->q_len--;
		pthread_mutex_unlock(&s->mu);

		memset(&info, 0, sizeof(info));
		rv = dcm_scp_serve(s->opts.scp, fd, &info, err, sizeof(err));
		if (rv != MC_OK)
			log_warn("event=association.failed peer=%s calling=%s "
				 "called=%s err=%s msg=\"%s\"",
			    info.peer_address, info.calling_aet,
			    info.called_aet, mc_strerror(rv), err);
	}
}

typedef struct refusal {
	dcm_scp *scp;
	int      fd;
} refusal;

static void *
refuse_thread(void *arg)
{
	refusal *r = arg;

	dcm_scp_refuse(r->scp, r->fd);
	free(r);
	return NULL;
}

/* refuse - in a detached thread, so a slow peer never stalls accept() */
static void
refuse(receiver_server *s, int fd)
{
	refusal  *r = malloc(sizeof(*r));
	pthread_t t;

	log_warn("event=association.refused reason=\"over the limit of %u "
		 "associations plus %zu waiting\"",
	    s->opts.max_associations, s->q_cap);
	if (r == NULL) {
		close(fd);
		return;
	}
	r->scp = s->opts.scp;
	r->fd = fd;
	if (pthread_create(&t, NULL, refuse_thread, r) != 0) {
		close(fd);
		free(r);
		return;
	}
	pthread_detach(t);
}

mc_err
receiver_server_create(const receiver_server_opts *o, receiver_server **out,
    char *err, size_t errlen)
{
	receiver_server *s = calloc(1, sizeof(*s));
	size_t           n = o->max_associations ? o->max_associations : 1;

	*out = NULL;
	if (s == NULL)
		return MC_ENOMEM;
	s->opts = *o;
	s->q_cap = n;
	s->queue = calloc(s->q_cap, sizeof(int));
	s->threads = calloc(n, sizeof(pthread_t));
	if (s->queue == NULL || s->threads == NULL) {
		receiver_server_destroy(s);
		return MC_ENOMEM;
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->lfd = open_listener(o->bind, o->port, &s->port, err, errlen);
	if (s->lfd < 0) {
		s->lfd = 0;
		receiver_server_destroy(s);
		return MC_ENET;
	}
	for (; s->n_threads < n; s->n_threads++)
		if (pthread_create(&s->threads[s->n_threads], NULL,
			serve_thread, s) != 0) {
			snprintf(err, errlen, "cannot start threads");
			receiver_server_destroy(s);
			return MC_ENOMEM;
		}
	*out = s;
	return MC_OK;
}

unsigned
receiver_server_port(const receiver_server *s)
{
	return s->port;
}

static void
enqueue_or_refuse(receiver_server *s, int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	pthread_mutex_lock(&s->mu);
	if (s->q_len < s->q_cap) {
		s->queue[(s->q_head + s->q_len) % s->q_cap] = fd;
		s->q_len++;
		pthread_cond_signal(&s->cv);
		fd = -1;
	}
	pthread_mutex_unlock(&s->mu);
	if (fd >= 0)
		refuse(s, fd);
}

mc_err
receiver_server_run(receiver_server *s, volatile sig_atomic_t *stop)
{
	struct pollfd pfd = {.fd = s->lfd, .events = POLLIN};

	while (!*stop) {
		int fd, n = poll(&pfd, 1, RECEIVER_STOP_POLL_MS);
		if (n <= 0)
			continue; /* timeout, or EINTR from a signal */
		fd = accept(s->lfd, NULL, NULL);
		if (fd < 0) {
			if (errno != EINTR && errno != EAGAIN &&
			    errno != ECONNABORTED)
				log_warn("event=accept.failed err=\"%s\"",
				    strerror(errno));
			continue;
		}
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		enqueue_or_refuse(s, fd);
	}
	log_info("event=receiver.stopping msg=\"finishing running "
		 "associations\"");
	pthread_mutex_lock(&s->mu);
	s->closing = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	for (size_t i = 0; i < s->n_threads; i++)
		pthread_join(s->threads[i], NULL);
	s->n_threads = 0;
	return MC_OK;
}

void
receiver_server_destroy(receiver_server *s)
{
	if (s == NULL)
		return;
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
		close(s->queue[(s->q_head + i) % s->q_cap]);
	free(s->queue);
	free(s->threads);
	if (s->q_cap) {
		pthread_mutex_destroy(&s->mu);
		pthread_cond_destroy(&s->cv);
	}
	free(s);
}
