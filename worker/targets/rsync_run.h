/* rsync_run.h - running the rsync target's commands (target_rsync.c):
 * a private temp folder for the file list, the marker and the output,
 * the child's short environment, one run bounded in time, and what a
 * failed run's output means (retry or not, and a message). */
#ifndef MC_WORKER_RSYNC_RUN_H
#define MC_WORKER_RSYNC_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "base/mc_err.h"
#include "os/sys_spawn.h"
#include "targets/rsync_argv.h"
#include "targets/target.h"

#define RSYNC_RUN_PATH_MAX 4096
#define RSYNC_RUN_ENV_MAX 16
#define RSYNC_OUTPUT_MAX 16384 /* bytes of a run's output read back */
#define RSYNC_RUN_GRACE_MS 2000

/* One target's runs. Embedded (init/fini); timeout_s set by the caller
 * before the first run. */
typedef struct rsync_run {
	unsigned          timeout_s; /* per run; then its group is killed */
	const rsync_conf *c;         /* borrowed */
	const char       *shown;     /* borrowed: user@host:port:folder */
	char              dir[RSYNC_RUN_PATH_MAX]; /* "" until init */
	char              out[RSYNC_RUN_PATH_MAX]; /* dir/output */
	char              kh_default[RSYNC_RUN_PATH_MAX];
	char             *env[RSYNC_RUN_ENV_MAX + 1]; /* malloc'ed */
	size_t            n_env;
	sys_child_status  last; /* how the last run ended */
} rsync_run;

/* rsync_run_known_hosts - the known_hosts field, else the service user's
 * ~/.ssh/known_hosts (kept in r); it must exist and be a path ssh reads
 * as written. MC_ECONFIG with err otherwise. */
MC_NODISCARD mc_err rsync_run_known_hosts(const target_cfg *cfg, rsync_run *r,
    const char **out, char *err, size_t errlen);

/* rsync_run_init - make the temp folder (mode 0700, under $TMPDIR or
 * /tmp) and the environment: PATH, HOME, LANG, LC_ALL, TZ, TMPDIR, USER,
 * LOGNAME, SSH_AUTH_SOCK of the worker, and SSHPASS=password when
 * password is not NULL. c and shown are borrowed until fini. MC_EIO or
 * MC_ENOMEM with err. */
MC_NODISCARD mc_err rsync_run_init(rsync_run *r, const rsync_conf *c,
    const char *password, const char *shown, char *err, size_t errlen);

/* rsync_run_fini - wipe and free the environment, remove the temp
 * folder. Safe on a zeroed or half-made r. */
void rsync_run_fini(rsync_run *r);

/* rsync_run_argv - run a->v to its end or r->timeout_s; what names the
 * run in messages ("files", "marker"). MC_OK when it exited 0; otherwise
 * an error with res->error and res->retryable set (target_result_fail),
 * never holding a secret. Worker thread; blocks. */
MC_NODISCARD mc_err rsync_run_argv(
    rsync_run *r, const rsync_argv *a, const char *what, target_result *res);

/* What a failed run's output says. */
typedef enum rsync_failure {
	RSYNC_FAIL_OTHER,            /* retryable */
	RSYNC_FAIL_NETWORK,          /* retryable */
	RSYNC_FAIL_HOST_KEY_UNKNOWN, /* not retryable */
	RSYNC_FAIL_HOST_KEY_CHANGED, /* not retryable */
	RSYNC_FAIL_LOGIN,            /* not retryable */
	RSYNC_FAIL_USAGE,            /* rsync exit 1, 2, 4: not retryable */
	RSYNC_FAIL_NOT_FOUND,        /* 126/127: a program is missing */
} rsync_failure;

/* rsync_run_judge - the kind of failure from the output of a run that
 * did not exit 0, and its most telling line (copied into line, cut to
 * len - 1; "" when none). sshpass is true when sshpass ran the command
 * (its exit status 5 is a refused password). Pure; any thread. */
rsync_failure rsync_run_judge(const char *output, const sys_child_status *st,
    bool sshpass, char *line, size_t len);

/* rsync_failure_is_retryable - whether a retry can help. */
bool rsync_failure_is_retryable(rsync_failure f);

#endif
