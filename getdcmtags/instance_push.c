/* instance_push.c - instance messages over nng PUSH. The socket buffers
 * INSTANCE_PUSH_BUFFER_MSGS messages while the coordinator is away; when
 * that is full a send waits at most INSTANCE_PUSH_SEND_TIMEOUT_MS. */
#include "instance_push.h"

#include <nng/nng.h>
#include <nng/protocol/pipeline0/push.h>
#include <nng/supplemental/util/platform.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "msg/msg_codec.h"
#include "os/sys_fs.h"

struct instance_push {
	nng_socket           sock;
	atomic_uint_fast64_t sent;
	atomic_uint_fast64_t dropped;
};

mc_err
instance_push_create(const char *url, int flags, instance_push **out)
{
	instance_push *p = calloc(1, sizeof(*p));
	int            rv;

	*out = NULL;
	if (p == NULL)
		return MC_ENOMEM;
	if ((rv = nng_push0_open(&p->sock)) != 0) {
		free(p);
		return MC_ENET;
	}
	nng_socket_set_ms(
	    p->sock, NNG_OPT_SENDTIMEO, INSTANCE_PUSH_SEND_TIMEOUT_MS);
	nng_socket_set_int(
	    p->sock, NNG_OPT_SENDBUF, INSTANCE_PUSH_BUFFER_MSGS);
	rv = nng_dial(p->sock, url, NULL,
	    flags == INSTANCE_PUSH_DIAL_NOW ? 0 : NNG_FLAG_NONBLOCK);
	if (rv != 0) {
		log_error("event=push.dial_failed url=%s err=\"%s\"", url,
		    nng_strerror(rv));
		nng_close(p->sock);
		free(p);
		return rv == NNG_EADDRINVAL || rv == NNG_ENOTSUP ? MC_EINVAL
		                                                 : MC_ENET;
	}
	*out = p;
	return MC_OK;
}

void
instance_push_destroy(instance_push *p)
{
	if (p == NULL)
		return;
	nng_close(p->sock);
	free(p);
}

void
instance_push_send(instance_push *p, const mc_instance *in)
{
	void  *buf;
	size_t len;
	int    rv;

	if (msg_encode_instance(in, &buf, &len) != MC_OK) {
		atomic_fetch_add(&p->dropped, 1);
		return;
	}
	rv = nng_send(p->sock, buf, len, 0);
	free(buf);
	if (rv != 0) {
		uint64_t n = atomic_fetch_add(&p->dropped, 1) + 1;
		/* log the first drop and then every 1000th, not each one */
		if (n == 1 || n % 1000 == 0)
			log_warn("event=push.dropped series=%s sop=%s "
			         "dropped_total=%llu err=\"%s\"",
			    in->series_uid, in->sop_uid,
			    (unsigned long long) n, nng_strerror(rv));
		return;
	}
	atomic_fetch_add(&p->sent, 1);
}

void
instance_push_send_association(instance_push *p, const mc_assoc_msg *m)
{
	void  *buf;
	size_t len;

	if (msg_encode_association(m, &buf, &len) != MC_OK) {
		atomic_fetch_add(&p->dropped, 1);
		return;
	}
	/* a lost one costs only the early completion: the series then
	 * completes by its quiet period */
	if (nng_send(p->sock, buf, len, 0) != 0)
		atomic_fetch_add(&p->dropped, 1);
	else
		atomic_fetch_add(&p->sent, 1);
	free(buf);
}

void
instance_push_send_reject(instance_push *p, const char *reason)
{
	mc_reject_msg r;
	void         *buf;
	size_t        len;

	memset(&r, 0, sizeof(r));
	snprintf(r.reason, sizeof(r.reason), "%s", reason);
	r.time_us = sys_now_us();
	if (msg_encode_reject(&r, &buf, &len) != MC_OK) {
		atomic_fetch_add(&p->dropped, 1);
		return;
	}
	if (nng_send(p->sock, buf, len, 0) != 0)
		atomic_fetch_add(&p->dropped, 1);
	else
		atomic_fetch_add(&p->sent, 1);
	free(buf);
}

void
instance_push_linger(instance_push *p)
{
	if (atomic_load(&p->sent) > 0)
		nng_msleep(INSTANCE_PUSH_LINGER_MS);
}

uint64_t
instance_push_dropped(const instance_push *p)
{
	return atomic_load(&((instance_push *) p)->dropped);
}

uint64_t
instance_push_sent(const instance_push *p)
{
	return atomic_load(&((instance_push *) p)->sent);
}
