/* module_run.c - run one processing module with mercure's contract
 * (module.h): a command through posix_spawn, or a container through the
 * docker or podman CLI. The chain around it is process_run.c.
 *
 * Design notes: a command module gets a fresh environment (a few
 * harmless variables of the worker + the module's + the folder
 * variables), never the worker's whole one, which may hold secrets. A
 * container module first asks the runtime for `info`: with a CLI but no
 * engine (docker without dockerd) that fails fast with the runtime's own
 * words, which become the task's error. The container is named
 * mercure-<task>-<step> so that a timeout can `kill` it: stopping the CLI
 * alone would leave the container running. Module output is never copied
 * into error texts (it may hold patient data); it stays in the log. */
#include "process/module.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "os/sys_files.h"
#include "process/builtin/builtin.h"
#include "os/sys_fs.h"

#define MODULE_GRACE_MS 5000
#define MODULE_PROBE_TIMEOUT_MS 20000
#define MODULE_KILL_TIMEOUT_MS 20000
#define MODULE_ARGV_MAX 64
#define MODULE_LINE_MAX 512
#define MODULE_RUNTIME_ENV "MERCURE_CONTAINER_RUNTIME"

extern char **environ; /* POSIX: the worker's environment */

/* variables a command module inherits from the worker */
static const char *const PASS_ENV[] = {"PATH", "HOME", "LANG", "LC_ALL", "TZ",
    "TMPDIR", "DCMDICTPATH", "USER", "LOGNAME"};
#define PASS_ENV_N (sizeof(PASS_ENV) / sizeof(PASS_ENV[0]))

/* a NULL-terminated list of malloc'ed strings */
typedef struct strv {
	char **v;
	size_t n, cap;
} strv;

