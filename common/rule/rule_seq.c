/* rule_seq.c - the containers of mercure's safe mode beyond lists and
 * tuples: ranges, dicts, sets and the iterators of reversed, enumerate,
 * zip, filter and map, with the builtins that make them and the dict
 * methods. Strings, lists and tuples are rule_builtin.c's; equality and
 * "in" are rule_eval.c's.
 *
 * Design notes: a range stays three integers until something iterates
 * it, and then yields at most RULE_SEQ_MAX items (a RuntimeError beyond),
 * so no tag value can size an allocation; "in", len() and indexing work
 * on any range. Iterators are made when called, not when consumed (see
 * docs/rules.md), which only differs from Python when an item fails. */
#include "rule/rule_seq.h"

#include <string.h>

#include "rule/rule_int.h"

static const char too_long[] = "RuntimeError: sequence too long, at most "
                               "65536 items are made";

int64_t
rule_range_len(const rule_value *v)
{
	int64_t  a = v->u.r.start, b = v->u.r.stop, s = v->u.r.step;
	uint64_t span, step;

	if (s > 0 ? a >= b : a <= b)
		return 0;
	span =
	    s > 0 ? (uint64_t) b - (uint64_t) a : (uint64_t) a - (uint64_t) b;
	step = s > 0 ? (uint64_t) s : -(uint64_t) s;
	span = (span - 1) / step + 1;
	return span > INT64_MAX ? INT64_MAX : (int64_t) span;
}

bool
rule_items(
    rule_ctx *c, const rule_value *v, const rule_value **items, size_t *n)
{
	rule_value *out;

	switch (v->t) {
	case V_LIST:
	case V_SET:
	case V_ITER:
		*items = v->u.l.items;
		*n = v->u.l.n;
		return true;
	case V_DICT: /* its keys */
		if ((out = rule_scratch_alloc(
		         c, (v->u.l.n + 1) * sizeof(*out))) == NULL)
			return false;
		for (size_t i = 0; i < v->u.l.n; i++)
			out[i] = v->u.l.items[2 * i];
		*items = out;
		*n = v->u.l.n;
		return true;
	case V_RANGE: {
		int64_t len = rule_range_len(v);
		if (len > RULE_SEQ_MAX)
			return rule_fail(c, too_long);
		if ((out = rule_scratch_alloc(
		         c, ((size_t) len + 1) * sizeof(*out))) == NULL)
			return false;
		for (int64_t i = 0; i < len; i++)
			out[i] = (rule_value){
			    .t = V_INT, .u.i = v->u.r.start + i * v->u.r.step};
		*items = out;
		*n = (size_t) len;
		return true;
	}
	case V_STR: {
		size_t cps = rule_utf8_len(v->u.s.p, v->u.s.n);
		if ((out = rule_scratch_alloc(c, (cps + 1) * sizeof(*out))) ==
		    NULL)
			return false;
		for (size_t i = 0, k = 0; i < v->u.s.n; k++) {
			size_t len = 1;
			while (
			    i + len < v->u.s.n &&
			    ((unsigned char) v->u.s.p[i + len] & 0xC0) == 0x80)
				len++;
			out[k] = (rule_value){
			    .t = V_STR, .u.s = {v->u.s.p + i, len}};
			i += len;
		}
		*items = out;
		*n = cps;
		return true;
	}
	default:
		return rule_fail(c, "TypeError: object is not iterable");
	}
}

bool
rule_collect(
    rule_ctx *c, rule_value *items, size_t n, bool dict, rule_value *out)
{
	size_t stride = dict ? 2 : 1, kept = 0;

	if (n > RULE_COLLECT_MAX)
		return rule_fail(c, "RuntimeError: a dict or set of more "
		                    "than 4096 items");

	for (size_t i = 0; i < n; i++) {
		rule_value *k = &items[i * stride];
		size_t      j;
		if (!rule_hashable(c, k))
			return false;
		for (j = 0; j < kept; j++)
			if (rule_equal(k, &items[j * stride]))
				break;
		if (j < kept) { /* Python keeps the first key, last value */
			if (dict)
				items[j * 2 + 1] = items[i * 2 + 1];
			continue;
		}
		items[kept * stride] = *k;
		if (dict)
			items[kept * 2 + 1] = items[i * 2 + 1];
		kept++;
	}
	*out = (rule_value){.t = dict ? V_DICT : V_SET, .u.l = {items, kept}};
	return true;
}

