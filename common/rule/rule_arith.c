/* rule_arith.c - the arithmetic of the rule language: + - * / // % on
 * numbers with Python's floor semantics and 64-bit overflow checks, +
 * on strings and lists, | & ^ on booleans and integers, unary - and +.
 * rule_eval.c calls in with evaluated operands. */
#include "rule/rule_int.h"

#include <math.h>
#include <string.h>

static bool
concat(rule_ctx *c, const rule_value *a, const rule_value *b, rule_value *out)
{
	if (a->t == V_STR && b->t == V_STR) {
		char *s;
		/* asteval's safe_add limit (it counts code points) */
		if (a->u.s.n + b->u.s.n > RULE_STR_RESULT_MAX &&
		    rule_utf8_len(a->u.s.p, a->u.s.n) +
		            rule_utf8_len(b->u.s.p, b->u.s.n) >
		        RULE_STR_RESULT_MAX)
			return rule_fail(c, "RuntimeError: String length "
			                    "exceeded, max string length is "
			                    "262144");
		s = rule_scratch_alloc(c, a->u.s.n + b->u.s.n + 1);
		if (s == NULL)
			return false;
		memcpy(s, a->u.s.p, a->u.s.n);
		memcpy(s + a->u.s.n, b->u.s.p, b->u.s.n);
		*out =
		    (rule_value){.t = V_STR, .u.s = {s, a->u.s.n + b->u.s.n}};
		return true;
	}
	if (a->t == V_LIST && b->t == V_LIST && a->u.l.tuple == b->u.l.tuple) {
		size_t      n = a->u.l.n + b->u.l.n;
		rule_value *v = rule_scratch_alloc(c, (n + 1) * sizeof(*v));
		if (v == NULL)
			return false;
		memcpy(v, a->u.l.items, a->u.l.n * sizeof(*v));
		memcpy(v + a->u.l.n, b->u.l.items, b->u.l.n * sizeof(*v));
		*out = (rule_value){.t = V_LIST, .u.l = {v, n, a->u.l.tuple}};
		return true;
	}
	return rule_fail(c, "TypeError: unsupported operand types for +");
}

static bool
float_arith(rule_ctx *c, unsigned op, double x, double y, rule_value *out)
{
	out->t = V_FLOAT;
	if ((op == OP_DIV || op == OP_FLOORDIV || op == OP_MOD) && y == 0.0)
		return rule_fail(c, "ZeroDivisionError: division by zero");
	switch (op) {
	case OP_ADD:
		out->u.f = x + y;
		break;
	case OP_SUB:
		out->u.f = x - y;
		break;
	case OP_MUL:
		out->u.f = x * y;
		break;
	case OP_DIV:
		out->u.f = x / y;
		break;
	case OP_FLOORDIV:
		out->u.f = floor(x / y);
		break;
	default: /* OP_MOD: the result has the divisor's sign */
		out->u.f = fmod(x, y);
		if (out->u.f != 0.0 && ((out->u.f < 0) != (y < 0)))
			out->u.f += y;
		break;
	}
	return true;
}

static bool
int_arith(rule_ctx *c, unsigned op, int64_t x, int64_t y, rule_value *out)
{
	bool ovf = false;

	out->t = V_INT;
	if (op == OP_DIV)
		return float_arith(c, op, (double) x, (double) y, out);
	if ((op == OP_FLOORDIV || op == OP_MOD) && y == 0)
		return rule_fail(c, "ZeroDivisionError: division by zero");
	switch (op) {
	case OP_ADD:
		ovf = __builtin_add_overflow(x, y, &out->u.i);
		break;
	case OP_SUB:
		ovf = __builtin_sub_overflow(x, y, &out->u.i);
		break;
	case OP_MUL:
		ovf = __builtin_mul_overflow(x, y, &out->u.i);
		break;
	default: /* floor division and modulo, rounding to -infinity */
		if (x == INT64_MIN && y == -1) {
			ovf = op == OP_FLOORDIV;
			out->u.i = 0;
			break;
		}
		int64_t q = x / y, r = x % y;
		if (r != 0 && ((r < 0) != (y < 0))) {
			q--;
			r += y;
		}
		out->u.i = op == OP_FLOORDIV ? q : r;
		break;
	}
	return ovf ? rule_fail(c, "OverflowError: integer out of 64-bit "
	                          "range")
	           : true;
}

