/* tagset.c - ordered key/value pairs in one growable array. Sets hold
 * about fifty tags, so a linear scan beats a hash table here. */
#include "tags/tagset.h"

#include <stdlib.h>
#include <string.h>

struct mc_tagset {
	mc_tag *tags;
	size_t  n;
	size_t  cap;
};

mc_err
mc_tagset_create(mc_tagset **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? MC_OK : MC_ENOMEM;
}

void
mc_tagset_destroy(mc_tagset *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free((char *) t->tags[i].key);
		free((char *) t->tags[i].value);
	}
	free(t->tags);
	free(t);
}

static mc_tag *
tagset_find(const mc_tagset *t, const char *key)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->tags[i].key, key) == 0)
			return &t->tags[i];
	return NULL;
}

mc_err
mc_tagset_set(mc_tagset *t, const char *key, const char *value)
{
	mc_tag *tag = tagset_find(t, key);
	char   *v = strdup(value);

	if (v == NULL)
		return MC_ENOMEM;
	if (tag != NULL) {
		free((char *) tag->value);
		tag->value = v;
		return MC_OK;
	}
	if (t->n == t->cap) {
		size_t  cap = t->cap ? t->cap * 2 : 64;
		mc_tag *nt = realloc(t->tags, cap * sizeof(*nt));
		if (nt == NULL) {
			free(v);
			return MC_ENOMEM;
		}
		t->tags = nt;
		t->cap = cap;
	}
	t->tags[t->n].key = strdup(key);
	if (t->tags[t->n].key == NULL) {
		free(v);
		return MC_ENOMEM;
	}
	t->tags[t->n].value = v;
	t->n++;
	return MC_OK;
}

const char *
mc_tagset_get(const mc_tagset *t, const char *key)
{
	const mc_tag *tag = tagset_find(t, key);
	return tag ? tag->value : NULL;
}

size_t
mc_tagset_count(const mc_tagset *t)
{
	return t->n;
}

const mc_tag *
mc_tagset_at(const mc_tagset *t, size_t i)
{
	return i < t->n ? &t->tags[i] : NULL;
}
