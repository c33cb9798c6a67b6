/* coordinator_main.c - mercure-coordinator: argv, config, then either
 * one operator command (check a config, test a rule, talk to the running
 * coordinator) or create, run and destroy the coordinator. */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bookkeeping/bookkeeping.h"
#include "config/config.h"
#include "core/control.h"
#include "core/coord.h"
#include "core/leader.h"
#include "dcm/dcm_glue.h"
#include "http/http_cli.h"
#include "base/log.h"
#include "rule/rule.h"
#include "os/sys_fs.h"
#include "os/sys_spawn.h"
#include "retrieve/qr_cli.h"
#include "tags/tags_json.h"
#include "task/task_json.h"
#include "tags/uid.h"

#define MAIN_DIAGS_MAX 128
#define MAIN_DEFAULT_CONFIG "configs/mercure.yaml"

/* run_stop ends one term as leader: a stop request, or the lease lost */
static volatile sig_atomic_t stop_requested, reload_requested, run_stop;

static void
on_stop(int sig)
{
	(void) sig;
	stop_requested = 1;
	run_stop = 1;
}

static void
on_lost(int sig)
{
	(void) sig;
	run_stop = 1;
}

static void
on_hup(int sig)
{
	(void) sig;
	reload_requested = 1;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: mercure-coordinator [--config FILE] [--worker PATH] "
	    "[--db PATH]\n"
	    "       mercure-coordinator --check-config FILE\n"
	    "       mercure-coordinator --test-rule EXPR FILE(.tags|.dcm)\n"
	    "       mercure-coordinator [--config FILE] --force-complete UID\n"
	    "       mercure-coordinator [--config FILE] --retry TASK_ID\n"
	    "       mercure-coordinator [--config FILE] --reroute TASK_ID\n"
	    "       mercure-coordinator [--config FILE] --status\n"
	    "       mercure-coordinator [--config FILE] --history [ID]\n"
	    "       mercure-coordinator [--config FILE] --test-target NAME\n"
	    "       mercure-coordinator [--config FILE] --query|--retrieve "
	    "SOURCE KEY=VALUE...\n"
	    "       mercure-coordinator [--config FILE] --retrieve-list FILE "
	    "--source SOURCE\n"
	    "       mercure-coordinator [--config FILE] --add-user NAME "
	    "--role ROLE  (password on stdin)\n"
	    "       mercure-coordinator [--config FILE] --add-token NAME "
	    "--role ROLE\n");
}

static mc_config *
load(const char *path, int quiet_ok)
{
	config_diag d[MAIN_DIAGS_MAX];
	size_t      n = 0;
	mc_config  *cfg = NULL;
	char        line[768];
	mc_err      rv = config_load_file(path, &cfg, d, MAIN_DIAGS_MAX, &n);

	for (size_t i = 0; i < n && i < MAIN_DIAGS_MAX; i++)
		fprintf(stderr, "%s\n",
		    config_diag_format(&d[i], line, sizeof(line)));
	if (rv != MC_OK)
		fprintf(stderr, "%s: invalid configuration (%zu finding%s)\n",
		    path, n, n == 1 ? "" : "s");
	else if (!quiet_ok)
		printf("%s: valid (%zu rules, %zu targets, %zu warnings)\n",
		    path, cfg->n_rules, cfg->n_targets, n);
	return cfg;
}

