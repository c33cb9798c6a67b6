/* config_target_schema.c - the target types as the configuration checks
 * them: config/target_types.def turned into one schema row per type
 * (name, how unknown fields count, the fields with their flags and
 * checks), and the checks the rows name. config_targets.c walks a row for
 * each target; the worker reads the same table for its dispatch. */
#include "config/config.h"

#include <string.h>

#include "config/config_int.h"
#include "config/config_ssh.h"
#include "config/transfer_syntax.h"

/* a dicom target's associations per task (worker/targets/target_dicom.c) */
#define CONFIG_ASSOCIATIONS_MAX 16

/* ---- the checks a FIELD() names ---- */

static void
check_kept(cctx *x, config_target *t, const cnode *v, const char *path)
{
	(void) x;
	(void) t;
	(void) v;
	(void) path;
}

static void
check_ip(cctx *x, config_target *t, const cnode *v, const char *path)
{
	if (v != NULL)
		config_check_host(x, v, path, &t->ip);
}

static void
check_port(cctx *x, config_target *t, const cnode *v, const char *path)
{
	if (v != NULL)
		config_check_port(x, v, path, &t->port);
}

static void
check_aet_target(cctx *x, config_target *t, const cnode *v, const char *path)
{
	if (v != NULL)
		config_check_aet(x, v, path, &t->aet_target);
}

/* check_aet_source - absent or "": the receiver's AE title */
static void
check_aet_source(cctx *x, config_target *t, const cnode *v, const char *path)
{
	t->aet_source = x->cfg->receiver.aet;
	if (v != NULL && !(v->kind == CNODE_SCALAR && v->len == 0))
		config_check_aet(x, v, path, &t->aet_source);
}

static void
check_pass_sender_aet(
    cctx *x, config_target *t, const cnode *v, const char *path)
{
	if (v != NULL)
		cval_bool(x, v, path, &t->pass_sender_aet);
}

static void
check_pass_receiver_aet(
    cctx *x, config_target *t, const cnode *v, const char *path)
{
	if (v != NULL)
		cval_bool(x, v, path, &t->pass_receiver_aet);
}

/* check_bool - a boolean the worker reads itself: a typo must not
 * silently keep (or drop) what it switches (insecure_skip_host_key) */
static void
check_bool(cctx *x, config_target *t, const cnode *v, const char *path)
{
	bool b = false;

	(void) t;
	if (v != NULL)
		cval_bool(x, v, path, &b);
}

static void
check_folder(cctx *x, config_target *t, const cnode *v, const char *path)
{
	if (v != NULL)
		cval_str(x, v, path, &t->folder);
}

static void
check_folder_not_empty(
    cctx *x, config_target *t, const cnode *v, const char *path)
{
	check_folder(x, t, v, path);
	if (t->folder != NULL && t->folder[0] == '\0')
		cctx_error(x, v, path, "must not be empty");
}

/* check_file_filter - "" filters nothing, as absent does */
static void
check_file_filter(cctx *x, config_target *t, const cnode *v, const char *path)
{
	if (v != NULL)
		cval_str(x, v, path, &t->file_filter);
	if (t->file_filter != NULL && t->file_filter[0] == '\0')
		t->file_filter = NULL;
}

/* check_ssh_host - a host that ssh gets as an argument: a leading '-'
 * would be an option, a space or ';' would reach the remote shell. ""
 * passes here: the worker reports the missing host. */
static void
check_ssh_host(cctx *x, config_target *t, const cnode *v, const char *path)
{
	const char *s = NULL;

	(void) t;
	if (v != NULL && cval_str(x, v, path, &s) && s != NULL &&
	    s[0] != '\0' && !config_ssh_host_is_valid(s))
		cctx_error(x, v, path,
		    "invalid host '%s' (a host name or an IP address: "
		    "letters, digits, '.', '-', '_', ':'; starting with a "
		    "letter or digit)",
		    s);
}

/* check_ssh_user - the login name given to ssh, checked as the host is */
static void
check_ssh_user(cctx *x, config_target *t, const cnode *v, const char *path)
{
	const char *s = NULL;

	(void) t;
	if (v != NULL && cval_str(x, v, path, &s) && s != NULL &&
	    s[0] != '\0' && !config_ssh_user_is_valid(s))
		cctx_error(x, v, path,
		    "invalid user '%s' (letters, digits, '.', '_', '-'; not "
		    "starting with '-')",
		    s);
}

