/* rule_eval.c - walks a compiled rule's tree over one instance's tags:
 * tag lookup, and/or/not, comparisons, arithmetic, Python's truthiness.
 * Functions are called through their table row's function pointer
 * (rule_builtin.c, rule_method.c); subscripts are in rule_method.c.
 *
 * Design notes: evaluation writes nothing in the rule but the relaxed
 * atomic lookup hints of its tags, so any number of threads may evaluate
 * one rule at once. Strings are (pointer, length)
 * views into the tags or the rule; the few operations that build a new
 * string (lower(), +, str()) take it from per-call scratch memory that
 * starts on the caller's stack. A runtime error is Python's exception:
 * the first one sets ctx->why and unwinds to rule_eval(), which returns
 * false. The parser capped the tree's depth, so the recursion is bounded. */
#include "rule/rule_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RULE_SCRATCH_STACK_BYTES 1024
#define RULE_SCRATCH_CHUNK_BYTES 4096

struct rule_scratch_chunk {
	rule_scratch_chunk *next;
	size_t              cap, used;
	max_align_t         data[];
};

bool
rule_fail(rule_ctx *c, const char *why)
{
	if (c->why == NULL)
		c->why = why;
	return false;
}

void *
rule_scratch_alloc(rule_ctx *c, size_t n)
{
	rule_scratch       *s = &c->sc;
	rule_scratch_chunk *k = s->more;
	void               *p;

	n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) *
	    sizeof(max_align_t);
	if (s->cap - s->used >= n) {
		p = s->buf + s->used;
		s->used += n;
		return p;
	}
	if (k == NULL || k->cap - k->used < n) {
		size_t cap = n > RULE_SCRATCH_CHUNK_BYTES
		                 ? n
		                 : RULE_SCRATCH_CHUNK_BYTES;
		if ((k = malloc(sizeof(*k) + cap)) == NULL) {
			rule_fail(c, "out of memory");
			return NULL;
		}
		k->cap = cap;
		k->used = 0;
		k->next = s->more;
		s->more = k;
	}
	p = (char *) k->data + k->used;
	k->used += n;
	return p;
}

static void
scratch_fini(rule_scratch *s)
{
	while (s->more != NULL) {
		rule_scratch_chunk *next = s->more->next;
		free(s->more);
		s->more = next;
	}
}

bool
rule_truthy(const rule_value *v)
{
	switch (v->t) {
	case V_BOOL:
		return v->u.b;
	case V_INT:
		return v->u.i != 0;
	case V_FLOAT:
		return v->u.f != 0.0;
	case V_STR:
		return v->u.s.n > 0;
	case V_LIST:
	case V_DICT:
	case V_SET:
		return v->u.l.n > 0;
	case V_RANGE:
		return rule_range_len(v) > 0;
	case V_ITER:
	case V_FUNC:
		return true;
	default:
		return false;
	}
}

static bool values_equal(const rule_value *a, const rule_value *b);

/* find_item - the index of an item equal to x in items[0..n) taken
 * every stride, or n. */
static size_t
find_item(
    const rule_value *x, const rule_value *items, size_t n, size_t stride)
{
	for (size_t i = 0; i < n; i++)
		if (values_equal(x, &items[i * stride]))
			return i;
	return n;
}

bool
rule_equal(const rule_value *a, const rule_value *b)
{
	return values_equal(a, b);
}

/* values_equal - Python's ==; static, so that the comparisons of the
 * common rules inline it */
