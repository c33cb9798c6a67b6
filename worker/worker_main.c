/* worker_main.c - mercure-worker: argv and environment, then run one task
 * folder (task_run.c) and exit with its status: 0 success, 1 a target
 * failed, 2 the task is unusable (or the command line is wrong). The
 * local scheduler passes TASK_DIR; Nomad passes the task id and the
 * storage root through the environment. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "os/sys_fs.h"
#include "os/sys_spawn.h"
#include "notify/notify.h"
#include "targets/target.h"
#include "task/task.h"
#include "task_run.h"
#include "worker_config.h"

#define WORKER_TASKS_DIR "tasks"

typedef struct worker_args {
	const char *task_dir, *task_id, *storage, *coordinator;
	const char *test_target, *task_json, *notify, *config;
} worker_args;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: mercure-worker [options] TASK_DIR\n"
	    "       mercure-worker [options] --task-id ID --storage ROOT\n"
	    "       mercure-worker --test-target NAME [--task-json FILE]\n"
	    "       mercure-worker --notify FILE\n"
	    "  --task-id ID        run ROOT/tasks/ID (env MERCURE_TASK_ID,\n"
	    "                      NOMAD_META_task_id)\n"
	    "  --storage ROOT      storage root (env MERCURE_STORAGE)\n"
	    "  --coordinator URL   where to push the result message (env\n"
	    "                      MERCURE_COORDINATOR; default: task.json's\n"
	    "                      mercure_c.coordinator_url)\n"
	    "  --config FILE       the configuration file: targets (with\n"
	    "                      their secrets) and webhook URLs are read\n"
	    "                      from it, never from task files (env\n"
	    "                      MERCURE_CONFIG)\n"
	    "  --log-level L       debug, info, warn, error (default info)\n"
	    "  --test-target NAME  connectivity test of target NAME of the\n"
	    "                      configuration file, or of --task-json FILE\n"
	    "                      (under targets, mercure_c.targets, or as\n"
	    "                      the object); prints 'ok NAME: ...' or\n"
	    "                      'error NAME: ...'\n"
	    "  --notify FILE       send the notification request FILE\n"
	    "                      (docs/tasks.md); exit 0 sent, 1 not\n"
	    "exit status: 0 every target succeeded, 1 processing or a target\n"
	    "             failed, 2 the task is unusable\n");
}

static const char *
env_or(const char *value, const char *name)
{
	const char *e;

	if (value != NULL)
		return value;
	e = getenv(name);
	return e != NULL && e[0] != '\0' ? e : NULL;
}

/* 0 ok, 1 --help, -1 bad usage */
static int
parse_args(int argc, char **argv, worker_args *a)
{
	static const struct option opts[] = {
	    {"task-id", required_argument, NULL, 'i'},
	    {"storage", required_argument, NULL, 's'},
	    {"coordinator", required_argument, NULL, 'c'},
	    {"log-level", required_argument, NULL, 'l'},
	    {"test-target", required_argument, NULL, 't'},
	    {"task-json", required_argument, NULL, 'j'},
	    {"notify", required_argument, NULL, 'n'},
	    {"config", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int ch, lvl;

	memset(a, 0, sizeof(*a));
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			a->task_id = optarg;
			break;
		case 's':
			a->storage = optarg;
			break;
		case 'c':
			a->coordinator = optarg;
			break;
		case 'l':
			if ((lvl = log_level_parse(optarg)) < 0) {
				fprintf(stderr,
				    "mercure-worker: bad log level "
				    "'%s'\n",
				    optarg);
				return -1;
			}
			log_set_level((log_level) lvl);
			break;
		case 't':
			a->test_target = optarg;
			break;
		case 'j':
			a->task_json = optarg;
			break;
		case 'n':
			a->notify = optarg;
			break;
		case 'f':
			a->config = optarg;
			break;
		case 'h':
			return 1;
		default:
			return -1;
		}
	}
	if (optind < argc)
		a->task_dir = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "mercure-worker: one task folder only\n");
		return -1;
	}
	a->task_id = env_or(a->task_id, "MERCURE_TASK_ID");
	a->task_id = env_or(a->task_id, "NOMAD_META_task_id");
	a->storage = env_or(a->storage, "MERCURE_STORAGE");
	a->coordinator = env_or(a->coordinator, "MERCURE_COORDINATOR");
	return 0;
}

static bool
task_id_is_name(const char *id)
{
	return id[0] != '\0' && id[0] != '.' && strchr(id, '/') == NULL;
}

/* the task folder, from TASK_DIR or ROOT/tasks/ID, without a trailing
 * '/' so that its last component is the task id */
