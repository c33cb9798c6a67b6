/* nomad_events_test.c - the event stream's reader on canned and hostile
 * input: frames split anywhere, heartbeats, the Allocation events picked
 * out of a frame, the resume index; and what ends the reading (a line
 * over the limit, nesting too deep, not JSON, not a frame) without
 * growing past the limit. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"

#include "sched/nomad/nomad_events.h"

typedef struct seen {
	int         lines, allocs;
	char        job[NOMAD_ID_MAX];
	nomad_alloc last;
	uint64_t    index;
} seen;

static void
on_event(void *arg, uint64_t index, const char *job_id, const nomad_alloc *a)
{
	seen *s = arg;

	s->index = index;
	if (a == NULL) {
		s->lines++;
		return;
	}
	s->allocs++;
	snprintf(s->job, sizeof(s->job), "%s", job_id);
	s->last = *a;
}

static const char FRAME[] =
    "{\"Index\":42,\"Events\":[{\"Topic\":\"Allocation\",\"Type\":"
    "\"AllocationUpdated\",\"Key\":\"a1\",\"Namespace\":\"default\","
    "\"FilterKeys\":[\"mercure-worker/dispatch-1-x\",\"\"],\"Index\":42,"
    "\"Payload\":{\"Allocation\":{\"ID\":\"a1\",\"JobID\":\"mercure-worker/"
    "dispatch-1-x\",\"ClientStatus\":\"complete\",\"DesiredStatus\":"
    "\"run\",\"CreateIndex\":40,\"TaskStates\":{\"worker\":{\"State\":"
    "\"dead\",\"Events\":[{\"Type\":\"Terminated\",\"ExitCode\":3}]}}}}},"
    "{\"Topic\":\"Job\",\"Type\":\"JobDeregistered\",\"Key\":\"j\","
    "\"Index\":42,\"Payload\":{\"Job\":{\"ID\":\"j\"}}}]}\n";

START_TEST(frames_split_anywhere_give_their_allocation_events)
{
	for (size_t cut = 0; cut < sizeof(FRAME) - 1; cut += 7) {
		nomad_event_reader *r;
		seen                s = {0};
		ck_assert_int_eq(
		    nomad_event_reader_create(0, on_event, &s, &r), MC_OK);
		ck_assert_int_eq(nomad_event_reader_feed(r, "{}\n", 3), MC_OK);
		ck_assert_int_eq(
		    nomad_event_reader_feed(r, FRAME, cut), MC_OK);
		ck_assert_int_eq(nomad_event_reader_feed(
		                     r, FRAME + cut, sizeof(FRAME) - 1 - cut),
		    MC_OK);
		ck_assert_int_eq(s.lines, 2);
		ck_assert_int_eq(s.allocs, 1); /* the Job event is not ours */
		ck_assert_str_eq(s.job, "mercure-worker/dispatch-1-x");
		ck_assert_str_eq(s.last.client_status, "complete");
		ck_assert(s.last.has_exit && s.last.exit_code == 3);
		ck_assert_uint_eq(s.last.create_index, 40);
		ck_assert_uint_eq(nomad_event_reader_index(r), 42);
		nomad_event_reader_destroy(r);
	}
}
END_TEST

START_TEST(heartbeats_and_blank_lines_keep_the_index)
{
	nomad_event_reader *r;
	seen                s = {0};
	const char          in[] = "{\"Index\":7}\r\n\n{}\n{}\n";

	ck_assert_int_eq(
	    nomad_event_reader_create(0, on_event, &s, &r), MC_OK);
	ck_assert_int_eq(nomad_event_reader_feed(r, in, strlen(in)), MC_OK);
	ck_assert_int_eq(s.lines, 3);
	ck_assert_int_eq(s.allocs, 0);
	ck_assert_uint_eq(nomad_event_reader_index(r), 7);
	nomad_event_reader_destroy(r);
}
END_TEST

/* refused - the reader with a 1 KiB line limit refuses in, and keeps
 * refusing until a reset */
static void
refused(const char *in, size_t n)
{
	nomad_event_reader *r;
	seen                s = {0};

	ck_assert_int_eq(
	    nomad_event_reader_create(1024, on_event, &s, &r), MC_OK);
	ck_assert_int_eq(nomad_event_reader_feed(r, in, n), MC_EPROTO);
	ck_assert_int_eq(nomad_event_reader_feed(r, "{}\n", 3), MC_EPROTO);
	nomad_event_reader_reset(r);
	ck_assert_int_eq(nomad_event_reader_feed(r, "{}\n", 3), MC_OK);
	nomad_event_reader_destroy(r);
}

START_TEST(hostile_lines_end_the_reading)
{
	char  *big = malloc(4096), deep[200];
	size_t i;

	ck_assert_ptr_nonnull(big);
	/* a line without an end, over the limit, fed in small pieces */
	memset(big, ' ', 4096);
	big[0] = '{';
	refused(big, 4096);
	free(big);
	/* nesting deeper than NOMAD_EVENT_DEPTH_MAX */
	for (i = 0; i < 60; i++)
		deep[i] = '[';
	deep[i++] = '\n';
	refused(deep, i);
	/* brackets inside strings do not count, an escaped quote does not
	 * end a string */
	{
		nomad_event_reader *r;
		seen                s = {0};
		char                line[300];
		int n = snprintf(line, sizeof(line), "{\"X\":\"\\\"%s\"}\n",
		    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[");
		ck_assert_int_eq(
		    nomad_event_reader_create(0, on_event, &s, &r), MC_OK);
		ck_assert_int_eq(
		    nomad_event_reader_feed(r, line, (size_t) n), MC_OK);
		nomad_event_reader_destroy(r);
	}
	refused("not json\n", 9);
	refused("[1,2]\n", 6);              /* not an object */
	refused("{\"Index\":\"7\"}\n", 14); /* Index not a number */
	refused("{\"Index\":-1}\n", 13);    /* negative */
	refused("{\"Events\":{}}\n", 14);   /* Events not a list */
	refused("{\"Index\":1,\"Events\":[]}{}\n", 26); /* two values */
	refused("{\"A\":\"\xff\xfe\"}\n", 11);          /* not UTF-8 */
	refused("{\"A\":\"\0\"}\n", 10);                /* a NUL byte */
}
END_TEST

START_TEST(odd_events_are_skipped_not_fatal)
{
	uint64_t    ix;
	seen        s = {0};
	const char *line =
	    "{\"Index\":9,\"Events\":[1,\"x\",{\"Topic\":\"Allocation\"},"
	    "{\"Topic\":\"Allocation\",\"Payload\":{\"Allocation\":{\"ID\":"
	    "\"a\"}}},{\"Topic\":\"Allocation\",\"Payload\":{\"Allocation\":"
	    "{\"JobID\":\"j\"}}},{\"Topic\":\"Allocation\",\"Payload\":{"
	    "\"Allocation\":{\"ID\":7,\"JobID\":[]}}}]}";

	ck_assert_int_eq(
	    nomad_event_parse_line(line, strlen(line), &ix, on_event, &s),
	    MC_OK);
	ck_assert_uint_eq(ix, 9);
	ck_assert_int_eq(s.allocs, 0);
	ck_assert_int_eq(s.lines, 1);
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("nomad_events");
	const TTest *tests[] = {
	    frames_split_anywhere_give_their_allocation_events,
	    heartbeats_and_blank_lines_keep_the_index,
	    hostile_lines_end_the_reading, odd_events_are_skipped_not_fatal,
	    NULL};

	mc_check_tcase(s, "reader", tests);
	return mc_check_run(s);
}
