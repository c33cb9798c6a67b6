/* rule_shape.c - the string methods that build text from pieces: join,
 * zfill, ljust, rjust, center, partition, rpartition, removeprefix,
 * removesuffix, splitlines and expandtabs, and the word-case ones
 * (capitalize title swapcase casefold istitle isprintable isidentifier),
 * with Python 3's results. Each is a rule_builtin_fn whose
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

/* ---- case by word ---- */

/* recase - each code point of self mapped by how: 'c' capitalize, 't'
 * title, 's' swapcase, 'f' casefold; at most 3 code points of 4 bytes
 * for one, as lower()/upper() allow for */
static bool
recase(rule_ctx *c, const rule_value *args, char how, rule_value *out)
{
	const rule_value *self = self_str(c, args);
	size_t            n, o = 0, k;
	bool              prev_cased = false;
	char             *d;

	if (self == NULL)
		return false;
	n = self->u.s.n;
	if ((d = rule_scratch_alloc(c, n * 3 + 1)) == NULL)
		return false;
	for (size_t i = 0; i < n; i += k) {
		uint32_t cp = rule_utf8_decode(self->u.s.p + i, n - i, &k);
		uint32_t up = rule_map_case(cp, true),
		         low = rule_map_case(cp, false);
		bool upper;
		if (how == 'f' && cp == 0xdf) { /* ß */
			d[o++] = 's';
			d[o++] = 's';
			continue;
		}
		if (how == 'f' && cp == 0x3c2) /* ς folds to σ */
			low = 0x3c3;
		if (how == 's' && cp == 0xdf) { /* ß swaps to SS */
			d[o++] = 'S';
			d[o++] = 'S';
			prev_cased = true;
			continue;
		}
		if (how == 'c')
			upper = i == 0;
		else if (how == 't')
			upper = !prev_cased;
		else if (how == 's')
			upper = low == cp && up != cp ? true : false;
		else
			upper = false;
		if (how == 's' && up == cp && low != cp)
			upper = false;
		if (how == 's' && up == cp && low == cp) {
			o += utf8_encode(cp, d + o);
			continue;
		}
		if (upper && cp == 0xdf) { /* ß: 'Ss' as a title, 'SS' */
			d[o++] = 'S';
			d[o++] = how == 's' ? 'S' : 's';
		} else {
			o += utf8_encode(upper ? up : low, d + o);
		}
		prev_cased = up != cp || low != cp;
	}
	*out = (rule_value){.t = V_STR, .u.s = {d, o}};
	return true;
}

RULE_TEXT_FN(rule_m_capitalize)
{
	(void) nargs;
	return recase(c, args, 'c', out);
}

RULE_TEXT_FN(rule_m_title)
{
	(void) nargs;
	return recase(c, args, 't', out);
}

RULE_TEXT_FN(rule_m_swapcase)
{
	(void) nargs;
	return recase(c, args, 's', out);
}

RULE_TEXT_FN(rule_m_casefold)
{
	(void) nargs;
	return recase(c, args, 'f', out);
}

/* rule_m_istitle - upper case only after uncased, lower only after
 * cased, and at least one cased code point */
RULE_TEXT_FN(rule_m_istitle)
{
	const rule_value *self = self_str(c, args);
	bool              prev = false, any = false, ok = true;
	size_t            k;

	(void) nargs;
	if (self == NULL)
		return false;
	for (size_t i = 0; ok && i < self->u.s.n; i += k) {
		uint32_t cp =
		    rule_utf8_decode(self->u.s.p + i, self->u.s.n - i, &k);
		bool is_up = rule_map_case(cp, false) != cp,
		     is_low = rule_map_case(cp, true) != cp;
		if (is_up)
			ok = !prev;
		else if (is_low)
			ok = prev;
		prev = is_up || is_low;
		any = any || prev;
	}
	*out = (rule_value){.t = V_BOOL, .u.b = ok && any};
	return true;
}

RULE_TEXT_FN(rule_m_isprintable)
{
	const rule_value *self = self_str(c, args);
	bool              ok = true;
	size_t            k;

	(void) nargs;
	if (self == NULL)
		return false;
	for (size_t i = 0; ok && i < self->u.s.n; i += k)
		ok = rule_cp_printable(
		    rule_utf8_decode(self->u.s.p + i, self->u.s.n - i, &k));
	*out = (rule_value){.t = V_BOOL, .u.b = ok};
	return true;
}

/* rule_m_isidentifier - a letter or '_', then letters, digits and '_'
 * (Python's XID classes, by C.UTF-8's letters here) */
