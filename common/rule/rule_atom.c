/* rule_atom.c - the tightest level of the rule grammar: literals,
 * names (tags, True/False/None, functions), tags.X, tags["X"] and @X@,
 * lists and tuples, calls, string methods, subscripts, and the quoted
 * names of study_trigger_series. The operator levels and the parser's
 * helpers are in rule_parse.c. */
#include "rule/rule_int.h"

#include <string.h>

/* tag_node - tags.X (fold) or tags["X"] / @X@ (exact). */
static rule_node *
tag_node(rule_parser *p, const char *name, size_t n, bool fold, size_t off)
{
	static const char prefix[] = "missing tag ";
	rule_node        *t = rule_p_node(p, N_TAG, 0);
	char             *key, *why;

	if (t == NULL)
		return NULL;
	if (n == 0 || memchr(name, '\0', n) != NULL)
		return rule_p_fail(p, off, "invalid tag name");
	key = rule_arena_alloc(&p->r->arena, n + 1);
	why = rule_arena_alloc(&p->r->arena, sizeof(prefix) + n);
	t->hint = rule_arena_alloc(&p->r->arena, sizeof(*t->hint));
	if (key == NULL || why == NULL || t->hint == NULL)
		return rule_p_oom(p);
	atomic_init(t->hint, 0);
	memcpy(key, name, n);
	memcpy(why, prefix, sizeof(prefix) - 1);
	memcpy(why + sizeof(prefix) - 1, name, n);
	t->key = key;
	t->why = why;
	t->fold = fold;
	if (rule_note_tag(p->r, key, fold) != MC_OK)
		return rule_p_oom(p);
	return t;
}

static rule_node *
const_node(rule_parser *p, rule_value v, size_t off)
{
	rule_node *n = rule_p_node(p, N_CONST, 0);

	if (n != NULL) {
		n->v = v;
		n->off = off;
	}
	return n;
}

/* string_atom - one or more adjacent literals, joined as Python does. */
static rule_node *
string_atom(rule_parser *p)
{
	size_t first = p->pos, total = 0, o = 0, off = rule_p_cur(p)->off;
	char  *s;

	while (rule_p_cur(p)->kind == TK_STR)
		total += p->t[p->pos++].slen;
	if (p->pos - first == 1)
		return const_node(p,
		    (rule_value){.t = V_STR, .u.s = {p->t[first].s, total}},
		    off);
	if ((s = rule_arena_alloc(&p->r->arena, total + 1)) == NULL)
		return rule_p_oom(p);
	for (size_t i = first; i < p->pos; i++) {
		memcpy(s + o, p->t[i].s, p->t[i].slen);
		o += p->t[i].slen;
	}
	return const_node(p, (rule_value){.t = V_STR, .u.s = {s, total}}, off);
}

/* sequence - items up to the closing token, into a N_LIST whose first
 * skip kids are left for the caller (a method's receiver). */
static rule_node *
sequence(rule_parser *p, rule_tok_kind close, size_t open_off, size_t skip,
    rule_node *first, size_t *count)
{
	rule_node **items = NULL;
	size_t      n = 0, cap = 0;
	rule_node  *out;

	if (first != NULL && !rule_p_push(p, &items, &n, &cap, first))
		return NULL;
	while (!rule_p_accept(p, close)) {
		if (n > 0 && !rule_p_accept(p, TK_COMMA)) {
			if (rule_p_cur(p)->kind == TK_EOF)
				return rule_p_fail(p, open_off,
				    "'%c' was never closed",
				    p->text[open_off]);
			return rule_p_unexpected(p);
		}
		if (n > 0 && rule_p_accept(p, close))
			break;
		rule_node *e = rule_parse_expr(p);
		if (e == NULL || !rule_p_push(p, &items, &n, &cap, e))
			return NULL;
	}
	if ((out = rule_p_node(p, N_LIST, skip + n)) == NULL)
		return NULL;
	if (n > 0)
		memcpy(out->kids + skip, items, n * sizeof(*items));
	*count = n;
	return out;
}