/* check_associations - parallel associations of one dicom task */
static void
check_associations(cctx *x, config_target *t, const cnode *v, const char *path)
{
	uint32_t n = 1;

	(void) t;
	if (v != NULL && cval_uint(x, v, path, CONFIG_ASSOCIATIONS_MAX, &n) &&
	    n < 1)
		cctx_error(
		    x, v, path, "must be in 1..%d", CONFIG_ASSOCIATIONS_MAX);
}

/* check_max_mbps - a bandwidth cap in MB/s, > 0 */
static void
check_max_mbps(cctx *x, config_target *t, const cnode *v, const char *path)
{
	double d = 1;

	(void) t;
	if (v != NULL && cval_double(x, v, path, &d) && !(d > 0))
		cctx_error(x, v, path, "must be a number of MB/s above 0");
}

/* check_transfer_syntaxes - a list (or a comma-separated string) of
 * transfer syntax UIDs or DCMTK's names, each checked where it stands */
static void
check_transfer_syntaxes(
    cctx *x, config_target *t, const cnode *v, const char *path)
{
	const char *const  *s;
	const cnode *const *at;
	size_t              n, k;
	char uids[TRANSFER_SYNTAX_LIST_MAX][TRANSFER_SYNTAX_UID_MAX_LEN + 1];
	char err[512];

	(void) t;
	if (v == NULL || !cval_strlist(x, v, path, &s, &at, &n))
		return;
	if (v->kind == CNODE_SEQ && n > TRANSFER_SYNTAX_LIST_MAX)
		cctx_error(x, v, path, "more than %d entries",
		    TRANSFER_SYNTAX_LIST_MAX);
	for (size_t i = 0; i < n; i++)
		if (transfer_syntax_list_parse(
		        s[i], uids, &k, err, sizeof(err)) != MC_OK)
			cctx_error(x, at[i], path, "%s", err);
}

/* ---- the table ---- */

#define COMMON_FIELDS                                                         \
	"target_type", "contact", "comment", "direction",                     \
	    "max_concurrent_tasks"

/* each type's field names, the common ones first (for the unknown-field
 * check and its suggestions) */
#define FIELD(name, flag, check) #name,
#define TARGET_TYPE(type, unknown, dispatch, fields)                          \
	static const char *const known_##type[] = {COMMON_FIELDS, fields NULL};
#include "config/target_types.def"
#undef TARGET_TYPE
#undef FIELD

#define UNKNOWN_STRICT true
#define UNKNOWN_LENIENT false
#define FIELD(name, flag, check) {#name, CONFIG_FIELD_##flag, check},
#define TARGET_TYPE(type, unknown, dispatch, fields)                          \
	{#type, UNKNOWN_##unknown, known_##type,                              \
	    (const config_target_field[]){fields{NULL, 0, NULL}}},
static const config_target_schema schemas[] = {
#include "config/target_types.def"
};
#undef TARGET_TYPE
#undef FIELD

#define TARGET_TYPE(type, unknown, dispatch, fields) #type,
static const char *const names[] = {
#include "config/target_types.def"
};
#undef TARGET_TYPE

#define SCHEMA_N (sizeof(schemas) / sizeof(schemas[0]))

const config_target_schema *
config_target_schemas(size_t *n)
{
	*n = SCHEMA_N;
	return schemas;
}

const char *const *
config_target_type_names(void)
{
	return names;
}

/* A name is secret wherever it appears: a type that keeps unknown fields
 * may hold a field that is secret in another type. */
bool
config_target_field_is_secret(const char *key)
{
	for (size_t i = 0; i < SCHEMA_N; i++)
		for (const config_target_field *f = schemas[i].fields;
		     f->name != NULL; f++)
			if ((f->flags & CONFIG_FIELD_SECRET) &&
			    strcmp(f->name, key) == 0)
				return true;
	return false;
}

bool
config_target_type_is_known(const char *name)
{
	for (size_t i = 0; name != NULL && i < SCHEMA_N; i++)
		if (strcmp(schemas[i].name, name) == 0)
			return true;
	return false;
}
