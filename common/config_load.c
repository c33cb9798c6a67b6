/* config_load.c - reads the configuration file, parses it with libyaml
 * (the only file that includes <yaml.h>) into our own document tree, and
 * hands the tree to config_build(). YAML syntax errors and duplicate keys
 * are reported here; everything about field meaning is elsewhere.
 *
 * Design notes: libyaml marks are 0-based, ours 1-based. Aliases share
 * one converted node (a memo per libyaml node index), so a "billion
 * laughs" document costs no more memory here than in libyaml; an alias
 * that refers to a node still being converted is a cycle and rejected. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "config_int.h"

#define CONFIG_MAX_DEPTH 64
#define CONFIG_FILE_MAX_BYTES (16u * 1024u * 1024u)

/* The node being converted is marked so that a cycle is detected. */
static const cnode cnode_busy;

typedef struct conv {
	cctx            *x;
	yaml_document_t *doc;
	const cnode    **memo; /* per libyaml node index */
	size_t           n_nodes;
} conv;

static const cnode *conv_node(conv *c, int id, int depth, const char *path);

static cnode *
conv_new(conv *c, const yaml_node_t *yn, cnode_kind kind)
{
	cnode *n = config_mem_alloc(c->x->mem, sizeof(*n));

	if (n == NULL) {
		cctx_oom(c->x);
		return NULL;
	}
	n->kind = kind;
	n->line = yn->start_mark.line + 1;
	n->column = yn->start_mark.column + 1;
	return n;
}

static const cnode *
conv_scalar(conv *c, const yaml_node_t *yn)
{
	cnode *n = conv_new(c, yn, CNODE_SCALAR);

	if (n == NULL)
		return NULL;
	n->len = yn->data.scalar.length;
	n->text = config_mem_strndup(
	    c->x->mem, (const char *)yn->data.scalar.value, n->len);
	if (n->text == NULL) {
		cctx_oom(c->x);
		return NULL;
	}
	n->one_line = yn->start_mark.line == yn->end_mark.line;
	if (n->one_line)
		n->width = yn->end_mark.column - yn->start_mark.column;
	switch (yn->data.scalar.style) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:
		n->style = CNODE_SINGLE_QUOTED;
		break;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
		n->style = CNODE_DOUBLE_QUOTED;
		break;
	case YAML_LITERAL_SCALAR_STYLE:
	case YAML_FOLDED_SCALAR_STYLE:
		n->style = CNODE_BLOCK;
		break;
	default:
		n->style = CNODE_PLAIN;
		break;
	}
	return n;
}

static const cnode *
conv_seq(conv *c, const yaml_node_t *yn, int depth, const char *path)
{
	char   sub[CONFIG_PATH_MAX_LEN];
	cnode *n = conv_new(c, yn, CNODE_SEQ);
	size_t count = (size_t)(yn->data.sequence.items.top -
	                        yn->data.sequence.items.start);

	if (n == NULL)
		return NULL;
	n->items = config_mem_alloc(c->x->mem, (count + 1) * sizeof(cnode *));
	if (n->items == NULL) {
		cctx_oom(c->x);
		return NULL;
	}
	for (size_t i = 0; i < count; i++) {
		const cnode *it;
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		it = conv_node(c, yn->data.sequence.items.start[i], depth + 1,
		               sub);
		if (it == NULL)
			return NULL;
		n->items[n->n++] = it;
	}
	return n;
}

/* map_has_key - the earlier pair with the same scalar key, or NULL. */
static const cnode *
map_has_key(const cnode *m, const cnode *key)
{
	if (key->kind != CNODE_SCALAR)
		return NULL;
	for (size_t i = 0; i < m->n; i++) {
		const cnode *k = m->items[2 * i];
		if (k->kind == CNODE_SCALAR && k->len == key->len &&
		    memcmp(k->text, key->text, key->len) == 0)
			return k;
	}
	return NULL;
}

