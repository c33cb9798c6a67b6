/* config.h - the configuration: one YAML file whose field names follow
 * mercure's mercure.json (an existing mercure.json loads as is), plus our
 * additions (storage_root, coordinator_url, receiver, scheduler, back-off).
 * Loaded and validated completely before use; see docs/config.md. */
#ifndef MC_COMMON_CONFIG_H
#define MC_COMMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/log.h"
#include "base/mc_err.h"
#include "rule/rule.h"

/* Each enum comes with a _str() from the same list, never NULL. The
 * texts are the values written in the file. */
#define CONFIG_ACTIONS(X)                                                     \
	X(ROUTE, "route")                                                     \
	X(BOTH, "both")                                                       \
	X(PROCESS, "process")                                                 \
	X(NOTIFICATION, "notification")                                       \
	X(DISCARD, "discard")
#define CONFIG_TRIGGERS(X) X(SERIES, "series") X(STUDY, "study")
#define CONFIG_PRIORITIES(X)                                                  \
	X(NORMAL, "normal") X(URGENT, "urgent") X(OFFPEAK, "offpeak")
#define CONFIG_STUDY_CONDITIONS(X)                                            \
	X(TIMEOUT, "timeout") X(RECEIVED_SERIES, "received_series")
#define CONFIG_FORCE_ACTIONS(X)                                               \
	X(DISCARD, "discard") X(PROCEED, "proceed") X(IGNORE, "ignore")
#define CONFIG_SCHEDULERS(X) X(LOCAL, "local") X(NOMAD, "nomad")
/* study_dispatch_order: INHERIT only for a rule that does not set it */
#define CONFIG_DISPATCH_ORDERS(X)                                             \
	X(NONE, "none")                                                       \
	X(ARRIVAL, "arrival")                                                 \
	X(SERIES_NUMBER, "series_number") X(INHERIT, "inherit")
/* dispatch_mode: INHERIT only for a rule that does not set it */
#define CONFIG_DISPATCH_MODES(X)                                              \
	X(SERIES, "series") X(STREAM, "stream") X(MODE_INHERIT, "inherit")

#define CONFIG_ENUM_ACTION(id, s) CONFIG_ACTION_##id,
#define CONFIG_ENUM_TRIGGER(id, s) CONFIG_TRIGGER_##id,
#define CONFIG_ENUM_PRIORITY(id, s) CONFIG_PRIORITY_##id,
#define CONFIG_ENUM_STUDY(id, s) CONFIG_STUDY_##id,
#define CONFIG_ENUM_FORCE(id, s) CONFIG_FORCE_##id,
#define CONFIG_ENUM_SCHED(id, s) CONFIG_SCHEDULER_##id,
#define CONFIG_ENUM_ORDER(id, s) CONFIG_ORDER_##id,
#define CONFIG_ENUM_MODE(id, s) CONFIG_DISPATCH_##id,
typedef enum { CONFIG_ACTIONS(CONFIG_ENUM_ACTION) } config_action;
typedef enum { CONFIG_TRIGGERS(CONFIG_ENUM_TRIGGER) } config_trigger;
typedef enum { CONFIG_PRIORITIES(CONFIG_ENUM_PRIORITY) } config_priority;
typedef enum {
	CONFIG_STUDY_CONDITIONS(CONFIG_ENUM_STUDY)
} config_study_condition;
typedef enum { CONFIG_FORCE_ACTIONS(CONFIG_ENUM_FORCE) } config_force_action;
typedef enum { CONFIG_SCHEDULERS(CONFIG_ENUM_SCHED) } config_scheduler_type;
typedef enum {
	CONFIG_DISPATCH_ORDERS(CONFIG_ENUM_ORDER)
} config_dispatch_order;
typedef enum { CONFIG_DISPATCH_MODES(CONFIG_ENUM_MODE) } config_dispatch_mode;

const char *config_action_str(config_action a);
const char *config_trigger_str(config_trigger t);
const char *config_priority_str(config_priority p);
const char *config_study_condition_str(config_study_condition c);
const char *config_force_action_str(config_force_action f);
const char *config_scheduler_type_str(config_scheduler_type t);
const char *config_dispatch_order_str(config_dispatch_order o);
const char *config_dispatch_mode_str(config_dispatch_mode m);

