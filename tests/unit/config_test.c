/* config_test.c - the configuration loads the shipped example and a
 * mercure.json, and every invalid input gives exactly the expected
 * message at the expected line and column. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check_main.h"

#include "config/config.h"
#include "config/transfer_syntax.h"
#include "rule/rule.h"

/* The source tree, found from this file unless the build says. */
#ifndef MC_SRC_DIR
#define MC_SRC_DIR_FROM_FILE 1
#endif

#define MAX_DIAGS 32
#define OUT_LEN 8192

static config_diag diags[MAX_DIAGS];
static size_t      n_diags;
static char        out[OUT_LEN];

/* load - loads text as "t.yaml"; out gets every diagnostic, one a line. */
static mc_err
load(const char *text, mc_config **c)
{
	mc_err rv = config_load_buffer(
	    "t.yaml", text, strlen(text), c, diags, MAX_DIAGS, &n_diags);
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n_diags && used < sizeof(out); i++) {
		char line[512];
		int  w = snprintf(out + used, sizeof(out) - used, "%s%s",
                    i ? "\n" : "",
		     config_diag_format(&diags[i], line, sizeof(line)));
		used += w > 0 ? (size_t) w : 0;
	}
	return rv;
}

/* check_error - text fails with exactly want (all diagnostics). */
static void
check_error(const char *text, const char *want)
{
	mc_config *c = (mc_config *) 1;

	ck_assert_int_eq(load(text, &c), MC_ECONFIG);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(out, want);
}

static void
example_path(char *buf, size_t len)
{
#ifdef MC_SRC_DIR_FROM_FILE
	const char *slash = strrchr(__FILE__, '/');
	int         dir = slash ? (int) (slash - __FILE__) : 1;
	snprintf(buf, len, "%.*s/../../configs/mercure.yaml", dir,
	    slash ? __FILE__ : ".");
#else
	snprintf(buf, len, "%s/configs/mercure.yaml", MC_SRC_DIR);
#endif
}

/* mercure_path - tests/data/mercure/<name> in the source tree. */
static void
mercure_path(char *buf, size_t len, const char *name)
{
#ifdef MC_SRC_DIR_FROM_FILE
	const char *slash = strrchr(__FILE__, '/');
	int         dir = slash ? (int) (slash - __FILE__) : 1;
	snprintf(buf, len, "%.*s/../data/mercure/%s", dir,
	    slash ? __FILE__ : ".", name);
#else
	snprintf(buf, len, "%s/tests/data/mercure/%s", MC_SRC_DIR, name);
#endif
}

START_TEST(the_shipped_example_loads_without_findings)
{
	char                 path[1024];
	mc_config           *c = NULL;
	const config_target *t;

	example_path(path, sizeof(path));
	ck_assert_int_eq(
	    config_load_file(path, &c, diags, MAX_DIAGS, &n_diags), MC_OK);
	ck_assert_uint_eq(n_diags, 0);
	ck_assert_uint_eq(c->port, 11112);
	ck_assert_str_eq(c->storage_root, "./var");
	ck_assert_str_eq(c->coordinator_url, "ipc://./var/coordinator.ipc");
	ck_assert_str_eq(c->receiver.bind, "127.0.0.1");
	ck_assert_str_eq(c->receiver.aet, "MERCURE");
	ck_assert_uint_eq(c->series_complete_trigger_s, 10);
	ck_assert_int_eq(c->scheduler.type, CONFIG_SCHEDULER_LOCAL);
	ck_assert_uint_eq(c->n_targets, 1);
	t = config_find_target(c, "demo-folder");
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->type, "folder");
	ck_assert_str_eq(t->folder, "./var/demo-out");
	ck_assert_uint_eq(c->n_rules, 1);
	ck_assert_str_eq(c->rules[0].text, "True");
	ck_assert_int_eq(c->rules[0].action, CONFIG_ACTION_ROUTE);
	ck_assert_uint_eq(c->rules[0].n_targets, 1);
	ck_assert_uint_eq(c->rules[0].target_index[0], 0);
	ck_assert_ptr_nonnull(c->rules[0].compiled);
	config_destroy(c);
}
END_TEST

START_TEST(defaults_follow_mercure_and_ours)
{
	mc_config *c = NULL;

	ck_assert_int_eq(load("appliance_name: x\n", &c), MC_OK);
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(c->port, 11112);
	ck_assert_uint_eq(c->series_complete_trigger_s, 60);
	ck_assert_uint_eq(c->study_complete_trigger_s, 900);
	ck_assert_uint_eq(c->study_forcecomplete_trigger_s, 5400);
	ck_assert_uint_eq(c->retention_s, 259200);
	ck_assert_uint_eq(c->retry_delay_s, 900);
	ck_assert_uint_eq(c->retry_max, 5);
	ck_assert(c->retry_multiplier == 2.0);
	ck_assert_uint_eq(c->retry_max_delay_s, 3600);
	ck_assert_uint_eq(c->offpeak_start_min, 22 * 60);
	ck_assert_uint_eq(c->offpeak_end_min, 6 * 60);
	ck_assert_str_eq(c->receiver.bind, "0.0.0.0");
	ck_assert_uint_eq(c->receiver.max_associations, 16);
	ck_assert(c->receiver.fsync);
	ck_assert(!c->receiver.require_called_aet);
	ck_assert_ptr_null(c->receiver.tls_key);
	ck_assert_uint_eq(c->receiver.handshake_timeout, 30);
	ck_assert_uint_eq(c->receiver.idle_timeout, 60);
	ck_assert_uint_eq(c->receiver.queue_timeout, 20);
	ck_assert_uint_eq(c->receiver.min_transfer_rate, 1024);
	ck_assert_uint_eq(c->receiver.rate_window, 30);
	ck_assert_uint_eq(c->receiver.shutdown_timeout, 30);
	ck_assert_uint_eq(c->receiver.max_pending, 256);
	ck_assert_uint_eq(c->scheduler.max_dispatch, 2);
	ck_assert_uint_eq(c->scheduler.max_process, 1);
	ck_assert_int_eq(c->log_level, LOG_LEVEL_INFO);
	ck_assert_uint_eq(c->file_mode, 0600);
	ck_assert_uint_eq(c->n_rules, 0);
	config_destroy(c);
	config_destroy(NULL);
	ck_assert_int_eq(load("file_mode: 0640\n", &c), MC_OK);
	ck_assert_uint_eq(c->file_mode, 0640);
	config_destroy(c);
	ck_assert_int_eq(load("file_mode: '0660'\n", &c), MC_OK);
	ck_assert_uint_eq(c->file_mode, 0660);
	config_destroy(c);
}
END_TEST

START_TEST(receiver_inherits_accept_compressed_and_reads_tls)
{
	mc_config *c = NULL;

	ck_assert_int_eq(load("accept_compressed_images: yes\n"
	                      "storage_root: /srv/mc\n"
	                      "receiver: {tls: {key: k.pem, cert: c.pem}}\n"
	                      "scheduler: {type: nomad, address: "
	                      "'http://n:4646', datacenters: [dc1]}\n",
	                     &c),
	    MC_OK);
	ck_assert(c->receiver.accept_compressed);
	ck_assert_str_eq(c->coordinator_url, "ipc:///srv/mc/coordinator.ipc");
	ck_assert_str_eq(c->receiver.tls_key, "k.pem");
	ck_assert_str_eq(c->receiver.tls_cert, "c.pem");
	ck_assert_int_eq(c->scheduler.type, CONFIG_SCHEDULER_NOMAD);
	ck_assert_str_eq(
	    config_kv_get(&c->scheduler.fields, "address"), "http://n:4646");
	ck_assert_str_eq(
	    config_kv_get(&c->scheduler.fields, "datacenters"), "[\"dc1\"]");
	config_destroy(c);

	ck_assert_int_eq(
	    load("receiver: {handshake_timeout: 5, idle_timeout: 7,"
	         " queue_timeout: 3, min_transfer_rate: 0,"
	         " rate_window: 9, shutdown_timeout: 2,"
	         " max_pending: 40}\n",
	        &c),
	    MC_OK);
	ck_assert_uint_eq(c->receiver.handshake_timeout, 5);
	ck_assert_uint_eq(c->receiver.idle_timeout, 7);
	ck_assert_uint_eq(c->receiver.queue_timeout, 3);
	ck_assert_uint_eq(c->receiver.min_transfer_rate, 0);
	ck_assert_uint_eq(c->receiver.rate_window, 9);
	ck_assert_uint_eq(c->receiver.shutdown_timeout, 2);
	ck_assert_uint_eq(c->receiver.max_pending, 40);
	config_destroy(c);
}
END_TEST