static bool
bit_arith(rule_ctx *c, unsigned op, const rule_value *a, const rule_value *b,
    rule_value *out)
{
	int64_t x, y;

	if ((a->t != V_BOOL && a->t != V_INT) ||
	    (b->t != V_BOOL && b->t != V_INT))
		return rule_fail(c, "TypeError: unsupported operand types "
		                    "for |, & or ^");
	x = rule_as_int(a);
	y = rule_as_int(b);
	out->t = a->t == V_BOOL && b->t == V_BOOL ? V_BOOL : V_INT;
	out->u.i = op == OP_BITOR    ? (x | y)
	           : op == OP_BITAND ? (x & y)
	                             : (x ^ y);
	if (out->t == V_BOOL)
		out->u.b = out->u.i != 0;
	return true;
}

/* asteval's safe_lshift refuses larger shifts */
#define RULE_SHIFT_MAX 1000

/* shift - x << y and x >> y on integers: >> rounds to -infinity as
 * Python does; a result past 64 bits is an OverflowError. */
static bool
shift(rule_ctx *c, unsigned op, const rule_value *a, const rule_value *b,
    rule_value *out)
{
	int64_t x, y;

	if ((a->t != V_BOOL && a->t != V_INT) ||
	    (b->t != V_BOOL && b->t != V_INT))
		return rule_fail(c, "TypeError: unsupported operand types "
		                    "for << or >>");
	x = rule_as_int(a);
	y = rule_as_int(b);
	if (y < 0)
		return rule_fail(c, "ValueError: negative shift count");
	if (op == OP_RSHIFT) {
		*out = (rule_value){
		    .t = V_INT, .u.i = y >= 63 ? (x < 0 ? -1 : 0) : x >> y};
		return true;
	}
	if (y > RULE_SHIFT_MAX)
		return rule_fail(c, "RuntimeError: Invalid left shift, max "
		                    "left shift is 1000");
	if (x != 0 &&
	    (y >= 63 || x > (INT64_MAX >> y) || x < (INT64_MIN >> y)))
		return rule_fail(c, "OverflowError: integer out of 64-bit "
		                    "range");
	*out = (rule_value){.t = V_INT, .u.i = (int64_t) ((uint64_t) x << y)};
	return true;
}

/* repeat - 'ab' * 3 and [1] * 3 (either order), as Python repeats; a
 * count below 1 gives an empty one. */
static bool
repeat(rule_ctx *c, const rule_value *a, const rule_value *b, rule_value *out)
{
	const rule_value *seq = a->t == V_STR || a->t == V_LIST ? a : b;
	const rule_value *num = seq == a ? b : a;
	int64_t           k = rule_as_int(num);
	size_t            unit, n;

	if (num->t != V_INT && num->t != V_BOOL)
		return rule_fail(c, "TypeError: can't multiply sequence by "
		                    "non-int");
	unit = seq->t == V_STR ? seq->u.s.n : seq->u.l.n;
	if (k <= 0 || unit == 0) {
		*out = *seq;
		if (seq->t == V_STR)
			out->u.s.n = 0;
		else
			out->u.l.n = 0;
		return true;
	}
	if ((uint64_t) k > RULE_STR_RESULT_MAX / unit)
		return rule_fail(c,
		    "RuntimeError: String length exceeded, max "
		    "string length is 262144");
	n = unit * (size_t) k;
	if (seq->t == V_STR) {
		char *s = rule_scratch_alloc(c, n + 1);
		if (s == NULL)
			return false;
		for (size_t i = 0; i < n; i += unit)
			memcpy(s + i, seq->u.s.p, unit);
		*out = (rule_value){.t = V_STR, .u.s = {s, n}};
		return true;
	}
	rule_value *v = rule_scratch_alloc(c, (n + 1) * sizeof(*v));
	if (v == NULL)
		return false;
	for (size_t i = 0; i < n; i += unit)
		memcpy(v + i, seq->u.l.items, unit * sizeof(*v));
	*out = (rule_value){.t = V_LIST, .u.l = {v, n, seq->u.l.tuple}};
	return true;
}

/* asteval's safe_pow refuses larger exponents */
#define RULE_POW_EXPONENT_MAX 10000

/* power - x ** y with Python's types: int ** non-negative int is an int,
 * anything else a float; a negative base to a fractional power would be
 * a complex number, which the rule language does not have. */
