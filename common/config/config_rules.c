/* config_rules.c - `rules`: each rule's fields, its expression and its
 * study_trigger_series compiled once here (rule.h), errors placed at the
 * exact column in the file, and its targets and modules resolved to the
 * sections built before. notification_* and the documentation fields are
 * kept as written for the notification code. */
#include "config/config.h"

#include <string.h>

#include "config/config_int.h"

#define RULE_FIELDS(X)                                                        \
	X(RULE, "rule")                                                       \
	X(ACTION, "action")                                                   \
	X(ACTION_TRIGGER, "action_trigger")                                   \
	X(STUDY_TRIGGER_CONDITION, "study_trigger_condition")                 \
	X(STUDY_TRIGGER_SERIES, "study_trigger_series")                       \
	X(STUDY_FORCE_COMPLETION_ACTION, "study_force_completion_action")     \
	X(TARGET, "target")                                                   \
	X(PRIORITY, "priority")                                               \
	X(DISABLED, "disabled")                                               \
	X(FALLBACK, "fallback")                                               \
	X(SERIES_COMPLETE_TRIGGER, "series_complete_trigger")                 \
	X(EXPECTED_INSTANCES, "expected_instances")                           \
	X(PROCESSING_MODULE, "processing_module")                             \
	X(PROCESSING_SETTINGS, "processing_settings")                         \
	X(PROCESSING_RETAIN_IMAGES, "processing_retain_images")               \
	X(STUDY_DISPATCH_ORDER, "study_dispatch_order")                       \
	X(STUDY_DISPATCH_ORDER_TIMEOUT, "study_dispatch_order_timeout")       \
	X(DISPATCH_MODE, "dispatch_mode")
#define RULE_ENUM(id, s) RF_##id,
#define RULE_NAME(id, s) s,
enum { RULE_FIELDS(RULE_ENUM) RF_N };

/* Kept in config_rule.extra; the last three are mercure's dynamic
 * routing (check_dynamic_routing). */
#define RULE_EXTRA_NOT_IMPLEMENTED 3
static const char *const rule_known[] = {
    RULE_FIELDS(RULE_NAME) "notification_webhook", "notification_payload",
    "notification_payload_body", "notification_email",
    "notification_email_body", "notification_email_type",
    "notification_trigger_reception", "notification_trigger_completion",
    "notification_trigger_error", "notification_trigger_completion_on_request",
    "contact", "comment", "tags", "set_tags", "instance_filter",
    "dynamic_routing", "dynamic_routing_allowed_targets",
    "conditional_alternate_target", NULL};
#define RULE_KNOWN_N (sizeof(rule_known) / sizeof(rule_known[0]) - 1)

#define ENUM_NAMES(list)                                                      \
	{                                                                     \
		list(RULE_NAME)                                               \
	}
static const char *const actions[] = ENUM_NAMES(CONFIG_ACTIONS);
static const char *const triggers[] = ENUM_NAMES(CONFIG_TRIGGERS);
static const char *const priorities[] = ENUM_NAMES(CONFIG_PRIORITIES);
static const char *const conditions[] = ENUM_NAMES(CONFIG_STUDY_CONDITIONS);
static const char *const forces[] = ENUM_NAMES(CONFIG_FORCE_ACTIONS);
#define N_OF(a) (sizeof(a) / sizeof(a[0]))

typedef mc_err (*compile_fn)(const char *, size_t, rule **, mc_diag *);

/* compile - an expression at node v (or text when v is NULL). rule.h
 * gives the column within the expression; when the source spells the
 * text exactly (one line, no escapes: its width is the length, plus the
 * quotes) that maps to a column in the file, otherwise we say both. */
