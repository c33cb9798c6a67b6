/* rule_int.h - what the rule_*.c files of the rule module share:
 * tokens, the AST, runtime values and the two allocators. Nothing
 * outside the rule module includes this file. */
#ifndef MC_COMMON_RULE_INT_H
#define MC_COMMON_RULE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>

#include "rule/rule.h"
#include "rule/rule_builtin.h"

/* Deeper trees are refused at compile time, so that neither the parser
 * nor the evaluator can exhaust the stack on hostile input. */
#define RULE_DEPTH_MAX 128
#define RULE_NEST_MAX 64 /* parentheses, unary operators */
/* the longest string an operation may make: asteval's safe_mult limit,
 * applied to every operation whose result can outgrow its inputs
 * (repetition, replace), so that tag values cannot make a rule allocate
 * their product */
#define RULE_STR_RESULT_MAX (2 << 17)
/* the most items a sequence a tag value can size may have when it is
 * made (range() iterated, list(range(n))): 65536 values of 32 bytes */
#define RULE_SEQ_MAX (1 << 16)
/* the most items a dict or set may be built from: duplicates are found
 * by comparing each item with those kept (no hashing), so the work is
 * quadratic and capped here */
#define RULE_COLLECT_MAX 4096

/* ---- arena: the compiled rule's memory, freed in one call ---- */

typedef struct rule_chunk rule_chunk;
typedef struct rule_arena {
	rule_chunk *head;
} rule_arena;

void *rule_arena_alloc(rule_arena *a, size_t n); /* NULL: out of memory */
void  rule_arena_fini(rule_arena *a);

/* ---- tokens ---- */

typedef enum {
	TK_EOF,
	TK_NAME,
	TK_INT,
	TK_FLOAT,
	TK_STR,
	TK_TAGREF, /* legacy @Name@ */
	TK_LPAREN,
	TK_RPAREN,
	TK_LBRACK,
	TK_RBRACK,
	TK_COMMA,
	TK_DOT,
	TK_COLON,
	TK_EQ,
	TK_NE,
	TK_LT,
	TK_LE,
	TK_GT,
	TK_GE,
	TK_PLUS,
	TK_MINUS,
	TK_STAR,
	TK_DSTAR,
	TK_SLASH,
	TK_DSLASH,
	TK_PERCENT,
	TK_PIPE,
	TK_AMP,
	TK_CARET,
	TK_TILDE,
	TK_LSHIFT,
	TK_RSHIFT,
	TK_AND,
	TK_OR,
	TK_NOT,
	TK_IN,
	TK_LBRACE,
	TK_RBRACE,
	TK_ASSIGN, /* '=' of a keyword argument */
} rule_tok_kind;

typedef struct rule_token {
	rule_tok_kind kind;
	size_t        off, len; /* bytes of the source text */
	const char   *s;        /* TK_STR, TK_TAGREF: decoded, in arena */
	size_t        slen;
	int64_t       i; /* TK_INT */
	double        f; /* TK_FLOAT */
} rule_token;

/* rule_lex - tokenize text[0..len); *out (malloc'd, ends with TK_EOF)
 * is freed by the caller with free(). Strings live in a. Returns MC_OK,
 * MC_ENOMEM, or MC_ESYNTAX with d->column and d->msg set. */
mc_err rule_lex(const char *text, size_t len, rule_arena *a, rule_token **out,
    size_t *n, mc_diag *d);

/* rule_column - the 1-based column (in code points) of byte off. */
size_t rule_column(const char *text, size_t off);

