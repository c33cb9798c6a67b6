/* result_push.c - the worker's only nng use: dial the coordinator, push
 * one result message, linger briefly, close. A synchronous dial fails at
 * once when nobody listens, which is what we want for a one-shot. */
#include "result_push.h"

#include <nng/nng.h>
#include <nng/protocol/pipeline0/push.h>
#include <nng/supplemental/util/platform.h>
#include <stdio.h>
#include <stdlib.h>

mc_err
result_push_send(
    const char *url, const mc_result_msg *m, char *err, size_t errlen)
{
	nng_socket sock;
	void      *buf;
	size_t     len;
	int        rv;
	mc_err     e;

	if ((e = msg_encode_result(m, &buf, &len)) != MC_OK) {
		snprintf(err, errlen, "encoding result message: %s",
		    mc_strerror(e));
		return e;
	}
	if ((rv = nng_push0_open(&sock)) != 0) {
		free(buf);
		snprintf(err, errlen, "nng socket: %s", nng_strerror(rv));
		return MC_ENET;
	}
	nng_socket_set_ms(
	    sock, NNG_OPT_SENDTIMEO, RESULT_PUSH_SEND_TIMEOUT_MS);
	if ((rv = nng_dial(sock, url, NULL, 0)) != 0) {
		snprintf(err, errlen, "dial %s: %s", url, nng_strerror(rv));
		free(buf);
		nng_close(sock);
		return rv == NNG_EADDRINVAL || rv == NNG_ENOTSUP ? MC_EINVAL
		                                                 : MC_ENET;
	}
	rv = nng_send(sock, buf, len, 0);
	free(buf);
	if (rv != 0) {
		snprintf(err, errlen, "send to %s: %s", url, nng_strerror(rv));
		nng_close(sock);
		return rv == NNG_ETIMEDOUT ? MC_ETIMEDOUT : MC_ENET;
	}
	nng_msleep(RESULT_PUSH_LINGER_MS);
	nng_close(sock);
	return MC_OK;
}
