/* rule_parse.c - recursive-descent parser from tokens to the AST: the
 * operator levels, with Python's precedence (or < and < not < comparisons
 * < | < ^ < & < + - < * / // % < unary), and the helpers that
 * rule_atom.c shares for the tightest level (literals, names, calls,
 * attributes, subscripts). Every name is resolved at parse time, so that
 * a typo is a compile error, never a runtime one.
 *
 * Design notes: the tree's depth is capped at RULE_DEPTH_MAX while it is
 * built, which bounds the recursion of both this parser and the
 * evaluator. Bare 'tags' is an N_TAGS node that only "x in tags" and
 * len(tags) consume; rule_compile.c reports any other use. */
#include "rule/rule_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RULE_CHAIN_MAX 32 /* operands of one chained comparison */

const rule_token *
rule_p_cur(const rule_parser *p)
{
	return &p->t[p->pos];
}

bool
rule_p_accept(rule_parser *p, rule_tok_kind k)
{
	if (rule_p_cur(p)->kind != k)
		return false;
	p->pos++;
	return true;
}

rule_node *rule_p_fail(rule_parser *p, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

rule_node *
rule_p_fail(rule_parser *p, size_t off, const char *fmt, ...)
{
	char    msg[sizeof(((mc_diag *) NULL)->msg)];
	va_list ap;

	if (p->rv != MC_OK)
		return NULL; /* the first error wins */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->rv = rule_syntax_error(p->d, p->text, off, "%s", msg);
	return NULL;
}

/* refused - the message for a Python construct that mercure's asteval
 * (safe mode, minimal=True) does not run either, or NULL. */
const char *
rule_p_refused(const char *name, size_t n)
{
	static const char *const refused[][2] = {
	    {"if", "conditional expressions (a if c else b) are not "
	           "supported, as in mercure's safe mode; use "
	           "(c and a) or b"},
	    {"else", "conditional expressions (a if c else b) are not "
	             "supported, as in mercure's safe mode; use "
	             "(c and a) or b"},
	    {"for", "comprehensions are not supported, as in mercure's "
	            "safe mode"},
	    {"lambda", "lambda is not supported, as in mercure's safe "
	               "mode"},
	    {"format", "str.format is refused, as by mercure's asteval; "
	               "use +"},
	    {"format_map", "str.format_map is refused, as by mercure's "
	                   "asteval; use +"},
	};

	for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++)
		if (strlen(refused[i][0]) == n &&
		    memcmp(refused[i][0], name, n) == 0)
			return refused[i][1];
	if (n >= 2 && name[0] == '_' && name[1] == '_')
		return "names beginning with '__' are refused, as by "
		       "mercure's asteval";
	return NULL;
}

rule_node *
rule_p_unexpected(rule_parser *p)
{
	const rule_token *t = rule_p_cur(p);
	const char       *why;

	if (t->kind == TK_EOF)
		return rule_p_fail(p, t->off, "unexpected end of expression");
	if (t->kind == TK_NAME &&
	    (why = rule_p_refused(p->text + t->off, t->len)) != NULL)
		return rule_p_fail(p, t->off, "%s", why);
	if (t->kind == TK_ASSIGN)
		return rule_p_fail(p, t->off, "unexpected '='; use '=='");
	return rule_p_fail(
	    p, t->off, "unexpected '%.*s'", (int) t->len, p->text + t->off);
}

rule_node *
rule_p_oom(rule_parser *p)
{
	p->rv = MC_ENOMEM;
	return NULL;
}

/* node - a new node with room for nkids children. */
rule_node *
rule_p_node(rule_parser *p, rule_node_kind kind, size_t nkids)
{
	rule_node *n = rule_arena_alloc(&p->r->arena, sizeof(*n));

	if (n == NULL)
		return rule_p_oom(p);
	n->kind = kind;
	n->nkids = nkids;
	n->depth = 1;
	if (nkids > 0 && (n->kids = rule_arena_alloc(
	                      &p->r->arena, nkids * sizeof(*n->kids))) == NULL)
		return rule_p_oom(p);
	return n;
}

/* seal - compute the depth once the children are in place. */
rule_node *
rule_p_seal(rule_parser *p, rule_node *n, size_t off)
{
	if (n == NULL)
		return NULL;
	for (size_t i = 0; i < n->nkids; i++)
		if (n->kids[i] != NULL && n->kids[i]->depth + 1 > n->depth)
			n->depth = n->kids[i]->depth + 1;
	if (n->depth > RULE_DEPTH_MAX)
		return rule_p_fail(p, off, "expression is too deeply nested");
	return n;
}