static int
test_rule(const char *expr, const char *file)
{
	rule       *r = NULL;
	mc_diag     d = {0};
	mc_tagset  *t = NULL;
	char       *text = NULL, err[256] = "";
	size_t      len;
	bool        warn;
	const char *why = NULL;
	int         rc = 0;

	if (rule_compile(expr, strlen(expr), &r, &d) != MC_OK) {
		fprintf(stderr, "rule:1:%zu: %s\n", d.column, d.msg);
		return 2;
	}
	if (mc_tagset_create(&t) != MC_OK)
		return 1;
	if (sys_read_file(file, &text, &len) == MC_OK && len > 0 &&
	    text[0] == '{') {
		size_t replaced = 0;
		if (tags_json_decode(
		        text, len, t, &replaced, err, sizeof(err)) != MC_OK)
			rc = 1;
		else if (replaced > 0)
			fprintf(stderr,
			    "%s: warning: %zu bytes that are not UTF-8 (or "
			    "\\u0000) read as U+FFFD\n",
			    file, replaced);
	} else if (dcm_glue_init(err, sizeof(err)) != MC_OK ||
	           dcm_extract_tags(file, NULL, t, &warn, err, sizeof(err)) !=
	               MC_OK) {
		rc = 1;
	}
	if (rc != 0) {
		fprintf(stderr, "%s: %s\n", file, err[0] ? err : "unreadable");
	} else {
		printf("%s\n", rule_eval(r, t, &why) ? "trigger" : "reject");
		if (why)
			printf("reason: %s\n", why);
		for (size_t i = 0; i < rule_tag_count(r); i++) {
			const char *name = rule_tag_at(r, i), *key;
			const char *v = rule_tag_read(r, i, t, &key);
			/* tags.modality reads Modality: say so */
			bool other = v != NULL && strcmp(key, name) != 0;
			printf("tag %s = %s%s%s%s%s%s\n", other ? key : name,
			    v ? "'" : "", v ? v : "(missing)", v ? "'" : "",
			    other ? " (read as tags." : "", other ? name : "",
			    other ? ")" : "");
		}
	}
	free(text);
	mc_tagset_destroy(t);
	rule_free(r);
	return rc;
}

/* offline_retry - --retry with no coordinator running: move the task
 * back; the coordinator queues it when it starts. */
static int
offline_retry(const mc_config *cfg, const char *id)
{
	char src[MC_PATH_MAX], dst[MC_PATH_MAX], tj[MC_PATH_MAX];

	if (!task_id_is_valid(id)) {
		fprintf(stderr, "not a valid task id: '%s'\n", id);
		return 2;
	}
	if (sys_path_fmt(src, sizeof(src), "%s/error/%s", cfg->storage_root,
	        id) != MC_OK ||
	    sys_path_fmt(dst, sizeof(dst), "%s/tasks/%s", cfg->storage_root,
	        id) != MC_OK ||
	    sys_path_fmt(tj, sizeof(tj), "%s/task.json", src) != MC_OK ||
	    !sys_exists(src)) {
		fprintf(stderr, "no task %s in error/\n", id);
		return 1;
	}
	/* the failed attempt's result must not look like a finished run */
	if (task_result_archive(src, 0) != MC_OK ||
	    task_json_reset_for_retry(tj) != MC_OK || rename(src, dst) != 0) {
		fprintf(stderr, "cannot move task %s back\n", id);
		return 1;
	}
	printf("task %s queued again (coordinator not running: it starts "
	       "the task when it starts)\n",
	    id);
	return 0;
}

/* arg_is_valid - the id an operator gave has the syntax its verb
 * needs; anything else could name a folder outside the storage root */
static bool
arg_is_valid(const char *verb, const char *arg)
{
	if (arg == NULL)
		return true;
	if (strcmp(verb, "force-complete") == 0) {
		if (uid_is_valid(arg))
			return true;
		fprintf(stderr,
		    "not a valid series or study UID: '%s' "
		    "(digits and dots, at most %d characters)\n",
		    arg, MC_UID_MAX_LEN);
		return false;
	}
	if (task_id_is_valid(arg))
		return true;
	fprintf(stderr,
	    "not a valid task id: '%s' (a UUID such as "
	    "0c9e4f3a-6f1d-11ef-8a3b-0242ac120002)\n",
	    arg);
	return false;
}

static int
command(const mc_config *cfg, const char *verb, const char *arg)
{
	char   req[512], reply[1024];
	mc_err rv;

	if (!arg_is_valid(verb, arg))
		return 2;
	snprintf(
	    req, sizeof(req), "%s%s%s", verb, arg ? " " : "", arg ? arg : "");
	rv = control_request(cfg->storage_root, req, reply, sizeof(reply));
	if (rv != MC_OK && strcmp(verb, "retry") == 0)
		return offline_retry(cfg, arg);
	printf("%s\n", reply);
	return rv == MC_OK && strncmp(reply, "ok", 2) == 0 ? 0 : 1;
}

