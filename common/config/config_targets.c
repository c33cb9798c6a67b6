/* config_targets.c - `targets` and `modules`. Each target is checked
 * against its type's row in config/target_types.def (known fields,
 * required ones, each field's check, which fills the typed members of
 * config_target); every field of every target is also kept as written,
 * for the types whose fields the worker reads itself.
 * Modules are kept generic, except that a built-in one is checked
 * against config/builtin_modules.def (config_builtin.c). Names are checked for
 * uniqueness by the YAML layer (duplicate keys). */
#include "config/config.h"

#include <string.h>

#include "config/config_int.h"

/* required - the value of key, or NULL after "missing field". */
static const cnode *
required(cctx *x, const cnode *m, const char *path, const char *key)
{
	const cnode *v = cval_field(m, key);

	if (v == NULL || cval_is_null(v))
		cctx_error(x, m, path, "missing field '%s'", key);
	return v != NULL && !cval_is_null(v) ? v : NULL;
}

/* check_fields - unknown fields are errors for the strict types, and
 * kept with a warning for the others (their models may have fields our
 * table lacks). */
static void
check_fields(
    cctx *x, const config_target_schema *s, const cnode *m, const char *path)
{
	char sub[CONFIG_PATH_MAX_LEN];

	for (size_t i = 0; i < m->n; i++) {
		const cnode *k = m->items[2 * i];
		config_path(
		    sub, path, k->kind == CNODE_SCALAR ? k->text : "?");
		if (s->strict)
			config_fields_check(x, k, sub, s->known, NULL);
		else
			config_fields_note(x, k, sub, s->known);
	}
}

/* check_typed - each of the type's fields in table order: a required one
 * must be there; then its check (which also sees an absent field, for
 * defaults). */
static void
check_typed(cctx *x, config_target *t, const config_target_schema *s,
    const cnode *m, const char *path)
{
	char sub[CONFIG_PATH_MAX_LEN];

	for (const config_target_field *f = s->fields; f->name != NULL; f++) {
		const cnode *v = cval_field(m, f->name);
		if ((f->flags & CONFIG_FIELD_REQUIRED) &&
		    (v = required(x, m, path, f->name)) == NULL)
			continue;
		f->check(x, t, v, config_path(sub, path, f->name));
	}
}

static void
build_target(cctx *x, config_target *t, const cnode *m, const char *path)
{
	const config_target_schema *schemas, *s;
	size_t                      n;
	const cnode                *type = NULL;
	int                         ti = 0;
	char                        sub[CONFIG_PATH_MAX_LEN];

	t->line = m->line;
	t->column = m->column;
	if (!cval_map(x, m, path)) {
		if (cval_is_null(m))
			cctx_error(x, m, path, "expected a mapping, got null");
		return;
	}
	schemas = config_target_schemas(&n);
	if (cval_field(m, "target_type") == NULL) {
		const char *name = config_target_infer(m);
		while (ti < (int) n && strcmp(schemas[ti].name, name) != 0)
			ti++;
		cctx_warn(x, m, path,
		    "no target_type: '%s' inferred from its fields, as mercure "
		    "does (write target_type: %s)",
		    name, name);
	} else if ((type = required(x, m, path, "target_type")) == NULL ||
	           !cval_enum(x, type, config_path(sub, path, "target_type"),
	               "target_type", config_target_type_names(), n, &ti))
		return;
	s = &schemas[ti];
	t->type = s->name;
	check_fields(x, s, m, path);
	if (!cval_kvlist(x, m, path, &t->fields))
		return;
	if (type == NULL) {
		/* the fields are what the task and the worker read the type
		 * from; cval_kvlist leaves room for one more */
		config_kv *e = (config_kv *) &t->fields.items[t->fields.n++];
		e->key = "target_type";
		e->value = s->name;
		e->kind = CONFIG_KV_SCALAR;
		e->line = m->line;
		e->column = m->column;
	}
	check_typed(x, t, s, m, path);
	config_check_max_concurrent_tasks(x, m, path, t);
}

void
config_build_targets(cctx *x, const cnode *m)
{
	config_target *t;
	char           path[CONFIG_PATH_MAX_LEN];

	if (!cval_map(x, m, "targets"))
		return;
	if ((t = config_mem_alloc(x->mem, (m->n + 1) * sizeof(*t))) == NULL) {
		cctx_oom(x);
		return;
	}
	for (size_t i = 0; i < m->n; i++) {
		const cnode *k = m->items[2 * i];
		t[i].name = "";
		if (k->kind != CNODE_SCALAR || k->len == 0) {
			cctx_error(x, k, "targets", "a name must be a string");
			continue;
		}
		t[i].name = k->text;
		build_target(x, &t[i], m->items[2 * i + 1],
		    config_path(path, "targets", k->text));
	}
	x->cfg->targets = t;
	x->cfg->n_targets = m->n;
}

static const char *const module_fields[] = {"docker_tag", "builtin",
    "additional_volumes", "environment", "docker_arguments", "settings",
    "contact", "comment", "constraints", "resources", "requires_root",
    "requires_persistence", "persistence_folder_name", "network_enabled",
    NULL};

void
config_build_modules(cctx *x, const cnode *m)
{
	config_module *mod;
	char           path[CONFIG_PATH_MAX_LEN], sub[CONFIG_PATH_MAX_LEN];

	if (!cval_map(x, m, "modules"))
		return;
	if ((mod = config_mem_alloc(x->mem, (m->n + 1) * sizeof(*mod))) ==
	    NULL) {
		cctx_oom(x);
		return;
	}
	for (size_t i = 0; i < m->n; i++) {
		const cnode *k = m->items[2 * i], *v = m->items[2 * i + 1];
		mod[i].name = "";
		if (k->kind != CNODE_SCALAR || k->len == 0) {
			cctx_error(x, k, "modules", "a name must be a string");
			continue;
		}
		mod[i].name = k->text;
		mod[i].line = v->line;
		mod[i].column = v->column;
		config_path(path, "modules", k->text);
		if (!cval_kvlist(x, v, path, &mod[i].fields))
			continue;
		for (size_t j = 0; j < v->n; j++) {
			const cnode *f = v->items[2 * j];
			config_path(sub, path, f->text);
			config_fields_note(x, f, sub, module_fields);
			if (strcmp(f->text, "builtin") == 0)
				config_builtin_check_module(
				    x, v, v->items[2 * j + 1], path);
		}
	}
	x->cfg->modules = mod;
	x->cfg->n_modules = m->n;
}
