/* config_build.c - the top level of the configuration: mercure's global
 * fields, our additions (storage_root, coordinator_url, receiver,
 * scheduler, back-off, log_level) and their defaults. Targets, modules
 * and rules are built by config_targets.c and config_rules.c, in that
 * order, whatever their order in the file. */
#include "config/config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_int.h"
#include "os/sys_fs.h"

#define CONFIG_SECONDS_MAX ((uint32_t) INT32_MAX)
#define CONFIG_COUNT_MAX 1000000u
#define CONFIG_DEFAULT_PORT 11112u

#define TOP_FIELDS(X)                                                         \
	X(APPLIANCE_NAME, "appliance_name")                                   \
	X(PORT, "port")                                                       \
	X(ACCEPT_COMPRESSED_IMAGES, "accept_compressed_images")               \
	X(SERIES_COMPLETE_TRIGGER, "series_complete_trigger")                 \
	X(SERIES_COMPLETE_ON_ASSOCIATION_END,                                 \
	    "series_complete_on_association_end")                             \
	X(ASSOCIATION_COMPLETE_GRACE, "association_complete_grace")           \
	X(SERIES_COMPLETE_ON_EXPECTED_COUNT,                                  \
	    "series_complete_on_expected_count")                              \
	X(STUDY_COMPLETE_TRIGGER, "study_complete_trigger")                   \
	X(STUDY_FORCECOMPLETE_TRIGGER, "study_forcecomplete_trigger")         \
	X(RETENTION, "retention")                                             \
	X(RETRY_DELAY, "retry_delay")                                         \
	X(RETRY_MAX, "retry_max")                                             \
	X(OFFPEAK_START, "offpeak_start")                                     \
	X(OFFPEAK_END, "offpeak_end")                                         \
	X(PHI_NOTIFICATIONS, "phi_notifications")                             \
	X(DICOM_RECEIVER, "dicom_receiver")                                   \
	X(TARGETS, "targets")                                                 \
	X(MODULES, "modules")                                                 \
	X(RULES, "rules")                                                     \
	X(STORAGE_ROOT, "storage_root")                                       \
	X(COORDINATOR_URL, "coordinator_url")                                 \
	X(RECEIVER, "receiver")                                               \
	X(SCHEDULER, "scheduler")                                             \
	X(RETRY_MULTIPLIER, "retry_multiplier")                               \
	X(RETRY_MAX_DELAY, "retry_max_delay")                                 \
	X(LOG_LEVEL, "log_level")                                             \
	X(FILE_MODE, "file_mode")                                             \
	X(EMAIL_NOTIFICATION_FROM, "email_notification_from")                 \
	X(WEBHOOK_CERTIFICATE_LOCATION, "webhook_certificate_location")       \
	X(FEATURES, "features")                                               \
	X(PROCESSING_LOGS, "processing_logs")                                 \
	X(STORE_SAMPLE_DICOM_TAGS, "store_sample_dicom_tags")                 \
	X(DICOM_RETRIEVE, "dicom_retrieve")                                   \
	X(HTTP, "http")                                                       \
	X(STUDY_DISPATCH_ORDER, "study_dispatch_order")                       \
	X(STUDY_DISPATCH_ORDER_TIMEOUT, "study_dispatch_order_timeout")       \
	X(DISPATCH_MODE, "dispatch_mode")

#define TOP_ENUM(id, s) TOP_##id,
#define TOP_NAME(id, s) s,
enum { TOP_FIELDS(TOP_ENUM) TOP_N };
static const char *const top_known[] = {TOP_FIELDS(TOP_NAME) NULL};

/* mercure fields we accept and ignore, with a warning each. */
static const char *const top_ignored[] = {"appliance_color", "incoming_folder",
    "studies_folder", "outgoing_folder", "success_folder", "error_folder",
    "discard_folder", "processing_folder", "jobs_folder", "persistence_folder",
    "router_scan_interval", "dispatcher_scan_interval",
    "cleaner_scan_interval", "emergency_clean_percentage", "bookkeeper",
    "bookkeeper_api_key", "graphite_ip", "graphite_port", "influxdb_host",
    "influxdb_org", "influxdb_token", "influxdb_bucket", "process_runner",
    "processing_runtime", "support_root_modules", "server_time", "local_time",
    NULL};

static const char *const log_levels[] = {"debug", "info", "warn", "error"};

