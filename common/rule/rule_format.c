/* rule_format.c - text made from values as Python makes it: str() and
 * repr() of every value (containers included), format(value, spec) with
 * the format-spec mini-language, and printf-style "fmt % args". Every
 * result is built in a buffer capped at RULE_STR_RESULT_MAX, so neither
 * a width nor a precision taken from a tag can make a rule allocate more
 * (asteval has no cap here; repetition's limit is its safe_mult's). */
#include "rule/rule_builtin.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rule/rule_int.h"
#include "rule/rule_text.h"

#define RULE_NUM_BUF 512 /* a number's text before padding */

static const char too_long[] = "RuntimeError: String length exceeded, max "
                               "string length is 262144";

typedef struct sbuf {
	rule_ctx *c;
	char     *p;
	size_t    n, cap;
} sbuf;

static bool
put(sbuf *b, const char *s, size_t n)
{
	if (n == 0) /* s may be NULL then, and b->p still unallocated */
		return true;
	if (n > RULE_STR_RESULT_MAX - b->n)
		return rule_fail(b->c, too_long);
	if (b->n + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		char  *np;
		while (cap < b->n + n)
			cap *= 2;
		if ((np = rule_scratch_alloc(b->c, cap)) == NULL)
			return false;
		if (b->n > 0)
			memcpy(np, b->p, b->n);
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	return true;
}

static bool
puts_(sbuf *b, const char *s)
{
	return put(b, s, strlen(s));
}

static bool
done(sbuf *b, rule_value *out)
{
	*out = (rule_value){.t = V_STR, .u.s = {b->n ? b->p : "", b->n}};
	return true;
}

/* ---- repr ---- */

static bool repr_into(sbuf *b, const rule_value *v, bool ascii);

static bool
str_repr(sbuf *b, const char *p, size_t n, bool ascii)
{
	char q = memchr(p, '\'', n) && !memchr(p, '"', n) ? '"' : '\'';
	char esc[12];

	if (!put(b, &q, 1))
		return false;
	for (size_t i = 0, k; i < n; i += k) {
		uint32_t cp = rule_utf8_decode(p + i, n - i, &k);
		bool     ok = true;
		if (cp == '\\' || cp == (uint32_t) q) {
			esc[0] = '\\';
			esc[1] = (char) cp;
			ok = put(b, esc, 2);
		} else if (cp == '\n' || cp == '\r' || cp == '\t') {
			esc[0] = '\\';
			esc[1] = cp == '\n' ? 'n' : cp == '\r' ? 'r' : 't';
			ok = put(b, esc, 2);
		} else if (cp >= 0x20 && cp < 0x7f) {
			ok = put(b, p + i, 1);
		} else if (cp >= 0x80 && !ascii && rule_cp_printable(cp)) {
			ok = put(b, p + i, k);
		} else {
			snprintf(esc, sizeof(esc),
			    cp < 0x100     ? "\\x%02x"
			    : cp < 0x10000 ? "\\u%04x"
			                   : "\\U%08x",
			    (unsigned) cp);
			ok = puts_(b, esc);
		}
		if (!ok)
			return false;
	}
	return put(b, &q, 1);
}

static bool
items_repr(sbuf *b, const rule_value *items, size_t n, size_t stride,
    const char *open, const char *close, bool ascii)
{
	if (!puts_(b, open))
		return false;
	for (size_t i = 0; i < n; i++) {
		if ((i > 0 && !puts_(b, ", ")) ||
		    !repr_into(b, &items[i * stride], ascii))
			return false;
		if (stride == 2 &&
		    (!puts_(b, ": ") ||
		        !repr_into(b, &items[i * 2 + 1], ascii)))
			return false;
	}
	return puts_(b, close);
}

static bool
repr_into(sbuf *b, const rule_value *v, bool ascii)
{
	char num[RULE_NUM_BUF];

	switch (v->t) {
	case V_NONE:
		return puts_(b, "None");
	case V_BOOL:
		return puts_(b, v->u.b ? "True" : "False");
	case V_INT:
		snprintf(num, sizeof(num), "%lld", (long long) v->u.i);
		return puts_(b, num);
	case V_FLOAT:
		rule_float_repr(v->u.f, num);
		return puts_(b, num);
	case V_STR:
		return str_repr(b, v->u.s.p, v->u.s.n, ascii);
	case V_LIST:
		if (v->u.l.tuple && v->u.l.n == 1)
			return items_repr(
			    b, v->u.l.items, 1, 1, "(", ",)", ascii);
		return items_repr(b, v->u.l.items, v->u.l.n, 1,
		    v->u.l.tuple ? "(" : "[", v->u.l.tuple ? ")" : "]", ascii);
	case V_DICT:
		return items_repr(
		    b, v->u.l.items, v->u.l.n, 2, "{", "}", ascii);
	case V_SET:
		if (v->u.l.n == 0)
			return puts_(
			    b, v->u.l.tuple ? "frozenset()" : "set()");
		return items_repr(b, v->u.l.items, v->u.l.n, 1,
		    v->u.l.tuple ? "frozenset({" : "{",
		    v->u.l.tuple ? "})" : "}", ascii);
	case V_RANGE:
		snprintf(num, sizeof(num),
		    v->u.r.step == 1 ? "range(%lld, %lld)"
		                     : "range(%lld, %lld, %lld)",
		    (long long) v->u.r.start, (long long) v->u.r.stop,
		    (long long) v->u.r.step);
		return puts_(b, num);
	default:
		return rule_fail(b->c, "repr() of an iterator or a function "
		                       "is not supported");
	}
}

bool
rule_repr(rule_ctx *c, const rule_value *v, rule_value *out)
{
	sbuf b = {.c = c};

	return repr_into(&b, v, false) && done(&b, out);
}

bool
rule_str(rule_ctx *c, const rule_value *v, rule_value *out)
{
	if (v->t == V_STR) {
		*out = *v;
		return true;
	}
	return rule_repr(c, v, out);
}

/* ---- numbers, padded ---- */

typedef struct spec {
	char   fill, align, sign, type, group;
	bool   alt, zero;
	size_t width;
	long   prec; /* -1: none */
} spec;

/* pad - sign + prefix + body (ASCII or UTF-8 of len code points) into
 * b, as the spec aligns it ('=' puts the fill after the sign). */
static bool
pad(sbuf *b, const spec *s, const char *sign, const char *body, size_t n,
    size_t cps, char dflt_align)
{
	size_t used = strlen(sign) + cps, left = 0, right = 0;
	char   align = s->align ? s->align : dflt_align;

	if (s->width > RULE_STR_RESULT_MAX)
		return rule_fail(b->c, too_long);
	if (s->width > used) {
		size_t gap = s->width - used;
		left = align == '<' ? 0 : align == '^' ? gap / 2 : gap;
		right = gap - left;
	}
	if (align != '=')
		for (size_t i = 0; i < left; i++)
			if (!put(b, &s->fill, 1))
				return false;
	if (!puts_(b, sign))
		return false;
	if (align == '=')
		for (size_t i = 0; i < left; i++)
			if (!put(b, &s->fill, 1))
				return false;
	if (!put(b, body, n))
		return false;
	for (size_t i = 0; i < right; i++)
		if (!put(b, &s->fill, 1))
			return false;
	return true;
}

/* group - digits of s[0..n) with sep every every digits from the right,
 * into out (RULE_NUM_BUF) */
static void
group(const char *s, size_t n, char sep, size_t every, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		out[o++] = s[i];
		if (sep && (n - 1 - i) % every == 0 && i + 1 < n)
			out[o++] = sep;
	}
	out[o] = '\0';
}

