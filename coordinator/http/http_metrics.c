/* http_metrics.c - samples in a uthash by their key, formatted sorted so
 * that a family's samples follow its # HELP and # TYPE lines. */
#include "http/http_metrics.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#define HTTP_METRIC_KEY_MAX 512

typedef struct sample {
	char           key[HTTP_METRIC_KEY_MAX]; /* family{labels} */
	char           family[128];
	const char    *type, *help; /* static */
	double         v;
	UT_hash_handle hh;
} sample;

/* a histogram's label set: its buckets' counts, not cumulative */
typedef struct hist {
	char           key[HTTP_METRIC_KEY_MAX]; /* family{labels} */
	char           family[128];
	char           labels[HTTP_METRIC_KEY_MAX];
	const char    *help;   /* static */
	const double  *bounds; /* static, ascending */
	size_t         n;      /* bounds; counts has n + 1 (+Inf) */
	uint64_t      *counts;
	double         sum;
	uint64_t       count;
	UT_hash_handle hh;
} hist;

struct http_metrics {
	sample *s;
	hist   *h;
};

mc_err
http_metrics_create(http_metrics **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? MC_OK : MC_ENOMEM;
}

void
http_metrics_destroy(http_metrics *m)
{
	sample *s, *t;
	hist   *h, *ht;

	if (m == NULL)
		return;
	HASH_ITER(hh, m->s, s, t)
	{
		HASH_DEL(m->s, s);
		free(s);
	}
	HASH_ITER(hh, m->h, h, ht)
	{
		HASH_DEL(m->h, h);
		free(h->counts);
		free(h);
	}
	free(m);
}

void
http_metrics_add(http_metrics *m, const char *family, const char *type,
    const char *help, const char *labels, double n)
{
	char    key[HTTP_METRIC_KEY_MAX];
	sample *s = NULL;
	int     w;

	w = snprintf(key, sizeof(key), "%s%s%s%s", family,
	    labels && labels[0] ? "{" : "", labels ? labels : "",
	    labels && labels[0] ? "}" : "");
	if (w < 0 || (size_t) w >= sizeof(key))
		return;
	HASH_FIND_STR(m->s, key, s);
	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			return;
		snprintf(s->key, sizeof(s->key), "%s", key);
		snprintf(s->family, sizeof(s->family), "%s", family);
		s->type = type;
		s->help = help;
		HASH_ADD_STR(m->s, key, s);
	}
	s->v += n;
}

const char *
http_metrics_label(char *buf, size_t len, const char *key, const char *value)
{
	size_t o = (size_t) snprintf(buf, len, "%s=\"", key);

	for (const char *p = value ? value : ""; *p && o + 4 < len; p++) {
		if (*p == '\\' || *p == '"') {
			buf[o++] = '\\';
			buf[o++] = *p;
		} else if (*p == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else {
			buf[o++] = *p;
		}
	}
	if (o + 2 <= len) {
		buf[o++] = '"';
		buf[o] = '\0';
	}
	return buf;
}

void
http_metrics_observe(http_metrics *m, const char *family, const char *help,
    const char *labels, const double *bounds, size_t n, double v)
{
	char   key[HTTP_METRIC_KEY_MAX];
	hist  *h = NULL;
	size_t i;
	int    w;

	w = snprintf(key, sizeof(key), "%s{%s}", family, labels ? labels : "");
	if (w < 0 || (size_t) w >= sizeof(key))
		return;
	HASH_FIND_STR(m->h, key, h);
	if (h == NULL) {
		if ((h = calloc(1, sizeof(*h))) == NULL)
			return;
		if ((h->counts = calloc(n + 1, sizeof(*h->counts))) == NULL) {
			free(h);
			return;
		}
		snprintf(h->key, sizeof(h->key), "%s", key);
		snprintf(h->family, sizeof(h->family), "%s", family);
		snprintf(
		    h->labels, sizeof(h->labels), "%s", labels ? labels : "");
		h->help = help;
		h->bounds = bounds;
		h->n = n;
		HASH_ADD_STR(m->h, key, h);
	}
	for (i = 0; i < h->n && v > h->bounds[i]; i++)
		;
	h->counts[i]++;
	h->sum += v;
	h->count++;
}

/* buf - a growing text */
typedef struct buf {
	char  *p;
	size_t used, cap;
	bool   oom;
} buf;

static void
put(buf *b, const char *fmt, ...)
{
	va_list ap;
	int     w;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		w = vsnprintf(b->p + b->used, b->cap - b->used, fmt, ap);
		va_end(ap);
		if (w < 0) {
			b->oom = true;
			return;
		}
		if (b->used + (size_t) w < b->cap)
			break;
		char *nb = realloc(b->p, b->cap * 2 + (size_t) w);
		if (nb == NULL) {
			b->oom = true;
			return;
		}
		b->p = nb;
		b->cap = b->cap * 2 + (size_t) w;
	}
	b->used += (size_t) w;
}

static int
by_key(const sample *a, const sample *b)
{
	int c = strcmp(a->family, b->family);

	return c ? c : strcmp(a->key, b->key);
}

static int
hist_by_key(const hist *a, const hist *b)
{
	int c = strcmp(a->family, b->family);

	return c ? c : strcmp(a->labels, b->labels);
}

/* format_hist - the _bucket lines in ascending le (cumulative, as the
 * format wants), then _sum and _count */
static void
format_hist(buf *b, const hist *h)
{
	const char *sep = h->labels[0] ? "," : "";
	uint64_t    cum = 0;

	for (size_t i = 0; i <= h->n; i++) {
		cum += h->counts[i];
		if (i < h->n)
			put(b, "%s_bucket{%s%sle=\"%g\"} %llu\n", h->family,
			    h->labels, sep, h->bounds[i],
			    (unsigned long long) cum);
		else
			put(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", h->family,
			    h->labels, sep, (unsigned long long) cum);
	}
	if (h->labels[0]) {
		put(b, "%s_sum{%s} %.17g\n", h->family, h->labels, h->sum);
		put(b, "%s_count{%s} %llu\n", h->family, h->labels,
		    (unsigned long long) h->count);
	} else {
		put(b, "%s_sum %.17g\n", h->family, h->sum);
		put(b, "%s_count %llu\n", h->family,
		    (unsigned long long) h->count);
	}
}

char *
http_metrics_format(const http_metrics *m)
{
	buf         b = {malloc(4096), 0, 4096, false};
	const char *last = "";
	sample     *s;
	hist       *h;

	if (b.p == NULL)
		return NULL;
	b.p[0] = '\0';
	HASH_SORT(((http_metrics *) m)->s, by_key);
	for (s = m->s; s != NULL; s = s->hh.next) {
		if (strcmp(last, s->family) != 0)
			put(&b, "# HELP %s %s\n# TYPE %s %s\n", s->family,
			    s->help, s->family, s->type);
		put(&b, "%s %.17g\n", s->key, s->v);
		last = s->family;
	}
	last = "";
	HASH_SORT(((http_metrics *) m)->h, hist_by_key);
	for (h = m->h; h != NULL; h = h->hh.next) {
		if (strcmp(last, h->family) != 0)
			put(&b, "# HELP %s %s\n# TYPE %s histogram\n",
			    h->family, h->help, h->family);
		format_hist(&b, h);
		last = h->family;
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}
