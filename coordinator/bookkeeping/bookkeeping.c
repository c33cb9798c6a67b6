/* bookkeeping.c - the audit trail (bookkeeping.h) on SQLite: schema and
 * migrations, the prepared statements, the batching transaction and the
 * key=value dump. The only file that includes <sqlite3.h>. Readers other
 * than this handle (the HTTP API) open their own connection.
 *
 * Design notes:
 * - One write transaction spans a loop iteration: bookkeeping_event and
 *   bookkeeping_series open it (BEGIN IMMEDIATE) if needed, and
 *   bookkeeping_flush commits it. With WAL and synchronous=NORMAL a commit
 *   appends to the WAL without an fsync; a power cut may lose the last
 *   batches, never corrupt the file.
 * - Writes never fail upwards. A failure is logged once per outage (the
 *   first one after a good commit), and every record that did not reach
 *   the file is counted in dropped: the failed row itself, plus the rows
 *   of a batch that SQLite rolled back or that failed to commit.
 * - Statements are prepared once, after the migration, with
 *   SQLITE_PREPARE_PERSISTENT, and reset right after each use so that no
 *   statement keeps a read open across loop iterations. */
#include "bookkeeping/bookkeeping.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/log.h"
#include "os/sys_fs.h"

#define BK_BUSY_TIMEOUT_MS 5000
#define BK_TIME_TEXT_LEN 40
#define BK_US_PER_S 1000000
#define BK_US_PER_MS 1000

/* Schema steps: bk_migrations[v] takes user_version v to v + 1. Append
 * new steps; never edit one that has shipped. */
static const char *const bk_migrations[] = {
    /* 0 -> 1 */
    "CREATE TABLE events(id INTEGER PRIMARY KEY, time_us INTEGER NOT NULL,"
    " event TEXT NOT NULL, series TEXT, study TEXT, task TEXT, rule TEXT,"
    " target TEXT, info TEXT);"
    "CREATE INDEX events_task ON events(task);"
    "CREATE INDEX events_series ON events(series);"
    "CREATE INDEX events_study ON events(study);"
    "CREATE INDEX events_time ON events(time_us);"
    "CREATE TABLE series(series_uid TEXT PRIMARY KEY, study_uid TEXT,"
    " first_seen_us INTEGER, tags TEXT);",
    /* 1 -> 2 */
    "CREATE TABLE instances(id INTEGER PRIMARY KEY,"
    " time_us INTEGER NOT NULL, task TEXT, target TEXT, attempt INTEGER,"
    " sop TEXT, file TEXT, status INTEGER, ok INTEGER);"
    "CREATE INDEX instances_task ON instances(task);"
    "CREATE INDEX instances_sop ON instances(sop);",
};
#define BK_SCHEMA_VERSION                                                     \
	((int) (sizeof(bk_migrations) / sizeof(bk_migrations[0])))

#define BK_DUMP_COLUMNS                                                       \
	"SELECT time_us, event, series, study, task, rule, target, info "

/* The series upsert keeps the first tags and first_seen_us; it only fills
 * in what an earlier call left NULL. */
