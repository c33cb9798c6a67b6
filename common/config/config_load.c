/* config_load.c - reads the configuration file, parses it with libyaml
 * (the only file that includes <yaml.h>) into our own document tree, and
 * hands the tree to config_build(). YAML syntax errors, duplicate keys and
 * the document limits are reported here; everything about field meaning
 * is elsewhere.
 *
 * Design notes: libyaml marks are 0-based, ours 1-based. The tree is built
 * from libyaml's events, not from its document loader, so that the limits
 * apply while parsing: a document nested deeper than CONFIG_MAX_DEPTH
 * stops the parser at the first level too many (libyaml's scanner costs
 * time quadratic in the flow nesting depth), and one that would have more
 * than CONFIG_MAX_NODES nodes with every alias expanded stops at the node
 * or alias that crosses the limit. Aliases share one built node, so a
 * "billion laughs" document costs no memory; the expanded count bounds
 * what any later walk of the tree (the JSON of a module's settings) can
 * cost. An alias to a node still being built is a cycle and rejected. */
#include "config/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>
#include <yaml.h>

#include "config/config_int.h"

#define CONFIG_FILE_MAX_BYTES (16u * 1024u * 1024u)

/* A named anchor and the node it names (NULL: still being built). */
typedef struct anchor {
	char          *name;
	const cnode   *node;
	size_t         weight; /* nodes with aliases expanded */
	UT_hash_handle hh;
} anchor;

/* One collection being built. */
typedef struct frame {
	cnode *node;
	const cnode         *
            *items; /* malloc'd while open, in the arena once closed */
	size_t       n, cap;
	const cnode *key;   /* mapping: the key whose value comes next */
	anchor      *anc;   /* NULL: no anchor */
	size_t       first; /* b->nodes when the collection started */
	char         path[CONFIG_PATH_MAX_LEN];
} frame;

typedef struct builder {
	cctx        *x;
	frame        stack[CONFIG_MAX_DEPTH + 1];
	int          depth; /* open collections */
	size_t       nodes; /* so far, aliases expanded */
	anchor      *anchors;
	const cnode *root;
	bool         failed;
} builder;

static void
fail_oom(builder *b)
{
	cctx_oom(b->x);
	b->failed = true;
}

/* child_path - the field path of the node that comes next, in buf. */
static const char *
child_path(const builder *b, char buf[CONFIG_PATH_MAX_LEN])
{
	const frame *f;

	if (b->depth == 0)
		return "";
	f = &b->stack[b->depth - 1];
	if (f->node->kind == CNODE_SEQ) {
		/* a path too long is cut, as config_path does */
		if (snprintf(buf, CONFIG_PATH_MAX_LEN, "%s[%zu]", f->path,
		        f->n) >= CONFIG_PATH_MAX_LEN)
			buf[CONFIG_PATH_MAX_LEN - 1] = '\0';
	} else if (f->key != NULL)
		config_path(buf, f->path,
		    f->key->kind == CNODE_SCALAR ? f->key->text : "?");
	else
		return f->path;
	return buf;
}

/* count - one more node (weight: its size with aliases expanded) at m,
 * within the limits. */
static bool
count(builder *b, const yaml_mark_t *m, size_t weight)
{
	char path[CONFIG_PATH_MAX_LEN];

	if (b->depth >= CONFIG_MAX_DEPTH + 1) {
		cctx_diag(b->x, CONFIG_ERROR, m->line + 1, m->column + 1,
		    child_path(b, path), "nesting deeper than %d levels",
		    CONFIG_MAX_DEPTH);
		b->failed = true;
		return false;
	}
	if (weight > CONFIG_MAX_NODES - b->nodes) {
		cctx_diag(b->x, CONFIG_ERROR, m->line + 1, m->column + 1,
		    child_path(b, path),
		    "more than %u nodes (aliases counted in full)",
		    CONFIG_MAX_NODES);
		b->failed = true;
		return false;
	}
	b->nodes += weight;
	return true;
}

static bool
items_push(builder *b, frame *f, const cnode *n)
{
	if (f->n == f->cap) {
		size_t        cap = f->cap ? 2 * f->cap : 8;
		const cnode **p = realloc(f->items, cap * sizeof(*p));
		if (p == NULL) {
			fail_oom(b);
			return false;
		}
		f->items = p;
		f->cap = cap;
	}
	f->items[f->n++] = n;
	return true;
}

