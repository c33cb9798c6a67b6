/* qr_cli.c - the query/retrieve commands' arguments, configuration and
 * --query output (qr_cli.h). Every key is checked here, before any
 * connection: only the keys dcm_qr_key_check knows, each once, with a
 * value of printable ASCII of its VR's length; wildcards only in a query.
 * Match values are shown as the node sent them, minus anything that is
 * not printable ASCII, so a node cannot write to the operator's terminal. */
#include "retrieve/qr_cli.h"

#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "dcm/dcm_glue.h"
#include "retrieve/qr_api.h"
#include "retrieve/qr_int.h"

#define QR_DIAGS_MAX 64
#define QR_DEFAULT_CONFIG "configs/mercure.yaml"
#define QR_COUNT_MAX 10000000 /* --max-matches, --max-files */

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: mercure-coordinator [--config FILE] --query SOURCE "
	    "[--level study|series] [--json] KEY=VALUE...\n"
	    "       mercure-coordinator [--config FILE] --retrieve SOURCE "
	    "[--method get|move] [--level study|series]\n"
	    "           [--force-rule RULE] KEY=VALUE...\n"
	    "       mercure-coordinator [--config FILE] --retrieve-list FILE "
	    "--source SOURCE [--method get|move]\n"
	    "           [--force-rule RULE] [KEY=VALUE...]\n"
	    "  --max-matches N (C-FIND, default 1000)  --max-files N (C-GET, "
	    "default 100000)\n"
	    "  KEY: PatientID AccessionNumber StudyDate (YYYYMMDD or "
	    "YYYYMMDD-YYYYMMDD) Modality\n"
	    "       StudyInstanceUID SeriesInstanceUID\n");
}

bool
qr_cli_wanted(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--query") == 0 ||
		    strcmp(argv[i], "--retrieve") == 0 ||
		    strcmp(argv[i], "--retrieve-list") == 0)
			return true;
	return false;
}

/* add_key - "KEY=VALUE" (argv's, split in place) */
static int
add_key(qr_args *a, char *kv)
{
	char *eq = strchr(kv, '=');
	char  err[256];

	if (eq == NULL) {
		fprintf(
		    stderr, "mercure-coordinator: '%s': want KEY=VALUE\n", kv);
		return 2;
	}
	*eq = '\0';
	if (dcm_qr_key_check(
	        kv, eq + 1, a->mode == QR_QUERY, err, sizeof(err)) != MC_OK) {
		fprintf(stderr, "mercure-coordinator: %s\n", err);
		return 2;
	}
	for (size_t i = 0; i < a->n_keys; i++)
		if (strcmp(a->keys[i].keyword, kv) == 0) {
			fprintf(stderr,
			    "mercure-coordinator: %s given twice\n", kv);
			return 2;
		}
	if (a->n_keys == DCM_QR_MAX_KEYS)
		return 2;
	a->keys[a->n_keys++] = (dcm_qr_key){kv, eq + 1};
	return 0;
}

static int
set_mode(qr_args *a, qr_mode m, const char *arg)
{
	if (a->mode != 0)
		return 2;
	a->mode = m;
	if (m == QR_LIST)
		a->list = arg;
	else
		a->source = arg;
	return 0;
}

static int
parse_choice(const char *arg, const char *one, const char *two, bool *second)
{
	if (strcmp(arg, one) == 0)
		*second = false;
	else if (strcmp(arg, two) == 0)
		*second = true;
	else
		return 2;
	return 0;
}

/* parse_count - 1..QR_COUNT_MAX */
static int
parse_count(const char *arg, size_t *out)
{
	char         *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || arg[0] == '-' ||
	    v == 0 || v > QR_COUNT_MAX)
		return 2;
	*out = v;
	return 0;
}

