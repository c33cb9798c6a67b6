/* rule_parse.c - recursive-descent parser from tokens to the AST, with
 * Python's precedence (or < and < not < comparisons < | < ^ < & < + - <
 * * / // % < unary < calls, attributes, subscripts). Every name is
 * resolved here (tags, True/False/None, the known functions and string
 * methods), so that a typo is a compile error, never a runtime one.
 *
 * Design notes: the tree's depth is capped at RULE_DEPTH_MAX while it is
 * built, which bounds the recursion of both this parser and the
 * evaluator. Bare 'tags' is an N_TAGS node that only "x in tags" and
 * len(tags) consume; rule_compile.c reports any other use. */
#include "rule_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct parser {
	const char       *text;
	const rule_token *t;   /* tokens, TK_EOF last */
	size_t            pos; /* current token */
	rule             *r;
	mc_diag          *d;
	mc_err            rv; /* first error wins */
	size_t            nesting;
	bool              series; /* study_trigger_series mode */
} parser;

#define RULE_CHAIN_MAX 32 /* operands of one chained comparison */

static rule_node *parse_expr(parser *p);

static const rule_token *
cur(const parser *p)
{
	return &p->t[p->pos];
}

static bool
accept(parser *p, rule_tok_kind k)
{
	if (cur(p)->kind != k)
		return false;
	p->pos++;
	return true;
}