/* config_kv - one field kept as written, for the parts we keep generic
 * (target fields, modules, notification_* of rules, nomad settings).
 * value is the scalar's text, or compact JSON text for a mapping or a
 * list (kind CONFIG_KV_JSON), or NULL for a YAML/JSON null. */
typedef enum {
	CONFIG_KV_NULL,
	CONFIG_KV_SCALAR,
	CONFIG_KV_JSON
} config_kv_kind;

typedef struct config_kv {
	const char    *key;
	const char    *value;
	config_kv_kind kind;
	size_t         line, column; /* of the value, 1-based */
} config_kv;

typedef struct config_kvlist {
	const config_kv *items; /* in file order */
	size_t           n;
} config_kvlist;

/* config_kv_get - the value of key in l, NULL if absent or null. */
const char *config_kv_get(const config_kvlist *l, const char *key);

/* config_target - targets.<name>. The typed fields are those of the
 * types we dispatch to; every field, typed or not, is also in fields. */
typedef struct config_target {
	const char *name;
	/* target_type: a name of config/target_types.def (static text) */
	const char *type;
	/* dicom, dicomtls: ip ("sender" = return to sender), port. */
	const char *ip;
	uint16_t    port;
	const char *aet_target;
	const char *aet_source; /* default: receiver.aet */
	bool        pass_sender_aet, pass_receiver_aet;
	/* folder, sftp, rsync: */
	const char   *folder;      /* NULL unless set */
	const char   *file_filter; /* NULL: every file */
	config_kvlist fields;
	size_t        line, column; /* of the target's mapping */
	/* dispatch tasks to this target running at once; 0: no limit */
	unsigned max_concurrent_tasks;
} config_target;

/* config_dicom_node - a DICOM node studies are fetched from (query/
 * retrieve): an entry of dicom_retrieve.dicom_nodes, or a dicom target
 * whose direction is "pull" or "both" (mercure's query tool offers those).
 * The field names are those of mercure's dicom target. */
typedef struct config_dicom_node {
	const char *name;
	const char *ip;
	uint16_t    port;
	const char *aet_target; /* the node's AE title (called) */
	const char *aet_source; /* ours (calling); default: receiver.aet */
	/* a dicomweb target with direction pull or both: url is set (NULL
	 * for a DIMSE node), the rest as written or NULL; the credentials
	 * are secrets (never print or log them) */
	const char *url, *qido_url_prefix, *wado_url_prefix;
	const char *access_token, *http_user, *http_password;
	size_t      line, column;
} config_dicom_node;

/* config_module - modules.<name>: kept generic; settings and the other
 * non-scalar fields are compact JSON text in fields. */
typedef struct config_module {
	const char   *name;
	config_kvlist fields;
	size_t        line, column;
} config_module;

typedef struct config_rule {
	const char    *name;
	const char    *text; /* the expression; "False" when absent/empty */
	rule          *compiled; /* owned by the config */
	config_action  action;
	config_trigger action_trigger;
	/* target names, in file order, each resolved to an index into
	 * mc_config.targets (validated: every name exists). */
	const char *const     *targets;
	const size_t          *target_index;
	size_t                 n_targets;
	config_priority        priority;
	bool                   fallback, disabled;
	config_study_condition study_trigger_condition;
	const char            *study_trigger_series; /* "" when absent */
	rule                  *series_compiled;      /* NULL when "" */
	config_force_action    study_force_completion_action;
	const char *const     *processing_modules; /* each names a module */
	size_t                 n_processing_modules;
	const char *processing_settings; /* JSON: "{}", an object or array */
	bool        processing_retain_images;
	/* notification_*, contact, comment, tags and the dynamic routing
	 * fields, kept as written (booleans as their text). */
	config_kvlist extra;
	size_t        line, column;
	/* the series of one study to one target in order (docs/rules.md);
	 * INHERIT and 0: mc_config's */
	config_dispatch_order study_dispatch_order;
	uint32_t              study_dispatch_order_timeout_s;
	/* series_complete_trigger of the rule (has_series_complete_trigger
	 * false: the global one) and expected_instances (0: none) */
	bool     has_series_complete_trigger;
	uint32_t series_complete_trigger_s;
	uint32_t expected_instances;
	/* stream: images leave while the series arrives (docs/rules.md);
	 * MODE_INHERIT: mc_config's */
	config_dispatch_mode dispatch_mode;
} config_rule;