static int
parse(int argc, char **argv, qr_args *a)
{
	enum {
		O_CONFIG = 256,
		O_QUERY,
		O_RETRIEVE,
		O_LIST,
		O_SOURCE,
		O_LEVEL,
		O_METHOD,
		O_FORCE,
		O_JSON,
		O_MAX_MATCHES,
		O_MAX_FILES
	};
	static const struct option opts[] = {
	    {"config", required_argument, 0, O_CONFIG},
	    {"query", required_argument, 0, O_QUERY},
	    {"retrieve", required_argument, 0, O_RETRIEVE},
	    {"retrieve-list", required_argument, 0, O_LIST},
	    {"source", required_argument, 0, O_SOURCE},
	    {"level", required_argument, 0, O_LEVEL},
	    {"method", required_argument, 0, O_METHOD},
	    {"force-rule", required_argument, 0, O_FORCE},
	    {"json", no_argument, 0, O_JSON},
	    {"max-matches", required_argument, 0, O_MAX_MATCHES},
	    {"max-files", required_argument, 0, O_MAX_FILES}, {0, 0, 0, 0}};
	int  c, rc = 0;
	bool series = false;

	a->config = QR_DEFAULT_CONFIG;
	optind = 1;
	while (
	    rc == 0 && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_CONFIG:
			a->config = optarg;
			break;
		case O_QUERY:
			rc = set_mode(a, QR_QUERY, optarg);
			break;
		case O_RETRIEVE:
			rc = set_mode(a, QR_RETRIEVE, optarg);
			break;
		case O_LIST:
			rc = set_mode(a, QR_LIST, optarg);
			break;
		case O_SOURCE:
			a->source = optarg;
			break;
		case O_LEVEL:
			rc = parse_choice(optarg, "study", "series", &series);
			break;
		case O_METHOD:
			rc = parse_choice(optarg, "get", "move", &a->move);
			break;
		case O_FORCE:
			a->force_rule = optarg;
			break;
		case O_JSON:
			a->json = true;
			break;
		case O_MAX_MATCHES:
			rc = parse_count(optarg, &a->max_matches);
			break;
		case O_MAX_FILES:
			rc = parse_count(optarg, &a->max_files);
			break;
		default:
			rc = 2;
		}
	}
	a->level = series ? DCM_QR_SERIES : DCM_QR_STUDY;
	for (int i = optind; rc == 0 && i < argc; i++)
		rc = add_key(a, argv[i]);
	if (rc == 0 &&
	    (a->source == NULL || (a->mode == QR_RETRIEVE && a->n_keys == 0)))
		rc = 2;
	if (rc == 0 && a->move && a->force_rule != NULL) {
		fprintf(stderr,
		    "mercure-coordinator: --force-rule needs --method get: "
		    "with C-MOVE the node sends the images to the receiver "
		    "itself, and nothing can mark them on the way\n");
		rc = 2;
	}
	return rc;
}

static mc_config *
load(const char *path)
{
	config_diag d[QR_DIAGS_MAX];
	size_t      n = 0;
	mc_config  *cfg = NULL;
	char        line[768];
	mc_err      rv = config_load_file(path, &cfg, d, QR_DIAGS_MAX, &n);

	for (size_t i = 0; i < n && i < QR_DIAGS_MAX; i++)
		if (rv != MC_OK || d[i].severity == CONFIG_ERROR)
			fprintf(stderr, "%s\n",
			    config_diag_format(&d[i], line, sizeof(line)));
	if (rv != MC_OK)
		fprintf(stderr, "%s: invalid configuration\n", path);
	return cfg;
}

