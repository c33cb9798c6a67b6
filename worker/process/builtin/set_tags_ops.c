/* set_tags_ops.c - reading set_tags operations from JSON into
 * dcm_edit_op and compiling them (set_tags_ops.h). The checks of the
 * values are dcm_edit's; here only the shape: known fields, exactly one
 * action, texts as strings (or integers, which YAML wrote unquoted). */
#include "process/builtin/set_tags_ops.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define SET_TAGS_NUM_MAX 32 /* an integer written as text */

static const char *const FIELDS[] = {
    "tag", "set", "remove", "copy_from", "regex", "replace"};
#define FIELDS_N (sizeof(FIELDS) / sizeof(FIELDS[0]))

/* field_text - a string, or an integer as text into num; NULL otherwise */
static const char *
field_text(json_t *v, char *num, size_t numsz)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(num, numsz, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return num;
	}
	return NULL;
}

static bool
flag_true(json_t *v)
{
	return json_is_true(v) ||
	       (json_is_string(v) &&
	           strcmp(json_string_value(v), "true") == 0);
}

/* read_op - o into op; texts point into o or into nums (4 buffers) */
static mc_err
read_op(json_t *o, size_t i, dcm_edit_op *op, char nums[][SET_TAGS_NUM_MAX],
    char *msg, size_t msgsz)
{
	const char *key;
	json_t     *v, *set, *rm, *cp, *re;
	int         n_what;

	if (!json_is_object(o)) {
		snprintf(msg, msgsz, "set_tags[%zu]: must be an object", i);
		return MC_ECONFIG;
	}
	json_object_foreach(o, key, v)
	{
		size_t k = 0;
		while (k < FIELDS_N && strcmp(FIELDS[k], key) != 0)
			k++;
		if (k == FIELDS_N) {
			snprintf(msg, msgsz,
			    "set_tags[%zu]: unknown field '%.64s'", i, key);
			return MC_ECONFIG;
		}
	}
	set = json_object_get(o, "set");
	rm = json_object_get(o, "remove");
	cp = json_object_get(o, "copy_from");
	re = json_object_get(o, "regex");
	n_what = (set != NULL) + (rm != NULL) + (cp != NULL) + (re != NULL);
	if (n_what != 1 ||
	    (json_object_get(o, "replace") != NULL) != (re != NULL)) {
		snprintf(msg, msgsz,
		    "set_tags[%zu]: an operation has exactly one of set, "
		    "remove, copy_from or regex (with replace)",
		    i);
		return MC_ECONFIG;
	}
	memset(op, 0, sizeof(*op));
	op->tag =
	    field_text(json_object_get(o, "tag"), nums[0], SET_TAGS_NUM_MAX);
	if (rm != NULL) {
		op->kind = DCM_EDIT_REMOVE;
		if (!flag_true(rm)) {
			snprintf(msg, msgsz,
			    "set_tags[%zu].remove: must be true", i);
			return MC_ECONFIG;
		}
	} else {
		op->kind = set  ? DCM_EDIT_SET
		           : cp ? DCM_EDIT_COPY
		                : DCM_EDIT_REGEX;
		op->value = field_text(set  ? set
		                       : cp ? cp
		                            : re,
		    nums[1], SET_TAGS_NUM_MAX);
		if (re != NULL)
			op->replace = field_text(json_object_get(o, "replace"),
			    nums[2], SET_TAGS_NUM_MAX);
		if (op->value == NULL || (re != NULL && op->replace == NULL)) {
			snprintf(msg, msgsz,
			    "set_tags[%zu]: values must be strings", i);
			return MC_ECONFIG;
		}
	}
	if (op->tag == NULL) {
		snprintf(msg, msgsz,
		    "set_tags[%zu].tag: missing or not a string", i);
		return MC_ECONFIG;
	}
	return MC_OK;
}

static mc_err
compile_list(
    json_t *list, dcm_edit **out, size_t *n_ops, char *msg, size_t msgsz)
{
	dcm_edit_op ops[DCM_EDIT_MAX_OPS];
	char        nums[DCM_EDIT_MAX_OPS][3][SET_TAGS_NUM_MAX];
	char        err[256];
	size_t      n, bad = 0;
	mc_err      rv;

	if (!json_is_array(list)) {
		snprintf(msg, msgsz, "set_tags: must be a list of operations");
		return MC_ECONFIG;
	}
	if ((n = json_array_size(list)) > DCM_EDIT_MAX_OPS) {
		snprintf(msg, msgsz, "set_tags: more than %d operations",
		    DCM_EDIT_MAX_OPS);
		return MC_ECONFIG;
	}
	for (size_t i = 0; i < n; i++)
		if ((rv = read_op(json_array_get(list, i), i, &ops[i], nums[i],
		         msg, msgsz)) != MC_OK)
			return rv;
	rv = dcm_edit_create(ops, n, out, &bad, err, sizeof(err));
	if (rv == MC_EINVAL) {
		snprintf(msg, msgsz, "set_tags[%zu]: %s", bad, err);
		return MC_ECONFIG;
	}
	if (rv != MC_OK) {
		snprintf(msg, msgsz, "set_tags: %s", err);
		return rv;
	}
	if (n_ops != NULL)
		*n_ops = n;
	return MC_OK;
}

mc_err
set_tags_compile(const char *list_json, dcm_edit **out, size_t *n_ops,
    char *msg, size_t msgsz)
{
	json_error_t je;
	json_t      *list = json_loads(list_json, JSON_DECODE_ANY, &je);
	mc_err       rv;

	*out = NULL;
	if (list == NULL) {
		snprintf(msg, msgsz, "set_tags: not JSON: %s", je.text);
		return MC_ECONFIG;
	}
	rv = compile_list(list, out, n_ops, msg, msgsz);
	json_decref(list);
	return rv;
}

mc_err
set_tags_compile_settings(const char *settings_json, dcm_edit **out,
    size_t *n_ops, char *msg, size_t msgsz)
{
	json_error_t je;
	json_t      *s = json_loads(settings_json, JSON_DECODE_ANY, &je);
	mc_err       rv;

	*out = NULL;
	if (!json_is_object(s) || json_object_get(s, "set_tags") == NULL) {
		json_decref(s);
		snprintf(msg, msgsz,
		    "the settings must be an object with set_tags: [...]");
		return MC_ECONFIG;
	}
	rv = compile_list(
	    json_object_get(s, "set_tags"), out, n_ops, msg, msgsz);
	json_decref(s);
	return rv;
}
