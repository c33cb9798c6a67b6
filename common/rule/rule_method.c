/* rule_method.c - the methods of the rule language: strip lstrip rstrip
 * startswith endswith split rsplit here, the others in rule_text.c,
 * rule_shape.c and (a dict's) rule_seq.c, one row each in the table
 * below; and subscripts (x[i], x[lo:hi]) on strings, lists, ranges and
 * dicts, by code point as in Python 3. Results
 * are views into the receiver where possible; split() takes scratch
 * memory. */
#include "rule/rule_builtin.h"

#include <string.h>

#include "rule/rule_int.h"
#include "rule/rule_seq.h"
#include "rule/rule_text.h"

static bool
is_space(char ch)
{
	return ch == ' ' || (ch >= '\t' && ch <= '\r') ||
	       (ch >= '\x1c' && ch <= '\x1f');
}

static bool
is_cont(char ch)
{
	return ((unsigned char) ch & 0xC0) == 0x80;
}

/* cp_len - bytes of the code point that starts at p[0] (of n). */
static size_t
cp_len(const char *p, size_t n)
{
	size_t k = 1;

	while (k < n && is_cont(p[k]))
		k++;
	return k;
}

/* in_set - is the code point p[0..k) one of those in chars, or ASCII
 * whitespace when chars is NULL? */
static bool
in_set(const char *p, size_t k, const rule_value *chars)
{
	if (chars == NULL)
		return k == 1 && is_space(p[0]);
	for (size_t i = 0; i < chars->u.s.n;) {
		size_t ck = cp_len(chars->u.s.p + i, chars->u.s.n - i);
		if (ck == k && memcmp(chars->u.s.p + i, p, k) == 0)
			return true;
		i += ck;
	}
	return false;
}

static rule_value
strip(const rule_value *s, const rule_value *chars, bool left, bool right)
{
	const char *p = s->u.s.p;
	size_t      lo = 0, hi = s->u.s.n;

	while (left && lo < hi) {
		size_t k = cp_len(p + lo, hi - lo);
		if (!in_set(p + lo, k, chars))
			break;
		lo += k;
	}
	while (right && hi > lo) {
		size_t start = hi - 1;
		while (start > lo && is_cont(p[start]))
			start--;
		if (!in_set(p + start, hi - start, chars))
			break;
		hi = start;
	}
	return (rule_value){.t = V_STR, .u.s = {p + lo, hi - lo}};
}

static bool
affix_one(const rule_value *s, const rule_value *a, bool end)
{
	size_t n = a->u.s.n;

	if (n > s->u.s.n)
		return false;
	return memcmp(s->u.s.p + (end ? s->u.s.n - n : 0), a->u.s.p, n) == 0;
}

/* affix - startswith/endswith: a string or a tuple of strings. */
static bool
affix(rule_ctx *c, const rule_value *s, const rule_value *a, bool end,
    rule_value *out)
{
	static const char *const bad = "TypeError: startswith/endswith "
	                               "needs a string or a tuple of strings";

	*out = (rule_value){.t = V_BOOL};
	if (a->t == V_STR) {
		out->u.b = affix_one(s, a, end);
		return true;
	}
	if (a->t != V_LIST || !a->u.l.tuple) /* a list is a TypeError */
		return rule_fail(c, bad);
	for (size_t i = 0; i < a->u.l.n; i++) {
		if (a->u.l.items[i].t != V_STR)
			return rule_fail(c, bad);
		out->u.b = out->u.b || affix_one(s, &a->u.l.items[i], end);
	}
	return true;
}

/* next_field - the next piece of s from *pos; false when none is left.
 * sep NULL: split on runs of whitespace, dropping empty pieces. */
static bool
next_field(
    const rule_value *s, const rule_value *sep, size_t *pos, rule_value *out)
{
	const char *p = s->u.s.p;
	size_t      n = s->u.s.n, i = *pos, start;

	if (sep == NULL) {
		while (i < n && is_space(p[i]))
			i++;
		if (i == n)
			return false;
		for (start = i; i < n && !is_space(p[i]); i++)
			;
		*out = (rule_value){.t = V_STR, .u.s = {p + start, i - start}};
		*pos = i;
		return true;
	}
	if (i > n)
		return false;
	for (start = i; i + sep->u.s.n <= n; i++)
		if (memcmp(p + i, sep->u.s.p, sep->u.s.n) == 0)
			break;
	if (i + sep->u.s.n > n)
		i = n;
	*out = (rule_value){.t = V_STR, .u.s = {p + start, i - start}};
	*pos = i + sep->u.s.n; /* past the end after the last piece */
	if (i == n)
		*pos = n + 1;
	return true;
}

