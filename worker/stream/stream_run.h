/* stream_run.h - the streaming part of a stream task (docs/tasks.md,
 * docs/targets.md): while the coordinator links the series' instances
 * into in/ and lists them in stream.list, each target whose type can
 * stream (target_ops.stream_open) is sent each instance as soon as it is
 * listed; once stream.end exists, in/ is complete and each is sent what
 * it has not acknowledged yet. The other targets are task_run.c's, in
 * series mode, afterwards. */
#ifndef MC_WORKER_STREAM_RUN_H
#define MC_WORKER_STREAM_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "base/mc_err.h"
#include "sent_log.h"
#include "targets/target.h"

#define STREAM_END_NAME "stream.end"

/* One streaming target. The caller sets name, cfg and ops (a type with
 * stream_open) and zeroes the rest; stream_run sets ok, r (the caller
 * frees r.instances_json) and already; the others are its own. */
typedef struct stream_target {
	const char       *name;
	const target_cfg *cfg;
	const target_ops *ops;
	bool              ok;
	target_result     r;
	size_t            already; /* in the sent/ log: not sent again */
	/* private to stream_run */
	task_ctx       ctx;
	sent_log      *log;
	target_stream *s; /* NULL: could not start */
	bool           stopped;
	size_t         not_given; /* files never given to s */
	bool           open_retryable;
	char           open_err[TARGET_ERROR_MAX_LEN + 1];
} stream_target;

typedef enum {
	STREAM_ENDED,      /* stream.end came: in/ is complete */
	STREAM_ALL_FAILED, /* every target failed and there is no other */
	STREAM_IDLE,       /* nothing new for idle_s: the task fails */
} stream_outcome;

typedef struct stream_opts {
	const task_ctx *ctx; /* the task's (ctx->sent is not read) */
	unsigned        idle_s;
	bool            others; /* targets to send in series mode after */
} stream_opts;

/* stream_run - stream to t[0..n) (n may be 0: then only wait for
 * stream.end) until stream.end, until every target failed (when
 * o->others is false), or until nothing happened for o->idle_s seconds:
 * *how says which. Each target ends released with its outcome set; with
 * STREAM_IDLE every target failed, retryable, with err (the task's
 * error, also set then). An error return (in/ cannot be listed:
 * MC_EREFUSED..., MC_ENOMEM) has err set, and the targets' outcomes are
 * not to be reported. */
MC_NODISCARD mc_err stream_run(const stream_opts *o, stream_target *t,
    size_t n, stream_outcome *how, char *err, size_t errlen);

#endif