static bool
values_equal(const rule_value *a, const rule_value *b)
{
	if (rule_is_num(a) && rule_is_num(b)) {
		if (a->t == V_FLOAT || b->t == V_FLOAT)
			return rule_as_double(a) == rule_as_double(b);
		return rule_as_int(a) == rule_as_int(b);
	}
	if (a->t != b->t)
		return false;
	switch (a->t) {
	case V_NONE:
		return true;
	case V_STR:
		return a->u.s.n == b->u.s.n &&
		       memcmp(a->u.s.p, b->u.s.p, a->u.s.n) == 0;
	case V_LIST:
		if (a->u.l.n != b->u.l.n || a->u.l.tuple != b->u.l.tuple)
			return false;
		for (size_t i = 0; i < a->u.l.n; i++)
			if (!values_equal(&a->u.l.items[i], &b->u.l.items[i]))
				return false;
		return true;
	case V_RANGE: { /* as sequences: range(0) == range(2, 2) */
		int64_t n = rule_range_len(a);
		return n == rule_range_len(b) &&
		       (n == 0 || (a->u.r.start == b->u.r.start &&
		                      (n == 1 || a->u.r.step == b->u.r.step)));
	}
	case V_DICT: /* the same keys, each with an equal value */
		if (a->u.l.n != b->u.l.n)
			return false;
		for (size_t i = 0; i < a->u.l.n; i++) {
			size_t k = find_item(
			    &a->u.l.items[2 * i], b->u.l.items, b->u.l.n, 2);
			if (k == b->u.l.n ||
			    !values_equal(&a->u.l.items[2 * i + 1],
			        &b->u.l.items[2 * k + 1]))
				return false;
		}
		return true;
	case V_SET: /* set() == frozenset() too */
		if (a->u.l.n != b->u.l.n)
			return false;
		for (size_t i = 0; i < a->u.l.n; i++)
			if (find_item(&a->u.l.items[i], b->u.l.items, b->u.l.n,
			        1) == b->u.l.n)
				return false;
		return true;
	case V_ITER: /* only the same iterator */
		return a->u.l.items == b->u.l.items && a->u.l.n == b->u.l.n;
	case V_FUNC:
		return a->u.fn == b->u.fn;
	default:
		return false;
	}
}

bool
rule_hashable(rule_ctx *c, const rule_value *v)
{
	if (v->t == V_LIST && v->u.l.tuple) {
		for (size_t i = 0; i < v->u.l.n; i++)
			if (!rule_hashable(c, &v->u.l.items[i]))
				return false;
		return true;
	}
	if (v->t == V_LIST || v->t == V_DICT ||
	    (v->t == V_SET && !v->u.l.tuple))
		return rule_fail(c, v->t == V_LIST   ? "TypeError: unhashable "
		                                       "type: 'list'"
		                    : v->t == V_DICT ? "TypeError: unhashable "
		                                       "type: 'dict'"
		                                     : "TypeError: unhashable "
		                                       "type: 'set'");
	return true;
}

/* str_contains - Python's "needle in hay" for strings. */
static bool
str_contains(const char *hay, size_t hn, const char *needle, size_t nn)
{
	if (nn == 0)
		return true;
	for (const char *p = hay; nn <= (size_t) (hay + hn - p);) {
		p = memchr(p, needle[0], (size_t) (hay + hn - p) - nn + 1);
		if (p == NULL)
			return false;
		if (memcmp(p, needle, nn) == 0)
			return true;
		p++;
	}
	return false;
}

/* range_has - x in range: arithmetic for a whole number, so that a
 * range of any length costs nothing. */
static bool
range_has(const rule_value *x, const rule_value *r)
{
	int64_t i, n = rule_range_len(r);

	if (x->t == V_FLOAT) {
		if (!(x->u.f == x->u.f) || x->u.f != (double) (int64_t) x->u.f)
			return false;
		i = (int64_t) x->u.f;
	} else if (x->t == V_INT || x->t == V_BOOL) {
		i = rule_as_int(x);
	} else {
		return false;
	}
	if (n == 0)
		return false;
	if (r->u.r.step > 0 ? i < r->u.r.start || i >= r->u.r.stop
	                    : i > r->u.r.start || i <= r->u.r.stop)
		return false;
	/* in unsigned arithmetic, as start - stop may not fit in 64 bits */
	uint64_t d = i >= r->u.r.start
	                 ? (uint64_t) i - (uint64_t) r->u.r.start
	                 : (uint64_t) r->u.r.start - (uint64_t) i;
	uint64_t s =
	    r->u.r.step > 0 ? (uint64_t) r->u.r.step : -(uint64_t) r->u.r.step;
	return d % s == 0;
}

