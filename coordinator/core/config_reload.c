/* config_reload.c - the configuration loaded off the event loop (see
 * config_reload.h). The thread only reads the file and builds a new
 * mc_config; everything it produces is handed over after the join. */
#include "core/config_reload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *
load_main(void *arg)
{
	config_reload *r = arg;

	r->rv = config_load_file(
	    r->path, &r->cfg, r->diags, CONFIG_RELOAD_DIAGS, &r->n_diags);
	atomic_store(&r->done, 1);
	return NULL;
}

mc_err
config_reload_start(const char *path, const char *why, config_reload **out)
{
	config_reload *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (r == NULL)
		return MC_ENOMEM;
	snprintf(r->path, sizeof(r->path), "%s", path);
	r->why = why;
	atomic_init(&r->done, 0);
	if (pthread_create(&r->thread, NULL, load_main, r) != 0) {
		free(r);
		return MC_ENOMEM;
	}
	*out = r;
	return MC_OK;
}

static void
join(config_reload *r)
{
	if (!r->joined) {
		pthread_join(r->thread, NULL);
		r->joined = true;
	}
}

bool
config_reload_done(config_reload *r)
{
	if (!atomic_load(&r->done))
		return false;
	join(r);
	return true;
}

void
config_reload_free(config_reload *r)
{
	if (r == NULL)
		return;
	join(r);
	config_destroy(r->cfg);
	free(r);
}