static rule *
compile(
    cctx *x, compile_fn fn, const cnode *v, const char *text, const char *path)
{
	mc_diag d = {0};
	rule   *r = NULL;
	size_t  quote;
	mc_err  rv = fn(text, strlen(text), &r, &d);

	if (rv == MC_OK)
		return r;
	if (rv == MC_ENOMEM) {
		cctx_oom(x);
		return NULL;
	}
	if (v == NULL) {
		cctx_diag(x, CONFIG_ERROR, 0, 0, path, "%s", d.msg);
		return NULL;
	}
	quote =
	    v->style == CNODE_SINGLE_QUOTED || v->style == CNODE_DOUBLE_QUOTED;
	if (v->one_line && v->style != CNODE_BLOCK &&
	    v->width == v->len + 2 * quote && d.column >= 1)
		cctx_diag(x, CONFIG_ERROR, v->line,
		    v->column + quote + d.column - 1, path, "%s", d.msg);
	else
		cctx_diag(x, CONFIG_ERROR, v->line, v->column, path,
		    "%s (column %zu of the expression)", d.msg, d.column);
	return NULL;
}

/* check_instance_filter - a rule expression evaluated per instance by
 * the worker (worker/instance_filter.c), compiled here for its errors */
static void
check_instance_filter(cctx *x, const cnode *v, const char *path)
{
	const char *text = NULL;

	if (cval_str(x, v, path, &text) && text != NULL && text[0] != '\0')
		rule_free(compile(
		    x, rule_compile, text == v->text ? v : NULL, text, path));
}

static const char *const *
target_names(cctx *x)
{
	const mc_config *c = x->cfg;
	const char     **n =
	    config_mem_alloc(x->mem, (c->n_targets + 1) * sizeof(*n));

	if (n == NULL) {
		cctx_oom(x);
		return NULL;
	}
	for (size_t i = 0; i < c->n_targets; i++)
		n[i] = c->targets[i].name;
	return n;
}

static void
build_targets(cctx *x, config_rule *r, const cnode *v, const char *path)
{
	const cnode *const *at;
	const char *const  *names = target_names(x);
	size_t             *idx;

	if (names == NULL ||
	    !cval_strlist(x, v, path, &r->targets, &at, &r->n_targets))
		return;
	if ((idx = config_mem_alloc(
	         x->mem, (r->n_targets + 1) * sizeof(*idx))) == NULL) {
		cctx_oom(x);
		return;
	}
	for (size_t i = 0; i < r->n_targets; i++)
		config_resolve(x, at[i], path, "target", names, &idx[i]);
	r->target_index = idx;
}

static void
build_modules(cctx *x, config_rule *r, const cnode *v, const char *path)
{
	const cnode *const *at;
	const char        **names;
	size_t              ix;

	if (!cval_strlist(x, v, path, &r->processing_modules, &at,
	        &r->n_processing_modules))
		return;
	names =
	    config_mem_alloc(x->mem, (x->cfg->n_modules + 1) * sizeof(*names));
	if (names == NULL) {
		cctx_oom(x);
		return;
	}
	for (size_t i = 0; i < x->cfg->n_modules; i++)
		names[i] = x->cfg->modules[i].name;
	for (size_t i = 0; i < r->n_processing_modules; i++)
		config_resolve(x, at[i], path, "module", names, &ix);
}

static void
build_settings(cctx *x, config_rule *r, const cnode *v, const char *path)
{
	/* "": mercure's model (pydantic's dict()) reads it as {} */
	bool empty = v->kind == CNODE_SCALAR && v->len == 0;
	bool ok = v->kind == CNODE_MAP || cval_is_null(v) || empty;

	for (size_t i = 0; v->kind == CNODE_SEQ && i < v->n; i++)
		ok = v->items[i]->kind == CNODE_MAP;
	if (v->kind == CNODE_SEQ && v->n == 0)
		ok = true;
	if (!ok) {
		cctx_error(
		    x, v, path, "expected a mapping or a list of mappings");
		return;
	}
	if (!cval_is_null(v) && !empty)
		r->processing_settings = cval_json(x, v, path);
}

