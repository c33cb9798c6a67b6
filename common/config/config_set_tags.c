/* config_set_tags.c - the set_tags operations as the configuration
 * checks them, for a rule's `set_tags` and for the settings of the
 * built-in module set_tags (one syntax for both; docs/set_tags.md): the
 * shape of each operation here, its tags, template, pattern and value
 * against the DICOM dictionary in dcm/dcm_edit.h, each finding at the
 * node it is about. */
#include "config/config.h"

#include <stdio.h>
#include <string.h>

#include "config/config_int.h"
#include "dcm/dcm_edit.h"

enum { OP_TAG, OP_SET, OP_REMOVE, OP_COPY_FROM, OP_REGEX, OP_REPLACE, OP_N };

static const char *const OP_FIELDS[] = {
    "tag", "set", "remove", "copy_from", "regex", "replace", NULL};

/* text - a scalar to use as text. A plain YAML number is only kept
 * exactly when it is an integer (the worker reads the settings as JSON,
 * where 1.50 would become 1.5); booleans and null are no text at all. */
static const char *
text(cctx *x, const cnode *v, const char *path)
{
	if (v->kind != CNODE_SCALAR) {
		cctx_error(x, v, path, "expected a string");
		return NULL;
	}
	if (v->style == CNODE_PLAIN &&
	    (cval_is_null(v) || cval_bool_word(v) >= 0 ||
	        (strpbrk(v->text, ".eE") != NULL &&
	            strspn(v->text, "-+.0123456789eE") == v->len))) {
		cctx_error(x, v, path,
		    "write '%s' in quotes: unquoted, YAML reads it as %s",
		    v->text,
		    cval_is_null(v)          ? "null"
		    : cval_bool_word(v) >= 0 ? "a boolean"
		                             : "a number");
		return NULL;
	}
	return v->text;
}

/* one operation: mapping m at index i of the list */
static void
check_op(cctx *x, const cnode *m, const char *path)
{
	const cnode   *f[OP_N] = {0};
	char           sub[CONFIG_PATH_MAX_LEN], err[256];
	dcm_edit_op    op = {DCM_EDIT_SET, NULL, NULL, NULL};
	dcm_edit_field field = DCM_EDIT_FIELD_TAG;
	const cnode   *what = NULL;
	int            n_what = 0;
	size_t         errors;
	mc_err         rv;

	if (!cval_map(x, m, path))
		return;
	errors = x->n_errors;
	for (size_t i = 0; i < m->n; i++) {
		const cnode *k = m->items[2 * i];
		int          id;
		config_path(
		    sub, path, k->kind == CNODE_SCALAR ? k->text : "?");
		if ((id = config_fields_check(x, k, sub, OP_FIELDS, NULL)) >=
		    0)
			f[id] = m->items[2 * i + 1];
	}
	if (x->n_errors > errors)
		return; /* an unknown field: what follows would guess */
	if (f[OP_TAG] == NULL) {
		cctx_error(x, m, path, "missing field 'tag'");
		return;
	}
	if ((op.tag = text(x, f[OP_TAG], config_path(sub, path, "tag"))) ==
	    NULL)
		return;
	for (int id = OP_SET; id <= OP_REGEX; id++) {
		if (f[id] == NULL)
			continue;
		if (n_what++ == 0)
			what = f[id];
	}
	if (n_what != 1) {
		cctx_error(x, n_what ? f[OP_REGEX] ? f[OP_REGEX] : m : m, path,
		    "an operation has exactly one of set, remove, copy_from "
		    "or regex (with replace)");
		return;
	}
	if (f[OP_REPLACE] != NULL && f[OP_REGEX] == NULL) {
		cctx_error(x, f[OP_REPLACE], config_path(sub, path, "replace"),
		    "replace goes with regex");
		return;
	}
	if (what == f[OP_REMOVE]) {
		bool yes = false;
		if (!cval_bool(
		        x, what, config_path(sub, path, "remove"), &yes))
			return;
		if (!yes) {
			cctx_error(x, what, sub,
			    "remove: false does nothing; leave the operation "
			    "out");
			return;
		}
		op.kind = DCM_EDIT_REMOVE;
	} else if (what == f[OP_SET]) {
		op.kind = DCM_EDIT_SET;
		op.value = text(x, what, config_path(sub, path, "set"));
	} else if (what == f[OP_COPY_FROM]) {
		op.kind = DCM_EDIT_COPY;
		op.value = text(x, what, config_path(sub, path, "copy_from"));
	} else {
		op.kind = DCM_EDIT_REGEX;
		op.value = text(x, what, config_path(sub, path, "regex"));
		if (f[OP_REPLACE] == NULL) {
			cctx_error(x, m, path, "regex needs replace");
			return;
		}
		op.replace =
		    text(x, f[OP_REPLACE], config_path(sub, path, "replace"));
		if (op.replace == NULL)
			return;
	}
	if (op.kind != DCM_EDIT_REMOVE && op.value == NULL)
		return;
	rv = dcm_edit_check(&op, &field, err, sizeof(err));
	if (rv == MC_ENOMEM) {
		cctx_oom(x);
	} else if (rv != MC_OK) {
		const cnode *at = field == DCM_EDIT_FIELD_TAG ? f[OP_TAG]
		                  : field == DCM_EDIT_FIELD_REPLACE
		                      ? f[OP_REPLACE]
		                      : what;
		const char  *name =
                    field == DCM_EDIT_FIELD_TAG ? "tag"
		     : field == DCM_EDIT_FIELD_REPLACE
		         ? "replace"
		         : OP_FIELDS[what == f[OP_SET]         ? OP_SET
		                     : what == f[OP_COPY_FROM] ? OP_COPY_FROM
		                                               : OP_REGEX];
		cctx_error(x, at, config_path(sub, path, name), "%s", err);
	}
}

void
config_check_set_tags(cctx *x, const cnode *v, const char *path)
{
	char sub[CONFIG_PATH_MAX_LEN];

	if (v->kind != CNODE_SEQ) {
		cctx_error(x, v, path,
		    "expected a list of operations (- tag: ..., set: ...)");
		return;
	}
	if (v->n > DCM_EDIT_MAX_OPS) {
		cctx_error(
		    x, v, path, "more than %d operations", DCM_EDIT_MAX_OPS);
		return;
	}
	for (size_t i = 0; i < v->n; i++) {
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		check_op(x, v->items[i], sub);
	}
}

void
config_builtin_check_set_tags(cctx *x, const cnode *settings, const char *path)
{
	static const char *const known[] = {"set_tags", NULL};
	const cnode             *list = NULL;
	char                     sub[CONFIG_PATH_MAX_LEN];

	if (settings == NULL || cval_is_null(settings)) {
		cctx_error(x, settings ? settings : x->builtin_module, path,
		    "the set_tags module needs settings: set_tags: [...]");
		return;
	}
	if (!cval_map(x, settings, path))
		return;
	for (size_t i = 0; i < settings->n; i++) {
		const cnode *k = settings->items[2 * i];
		config_path(
		    sub, path, k->kind == CNODE_SCALAR ? k->text : "?");
		if (config_fields_check(x, k, sub, known, NULL) == 0)
			list = settings->items[2 * i + 1];
	}
	if (list == NULL) {
		cctx_error(x, settings, path, "missing field 'set_tags'");
		return;
	}
	config_check_set_tags(x, list, config_path(sub, path, "set_tags"));
}
