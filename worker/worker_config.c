/* worker_config.c - the configuration file, loaded once (worker_config.h).
 * The worker is one process per task: no locking. */
#include "worker_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORKER_CONFIG_DIAGS 4

static const char *g_path;
static mc_config  *g_cfg;

void
worker_config_set_path(const char *path)
{
	g_path = path;
}

const char *
worker_config_path(void)
{
	const char *p = g_path;

	if (p == NULL || p[0] == '\0')
		p = getenv(CONFIG_PATH_ENV);
	return p != NULL && p[0] != '\0' ? p : NULL;
}

mc_err
worker_config_get(const mc_config **out, char *err, size_t errlen)
{
	const char *path = worker_config_path();
	config_diag d[WORKER_CONFIG_DIAGS];
	size_t      n = 0;
	char        line[512];
	mc_err      rv;

	*out = NULL;
	if (g_cfg != NULL) {
		*out = g_cfg;
		return MC_OK;
	}
	if (path == NULL) {
		snprintf(err, errlen, "no configuration file (--config, $%s)",
		    CONFIG_PATH_ENV);
		return MC_ENOENT;
	}
	rv = config_load_file(path, &g_cfg, d, WORKER_CONFIG_DIAGS, &n);
	if (rv != MC_OK) {
		/* the first error, not a warning */
		size_t i = 0;
		while (i < n && d[i].severity != CONFIG_ERROR)
			i++;
		snprintf(err, errlen, "configuration %s: %s", path,
		    i < n ? config_diag_format(&d[i], line, sizeof(line))
		          : mc_strerror(rv));
		return rv == MC_ENOENT ? MC_EIO : rv;
	}
	*out = g_cfg;
	return MC_OK;
}

mc_err
worker_config_target(
    const char *name, target_cfg **out, char *err, size_t errlen)
{
	const mc_config     *cfg;
	const config_target *t;
	mc_err               rv;

	*out = NULL;
	if ((rv = worker_config_get(&cfg, err, errlen)) != MC_OK)
		return rv;
	if ((t = config_find_target(cfg, name)) == NULL) {
		snprintf(err, errlen, "no target '%s' in %s", name,
		    worker_config_path());
		return MC_ENOENT;
	}
	return target_cfg_from_config(t, out);
}

mc_err
worker_config_webhook(
    const char *rule_name, char *buf, size_t len, char *err, size_t errlen)
{
	const mc_config   *cfg;
	const config_rule *r;
	const char        *url;
	mc_err             rv;

	buf[0] = '\0';
	if ((rv = worker_config_get(&cfg, err, errlen)) != MC_OK)
		return rv;
	if ((r = config_find_rule(cfg, rule_name)) == NULL) {
		snprintf(err, errlen, "no rule '%s' in %s", rule_name,
		    worker_config_path());
		return MC_ENOENT;
	}
	url = config_kv_get(&r->extra, CONFIG_RULE_SECRET_FIELD);
	if (url == NULL || url[0] == '\0') {
		snprintf(err, errlen, "rule '%s' has no %s in %s", rule_name,
		    CONFIG_RULE_SECRET_FIELD, worker_config_path());
		return MC_ENOENT;
	}
	if (strlen(url) >= len) {
		snprintf(err, errlen, "rule '%s': %s too long", rule_name,
		    CONFIG_RULE_SECRET_FIELD);
		return MC_ECONFIG;
	}
	memcpy(buf, url, strlen(url) + 1);
	return MC_OK;
}

void
worker_config_release(void)
{
	config_destroy(g_cfg);
	g_cfg = NULL;
}