START_TEST(the_commented_examples_are_valid)
{
	mc_config         *c = NULL;
	const config_rule *r;

	ck_assert_int_eq(
	    load("targets:\n"
	         "  pacs: {target_type: dicom, ip: 10.0.0.5, port: 104,"
	         " aet_target: PACS}\n"
	         "rules:\n"
	         "  cine-to-pacs:\n"
	         "    rule: tags.Modality == 'MR' and 'CINE' in "
	         "tags.SeriesDescription\n"
	         "    target: [pacs]\n"
	         "    priority: urgent\n"
	         "  brain-study:\n"
	         "    rule: tags.Modality == 'MR' and 'brain' in "
	         "tags.StudyDescription.lower()\n"
	         "    action_trigger: study\n"
	         "    study_trigger_condition: received_series\n"
	         "    study_trigger_series: \"'Axial T2' and ('Sag T1 GRE' or "
	         "'Sag T1 TSE')\"\n"
	         "    study_force_completion_action: proceed\n"
	         "    target: pacs\n"
	         "  leftovers: {rule: 'True', action: discard, fallback: "
	         "true}\n",
	        &c),
	    MC_OK);
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(c->targets[0].aet_source, "MERCURE");
	r = config_find_rule(c, "brain-study");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->action_trigger, CONFIG_TRIGGER_STUDY);
	ck_assert_int_eq(
	    r->study_trigger_condition, CONFIG_STUDY_RECEIVED_SERIES);
	ck_assert_int_eq(
	    r->study_force_completion_action, CONFIG_FORCE_PROCEED);
	ck_assert_ptr_nonnull(r->series_compiled);
	r = config_find_rule(c, "leftovers");
	ck_assert(r->fallback);
	ck_assert_int_eq(r->action, CONFIG_ACTION_DISCARD);
	ck_assert_str_eq(config_action_str(r->action), "discard");
	config_destroy(c);
}
END_TEST

/* a config as mercure writes it (its configuration/default_mercure.json
 * and app/tests/data/test_config.json). */
static const char mercure_json[] =
    "{\n"
    "  \"appliance_name\": \"master\", \"port\": 11112, "
    "\"accept_compressed_images\": false,\n"
    "  \"incoming_folder\": \"/opt/mercure/data/incoming\", "
    "\"studies_folder\": \"/opt/mercure/data/studies\",\n"
    "  \"outgoing_folder\": \"/opt/mercure/data/outgoing\", "
    "\"success_folder\": \"/opt/mercure/data/success\",\n"
    "  \"error_folder\": \"/opt/mercure/data/error\", \"discard_folder\": "
    "\"/opt/mercure/data/discard\",\n"
    "  \"processing_folder\": \"/opt/mercure/data/processing\", "
    "\"jobs_folder\": \"/opt/mercure/data/jobs\",\n"
    "  \"persistence_folder\": \"/opt/mercure/persistence\",\n"
    "  \"bookkeeper\": \"0.0.0.0:8080\", \"bookkeeper_api_key\": "
    "\"<random>\",\n"
    "  \"router_scan_interval\": 1, \"series_complete_trigger\": 60, "
    "\"study_complete_trigger\": 900,\n"
    "  \"study_forcecomplete_trigger\": 5400, \"dispatcher_scan_interval\": "
    "1, \"retry_delay\": 900, \"retry_max\": 5,\n"
    "  \"cleaner_scan_interval\": 60, \"retention\": 259200, "
    "\"offpeak_start\": \"22:00\", \"offpeak_end\": \"06:00\",\n"
    "  \"emergency_clean_percentage\": 90, \"phi_notifications\": false,\n"
    "  \"dicom_receiver\": {\"additional_tags\": "
    "{\"PerformedProcedureStepDescription\": \"MRI BRAIN\"}},\n"
    "  \"targets\": {\n"
    "    \"pacs\":  {\"target_type\": \"dicom\", \"ip\": \"10.0.0.5\", "
    "\"port\": \"104\", \"aet_target\": \"PACS\", \"aet_source\": "
    "\"MERCURE\"},\n"
    "    \"back\":  {\"target_type\": \"dicom\", \"ip\": \"sender\", "
    "\"port\": \"11112\", \"aet_target\": \"ANY-SCP\"},\n"
    "    \"sftp1\": {\"target_type\": \"sftp\", \"folder\": \"/upload\", "
    "\"user\": \"foo\", \"host\": \"bar\", \"password\": null, "
    "\"file_filter\": null}\n"
    "  },\n"
    "  \"modules\": {\n"
    "    \"anon\": {\"docker_tag\": "
    "\"mercureimaging/mercure-anonymizer:latest\", \"settings\": {}, "
    "\"additional_volumes\": \"\",\n"
    "             \"environment\": \"\", \"docker_arguments\": \"\"}\n"
    "  },\n"
    "  \"rules\": {\n"
    "    \"cmr_to_pacs\": {\"rule\": \"tags.Modality == 'MR' and 'CINE' in "
    "tags.SeriesDescription\",\n"
    "                    \"action\": \"route\", \"action_trigger\": "
    "\"series\", \"target\": [\"pacs\", \"sftp1\"], \"priority\": "
    "\"urgent\"},\n"
    "    \"research_anon\": {\"rule\": \"@ReceiverAET@ == 'RESEARCH'\", "
    "\"action\": \"both\", \"action_trigger\": \"study\",\n"
    "                      \"study_trigger_condition\": "
    "\"received_series\",\n"
    "                      \"study_trigger_series\": \"'Axial T2' and "
    "('Sag T1 GRE' or 'Sag T1 TSE')\",\n"
    "                      \"study_force_completion_action\": "
    "\"proceed\",\n"
    "                      \"processing_module\": [\"anon\"], "
    "\"processing_settings\": {}, \"target\": \"sftp1\", \"priority\": "
    "\"offpeak\",\n"
    "                      \"notification_webhook\": "
    "\"https://hooks.slack.com/x\",\n"
    "                      \"notification_payload\": \"\\\"text\\\": "
    "\\\"{{ rule }} {{ event }} {{ task_id }}\\\"\"},\n"
    "    \"default\": {\"rule\": \"True\", \"fallback\": true, \"action\": "
    "\"discard\"}\n"
    "  }\n"
    "}\n";

static const char mercure_json_warnings[] =
    "t.yaml:3:3: warning: incoming_folder: not implemented, ignored\n"
    "t.yaml:3:52: warning: studies_folder: not implemented, ignored\n"
    "t.yaml:4:3: warning: outgoing_folder: not implemented, ignored\n"
    "t.yaml:4:52: warning: success_folder: not implemented, ignored\n"
    "t.yaml:5:3: warning: error_folder: not implemented, ignored\n"
    "t.yaml:5:46: warning: discard_folder: not implemented, ignored\n"
    "t.yaml:6:3: warning: processing_folder: not implemented, ignored\n"
    "t.yaml:6:56: warning: jobs_folder: not implemented, ignored\n"
    "t.yaml:7:3: warning: persistence_folder: not implemented, ignored\n"
    "t.yaml:8:3: warning: bookkeeper: not implemented, ignored\n"
    "t.yaml:8:33: warning: bookkeeper_api_key: not implemented, ignored\n"
    "t.yaml:9:3: warning: router_scan_interval: not implemented, ignored\n"
    "t.yaml:10:40: warning: dispatcher_scan_interval: not implemented, "
    "ignored\n"
    "t.yaml:11:3: warning: cleaner_scan_interval: not implemented, ignored\n"
    "t.yaml:12:3: warning: emergency_clean_percentage: not implemented, "
    "ignored";