/* attach - n is complete: the root, an item, a key or a value. */
static void
attach(builder *b, const cnode *n)
{
	frame *f;

	if (b->depth == 0) {
		if (b->root == NULL)
			b->root = n;
		return;
	}
	f = &b->stack[b->depth - 1];
	if (f->node->kind == CNODE_SEQ) {
		(void) items_push(b, f, n);
	} else if (f->key == NULL) {
		f->key = n;
	} else {
		if (items_push(b, f, f->key))
			(void) items_push(b, f, n);
		f->key = NULL;
	}
}

static anchor *
anchor_define(builder *b, const yaml_char_t *name)
{
	anchor *a;

	if (name == NULL)
		return NULL;
	HASH_FIND_STR(b->anchors, (const char *) name, a);
	if (a == NULL) {
		if ((a = calloc(1, sizeof(*a))) == NULL ||
		    (a->name = strdup((const char *) name)) == NULL) {
			free(a);
			fail_oom(b);
			return NULL;
		}
		HASH_ADD_KEYPTR(hh, b->anchors, a->name, strlen(a->name), a);
	}
	a->node = NULL; /* being built: an alias to it now is a cycle */
	return a;
}

static void
anchors_free(builder *b)
{
	anchor *a, *tmp;

	HASH_ITER(hh, b->anchors, a, tmp)
	{
		HASH_DEL(b->anchors, a);
		free(a->name);
		free(a);
	}
}

static cnode *
node_new(builder *b, const yaml_mark_t *m, cnode_kind kind)
{
	cnode *n = config_mem_alloc(b->x->mem, sizeof(*n));

	if (n == NULL) {
		fail_oom(b);
		return NULL;
	}
	n->kind = kind;
	n->line = m->line + 1;
	n->column = m->column + 1;
	return n;
}

static cnode_style
style_of(yaml_scalar_style_t s)
{
	switch (s) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:
		return CNODE_SINGLE_QUOTED;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
		return CNODE_DOUBLE_QUOTED;
	case YAML_LITERAL_SCALAR_STYLE:
	case YAML_FOLDED_SCALAR_STYLE:
		return CNODE_BLOCK;
	default:
		return CNODE_PLAIN;
	}
}

static void
on_scalar(builder *b, const yaml_event_t *e)
{
	cnode  *n;
	anchor *a;

	if (!count(b, &e->start_mark, 1) ||
	    (n = node_new(b, &e->start_mark, CNODE_SCALAR)) == NULL)
		return;
	n->len = e->data.scalar.length;
	n->text = config_mem_strndup(
	    b->x->mem, (const char *) e->data.scalar.value, n->len);
	if (n->text == NULL) {
		fail_oom(b);
		return;
	}
	n->one_line = e->start_mark.line == e->end_mark.line;
	if (n->one_line)
		n->width = e->end_mark.column - e->start_mark.column;
	n->style = style_of(e->data.scalar.style);
	if ((a = anchor_define(b, e->data.scalar.anchor)) != NULL) {
		a->node = n;
		a->weight = 1;
	}
	attach(b, n);
}

static void
on_alias(builder *b, const yaml_event_t *e)
{
	const char *name = (const char *) e->data.alias.anchor;
	char        path[CONFIG_PATH_MAX_LEN];
	anchor     *a;

	HASH_FIND_STR(b->anchors, name, a);
	if (a == NULL || a->node == NULL) {
		cctx_diag(b->x, CONFIG_ERROR, e->start_mark.line + 1,
		    e->start_mark.column + 1, child_path(b, path),
		    a == NULL ? "undefined alias *%s" : "recursive alias *%s",
		    name);
		b->failed = true;
		return;
	}
	if (count(b, &e->start_mark, a->weight))
		attach(b, a->node);
}

static void
on_start(builder *b, const yaml_event_t *e, cnode_kind kind)
{
	const yaml_char_t *anc = kind == CNODE_SEQ
	                             ? e->data.sequence_start.anchor
	                             : e->data.mapping_start.anchor;
	char               path[CONFIG_PATH_MAX_LEN];
	const char        *p;
	frame             *f;
	cnode             *n;

	if (!count(b, &e->start_mark, 1) ||
	    (n = node_new(b, &e->start_mark, kind)) == NULL)
		return;
	p = child_path(b, path);
	f = &b->stack[b->depth];
	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "%s", p);
	f->node = n;
	f->first = b->nodes - 1;
	f->anc = anchor_define(b, anc);
	b->depth++;
}

