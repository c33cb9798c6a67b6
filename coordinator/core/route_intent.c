/* route_intent.c - the routing write-ahead record as JSON (jansson). */
#include "core/route_intent.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "os/sys_fs.h"

void
route_intent_init(route_intent *ri)
{
	memset(ri, 0, sizeof(*ri));
}

void
route_intent_fini(route_intent *ri)
{
	for (size_t i = 0; i < ri->n_sops; i++)
		free(ri->sops[i]);
	free(ri->sops);
	for (size_t i = 0; i < ri->n_entries; i++)
		free(ri->entries[i].task_json);
	mc_tagset_destroy(ri->tags);
	route_intent_init(ri);
}

mc_err
route_intent_add_sop(route_intent *ri, const char *sop)
{
	char **n = realloc(ri->sops, (ri->n_sops + 1) * sizeof(*n));

	if (n == NULL)
		return MC_ENOMEM;
	ri->sops = n;
	if ((n[ri->n_sops] = strdup(sop)) == NULL)
		return MC_ENOMEM;
	ri->n_sops++;
	return MC_OK;
}

mc_err
route_intent_write(const route_intent *ri, const char *path)
{
	json_t *o = json_object(), *sops = json_array(), *tags = json_object();
	json_t *plan = json_array();
	char   *text;
	mc_err  rv;

	for (size_t i = 0; i < ri->n_sops; i++)
		json_array_append_new(sops, json_string(ri->sops[i]));
	for (size_t i = 0; ri->tags && i < mc_tagset_count(ri->tags); i++) {
		const mc_tag *t = mc_tagset_at(ri->tags, i);
		json_object_set_new(tags, t->key, json_string(t->value));
	}
	for (size_t i = 0; i < ri->n_entries; i++) {
		const intent_entry *e = &ri->entries[i];
		json_t             *je = json_object();
		json_object_set_new(je, "id", json_string(e->id));
		json_object_set_new(je, "dest", json_string(e->dest));
		json_object_set_new(
		    je, "study_rule", json_string(e->study_rule));
		json_object_set_new(je, "rule", json_string(e->rule));
		json_object_set_new(je, "task",
		    e->task_json ? json_string(e->task_json) : json_null());
		if (e->stream)
			json_object_set_new(je, "stream", json_true());
		json_array_append_new(plan, je);
	}
	json_object_set_new(o, "v", json_integer(1));
	json_object_set_new(o, "series", json_string(ri->series));
	json_object_set_new(o, "study", json_string(ri->study));
	json_object_set_new(o, "first_us", json_integer(ri->first_us));
	json_object_set_new(o, "sops", sops);
	json_object_set_new(o, "tags", tags);
	json_object_set_new(o, "plan", plan);
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text == NULL)
		return MC_ENOMEM;
	rv = sys_write_file_atomic(path, text, strlen(text));
	free(text);
	return rv;
}

static void
copy_str(json_t *o, const char *key, char *dst, size_t cap)
{
	const char *s = json_string_value(json_object_get(o, key));
	snprintf(dst, cap, "%s", s ? s : "");
}

mc_err
route_intent_read(const char *path, route_intent *ri)
{
	json_error_t je;
	json_t      *o = json_load_file(path, 0, &je), *v;
	const char  *key;
	size_t       i;
	mc_err       rv = MC_OK;

	if (o == NULL)
		return MC_EPARSE;
	copy_str(o, "series", ri->series, sizeof(ri->series));
	copy_str(o, "study", ri->study, sizeof(ri->study));
	ri->first_us = json_integer_value(json_object_get(o, "first_us"));
	json_array_foreach(json_object_get(o, "sops"), i, v)
	{
		if (json_is_string(v) && (rv = route_intent_add_sop(ri,
		                              json_string_value(v))) != MC_OK)
			goto done;
	}
	if ((rv = mc_tagset_create(&ri->tags)) != MC_OK)
		goto done;
	json_object_foreach(json_object_get(o, "tags"), key, v)
	{
		if (json_is_string(v) && (rv = mc_tagset_set(ri->tags, key,
		                              json_string_value(v))) != MC_OK)
			goto done;
	}
	json_array_foreach(json_object_get(o, "plan"), i, v)
	{
		intent_entry *e;
		const char   *t;
		if (ri->n_entries == ROUTE_INTENT_MAX_ENTRIES)
			break;
		e = &ri->entries[ri->n_entries++];
		copy_str(v, "id", e->id, sizeof(e->id));
		copy_str(v, "dest", e->dest, sizeof(e->dest));
		copy_str(
		    v, "study_rule", e->study_rule, sizeof(e->study_rule));
		copy_str(v, "rule", e->rule, sizeof(e->rule));
		e->stream = json_is_true(json_object_get(v, "stream"));
		t = json_string_value(json_object_get(v, "task"));
		if (t && (e->task_json = strdup(t)) == NULL) {
			rv = MC_ENOMEM;
			goto done;
		}
	}
done:
	json_decref(o);
	return rv;
}