static bool
fmt_int(sbuf *b, const spec *s, int64_t x)
{
	char     digits[80], grouped[RULE_NUM_BUF], body[RULE_NUM_BUF + 4];
	uint64_t u = x < 0 ? -(uint64_t) x : (uint64_t) x;
	char     t = s->type ? s->type : 'd';
	unsigned base = t == 'b'                 ? 2
	                : t == 'o'               ? 8
	                : (t == 'x' || t == 'X') ? 16
	                                         : 10;
	size_t   n = 0;
	char     sign[2] = {0};

	if (s->prec >= 0)
		return rule_fail(b->c, "ValueError: Precision not allowed in "
		                       "integer format specifier");
	if (t == 'c') {
		char cp[5];
		if (x < 0 || x > 0x10ffff)
			return rule_fail(b->c, "OverflowError: %c arg not in "
			                       "range(0x110000)");
		size_t k = utf8_encode((uint32_t) x, cp);
		return pad(b, s, "", cp, k, 1, '<');
	}
	do {
		unsigned d = (unsigned) (u % base);
		digits[n++] = (char) (d < 10     ? '0' + d
		                      : t == 'X' ? 'A' + d - 10
		                                 : 'a' + d - 10);
		u /= base;
	} while (u > 0);
	for (size_t i = 0; i < n / 2; i++) {
		char tmp = digits[i];
		digits[i] = digits[n - 1 - i];
		digits[n - 1 - i] = tmp;
	}
	group(digits, n, s->group, base == 10 ? 3 : 4, grouped);
	snprintf(body, sizeof(body), "%s%s",
	    !s->alt    ? ""
	    : t == 'b' ? "0b"
	    : t == 'o' ? "0o"
	    : t == 'x' ? "0x"
	    : t == 'X' ? "0X"
	               : "",
	    grouped);
	sign[0] = x < 0            ? '-'
	          : s->sign == '+' ? '+'
	          : s->sign == ' ' ? ' '
	                           : 0;
	if (s->alt && base != 10 && (s->align == '=' || s->zero)) {
		/* the prefix goes before the zeros: 0x00ff */
		char pre[4] = {sign[0], body[0], body[1], 0};
		if (!sign[0])
			memmove(pre, pre + 1, 3);
		return pad(b, s, pre, body + 2, strlen(body + 2),
		    strlen(body + 2), '>');
	}
	return pad(b, s, sign, body, strlen(body), strlen(body), '>');
}

