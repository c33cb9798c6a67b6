/* rule_text.c - the string methods that need more than bytes: searching
 * and replacing by code point, the is* tests and Unicode case mapping,
 * as Python 3's str does. Character classes and simple case mappings
 * come from glibc's C.UTF-8 locale (a locale object, so no global
 * setlocale and any thread may call); the multi-character mappings
 * Python applies (ß -> SS, İ -> i̇, final sigma) are done here. Without
 * that locale, non-ASCII text is left as it is. */
#include "rule/rule_text.h"

#include <locale.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <wctype.h>

#include "rule/rule_int.h"

static locale_t       utf8_locale;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void
utf8_init(void)
{
	utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t) 0);
}

static locale_t
utf8(void)
{
	pthread_once(&utf8_once, utf8_init);
	return utf8_locale;
}

/* decode - the code point at p[0..n) and its length; a byte that is not
 * valid UTF-8 (tags are repaired on the way in) reads as itself. */
uint32_t
rule_utf8_decode(const char *s, size_t n, size_t *len)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t   k = p[0] < 0x80 ? 1 : p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;
	uint32_t cp = k == 1   ? p[0]
	              : k == 2 ? p[0] & 0x1f
	              : k == 3 ? p[0] & 0x0f
	                       : p[0] & 0x07;

	if (k > n || p[0] < 0xc0) {
		*len = 1;
		return p[0];
	}
	for (size_t i = 1; i < k; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			*len = 1;
			return p[0];
		}
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	*len = k;
	return cp;
}

bool
rule_cp_printable(uint32_t cp)
{
	locale_t l;

	/* Python counts Unicode's separators (Z*) and format characters
	 * (Cf) as unprintable, which glibc's iswprint does not */
	if (cp == 0xa0 || cp == 0xad || cp == 0x1680 ||
	    (cp >= 0x2000 && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202f) ||
	    (cp >= 0x205f && cp <= 0x2064) || cp == 0x3000 || cp == 0xfeff)
		return false;
	if (cp < 0x80)
		return cp >= 0x20 && cp < 0x7f;
	if (cp < 0xa0)
		return false;
	return (l = utf8()) != (locale_t) 0 && iswprint_l((wint_t) cp, l);
}

static const rule_value *
self_str(rule_ctx *c, const rule_value *args)
{
	if (args[0].t != V_STR) {
		rule_fail(c, "AttributeError: string methods need a string");
		return NULL;
	}
	return &args[0];
}

static bool
str_arg(rule_ctx *c, const rule_value *v)
{
	return v->t == V_STR ||
	       rule_fail(c, "TypeError: must be str, not another type");
}

/* ---- case mapping ---- */