/* check_dynamic_routing - mercure lets the last module of a rule name
 * the targets in its result.json (__mercure_routing) when
 * dynamic_routing is true; the other two fields only act then. Off (what
 * mercure writes for every rule) is accepted as is; on is refused, since
 * routing to other targets than the rule's would be silently lost. */
static void
check_dynamic_routing(
    cctx *x, int id, const cnode *k, const cnode *v, const char *path)
{
	bool on = false;

	if (cval_is_null(v) || (v->kind == CNODE_SCALAR && v->len == 0) ||
	    (v->kind == CNODE_SEQ && v->n == 0))
		return;
	if (id == (int) (RULE_KNOWN_N - RULE_EXTRA_NOT_IMPLEMENTED)) {
		if (cval_bool(x, v, path, &on) && on)
			cctx_error(x, v, path,
			    "not supported: a module cannot choose the "
			    "targets; select them with rules on the series' "
			    "tags (one rule per target)");
		return;
	}
	cctx_warn(x, k, path,
	    "no effect without dynamic_routing (not supported), as in "
	    "mercure when it is false; ignored");
}

/* keep_extra - a kept field; warns about the unimplemented ones when
 * they are set (mercure writes every field, so defaults are common). */
static void
keep_extra(cctx *x, config_rule *r, int id, const cnode *k, const cnode *v,
    const char *path)
{
	config_kv *e = (config_kv *) &r->extra.items[r->extra.n];

	if (id >= (int) (RULE_KNOWN_N - RULE_EXTRA_NOT_IMPLEMENTED))
		check_dynamic_routing(x, id, k, v, path);
	e->key = k->text;
	e->line = v->line;
	e->column = v->column;
	if (cval_is_null(v))
		e->kind = CONFIG_KV_NULL;
	else if (v->kind == CNODE_SCALAR) {
		e->kind = CONFIG_KV_SCALAR;
		e->value = v->text;
	} else {
		e->kind = CONFIG_KV_JSON;
		if ((e->value = cval_json(x, v, path)) == NULL)
			return;
	}
	r->extra.n++;
}

static void
build_enums(cctx *x, config_rule *r, const cnode *const *f, const char *path)
{
	char sub[CONFIG_PATH_MAX_LEN];
	int  v;
	struct {
		int                id;
		const char        *what;
		const char *const *names;
		size_t             n;
		int               *out;
	} const t[] = {
	    {RF_ACTION, "action", actions, N_OF(actions), &v},
	    {RF_ACTION_TRIGGER, "action_trigger", triggers, N_OF(triggers),
	        &v},
	    {RF_PRIORITY, "priority", priorities, N_OF(priorities), &v},
	    {RF_STUDY_TRIGGER_CONDITION, "study_trigger_condition", conditions,
	        N_OF(conditions), &v},
	    {RF_STUDY_FORCE_COMPLETION_ACTION, "study_force_completion_action",
	        forces, N_OF(forces), &v},
	};

	for (size_t i = 0; i < N_OF(t); i++) {
		const cnode *n = f[t[i].id];
		v = 0;
		if (n == NULL ||
		    !cval_enum(x, n,
		        config_path(sub, path, rule_known[t[i].id]), t[i].what,
		        t[i].names, t[i].n, &v))
			continue;
		switch (t[i].id) {
		case RF_ACTION:
			r->action = (config_action) v;
			break;
		case RF_ACTION_TRIGGER:
			r->action_trigger = (config_trigger) v;
			break;
		case RF_PRIORITY:
			r->priority = (config_priority) v;
			break;
		case RF_STUDY_TRIGGER_CONDITION:
			r->study_trigger_condition =
			    (config_study_condition) v;
			break;
		default:
			r->study_force_completion_action =
			    (config_force_action) v;
			break;
		}
	}
}