/* num_text - printf of x by conversion ct ('e' 'E' 'f' 'F' 'g' 'G'),
 * '#' when alt, into buf (cap; NULL, 0 to measure); its length */
static int
num_text(char *buf, size_t cap, char ct, bool alt, int p, double x)
{
	switch (ct) {
	case 'e':
		return alt ? snprintf(buf, cap, "%#.*e", p, x)
		           : snprintf(buf, cap, "%.*e", p, x);
	case 'E':
		return alt ? snprintf(buf, cap, "%#.*E", p, x)
		           : snprintf(buf, cap, "%.*E", p, x);
	case 'f':
		return alt ? snprintf(buf, cap, "%#.*f", p, x)
		           : snprintf(buf, cap, "%.*f", p, x);
	case 'F':
		return alt ? snprintf(buf, cap, "%#.*F", p, x)
		           : snprintf(buf, cap, "%.*F", p, x);
	case 'G':
		return alt ? snprintf(buf, cap, "%#.*G", p, x)
		           : snprintf(buf, cap, "%.*G", p, x);
	default:
		return alt ? snprintf(buf, cap, "%#.*g", p, x)
		           : snprintf(buf, cap, "%.*g", p, x);
	}
}

/* strip_zeros - drop trailing zeros of the fraction (and the dot), as
 * Python's 'g' does; the exponent stays */
static void
strip_zeros(char *s)
{
	char *dot = strchr(s, '.'), *e;
	char  exp[16] = "";

	if (dot == NULL)
		return;
	if ((e = strpbrk(s, "eE")) != NULL) {
		snprintf(exp, sizeof(exp), "%s", e);
		*e = '\0';
	}
	for (e = s + strlen(s) - 1; e > dot && *e == '0'; e--)
		*e = '\0';
	if (*e == '.')
		*e = '\0';
	memcpy(s + strlen(s), exp, strlen(exp) + 1);
}