static bool
contains(rule_ctx *c, const rule_value *x, const rule_value *in, bool *res)
{
	switch (in->t) { /* strings and lists first: the common rules */
	case V_STR:
		if (x->t != V_STR)
			return rule_fail(c,
			    "TypeError: 'in <string>' "
			    "requires a string as left operand");
		*res = str_contains(in->u.s.p, in->u.s.n, x->u.s.p, x->u.s.n);
		return true;
	case V_LIST:
	case V_ITER:
		*res = find_item(x, in->u.l.items, in->u.l.n, 1) < in->u.l.n;
		return true;
	case V_RANGE:
		*res = range_has(x, in);
		return true;
	case V_DICT:
	case V_SET:
		if (!rule_hashable(c, x))
			return false;
		*res = find_item(x, in->u.l.items, in->u.l.n,
		           in->t == V_DICT ? 2 : 1) < in->u.l.n;
		return true;
	default:
		return rule_fail(c, "TypeError: right operand of 'in' is "
		                    "not a container");
	}
}

bool
rule_contains(
    rule_ctx *c, const rule_value *x, const rule_value *in, bool *res)
{
	return contains(c, x, in, res);
}

static bool
ordered(unsigned op, int cmp)
{
	switch (op) {
	case OP_LT:
		return cmp < 0;
	case OP_LE:
		return cmp <= 0;
	case OP_GT:
		return cmp > 0;
	default:
		return cmp >= 0;
	}
}

static int
str_cmp(const rule_value *a, const rule_value *b)
{
	size_t n = a->u.s.n < b->u.s.n ? a->u.s.n : b->u.s.n;
	int    r = memcmp(a->u.s.p, b->u.s.p, n);

	if (r != 0)
		return r;
	return a->u.s.n < b->u.s.n ? -1 : a->u.s.n > b->u.s.n;
}

/* identical - Python's "a is b" as CPython answers it for these values:
 * None, True and False are singletons, ints from -5 to 256 are cached,
 * the same tag read twice is the same string object, and so are the
 * empty string and one-character Latin-1 strings; anything else built
 * separately is another object. */
static bool
identical(const rule_value *a, const rule_value *b)
{
	if (a->t != b->t)
		return false;
	switch (a->t) {
	case V_NONE:
		return true;
	case V_BOOL:
		return a->u.b == b->u.b;
	case V_INT:
		return a->u.i == b->u.i && a->u.i >= -5 && a->u.i <= 256;
	case V_STR:
		if (a->u.s.p == b->u.s.p && a->u.s.n == b->u.s.n)
			return true;
		return values_equal(a, b) &&
		       (a->u.s.n == 0 || (unsigned char) a->u.s.p[0] < 0x80
		               ? a->u.s.n <= 1
		               : a->u.s.n == 2 &&
		                     (unsigned char) a->u.s.p[0] < 0xc4);
	default:
		return false;
	}
}

