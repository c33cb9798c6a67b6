/* target_rsync.c - the "rsync" target: the rsync tool over ssh, started
 * with posix_spawn (os/sys_spawn.h), never through a shell; the command
 * lines come from rsync_argv.c. As mercure does, the files go to
 * <folder>/<task-id>/ (files 660), then an empty .complete, then, with
 * run_on_complete, <folder>/mercure_complete.sh <folder>/<task-id> <target>
 * runs on the remote host. The connectivity test logs in and lists the
 * folder (and checks that the script is executable).
 *
 * Design notes: three runs, each bounded by transfer_timeout (then its
 * whole process group is killed): the files (listed NUL-separated in a
 * private temp folder, so no file name is ever an argument), the marker
 * (a second run, so that it lands after every file), the script. The
 * remote folder must exist, as in mercure; <task-id> is created in it. A
 * retry sends again and rsync skips what already arrived. Host keys are
 * checked as for sftp (known_hosts, else ~/.ssh/known_hosts; nothing is
 * added; mercure's accept-new is not followed). Login: a key (ssh_key,
 * else ssh's default identities or ssh-agent); a password only through
 * sshpass -e, which reads it from the environment of the child, never
 * from its arguments. The child gets a short environment, not the
 * worker's. The output of each run goes to a file in the temp folder, of
 * which at most RSYNC_OUTPUT_MAX bytes are read to explain a failure.
 *
 * Fields (mercure's): host, user, folder, password, run_on_complete,
 * file_filter. Ours: port (22), ssh_key, known_hosts,
 * insecure_skip_host_key (false), connect_timeout (10 s), timeout (300 s
 * without any data: rsync --timeout), transfer_timeout (3600 s per run). */
#include "targets/target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "config/config_ssh.h"
#include "os/sys_fs.h"
#include "os/sys_spawn.h"
#include "targets/rsync_argv.h"
#include "targets/rsync_run.h"
#include "targets/secret.h"

#define RSYNC_PORT_DEFAULT 22
#define RSYNC_CONNECT_TIMEOUT_S 10
#define RSYNC_IO_TIMEOUT_S 300
#define RSYNC_TRANSFER_TIMEOUT_S 3600
#define RSYNC_CONNECT_TIMEOUT_MAX_S 3600
#define RSYNC_IO_TIMEOUT_MAX_S 86400
#define RSYNC_TRANSFER_TIMEOUT_MAX_S (7 * 86400)
#define RSYNC_LIST_NAME "files"

typedef struct rsync_target {
	rsync_conf  c;
	rsync_run   run;
	const char *filter;
	bool        run_on_complete;
	char        password[SECRET_MAX_LEN + 1];
	char        rsh[RSYNC_CMD_MAX];
	char        shown[RSYNC_CMD_MAX]; /* user@host:port:folder */
} rsync_target;

static void
target_free(rsync_target *t)
{
	if (t == NULL)
		return;
	rsync_run_fini(&t->run);
	secret_wipe(t->password, sizeof(t->password));
	free(t);
}

static mc_err
read_required(const target_cfg *cfg, rsync_conf *c, char *err, size_t errlen)
{
	static const char *const names[] = {"host", "user", "folder"};
	const char              *v[3];

	for (size_t i = 0; i < 3; i++) {
		v[i] = target_cfg_get(cfg, names[i]);
		if (v[i] == NULL || v[i][0] == '\0') {
			mc_errf(err, errlen, "rsync target without '%s'",
			    names[i]);
			return MC_ECONFIG;
		}
	}
	c->host = v[0];
	c->user = v[1];
	c->folder = v[2];
	if (!config_ssh_host_is_valid(c->host)) {
		mc_errf(err, errlen, "rsync: invalid host '%s'", c->host);
		return MC_ECONFIG;
	}
	if (!config_ssh_user_is_valid(c->user)) {
		mc_errf(err, errlen, "rsync: invalid user '%s'", c->user);
		return MC_ECONFIG;
	}
	return MC_OK;
}

