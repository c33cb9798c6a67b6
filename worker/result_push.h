/* result_push.h - tell the coordinator that a task is done: one "result"
 * message (common/msg/msg_codec.h) over an nng PUSH socket. The message only
 * wakes the coordinator up; result.json is the record, so a failed push
 * is reported to the caller and never fails the task. */
#ifndef MC_WORKER_RESULT_PUSH_H
#define MC_WORKER_RESULT_PUSH_H

#include <stddef.h>

#include "base/mc_err.h"
#include "msg/msg_codec.h"

/* How long a send may wait for the coordinator's socket. */
#define RESULT_PUSH_SEND_TIMEOUT_MS 1000
/* nng sends in the background: give the message time to leave before
 * the socket is closed (as instance_push.c does). */
#define RESULT_PUSH_LINGER_MS 20

/* result_push_send - dial url, send m, close. Blocks at most about
 * RESULT_PUSH_SEND_TIMEOUT_MS + RESULT_PUSH_LINGER_MS. Returns MC_OK;
 * MC_EINVAL (bad URL), MC_ENET / MC_ETIMEDOUT with err filled. */
MC_NODISCARD mc_err result_push_send(
    const char *url, const mc_result_msg *m, char *err, size_t errlen);

#endif