bool
rule_compare(rule_ctx *c, unsigned op, const rule_value *a,
    const rule_value *b, bool *res)
{
	if (op == OP_IS || op == OP_ISNOT) {
		*res = identical(a, b) ^ (op == OP_ISNOT);
		return true;
	}
	if (op == OP_IN || op == OP_NOTIN) {
		if (!contains(c, a, b, res))
			return false;
		*res ^= op == OP_NOTIN;
		return true;
	}
	if (op == OP_EQ || op == OP_NE) {
		*res = values_equal(a, b) ^ (op == OP_NE);
		return true;
	}
	if (rule_is_num(a) && rule_is_num(b)) {
		if (a->t == V_FLOAT || b->t == V_FLOAT) {
			double x = rule_as_double(a), y = rule_as_double(b);
			*res = op == OP_LT   ? x < y
			       : op == OP_LE ? x <= y
			       : op == OP_GT ? x > y
			                     : x >= y; /* NaN: false */
			return true;
		}
		int64_t x = rule_as_int(a), y = rule_as_int(b);
		*res = ordered(op, (x > y) - (x < y));
		return true;
	}
	if (a->t == V_STR && b->t == V_STR) {
		*res = ordered(op, str_cmp(a, b));
		return true;
	}
	if (a->t == V_SET && b->t == V_SET) { /* subsets */
		*res = op == OP_LT   ? rule_subset(a, b, true)
		       : op == OP_LE ? rule_subset(a, b, false)
		       : op == OP_GT ? rule_subset(b, a, true)
		                     : rule_subset(b, a, false);
		return true;
	}
	if (a->t == V_LIST && b->t == V_LIST && a->u.l.tuple == b->u.l.tuple) {
		/* lexicographic: the first unequal items decide, else the
		 * lengths, as Python orders lists and tuples */
		size_t n = a->u.l.n < b->u.l.n ? a->u.l.n : b->u.l.n;
		for (size_t i = 0; i < n; i++)
			if (!values_equal(&a->u.l.items[i], &b->u.l.items[i]))
				return rule_compare(c, op, &a->u.l.items[i],
				    &b->u.l.items[i], res);
		*res =
		    ordered(op, (a->u.l.n > b->u.l.n) - (a->u.l.n < b->u.l.n));
		return true;
	}
	return rule_fail(c, "TypeError: '<', '<=', '>', '>=' not supported "
	                    "between these types (str and number?)");
}

static int
ascii_lower(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch;
}

/* lookup - the value of n's key: an exact match, else for tags.X the
 * first key equal ignoring ASCII case (mercure's Tags.__getattr__).
 * Instances of a series list their tags in the same order, so the
 * position of the last exact hit is tried first; a relaxed atomic is
 * enough, as a stale hint only costs a scan. */
static const char *
lookup(const mc_tagset *tags, const rule_node *n)
{
	size_t        count = tags ? mc_tagset_count(tags) : 0;
	size_t        h = atomic_load_explicit(n->hint, memory_order_relaxed);
	int           first = ascii_lower((unsigned char) n->key[0]);
	const char   *folded = NULL;
	const mc_tag *t;

	if (h < count && strcmp((t = mc_tagset_at(tags, h))->key, n->key) == 0)
		return t->value;
	for (size_t i = 0; i < count; i++) {
		t = mc_tagset_at(tags, i);
		if (ascii_lower((unsigned char) t->key[0]) != first)
			continue;
		if (strcmp(t->key, n->key) == 0) {
			atomic_store_explicit(
			    n->hint, i, memory_order_relaxed);
			return t->value;
		}
		if (n->fold && folded == NULL &&
		    strcasecmp(t->key, n->key) == 0)
			folded = t->value;
	}
	return folded;
}

const char *
rule_tag_read(const rule *r, size_t i, const mc_tagset *tags, const char **key)
{
	const mc_tag *t, *folded = NULL;

	if (key != NULL)
		*key = NULL;
	if (r == NULL || i >= r->ntags || tags == NULL)
		return NULL;
	for (size_t k = 0; k < mc_tagset_count(tags); k++) {
		t = mc_tagset_at(tags, k);
		if (strcmp(t->key, r->tags[i]) == 0) {
			folded = t;
			break;
		}
		if (r->tagfold[i] && folded == NULL &&
		    strcasecmp(t->key, r->tags[i]) == 0)
			folded = t;
	}
	if (folded != NULL && key != NULL)
		*key = folded->key;
	return folded ? folded->value : NULL;
}