/* A scalar key and its pair's place in the mapping. */
typedef struct keyat {
	const cnode *k;
	size_t       at;
} keyat;

/* keyat_cmp - by text, equal texts in document order. */
static int
keyat_cmp(const void *pa, const void *pb)
{
	const keyat *a = pa, *b = pb;
	size_t       la = a->k->len, lb = b->k->len;
	int          c = memcmp(a->k->text, b->k->text, la < lb ? la : lb);

	if (c != 0)
		return c;
	if (la != lb)
		return la < lb ? -1 : 1;
	return a->at < b->at ? -1 : a->at > b->at;
}

/* drop_duplicate_keys - report every scalar key that repeats an earlier
 * one of the same mapping and drop its pair; sorted, not pairwise, so
 * that a large mapping costs n log n. */
static void
drop_duplicate_keys(builder *b, frame *f)
{
	size_t np = f->n / 2, nk = 0, w = 0;
	keyat *keys;
	bool  *gone;
	char   sub[CONFIG_PATH_MAX_LEN];

	if (np < 2)
		return;
	keys = malloc(np * sizeof(*keys));
	gone = calloc(np, sizeof(*gone));
	if (keys == NULL || gone == NULL) {
		free(keys);
		free(gone);
		fail_oom(b);
		return;
	}
	for (size_t i = 0; i < np; i++)
		if (f->items[2 * i]->kind == CNODE_SCALAR)
			keys[nk++] = (keyat){f->items[2 * i], i};
	qsort(keys, nk, sizeof(*keys), keyat_cmp);
	for (size_t i = 1, first = 0; i < nk; i++) {
		const cnode *k = keys[i].k, *f0 = keys[first].k;
		if (k->len != f0->len ||
		    memcmp(k->text, f0->text, k->len) != 0) {
			first = i;
			continue;
		}
		cctx_error(b->x, k, config_path(sub, f->path, k->text),
		    "duplicate key (first at line %zu)", f0->line);
		gone[keys[i].at] = true;
	}
	for (size_t i = 0; i < np; i++) {
		if (gone[i])
			continue;
		f->items[2 * w] = f->items[2 * i];
		f->items[2 * w + 1] = f->items[2 * i + 1];
		w++;
	}
	f->n = 2 * w;
	free(keys);
	free(gone);
}

static void
on_end(builder *b)
{
	frame *f = &b->stack[b->depth - 1];
	cnode *n = f->node;

	if (n->kind == CNODE_MAP)
		drop_duplicate_keys(b, f);
	n->items = config_mem_alloc(b->x->mem, (f->n + 1) * sizeof(cnode *));
	if (n->items == NULL) {
		fail_oom(b);
		return;
	}
	if (f->n > 0)
		memcpy(n->items, f->items, f->n * sizeof(cnode *));
	n->n = n->kind == CNODE_MAP ? f->n / 2 : f->n;
	if (f->anc != NULL) {
		f->anc->node = n;
		f->anc->weight = b->nodes - f->first;
	}
	free(f->items);
	f->items = NULL;
	b->depth--;
	attach(b, n);
}

static void
report_syntax(cctx *x, const yaml_parser_t *p)
{
	const char *problem = p->problem != NULL ? p->problem : "syntax error";

	if (p->error == YAML_MEMORY_ERROR) {
		cctx_oom(x);
		return;
	}
	if (p->context != NULL)
		cctx_diag(x, CONFIG_ERROR, p->problem_mark.line + 1,
		    p->problem_mark.column + 1, "", "%s %s", problem,
		    p->context);
	else
		cctx_diag(x, CONFIG_ERROR, p->problem_mark.line + 1,
		    p->problem_mark.column + 1, "", "%s", problem);
}

/* on_event - one parser event into the tree; false: stop (document
 * complete or failed). */
static bool
on_event(builder *b, const yaml_event_t *e)
{
	switch (e->type) {
	case YAML_SCALAR_EVENT:
		on_scalar(b, e);
		break;
	case YAML_ALIAS_EVENT:
		on_alias(b, e);
		break;
	case YAML_SEQUENCE_START_EVENT:
		on_start(b, e, CNODE_SEQ);
		break;
	case YAML_MAPPING_START_EVENT:
		on_start(b, e, CNODE_MAP);
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		on_end(b);
		break;
	case YAML_DOCUMENT_END_EVENT: /* the first document only */
	case YAML_STREAM_END_EVENT:
		return false;
	default:
		break;
	}
	return !b->failed;
}

