/* config_targets.c - `targets` and `modules`. A target's typed fields
 * are those of the types we dispatch to (dicom, folder); every field of
 * every target is also kept as written, for the types whose fields the
 * worker reads itself (sftp, s3, dicomweb).
 * Modules are kept generic. Names are checked for uniqueness by the
 * YAML layer (duplicate keys). */
#include "config/config.h"

#include <string.h>

#include "config/config_int.h"

static const char *const target_types[] = {
#define TT_NAME(id, s) s,
    CONFIG_TARGET_TYPES(TT_NAME)
#undef TT_NAME
};
#define TARGET_TYPE_N (sizeof(target_types) / sizeof(target_types[0]))

/* ours: an sftp target that trusts any host key (worker/targets/target_sftp.c) */
#define SFTP_INSECURE "insecure_skip_host_key"

static const char *const secret_fields[] = {
    "password",      "http_user",         "http_password",      "access_token",
    "access_key_id", "secret_access_key", "ssh_key_passphrase", NULL};

bool
config_target_field_is_secret(const char *key)
{
	for (size_t i = 0; secret_fields[i] != NULL; i++)
		if (strcmp(key, secret_fields[i]) == 0)
			return true;
	return false;
}

/* Fields by type, after mercure's Target models (mercure's app/common/types.py);
 * the common ones first. */
#define COMMON_FIELDS "target_type", "contact", "comment", "direction"
static const char *const dicom_fields[] = {
    COMMON_FIELDS,       "ip",         "port",
    "aet_target",        "aet_source", "pass_sender_aet",
    "pass_receiver_aet", NULL};
static const char *const dicomtls_fields[] = {
    COMMON_FIELDS,       "ip",         "port",
    "aet_target",        "aet_source", "pass_sender_aet",
    "pass_receiver_aet", "tls_key",    "tls_cert",
    "ca_cert",           NULL};
static const char *const dicomweb_fields[] = {COMMON_FIELDS,
                                              "url",
                                              "qido_url_prefix",
                                              "wado_url_prefix",
                                              "stow_url_prefix",
                                              "access_token",
                                              "http_user",
                                              "http_password",
                                              NULL};
static const char *const sftp_fields[] = {
    COMMON_FIELDS, "folder",     "user",
    "host",        "password",   "file_filter",
    "known_hosts", SFTP_INSECURE, NULL};
static const char *const rsync_fields[] = {
    COMMON_FIELDS, "folder",          "user",        "host",
    "password",    "run_on_complete", "file_filter", NULL};
static const char *const folder_fields[] = {COMMON_FIELDS, "folder",
                                            "file_filter", NULL};
static const char *const s3_fields[] = {
    COMMON_FIELDS,       "region", "bucket", "prefix", "access_key_id",
    "secret_access_key", NULL};
static const char *const xnat_fields[] = {COMMON_FIELDS, "project_id", "host",
                                          "user",        "password",   NULL};
static const char *const dummy_fields[] = {COMMON_FIELDS, NULL};

static const char *const *const fields_by_type[TARGET_TYPE_N] = {
    dicom_fields,  dicomtls_fields, dicomweb_fields, sftp_fields, rsync_fields,
    folder_fields, s3_fields,       xnat_fields,     dummy_fields};

static const cnode *
field(const cnode *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->items[2 * i]->kind == CNODE_SCALAR &&
		    strcmp(m->items[2 * i]->text, key) == 0)
			return m->items[2 * i + 1];
	return NULL;
}

/* required - the value of key, or NULL after "missing field". */
static const cnode *
required(cctx *x, const cnode *m, const char *path, const char *key)
{
	const cnode *v = field(m, key);

	if (v == NULL || cval_is_null(v))
		cctx_error(x, m, path, "missing field '%s'", key);
	return v != NULL && !cval_is_null(v) ? v : NULL;
}

static void
build_dicom(cctx *x, config_target *t, const cnode *m, const char *path)
{
	char         sub[CONFIG_PATH_MAX_LEN];
	const cnode *v;

	t->aet_source = x->cfg->receiver.aet;
	if ((v = required(x, m, path, "ip")) != NULL)
		config_check_host(x, v, config_path(sub, path, "ip"), &t->ip);
	if ((v = required(x, m, path, "port")) != NULL)
		config_check_port(x, v, config_path(sub, path, "port"),
		                  &t->port);
	if ((v = required(x, m, path, "aet_target")) != NULL)
		config_check_aet(x, v, config_path(sub, path, "aet_target"),
		                 &t->aet_target);
	if ((v = field(m, "aet_source")) != NULL &&
	    !(v->kind == CNODE_SCALAR && v->len == 0))
		config_check_aet(x, v, config_path(sub, path, "aet_source"),
		                 &t->aet_source);
	if ((v = field(m, "pass_sender_aet")) != NULL)
		cval_bool(x, v, config_path(sub, path, "pass_sender_aet"),
		          &t->pass_sender_aet);
	if ((v = field(m, "pass_receiver_aet")) != NULL)
		cval_bool(x, v, config_path(sub, path, "pass_receiver_aet"),
		          &t->pass_receiver_aet);
}