typedef struct config_receiver {
	const char *bind;               /* "0.0.0.0" */
	const char *aet;                /* "MERCURE" */
	bool        require_called_aet; /* false */
	unsigned    max_associations;   /* 16 */
	bool        accept_compressed;  /* = accept_compressed_images */
	bool        fsync;              /* true */
	const char *tls_key, *tls_cert, *tls_ca; /* all NULL: no TLS */
	/* what a peer may hold (seconds; docs/config.md) */
	unsigned handshake_timeout; /* 30 */
	unsigned idle_timeout;      /* 60 */
	unsigned queue_timeout;     /* 20 */
	unsigned min_transfer_rate; /* 1024 bytes/s; 0: no minimum */
	unsigned rate_window;       /* 30 */
	unsigned shutdown_timeout;  /* 30 */
	unsigned max_pending;       /* 256 connections */
} config_receiver;

/* config_http - the HTTP server of the coordinator (docs/http.md); off
 * (enabled false) when the file has no `http` block. */
typedef struct config_http {
	bool        enabled;
	const char *bind;     /* "127.0.0.1" */
	uint16_t    port;     /* 8080 */
	const char *tls_cert; /* both NULL: plain HTTP */
	const char *tls_key;
	const char *users_file;     /* NULL: <storage_root>/users */
	bool        metrics_public; /* false: /metrics needs a token */
	size_t      line, column;   /* of the block */
} config_http;

typedef struct config_scheduler {
	config_scheduler_type type;         /* local */
	unsigned              max_dispatch; /* local: 2 */
	unsigned              max_process;  /* local: 1 */
	config_kvlist         fields; /* every field as written (nomad) */
} config_scheduler;

/* mc_config - a loaded, validated configuration; read-only after load,
 * so any thread may read it. Created only by config_load_*(), freed by
 * config_destroy(). Strings are never NULL unless stated. */
typedef struct mc_config {
	const char *path;                     /* the name it was loaded from */
	const char *appliance_name;           /* "master" */
	uint16_t    port;                     /* 11112 */
	bool        accept_compressed_images; /* false */
	uint32_t    series_complete_trigger_s;          /* 60 */
	uint32_t    study_complete_trigger_s;           /* 900 */
	uint32_t    study_forcecomplete_trigger_s;      /* 5400 */
	uint32_t    retention_s;                        /* 259200 */
	uint32_t    retry_delay_s;                      /* 900 */
	uint32_t    retry_max;                          /* 5 */
	double      retry_multiplier;                   /* 2.0 */
	uint32_t    retry_max_delay_s;                  /* 3600 */
	unsigned    offpeak_start_min, offpeak_end_min; /* 22:00, 06:00 */
	bool        phi_notifications;                  /* false */
	/* From: of notification e-mail; "mercure@mercure.mercure" */
	const char *email_notification_from;
	/* CA certificates (PEM) webhooks are verified with; NULL: the
	 * system's */
	const char   *webhook_certificate_location;
	config_kvlist additional_tags; /* dicom_receiver.additional_tags */
	const char   *storage_root;    /* "./var" */
	unsigned      file_mode; /* 0600; 0640 or 0660 to share with a group */
	const char
	         *coordinator_url; /* "ipc://<storage_root>/coordinator.ipc" */
	log_level log_level;       /* info */
	config_receiver          receiver;
	config_scheduler         scheduler;
	config_http              http;
	const config_target     *targets;
	size_t                   n_targets;
	const config_module     *modules;
	size_t                   n_modules;
	const config_rule       *rules; /* in file order */
	size_t                   n_rules;
	config_dispatch_order    study_dispatch_order;           /* none */
	uint32_t                 study_dispatch_order_timeout_s; /* 3600 */
	const config_dicom_node *dicom_nodes; /* dicom_retrieve.dicom_nodes */
	size_t                   n_dicom_nodes;
	struct config_mem       *mem; /* private */
	/* completion signals besides the quiet period (config_complete.c) */
	bool                 series_complete_on_association_end; /* false */
	uint32_t             association_complete_grace_s;       /* 2 */
	bool                 series_complete_on_expected_count;  /* false */
	config_dispatch_mode dispatch_mode;                      /* series */
} mc_config;