static mc_err
read_numbers(const target_cfg *cfg, rsync_target *t, char *err, size_t errlen)
{
	rsync_conf *c = &t->c;

	if (target_cfg_get_uint(cfg, "port", 1, 65535, RSYNC_PORT_DEFAULT,
	        &c->port, err, errlen) != MC_OK ||
	    target_cfg_get_uint(cfg, "connect_timeout", 1,
	        RSYNC_CONNECT_TIMEOUT_MAX_S, RSYNC_CONNECT_TIMEOUT_S,
	        &c->connect_timeout_s, err, errlen) != MC_OK ||
	    target_cfg_get_uint(cfg, "timeout", 1, RSYNC_IO_TIMEOUT_MAX_S,
	        RSYNC_IO_TIMEOUT_S, &c->io_timeout_s, err, errlen) != MC_OK ||
	    target_cfg_get_uint(cfg, "transfer_timeout", 1,
	        RSYNC_TRANSFER_TIMEOUT_MAX_S, RSYNC_TRANSFER_TIMEOUT_S,
	        &t->run.timeout_s, err, errlen) != MC_OK ||
	    target_cfg_get_bool(cfg, "insecure_skip_host_key", false,
	        &c->insecure, err, errlen) != MC_OK ||
	    target_cfg_get_bool(cfg, "run_on_complete", false,
	        &t->run_on_complete, err, errlen) != MC_OK)
		return MC_ECONFIG;
	return MC_OK;
}

/* the key file; a passphrase is refused: ssh would ask for it on a
 * terminal, and there is none */
static mc_err
read_key(const target_cfg *cfg, rsync_target *t, char *err, size_t errlen)
{
	char   phrase[SECRET_MAX_LEN + 1];
	bool   has_phrase = false;
	mc_err rv;

	rv = secret_get(cfg, "ssh_key_passphrase", phrase, sizeof(phrase),
	    &has_phrase, err, errlen);
	secret_wipe(phrase, sizeof(phrase));
	if (rv != MC_OK)
		return rv;
	if (has_phrase) {
		mc_errf(err, errlen,
		    "rsync: ssh_key_passphrase is not supported (ssh "
		    "would have to ask for it); use a key without a "
		    "passphrase, readable by the service user only, or "
		    "ssh-agent (SSH_AUTH_SOCK)");
		return MC_ECONFIG;
	}
	t->c.key = target_cfg_get(cfg, "ssh_key");
	if (t->c.key == NULL || t->c.key[0] == '\0')
		return MC_OK;
	if (rsync_argv_check_path("ssh_key", t->c.key, err, errlen) != MC_OK)
		return MC_ECONFIG;
	if (!sys_exists(t->c.key)) {
		mc_errf(err, errlen, "ssh_key %s does not exist", t->c.key);
		return MC_ECONFIG;
	}
	return MC_OK;
}

/* a password without a key logs in through sshpass, if it is there */
static mc_err
read_password(const target_cfg *cfg, rsync_target *t, char *err, size_t errlen)
{
	char   path[RSYNC_CMD_MAX];
	bool   has = false;
	mc_err rv;

	rv = secret_get(cfg, "password", t->password, sizeof(t->password),
	    &has, err, errlen);
	if (rv != MC_OK || !has || (t->c.key != NULL && t->c.key[0] != '\0'))
		return rv;
	if (sys_spawn_which("sshpass", path, sizeof(path)) != MC_OK) {
		mc_errf(err, errlen,
		    "rsync: a password login needs sshpass, which is not "
		    "installed (Debian package sshpass); or give ssh_key "
		    "(key login)");
		return MC_ECONFIG;
	}
	t->c.password = true;
	return MC_OK;
}

static mc_err
resolve(const target_cfg *cfg, const task_ctx *ctx, rsync_target *t, char *err,
    size_t errlen)
{
	rsync_argv ssh = {0};
	mc_err     rv;

	if ((rv = read_required(cfg, &t->c, err, errlen)) != MC_OK ||
	    (rv = read_numbers(cfg, t, err, errlen)) != MC_OK)
		return rv;
	t->filter = target_cfg_get(cfg, "file_filter");
	if (!t->c.insecure && (rv = rsync_run_known_hosts(cfg, &t->run,
	                           &t->c.known_hosts, err, errlen)) != MC_OK)
		return rv;
	if ((rv = read_key(cfg, t, err, errlen)) != MC_OK ||
	    (rv = read_password(cfg, t, err, errlen)) != MC_OK)
		return rv;
	snprintf(t->shown, sizeof(t->shown), "%s@%s:%u:%s", t->c.user,
	    t->c.host, t->c.port, t->c.folder);
	if ((rv = rsync_argv_ssh(&t->c, &ssh)) == MC_OK &&
	    rsync_argv_rsh(&ssh, t->rsh, sizeof(t->rsh)) != MC_OK)
		rv = MC_EINVAL;
	rsync_argv_fini(&ssh);
	if (rv != MC_OK) {
		mc_errf(err, errlen, "rsync: ssh command too long");
		return rv;
	}
	if (t->c.insecure)
		log_warn("event=rsync.host_key_unchecked task=%s target=%s "
		         "host=%s port=%u msg=\"insecure_skip_host_key: any "
		         "host that answers gets the credentials\"",
		    ctx->task_id, target_cfg_name(cfg), t->c.host, t->c.port);
	return rsync_run_init(&t->run, &t->c,
	    t->c.password ? t->password : NULL, t->shown, err, errlen);
}

