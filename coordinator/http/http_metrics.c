/* http_metrics.c - samples in a uthash by their key, formatted sorted so
 * that a family's samples follow its # HELP and # TYPE lines. */
#include "http/http_metrics.h"

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

struct http_metrics {
	sample *s;
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

	if (m == NULL)
		return;
	HASH_ITER(hh, m->s, s, t)
	{
		HASH_DEL(m->s, s);
		free(s);
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

static int
by_key(const sample *a, const sample *b)
{
	int c = strcmp(a->family, b->family);

	return c ? c : strcmp(a->key, b->key);
}

char *
http_metrics_format(const http_metrics *m)
{
	size_t      cap = 4096, used = 0;
	char       *buf = malloc(cap);
	const char *last = "";
	sample     *s;

	if (buf == NULL)
		return NULL;
	buf[0] = '\0';
	HASH_SORT(((http_metrics *) m)->s, by_key);
	for (s = m->s; s != NULL; s = s->hh.next) {
		char line[2 * HTTP_METRIC_KEY_MAX + 512];
		int  w = 0;
		if (strcmp(last, s->family) != 0)
			w = snprintf(line, sizeof(line),
			    "# HELP %s %s\n# TYPE %s %s\n", s->family, s->help,
			    s->family, s->type);
		w += snprintf(line + w, sizeof(line) - (size_t) w,
		    "%s %.17g\n", s->key, s->v);
		last = s->family;
		if (used + (size_t) w + 1 > cap) {
			char *nb;
			while (used + (size_t) w + 1 > cap)
				cap *= 2;
			if ((nb = realloc(buf, cap)) == NULL) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
		memcpy(buf + used, line, (size_t) w + 1);
		used += (size_t) w;
	}
	return buf;
}
