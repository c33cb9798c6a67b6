/* rule_shape.c - the string methods that build text from pieces: join,
 * zfill, ljust, rjust, center, partition, rpartition, removeprefix and
 * removesuffix, with Python 3's results. Each is a rule_builtin_fn whose
 * row is in rule_method.c; results longer than RULE_STR_RESULT_MAX are
 * refused before anything is allocated, as repetition's are. */
#include "rule/rule_text.h"

#include <string.h>

#include "rule/rule_int.h"

static const char too_long[] = "RuntimeError: String length exceeded, max "
                               "string length is 262144";

static const rule_value *
self_str(rule_ctx *c, const rule_value *args)
{
	if (args[0].t != V_STR) {
		rule_fail(c, "AttributeError: string methods need a string");
		return NULL;
	}
	return &args[0];
}

RULE_TEXT_FN(rule_m_join)
{
	const rule_value *self = self_str(c, args), *items;
	size_t            n, total = 0, o = 0;
	char             *d;

	(void) nargs;
	if (self == NULL || !rule_items(c, &args[1], &items, &n))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (items[i].t != V_STR)
			return rule_fail(c, "TypeError: sequence item: "
			                    "expected str instance");
		total += items[i].u.s.n + (i > 0 ? self->u.s.n : 0);
		if (total > RULE_STR_RESULT_MAX)
			return rule_fail(c, too_long);
	}
	if ((d = rule_scratch_alloc(c, total + 1)) == NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (i > 0) {
			memcpy(d + o, self->u.s.p, self->u.s.n);
			o += self->u.s.n;
		}
		memcpy(d + o, items[i].u.s.p, items[i].u.s.n);
		o += items[i].u.s.n;
	}
	*out = (rule_value){.t = V_STR, .u.s = {d, o}};
	return true;
}

/* justify - self padded to width code points with fill: left, right
 * and centred as Python does (centre: the odd one goes left when the
 * padding and the width are both odd) */
static bool
justify(rule_ctx *c, const rule_value *args, size_t nargs, char how,
    rule_value *out)
{
	const rule_value *self = self_str(c, args);
	const char       *fill = " ";
	size_t            fl = 1, cps, gap, left, o = 0;
	int64_t           w;
	char             *d;

	if (self == NULL)
		return false;
	if (args[1].t != V_INT && args[1].t != V_BOOL)
		return rule_fail(c, "TypeError: width must be an integer");
	if (nargs > 2) {
		if (args[2].t != V_STR ||
		    rule_utf8_len(args[2].u.s.p, args[2].u.s.n) != 1)
			return rule_fail(c, "TypeError: the fill character "
			                    "must be exactly one character "
			                    "long");
		fill = args[2].u.s.p;
		fl = args[2].u.s.n;
	}
	w = rule_as_int(&args[1]);
	cps = rule_utf8_len(self->u.s.p, self->u.s.n);
	if (w <= (int64_t) cps) {
		*out = *self;
		return true;
	}
	if ((uint64_t) w > RULE_STR_RESULT_MAX / fl)
		return rule_fail(c, too_long);
	gap = (size_t) w - cps;
	left = how == 'l'   ? 0
	       : how == 'c' ? gap / 2 + (gap & (size_t) w & 1)
	                    : gap;
	if ((d = rule_scratch_alloc(c, gap * fl + self->u.s.n + 1)) == NULL)
		return false;
	for (size_t i = 0; i < left; i++, o += fl)
		memcpy(d + o, fill, fl);
	memcpy(d + o, self->u.s.p, self->u.s.n);
	if (how == 'z' && (self->u.s.p[0] == '-' || self->u.s.p[0] == '+')) {
		/* the sign goes before the zeros */
		d[0] = self->u.s.p[0];
		d[o] = '0';
	}
	o += self->u.s.n;
	for (size_t i = left; i < gap; i++, o += fl)
		memcpy(d + o, fill, fl);
	*out = (rule_value){.t = V_STR, .u.s = {d, o}};
	return true;
}

RULE_TEXT_FN(rule_m_ljust)
{
	return justify(c, args, nargs, 'l', out);
}

RULE_TEXT_FN(rule_m_rjust)
{
	return justify(c, args, nargs, 'r', out);
}

RULE_TEXT_FN(rule_m_center)
{
	return justify(c, args, nargs, 'c', out);
}

RULE_TEXT_FN(rule_m_zfill)
{
	static const rule_value zero = {.t = V_STR, .u.s = {"0", 1}};
	rule_value              a[3] = {args[0], args[1], zero};

	(void) nargs;
	return justify(c, a, 3, 'z', out);
}

static bool
partition(rule_ctx *c, const rule_value *args, bool last, rule_value *out)
{
	const rule_value *self = self_str(c, args), *sep = &args[1];
	rule_value       *v;
	size_t            n, m;
	long              hit = -1;

	if (self == NULL)
		return false;
	if (sep->t != V_STR)
		return rule_fail(c, "TypeError: must be str");
	if ((m = sep->u.s.n) == 0)
		return rule_fail(c, "ValueError: empty separator");
	n = self->u.s.n;
	for (size_t i = 0; i + m <= n; i++)
		if (memcmp(self->u.s.p + i, sep->u.s.p, m) == 0) {
			hit = (long) i;
			if (!last)
				break;
		}
	if ((v = rule_scratch_alloc(c, 3 * sizeof(*v))) == NULL)
		return false;
	for (int k = 0; k < 3; k++)
		v[k] = (rule_value){.t = V_STR, .u.s = {self->u.s.p, 0}};
	if (hit < 0)
		v[last ? 2 : 0] = *self;
	else {
		v[0].u.s.n = (size_t) hit;
		v[1] = *sep;
		v[2].u.s.p = self->u.s.p + hit + m;
		v[2].u.s.n = n - (size_t) hit - m;
	}
	*out = (rule_value){.t = V_LIST, .u.l = {v, 3, true}};
	return true;
}

RULE_TEXT_FN(rule_m_partition)
{
	(void) nargs;
	return partition(c, args, false, out);
}

RULE_TEXT_FN(rule_m_rpartition)
{
	(void) nargs;
	return partition(c, args, true, out);
}

static bool
remove_affix(rule_ctx *c, const rule_value *args, bool suffix, rule_value *out)
{
	const rule_value *self = self_str(c, args), *a = &args[1];

	if (self == NULL)
		return false;
	if (a->t != V_STR)
		return rule_fail(c, "TypeError: must be str");
	*out = *self;
	if (a->u.s.n <= self->u.s.n &&
	    memcmp(self->u.s.p + (suffix ? self->u.s.n - a->u.s.n : 0),
	        a->u.s.p, a->u.s.n) == 0) {
		out->u.s.n -= a->u.s.n;
		if (!suffix)
			out->u.s.p += a->u.s.n;
	}
	return true;
}

RULE_TEXT_FN(rule_m_removeprefix)
{
	(void) nargs;
	return remove_affix(c, args, false, out);
}

RULE_TEXT_FN(rule_m_removesuffix)
{
	(void) nargs;
	return remove_affix(c, args, true, out);
}
