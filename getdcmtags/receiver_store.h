/* receiver_store.h - the part of receiving that happens once an
 * instance's bytes are complete in a file: read its header, validate the
 * UIDs, move it to <incoming>/<SeriesUID>/<SOPInstanceUID>.dcm, record
 * it (series journal for the receiver, .tags sidecar for getdcmtags).
 * Used by mercure-receiver for every C-STORE and by getdcmtags, so that
 * both give the same layout and tags. */
#ifndef MC_GETDCMTAGS_RECEIVER_STORE_H
#define MC_GETDCMTAGS_RECEIVER_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "dcm/dcm_glue.h"
#include "msg/instance.h"

typedef enum {
	STORE_RECORD_JOURNAL, /* mercure-receiver: append to the journal */
	STORE_RECORD_SIDECAR  /* getdcmtags: <SOP>.tags beside the file */
} store_record_mode;

typedef struct receiver_store_opts {
	const char *incoming;    /* <storage_root>/incoming, or dir of FILE */
	const char *path_prefix; /* message path = prefix/<series>/<sop>.dcm */
	const dcm_taglist *extra; /* borrowed; may be NULL */
	store_record_mode  mode;
	bool               fsync; /* flush the file before success */
	struct tmp_pool *pool; /* shares flushes of pool files; may be NULL */
	/* getdcmtags --set-tag: "Name=value" each (borrowed), set in the
	 * tags after they are read, over any value the file has; mercure's
	 * query tool forces a rule this way (mercureForceRule) */
	const char *const *set_tags;
	size_t             n_set_tags;
} receiver_store_opts;

typedef struct store_origin {
	const char *sender_address;
	const char *sender_aet;
	const char *receiver_aet;
	const char *expected_sop_uid; /* from the C-STORE request, or NULL */
	uint64_t    bytes;    /* src's data length; 0: unknown (stat it) */
	uint64_t    prealloc; /* > 0: src is a tmp_pool file this long */
	/* src's first head_len bytes (borrowed), for reading the tags
	 * without reading src back; head_len 0: none */
	const void *head;
	size_t      head_len;
} store_origin;

/* Names in the receiver's temp folder. A transfer the receiver finished
 * is renamed to STORE_DONE_PREFIX "<bytes>-<crc32 hex>-<old name>" at the
 * durable point (before the flush of a new file, after the seal of a
 * pre-written one): the length and CRC let recovery tell a finished file
 * from one whose data the crash did not keep. Recovery renames a file to
 * STORE_RECOVERING_PREFIX... before it parses it, so a file whose parse
 * kills the process is never parsed again. */
#define STORE_DONE_PREFIX ".done-"
#define STORE_RECOVERING_PREFIX ".rec-"

/* store_done_parse - the length and CRC a STORE_DONE_PREFIX name holds;
 * false if name is not one. */
bool store_done_parse(const char *name, uint64_t *bytes, uint32_t *crc);

/* receiver_store_recovered - receiver_store_file for a file recovery
 * found finished and verified (no new marker, a full flush). */
MC_NODISCARD mc_err receiver_store_recovered(const receiver_store_opts *o,
    const char *src, mc_instance *out, char *reason, size_t reason_len);

/* receiver_store_file - take the complete file src (owned from now on: it
 * ends in its place or in <incoming>/error/, or is removed when the disk
 * is full because it is then incomplete). On MC_OK out (init'ed by the
 * caller) holds the instance with its tags. In STORE_RECORD_JOURNAL mode
 * (src in the receiver's temp folder) src is renamed to its
 * STORE_DONE_PREFIX name at the durable point. A value cut to the
 * DCM_VALUE_MAX_* caps is logged (event=instance.value_cut). On failure
 * reason says why,
 * and *status is the DICOM status to answer with (0xC000 for bad data,
 * 0xA700 out of resources, 0xA900 when the dataset's SOP Instance UID
 * differs from the request's). Any thread. */
MC_NODISCARD mc_err receiver_store_file(const receiver_store_opts *o,
    const char *src, const store_origin *org, mc_instance *out,
    uint16_t *status, char *reason, size_t reason_len);

#endif
