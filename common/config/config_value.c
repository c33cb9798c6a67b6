/* config_value.c - turns document nodes into typed values (strings,
 * booleans, integers, enums, string lists) and into the generic forms we
 * keep (key/value lists, compact JSON text). Each reports a wrong type or
 * value at the node itself; none knows what a field means. */
#include "config/config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_int.h"

#define CONFIG_ENUM_LIST_LEN 160

static const char *
kind_str(const cnode *v)
{
	switch (v->kind) {
	case CNODE_SEQ:
		return "a list";
	case CNODE_MAP:
		return "a mapping";
	default:
		return "a string";
	}
}

static bool
is_word(const cnode *v, const char *const *words)
{
	if (v->kind != CNODE_SCALAR)
		return false;
	for (size_t i = 0; words[i] != NULL; i++)
		if (strcmp(v->text, words[i]) == 0)
			return true;
	return false;
}

/* YAML 1.1 spellings, as libyaml's users (PyYAML) resolve them. */
static const char *const true_words[] = {
    "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", NULL};
static const char *const false_words[] = {
    "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", NULL};
static const char *const null_words[] = {
    "null", "Null", "NULL", "~", "", NULL};

bool
cval_is_null(const cnode *v)
{
	return v->kind == CNODE_SCALAR && v->style == CNODE_PLAIN &&
	       is_word(v, null_words);
}

int
cval_bool_word(const cnode *v)
{
	if (is_word(v, true_words))
		return 1;
	if (is_word(v, false_words))
		return 0;
	return -1;
}

static bool
want_scalar(cctx *x, const cnode *v, const char *path, const char *what)
{
	if (v->kind == CNODE_SCALAR)
		return true;
	cctx_error(x, v, path, "expected %s, got %s", what, kind_str(v));
	return false;
}

bool
cval_str(cctx *x, const cnode *v, const char *path, const char **out)
{
	if (cval_is_null(v))
		return true;
	if (!want_scalar(x, v, path, "a string"))
		return false;
	*out = v->text;
	return true;
}

bool
cval_bool(cctx *x, const cnode *v, const char *path, bool *out)
{
	if (cval_is_null(v))
		return true;
	if (!want_scalar(x, v, path, "true or false"))
		return false;
	if (is_word(v, true_words))
		*out = true;
	else if (is_word(v, false_words))
		*out = false;
	else {
		cctx_error(
		    x, v, path, "expected true or false, got '%s'", v->text);
		return false;
	}
	return true;
}

/* integer_digits - how many digits s starts with when s is an integer:
 * digits, optionally followed by "." and zeros ("259200.0", which mercure
 * writes for a time it computed as a float and its model reads as an
 * int); 0 when it is not one. */
static size_t
integer_digits(const char *s)
{
	size_t n = strspn(s, "0123456789");

	if (n == 0 ||
	    (s[n] != '\0' &&
	        (s[n] != '.' || strspn(s + n + 1, "0") != strlen(s + n + 1))))
		return 0;
	return n;
}

bool
cval_uint(
    cctx *x, const cnode *v, const char *path, uint32_t max, uint32_t *out)
{
	unsigned long long n = 0;

	if (cval_is_null(v))
		return true;
	if (!want_scalar(x, v, path, "an integer"))
		return false;
	if (integer_digits(v->text) == 0) {
		cctx_error(x, v, path,
		    "expected a non-negative integer, got '%s'", v->text);
		return false;
	}
	for (size_t i = 0; i < integer_digits(v->text) && n <= max; i++)
		n = n * 10 + (unsigned) (v->text[i] - '0');
	if (n > max) {
		cctx_error(x, v, path, "must be at most %lu, got %s",
		    (unsigned long) max, v->text);
		return false;
	}
	*out = (uint32_t) n;
	return true;
}