bool
rule_call_fn(rule_ctx *c, const rule_value *f, const rule_value *args,
    size_t nargs, rule_value *out)
{
	const rule_builtin *fn = f->u.fn;

	if (fn == NULL)
		return rule_fail(
		    c, "TypeError: 'NoneType' object is not callable");
	if (nargs < fn->min_args || nargs > fn->max_args)
		return rule_fail(c, "TypeError: wrong number of arguments");
	return fn->fn(c, args, nargs, out);
}

/* ---- the builtins ---- */

/* whole - an int argument of range(), as Python's __index__ */
static bool
whole(rule_ctx *c, const rule_value *v, int64_t *out)
{
	if (v->t != V_INT && v->t != V_BOOL)
		return rule_fail(c, "TypeError: object cannot be interpreted "
		                    "as an integer");
	*out = rule_as_int(v);
	return true;
}

RULE_SEQ_FN(rule_fn_range)
{
	rule_value r = {.t = V_RANGE, .u.r = {0, 0, 1}};

	if (nargs == 1)
		return whole(c, &args[0], &r.u.r.stop) && (*out = r, true);
	if (!whole(c, &args[0], &r.u.r.start) ||
	    !whole(c, &args[1], &r.u.r.stop) ||
	    (nargs > 2 && !whole(c, &args[2], &r.u.r.step)))
		return false;
	if (r.u.r.step == 0)
		return rule_fail(
		    c, "ValueError: range() arg 3 must not be zero");
	*out = r;
	return true;
}

static bool
iter_of(rule_ctx *c, size_t n, rule_value **v)
{
	return (*v = rule_scratch_alloc(c, (n + 1) * sizeof(**v))) != NULL;
}

RULE_SEQ_FN(rule_fn_reversed)
{
	const rule_value *items;
	rule_value       *v;
	size_t            n;

	(void) nargs;
	if (args[0].t == V_SET || args[0].t == V_ITER)
		return rule_fail(c, "TypeError: object is not reversible");
	if (!rule_items(c, &args[0], &items, &n) || !iter_of(c, n, &v))
		return false;
	for (size_t i = 0; i < n; i++)
		v[i] = items[n - 1 - i];
	*out = (rule_value){.t = V_ITER, .u.l = {v, n}};
	return true;
}

RULE_SEQ_FN(rule_fn_enumerate)
{
	const rule_value *items;
	rule_value       *v, *pairs;
	int64_t           start = 0;
	size_t            n;

	if (nargs > 1 && args[1].t != V_NONE && !whole(c, &args[1], &start))
		return false;
	if (!rule_items(c, &args[0], &items, &n) || !iter_of(c, n, &v) ||
	    (pairs = rule_scratch_alloc(c, (2 * n + 1) * sizeof(*pairs))) ==
	        NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (__builtin_add_overflow(
		        start, (int64_t) i, &pairs[2 * i].u.i))
			return rule_fail(c, "OverflowError: integer out of "
			                    "64-bit range");
		pairs[2 * i].t = V_INT;
		pairs[2 * i + 1] = items[i];
		v[i] =
		    (rule_value){.t = V_LIST, .u.l = {&pairs[2 * i], 2, true}};
	}
	*out = (rule_value){.t = V_ITER, .u.l = {v, n}};
	return true;
}