/* split - Python's str.split(sep, maxsplit): at most max + 1 pieces
 * (max < 0: no limit), the last one the rest of s (with its leading
 * whitespace dropped when sep is None) */
static bool
split(rule_ctx *c, const rule_value *s, const rule_value *sep, int64_t max,
    rule_value *out)
{
	size_t     n = 0, pos = 0, i = 0;
	rule_value piece, *items;

	if (sep != NULL && sep->t == V_NONE)
		sep = NULL;
	if (sep != NULL && sep->t != V_STR)
		return rule_fail(c, "TypeError: split() separator must be a "
		                    "string or None");
	if (sep != NULL && sep->u.s.n == 0)
		return rule_fail(c, "ValueError: empty separator");
	while (next_field(s, sep, &pos, &piece))
		n++;
	if ((items = rule_scratch_alloc(c, (n + 1) * sizeof(*items))) == NULL)
		return false;
	for (pos = 0; i < n; i++) {
		if (max >= 0 && (int64_t) i == max) {
			size_t at = pos;
			while (sep == NULL && at < s->u.s.n &&
			       is_space(s->u.s.p[at]))
				at++;
			if (at >= s->u.s.n && sep == NULL)
				break;
			items[i++] = (rule_value){.t = V_STR,
			    .u.s = {s->u.s.p + at,
			        at < s->u.s.n ? s->u.s.n - at : 0}};
			break;
		}
		if (!next_field(s, sep, &pos, &piece))
			break;
		items[i] = piece;
	}
	*out = (rule_value){.t = V_LIST, .u.l = {items, i}};
	return true;
}

/* ---- the methods: rule_builtin_fn with the receiver in args[0] ---- */

/* receiver - the string a method is called on; NULL after the error */
static const rule_value *
receiver(rule_ctx *c, const rule_value *args)
{
	if (args[0].t != V_STR) {
		rule_fail(c, "AttributeError: string methods need a string");
		return NULL;
	}
	return &args[0];
}

/* strip_chars - strip's optional argument: NULL for whitespace */
static bool
strip_chars(rule_ctx *c, const rule_value *args, size_t nargs,
    const rule_value **chars)
{
	*chars = nargs > 1 && args[1].t != V_NONE ? &args[1] : NULL;
	if (*chars != NULL && (*chars)->t != V_STR)
		return rule_fail(c, "TypeError: strip arg must be a string or "
		                    "None");
	return true;
}

static bool
stripped(rule_ctx *c, const rule_value *args, size_t nargs, bool left,
    bool right, rule_value *out)
{
	const rule_value *self = receiver(c, args), *chars;

	if (self == NULL || !strip_chars(c, args, nargs, &chars))
		return false;
	*out = strip(self, chars, left, right);
	return true;
}

static bool
m_strip(rule_ctx *c, const rule_value *args, size_t nargs, rule_value *out)
{
	return stripped(c, args, nargs, true, true, out);
}

static bool
m_lstrip(rule_ctx *c, const rule_value *args, size_t nargs, rule_value *out)
{
	return stripped(c, args, nargs, true, false, out);
}

static bool
m_rstrip(rule_ctx *c, const rule_value *args, size_t nargs, rule_value *out)
{
	return stripped(c, args, nargs, false, true, out);
}

static bool
m_startswith(
    rule_ctx *c, const rule_value *args, size_t nargs, rule_value *out)
{
	const rule_value *self = receiver(c, args);

	(void) nargs;
	return self != NULL && affix(c, self, &args[1], false, out);
}

static bool
m_endswith(rule_ctx *c, const rule_value *args, size_t nargs, rule_value *out)
{
	const rule_value *self = receiver(c, args);

	(void) nargs;
	return self != NULL && affix(c, self, &args[1], true, out);
}

static bool
m_split(rule_ctx *c, const rule_value *args, size_t nargs, rule_value *out)
{
	const rule_value *self = receiver(c, args);
	int64_t           max = -1;

	if (nargs > 2) {
		if (args[2].t != V_INT && args[2].t != V_BOOL)
			return rule_fail(c, "TypeError: maxsplit must be an "
			                    "integer");
		max = rule_as_int(&args[2]);
	}
	return self != NULL &&
	       split(c, self, nargs > 1 ? &args[1] : NULL, max, out);
}