/* parse - YAML text to the tree of its first document, in b->root. */
static void
parse(builder *b, const char *text, size_t len)
{
	yaml_parser_t parser;
	yaml_event_t  e;
	bool          more = true;

	if (!yaml_parser_initialize(&parser)) {
		fail_oom(b);
		return;
	}
	yaml_parser_set_input_string(
	    &parser, (const unsigned char *) text, len);
	while (more) {
		if (!yaml_parser_parse(&parser, &e)) {
			report_syntax(b->x, &parser);
			b->failed = true;
			break;
		}
		more = on_event(b, &e);
		yaml_event_delete(&e);
	}
	yaml_parser_delete(&parser);
	while (b->depth > 0)
		free(b->stack[--b->depth].items);
	anchors_free(b);
}

/* parse_and_build - YAML text to tree to configuration, in x->cfg. */
static void
parse_and_build(cctx *x, const char *text, size_t len)
{
	builder b = {.x = x};

	parse(&b, text, len);
	if (b.failed)
		return;
	if (b.root == NULL) {
		cctx_diag(x, CONFIG_ERROR, 1, 1, "", "empty configuration");
		return;
	}
	config_build(x, b.root);
}

mc_err
config_load_buffer(const char *name, const char *text, size_t len,
    mc_config **out, config_diag *diags, size_t max_diags, size_t *n_diags)
{
	cctx x = {.diags = diags, .max_diags = diags ? max_diags : 0};

	*out = NULL;
	if (n_diags != NULL)
		*n_diags = 0;
	x.mem = config_mem_create();
	x.cfg = x.mem ? config_mem_alloc(x.mem, sizeof(*x.cfg)) : NULL;
	x.file = x.mem ? config_mem_strndup(x.mem, name, strlen(name)) : NULL;
	if (x.cfg == NULL || x.file == NULL) {
		config_mem_destroy(x.mem);
		return MC_ENOMEM;
	}
	x.cfg->mem = (struct config_mem *) x.mem;
	x.cfg->path = x.file;
	parse_and_build(&x, text, len);
	cctx_sort(&x);
	if (n_diags != NULL)
		*n_diags = x.n_diags;
	if (x.oom || x.n_errors > 0) {
		config_destroy(x.cfg);
		return x.oom ? MC_ENOMEM : MC_ECONFIG;
	}
	*out = x.cfg;
	return MC_OK;
}

/* read_file - the whole file into a new buffer; errno-style result. */
static int
read_file(const char *path, char **text, size_t *len)
{
	FILE  *f = fopen(path, "rb");
	char  *buf;
	size_t n;

	if (f == NULL)
		return errno;
	buf = malloc(CONFIG_FILE_MAX_BYTES + 1);
	if (buf == NULL) {
		fclose(f);
		return ENOMEM;
	}
	n = fread(buf, 1, CONFIG_FILE_MAX_BYTES + 1, f);
	if (ferror(f) || n > CONFIG_FILE_MAX_BYTES) {
		int e = ferror(f) ? EIO : EFBIG;
		fclose(f);
		free(buf);
		return e;
	}
	fclose(f);
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

mc_err
config_load_file(const char *path, mc_config **out, config_diag *diags,
    size_t max_diags, size_t *n_diags)
{
	char  *text = NULL;
	size_t len = 0;
	int    e;
	mc_err rv;

	*out = NULL;
	if (n_diags != NULL)
		*n_diags = 0;
	if ((e = read_file(path, &text, &len)) != 0) {
		if (diags != NULL && max_diags > 0) {
			memset(&diags[0], 0, sizeof(diags[0]));
			diags[0].severity = CONFIG_ERROR;
			snprintf(diags[0].d.file, sizeof(diags[0].d.file),
			    "%s", path);
			snprintf(diags[0].d.msg, sizeof(diags[0].d.msg),
			    "cannot read: %s",
			    e == EFBIG ? "file too large" : strerror(e));
			if (n_diags != NULL)
				*n_diags = 1;
		}
		return e == EFBIG ? MC_EIO : mc_from_errno(e);
	}
	rv = config_load_buffer(
	    path, text, len, out, diags, max_diags, n_diags);
	free(text);
	return rv;
}
