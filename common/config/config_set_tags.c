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

#define SET_TAGS_INT_DIGITS_MAX 18 /* an int64 in JSON, safely */

/* number_lost - a plain scalar that the task's JSON would not carry as
 * written: a number with a fraction or an exponent (1.50 becomes 1.5)
 * or an integer too long for JSON's integers. Plain integers that fit
 * come back as the same text. */
static bool
number_lost(const cnode *v)
{
	const char *s = v->text;
	size_t      digits;

	if (*s == '-')
		s++;
	digits = strspn(s, "0123456789");
	if (digits == 0)
		return false;
	if (s[digits] == '\0')
		return digits > SET_TAGS_INT_DIGITS_MAX && s[0] != '0';
	if (s[digits] != '.' && s[digits] != 'e' && s[digits] != 'E')
		return false;
	s += digits + (s[digits] == '.');
	s += strspn(s, "0123456789");
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (strspn(s, "0123456789") == 0)
			return false;
		s += strspn(s, "0123456789");
	}
	return *s == '\0';
}

/* text - a scalar to use as text; booleans, null and numbers the task
 * would change are refused with the advice to quote them. */
static const char *
text(cctx *x, const cnode *v, const char *path)
{
	const char *what = NULL;

	if (v->kind != CNODE_SCALAR) {
		cctx_error(x, v, path, "expected a string");
		return NULL;
	}
	if (v->style == CNODE_PLAIN)
		what = cval_is_null(v)          ? "null"
		       : cval_bool_word(v) >= 0 ? "a boolean"
		       : number_lost(v)         ? "a number"
		                                : NULL;
	if (what != NULL) {
		cctx_error(x, v, path,
		    "write '%s' in quotes: unquoted, YAML reads it as %s",
		    v->text, what);
		return NULL;
	}
	return v->text;
}

/* check_op - one operation: the mapping m at path */
static void
check_op(cctx *x, const cnode *m, const char *path)
{
	const cnode   *f[OP_N] = {0};
	char           sub[CONFIG_PATH_MAX_LEN], err[256];
	dcm_edit_op    op = {DCM_EDIT_SET, NULL, NULL, NULL};
	dcm_edit_field field = DCM_EDIT_FIELD_TAG;
	int            what = OP_SET, n_what = 0;
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
		if (f[id] != NULL && n_what++ == 0)
			what = id;
	}
	if (n_what != 1) {
		cctx_error(x, m, path,
		    "an operation has exactly one of set, remove, copy_from "
		    "or regex (with replace)");
		return;
	}
	if (f[OP_REPLACE] != NULL && what != OP_REGEX) {
		cctx_error(x, f[OP_REPLACE], config_path(sub, path, "replace"),
		    "replace goes with regex");
		return;
	}
	config_path(sub, path, OP_FIELDS[what]);
	switch (what) {
	case OP_REMOVE: {
		bool yes = false;
		if (!cval_bool(x, f[what], sub, &yes))
			return;
		if (!yes) {
			cctx_error(x, f[what], sub,
			    "remove: false does nothing; leave the operation "
			    "out");
			return;
		}
		op.kind = DCM_EDIT_REMOVE;
		break;
	}
	case OP_REGEX:
		if (f[OP_REPLACE] == NULL) {
			cctx_error(x, m, path, "regex needs replace");
			return;
		}
		op.kind = DCM_EDIT_REGEX;
		if ((op.value = text(x, f[what], sub)) == NULL ||
		    (op.replace = text(x, f[OP_REPLACE],
		         config_path(sub, path, "replace"))) == NULL)
			return;
		break;
	default:
		op.kind = what == OP_SET ? DCM_EDIT_SET : DCM_EDIT_COPY;
		if ((op.value = text(x, f[what], sub)) == NULL)
			return;
		break;
	}
	rv = dcm_edit_check(&op, &field, err, sizeof(err));
	if (rv == MC_ENOMEM) {
		cctx_oom(x);
	} else if (rv != MC_OK) {
		int at = field == DCM_EDIT_FIELD_TAG       ? OP_TAG
		         : field == DCM_EDIT_FIELD_REPLACE ? OP_REPLACE
		                                           : what;
		cctx_error(x, f[at], config_path(sub, path, OP_FIELDS[at]),
		    "%s", err);
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