START_TEST(a_mercure_json_loads_with_a_warning_per_unimplemented_field)
{
	mc_config           *c = NULL;
	const config_target *t;
	const config_rule   *r;

	ck_assert_int_eq(load(mercure_json, &c), MC_OK);
	ck_assert_str_eq(out, mercure_json_warnings);
	ck_assert_uint_eq(c->n_targets, 3);
	t = config_find_target(c, "pacs");
	ck_assert_uint_eq(t->port, 104);
	ck_assert_str_eq(t->aet_target, "PACS");
	t = config_find_target(c, "back");
	ck_assert_str_eq(t->ip, "sender");
	ck_assert_str_eq(t->aet_source, "MERCURE");
	t = config_find_target(c, "sftp1");
	ck_assert_str_eq(t->type, "sftp");
	ck_assert_str_eq(t->folder, "/upload");
	ck_assert_ptr_null(t->file_filter);
	ck_assert_str_eq(config_kv_get(&t->fields, "user"), "foo");
	ck_assert_ptr_null(config_kv_get(&t->fields, "password"));
	ck_assert_uint_eq(t->fields.n, 6);
	ck_assert_str_eq(
	    config_kv_get(&config_find_module(c, "anon")->fields, "settings"),
	    "{}");
	ck_assert_uint_eq(c->additional_tags.n, 1);
	ck_assert_str_eq(c->additional_tags.items[0].value, "MRI BRAIN");
	r = config_find_rule(c, "cmr_to_pacs");
	ck_assert_uint_eq(r->n_targets, 2);
	ck_assert_uint_eq(r->target_index[1], 2);
	ck_assert_int_eq(r->priority, CONFIG_PRIORITY_URGENT);
	r = config_find_rule(c, "research_anon");
	ck_assert_int_eq(r->action, CONFIG_ACTION_BOTH);
	ck_assert_ptr_nonnull(r->series_compiled);
	ck_assert_str_eq(r->processing_modules[0], "anon");
	ck_assert_str_eq(config_kv_get(&r->extra, "notification_payload"),
	    "\"text\": \"{{ rule }} {{ event }} {{ task_id }}\"");
	r = config_find_rule(c, "default");
	ck_assert(r->fallback);
	ck_assert_int_eq(c->rules[2].action, CONFIG_ACTION_DISCARD);
	config_destroy(c);
}
END_TEST

