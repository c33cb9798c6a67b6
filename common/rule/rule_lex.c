/* rule_lex.c - turns a rule's text into tokens, Python's way: string
 * literals with escapes and prefixes, adjacent quotes, int and float
 * literals, mercure's legacy @Tag@. Also the arena every compiled rule
 * lives in and the column arithmetic for syntax errors. The parser
 * (rule_parse.c) decides what the tokens mean. */
#include "rule/rule_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RULE_CHUNK_MIN_BYTES 4096
#define RULE_TOKENS_INITIAL 32
#define RULE_NUMBER_MAX_LEN 64

struct rule_chunk {
	rule_chunk *next;
	size_t      cap, used;
	max_align_t data[]; /* aligned start */
};

void *
rule_arena_alloc(rule_arena *a, size_t n)
{
	size_t need = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) *
	              sizeof(max_align_t);
	rule_chunk *c = a->head;

	if (n == 0)
		need = sizeof(max_align_t);
	if (c == NULL || c->cap - c->used < need) {
		size_t cap =
		    need > RULE_CHUNK_MIN_BYTES ? need : RULE_CHUNK_MIN_BYTES;
		c = malloc(sizeof(*c) + cap);
		if (c == NULL)
			return NULL;
		c->cap = cap;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	void *p = (char *) c->data + c->used;
	c->used += need;
	memset(p, 0, n);
	return p;
}

