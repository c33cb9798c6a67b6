/* config_json.c - the generic forms of the parts we do not interpret:
 * compact JSON text of a subtree (module settings, processing_settings)
 * and key/value lists (target fields, modules, nomad settings). YAML 1.1
 * plain scalars become JSON null, booleans and numbers; anything quoted
 * stays a string. */
#include "config/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_int.h"

#define CONFIG_JSON_MAX_BYTES (1024u * 1024u)

typedef struct jbuf {
	char  *p;
	size_t len, cap;
	bool   full, oom;
} jbuf;

static void
jb_put(jbuf *b, const char *s, size_t n)
{
	if (b->full || b->oom)
		return;
	if (b->len + n > CONFIG_JSON_MAX_BYTES) {
		b->full = true;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char  *p;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
jb_str(jbuf *b, const char *s, size_t n)
{
	jb_put(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char) s[i];
		char          esc[8];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char) c;
			jb_put(b, esc, 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			jb_put(b, esc, 6);
		} else
			jb_put(b, (const char *) &s[i], 1);
	}
	jb_put(b, "\"", 1);
}

/* is_json_number - JSON's number grammar, exactly. */
static bool
is_json_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		s += strspn(s, "0123456789");
	else
		return false;
	if (*s == '.') {
		size_t d = strspn(++s, "0123456789");
		if (d == 0)
			return false;
		s += d;
	}
	if (*s == 'e' || *s == 'E') {
		size_t d;
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if ((d = strspn(s, "0123456789")) == 0)
			return false;
		s += d;
	}
	return *s == '\0';
}

static void
jb_scalar(jbuf *b, const cnode *v)
{
	int t = cval_bool_word(v);

	if (v->style != CNODE_PLAIN) {
		jb_str(b, v->text, v->len);
	} else if (cval_is_null(v)) {
		jb_put(b, "null", 4);
	} else if (t >= 0) {
		jb_put(b, t ? "true" : "false", t ? 4 : 5);
	} else if (is_json_number(v->text)) {
		jb_put(b, v->text, v->len);
	} else {
		jb_str(b, v->text, v->len);
	}
}

/* jb_node - v as JSON; stops at the size cap rather than walking the
 * rest of a tree whose aliases may expand it far beyond the cap. */
static void
jb_node(jbuf *b, const cnode *v)
{
	if (b->full || b->oom)
		return;
	switch (v->kind) {
	case CNODE_SCALAR:
		jb_scalar(b, v);
		break;
	case CNODE_SEQ:
		jb_put(b, "[", 1);
		for (size_t i = 0; i < v->n; i++) {
			if (i > 0)
				jb_put(b, ",", 1);
			jb_node(b, v->items[i]);
		}
		jb_put(b, "]", 1);
		break;
	case CNODE_MAP:
		jb_put(b, "{", 1);
		for (size_t i = 0; i < v->n; i++) {
			const cnode *k = v->items[2 * i];
			if (i > 0)
				jb_put(b, ",", 1);
			if (k->kind == CNODE_SCALAR)
				jb_str(b, k->text, k->len);
			else
				jb_str(b, "?", 1);
			jb_put(b, ":", 1);
			jb_node(b, v->items[2 * i + 1]);
		}
		jb_put(b, "}", 1);
		break;
	}
}

const char *
cval_json(cctx *x, const cnode *v, const char *path)
{
	jbuf        b = {0};
	const char *s = NULL;

	jb_node(&b, v);
	if (b.oom)
		cctx_oom(x);
	else if (b.full)
		cctx_error(x, v, path, "value too large (over %u bytes)",
		    CONFIG_JSON_MAX_BYTES);
	else if ((s = config_mem_strndup(x->mem, b.p, b.len)) == NULL)
		cctx_oom(x);
	free(b.p);
	return s;
}

bool
cval_kvlist(cctx *x, const cnode *m, const char *path, config_kvlist *out)
{
	config_kv *kv;
	char       sub[CONFIG_PATH_MAX_LEN];

	out->n = 0;
	if (!cval_map(x, m, path))
		return false;
	if ((kv = config_mem_alloc(x->mem, (m->n + 1) * sizeof(*kv))) ==
	    NULL) {
		cctx_oom(x);
		return false;
	}
	for (size_t i = 0; i < m->n; i++) {
		const cnode *k = m->items[2 * i], *v = m->items[2 * i + 1];
		config_kv   *e = &kv[out->n];
		if (k->kind != CNODE_SCALAR) {
			cctx_error(x, k, path, "a key must be a string");
			continue;
		}
		e->key = k->text;
		e->line = v->line;
		e->column = v->column;
		if (cval_is_null(v)) {
			e->kind = CONFIG_KV_NULL;
		} else if (v->kind == CNODE_SCALAR) {
			e->kind = CONFIG_KV_SCALAR;
			e->value = v->text;
		} else {
			e->kind = CONFIG_KV_JSON;
			e->value =
			    cval_json(x, v, config_path(sub, path, k->text));
			if (e->value == NULL)
				continue;
		}
		out->n++;
	}
	out->items = kv;
	return true;
}