/* m_rsplit - Python's str.rsplit(sep, maxsplit): the pieces of split(),
 * the first ones kept together (as they stand in s) when there are more
 * than maxsplit splits */
static bool
m_rsplit(rule_ctx *c, const rule_value *args, size_t nargs, rule_value *out)
{
	const rule_value *self = receiver(c, args);
	const rule_value *sep =
	    nargs > 1 && args[1].t != V_NONE ? &args[1] : NULL;
	int64_t    max = -1;
	rule_value all, *v;
	size_t     n, keep, end;

	if (nargs > 2) {
		if (args[2].t != V_INT && args[2].t != V_BOOL)
			return rule_fail(c, "TypeError: maxsplit must be an "
			                    "integer");
		max = rule_as_int(&args[2]);
	}
	if (self == NULL || !split(c, self, sep, -1, &all))
		return false;
	n = all.u.l.n;
	if (max < 0 || (uint64_t) max >= n - (sep != NULL && n > 0)) {
		*out = all;
		return true;
	}
	keep = (size_t) max; /* the last keep pieces stand alone */
	const rule_value *f = &all.u.l.items[n - keep - (sep == NULL)];
	end = (size_t) (f->u.s.p - self->u.s.p);
	if (sep == NULL)
		end += f->u.s.n;
	else
		end -= sep->u.s.n;
	if ((v = rule_scratch_alloc(c, (keep + 2) * sizeof(*v))) == NULL)
		return false;
	v[0] = (rule_value){.t = V_STR, .u.s = {self->u.s.p, end}};
	memcpy(v + 1, &all.u.l.items[n - keep], keep * sizeof(*v));
	*out = (rule_value){.t = V_LIST, .u.l = {v, keep + 1}};
	return true;
}

static const rule_builtin methods[] = {
    /* name, min_args, max_args, fn, tags_fn (arguments after the
     * receiver) */
    {"lower", 0, 0, rule_m_lower, NULL, NULL, 0},
    {"upper", 0, 0, rule_m_upper, NULL, NULL, 0},
    {"strip", 0, 1, m_strip, NULL, NULL, 0},
    {"lstrip", 0, 1, m_lstrip, NULL, NULL, 0},
    {"rstrip", 0, 1, m_rstrip, NULL, NULL, 0},
    {"startswith", 1, 1, m_startswith, NULL, NULL, 0},
    {"endswith", 1, 1, m_endswith, NULL, NULL, 0},
    {"split", 0, 2, m_split, NULL, "sep maxsplit", 0},
    {"rsplit", 0, 2, m_rsplit, NULL, "sep maxsplit", 0},
    /* rule_text.c */
    {"find", 1, 3, rule_m_find, NULL, NULL, 0},
    {"rfind", 1, 3, rule_m_rfind, NULL, NULL, 0},
    {"index", 1, 3, rule_m_index, NULL, NULL, 0},
    {"rindex", 1, 3, rule_m_rindex, NULL, NULL, 0},
    {"count", 1, 3, rule_m_count, NULL, NULL, 0},
    {"replace", 2, 3, rule_m_replace, NULL, NULL, 0},
    {"isdigit", 0, 0, rule_m_isdigit, NULL, NULL, 0},
    {"isdecimal", 0, 0, rule_m_isdecimal, NULL, NULL, 0},
    {"isnumeric", 0, 0, rule_m_isnumeric, NULL, NULL, 0},
    {"isalpha", 0, 0, rule_m_isalpha, NULL, NULL, 0},
    {"isalnum", 0, 0, rule_m_isalnum, NULL, NULL, 0},
    {"isspace", 0, 0, rule_m_isspace, NULL, NULL, 0},
    {"islower", 0, 0, rule_m_islower, NULL, NULL, 0},
    {"isupper", 0, 0, rule_m_isupper, NULL, NULL, 0},
    {"isascii", 0, 0, rule_m_isascii, NULL, NULL, 0},
    /* rule_shape.c */
    {"join", 1, 1, rule_m_join, NULL, NULL, 0},
    {"ljust", 1, 2, rule_m_ljust, NULL, NULL, 0},
    {"rjust", 1, 2, rule_m_rjust, NULL, NULL, 0},
    {"center", 1, 2, rule_m_center, NULL, NULL, 0},
    {"zfill", 1, 1, rule_m_zfill, NULL, NULL, 0},
    {"partition", 1, 1, rule_m_partition, NULL, NULL, 0},
    {"rpartition", 1, 1, rule_m_rpartition, NULL, NULL, 0},
    {"removeprefix", 1, 1, rule_m_removeprefix, NULL, NULL, 0},
    {"removesuffix", 1, 1, rule_m_removesuffix, NULL, NULL, 0},
    {"capitalize", 0, 0, rule_m_capitalize, NULL, NULL, 0},
    {"title", 0, 0, rule_m_title, NULL, NULL, 0},
    {"swapcase", 0, 0, rule_m_swapcase, NULL, NULL, 0},
    {"casefold", 0, 0, rule_m_casefold, NULL, NULL, 0},
    {"istitle", 0, 0, rule_m_istitle, NULL, NULL, 0},
    {"isprintable", 0, 0, rule_m_isprintable, NULL, NULL, 0},
    {"isidentifier", 0, 0, rule_m_isidentifier, NULL, NULL, 0},
    {"splitlines", 0, 1, rule_m_splitlines, NULL, "keepends", 0},
    {"expandtabs", 0, 1, rule_m_expandtabs, NULL, "tabsize", 0},
    /* rule_seq.c: a dict's */
    {"get", 1, 2, rule_m_get, NULL, NULL, 0},
    {"keys", 0, 0, rule_m_keys, NULL, NULL, 0},
    {"values", 0, 0, rule_m_values, NULL, NULL, 0},
    {"items", 0, 0, rule_m_items, NULL, NULL, 0},
};