bool
cval_int(cctx *x, const cnode *v, const char *path, int32_t *out)
{
	long long   n = 0;
	const char *d;

	if (cval_is_null(v))
		return true;
	if (!want_scalar(x, v, path, "an integer"))
		return false;
	d = v->text + (v->text[0] == '-' || v->text[0] == '+');
	if (integer_digits(d) == 0) {
		cctx_error(
		    x, v, path, "expected an integer, got '%s'", v->text);
		return false;
	}
	for (size_t i = 0; i < integer_digits(d) && n <= INT32_MAX; i++)
		n = n * 10 + (d[i] - '0');
	if (n > INT32_MAX) {
		cctx_error(x, v, path, "must be %s %ld, got %s",
		    v->text[0] == '-' ? "at least" : "at most",
		    v->text[0] == '-' ? -(long) INT32_MAX : (long) INT32_MAX,
		    v->text);
		return false;
	}
	*out = (int32_t) (v->text[0] == '-' ? -n : n);
	return true;
}

bool
cval_double(cctx *x, const cnode *v, const char *path, double *out)
{
	char  *end;
	double d;

	if (cval_is_null(v))
		return true;
	if (!want_scalar(x, v, path, "a number"))
		return false;
	d = strtod(v->text, &end);
	if (v->len == 0 || *end != '\0' || !isfinite(d)) {
		cctx_error(x, v, path, "expected a number, got '%s'", v->text);
		return false;
	}
	*out = d;
	return true;
}

bool
cval_enum(cctx *x, const cnode *v, const char *path, const char *what,
    const char *const *names, size_t n, int *out)
{
	char   list[CONFIG_ENUM_LIST_LEN] = "";
	size_t used = 0;

	if (cval_is_null(v))
		return true;
	if (!want_scalar(x, v, path, "a string"))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v->text, names[i]) == 0) {
			*out = (int) i;
			return true;
		}
	}
	for (size_t i = 0; i < n && used < sizeof(list); i++) {
		int w = snprintf(list + used, sizeof(list) - used, "%s%s",
		    i == 0       ? ""
		    : i + 1 == n ? " or "
		                 : ", ",
		    names[i]);
		used += w > 0 ? (size_t) w : 0;
	}
	cctx_error(
	    x, v, path, "unknown %s '%s' (expected %s)", what, v->text, list);
	return false;
}

bool
cval_strlist(cctx *x, const cnode *v, const char *path,
    const char *const **out, const cnode *const **nodes, size_t *n)
{
	const char  **s;
	const cnode **at;
	size_t        count = v->kind == CNODE_SEQ ? v->n : 1;
	bool          ok = true;

	*n = 0;
	if (v->kind == CNODE_MAP) {
		cctx_error(x, v, path, "expected a string or a list, got %s",
		    kind_str(v));
		return false;
	}
	s = config_mem_alloc(x->mem, count * sizeof(*s));
	at = config_mem_alloc(x->mem, count * sizeof(*at));
	if (s == NULL || at == NULL) {
		cctx_oom(x);
		return false;
	}
	for (size_t i = 0; i < count; i++) {
		const cnode *it = v->kind == CNODE_SEQ ? v->items[i] : v;
		if (it->kind != CNODE_SCALAR) {
			ok = want_scalar(x, it, path, "a string");
			continue;
		}
		if (cval_is_null(it) || it->len == 0)
			continue;
		s[*n] = it->text;
		at[*n] = it;
		(*n)++;
	}
	*out = s;
	*nodes = at;
	return ok;
}

bool
cval_is_empty_mapping(const cnode *v)
{
	return (v->kind == CNODE_SEQ || v->kind == CNODE_SCALAR) &&
	       v->n == 0 && v->len == 0;
}

bool
cval_map(cctx *x, const cnode *v, const char *path)
{
	if (v->kind == CNODE_MAP)
		return true;
	if (!cval_is_null(v))
		cctx_error(
		    x, v, path, "expected a mapping, got %s", kind_str(v));
	return false;
}

const cnode *
cval_field(const cnode *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->items[2 * i]->kind == CNODE_SCALAR &&
		    strcmp(m->items[2 * i]->text, key) == 0)
			return m->items[2 * i + 1];
	return NULL;
}