/* config_diag - one finding; warnings (a mercure field we do not
 * implement) do not fail the load. */
typedef enum { CONFIG_ERROR, CONFIG_WARNING } config_severity;

typedef struct config_diag {
	mc_diag         d;
	config_severity severity;
} config_diag;

/* config_diag_format - "file:line:column: field: message" for an error,
 * "file:line:column: warning: field: message" for a warning, into buf
 * (always NUL terminated). Returns buf. */
const char *config_diag_format(const config_diag *d, char *buf, size_t len);

/* Document limits, enforced while parsing (before anything walks the
 * tree), so that no configuration can pin the process that loads it:
 * collections nested deeper than CONFIG_MAX_DEPTH, or more than
 * CONFIG_MAX_NODES nodes counting every alias as the whole node it names
 * (a "billion laughs" document), are an error at the line and column
 * where the limit is crossed. */
#define CONFIG_MAX_DEPTH 64
#define CONFIG_MAX_NODES 200000u

/* config_load_buffer - parse and validate text[0..len) (YAML 1.1 or
 * JSON; borrowed), naming it name (borrowed, copied) in diagnostics.
 * Every finding goes into diags[0..max_diags) in file order of discovery
 * and *n_diags says how many were stored (findings beyond max_diags are
 * counted for the result but not stored); diags may be NULL when
 * max_diags is 0, n_diags may be NULL. On MC_OK *out is new, freed with
 * config_destroy(), and diags may hold warnings. Returns MC_ECONFIG when
 * there was at least one error, or MC_ENOMEM; *out is then NULL. Any
 * thread; the rule compiler is called from it. */
MC_NODISCARD mc_err config_load_buffer(const char *name, const char *text,
    size_t len, mc_config **out, config_diag *diags, size_t max_diags,
    size_t *n_diags);

/* config_load_file - config_load_buffer() on the contents of path. An
 * unreadable file gives MC_ENOENT or MC_EIO with one diagnostic (line 0)
 * saying why. */
MC_NODISCARD mc_err config_load_file(const char *path, mc_config **out,
    config_diag *diags, size_t max_diags, size_t *n_diags);

/* config_destroy - frees c, its strings and its compiled rules. NULL is
 * a no-op. */
void config_destroy(mc_config *c);

/* config_find_target, config_find_module, config_find_rule - by name;
 * NULL when there is none. Borrowed from c. */
const config_target *config_find_target(const mc_config *c, const char *name);
const config_module *config_find_module(const mc_config *c, const char *name);
const config_rule   *config_find_rule(const mc_config *c, const char *name);

/* config_rule_streams - r dispatches in stream mode (docs/rules.md):
 * dispatch_mode stream (its own, else the top level's), a series-level
 * route rule without set_tags, instance_filter or study_dispatch_order,
 * whose copies or order would need the whole series first. */
bool config_rule_streams(const mc_config *c, const config_rule *r);

/* config_find_dicom_node - the query/retrieve source called name: an
 * entry of dicom_retrieve.dicom_nodes, else a target of type dicom or
 * dicomweb with direction "pull" or "both" (copied into *out, strings
 * borrowed from c). false when there is none. */
bool config_find_dicom_node(
    const mc_config *c, const char *name, config_dicom_node *out);

/* config_target_field_is_secret - key is a target field that holds a
 * secret (password, token, S3 key...): never written into a task file;
 * the worker takes it from the configuration. Its <key>_env and
 * <key>_file forms name a place, not the value, and are not secret. */
bool config_target_field_is_secret(const char *key);

/* config_target_type_is_known - name (NULL: false) is a target_type the
 * configuration accepts: a row of config/target_types.def. */
bool config_target_type_is_known(const char *name);

/* CONFIG_PATH_ENV - the configuration file a worker reads secrets from
 * (mercure-worker --config); the coordinator sets it for the workers it
 * starts. */
#define CONFIG_PATH_ENV "MERCURE_CONFIG"

/* CONFIG_RULE_SECRET_FIELD - a rule's webhook URL: its path or query
 * often carries a token, so it stays in the configuration too. */
#define CONFIG_RULE_SECRET_FIELD "notification_webhook"

/* config_builtin_is_known - name (NULL: false) is a built-in module a
 * module's `builtin:` may name: a row of config/builtin_modules.def. */
bool config_builtin_is_known(const char *name);

#endif