/* Each invalid input and its whole diagnostic output. */
static const struct bad_case {
	const char *text;
	const char *want;
} bad_cases[] = {
    {"rules:\n  r:\n    rule: 'True'\n    action: rout\n",
        "t.yaml:4:13: rules.r.action: unknown action 'rout' (expected route, "
        "both, process, notification or discard)"},
    {"rules:\n  r: {target: nowhere}\n",
        "t.yaml:2:15: rules.r.target: unknown target 'nowhere'"},
    {"targets:\n"
     "  pacs: {target_type: dicom, ip: h, port: 104, aet_target: P}\n"
     "rules:\n  r: {target: [pacs, pcas]}\n",
        "t.yaml:4:22: rules.r.target: unknown target 'pcas' (did you mean "
        "'pacs'?)"},
    {"targets:\n  pacs: {target_type: dicom, ip: h, port: 1, aet_target: P,"
     "\n    associations: 17}\n",
        "t.yaml:3:19: targets.pacs.associations: must be at most 16, got 17"},
    {"targets:\n  pacs: {target_type: dicom, ip: h, port: 1, aet_target: P,"
     "\n    associations: 0}\n",
        "t.yaml:3:19: targets.pacs.associations: must be in 1..16"},
    {"targets:\n  pacs: {target_type: dicom, ip: h, port: 1, aet_target: P,"
     "\n    max_mbps: 0}\n",
        "t.yaml:3:15: targets.pacs.max_mbps: must be a number of MB/s above 0"},
    {"targets:\n  pacs:\n    target_type: dicom\n    ip: h\n    port: 1\n"
     "    aet_target: P\n    transfer_syntaxes:\n"
     "      - LittleEndianExplicit\n      - JPEGLosles\n",
        "t.yaml:9:9: targets.pacs.transfer_syntaxes: 'JPEGLosles' is neither a "
        "transfer syntax UID nor one of its names in docs/targets.md"},
    {"targets:\n  pacs: {target_type: dicomtls, ip: h, port: 1, "
     "aet_target: P,\n    transfer_syntaxes: '1.2.840.10008.1.2, x.y'}\n",
        "t.yaml:3:24: targets.pacs.transfer_syntaxes: 'x.y' is neither a "
        "transfer syntax UID nor one of its names in docs/targets.md"},
    {"port: 70000\n", "t.yaml:1:7: port: port must be 1..65535, got 70000"},
    {"file_mode: 0644\n",
        "t.yaml:1:12: file_mode: must be \"0600\", \"0640\" or \"0660\", "
        "got 0644"},
    {"file_mode: 640\n",
        "t.yaml:1:12: file_mode: must be \"0600\", \"0640\" or \"0660\", "
        "got 640"},
    {"port: '0'\n", "t.yaml:1:7: port: port must be 1..65535, got 0"},
    {"targets:\n"
     "  pacs: {target_type: dicom, ip: h, port: abc, aet_target: P}\n",
        "t.yaml:2:43: targets.pacs.port: expected a port number (1..65535), "
        "got 'abc'"},
    {"targets:\n"
     "  pacs: {target_type: dicom, ip: h, port: 1, aet_target: "
     "THIS_IS_17_CHARSX}\n",
        "t.yaml:2:58: targets.pacs.aet_target: invalid AE title "
        "'THIS_IS_17_CHARSX' (1 to 16 of A-Z a-z 0-9 _ - space)"},
    {"receiver: {aet: 'A*B'}\n",
        "t.yaml:1:17: receiver.aet: invalid AE title 'A*B' (1 to 16 of A-Z "
        "a-z 0-9 _ - space)"},
    {"targets:\n  pacs: {target_type: dicom, ip: h}\n",
        "t.yaml:2:9: targets.pacs: missing field 'port'\n"
        "t.yaml:2:9: targets.pacs: missing field 'aet_target'"},
    {"targets:\n  out: {target_type: folder, folder: /x, fodler: /y}\n",
        "t.yaml:2:42: targets.out.fodler: unknown field (did you mean "
        "'folder'?)"},
    {"targets:\n  out: {target_type: ftp}\n",
        "t.yaml:2:22: targets.out.target_type: unknown target_type 'ftp' "
        "(expected dicom, dicomtls, dicomweb, sftp, rsync, folder, s3, xnat "
        "or dummy)"},
    {"targets:\n"
     "  s: {target_type: sftp, folder: /u, insecure_skip_host_key: sure}\n",
        "t.yaml:2:62: targets.s.insecure_skip_host_key: expected true or "
        "false, got 'sure'"},
    {"targets:\n"
     "  r: {target_type: rsync, host: -oProxyCommand=x, user: '-l x'}\n",
        "t.yaml:2:33: targets.r.host: invalid host '-oProxyCommand=x' (a "
        "host name or an IP address: letters, digits, '.', '-', '_', ':'; "
        "starting with a letter or digit)\n"
        "t.yaml:2:57: targets.r.user: invalid user '-l x' (letters, "
        "digits, '.', '_', '-'; not starting with '-')"},
    {"targets:\n"
     "  r: {target_type: rsync, host: 'a b;c', run_on_complete: maybe}\n",
        "t.yaml:2:33: targets.r.host: invalid host 'a b;c' (a host name or "
        "an IP address: letters, digits, '.', '-', '_', ':'; starting "
        "with a letter or digit)\n"
        "t.yaml:2:59: targets.r.run_on_complete: expected true or false, "
        "got 'maybe'"},
    {"offpeak_start: '25:00'\noffpeak_end: 6am\n",
        "t.yaml:1:16: offpeak_start: expected a time HH:MM, got '25:00'\n"
        "t.yaml:2:14: offpeak_end: expected a time HH:MM, got '6am'"},
    {"appliance_name: [a, b]\n",
        "t.yaml:1:17: appliance_name: expected a string, got a list"},
    {"rules:\n  r: {rule: {a: 1}}\n",
        "t.yaml:2:13: rules.r.rule: expected a string, got a mapping"},
    {"rules:\n  r: {fallback: maybe}\n",
        "t.yaml:2:17: rules.r.fallback: expected true or false, got 'maybe'"},
    {"series_complete_trigger: soon\nretry_max: ten\nretention: -5\n",
        "t.yaml:1:26: series_complete_trigger: expected an integer, got "
        "'soon'\n"
        "t.yaml:2:12: retry_max: expected a non-negative integer, got 'ten'\n"
        "t.yaml:3:12: retention: expected a non-negative integer, got '-5'"},
    {"study_forcecomplete_trigger: 0\n",
        "t.yaml:1:30: study_forcecomplete_trigger: must be at least 1, got 0"},
    {"study_forcecomplete_trigger: -60\n",
        "t.yaml:1:30: study_forcecomplete_trigger: must be at least 1, got "
        "-60"},
    {"study_complete_trigger: -99999999999\n",
        "t.yaml:1:25: study_complete_trigger: must be at least -2147483647, "
        "got -99999999999"},
    {"retry_multiplier: 0.5\n",
        "t.yaml:1:19: retry_multiplier: must be at least 1.0, got 0.5"},
    {"port: 1\nretry_max: 2\nport: 3\n",
        "t.yaml:3:1: port: duplicate key (first at line 1)"},
    {"rules:\n  a: {action: discard}\n  a: {action: discard}\n",
        "t.yaml:3:3: rules.a: duplicate key (first at line 2)"},
    {"retry_maxx: 3\n",
        "t.yaml:1:1: retry_maxx: unknown field (did you mean 'retry_max'?)"},
    {"frobnicate: 1\n", "t.yaml:1:1: frobnicate: unknown field"},
    {"receiver: {idle_timeout: 0, handshake_timeout: 86401}\n",
        "t.yaml:1:26: receiver.idle_timeout: must be at least 1, got 0\n"
        "t.yaml:1:48: receiver.handshake_timeout: must be at most 86400, got "
        "86401"},
    {"receiver: {max_associations: 0, bnd: x}\n",
        "t.yaml:1:30: receiver.max_associations: must be at least 1, got 0\n"
        "t.yaml:1:33: receiver.bnd: unknown field (did you mean 'bind'?)"},
    {"scheduler: {type: local, max_dispatch: 4, address: x}\n",
        "t.yaml:1:43: scheduler.address: unknown field"},
    {"scheduler: {type: kubernetes}\n",
        "t.yaml:1:19: scheduler.type: unknown scheduler type 'kubernetes' "
        "(expected local or nomad)"},
    {"log_level: verbose\n",
        "t.yaml:1:12: log_level: unknown log_level 'verbose' (expected debug, "
        "info, warn or error)"},
    {"dicom_receiver:\n  additional_tags: {'0019,10zz': x, Good: y}\n",
        "t.yaml:2:21: dicom_receiver.additional_tags.0019,10zz: invalid tag "
        "'0019,10zz' (a keyword or gggg,eeee)"},
    {"dicom_receiver:\n  additional_tags: [Modality]\n",
        "t.yaml:2:20: dicom_receiver.additional_tags: expected a mapping, got "
        "a list"},
    {"rules:\n  r: {processing_settings: x}\n",
        "t.yaml:2:28: rules.r.processing_settings: expected a mapping or a "
        "list of mappings"},
    {"rules:\n  r: {processing_module: anon, action: process}\n",
        "t.yaml:2:26: rules.r.processing_module: unknown module 'anon'"},
    {"rules:\n  r: {processing_settings: [1, 2]}\n",
        "t.yaml:2:28: rules.r.processing_settings: expected a mapping or a "
        "list of mappings"},
    {"rules:\n  r: {priority: high, action_trigger: image}\n",
        "t.yaml:2:17: rules.r.priority: unknown priority 'high' (expected "
        "normal, urgent or offpeak)\n"
        "t.yaml:2:39: rules.r.action_trigger: unknown action_trigger 'image' "
        "(expected series or study)"},
    {"rules:\n  r: {study_force_completion_action: wait}\n",
        "t.yaml:2:38: rules.r.study_force_completion_action: unknown "
        "study_force_completion_action 'wait' (expected discard, proceed or "
        "ignore)"},
    {"receiver: {tls: {cert: c.pem}}\n",
        "t.yaml:1:17: receiver.tls: key and cert must be given together"},
    {"- a\n- b\n", "t.yaml:1:1: -: expected a mapping at the top level"},
    {"", "t.yaml:1:1: -: empty configuration"},
    {"rules: [\n",
        "t.yaml:2:1: -: did not find expected node content while parsing a "
        "flow node"},
    {"a: b: c\n",
        "t.yaml:1:5: -: mapping values are not allowed in this context"},
    {"{\"port\": 104,\n \"targets\": {\"x\": [1]}}\n",
        "t.yaml:2:19: targets.x: expected a mapping, got a list"},
};

START_TEST(each_invalid_config_gives_the_expected_message)
{
	check_error(bad_cases[_i].text, bad_cases[_i].want);
}
END_TEST

START_TEST(every_error_is_collected_not_only_the_first)
{
	check_error("port: 0\n"
	            "rules:\n"
	            "  r: {action: rout, target: nowhere}\n"
	            "retry_maxx: 1\n",
	    "t.yaml:1:7: port: port must be 1..65535, got 0\n"
	    "t.yaml:3:15: rules.r.action: unknown action 'rout' (expected "
	    "route, both, process, notification or discard)\n"
	    "t.yaml:3:29: rules.r.target: unknown target 'nowhere'\n"
	    "t.yaml:4:1: retry_maxx: unknown field (did you mean "
	    "'retry_max'?)");
}
END_TEST

START_TEST(unimplemented_fields_warn_and_the_load_succeeds)
{
	mc_config *c = NULL;

	ck_assert_int_eq(load("graphite_ip: ''\n"
	                      "rules:\n"
	                      "  r: {rule: 'False', action: discard, "
	                      "dynamic_routing: false,\n"
	                      "      conditional_alternate_target: pacs}\n",
	                     &c),
	    MC_OK);
	ck_assert_str_eq(out,
	    "t.yaml:1:1: warning: graphite_ip: not implemented, ignored\n"
	    "t.yaml:4:7: warning: rules.r.conditional_alternate_target: no "
	    "effect without dynamic_routing (not supported), as in mercure when "
	    "it is false; ignored");
	ck_assert_int_eq(diags[0].severity, CONFIG_WARNING);
	config_destroy(c);
}
END_TEST

/* mercure's defaults write additional_tags: [] and its model reads ""
 * and [] as {} (pydantic's dict()); both load as the empty mapping. */
START_TEST(empty_lists_and_strings_are_empty_mappings_as_in_mercure)
{
	mc_config *c = NULL;

	ck_assert_int_eq(
	    load("dicom_receiver: {additional_tags: []}\n"
	         "rules:\n"
	         "  r: {action: discard, processing_settings: ''}\n"
	         "  l: {action: discard, processing_settings: []}\n",
	        &c),
	    MC_OK);
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(c->additional_tags.n, 0);
	ck_assert_str_eq(config_find_rule(c, "r")->processing_settings, "{}");
	ck_assert_str_eq(config_find_rule(c, "l")->processing_settings, "[]");
	config_destroy(c);
	ck_assert_int_eq(
	    load("dicom_receiver: {additional_tags: \"\"}\n", &c), MC_OK);
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(c->additional_tags.n, 0);
	config_destroy(c);
}
END_TEST