const rule_builtin *
rule_methods(size_t *n)
{
	*n = sizeof(methods) / sizeof(methods[0]);
	return methods;
}

/* bound - a Python index or slice bound, resolved against len. */
static bool
bound(
    rule_ctx *c, const rule_value *v, int64_t dflt, int64_t len, int64_t *out)
{
	if (v->t == V_NONE) {
		*out = dflt;
		return true;
	}
	if (v->t != V_INT && v->t != V_BOOL)
		return rule_fail(c, "TypeError: indices must be integers");
	*out = v->t == V_BOOL ? v->u.b : v->u.i;
	if (*out < 0)
		*out += len;
	return true;
}

static int64_t
clamp(int64_t i, int64_t len)
{
	return i < 0 ? 0 : i > len ? len : i;
}

static bool
dict_get(
    rule_ctx *c, const rule_value *d, const rule_value *k, rule_value *out)
{
	if (!rule_hashable(c, k))
		return false;
	for (size_t i = 0; i < d->u.l.n; i++)
		if (rule_equal(k, &d->u.l.items[2 * i])) {
			*out = d->u.l.items[2 * i + 1];
			return true;
		}
	return rule_fail(c, "KeyError: key not in dict");
}

static bool bound(
    rule_ctx *c, const rule_value *v, int64_t dflt, int64_t len, int64_t *out);
static int64_t clamp(int64_t i, int64_t len);

/* range_index - r[i] and r[lo:hi] without making the range's items */
static bool
range_index(rule_ctx *c, const rule_value *r, const rule_value *lo,
    const rule_value *hi, bool slice, rule_value *out)
{
	int64_t len = rule_range_len(r), i = 0, j = 0;

	if (!bound(c, lo, 0, len, &i) ||
	    (slice && !bound(c, hi, len, len, &j)))
		return false;
	if (!slice) {
		if (lo->t == V_NONE || i < 0 || i >= len)
			return rule_fail(c, "IndexError: range object index "
			                    "out of range");
		*out = (rule_value){
		    .t = V_INT, .u.i = r->u.r.start + i * r->u.r.step};
		return true;
	}
	i = clamp(i, len);
	j = clamp(j, len);
	if (j < i)
		j = i;
	*out = (rule_value){.t = V_RANGE,
	    .u.r = {r->u.r.start + i * r->u.r.step,
	        r->u.r.start + j * r->u.r.step, r->u.r.step}};
	return true;
}