static rule_node *
unary(rule_parser *p, rule_node_kind kind, rule_node *kid, size_t off)
{
	rule_node *n;

	if (kid == NULL || (n = rule_p_node(p, kind, 1)) == NULL)
		return NULL;
	n->kids[0] = kid;
	return rule_p_seal(p, n, off);
}

rule_node *
rule_p_binary(rule_parser *p, rule_node_kind kind, unsigned op, rule_node *a,
    rule_node *b, size_t off)
{
	rule_node *n;

	if (a == NULL || b == NULL || (n = rule_p_node(p, kind, 2)) == NULL)
		return NULL;
	n->op = op;
	n->kids[0] = a;
	n->kids[1] = b;
	return rule_p_seal(p, n, off);
}

/* push - append x to a growing array in the arena (the old copy is
 * left behind: rules are small and compiled once). */
bool
rule_p_push(
    rule_parser *p, rule_node ***v, size_t *n, size_t *cap, rule_node *x)
{
	if (*n == *cap) {
		size_t      ncap = *cap ? *cap * 2 : 8;
		rule_node **nv =
		    rule_arena_alloc(&p->r->arena, ncap * sizeof(*nv));
		if (nv == NULL) {
			rule_p_oom(p);
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

static rule_node *parse_unary(rule_parser *p);

/* parse_power - x ** y binds tighter than a unary minus on its left and
 * looser on its right, and groups to the right: -2**2 is -4, 2**-1 is
 * 0.5, 2**3**2 is 512, as in Python. */
static rule_node *
parse_power(rule_parser *p)
{
	rule_node *n = rule_parse_postfix(p);
	size_t     off = rule_p_cur(p)->off;

	if (n == NULL || !rule_p_accept(p, TK_DSTAR))
		return n;
	if (++p->nesting > RULE_NEST_MAX)
		return rule_p_fail(p, off, "expression is too deeply nested");
	n = rule_p_binary(p, N_BIN, OP_POW, n, parse_unary(p), off);
	p->nesting--;
	return n;
}

static rule_node *
parse_unary(rule_parser *p)
{
	size_t     off = rule_p_cur(p)->off;
	rule_node *n;

	if (rule_p_accept(p, TK_MINUS) || rule_p_accept(p, TK_PLUS) ||
	    rule_p_accept(p, TK_TILDE)) {
		rule_tok_kind k = p->t[p->pos - 1].kind;
		if (++p->nesting > RULE_NEST_MAX)
			return rule_p_fail(
			    p, off, "expression is too deeply nested");
		n = unary(p,
		    k == TK_MINUS  ? N_NEG
		    : k == TK_PLUS ? N_POS
		                   : N_INVERT,
		    parse_unary(p), off);
		p->nesting--;
		return n;
	}
	return parse_power(p);
}

/* Binary operator levels, loosest first; each is left-associative. */
static const struct {
	rule_tok_kind tok;
	rule_op       op;
	int           level;
} bin_ops[] = {
    {TK_PIPE, OP_BITOR, 0},
    {TK_CARET, OP_BITXOR, 1},
    {TK_AMP, OP_BITAND, 2},
    {TK_LSHIFT, OP_LSHIFT, 3},
    {TK_RSHIFT, OP_RSHIFT, 3},
    {TK_PLUS, OP_ADD, 4},
    {TK_MINUS, OP_SUB, 4},
    {TK_STAR, OP_MUL, 5},
    {TK_SLASH, OP_DIV, 5},
    {TK_DSLASH, OP_FLOORDIV, 5},
    {TK_PERCENT, OP_MOD, 5},
};
#define BIN_LEVELS 6

static rule_node *
parse_binary(rule_parser *p, int level)
{
	rule_node *n;

	if (level == BIN_LEVELS)
		return parse_unary(p);
	n = parse_binary(p, level + 1);
	for (size_t i = 0; n != NULL && i < sizeof(bin_ops) / sizeof(*bin_ops);
	     i++) {
		size_t off = rule_p_cur(p)->off;
		if (bin_ops[i].level != level ||
		    !rule_p_accept(p, bin_ops[i].tok))
			continue;
		n = rule_p_binary(p, N_BIN, bin_ops[i].op, n,
		    parse_binary(p, level + 1), off);
		i = (size_t) -1; /* rescan this level's operators */
	}
	return n;
}

static bool
compare_op(rule_parser *p, uint8_t *op)
{
	static const rule_tok_kind toks[] = {
	    TK_EQ, TK_NE, TK_LT, TK_LE, TK_GT, TK_GE, TK_IN};
	static const rule_op ops[] = {
	    OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN};

	const rule_token *t = rule_p_cur(p);

	if (t->kind == TK_NOT && p->t[p->pos + 1].kind == TK_IN) {
		p->pos += 2;
		*op = OP_NOTIN;
		return true;
	}
	if (t->kind == TK_NAME && t->len == 2 &&
	    memcmp(p->text + t->off, "is", 2) == 0) {
		p->pos++;
		*op = rule_p_accept(p, TK_NOT) ? OP_ISNOT : OP_IS;
		return true;
	}
	for (size_t i = 0; i < sizeof(toks) / sizeof(*toks); i++)
		if (rule_p_accept(p, toks[i])) {
			*op = (uint8_t) ops[i];
			return true;
		}
	return false;
}

/* in_tags - "x in tags" / "x not in tags" become N_IN_TAGS. */
static rule_node *
in_tags(rule_parser *p, rule_node *x, uint8_t op, size_t off)
{
	rule_node *n = unary(p, N_IN_TAGS, x, off);

	if (n != NULL && x->kind == N_CONST && x->v.t == V_STR &&
	    memchr(x->v.u.s.p, '\0', x->v.u.s.n) == NULL &&
	    rule_note_tag(p->r, x->v.u.s.p, false) != MC_OK)
		return rule_p_oom(p);
	return op == OP_NOTIN ? unary(p, N_NOT, n, off) : n;
}

static rule_node *
parse_comparison(rule_parser *p)
{
	rule_node *items[RULE_CHAIN_MAX];
	uint8_t    ops[RULE_CHAIN_MAX];
	size_t     n = 1, off = rule_p_cur(p)->off;
	rule_node *c;

	if ((items[0] = parse_binary(p, 0)) == NULL)
		return NULL;
	while (compare_op(p, &ops[n - 1])) {
		if (n == RULE_CHAIN_MAX)
			return rule_p_fail(p, p->t[p->pos - 1].off,
			    "too many chained comparisons");
		if ((items[n++] = parse_binary(p, 0)) == NULL)
			return NULL;
	}
	if (n == 1)
		return items[0];
	if (n == 2 && items[1]->kind == N_TAGS &&
	    (ops[0] == OP_IN || ops[0] == OP_NOTIN))
		return in_tags(p, items[0], ops[0], off);
	if ((c = rule_p_node(p, N_CMP, n)) == NULL ||
	    (c->ops = rule_arena_alloc(&p->r->arena, n - 1)) == NULL)
		return rule_p_oom(p);
	memcpy(c->kids, items, n * sizeof(*items));
	memcpy(c->ops, ops, n - 1);
	return rule_p_seal(p, c, off);
}

static rule_node *
parse_not(rule_parser *p)
{
	size_t     off = rule_p_cur(p)->off;
	rule_node *n;

	if (!rule_p_accept(p, TK_NOT))
		return p->series ? rule_parse_series_atom(p)
		                 : parse_comparison(p);
	if (++p->nesting > RULE_NEST_MAX)
		return rule_p_fail(p, off, "expression is too deeply nested");
	n = unary(p, N_NOT, parse_not(p), off);
	p->nesting--;
	return n;
}

/* parse_logic - "a and b and c" / "a or b" as one n-ary node. */
static rule_node *
parse_logic(rule_parser *p, rule_tok_kind tok)
{
	rule_node **items = NULL;
	size_t      n = 0, cap = 0, off = rule_p_cur(p)->off;
	rule_node  *c;

	do {
		c = tok == TK_OR ? parse_logic(p, TK_AND) : parse_not(p);
		if (c == NULL || !rule_p_push(p, &items, &n, &cap, c))
			return NULL;
	} while (rule_p_accept(p, tok));
	if (n == 1)
		return items[0];
	if ((c = rule_p_node(p, tok == TK_OR ? N_OR : N_AND, n)) == NULL)
		return NULL;
	memcpy(c->kids, items, n * sizeof(*items));
	return rule_p_seal(p, c, off);
}

rule_node *
rule_parse_expr(rule_parser *p)
{
	rule_node *n;

	if (++p->nesting > RULE_NEST_MAX)
		return rule_p_fail(
		    p, rule_p_cur(p)->off, "expression is too deeply nested");
	n = parse_logic(p, TK_OR);
	p->nesting--;
	return n;
}

rule_node *
rule_parse(const char *text, const rule_token *toks, rule *r, bool series,
    mc_diag *d, mc_err *rv)
{
	rule_parser p = {
	    .text = text, .t = toks, .r = r, .d = d, .series = series};
	rule_node *root = rule_parse_expr(&p);

	if (root != NULL && rule_p_cur(&p)->kind != TK_EOF)
		rule_p_unexpected(&p);
	*rv = p.rv;
	return p.rv == MC_OK ? root : NULL;
}
