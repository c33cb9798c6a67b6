/* config_target_infer.c - the type of a target written without
 * target_type. mercure's Target.validate tries its target models one
 * after the other and keeps the first that accepts the fields; a model
 * accepts them when each of its required fields (no default, not
 * Optional) is there. Its last model, the dummy target, requires nothing,
 * so every target gets a type. The table below is mercure's list, in its
 * order (the order its models are declared in), not ours: a type mercure
 * does not have is never inferred. */
#include "config/config.h"

#include <stdio.h>
#include <string.h>

#include "config/config_int.h"

#define MODEL_FIELDS_MAX 6

static const struct {
	const char *type;
	const char *required[MODEL_FIELDS_MAX + 1];
} models[] = {
    {"dicom", {"ip", "port", "aet_target", NULL}},
    {"dicomtls",
        {"ip", "port", "aet_target", "tls_key", "tls_cert", "ca_cert", NULL}},
    {"dicomweb", {"url", NULL}},
    {"sftp", {"folder", "user", "host", NULL}},
    {"rsync", {"folder", "user", "host", NULL}},
    {"xnat", {"project_id", "host", "user", "password", NULL}},
    {"s3", {"region", "bucket", "prefix", "access_key_id", "secret_access_key",
               NULL}},
    {"folder", {"folder", NULL}},
    {"dummy", {NULL}},
};

/* present - key has a value a string field of mercure's model takes (a
 * scalar, not null). A secret named by <key>_env or <key>_file counts:
 * it is the same field, kept out of the file. */
static bool
present(const cnode *m, const char *key)
{
	char   alt[2][CONFIG_PATH_MAX_LEN];
	size_t n = strlen(key);

	snprintf(alt[0], sizeof(alt[0]), "%s_env", key);
	snprintf(alt[1], sizeof(alt[1]), "%s_file", key);
	for (size_t i = 0; i < m->n; i++) {
		const cnode *k = m->items[2 * i], *v = m->items[2 * i + 1];
		if (k->kind != CNODE_SCALAR || v->kind != CNODE_SCALAR ||
		    cval_is_null(v))
			continue;
		if ((k->len == n && strcmp(k->text, key) == 0) ||
		    (config_target_field_is_secret(key) &&
		        (strcmp(k->text, alt[0]) == 0 ||
		            strcmp(k->text, alt[1]) == 0)))
			return true;
	}
	return false;
}

const char *
config_target_infer(const cnode *m)
{
	size_t i;

	for (i = 0; i + 1 < sizeof(models) / sizeof(models[0]); i++) {
		size_t f = 0;
		while (models[i].required[f] != NULL &&
		       present(m, models[i].required[f]))
			f++;
		if (models[i].required[f] == NULL)
			break;
	}
	return models[i].type;
}