RULE_SEQ_FN(rule_fn_zip)
{
	const rule_value **cols;
	size_t            *lens, n = SIZE_MAX;
	rule_value        *v, *cells;

	if (nargs == 0) {
		*out = (rule_value){.t = V_ITER};
		return true;
	}
	if ((cols = rule_scratch_alloc(c, nargs * sizeof(*cols))) == NULL ||
	    (lens = rule_scratch_alloc(c, nargs * sizeof(*lens))) == NULL)
		return false;
	for (size_t k = 0; k < nargs; k++) {
		if (!rule_items(c, &args[k], &cols[k], &lens[k]))
			return false;
		n = lens[k] < n ? lens[k] : n;
	}
	if (!iter_of(c, n, &v) ||
	    (cells = rule_scratch_alloc(
	         c, (n * nargs + 1) * sizeof(*cells))) == NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < nargs; k++)
			cells[i * nargs + k] = cols[k][i];
		v[i] = (rule_value){
		    .t = V_LIST, .u.l = {&cells[i * nargs], nargs, true}};
	}
	*out = (rule_value){.t = V_ITER, .u.l = {v, n}};
	return true;
}

RULE_SEQ_FN(rule_fn_filter)
{
	const rule_value *items;
	rule_value       *v, r;
	size_t            n, kept = 0;

	(void) nargs;
	if (args[0].t != V_FUNC)
		return rule_fail(c, "TypeError: filter() needs a function "
		                    "or None");
	if (!rule_items(c, &args[1], &items, &n) || !iter_of(c, n, &v))
		return false;
	for (size_t i = 0; i < n; i++) {
		r = items[i];
		if (args[0].u.fn != NULL &&
		    !rule_call_fn(c, &args[0], &items[i], 1, &r))
			return false;
		if (rule_truthy(&r))
			v[kept++] = items[i];
	}
	*out = (rule_value){.t = V_ITER, .u.l = {v, kept}};
	return true;
}

RULE_SEQ_FN(rule_fn_map)
{
	const rule_value **cols;
	size_t            *lens, n = SIZE_MAX, k = nargs - 1;
	rule_value        *v, *call;

	if (args[0].t != V_FUNC)
		return rule_fail(c, "TypeError: map() needs a function");
	if ((cols = rule_scratch_alloc(c, k * sizeof(*cols))) == NULL ||
	    (lens = rule_scratch_alloc(c, k * sizeof(*lens))) == NULL ||
	    (call = rule_scratch_alloc(c, k * sizeof(*call))) == NULL)
		return false;
	for (size_t j = 0; j < k; j++) {
		if (!rule_items(c, &args[1 + j], &cols[j], &lens[j]))
			return false;
		n = lens[j] < n ? lens[j] : n;
	}
	if (!iter_of(c, n, &v))
		return false;
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < k; j++)
			call[j] = cols[j][i];
		if (!rule_call_fn(c, &args[0], call, k, &v[i]))
			return false;
	}
	*out = (rule_value){.t = V_ITER, .u.l = {v, n}};
	return true;
}

/* copy_of - a fresh scratch copy of n values, which rule_collect may
 * reorder */
static rule_value *
copy_of(rule_ctx *c, const rule_value *items, size_t n)
{
	rule_value *v = rule_scratch_alloc(c, (n + 1) * sizeof(*v));

	if (v != NULL && n > 0)
		memcpy(v, items, n * sizeof(*v));
	return v;
}

static bool
make_set(rule_ctx *c, const rule_value *args, size_t nargs, bool frozen,
    rule_value *out)
{
	const rule_value *items = NULL;
	rule_value       *v;
	size_t            n = 0;

	if (nargs > 0 && !rule_items(c, &args[0], &items, &n))
		return false;
	if ((v = copy_of(c, items, n)) == NULL ||
	    !rule_collect(c, v, n, false, out))
		return false;
	out->u.l.tuple = frozen;
	return true;
}

RULE_SEQ_FN(rule_fn_set)
{
	return make_set(c, args, nargs, false, out);
}

RULE_SEQ_FN(rule_fn_frozenset)
{
	return make_set(c, args, nargs, true, out);
}

