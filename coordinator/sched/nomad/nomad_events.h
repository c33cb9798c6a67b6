/* nomad_events.h - Nomad's event stream (GET /v1/event/stream) read as
 * it arrives: newline-delimited JSON frames, `{}` heartbeats, and the
 * Allocation events of the frames handed out one by one. The stream is
 * input from the network, so every line is bounded in length and JSON
 * depth before it is parsed, and anything malformed ends the reading
 * (the caller drops the stream and follows the children otherwise). */
#ifndef MC_COORDINATOR_NOMAD_EVENTS_H
#define MC_COORDINATOR_NOMAD_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "base/mc_err.h"
#include "sched/nomad/nomad_client.h"

/* the longest line taken: an allocation with its task events is a few
 * KiB; a frame holds the events of one raft index */
#define NOMAD_EVENT_LINE_MAX (4u * 1024u * 1024u)
/* Nomad's frames nest about ten deep (frame, events, payload,
 * allocation, task states, events, details) */
#define NOMAD_EVENT_DEPTH_MAX 32

/* nomad_event_fn - called once per line with job_id and a NULL (a frame
 * or heartbeat arrived: the stream is alive), then once per Allocation
 * event of the frame with the allocation's job and its fields. index is
 * the frame's Index (0 for a heartbeat). */
typedef void (*nomad_event_fn)(
    void *arg, uint64_t index, const char *job_id, const nomad_alloc *a);

typedef struct nomad_event_reader nomad_event_reader;

/* nomad_event_reader_create - line_max bounds a line (0: the default
 * NOMAD_EVENT_LINE_MAX). On MC_OK *out is new; free with _destroy. */
MC_NODISCARD mc_err nomad_event_reader_create(
    size_t line_max, nomad_event_fn fn, void *arg, nomad_event_reader **out);

/* nomad_event_reader_destroy - NULL: no-op */
void nomad_event_reader_destroy(nomad_event_reader *r);

/* nomad_event_reader_reset - forget a partial line (a new connection) */
void nomad_event_reader_reset(nomad_event_reader *r);

/* nomad_event_reader_feed - the next n bytes of the stream; complete
 * lines are parsed and their events handed to fn. MC_EPROTO for a line
 * longer than line_max or a line that is not a frame; MC_ENOMEM. After
 * an error the reader takes nothing until a reset. */
MC_NODISCARD mc_err nomad_event_reader_feed(
    nomad_event_reader *r, const char *p, size_t n);

/* nomad_event_reader_index - the highest frame Index seen since create
 * (the resume point), 0 before any */
uint64_t nomad_event_reader_index(const nomad_event_reader *r);

/* nomad_event_parse_line - one line (without its newline) as a frame:
 * fn is called as for feed. An empty line is skipped. MC_EPROTO for
 * anything but a JSON object with an integer Index (if any) and an
 * Events list (if any), deeper than NOMAD_EVENT_DEPTH_MAX, or not
 * UTF-8. *index gets the frame's Index. Any thread. */
MC_NODISCARD mc_err nomad_event_parse_line(const char *line, size_t len,
    uint64_t *index, nomad_event_fn fn, void *arg);

#endif