static void
set_defaults(mc_config *c)
{
	c->appliance_name = "master";
	c->port = CONFIG_DEFAULT_PORT;
	c->series_complete_trigger_s = 60;
	c->association_complete_grace_s = 2;
	c->study_complete_trigger_s = 900;
	c->study_forcecomplete_trigger_s = 5400;
	c->retention_s = 259200;
	c->retry_delay_s = 900;
	c->retry_max = 5;
	c->retry_multiplier = 2.0;
	c->retry_max_delay_s = 3600;
	c->offpeak_start_min = 22 * 60;
	c->offpeak_end_min = 6 * 60;
	c->storage_root = "./var";
	c->email_notification_from = "mercure@mercure.mercure"; /* mercure's */
	c->file_mode = SYS_FILE_MODE_DEFAULT;
	c->log_level = LOG_LEVEL_INFO;
	c->receiver.bind = "0.0.0.0";
	c->receiver.aet = "MERCURE";
	c->receiver.max_associations = 16;
	c->receiver.fsync = true;
	c->receiver.handshake_timeout = 30;
	c->receiver.idle_timeout = 60;
	c->receiver.queue_timeout = 20;
	c->receiver.min_transfer_rate = 1024;
	c->receiver.rate_window = 30;
	c->receiver.shutdown_timeout = 30;
	c->receiver.max_pending = 256;
	c->scheduler.type = CONFIG_SCHEDULER_LOCAL;
	c->scheduler.max_dispatch = 2;
	c->scheduler.max_process = 1;
	c->study_dispatch_order = CONFIG_ORDER_NONE;
	c->study_dispatch_order_timeout_s = 3600;
	c->dispatch_mode = CONFIG_DISPATCH_SERIES;
}

/* uint_at_least - an integer field with a lower bound. A bound of 1 or
 * more is checked on the signed value, so -5 and 0 get one message. */
static void
uint_at_least(
    cctx *x, const cnode *v, const char *path, uint32_t min, uint32_t *out)
{
	uint32_t n = *out;
	int32_t  sn = 0;

	if (min >= 1) {
		if (!cval_int(x, v, path, &sn) || cval_is_null(v))
			return;
		if (sn < (int32_t) min) {
			cctx_error(x, v, path, "must be at least %lu, got %s",
			    (unsigned long) min, v->text);
			return;
		}
		*out = (uint32_t) sn;
		return;
	}
	if (!cval_uint(x, v, path, CONFIG_SECONDS_MAX, &n))
		return;
	*out = n;
}

/* complete_trigger - seconds of quiet before a series or study is
 * complete. mercure compares the quiet time with the value, so 0 or less
 * completes at its next scan (its tests use -60); the coordinator does
 * the same at its next check, with one warning for every such value. */
static void
complete_trigger(
    cctx *x, const cnode *v, const char *path, const char *what, uint32_t *out)
{
	int32_t n = 0;

	if (!cval_int(x, v, path, &n) || cval_is_null(v))
		return;
	if (n <= 0)
		cctx_warn(x, v, path,
		    "%s (0 or less): a %s is complete at the coordinator's "
		    "next check, as in mercure",
		    v->text, what);
	*out = n > 0 ? (uint32_t) n : 0;
}