static rule_node *
paren_atom(rule_parser *p)
{
	size_t     open = rule_p_cur(p)->off, n;
	rule_node *e;

	p->pos++;
	if (!p->series && rule_p_accept(p, TK_RPAREN)) {
		rule_node *empty = rule_p_node(p, N_LIST, 0); /* () */
		if (empty != NULL)
			empty->op = 1;
		return empty;
	}
	if ((e = rule_parse_expr(p)) == NULL)
		return NULL;
	if (rule_p_accept(p, TK_RPAREN))
		return e;
	if (!p->series && rule_p_cur(p)->kind == TK_COMMA) { /* a tuple */
		rule_node *t = sequence(p, TK_RPAREN, open, 0, e, &n);
		if (t != NULL)
			t->op = 1;
		return rule_p_seal(p, t, open);
	}
	if (rule_p_cur(p)->kind == TK_EOF)
		return rule_p_fail(p, open, "'(' was never closed");
	return rule_p_unexpected(p);
}

/* param - the i-th slot's entry in row's params ("-" when none): its
 * name in *name (length returned), *kwonly for "*name". */
static size_t
param(const rule_builtin *row, size_t i, const char **name, bool *kwonly)
{
	const char *s = row->params;
	size_t      n = 0;

	*name = "-";
	*kwonly = false;
	for (size_t k = 0; s != NULL && *s != '\0'; k++) {
		n = strcspn(s, " ");
		if (k == i) {
			*kwonly = s[0] == '*';
			*name = s + *kwonly;
			return n - *kwonly;
		}
		s += n + (s[n] == ' ');
	}
	return 1;
}

/* fn_value - a function named as a value where row's slot takes one
 * (map(int, x), filter(None, x)); NULL and nothing consumed otherwise. */
static rule_node *
fn_value(rule_parser *p, const rule_builtin *row, size_t slot)
{
	const rule_token   *t = rule_p_cur(p);
	const rule_builtin *fn;
	rule_node          *n;
	rule_tok_kind       next = p->t[p->pos + (t->kind != TK_EOF)].kind;

	if (slot >= sizeof(row->fnargs) * 8 || !(row->fnargs & (1u << slot)) ||
	    t->kind != TK_NAME || (next != TK_COMMA && next != TK_RPAREN))
		return NULL;
	fn = rule_builtin_find(rule_functions, p->text + t->off, t->len);
	if (fn == NULL &&
	    !(t->len == 4 && memcmp(p->text + t->off, "None", 4) == 0))
		return NULL;
	p->pos++;
	if ((n = rule_p_node(p, N_CONST, 0)) == NULL)
		return NULL;
	n->v = (rule_value){.t = V_FUNC, .u.fn = fn};
	n->off = t->off;
	return n;
}

/* arguments - the arguments of a call to row after '(', positional then
 * name=value, into the slots of a new node whose first skip kids are
 * left for the caller (a method's receiver). */
