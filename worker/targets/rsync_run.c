/* rsync_run.c - one run of rsync or ssh for the rsync target
 * (rsync_run.h): spawned in its own process group with a short
 * environment, waited for with a deadline, killed whole when it passes,
 * and its output read back (bounded) to tell a refused host key or login
 * (a retry cannot help) from a network failure (it can).
 *
 * Design notes: the output goes to a file in the run's private temp
 * folder, not to a pipe, so that a child that writes a lot can never
 * block on us; only its first RSYNC_OUTPUT_MAX bytes are read. It holds
 * ssh's and rsync's messages (host, paths, file names made of UIDs),
 * never the password, which sshpass reads from SSHPASS and types into
 * ssh's terminal. The environment holding SSHPASS is wiped after use. */
#include "targets/rsync_run.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "os/sys_files.h"
#include "os/sys_fs.h"
#include "targets/secret.h"

#define RSYNC_KNOWN_HOSTS_USER ".ssh/known_hosts" /* under $HOME */
#define RSYNC_TMP_TEMPLATE "mercure-rsync.XXXXXX"
#define RSYNC_LINE_MAX 300

static const char *const PASS_ENV[] = {"PATH", "HOME", "LANG", "LC_ALL", "TZ",
    "TMPDIR", "USER", "LOGNAME", "SSH_AUTH_SOCK"};
#define PASS_ENV_N (sizeof(PASS_ENV) / sizeof(PASS_ENV[0]))

mc_err
rsync_run_known_hosts(const target_cfg *cfg, rsync_run *r, const char **out,
    char *err, size_t errlen)
{
	const char    *kh = target_cfg_get(cfg, "known_hosts");
	const char    *home = getenv("HOME");
	struct passwd *pw;

	if (kh == NULL || kh[0] == '\0') {
		if ((home == NULL || home[0] == '\0') &&
		    (pw = getpwuid(getuid())) != NULL)
			home = pw->pw_dir;
		if (home == NULL ||
		    sys_path_fmt(r->kh_default, sizeof(r->kh_default), "%s/%s",
		        home, RSYNC_KNOWN_HOSTS_USER) != MC_OK) {
			mc_errf(err, errlen,
			    "rsync: no known_hosts and no home folder");
			return MC_ECONFIG;
		}
		kh = r->kh_default;
	}
	if (rsync_argv_check_path("known_hosts", kh, err, errlen) != MC_OK)
		return MC_ECONFIG;
	if (!sys_exists(kh)) {
		mc_errf(err, errlen,
		    "rsync: known_hosts %s does not exist (add the "
		    "host's key, or set insecure_skip_host_key)",
		    kh);
		return MC_ECONFIG;
	}
	*out = kh;
	return MC_OK;
}

static mc_err
env_push(rsync_run *r, const char *name, const char *value)
{
	size_t n = strlen(name) + strlen(value) + 2;
	char  *s;

	if (r->n_env >= RSYNC_RUN_ENV_MAX || (s = malloc(n)) == NULL)
		return MC_ENOMEM;
	snprintf(s, n, "%s=%s", name, value);
	r->env[r->n_env++] = s;
	r->env[r->n_env] = NULL;
	return MC_OK;
}

static mc_err
make_dir(rsync_run *r, char *err, size_t errlen)
{
	const char *tmp = getenv("TMPDIR");

	if (tmp == NULL || tmp[0] != '/')
		tmp = "/tmp";
	if (sys_path_fmt(r->dir, sizeof(r->dir), "%s/%s", tmp,
	        RSYNC_TMP_TEMPLATE) != MC_OK ||
	    mkdtemp(r->dir) == NULL) {
		mc_errf(err, errlen, "rsync: cannot make a temp folder in %s",
		    tmp);
		r->dir[0] = '\0';
		return MC_EIO;
	}
	if (sys_path_fmt(r->out, sizeof(r->out), "%s/output", r->dir) !=
	    MC_OK) {
		mc_errf(err, errlen, "rsync: temp folder path too long");
		return MC_EIO;
	}
	return MC_OK;
}

