/* assoc_series.c - a thread-local list of the current association's
 * series (an association carries a handful: a linear search, the last
 * one first), and a uthash of live counts under a mutex. */
#include "assoc_series.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

typedef struct live_series {
	char           uid[MC_UID_MAX_LEN + 1];
	unsigned       n; /* live associations that carried it */
	UT_hash_handle hh;
} live_series;

struct assoc_series {
	pthread_mutex_t mu;
	live_series    *live;
};

/* the current association of this thread: freed at its end, so a
 * thread that ends holds nothing */
typedef struct thread_set {
	char (*uids)[MC_UID_MAX_LEN + 1];
	size_t n, cap;
} thread_set;

static _Thread_local thread_set cur;

mc_err
assoc_series_create(assoc_series **out)
{
	assoc_series *a = calloc(1, sizeof(*a));

	*out = NULL;
	if (a == NULL)
		return MC_ENOMEM;
	pthread_mutex_init(&a->mu, NULL);
	*out = a;
	return MC_OK;
}

void
assoc_series_destroy(assoc_series *a)
{
	live_series *l, *tmp;

	if (a == NULL)
		return;
	HASH_ITER(hh, a->live, l, tmp)
	{
		HASH_DEL(a->live, l);
		free(l);
	}
	pthread_mutex_destroy(&a->mu);
	free(a);
}

static bool
cur_has(const char *uid)
{
	for (size_t i = cur.n; i > 0; i--)
		if (strcmp(cur.uids[i - 1], uid) == 0)
			return true;
	return false;
}

static bool
cur_add(const char *uid)
{
	if (cur.n == cur.cap) {
		size_t cap = cur.cap ? cur.cap * 2 : 8;
		void  *p;
		/* beyond the message's limit a series is not followed: it
		 * completes by its quiet period, as without this signal */
		if (cur.cap >= MSG_ASSOC_SERIES_MAX ||
		    (p = realloc(cur.uids, cap * sizeof(*cur.uids))) == NULL)
			return false;
		cur.uids = p;
		cur.cap = cap;
	}
	snprintf(cur.uids[cur.n++], sizeof(cur.uids[0]), "%s", uid);
	return true;
}

void
assoc_series_note(assoc_series *a, const char *uid)
{
	live_series *l = NULL;

	if (cur_has(uid) || !cur_add(uid))
		return;
	pthread_mutex_lock(&a->mu);
	HASH_FIND_STR(a->live, uid, l);
	if (l == NULL && (l = calloc(1, sizeof(*l))) != NULL) {
		snprintf(l->uid, sizeof(l->uid), "%s", uid);
		HASH_ADD_STR(a->live, uid, l);
	}
	if (l != NULL)
		l->n++;
	else
		cur.n--; /* not counted: not announced either */
	pthread_mutex_unlock(&a->mu);
}

mc_err
assoc_series_end(assoc_series *a, mc_assoc_msg *m)
{
	m->n_series = 0;
	m->series = calloc(cur.n + 1, sizeof(*m->series));
	pthread_mutex_lock(&a->mu);
	for (size_t i = 0; i < cur.n; i++) {
		live_series *l = NULL;
		HASH_FIND_STR(a->live, cur.uids[i], l);
		if (l == NULL || --l->n > 0)
			continue;
		HASH_DEL(a->live, l);
		free(l);
		if (m->series != NULL)
			memcpy(m->series[m->n_series++], cur.uids[i],
			    sizeof(m->series[0]));
	}
	pthread_mutex_unlock(&a->mu);
	free(cur.uids);
	memset(&cur, 0, sizeof(cur));
	return m->series != NULL ? MC_OK : MC_ENOMEM;
}
