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

static mc_err
compile(const char *text, size_t len, bool series, rule **out, mc_diag *d)
{
	rule            *r = calloc(1, sizeof(*r));
	rule_token      *toks = NULL;
	size_t           ntoks;
	mc_err           rv;
	const rule_node *b;

	*out = NULL;
	if (r == NULL)
		return MC_ENOMEM;
	r->series = series;
	if ((rv = rule_lex(text, len, &r->arena, &toks, &ntoks, d)) != MC_OK)
		goto fail;
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
