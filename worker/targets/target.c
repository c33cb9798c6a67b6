/* target.c - the table of target types (the DISPATCH rows of
 * config/target_types.def), a target's configuration as flat key=value
 * strings, and the result helper every type uses. The types themselves
 * live in target_<type>.c. */
#include "targets/target.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TARGET_TYPE(name, unknown, dispatch, fields)                          \
	TARGET_ROW_##dispatch(name)
#define TARGET_ROW_DISPATCH(name) {#name, &target_ops_##name},
#define TARGET_ROW_CONFIG_ONLY(name)
static const target_type TARGET_TYPES[] = {
#include "config/target_types.def"
};
#undef TARGET_ROW_CONFIG_ONLY
#undef TARGET_ROW_DISPATCH
#undef TARGET_TYPE
#define TARGET_TYPE_COUNT (sizeof(TARGET_TYPES) / sizeof(TARGET_TYPES[0]))

/* ", dicom, dicomtls, ..." in table order, made by the compiler */
#define TARGET_TYPE(name, unknown, dispatch, fields)                          \
	TARGET_NAME_##dispatch(name)
#define TARGET_NAME_DISPATCH(name) ", " #name
#define TARGET_NAME_CONFIG_ONLY(name)
static const char TARGET_NAMES[] = ""
#include "config/target_types.def"
    ;
#undef TARGET_NAME_CONFIG_ONLY
#undef TARGET_NAME_DISPATCH
#undef TARGET_TYPE

typedef struct cfg_field {
	char *key;
	char *value;
} cfg_field;

struct target_cfg {
	char      *name;
	cfg_field *fields;
	size_t     n, cap;
};

const target_type *
target_type_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < TARGET_TYPE_COUNT; i++)
		if (strcmp(TARGET_TYPES[i].name, name) == 0)
			return &TARGET_TYPES[i];
	return NULL;
}

const char *
target_type_names(void)
{
	return TARGET_NAMES + 2; /* past the first ", " */
}

size_t
target_type_count(void)
{
	return TARGET_TYPE_COUNT;
}

const target_type *
target_type_at(size_t i)
{
	return i < TARGET_TYPE_COUNT ? &TARGET_TYPES[i] : NULL;
}

#define TARGET_FILTER_MAX 512

void
target_url_for_log(const char *url, char *buf, size_t len)
{
	const char *scheme = strstr(url, "://");
	const char *host = scheme ? scheme + 3 : url;
	const char *slash = strchr(host, '/');
	const char *at = strchr(host, '@');
	size_t      n;

	if (at != NULL && (slash == NULL || at < slash))
		host = at + 1;
	n = strcspn(host, "?#");
	snprintf(buf, len, "%.*s%.*s", scheme ? (int)(scheme + 3 - url) : 0,
	         url, (int)n, host);
}

bool
target_file_is_filtered(const char *filter, const char *name)
{
	char        pat[TARGET_FILTER_MAX];
	const char *p = filter;

	if (filter == NULL)
		return false;
	while (*p != '\0') {
		const char *comma = strchr(p, ',');
		size_t      n = comma ? (size_t)(comma - p) : strlen(p);
		while (n > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n > 0 && n < sizeof(pat)) {
			memcpy(pat, p, n);
			pat[n] = '\0';
			if (fnmatch(pat, name, 0) == 0)
				return true;
		}
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return false;
}

void
target_result_fail(target_result *r, bool retryable, const char *fmt, ...)
{
	va_list ap;

	r->retryable = retryable;
	if (r->error[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
}

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
                    unsigned hi, unsigned def, unsigned *out, char *err,
                    size_t errlen)
{
	const char *s = target_cfg_get(c, key);
	char       *end;
	long        v;

	*out = def;
	if (s == NULL || s[0] == '\0')
		return MC_OK;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < (long)lo ||
	    v > (long)hi) {
		snprintf(err, errlen, "%s: '%s' is not a number in %u..%u",
		         key, s, lo, hi);
		return MC_EINVAL;
	}
	*out = (unsigned)v;
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
