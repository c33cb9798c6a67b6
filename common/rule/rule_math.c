/* rule_math.c - round sum any all pow divmod hex oct bin chr ord and
 * the math module's functions that mercure's safe_eval_cmds exposes, with
 * Python 3's results and exceptions (math domain error, OverflowError, ...).
 * Integers are 64-bit as everywhere in the rule language (docs/rules.md). */
#include "rule/rule_math.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "rule/rule_int.h"

static const char not_real[] = "TypeError: must be real number";
static const char domain[] = "ValueError: math domain error";
static const char range[] = "OverflowError: math range error";
static const char int_range[] = "OverflowError: integer out of 64-bit range";

/* real - args[i] as a double, refusing what is not a number. */
static bool
real(rule_ctx *c, const rule_value *v, double *x)
{
	if (!rule_is_num(v))
		return rule_fail(c, not_real);
	*x = rule_as_double(v);
	return true;
}

static bool
float_out(rule_value *out, double x)
{
	*out = (rule_value){.t = V_FLOAT, .u.f = x};
	return true;
}

/* to_int - a float that is whole, as an int (ceil, floor, round, trunc). */
static bool
to_int(rule_ctx *c, double x, rule_value *out)
{
	if (isnan(x))
		return rule_fail(
		    c, "ValueError: cannot convert float NaN to integer");
	if (isinf(x))
		return rule_fail(c, "OverflowError: cannot convert float "
		                    "infinity to integer");
	if (!(x >= -9223372036854775808.0 && x < 9223372036854775808.0))
		return rule_fail(c, int_range);
	*out = (rule_value){.t = V_INT, .u.i = (int64_t) x};
	return true;
}

/* unary_math - f(x) for the math functions of one real argument: a NaN
 * from a number is a domain error, an infinity from a finite number a
 * range error, as CPython's math module checks. */
static bool
unary_math(
    rule_ctx *c, const rule_value *args, double (*f)(double), rule_value *out)
{
	double x = 0, y;

	if (!real(c, &args[0], &x))
		return false;
	y = f(x);
	if (isnan(y) && !isnan(x))
		return rule_fail(c, domain);
	if (isinf(y) && isfinite(x))
		return rule_fail(c, f == exp ? range : domain);
	return float_out(out, y);
}

#define UNARY(name, f)                                                        \
	RULE_MATH_FN(name)                                                    \
	{                                                                     \
		(void) nargs;                                                 \
		return unary_math(c, args, f, out);                           \
	}

UNARY(rule_fn_sqrt, sqrt)
UNARY(rule_fn_exp, exp)
UNARY(rule_fn_log10, log10)
UNARY(rule_fn_log2, log2)
UNARY(rule_fn_sin, sin)
UNARY(rule_fn_cos, cos)
UNARY(rule_fn_tan, tan)
UNARY(rule_fn_asin, asin)
UNARY(rule_fn_acos, acos)
UNARY(rule_fn_atan, atan)
UNARY(rule_fn_fabs, fabs)

RULE_MATH_FN(rule_fn_log)
{
	double x = 0, b = 0;

	if (!real(c, &args[0], &x))
		return false;
	if (x <= 0.0)
		return rule_fail(c, domain);
	if (nargs < 2)
		return float_out(out, log(x));
	if (!real(c, &args[1], &b))
		return false;
	if (b <= 0.0)
		return rule_fail(c, domain);
	if (b == 1.0)
		return rule_fail(c, "ZeroDivisionError: division by zero");
	return float_out(out, log(x) / log(b));
}

RULE_MATH_FN(rule_fn_atan2)
{
	double y = 0, x = 0;

	(void) nargs;
	if (!real(c, &args[0], &y) || !real(c, &args[1], &x))
		return false;
	return float_out(out, atan2(y, x));
}

/* rounding - ceil, floor and trunc: an int stays itself, a float becomes
 * the int Python gives. */
