/* instance_push.h - telling the coordinator about stored instances: an
 * nng PUSH socket that dials the coordinator's URL. Sending never blocks
 * the receive path for longer than INSTANCE_PUSH_SEND_TIMEOUT_MS: beyond
 * that the message is dropped and counted, because the file and its
 * journal record are the source of truth and the coordinator's scan of
 * incoming/ finds the instance anyway. Thread-safe. */
#ifndef MC_GETDCMTAGS_INSTANCE_PUSH_H
#define MC_GETDCMTAGS_INSTANCE_PUSH_H

#include <stdint.h>

#include "msg/instance.h"
#include "base/mc_err.h"

#define INSTANCE_PUSH_SEND_TIMEOUT_MS 50
#define INSTANCE_PUSH_BUFFER_MSGS 8192

typedef struct instance_push instance_push;

enum {
	INSTANCE_PUSH_DIAL_BACKGROUND =
	    0,                     /* long-lived: coordinator may come later */
	INSTANCE_PUSH_DIAL_NOW = 1 /* one-shot: connect before returning */
};
/* instance_push_create - dial url as flags say. MC_EINVAL for a malformed
 * URL; MC_ENET when DIAL_NOW could not connect. */
MC_NODISCARD mc_err instance_push_create(
    const char *url, int flags, instance_push **out);
/* instance_push_linger - nng discards queued messages on close, so a
 * one-shot sender waits INSTANCE_PUSH_LINGER_MS for them to leave. */
#define INSTANCE_PUSH_LINGER_MS 20
void instance_push_linger(instance_push *p);
void instance_push_destroy(instance_push *p); /* NULL: no-op */

/* instance_push_send - encode and send; never fails the caller. */
void instance_push_send(instance_push *p, const mc_instance *in);

/* instance_push_send_association - the same for an association's end. */
struct mc_assoc_msg;
void instance_push_send_association(
    instance_push *p, const struct mc_assoc_msg *m);

/* instance_push_send_reject - a "rejected" message (reason one of
 * msg_codec.h's MSG_REJECT_*) for the coordinator's counters; as
 * instance_push_send, never fails the caller. */
void instance_push_send_reject(instance_push *p, const char *reason);

/* instance_push_dropped / _sent - counters since create. */
uint64_t instance_push_dropped(const instance_push *p);
uint64_t instance_push_sent(const instance_push *p);

#endif