#define BK_STMTS(X)                                                           \
	X(BEGIN, "BEGIN IMMEDIATE")                                           \
	X(COMMIT, "COMMIT")                                                   \
	X(ROLLBACK, "ROLLBACK")                                               \
	X(EVENT, "INSERT INTO events(time_us, event, series, study, task,"    \
	         " rule, target, info) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)")      \
	X(SERIES, "INSERT INTO series(first_seen_us, series_uid,"             \
	          " study_uid, tags) VALUES(?1,?2,?3,?4)"                     \
	          " ON CONFLICT(series_uid) DO UPDATE SET"                    \
	          " study_uid = coalesce(study_uid, excluded.study_uid),"     \
	          " tags = coalesce(tags, excluded.tags)")                    \
	X(INSTANCE,                                                           \
	    "INSERT INTO instances(time_us, task, target, attempt,"           \
	    " sop, file, status, ok) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)")        \
	X(INSTANCES_SOP,                                                      \
	    "SELECT time_us, task, target, attempt, sop, status, ok FROM"     \
	    " (SELECT * FROM instances WHERE sop = ?1"                        \
	    " ORDER BY id DESC LIMIT ?2) ORDER BY id")                        \
	X(INSTANCES_TASK,                                                     \
	    "SELECT max(time_us), task, target, attempt, count(*), sum(ok)"   \
	    " FROM instances WHERE task = ?1 GROUP BY target, attempt"        \
	    " ORDER BY attempt, target")                                      \
	X(COUNT_ALL, "SELECT count(*) FROM events")                           \
	X(COUNT_NAME, "SELECT count(*) FROM events WHERE event = ?1")         \
	X(SERIES_COUNT, "SELECT count(*) FROM series")                        \
	X(SERIES_TAGS, "SELECT tags FROM series WHERE series_uid = ?1")       \
	X(DUMP_ALL,                                                           \
	    BK_DUMP_COLUMNS "FROM (SELECT * FROM events"                      \
	                    " ORDER BY id DESC LIMIT ?1) ORDER BY id")        \
	X(DUMP_ID, BK_DUMP_COLUMNS "FROM (SELECT * FROM events"               \
	                           " WHERE task = ?1 OR series = ?1"          \
	                           " OR study = ?1"                           \
	                           " ORDER BY id DESC LIMIT ?2) ORDER BY id")

#define BK_STMT_ENUM(id, sql) BK_##id,
typedef enum { BK_STMTS(BK_STMT_ENUM) BK_STMT_COUNT } bk_stmt;
#undef BK_STMT_ENUM

#define BK_STMT_SQL(id, sql) sql,
static const char *const bk_stmt_sql[] = {BK_STMTS(BK_STMT_SQL)};
#undef BK_STMT_SQL

struct bookkeeping {
	sqlite3      *db;
	sqlite3_stmt *st[BK_STMT_COUNT];
	bool          in_tx;   /* our BEGIN succeeded, no COMMIT yet */
	bool          failing; /* a failure was logged; quiet until a commit */
	uint64_t      pending; /* rows written in the open transaction */
	uint64_t      dropped; /* records that never reached the file */
};

static mc_err
bk_err(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return MC_OK;
	case SQLITE_NOMEM:
		return MC_ENOMEM;
	case SQLITE_FULL:
		return MC_ENOSPC;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return MC_EAGAIN;
	case SQLITE_MISUSE:
	case SQLITE_RANGE:
	case SQLITE_TOOBIG:
		return MC_EINVAL;
	default:
		return MC_EIO;
	}
}

/* bk_exec - run one or more statements without results. */
static mc_err
bk_exec(
    sqlite3 *db, const char *sql, const char *what, char *err, size_t errlen)
{
	char *msg = NULL;
	int   rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc == SQLITE_OK)
		return MC_OK;
	mc_errf(err, errlen, "%s: %s", what,
	    msg != NULL ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return bk_err(rc);
}