/* mercure completes a series or study once its quiet time exceeds the
 * trigger, so 0 or less (its test configuration uses -60 and -10)
 * completes at once; every such value gets the same warning. */
START_TEST(a_trigger_of_zero_or_less_completes_at_once_with_a_warning)
{
	mc_config *c = NULL;

	ck_assert_int_eq(load("series_complete_trigger: -60\n"
	                      "study_complete_trigger: 0\n",
	                     &c),
	    MC_OK);
	ck_assert_str_eq(out,
	    "t.yaml:1:26: warning: series_complete_trigger: -60 (0 or less): a "
	    "series is complete at the coordinator's next check, as in "
	    "mercure\n"
	    "t.yaml:2:25: warning: study_complete_trigger: 0 (0 or less): a "
	    "study is complete at the coordinator's next check, as in mercure");
	ck_assert_uint_eq(c->series_complete_trigger_s, 0);
	ck_assert_uint_eq(c->study_complete_trigger_s, 0);
	config_destroy(c);
	ck_assert_int_eq(load("series_complete_trigger: 0\n"
	                      "study_complete_trigger: -10\n",
	                     &c),
	    MC_OK);
	ck_assert_str_eq(out,
	    "t.yaml:1:26: warning: series_complete_trigger: 0 (0 or less): a "
	    "series is complete at the coordinator's next check, as in "
	    "mercure\n"
	    "t.yaml:2:25: warning: study_complete_trigger: -10 (0 or less): a "
	    "study is complete at the coordinator's next check, as in mercure");
	config_destroy(c);
	ck_assert_int_eq(load("series_complete_trigger: '+7'\n"
	                      "study_complete_trigger: \"30\"\n",
	                     &c),
	    MC_OK);
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(c->series_complete_trigger_s, 7);
	ck_assert_uint_eq(c->study_complete_trigger_s, 30);
	config_destroy(c);
}
END_TEST

/* mercure tries its target models in turn (dicom, dicomtls, dicomweb,
 * sftp, rsync, xnat, s3, folder, dummy) and keeps the first whose
 * required fields are there; its test configuration relies on it. */
START_TEST(a_target_without_target_type_gets_mercures_inferred_type)
{
	static const struct {
		const char *fields, *type;
	} cases[] = {
	    {"ip: 0.0.0.1, port: '11113', aet_target: bar", "dicom"},
	    {"ip: h, port: 104, aet_target: A, aet_source: B", "dicom"},
	    {"folder: /, user: foo, host: bar", "sftp"},
	    {"folder: /out", "folder"},
	    {"url: 'http://pacs/dicom-web'", "dicomweb"},
	    {"project_id: p, host: h, user: u, password: s", "xnat"},
	    {"project_id: p, host: h, user: u, password_env: XNAT_PW", "xnat"},
	    {"region: r, bucket: b, prefix: p, access_key_id: k, "
	     "secret_access_key_file: /run/s",
	        "s3"},
	    {"", "dummy"},
	};
	char text[256], want[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mc_config *c = NULL;
		snprintf(text, sizeof(text), "targets:\n  t: {%s}\n",
		    cases[i].fields);
		snprintf(want, sizeof(want),
		    "t.yaml:2:6: warning: targets.t: no target_type: '%s' "
		    "inferred from its fields, as mercure does (write "
		    "target_type: %s)",
		    cases[i].type, cases[i].type);
		ck_assert_msg(load(text, &c) == MC_OK, "%s: %s", text, out);
		/* the inference's warning first; a lenient type may add
		 * "unknown field, kept" for a secret named by _env/_file */
		ck_assert_msg(strncmp(out, want, strlen(want)) == 0,
		    "%s: got %s", text, out);
		ck_assert_str_eq(
		    config_find_target(c, "t")->type, cases[i].type);
		/* the task and the worker read the type from the fields */
		ck_assert_str_eq(
		    config_kv_get(
		        &config_find_target(c, "t")->fields, "target_type"),
		    cases[i].type);
		config_destroy(c);
	}
	/* the inferred type's own checks apply, as to a written one */
	check_error("targets:\n  t: {ip: h, port: 0, aet_target: A}\n",
	    "t.yaml:2:6: warning: targets.t: no target_type: 'dicom' inferred "
	    "from its fields, as mercure does (write target_type: dicom)\n"
	    "t.yaml:2:20: targets.t.port: port must be 1..65535, got 0");
	/* mercure's dicom model drops TLS fields it does not have; a plain
	 * DICOM send where TLS was meant is refused instead */
	check_error(
	    "targets:\n"
	    "  t: {ip: h, port: 1, aet_target: A, tls_key: k, tls_cert: "
	    "c, ca_cert: a}\n",
	    "t.yaml:2:6: warning: targets.t: no target_type: 'dicom' inferred "
	    "from its fields, as mercure does (write target_type: dicom)\n"
	    "t.yaml:2:38: targets.t.tls_key: unknown field\n"
	    "t.yaml:2:50: targets.t.tls_cert: unknown field\n"
	    "t.yaml:2:63: targets.t.ca_cert: unknown field");
	/* an sftp target without its host is a folder for mercure, which
	 * writes locally what was meant for a server; refused here */
	check_error("targets:\n  t: {folder: /up, user: u, host: null}\n",
	    "t.yaml:2:6: warning: targets.t: no target_type: 'folder' inferred "
	    "from its fields, as mercure does (write target_type: folder)\n"
	    "t.yaml:2:20: targets.t.user: unknown field\n"
	    "t.yaml:2:29: targets.t.host: unknown field");
	/* a null target_type is no type at all: mercure refuses it too */
	check_error("targets:\n  t: {target_type: null, folder: /x}\n",
	    "t.yaml:2:6: targets.t: missing field 'target_type'");
}
END_TEST

/* mercure's fields beyond routing: what its defaults and saved files
 * hold (off) loads without a word; the notifications' two are used. */
START_TEST(mercures_other_fields_load_when_off_and_notify_fields_are_used)
{
	mc_config *c = NULL;

	ck_assert_int_eq(
	    load("features: {dummy_target: false}\n"
	         "processing_logs: {discard_logs: false, "
	         "logs_file_store: null}\n"
	         "email_notification_from: mercure@mercure.mercure\n"
	         "webhook_certificate_location: null\n"
	         "store_sample_dicom_tags: false\n"
	         "dicom_retrieve: {dicom_nodes: [], "
	         "destination_folders: []}\n"
	         "rules:\n"
	         "  r: {action: discard, dynamic_routing: false, "
	         "dynamic_routing_allowed_targets: '',\n"
	         "      conditional_alternate_target: ''}\n",
	        &c),
	    MC_OK);
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(
	    c->email_notification_from, "mercure@mercure.mercure");
	ck_assert_ptr_null(c->webhook_certificate_location);
	config_destroy(c);
	ck_assert_int_eq(load("appliance_name: x\n", &c), MC_OK);
	ck_assert_str_eq(
	    c->email_notification_from, "mercure@mercure.mercure");
	config_destroy(c);
	ck_assert_int_eq(load("email_notification_from: router@example.org\n"
	                      "webhook_certificate_location: /etc/ca.pem\n"
	                      "features: {dummy_target: true}\n",
	                     &c),
	    MC_OK);
	ck_assert_str_eq(out,
	    "t.yaml:3:11: warning: features: switches of mercure's web "
	    "interface, which this project does not have; ignored");
	ck_assert_str_eq(c->email_notification_from, "router@example.org");
	ck_assert_str_eq(c->webhook_certificate_location, "/etc/ca.pem");
	config_destroy(c);
	ck_assert_int_eq(
	    load("webhook_certificate_location: ''\n", &c), MC_OK);
	ck_assert_ptr_null(c->webhook_certificate_location);
	config_destroy(c);
	check_error(
	    "email_notification_from: ''\n"
	    "processing_logs: {discard_logs: true, logs_file_store: /l}\n"
	    "store_sample_dicom_tags: true\n"
	    "dicom_retrieve: {destination_folders: [{name: f, path: /f}]}\n"
	    "features: {dummy_target: maybe}\n"
	    "rules:\n"
	    "  r: {action: discard, dynamic_routing: true}\n",
	    "t.yaml:1:26: email_notification_from: must be an e-mail address on "
	    "one line\n"
	    "t.yaml:2:33: processing_logs.discard_logs: not supported: each "
	    "module's output is kept as module-<n>-<name>.log in the task folder "
	    "and removed with it (retention)\n"
	    "t.yaml:2:56: processing_logs.logs_file_store: not supported: each "
	    "module's output is kept as module-<n>-<name>.log in the task folder "
	    "(success/ or error/)\n"
	    "t.yaml:3:26: store_sample_dicom_tags: not supported: mercure sends "
	    "one image's tags to its bookkeeper for its web interface; here the "
	    "images stay in the task folder (read their tags with dcmdump)\n"
	    "t.yaml:4:39: dicom_retrieve.destination_folders: not supported: a "
	    "retrieved study enters through the receiver and the rules; to "
	    "store it in a folder, force a rule whose target is a folder "
	    "(--force-rule)\n"
	    "t.yaml:5:26: features.dummy_target: expected true or false, got "
	    "'maybe'\n"
	    "t.yaml:7:41: rules.r.dynamic_routing: not supported: a module "
	    "cannot choose the targets; select them with rules on the series' "
	    "tags (one rule per target)");
}
END_TEST

