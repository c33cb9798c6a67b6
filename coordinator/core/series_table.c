/* series_table.c - uthash by UID plus a doubly linked list kept in order
 * of last arrival: an arrival moves its series to the tail in O(1), so
 * the head is always the series closest to its quiet-period deadline. */
#include "core/series_table.h"

#include <stdlib.h>
#include <string.h>

struct series_table {
	series *by_uid; /* uthash head */
	series *head, *tail;
	size_t  n;
};

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
	free(s);
}

static void
list_unlink(series_table *t, series *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		t->head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	else
		t->tail = s->prev;
	s->prev = s->next = NULL;
}

static void
list_append(series_table *t, series *s)
{
	s->prev = t->tail;
	s->next = NULL;
	if (t->tail)
		t->tail->next = s;
	else
		t->head = s;
	t->tail = s;
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
	return t->head;
}

series *
series_table_first(const series_table *t)
{
	return t->head;
}

series *
series_next(const series *s)
{
	return s->next;
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
	s->next = t->head;
	s->prev = NULL;
	if (t->head)
		t->head->prev = s;
	else
		t->tail = s;
	t->head = s;
}