/* bk_query_text - the first column of the first row of sql into buf. */
static mc_err
bk_query_text(sqlite3 *db, const char *sql, char *buf, size_t len, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int           rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		mc_errf(err, errlen, "%s: %s", sql, sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return bk_err(rc == SQLITE_DONE ? SQLITE_ERROR : rc);
	}
	snprintf(buf, len, "%s", (const char *) sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return MC_OK;
}

static mc_err
bk_connect(const char *path, sqlite3 **out, char *err, size_t errlen)
{
	char     dir[MC_PATH_MAX];
	sqlite3 *db = NULL;
	mc_err   rv;
	int      rc;

	*out = NULL;
	sys_dirname_of(path, dir, sizeof(dir));
	if ((rv = sys_mkdir_p(dir)) != MC_OK) {
		mc_errf(err, errlen, "cannot create folder %s: %s", dir,
		    mc_strerror(rv));
		return rv;
	}
	/* NOMUTEX: only the loop thread uses this connection. */
	rc = sqlite3_open_v2(path, &db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	    NULL);
	if (rc != SQLITE_OK) {
		mc_errf(err, errlen, "cannot open %s: %s", path,
		    db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return bk_err(rc);
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, BK_BUSY_TIMEOUT_MS);
	*out = db;
	return MC_OK;
}

/* bk_configure - WAL (refused if the file system can't do it: the audit
 * trail belongs on local disk) and synchronous=NORMAL. */
static mc_err
bk_configure(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	char   mode[16];
	mc_err rv;

	rv = bk_query_text(
	    db, "PRAGMA journal_mode=WAL", mode, sizeof(mode), err, errlen);
	if (rv != MC_OK)
		return rv;
	if (strcasecmp(mode, "wal") != 0) {
		mc_errf(err, errlen, "%s: journal_mode is %s, not wal", path,
		    mode);
		return MC_EIO;
	}
	if (sqlite3_db_readonly(db, "main") == 1) {
		mc_errf(err, errlen, "%s: database is read-only", path);
		return MC_EIO;
	}
	return bk_exec(
	    db, "PRAGMA synchronous=NORMAL", "synchronous", err, errlen);
}

static mc_err
bk_migrate_steps(sqlite3 *db, int from, char *err, size_t errlen)
{
	char   sql[64];
	mc_err rv;

	for (int v = from; v < BK_SCHEMA_VERSION; v++) {
		snprintf(sql, sizeof(sql), "migration %d -> %d", v, v + 1);
		rv = bk_exec(db, bk_migrations[v], sql, err, errlen);
		if (rv != MC_OK)
			return rv;
	}
	snprintf(
	    sql, sizeof(sql), "PRAGMA user_version=%d", BK_SCHEMA_VERSION);
	return bk_exec(db, sql, "user_version", err, errlen);
}

/* bk_migrate - bring the schema to BK_SCHEMA_VERSION in one transaction.
 * The version is read inside it, so two processes opening a new file at
 * once migrate it once. A newer file is refused with MC_EPROTO. */
static mc_err
bk_migrate(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	char   text[32];
	char  *end;
	long   v;
	mc_err rv;

	rv = bk_exec(db, "BEGIN IMMEDIATE", "begin migration", err, errlen);
	if (rv != MC_OK)
		return rv;
	rv = bk_query_text(
	    db, "PRAGMA user_version", text, sizeof(text), err, errlen);
	if (rv != MC_OK)
		goto fail;
	v = strtol(text, &end, 10);
	if (end == text || *end != '\0' || v > BK_SCHEMA_VERSION || v < 0) {
		mc_errf(err, errlen,
		    "%s: schema version %s is not one this build knows (%d)",
		    path, text, BK_SCHEMA_VERSION);
		rv = MC_EPROTO;
		goto fail;
	}
	if (v == BK_SCHEMA_VERSION)
		return bk_exec(db, "COMMIT", "commit", err, errlen);
	if ((rv = bk_migrate_steps(db, (int) v, err, errlen)) != MC_OK)
		goto fail;
	if ((rv = bk_exec(db, "COMMIT", "commit", err, errlen)) != MC_OK)
		goto fail;
	log_info("event=bookkeeping.migrated from=%ld to=%d path=%s", v,
	    BK_SCHEMA_VERSION, path);
	return MC_OK;
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rv;
}

static mc_err
bk_prepare(bookkeeping *b, char *err, size_t errlen)
{
	for (int i = 0; i < BK_STMT_COUNT; i++) {
		int rc = sqlite3_prepare_v3(b->db, bk_stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &b->st[i], NULL);
		if (rc != SQLITE_OK) {
			mc_errf(err, errlen, "prepare %s: %s", bk_stmt_sql[i],
			    sqlite3_errmsg(b->db));
			return bk_err(rc);
		}
	}
	return MC_OK;
}

static void
bk_free(bookkeeping *b)
{
	for (int i = 0; i < BK_STMT_COUNT; i++)
		sqlite3_finalize(b->st[i]);
	if (sqlite3_close(b->db) != SQLITE_OK)
		log_warn("event=bookkeeping.close_failed msg=\"%s\"",
		    sqlite3_errmsg(b->db));
	free(b);
}

mc_err
bookkeeping_open(const char *path, bookkeeping **out, char *err, size_t errlen)
{
	bookkeeping *b;
	mc_err       rv;

	mc_errf(err, errlen, "%s", "");
	if (out == NULL)
		return MC_EINVAL;
	*out = NULL;
	if (path == NULL || *path == '\0') {
		mc_errf(err, errlen, "no database path");
		return MC_EINVAL;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		mc_errf(err, errlen, "out of memory");
		return MC_ENOMEM;
	}
	if ((rv = bk_connect(path, &b->db, err, errlen)) != MC_OK)
		goto fail;
	if ((rv = bk_configure(b->db, path, err, errlen)) != MC_OK)
		goto fail;
	if ((rv = bk_migrate(b->db, path, err, errlen)) != MC_OK)
		goto fail;
	if ((rv = bk_prepare(b, err, errlen)) != MC_OK)
		goto fail;
	*out = b;
	return MC_OK;
fail:
	bk_free(b);
	return rv;
}

/* bk_step - run a statement that returns no rows, then reset it so that
 * it holds no lock and no copied strings. */
static int
bk_step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW ? SQLITE_DONE : rc;
}

/* bk_fail - count lost records; log only the first failure of an outage
 * so that a full disk gives one line, not one per event. */
static void
bk_fail(bookkeeping *b, const char *op, int rc, const char *msg, uint64_t lost)
{
	b->dropped += lost;
	if (b->failing)
		return;
	b->failing = true;
	log_warn("event=bookkeeping.failed op=%s rc=%d err=\"%s\" msg=\"%s\" "
	         "dropped=%" PRIu64,
	    op, rc, mc_strerror(bk_err(rc)), msg, b->dropped);
}

/* bk_write_failed - a row failed. Some errors (SQLITE_FULL, IOERR, NOMEM,
 * BUSY) make SQLite roll back the whole transaction: its rows are lost
 * too. */
static void
bk_write_failed(bookkeeping *b, const char *op, int rc)
{
	uint64_t lost = 1;

	if (b->in_tx && sqlite3_get_autocommit(b->db)) {
		lost += b->pending;
		b->pending = 0;
		b->in_tx = false;
	}
	bk_fail(b, op, rc, sqlite3_errmsg(b->db), lost);
}

static bool
bk_begin(bookkeeping *b)
{
	int rc;

	if (b->in_tx)
		return true;
	if ((rc = bk_step(b->st[BK_BEGIN])) != SQLITE_DONE) {
		bk_fail(b, "begin", rc, sqlite3_errmsg(b->db), 1);
		return false;
	}
	b->in_tx = true;
	b->pending = 0;
	return true;
}

static int
bk_bind_texts(sqlite3_stmt *st, int first, const char *const *v, int n)
{
	int rc = SQLITE_OK;

	for (int i = 0; i < n && rc == SQLITE_OK; i++)
		rc = sqlite3_bind_text(
		    st, first + i, v[i], -1, SQLITE_TRANSIENT);
	return rc;
}

/* bk_write - bind time_us as ?1 and v as ?2.., step, account. */
static void
bk_write(
    bookkeeping *b, bk_stmt which, const char *op, const char *const *v, int n)
{
	sqlite3_stmt *st = b->st[which];
	int           rc;

	if (!bk_begin(b))
		return;
	rc = sqlite3_bind_int64(st, 1, sys_now_us());
	if (rc == SQLITE_OK)
		rc = bk_bind_texts(st, 2, v, n);
	if (rc != SQLITE_OK) {
		sqlite3_clear_bindings(st);
		bk_fail(b, op, rc, sqlite3_errmsg(b->db), 1);
		return;
	}
	if ((rc = bk_step(st)) != SQLITE_DONE) {
		bk_write_failed(b, op, rc);
		return;
	}
	b->pending++;
}

void
bookkeeping_event(bookkeeping *b, const bk_event *e)
{
	const char *v[7];

	if (b == NULL || e == NULL)
		return;
	/* events.event is NOT NULL; mercure files nameless ones as UNKNOWN */
	v[0] = e->event != NULL ? e->event : "unknown";
	v[1] = e->series;
	v[2] = e->study;
	v[3] = e->task;
	v[4] = e->rule;
	v[5] = e->target;
	v[6] = e->info;
	bk_write(b, BK_EVENT, "event", v, 7);
}

void
bookkeeping_series(bookkeeping *b, const char *series, const char *study,
    const char *tags_json)
{
	const char *v[3];

	if (b == NULL)
		return;
	if (series == NULL) {
		bk_fail(b, "series", SQLITE_MISUSE, "no series uid", 1);
		return;
	}
	v[0] = series;
	v[1] = study;
	v[2] = tags_json;
	bk_write(b, BK_SERIES, "series", v, 3);
}

void
bookkeeping_instance(bookkeeping *b, const bk_instance *i)
{
	char        attempt[16], status[16];
	const char *v[7];

	if (b == NULL || i == NULL)
		return;
	snprintf(attempt, sizeof(attempt), "%u", i->attempt);
	snprintf(status, sizeof(status), "%ld", i->status);
	v[0] = i->task;
	v[1] = i->target;
	v[2] = attempt;
	v[3] = i->sop;
	v[4] = i->file;
	v[5] = i->status >= 0 ? status : NULL;
	v[6] = i->ok ? "1" : "0";
	bk_write(b, BK_INSTANCE, "instance", v, 7);
}

void
bookkeeping_flush(bookkeeping *b)
{
	int rc;

	if (b == NULL || !b->in_tx)
		return;
	rc = bk_step(b->st[BK_COMMIT]);
	if (rc != SQLITE_DONE) {
		bk_fail(b, "commit", rc, sqlite3_errmsg(b->db), b->pending);
		if (!sqlite3_get_autocommit(b->db))
			bk_step(b->st[BK_ROLLBACK]);
	} else if (b->failing) {
		b->failing = false;
		log_info("event=bookkeeping.recovered dropped=%" PRIu64,
		    b->dropped);
	}
	b->in_tx = false;
	b->pending = 0;
}

void
bookkeeping_close(bookkeeping *b)
{
	if (b == NULL)
		return;
	bookkeeping_flush(b);
	if (b->dropped > 0)
		log_warn(
		    "event=bookkeeping.closed dropped=%" PRIu64, b->dropped);
	bk_free(b);
}

/* bk_count - run a count(*) statement whose ?1, if any, is arg. */
static int64_t
bk_count(bookkeeping *b, bk_stmt which, const char *arg)
{
	sqlite3_stmt *st = b->st[which];
	int64_t       n = -1;
	int           rc = SQLITE_OK;

	if (arg != NULL)
		rc = sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	else
		log_warn("event=bookkeeping.query_failed rc=%d msg=\"%s\"", rc,
		    sqlite3_errmsg(b->db));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return n;
}

int64_t
bookkeeping_count(bookkeeping *b, const char *name)
{
	if (b == NULL)
		return -1;
	if (name == NULL)
		return bk_count(b, BK_COUNT_ALL, NULL);
	return bk_count(b, BK_COUNT_NAME, name);
}

int64_t
bookkeeping_series_count(bookkeeping *b)
{
	if (b == NULL)
		return -1;
	return bk_count(b, BK_SERIES_COUNT, NULL);
}

mc_err
bookkeeping_dispatch_totals(bookkeeping *b, bk_dispatch_fn fn, void *ctx)
{
	/* CAST takes the leading digits of what follows "sent=" and
	 * "failed=" */
	static const char sql[] =
	    "SELECT target,"
	    " sum(CAST(substr(info, instr(info, 'sent=') + 5) AS INTEGER)),"
	    " sum(CAST(substr(info, instr(info, 'failed=') + 7) AS INTEGER))"
	    " FROM events WHERE event = 'task.dispatched'"
	    " AND target IS NOT NULL GROUP BY target";
	sqlite3_stmt *st = NULL;
	int           rc;

	if (b == NULL)
		return MC_EINVAL;
	if (sqlite3_prepare_v2(b->db, sql, -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return MC_EIO;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(ctx, (const char *) sqlite3_column_text(st, 0),
		    sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? MC_OK : MC_EIO;
}

mc_err
bookkeeping_event_totals(
    bookkeeping *b, const char *const *names, bk_total_fn fn, void *ctx)
{
	/* a task's kind is the info of its task.started event */
	static const char sql[] =
	    "SELECT e.event, e.rule, s.info, count(*) FROM events e"
	    " LEFT JOIN (SELECT task, max(info) AS info FROM events"
	    "   WHERE event = 'task.started' GROUP BY task) s"
	    " ON s.task = e.task"
	    " WHERE e.event IN (SELECT value FROM json_each(?1))"
	    " GROUP BY e.event, e.rule, s.info";
	sqlite3_stmt *st = NULL;
	char          list[1024];
	size_t        used = 0;
	int           rc;

	if (b == NULL)
		return MC_EINVAL;
	used += (size_t) snprintf(list, sizeof(list), "[");
	for (size_t i = 0; names[i] != NULL && used < sizeof(list); i++)
		used += (size_t) snprintf(list + used, sizeof(list) - used,
		    "%s\"%s\"", i ? "," : "", names[i]);
	if (used + 2 > sizeof(list))
		return MC_EINVAL;
	snprintf(list + used, sizeof(list) - used, "]");
	if (sqlite3_prepare_v2(b->db, sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, list, -1, SQLITE_TRANSIENT) !=
	        SQLITE_OK) {
		sqlite3_finalize(st);
		return MC_EIO;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(ctx, (const char *) sqlite3_column_text(st, 0),
		    (const char *) sqlite3_column_text(st, 1),
		    (const char *) sqlite3_column_text(st, 2),
		    sqlite3_column_int64(st, 3));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? MC_OK : MC_EIO;
}

mc_err
bookkeeping_series_tags(
    bookkeeping *b, const char *series, char *buf, size_t buflen)
{
	sqlite3_stmt *st;
	const char   *tags;
	mc_err        rv = MC_ENOENT;
	int           rc;

	if (buf != NULL && buflen > 0)
		buf[0] = '\0';
	if (b == NULL || series == NULL || buf == NULL || buflen == 0)
		return MC_EINVAL;
	st = b->st[BK_SERIES_TAGS];
	rc = sqlite3_bind_text(st, 1, series, -1, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		tags = (const char *) sqlite3_column_text(st, 0);
		if (tags != NULL)
			rv =
			    (size_t) snprintf(buf, buflen, "%s", tags) < buflen
			        ? MC_OK
			        : MC_EINVAL;
	} else if (rc != SQLITE_DONE) {
		rv = bk_err(rc);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rv;
}

uint64_t
bookkeeping_dropped(const bookkeeping *b)
{
	return b != NULL ? b->dropped : 0;
}

/* bk_time_text - "2026-11-29T13:00:00.123Z" (UTC, milliseconds). */
static void
bk_time_text(int64_t us, char *buf, size_t len)
{
	int64_t   sec = us / BK_US_PER_S;
	int64_t   rem = us % BK_US_PER_S;
	time_t    t;
	struct tm tm;
	size_t    n;

	if (rem < 0) {
		rem += BK_US_PER_S;
		sec--;
	}
	t = (time_t) sec;
	if (gmtime_r(&t, &tm) == NULL ||
	    (n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm)) == 0) {
		snprintf(buf, len, "%" PRId64 "us", us);
		return;
	}
	snprintf(buf + n, len - n, ".%03dZ", (int) (rem / BK_US_PER_MS));
}

static bool
bk_needs_quotes(const unsigned char *v)
{
	if (*v == '\0')
		return true;
	for (; *v != '\0'; v++)
		if (*v <= ' ' || *v == '"' || *v == '\\' || *v == '=' ||
		    *v == 0x7f)
			return true;
	return false;
}

/* bk_put_value - v as is, or quoted with \" \\ \n \t \xHH escapes, so
 * that one event is always one line. */
static void
bk_put_value(FILE *f, const unsigned char *v)
{
	if (!bk_needs_quotes(v)) {
		fputs((const char *) v, f);
		return;
	}
	fputc('"', f);
	for (; *v != '\0'; v++) {
		if (*v == '"' || *v == '\\')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else if (*v == '\t')
			fputs("\\t", f);
		else if (*v < ' ' || *v == 0x7f)
			fprintf(f, "\\x%02x", *v);
		else
			fputc(*v, f);
	}
	fputc('"', f);
}

/* bk_put_row - one dump line from a DUMP_* row; NULL columns omitted. */
static void
bk_put_row(sqlite3_stmt *st, FILE *f)
{
	static const char *const keys[] = {
	    "event", "series", "study", "task", "rule", "target", "info"};
	char time_text[BK_TIME_TEXT_LEN];

	bk_time_text(
	    sqlite3_column_int64(st, 0), time_text, sizeof(time_text));
	fprintf(f, "time=%s", time_text);
	for (int i = 0; i < (int) (sizeof(keys) / sizeof(keys[0])); i++) {
		const unsigned char *v = sqlite3_column_text(st, i + 1);
		if (v == NULL)
			continue;
		fprintf(f, " %s=", keys[i]);
		bk_put_value(f, v);
	}
	fputc('\n', f);
}

/* bk_put_col - column i of st as bk_put_value writes it ("" for NULL) */
static void
bk_put_col(sqlite3_stmt *st, int i, FILE *f)
{
	const unsigned char *v = sqlite3_column_text(st, i);

	bk_put_value(f, v != NULL ? v : (const unsigned char *) "");
}

/* an instance of the SOP asked for: one attempt to one target */
static void
bk_put_instance(sqlite3_stmt *st, FILE *f)
{
	char time_text[BK_TIME_TEXT_LEN];

	bk_time_text(
	    sqlite3_column_int64(st, 0), time_text, sizeof(time_text));
	fprintf(f, "time=%s event=%s task=", time_text,
	    sqlite3_column_int(st, 6) ? "instance.sent" : "instance.failed");
	bk_put_col(st, 1, f);
	fputs(" target=", f);
	bk_put_col(st, 2, f);
	fprintf(f, " attempt=%d sop=", sqlite3_column_int(st, 3));
	bk_put_col(st, 4, f);
	if (sqlite3_column_type(st, 5) == SQLITE_NULL)
		fputs(" status=none\n", f);
	else
		fprintf(f, " status=0x%04x\n",
		    (unsigned) sqlite3_column_int(st, 5) & 0xffffu);
}

/* a task's instances, one line per target and attempt */
static void
bk_put_task_instances(sqlite3_stmt *st, FILE *f)
{
	char time_text[BK_TIME_TEXT_LEN];

	bk_time_text(
	    sqlite3_column_int64(st, 0), time_text, sizeof(time_text));
	fprintf(f, "time=%s event=task.instances task=", time_text);
	bk_put_col(st, 1, f);
	fputs(" target=", f);
	bk_put_col(st, 2, f);
	fprintf(f, " attempt=%d instances=%lld delivered=%lld\n",
	    sqlite3_column_int(st, 3), (long long) sqlite3_column_int64(st, 4),
	    (long long) sqlite3_column_int64(st, 5));
}

typedef void (*bk_put_fn)(sqlite3_stmt *st, FILE *f);

/* bk_dump_one - rows of statement which for id (NULL: none bound) and
 * limit n (bound after id when limit_at > 0), each printed by put */
static int
bk_dump_one(bookkeeping *b, bk_stmt which, const char *id, int limit_at, int n,
    bk_put_fn put, FILE *f)
{
	sqlite3_stmt *st = b->st[which];
	int           rows = 0;
	int           rc = SQLITE_OK;

	if (id != NULL)
		rc = sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK && limit_at > 0)
		rc = sqlite3_bind_int(st, limit_at, n > 0 ? n : -1);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		put(st, f);
		rows++;
		rc = SQLITE_OK;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		log_warn("event=bookkeeping.query_failed op=dump rc=%d "
		         "msg=\"%s\"",
		    rc, sqlite3_errmsg(b->db));
		return -1;
	}
	return rows;
}

/* bookkeeping_dump - n <= 0 prints all matching rows. Returns -1 on a
 * query error (logged), else the rows printed. */
int
bookkeeping_dump(bookkeeping *b, const char *id, int n, FILE *f)
{
	int rows, more;

	if (b == NULL || f == NULL)
		return -1;
	if (id == NULL)
		return bk_dump_one(b, BK_DUMP_ALL, NULL, 1, n, bk_put_row, f);
	rows = bk_dump_one(b, BK_DUMP_ID, id, 2, n, bk_put_row, f);
	if (rows < 0)
		return -1;
	/* a task's instances as counts; a SOP instance's each attempt */
	more = bk_dump_one(
	    b, BK_INSTANCES_TASK, id, 0, n, bk_put_task_instances, f);
	if (more < 0)
		return -1;
	rows += more;
	more = bk_dump_one(b, BK_INSTANCES_SOP, id, 2, n, bk_put_instance, f);
	return more < 0 ? -1 : rows + more;
}