static void
build_times(cctx *x, const cnode *const *f)
{
	mc_config *c = x->cfg;
	struct {
		int       id;
		uint32_t  min;
		uint32_t *out;
	} const t[] = {
	    {TOP_STUDY_FORCECOMPLETE_TRIGGER, 1,
	        &c->study_forcecomplete_trigger_s},
	    {TOP_RETENTION, 0, &c->retention_s},
	    {TOP_RETRY_DELAY, 0, &c->retry_delay_s},
	    {TOP_RETRY_MAX, 0, &c->retry_max},
	    {TOP_RETRY_MAX_DELAY, 0, &c->retry_max_delay_s},
	};

	if (f[TOP_SERIES_COMPLETE_TRIGGER] != NULL)
		complete_trigger(x, f[TOP_SERIES_COMPLETE_TRIGGER],
		    "series_complete_trigger", "series",
		    &c->series_complete_trigger_s);
	if (f[TOP_STUDY_COMPLETE_TRIGGER] != NULL)
		complete_trigger(x, f[TOP_STUDY_COMPLETE_TRIGGER],
		    "study_complete_trigger", "study",
		    &c->study_complete_trigger_s);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (f[t[i].id] != NULL)
			uint_at_least(x, f[t[i].id], top_known[t[i].id],
			    t[i].min, t[i].out);
	if (f[TOP_RETRY_MULTIPLIER] != NULL &&
	    cval_double(x, f[TOP_RETRY_MULTIPLIER], "retry_multiplier",
	        &c->retry_multiplier) &&
	    c->retry_multiplier < 1.0)
		cctx_error(x, f[TOP_RETRY_MULTIPLIER], "retry_multiplier",
		    "must be at least 1.0, got %s",
		    f[TOP_RETRY_MULTIPLIER]->text);
	if (f[TOP_OFFPEAK_START] != NULL)
		config_check_time(x, f[TOP_OFFPEAK_START], "offpeak_start",
		    &c->offpeak_start_min);
	if (f[TOP_OFFPEAK_END] != NULL)
		config_check_time(
		    x, f[TOP_OFFPEAK_END], "offpeak_end", &c->offpeak_end_min);
	if (f[TOP_STUDY_DISPATCH_ORDER] != NULL)
		config_check_dispatch_order(x, f[TOP_STUDY_DISPATCH_ORDER],
		    "study_dispatch_order", &c->study_dispatch_order);
	if (f[TOP_STUDY_DISPATCH_ORDER_TIMEOUT] != NULL)
		config_check_dispatch_order_timeout(x,
		    f[TOP_STUDY_DISPATCH_ORDER_TIMEOUT],
		    "study_dispatch_order_timeout",
		    &c->study_dispatch_order_timeout_s);
	if (f[TOP_DISPATCH_MODE] != NULL)
		config_check_dispatch_mode(x, f[TOP_DISPATCH_MODE],
		    "dispatch_mode", &c->dispatch_mode);
}

/* file_mode: octal text as chmod takes it ("0640"); YAML 1.1 would read
 * an unquoted 0640 as the number 416, so the text is judged, not a
 * number */
static void
build_file_mode(cctx *x, const cnode *v)
{
	const char   *s = v->kind == CNODE_SCALAR ? v->text : "";
	unsigned long m = 0;
	size_t        n = strlen(s);

	if (n == 4 && s[0] == '0' && strspn(s, "01234567") == n)
		m = strtoul(s, NULL, 8);
	if (!sys_file_mode_is_valid((unsigned) m)) {
		cctx_error(x, v, "file_mode",
		    "must be \"0600\", \"0640\" or \"0660\", got %s",
		    v->kind == CNODE_SCALAR ? s : "a non-scalar");
		return;
	}
	x->cfg->file_mode = (unsigned) m;
}

static void
build_scalars(cctx *x, const cnode *const *f)
{
	mc_config *c = x->cfg;
	int        lv = (int) c->log_level;

	if (f[TOP_APPLIANCE_NAME] != NULL)
		cval_str(x, f[TOP_APPLIANCE_NAME], "appliance_name",
		    &c->appliance_name);
	if (f[TOP_PORT] != NULL)
		config_check_port(x, f[TOP_PORT], "port", &c->port);
	if (f[TOP_ACCEPT_COMPRESSED_IMAGES] != NULL)
		cval_bool(x, f[TOP_ACCEPT_COMPRESSED_IMAGES],
		    "accept_compressed_images", &c->accept_compressed_images);
	if (f[TOP_PHI_NOTIFICATIONS] != NULL)
		cval_bool(x, f[TOP_PHI_NOTIFICATIONS], "phi_notifications",
		    &c->phi_notifications);
	if (f[TOP_STORAGE_ROOT] != NULL)
		cval_str(
		    x, f[TOP_STORAGE_ROOT], "storage_root", &c->storage_root);
	if (f[TOP_COORDINATOR_URL] != NULL)
		cval_str(x, f[TOP_COORDINATOR_URL], "coordinator_url",
		    &c->coordinator_url);
	if (f[TOP_LOG_LEVEL] != NULL &&
	    cval_enum(x, f[TOP_LOG_LEVEL], "log_level", "log_level",
	        log_levels, sizeof(log_levels) / sizeof(log_levels[0]), &lv))
		c->log_level = (log_level) lv;
	if (f[TOP_FILE_MODE] != NULL)
		build_file_mode(x, f[TOP_FILE_MODE]);
	if (c->storage_root[0] == '\0')
		cctx_error(x, f[TOP_STORAGE_ROOT], "storage_root",
		    "must not be empty");
	if (c->coordinator_url == NULL &&
	    (c->coordinator_url = config_mem_printf(
	         x->mem, "ipc://%s/coordinator.ipc", c->storage_root)) == NULL)
		cctx_oom(x);
	build_times(x, f);
	config_build_completion(x, f[TOP_SERIES_COMPLETE_ON_ASSOCIATION_END],
	    f[TOP_ASSOCIATION_COMPLETE_GRACE],
	    f[TOP_SERIES_COMPLETE_ON_EXPECTED_COUNT]);
}