static rule_node *
arguments(rule_parser *p, const rule_builtin *row, const rule_token *name,
    size_t skip)
{
	rule_node **slot = NULL, *out;
	size_t      open = p->t[p->pos - 1].off, n = 0, used = 0, cap = 0;
	bool        kw = false;

	while (!rule_p_accept(p, TK_RPAREN)) {
		const rule_token *t = rule_p_cur(p);
		size_t            at = n, len;
		const char       *pn;
		bool              kwonly;
		if ((n > 0 || kw) && !rule_p_accept(p, TK_COMMA)) {
			if (t->kind == TK_EOF)
				return rule_p_fail(
				    p, open, "'(' was never closed");
			return rule_p_unexpected(p);
		}
		if ((n > 0 || kw) && rule_p_accept(p, TK_RPAREN))
			break;
		t = rule_p_cur(p);
		if (t->kind == TK_NAME && p->t[p->pos + 1].kind == TK_ASSIGN) {
			kw = true;
			for (at = 0; at < row->max_args; at++) {
				len = param(row, at, &pn, &kwonly);
				if (strcmp(pn, "-") != 0 && len == t->len &&
				    memcmp(pn, p->text + t->off, len) == 0)
					break;
			}
			if (at == row->max_args)
				return rule_p_fail(p, t->off,
				    "'%.*s' is an invalid keyword argument "
				    "for '%.*s'",
				    (int) t->len, p->text + t->off,
				    (int) name->len, p->text + name->off);
			while (used <= at)
				if (!rule_p_push(p, &slot, &used, &cap, NULL))
					return NULL;
			if (slot[at] != NULL)
				return rule_p_fail(p, t->off,
				    "argument '%.*s' given twice",
				    (int) t->len, p->text + t->off);
			p->pos += 2;
		} else if (kw) {
			return rule_p_fail(p, t->off,
			    "positional argument follows keyword argument");
		} else {
			param(row, n, &pn, &kwonly);
			if (n >= row->max_args || kwonly)
				return rule_p_fail(p, name->off,
				    "wrong number of arguments to '%.*s'",
				    (int) name->len, p->text + name->off);
			n++;
			if (!rule_p_push(p, &slot, &used, &cap, NULL))
				return NULL;
		}
		if ((slot[at] = fn_value(p, row, at)) == NULL &&
		    (slot[at] = rule_parse_expr(p)) == NULL)
			return NULL;
	}
	for (size_t i = 0; i < row->min_args; i++)
		if (i >= used || slot[i] == NULL)
			return rule_p_fail(p, name->off,
			    "wrong number of arguments to '%.*s'",
			    (int) name->len, p->text + name->off);
	if ((out = rule_p_node(p, N_LIST, skip + used)) == NULL)
		return NULL;
	for (size_t i = 0; i < used; i++) {
		if (slot[i] == NULL &&
		    (slot[i] = rule_p_node(p, N_CONST, 0)) == NULL)
			return NULL; /* a gap: None, the slot's default */
		out->kids[skip + i] = slot[i];
	}
	return out;
}

static rule_node *
call(rule_parser *p, const rule_token *name)
{
	const rule_builtin *fn =
	    rule_builtin_find(rule_functions, p->text + name->off, name->len);
	rule_node  *c;
	const char *why;

	if (fn == NULL &&
	    (why = rule_p_refused(p->text + name->off, name->len)) != NULL)
		return rule_p_fail(p, name->off, "%s", why);
	if (fn == NULL)
		return rule_p_fail(p, name->off, "unknown function '%.*s'",
		    (int) name->len, p->text + name->off);
	if ((c = arguments(p, fn, name, 0)) == NULL)
		return NULL;
	c->kind = N_CALL;
	c->call = fn->fn;
	if (fn->tags_fn != NULL && c->nkids == 1 &&
	    c->kids[0]->kind == N_TAGS) {
		c->call = fn->tags_fn;
		c->nkids = 0;
	}
	return rule_p_seal(p, c, name->off);
}

static rule_node *
name_atom(rule_parser *p)
{
	const rule_token *t = &p->t[p->pos++];
	const char       *s = p->text + t->off;
	size_t            n = t->len;
	const char       *why;

	if (n == 4 && memcmp(s, "True", 4) == 0)
		return const_node(
		    p, (rule_value){.t = V_BOOL, .u.b = true}, t->off);
	if (n == 5 && memcmp(s, "False", 5) == 0)
		return const_node(p, (rule_value){.t = V_BOOL}, t->off);
	if (n == 4 && memcmp(s, "None", 4) == 0)
		return const_node(p, (rule_value){.t = V_NONE}, t->off);
	/* math.pi and math.e, which mercure's safe_eval_cmds names */
	if (n == 2 && memcmp(s, "pi", 2) == 0)
		return const_node(p,
		    (rule_value){.t = V_FLOAT, .u.f = 3.141592653589793},
		    t->off);
	if (n == 1 && s[0] == 'e')
		return const_node(p,
		    (rule_value){.t = V_FLOAT, .u.f = 2.718281828459045},
		    t->off);
	if (n == 4 && memcmp(s, "tags", 4) == 0) {
		rule_node *tags = rule_p_node(p, N_TAGS, 0);
		if (tags != NULL)
			tags->off = t->off;
		return tags;
	}
	if (rule_p_accept(p, TK_LPAREN))
		return call(p, t);
	if (rule_builtin_find(rule_functions, s, n) != NULL)
		return rule_p_fail(
		    p, t->off, "function '%.*s' must be called", (int) n, s);
	if ((why = rule_p_refused(s, n)) != NULL)
		return rule_p_fail(p, t->off, "%s", why);
	return rule_p_fail(p, t->off, "unknown name '%.*s'", (int) n, s);
}

