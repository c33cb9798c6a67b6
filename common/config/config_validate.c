/* config_validate.c - checks of single values whose rules come from
 * mercure's validators (ports, AE titles, hosts, HH:MM times, tag names)
 * and the resolution of names that refer to other sections (a rule's
 * targets and modules). Each reports at the offending node. */
#include "config/config.h"

#include <ctype.h>
#include <string.h>

#include "config/config_int.h"

#define CONFIG_PORT_MAX 65535u
#define CONFIG_AET_MAX_LEN 16u
#define CONFIG_HOUR_MAX 23u
#define CONFIG_MINUTE_MAX 59u

bool
config_check_port(cctx *x, const cnode *v, const char *path, uint16_t *out)
{
	unsigned long n = 0;

	if (cval_is_null(v))
		return true;
	if (v->kind != CNODE_SCALAR) {
		cctx_error(x, v, path, "expected a port number, got %s",
		    v->kind == CNODE_SEQ ? "a list" : "a mapping");
		return false;
	}
	if (v->len == 0 || v->len > 5 ||
	    strspn(v->text, "0123456789") != v->len) {
		cctx_error(x, v, path,
		    "expected a port number (1..65535), got '%s'", v->text);
		return false;
	}
	for (size_t i = 0; i < v->len; i++)
		n = n * 10 + (unsigned long) (v->text[i] - '0');
	if (n < 1 || n > CONFIG_PORT_MAX) {
		cctx_error(
		    x, v, path, "port must be 1..65535, got %s", v->text);
		return false;
	}
	*out = (uint16_t) n;
	return true;
}

bool
config_check_aet(cctx *x, const cnode *v, const char *path, const char **out)
{
	const char *s = NULL;

	if (!cval_str(x, v, path, &s) || s == NULL)
		return s == NULL && v->kind == CNODE_SCALAR;
	if (v->len == 0 || v->len > CONFIG_AET_MAX_LEN ||
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	              "0123456789_- ") != v->len) {
		cctx_error(x, v, path,
		    "invalid AE title '%s' (1 to 16 of A-Z a-z 0-9 _ - space)",
		    s);
		return false;
	}
	*out = s;
	return true;
}

bool
config_check_host(cctx *x, const cnode *v, const char *path, const char **out)
{
	const char *s = NULL;

	if (!cval_str(x, v, path, &s) || s == NULL)
		return s == NULL && v->kind == CNODE_SCALAR;
	if (v->len == 0 ||
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	              "0123456789.-:") != v->len) {
		cctx_error(x, v, path, "invalid host '%s'", s);
		return false;
	}
	*out = s;
	return true;
}

bool
config_check_time(cctx *x, const cnode *v, const char *path, unsigned *minutes)
{
	const char *s = NULL;
	size_t      h;
	unsigned    hh = 0, mm;

	if (!cval_str(x, v, path, &s) || s == NULL)
		return s == NULL && v->kind == CNODE_SCALAR;
	h = strspn(s, "0123456789");
	if (h >= 1 && h <= 2 && s[h] == ':' &&
	    strspn(s + h + 1, "0123456789") == 2 && s[h + 3] == '\0') {
		for (size_t i = 0; i < h; i++)
			hh = hh * 10 + (unsigned) (s[i] - '0');
		mm = (unsigned) (s[h + 1] - '0') * 10 +
		     (unsigned) (s[h + 2] - '0');
		if (hh <= CONFIG_HOUR_MAX && mm <= CONFIG_MINUTE_MAX) {
			*minutes = hh * 60 + mm;
			return true;
		}
	}
	cctx_error(x, v, path, "expected a time HH:MM, got '%s'", s);
	return false;
}

static bool
is_hex4(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (!isxdigit((unsigned char) s[i]))
			return false;
	return true;
}

bool
config_check_tag_key(cctx *x, const cnode *key, const char *path)
{
	const char *s = key->text;
	size_t      n = key->len;

	if (key->kind == CNODE_SCALAR) {
		if (n == 9 && is_hex4(s) && s[4] == ',' && is_hex4(s + 5))
			return true;
		if (n == 11 && s[0] == '(' && is_hex4(s + 1) && s[5] == ',' &&
		    is_hex4(s + 6) && s[10] == ')')
			return true;
		if (n > 0 && isalpha((unsigned char) s[0]) &&
		    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
		              "vwxyz0123456789") == n)
			return true;
	}
	cctx_error(x, key, path, "invalid tag '%s' (a keyword or gggg,eeee)",
	    key->kind == CNODE_SCALAR ? s : "?");
	return false;
}

bool
config_resolve(cctx *x, const cnode *v, const char *path, const char *what,
    const char *const *names, size_t *index)
{
	const char *s;

	for (size_t i = 0; names[i] != NULL; i++) {
		if (strcmp(names[i], v->text) == 0) {
			*index = i;
			return true;
		}
	}
	if ((s = config_suggest(v->text, names)) != NULL)
		cctx_error(x, v, path, "unknown %s '%s' (did you mean '%s'?)",
		    what, v->text, s);
	else
		cctx_error(x, v, path, "unknown %s '%s'", what, v->text);
	return false;
}
