/* tags_json.c - tag sets to and from JSON with jansson. */
#include "tags/tags_json.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

mc_err
tags_json_encode(const mc_tagset *t, char **out)
{
	json_t *o = json_object();
	char   *s;
	size_t  n;

	*out = NULL;
	if (o == NULL)
		return MC_ENOMEM;
	for (size_t i = 0; i < mc_tagset_count(t); i++) {
		const mc_tag *tag = mc_tagset_at(t, i);
		if (json_object_set_new(
		        o, tag->key, json_string(tag->value)) != 0) {
			json_decref(o);
			return MC_ENOMEM;
		}
	}
	s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (s == NULL)
		return MC_ENOMEM;
	n = strlen(s);
	*out = malloc(n + 2); /* room for the final newline */
	if (*out != NULL) {
		memcpy(*out, s, n);
		(*out)[n] = '\n';
		(*out)[n + 1] = '\0';
	}
	free(s);
	return *out ? MC_OK : MC_ENOMEM;
}

mc_err
tags_json_decode(
    const char *text, size_t len, mc_tagset *out, char *err, size_t errlen)
{
	json_error_t je;
	json_t      *o = json_loadb(text, len, 0, &je);
	const char  *key;
	json_t      *val;
	mc_err       rv = MC_OK;

	if (o == NULL || !json_is_object(o)) {
		snprintf(err, errlen, "line %d column %d: %s", je.line,
		    je.column, o ? "not a JSON object" : je.text);
		json_decref(o);
		return MC_EPARSE;
	}
	json_object_foreach(o, key, val)
	{
		char        num[64];
		const char *v = num;
		if (json_is_string(val))
			v = json_string_value(val);
		else if (json_is_integer(val))
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			    json_integer_value(val));
		else if (json_is_real(val))
			snprintf(num, sizeof(num), "%g", json_real_value(val));
		else if (json_is_boolean(val))
			snprintf(num, sizeof(num), "%s",
			    json_is_true(val) ? "True" : "False");
		else
			num[0] = '\0';
		if ((rv = mc_tagset_set(out, key, v)) != MC_OK)
			break;
	}
	json_decref(o);
	return rv;
}
