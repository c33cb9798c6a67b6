/* journal.c - JSON-lines journal of a series (format: docs/protocol.md).
 * Records are self-contained so that any prefix of the file, and any
 * file with a damaged line, still yields every good record. */
#include "journal.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "sys_fs.h"

typedef struct {
	const char *key;
	size_t      off;
	size_t      cap;
} jfield;

#define JF(k, f) {k, offsetof(mc_instance, f), sizeof(((mc_instance *) 0)->f)}
static const jfield jfields[] = {
    JF("sop", sop_uid),
    JF("study", study_uid),
    JF("series", series_uid),
    JF("sop_class", sop_class_uid),
    JF("path", path),
    JF("sender_address", sender_address),
    JF("sender_aet", sender_aet),
    JF("receiver_aet", receiver_aet),
};
#define N_JFIELDS (sizeof(jfields) / sizeof(jfields[0]))

mc_err
journal_encode_line(const mc_instance *in, char **out, size_t *len)
{
	json_t *o = json_object(), *tags = json_object();
	char   *s;
	int     bad = (o == NULL || tags == NULL);

	*out = NULL;
	*len = 0;
	if (!bad)
		bad |= json_object_set_new(o, "v",
		    json_integer(JOURNAL_RECORD_VERSION));
	for (size_t i = 0; !bad && i < N_JFIELDS; i++)
		bad |= json_object_set_new(o, jfields[i].key,
		    json_string((const char *) in + jfields[i].off));
	if (!bad) {
		bad |= json_object_set_new(o, "file",
		    json_string(sys_basename_of(in->path)));
		bad |= json_object_set_new(o, "size",
		    json_integer((json_int_t) in->size));
		bad |= json_object_set_new(o, "time_us",
		    json_integer((json_int_t) in->recv_time_us));
	}
	for (size_t i = 0; !bad && in->tags && i < mc_tagset_count(in->tags);
	     i++) {
		const mc_tag *t = mc_tagset_at(in->tags, i);
		bad |= json_object_set_new(tags, t->key, json_string(t->value));
	}
	if (!bad) {
		bad |= json_object_set(o, "tags", tags);
	}
	json_decref(tags);
	s = bad ? NULL : json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (s == NULL)
		return MC_ENOMEM;
	*len = strlen(s);
	*out = malloc(*len + 2); /* room for the newline */
	if (*out != NULL) {
		memcpy(*out, s, *len);
		(*out)[(*len)++] = '\n';
		(*out)[*len] = '\0';
	} else {
		*len = 0;
	}
	free(s);
	return *out ? MC_OK : MC_ENOMEM;
}

mc_err
journal_append(const char *path, const mc_instance *in, int sync)
{
	char  *line;
	size_t len;
	mc_err rv = journal_encode_line(in, &line, &len);

	if (rv != MC_OK)
		return rv;
	rv = sys_append(path, line, len, sync);
	free(line);
	return rv;
}

static bool
copy_field(json_t *o, const char *key, char *dst, size_t cap)
{
	json_t     *v = json_object_get(o, key);
	const char *s = json_string_value(v);

	if (s == NULL || strlen(s) >= cap)
		return false;
	memcpy(dst, s, strlen(s) + 1);
	return true;
}

static mc_err
decode_object(json_t *o, mc_instance *in)
{
	json_t     *tags, *v;
	const char *key;

	if (json_integer_value(json_object_get(o, "v")) !=
	    JOURNAL_RECORD_VERSION)
		return MC_EPARSE;
	for (size_t i = 0; i < N_JFIELDS; i++)
		if (!copy_field(o, jfields[i].key,
			(char *) in + jfields[i].off, jfields[i].cap))
			return MC_EPARSE;
	if (!uid_is_valid(in->sop_uid) || !uid_is_valid(in->series_uid))
		return MC_EPARSE;
	in->size = (uint64_t) json_integer_value(json_object_get(o, "size"));
	in->recv_time_us = json_integer_value(json_object_get(o, "time_us"));
	tags = json_object_get(o, "tags");
	if (!json_is_object(tags))
		return MC_EPARSE;
	if (mc_tagset_create(&in->tags) != MC_OK)
		return MC_ENOMEM;
	json_object_foreach(tags, key, v)
	{
		if (!json_is_string(v))
			return MC_EPARSE;
		if (mc_tagset_set(in->tags, key, json_string_value(v)) != MC_OK)
			return MC_ENOMEM;
	}
	return MC_OK;
}

mc_err
journal_decode_line(const char *line, size_t len, mc_instance *in)
{
	json_error_t je;
	json_t      *o = json_loadb(line, len, 0, &je);
	mc_err       rv;

	if (o == NULL)
		return MC_EPARSE;
	rv = json_is_object(o) ? decode_object(o, in) : MC_EPARSE;
	json_decref(o);
	if (rv != MC_OK)
		mc_instance_fini(in);
	return rv;
}

mc_err
journal_read(const char *path, journal_fn fn, void *ctx, size_t *n_bad)
{
	char  *text, *p, *end;
	size_t len, bad = 0;
	mc_err rv = sys_read_file(path, &text, &len);

	if (rv != MC_OK)
		return rv;
	for (p = text, end = text + len; p < end;) {
		char       *nl = memchr(p, '\n', (size_t) (end - p));
		size_t      n = nl ? (size_t) (nl - p) : (size_t) (end - p);
		mc_instance in;

		mc_instance_init(&in);
		/* a last line without its newline is a torn append */
		if (nl == NULL || journal_decode_line(p, n, &in) != MC_OK) {
			if (n > 0)
				bad++;
		} else {
			fn(ctx, &in);
			mc_instance_fini(&in);
		}
		p += n + 1;
	}
	free(text);
	if (n_bad)
		*n_bad = bad;
	return MC_OK;
}
