/* target.c - the table of target types (the DISPATCH rows of
 * config/target_types.def) and the helpers every type uses (the result,
 * URLs for logs, file filters). The types themselves live in
 * target_<type>.c; a target's configuration is task/target_cfg.c. */
#include "targets/target.h"

#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	snprintf(buf, len, "%.*s%.*s", scheme ? (int) (scheme + 3 - url) : 0,
	    url, (int) n, host);
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
		size_t      n = comma ? (size_t) (comma - p) : strlen(p);
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