mc_err
rsync_run_init(rsync_run *r, const rsync_conf *c, const char *password,
    const char *shown, char *err, size_t errlen)
{
	r->c = c;
	r->shown = shown;
	for (size_t i = 0; i < PASS_ENV_N; i++) {
		const char *v = getenv(PASS_ENV[i]);
		if (v != NULL && env_push(r, PASS_ENV[i], v) != MC_OK) {
			mc_errf(err, errlen, "out of memory");
			return MC_ENOMEM;
		}
	}
	if (password != NULL && env_push(r, "SSHPASS", password) != MC_OK) {
		mc_errf(err, errlen, "out of memory");
		return MC_ENOMEM;
	}
	return make_dir(r, err, errlen);
}

void
rsync_run_fini(rsync_run *r)
{
	for (size_t i = 0; i < r->n_env; i++) {
		secret_wipe(r->env[i], strlen(r->env[i]));
		free(r->env[i]);
	}
	r->n_env = 0;
	if (r->dir[0] != '\0' && sys_remove_tree(r->dir) != MC_OK)
		log_warn("event=rsync.tmp_left dir=%s", r->dir);
	r->dir[0] = '\0';
}

/* ---- what the output says ---- */

static bool
has(const char *s, const char *what)
{
	return strstr(s, what) != NULL;
}

/* the line of output most worth showing: the first that is not rsync's
 * own summary of a failure seen elsewhere */
static void
telling_line(const char *output, char *line, size_t len)
{
	const char *p = output;
	char        cur[RSYNC_LINE_MAX];

	line[0] = '\0';
	while (*p != '\0') {
		size_t n = strcspn(p, "\r\n");
		if (n > 0) {
			snprintf(cur, sizeof(cur), "%.*s", (int) n, p);
			snprintf(line, len, "%s", cur);
			if (strncmp(cur, "rsync error:", 12) != 0 &&
			    strstr(cur, "connection unexpectedly closed") ==
			        NULL)
				return;
		}
		p += n;
		p += strspn(p, "\r\n");
	}
}

rsync_failure
rsync_run_judge(const char *output, const sys_child_status *st, bool sshpass,
    char *line, size_t len)
{
	int code = st->exited ? st->exit_code : -1;

	telling_line(output, line, len);
	if (has(output, "REMOTE HOST IDENTIFICATION HAS CHANGED") ||
	    has(output, "Host key for ") || has(output, "key mismatch"))
		return RSYNC_FAIL_HOST_KEY_CHANGED;
	if (has(output, "Host key verification failed") ||
	    has(output, "host key is known"))
		return RSYNC_FAIL_HOST_KEY_UNKNOWN;
	if (has(output, "Permission denied (") ||
	    has(output, "Too many authentication failures") ||
	    (sshpass && code == 5))
		return RSYNC_FAIL_LOGIN;
	if (has(output, "Connection refused") ||
	    has(output, "Connection timed out") ||
	    has(output, "No route to host") ||
	    has(output, "Network is unreachable") ||
	    has(output, "Could not resolve hostname") ||
	    has(output, "Connection reset") ||
	    has(output, "Connection closed"))
		return RSYNC_FAIL_NETWORK;
	if (code == 126 || code == 127)
		return RSYNC_FAIL_NOT_FOUND;
	if (code == 1 || code == 2 || code == 4)
		return RSYNC_FAIL_USAGE;
	return RSYNC_FAIL_OTHER;
}

bool
rsync_failure_is_retryable(rsync_failure f)
{
	return f == RSYNC_FAIL_OTHER || f == RSYNC_FAIL_NETWORK;
}

/* ---- one run ---- */

