/* stow_json.c - a STOW-RS response in DICOM JSON (stow_json.h); the
 * dicomweb target's only use of jansson. */
#include "targets/stow_json.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define TAG_REFERENCED_SOP_SEQ "00081199"
#define TAG_FAILED_SOP_SEQ "00081198"
#define TAG_REF_SOP_INSTANCE "00081155"
#define TAG_FAILURE_REASON "00081197"

/* Value[0] of element tag in a DICOM JSON object, or NULL */
static json_t *
first_value(json_t *obj, const char *tag)
{
	return json_array_get(
	    json_object_get(json_object_get(obj, tag), "Value"), 0);
}

static json_t *
items(json_t *obj, const char *tag)
{
	json_t *v = json_object_get(json_object_get(obj, tag), "Value");
	return json_is_array(v) ? v : NULL;
}

static void
add_failure(stow_response *out, json_t *item)
{
	json_t     *uid = first_value(item, TAG_REF_SOP_INSTANCE);
	json_t     *why = first_value(item, TAG_FAILURE_REASON);
	const char *s = json_string_value(uid);

	if (out->n_failed < STOW_FAILURES_MAX) {
		stow_failure *f = &out->failed[out->n_failed];
		snprintf(f->sop_instance_uid, sizeof(f->sop_instance_uid),
		    "%s", s ? s : "");
		f->reason = json_is_integer(why)
		                ? (unsigned) json_integer_value(why)
		                : 0;
	}
	out->n_failed++;
}

mc_err
stow_response_parse(
    const char *body, size_t len, stow_response *out, char *err, size_t errlen)
{
	json_error_t je;
	json_t      *root, *obj, *seq, *item;
	size_t       i;

	memset(out, 0, sizeof(*out));
	while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == '\r' ||
	                      body[len - 1] == ' '))
		len--;
	if (len == 0)
		return MC_OK;
	root = json_loadb(body, len, 0, &je);
	obj = json_is_array(root) ? json_array_get(root, 0) : root;
	if (!json_is_object(obj)) {
		snprintf(err, errlen, "response is not DICOM JSON: %s",
		    root ? "not an object" : je.text);
		json_decref(root);
		return MC_EPARSE;
	}
	if ((seq = items(obj, TAG_REFERENCED_SOP_SEQ)) != NULL)
		out->n_referenced = json_array_size(seq);
	if ((seq = items(obj, TAG_FAILED_SOP_SEQ)) != NULL)
		json_array_foreach(seq, i, item) add_failure(out, item);
	json_decref(root);
	return MC_OK;
}
