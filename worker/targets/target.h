/* target.h - the dispatch targets: one struct of function pointers per
 * target type (as curl's struct Curl_ssl per TLS backend), found by
 * mercure's target_type string. Each type reads its named target's
 * configuration as flat key=value strings (task/target_cfg.h). The types
 * are the rows of config/target_types.def (shared with the
 * configuration's checks); a new type is a row there, a target_<name>.c
 * that defines its target_ops, and a line in worker/CMakeLists.txt
 * (docs/internals/adding-a-target.md). */
#ifndef MC_WORKER_TARGET_H
#define MC_WORKER_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "base/mc_err.h"
#include "task/target_cfg.h"

#define TARGET_ERROR_MAX_LEN 511

/* ---- what a send gets and gives ------------------------------------- */

struct sent_log;

/* The task a target sends for (all borrowed, never NULL; "" = unknown). */
typedef struct task_ctx {
	const char *task_id;
	const char *task_dir;
	const char *sender_address; /* info.sender_address */
	const char *sender_aet;     /* info.sender_aet */
	const char *receiver_aet;   /* info.receiver_aet */
	/* the types that stream (stream_open set) append each file the
	 * peer acknowledged here (sent_log.h); NULL: no log */
	struct sent_log *sent;
} task_ctx;

/* The files to send: paths (borrowed), sorted by name. */
typedef struct target_files {
	const char *const *paths;
	size_t             n;
} target_files;

/* The outcome of one target. error is "" on success. */
typedef struct target_result {
	size_t sent;   /* instances / files delivered */
	size_t failed; /* not delivered */
	bool   retryable;
	char   error[TARGET_ERROR_MAX_LEN + 1];
	/* per-instance outcomes as a JSON array (malloc'ed; the caller
	 * frees it), for the types that report them (dicom); else NULL */
	char *instances_json;
} target_result;

/* target_result_fail - set retryable and a formatted error (the first
 * error wins: a later call keeps the text already there). */
void target_result_fail(target_result *r, bool retryable, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- target types ---------------------------------------------------- */

/* A send in stream mode: the files are given one at a time while the
 * series arrives (docs/targets.md, streaming). */
typedef struct target_stream target_stream;

typedef struct target_ops {
	/* send - deliver every file. Returns MC_OK only when all were
	 * delivered (res->sent == files->n counted as the type counts);
	 * otherwise an error with res->error, res->retryable and the
	 * counts set. res is zeroed by the caller. Runs in the worker's
	 * thread; may block up to the target's timeouts. Never NULL. */
	mc_err (*send)(const target_cfg *cfg, const task_ctx *ctx,
	    const target_files *files, target_result *res);
	/* test - connectivity check (C-ECHO, an HTTP request, an SFTP login,
	 * a HEAD, folder writable); NULL when the type has none. MC_OK with
	 * msg saying what was checked, or an error with msg saying why it
	 * failed. Never puts a secret into msg. */
	mc_err (*test)(
	    const target_cfg *cfg, const task_ctx *ctx, char *msg, size_t len);
	/* The streaming interface; all three NULL for the types that
	 * cannot stream (they are sent in series mode once the series is
	 * complete). A type that streams acknowledges each file and
	 * appends it to ctx->sent.
	 * stream_open - check the configuration and get ready; nothing
	 * is connected yet. MC_OK with *out new, or an error with err
	 * (MC_ECONFIG: a retry cannot help). ctx must outlive the stream.
	 * stream_send - send one file now. MC_OK when the peer
	 * acknowledged it; MC_EPARSE when this file alone cannot be sent
	 * (not DICOM, no usable transfer syntax: the stream goes on);
	 * any other error when the stream failed (refused, lost, a
	 * failure status): every later call records its file as not
	 * sent and returns that error without trying.
	 * stream_close - end the stream (release), fill res as send
	 * does for all the files given, free s; the return value is
	 * send's. */
	mc_err (*stream_open)(const target_cfg *cfg, const task_ctx *ctx,
	    target_stream **out, char *err, size_t errlen);
	mc_err (*stream_send)(target_stream *s, const char *path);
	mc_err (*stream_close)(target_stream *s, target_result *res);
} target_ops;

/* One row of config/target_types.def that the worker sends to. */
typedef struct target_type {
	const char       *name; /* mercure's target_type: "dicom", "folder" */
	const target_ops *ops;  /* target_ops_<name>, in target_<name>.c */
} target_type;

/* target_ops_<name> of every DISPATCH row */
#define TARGET_TYPE(name, unknown, dispatch, fields)                          \
	TARGET_OPS_DECLARE_##dispatch(name)
#define TARGET_OPS_DECLARE_DISPATCH(name)                                     \
	extern const target_ops target_ops_##name;
#define TARGET_OPS_DECLARE_CONFIG_ONLY(name)
#include "config/target_types.def"
#undef TARGET_OPS_DECLARE_CONFIG_ONLY
#undef TARGET_OPS_DECLARE_DISPATCH
#undef TARGET_TYPE

/* target_type_find - the type named name; NULL when unknown or when the
 * worker does not send to it (CONFIG_ONLY). */
const target_type *target_type_find(const char *name);
/* target_type_names - "dicom, dicomtls, ..." (static text) for messages. */
const char *target_type_names(void);
/* target_type_count, target_type_at - the types in table order (for
 * listing and tests); target_type_at(i) is NULL for i >= the count. */
size_t             target_type_count(void);
const target_type *target_type_at(size_t i);

/* target_url_for_log - url without user:password@ and without a query
 * string (which may hold tokens), for messages and logs. */
void target_url_for_log(const char *url, char *buf, size_t len);

/* target_file_is_filtered - true when name matches one of the
 * comma-separated globs of mercure's file_filter (files NOT to send;
 * NULL or "": none). */
bool target_file_is_filtered(const char *filter, const char *name);

#endif