bool
rule_index(rule_ctx *c, const rule_value *obj, const rule_value *lo,
    const rule_value *hi, bool slice, rule_value *out)
{
	bool    str = obj->t == V_STR;
	int64_t len, i = 0, j = 0;

	if (obj->t == V_DICT && !slice)
		return dict_get(c, obj, lo, out);
	if (obj->t == V_RANGE)
		return range_index(c, obj, lo, hi, slice, out);
	if (!str && obj->t != V_LIST)
		return rule_fail(c, "TypeError: object is not subscriptable");
	len = (int64_t) (str ? rule_utf8_len(obj->u.s.p, obj->u.s.n)
	                     : obj->u.l.n);
	if (!bound(c, lo, 0, len, &i) ||
	    (slice && !bound(c, hi, len, len, &j)))
		return false;
	if (!slice) {
		if (lo->t == V_NONE || i < 0 || i >= len)
			return rule_fail(c, "IndexError: index out of range");
		j = i + 1;
	}
	i = clamp(i, len);
	j = clamp(j, len);
	if (j < i)
		j = i;
	if (!str) {
		*out = (rule_value){.t = V_LIST,
		    .u.l = {
		        obj->u.l.items + i, (size_t) (j - i), obj->u.l.tuple}};
		if (!slice)
			*out = obj->u.l.items[i];
		return true;
	}
	size_t bi = 0, bj, n = obj->u.s.n;
	for (int64_t k = 0; k < i && bi < n; k++)
		bi += cp_len(obj->u.s.p + bi, n - bi);
	bj = bi;
	for (int64_t k = i; k < j && bj < n; k++)
		bj += cp_len(obj->u.s.p + bj, n - bj);
	*out = (rule_value){.t = V_STR, .u.s = {obj->u.s.p + bi, bj - bi}};
	return true;
}

/* step_bound - a bound of a slice with a step, as Python's
 * PySlice_AdjustIndices: negatives count from the end, then clamp to
 * [0, len] going forward or [-1, len - 1] going backward. */
static bool
step_bound(rule_ctx *c, const rule_value *v, int64_t dflt, int64_t len,
    bool back, int64_t *out)
{
	if (v->t == V_NONE) {
		*out = dflt;
		return true;
	}
	if (!bound(c, v, dflt, len, out))
		return false;
	if (*out < 0)
		*out = back ? -1 : 0;
	else if (*out >= len)
		*out = back ? len - 1 : len;
	return true;
}

bool
rule_slice_step(rule_ctx *c, const rule_value *obj, const rule_value *lo,
    const rule_value *hi, const rule_value *step, rule_value *out)
{
	bool    str = obj->t == V_STR;
	int64_t len, s, i = 0, j = 0, count = 0;
	size_t *at = NULL; /* byte offset of each code point, and the end */

	if (!str && obj->t != V_LIST)
		return rule_fail(c, "TypeError: object is not subscriptable");
	if (step->t != V_INT && step->t != V_BOOL)
		return rule_fail(
		    c, "TypeError: slice indices must be integers");
	if ((s = rule_as_int(step)) == 0)
		return rule_fail(c, "ValueError: slice step cannot be zero");
	len = (int64_t) (str ? rule_utf8_len(obj->u.s.p, obj->u.s.n)
	                     : obj->u.l.n);
	if (!step_bound(c, lo, s > 0 ? 0 : len - 1, len, s < 0, &i) ||
	    !step_bound(c, hi, s > 0 ? len : -1, len, s < 0, &j))
		return false;
	for (int64_t k = i; s > 0 ? k < j : k > j; k += s)
		count++;
	if (!str) {
		rule_value *v =
		    rule_scratch_alloc(c, ((size_t) count + 1) * sizeof(*v));
		if (v == NULL)
			return false;
		for (int64_t k = 0; k < count; k++)
			v[k] = obj->u.l.items[i + k * s];
		*out = (rule_value){
		    .t = V_LIST, .u.l = {v, (size_t) count, obj->u.l.tuple}};
		return true;
	}
	if ((at = rule_scratch_alloc(c, ((size_t) len + 1) * sizeof(*at))) ==
	    NULL)
		return false;
	for (size_t b = 0, k = 0; b <= obj->u.s.n; b++)
		if (b == obj->u.s.n || !is_cont(obj->u.s.p[b]))
			at[k++] = b;
	char  *d = rule_scratch_alloc(c, obj->u.s.n + 1);
	size_t o = 0;
	if (d == NULL)
		return false;
	for (int64_t k = 0; k < count; k++) {
		int64_t cp = i + k * s;
		size_t  n = at[cp + 1] - at[cp];
		memcpy(d + o, obj->u.s.p + at[cp], n);
		o += n;
	}
	*out = (rule_value){.t = V_STR, .u.s = {d, o}};
	return true;
}