/* test_target - let the worker try the target as the configuration
 * file defines it (C-ECHO, an HTTP request, a login...); the worker
 * reads the file itself, so no copy of a secret is written anywhere */
static int
test_target(const mc_config *cfg, const char *name, const char *worker)
{
	char            *argv[] = {(char *) worker, (char *) "--test-target",
	               (char *) name, (char *) "--config", (char *) cfg->path, NULL};
	sys_spawn_opts   so = {argv, NULL, NULL, 0}; /* its output is ours */
	sys_child_status st;
	char             err[256];
	pid_t            pid;

	if (config_find_target(cfg, name) == NULL) {
		fprintf(stderr, "no target '%s' in the configuration\n", name);
		return 2;
	}
	if (sys_spawn_start(&so, &pid, err, sizeof(err)) != MC_OK ||
	    sys_spawn_wait(pid, 0, &st) != MC_OK) {
		fprintf(stderr, "cannot run %s\n", worker);
		return 1;
	}
	return st.exited ? st.exit_code : 1;
}

static int
history(const mc_config *cfg, const char *id)
{
	char         db[MC_PATH_MAX], err[256];
	bookkeeping *b;
	int          n;

	if (sys_path_fmt(db, sizeof(db), "%s/mercure.sqlite",
	        cfg->storage_root) != MC_OK ||
	    bookkeeping_open(db, &b, err, sizeof(err)) != MC_OK) {
		fprintf(stderr, "cannot open %s: %s\n", db, err);
		return 1;
	}
	n = bookkeeping_dump(b, id, 200, stdout);
	bookkeeping_close(b);
	return n >= 0 ? 0 : 1;
}

static void
default_worker(char *buf, size_t len)
{
	char    self[MC_PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0) {
		snprintf(buf, len, "mercure-worker");
		return;
	}
	self[n] = '\0';
	sys_dirname_of(self, buf, len);
	size_t used = strlen(buf);
	if (used + sizeof("/mercure-worker") <= len)
		memcpy(
		    buf + used, "/mercure-worker", sizeof("/mercure-worker"));
}

/* lead - one term as leader: create the coordinator (it binds, opens
 * the bookkeeping and re-attaches to the work on disk, as after a
 * restart), run it until a stop or the lease is lost. Takes cfg. */
static mc_err
lead(mc_config *cfg, const coord_opts *o)
{
	coord *c = NULL;
	mc_err rv;

	if ((rv = coord_create(o, cfg, &c)) != MC_OK) {
		log_error(
		    "event=coordinator.start_failed err=%s", mc_strerror(rv));
		return rv;
	}
	rv = coord_run(c, &run_stop, &reload_requested);
	coord_destroy(c);
	return rv;
}