static void
build_dicom_receiver(cctx *x, const cnode *v)
{
	static const char *const known[] = {"additional_tags", NULL};
	char                     path[CONFIG_PATH_MAX_LEN];
	const cnode             *tags = NULL;

	if (!cval_map(x, v, "dicom_receiver"))
		return;
	for (size_t i = 0; i < v->n; i++) {
		config_path(path, "dicom_receiver", v->items[2 * i]->text);
		if (config_fields_check(
		        x, v->items[2 * i], path, known, NULL) == 0)
			tags = v->items[2 * i + 1];
	}
	if (tags == NULL || cval_is_empty_mapping(tags) ||
	    !cval_kvlist(x, tags, "dicom_receiver.additional_tags",
	        &x->cfg->additional_tags))
		return;
	for (size_t i = 0; i < tags->n; i++) {
		const cnode *k = tags->items[2 * i];
		config_path(path, "dicom_receiver.additional_tags",
		    k->kind == CNODE_SCALAR ? k->text : "?");
		config_check_tag_key(x, k, path);
	}
}

void
config_build(cctx *x, const cnode *root)
{
	const cnode *f[TOP_N] = {0};
	char         path[CONFIG_PATH_MAX_LEN];

	set_defaults(x->cfg);
	if (root->kind != CNODE_MAP) {
		cctx_error(x, root, "", "expected a mapping at the top level");
		return;
	}
	for (size_t i = 0; i < root->n; i++) {
		const cnode *k = root->items[2 * i];
		int          id;
		config_path(path, "", k->kind == CNODE_SCALAR ? k->text : "?");
		id = config_fields_check(x, k, path, top_known, top_ignored);
		if (id >= 0)
			f[id] = root->items[2 * i + 1];
	}
	build_scalars(x, f);
	x->cfg->receiver.accept_compressed = x->cfg->accept_compressed_images;
	if (f[TOP_RECEIVER] != NULL)
		config_build_receiver(x, f[TOP_RECEIVER]);
	if (f[TOP_SCHEDULER] != NULL)
		config_build_scheduler(x, f[TOP_SCHEDULER]);
	if (f[TOP_HTTP] != NULL)
		config_build_http(x, f[TOP_HTTP]);
	if (f[TOP_DICOM_RECEIVER] != NULL)
		build_dicom_receiver(x, f[TOP_DICOM_RECEIVER]);
	if (f[TOP_EMAIL_NOTIFICATION_FROM] != NULL)
		config_build_email_from(x, f[TOP_EMAIL_NOTIFICATION_FROM]);
	if (f[TOP_WEBHOOK_CERTIFICATE_LOCATION] != NULL)
		config_build_webhook_ca(
		    x, f[TOP_WEBHOOK_CERTIFICATE_LOCATION]);
	if (f[TOP_FEATURES] != NULL)
		config_build_features(x, f[TOP_FEATURES]);
	if (f[TOP_PROCESSING_LOGS] != NULL)
		config_build_processing_logs(x, f[TOP_PROCESSING_LOGS]);
	if (f[TOP_STORE_SAMPLE_DICOM_TAGS] != NULL)
		config_build_sample_tags(x, f[TOP_STORE_SAMPLE_DICOM_TAGS]);
	if (f[TOP_DICOM_RETRIEVE] != NULL)
		config_build_dicom_retrieve(x, f[TOP_DICOM_RETRIEVE]);
	if (f[TOP_TARGETS] != NULL)
		config_build_targets(x, f[TOP_TARGETS]);
	if (f[TOP_MODULES] != NULL)
		config_build_modules(x, f[TOP_MODULES]);
	if (f[TOP_RULES] != NULL)
		config_build_rules(x, f[TOP_RULES]);
}