static bool
rounding(
    rule_ctx *c, const rule_value *v, double (*f)(double), rule_value *out)
{
	if (v->t == V_INT || v->t == V_BOOL) {
		*out = (rule_value){.t = V_INT, .u.i = rule_as_int(v)};
		return true;
	}
	if (v->t != V_FLOAT)
		return rule_fail(c, not_real);
	return to_int(c, f(v->u.f), out);
}

RULE_MATH_FN(rule_fn_ceil)
{
	(void) nargs;
	return rounding(c, &args[0], ceil, out);
}

RULE_MATH_FN(rule_fn_floor)
{
	(void) nargs;
	return rounding(c, &args[0], floor, out);
}

RULE_MATH_FN(rule_fn_trunc)
{
	(void) nargs;
	return rounding(c, &args[0], trunc, out);
}

RULE_MATH_FN(rule_fn_isinf)
{
	double x = 0;

	(void) nargs;
	if (!real(c, &args[0], &x))
		return false;
	*out = (rule_value){.t = V_BOOL, .u.b = isinf(x)};
	return true;
}

RULE_MATH_FN(rule_fn_isnan)
{
	double x = 0;

	(void) nargs;
	if (!real(c, &args[0], &x))
		return false;
	*out = (rule_value){.t = V_BOOL, .u.b = isnan(x)};
	return true;
}

RULE_MATH_FN(rule_fn_factorial)
{
	int64_t n, f = 1;

	(void) nargs;
	if (args[0].t != V_INT && args[0].t != V_BOOL)
		return rule_fail(c, "TypeError: factorial() only accepts "
		                    "integers");
	if ((n = rule_as_int(&args[0])) < 0)
		return rule_fail(c, "ValueError: factorial() not defined for "
		                    "negative values");
	for (int64_t i = 2; i <= n; i++)
		if (__builtin_mul_overflow(f, i, &f))
			return rule_fail(c, int_range);
	*out = (rule_value){.t = V_INT, .u.i = f};
	return true;
}

/* pow10_int - 10**k for k >= 0 as an int, false past 64 bits. */
static bool
pow10_int(int64_t k, int64_t *out)
{
	*out = 1;
	for (int64_t i = 0; i < k; i++)
		if (__builtin_mul_overflow(*out, 10, out))
			return false;
	return true;
}

/* round_int - round(x, -k) for an int: to a multiple of 10**k, ties to
 * even, as Python does. */
static bool
round_int(rule_ctx *c, int64_t x, int64_t k, rule_value *out)
{
	int64_t m, q, r;

	if (!pow10_int(k, &m)) {
		*out = (rule_value){.t = V_INT, .u.i = 0};
		return true;
	}
	q = x / m;
	r = x % m;
	if (r < 0) {
		q--;
		r += m;
	}
	if (r * 2 > m || (r * 2 == m && (q & 1)))
		q++;
	if (__builtin_mul_overflow(q, m, &q))
		return rule_fail(c, int_range);
	*out = (rule_value){.t = V_INT, .u.i = q};
	return true;
}

RULE_MATH_FN(rule_fn_round)
{
	const rule_value *v = &args[0];
	int64_t           nd;
	double            m, y;

	if (!rule_is_num(v))
		return rule_fail(
		    c, "TypeError: type doesn't define __round__");
	if (nargs < 2 || args[1].t == V_NONE) {
		if (v->t != V_FLOAT) {
			*out = (rule_value){.t = V_INT, .u.i = rule_as_int(v)};
			return true;
		}
		return to_int(c, nearbyint(v->u.f), out); /* ties to even */
	}
	if (args[1].t != V_INT && args[1].t != V_BOOL)
		return rule_fail(c, "TypeError: 'float' object cannot be "
		                    "interpreted as an integer");
	nd = rule_as_int(&args[1]);
	if (v->t != V_FLOAT) {
		if (nd >= 0) {
			*out = (rule_value){.t = V_INT, .u.i = rule_as_int(v)};
			return true;
		}
		return round_int(c, rule_as_int(v), -nd, out);
	}
	if (!isfinite(v->u.f) || nd > 323)
		return float_out(out, v->u.f);
	if (nd < -308)
		return float_out(out, 0.0 * v->u.f);
	/* the decimal text of x is correctly rounded, ties to even on the
	 * exact binary value, which is Python's rule */
	if (nd >= 0) {
		char buf[400];
		snprintf(buf, sizeof(buf), "%.*f", (int) nd, v->u.f);
		return float_out(out, strtod(buf, NULL));
	}
	m = pow(10.0, (double) -nd);
	y = nearbyint(v->u.f / m) * m;
	if (isinf(y))
		return rule_fail(c, "OverflowError: rounded value too large "
		                    "to represent");
	return float_out(out, y);
}