static bool
has_tag(rule_ctx *c, const rule_value *k, rule_value *out)
{
	char *key;

	*out = (rule_value){.t = V_BOOL};
	if (k->t != V_STR || c->tags == NULL ||
	    memchr(k->u.s.p, '\0', k->u.s.n) != NULL)
		return true;
	if ((key = rule_scratch_alloc(c, k->u.s.n + 1)) == NULL)
		return false;
	memcpy(key, k->u.s.p, k->u.s.n);
	key[k->u.s.n] = '\0';
	out->u.b = mc_tagset_get(c->tags, key) != NULL;
	return true;
}

/* series_seen - a received description contains s (lower-cased). */
static bool
series_seen(const rule_ctx *c, const rule_value *s)
{
	for (size_t i = 0; i < c->ndescs; i++) {
		const char *d = c->descs[i];
		size_t      n = d ? strlen(d) : 0;
		for (size_t j = 0; j + s->u.s.n <= n; j++)
			if (strncasecmp(d + j, s->u.s.p, s->u.s.n) == 0)
				return true;
	}
	return false;
}

static bool
eval_logic(const rule_node *n, rule_ctx *c, rule_value *out)
{
	for (size_t i = 0; i < n->nkids; i++) {
		if (!rule_eval_node(n->kids[i], c, out))
			return false;
		if (rule_truthy(out) == (n->kind == N_OR))
			return true; /* Python returns the deciding operand */
	}
	return true;
}

static bool
eval_compare(const rule_node *n, rule_ctx *c, rule_value *out)
{
	rule_value a, b;
	bool       res = true;

	if (!rule_eval_node(n->kids[0], c, &a))
		return false;
	for (size_t i = 1; i < n->nkids && res; i++) {
		if (!rule_eval_node(n->kids[i], c, &b) ||
		    !rule_compare(c, n->ops[i - 1], &a, &b, &res))
			return false;
		a = b;
	}
	*out = (rule_value){.t = V_BOOL, .u.b = res};
	return true;
}

/* eval_kids - evaluate kids[from..] into a scratch array. */
static rule_value *
eval_kids(const rule_node *n, size_t from, rule_ctx *c)
{
	rule_value *v =
	    rule_scratch_alloc(c, (n->nkids - from + 1) * sizeof(*v));

	for (size_t i = from; v != NULL && i < n->nkids; i++)
		if (!rule_eval_node(n->kids[i], c, &v[i - from]))
			return NULL;
	return v;
}

static bool
eval_subscript(const rule_node *n, rule_ctx *c, rule_value *out)
{
	rule_value v[4] = {
	    {.t = V_NONE}, {.t = V_NONE}, {.t = V_NONE}, {.t = V_NONE}};

	for (size_t i = 0; i < n->nkids; i++)
		if (n->kids[i] != NULL &&
		    !rule_eval_node(n->kids[i], c, &v[i]))
			return false;
	if (v[3].t != V_NONE && !((v[3].t == V_INT && v[3].u.i == 1) ||
	                            (v[3].t == V_BOOL && v[3].u.b)))
		return rule_slice_step(c, &v[0], &v[1], &v[2], &v[3], out);
	return rule_index(c, &v[0], &v[1], &v[2], n->kind == N_SLICE, out);
}