void
rule_arena_fini(rule_arena *a)
{
	rule_chunk *c = a->head;

	while (c != NULL) {
		rule_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
}

size_t
rule_column(const char *text, size_t off)
{
	size_t col = 1;

	for (size_t i = 0; i < off; i++)
		if (((unsigned char) text[i] & 0xC0) != 0x80)
			col++;
	return col;
}

mc_err
rule_syntax_error(
    mc_diag *d, const char *text, size_t off, const char *fmt, ...)
{
	va_list ap;

	if (d == NULL)
		return MC_ESYNTAX;
	d->column = rule_column(text, off);
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	return MC_ESYNTAX;
}

typedef struct lexer {
	const char *text;
	size_t      len, pos;
	rule_arena *arena;
	mc_diag    *d;
	rule_token *toks;
	size_t      n, cap;
} lexer;

static bool
is_name_start(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       ch == '_';
}

static bool
is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

static int
peek(const lexer *lx, size_t ahead)
{
	size_t i = lx->pos + ahead;
	return i < lx->len ? (unsigned char) lx->text[i] : -1;
}

static mc_err
push(lexer *lx, const rule_token *t)
{
	if (lx->n == lx->cap) {
		size_t      cap = lx->cap ? lx->cap * 2 : RULE_TOKENS_INITIAL;
		rule_token *nt = realloc(lx->toks, cap * sizeof(*nt));
		if (nt == NULL)
			return MC_ENOMEM;
		lx->toks = nt;
		lx->cap = cap;
	}
	lx->toks[lx->n++] = *t;
	return MC_OK;
}

/* put_utf8 - append code point cp; false if it is not a scalar value. */
static bool
put_utf8(char *out, size_t *o, unsigned long cp)
{
	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return false;
	if (cp < 0x80) {
		out[(*o)++] = (char) cp;
	} else if (cp < 0x800) {
		out[(*o)++] = (char) (0xC0 | (cp >> 6));
		out[(*o)++] = (char) (0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		out[(*o)++] = (char) (0xE0 | (cp >> 12));
		out[(*o)++] = (char) (0x80 | ((cp >> 6) & 0x3F));
		out[(*o)++] = (char) (0x80 | (cp & 0x3F));
	} else {
		out[(*o)++] = (char) (0xF0 | (cp >> 18));
		out[(*o)++] = (char) (0x80 | ((cp >> 12) & 0x3F));
		out[(*o)++] = (char) (0x80 | ((cp >> 6) & 0x3F));
		out[(*o)++] = (char) (0x80 | (cp & 0x3F));
	}
	return true;
}

static int
hexval(int ch)
{
	if (is_digit(ch))
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* escape - decode the escape at s[*i] (just after the backslash) into
 * out; Python keeps unknown escapes ("\d") as they are. */
static mc_err
escape(lexer *lx, const char *s, size_t end, size_t *i, char *out, size_t *o)
{
	static const char simple_in[] = "\\'\"abfnrtv";
	static const char simple_out[] = "\\'\"\a\b\f\n\r\t\v";
	size_t            at = *i - 1; /* the backslash */
	int               ch = (unsigned char) s[*i];
	const char       *hit = strchr(simple_in, ch);
	int               digits = ch == 'x' ? 2 : ch == 'u' ? 4 : 8;
	unsigned long     cp = 0;

	if (ch != 0 && hit != NULL) {
		out[(*o)++] = simple_out[hit - simple_in];
		(*i)++;
		return MC_OK;
	}
	if (ch == '\n') { /* line continuation */
		(*i)++;
		return MC_OK;
	}
	if (ch >= '0' && ch <= '7') {
		for (int k = 0;
		     k < 3 && *i < end && s[*i] >= '0' && s[*i] <= '7'; k++)
			cp = cp * 8 + (unsigned long) (s[(*i)++] - '0');
		put_utf8(out, o, cp);
		return MC_OK;
	}
	if (ch == 'N')
		return rule_syntax_error(
		    lx->d, lx->text, at, "\\N{...} escapes are not supported");
	if (ch != 'x' && ch != 'u' && ch != 'U') {
		out[(*o)++] = '\\';
		return MC_OK;
	}
	(*i)++;
	for (int k = 0; k < digits; k++, (*i)++) {
		int h = *i < end ? hexval((unsigned char) s[*i]) : -1;
		if (h < 0)
			return rule_syntax_error(
			    lx->d, lx->text, at, "truncated \\%c escape", ch);
		cp = cp * 16 + (unsigned long) h;
	}
	if (!put_utf8(out, o, cp))
		return rule_syntax_error(
		    lx->d, lx->text, at, "invalid \\%c escape", ch);
	return MC_OK;
}

/* lex_string - a quoted literal at lx->pos (after any prefix, which
 * starts at start). Handles '...', "...", '''...''' and """...""". */
static mc_err
lex_string(lexer *lx, size_t start, bool raw, bool fstr)
{
	const char *s = lx->text;
	char        q = s[lx->pos];
	bool        triple = peek(lx, 1) == q && peek(lx, 2) == q;
	size_t      i = lx->pos + (triple ? 3 : 1), body = i, end;
	char       *out;
	size_t      o = 0;
	mc_err      rv;

	for (;; i++) {
		if (i >= lx->len || (!triple && s[i] == '\n'))
			return rule_syntax_error(
			    lx->d, lx->text, start, "unterminated string");
		if (s[i] == '\\') {
			i++;
			if (i >= lx->len)
				return rule_syntax_error(lx->d, lx->text,
				    start, "unterminated string");
			continue;
		}
		if (s[i] == q &&
		    (!triple ||
		        (i + 2 < lx->len && s[i + 1] == q && s[i + 2] == q)))
			break;
	}
	end = i;
	for (i = body; fstr && i < end; i++) {
		if ((s[i] == '{' || s[i] == '}') && i + 1 < end &&
		    s[i + 1] == s[i]) {
			i++;
			continue;
		}
		if (s[i] == '{')
			return rule_syntax_error(lx->d, lx->text, i,
			    "f-strings with replacement fields are refused, as "
			    "by mercure's safe mode (no FormattedValue); use "
			    "str() and +");
		if (s[i] == '}')
			return rule_syntax_error(lx->d, lx->text, i,
			    "f-string: single '}' is not allowed");
	}
	if ((out = rule_arena_alloc(lx->arena, end - body + 1)) == NULL)
		return MC_ENOMEM;
	for (i = body; i < end;) {
		if (fstr && (s[i] == '{' || s[i] == '}')) {
			out[o++] = s[i];
			i += 2; /* {{ or }} */
			continue;
		}
		if (s[i] != '\\' || raw) {
			out[o++] = s[i++];
			if (raw && s[i - 1] == '\\' && i < end)
				out[o++] = s[i++];
			continue;
		}
		i++;
		if ((rv = escape(lx, s, end, &i, out, &o)) != MC_OK)
			return rv;
	}
	out[o] = '\0';
	lx->pos = end + (triple ? 3 : 1);
	return push(lx, &(rule_token){.kind = TK_STR,
	                    .off = start,
	                    .len = lx->pos - start,
	                    .s = out,
	                    .slen = o});
}

/* lex_number - decimal int or float literal, Python syntax (with '_'
 * between digits); 0x, 0o and 0b integers. */
static mc_err
lex_number(lexer *lx)
{
	const char *s = lx->text;
	size_t      start = lx->pos, i = start, o = 0;
	char        buf[RULE_NUMBER_MAX_LEN];
	bool        isfloat = false;
	int         base = 10;
	char       *endp;
	rule_token  t = {.kind = TK_INT, .off = start};

	if (s[i] == '0' && i + 1 < lx->len && strchr("xXoObB", s[i + 1]) &&
	    s[i + 1] != '\0') {
		int c = s[i + 1] | 0x20;
		base = c == 'x' ? 16 : c == 'o' ? 8 : 2;
		i += 2;
	}
	for (; i < lx->len && o + 2 < sizeof(buf); i++) {
		char ch = s[i];
		if (ch == '_' && i + 1 < lx->len && i > start &&
		    hexval((unsigned char) s[i + 1]) >= 0 && s[i - 1] != '_')
			continue;
		if (base == 10 && (ch == '.' || ch == 'e' || ch == 'E')) {
			isfloat = true;
			buf[o++] = ch;
			if ((ch == 'e' || ch == 'E') && i + 1 < lx->len &&
			    (s[i + 1] == '+' || s[i + 1] == '-'))
				buf[o++] = s[++i];
			continue;
		}
		if (hexval((unsigned char) ch) < 0 ||
		    (base == 10 && !is_digit(ch)))
			break;
		buf[o++] = ch;
	}
	buf[o] = '\0';
	lx->pos = i;
	t.len = i - start;
	if (i < lx->len &&
	    (is_name_start(s[i]) || is_digit(s[i]) || s[i] == '.'))
		goto bad;
	errno = 0;
	if (isfloat) {
		t.kind = TK_FLOAT;
		t.f = strtod(buf, &endp);
	} else {
		t.i = (int64_t) strtoll(buf, &endp, base);
		if (base == 10 && buf[0] == '0' && strspn(buf, "0") != o)
			goto bad; /* Python: no leading zeros */
	}
	if (o == 0 || *endp != '\0' || (errno == ERANGE && !isfloat))
		goto bad;
	return push(lx, &t);
bad:
	return rule_syntax_error(lx->d, lx->text, start, "invalid number");
}

static mc_err
lex_tagref(lexer *lx)
{
	size_t      start = lx->pos;
	const char *close =
	    memchr(lx->text + start + 1, '@', lx->len - start - 1);
	size_t n;
	char  *name;

	if (close == NULL)
		return rule_syntax_error(
		    lx->d, lx->text, start, "unterminated '@' tag");
	n = (size_t) (close - lx->text) - start - 1;
	if (n == 0 || memchr(lx->text + start + 1, '\0', n) != NULL)
		return rule_syntax_error(
		    lx->d, lx->text, start, "invalid '@' tag");
	if ((name = rule_arena_alloc(lx->arena, n + 1)) == NULL)
		return MC_ENOMEM;
	memcpy(name, lx->text + start + 1, n);
	lx->pos = start + n + 2;
	return push(lx, &(rule_token){.kind = TK_TAGREF,
	                    .off = start,
	                    .len = n + 2,
	                    .s = name,
	                    .slen = n});
}

/* keyword - the operator keywords; other names stay TK_NAME. */
static rule_tok_kind
keyword(const char *p, size_t n)
{
	if (n == 3 && memcmp(p, "and", 3) == 0)
		return TK_AND;
	if (n == 2 && memcmp(p, "or", 2) == 0)
		return TK_OR;
	if (n == 3 && memcmp(p, "not", 3) == 0)
		return TK_NOT;
	if (n == 2 && memcmp(p, "in", 2) == 0)
		return TK_IN;
	return TK_NAME;
}

/* lex_name - a name, or a string prefix (r, u, b, f) before a quote. */
static mc_err
lex_name(lexer *lx)
{
	size_t start = lx->pos, n;
	int    q;

	while (lx->pos < lx->len &&
	       (is_name_start(peek(lx, 0)) || is_digit(peek(lx, 0))))
		lx->pos++;
	n = lx->pos - start;
	q = peek(lx, 0);
	if ((q == '\'' || q == '"') && n <= 2) {
		char p0 = (char) (lx->text[start] | 0x20);
		char p1 = n == 2 ? (char) (lx->text[start + 1] | 0x20) : 0;
		if (n == 1 && (p0 == 'r' || p0 == 'u'))
			return lex_string(lx, start, p0 == 'r', false);
		if (p0 == 'b' || p1 == 'b')
			return rule_syntax_error(lx->d, lx->text, start,
			    "bytes literals are not supported");
		if ((p0 == 'f' && (n == 1 || p1 == 'r')) ||
		    (p0 == 'r' && p1 == 'f'))
			return lex_string(lx, start, n == 2, true);
	}
	return push(lx,
	    &(rule_token){
	        .kind = keyword(lx->text + start, n), .off = start, .len = n});
}

/* punct - one- and two-character operators; TK_EOF if none. */
static rule_tok_kind
punct(const lexer *lx, size_t *len)
{
	static const struct {
		const char   *s;
		rule_tok_kind k;
	} ops[] = {{"==", TK_EQ}, {"!=", TK_NE}, {"<=", TK_LE}, {">=", TK_GE},
	    {"//", TK_DSLASH}, {"**", TK_DSTAR}, {"<<", TK_LSHIFT},
	    {">>", TK_RSHIFT}, {"~", TK_TILDE}, {"<", TK_LT}, {">", TK_GT},
	    {"(", TK_LPAREN}, {")", TK_RPAREN}, {"[", TK_LBRACK},
	    {"]", TK_RBRACK}, {",", TK_COMMA}, {".", TK_DOT}, {":", TK_COLON},
	    {"+", TK_PLUS}, {"-", TK_MINUS}, {"*", TK_STAR}, {"/", TK_SLASH},
	    {"%", TK_PERCENT}, {"|", TK_PIPE}, {"&", TK_AMP}, {"^", TK_CARET},
	    {"{", TK_LBRACE}, {"}", TK_RBRACE}, {"=", TK_ASSIGN}};
	const char *p = lx->text + lx->pos;
	size_t      left = lx->len - lx->pos;

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t n = strlen(ops[i].s);
		if (n <= left && memcmp(p, ops[i].s, n) == 0) {
			*len = n;
			return ops[i].k;
		}
	}
	return TK_EOF;
}

static mc_err
bad_char(lexer *lx)
{
	const unsigned char *p = (const unsigned char *) lx->text + lx->pos;
	size_t               n = 1;

	if (p[0] >= 0xC0)
		while (n < 4 && lx->pos + n < lx->len && (p[n] & 0xC0) == 0x80)
			n++;
	if (p[0] < 0x20 || p[0] == 0x7F || (p[0] >= 0x80 && p[0] < 0xC0))
		return rule_syntax_error(lx->d, lx->text, lx->pos,
		    "unexpected character 0x%02x", p[0]);
	return rule_syntax_error(lx->d, lx->text, lx->pos,
	    "unexpected character '%.*s'", (int) n, (const char *) p);
}

/* c_operator - a friendlier error for C's operators in place of
 * Python's; MC_OK if there is none here. */
static mc_err
c_operator(lexer *lx)
{
	static const char *const ops[][2] = {
	    {"&&", "and"}, {"||", "or"}, {"!", "not"}};
	const char *p = lx->text + lx->pos;
	size_t      left = lx->len - lx->pos;

	for (size_t i = 0; i < sizeof(ops) / sizeof(*ops); i++) {
		size_t n = strlen(ops[i][0]);
		if (n <= left && memcmp(p, ops[i][0], n) == 0 &&
		    (n == 2 || left == 1 || p[1] != '='))
			return rule_syntax_error(lx->d, lx->text, lx->pos,
			    "unexpected '%s'; use '%s'", ops[i][0], ops[i][1]);
	}
	return MC_OK;
}

static mc_err
lex_one(lexer *lx)
{
	int    ch = peek(lx, 0);
	size_t n = 0;
	mc_err rv;

	if (ch == '\'' || ch == '"')
		return lex_string(lx, lx->pos, false, false);
	if (is_digit(ch) || (ch == '.' && is_digit(peek(lx, 1))))
		return lex_number(lx);
	if (is_name_start(ch))
		return lex_name(lx);
	if (ch == '@')
		return lex_tagref(lx);
	if ((rv = c_operator(lx)) != MC_OK)
		return rv;
	rule_tok_kind k = punct(lx, &n);
	if (k == TK_EOF)
		return bad_char(lx);
	lx->pos += n;
	return push(
	    lx, &(rule_token){.kind = k, .off = lx->pos - n, .len = n});
}

mc_err
rule_lex(const char *text, size_t len, rule_arena *a, rule_token **out,
    size_t *n, mc_diag *d)
{
	lexer  lx = {.text = text, .len = len, .arena = a, .d = d};
	mc_err rv = MC_OK;

	*out = NULL;
	*n = 0;
	while (rv == MC_OK) {
		while (lx.pos < len && strchr(" \t\r\n\f\v", text[lx.pos]) &&
		       text[lx.pos] != '\0')
			lx.pos++;
		if (lx.pos == len)
			break;
		if (text[lx.pos] == '\\' && peek(&lx, 1) == '\n') {
			lx.pos += 2; /* explicit line joining */
			continue;
		}
		rv = lex_one(&lx);
	}
	if (rv == MC_OK)
		rv = push(&lx, &(rule_token){.kind = TK_EOF, .off = len});
	if (rv != MC_OK) {
		free(lx.toks);
		return rv;
	}
	*out = lx.toks;
	*n = lx.n;
	return MC_OK;
}