/* dicom_retrieve.dicom_nodes: the sources of --query/--retrieve, with
 * the fields of a dicom target; a dicom target with direction pull or
 * both is one too (mercure's query tool lists those). */
START_TEST(dicom_nodes_load_and_pull_targets_are_sources)
{
	mc_config        *c = NULL;
	config_dicom_node n;

	ck_assert_int_eq(
	    load("dicom_retrieve:\n"
	         "  dicom_nodes:\n"
	         "    - {name: pacs, ip: 10.0.0.5, port: 104, "
	         "aet_target: PACS}\n"
	         "    - {name: archive, ip: arch.example.org, port: '11112', "
	         "aet_target: ARCH, aet_source: ROUTER}\n"
	         "targets:\n"
	         "  old: {target_type: dicom, ip: 10.0.0.9, port: 104, "
	         "aet_target: OLD, direction: both}\n"
	         "  out: {target_type: dicom, ip: 10.0.0.8, port: 104, "
	         "aet_target: OUT}\n"
	         "  web: {target_type: dicomweb, url: 'http://h/dicom-web', "
	         "qido_url_prefix: q, http_user: u, direction: pull}\n",
	        &c),
	    MC_OK);
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(c->n_dicom_nodes, 2);
	ck_assert(config_find_dicom_node(c, "pacs", &n));
	ck_assert_str_eq(n.ip, "10.0.0.5");
	ck_assert_uint_eq(n.port, 104);
	ck_assert_str_eq(n.aet_target, "PACS");
	ck_assert_str_eq(n.aet_source, "MERCURE");
	ck_assert_uint_eq(n.line, 3);
	ck_assert(config_find_dicom_node(c, "archive", &n));
	ck_assert_uint_eq(n.port, 11112);
	ck_assert_str_eq(n.aet_source, "ROUTER");
	ck_assert(config_find_dicom_node(c, "old", &n));
	ck_assert_str_eq(n.aet_target, "OLD");
	ck_assert_ptr_null(n.url);
	ck_assert(config_find_dicom_node(c, "web", &n));
	ck_assert_str_eq(n.url, "http://h/dicom-web");
	ck_assert_str_eq(n.qido_url_prefix, "q");
	ck_assert_ptr_null(n.wado_url_prefix);
	ck_assert_str_eq(n.http_user, "u");
	ck_assert_ptr_null(n.ip);
	ck_assert(!config_find_dicom_node(c, "out", &n));
	ck_assert(!config_find_dicom_node(c, "nothing", &n));
	config_destroy(c);
	check_error("dicom_retrieve:\n"
	            "  dicom_nodes:\n"
	            "    - {name: 'a b', ip: 'h;x', port: 0, aet_target: "
	            "TOOLONGAETITLE_XYZ, aet: X}\n"
	            "    - {ip: h, port: 1}\n"
	            "    - {name: p, ip: h, port: 1, aet_target: P}\n"
	            "    - {name: p, ip: h, port: 1, aet_target: P}\n",
	    "t.yaml:3:14: dicom_retrieve.dicom_nodes.0.name: invalid name "
	    "'a b' (1 to 64 of A-Z a-z 0-9 _ . -)\n"
	    "t.yaml:3:25: dicom_retrieve.dicom_nodes.0.ip: invalid host 'h;x'\n"
	    "t.yaml:3:38: dicom_retrieve.dicom_nodes.0.port: port must be "
	    "1..65535, got 0\n"
	    "t.yaml:3:53: dicom_retrieve.dicom_nodes.0.aet_target: invalid AE "
	    "title 'TOOLONGAETITLE_XYZ' (1 to 16 of A-Z a-z 0-9 _ - space)\n"
	    "t.yaml:3:73: dicom_retrieve.dicom_nodes.0.aet: unknown field\n"
	    "t.yaml:4:7: dicom_retrieve.dicom_nodes.1: missing field 'name'\n"
	    "t.yaml:4:7: dicom_retrieve.dicom_nodes.1: missing field "
	    "'aet_target'\n"
	    "t.yaml:6:14: dicom_retrieve.dicom_nodes.3.name: duplicate node "
	    "name 'p'");
}
END_TEST

/* Every configuration mercure's own Config model loads, from mercure
 * (MIT License, Copyright (c) 2019-2024 Kai Tobias Block, Roy Wiggins,
 * Joshy Cyriac, Amanpreet Singh Saimbhi; tests/data/mercure/README.md):
 * its shipped default, the defaults it merges in, its tests' fixture
 * and what its tests save from it (the README names each source). Each loads;
 * its warnings are the fields that have no meaning here ("not implemented,
 * ignored", by count) and exactly the others listed. */
static const char trigger_warnings[] =
    "series_complete_trigger: -60 (0 or less): a series is complete at "
    "the coordinator's next check, as in mercure\n"
    "study_complete_trigger: -10 (0 or less): a study is complete at the "
    "coordinator's next check, as in mercure\n";

static const struct mercure_config {
	const char *file;
	size_t      not_implemented;
	const char *others; /* "field: message\n" each, in file order */
	size_t      targets, rules;
} mercure_configs[] = {
    /* mercure's shipped default, verbatim */
    {"default_mercure.json", 25, "", 0, 0},
    /* the defaults mercure merges under every file it reads */
    {"mercure_defaults.json", 25, "", 0, 0},
    /* its integration tests' file: the defaults, triggers 1 and 2 */
    {"integration_mercure.json", 26, "", 0, 0},
    /* its unit tests' fixture, verbatim */
    {"test_config.json", 17,
        "series_complete_trigger: -60 (0 or less): a series is complete at "
        "the coordinator's next check, as in mercure\n"
        "study_complete_trigger: -10 (0 or less): a study is complete at "
        "the coordinator's next check, as in mercure\n"
        "targets.test_target_2: no target_type: 'dicom' inferred from its "
        "fields, as mercure does (write target_type: dicom)\n"
        "targets.sftp_target: no target_type: 'sftp' inferred from its "
        "fields, as mercure does (write target_type: sftp)\n"
        "modules.test_module.url: unknown field, kept\n",
        5, 0},
    /* that fixture as its tests save it, with its router tests' rules */
    {"test_config_saved.json", 27,
        "series_complete_trigger: -60 (0 or less): a series is complete at "
        "the coordinator's next check, as in mercure\n"
        "study_complete_trigger: -10 (0 or less): a study is complete at the "
        "coordinator's next check, as in mercure\n"
        "rules.broken.rule: starts with a space or tab: mercure never "
        "triggers it (IndentationError); it is False here too\n",
        5, 5},
    /* a rule its tests write by hand ("False", processing_settings "") */
    {"test_pydantic.json", 27, trigger_warnings, 5, 1},
    /* its notification tests' rule: a module chain, e-mail */
    {"test_notifications.json", 27, trigger_warnings, 5, 1},
};