static bool
power(rule_ctx *c, const rule_value *a, const rule_value *b, rule_value *out)
{
	double x = rule_as_double(a), y = rule_as_double(b), r;

	if (y > RULE_POW_EXPONENT_MAX)
		return rule_fail(c, "RuntimeError: Invalid exponent, max "
		                    "exponent is 10000");
	if (a->t != V_FLOAT && b->t != V_FLOAT && rule_as_int(b) >= 0) {
		int64_t base = rule_as_int(a), e = rule_as_int(b), acc = 1;
		for (; e > 0; e >>= 1) {
			if ((e & 1) && __builtin_mul_overflow(acc, base, &acc))
				return rule_fail(c, "OverflowError: integer "
				                    "out of 64-bit range");
			if (e > 1 && __builtin_mul_overflow(base, base, &base))
				return rule_fail(c, "OverflowError: integer "
				                    "out of 64-bit range");
		}
		*out = (rule_value){.t = V_INT, .u.i = acc};
		return true;
	}
	if (x == 0.0 && y < 0.0)
		return rule_fail(c, "ZeroDivisionError: 0.0 cannot be raised "
		                    "to a negative power");
	if (x < 0.0 && isfinite(y) && y != floor(y))
		return rule_fail(c, "TypeError: a negative number to a "
		                    "fractional power is complex, which "
		                    "rules do not support");
	r = pow(x, y);
	if (isinf(r) && isfinite(x) && isfinite(y))
		return rule_fail(c, "OverflowError: (34, 'Numerical result "
		                    "out of range')");
	*out = (rule_value){.t = V_FLOAT, .u.f = r};
	return true;
}

bool
rule_arith(rule_ctx *c, unsigned op, const rule_value *a, const rule_value *b,
    rule_value *out)
{
	if (a->t == V_SET && b->t == V_SET &&
	    (op == OP_BITOR || op == OP_BITAND || op == OP_BITXOR ||
	        op == OP_SUB))
		return rule_set_op(c, op, a, b, out);
	if (op == OP_BITOR || op == OP_BITAND || op == OP_BITXOR)
		return bit_arith(c, op, a, b, out);
	if (op == OP_LSHIFT || op == OP_RSHIFT)
		return shift(c, op, a, b, out);
	if (op == OP_POW)
		return rule_is_num(a) && rule_is_num(b)
		           ? power(c, a, b, out)
		           : rule_fail(c, "TypeError: unsupported operand "
		                          "types for ** or pow()");
	if (op == OP_ADD && !(rule_is_num(a) && rule_is_num(b)))
		return concat(c, a, b, out);
	if (op == OP_MOD && a->t == V_STR)
		return rule_percent(c, a, b, out);
	if (op == OP_MUL &&
	    (a->t == V_STR || a->t == V_LIST) !=
	        (b->t == V_STR || b->t == V_LIST) &&
	    (rule_is_num(a) || rule_is_num(b)))
		return repeat(c, a, b, out);
	if (!rule_is_num(a) || !rule_is_num(b))
		return rule_fail(c,
		    "TypeError: unsupported operand types "
		    "for arithmetic (use float() or int() on tags)");
	if (a->t == V_FLOAT || b->t == V_FLOAT)
		return float_arith(
		    c, op, rule_as_double(a), rule_as_double(b), out);
	return int_arith(c, op, rule_as_int(a), rule_as_int(b), out);
}

bool
rule_invert(rule_ctx *c, const rule_value *a, rule_value *out)
{
	if (a->t != V_INT && a->t != V_BOOL)
		return rule_fail(c, "TypeError: bad operand type for unary ~");
	*out = (rule_value){.t = V_INT, .u.i = ~rule_as_int(a)};
	return true;
}

bool
rule_negate(rule_ctx *c, const rule_value *a, bool neg, rule_value *out)
{
	if (!rule_is_num(a))
		return rule_fail(c, "TypeError: bad operand type for unary "
		                    "- or +");
	if (a->t == V_FLOAT) {
		*out =
		    (rule_value){.t = V_FLOAT, .u.f = neg ? -a->u.f : a->u.f};
		return true;
	}
	if (neg && rule_as_int(a) == INT64_MIN)
		return rule_fail(c, "OverflowError: integer out of 64-bit "
		                    "range");
	*out = (rule_value){
	    .t = V_INT, .u.i = neg ? -rule_as_int(a) : rule_as_int(a)};
	return true;
}
