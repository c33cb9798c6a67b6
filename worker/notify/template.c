/* template.c - "{{ name }}" substitution with escaping (template.h). */
#include "notify/template.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEMPLATE_NAME_MAX 128

typedef struct buf {
	char  *p;
	size_t len, cap;
	bool   oom;
} buf;

static void
put(buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char  *np;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
put_json(buf *b, const char *v)
{
	char esc[8];

	for (; *v; v++) {
		unsigned char ch = (unsigned char) *v;
		if (ch == '"' || ch == '\\') {
			esc[0] = '\\';
			esc[1] = (char) ch;
			put(b, esc, 2);
		} else if (ch == '\n') {
			put(b, "\\n", 2);
		} else if (ch == '\r') {
			put(b, "\\r", 2);
		} else if (ch == '\t') {
			put(b, "\\t", 2);
		} else if (ch < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", ch);
			put(b, esc, 6);
		} else {
			put(b, (const char *) v, 1);
		}
	}
}

static void
put_html(buf *b, const char *v)
{
	for (; *v; v++) {
		switch (*v) {
		case '&':
			put(b, "&amp;", 5);
			break;
		case '<':
			put(b, "&lt;", 4);
			break;
		case '>':
			put(b, "&gt;", 4);
			break;
		case '"':
			put(b, "&quot;", 6);
			break;
		case '\'':
			put(b, "&#39;", 5);
			break;
		default:
			put(b, v, 1);
		}
	}
}

static void
put_value(buf *b, const char *v, template_escape esc)
{
	if (esc == TEMPLATE_ESCAPE_JSON)
		put_json(b, v);
	else if (esc == TEMPLATE_ESCAPE_HTML)
		put_html(b, v);
	else
		put(b, v, strlen(v));
}

/* the variable name inside "{{ ... }}" (between p and end) into name;
 * false when it is not a plain name (then the text is copied) */
static bool
var_name(const char *p, const char *end, char *name, size_t len)
{
	const char *bar = memchr(p, '|', (size_t) (end - p));
	size_t      n;

	if (bar != NULL)
		end = bar;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	n = (size_t) (end - p);
	if (n == 0 || n >= len)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = p[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		        (ch >= '0' && ch <= '9') || ch == '_'))
			return false;
	}
	memcpy(name, p, n);
	name[n] = '\0';
	return true;
}

mc_err
template_render(const char *text, template_lookup lookup, void *ctx,
    template_escape esc, char **out)
{
	buf         b = {0};
	const char *p = text;
	char        name[TEMPLATE_NAME_MAX];

	*out = NULL;
	put(&b, "", 0);
	while (*p != '\0') {
		const char *open = strstr(p, "{{"), *close;
		if (open == NULL || (close = strstr(open + 2, "}}")) == NULL) {
			put(&b, p, strlen(p));
			break;
		}
		put(&b, p, (size_t) (open - p));
		if (var_name(open + 2, close, name, sizeof(name))) {
			const char *v = lookup(name, ctx);
			put_value(&b, v ? v : "", esc);
		} else {
			put(&b, open, (size_t) (close + 2 - open));
		}
		p = close + 2;
	}
	if (b.oom) {
		free(b.p);
		return MC_ENOMEM;
	}
	*out = b.p;
	return MC_OK;
}
