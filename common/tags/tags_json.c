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

/* The UTF-8 encoding of U+FFFD, the replacement character. */
static const char replacement[] = "\xef\xbf\xbd";
#define REPLACEMENT_LEN (sizeof(replacement) - 1)

/* utf8_seq - the length of the valid UTF-8 sequence at p[0..n), or 0
 * (overlong forms, surrogates and code points past U+10FFFF are not). */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
	size_t   len;
	unsigned lo = 0x80, hi = 0xbf;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		lo = p[0] == 0xe0 ? 0xa0 : 0x80;
		hi = p[0] == 0xed ? 0x9f : 0xbf;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		lo = p[0] == 0xf0 ? 0x90 : 0x80;
		hi = p[0] == 0xf4 ? 0x8f : 0xbf;
	} else
		return 0;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/* repair_utf8 - text with every byte outside a valid sequence replaced
 * by U+FFFD, malloc'ed in *out (NULL when text is valid UTF-8). Python's
 * surrogateescape also maps each such byte to one code point, so
 * lengths and slices agree with mercure's. */
static mc_err
repair_utf8(
    const char *text, size_t len, char **out, size_t *outlen, size_t *replaced)
{
	const unsigned char *p = (const unsigned char *) text;
	size_t               bad = 0, o = 0;
	char                *s;

	*out = NULL;
	for (size_t i = 0, k; i < len; i += k ? k : 1)
		if ((k = utf8_seq(p + i, len - i)) == 0)
			bad++;
	*replaced += bad;
	if (bad == 0)
		return MC_OK;
	if ((s = malloc(len + bad * (REPLACEMENT_LEN - 1) + 1)) == NULL)
		return MC_ENOMEM;
	for (size_t i = 0, k; i < len; i += k ? k : 1) {
		if ((k = utf8_seq(p + i, len - i)) == 0) {
			memcpy(s + o, replacement, REPLACEMENT_LEN);
			o += REPLACEMENT_LEN;
		} else {
			memcpy(s + o, text + i, k);
			o += k;
		}
	}
	s[o] = '\0';
	*out = s;
	*outlen = o;
	return MC_OK;
}

/* string_value - val's text with each NUL as U+FFFD; *buf (malloc'ed)
 * holds it when a NUL was there. */
static const char *
string_value(json_t *val, char **buf, size_t *replaced)
{
	const char *v = json_string_value(val);
	size_t      n = json_string_length(val), nuls = 0, o = 0;

	*buf = NULL;
	for (size_t i = 0; i < n; i++)
		nuls += v[i] == '\0';
	if (nuls == 0)
		return v;
	if ((*buf = malloc(n + nuls * (REPLACEMENT_LEN - 1) + 1)) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '\0') {
			memcpy(*buf + o, replacement, REPLACEMENT_LEN);
			o += REPLACEMENT_LEN;
		} else
			(*buf)[o++] = v[i];
	}
	(*buf)[o] = '\0';
	*replaced += nuls;
	return *buf;
}

mc_err
tags_json_decode(const char *text, size_t len, mc_tagset *out,
    size_t *replaced, char *err, size_t errlen)
{
	json_error_t je;
	json_t      *o;
	const char  *key;
	json_t      *val;
	char        *fixed = NULL;
	size_t       fixed_len = 0, nrep = 0;
	mc_err       rv;

	if ((rv = repair_utf8(text, len, &fixed, &fixed_len, &nrep)) != MC_OK)
		return rv;
	o = fixed ? json_loadb(fixed, fixed_len, JSON_ALLOW_NUL, &je)
	          : json_loadb(text, len, JSON_ALLOW_NUL, &je);
	free(fixed);
	if (o == NULL || !json_is_object(o)) {
		snprintf(err, errlen, "line %d column %d: %s", je.line,
		    je.column, o ? "not a JSON object" : je.text);
		json_decref(o);
		return MC_EPARSE;
	}
	json_object_foreach(o, key, val)
	{
		char        num[64], *buf = NULL;
		const char *v = num;
		if (json_is_string(val)) {
			if ((v = string_value(val, &buf, &nrep)) == NULL) {
				rv = MC_ENOMEM;
				break;
			}
		} else if (json_is_integer(val))
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			    json_integer_value(val));
		else if (json_is_real(val))
			snprintf(num, sizeof(num), "%g", json_real_value(val));
		else if (json_is_boolean(val))
			snprintf(num, sizeof(num), "%s",
			    json_is_true(val) ? "True" : "False");
		else
			num[0] = '\0';
		rv = mc_tagset_set(out, key, v);
		free(buf);
		if (rv != MC_OK)
			break;
	}
	json_decref(o);
	if (replaced != NULL)
		*replaced = nrep;
	return rv;
}
