/* target_cfg.c - a target's configuration as flat key=value strings
 * (target_cfg.h): built from task.json by its reader, or from the
 * configuration file when task.json leaves the target's secrets out.
 * A target has a handful of fields, so a linear search is enough. */
#include "task/target_cfg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct cfg_field {
	char *key;
	char *value;
} cfg_field;

struct target_cfg {
	char      *name;
	cfg_field *fields;
	size_t     n, cap;
};

mc_err
target_cfg_create(const char *name, target_cfg **out)
{
	target_cfg *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (c == NULL)
		return MC_ENOMEM;
	if ((c->name = strdup(name)) == NULL) {
		free(c);
		return MC_ENOMEM;
	}
	*out = c;
	return MC_OK;
}

void
target_cfg_destroy(target_cfg *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->fields[i].key);
		free(c->fields[i].value);
	}
	free(c->fields);
	free(c->name);
	free(c);
}

static cfg_field *
find_field(const target_cfg *c, const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->fields[i].key, key) == 0)
			return &c->fields[i];
	return NULL;
}

mc_err
target_cfg_set(target_cfg *c, const char *key, const char *value)
{
	cfg_field *f = find_field(c, key);
	char      *v = strdup(value);

	if (v == NULL)
		return MC_ENOMEM;
	if (f != NULL) {
		free(f->value);
		f->value = v;
		return MC_OK;
	}
	if (c->n == c->cap) {
		size_t     cap = c->cap ? c->cap * 2 : 8;
		cfg_field *nf = realloc(c->fields, cap * sizeof(*nf));
		if (nf == NULL) {
			free(v);
			return MC_ENOMEM;
		}
		c->fields = nf;
		c->cap = cap;
	}
	if ((c->fields[c->n].key = strdup(key)) == NULL) {
		free(v);
		return MC_ENOMEM;
	}
	c->fields[c->n++].value = v;
	return MC_OK;
}

const char *
target_cfg_name(const target_cfg *c)
{
	return c->name;
}

const char *
target_cfg_get(const target_cfg *c, const char *key)
{
	const cfg_field *f = find_field(c, key);
	return f != NULL ? f->value : NULL;
}

mc_err
target_cfg_get_uint(const target_cfg *c, const char *key, unsigned lo,
    unsigned hi, unsigned def, unsigned *out, char *err, size_t errlen)
{
	const char *s = target_cfg_get(c, key);
	char       *end;
	long        v;

	*out = def;
	if (s == NULL || s[0] == '\0')
		return MC_OK;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < (long) lo ||
	    v > (long) hi) {
		snprintf(err, errlen, "%s: '%s' is not a number in %u..%u",
		    key, s, lo, hi);
		return MC_EINVAL;
	}
	*out = (unsigned) v;
	return MC_OK;
}

mc_err
target_cfg_get_bool(const target_cfg *c, const char *key, bool def, bool *out,
    char *err, size_t errlen)
{
	static const char *const yes[] = {"true", "1", "yes", "on"};
	static const char *const no[] = {"false", "0", "no", "off", ""};
	const char              *s = target_cfg_get(c, key);

	*out = def;
	if (s == NULL)
		return MC_OK;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return MC_OK;
		}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return MC_OK;
		}
	snprintf(err, errlen, "%s: '%s' is not true or false", key, s);
	return MC_EINVAL;
}

mc_err
target_cfg_from_config(const config_target *t, target_cfg **out)
{
	target_cfg *c;
	mc_err      rv = MC_OK;

	*out = NULL;
	if (target_cfg_create(t->name, &c) != MC_OK)
		return MC_ENOMEM;
	for (size_t i = 0; rv == MC_OK && i < t->fields.n; i++) {
		const config_kv *kv = &t->fields.items[i];
		if (kv->kind != CONFIG_KV_NULL && kv->value != NULL)
			rv = target_cfg_set(c, kv->key, kv->value);
	}
	/* the default the coordinator fills in task.json too */
	if (rv == MC_OK && t->aet_source != NULL &&
	    target_cfg_get(c, "aet_source") == NULL)
		rv = target_cfg_set(c, "aet_source", t->aet_source);
	if (rv != MC_OK) {
		target_cfg_destroy(c);
		return rv;
	}
	*out = c;
	return MC_OK;
}