/* brace_atom - {} and {k: v, ...} (N_DICT), {a, b, ...} (N_SET). */
static rule_node *
brace_atom(rule_parser *p)
{
	rule_node **items = NULL, *out, *e;
	size_t      open = rule_p_cur(p)->off, n = 0, cap = 0;
	bool        dict = true;

	p->pos++;
	while (!rule_p_accept(p, TK_RBRACE)) {
		if (n > 0 && !rule_p_accept(p, TK_COMMA)) {
			if (rule_p_cur(p)->kind == TK_EOF)
				return rule_p_fail(
				    p, open, "'{' was never closed");
			return rule_p_unexpected(p);
		}
		if (n > 0 && rule_p_accept(p, TK_RBRACE))
			break;
		if ((e = rule_parse_expr(p)) == NULL ||
		    !rule_p_push(p, &items, &n, &cap, e))
			return NULL;
		if (n == 1)
			dict = rule_p_cur(p)->kind == TK_COLON;
		if (dict) {
			if (!rule_p_accept(p, TK_COLON))
				return rule_p_unexpected(p);
			if ((e = rule_parse_expr(p)) == NULL ||
			    !rule_p_push(p, &items, &n, &cap, e))
				return NULL;
		}
	}
	if ((out = rule_p_node(p, dict ? N_DICT : N_SET, n)) == NULL)
		return NULL;
	if (n > 0)
		memcpy(out->kids, items, n * sizeof(*items));
	return rule_p_seal(p, out, open);
}

static rule_node *
parse_atom(rule_parser *p)
{
	const rule_token *t = rule_p_cur(p);
	size_t            n;

	switch (t->kind) {
	case TK_STR:
		return string_atom(p);
	case TK_INT:
		p->pos++;
		return const_node(
		    p, (rule_value){.t = V_INT, .u.i = t->i}, t->off);
	case TK_FLOAT:
		p->pos++;
		return const_node(
		    p, (rule_value){.t = V_FLOAT, .u.f = t->f}, t->off);
	case TK_TAGREF: {
		rule_node *ref;
		p->pos++;
		ref = tag_node(p, t->s, t->slen, false, t->off);
		if (ref != NULL && !rule_p_push(p, &p->r->refs, &p->r->nrefs,
		                       &p->r->refcap, ref))
			return NULL;
		if (ref != NULL)
			ref->ref = p->r->nrefs;
		return ref;
	}
	case TK_NAME:
		return name_atom(p);
	case TK_LPAREN:
		return paren_atom(p);
	case TK_LBRACE:
		return brace_atom(p);
	case TK_LBRACK:
		p->pos++;
		return rule_p_seal(
		    p, sequence(p, TK_RBRACK, t->off, 0, NULL, &n), t->off);
	default:
		return rule_p_unexpected(p);
	}
}

/* attribute - after '.': tags.X, or a string method call. */
static rule_node *
attribute(rule_parser *p, rule_node *obj)
{
	const rule_token   *t = rule_p_cur(p);
	const char         *s = p->text + t->off;
	const rule_builtin *m;
	rule_node          *c;
	const char         *why;

	if (!rule_p_accept(p, TK_NAME))
		return rule_p_unexpected(p);
	if (obj->kind != N_TAGS && (why = rule_p_refused(s, t->len)) != NULL)
		return rule_p_fail(p, t->off, "%s", why);
	if (obj->kind == N_TAGS && rule_p_cur(p)->kind != TK_LPAREN)
		return tag_node(p, s, t->len, true, t->off);
	if (!rule_p_accept(p, TK_LPAREN)) {
		if (rule_builtin_find(rule_methods, s, t->len) != NULL)
			return rule_p_fail(p, t->off,
			    "method '%.*s' must be called", (int) t->len, s);
		return rule_p_fail(
		    p, t->off, "unknown attribute '%.*s'", (int) t->len, s);
	}
	if ((m = rule_builtin_find(rule_methods, s, t->len)) == NULL ||
	    obj->kind == N_TAGS)
		return rule_p_fail(
		    p, t->off, "unknown function '%.*s'", (int) t->len, s);
	if ((c = arguments(p, m, t, 1)) == NULL)
		return NULL;
	c->kind = N_METHOD;
	c->call = m->fn;
	c->kids[0] = obj;
	return rule_p_seal(p, c, t->off);
}

