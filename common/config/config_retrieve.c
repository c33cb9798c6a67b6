/* config_retrieve.c - dicom_retrieve: the DICOM nodes studies are
 * queried on and fetched from (mercure-coordinator --query/--retrieve).
 * A node has the fields of mercure's dicom target (ip, port, aet_target,
 * aet_source), so that one written for either place reads the same.
 * mercure's own query tool lists its dicom targets whose direction is
 * "pull" or "both" (and its dicomweb ones); config_find_dicom_node
 * offers those too, so a mercure.json that uses them needs no change.
 * destination_folders (mercure's "store in a folder instead of routing") is
 * refused: here a retrieved study always enters through the receiver and the
 * rules. */
#include "config/config.h"

#include <stdio.h>
#include <string.h>

#include "config/config_int.h"

#define NODE_NAME_MAX_LEN 64

static const char *const node_known[] = {"name", "ip", "port", "aet_target",
    "aet_source", "comment", "contact", NULL};

enum { NODE_NAME, NODE_IP, NODE_PORT, NODE_AET_TARGET, NODE_AET_SOURCE };

/* a name is typed on a command line: no spaces, no shell characters */
static bool
name_is_valid(const char *s, size_t len)
{
	return len > 0 && len <= NODE_NAME_MAX_LEN &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                 "0123456789_.-") == len;
}

static void
check_name(
    cctx *x, const cnode *v, const char *path, config_dicom_node *n, size_t i)
{
	const char *s = NULL;

	if (!cval_str(x, v, path, &s) || s == NULL)
		return;
	if (!name_is_valid(s, v->len)) {
		cctx_error(x, v, path,
		    "invalid name '%s' (1 to %d of A-Z a-z 0-9 _ . -)", s,
		    NODE_NAME_MAX_LEN);
		return;
	}
	for (size_t k = 0; k < i; k++)
		if (x->cfg->dicom_nodes[k].name != NULL &&
		    strcmp(x->cfg->dicom_nodes[k].name, s) == 0) {
			cctx_error(x, v, path, "duplicate node name '%s'", s);
			return;
		}
	n->name = s;
}

static void
build_node(cctx *x, const cnode *m, config_dicom_node *n, size_t i)
{
	const cnode *f[NODE_AET_SOURCE + 1] = {NULL};
	char         path[CONFIG_PATH_MAX_LEN], sub[CONFIG_PATH_MAX_LEN];
	char         idx[24];

	snprintf(idx, sizeof(idx), "%zu", i);
	config_path(path, "dicom_retrieve.dicom_nodes", idx);
	n->line = m->line;
	n->column = m->column;
	n->aet_source = x->cfg->receiver.aet;
	if (!cval_map(x, m, path))
		return;
	for (size_t k = 0; k < m->n; k++) {
		const cnode *key = m->items[2 * k];
		int          id;
		config_path(
		    sub, path, key->kind == CNODE_SCALAR ? key->text : "?");
		id = config_fields_check(x, key, sub, node_known, NULL);
		if (id >= 0 && id <= NODE_AET_SOURCE)
			f[id] = m->items[2 * k + 1];
	}
	for (int k = NODE_NAME; k <= NODE_AET_TARGET; k++)
		if (f[k] == NULL || cval_is_null(f[k])) {
			cctx_error(
			    x, m, path, "missing field '%s'", node_known[k]);
			f[k] = NULL;
		}
	if (f[NODE_NAME] != NULL)
		check_name(
		    x, f[NODE_NAME], config_path(sub, path, "name"), n, i);
	if (f[NODE_IP] != NULL)
		config_check_host(
		    x, f[NODE_IP], config_path(sub, path, "ip"), &n->ip);
	if (f[NODE_PORT] != NULL)
		config_check_port(
		    x, f[NODE_PORT], config_path(sub, path, "port"), &n->port);
	if (f[NODE_AET_TARGET] != NULL)
		config_check_aet(x, f[NODE_AET_TARGET],
		    config_path(sub, path, "aet_target"), &n->aet_target);
	if (f[NODE_AET_SOURCE] != NULL &&
	    !(f[NODE_AET_SOURCE]->kind == CNODE_SCALAR &&
	        f[NODE_AET_SOURCE]->len == 0))
		config_check_aet(x, f[NODE_AET_SOURCE],
		    config_path(sub, path, "aet_source"), &n->aet_source);
}