static rule_node *fail(parser *p, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static rule_node *
fail(parser *p, size_t off, const char *fmt, ...)
{
	char    msg[sizeof(((mc_diag *)NULL)->msg)];
	va_list ap;

	if (p->rv != MC_OK)
		return NULL; /* the first error wins */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->rv = rule_syntax_error(p->d, p->text, off, "%s", msg);
	return NULL;
}

static rule_node *
unexpected(parser *p)
{
	const rule_token *t = cur(p);

	if (t->kind == TK_EOF)
		return fail(p, t->off, "unexpected end of expression");
	return fail(p, t->off, "unexpected '%.*s'", (int)t->len,
	            p->text + t->off);
}

static rule_node *
oom(parser *p)
{
	p->rv = MC_ENOMEM;
	return NULL;
}

/* node - a new node with room for nkids children. */
static rule_node *
node(parser *p, rule_node_kind kind, size_t nkids)
{
	rule_node *n = rule_arena_alloc(&p->r->arena, sizeof(*n));

	if (n == NULL)
		return oom(p);
	n->kind = kind;
	n->nkids = nkids;
	n->depth = 1;
	if (nkids > 0 && (n->kids = rule_arena_alloc(
	                      &p->r->arena, nkids * sizeof(*n->kids))) == NULL)
		return oom(p);
	return n;
}

/* seal - compute the depth once the children are in place. */
static rule_node *
seal(parser *p, rule_node *n, size_t off)
{
	if (n == NULL)
		return NULL;
	for (size_t i = 0; i < n->nkids; i++)
		if (n->kids[i] != NULL && n->kids[i]->depth + 1 > n->depth)
			n->depth = n->kids[i]->depth + 1;
	if (n->depth > RULE_DEPTH_MAX)
		return fail(p, off, "expression is too deeply nested");
	return n;
}

static rule_node *
unary(parser *p, rule_node_kind kind, rule_node *kid, size_t off)
{
	rule_node *n;

	if (kid == NULL || (n = node(p, kind, 1)) == NULL)
		return NULL;
	n->kids[0] = kid;
	return seal(p, n, off);
}

static rule_node *
binary(parser *p, rule_node_kind kind, unsigned op, rule_node *a, rule_node *b,
       size_t off)
{
	rule_node *n;

	if (a == NULL || b == NULL || (n = node(p, kind, 2)) == NULL)
		return NULL;
	n->op = op;
	n->kids[0] = a;
	n->kids[1] = b;
	return seal(p, n, off);
}

/* tag_node - tags.X (fold) or tags["X"] / @X@ (exact). */
static rule_node *
tag_node(parser *p, const char *name, size_t n, bool fold, size_t off)
{
	static const char prefix[] = "missing tag ";
	rule_node        *t = node(p, N_TAG, 0);
	char             *key, *why;

	if (t == NULL)
		return NULL;
	if (n == 0 || memchr(name, '\0', n) != NULL)
		return fail(p, off, "invalid tag name");
	key = rule_arena_alloc(&p->r->arena, n + 1);
	why = rule_arena_alloc(&p->r->arena, sizeof(prefix) + n);
	t->hint = rule_arena_alloc(&p->r->arena, sizeof(*t->hint));
	if (key == NULL || why == NULL || t->hint == NULL)
		return oom(p);
	atomic_init(t->hint, 0);
	memcpy(key, name, n);
	memcpy(why, prefix, sizeof(prefix) - 1);
	memcpy(why + sizeof(prefix) - 1, name, n);
	t->key = key;
	t->why = why;
	t->fold = fold;
	if (rule_note_tag(p->r, key) != MC_OK)
		return oom(p);
	return t;
}

static rule_node *
const_node(parser *p, rule_value v, size_t off)
{
	rule_node *n = node(p, N_CONST, 0);

	if (n != NULL) {
		n->v = v;
		n->off = off;
	}
	return n;
}

/* string_atom - one or more adjacent literals, joined as Python does. */
static rule_node *
string_atom(parser *p)
{
	size_t first = p->pos, total = 0, o = 0, off = cur(p)->off;
	char  *s;

	while (cur(p)->kind == TK_STR)
		total += p->t[p->pos++].slen;
	if (p->pos - first == 1)
		return const_node(
		    p, (rule_value){.t = V_STR, .u.s = {p->t[first].s, total}},
		    off);
	if ((s = rule_arena_alloc(&p->r->arena, total + 1)) == NULL)
		return oom(p);
	for (size_t i = first; i < p->pos; i++) {
		memcpy(s + o, p->t[i].s, p->t[i].slen);
		o += p->t[i].slen;
	}
	return const_node(p, (rule_value){.t = V_STR, .u.s = {s, total}}, off);
}

/* push - append x to a growing array in the arena (the old copy is
 * left behind: rules are small and compiled once). */
static bool
push(parser *p, rule_node ***v, size_t *n, size_t *cap, rule_node *x)
{
	if (*n == *cap) {
		size_t      ncap = *cap ? *cap * 2 : 8;
		rule_node **nv =
		    rule_arena_alloc(&p->r->arena, ncap * sizeof(*nv));
		if (nv == NULL) {
			oom(p);
			return false;
		}
		if (*n > 0)
			memcpy(nv, *v, *n * sizeof(*nv));
		*v = nv;
		*cap = ncap;
	}
	(*v)[(*n)++] = x;
	return true;
}

/* sequence - items up to the closing token, into a N_LIST whose first
 * skip kids are left for the caller (a method's receiver). */
static rule_node *
sequence(parser *p, rule_tok_kind close, size_t open_off, size_t skip,
         rule_node *first, size_t *count)
{
	rule_node **items = NULL;
	size_t      n = 0, cap = 0;
	rule_node  *out;

	if (first != NULL && !push(p, &items, &n, &cap, first))
		return NULL;
	while (!accept(p, close)) {
		if (n > 0 && !accept(p, TK_COMMA)) {
			if (cur(p)->kind == TK_EOF)
				return fail(p, open_off,
				            "'%c' was never closed",
				            p->text[open_off]);
			return unexpected(p);
		}
		if (n > 0 && accept(p, close))
			break;
		rule_node *e = parse_expr(p);
		if (e == NULL || !push(p, &items, &n, &cap, e))
			return NULL;
	}
	if ((out = node(p, N_LIST, skip + n)) == NULL)
		return NULL;
	if (n > 0)
		memcpy(out->kids + skip, items, n * sizeof(*items));
	*count = n;
	return out;
}

static rule_node *
paren_atom(parser *p)
{
	size_t     open = cur(p)->off, n;
	rule_node *e;

	p->pos++;
	if (!p->series && accept(p, TK_RPAREN))
		return node(p, N_LIST, 0); /* () */
	if ((e = parse_expr(p)) == NULL)
		return NULL;
	if (accept(p, TK_RPAREN))
		return e;
	if (!p->series && cur(p)->kind == TK_COMMA) /* a tuple */
		return seal(p, sequence(p, TK_RPAREN, open, 0, e, &n), open);
	if (cur(p)->kind == TK_EOF)
		return fail(p, open, "'(' was never closed");
	return unexpected(p);
}

static rule_node *
call(parser *p, const rule_token *name)
{
	const rule_callable *fn =
	    rule_find_function(p->text + name->off, name->len);
	size_t     n;
	rule_node *c;

	if (fn == NULL)
		return fail(p, name->off, "unknown function '%.*s'",
		            (int)name->len, p->text + name->off);
	c = sequence(p, TK_RPAREN, p->t[p->pos - 1].off, 0, NULL, &n);
	if (c == NULL)
		return NULL;
	c->kind = N_CALL;
	c->op = fn->id;
	if (n < fn->min_args || n > fn->max_args)
		return fail(p, name->off,
		            "wrong number of arguments to "
		            "'%.*s'",
		            (int)name->len, p->text + name->off);
	if (fn->id == FN_LEN && c->kids[0]->kind == N_TAGS) {
		c->op = FN_LEN_TAGS;
		c->nkids = 0;
	}
	return seal(p, c, name->off);
}

static rule_node *
name_atom(parser *p)
{
	const rule_token *t = &p->t[p->pos++];
	const char       *s = p->text + t->off;
	size_t            n = t->len;

	if (n == 4 && memcmp(s, "True", 4) == 0)
		return const_node(p, (rule_value){.t = V_BOOL, .u.b = true},
		                  t->off);
	if (n == 5 && memcmp(s, "False", 5) == 0)
		return const_node(p, (rule_value){.t = V_BOOL}, t->off);
	if (n == 4 && memcmp(s, "None", 4) == 0)
		return const_node(p, (rule_value){.t = V_NONE}, t->off);
	if (n == 4 && memcmp(s, "tags", 4) == 0) {
		rule_node *tags = node(p, N_TAGS, 0);
		if (tags != NULL)
			tags->off = t->off;
		return tags;
	}
	if (accept(p, TK_LPAREN))
		return call(p, t);
	if (rule_find_function(s, n) != NULL)
		return fail(p, t->off, "function '%.*s' must be called",
		            (int)n, s);
	return fail(p, t->off, "unknown name '%.*s'", (int)n, s);
}

static rule_node *
parse_atom(parser *p)
{
	const rule_token *t = cur(p);
	size_t            n;

	switch (t->kind) {
	case TK_STR:
		return string_atom(p);
	case TK_INT:
		p->pos++;
		return const_node(p, (rule_value){.t = V_INT, .u.i = t->i},
		                  t->off);
	case TK_FLOAT:
		p->pos++;
		return const_node(p, (rule_value){.t = V_FLOAT, .u.f = t->f},
		                  t->off);
	case TK_TAGREF:
		p->pos++;
		return tag_node(p, t->s, t->slen, false, t->off);
	case TK_NAME:
		return name_atom(p);
	case TK_LPAREN:
		return paren_atom(p);
	case TK_LBRACK:
		p->pos++;
		return seal(p, sequence(p, TK_RBRACK, t->off, 0, NULL, &n),
		            t->off);
	default:
		return unexpected(p);
	}
}

/* attribute - after '.': tags.X, or a string method call. */
static rule_node *
attribute(parser *p, rule_node *obj)
{
	const rule_token    *t = cur(p);
	const char          *s = p->text + t->off;
	const rule_callable *m;
	rule_node           *c;
	size_t               n;

	if (!accept(p, TK_NAME))
		return unexpected(p);
	if (obj->kind == N_TAGS && cur(p)->kind != TK_LPAREN)
		return tag_node(p, s, t->len, true, t->off);
	if (!accept(p, TK_LPAREN)) {
		if (rule_find_method(s, t->len) != NULL)
			return fail(p, t->off, "method '%.*s' must be called",
			            (int)t->len, s);
		return fail(p, t->off, "unknown attribute '%.*s'", (int)t->len,
		            s);
	}
	if ((m = rule_find_method(s, t->len)) == NULL || obj->kind == N_TAGS)
		return fail(p, t->off, "unknown function '%.*s'", (int)t->len,
		            s);
	if ((c = sequence(p, TK_RPAREN, p->t[p->pos - 1].off, 1, NULL, &n)) ==
	    NULL)
		return NULL;
	c->kind = N_METHOD;
	c->op = m->id;
	c->kids[0] = obj;
	if (n < m->min_args || n > m->max_args)
		return fail(p, t->off, "wrong number of arguments to '%.*s'",
		            (int)t->len, s);
	return seal(p, c, t->off);
}

/* subscript - after '[': tags["X"], x[i] or x[lo:hi]. */
static rule_node *
subscript(parser *p, rule_node *obj, size_t open)
{
	rule_node *idx = NULL, *hi = NULL, *n;
	bool       slice = false;
	size_t     at = cur(p)->off;

	if (cur(p)->kind != TK_COLON && (idx = parse_expr(p)) == NULL)
		return NULL;
	if (accept(p, TK_COLON)) {
		slice = true;
		if (cur(p)->kind != TK_RBRACK && (hi = parse_expr(p)) == NULL)
			return NULL;
	}
	if (!accept(p, TK_RBRACK))
		return cur(p)->kind == TK_EOF
		           ? fail(p, open, "'[' was never closed")
		           : unexpected(p);
	if (obj->kind == N_TAGS) {
		if (slice || idx->kind != N_CONST || idx->v.t != V_STR)
			return fail(p, at,
			            "tags[...] needs a quoted "
			            "tag name");
		return tag_node(p, idx->v.u.s.p, idx->v.u.s.n, false, open);
	}
	if (!slice)
		return binary(p, N_INDEX, 0, obj, idx, open);
	if ((n = node(p, N_SLICE, 3)) == NULL)
		return NULL;
	n->kids[0] = obj;
	n->kids[1] = idx;
	n->kids[2] = hi;
	return seal(p, n, open);
}

static rule_node *
parse_postfix(parser *p)
{
	rule_node *n = parse_atom(p);

	while (n != NULL) {
		size_t off = cur(p)->off;
		if (accept(p, TK_DOT))
			n = attribute(p, n);
		else if (accept(p, TK_LBRACK))
			n = subscript(p, n, off);
		else if (cur(p)->kind == TK_LPAREN)
			return fail(p, off,
			            "only functions and string "
			            "methods can be called");
		else
			break;
	}
	return n;
}

static rule_node *
parse_unary(parser *p)
{
	size_t     off = cur(p)->off;
	rule_node *n;

	if (accept(p, TK_MINUS) || accept(p, TK_PLUS)) {
		bool neg = p->t[p->pos - 1].kind == TK_MINUS;
		if (++p->nesting > RULE_NEST_MAX)
			return fail(p, off, "expression is too deeply nested");
		n = unary(p, neg ? N_NEG : N_POS, parse_unary(p), off);
		p->nesting--;
		return n;
	}
	return parse_postfix(p);
}

/* Binary operator levels, loosest first; each is left-associative. */
static const struct {
	rule_tok_kind tok;
	rule_op       op;
	int           level;
} bin_ops[] = {
    {TK_PIPE, OP_BITOR, 0},  {TK_CARET, OP_BITXOR, 1},
    {TK_AMP, OP_BITAND, 2},  {TK_PLUS, OP_ADD, 3},
    {TK_MINUS, OP_SUB, 3},   {TK_STAR, OP_MUL, 4},
    {TK_SLASH, OP_DIV, 4},   {TK_DSLASH, OP_FLOORDIV, 4},
    {TK_PERCENT, OP_MOD, 4},
};
#define BIN_LEVELS 5

static rule_node *
parse_binary(parser *p, int level)
{
	rule_node *n;

	if (level == BIN_LEVELS)
		return parse_unary(p);
	n = parse_binary(p, level + 1);
	for (size_t i = 0; n != NULL && i < sizeof(bin_ops) / sizeof(*bin_ops);
	     i++) {
		size_t off = cur(p)->off;
		if (bin_ops[i].level != level || !accept(p, bin_ops[i].tok))
			continue;
		n = binary(p, N_BIN, bin_ops[i].op, n,
		           parse_binary(p, level + 1), off);
		i = (size_t)-1; /* rescan this level's operators */
	}
	return n;
}

static bool
compare_op(parser *p, uint8_t *op)
{
	static const rule_tok_kind toks[] = {TK_EQ, TK_NE, TK_LT, TK_LE,
	                                     TK_GT, TK_GE, TK_IN};
	static const rule_op       ops[] = {OP_EQ, OP_NE, OP_LT, OP_LE,
	                                    OP_GT, OP_GE, OP_IN};

	if (cur(p)->kind == TK_NOT && p->t[p->pos + 1].kind == TK_IN) {
		p->pos += 2;
		*op = OP_NOTIN;
		return true;
	}
	for (size_t i = 0; i < sizeof(toks) / sizeof(*toks); i++)
		if (accept(p, toks[i])) {
			*op = (uint8_t)ops[i];
			return true;
		}
	return false;
}

/* in_tags - "x in tags" / "x not in tags" become N_IN_TAGS. */
static rule_node *
in_tags(parser *p, rule_node *x, uint8_t op, size_t off)
{
	rule_node *n = unary(p, N_IN_TAGS, x, off);

	if (n != NULL && x->kind == N_CONST && x->v.t == V_STR &&
	    memchr(x->v.u.s.p, '\0', x->v.u.s.n) == NULL &&
	    rule_note_tag(p->r, x->v.u.s.p) != MC_OK)
		return oom(p);
	return op == OP_NOTIN ? unary(p, N_NOT, n, off) : n;
}

static rule_node *
parse_comparison(parser *p)
{
	rule_node *items[RULE_CHAIN_MAX];
	uint8_t    ops[RULE_CHAIN_MAX];
	size_t     n = 1, off = cur(p)->off;
	rule_node *c;

	if ((items[0] = parse_binary(p, 0)) == NULL)
		return NULL;
	while (compare_op(p, &ops[n - 1])) {
		if (n == RULE_CHAIN_MAX)
			return fail(p, p->t[p->pos - 1].off,
			            "too many chained comparisons");
		if ((items[n++] = parse_binary(p, 0)) == NULL)
			return NULL;
	}
	if (cur(p)->kind == TK_NAME && cur(p)->len == 2 &&
	    memcmp(p->text + cur(p)->off, "is", 2) == 0)
		return fail(p, cur(p)->off,
		            "'is' is not supported; use == "
		            "or !=");
	if (n == 1)
		return items[0];
	if (n == 2 && items[1]->kind == N_TAGS && ops[0] >= OP_IN)
		return in_tags(p, items[0], ops[0], off);
	if ((c = node(p, N_CMP, n)) == NULL ||
	    (c->ops = rule_arena_alloc(&p->r->arena, n - 1)) == NULL)
		return oom(p);
	memcpy(c->kids, items, n * sizeof(*items));
	memcpy(c->ops, ops, n - 1);
	return seal(p, c, off);
}

/* series_atom - study_trigger_series: a quoted description (matched
 * case-insensitively as a substring, as mercure does) or parentheses. */
static rule_node *
series_atom(parser *p)
{
	const rule_token *t = cur(p);
	rule_node        *n;
	char             *low;

	if (t->kind == TK_LPAREN)
		return paren_atom(p);
	if (t->kind != TK_STR) {
		if (t->kind == TK_EOF || t->kind == TK_RPAREN)
			return unexpected(p);
		return fail(p, t->off,
		            "expected a quoted series description, "
		            "got '%.*s'",
		            (int)t->len, p->text + t->off);
	}
	p->pos++;
	if ((n = node(p, N_SERIES, 0)) == NULL ||
	    (low = rule_arena_alloc(&p->r->arena, t->slen + 1)) == NULL)
		return oom(p);
	for (size_t i = 0; i < t->slen; i++)
		low[i] = (t->s[i] >= 'A' && t->s[i] <= 'Z')
		             ? (char)(t->s[i] + ('a' - 'A'))
		             : t->s[i];
	n->v = (rule_value){.t = V_STR, .u.s = {low, t->slen}};
	return n;
}

static rule_node *
parse_not(parser *p)
{
	size_t     off = cur(p)->off;
	rule_node *n;

	if (!accept(p, TK_NOT))
		return p->series ? series_atom(p) : parse_comparison(p);
	if (++p->nesting > RULE_NEST_MAX)
		return fail(p, off, "expression is too deeply nested");
	n = unary(p, N_NOT, parse_not(p), off);
	p->nesting--;
	return n;
}

/* parse_logic - "a and b and c" / "a or b" as one n-ary node. */
static rule_node *
parse_logic(parser *p, rule_tok_kind tok)
{
	rule_node **items = NULL;
	size_t      n = 0, cap = 0, off = cur(p)->off;
	rule_node  *c;

	do {
		c = tok == TK_OR ? parse_logic(p, TK_AND) : parse_not(p);
		if (c == NULL || !push(p, &items, &n, &cap, c))
			return NULL;
	} while (accept(p, tok));
	if (n == 1)
		return items[0];
	if ((c = node(p, tok == TK_OR ? N_OR : N_AND, n)) == NULL)
		return NULL;
	memcpy(c->kids, items, n * sizeof(*items));
	return seal(p, c, off);
}

static rule_node *
parse_expr(parser *p)
{
	rule_node *n;

	if (++p->nesting > RULE_NEST_MAX)
		return fail(p, cur(p)->off, "expression is too deeply nested");
	n = parse_logic(p, TK_OR);
	p->nesting--;
	return n;
}

rule_node *
rule_parse(const char *text, const rule_token *toks, rule *r, bool series,
           mc_diag *d, mc_err *rv)
{
	parser p = {.text = text, .t = toks, .r = r, .d = d, .series = series};
	rule_node *root = parse_expr(&p);

	if (root != NULL && cur(&p)->kind != TK_EOF)
		unexpected(&p);
	*rv = p.rv;
	return p.rv == MC_OK ? root : NULL;
}