/* truth_of_items - whether an item of a list, tuple or string (its
 * characters) has the truth want: any() and all(). */
static bool
truth_of_items(rule_ctx *c, const rule_value *v, bool want, bool *found)
{
	const rule_value *items;
	size_t            n;

	*found = false;
	if (v->t == V_STR) {
		/* every character of a string is a non-empty string */
		*found = want && v->u.s.n > 0;
		return true;
	}
	if (v->t == V_RANGE) { /* only 0 is false: no need to iterate */
		static const rule_value zero = {.t = V_INT};
		if (want) {
			*found = rule_range_len(v) > 1 ||
			         (rule_range_len(v) == 1 && v->u.r.start != 0);
			return true;
		}
		return rule_contains(c, &zero, v, found);
	}
	if (!rule_items(c, v, &items, &n))
		return false;
	for (size_t i = 0; i < n && !*found; i++)
		*found = rule_truthy(&items[i]) == want;
	return true;
}

RULE_MATH_FN(rule_fn_any)
{
	bool found;

	(void) nargs;
	if (!truth_of_items(c, &args[0], true, &found))
		return false;
	*out = (rule_value){.t = V_BOOL, .u.b = found};
	return true;
}

RULE_MATH_FN(rule_fn_all)
{
	bool found;

	(void) nargs;
	if (!truth_of_items(c, &args[0], false, &found))
		return false;
	*out = (rule_value){.t = V_BOOL, .u.b = !found};
	return true;
}

RULE_MATH_FN(rule_fn_sum)
{
	rule_value        acc = {.t = V_INT, .u.i = 0};
	const rule_value *items;
	size_t            n;

	if (nargs > 1) {
		if (args[1].t == V_STR)
			return rule_fail(c, "TypeError: sum() can't sum "
			                    "strings [use ''.join(seq) "
			                    "instead]");
		acc = args[1];
	}

	if (args[0].t == V_STR)
		return rule_fail(c, "TypeError: sum() of a string: "
		                    "unsupported operand types for +");
	if (!rule_items(c, &args[0], &items, &n))
		return false;
	for (size_t i = 0; i < n; i++) {
		const rule_value *x = &items[i];
		if (!rule_arith(c, OP_ADD, &acc, x, &acc))
			return false;
	}
	*out = acc;
	return true;
}

RULE_MATH_FN(rule_fn_pow)
{
	(void) nargs;
	return rule_arith(c, OP_POW, &args[0], &args[1], out);
}

RULE_MATH_FN(rule_fn_divmod)
{
	rule_value *pair = rule_scratch_alloc(c, 2 * sizeof(*pair));

	(void) nargs;
	if (pair == NULL ||
	    !rule_arith(c, OP_FLOORDIV, &args[0], &args[1], &pair[0]) ||
	    !rule_arith(c, OP_MOD, &args[0], &args[1], &pair[1]))
		return false;
	*out = (rule_value){.t = V_LIST, .u.l = {pair, 2, true}};
	return true;
}

/* radix - hex(), oct(), bin(): Python's text of an int in base 1 << bits,
 * with its prefix and a leading '-' for negatives. */
