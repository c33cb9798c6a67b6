/* bookkeeping.h - the audit trail in SQLite (WAL): who sent what, which
 * rule fired, every task event, config reloads. On the coordinator's
 * local disk, never on shared storage. Written only from the loop thread;
 * events are batched into one transaction per loop iteration
 * (bookkeeping_flush from the before-sleep hook), so recording an event
 * costs a prepared-statement step, not an fsync. Other readers (the
 * operator's --history) open their own read-only connection. */
#ifndef MC_COORDINATOR_BOOKKEEPING_H
#define MC_COORDINATOR_BOOKKEEPING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/mc_err.h"

typedef struct bookkeeping bookkeeping;

/* bk_event - one row of the events table. Any field may be NULL. */
typedef struct bk_event {
	const char *event; /* stable name: "series.received", "task.created" */
	const char *series; /* SeriesInstanceUID */
	const char *study;  /* StudyInstanceUID */
	const char *task;   /* task id */
	const char *rule;
	const char *target;
	const char *info; /* free text or compact JSON */
} bk_event;

/* bookkeeping_open - open or create the database at path (parent folders
 * are created), WAL mode, schema migrated to the current version. errmsg
 * gets SQLite's text on failure. */
MC_NODISCARD mc_err bookkeeping_open(
    const char *path, bookkeeping **out, char *err, size_t errlen);
void bookkeeping_close(bookkeeping *b); /* flushes; NULL: no-op */

/* bookkeeping_event - queue e (strings copied by SQLite at bind time)
 * with the current wall-clock time. Starts a transaction if none is open.
 * A failure is logged once and counted, never returned: the audit trail
 * must not stop routing. */
void bookkeeping_event(bookkeeping *b, const bk_event *e);

/* bookkeeping_series - record a series' first tags for the audit trail
 * (one row per series, upserted). tags_json is compact JSON. */
void bookkeeping_series(bookkeeping *b, const char *series, const char *study,
    const char *tags_json);

/* bk_instance - one instance of one attempt at one target (the task's
 * result.json "instances"). Strings may be NULL. */
typedef struct bk_instance {
	const char *task, *target, *sop, *file;
	unsigned    attempt;
	long        status; /* the peer's C-STORE status; -1: none */
	bool        ok;     /* delivered */
} bk_instance;

/* bookkeeping_instance - queue one row of the instances table, as
 * bookkeeping_event does an event. */
void bookkeeping_instance(bookkeeping *b, const bk_instance *i);

/* bookkeeping_flush - commit the open transaction, if any. */
void bookkeeping_flush(bookkeeping *b);

/* bookkeeping_count - rows in events whose event equals name (NULL: all);
 * for tests and --status. -1 on error. */
int64_t bookkeeping_count(bookkeeping *b, const char *name);

/* bookkeeping_dump - print the last n events (newest last) for a task, a
 * series or a study (id matched against all three) to f as key=value
 * lines; id NULL prints the last n of all. With an id, then: for a task
 * one event=task.instances line per target and attempt (instances and
 * delivered counted), for a SOP Instance UID the last n of its
 * event=instance.sent / instance.failed lines. Returns rows printed. */
#include <stdio.h>
int bookkeeping_dump(bookkeeping *b, const char *id, int n, FILE *f);

/* bookkeeping_series_count - rows in series; for tests and --status. -1
 * on error. Loop thread. */
int64_t bookkeeping_series_count(bookkeeping *b);

/* bookkeeping_series_tags - copy the tags_json stored for series into buf
 * (always NUL-terminated when buflen > 0). Returns MC_OK, MC_ENOENT (no
 * row, or no tags), MC_EINVAL (buf too small: truncated) or MC_EIO.
 * Loop thread. */
MC_NODISCARD mc_err bookkeeping_series_tags(
    bookkeeping *b, const char *series, char *buf, size_t buflen);

/* bk_total_fn - one row of bookkeeping_event_totals: how many events
 * of name (with rule, and the kind their task started as; either may be
 * NULL) the trail holds. */
typedef void (*bk_total_fn)(void *ctx, const char *event, const char *rule,
    const char *kind, int64_t n);

/* bookkeeping_event_totals - fn for every (event, rule, kind) among the
 * events named in names (NULL-terminated), so that counters can start
 * from the trail after a restart. One scan; loop thread, at start.
 * Returns MC_OK or MC_EIO. */
MC_NODISCARD mc_err bookkeeping_event_totals(
    bookkeeping *b, const char *const *names, bk_total_fn fn, void *ctx);

/* bk_dispatch_fn - one row of bookkeeping_dispatch_totals: the instances
 * sent to and failed at target by every task.dispatched event. */
typedef void (*bk_dispatch_fn)(
    void *ctx, const char *target, int64_t sent, int64_t failed);

/* bookkeeping_dispatch_totals - fn for every target of the task.dispatched
 * events (info "sent=N failed=M"), summed in one scan; loop thread, at
 * start. Returns MC_OK or MC_EIO. */
MC_NODISCARD mc_err bookkeeping_dispatch_totals(
    bookkeeping *b, bk_dispatch_fn fn, void *ctx);

/* bookkeeping_dropped - records (events and series) that never reached
 * the database since open: failed steps plus rows of a failed commit.
 * For tests and --status. Loop thread. */
uint64_t bookkeeping_dropped(const bookkeeping *b);

#endif
