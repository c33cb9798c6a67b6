/* rule_compile.c - the public face of the rule module: compile a rule
 * (lex, parse, check), free it, and list the tags it reads. The grammar
 * is in rule_parse.c, the evaluation in rule_eval.c. */
#include "rule/rule_int.h"

#include <stdlib.h>
#include <string.h>

mc_err
rule_note_tag(rule *r, const char *name, bool fold)
{
	for (size_t i = 0; i < r->ntags; i++)
		if (strcmp(r->tags[i], name) == 0) {
			r->tagfold[i] = r->tagfold[i] || fold;
			return MC_OK;
		}
	if (r->ntags == r->tagcap) {
		size_t       cap = r->tagcap ? r->tagcap * 2 : 8;
		const char **nt = realloc(r->tags, cap * sizeof(*nt));
		bool        *nf;
		if (nt == NULL)
			return MC_ENOMEM;
		r->tags = nt;
		if ((nf = realloc(r->tagfold, cap * sizeof(*nf))) == NULL)
			return MC_ENOMEM;
		r->tagfold = nf;
		r->tagcap = cap;
	}
	r->tagfold[r->ntags] = fold;
	r->tags[r->ntags++] = name;
	return MC_OK;
}

/* bare_tags - the first N_TAGS left in the tree: 'tags' used as a value
 * rather than as tags.X, tags["X"], "X" in tags or len(tags). */
static const rule_node *
bare_tags(const rule_node *n)
{
	if (n == NULL)
		return NULL;
	if (n->kind == N_TAGS)
		return n;
	for (size_t i = 0; i < n->nkids; i++) {
		const rule_node *b = bare_tags(n->kids[i]);
		if (b != NULL)
			return b;
	}
	return NULL;
}

/* indented - the offset of the first line's indentation when the first
 * line that is not blank starts with a space or tab (ast.parse raises
 * IndentationError, so mercure's rule is always false), else len. */
static size_t
indented(const char *text, size_t len)
{
	size_t line = 0, i;

	for (i = 0; i < len && strchr(" \t\f\v\r\n", text[i]) && text[i]; i++)
		if (text[i] == '\n')
			line = i + 1;
	return i < len && i > line ? line : len;
}

bool
rule_starts_indented(const char *text)
{
	size_t len = text ? strlen(text) : 0;

	return indented(text, len) < len;
}

/* line_break - the offset of the first token that follows a new line
 * outside brackets (Python ends the statement there: a SyntaxError in
 * mercure, or a second statement), else 0. A backslash joins lines. */
static size_t
line_break(const char *text, const rule_token *toks, size_t n)
{
	long depth = 0;

	for (size_t k = 1; k < n && toks[k].kind != TK_EOF; k++) {
		rule_tok_kind prev = toks[k - 1].kind;
		depth += prev == TK_LPAREN || prev == TK_LBRACK ||
		         prev == TK_LBRACE;
		depth -= prev == TK_RPAREN || prev == TK_RBRACK ||
		         prev == TK_RBRACE;
		if (depth > 0)
			continue;
		for (size_t i = toks[k - 1].off + toks[k - 1].len;
		     i < toks[k].off; i++)
			if (text[i] == '\n' && text[i - 1] != '\\')
				return toks[k].off;
	}
	return 0;
}

static mc_err
compile(const char *text, size_t len, bool series, rule **out, mc_diag *d)
{
	rule            *r = calloc(1, sizeof(*r));
	rule_token      *toks = NULL;
	size_t           ntoks, at;
	mc_err           rv;
	const rule_node *b;

	*out = NULL;
	if (r == NULL)
		return MC_ENOMEM;
	r->series = series;
	if (!series && (at = indented(text, len)) < len) {
		rv = rule_syntax_error(d, text, at,
		    "unexpected indent: a rule must not start with a space "
		    "or tab (mercure's IndentationError)");
		goto fail;
	}
	if ((rv = rule_lex(text, len, &r->arena, &toks, &ntoks, d)) != MC_OK)
		goto fail;
	if (!series && (at = line_break(text, toks, ntoks)) > 0) {
		rv = rule_syntax_error(d, text, at,
		    "a new line outside brackets ends the rule in mercure "
		    "(a SyntaxError); use parentheses or one line");
		goto fail;
	}
	if (toks[0].kind == TK_EOF && !series) {
		rv = rule_syntax_error(
		    d, text, toks[0].off, "empty expression");
		goto fail;
	}
	/* An empty series list is met by any series (root NULL). */
	if (toks[0].kind != TK_EOF &&
	    (r->root = rule_parse(text, toks, r, series, d, &rv)) == NULL)
		goto fail;
	if ((b = bare_tags(r->root)) != NULL) {
		rv = rule_syntax_error(d, text, b->off,
		    "'tags' must be used "
		    "as tags.Name, tags['Name'] or 'Name' in tags");
		goto fail;
	}
	free(toks);
	*out = r;
	return MC_OK;
fail:
	free(toks);
	rule_free(r);
	return rv;
}

mc_err
rule_compile(const char *text, size_t len, rule **out, mc_diag *d)
{
	return compile(text, len, false, out, d);
}

mc_err
rule_compile_series(const char *text, size_t len, rule **out, mc_diag *d)
{
	return compile(text, len, true, out, d);
}

void
rule_free(rule *r)
{
	if (r == NULL)
		return;
	rule_arena_fini(&r->arena);
	free(r->tags);
	free(r->tagfold);
	free(r);
}

size_t
rule_tag_count(const rule *r)
{
	return r->ntags;
}

const char *
rule_tag_at(const rule *r, size_t i)
{
	return i < r->ntags ? r->tags[i] : NULL;
}
