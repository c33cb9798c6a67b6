/* series_table.c - uthash by UID plus a doubly linked list kept in order
 * of last arrival: an arrival moves its series to the tail in O(1), so
 * the head is always the series closest to its quiet-period deadline.
 * A series with a deadline of its own is in a second list instead,
 * whose order means nothing. */
#include "core/series_table.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/route_intent.h"

typedef struct series_list {
	series *head, *tail;
} series_list;

struct series_table {
	series     *by_uid; /* uthash head */
	series_list quiet;  /* the global quiet period, by last arrival */
	series_list timed;  /* a deadline of their own */
	size_t      n;
};

static series_list *
list_of(series_table *t, const series *s)
{
	return s->timed ? &t->timed : &t->quiet;
}

mc_err
series_table_create(series_table **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? MC_OK : MC_ENOMEM;
}

static void
series_free(series *s)
{
	series_instance *i, *tmp;

	HASH_ITER(hh, s->instances, i, tmp)
	{
		HASH_DEL(s->instances, i);
		free(i);
	}
	mc_tagset_destroy(s->tags);
	if (s->stream != NULL) {
		route_intent_fini(s->stream);
		free(s->stream);
	}
	free(s);
}

static void
list_unlink(series_table *t, series *s)
{
	series_list *l = list_of(t, s);

	if (s->prev)
		s->prev->next = s->next;
	else
		l->head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	else
		l->tail = s->prev;
	s->prev = s->next = NULL;
}

static void
list_append(series_table *t, series *s)
{
	series_list *l = list_of(t, s);

	s->prev = l->tail;
	s->next = NULL;
	if (l->tail)
		l->tail->next = s;
	else
		l->head = s;
	l->tail = s;
}

void
series_table_destroy(series_table *t)
{
	series *s, *tmp;

	if (t == NULL)
		return;
	HASH_ITER(hh, t->by_uid, s, tmp)
	{
		HASH_DEL(t->by_uid, s);
		series_free(s);
	}
	free(t);
}

static mc_err
series_new(series_table *t, mc_instance *in, int64_t now_ms, series **out)
{
	series *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return MC_ENOMEM;
	memcpy(s->uid, in->series_uid, sizeof(s->uid));
	memcpy(s->study_uid, in->study_uid, sizeof(s->study_uid));
	s->tags = in->tags;
	in->tags = NULL;
	if (s->tags == NULL && mc_tagset_create(&s->tags) != MC_OK) {
		free(s);
		return MC_ENOMEM;
	}
	s->first_ms = now_ms;
	s->first_us = in->recv_time_us;
	s->quiet_ms = -1;
	s->owner = t;
	HASH_ADD_STR(t->by_uid, uid, s);
	t->n++;
	list_append(t, s);
	*out = s;
	return MC_OK;
}

mc_err
series_table_add(series_table *t, mc_instance *in, int64_t now_ms,
    series **s_out, bool *added)
{
	series          *s = series_table_find(t, in->series_uid);
	series_instance *i;

	*added = false;
	if (s == NULL && series_new(t, in, now_ms, &s) != MC_OK)
		return MC_ENOMEM;
	*s_out = s;
	s->last_ms = now_ms;
	s->last_us = in->recv_time_us;
	if (!s->forced) { /* a forced series stays first in line */
		list_unlink(t, s);
		list_append(t, s);
	}
	if (series_find_instance(s, in->sop_uid) != NULL)
		return MC_OK;
	if ((i = calloc(1, sizeof(*i))) == NULL)
		return MC_ENOMEM;
	memcpy(i->sop, in->sop_uid, sizeof(i->sop));
	memcpy(i->path, in->path, sizeof(i->path));
	i->size = in->size;
	HASH_ADD_STR(s->instances, sop, i);
	s->n_instances++;
	s->bytes += in->size;
	*added = true;
	return MC_OK;
}

series *
series_table_find(const series_table *t, const char *uid)
{
	series *s = NULL;
	HASH_FIND_STR(t->by_uid, uid, s);
	return s;
}

series_instance *
series_find_instance(const series *s, const char *sop)
{
	series_instance *i = NULL;
	HASH_FIND_STR(s->instances, sop, i);
	return i;
}

series *
series_table_oldest(const series_table *t)
{
	return t->quiet.head;
}

series *
series_table_first(const series_table *t)
{
	return t->quiet.head ? t->quiet.head : t->timed.head;
}

series *
series_table_timed(const series_table *t)
{
	return t->timed.head;
}

series *
series_next(const series *s)
{
	if (s->next != NULL || s->timed)
		return s->next;
	return s->owner->timed.head;
}

/* quiet_insert - into the quiet list at its place by last arrival
 * (behind the forced ones); from the tail, where an arrival belongs */
static void
quiet_insert(series_table *t, series *s)
{
	series *p = t->quiet.tail;

	while (p != NULL && !p->forced && p->last_ms > s->last_ms)
		p = p->prev;
	s->prev = p;
	s->next = p ? p->next : t->quiet.head;
	if (s->next)
		s->next->prev = s;
	else
		t->quiet.tail = s;
	if (p)
		p->next = s;
	else
		t->quiet.head = s;
}

void
series_table_set_timing(
    series_table *t, series *s, int64_t quiet_ms, int64_t due_ms)
{
	bool timed = !s->forced && (quiet_ms >= 0 || due_ms > 0);

	s->quiet_ms = quiet_ms;
	s->due_ms = due_ms;
	if (timed == s->timed)
		return;
	list_unlink(t, s);
	s->timed = timed;
	if (timed)
		list_append(t, s);
	else
		quiet_insert(t, s);
}

int64_t
series_due_ms(const series *s, int64_t global_quiet_ms)
{
	int64_t due;

	if (s->forced)
		return INT64_MIN;
	due = s->last_ms + (s->quiet_ms >= 0 ? s->quiet_ms : global_quiet_ms);
	if (s->due_ms > 0 && s->due_ms < due)
		due = s->due_ms;
	return due;
}

void
series_table_remove(series_table *t, series *s)
{
	list_unlink(t, s);
	HASH_DEL(t->by_uid, s);
	t->n--;
	series_free(s);
}

size_t
series_table_count(const series_table *t)
{
	return t->n;
}

void
series_table_force(series_table *t, series *s)
{
	s->forced = true;
	list_unlink(t, s);
	s->timed = false; /* a forced series is first in the quiet list */
	s->next = t->quiet.head;
	s->prev = NULL;
	if (t->quiet.head)
		t->quiet.head->prev = s;
	else
		t->quiet.tail = s;
	t->quiet.head = s;
}