/* the names to send, NUL-separated, into the temp folder's list; *n is
 * how many */
static mc_err
write_list(const rsync_target *t, const target_files *files, char *path,
    size_t pathlen, size_t *n, char *err, size_t errlen)
{
	size_t total = 1, pos = 0;
	char  *buf;
	mc_err rv;

	*n = 0;
	for (size_t i = 0; i < files->n; i++)
		total += strlen(files->paths[i]) + 1;
	if ((buf = malloc(total)) == NULL)
		return MC_ENOMEM;
	for (size_t i = 0; i < files->n; i++) {
		size_t len = strlen(files->paths[i]) + 1;
		if (target_file_is_filtered(
		        t->filter, sys_basename_of(files->paths[i])))
			continue;
		memcpy(buf + pos, files->paths[i], len);
		pos += len;
		(*n)++;
	}
	rv = sys_path_fmt(path, pathlen, "%s/%s", t->run.dir, RSYNC_LIST_NAME);
	if (rv == MC_OK)
		rv = sys_write_file_sync(path, buf, pos);
	free(buf);
	if (rv != MC_OK)
		mc_errf(err, errlen, "rsync: cannot write the file list in %s",
		    t->run.dir);
	return rv;
}

static mc_err
send_files(rsync_target *t, const task_ctx *ctx, const target_files *files,
    size_t *n, target_result *res)
{
	char       list[RSYNC_CMD_MAX], dir[RSYNC_CMD_MAX], sub[RSYNC_CMD_MAX];
	char       marker[RSYNC_CMD_MAX], err[TARGET_ERROR_MAX_LEN + 1] = "";
	rsync_argv a = {0};
	mc_err     rv;

	if ((rv = write_list(t, files, list, sizeof(list), n, err,
	         sizeof(err))) != MC_OK ||
	    (rv = sys_path_fmt(marker, sizeof(marker), "%s/%s", t->run.dir,
	         RSYNC_MARKER)) != MC_OK ||
	    (rv = sys_write_file_sync(marker, "", 0)) != MC_OK) {
		target_result_fail(res, true, "%s",
		    err[0] ? err : "rsync: cannot write the marker");
		return rv;
	}
	snprintf(sub, sizeof(sub), "%s/", ctx->task_id);
	if (rsync_argv_remote_dir(&t->c, sub, dir, sizeof(dir)) != MC_OK) {
		target_result_fail(res, false, "rsync: folder path too long");
		return MC_EINVAL;
	}
	if (*n > 0 &&
	    ((rv = rsync_argv_transfer(&t->c, t->rsh, list, "/", dir, &a)) !=
	            MC_OK ||
	        (rv = rsync_run_argv(&t->run, &a, "files", res)) != MC_OK)) {
		rsync_argv_fini(&a);
		return rv;
	}
	rsync_argv_fini(&a);
	if ((rv = rsync_argv_transfer(&t->c, t->rsh, NULL, marker, dir, &a)) ==
	    MC_OK)
		rv = rsync_run_argv(&t->run, &a, "marker", res);
	rsync_argv_fini(&a);
	return rv;
}

static mc_err
run_complete_script(rsync_target *t, const target_cfg *cfg,
    const task_ctx *ctx, target_result *res)
{
	char       cmd[RSYNC_CMD_MAX];
	rsync_argv a = {0};
	mc_err     rv;

	if (rsync_argv_complete_command(&t->c, ctx->task_id,
	        target_cfg_name(cfg), cmd, sizeof(cmd)) != MC_OK) {
		target_result_fail(res, false, "rsync: folder path too long");
		return MC_EINVAL;
	}
	if ((rv = rsync_argv_remote_command(&t->c, cmd, &a)) == MC_OK)
		rv = rsync_run_argv(&t->run, &a, RSYNC_COMPLETE_SCRIPT, res);
	rsync_argv_fini(&a);
	return rv;
}