START_TEST(every_mercure_json_mercure_loads_loads)
{
	const struct mercure_config *m = &mercure_configs[_i];
	config_diag                  d[64];
	size_t                       n = 0, not_impl = 0, used = 0;
	char                         path[1024], others[2048] = "";
	mc_config                   *c = NULL;

	mercure_path(path, sizeof(path), m->file);
	ck_assert_int_eq(config_load_file(path, &c, d, 64, &n), MC_OK);
	ck_assert_uint_lt(n, 64);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(d[i].severity, CONFIG_WARNING);
		if (strcmp(d[i].d.msg, "not implemented, ignored") == 0)
			not_impl++;
		else
			used += (size_t) snprintf(others + used,
			    sizeof(others) - used, "%s: %s\n", d[i].d.field,
			    d[i].d.msg);
	}
	ck_assert_str_eq(others, m->others);
	ck_assert_uint_eq(not_impl, m->not_implemented);
	ck_assert_uint_eq(c->n_targets, m->targets);
	ck_assert_uint_eq(c->n_rules, m->rules);
	config_destroy(c);
}
END_TEST

/* mercure's model reads an int field from a float with nothing after
 * the point (its cleaner tests pass retention as 259200.0). */
START_TEST(an_integer_written_as_a_whole_float_is_that_integer)
{
	mc_config *c = NULL;

	ck_assert_int_eq(load("retention: 259200.0\n"
	                      "study_forcecomplete_trigger: 5400.00\n"
	                      "series_complete_trigger: -60.0\n",
	                     &c),
	    MC_OK);
	ck_assert_uint_eq(c->retention_s, 259200);
	ck_assert_uint_eq(c->study_forcecomplete_trigger_s, 5400);
	ck_assert_uint_eq(c->series_complete_trigger_s, 0);
	config_destroy(c);
	check_error("retention: 1.5\nstudy_complete_trigger: 2.05\n",
	    "t.yaml:1:12: retention: expected a non-negative integer, got "
	    "'1.5'\n"
	    "t.yaml:2:25: study_complete_trigger: expected an integer, got "
	    "'2.05'");
}
END_TEST

START_TEST(a_route_rule_without_target_is_a_warning)
{
	mc_config *c = NULL;

	ck_assert_int_eq(load("rules:\n  r: {rule: 'True'}\n", &c), MC_OK);
	ck_assert_str_eq(out,
	    "t.yaml:2:6: warning: rules.r: action 'route' without a target");
	config_destroy(c);
}
END_TEST

/* expect_rule_error - the loader places rule.h's column for expr, written
 * at line/column (of its first character) in the file. */
static void
expect_rule_error(const char *text, const char *expr, const char *field,
    size_t line, size_t column,
    mc_err (*fn)(const char *, size_t, rule **, mc_diag *))
{
	mc_diag d = {0};
	rule   *r = NULL;
	char    want[512];

	ck_assert_int_eq(fn(expr, strlen(expr), &r, &d), MC_ESYNTAX);
	ck_assert_uint_gt(d.column, 1);
	snprintf(want, sizeof(want), "t.yaml:%zu:%zu: %s: %s", line,
	    column + d.column - 1, field, d.msg);
	check_error(text, want);
}

START_TEST(a_rule_error_points_at_its_column_in_the_file)
{
	expect_rule_error("rules:\n  r:\n    rule: tags.Modality == == 'MR'\n"
	                  "    action: discard\n",
	    "tags.Modality == == 'MR'", "rules.r.rule", 3, 11, rule_compile);
	expect_rule_error("rules:\n  r: {action: discard, rule: "
	                  "'tags.Modality == == x'}\n",
	    "tags.Modality == == x", "rules.r.rule", 2, 31, rule_compile);
	expect_rule_error("{\"rules\": {\"r\": {\"action\": \"discard\", "
	                  "\"rule\": \"tags.A == == 'x'\"}}}\n",
	    "tags.A == == 'x'", "rules.r.rule", 1, 48, rule_compile);
}
END_TEST

START_TEST(a_study_trigger_series_error_points_at_its_column)
{
	expect_rule_error("rules:\n  r:\n    action: discard\n"
	                  "    study_trigger_series: \"'Axial T2' and and\"\n",
	    "'Axial T2' and and", "rules.r.study_trigger_series", 4, 28,
	    rule_compile_series);
}
END_TEST

START_TEST(an_escaped_rule_error_names_the_expression_column)
{
	mc_diag     d = {0};
	rule       *r = NULL;
	char        want[512];
	const char *expr = "tags.A == \"x\" ==";

	ck_assert_int_eq(rule_compile(expr, strlen(expr), &r, &d), MC_ESYNTAX);
	snprintf(want, sizeof(want),
	    "t.yaml:1:36: rules.r.rule: %s (column %zu of the expression)",
	    d.msg, d.column);
	check_error("rules: {r: {action: discard, rule: \"tags.A == \\\"x\\\" "
	            "==\"}}\n",
	    want);
}
END_TEST

START_TEST(an_unreadable_file_is_reported)
{
	mc_config *c = (mc_config *) 1;

	ck_assert_int_eq(config_load_file("/nonexistent/mercure.yaml", &c,
	                     diags, MAX_DIAGS, &n_diags),
	    MC_ENOENT);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(n_diags, 1);
	ck_assert_str_eq(
	    diags[0].d.msg, "cannot read: No such file or directory");
}
END_TEST

START_TEST(diagnostics_beyond_the_buffer_still_fail_the_load)
{
	mc_config  *c = (mc_config *) 1;
	config_diag one[1];
	size_t      n = 9;

	ck_assert_int_eq(
	    config_load_buffer("t.yaml", "a: 1\nb: 2\n", 10, &c, one, 1, &n),
	    MC_ECONFIG);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(
	    config_load_buffer("t.yaml", "a: 1\n", 5, &c, NULL, 0, NULL),
	    MC_ECONFIG);
}
END_TEST

START_TEST(recursive_aliases_are_rejected_not_followed)
{
	check_error(
	    "rules: &a {r: *a}\n", "t.yaml:1:15: rules.r: recursive alias *a");
}
END_TEST

/* A limit is enforced while parsing: far below what the unbounded
 * document would cost (seconds to minutes), even under sanitizers. */
#define LIMIT_MAX_SECONDS 1.0

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double) t.tv_sec + (double) t.tv_nsec / 1e9;
}

/* check_error_quickly - check_error within LIMIT_MAX_SECONDS. */
static void
check_error_quickly(const char *text, const char *want)
{
	double t0 = now_s(), dt;

	check_error(text, want);
	dt = now_s() - t0;
	ck_assert_msg(dt < LIMIT_MAX_SECONDS, "took %.3f s", dt);
}

/* aliases_of - "[*name, *name, ...]" (n times) into buf. */
static const char *
aliases_of(char *buf, size_t len, const char *name, int n)
{
	size_t used = 0;

	buf[used++] = '[';
	for (int i = 0; i < n && used + 16 < len; i++)
		used += (size_t) snprintf(
		    buf + used, len - used, "%s*%s", i ? ", " : "", name);
	snprintf(buf + used, len - used, "]");
	return buf;
}

/* alias_levels - append "<indent>lN: &aN [*aN-1 x10]" for N = 1..levels
 * to text (used bytes in it so far); returns the new length */