bool
rule_eval_node(const rule_node *n, rule_ctx *c, rule_value *out)
{
	rule_value  a, b, *args;
	const char *s;

	switch (n->kind) {
	case N_CONST:
		*out = n->v;
		return true;
	case N_TAG:
		if (n->ref != 0 && c->refvals != NULL)
			s = c->refvals[n->ref - 1];
		else if ((s = lookup(c->tags, n)) == NULL)
			return rule_fail(c, n->why);
		*out = (rule_value){.t = V_STR, .u.s = {s, strlen(s)}};
		return true;
	case N_AND:
	case N_OR:
		return eval_logic(n, c, out);
	case N_NOT:
		if (!rule_eval_node(n->kids[0], c, &a))
			return false;
		*out = (rule_value){.t = V_BOOL, .u.b = !rule_truthy(&a)};
		return true;
	case N_CMP:
		return eval_compare(n, c, out);
	case N_NEG:
	case N_POS:
		return rule_eval_node(n->kids[0], c, &a) &&
		       rule_negate(c, &a, n->kind == N_NEG, out);
	case N_INVERT:
		return rule_eval_node(n->kids[0], c, &a) &&
		       rule_invert(c, &a, out);
	case N_BIN:
		return rule_eval_node(n->kids[0], c, &a) &&
		       rule_eval_node(n->kids[1], c, &b) &&
		       rule_arith(c, n->op, &a, &b, out);
	case N_LIST:
		if ((args = eval_kids(n, 0, c)) == NULL)
			return false;
		*out = (rule_value){
		    .t = V_LIST, .u.l = {args, n->nkids, n->op == 1}};
		return true;
	case N_DICT:
	case N_SET:
		if ((args = eval_kids(n, 0, c)) == NULL)
			return false;
		return rule_collect(c, args,
		    n->kind == N_DICT ? n->nkids / 2 : n->nkids,
		    n->kind == N_DICT, out);
	case N_CALL:
	case N_METHOD: /* a method's receiver is kids[0], so args[0] */
		if ((args = eval_kids(n, 0, c)) == NULL)
			return false;
		return n->call(c, args, n->nkids, out);
	case N_INDEX:
	case N_SLICE:
		return eval_subscript(n, c, out);
	case N_IN_TAGS:
		return rule_eval_node(n->kids[0], c, &a) &&
		       has_tag(c, &a, out);
	case N_SERIES:
		*out = (rule_value){.t = V_BOOL, .u.b = series_seen(c, &n->v)};
		return true;
	default:
		return rule_fail(c, "internal error: unknown node");
	}
}

/* check_refs - look up every @X@ before the tree is evaluated: mercure
 * leaves the @X@ of a missing tag in the text, a SyntaxError, so the rule
 * is false whatever else it says. The values found are kept for the
 * tree's N_TAG nodes, so each is looked up once. */
static bool
check_refs(const rule *r, rule_ctx *c)
{
	const char **vals;

	if (r->nrefs == 0)
		return true;
	if ((vals = rule_scratch_alloc(c, r->nrefs * sizeof(*vals))) == NULL)
		return false;
	for (size_t i = 0; i < r->nrefs; i++)
		if ((vals[i] = lookup(c->tags, r->refs[i])) == NULL)
			return rule_fail(c, r->refs[i]->why);
	c->refvals = vals;
	return true;
}

/* run - evaluate the root with scratch memory on this stack frame. */
static bool
run(const rule *r, rule_ctx *c, const char **why)
{
	max_align_t stack[RULE_SCRATCH_STACK_BYTES / sizeof(max_align_t)];
	rule_value  v;
	bool        ok;

	c->sc.buf = (char *) stack;
	c->sc.cap = sizeof(stack);
	ok = check_refs(r, c) && rule_eval_node(r->root, c, &v) &&
	     rule_truthy(&v);
	scratch_fini(&c->sc);
	if (why != NULL)
		*why = c->why;
	return ok;
}

bool
rule_eval(const rule *r, const mc_tagset *tags, const char **why)
{
	rule_ctx c = {.tags = tags};

	if (why != NULL)
		*why = NULL;
	if (r == NULL || r->series || r->root == NULL) {
		if (why != NULL)
			*why = "not a tag rule";
		return false;
	}
	return run(r, &c, why);
}

bool
rule_series_match(const rule *r, const char *const *descriptions, size_t n)
{
	rule_ctx c = {.descs = descriptions, .ndescs = n};

	if (r == NULL || !r->series || n == 0)
		return false; /* mercure: nothing received, nothing met */
	if (r->root == NULL)
		return true;
	return run(r, &c, NULL);
}