static mc_err
rsync_send(const target_cfg *cfg, const task_ctx *ctx,
    const target_files *files, target_result *res)
{
	rsync_target *t = calloc(1, sizeof(*t));
	char          err[TARGET_ERROR_MAX_LEN + 1];
	size_t        n = 0;
	mc_err        rv;

	res->failed = files->n;
	if (t == NULL) {
		target_result_fail(res, true, "out of memory");
		return MC_ENOMEM;
	}
	if ((rv = resolve(cfg, ctx, t, err, sizeof(err))) != MC_OK) {
		target_result_fail(res, rv == MC_EIO, "%s", err);
		target_free(t);
		return rv;
	}
	if ((rv = send_files(t, ctx, files, &n, res)) == MC_OK) {
		res->sent = n;
		if (t->run_on_complete)
			rv = run_complete_script(t, cfg, ctx, res);
	}
	res->failed = files->n - res->sent;
	if (rv == MC_OK)
		res->failed = 0;
	log_debug("event=rsync.done task=%s target=%s sent=%zu err=%s",
	    ctx->task_id, target_cfg_name(cfg), res->sent, mc_strerror(rv));
	target_free(t);
	return rv;
}

/* run_on_complete: the script must be there and executable */
static mc_err
test_script(rsync_target *t, char *msg, size_t len)
{
	char          script[RSYNC_CMD_MAX], cmd[RSYNC_CMD_MAX];
	size_t        pos = 0;
	rsync_argv    a = {0};
	target_result r = {0};
	mc_err        rv;

	if (rsync_argv_remote_dir(&t->c, RSYNC_COMPLETE_SCRIPT, script,
	        sizeof(script)) != MC_OK ||
	    snprintf(cmd, sizeof(cmd), "test -x ") >= (int) sizeof(cmd) ||
	    (pos = strlen(cmd), rsync_argv_shell_quote(script, cmd,
	                            sizeof(cmd), &pos)) != MC_OK) {
		mc_errf(msg, len, "rsync: folder path too long");
		return MC_EINVAL;
	}
	if ((rv = rsync_argv_remote_command(&t->c, cmd, &a)) == MC_OK)
		rv = rsync_run_argv(&t->run, &a, "test -x", &r);
	rsync_argv_fini(&a);
	if (rv == MC_ENET && t->run.last.exited && t->run.last.exit_code == 1)
		mc_errf(msg, len, "rsync %s: %s is missing or not executable",
		    t->shown, script);
	else if (rv != MC_OK)
		mc_errf(msg, len, "%s", r.error);
	return rv;
}

static mc_err
rsync_test(const target_cfg *cfg, const task_ctx *ctx, char *msg, size_t len)
{
	rsync_target *t = calloc(1, sizeof(*t));
	char          dir[RSYNC_CMD_MAX];
	rsync_argv    a = {0};
	target_result r = {0};
	mc_err        rv;

	if (t == NULL) {
		mc_errf(msg, len, "out of memory");
		return MC_ENOMEM;
	}
	if ((rv = resolve(cfg, ctx, t, msg, len)) != MC_OK)
		goto done;
	if ((rv = rsync_argv_remote_dir(&t->c, "", dir, sizeof(dir))) !=
	        MC_OK ||
	    (rv = rsync_argv_list(&t->c, t->rsh, dir, &a)) != MC_OK) {
		mc_errf(msg, len, "rsync: folder path too long");
		goto done;
	}
	if ((rv = rsync_run_argv(&t->run, &a, "list", &r)) != MC_OK) {
		mc_errf(msg, len, "%s", r.error);
		goto done;
	}
	if (t->run_on_complete && (rv = test_script(t, msg, len)) != MC_OK)
		goto done;
	mc_errf(msg, len, "rsync login %s ok, folder listed%s", t->shown,
	    t->run_on_complete ? ", " RSYNC_COMPLETE_SCRIPT " executable"
	                       : "");
done:
	rsync_argv_fini(&a);
	target_free(t);
	return rv;
}

const target_ops target_ops_rsync = {
    .send = rsync_send,
    .test = rsync_test,
};
