/* config_int.h - shared between the config_*.c files and nothing else:
 * the arena, the parsed document tree (config_load.c turns libyaml's
 * document into it, so <yaml.h> stays in one file), the diagnostics
 * collector and the value converters. */
#ifndef MC_COMMON_CONFIG_INT_H
#define MC_COMMON_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

/* Field paths ("rules.ct_rule.target") fit mc_diag.field. */
#define CONFIG_PATH_MAX_LEN 128

/* config_mem - a bump arena owning every string and array of one
 * mc_config and its document tree; freed in one call. */
typedef struct config_mem config_mem;
config_mem               *config_mem_create(void); /* NULL: out of memory */
void                      config_mem_destroy(config_mem *m);
void *config_mem_alloc(config_mem *m, size_t n); /* zeroed; NULL */
char *config_mem_strndup(config_mem *m, const char *s, size_t n);
char *config_mem_printf(config_mem *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

typedef enum { CNODE_SCALAR, CNODE_SEQ, CNODE_MAP } cnode_kind;
typedef enum {
	CNODE_PLAIN,
	CNODE_SINGLE_QUOTED,
	CNODE_DOUBLE_QUOTED,
	CNODE_BLOCK
} cnode_style;

/* cnode - one node of the document. A mapping holds 2n items (key,
 * value, key, value, ...) with duplicate keys already reported and
 * dropped; a sequence holds n. Aliases share nodes. */
typedef struct cnode cnode;
struct cnode {
	cnode_kind    kind;
	cnode_style   style;
	const char   *text; /* scalar, NUL terminated */
	size_t        len;
	size_t        line, column; /* 1-based start */
	bool          one_line;     /* scalar starts and ends on one line */
	size_t        width;        /* one_line: characters in the source */
	size_t        n;
	const cnode **items;
};

/* cctx - one load: where diagnostics go and what is being built. */
typedef struct cctx {
	config_mem  *mem;
	const char  *file;
	config_diag *diags;
	size_t       max_diags, n_diags;
	size_t       n_errors;
	bool         oom;
	mc_config   *cfg;
	/* the module mapping whose built-in is being checked, for a
	 * config_builtin_check to report at when its settings are absent */
	const cnode *builtin_module;
} cctx;

void cctx_diag(cctx *x, config_severity sev, size_t line, size_t column,
    const char *field, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
void cctx_error(cctx *x, const cnode *at, const char *field, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));
void cctx_warn(cctx *x, const cnode *at, const char *field, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));
/* cctx_sort - order the stored diagnostics by position (stable). */
void cctx_sort(cctx *x);
/* cctx_oom - note an allocation failure; the load returns MC_ENOMEM. */
void cctx_oom(cctx *x);

/* config_suggest - the candidate closest to word by edit distance, if
 * close enough to be a likely typo; NULL otherwise. */
const char *config_suggest(const char *word, const char *const *cands);

/* config_path - parent + "." + key into buf (CONFIG_PATH_MAX_LEN). */
const char *config_path(char *buf, const char *parent, const char *key);

/* config_fields_check - look up a mapping key among known (NULL
 * terminated). Returns its index; or -1 after a warning when it is in
 * ignored ("not implemented, ignored"), or -1 after an "unknown field"
 * error (with a suggestion) otherwise. */
int config_fields_check(cctx *x, const cnode *key, const char *path,
    const char *const *known, const char *const *ignored);

/* config_fields_note - for sections kept generic: a key that is not in
 * known gets an "unknown field, kept" warning. */
void config_fields_note(
    cctx *x, const cnode *key, const char *path, const char *const *known);

/* Value converters: on a wrong type or value they report at v under
 * path and return false, leaving *out unchanged. A null leaves *out
 * unchanged and returns true (mercure's Optional fields). */
bool cval_str(cctx *x, const cnode *v, const char *path, const char **out);
bool cval_bool(cctx *x, const cnode *v, const char *path, bool *out);
bool cval_uint(
    cctx *x, const cnode *v, const char *path, uint32_t max, uint32_t *out);
/* cval_int - a signed integer within int32_t ("-60"). */
bool cval_int(cctx *x, const cnode *v, const char *path, int32_t *out);
bool cval_double(cctx *x, const cnode *v, const char *path, double *out);
bool cval_enum(cctx *x, const cnode *v, const char *path, const char *what,
    const char *const *names, size_t n, int *out);
/* cval_strlist - a string or a list of strings into an arena array. */
bool cval_strlist(cctx *x, const cnode *v, const char *path,
    const char *const **out, const cnode *const **nodes, size_t *n);
bool cval_is_null(const cnode *v);
/* cval_bool_word - 1 for a YAML 1.1 true, 0 for false, -1 otherwise. */
int cval_bool_word(const cnode *v);
/* cval_json - compact JSON text of v (arena), NULL after a diagnostic. */
const char *cval_json(cctx *x, const cnode *v, const char *path);
/* cval_kvlist - every field of map m into *out, in order. */
bool cval_kvlist(
    cctx *x, const cnode *m, const char *path, config_kvlist *out);
/* cval_is_empty_mapping - an empty list or an empty string: what
 * mercure's model (pydantic's dict()) reads as the empty mapping, and
 * what mercure's own defaults write for dicom_receiver.additional_tags. */
bool cval_is_empty_mapping(const cnode *v);
/* cval_map - require a mapping; reports and returns false otherwise. */
bool cval_map(cctx *x, const cnode *v, const char *path);
/* cval_field - the value of key in the mapping m, or NULL when absent */
const cnode *cval_field(const cnode *m, const char *key);

/* config_validate.c: checks of single values (report and return false). */
bool config_check_port(
    cctx *x, const cnode *v, const char *path, uint16_t *out);