static void
build_folder(cctx *x, config_target *t, const cnode *m, const char *path)
{
	char         sub[CONFIG_PATH_MAX_LEN];
	const cnode *v;

	if (t->type == CONFIG_TARGET_FOLDER &&
	    (v = required(x, m, path, "folder")) == NULL)
		return;
	if ((v = field(m, "folder")) != NULL)
		cval_str(x, v, config_path(sub, path, "folder"), &t->folder);
	if (t->type == CONFIG_TARGET_FOLDER && t->folder != NULL &&
	    t->folder[0] == '\0')
		cctx_error(x, v, sub, "must not be empty");
	if ((v = field(m, "file_filter")) != NULL)
		cval_str(x, v, config_path(sub, path, "file_filter"),
		         &t->file_filter);
	if (t->file_filter != NULL && t->file_filter[0] == '\0')
		t->file_filter = NULL;
}

/* build_sftp - insecure_skip_host_key must be a boolean: a typo must not
 * silently keep (or drop) the host key check */
static void
build_sftp(cctx *x, const cnode *m, const char *path)
{
	char         sub[CONFIG_PATH_MAX_LEN];
	const cnode *v;
	bool         skip = false;

	if ((v = field(m, SFTP_INSECURE)) != NULL && !cval_is_null(v))
		cval_bool(x, v, config_path(sub, path, SFTP_INSECURE), &skip);
}

/* check_fields - unknown fields are errors for the types we dispatch
 * to, and kept with a warning for the others (their models may have
 * fields our table lacks). */
static void
check_fields(cctx *x, const config_target *t, const cnode *m, const char *path)
{
	const char *const *known = fields_by_type[t->type];
	char               sub[CONFIG_PATH_MAX_LEN];
	bool               strict = t->type == CONFIG_TARGET_DICOM ||
	              t->type == CONFIG_TARGET_FOLDER ||
	              t->type == CONFIG_TARGET_DUMMY;

	for (size_t i = 0; i < m->n; i++) {
		const cnode *k = m->items[2 * i];
		config_path(sub, path,
		            k->kind == CNODE_SCALAR ? k->text : "?");
		if (strict)
			config_fields_check(x, k, sub, known, NULL);
		else
			config_fields_note(x, k, sub, known);
	}
}

static void
build_target(cctx *x, config_target *t, const cnode *m, const char *path)
{
	const cnode *type;
	int          ti = 0;
	char         sub[CONFIG_PATH_MAX_LEN];

	t->line = m->line;
	t->column = m->column;
	if (!cval_map(x, m, path)) {
		if (cval_is_null(m))
			cctx_error(x, m, path, "expected a mapping, got null");
		return;
	}
	if ((type = required(x, m, path, "target_type")) == NULL ||
	    !cval_enum(x, type, config_path(sub, path, "target_type"),
	               "target_type", target_types, TARGET_TYPE_N, &ti))
		return;
	t->type = (config_target_type)ti;
	check_fields(x, t, m, path);
	if (!cval_kvlist(x, m, path, &t->fields))
		return;
	if (t->type == CONFIG_TARGET_DICOM ||
	    t->type == CONFIG_TARGET_DICOMTLS)
		build_dicom(x, t, m, path);
	if (t->type == CONFIG_TARGET_FOLDER || t->type == CONFIG_TARGET_SFTP ||
	    t->type == CONFIG_TARGET_RSYNC)
		build_folder(x, t, m, path);
	if (t->type == CONFIG_TARGET_SFTP)
		build_sftp(x, m, path);
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

static const char *const module_fields[] = {"docker_tag",
                                            "additional_volumes",
                                            "environment",
                                            "docker_arguments",
                                            "settings",
                                            "contact",
                                            "comment",
                                            "constraints",
                                            "resources",
                                            "requires_root",
                                            "requires_persistence",
                                            "persistence_folder_name",
                                            "network_enabled",
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
		}
	}
	x->cfg->modules = mod;
	x->cfg->n_modules = m->n;
}
