/* target_halt.c - halted targets (mercure's queue halt): a dispatch task
 * whose rule sends to a halted target stays queued until the target is
 * resumed. The set is kept by name, so it survives a reload that
 * reorders targets, and in <root>/halted_targets (one name a line,
 * written atomically) so that it survives a restart. Loop thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "core/coord_int.h"

#define HALT_FILE "halted_targets"
#define HALT_FILE_MAX (256 * 1024)

typedef struct halted {
	char           name[TARGET_HALT_NAME_MAX + 1];
	UT_hash_handle hh;
} halted;

bool
target_halt_is(const coord *c, const char *name)
{
	halted *h = NULL;

	HASH_FIND_STR(c->halted, name, h);
	return h != NULL;
}

static void
save(coord *c)
{
	char    path[MC_PATH_MAX], *buf;
	size_t  cap = 1 + HASH_COUNT(c->halted) * (TARGET_HALT_NAME_MAX + 2);
	size_t  used = 0;
	halted *h, *tmp;

	if (coord_path(c, path, sizeof(path), HALT_FILE, NULL, NULL) !=
	        MC_OK ||
	    (buf = malloc(cap)) == NULL)
		return;
	HASH_ITER(hh, c->halted, h, tmp)
	used += (size_t) snprintf(buf + used, cap - used, "%s\n", h->name);
	if (sys_write_file_atomic(path, buf, used) != MC_OK)
		log_error("event=target.halt_save_failed file=%s", path);
	free(buf);
}

static bool
add(coord *c, const char *name)
{
	halted *h;

	if (target_halt_is(c, name) || strlen(name) > TARGET_HALT_NAME_MAX ||
	    (h = calloc(1, sizeof(*h))) == NULL)
		return false;
	snprintf(h->name, sizeof(h->name), "%s", name);
	HASH_ADD_STR(c->halted, name, h);
	return true;
}

bool
target_halt_set(coord *c, const char *name, bool halt)
{
	halted *h = NULL;

	if (halt) {
		if (!add(c, name))
			return false;
	} else {
		HASH_FIND_STR(c->halted, name, h);
		if (h == NULL)
			return false;
		HASH_DEL(c->halted, h);
		free(h);
	}
	save(c);
	return true;
}

bool
target_halt_blocks(const coord *c, const task_entry *t)
{
	const config_rule *r;

	if (c->halted == NULL || strcmp(t->meta.kind, "dispatch") != 0 ||
	    (r = config_find_rule(c->cfg, t->meta.rule)) == NULL)
		return false;
	for (size_t i = 0; i < r->n_targets; i++)
		if (target_halt_is(c, r->targets[i]))
			return true;
	return false;
}

void
target_halt_load(coord *c)
{
	char   path[MC_PATH_MAX], *text = NULL, *line, *save_ptr = NULL;
	size_t len;

	if (coord_path(c, path, sizeof(path), HALT_FILE, NULL, NULL) !=
	        MC_OK ||
	    !sys_exists(path) ||
	    sys_read_plain_file(path, HALT_FILE_MAX, &text, &len) != MC_OK)
		return;
	for (line = strtok_r(text, "\n", &save_ptr); line != NULL;
	     line = strtok_r(NULL, "\n", &save_ptr))
		if (add(c, line))
			log_info("event=target.halted target=\"%s\" "
			         "msg=\"halted before the restart\"",
			    line);
	free(text);
}

void
target_halt_free(coord *c)
{
	halted *h, *tmp;

	HASH_ITER(hh, c->halted, h, tmp)
	{
		HASH_DEL(c->halted, h);
		free(h);
	}
}