/* rule_fn_dict - dict(), dict(a dict) or dict(pairs) */
RULE_SEQ_FN(rule_fn_dict)
{
	const rule_value *items;
	rule_value       *v;
	size_t            n;

	if (nargs == 0) {
		*out = (rule_value){.t = V_DICT};
		return true;
	}
	if (args[0].t == V_DICT) {
		n = args[0].u.l.n;
		return (v = copy_of(c, args[0].u.l.items, 2 * n)) != NULL &&
		       rule_collect(c, v, n, true, out);
	}
	if (!rule_items(c, &args[0], &items, &n) ||
	    (v = rule_scratch_alloc(c, (2 * n + 1) * sizeof(*v))) == NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		const rule_value *pair;
		size_t            two;
		if (items[i].t == V_STR ||
		    !rule_items(c, &items[i], &pair, &two))
			return rule_fail(c, "TypeError: cannot convert "
			                    "dictionary update sequence "
			                    "element to a sequence");
		if (two != 2)
			return rule_fail(c, "ValueError: dictionary update "
			                    "sequence element has the wrong "
			                    "length; 2 is required");
		v[2 * i] = pair[0];
		v[2 * i + 1] = pair[1];
	}
	return rule_collect(c, v, n, true, out);
}

static bool
has(const rule_value *set, const rule_value *x)
{
	for (size_t i = 0; i < set->u.l.n; i++)
		if (rule_equal(x, &set->u.l.items[i]))
			return true;
	return false;
}

bool
rule_set_op(rule_ctx *c, unsigned op, const rule_value *a, const rule_value *b,
    rule_value *out)
{
	rule_value *v =
	    rule_scratch_alloc(c, (a->u.l.n + b->u.l.n + 1) * sizeof(*v));
	size_t n = 0;

	if (v == NULL)
		return false;
	for (size_t i = 0; i < a->u.l.n; i++) {
		bool in_b = has(b, &a->u.l.items[i]);
		if (op == OP_BITAND ? in_b : !in_b || op == OP_BITOR)
			v[n++] = a->u.l.items[i];
	}
	for (size_t i = 0; (op == OP_BITOR || op == OP_BITXOR) && i < b->u.l.n;
	     i++)
		if (!has(a, &b->u.l.items[i]))
			v[n++] = b->u.l.items[i];
	/* the left operand's type: frozenset | set is a frozenset */
	*out = (rule_value){.t = V_SET, .u.l = {v, n, a->u.l.tuple}};
	return true;
}

bool
rule_subset(const rule_value *a, const rule_value *b, bool proper)
{
	for (size_t i = 0; i < a->u.l.n; i++)
		if (!has(b, &a->u.l.items[i]))
			return false;
	return !proper || a->u.l.n < b->u.l.n;
}

/* ---- the dict methods ---- */

static bool
dict_self(rule_ctx *c, const rule_value *args)
{
	return args[0].t == V_DICT ||
	       rule_fail(c, "AttributeError: no such method for this type");
}

RULE_SEQ_FN(rule_m_get)
{
	bool found;

	if (!dict_self(c, args) ||
	    !rule_contains(c, &args[1], &args[0], &found))
		return false;
	*out = nargs > 2 ? args[2] : (rule_value){.t = V_NONE};
	for (size_t i = 0; found && i < args[0].u.l.n; i++)
		if (rule_equal(&args[1], &args[0].u.l.items[2 * i])) {
			*out = args[0].u.l.items[2 * i + 1];
			break;
		}
	return true;
}

/* view - keys(), values() or items() as a list, which has the views'
 * len(), truth and "in" (docs/rules.md: they compare as lists) */
static bool
view(rule_ctx *c, const rule_value *args, int which, rule_value *out)
{
	const rule_value *d = &args[0];
	rule_value       *v;
	size_t            n = d->u.l.n;

	if (!dict_self(c, args) || !iter_of(c, n, &v))
		return false;
	for (size_t i = 0; i < n; i++)
		v[i] = which == 2 ? (rule_value){.t = V_LIST,
		                        .u.l = {&d->u.l.items[2 * i], 2, true}}
		                  : d->u.l.items[2 * i + (size_t) which];
	*out = (rule_value){.t = V_LIST, .u.l = {v, n}};
	return true;
}

RULE_SEQ_FN(rule_m_keys)
{
	(void) nargs;
	return view(c, args, 0, out);
}

RULE_SEQ_FN(rule_m_values)
{
	(void) nargs;
	return view(c, args, 1, out);
}

RULE_SEQ_FN(rule_m_items)
{
	(void) nargs;
	return view(c, args, 2, out);
}