static int
serve(mc_config *cfg, const char *config_path, const char *worker,
    const char *db)
{
	coord_opts       o = {config_path, worker, db};
	leader          *ld = NULL;
	struct sigaction sa;
	sigset_t         set;
	mc_err           rv;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_lost;
	sigaction(LEADER_LOST_SIGNAL, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	log_set_level(cfg->log_level);
	if ((rv = leader_create(cfg, &ld)) != MC_OK) {
		log_error(
		    "event=coordinator.start_failed err=%s", mc_strerror(rv));
		config_destroy(cfg);
		return 1;
	}
	/* a standby runs nothing; a leader that lost its lease tears the
	 * coordinator down and waits again with a fresh configuration */
	for (;;) {
		/* cleared before the lease starts: its signal is never lost */
		run_stop = stop_requested;
		if ((rv = leader_wait(ld, &stop_requested)) != MC_OK)
			break;
		rv = lead(cfg, &o);
		cfg = NULL;
		if (rv != MC_OK || !leader_lost(ld))
			break;
		leader_stepped_down(ld);
		if ((cfg = load(config_path, 1)) == NULL) {
			rv = MC_ECONFIG;
			break;
		}
	}
	config_destroy(cfg);
	leader_destroy(ld);
	return rv == MC_OK || rv == MC_ECLOSED ? 0 : 1;
}

int
main(int argc, char **argv)
{
	enum {
		O_CONFIG = 256,
		O_CHECK,
		O_TEST,
		O_FORCE,
		O_RETRY,
		O_REROUTE,
		O_STATUS,
		O_HISTORY,
		O_WORKER,
		O_DB,
		O_HELP,
		O_TEST_TARGET,
		O_ADD_USER,
		O_ADD_TOKEN,
		O_ROLE
	};
	static const struct option opts[] = {
	    {"config", required_argument, 0, O_CONFIG},
	    {"check-config", required_argument, 0, O_CHECK},
	    {"test-rule", required_argument, 0, O_TEST},
	    {"force-complete", required_argument, 0, O_FORCE},
	    {"retry", required_argument, 0, O_RETRY},
	    {"reroute", required_argument, 0, O_REROUTE},
	    {"status", no_argument, 0, O_STATUS},
	    {"history", optional_argument, 0, O_HISTORY},
	    {"worker", required_argument, 0, O_WORKER},
	    {"db", required_argument, 0, O_DB},
	    {"help", no_argument, 0, O_HELP},
	    {"test-target", required_argument, 0, O_TEST_TARGET},
	    {"add-user", required_argument, 0, O_ADD_USER},
	    {"add-token", required_argument, 0, O_ADD_TOKEN},
	    {"role", required_argument, 0, O_ROLE}, {0, 0, 0, 0}};
	const char *config_path = MAIN_DEFAULT_CONFIG, *worker = NULL,
	           *db = NULL, *arg = NULL, *role = NULL;
	char       worker_buf[MC_PATH_MAX];
	int        op = 0, c, rc;
	mc_config *cfg;

	log_set_program("mercure-coordinator");
	if (qr_cli_wanted(argc, argv))
		return qr_cli_main(argc, argv);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_CONFIG:
			config_path = optarg;
			break;
		case O_WORKER:
			worker = optarg;
			break;
		case O_DB:
			db = optarg;
			break;
		case O_ROLE:
			role = optarg;
			break;
		case O_HELP:
			usage(stdout);
			return 0;
		case O_CHECK:
		case O_TEST:
		case O_FORCE:
		case O_RETRY:
		case O_REROUTE:
		case O_STATUS:
		case O_HISTORY:
		case O_TEST_TARGET:
		case O_ADD_USER:
		case O_ADD_TOKEN:
			op = c;
			arg = optarg;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	/* "--history ID" as the usage writes it, not only "--history=ID"
	 * (an optional argument of getopt_long must be attached) */
	if (op == O_HISTORY && arg == NULL && optind + 1 == argc)
		arg = argv[optind++];
	if (op == O_TEST) {
		if (optind + 1 != argc) {
			usage(stderr);
			return 2;
		}
		return test_rule(arg, argv[optind]);
	}
	if (op == O_CHECK) {
		cfg = load(arg, 0);
		config_destroy(cfg);
		return cfg ? 0 : 2;
	}
	if ((cfg = load(config_path, 1)) == NULL)
		return 2;
	(void) !sys_fs_apply_file_mode(cfg->file_mode);
	switch (op) {
	case O_FORCE:
		rc = command(cfg, "force-complete", arg);
		break;
	case O_RETRY:
		rc = command(cfg, "retry", arg);
		break;
	case O_REROUTE:
		rc = command(cfg, "reroute", arg);
		break;
	case O_STATUS:
		rc = command(cfg, "status", NULL);
		break;
	case O_HISTORY:
		rc = history(cfg, arg);
		break;
	case O_ADD_USER:
		rc = http_cli_add_user(cfg, arg, role, stdin, stdout, stderr);
		break;
	case O_ADD_TOKEN:
		rc = http_cli_add_token(cfg, arg, role, stdout, stderr);
		break;
	default:
		if (worker == NULL) {
			default_worker(worker_buf, sizeof(worker_buf));
			worker = worker_buf;
		}
		if (op == O_TEST_TARGET) {
			rc = test_target(cfg, arg, worker);
			break;
		}
		return serve(cfg, config_path, worker, db); /* takes cfg */
	}
	config_destroy(cfg);
	return rc;
}