static inline uint32_t
map_case(uint32_t cp, bool upper)
{
	locale_t l;

	if (cp < 0x80)
		return upper ? (cp >= 'a' && cp <= 'z' ? cp - 32 : cp)
		             : (cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
	if ((l = utf8()) == (locale_t) 0)
		return cp;
	return (uint32_t) (upper ? towupper_l((wint_t) cp, l)
	                         : towlower_l((wint_t) cp, l));
}

uint32_t
rule_map_case(uint32_t cp, bool upper)
{
	return map_case(cp, upper);
}

bool
rule_cp_alpha(uint32_t cp)
{
	locale_t l;

	if (cp < 0x80)
		return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
	return (l = utf8()) != (locale_t) 0 && iswalpha_l((wint_t) cp, l);
}

static bool
is_cased(uint32_t cp)
{
	return map_case(cp, true) != cp || map_case(cp, false) != cp;
}

/* change_case - Python's str.lower()/str.upper(): at most 3 code points
 * of at most 4 bytes for each one in. */
static bool
change_case(rule_ctx *c, const rule_value *s, bool upper, rule_value *out)
{
	const char *p = s->u.s.p;
	char        lo = upper ? 'a' : 'A', hi = upper ? 'z' : 'Z';
	size_t      n = s->u.s.n, o, k, i = 0;
	char       *d;

	while (
	    i < n && (p[i] < lo || p[i] > hi) && (unsigned char) p[i] < 0x80)
		i++;
	if (i == n) { /* nothing to change: keep the view */
		*out = *s;
		return true;
	}
	if ((d = rule_scratch_alloc(c, n * 3 + 1)) == NULL)
		return false;
	memcpy(d, p, i);
	for (o = i; i < n; i += k) {
		uint32_t cp;
		if ((unsigned char) p[i] < 0x80) { /* without decoding */
			d[o++] = p[i] >= lo && p[i] <= hi
			             ? (char) (p[i] ^ 0x20)
			             : p[i];
			k = 1;
			continue;
		}
		cp = rule_utf8_decode(p + i, n - i, &k);
		if (upper && cp == 0xdf) { /* ß */
			d[o++] = 'S';
			d[o++] = 'S';
			continue;
		}
		if (!upper && cp == 0x130) { /* İ: i and a combining dot */
			d[o++] = 'i';
			o += utf8_encode(0x307, d + o);
			continue;
		}
		if (!upper && cp == 0x3a3) { /* Σ: ς at the end of a word */
			size_t   k2;
			bool     before = i > 0, after = false;
			uint32_t next = i + k < n ? rule_utf8_decode(p + i + k,
			                                n - i - k, &k2)
			                          : 0;
			if (before) {
				size_t j = i - 1;
				while (j > 0 &&
				       ((unsigned char) p[j] & 0xc0) == 0x80)
					j--;
				before = is_cased(
				    rule_utf8_decode(p + j, n - j, &k2));
			}
			after = i + k < n && is_cased(next);
			o += utf8_encode(
			    before && !after ? 0x3c2 : 0x3c3, d + o);
			continue;
		}
		o += utf8_encode(map_case(cp, upper), d + o);
	}
	*out = (rule_value){.t = V_STR, .u.s = {d, o}};
	return true;
}

RULE_TEXT_FN(rule_m_lower)
{
	const rule_value *self = self_str(c, args);

	(void) nargs;
	return self != NULL && change_case(c, self, false, out);
}

RULE_TEXT_FN(rule_m_upper)
{
	const rule_value *self = self_str(c, args);

	(void) nargs;
	return self != NULL && change_case(c, self, true, out);
}

/* ---- searching ---- */

/* find_at - the byte offset of the first (or last) sub in s at or after
 * from, or -1. UTF-8 makes a byte match a code point match. */
static long
find_at(const rule_value *s, const rule_value *sub, bool last)
{
	size_t n = s->u.s.n, m = sub->u.s.n;
	long   hit = -1;

	if (m > n)
		return -1;
	for (size_t i = 0; i + m <= n; i++)
		if (memcmp(s->u.s.p + i, sub->u.s.p, m) == 0) {
			hit = (long) i;
			if (!last)
				break;
		}
	return hit;
}

/* window - the part of self that the optional start and end arguments
 * (args[2], args[3]) select, as the slice self[start:end]; *base gets
 * its first code point's index. *past: start is beyond the end, where
 * Python finds nothing, not even ''. */
static bool
window(rule_ctx *c, const rule_value *self, const rule_value *args,
    size_t nargs, rule_value *w, int64_t *base, bool *past)
{
	static const rule_value none = {.t = V_NONE};
	int64_t len = (int64_t) rule_utf8_len(self->u.s.p, self->u.s.n), s;

	*past = false;
	*w = *self;
	*base = 0;
	if (nargs < 3)
		return true;
	if (args[2].t == V_INT || args[2].t == V_BOOL) {
		s = rule_as_int(&args[2]);
		s = s < 0 ? (s + len < 0 ? 0 : s + len) : s;
		if (s > len) {
			*past = true;
			return true;
		}
	}
	if (!rule_index(
	        c, self, &args[2], nargs > 3 ? &args[3] : &none, true, w))
		return false;
	*base = (int64_t) rule_utf8_len(
	    self->u.s.p, (size_t) (w->u.s.p - self->u.s.p));
	return true;
}

static bool
search(rule_ctx *c, const rule_value *args, size_t nargs, bool last,
    bool raise, rule_value *out)
{
	const rule_value *self = self_str(c, args);
	rule_value        w;
	int64_t           base;
	bool              past;
	long              at = -1;

	if (self == NULL || !str_arg(c, &args[1]) ||
	    !window(c, self, args, nargs, &w, &base, &past))
		return false;
	if (!past)
		at = find_at(&w, &args[1], last);
	if (at < 0 && raise)
		return rule_fail(c, "ValueError: substring not found");
	*out = (rule_value){.t = V_INT,
	    .u.i = at < 0
	               ? -1
	               : base + (int64_t) rule_utf8_len(w.u.s.p, (size_t) at)};
	return true;
}

RULE_TEXT_FN(rule_m_find)
{
	return search(c, args, nargs, false, false, out);
}

RULE_TEXT_FN(rule_m_rfind)
{
	return search(c, args, nargs, true, false, out);
}

RULE_TEXT_FN(rule_m_index)
{
	return search(c, args, nargs, false, true, out);
}

RULE_TEXT_FN(rule_m_rindex)
{
	return search(c, args, nargs, true, true, out);
}

/* count_hits - non-overlapping occurrences of q (m > 0 bytes) in p. */
static size_t
count_hits(const char *p, size_t n, const char *q, size_t m)
{
	size_t hits = 0;

	for (size_t i = 0; i + m <= n;)
		if (memcmp(p + i, q, m) == 0) {
			hits++;
			i += m;
		} else
			i++;
	return hits;
}

RULE_TEXT_FN(rule_m_count)
{
	const rule_value *self = self_str(c, args);
	rule_value        w;
	int64_t           base;
	bool              past;
	size_t            n, m, hits = 0;

	if (self == NULL || !str_arg(c, &args[1]) ||
	    !window(c, self, args, nargs, &w, &base, &past))
		return false;
	n = w.u.s.n;
	m = args[1].u.s.n;
	if (past)
		hits = 0;
	else if (m == 0) /* Python: one more than the code points */
		hits = rule_utf8_len(w.u.s.p, n) + 1;
	else
		hits = count_hits(w.u.s.p, n, args[1].u.s.p, m);
	*out = (rule_value){.t = V_INT, .u.i = (int64_t) hits};
	return true;
}

/* replaced_len - the length of self.replace(old, new, limit), in bytes
 * (limit < 0: every match); '' matches before each code point and at
 * the end, as in Python. */
static size_t
replaced_len(const rule_value *self, const rule_value *old,
    const rule_value *new, int64_t                     limit)
{
	size_t n = self->u.s.n, m = old->u.s.n, hits = 0;

	if (m == 0)
		hits = rule_utf8_len(self->u.s.p, n) + 1;
	else
		hits = count_hits(self->u.s.p, n, old->u.s.p, m);
	if (limit >= 0 && (uint64_t) limit < hits)
		hits = (size_t) limit;
	return n - hits * m + hits * new->u.s.n;
}

RULE_TEXT_FN(rule_m_replace)
{
	const rule_value *self = self_str(c, args), *old = &args[1],
	                 *new = &args[2];
	int64_t limit = -1, done = 0;
	size_t  n, m, cap, o = 0, k;
	char   *d;

	if (self == NULL || !str_arg(c, old) || !str_arg(c, new))
		return false;
	if (nargs > 3) {
		if (args[3].t != V_INT && args[3].t != V_BOOL)
			return rule_fail(c, "TypeError: replace() count must "
			                    "be an integer");
		limit = rule_as_int(&args[3]);
	}
	n = self->u.s.n;
	m = old->u.s.n;
	/* the exact length first: tag values must not make us allocate
	 * their product */
	cap = replaced_len(self, old, new, limit);
	if (cap > RULE_STR_RESULT_MAX)
		return rule_fail(c, "RuntimeError: String length exceeded, "
		                    "max string length is 262144");
	if ((d = rule_scratch_alloc(c, cap + 1)) == NULL)
		return false;
	for (size_t i = 0; i <= n;) {
		bool room = limit < 0 || done < limit;
		if (room && m == 0) { /* '' matches before each code point */
			memcpy(d + o, new->u.s.p, new->u.s.n);
			o += new->u.s.n;
			done++;
			if (i == n)
				break;
			k = 1;
			while (i + k < n &&
			       ((unsigned char) self->u.s.p[i + k] & 0xc0) ==
			           0x80)
				k++;
			memcpy(d + o, self->u.s.p + i, k);
			o += k;
			i += k;
			continue;
		}
		if (i == n)
			break;
		if (room && m > 0 && i + m <= n &&
		    memcmp(self->u.s.p + i, old->u.s.p, m) == 0) {
			memcpy(d + o, new->u.s.p, new->u.s.n);
			o += new->u.s.n;
			i += m;
			done++;
			continue;
		}
		d[o++] = self->u.s.p[i++];
	}
	*out = (rule_value){.t = V_STR, .u.s = {d, o}};
	return true;
}

/* ---- the is* tests ---- */

typedef bool (*cp_test)(uint32_t cp);

static bool
t_digit(uint32_t cp)
{
	return cp >= '0' && cp <= '9';
}

static bool
t_alpha(uint32_t cp)
{
	locale_t l;

	if (cp < 0x80)
		return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
	return (l = utf8()) != (locale_t) 0 && iswalpha_l((wint_t) cp, l);
}

static bool
t_alnum(uint32_t cp)
{
	return t_alpha(cp) || t_digit(cp);
}

/* Python's str.isspace(): Unicode's whitespace and the separators
 * \x1c-\x1f */
static bool
t_space(uint32_t cp)
{
	return cp == ' ' || (cp >= '\t' && cp <= '\r') ||
	       (cp >= 0x1c && cp <= 0x1f) || cp == 0x85 || cp == 0xa0 ||
	       cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
	       cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f ||
	       cp == 0x3000;
}

static bool
t_ascii(uint32_t cp)
{
	return cp < 0x80;
}

/* every_cp - each code point passes test; an empty string fails
 * (empty_ok: passes, as for isascii). */
static bool
every_cp(rule_ctx *c, const rule_value *args, cp_test test, bool empty_ok,
    rule_value *out)
{
	const rule_value *self = self_str(c, args);
	size_t            k;
	bool              all;

	if (self == NULL)
		return false;
	all = self->u.s.n > 0 || empty_ok;
	for (size_t i = 0; all && i < self->u.s.n; i += k)
		all = test(
		    rule_utf8_decode(self->u.s.p + i, self->u.s.n - i, &k));
	*out = (rule_value){.t = V_BOOL, .u.b = all};
	return true;
}

/* cased - islower/isupper: some cased code point, none of the other
 * case. */
static bool
cased(rule_ctx *c, const rule_value *args, bool upper, rule_value *out)
{
	const rule_value *self = self_str(c, args);
	size_t            k;
	bool              any = false, wrong = false;

	if (self == NULL)
		return false;
	for (size_t i = 0; !wrong && i < self->u.s.n; i += k) {
		uint32_t cp =
		    rule_utf8_decode(self->u.s.p + i, self->u.s.n - i, &k);
		bool is_up = map_case(cp, false) != cp,
		     is_low = map_case(cp, true) != cp;
		any = any || is_up || is_low;
		wrong = upper ? is_low : is_up;
	}
	*out = (rule_value){.t = V_BOOL, .u.b = any && !wrong};
	return true;
}

RULE_TEXT_FN(rule_m_isdigit)
{
	(void) nargs;
	return every_cp(c, args, t_digit, false, out);
}

RULE_TEXT_FN(rule_m_isdecimal)
{
	(void) nargs;
	return every_cp(c, args, t_digit, false, out);
}

RULE_TEXT_FN(rule_m_isnumeric)
{
	(void) nargs;
	return every_cp(c, args, t_digit, false, out);
}

RULE_TEXT_FN(rule_m_isalpha)
{
	(void) nargs;
	return every_cp(c, args, t_alpha, false, out);
}

RULE_TEXT_FN(rule_m_isalnum)
{
	(void) nargs;
	return every_cp(c, args, t_alnum, false, out);
}

RULE_TEXT_FN(rule_m_isspace)
{
	(void) nargs;
	return every_cp(c, args, t_space, false, out);
}

RULE_TEXT_FN(rule_m_isascii)
{
	(void) nargs;
	return every_cp(c, args, t_ascii, true, out);
}

RULE_TEXT_FN(rule_m_islower)
{
	(void) nargs;
	return cased(c, args, false, out);
}

RULE_TEXT_FN(rule_m_isupper)
{
	(void) nargs;
	return cased(c, args, true, out);
}
