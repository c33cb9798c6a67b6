/* http_history.c - GET /api/v1/history: the audit trail, read on the
 * HTTP thread through a read-only SQLite connection of its own (as
 * --history reads it), never the loop's write connection. A search by
 * patient name, MRN or accession number finds the series whose first
 * tags match, then every event of those series and of the tasks made
 * from them; the patient name matches anywhere in it, case-folded by
 * Unicode's simple mapping (mc_fold, registered per connection). Every
 * value is bound, never spliced into the SQL. */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "http/http_int.h"
#include "http/http_query.h"

#define HTTP_HISTORY_BUSY_MS 2000
#define HTTP_FOLD_MAX 1024

static void
fold_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *s = (const char *) sqlite3_value_text(argv[0]);
	char        out[HTTP_FOLD_MAX];

	(void) argc;
	if (s == NULL || !http_utf8_fold(s, out, sizeof(out))) {
		sqlite3_result_null(ctx);
		return;
	}
	sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

/* the series chosen by the tag and UID filters (?1 patient folded, ?2
 * mrn, ?3 accession, ?4 study, ?5 series; NULL: no filter) */
#define SQL_CHOSEN                                                            \
	"chosen AS (SELECT series_uid FROM series WHERE"                      \
	" (?1 IS NULL OR instr(mc_fold(json_extract(tags,"                    \
	"   '$.PatientName')), ?1) > 0)"                                      \
	" AND (?2 IS NULL OR json_extract(tags, '$.PatientID') = ?2)"         \
	" AND (?3 IS NULL OR json_extract(tags, '$.AccessionNumber') = ?3)"   \
	" AND (?4 IS NULL OR study_uid = ?4)"                                 \
	" AND (?5 IS NULL OR series_uid = ?5)),"                              \
	" chosen_tasks AS (SELECT DISTINCT task FROM events WHERE task IS"    \
	" NOT NULL AND series IN (SELECT series_uid FROM chosen)),"           \
	" task_series AS (SELECT DISTINCT series FROM events WHERE"           \
	" task = ?6 AND series IS NOT NULL) "

/* ?7 a filter on tags or UIDs was given, ?8 since_us, ?9 until_us,
 * ?10 limit */
static const char sql[] =
    "WITH " SQL_CHOSEN
    "SELECT e.id, e.time_us, e.event, e.series, e.study, e.task, e.rule,"
    " e.target, e.info, json_extract(s.tags, '$.PatientName'),"
    " json_extract(s.tags, '$.PatientID'),"
    " json_extract(s.tags, '$.AccessionNumber')"
    " FROM events e LEFT JOIN series s ON s.series_uid = e.series"
    " WHERE (?7 = 0 OR e.series IN (SELECT series_uid FROM chosen)"
    "   OR e.task IN (SELECT task FROM chosen_tasks)"
    "   OR (?4 IS NOT NULL AND e.study = ?4))"
    " AND (?6 IS NULL OR e.task = ?6"
    "   OR e.series IN (SELECT series FROM task_series))"
    " AND (?8 IS NULL OR e.time_us >= ?8)"
    " AND (?9 IS NULL OR e.time_us < ?9)"
    " ORDER BY e.id DESC LIMIT ?10";

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s[0])
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static json_t *
column(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	json_t              *j;

	if (t == NULL)
		return json_null();
	j = json_string((const char *) t);
	return j ? j : json_string("(not UTF-8)");
}

void
http_history(http_req *r)
{
	static const char *const names[] = {"event", "series", "study", "task",
	    "rule", "target", "info", "patient_name", "patient_id",
	    "accession"};
	http_history_query       q;
	char                     err[256];
	sqlite3                 *db = NULL;
	sqlite3_stmt            *st = NULL;
	json_t                  *rows;
	int                      rc;
	bool                     filtered;

	if (http_history_query_parse(
	        http_query_get, r, &q, err, sizeof(err)) != MC_OK) {
		http_reply_error(r, 422, "%s", err);
		return;
	}
	if (sqlite3_open_v2(r->srv->db, &db, SQLITE_OPEN_READONLY, NULL) !=
	        SQLITE_OK ||
	    sqlite3_busy_timeout(db, HTTP_HISTORY_BUSY_MS) != SQLITE_OK ||
	    sqlite3_create_function(db, "mc_fold", 1,
	        SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, fold_fn, NULL,
	        NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		http_reply_error(r, 503, "the audit trail cannot be read: %s",
		    db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return;
	}
	filtered = q.patient[0] || q.mrn[0] || q.accession[0] || q.study[0] ||
	           q.series[0];
	bind_text(st, 1, q.patient);
	bind_text(st, 2, q.mrn);
	bind_text(st, 3, q.accession);
	bind_text(st, 4, q.study);
	bind_text(st, 5, q.series);
	bind_text(st, 6, q.task);
	sqlite3_bind_int(st, 7, filtered);
	if (q.since)
		sqlite3_bind_int64(st, 8, (sqlite3_int64) q.since * 1000000);
	if (q.until)
		sqlite3_bind_int64(st, 9, (sqlite3_int64) q.until * 1000000);
	sqlite3_bind_int(st, 10, (int) q.limit);
	rows = json_array();
	while (rows && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *row = json_pack("{s:I,s:f}", "id",
		    (json_int_t) sqlite3_column_int64(st, 0), "time",
		    (double) sqlite3_column_int64(st, 1) / 1e6);
		for (int i = 0; row && i < 10; i++)
			json_object_set_new(row, names[i], column(st, i + 2));
		json_array_append_new(rows, row);
	}
	if (rows && rc != SQLITE_DONE) {
		http_reply_error(r, 503, "the audit trail cannot be read: %s",
		    sqlite3_errmsg(db));
		json_decref(rows);
	} else {
		http_reply_json(r, 200, json_pack("{s:o}", "events", rows));
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}
