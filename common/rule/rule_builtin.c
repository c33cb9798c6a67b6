/* rule_builtin.c - the functions of the rule language (bool int float
 * str len abs min max list tuple sorted here, the numeric ones in
 * rule_math.c), one row each in the table below, with Python 3's
 * semantics for strings and numbers, and the lookup behind both tables
 * (rule_builtin.h). The string methods are in rule_method.c. Case
 * mapping and whitespace are ASCII only (docs/rules.md). */
#include "rule/rule_builtin.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rule/rule_int.h"
#include "rule/rule_math.h"
#include "rule/rule_seq.h"

#define RULE_NUM_TEXT_MAX 64 /* DICOM DS/IS values are at most 16 */
#define RULE_FLOAT_DIGITS 17 /* enough to round-trip any double */
#define RULE_REPR_MAX 40

const rule_builtin *
rule_builtin_find(
    const rule_builtin *(*table)(size_t *n), const char *name, size_t len)
{
	size_t              n;
	const rule_builtin *t = table(&n);

	for (size_t i = 0; i < n; i++)
		if (strlen(t[i].name) == len &&
		    memcmp(t[i].name, name, len) == 0)
			return &t[i];
	return NULL;
}

size_t
rule_utf8_len(const char *p, size_t n)
{
	size_t cps = 0;

	for (size_t i = 0; i < n; i++)
		if (((unsigned char) p[i] & 0xC0) != 0x80)
			cps++;
	return cps;
}

static bool
is_space(char ch)
{
	return ch == ' ' || (ch >= '\t' && ch <= '\r') ||
	       (ch >= '\x1c' && ch <= '\x1f');
}

static rule_value
str_value(const char *p, size_t n)
{
	return (rule_value){.t = V_STR, .u.s = {p, n}};
}

/* number_text - s without surrounding whitespace and with '_' between
 * digits removed, NUL-terminated in buf; false if it cannot be a number. */
static bool
number_text(const rule_value *s, char *buf, size_t cap)
{
	const char *p = s->u.s.p, *e = p + s->u.s.n;
	size_t      o = 0;

	while (p < e && is_space(*p))
		p++;
	while (e > p && is_space(e[-1]))
		e--;
	for (const char *q = p; q < e; q++) {
		if (*q == '_' && q > p && q + 1 < e && q[-1] >= '0' &&
		    q[-1] <= '9' && q[1] >= '0' && q[1] <= '9')
			continue;
		if (o + 1 >= cap || *q == '\0')
			return false;
		buf[o++] = *q;
	}
	buf[o] = '\0';
	return o > 0;
}

static bool
parse_int(rule_ctx *c, const rule_value *s, int64_t *out)
{
	char  buf[RULE_NUM_TEXT_MAX], *end;
	char *digits = buf;

	if (!number_text(s, buf, sizeof(buf)))
		goto bad;
	if (*digits == '+' || *digits == '-')
		digits++;
	if (*digits < '0' || *digits > '9' ||
	    strspn(digits, "0123456789") != strlen(digits))
		goto bad;
	errno = 0;
	*out = (int64_t) strtoll(buf, &end, 10);
	if (errno == ERANGE)
		return rule_fail(c, "OverflowError: integer out of 64-bit "
		                    "range");
	return true;
bad:
	return rule_fail(c, "ValueError: invalid literal for int()");
}

/* parse_float - Python's float(str): decimal or inf/infinity/nan with
 * an optional sign; no hex floats (which strtod would accept). */
static bool
parse_float(rule_ctx *c, const rule_value *s, double *out)
{
	char        buf[RULE_NUM_TEXT_MAX], *end;
	const char *p = buf;
	size_t      mant = 0;

	if (!number_text(s, buf, sizeof(buf)))
		goto bad;
	if (*p == '+' || *p == '-')
		p++;
	if (strcasecmp(p, "inf") == 0 || strcasecmp(p, "infinity") == 0 ||
	    strcasecmp(p, "nan") == 0) {
		*out = strtod(buf, &end);
		return true;
	}
	for (; *p >= '0' && *p <= '9'; p++)
		mant++;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			mant++;
	if (mant == 0)
		goto bad;
	if (*p == 'e' || *p == 'E') {
		p += p[1] == '+' || p[1] == '-' ? 2 : 1;
		if (*p < '0' || *p > '9')
			goto bad;
		p += strspn(p, "0123456789");
	}
	if (*p != '\0')
		goto bad;
	*out = strtod(buf, &end); /* overflow gives inf, as in Python */
	return true;
bad:
	return rule_fail(c, "ValueError: could not convert string to float");
}

