/* config_mercure_extra.c - mercure's top-level fields that configure
 * parts other than routing: the notifications' sender and webhook CA,
 * which we implement, and the web interface's switches, processing log
 * storage and sample tags, which we do not. Each takes
 * the value that means "off" (what mercure's defaults and its saved
 * configurations write) without a word; any other value of a field we do
 * not implement is an error that says what to use here, since a setting
 * a site relies on must not be dropped silently. */
#include "config/config.h"

#include <string.h>

#include "config/config_int.h"

void
config_build_email_from(cctx *x, const cnode *v)
{
	const char *s = x->cfg->email_notification_from;

	if (!cval_str(x, v, "email_notification_from", &s))
		return;
	if (s[0] == '\0' || strpbrk(s, "\r\n") != NULL) {
		cctx_error(x, v, "email_notification_from",
		    "must be an e-mail address on one line");
		return;
	}
	x->cfg->email_notification_from = s;
}

/* "" or null: the system's CAs only, as mercure's `if location:` */
void
config_build_webhook_ca(cctx *x, const cnode *v)
{
	const char *s = NULL;

	if (cval_str(x, v, "webhook_certificate_location", &s) && s != NULL &&
	    s[0] != '\0')
		x->cfg->webhook_certificate_location = s;
}

/* features: mercure's model is a mapping of booleans; its one switch
 * (dummy_target) shows the dummy type in its web interface. */
void
config_build_features(cctx *x, const cnode *v)
{
	char path[CONFIG_PATH_MAX_LEN];
	bool on = false;

	if (!cval_map(x, v, "features"))
		return;
	for (size_t i = 0; i < v->n; i++) {
		const cnode *k = v->items[2 * i];
		bool         b = false;
		config_path(
		    path, "features", k->kind == CNODE_SCALAR ? k->text : "?");
		if (cval_bool(x, v->items[2 * i + 1], path, &b))
			on |= b;
	}
	if (on)
		cctx_warn(x, v, "features",
		    "switches of mercure's web interface, which this project "
		    "does not have; ignored");
}

static bool
is_off(const cnode *v)
{
	return v == NULL || cval_is_null(v) || cval_bool_word(v) == 0 ||
	       (v->kind == CNODE_SCALAR && v->len == 0) ||
	       (v->kind == CNODE_SEQ && v->n == 0);
}

/* processing_logs: {discard_logs: false, logs_file_store: null} is
 * mercure's default: keep the modules' logs (in its bookkeeper). */
void
config_build_processing_logs(cctx *x, const cnode *v)
{
	static const char *const known[] = {
	    "discard_logs", "logs_file_store", NULL};
	char path[CONFIG_PATH_MAX_LEN];

	if (!cval_map(x, v, "processing_logs"))
		return;
	for (size_t i = 0; i < v->n; i++) {
		const cnode *k = v->items[2 * i], *f = v->items[2 * i + 1];
		bool         b = false;
		config_path(path, "processing_logs",
		    k->kind == CNODE_SCALAR ? k->text : "?");
		switch (config_fields_check(x, k, path, known, NULL)) {
		case 0:
			if (cval_bool(x, f, path, &b) && b)
				cctx_error(x, f, path,
				    "not supported: each module's output is "
				    "kept as module-<n>-<name>.log in the task "
				    "folder and removed with it (retention)");
			break;
		case 1:
			if (cval_str(x, f, path, &(const char *){NULL}) &&
			    !is_off(f))
				cctx_error(x, f, path,
				    "not supported: each module's output is "
				    "kept as module-<n>-<name>.log in the task "
				    "folder (success/ or error/)");
			break;
		default:
			break;
		}
	}
}

void
config_build_sample_tags(cctx *x, const cnode *v)
{
	bool b = false;

	if (cval_bool(x, v, "store_sample_dicom_tags", &b) && b)
		cctx_error(x, v, "store_sample_dicom_tags",
		    "not supported: mercure sends one image's tags to its "
		    "bookkeeper for its web interface; here the images stay in "
		    "the task folder (read their tags with dcmdump)");
}
