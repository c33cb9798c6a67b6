/* msg_codec.h - the messages between processes: msgpack maps, each with
 * "v" (protocol version) and "type". The only file that includes
 * <msgpack.h> is msg_codec.c. docs/protocol.md describes every field.
 * A message of another version or of malformed content decodes to an
 * error, never a crash. */
#ifndef MC_COMMON_MSG_CODEC_H
#define MC_COMMON_MSG_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msg/instance.h"
#include "base/mc_err.h"

#define MSG_PROTOCOL_VERSION 1
#define MSG_TYPE_MAX_LEN 31

/* msg_encode_instance - an "instance" message for in (borrowed). On MC_OK
 * *buf is malloc'ed (caller frees) and *len its size. */
MC_NODISCARD mc_err msg_encode_instance(
    const mc_instance *in, void **buf, size_t *len);

/* msg_peek_type - the "type" of a message, after checking that it is a
 * map of our protocol version. MC_EPROTO (err says why) otherwise. */
MC_NODISCARD mc_err msg_peek_type(const void *buf, size_t len,
    char type[MSG_TYPE_MAX_LEN + 1], char *err, size_t errlen);

/* msg_decode_instance - fill out (init'ed by the caller; on MC_OK it owns
 * a new tagset) from an "instance" message. Missing required fields,
 * wrong types, another version or invalid UIDs give MC_EPROTO. */
MC_NODISCARD mc_err msg_decode_instance(
    const void *buf, size_t len, mc_instance *out, char *err, size_t errlen);

/* msg_decode_instance_head - as msg_decode_instance, but the tags are
 * skipped (out->tags stays NULL): what the coordinator needs for every
 * instance of a series but the first, at a fraction of the cost. */
MC_NODISCARD mc_err msg_decode_instance_head(
    const void *buf, size_t len, mc_instance *out, char *err, size_t errlen);

/* mc_result_msg - "result": a worker finished a task. The details are in
 * the task's result.json (durable); the message only wakes the
 * coordinator up, so a lost one costs a scan, never a task. */
#define MSG_TASK_ID_MAX_LEN 63
typedef struct mc_result_msg {
	char task_id[MSG_TASK_ID_MAX_LEN + 1];
	int  ok;        /* 1: every step succeeded */
	int  exit_code; /* the worker's exit status */
} mc_result_msg;

MC_NODISCARD mc_err msg_encode_result(
    const mc_result_msg *r, void **buf, size_t *len);
MC_NODISCARD mc_err msg_decode_result(
    const void *buf, size_t len, mc_result_msg *out, char *err, size_t errlen);

/* mc_assoc_msg - "association": an association of the receiver ended,
 * and these series (UIDs validated) had instances in it that no other
 * association of that receiver still carries. Only a hint: the series'
 * files and journals stay the source of truth. */
#define MSG_ASSOC_SERIES_MAX 4096
typedef struct mc_assoc_msg {
	bool    released; /* false: aborted or failed */
	int64_t time_us;  /* the end, microseconds since the epoch */
	char    sender_address[MC_ADDR_MAX_LEN + 1];
	char    sender_aet[MC_AET_MAX_LEN + 1];
	char    receiver_aet[MC_AET_MAX_LEN + 1];
	char (*series)[MC_UID_MAX_LEN + 1]; /* n_series; owned */
	size_t n_series;
} mc_assoc_msg;

/* mc_assoc_msg_fini - free the series; the struct is zeroed. */
void                mc_assoc_msg_fini(mc_assoc_msg *m);
MC_NODISCARD mc_err msg_encode_association(
    const mc_assoc_msg *m, void **buf, size_t *len);
/* msg_decode_association - out is filled (and owns its series) on MC_OK;
 * a series UID that is not valid, more than MSG_ASSOC_SERIES_MAX of them
 * or a wrong type give MC_EPROTO. */
MC_NODISCARD mc_err msg_decode_association(
    const void *buf, size_t len, mc_assoc_msg *out, char *err, size_t errlen);

/* mc_reject_msg - "rejected": the receiver refused an instance (answered a
 * C-STORE with a failure status). Only counted by the coordinator
 * (/metrics); the reason is one of the MSG_REJECT_* words, anything else
 * counts as "other". */
#define MSG_REJECT_REASON_MAX_LEN 31
#define MSG_REJECT_NOT_STORED "not_stored"     /* write or memory failed */
#define MSG_REJECT_INVALID "invalid"           /* not DICOM, bad UIDs */
#define MSG_REJECT_SOP_MISMATCH "sop_mismatch" /* UID differs from request */
#define MSG_REJECT_DISK_FULL "disk_full"       /* no room to keep it */
#define MSG_REJECT_OTHER "other"
typedef struct mc_reject_msg {
	char    reason[MSG_REJECT_REASON_MAX_LEN + 1];
	int64_t time_us;
} mc_reject_msg;

MC_NODISCARD mc_err msg_encode_reject(
    const mc_reject_msg *r, void **buf, size_t *len);
MC_NODISCARD mc_err msg_decode_reject(
    const void *buf, size_t len, mc_reject_msg *out, char *err, size_t errlen);

#endif