/* subscript - after '[': tags["X"], x[i] or x[lo:hi]. */
static rule_node *
subscript(rule_parser *p, rule_node *obj, size_t open)
{
	rule_node *idx = NULL, *hi = NULL, *step = NULL, *n;
	bool       slice = false;
	size_t     at = rule_p_cur(p)->off;

	if (rule_p_cur(p)->kind != TK_COLON &&
	    (idx = rule_parse_expr(p)) == NULL)
		return NULL;
	if (rule_p_accept(p, TK_COLON)) {
		slice = true;
		if (rule_p_cur(p)->kind != TK_RBRACK &&
		    rule_p_cur(p)->kind != TK_COLON &&
		    (hi = rule_parse_expr(p)) == NULL)
			return NULL;
		if (rule_p_accept(p, TK_COLON) &&
		    rule_p_cur(p)->kind != TK_RBRACK &&
		    (step = rule_parse_expr(p)) == NULL)
			return NULL;
	}
	if (!rule_p_accept(p, TK_RBRACK))
		return rule_p_cur(p)->kind == TK_EOF
		           ? rule_p_fail(p, open, "'[' was never closed")
		           : rule_p_unexpected(p);
	if (obj->kind == N_TAGS) {
		if (slice || idx->kind != N_CONST || idx->v.t != V_STR)
			return rule_p_fail(p, at,
			    "tags[...] needs a quoted "
			    "tag name");
		return tag_node(p, idx->v.u.s.p, idx->v.u.s.n, false, open);
	}
	if (!slice)
		return rule_p_binary(p, N_INDEX, 0, obj, idx, open);
	if ((n = rule_p_node(p, N_SLICE, 4)) == NULL)
		return NULL;
	n->kids[0] = obj;
	n->kids[1] = idx;
	n->kids[2] = hi;
	n->kids[3] = step;
	return rule_p_seal(p, n, open);
}

rule_node *
rule_parse_postfix(rule_parser *p)
{
	rule_node *n = parse_atom(p);

	while (n != NULL) {
		size_t off = rule_p_cur(p)->off;
		if (rule_p_accept(p, TK_DOT))
			n = attribute(p, n);
		else if (rule_p_accept(p, TK_LBRACK))
			n = subscript(p, n, off);
		else if (rule_p_cur(p)->kind == TK_LPAREN)
			return rule_p_fail(p, off,
			    "only functions and string "
			    "methods can be called");
		else
			break;
	}
	return n;
}

/* series_atom - study_trigger_series: a quoted description (matched
 * case-insensitively as a substring, as mercure does) or parentheses. */
rule_node *
rule_parse_series_atom(rule_parser *p)
{
	const rule_token *t = rule_p_cur(p);
	rule_node        *n;
	char             *low;

	if (t->kind == TK_LPAREN)
		return paren_atom(p);
	if (t->kind != TK_STR) {
		if (t->kind == TK_EOF || t->kind == TK_RPAREN)
			return rule_p_unexpected(p);
		return rule_p_fail(p, t->off,
		    "expected a quoted series description, "
		    "got '%.*s'",
		    (int) t->len, p->text + t->off);
	}
	p->pos++;
	if ((n = rule_p_node(p, N_SERIES, 0)) == NULL ||
	    (low = rule_arena_alloc(&p->r->arena, t->slen + 1)) == NULL)
		return rule_p_oom(p);
	for (size_t i = 0; i < t->slen; i++)
		low[i] = (t->s[i] >= 'A' && t->s[i] <= 'Z')
		             ? (char) (t->s[i] + ('a' - 'A'))
		             : t->s[i];
	n->v = (rule_value){.t = V_STR, .u.s = {low, t->slen}};
	return n;
}