static int
resolve_dir(const worker_args *a, char *buf, size_t len)
{
	size_t n;

	if (a->task_dir != NULL) {
		if (sys_path_fmt(buf, len, "%s", a->task_dir) != MC_OK)
			return -1;
	} else if (a->task_id != NULL && a->storage != NULL) {
		if (!task_id_is_name(a->task_id)) {
			fprintf(stderr, "mercure-worker: bad task id '%s'\n",
			    a->task_id);
			return -1;
		}
		if (sys_path_fmt(buf, len, "%s/%s/%s", a->storage,
		        WORKER_TASKS_DIR, a->task_id) != MC_OK)
			return -1;
	} else {
		fprintf(stderr, "mercure-worker: give TASK_DIR, or --task-id "
		                "and --storage\n");
		return -1;
	}
	n = strlen(buf);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	return 0;
}

/* the target from --task-json FILE, else from the configuration */
static mc_err
load_test_target(const char *name, const char *file, target_cfg **cfg,
    char *msg, size_t len)
{
	mc_diag d;
	mc_err  rv;

	if (file == NULL)
		return worker_config_target(name, cfg, msg, len);
	if ((rv = task_load_target(file, name, cfg, &d)) != MC_OK)
		mc_diag_format(&d, msg, len);
	return rv;
}

/* --test-target: one line on stdout, exit 0 ok / 1 error */
static int
test_target(const char *name, const char *file)
{
	target_cfg        *cfg = NULL;
	const target_type *tt;
	const char        *type;
	task_ctx           ctx = {"test", ".", "", "", "", NULL};
	char               msg[TARGET_ERROR_MAX_LEN + 1];
	mc_err             rv;

	if (load_test_target(name, file, &cfg, msg, sizeof(msg)) != MC_OK) {
		printf("error %s: %s\n", name, msg);
		return 1;
	}
	type = target_cfg_get(cfg, "target_type");
	if ((tt = target_type_find(type)) == NULL || tt->ops->test == NULL) {
		printf("error %s: %s target_type '%s' (known: %s)\n", name,
		    tt ? "no connectivity test for" : "unknown",
		    type ? type : "", target_type_names());
		target_cfg_destroy(cfg);
		return 1;
	}
	msg[0] = '\0';
	rv = tt->ops->test(cfg, &ctx, msg, sizeof(msg));
	printf("%s %s: %s\n", rv == MC_OK ? "ok" : "error", name, msg);
	log_info("event=target.test target=%s type=%s ok=%d", name, tt->name,
	    rv == MC_OK ? 1 : 0);
	target_cfg_destroy(cfg);
	return rv == MC_OK ? 0 : 1;
}

int
main(int argc, char **argv)
{
	worker_args   a;
	task_run_opts o;
	char          dir[MC_PATH_MAX];
	int           rc;

	log_set_program("mercure-worker");
	/* a peer that closes a connection (a TLS write through curl, which
	 * is told not to touch signals) is an error to report, not the end
	 * of the worker; whoever started it, sys_spawn gives children the
	 * default back */
	signal(SIGPIPE, SIG_IGN);
	rc = parse_args(argc, argv, &a);
	if (rc != 0) {
		usage(rc > 0 ? stdout : stderr);
		return rc > 0 ? 0 : TASK_EXIT_UNUSABLE;
	}
	worker_config_set_path(a.config);
	if (a.test_target != NULL) {
		if (a.task_json == NULL && worker_config_path() == NULL) {
			fprintf(stderr, "mercure-worker: --test-target needs "
			                "--config FILE or --task-json FILE\n");
			return TASK_EXIT_UNUSABLE;
		}
		rc = test_target(a.test_target, a.task_json);
		worker_config_release();
		return rc;
	}
	if (a.notify != NULL) {
		sys_dirname_of(a.notify, dir, sizeof(dir));
		(void) !sys_fs_follow_dir_mode(dir);
		rc = notify_run_file(a.notify);
		worker_config_release();
		return rc;
	}
	if (resolve_dir(&a, dir, sizeof(dir)) != 0) {
		usage(stderr);
		return TASK_EXIT_UNUSABLE;
	}
	/* the configuration may be unreadable or absent here (it is read
	 * only for secrets): what the worker creates (module folders and
	 * logs, result.json, folder-target deliveries) gets the mode the
	 * coordinator gave the task folder under file_mode */
	(void) !sys_fs_follow_dir_mode(dir);
	o.task_dir = dir;
	o.coordinator_url = a.coordinator;
	/* SIGTERM while a module runs: stop the module, then report */
	sys_spawn_watch_signals();
	return (int) task_run(&o);
}