RULE_TEXT_FN(rule_m_isidentifier)
{
	const rule_value *self = self_str(c, args);
	bool              ok;
	size_t            k;

	(void) nargs;
	if (self == NULL)
		return false;
	ok = self->u.s.n > 0;
	for (size_t i = 0; ok && i < self->u.s.n; i += k) {
		uint32_t cp =
		    rule_utf8_decode(self->u.s.p + i, self->u.s.n - i, &k);
		ok = cp == '_' || rule_cp_alpha(cp) ||
		     (i > 0 && cp >= '0' && cp <= '9');
	}
	*out = (rule_value){.t = V_BOOL, .u.b = ok};
	return true;
}

/* line_end - the length of the line break at p[0..n) (\r\n, or one of
 * Python's: \n \r \v \f \x1c-\x1e \x85 U+2028 U+2029), or 0 */
static size_t
line_end(const char *p, size_t n)
{
	unsigned char ch = (unsigned char) p[0];

	if (ch == '\r')
		return n > 1 && p[1] == '\n' ? 2 : 1;
	if (ch == '\n' || ch == '\v' || ch == '\f' ||
	    (ch >= 0x1c && ch <= 0x1e))
		return 1;
	if (n > 1 && ch == 0xc2 && (unsigned char) p[1] == 0x85)
		return 2;
	if (n > 2 && ch == 0xe2 && (unsigned char) p[1] == 0x80 &&
	    ((unsigned char) p[2] == 0xa8 || (unsigned char) p[2] == 0xa9))
		return 3;
	return 0;
}

RULE_TEXT_FN(rule_m_splitlines)
{
	const rule_value *self = self_str(c, args);
	bool              keep = nargs > 1 && rule_truthy(&args[1]);
	size_t            n, lines = 0, start = 0, e;
	rule_value       *v;

	if (self == NULL)
		return false;
	n = self->u.s.n;
	for (size_t i = 0; i < n; i += e ? e : 1)
		if ((e = line_end(self->u.s.p + i, n - i)) > 0)
			lines++;
	if ((v = rule_scratch_alloc(c, (lines + 2) * sizeof(*v))) == NULL)
		return false;
	lines = 0;
	for (size_t i = 0; i < n; i += e ? e : 1) {
		if ((e = line_end(self->u.s.p + i, n - i)) == 0)
			continue;
		v[lines++] = (rule_value){.t = V_STR,
		    .u.s = {self->u.s.p + start, i - start + (keep ? e : 0)}};
		start = i + e;
	}
	if (start < n)
		v[lines++] = (rule_value){
		    .t = V_STR, .u.s = {self->u.s.p + start, n - start}};
	*out = (rule_value){.t = V_LIST, .u.l = {v, lines}};
	return true;
}

RULE_TEXT_FN(rule_m_expandtabs)
{
	const rule_value *self = self_str(c, args);
	int64_t           tab = 8;
	size_t            col = 0, o = 0, total = 0;
	char             *d;

	if (self == NULL)
		return false;
	if (nargs > 1) {
		if (args[1].t != V_INT && args[1].t != V_BOOL)
			return rule_fail(c, "TypeError: tabsize must be an "
			                    "integer");
		tab = rule_as_int(&args[1]);
	}
	/* the length first, in code points as Python counts columns */
	for (size_t pass = 0; pass < 2; pass++) {
		col = 0;
		for (size_t i = 0; i < self->u.s.n; i++) {
			char ch = self->u.s.p[i];
			if (ch == '\t') {
				size_t sp =
				    tab > 0 ? (size_t) tab - col % (size_t) tab
				            : 0;
				if (pass == 0 && sp > RULE_STR_RESULT_MAX)
					return rule_fail(c, too_long);
				if (pass == 1)
					memset(d + o, ' ', sp);
				o += sp;
				col += sp;
				if (pass == 0 &&
				    (total = o) > RULE_STR_RESULT_MAX)
					return rule_fail(c, too_long);
				continue;
			}
			if (pass == 1)
				d[o] = ch;
			o++;
			if (ch == '\n' || ch == '\r')
				col = 0;
			else if (((unsigned char) ch & 0xc0) != 0x80)
				col++;
		}
		if (pass == 0) {
			total = o;
			if (total > RULE_STR_RESULT_MAX)
				return rule_fail(c, too_long);
			if ((d = rule_scratch_alloc(c, total + 1)) == NULL)
				return false;
			o = 0;
		}
	}
	*out = (rule_value){.t = V_STR, .u.s = {d, o}};
	return true;
}