/* shortest - the fewest significant digits that read back as x, into
 * digits (no dot, no trailing zeros); returns the decimal exponent. */
static int
shortest(double x, char *digits, size_t *nd)
{
	char  tmp[RULE_REPR_MAX];
	int   prec;
	char *e;

	for (prec = 1; prec < RULE_FLOAT_DIGITS; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, x);
		if (strtod(tmp, NULL) == x)
			break;
	}
	snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, x);
	e = strchr(tmp, 'e');
	*nd = 0;
	for (const char *q = tmp; q < e; q++)
		if (*q >= '0' && *q <= '9')
			digits[(*nd)++] = *q;
	while (*nd > 1 && digits[*nd - 1] == '0')
		(*nd)--;
	return (int) strtol(e + 1, NULL, 10);
}

/* float_repr - Python's repr(float): shortest round-trip digits, in
 * positional form for exponents in [-4, 16). out has RULE_REPR_MAX. */
void
rule_float_repr(double x, char *out)
{
	char   d[RULE_REPR_MAX];
	size_t nd, o = 0;
	int    exp;

	if (isnan(x) || isinf(x)) {
		snprintf(out, RULE_REPR_MAX, "%s",
		    isnan(x) ? "nan"
		    : x < 0  ? "-inf"
		             : "inf");
		return;
	}
	exp = shortest(x, d, &nd);
	if (signbit(x))
		out[o++] = '-';
	if (exp < -4 || exp >= 16) {
		out[o++] = d[0];
		if (nd > 1)
			out[o++] = '.';
		memcpy(out + o, d + 1, nd - 1);
		o += nd - 1;
		snprintf(out + o, RULE_REPR_MAX - o, "e%c%02d",
		    exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
		return;
	}
	if (exp < 0) {
		out[o++] = '0';
		out[o++] = '.';
		for (int i = 0; i < -exp - 1; i++)
			out[o++] = '0';
		memcpy(out + o, d, nd);
		out[o + nd] = '\0';
		return;
	}
	for (size_t i = 0; i < (size_t) exp + 1; i++)
		out[o++] = i < nd ? d[i] : '0';
	out[o++] = '.';
	if (nd <= (size_t) exp + 1)
		out[o++] = '0';
	for (size_t i = (size_t) exp + 1; i < nd; i++)
		out[o++] = d[i];
	out[o] = '\0';
}

/* ---- the functions: rule_builtin_fn, arity checked by the parser ---- */

static const rule_value int_zero = {.t = V_INT};

static bool
fn_str(rule_ctx *c, const rule_value *args, size_t nargs, rule_value *out)
{
	static const rule_value empty = {.t = V_STR, .u.s = {"", 0}};
	const rule_value       *v = nargs > 0 ? &args[0] : &empty;
	char                   *buf;

	switch (v->t) {
	case V_STR:
		*out = *v;
		return true;
	case V_NONE:
		*out = str_value("None", 4);
		return true;
	case V_BOOL:
		*out = v->u.b ? str_value("True", 4) : str_value("False", 5);
		return true;
	case V_INT:
	case V_FLOAT:
		break;
	default:
		return rule_str(c, v, out);
	}
	if ((buf = rule_scratch_alloc(c, RULE_REPR_MAX)) == NULL)
		return false;
	if (v->t == V_INT)
		snprintf(buf, RULE_REPR_MAX, "%lld", (long long) v->u.i);
	else
		rule_float_repr(v->u.f, buf);
	*out = str_value(buf, strlen(buf));
	return true;
}

static bool
fn_int(rule_ctx *c, const rule_value *args, size_t nargs, rule_value *out)
{
	const rule_value *v = nargs > 0 ? &args[0] : &int_zero;

	out->t = V_INT;
	switch (v->t) {
	case V_BOOL:
		out->u.i = v->u.b;
		return true;
	case V_INT:
		out->u.i = v->u.i;
		return true;
	case V_STR:
		return parse_int(c, v, &out->u.i);
	case V_FLOAT:
		if (isnan(v->u.f))
			return rule_fail(c, "ValueError: cannot convert float "
			                    "NaN to integer");
		if (!(v->u.f > -9223372036854775808.0 &&
		        v->u.f < 9223372036854775808.0))
			return rule_fail(c, "OverflowError: integer out of "
			                    "64-bit range");
		out->u.i = (int64_t) v->u.f; /* truncates, as int() does */
		return true;
	default:
		return rule_fail(c, "TypeError: int() argument must be a "
		                    "string or a number");
	}
}

static bool
fn_float(rule_ctx *c, const rule_value *args, size_t nargs, rule_value *out)
{
	const rule_value *v = nargs > 0 ? &args[0] : &int_zero;

	out->t = V_FLOAT;
	switch (v->t) {
	case V_BOOL:
	case V_INT:
		out->u.f = (double) (v->t == V_BOOL ? v->u.b : v->u.i);
		return true;
	case V_FLOAT:
		out->u.f = v->u.f;
		return true;
	case V_STR:
		return parse_float(c, v, &out->u.f);
	default:
		return rule_fail(c, "TypeError: float() argument must be a "
		                    "string or a number");
	}
}

static bool
fn_len(rule_ctx *c, const rule_value *args, size_t nargs, rule_value *out)
{
	const rule_value *v = &args[0];

	(void) nargs;
	out->t = V_INT;
	if (v->t == V_STR)
		out->u.i = (int64_t) rule_utf8_len(v->u.s.p, v->u.s.n);
	else if (v->t == V_LIST || v->t == V_DICT || v->t == V_SET)
		out->u.i = (int64_t) v->u.l.n;
	else if (v->t == V_RANGE)
		out->u.i = rule_range_len(v);
	else
		return rule_fail(c, "TypeError: object has no len()");
	return true;
}

static bool
fn_abs(rule_ctx *c, const rule_value *args, size_t nargs, rule_value *out)
{
	const rule_value *v = &args[0];

	(void) nargs;
	if (v->t == V_FLOAT) {
		*out = (rule_value){.t = V_FLOAT, .u.f = fabs(v->u.f)};
		return true;
	}
	if (v->t != V_INT && v->t != V_BOOL)
		return rule_fail(c, "TypeError: bad operand type for abs()");
	int64_t i = v->t == V_BOOL ? v->u.b : v->u.i;
	if (i == INT64_MIN)
		return rule_fail(c, "OverflowError: integer out of 64-bit "
		                    "range");
	*out = (rule_value){.t = V_INT, .u.i = i < 0 ? -i : i};
	return true;
}

/* extreme - min() or max() of the arguments, or of one list argument;
 * the first of equal values wins, as in Python. */
static bool
extreme(rule_ctx *c, rule_op better_op, const rule_value *args, size_t n,
    rule_value *out)
{
	if (n == 1) {
		if (args[0].t == V_STR || !rule_items(c, &args[0], &args, &n))
			return rule_fail(c, "TypeError: min()/max() of one "
			                    "argument needs a list");
		if (n == 0)
			return rule_fail(c, "ValueError: min()/max() of an "
			                    "empty list");
	}
	*out = args[0];
	for (size_t i = 1; i < n; i++) {
		bool better;
		if (!rule_compare(c, better_op, &args[i], out, &better))
			return false;
		if (better)
			*out = args[i];
	}
	return true;
}

static bool
fn_bool(rule_ctx *c, const rule_value *args, size_t nargs, rule_value *out)
{
	(void) c;
	*out = (rule_value){
	    .t = V_BOOL, .u.b = nargs > 0 && rule_truthy(&args[0])};
	return true;
}

/* fn_len_tags - len(tags): the number of tags of the instance */
static bool
fn_len_tags(rule_ctx *c, const rule_value *args, size_t nargs, rule_value *out)
{
	(void) args;
	(void) nargs;
	*out = (rule_value){.t = V_INT,
	    .u.i = c->tags ? (int64_t) mc_tagset_count(c->tags) : 0};
	return true;
}

static bool
fn_min(rule_ctx *c, const rule_value *args, size_t nargs, rule_value *out)
{
	return extreme(c, OP_LT, args, nargs, out);
}

static bool
fn_max(rule_ctx *c, const rule_value *args, size_t nargs, rule_value *out)
{
	return extreme(c, OP_GT, args, nargs, out);
}

/* items - the elements of a list, tuple or string (its code points, as
 * views) into a new scratch array. */
static bool
items(rule_ctx *c, const rule_value *v, rule_value **out, size_t *n)
{
	const rule_value *own;

	if (!rule_items(c, v, &own, n) ||
	    (*out = rule_scratch_alloc(c, (*n + 1) * sizeof(**out))) == NULL)
		return false;
	if (*n > 0)
		memcpy(*out, own, *n * sizeof(**out));
	return true;
}

static bool
sequence_of(rule_ctx *c, const rule_value *args, size_t nargs, bool tuple,
    rule_value *out)
{
	rule_value *v = NULL;
	size_t      n = 0;

	if (nargs > 0 && !items(c, &args[0], &v, &n))
		return false;
	*out = (rule_value){.t = V_LIST, .u.l = {v, n, tuple}};
	return true;
}

static bool
fn_list(rule_ctx *c, const rule_value *args, size_t nargs, rule_value *out)
{
	return sequence_of(c, args, nargs, false, out);
}

static bool
fn_tuple(rule_ctx *c, const rule_value *args, size_t nargs, rule_value *out)
{
	return sequence_of(c, args, nargs, true, out);
}

/* merge - stable merge sort of v[0..n) by op (OP_LT, or OP_GT for
 * reverse=True), through tmp; false when two items cannot be ordered. */
static bool
merge(rule_ctx *c, rule_value *v, rule_value *tmp, size_t n, unsigned op)
{
	size_t h = n / 2, i = 0, j = h, o = 0;

	if (n < 2)
		return true;
	if (!merge(c, v, tmp, h, op) || !merge(c, v + h, tmp, n - h, op))
		return false;
	while (i < h && j < n) {
		bool before;
		if (!rule_compare(c, op, &v[j], &v[i], &before))
			return false;
		tmp[o++] = before ? v[j++] : v[i++];
	}
	while (i < h)
		tmp[o++] = v[i++];
	while (j < n)
		tmp[o++] = v[j++];
	memcpy(v, tmp, n * sizeof(*v));
	return true;
}

/* fn_sorted - a new list in ascending order (descending for
 * reverse=True); equal items keep their order and items that cannot be
 * ordered are a TypeError, as in Python. */
static bool
fn_sorted(rule_ctx *c, const rule_value *args, size_t nargs, rule_value *out)
{
	rule_value *v, *tmp;
	size_t      n;

	if (!items(c, &args[0], &v, &n) ||
	    (tmp = rule_scratch_alloc(c, (n + 1) * sizeof(*tmp))) == NULL ||
	    !merge(c, v, tmp, n,
	        nargs > 1 && rule_truthy(&args[1]) ? OP_GT : OP_LT))
		return false;
	*out = (rule_value){.t = V_LIST, .u.l = {v, n, false}};
	return true;
}

static const rule_builtin functions[] = {
    /* name, min_args, max_args, fn, tags_fn */
    {"bool", 0, 1, fn_bool, NULL, NULL, 0},
    {"int", 0, 1, fn_int, NULL, NULL, 0},
    {"float", 0, 1, fn_float, NULL, NULL, 0},
    {"str", 0, 1, fn_str, NULL, "object", 0},
    {"len", 1, 1, fn_len, fn_len_tags, NULL, 0},
    {"abs", 1, 1, fn_abs, NULL, NULL, 0},
    {"min", 1, RULE_ANY_ARGS, fn_min, NULL, NULL, 0},
    {"max", 1, RULE_ANY_ARGS, fn_max, NULL, NULL, 0},
    {"round", 1, 2, rule_fn_round, NULL, "number ndigits", 0},
    {"sum", 1, 2, rule_fn_sum, NULL, "- start", 0},
    {"any", 1, 1, rule_fn_any, NULL, NULL, 0},
    {"all", 1, 1, rule_fn_all, NULL, NULL, 0},
    {"pow", 2, 2, rule_fn_pow, NULL, "base exp", 0},
    /* the math module's functions in mercure's safe_eval_cmds */
    {"sqrt", 1, 1, rule_fn_sqrt, NULL, NULL, 0},
    {"ceil", 1, 1, rule_fn_ceil, NULL, NULL, 0},
    {"floor", 1, 1, rule_fn_floor, NULL, NULL, 0},
    {"trunc", 1, 1, rule_fn_trunc, NULL, NULL, 0},
    {"log", 1, 2, rule_fn_log, NULL, NULL, 0},
    {"log10", 1, 1, rule_fn_log10, NULL, NULL, 0},
    {"log2", 1, 1, rule_fn_log2, NULL, NULL, 0},
    {"exp", 1, 1, rule_fn_exp, NULL, NULL, 0},
    {"sin", 1, 1, rule_fn_sin, NULL, NULL, 0},
    {"cos", 1, 1, rule_fn_cos, NULL, NULL, 0},
    {"tan", 1, 1, rule_fn_tan, NULL, NULL, 0},
    {"asin", 1, 1, rule_fn_asin, NULL, NULL, 0},
    {"acos", 1, 1, rule_fn_acos, NULL, NULL, 0},
    {"atan", 1, 1, rule_fn_atan, NULL, NULL, 0},
    {"atan2", 2, 2, rule_fn_atan2, NULL, NULL, 0},
    {"fabs", 1, 1, rule_fn_fabs, NULL, NULL, 0},
    {"isinf", 1, 1, rule_fn_isinf, NULL, NULL, 0},
    {"isnan", 1, 1, rule_fn_isnan, NULL, NULL, 0},
    {"factorial", 1, 1, rule_fn_factorial, NULL, NULL, 0},
    {"divmod", 2, 2, rule_fn_divmod, NULL, NULL, 0},
    {"hex", 1, 1, rule_fn_hex, NULL, NULL, 0},
    {"oct", 1, 1, rule_fn_oct, NULL, NULL, 0},
    {"bin", 1, 1, rule_fn_bin, NULL, NULL, 0},
    {"chr", 1, 1, rule_fn_chr, NULL, NULL, 0},
    {"ord", 1, 1, rule_fn_ord, NULL, NULL, 0},
    {"list", 0, 1, fn_list, NULL, NULL, 0},
    {"tuple", 0, 1, fn_tuple, NULL, NULL, 0},
    {"sorted", 1, 2, fn_sorted, NULL, "- *reverse", 0},
    /* rule_seq.c */
    {"range", 1, 3, rule_fn_range, NULL, NULL, 0},
    {"reversed", 1, 1, rule_fn_reversed, NULL, NULL, 0},
    {"enumerate", 1, 2, rule_fn_enumerate, NULL, "iterable start", 0},
    {"zip", 0, RULE_ANY_ARGS, rule_fn_zip, NULL, NULL, 0},
    {"filter", 2, 2, rule_fn_filter, NULL, NULL, 1},
    {"map", 2, RULE_ANY_ARGS, rule_fn_map, NULL, NULL, 1},
    {"dict", 0, 1, rule_fn_dict, NULL, NULL, 0},
    {"set", 0, 1, rule_fn_set, NULL, NULL, 0},
    {"frozenset", 0, 1, rule_fn_frozenset, NULL, NULL, 0},
    /* rule_format.c */
    {"format", 1, 2, rule_fn_format, NULL, NULL, 0},
    {"repr", 1, 1, rule_fn_repr, NULL, NULL, 0},
};

const rule_builtin *
rule_functions(size_t *n)
{
	*n = sizeof(functions) / sizeof(functions[0]);
	return functions;
}
