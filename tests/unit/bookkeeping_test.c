/* bookkeeping_test.c - the audit trail keeps what it was given across
 * restarts, commits a batch at once, refuses bad paths with a reason, and
 * prints the key=value lines an operator greps. */
#include <check.h>
#include <regex.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "check_tmpdir.h"

#include "bookkeeping/bookkeeping.h"
#include "base/log.h"
#include "os/sys_fs.h"

#define BK_TEST_MANY_EVENTS 10000
#define BK_TEST_BUSY_TIMEOUT_S 30
#define BK_TEST_BUF_LEN 4096

static char path[128];
static char err[256];

static void
setup(void)
{
	mc_check_tmpdir_setup();
	/* a sub folder proves that open creates parents */
	snprintf(
	    path, sizeof(path), "%s/db/bookkeeping.sqlite", mc_check_tmpdir);
}

static bookkeeping *
open_ok(void)
{
	bookkeeping *b = NULL;

	ck_assert_msg(bookkeeping_open(path, &b, err, sizeof(err)) == MC_OK,
	    "open: %s", err);
	ck_assert_ptr_nonnull(b);
	return b;
}

/* dump_text - bookkeeping_dump into a string, the time= field of each
 * line checked against the format and then cut off. */
static int
dump_text(bookkeeping *b, const char *id, int n, char *out, size_t len)
{
	char   *buf = NULL, *line, *next;
	size_t  size = 0;
	FILE   *f = open_memstream(&buf, &size);
	regex_t re;
	size_t  used;
	int     rows;

	ck_assert_ptr_nonnull(f);
	rows = bookkeeping_dump(b, id, n, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(
	    regcomp(&re,
	        "^time=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}"
	        ":[0-9]{2}\\.[0-9]{3}Z ",
	        REG_EXTENDED | REG_NOSUB),
	    0);
	out[0] = '\0';
	used = 0;
	for (line = buf; *line != '\0'; line = next) {
		next = strchr(line, '\n');
		ck_assert_ptr_nonnull(next);
		*next++ = '\0';
		ck_assert_msg(
		    regexec(&re, line, 0, NULL, 0) == 0, "bad line: %s", line);
		used += (size_t) snprintf(
		    out + used, len - used, "%s\n", strchr(line, ' ') + 1);
		ck_assert_uint_lt(used, len);
	}
	regfree(&re);
	free(buf);
	return rows;
}

static void
add_three(bookkeeping *b)
{
	bookkeeping_event(b, &(bk_event){.event = "series.received",
	                         .series = "1.2.3.4",
	                         .study = "1.2.3"});
	bookkeeping_event(b, &(bk_event){.event = "task.created",
	                         .series = "1.2.3.4",
	                         .study = "1.2.3",
	                         .task = "t-1",
	                         .rule = "ct",
	                         .target = "pacs",
	                         .info = "2 files, \"fast\""});
	bookkeeping_event(b, &(bk_event){.event = "task.created",
	                         .series = "1.2.3.9",
	                         .task = "t-2",
	                         .rule = "mr",
	                         .info = "line1\nline2"});
}

static const char expect_all[] =
    "event=series.received series=1.2.3.4 study=1.2.3\n"
    "event=task.created series=1.2.3.4 study=1.2.3 task=t-1 rule=ct "
    "target=pacs info=\"2 files, \\\"fast\\\"\"\n"
    "event=task.created series=1.2.3.9 task=t-2 rule=mr "
    "info=\"line1\\nline2\"\n";

START_TEST(events_survive_close_and_reopen)
{
	bookkeeping *b = open_ok();
	char         text[BK_TEST_BUF_LEN];

	add_three(b);
	bookkeeping_close(b); /* flushes */
	b = open_ok();
	ck_assert_int_eq(bookkeeping_count(b, NULL), 3);
	ck_assert_int_eq(bookkeeping_count(b, "task.created"), 2);
	ck_assert_int_eq(bookkeeping_count(b, "series.received"), 1);
	ck_assert_int_eq(bookkeeping_count(b, "no.such.event"), 0);
	ck_assert_int_eq(dump_text(b, NULL, 0, text, sizeof(text)), 3);
	ck_assert_str_eq(text, expect_all);
	ck_assert_uint_eq(bookkeeping_dropped(b), 0);
	bookkeeping_close(b);
}
END_TEST

START_TEST(a_new_database_is_at_schema_version_2)
{
	char    *file = NULL;
	size_t   len = 0;
	uint32_t v;

	bookkeeping_close(open_ok());
	ck_assert_int_eq(sys_read_file(path, &file, &len), MC_OK);
	ck_assert_uint_ge(len, 100);
	ck_assert_int_eq(memcmp(file, "SQLite format 3", 16), 0);
	/* the header holds PRAGMA user_version big-endian at offset 60 */
	v = (uint32_t) (unsigned char) file[60] << 24 |
	    (uint32_t) (unsigned char) file[61] << 16 |
	    (uint32_t) (unsigned char) file[62] << 8 |
	    (uint32_t) (unsigned char) file[63];
	ck_assert_uint_eq(v, 2);
	/* WAL mode is persistent: bytes 18 and 19 are 2 */
	ck_assert_int_eq(file[18], 2);
	ck_assert_int_eq(file[19], 2);
	free(file);
}
END_TEST

START_TEST(a_newer_schema_version_is_refused_with_text)
{
	bookkeeping *b = NULL;
	char        *file = NULL;
	size_t       len = 0;

	bookkeeping_close(open_ok());
	ck_assert_int_eq(sys_read_file(path, &file, &len), MC_OK);
	file[63] = 9;
	ck_assert_int_eq(sys_write_file_atomic(path, file, len), MC_OK);
	free(file);
	ck_assert_int_eq(
	    bookkeeping_open(path, &b, err, sizeof(err)), MC_EPROTO);
	ck_assert_ptr_null(b);
	ck_assert_ptr_nonnull(strstr(err, "schema version 9"));
}
END_TEST

/* events seen by another connection: only what was committed */
static int
committed_events(void)
{
	sqlite3      *db = NULL;
	sqlite3_stmt *st = NULL;
	int           n = -1;

	ck_assert_int_eq(
	    sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(
	                     db, "SELECT count(*) FROM events", -1, &st, NULL),
	    SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* recording is cheap because events wait in one open transaction that a
 * flush commits: nothing of the batch is visible before, all of it after */
START_TEST(many_events_are_committed_by_one_flush)
{
	bookkeeping *b = open_ok();
	char         task[32];

	bookkeeping_flush(b);
	ck_assert_int_eq(committed_events(), 0);
	for (int i = 0; i < BK_TEST_MANY_EVENTS; i++) {
		snprintf(task, sizeof(task), "t-%d", i);
		bookkeeping_event(b, &(bk_event){.event = "task.created",
		                         .series = "1.2.3.4",
		                         .task = task,
		                         .info = "{\"files\":3}"});
	}
	ck_assert_int_eq(committed_events(), 0);
	bookkeeping_flush(b);
	ck_assert_int_eq(committed_events(), BK_TEST_MANY_EVENTS);
	ck_assert_int_eq(bookkeeping_count(b, NULL), BK_TEST_MANY_EVENTS);
	ck_assert_int_eq(
	    bookkeeping_count(b, "task.created"), BK_TEST_MANY_EVENTS);
	ck_assert_uint_eq(bookkeeping_dropped(b), 0);
	bookkeeping_close(b);
}
END_TEST

START_TEST(an_unwritable_path_gives_an_error_with_text)
{
	bookkeeping *b = (bookkeeping *) &b; /* must come back NULL */
	char         file[128], bad[192];

	/* a regular file where a folder should be: fails even as root */
	snprintf(file, sizeof(file), "%s/file", mc_check_tmpdir);
	ck_assert_int_eq(sys_write_file_atomic(file, "x", 1), MC_OK);
	snprintf(bad, sizeof(bad), "%s/sub/bk.sqlite", file);
	ck_assert_int_ne(bookkeeping_open(bad, &b, err, sizeof(err)), MC_OK);
	ck_assert_ptr_null(b);
	ck_assert_ptr_nonnull(strstr(err, file));

	/* a folder where the database should be */
	b = (bookkeeping *) &b;
	ck_assert_int_ne(
	    bookkeeping_open(mc_check_tmpdir, &b, err, sizeof(err)), MC_OK);
	ck_assert_ptr_null(b);
	ck_assert_ptr_nonnull(strstr(err, mc_check_tmpdir));
	ck_assert_ptr_nonnull(strstr(err, "unable to open"));

	ck_assert_int_eq(
	    bookkeeping_open("", &b, err, sizeof(err)), MC_EINVAL);
	ck_assert_str_ne(err, "");
}
END_TEST

START_TEST(dump_filters_by_id_and_prints_the_expected_lines)
{
	bookkeeping *b = open_ok();
	char         text[BK_TEST_BUF_LEN];

	add_three(b); /* not flushed: the writer sees its own batch */
	ck_assert_int_eq(dump_text(b, "t-1", 10, text, sizeof(text)), 1);
	ck_assert_str_eq(text,
	    "event=task.created series=1.2.3.4 study=1.2.3 task=t-1 rule=ct "
	    "target=pacs info=\"2 files, \\\"fast\\\"\"\n");
	ck_assert_int_eq(dump_text(b, "1.2.3.4", 10, text, sizeof(text)), 2);
	ck_assert_ptr_nonnull(strstr(text, "event=series.received"));
	ck_assert_ptr_nonnull(strstr(text, "task=t-1"));
	ck_assert_int_eq(dump_text(b, "1.2.3", 10, text, sizeof(text)), 2);
	ck_assert_int_eq(dump_text(b, "nothing", 10, text, sizeof(text)), 0);
	ck_assert_str_eq(text, "");
	/* the last n, newest last */
	ck_assert_int_eq(dump_text(b, NULL, 1, text, sizeof(text)), 1);
	ck_assert_ptr_nonnull(strstr(text, "task=t-2"));
	ck_assert_int_eq(dump_text(b, NULL, 100, text, sizeof(text)), 3);
	ck_assert_str_eq(text, expect_all);
	bookkeeping_close(b);
}
END_TEST

/* the schema of version 1 as it shipped, with one event in it */
START_TEST(a_version_1_database_is_migrated_with_its_events)
{
	sqlite3     *db = NULL;
	bookkeeping *b;
	char         text[BK_TEST_BUF_LEN], dir[160];

	snprintf(dir, sizeof(dir), "%s/db", mc_check_tmpdir);
	ck_assert_int_eq(sys_mkdir_p(dir), MC_OK);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(
	    sqlite3_exec(db,
	        "CREATE TABLE events(id INTEGER PRIMARY KEY, time_us INTEGER "
	        "NOT NULL, event TEXT NOT NULL, series TEXT, study TEXT, task "
	        "TEXT, rule TEXT, target TEXT, info TEXT);"
	        "CREATE TABLE series(series_uid TEXT PRIMARY KEY, study_uid "
	        "TEXT, first_seen_us INTEGER, tags TEXT);"
	        "INSERT INTO events(time_us, event, task) VALUES(1, "
	        "'task.created', 'old-1');"
	        "PRAGMA user_version = 1;",
	        NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	b = open_ok();
	ck_assert_int_eq(dump_text(b, "old-1", 10, text, sizeof(text)), 1);
	ck_assert_str_eq(text, "event=task.created task=old-1\n");
	bk_instance i = {
	    "old-1", "pacs", "1.2.3.4.5", "a#1.2.3.4.5.dcm", 1, 0, true};
	bookkeeping_instance(b, &i);
	ck_assert_int_eq(dump_text(b, "1.2.3.4.5", 10, text, sizeof(text)), 1);
	bookkeeping_close(b);
}
END_TEST

START_TEST(instances_dump_per_task_and_per_sop)
{
	bookkeeping *b = open_ok();
	char         text[BK_TEST_BUF_LEN];
	bk_instance  i = {
	     "t-9", "pacs", "1.2.9.1", "s#1.2.9.1.dcm", 1, 0xa700, false};

	bookkeeping_instance(b, &i); /* refused by the peer */
	i.attempt = 2;
	i.status = 0;
	i.ok = true;
	bookkeeping_instance(b, &i); /* the retry delivered it */
	i.sop = "1.2.9.2";
	i.file = "s#1.2.9.2.dcm";
	bookkeeping_instance(b, &i);
	i.target = "arch";
	i.status = -1; /* never sent: no status */
	i.ok = false;
	bookkeeping_instance(b, &i);
	bookkeeping_flush(b);
	ck_assert_int_eq(dump_text(b, "t-9", 10, text, sizeof(text)), 3);
	ck_assert_str_eq(text,
	    "event=task.instances task=t-9 target=pacs attempt=1 instances=1 "
	    "delivered=0\n"
	    "event=task.instances task=t-9 target=arch attempt=2 instances=1 "
	    "delivered=0\n"
	    "event=task.instances task=t-9 target=pacs attempt=2 instances=2 "
	    "delivered=2\n");
	ck_assert_int_eq(dump_text(b, "1.2.9.1", 10, text, sizeof(text)), 2);
	ck_assert_str_eq(text,
	    "event=instance.failed task=t-9 target=pacs attempt=1 sop=1.2.9.1 "
	    "status=0xa700\n"
	    "event=instance.sent task=t-9 target=pacs attempt=2 sop=1.2.9.1 "
	    "status=0x0000\n");
	ck_assert_int_eq(dump_text(b, "1.2.9.2", 1, text, sizeof(text)), 1);
	ck_assert_str_eq(text,
	    "event=instance.failed task=t-9 target=arch attempt=2 sop=1.2.9.2 "
	    "status=none\n");
	ck_assert_uint_eq(bookkeeping_dropped(b), 0);
	bookkeeping_close(b);
}
END_TEST

START_TEST(series_upsert_keeps_one_row)
{
	bookkeeping *b = open_ok();
	char         tags[128];

	bookkeeping_series(b, "1.2.3.4", NULL, "{\"Modality\":\"CT\"}");
	bookkeeping_series(b, "1.2.3.4", "1.2.3", "{\"Modality\":\"MR\"}");
	bookkeeping_series(b, "1.2.3.5", "1.2.3", NULL);
	bookkeeping_flush(b);
	bookkeeping_series(b, "1.2.3.4", "1.2.3", "{}");
	bookkeeping_close(b);
	b = open_ok();
	ck_assert_int_eq(bookkeeping_series_count(b), 2);
	ck_assert_int_eq(
	    bookkeeping_series_tags(b, "1.2.3.4", tags, sizeof(tags)), MC_OK);
	ck_assert_str_eq(tags, "{\"Modality\":\"CT\"}"); /* the first */
	ck_assert_int_eq(
	    bookkeeping_series_tags(b, "1.2.3.5", tags, sizeof(tags)),
	    MC_ENOENT);
	ck_assert_int_eq(
	    bookkeeping_series_tags(b, "9.9", tags, sizeof(tags)), MC_ENOENT);
	ck_assert_int_eq(bookkeeping_count(b, NULL), 0);
	bookkeeping_close(b);
}
END_TEST

START_TEST(a_locked_database_drops_and_counts_but_does_not_stop)
{
	bookkeeping *a = open_ok();
	bookkeeping *b = open_ok();

	bookkeeping_event(a, &(bk_event){.event = "a.first"});
	/* a holds the write lock: b waits busy_timeout, then gives up */
	bookkeeping_event(b, &(bk_event){.event = "b.lost"});
	ck_assert_uint_eq(bookkeeping_dropped(b), 1);
	bookkeeping_flush(a);
	bookkeeping_event(b, &(bk_event){.event = "b.kept"});
	bookkeeping_flush(b);
	ck_assert_uint_eq(bookkeeping_dropped(b), 1);
	ck_assert_int_eq(bookkeeping_count(a, NULL), 2);
	ck_assert_int_eq(bookkeeping_count(b, "b.lost"), 0);
	ck_assert_int_eq(bookkeeping_count(b, "b.kept"), 1);
	bookkeeping_close(a);
	bookkeeping_close(b);
}
END_TEST

START_TEST(null_handles_and_nameless_events_are_harmless)
{
	bookkeeping *b = open_ok();

	bookkeeping_close(NULL);
	bookkeeping_flush(NULL);
	bookkeeping_event(NULL, &(bk_event){.event = "x"});
	bookkeeping_event(b, NULL);
	ck_assert_int_eq(bookkeeping_count(NULL, NULL), -1);
	bookkeeping_event(b, &(bk_event){.task = "t-9"});
	ck_assert_int_eq(bookkeeping_count(b, "unknown"), 1);
	bookkeeping_close(b);
}
END_TEST

static Suite *
bookkeeping_suite(void)
{
	Suite       *s = suite_create("bookkeeping");
	const TTest *events[] = {events_survive_close_and_reopen,
	    a_new_database_is_at_schema_version_2,
	    a_version_1_database_is_migrated_with_its_events,
	    instances_dump_per_task_and_per_sop,
	    a_newer_schema_version_is_refused_with_text,
	    many_events_are_committed_by_one_flush,
	    an_unwritable_path_gives_an_error_with_text,
	    dump_filters_by_id_and_prints_the_expected_lines,
	    series_upsert_keeps_one_row,
	    null_handles_and_nameless_events_are_harmless, NULL};
	const TTest *locking[] = {
	    a_locked_database_drops_and_counts_but_does_not_stop, NULL};
	TCase *tc;

	mc_check_fixture_tcase(
	    s, "events", events, setup, mc_check_tmpdir_teardown);
	tc = mc_check_fixture_tcase(
	    s, "locking", locking, setup, mc_check_tmpdir_teardown);
	/* waits out the 5 s busy_timeout once */
	tcase_set_timeout(tc, BK_TEST_BUSY_TIMEOUT_S);
	return s;
}

int
main(void)
{
	log_set_level(LOG_LEVEL_WARN); /* no migration lines */
	return mc_check_run(bookkeeping_suite());
}
