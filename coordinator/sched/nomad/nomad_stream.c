/* nomad_stream.c - one event stream (topic Allocation) follows every
 * child in flight, instead of a blocking query per child. While it is
 * live, a following task (ST_WATCH) makes no call of its own; when it
 * drops or the agent does not offer it, the tasks go back to blocking
 * queries, and the stream is tried again with back-off and resumed from
 * the last frame's index.
 *
 * Design notes:
 * - No event can be missed between a dispatch and the stream: a task
 *   takes one snapshot of its child's allocations (a call without index)
 *   after the dispatch's answer and after every (re)connection, and only
 *   then relies on the stream; an event that came before the child was
 *   known is in that snapshot.
 * - A stream that says nothing for NOMAD_STREAM_STALL_MS (Nomad sends a
 *   heartbeat every 30 s) counts as dropped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "sched/nomad/nomad_backend_int.h"
#include "sched/nomad/nomad_events.h"

#define NOMAD_STREAM_STALL_MS 90000
/* events parsed and not yet handled (they are handled after each poll,
 * outside libcurl's callbacks); a stream that outruns this is dropped */
#define NOMAD_STREAM_QUEUE_MAX 1024

typedef struct sevent {
	char        job[NOMAD_ID_MAX];
	nomad_alloc a;
} sevent;

typedef struct nomad_stream nomad_stream;

struct nomad_stream {
	bool                enabled, in_call, live;
	unsigned            errors;
	int64_t             not_before, last_line;
	nomad_event_reader *rd;
	nomad_backend      *b;
	bool                line_seen; /* since the last step */
	bool                overrun;
	sevent             *queue;
	size_t              n_queue;
	char                last_error[NOMAD_ERROR_MAX];
};

bool
nomad_stream_live(const nomad_backend *b)
{
	return b->stream != NULL && b->stream->live;
}

/* go_live - the first line of a connection: every followed task takes a
 * snapshot, then watches */
static void
go_live(nomad_backend *b)
{
	nomad_stream *s = b->stream;

	s->live = true;
	s->errors = 0;
	log_info("event=nomad.stream_up index=%llu",
	    (unsigned long long) nomad_event_reader_index(s->rd));
	for (ntask *t = b->active; t != NULL; t = t->next) {
		if (t->state != ST_FOLLOW && t->state != ST_WATCH)
			continue;
		if (t->in_call) /* a blocking query: not needed any more */
			nomad_client_cancel(b->client, t);
		t->in_call = false;
		t->state = ST_FOLLOW;
		t->index = 0;
		t->not_before_ms = 0;
	}
}

static void
on_event(void *arg, uint64_t index, const char *job_id, const nomad_alloc *a)
{
	nomad_stream *s = arg;

	(void) index;
	if (a == NULL) {
		s->line_seen = true;
		return;
	}
	if (s->n_queue == NOMAD_STREAM_QUEUE_MAX) {
		s->overrun = true;
		return;
	}
	snprintf(s->queue[s->n_queue].job, NOMAD_ID_MAX, "%s", job_id);
	s->queue[s->n_queue++].a = *a;
}

/* handle - what the stream brought since the last step */
static void
handle(nomad_backend *b, nomad_stream *s, int64_t now)
{
	if (s->line_seen) {
		s->line_seen = false;
		s->last_line = now;
		if (!s->live && s->in_call)
			go_live(b);
	}
	for (size_t i = 0; i < s->n_queue; i++)
		for (ntask *t = b->active; t != NULL; t = t->next)
			if (strcmp(t->child, s->queue[i].job) == 0) {
				nomad_task_on_alloc(b, t, &s->queue[i].a);
				break;
			}
	s->n_queue = 0;
}

static bool
on_data(void *arg, const char *p, size_t n)
{
	nomad_stream *s = arg;

	if (nomad_event_reader_feed(s->rd, p, n) == MC_OK && !s->overrun)
		return true;
	log_warn("event=nomad.stream_refused msg=\"a line over %u bytes, "
	         "nested over %d, or not an event frame\"",
	    NOMAD_EVENT_LINE_MAX, NOMAD_EVENT_DEPTH_MAX);
	return false;
}

/* fall_back - the stream ended: the watching tasks follow by blocking
 * queries again, from a snapshot */
static void
fall_back(nomad_backend *b, const char *why)
{
	nomad_stream *s = b->stream;

	if (s->live)
		log_warn("event=nomad.stream_down msg=\"%s\" "
		         "effect=\"blocking queries until it returns\"",
		    why);
	s->live = false;
	for (ntask *t = b->active; t != NULL; t = t->next)
		if (t->state == ST_WATCH) {
			t->state = ST_FOLLOW;
			t->index = 0;
			t->not_before_ms = 0;
		}
}

static void
on_end(void *arg, const nomad_reply *r)
{
	nomad_stream  *s = arg;
	nomad_backend *b = s->b;
	char           why[NOMAD_ERROR_MAX];

	s->in_call = false;
	if (r->rv == MC_OK)
		snprintf(why, sizeof(why), "the stream ended");
	else
		snprintf(why, sizeof(why), "%s%s (status %ld)",
		    r->rv == MC_EPROTO ? "refused input: " : "", r->error,
		    r->status);
	if (!s->live && strcmp(why, s->last_error) != 0)
		log_info("event=nomad.stream_unavailable msg=\"%s\"", why);
	snprintf(s->last_error, sizeof(s->last_error), "%s", why);
	fall_back(b, why);
	s->errors++;
	s->not_before = nomad_now_ms() + nomad_backoff_ms(s->errors);
}

void
nomad_stream_step(nomad_backend *b, int64_t now, int64_t *next_ms)
{
	nomad_stream *s = b->stream;

	if (s == NULL || !s->enabled)
		return;
	handle(b, s, now);
	if (s->in_call) {
		if (s->live && now - s->last_line > NOMAD_STREAM_STALL_MS) {
			nomad_client_cancel(b->client, s);
			s->in_call = false;
			fall_back(b, "no heartbeat");
			s->not_before = now;
		} else {
			return;
		}
	}
	if (!nomad_backend_ready(b))
		return;
	if (now < s->not_before) {
		if (s->not_before < *next_ms)
			*next_ms = s->not_before;
		return;
	}
	nomad_event_reader_reset(s->rd);
	s->overrun = false;
	if (nomad_client_events(b->client, nomad_event_reader_index(s->rd),
	        on_data, on_end, s) == MC_OK) {
		s->in_call = true;
		s->last_line = now;
	} else {
		s->not_before = now + NOMAD_BACKOFF_MAX_MS;
	}
}

mc_err
nomad_stream_create(nomad_backend *b, bool enabled, nomad_stream **out)
{
	nomad_stream *s = calloc(1, sizeof(*s));
	mc_err        rv;

	*out = NULL;
	if (s == NULL)
		return MC_ENOMEM;
	s->enabled = enabled;
	s->b = b;
	if (enabled && (s->queue = calloc(
	                    NOMAD_STREAM_QUEUE_MAX, sizeof(sevent))) == NULL) {
		free(s);
		return MC_ENOMEM;
	}
	if ((rv = nomad_event_reader_create(0, on_event, s, &s->rd)) !=
	    MC_OK) {
		free(s->queue);
		free(s);
		return rv;
	}
	*out = s;
	return MC_OK;
}

void
nomad_stream_destroy(nomad_stream *s)
{
	if (s == NULL)
		return;
	nomad_event_reader_destroy(s->rd);
	free(s->queue);
	free(s);
}