/* rule_syntax_error - fill d with the column of off and a message. */
mc_err rule_syntax_error(mc_diag *d, const char *text, size_t off,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* ---- runtime values: strings are views, never NUL-terminated ---- */

/* V_RANGE is lazy (start, stop, step); V_DICT holds 2n items, key then
 * value, keys unique; V_SET holds n unique items in the order written
 * (tuple: a frozenset); V_ITER is what reversed, enumerate, zip, filter
 * and map return, made eagerly: iterable, always true, no len; V_FUNC is
 * a function named as a value (map(int, x), filter(None, x)). */
typedef enum {
	V_NONE,
	V_BOOL,
	V_INT,
	V_FLOAT,
	V_STR,
	V_LIST,
	V_RANGE,
	V_DICT,
	V_SET,
	V_ITER,
	V_FUNC,
} rule_vtype;

typedef struct rule_value rule_value;
struct rule_value {
	rule_vtype t;
	union {
		bool    b;
		int64_t i;
		double  f;
		struct {
			const char *p;
			size_t      n;
		} s;
		struct {
			const rule_value *items;
			size_t            n;
			bool              tuple; /* (..) rather than [..] */
		} l;
		struct {
			int64_t start, stop, step;
		} r;
		const rule_builtin *fn; /* V_FUNC; NULL for None */
	} u;
};

/* ---- the AST ---- */

typedef enum {
	N_CONST,
	N_TAG,     /* key; fold = tags.X's case-insensitive fallback */
	N_TAGS,    /* bare 'tags', only valid where the parser rewrites it */
	N_LIST,    /* kids = items; op = 1 for a tuple */
	N_AND,     /* kids, n-ary */
	N_OR,      /* kids, n-ary */
	N_NOT,     /* kids[0] */
	N_NEG,     /* kids[0] */
	N_POS,     /* kids[0] */
	N_INVERT,  /* ~kids[0] */
	N_CMP,     /* kids[0..n), ops[0..n-1) */
	N_BIN,     /* kids[0] op kids[1] */
	N_CALL,    /* call = function, kids = args */
	N_METHOD,  /* call = method, kids[0] = receiver, kids[1..] = args */
	N_INDEX,   /* kids[0][kids[1]] */
	N_SLICE,   /* kids[0][kids[1]:kids[2]:kids[3]], each may be NULL */
	N_SERIES,  /* study_trigger_series term: v = lower-cased text */
	N_IN_TAGS, /* kids[0] in tags */
	N_DICT,    /* kids = key, value, key, value, ... */
	N_SET,     /* kids = items */
} rule_node_kind;

typedef enum {
	OP_EQ,
	OP_NE,
	OP_LT,
	OP_LE,
	OP_GT,
	OP_GE,
	OP_IN,
	OP_NOTIN,
	OP_ADD,
	OP_SUB,
	OP_MUL,
	OP_DIV,
	OP_FLOORDIV,
	OP_MOD,
	OP_BITOR,
	OP_BITAND,
	OP_BITXOR,
	OP_POW,
	OP_IS,
	OP_ISNOT,
	OP_LSHIFT,
	OP_RSHIFT,
} rule_op;

typedef struct rule_node rule_node;
struct rule_node {
	rule_node_kind  kind;
	unsigned        op;   /* N_BIN: rule_op */
	rule_builtin_fn call; /* N_CALL, N_METHOD: the row's function */
	size_t          depth;
	size_t          nkids;
	rule_node     **kids;
	uint8_t        *ops;  /* N_CMP: nkids - 1 rule_op */
	rule_value      v;    /* N_CONST, N_SERIES */
	const char     *key;  /* N_TAG */
	const char     *why;  /* N_TAG: "missing tag X" */
	atomic_size_t  *hint; /* N_TAG: where the key was last found */
	size_t          off;  /* N_TAGS, N_CONST: byte offset in the text */
	size_t          ref;  /* N_TAG of @X@: 1 + its index in rule.refs */
	bool            fold;
};

struct rule {
	rule_arena   arena;
	rule_node   *root;
	const char **tags;    /* malloc'd array of arena strings */
	bool        *tagfold; /* malloc'd, parallel to tags */
	size_t       ntags, tagcap;
	/* The @X@ references: mercure rewrites the ones whose tag exists and
	 * leaves the others in the text, a SyntaxError that makes the whole
	 * rule false, so each is checked before the tree is evaluated. */
	rule_node **refs; /* arena */
	size_t      nrefs, refcap;
	bool        series; /* compiled by rule_compile_series */
};

/* ---- the parser's shared state and helpers (rule_parse.c), used by
 * rule_atom.c; each rule_p_* that fails records the first error ---- */

typedef struct rule_parser {
	const char       *text;
	const rule_token *t;   /* tokens, TK_EOF last */
	size_t            pos; /* current token */
	rule             *r;
	mc_diag          *d;
	mc_err            rv; /* first error wins */
	size_t            nesting;
	bool              series; /* study_trigger_series mode */
} rule_parser;

const rule_token *rule_p_cur(const rule_parser *p);
bool              rule_p_accept(rule_parser *p, rule_tok_kind k);
rule_node        *rule_p_fail(rule_parser *p, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
rule_node *rule_p_unexpected(rule_parser *p);
/* rule_p_refused - why Python's name[0..n) is refused here as mercure's
 * safe mode refuses it (if, for, lambda, format, __x), or NULL. */
const char *rule_p_refused(const char *name, size_t n);
rule_node  *rule_p_oom(rule_parser *p);
/* rule_p_node - a new node with room for nkids children. */
rule_node *rule_p_node(rule_parser *p, rule_node_kind kind, size_t nkids);
/* rule_p_seal - set n's depth from its children; refuses deep trees. */
rule_node *rule_p_seal(rule_parser *p, rule_node *n, size_t off);
rule_node *rule_p_binary(rule_parser *p, rule_node_kind kind, unsigned op,
    rule_node *a, rule_node *b, size_t off);
/* rule_p_push - append x to an arena array that grows by doubling. */
bool rule_p_push(
    rule_parser *p, rule_node ***v, size_t *n, size_t *cap, rule_node *x);
rule_node *rule_parse_expr(rule_parser *p);
rule_node *rule_parse_postfix(rule_parser *p);
rule_node *rule_parse_series_atom(rule_parser *p);

/* rule_parse - the tree of toks (from rule_lex, TK_EOF-terminated, not
 * empty) in r's arena; NULL with *rv (MC_ENOMEM or MC_ESYNTAX, d filled)
 * on failure. series: study_trigger_series' grammar. */
rule_node *rule_parse(const char *text, const rule_token *toks, rule *r,
    bool series, mc_diag *d, mc_err *rv);

/* rule_note_tag - add name (arena-owned) to r's list of tags read; fold:
 * read as tags.X, so a key equal ignoring ASCII case also counts. */
mc_err rule_note_tag(rule *r, const char *name, bool fold);

/* ---- evaluation (rule_eval.c, rule_arith.c, rule_builtin.c, rule_method.c)
 * ---- */

typedef struct rule_scratch_chunk rule_scratch_chunk;

/* Per-evaluation memory: a caller's stack buffer first, then heap
 * chunks freed when the evaluation ends. */
typedef struct rule_scratch {
	char               *buf;
	size_t              cap, used;
	rule_scratch_chunk *more;
} rule_scratch;

typedef struct rule_ctx {
	const mc_tagset   *tags;
	const char *const *descs; /* rule_series_match */
	size_t             ndescs;
	rule_scratch       sc;
	const char        *why; /* set with the first runtime error */
	const char *const
	    *refvals; /* the values of rule.refs, looked up first */
} rule_ctx;

void *rule_scratch_alloc(rule_ctx *c, size_t n); /* NULL: why set */

/* rule_fail - record the first runtime error (a static text); false. */
bool rule_fail(rule_ctx *c, const char *why);

/* Each returns false with c->why set on a runtime error. */
bool rule_eval_node(const rule_node *n, rule_ctx *c, rule_value *out);

bool rule_truthy(const rule_value *v);
bool rule_equal(const rule_value *a, const rule_value *b);
/* rule_hashable - Python's hash() would succeed (no list, dict or set
 * inside); else false after a TypeError */
bool rule_hashable(rule_ctx *c, const rule_value *v);
/* rule_items - the items of anything iterable (a string's code points
 * as views, a dict's keys, a range's ints, at most RULE_SEQ_MAX of them)
 * as an array that may be the value's own; TypeError otherwise. */
bool rule_items(
    rule_ctx *c, const rule_value *v, const rule_value **items, size_t *n);
/* rule_collect - a dict of n pairs (items key, value, ...) or a set of
 * n items, as Python builds the literal: keys must be hashable, a later
 * equal key replaces the value in the first one's place. items is
 * scratch memory that the result may keep. */
bool rule_collect(
    rule_ctx *c, rule_value *items, size_t n, bool dict, rule_value *out);
/* rule_set_op - a | b, a & b, a - b, a ^ b of two sets (V_SET) */
bool rule_set_op(rule_ctx *c, unsigned op, const rule_value *a,
    const rule_value *b, rule_value *out);
/* rule_subset - every item of a is in b (proper: and b has more) */
bool rule_subset(const rule_value *a, const rule_value *b, bool proper);
/* rule_range_len - the number of ints in a V_RANGE */
int64_t rule_range_len(const rule_value *v);
/* rule_contains - Python's "x in seq" */
bool rule_contains(
    rule_ctx *c, const rule_value *x, const rule_value *in, bool *res);
/* rule_call_fn - call a V_FUNC on args[0..nargs) (map, filter) */
bool rule_call_fn(rule_ctx *c, const rule_value *f, const rule_value *args,
    size_t nargs, rule_value *out);
/* rule_str, rule_repr - Python's str(v) and repr(v), at most
 * RULE_STR_RESULT_MAX bytes (RuntimeError beyond) */
bool rule_str(rule_ctx *c, const rule_value *v, rule_value *out);
bool rule_repr(rule_ctx *c, const rule_value *v, rule_value *out);
/* rule_float_repr - Python's repr(float) into out (40 bytes) */
void rule_float_repr(double x, char *out);
bool rule_fn_format(
    rule_ctx *c, const rule_value *args, size_t nargs, rule_value *out);
bool rule_fn_repr(
    rule_ctx *c, const rule_value *args, size_t nargs, rule_value *out);
/* rule_format_spec - Python's format(v, spec) */
bool rule_format_spec(
    rule_ctx *c, const rule_value *v, const rule_value *spec, rule_value *out);
/* rule_percent - Python's fmt % args for a string fmt */
bool rule_percent(rule_ctx *c, const rule_value *fmt, const rule_value *args,
    rule_value *out);
bool rule_arith(rule_ctx *c, unsigned op, const rule_value *a,
    const rule_value *b, rule_value *out);
bool rule_negate(rule_ctx *c, const rule_value *a, bool neg, rule_value *out);
bool rule_invert(rule_ctx *c, const rule_value *a, rule_value *out);
bool rule_index(rule_ctx *c, const rule_value *obj, const rule_value *lo,
    const rule_value *hi, bool slice, rule_value *out);
/* rule_slice_step - obj[lo:hi:step] for a step other than None and 1. */
bool rule_slice_step(rule_ctx *c, const rule_value *obj, const rule_value *lo,
    const rule_value *hi, const rule_value *step, rule_value *out);
bool rule_compare(rule_ctx *c, unsigned op, const rule_value *a,
    const rule_value *b, bool *res);
size_t rule_utf8_len(const char *p, size_t n);

/* Numbers: bool, int and float mix as in Python. */
static inline bool
rule_is_num(const rule_value *v)
{
	return v->t == V_BOOL || v->t == V_INT || v->t == V_FLOAT;
}

static inline int64_t
rule_as_int(const rule_value *v)
{
	return v->t == V_BOOL ? (int64_t) v->u.b : v->u.i;
}

static inline double
rule_as_double(const rule_value *v)
{
	return v->t == V_FLOAT ? v->u.f : (double) rule_as_int(v);
}

#endif