static bool
fmt_float(sbuf *b, const spec *s, double x)
{
	char   t = s->type, *body, grouped[RULE_NUM_BUF];
	long   p = s->prec;
	char   sign[2] = {0};
	int    len;
	bool   pct = t == '%';
	double ax = fabs(x);

	sign[0] = signbit(x) && !isnan(x) ? '-'
	          : s->sign == '+'        ? '+'
	          : s->sign == ' '        ? ' '
	                                  : 0;
	if (p > RULE_STR_RESULT_MAX)
		return rule_fail(b->c, too_long);
	if (!isfinite(x)) {
		bool        up = t == 'E' || t == 'F' || t == 'G';
		const char *w =
		    isnan(x) ? (up ? "NAN" : "nan") : (up ? "INF" : "inf");
		return pad(b, s, sign, w, 3, 3, '>');
	}
	if (pct)
		ax *= 100.0;
	if (t == 0 && p < 0) {
		char r[64];
		rule_float_repr(ax, r);
		body = rule_scratch_alloc(b->c, strlen(r) + 1);
		if (body == NULL)
			return false;
		memcpy(body, r, strlen(r) + 1);
	} else {
		char ct = t == 0 || t == 'n' ? 'g' : pct ? 'f' : t;
		if (p < 0)
			p = 6;
		if (t == 0) { /* like 'g', with the threshold at p - 1 */
			char probe[64];
			if (p == 0)
				p = 1;
			snprintf(
			    probe, sizeof(probe), "%.*e", (int) (p - 1), ax);
			long ex = strtol(strchr(probe, 'e') + 1, NULL, 10);
			ct = ex < -4 || ex >= p - 1 ? 'e' : 'f';
			p = ct == 'e' ? p - 1 : p - 1 - ex;
		}
		len = num_text(NULL, 0, ct, s->alt, (int) p, ax);
		if (len < 0 || (size_t) len > RULE_STR_RESULT_MAX)
			return rule_fail(b->c, too_long);
		if ((body = rule_scratch_alloc(b->c, (size_t) len + 4)) ==
		    NULL)
			return false;
		num_text(body, (size_t) len + 1, ct, s->alt, (int) p, ax);
		if ((t == 0 || t == 'g' || t == 'G' || t == 'n') && !s->alt)
			strip_zeros(body);
		/* body has 3 bytes to spare for these */
		if (t == 0 && !strpbrk(body, ".e"))
			memcpy(body + strlen(body), ".0", 3);
		if (pct)
			memcpy(body + strlen(body), "%", 2);
	}
	if (s->group && strlen(body) < RULE_NUM_BUF / 2) {
		size_t ip = strspn(body, "0123456789");
		char   tail[RULE_NUM_BUF];
		snprintf(tail, sizeof(tail), "%s", body + ip);
		group(body, ip, s->group, 3, grouped);
		snprintf(grouped + strlen(grouped),
		    sizeof(grouped) - strlen(grouped), "%s", tail);
		body = grouped;
	}
	return pad(b, s, sign, body, strlen(body), strlen(body), '>');
}

/* parse_spec - Python's [[fill]align][sign][z][#][0][width][grouping]
 * [.precision][type] */