/* at most RSYNC_OUTPUT_MAX bytes of the output from offset, as text */
static void
read_output(const rsync_run *r, uint64_t offset, char *buf, size_t len)
{
	char   err[128];
	FILE  *f = sys_files_fopen(r->out, err, sizeof(err));
	size_t n = 0;

	buf[0] = '\0';
	if (f == NULL)
		return;
	if (fseek(f, (long) offset, SEEK_SET) == 0)
		n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
}

static void
describe(const rsync_run *r, const char *what, rsync_failure f,
    const sys_child_status *st, const char *line, target_result *res)
{
	const rsync_conf *c = r->c;
	char              how[128];

	sys_child_status_str(st, how, sizeof(how));
	switch (f) {
	case RSYNC_FAIL_HOST_KEY_UNKNOWN:
		target_result_fail(res, false,
		    "rsync %s: host key of %s:%u is not in %s; nothing was "
		    "sent (add the host's key, e.g. with ssh-keyscan, or set "
		    "insecure_skip_host_key)",
		    r->shown, c->host, c->port, c->known_hosts);
		break;
	case RSYNC_FAIL_HOST_KEY_CHANGED:
		target_result_fail(res, false,
		    "rsync %s: host key does not match %s; nothing was sent",
		    r->shown, c->known_hosts);
		break;
	case RSYNC_FAIL_LOGIN:
		target_result_fail(res, false, "rsync %s: login refused (%s)",
		    r->shown,
		    c->key && c->key[0] ? "key"
		    : c->password       ? "password"
		                        : "ssh's default keys");
		break;
	default:
		target_result_fail(res, rsync_failure_is_retryable(f),
		    "rsync %s: %s failed (%s): %s", r->shown, what, how,
		    line[0] ? line : "no message");
	}
}

static mc_err
stopped(
    rsync_run *r, pid_t pid, mc_err rv, const char *what, target_result *res)
{
	sys_child_status st;

	sys_spawn_kill_group(pid, RSYNC_RUN_GRACE_MS, &st);
	if (rv == MC_ECLOSED)
		target_result_fail(res, true,
		    "rsync %s: %s stopped: the worker was told to stop",
		    r->shown, what);
	else
		target_result_fail(res, true,
		    "rsync %s: %s timed out after %u s and was stopped "
		    "(transfer_timeout)",
		    r->shown, what, r->timeout_s);
	return rv == MC_ECLOSED ? MC_ECLOSED : MC_ETIMEDOUT;
}

mc_err
rsync_run_argv(
    rsync_run *r, const rsync_argv *a, const char *what, target_result *res)
{
	sys_spawn_opts   so = {a->v, r->env, r->out,
	      SYS_SPAWN_SEARCH_PATH | SYS_SPAWN_NEW_PGROUP};
	sys_child_status st;
	uint64_t         start = 0;
	char             err[TARGET_ERROR_MAX_LEN + 1], line[RSYNC_LINE_MAX];
	char            *output;
	pid_t            pid;
	rsync_failure    f;
	mc_err           rv;

	if (sys_file_size(r->out, &start) != MC_OK)
		start = 0;
	if ((rv = sys_spawn_start(&so, &pid, err, sizeof(err))) != MC_OK) {
		target_result_fail(res, rv == MC_EAGAIN || rv == MC_ENOMEM,
		    "rsync %s: %s", r->shown, err);
		return rv;
	}
	rv = sys_spawn_wait(pid, r->timeout_s * 1000u, &st);
	if (rv != MC_OK)
		return stopped(r, pid, rv, what, res);
	sys_spawn_end_group(pid);
	r->last = st;
	if (st.exited && st.exit_code == 0)
		return MC_OK;
	if ((output = malloc(RSYNC_OUTPUT_MAX)) == NULL) {
		target_result_fail(res, true, "out of memory");
		return MC_ENOMEM;
	}
	read_output(r, start, output, RSYNC_OUTPUT_MAX);
	f = rsync_run_judge(output, &st, r->c->password, line, sizeof(line));
	free(output);
	describe(r, what, f, &st, line, res);
	return f == RSYNC_FAIL_LOGIN ? MC_EREFUSED : MC_ENET;
}