static void
build_nodes(cctx *x, const cnode *v)
{
	config_dicom_node *nodes;

	if (cval_is_null(v))
		return;
	if (v->kind != CNODE_SEQ) {
		cctx_error(x, v, "dicom_retrieve.dicom_nodes",
		    "expected a list of nodes");
		return;
	}
	if (v->n == 0)
		return;
	nodes = config_mem_alloc(x->mem, v->n * sizeof(*nodes));
	if (nodes == NULL) {
		cctx_oom(x);
		return;
	}
	x->cfg->dicom_nodes = nodes;
	x->cfg->n_dicom_nodes = v->n;
	for (size_t i = 0; i < v->n; i++)
		build_node(x, v->items[i], &nodes[i], i);
}

/* dicom_retrieve: {dicom_nodes: [], destination_folders: []} is what
 * mercure saves when its query tool has nothing configured. */
void
config_build_dicom_retrieve(cctx *x, const cnode *v)
{
	static const char *const known[] = {
	    "dicom_nodes", "destination_folders", NULL};
	char path[CONFIG_PATH_MAX_LEN];

	if (!cval_map(x, v, "dicom_retrieve"))
		return;
	for (size_t i = 0; i < v->n; i++) {
		const cnode *k = v->items[2 * i], *f = v->items[2 * i + 1];
		config_path(path, "dicom_retrieve",
		    k->kind == CNODE_SCALAR ? k->text : "?");
		switch (config_fields_check(x, k, path, known, NULL)) {
		case 0:
			build_nodes(x, f);
			break;
		case 1:
			if (!cval_is_null(f) &&
			    !(f->kind == CNODE_SEQ && f->n == 0))
				cctx_error(x, f, path,
				    "not supported: a retrieved study enters "
				    "through the receiver and the rules; to "
				    "store it in a folder, force a rule whose "
				    "target is a folder (--force-rule)");
			break;
		default:
			break;
		}
	}
}

static bool
target_is_pull_source(const config_target *t)
{
	const char *d = config_kv_get(&t->fields, "direction");

	return d != NULL && (strcmp(d, "pull") == 0 || strcmp(d, "both") == 0);
}

static bool
from_dicomweb(const config_target *t, config_dicom_node *out)
{
	const config_kvlist *f = &t->fields;

	out->url = config_kv_get(f, "url");
	if (out->url == NULL || out->url[0] == '\0')
		return false;
	out->qido_url_prefix = config_kv_get(f, "qido_url_prefix");
	out->wado_url_prefix = config_kv_get(f, "wado_url_prefix");
	out->access_token = config_kv_get(f, "access_token");
	out->http_user = config_kv_get(f, "http_user");
	out->http_password = config_kv_get(f, "http_password");
	return true;
}

bool
config_find_dicom_node(
    const mc_config *c, const char *name, config_dicom_node *out)
{
	const config_target *t;

	for (size_t i = 0; i < c->n_dicom_nodes; i++)
		if (c->dicom_nodes[i].name != NULL &&
		    strcmp(c->dicom_nodes[i].name, name) == 0) {
			*out = c->dicom_nodes[i];
			return true;
		}
	t = config_find_target(c, name);
	if (t == NULL || !target_is_pull_source(t))
		return false;
	memset(out, 0, sizeof(*out));
	out->name = t->name;
	out->line = t->line;
	out->column = t->column;
	if (strcmp(t->type, "dicomweb") == 0)
		return from_dicomweb(t, out);
	if (strcmp(t->type, "dicom") != 0 || t->ip == NULL ||
	    strcmp(t->ip, "sender") == 0)
		return false;
	out->ip = t->ip;
	out->port = t->port;
	out->aet_target = t->aet_target;
	out->aet_source = t->aet_source;
	return true;
}
