/* config_diag.c - diagnostics of a configuration load: collecting them
 * with file, position and field path, formatting them, and recognising
 * field names (known, known-but-ignored, unknown with a suggestion). */
#include "config/config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config/config_int.h"

/* A suggestion is offered for at most this many edits. */
#define CONFIG_SUGGEST_MAX_EDITS 2
#define CONFIG_SUGGEST_MAX_LEN 64

static void cctx_vdiag(cctx *x, config_severity sev, size_t line,
    size_t column, const char *field, const char *fmt, va_list ap)
    __attribute__((format(printf, 6, 0)));

static void
cctx_vdiag(cctx *x, config_severity sev, size_t line, size_t column,
    const char *field, const char *fmt, va_list ap)
{
	config_diag *d;

	if (sev == CONFIG_ERROR)
		x->n_errors++;
	if (x->n_diags >= x->max_diags)
		return;
	d = &x->diags[x->n_diags++];
	memset(d, 0, sizeof(*d));
	d->severity = sev;
	d->d.line = line;
	d->d.column = column;
	snprintf(d->d.file, sizeof(d->d.file), "%s", x->file);
	snprintf(d->d.field, sizeof(d->d.field), "%s", field);
	vsnprintf(d->d.msg, sizeof(d->d.msg), fmt, ap);
}

void
cctx_diag(cctx *x, config_severity sev, size_t line, size_t column,
    const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cctx_vdiag(x, sev, line, column, field, fmt, ap);
	va_end(ap);
}

void
cctx_error(cctx *x, const cnode *at, const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cctx_vdiag(x, CONFIG_ERROR, at ? at->line : 0, at ? at->column : 0,
	    field, fmt, ap);
	va_end(ap);
}

void
cctx_warn(cctx *x, const cnode *at, const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cctx_vdiag(x, CONFIG_WARNING, at ? at->line : 0, at ? at->column : 0,
	    field, fmt, ap);
	va_end(ap);
}

void
cctx_oom(cctx *x)
{
	x->oom = true;
}

const char *
config_diag_format(const config_diag *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%zu:%zu: %s%s: %s",
	    d->d.file[0] ? d->d.file : "-", d->d.line, d->d.column,
	    d->severity == CONFIG_WARNING ? "warning: " : "",
	    d->d.field[0] ? d->d.field : "-", d->d.msg);
	return buf;
}

const char *
config_path(char *buf, const char *parent, const char *key)
{
	if (parent == NULL || parent[0] == '\0')
		snprintf(buf, CONFIG_PATH_MAX_LEN, "%s", key);
	else
		snprintf(buf, CONFIG_PATH_MAX_LEN, "%s.%s", parent, key);
	return buf;
}

/* edit_distance - optimal string alignment distance of two short words:
 * insertions, deletions, substitutions and transpositions ("pcas"). */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t        la = strlen(a), lb = strlen(b);
	unsigned char d[CONFIG_SUGGEST_MAX_LEN + 1]
	               [CONFIG_SUGGEST_MAX_LEN + 1];

	if (la > CONFIG_SUGGEST_MAX_LEN || lb > CONFIG_SUGGEST_MAX_LEN)
		return (size_t) -1;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned char) i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned char) j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			unsigned best =
			    d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1u < best)
				best = d[i - 1][j] + 1u;
			if (d[i][j - 1] + 1u < best)
				best = d[i][j - 1] + 1u;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1u < best)
				best = d[i - 2][j - 2] + 1u;
			d[i][j] = (unsigned char) best;
		}
	}
	return d[la][lb];
}

const char *
config_suggest(const char *word, const char *const *cands)
{
	const char *best = NULL;
	size_t      bestd = CONFIG_SUGGEST_MAX_EDITS + 1;

	for (size_t i = 0; cands != NULL && cands[i] != NULL; i++) {
		size_t d = edit_distance(word, cands[i]);
		/* Two edits of a three-letter word is another word. */
		if (d < bestd && d * 3 <= strlen(cands[i])) {
			best = cands[i];
			bestd = d;
		}
	}
	return best;
}

static int
find_name(const char *word, const char *const *names)
{
	for (int i = 0; names != NULL && names[i] != NULL; i++)
		if (strcmp(word, names[i]) == 0)
			return i;
	return -1;
}

int
config_fields_check(cctx *x, const cnode *key, const char *path,
    const char *const *known, const char *const *ignored)
{
	const char *s;
	int         i;

	if (key->kind != CNODE_SCALAR) {
		cctx_error(x, key, path, "a key must be a string");
		return -1;
	}
	if ((i = find_name(key->text, known)) >= 0)
		return i;
	if (find_name(key->text, ignored) >= 0) {
		cctx_warn(x, key, path, "not implemented, ignored");
		return -1;
	}
	s = config_suggest(key->text, known);
	if (s == NULL)
		s = config_suggest(key->text, ignored);
	if (s != NULL)
		cctx_error(
		    x, key, path, "unknown field (did you mean '%s'?)", s);
	else
		cctx_error(x, key, path, "unknown field");
	return -1;
}

void
config_fields_note(
    cctx *x, const cnode *key, const char *path, const char *const *known)
{
	const char *s;

	if (key->kind != CNODE_SCALAR || find_name(key->text, known) >= 0)
		return;
	if ((s = config_suggest(key->text, known)) != NULL)
		cctx_warn(x, key, path,
		    "unknown field, kept (did you mean '%s'?)", s);
	else
		cctx_warn(x, key, path, "unknown field, kept");
}

void
cctx_sort(cctx *x)
{
	/* Insertion sort: stable, and there are few. */
	for (size_t i = 1; i < x->n_diags; i++) {
		config_diag t = x->diags[i];
		size_t      j = i;
		while (
		    j > 0 && (x->diags[j - 1].d.line > t.d.line ||
		                 (x->diags[j - 1].d.line == t.d.line &&
		                     x->diags[j - 1].d.column > t.d.column))) {
			x->diags[j] = x->diags[j - 1];
			j--;
		}
		x->diags[j] = t;
	}
}
