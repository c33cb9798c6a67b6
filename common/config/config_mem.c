/* config_mem.c - the arena that owns a configuration's strings, arrays
 * and document tree, and the small read-only queries on mc_config
 * (finders, enum texts). config_destroy() is here: the compiled rules
 * are the only things not in the arena. */
#include "config/config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_int.h"

#define CONFIG_MEM_BLOCK_BYTES 16384u

typedef struct mem_block mem_block;
struct mem_block {
	mem_block  *next;
	size_t      used, size;
	max_align_t data[];
};

struct config_mem {
	mem_block *head;
};

config_mem *
config_mem_create(void)
{
	return calloc(1, sizeof(config_mem));
}

void
config_mem_destroy(config_mem *m)
{
	mem_block *b, *next;

	if (m == NULL)
		return;
	for (b = m->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(m);
}

void *
config_mem_alloc(config_mem *m, size_t n)
{
	const size_t align = sizeof(max_align_t);
	mem_block   *b = m->head;
	void        *p;

	n = (n + align - 1) / align * align;
	if (n == 0)
		n = align;
	if (b == NULL || b->size - b->used < n) {
		size_t size =
		    n > CONFIG_MEM_BLOCK_BYTES ? n : CONFIG_MEM_BLOCK_BYTES;
		b = malloc(sizeof(*b) + size);
		if (b == NULL)
			return NULL;
		b->size = size;
		b->used = 0;
		b->next = m->head;
		m->head = b;
	}
	p = (char *) b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
}

char *
config_mem_strndup(config_mem *m, const char *s, size_t n)
{
	char *p = config_mem_alloc(m, n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

char *
config_mem_printf(config_mem *m, const char *fmt, ...)
{
	va_list ap;
	int     n;
	char   *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (p = config_mem_alloc(m, (size_t) n + 1)) == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t) n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void
config_destroy(mc_config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; c->rules != NULL && i < c->n_rules; i++) {
		rule_free(c->rules[i].compiled);
		rule_free(c->rules[i].series_compiled);
	}
	/* c itself lives in its arena. */
	config_mem_destroy((config_mem *) c->mem);
}

const char *
config_kv_get(const config_kvlist *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i].key, key) == 0)
			return l->items[i].value;
	return NULL;
}

const config_target *
config_find_target(const mc_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_targets; i++)
		if (strcmp(c->targets[i].name, name) == 0)
			return &c->targets[i];
	return NULL;
}

const config_module *
config_find_module(const mc_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_modules; i++)
		if (strcmp(c->modules[i].name, name) == 0)
			return &c->modules[i];
	return NULL;
}

const config_rule *
config_find_rule(const mc_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_rules; i++)
		if (strcmp(c->rules[i].name, name) == 0)
			return &c->rules[i];
	return NULL;
}

#define CONFIG_TEXT(id, s) s,
#define CONFIG_STR_FN(fn, type, list)                                         \
	const char *fn(type v)                                                \
	{                                                                     \
		static const char *const t[] = {list(CONFIG_TEXT)};           \
		if ((size_t) v >= sizeof(t) / sizeof(t[0]))                   \
			return "?";                                           \
		return t[v];                                                  \
	}
CONFIG_STR_FN(config_action_str, config_action, CONFIG_ACTIONS)
CONFIG_STR_FN(config_trigger_str, config_trigger, CONFIG_TRIGGERS)
CONFIG_STR_FN(config_priority_str, config_priority, CONFIG_PRIORITIES)
CONFIG_STR_FN(config_study_condition_str, config_study_condition,
    CONFIG_STUDY_CONDITIONS)
CONFIG_STR_FN(
    config_force_action_str, config_force_action, CONFIG_FORCE_ACTIONS)
CONFIG_STR_FN(
    config_scheduler_type_str, config_scheduler_type, CONFIG_SCHEDULERS)
CONFIG_STR_FN(
    config_dispatch_order_str, config_dispatch_order, CONFIG_DISPATCH_ORDERS)
CONFIG_STR_FN(
    config_dispatch_mode_str, config_dispatch_mode, CONFIG_DISPATCH_MODES)