static bool
radix(rule_ctx *c, const rule_value *v, unsigned bits, char letter,
    rule_value *out)
{
	static const char digits[] = "0123456789abcdef";
	char              tmp[72], *d;
	size_t            n = 0, o = 0;
	uint64_t          u;
	bool              neg;

	if (v->t != V_INT && v->t != V_BOOL)
		return rule_fail(c, "TypeError: object cannot be interpreted "
		                    "as an integer");
	neg = rule_as_int(v) < 0;
	u = neg ? (uint64_t) 0 - (uint64_t) rule_as_int(v)
	        : (uint64_t) rule_as_int(v);
	do {
		tmp[n++] = digits[u & ((1u << bits) - 1)];
		u >>= bits;
	} while (u != 0);
	if ((d = rule_scratch_alloc(c, n + 4)) == NULL)
		return false;
	if (neg)
		d[o++] = '-';
	d[o++] = '0';
	d[o++] = letter;
	while (n > 0)
		d[o++] = tmp[--n];
	*out = (rule_value){.t = V_STR, .u.s = {d, o}};
	return true;
}

RULE_MATH_FN(rule_fn_hex)
{
	(void) nargs;
	return radix(c, &args[0], 4, 'x', out);
}

RULE_MATH_FN(rule_fn_oct)
{
	(void) nargs;
	return radix(c, &args[0], 3, 'o', out);
}

RULE_MATH_FN(rule_fn_bin)
{
	(void) nargs;
	return radix(c, &args[0], 1, 'b', out);
}

RULE_MATH_FN(rule_fn_chr)
{
	int64_t cp;
	char   *d;

	(void) nargs;
	if (args[0].t != V_INT && args[0].t != V_BOOL)
		return rule_fail(c, "TypeError: an integer is required");
	cp = rule_as_int(&args[0]);
	/* a lone surrogate has no UTF-8 form: refused here, where Python
	 * makes a string that cannot be encoded */
	if (cp < 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return rule_fail(c, "ValueError: chr() arg not in range");
	if ((d = rule_scratch_alloc(c, 5)) == NULL)
		return false;
	if (cp < 0x80) {
		d[0] = (char) cp;
		*out = (rule_value){.t = V_STR, .u.s = {d, 1}};
	} else if (cp < 0x800) {
		d[0] = (char) (0xc0 | (cp >> 6));
		d[1] = (char) (0x80 | (cp & 0x3f));
		*out = (rule_value){.t = V_STR, .u.s = {d, 2}};
	} else if (cp < 0x10000) {
		d[0] = (char) (0xe0 | (cp >> 12));
		d[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
		d[2] = (char) (0x80 | (cp & 0x3f));
		*out = (rule_value){.t = V_STR, .u.s = {d, 3}};
	} else {
		d[0] = (char) (0xf0 | (cp >> 18));
		d[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
		d[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
		d[3] = (char) (0x80 | (cp & 0x3f));
		*out = (rule_value){.t = V_STR, .u.s = {d, 4}};
	}
	return true;
}

RULE_MATH_FN(rule_fn_ord)
{
	const unsigned char *p = (const unsigned char *) args[0].u.s.p;
	size_t               n = args[0].u.s.n;
	int64_t              cp;

	(void) nargs;
	if (args[0].t != V_STR || rule_utf8_len(args[0].u.s.p, n) != 1)
		return rule_fail(c, "TypeError: ord() expected a character");
	cp = n == 1   ? p[0]
	     : n == 2 ? ((p[0] & 0x1f) << 6) | (p[1] & 0x3f)
	     : n == 3
	         ? ((p[0] & 0x0f) << 12) | ((p[1] & 0x3f) << 6) | (p[2] & 0x3f)
	         : ((int64_t) (p[0] & 0x07) << 18) | ((p[1] & 0x3f) << 12) |
	               ((p[2] & 0x3f) << 6) | (p[3] & 0x3f);
	*out = (rule_value){.t = V_INT, .u.i = cp};
	return true;
}