static void
print_json(const qr_ctx *x, const dcm_qr_match *m, size_t n)
{
	json_t *arr = qr_matches_json(x->a->level, m, n);
	char   *text =
            arr ? json_dumps(arr, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;

	if (text != NULL)
		printf("%s\n", text);
	free(text);
	json_decref(arr);
}

/* one match a line, tab-separated, "-" for an empty value, in a fixed
 * column order (the header line names them) */
static void
print_table(const qr_ctx *x, const dcm_qr_match *m, size_t n)
{
	bool series = x->a->level == DCM_QR_SERIES;

	printf("# StudyInstanceUID\t%sPatientID\tAccessionNumber\tStudyDate\t"
	       "%s\tInstances\tDescription\n",
	    series ? "SeriesInstanceUID\t" : "",
	    series ? "Modality" : "ModalitiesInStudy");
#define V(s) ((s)[0] ? (s) : "-")
	for (size_t i = 0; i < n; i++)
		printf("%s\t%s%s%s\t%s\t%s\t%s\t%s\t%s\n", V(m[i].study_uid),
		    series ? V(m[i].series_uid) : "", series ? "\t" : "",
		    V(m[i].patient_id), V(m[i].accession), V(m[i].study_date),
		    V(m[i].modality), V(m[i].n_instances),
		    V(m[i].description));
#undef V
}

static int
query(const qr_ctx *x)
{
	dcm_qr_match *m = NULL;
	size_t        n = 0;
	char          err[512];
	mc_err        rv =
	    qr_find(x, x->a->keys, x->a->n_keys, &m, &n, err, sizeof(err));

	if (rv != MC_OK) {
		fprintf(stderr, "mercure-coordinator: query %s: %s\n",
		    x->node.name, err);
		return 1;
	}
	if (x->a->json)
		print_json(x, m, n);
	else
		print_table(x, m, n);
	free(m);
	return 0;
}

/* web_sender - a DICOMweb source's instances are filed with the URL's
 * host as SenderAddress and QR_WEB_SENDER_AET as SenderAET; C-MOVE does
 * not exist there */
static int
web_sender(qr_ctx *x)
{
	CURLU *u = curl_url();
	char  *host = NULL;
	size_t n;

	if (x->a->move) {
		fprintf(stderr,
		    "mercure-coordinator: %s is a DICOMweb source: "
		    "WADO-RS only, no --method move\n",
		    x->node.name);
		curl_url_cleanup(u);
		return 2;
	}
	if (u == NULL || curl_url_set(u, CURLUPART_URL, x->node.url, 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) || host == NULL) {
		fprintf(stderr, "mercure-coordinator: %s: url is not a URL\n",
		    x->node.name);
		curl_url_cleanup(u);
		return 2;
	}
	/* an IPv6 literal comes in brackets */
	n = strlen(host);
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']')
		snprintf(x->web_host, sizeof(x->web_host), "%.*s", (int) n - 2,
		    host + 1);
	else
		snprintf(x->web_host, sizeof(x->web_host), "%s", host);
	curl_free(host);
	curl_url_cleanup(u);
	x->node.ip = x->web_host;
	x->node.aet_target = QR_WEB_SENDER_AET;
	return 0;
}

int
qr_cli_main(int argc, char **argv)
{
	qr_args    a = {0};
	qr_ctx     x = {0};
	mc_config *cfg;
	char       err[256];
	int        rc;

	log_set_program("mercure-coordinator");
	if (parse(argc, argv, &a) != 0) {
		usage(stderr);
		return 2;
	}
	if ((cfg = load(a.config)) == NULL)
		return 2;
	log_set_level(cfg->log_level);
	x.a = &a;
	x.cfg = cfg;
	if (!config_find_dicom_node(cfg, a.source, &x.node)) {
		fprintf(stderr,
		    "mercure-coordinator: no source '%s': name a node of "
		    "dicom_retrieve.dicom_nodes or a dicom or dicomweb target "
		    "with direction pull or both\n",
		    a.source);
		config_destroy(cfg);
		return 2;
	}
	if (x.node.url != NULL && web_sender(&x) != 0) {
		config_destroy(cfg);
		return 2;
	}
	x.opts = (dcm_qr_opts){.host = x.node.ip,
	    .port = x.node.port,
	    .calling_aet = x.node.aet_source,
	    .called_aet = x.node.aet_target,
	    .max_matches = a.max_matches,
	    .max_files = a.max_files};
	if (dcm_glue_init(err, sizeof(err)) != MC_OK) {
		fprintf(stderr, "mercure-coordinator: %s\n", err);
		config_destroy(cfg);
		return 1;
	}
	if (a.force_rule != NULL &&
	    config_find_rule(cfg, a.force_rule) == NULL)
		fprintf(stderr,
		    "mercure-coordinator: warning: no rule '%s' in %s; the "
		    "router discards what names no rule\n",
		    a.force_rule, a.config);
	if (a.mode == QR_QUERY)
		rc = query(&x);
	else if (a.mode == QR_LIST)
		rc = qr_run_list(&x);
	else {
		qr_counts c = {0};
		rc = qr_run_retrieve(&x, a.keys, a.n_keys, "", &c);
		printf("summary: found=%zu retrieved=%zu failed=%zu "
		       "files=%zu\n",
		    c.found, c.retrieved, c.failed, c.files);
		if (rc == 0 && (c.found == 0 || c.failed > 0))
			rc = 1;
	}
	config_destroy(cfg);
	return rc;
}