bool config_check_aet(
    cctx *x, const cnode *v, const char *path, const char **out);
bool config_check_host(
    cctx *x, const cnode *v, const char *path, const char **out);
bool config_check_time(
    cctx *x, const cnode *v, const char *path, unsigned *minutes);
bool config_check_tag_key(cctx *x, const cnode *key, const char *path);
/* config_resolve - v (a string) must be one of names (NULL terminated):
 * *index is its position; otherwise "unknown <what> 'v'" (with a
 * suggestion) is reported. */
bool config_resolve(cctx *x, const cnode *v, const char *path,
    const char *what, const char *const *names, size_t *index);

/* ---- target types (config_target_schema.c): the rows of
 * config/target_types.def as the checks read them ---- */

/* config_target_check - check one field's value v at path and fill t's
 * typed member, if any; v is NULL when the field is absent (a null value
 * is passed on: the cval_* leave their output alone for it). Reports at
 * v. */
typedef void (*config_target_check)(
    cctx *x, config_target *t, const cnode *v, const char *path);

enum {
	CONFIG_FIELD_OPTIONAL = 0,
	CONFIG_FIELD_REQUIRED = 1 << 0, /* missing or null: an error */
	CONFIG_FIELD_SECRET = 1 << 1,   /* config_target_field_is_secret */
};

typedef struct config_target_field {
	const char         *name;
	unsigned            flags; /* CONFIG_FIELD_* */
	config_target_check check; /* never NULL */
} config_target_field;

typedef struct config_target_schema {
	const char *name;   /* target_type */
	bool        strict; /* an unknown field is an error, not kept */
	/* every field's name, the common ones first; NULL last */
	const char *const         *known;
	const config_target_field *fields; /* the type's own; name NULL last */
} config_target_schema;

/* config_target_schemas - the rows in table order (static); *n gets how
 * many. config_target_type_names - their names, in the same order (for
 * cval_enum). */
const config_target_schema *config_target_schemas(size_t *n);
const char *const          *config_target_type_names(void);

/* config_target_infer - the target_type mercure gives the target mapping
 * m that has none: the first of its models whose required fields m has;
 * "dummy" when none (config_target_infer.c). */
const char *config_target_infer(const cnode *m);

/* ---- built-in modules (config_builtin.c): the rows of
 * config/builtin_modules.def as the checks read them ---- */

/* config_builtin_check - check the settings of a module whose builtin is
 * this row's name; settings is the module's `settings` node, NULL when
 * absent (a null is passed on; x->builtin_module is the module's mapping
 * to report at then). Reports at the node that is wrong, under path
 * ("modules.<name>.settings"). */
typedef void (*config_builtin_check)(
    cctx *x, const cnode *settings, const char *path);

/* config_builtin_check_none - any settings: the module reads none. */
void config_builtin_check_none(
    cctx *x, const cnode *settings, const char *path);

/* config_set_tags.c: a list of set_tags operations at v (a rule's
 * set_tags), and the settings of the set_tags module (set_tags: [...]);
 * docs/set_tags.md. */
void config_check_set_tags(cctx *x, const cnode *v, const char *path);
void config_builtin_check_set_tags(
    cctx *x, const cnode *settings, const char *path);

/* config_builtin_check_deidentify - deid_settings_parse on the settings
 * (config_builtin_deidentify.c); absent settings pass (the rule's
 * processing_settings may give them). */
void config_builtin_check_deidentify(
    cctx *x, const cnode *settings, const char *path);

/* config_builtin_names - the rows' names in table order, NULL last
 * (static); *n gets how many (n may be NULL). */
const char *const *config_builtin_names(size_t *n);

/* config_builtin_check_module - the `builtin` field of module mapping m
 * (a value node, never NULL): a known name, neither `docker_tag` nor
 * `command` beside it, then the row's settings check. */
void config_builtin_check_module(
    cctx *x, const cnode *m, const cnode *builtin, const char *path);

/* The builders, in the order config_build() calls them. */
void config_build(cctx *x, const cnode *root);
void config_build_receiver(cctx *x, const cnode *v);
void config_build_scheduler(cctx *x, const cnode *v);
void config_build_http(cctx *x, const cnode *v);
void config_build_targets(cctx *x, const cnode *m);
void config_build_modules(cctx *x, const cnode *m);
void config_build_rules(cctx *x, const cnode *m);
/* config_complete.c: the completion signals; a NULL node is absent */
void config_build_completion(cctx *x, const cnode *on_assoc_end,
    const cnode *grace, const cnode *on_expected);
void config_build_rule_completion(cctx *x, config_rule *r,
    const cnode *trigger, const cnode *expected, const char *path);
/* mercure's fields beyond routing (config_mercure_extra.c) */
void config_build_email_from(cctx *x, const cnode *v);
void config_build_webhook_ca(cctx *x, const cnode *v);
void config_build_features(cctx *x, const cnode *v);
void config_build_processing_logs(cctx *x, const cnode *v);
void config_build_sample_tags(cctx *x, const cnode *v);
void config_build_dicom_retrieve(cctx *x, const cnode *v);
/* config_dispatch_order.c */
void config_check_dispatch_mode(
    cctx *x, const cnode *v, const char *path, config_dispatch_mode *out);
void config_check_rule_stream(
    cctx *x, const mc_config *c, const config_rule *r, const char *path);
void config_check_dispatch_order(
    cctx *x, const cnode *v, const char *path, config_dispatch_order *out);
void config_check_dispatch_order_timeout(
    cctx *x, const cnode *v, const char *path, uint32_t *out);
/* config_check_max_concurrent_tasks - the field of target mapping m */
void config_check_max_concurrent_tasks(
    cctx *x, const cnode *m, const char *path, config_target *t);

#endif