static const cnode *
conv_map(conv *c, const yaml_node_t *yn, int depth, const char *path)
{
	char                    sub[CONFIG_PATH_MAX_LEN];
	cnode                  *n = conv_new(c, yn, CNODE_MAP);
	const yaml_node_pair_t *p = yn->data.mapping.pairs.start;
	size_t count = (size_t)(yn->data.mapping.pairs.top - p);

	if (n == NULL)
		return NULL;
	n->items =
	    config_mem_alloc(c->x->mem, (2 * count + 1) * sizeof(cnode *));
	if (n->items == NULL) {
		cctx_oom(c->x);
		return NULL;
	}
	for (size_t i = 0; i < count; i++) {
		const cnode *k = conv_node(c, p[i].key, depth + 1, path);
		const cnode *v, *dup;
		if (k == NULL)
			return NULL;
		config_path(sub, path,
		            k->kind == CNODE_SCALAR ? k->text : "?");
		if ((v = conv_node(c, p[i].value, depth + 1, sub)) == NULL)
			return NULL;
		if ((dup = map_has_key(n, k)) != NULL) {
			cctx_error(c->x, k, sub,
			           "duplicate key (first at line %zu)",
			           dup->line);
			continue;
		}
		n->items[2 * n->n] = k;
		n->items[2 * n->n + 1] = v;
		n->n++;
	}
	return n;
}

static const cnode *
conv_node(conv *c, int id, int depth, const char *path)
{
	yaml_node_t *yn = yaml_document_get_node(c->doc, id);
	const cnode *n = NULL;

	if (yn == NULL || id < 1 || (size_t)id > c->n_nodes) {
		cctx_diag(c->x, CONFIG_ERROR, 0, 0, "", "invalid document");
		return NULL;
	}
	if (c->memo[id - 1] == &cnode_busy || depth > CONFIG_MAX_DEPTH) {
		cctx_diag(c->x, CONFIG_ERROR, yn->start_mark.line + 1,
		          yn->start_mark.column + 1, path,
		          "nesting too deep or recursive alias");
		return NULL;
	}
	if (c->memo[id - 1] != NULL)
		return c->memo[id - 1];
	c->memo[id - 1] = &cnode_busy;
	switch (yn->type) {
	case YAML_SCALAR_NODE:
		n = conv_scalar(c, yn);
		break;
	case YAML_SEQUENCE_NODE:
		n = conv_seq(c, yn, depth, path);
		break;
	case YAML_MAPPING_NODE:
		n = conv_map(c, yn, depth, path);
		break;
	default:
		cctx_diag(c->x, CONFIG_ERROR, 0, 0, "", "invalid document");
		break;
	}
	c->memo[id - 1] = n;
	return n;
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

/* parse_and_build - YAML text to tree to configuration, in x->cfg. */
static void
parse_and_build(cctx *x, const char *text, size_t len)
{
	yaml_parser_t   parser;
	yaml_document_t doc;
	conv            c = {.x = x, .doc = &doc};
	const cnode    *root;

	if (!yaml_parser_initialize(&parser)) {
		cctx_oom(x);
		return;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
	                             len);
	if (!yaml_parser_load(&parser, &doc)) {
		report_syntax(x, &parser);
		yaml_parser_delete(&parser);
		return;
	}
	if (yaml_document_get_root_node(&doc) == NULL) {
		cctx_diag(x, CONFIG_ERROR, 1, 1, "", "empty configuration");
		goto done;
	}
	c.n_nodes = (size_t)(doc.nodes.top - doc.nodes.start);
	c.memo = calloc(c.n_nodes, sizeof(*c.memo));
	if (c.memo == NULL) {
		cctx_oom(x);
		goto done;
	}
	root = conv_node(&c, 1, 0, "");
	free(c.memo);
	if (root != NULL)
		config_build(x, root);
done:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
}

mc_err
config_load_buffer(const char *name, const char *text, size_t len,
                   mc_config **out, config_diag *diags, size_t max_diags,
                   size_t *n_diags)
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
	x.cfg->mem = (struct config_mem *)x.mem;
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
	rv = config_load_buffer(path, text, len, out, diags, max_diags,
	                        n_diags);
	free(text);
	return rv;
}