static bool
parse_spec(rule_ctx *c, const char *p, size_t n, spec *s)
{
	size_t i = 0, k;

	*s = (spec){.fill = ' ', .prec = -1};
	if (n >= 2 && strchr("<>=^", p[1]) && (unsigned char) p[0] < 0x80) {
		s->fill = p[0];
		s->align = p[1];
		i = 2;
	} else if (n >= 1 && strchr("<>=^", p[0])) {
		s->align = p[0];
		i = 1;
	}
	if (i < n && strchr("+- ", p[i]))
		s->sign = p[i++];
	if (i < n && p[i] == '#') {
		s->alt = true;
		i++;
	}
	if (i < n && p[i] == '0') {
		s->zero = true;
		if (!s->align) {
			s->fill = '0';
			s->align = '=';
		}
		i++;
	}
	for (k = i; i < n && p[i] >= '0' && p[i] <= '9'; i++)
		if ((s->width = s->width * 10 + (size_t) (p[i] - '0')) >
		    RULE_STR_RESULT_MAX)
			return rule_fail(c, too_long);
	if (i < n && (p[i] == ',' || p[i] == '_'))
		s->group = p[i++];
	if (i < n && p[i] == '.') {
		for (k = ++i, s->prec = 0; i < n && p[i] >= '0' && p[i] <= '9';
		     i++)
			if ((s->prec = s->prec * 10 + (p[i] - '0')) >
			    RULE_STR_RESULT_MAX)
				return rule_fail(c, too_long);
		if (i == k)
			return rule_fail(c,
			    "ValueError: Format specifier missing precision");
	}
	if (i < n && strchr("bcdeEfFgGnosxX%", p[i]) && p[i] != '\0')
		s->type = p[i++];
	if (i != n)
		return rule_fail(c, "ValueError: Invalid format specifier");
	return true;
}

static bool
format_one(sbuf *b, const rule_value *v, const spec *s)
{
	rule_value str;

	if (v->t == V_STR) {
		size_t n = v->u.s.n, cps;
		if (s->type && s->type != 's')
			return rule_fail(b->c,
			    "ValueError: Unknown format "
			    "code for object of type 'str'");
		if (s->sign || s->align == '=' || s->group)
			return rule_fail(b->c, "ValueError: Sign or '=' not "
			                       "allowed in string format "
			                       "specifier");
		cps = rule_utf8_len(v->u.s.p, n);
		if (s->prec >= 0 && (size_t) s->prec < cps) {
			n = 0;
			for (long k = 0; k < s->prec; k++) {
				n++;
				while (n < v->u.s.n &&
				       ((unsigned char) v->u.s.p[n] & 0xC0) ==
				           0x80)
					n++;
			}
			cps = (size_t) s->prec;
		}
		return pad(b, s, "", v->u.s.p, n, cps, '<');
	}
	if (v->t == V_INT || v->t == V_BOOL) {
		if (s->type && strchr("eEfFgG%", s->type))
			return fmt_float(b, s, (double) rule_as_int(v));
		if (s->type == 's')
			return rule_fail(b->c, "ValueError: Unknown format "
			                       "code 's' for an int");
		return fmt_int(b, s, rule_as_int(v));
	}
	if (v->t == V_FLOAT) {
		if (s->type && !strchr("eEfFgGn%", s->type))
			return rule_fail(b->c, "ValueError: Unknown format "
			                       "code for object of type "
			                       "'float'");
		return fmt_float(b, s, v->u.f);
	}
	if (!rule_str(b->c, v, &str))
		return false;
	return rule_fail(b->c, "TypeError: unsupported format string "
	                       "passed to __format__");
}

bool
rule_format_spec(
    rule_ctx *c, const rule_value *v, const rule_value *fs, rule_value *out)
{
	sbuf b = {.c = c};
	spec s;

	if (fs->t != V_STR)
		return rule_fail(
		    c, "TypeError: format() argument 2 must be str");
	if (fs->u.s.n == 0)
		return rule_str(c, v, out);
	if (!parse_spec(c, fs->u.s.p, fs->u.s.n, &s) || !format_one(&b, v, &s))
		return false;
	return done(&b, out);
}

/* ---- fmt % args ---- */

static bool
next_arg(rule_ctx *c, const rule_value *items, size_t n, size_t *at,
    const rule_value **out)
{
	if (*at >= n)
		return rule_fail(c, "TypeError: not enough arguments for "
		                    "format string");
	*out = &items[(*at)++];
	return true;
}

/* star - a '*' width or precision from the arguments */
static bool
star(rule_ctx *c, const rule_value *items, size_t n, size_t *at, long *out)
{
	const rule_value *v = NULL;

	if (!next_arg(c, items, n, at, &v))
		return false;
	if (v->t != V_INT && v->t != V_BOOL)
		return rule_fail(c, "TypeError: * wants int");
	if (rule_as_int(v) > RULE_STR_RESULT_MAX ||
	    rule_as_int(v) < -RULE_STR_RESULT_MAX)
		return rule_fail(c, too_long);
	*out = (long) rule_as_int(v);
	return true;
}

