/* nomad_events.c - the event stream's framing and frames (reference:
 * Nomad's event stream, newline-delimited JSON; see nomad_events.h).
 *
 * Design notes: the buffer never grows past line_max + 1, whatever the
 * peer sends, and a line is checked for nesting depth by a scan before
 * jansson sees it, so a hostile or broken stream costs at most one
 * bounded buffer and one bounded parse per line. */
#include "sched/nomad/nomad_events.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sched/nomad/nomad_client_int.h"

struct nomad_event_reader {
	char          *buf;
	size_t         len, max;
	bool           broken;
	uint64_t       index;
	nomad_event_fn fn;
	void          *arg;
};

mc_err
nomad_event_reader_create(
    size_t line_max, nomad_event_fn fn, void *arg, nomad_event_reader **out)
{
	nomad_event_reader *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (r == NULL)
		return MC_ENOMEM;
	r->max = line_max ? line_max : NOMAD_EVENT_LINE_MAX;
	if ((r->buf = malloc(r->max + 1)) == NULL) {
		free(r);
		return MC_ENOMEM;
	}
	r->fn = fn;
	r->arg = arg;
	*out = r;
	return MC_OK;
}

void
nomad_event_reader_destroy(nomad_event_reader *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	free(r);
}

void
nomad_event_reader_reset(nomad_event_reader *r)
{
	r->len = 0;
	r->broken = false;
}

uint64_t
nomad_event_reader_index(const nomad_event_reader *r)
{
	return r->index;
}

/* depth_ok - brackets outside strings never nest deeper than max */
static bool
depth_ok(const char *s, size_t n, int max)
{
	int  depth = 0;
	bool in_str = false;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"')
			in_str = true;
		else if (c == '{' || c == '[') {
			if (++depth > max)
				return false;
		} else if (c == '}' || c == ']')
			depth--;
	}
	return true;
}

static void
frame_events(
    const json_t *events, uint64_t index, nomad_event_fn fn, void *arg)
{
	const json_t *ev;
	size_t        i;

	json_array_foreach(events, i, ev)
	{
		const json_t *alloc = json_object_get(
		    json_object_get(ev, "Payload"), "Allocation");
		const char *topic =
		    json_string_value(json_object_get(ev, "Topic"));
		const char *job =
		    json_string_value(json_object_get(alloc, "JobID"));
		nomad_alloc a;
		if (topic == NULL || strcmp(topic, "Allocation") != 0 ||
		    !json_is_object(alloc) || job == NULL || job[0] == '\0' ||
		    strlen(job) >= NOMAD_ID_MAX)
			continue;
		nomad_json_read_alloc(&a, alloc);
		if (a.id[0] == '\0')
			continue;
		fn(arg, index, job, &a);
	}
}

mc_err
nomad_event_parse_line(const char *line, size_t len, uint64_t *index,
    nomad_event_fn fn, void *arg)
{
	json_t       *j;
	const json_t *ix, *events;
	json_int_t    v = 0;

	*index = 0;
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (len == 0)
		return MC_OK;
	if (!depth_ok(line, len, NOMAD_EVENT_DEPTH_MAX))
		return MC_EPROTO;
	/* jansson refuses NUL bytes and invalid UTF-8 itself */
	if ((j = json_loadb(line, len, 0, NULL)) == NULL)
		return MC_EPROTO;
	ix = json_object_get(j, "Index");
	events = json_object_get(j, "Events");
	if (!json_is_object(j) || (ix != NULL && !json_is_integer(ix)) ||
	    (ix != NULL && (v = json_integer_value(ix)) < 0) ||
	    (events != NULL && !json_is_array(events) &&
	        !json_is_null(events))) {
		json_decref(j);
		return MC_EPROTO;
	}
	*index = (uint64_t) v;
	fn(arg, *index, NULL, NULL);
	if (json_is_array(events))
		frame_events(events, *index, fn, arg);
	json_decref(j);
	return MC_OK;
}

static mc_err
take_line(nomad_event_reader *r, const char *line, size_t len)
{
	uint64_t ix;
	mc_err   rv = nomad_event_parse_line(line, len, &ix, r->fn, r->arg);

	if (rv == MC_OK && ix > r->index)
		r->index = ix;
	return rv;
}

mc_err
nomad_event_reader_feed(nomad_event_reader *r, const char *p, size_t n)
{
	mc_err rv;

	if (r->broken)
		return MC_EPROTO;
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t      take = nl ? (size_t) (nl - p) : n;
		if (r->len + take > r->max) {
			r->broken = true;
			return MC_EPROTO;
		}
		if (nl != NULL && r->len == 0) {
			/* a whole line in the input: no copy */
			rv = take_line(r, p, take);
		} else {
			memcpy(r->buf + r->len, p, take);
			r->len += take;
			rv = MC_OK;
			if (nl != NULL) {
				rv = take_line(r, r->buf, r->len);
				r->len = 0;
			}
		}
		if (rv != MC_OK) {
			r->broken = true;
			return rv;
		}
		if (nl == NULL)
			break;
		p = nl + 1;
		n -= take + 1;
	}
	return MC_OK;
}
