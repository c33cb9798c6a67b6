/* journal.c - JSON-lines journal of a series (format: docs/protocol.md).
 * Records are self-contained so that any prefix of the file, and any
 * file with a damaged line, still yields every good record. */
#include "msg/journal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/sys_fs.h"

typedef struct {
	const char *key;
	size_t      off;
	size_t      cap;
} jfield;

#define JF(k, f)                                                              \
	{                                                                     \
		k, offsetof(mc_instance, f), sizeof(((mc_instance *) 0)->f)   \
	}
static const jfield jfields[] = {
    JF("sop", sop_uid),
    JF("study", study_uid),
    JF("series", series_uid),
    JF("sop_class", sop_class_uid),
    JF("path", path),
    JF("sender_address", sender_address),
    JF("sender_aet", sender_aet),
    JF("receiver_aet", receiver_aet),
};
#define N_JFIELDS (sizeof(jfields) / sizeof(jfields[0]))

/* The encoder is hand-rolled: it runs once per received instance, and
 * building a jansson tree of fifty tags cost more than a quarter of the
 * receiver's CPU per image. Decoding (rare: restarts, scans) uses
 * jansson, so any line this writes is checked by a real parser in the
 * tests. */
typedef struct jbuf {
	char  *p;
	size_t n, cap;
	int    oom;
} jbuf;

static void
jb_put(jbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->n + n + 1) * 2;
		char  *np = realloc(b->p, cap);
		if (np == NULL) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void
jb_lit(jbuf *b, const char *s)
{
	jb_put(b, s, strlen(s));
}

/* jb_str - a JSON string: quotes, backslashes and control characters
 * escaped; UTF-8 passes through (the values are valid UTF-8 already) */
static void
jb_str(jbuf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char       *run = s;

	jb_put(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char) *s;
		char          esc[7] = {'\\', 'u', '0', '0', 0, 0, 0};
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		jb_put(b, run, (size_t) (s - run));
		run = s + 1;
		if (c == '"' || c == '\\') {
			esc[1] = (char) c;
			jb_put(b, esc, 2);
		} else {
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			jb_put(b, esc, 6);
		}
	}
	jb_put(b, run, (size_t) (s - run));
	jb_put(b, "\"", 1);
}

static void
jb_kv(jbuf *b, const char *k, const char *v)
{
	jb_put(b, ",", 1);
	jb_str(b, k);
	jb_put(b, ":", 1);
	jb_str(b, v);
}

mc_err
journal_encode_line(const mc_instance *in, char **out, size_t *len)
{
	jbuf b = {0};
	char num[64];

	*out = NULL;
	*len = 0;
	snprintf(num, sizeof(num), "{\"v\":%d", JOURNAL_RECORD_VERSION);
	jb_lit(&b, num);
	for (size_t i = 0; i < N_JFIELDS; i++)
		jb_kv(&b, jfields[i].key, (const char *) in + jfields[i].off);
	jb_kv(&b, "file", sys_basename_of(in->path));
	snprintf(num, sizeof(num), ",\"size\":%llu,\"time_us\":%lld",
	    (unsigned long long) in->size, (long long) in->recv_time_us);
	jb_lit(&b, num);
	jb_lit(&b, ",\"tags\":{");
	for (size_t i = 0; in->tags && i < mc_tagset_count(in->tags); i++) {
		const mc_tag *t = mc_tagset_at(in->tags, i);
		if (i > 0)
			jb_put(&b, ",", 1);
		jb_str(&b, t->key);
		jb_put(&b, ":", 1);
		jb_str(&b, t->value);
	}
	jb_lit(&b, "}}\n");
	if (b.oom) {
		free(b.p);
		return MC_ENOMEM;
	}
	*out = b.p;
	*len = b.n;
	return MC_OK;
}

mc_err
journal_append(const char *path, const mc_instance *in, int sync)
{
	char  *line;
	size_t len;
	mc_err rv = journal_encode_line(in, &line, &len);

	if (rv != MC_OK)
		return rv;
	rv = sys_append(path, line, len, sync);
	free(line);
	return rv;
}

static bool
copy_field(json_t *o, const char *key, char *dst, size_t cap)
{
	json_t     *v = json_object_get(o, key);
	const char *s = json_string_value(v);

	if (s == NULL || strlen(s) >= cap)
		return false;
	memcpy(dst, s, strlen(s) + 1);
	return true;
}

static mc_err
decode_object(json_t *o, mc_instance *in)
{
	json_t     *tags, *v;
	const char *key;

	if (json_integer_value(json_object_get(o, "v")) !=
	    JOURNAL_RECORD_VERSION)
		return MC_EPARSE;
	for (size_t i = 0; i < N_JFIELDS; i++)
		if (!copy_field(o, jfields[i].key,
		        (char *) in + jfields[i].off, jfields[i].cap))
			return MC_EPARSE;
	if (!uid_is_valid(in->sop_uid) || !uid_is_valid(in->series_uid))
		return MC_EPARSE;
	in->size = (uint64_t) json_integer_value(json_object_get(o, "size"));
	in->recv_time_us = json_integer_value(json_object_get(o, "time_us"));
	tags = json_object_get(o, "tags");
	if (!json_is_object(tags))
		return MC_EPARSE;
	if (mc_tagset_create(&in->tags) != MC_OK)
		return MC_ENOMEM;
	json_object_foreach(tags, key, v)
	{
		if (!json_is_string(v))
			return MC_EPARSE;
		if (mc_tagset_set(in->tags, key, json_string_value(v)) !=
		    MC_OK)
			return MC_ENOMEM;
	}
	return MC_OK;
}

mc_err
journal_decode_line(const char *line, size_t len, mc_instance *in)
{
	json_error_t je;
	json_t      *o = json_loadb(line, len, 0, &je);
	mc_err       rv;

	if (o == NULL)
		return MC_EPARSE;
	rv = json_is_object(o) ? decode_object(o, in) : MC_EPARSE;
	json_decref(o);
	if (rv != MC_OK)
		mc_instance_fini(in);
	return rv;
}

mc_err
journal_read(const char *path, journal_fn fn, void *ctx, size_t *n_bad)
{
	char  *text, *p, *end;
	size_t len, bad = 0;
	mc_err rv = sys_read_file(path, &text, &len);

	if (rv != MC_OK)
		return rv;
	for (p = text, end = text + len; p < end;) {
		char       *nl = memchr(p, '\n', (size_t) (end - p));
		size_t      n = nl ? (size_t) (nl - p) : (size_t) (end - p);
		mc_instance in;

		mc_instance_init(&in);
		/* a last line without its newline is a torn append */
		if (nl == NULL || journal_decode_line(p, n, &in) != MC_OK) {
			if (n > 0)
				bad++;
		} else {
			fn(ctx, &in);
			mc_instance_fini(&in);
		}
		p += n + 1;
	}
	free(text);
	if (n_bad)
		*n_bad = bad;
	return MC_OK;
}