static void
build_expressions(
    cctx *x, config_rule *r, const cnode *const *f, const char *path)
{
	char         sub[CONFIG_PATH_MAX_LEN];
	const cnode *v = f[RF_RULE];

	config_path(sub, path, "rule");
	if (v != NULL && cval_str(x, v, sub, &r->text) &&
	    strspn(r->text, " \t\r\n") == strlen(r->text))
		r->text = "False"; /* mercure's default; "" never triggers */
	else if (v != NULL && r->text == v->text &&
	         rule_starts_indented(r->text)) {
		/* mercure loads it and it never triggers; so here too, and
		 * the file still loads */
		cctx_warn(x, v, sub,
		    "starts with a space or tab: mercure never triggers it "
		    "(IndentationError); it is False here too");
		r->text = "False";
	}
	if (v == NULL || r->text != v->text)
		r->compiled = compile(x, rule_compile, NULL, r->text, sub);
	else
		r->compiled = compile(x, rule_compile, v, r->text, sub);

	config_path(sub, path, "study_trigger_series");
	v = f[RF_STUDY_TRIGGER_SERIES];
	if (v != NULL && cval_str(x, v, sub, &r->study_trigger_series) &&
	    r->study_trigger_series[0] != '\0')
		r->series_compiled = compile(
		    x, rule_compile_series, v, r->study_trigger_series, sub);
	if (r->action_trigger == CONFIG_TRIGGER_STUDY &&
	    r->study_trigger_condition == CONFIG_STUDY_RECEIVED_SERIES &&
	    r->series_compiled == NULL && r->study_trigger_series[0] == '\0')
		cctx_warn(x, f[RF_STUDY_TRIGGER_CONDITION],
		    config_path(sub, path, "study_trigger_condition"),
		    "received_series without study_trigger_series: the "
		    "study completes only by force");
}

static void
build_rest(cctx *x, config_rule *r, const cnode *const *f, const char *path,
    const cnode *m, size_t errors_before)
{
	char sub[CONFIG_PATH_MAX_LEN];

	if (f[RF_DISABLED] != NULL)
		cval_bool(x, f[RF_DISABLED],
		    config_path(sub, path, "disabled"), &r->disabled);
	if (f[RF_FALLBACK] != NULL)
		cval_bool(x, f[RF_FALLBACK],
		    config_path(sub, path, "fallback"), &r->fallback);
	if (f[RF_PROCESSING_RETAIN_IMAGES] != NULL)
		cval_bool(x, f[RF_PROCESSING_RETAIN_IMAGES],
		    config_path(sub, path, "processing_retain_images"),
		    &r->processing_retain_images);
	config_build_rule_completion(x, r, f[RF_SERIES_COMPLETE_TRIGGER],
	    f[RF_EXPECTED_INSTANCES], path);
	if (f[RF_TARGET] != NULL)
		build_targets(
		    x, r, f[RF_TARGET], config_path(sub, path, "target"));
	if (f[RF_PROCESSING_MODULE] != NULL)
		build_modules(x, r, f[RF_PROCESSING_MODULE],
		    config_path(sub, path, "processing_module"));
	if (f[RF_PROCESSING_SETTINGS] != NULL)
		build_settings(x, r, f[RF_PROCESSING_SETTINGS],
		    config_path(sub, path, "processing_settings"));
	if (f[RF_STUDY_DISPATCH_ORDER] != NULL)
		config_check_dispatch_order(x, f[RF_STUDY_DISPATCH_ORDER],
		    config_path(sub, path, "study_dispatch_order"),
		    &r->study_dispatch_order);
	if (f[RF_STUDY_DISPATCH_ORDER_TIMEOUT] != NULL)
		config_check_dispatch_order_timeout(x,
		    f[RF_STUDY_DISPATCH_ORDER_TIMEOUT],
		    config_path(sub, path, "study_dispatch_order_timeout"),
		    &r->study_dispatch_order_timeout_s);
	if (f[RF_DISPATCH_MODE] != NULL)
		config_check_dispatch_mode(x, f[RF_DISPATCH_MODE],
		    config_path(sub, path, "dispatch_mode"),
		    &r->dispatch_mode);
	if (x->n_errors > errors_before)
		return; /* the warnings below would only add noise */
	if ((r->action == CONFIG_ACTION_ROUTE ||
	        r->action == CONFIG_ACTION_BOTH) &&
	    r->n_targets == 0)
		cctx_warn(x, m, path, "action '%s' without a target",
		    config_action_str(r->action));
	for (size_t i = 0; i < r->extra.n; i++)
		if (strcmp(r->extra.items[i].key, "set_tags") == 0 &&
		    (r->action == CONFIG_ACTION_NOTIFICATION ||
		        r->action == CONFIG_ACTION_DISCARD))
			cctx_diag(x, CONFIG_WARNING, r->extra.items[i].line,
			    r->extra.items[i].column,
			    config_path(sub, path, "set_tags"),
			    "no effect: action '%s' sends nothing",
			    config_action_str(r->action));
	if ((r->action == CONFIG_ACTION_PROCESS ||
	        r->action == CONFIG_ACTION_BOTH) &&
	    r->n_processing_modules == 0)
		cctx_warn(x, m, path,
		    "action '%s' without a processing_module",
		    config_action_str(r->action));
	config_check_rule_stream(x, x->cfg, r, path);
}