static void
strv_free(strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static mc_err strv_push(strv *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static mc_err
strv_push(strv *s, const char *fmt, ...)
{
	va_list ap;
	char   *str = NULL;
	int     n;

	if (s->n + 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		char **nv = realloc(s->v, cap * sizeof(*nv));
		if (nv == NULL)
			return MC_ENOMEM;
		s->v = nv;
		s->cap = cap;
	}
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (str = malloc((size_t) n + 1)) == NULL)
		return MC_ENOMEM;
	va_start(ap, fmt);
	vsnprintf(str, (size_t) n + 1, fmt, ap);
	va_end(ap);
	s->v[s->n++] = str;
	s->v[s->n] = NULL;
	return MC_OK;
}

/* the folder variables of mercure's contract, for in and out as the
 * module sees them */
static mc_err
push_dirs(strv *s, const char *in, const char *out, const char *prefix)
{
	if (strv_push(s, "%sMERCURE_IN_DIR=%s", prefix, in) != MC_OK ||
	    strv_push(s, "%sMERCURE_OUT_DIR=%s", prefix, out) != MC_OK ||
	    strv_push(s, "%sMONAI_INPUTPATH=%s", prefix, in) != MC_OK ||
	    strv_push(s, "%sMONAI_OUTPUTPATH=%s", prefix, out) != MC_OK ||
	    strv_push(s, "%sHOLOSCAN_INPUT_PATH=%s", prefix, in) != MC_OK ||
	    strv_push(s, "%sHOLOSCAN_OUTPUT_PATH=%s", prefix, out) != MC_OK)
		return MC_ENOMEM;
	return MC_OK;
}

static mc_err
command_env(const module_run_opts *o, strv *env)
{
	const module_spec *m = o->m;

	for (size_t i = 0; i < PASS_ENV_N; i++) {
		const char *v = getenv(PASS_ENV[i]);
		if (v != NULL &&
		    strv_push(env, "%s=%s", PASS_ENV[i], v) != MC_OK)
			return MC_ENOMEM;
	}
	for (size_t i = 0; i < m->n_env; i++)
		if (strv_push(env, "%s", m->env[i]) != MC_OK)
			return MC_ENOMEM;
	/* last, so that a module's environment cannot move the folders */
	return push_dirs(env, o->in_dir, o->out_dir, "");
}

static void
log_header(const module_run_opts *o, const char *what)
{
	char      line[MODULE_LINE_MAX], when[32];
	time_t    now = time(NULL);
	struct tm tm;
	int       n;

	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	n = snprintf(line, sizeof(line),
	    "==== mercure-worker %s task=%s step=%zu module=%s: %s\n", when,
	    o->task_id, o->step, o->m->name, what);
	if (n > 0 &&
	    sys_append(o->log_path, line,
	        (size_t) n < sizeof(line) ? (size_t) n : sizeof(line) - 1,
	        SYS_SYNC_NONE) != MC_OK)
		log_warn("event=module.log_failed task=%s path=%s", o->task_id,
		    o->log_path);
}

static mc_err fail(module_outcome *out, mc_err rv, bool retryable,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static mc_err
fail(module_outcome *out, mc_err rv, bool retryable, const char *fmt, ...)
{
	va_list ap;

	out->ok = false;
	out->retryable = retryable;
	va_start(ap, fmt);
	vsnprintf(out->error, sizeof(out->error), fmt, ap);
	va_end(ap);
	return rv;
}

/* run argv to its end or the deadline; on_timeout runs before the group
 * is killed (to stop a container) */
typedef void (*timeout_hook)(const module_run_opts *o, const char *rt);

static mc_err
run_argv(const module_run_opts *o, char *const argv[], char *const envp[],
    unsigned timeout_ms, timeout_hook hook, const char *rt,
    module_outcome *out)
{
	sys_spawn_opts so = {argv, envp, o->log_path,
	    SYS_SPAWN_SEARCH_PATH | SYS_SPAWN_NEW_PGROUP};
	char           err[MODULE_ERROR_MAX_LEN + 1];
	pid_t          pid;
	mc_err         rv;

	rv = sys_spawn_start(&so, &pid, err, sizeof(err));
	if (rv != MC_OK)
		return fail(out, rv, rv == MC_EAGAIN || rv == MC_ENOMEM,
		    "module '%s': %s", o->m->name, err);
	rv = sys_spawn_wait(pid, timeout_ms, &out->st);
	if (rv == MC_OK) {
		sys_spawn_end_group(pid);
		return MC_OK;
	}
	if (hook != NULL)
		hook(o, rt);
	sys_spawn_kill_group(pid, MODULE_GRACE_MS, &out->st);
	if (rv == MC_ECLOSED)
		return fail(out, rv, true,
		    "module '%s' stopped: the worker was told to "
		    "stop",
		    o->m->name);
	out->timed_out = true;
	log_header(o, "timed out; stopped");
	return fail(out, MC_ETIMEDOUT, false,
	    "module '%s' timed out after %u s and was stopped "
	    "(timeout)",
	    o->m->name, o->m->timeout_s);
}

static mc_err
judge(const module_run_opts *o, module_outcome *out)
{
	char how[128];

	out->ran = true;
	if (out->st.exited && out->st.exit_code == 0) {
		out->ok = true;
		out->error[0] = '\0';
		return MC_OK;
	}
	sys_child_status_str(&out->st, how, sizeof(how));
	return fail(out, MC_EIO, false, "module '%s' failed: %s (see %s)",
	    o->m->name, how, sys_basename_of(o->log_path));
}

static mc_err
run_command(const module_run_opts *o, module_outcome *out)
{
	strv   env = {0};
	mc_err rv;

	if (command_env(o, &env) != MC_OK) {
		strv_free(&env);
		return fail(out, MC_ENOMEM, true, "out of memory");
	}
	rv = run_argv(o, (char *const *) o->m->argv, env.v,
	    o->m->timeout_s * 1000u, NULL, NULL, out);
	strv_free(&env);
	return rv == MC_OK ? judge(o, out) : rv;
}

/* ---- containers ------------------------------------------------------ */

static mc_err
find_runtime(char *buf, size_t len, char *err, size_t errlen)
{
	const char *forced = getenv(MODULE_RUNTIME_ENV);

	if (forced != NULL && forced[0] != '\0') {
		if (sys_spawn_which(forced, buf, len) == MC_OK)
			return MC_OK;
		snprintf(err, errlen,
		    "container runtime '%s' (from %s) not found", forced,
		    MODULE_RUNTIME_ENV);
		return MC_ENOENT;
	}
	if (sys_spawn_which("docker", buf, len) == MC_OK ||
	    sys_spawn_which("podman", buf, len) == MC_OK)
		return MC_OK;
	snprintf(err, errlen,
	    "no container runtime: neither docker nor podman is on PATH");
	return MC_ENOENT;
}

static void
container_name(const module_run_opts *o, char *buf, size_t len)
{
	snprintf(buf, len, "mercure-%s-%zu", o->task_id, o->step);
}

/* container_cli - `<rt> <verb...> mercure-<task>-<n>`, bounded */
static void
container_cli(const module_run_opts *o, const char *rt, const char *verb,
    const char *flag)
{
	char             name[128], err[MODULE_ERROR_MAX_LEN + 1];
	char            *argv[] = {(char *) rt, (char *) verb,
	               (char *) (flag ? flag : name), flag ? name : NULL, NULL};
	sys_spawn_opts   so = {argv, NULL, o->log_path,
	      SYS_SPAWN_SEARCH_PATH | SYS_SPAWN_NEW_PGROUP};
	sys_child_status st;
	pid_t            pid;

	container_name(o, name, sizeof(name));
	if (sys_spawn_start(&so, &pid, err, sizeof(err)) != MC_OK) {
		log_warn("event=module.kill_failed task=%s module=%s "
		         "msg=\"%s\"",
		    o->task_id, o->m->name, err);
		return;
	}
	if (sys_spawn_wait(pid, MODULE_KILL_TIMEOUT_MS, &st) != MC_OK)
		sys_spawn_kill_group(pid, 0, &st);
}

static void
stop_container(const module_run_opts *o, const char *rt)
{
	container_cli(o, rt, "kill", NULL);
}

/* remove_container - what a stopped run leaves: a container killed
 * while its CLI was still creating it stays "created", and a --rm
 * container is otherwise removed by the engine only after the CLI is
 * gone; either would keep the name taken for the next attempt */
static void
remove_container(const module_run_opts *o, const char *rt)
{
	container_cli(o, rt, "rm", "-f");
}

/* `<rt> info`: MC_OK when the engine answers; else the runtime's last
 * line says why */
static mc_err
probe_runtime(const module_run_opts *o, const char *rt, module_outcome *out)
{
	char          *argv[] = {(char *) rt, "info", NULL};
	char           line[MODULE_LINE_MAX] = "", how[128];
	module_outcome probe;
	uint64_t       start = 0;
	mc_err         rv;

	memset(&probe, 0, sizeof(probe));
	if (sys_file_size(o->log_path, &start) != MC_OK)
		start = 0;
	log_header(o, "checking the container runtime");
	rv = run_argv(
	    o, argv, environ, MODULE_PROBE_TIMEOUT_MS, NULL, NULL, &probe);
	if (rv == MC_OK && probe.st.exited && probe.st.exit_code == 0)
		return MC_OK;
	if (rv != MC_OK && rv != MC_ETIMEDOUT)
		return fail(out, rv, probe.retryable, "%s", probe.error);
	sys_files_last_line(o->log_path, start, line, sizeof(line));
	sys_child_status_str(&probe.st, how, sizeof(how));
	return fail(out, MC_ENET, true,
	    "container runtime %s cannot run module '%s' (image %s): "
	    "'%s info' %s: %s",
	    rt, o->m->name, o->m->docker_tag, sys_basename_of(rt),
	    rv == MC_ETIMEDOUT ? "timed out" : how,
	    line[0] ? line : "no message");
}

static mc_err
container_argv(const module_run_opts *o, const char *rt, strv *a)
{
	char name[128];
	int  bad = 0;

	container_name(o, name, sizeof(name));
	bad |= strv_push(a, "%s", rt) != MC_OK;
	bad |= strv_push(a, "run") != MC_OK;
	bad |= strv_push(a, "--rm") != MC_OK;
	bad |= strv_push(a, "--name") != MC_OK;
	bad |= strv_push(a, "%s", name) != MC_OK;
	bad |= strv_push(a, "--user") != MC_OK;
	bad |= strv_push(a, "%u:%u", (unsigned) getuid(),
	           (unsigned) getgid()) != MC_OK;
	bad |= strv_push(a, "-v") != MC_OK;
	bad |= strv_push(a, "%s:%s", o->in_dir, MODULE_CONTAINER_IN) != MC_OK;
	bad |= strv_push(a, "-v") != MC_OK;
	bad |=
	    strv_push(a, "%s:%s", o->out_dir, MODULE_CONTAINER_OUT) != MC_OK;
	if (!o->m->network) {
		bad |= strv_push(a, "--network") != MC_OK;
		bad |= strv_push(a, "none") != MC_OK;
	}
	for (size_t i = 0; i < o->m->n_env; i++) {
		bad |= strv_push(a, "-e") != MC_OK;
		bad |= strv_push(a, "%s", o->m->env[i]) != MC_OK;
	}
	if (!bad) {
		strv dirs = {0};
		bad |= push_dirs(&dirs, MODULE_CONTAINER_IN,
		           MODULE_CONTAINER_OUT, "") != MC_OK;
		for (size_t i = 0; !bad && i < dirs.n; i++) {
			bad |= strv_push(a, "-e") != MC_OK;
			bad |= strv_push(a, "%s", dirs.v[i]) != MC_OK;
		}
		strv_free(&dirs);
	}
	bad |= strv_push(a, "%s", o->m->docker_tag) != MC_OK;
	return bad ? MC_ENOMEM : MC_OK;
}

static mc_err
run_container(const module_run_opts *o, module_outcome *out)
{
	char   rt[MC_PATH_MAX], err[MODULE_ERROR_MAX_LEN + 1];
	strv   argv = {0};
	mc_err rv;

	if ((rv = find_runtime(rt, sizeof(rt), err, sizeof(err))) != MC_OK)
		return fail(out, rv, false,
		    "container module '%s' (image %s): %s", o->m->name,
		    o->m->docker_tag, err);
	if ((rv = probe_runtime(o, rt, out)) != MC_OK)
		return rv;
	if (container_argv(o, rt, &argv) != MC_OK) {
		strv_free(&argv);
		return fail(out, MC_ENOMEM, true, "out of memory");
	}
	log_header(o, "starting the container");
	rv = run_argv(o, argv.v, environ, o->m->timeout_s * 1000u,
	    stop_container, rt, out);
	strv_free(&argv);
	if (rv == MC_ETIMEDOUT || rv == MC_ECLOSED)
		remove_container(o, rt);
	return rv == MC_OK ? judge(o, out) : rv;
}

mc_err
module_run(const module_run_opts *o, module_outcome *out)
{
	memset(out, 0, sizeof(*out));
	if (o->m->kind == MODULE_BUILTIN)
		return builtin_module_run(o, out);
	if (o->m->kind == MODULE_CONTAINER)
		return run_container(o, out);
	log_header(o, o->m->argv[0]);
	return run_command(o, out);
}