static int
alias_levels(char *text, size_t cap, int used, const char *indent, int levels)
{
	char seq[256], prev[16];

	for (int i = 1; i <= levels; i++) {
		snprintf(prev, sizeof(prev), "a%d", i - 1);
		used += snprintf(text + used, cap - (size_t) used,
		    "%sl%d: &a%d %s\n", indent, i, i,
		    aliases_of(seq, sizeof(seq), prev, 10));
	}
	return used;
}

/* An alias bomb in a module's settings (which become JSON text) stops at
 * the alias that crosses CONFIG_MAX_NODES: l0..l4 hold 123,455 nodes,
 * the first *a4 of l5 adds 111,111. */
START_TEST(an_alias_bomb_in_module_settings_stops_at_the_node_limit)
{
	char text[2048];
	int  used;

	used = snprintf(text, sizeof(text),
	    "modules:\n  m:\n    docker_tag: x\n    settings:\n"
	    "      l0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
	used = alias_levels(text, sizeof(text), used, "      ", 4);
	snprintf(text + used, sizeof(text) - (size_t) used,
	    "      l5: [*a4, *a4]\n");
	check_error_quickly(text,
	    "t.yaml:10:12: modules.m.settings.l5[0]: more than "
	    "200000 nodes (aliases counted in full)");
}
END_TEST

/* The classic: nine levels of ten, 10^9 nodes if expanded. */
START_TEST(billion_laughs_stops_at_the_node_limit)
{
	char text[4096];
	int  used = snprintf(text, sizeof(text),
	     "l0: &a0 [lol, lol, lol, "
	      "lol, lol, lol, lol, lol, "
	      "lol, lol]\n");

	(void) alias_levels(text, sizeof(text), used, "", 9);
	/* l0..l4 are 123,461 nodes; the first *a4 of l5 crosses */
	check_error_quickly(text, "t.yaml:6:10: l5[0]: more than 200000 "
	                          "nodes (aliases counted in full)");
}
END_TEST

/* 100,000 nested flow sequences: libyaml alone would take most of a
 * minute; the parser stops at the 65th '[' (the value of rules is
 * level 1). */
START_TEST(deep_flow_nesting_stops_at_the_depth_limit)
{
	size_t depth = 100000, pre = strlen("rules: ");
	char  *text = malloc(pre + 2 * depth + 2);

	ck_assert_ptr_nonnull(text);
	memcpy(text, "rules: ", pre);
	memset(text + pre, '[', depth);
	memset(text + pre + depth, ']', depth);
	memcpy(text + pre + 2 * depth, "\n", 2);
	/* the field path is cut at CONFIG_PATH_MAX_LEN */
	check_error_quickly(text,
	    "t.yaml:1:72: rules[0][0][0][0][0][0][0][0][0][0][0][0][0]"
	    "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
	    "[0][0][0][0][0][0][0][0][0: nesting deeper than 64 "
	    "levels");
	free(text);
}
END_TEST

/* Block mappings nested 1,000 deep, "k:" one more space in each line:
 * the key on line 65 is the first node at level 65. */
START_TEST(deep_block_nesting_stops_at_the_depth_limit)
{
	size_t levels = 1000, used = 0, cap = levels * (levels + 4) + 16;
	char  *text = malloc(cap);

	ck_assert_ptr_nonnull(text);
	for (size_t i = 0; i < levels; i++)
		used += (size_t) snprintf(
		    text + used, cap - used, "%*sk:\n", (int) i, "");
	/* the path of that key: 64 "k"s */
	char   want[256] = "t.yaml:65:65: k";
	size_t w = strlen(want);
	for (int i = 1; i < 64; i++)
		w += (size_t) snprintf(want + w, sizeof(want) - w, ".k");
	snprintf(
	    want + w, sizeof(want) - w, ": nesting deeper than 64 levels");
	check_error_quickly(text, want);
	free(text);
}
END_TEST

/* Aliases within the limits still share one node and load. */
START_TEST(aliases_within_the_limits_load)
{
	mc_config *c = NULL;

	ck_assert_int_eq(load("modules:\n  m:\n    docker_tag: x\n"
	                      "    settings:\n      a: &a [1, 2]\n"
	                      "      b: [*a, *a]\n",
	                     &c),
	    MC_OK);
	config_destroy(c);
}
END_TEST

START_TEST(transfer_syntax_lists_read_names_uids_and_json)
{
	char   uids[TRANSFER_SYNTAX_LIST_MAX][TRANSFER_SYNTAX_UID_MAX_LEN + 1];
	char   err[256];
	size_t n = 9;

	ck_assert_str_eq(
	    transfer_syntax_uid("jpeglossless"), "1.2.840.10008.1.2.4.70");
	ck_assert_str_eq(transfer_syntax_uid("1.2.3"), "1.2.3");
	ck_assert_ptr_null(transfer_syntax_uid("JPEGLosles"));
	ck_assert_int_eq(
	    transfer_syntax_list_parse(NULL, uids, &n, err, sizeof(err)),
	    MC_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(transfer_syntax_list_parse(
	                     "[\"JPEGLossless\",\"1.2.840.10008.1.2.1\","
	                     "\"LittleEndianExplicit\"]",
	                     uids, &n, err, sizeof(err)),
	    MC_OK);
	ck_assert_uint_eq(n, 2); /* the duplicate dropped */
	ck_assert_str_eq(uids[0], "1.2.840.10008.1.2.4.70");
	ck_assert_str_eq(uids[1], "1.2.840.10008.1.2.1");
	ck_assert_int_eq(transfer_syntax_list_parse(
	                     "RLELossless, x", uids, &n, err, sizeof(err)),
	    MC_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "'x'"));
}
END_TEST

static Suite *
config_suite(void)
{
	Suite       *s = suite_create("config");
	const TTest *valid[] = {the_shipped_example_loads_without_findings,
	    defaults_follow_mercure_and_ours,
	    receiver_inherits_accept_compressed_and_reads_tls,
	    the_commented_examples_are_valid,
	    a_mercure_json_loads_with_a_warning_per_unimplemented_field,
	    unimplemented_fields_warn_and_the_load_succeeds,
	    empty_lists_and_strings_are_empty_mappings_as_in_mercure,
	    a_trigger_of_zero_or_less_completes_at_once_with_a_warning,
	    a_target_without_target_type_gets_mercures_inferred_type,
	    mercures_other_fields_load_when_off_and_notify_fields_are_used,
	    dicom_nodes_load_and_pull_targets_are_sources,
	    an_integer_written_as_a_whole_float_is_that_integer,
	    a_route_rule_without_target_is_a_warning,
	    transfer_syntax_lists_read_names_uids_and_json, NULL};
	const TTest *invalid[] = {every_error_is_collected_not_only_the_first,
	    a_rule_error_points_at_its_column_in_the_file,
	    a_study_trigger_series_error_points_at_its_column,
	    an_escaped_rule_error_names_the_expression_column,
	    an_unreadable_file_is_reported,
	    diagnostics_beyond_the_buffer_still_fail_the_load,
	    recursive_aliases_are_rejected_not_followed,
	    an_alias_bomb_in_module_settings_stops_at_the_node_limit,
	    billion_laughs_stops_at_the_node_limit,
	    deep_flow_nesting_stops_at_the_depth_limit,
	    deep_block_nesting_stops_at_the_depth_limit,
	    aliases_within_the_limits_load, NULL};

	tcase_add_loop_test(mc_check_tcase(s, "valid", valid),
	    every_mercure_json_mercure_loads_loads, 0,
	    (int) (sizeof(mercure_configs) / sizeof(mercure_configs[0])));
	tcase_add_loop_test(mc_check_tcase(s, "invalid", invalid),
	    each_invalid_config_gives_the_expected_message, 0,
	    (int) (sizeof(bad_cases) / sizeof(bad_cases[0])));
	return s;
}

int
main(void)
{
	return mc_check_run(config_suite());
}