static void
build_rule(cctx *x, config_rule *r, const cnode *m, const char *path)
{
	const cnode *f[RF_N] = {0};
	char         sub[CONFIG_PATH_MAX_LEN];
	size_t       errors_before = x->n_errors;

	r->text = "False";
	r->study_trigger_series = "";
	r->processing_settings = "{}";
	r->study_dispatch_order = CONFIG_ORDER_INHERIT;
	r->dispatch_mode = CONFIG_DISPATCH_MODE_INHERIT;
	r->line = m->line;
	r->column = m->column;
	if (!cval_map(x, m, path)) {
		if (cval_is_null(m))
			cctx_error(x, m, path, "expected a mapping, got null");
		return;
	}
	r->extra.items =
	    config_mem_alloc(x->mem, (m->n + 1) * sizeof(config_kv));
	if (r->extra.items == NULL) {
		cctx_oom(x);
		return;
	}
	for (size_t i = 0; i < m->n; i++) {
		const cnode *k = m->items[2 * i], *v = m->items[2 * i + 1];
		int          id;
		config_path(
		    sub, path, k->kind == CNODE_SCALAR ? k->text : "?");
		id = config_fields_check(x, k, sub, rule_known, NULL);
		if (id >= RF_N && strcmp(k->text, "set_tags") == 0)
			config_check_set_tags(x, v, sub);
		if (id >= RF_N && strcmp(k->text, "instance_filter") == 0)
			check_instance_filter(x, v, sub);
		if (id >= RF_N)
			keep_extra(x, r, id, k, v, sub);
		else if (id >= 0)
			f[id] = v;
	}
	build_enums(x, r, f, path);
	build_expressions(x, r, f, path);
	build_rest(x, r, f, path, m, errors_before);
}

void
config_build_rules(cctx *x, const cnode *m)
{
	config_rule *r;
	char         path[CONFIG_PATH_MAX_LEN];

	if (!cval_map(x, m, "rules"))
		return;
	if ((r = config_mem_alloc(x->mem, (m->n + 1) * sizeof(*r))) == NULL) {
		cctx_oom(x);
		return;
	}
	/* Published first, so config_destroy() frees what compiled. */
	x->cfg->rules = r;
	x->cfg->n_rules = m->n;
	for (size_t i = 0; i < m->n; i++) {
		const cnode *k = m->items[2 * i];
		r[i].name = "";
		if (k->kind != CNODE_SCALAR || k->len == 0) {
			cctx_error(x, k, "rules", "a name must be a string");
			continue;
		}
		r[i].name = k->text;
		build_rule(x, &r[i], m->items[2 * i + 1],
		    config_path(path, "rules", k->text));
	}
}