/* percent_one - one conversion: v by s (type already checked) */
static bool
percent_one(sbuf *b, const rule_value *v, spec *s, char conv)
{
	rule_value txt;

	switch (conv) {
	case 's':
	case 'r':
	case 'a': {
		sbuf r = {.c = b->c};
		if (conv == 's'
		        ? !rule_str(b->c, v, &txt)
		        : !(repr_into(&r, v, conv == 'a') && done(&r, &txt)))
			return false;
		s->type = 0;
		s->align = s->align ? s->align : '>';
		s->fill = ' ';
		return format_one(b, &txt, s);
	}
	case 'c':
		if (v->t == V_STR) {
			if (rule_utf8_len(v->u.s.p, v->u.s.n) != 1)
				return rule_fail(b->c,
				    "TypeError: %c requires "
				    "int or char");
			s->type = 0;
			s->prec = -1;
			s->fill = ' ';
			s->align = s->align ? s->align : '>';
			return format_one(b, v, s);
		}
		if (v->t != V_INT && v->t != V_BOOL)
			return rule_fail(
			    b->c, "TypeError: %c requires int or char");
		s->type = 'c';
		s->prec = -1;
		s->fill = ' ';
		s->align = s->align ? s->align : '>';
		return fmt_int(b, s, rule_as_int(v));
	default:
		break;
	}
	if (!rule_is_num(v))
		return rule_fail(b->c,
		    "TypeError: %d format: a real number is "
		    "required");
	if (strchr("diuoxX", conv)) {
		int64_t i;
		if (v->t == V_FLOAT) {
			if (!isfinite(v->u.f) ||
			    !(fabs(v->u.f) < 9223372036854775808.0))
				return rule_fail(b->c, "OverflowError: cannot "
				                       "convert float to "
				                       "integer");
			i = (int64_t) v->u.f;
		} else {
			i = rule_as_int(v);
		}
		s->type = strchr("diu", conv) ? 'd' : conv;
		/* printf's precision of an int is its least digits */
		long prec = s->prec;
		s->prec = -1;
		if (prec > 0) {
			char       digits[RULE_NUM_BUF];
			sbuf       d = {.c = b->c};
			spec       z = {.fill = '0',
			          .align = '>',
			          .type = s->type,
			          .width = (size_t) prec,
			          .prec = -1};
			rule_value body;
			if (prec > RULE_NUM_BUF - 8)
				return rule_fail(b->c, too_long);
			if (!fmt_int(&d, &z, i < 0 ? -i : i) ||
			    !done(&d, &body))
				return false;
			snprintf(digits, sizeof(digits), "%s%s%.*s",
			    s->alt && conv == 'o'   ? "0o"
			    : s->alt && conv == 'x' ? "0x"
			    : s->alt && conv == 'X' ? "0X"
			                            : "",
			    "", (int) body.u.s.n, body.u.s.p);
			char sign[2] = {i < 0     ? '-'
			                : s->sign ? s->sign
			                          : 0,
			    0};
			return pad(b, s, sign, digits, strlen(digits),
			    strlen(digits), '>');
		}
		return fmt_int(b, s, i);
	}
	s->type = conv;
	return fmt_float(b, s, rule_as_double(v));
}

