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

#include "dcm_glue.h"
#include "instance.h"

typedef enum {
	STORE_RECORD_JOURNAL, /* mercure-receiver: append to the journal */
	STORE_RECORD_SIDECAR  /* getdcmtags: <SOP>.tags beside the file */
} store_record_mode;

typedef struct receiver_store_opts {
	const char        *incoming; /* <storage_root>/incoming, or dir of FILE */
	const char        *path_prefix; /* message path = prefix/<series>/<sop>.dcm */
	const dcm_taglist *extra;   /* borrowed; may be NULL */
	store_record_mode  mode;
	bool               fsync;    /* flush the file before success */
	struct tmp_pool   *pool;     /* shares flushes of pool files; may be NULL */
} receiver_store_opts;

typedef struct store_origin {
	const char *sender_address;
	const char *sender_aet;
	const char *receiver_aet;
	const char *expected_sop_uid; /* from the C-STORE request, or NULL */
	uint64_t    bytes;    /* src's data length; 0: unknown (stat it) */
	uint64_t    prealloc; /* > 0: src is a tmp_pool file this long */
} store_origin;

/* receiver_store_file - take the complete file src (owned from now on: it
 * ends in its place or in <incoming>/error/, or is removed when the disk
 * is full because it is then incomplete). On MC_OK out (init'ed by the
 * caller) holds the instance with its tags. On failure reason says why,
 * and *status is the DICOM status to answer with (0xC000 for bad data,
 * 0xA700 out of resources, 0xA900 when the dataset's SOP Instance UID
 * differs from the request's). Any thread. */
MC_NODISCARD mc_err receiver_store_file(const receiver_store_opts *o,
    const char *src, const store_origin *org, mc_instance *out,
    uint16_t *status, char *reason, size_t reason_len);

#endif
