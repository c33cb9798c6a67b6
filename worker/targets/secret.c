/* secret.c - secret fields of a target from the config, the environment
 * or a file (secret.h). */
#include "targets/secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/sys_fs.h"

#define SECRET_KEY_MAX 128

static mc_err
copy_value(const char *field, const char *from, const char *v, size_t n,
    char *buf, size_t len, char *err, size_t errlen)
{
	while (n > 0 && (v[n - 1] == '\n' || v[n - 1] == '\r'))
		n--;
	if (n >= len) {
		snprintf(err, errlen, "%s (%s) is longer than %zu bytes",
		    field, from, len - 1);
		return MC_ECONFIG;
	}
	memcpy(buf, v, n);
	buf[n] = '\0';
	return MC_OK;
}

static mc_err
from_file(const char *field, const char *path, char *buf, size_t len,
    char *err, size_t errlen)
{
	char  *text = NULL;
	size_t n = 0;
	mc_err rv = sys_read_file(path, &text, &n);

	if (rv != MC_OK) {
		snprintf(err, errlen, "%s_file %s: %s", field, path,
		    mc_strerror(rv));
		return MC_EIO;
	}
	rv = copy_value(field, path, text, n, buf, len, err, errlen);
	secret_wipe(text, n);
	free(text);
	return rv;
}

mc_err
secret_get(const target_cfg *cfg, const char *field, char *buf, size_t len,
    bool *found, char *err, size_t errlen)
{
	char        key[SECRET_KEY_MAX];
	const char *v = target_cfg_get(cfg, field), *name;

	buf[0] = '\0';
	*found = false;
	if (v != NULL && v[0] != '\0') {
		*found = true;
		return copy_value(
		    field, "config", v, strlen(v), buf, len, err, errlen);
	}
	snprintf(key, sizeof(key), "%s_env", field);
	if ((name = target_cfg_get(cfg, key)) != NULL && name[0] != '\0') {
		if ((v = getenv(name)) == NULL) {
			snprintf(err, errlen,
			    "%s names the environment variable %s, which "
			    "is not set",
			    key, name);
			return MC_ECONFIG;
		}
		*found = true;
		return copy_value(
		    field, name, v, strlen(v), buf, len, err, errlen);
	}
	snprintf(key, sizeof(key), "%s_file", field);
	if ((name = target_cfg_get(cfg, key)) != NULL && name[0] != '\0') {
		*found = true;
		return from_file(field, name, buf, len, err, errlen);
	}
	return MC_OK;
}

void
secret_wipe(char *buf, size_t len)
{
	volatile char *p = buf;

	while (len-- > 0)
		*p++ = '\0';
}