bool
rule_percent(rule_ctx *c, const rule_value *fmt, const rule_value *args,
    rule_value *out)
{
	const char       *p = fmt->u.s.p;
	size_t            n = fmt->u.s.n, at = 0, nitems = 1;
	const rule_value *items = args, *v;
	sbuf              b = {.c = c};
	bool              mapping = args->t == V_DICT;

	if (args->t == V_LIST && args->u.l.tuple) {
		items = args->u.l.items;
		nitems = args->u.l.n;
	}
	for (size_t i = 0; i < n;) {
		const char *pct = memchr(p + i, '%', n - i);
		spec        s = {.fill = ' ', .prec = -1};
		size_t      j;
		if (pct == NULL)
			pct = p + n;
		if (!put(&b, p + i, (size_t) (pct - (p + i))))
			return false;
		if ((i = (size_t) (pct - p)) == n)
			break;
		if (++i < n && p[i] == '%') {
			if (!put(&b, "%", 1))
				return false;
			i++;
			continue;
		}
		v = NULL;
		if (i < n && p[i] == '(') { /* %(key)s */
			rule_value key;
			size_t     depth = 1;
			if (!mapping)
				return rule_fail(c,
				    "TypeError: format requires "
				    "a mapping");
			for (j = ++i; j < n && depth > 0; j++)
				depth += (p[j] == '(') - (p[j] == ')');
			if (depth > 0)
				return rule_fail(c, "ValueError: incomplete "
				                    "format key");
			key = (rule_value){
			    .t = V_STR, .u.s = {p + i, j - 1 - i}};
			for (size_t k = 0; k < args->u.l.n && v == NULL; k++)
				if (rule_equal(&key, &args->u.l.items[2 * k]))
					v = &args->u.l.items[2 * k + 1];
			if (v == NULL)
				return rule_fail(c, "KeyError: format key");
			i = j;
		}
		for (; i < n && strchr("-+ #0", p[i]) && p[i] != '\0'; i++) {
			if (p[i] == '-')
				s.align = '<';
			else if (p[i] == '+' || (p[i] == ' ' && s.sign != '+'))
				s.sign = p[i];
			else if (p[i] == '#')
				s.alt = true;
			else
				s.zero = true;
		}
		if (i < n && p[i] == '*') {
			long w = 0;
			if (!star(c, items, nitems, &at, &w))
				return false;
			if (w < 0) {
				s.align = '<';
				w = -w;
			}
			s.width = (size_t) w;
			i++;
		} else {
			for (; i < n && p[i] >= '0' && p[i] <= '9'; i++)
				if ((s.width = s.width * 10 +
				               (size_t) (p[i] - '0')) >
				    RULE_STR_RESULT_MAX)
					return rule_fail(c, too_long);
		}
		if (i < n && p[i] == '.') {
			s.prec = 0;
			if (++i < n && p[i] == '*') {
				if (!star(c, items, nitems, &at, &s.prec))
					return false;
				s.prec = s.prec < 0 ? 0 : s.prec;
				i++;
			} else {
				for (; i < n && p[i] >= '0' && p[i] <= '9';
				     i++)
					if ((s.prec = s.prec * 10 +
					              (p[i] - '0')) >
					    RULE_STR_RESULT_MAX)
						return rule_fail(c, too_long);
			}
		}
		if (i >= n || !strchr("diouxXeEfFgGcrsa", p[i]) ||
		    p[i] == '\0')
			return rule_fail(c, "ValueError: unsupported format "
			                    "character");
		if (s.zero && s.align != '<' && !strchr("crsa", p[i])) {
			s.fill = '0';
			s.align = '=';
		}
		if (v == NULL && !next_arg(c, items, nitems, &at, &v))
			return false;
		if (!percent_one(&b, v, &s, p[i++]))
			return false;
	}
	if (!mapping && at < nitems &&
	    !(args->t == V_LIST && !args->u.l.tuple))
		return rule_fail(c, "TypeError: not all arguments converted "
		                    "during string formatting");
	return done(&b, out);
}

/* ---- the builtins ---- */

bool
rule_fn_format(
    rule_ctx *c, const rule_value *args, size_t nargs, rule_value *out)
{
	static const rule_value empty = {.t = V_STR, .u.s = {"", 0}};

	return rule_format_spec(
	    c, &args[0], nargs > 1 ? &args[1] : &empty, out);
}

bool
rule_fn_repr(
    rule_ctx *c, const rule_value *args, size_t nargs, rule_value *out)
{
	(void) nargs;
	return rule_repr(c, &args[0], out);
}
