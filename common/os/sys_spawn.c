/* sys_spawn.c - posix_spawn, waitpid and kill (sys_spawn.h), for the
 * worker's modules and the coordinator's workers. A module gets its own
 * process group so that one that forks (a shell script, a container CLI)
 * is stopped whole.
 *
 * Design notes: waiting polls waitpid(WNOHANG) with a growing sleep (1 ms
 * up to SPAWN_POLL_MAX_MS): no SIGCHLD handler, so nothing else in the
 * worker is disturbed by EINTR. The SIGTERM/SIGINT flag is the one
 * mutable global here; it only tells the waiting loop to give up. */
#include "os/sys_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "os/sys_fs.h"

extern char **environ;

#define SPAWN_POLL_MIN_MS 1
#define SPAWN_POLL_MAX_MS 50

static volatile sig_atomic_t g_stopping;

static void
on_stop_signal(int sig)
{
	(void) sig;
	g_stopping = 1;
}

void
sys_spawn_watch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

bool
sys_spawn_stopping(void)
{
	return g_stopping != 0;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = {
	    (time_t) (ms / 1000), (long) (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

mc_err
sys_spawn_which(const char *name, char *buf, size_t len)
{
	const char *path = getenv("PATH");
	const char *p;

	if (name == NULL || name[0] == '\0')
		return MC_EINVAL;
	if (strchr(name, '/') != NULL) {
		if (access(name, X_OK) != 0)
			return MC_ENOENT;
		snprintf(buf, len, "%s", name);
		return MC_OK;
	}
	if (path == NULL || path[0] == '\0')
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p != '\0';) {
		const char *colon = strchr(p, ':');
		size_t      n = colon ? (size_t) (colon - p) : strlen(p);
		struct stat st;
		int w = snprintf(buf, len, "%.*s/%s", (int) n, p, name);
		if (w > 0 && (size_t) w < len && stat(buf, &st) == 0 &&
		    S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
			return MC_OK;
		if (colon == NULL)
			break;
		p = colon + 1;
	}
	buf[0] = '\0';
	return MC_ENOENT;
}

static mc_err
spawn_error(int e, const sys_spawn_opts *o, char *err, size_t errlen)
{
	const char *prog = o->argv[0];
	bool        searched =
	    (o->flags & SYS_SPAWN_SEARCH_PATH) && strchr(prog, '/') == NULL;

	if (e == ENOENT) {
		snprintf(err, errlen, "program '%s' not found%s", prog,
		    searched ? " on PATH" : "");
		return MC_ENOENT;
	}
	if (e == EACCES || e == ENOEXEC) {
		snprintf(err, errlen, "program '%s' cannot be executed: %s",
		    prog, strerror(e));
		return MC_ENOENT;
	}
	snprintf(err, errlen, "cannot start '%s': %s", prog, strerror(e));
	if (e == EAGAIN)
		return MC_EAGAIN;
	return e == ENOMEM ? MC_ENOMEM : MC_EIO;
}

/* setup_attrs - every child starts with an empty signal mask and with
 * SIGPIPE, SIGTERM and SIGINT at their defaults: a mask and ignored
 * signals survive exec, and the coordinator blocks SIGCHLD (for its
 * signalfd) and ignores SIGPIPE, which a module must not inherit. */
static int
setup_attrs(posix_spawnattr_t *at, unsigned flags)
{
	sigset_t none, def;
	short    how = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
	int      rc;

	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGINT);
	if (flags & SYS_SPAWN_NEW_PGROUP)
		how |= POSIX_SPAWN_SETPGROUP;
	if ((rc = posix_spawnattr_init(at)) != 0)
		return rc;
	if ((rc = posix_spawnattr_setsigmask(at, &none)) != 0 ||
	    (rc = posix_spawnattr_setsigdefault(at, &def)) != 0 ||
	    (rc = posix_spawnattr_setpgroup(at, 0)) != 0 ||
	    (rc = posix_spawnattr_setflags(at, how)) != 0)
		posix_spawnattr_destroy(at);
	return rc;
}

/* setup_stdio - stdin from /dev/null, stdout and stderr to log_fd */
static int
setup_stdio(posix_spawn_file_actions_t *fa, int log_fd)
{
	int rc;

	if ((rc = posix_spawn_file_actions_init(fa)) != 0)
		return rc;
	if ((rc = posix_spawn_file_actions_addopen(
	         fa, 0, "/dev/null", O_RDONLY, 0)) != 0 ||
	    (rc = posix_spawn_file_actions_adddup2(fa, log_fd, 1)) != 0 ||
	    (rc = posix_spawn_file_actions_adddup2(fa, log_fd, 2)) != 0)
		posix_spawn_file_actions_destroy(fa);
	return rc;
}

/* open_log - the log is opened here, not by the child, so that a bad path
 * is an error that names the file; -1 when stdio is inherited */
static mc_err
open_log(const char *path, int *fd, char *err, size_t errlen)
{
	*fd = -1;
	if (path == NULL)
		return MC_OK;
	*fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    SYS_FILE_MODE_MAX);
	if (*fd < 0) {
		int e = errno;
		snprintf(err, errlen, "open %s: %s", path, strerror(e));
		return MC_EIO;
	}
	return MC_OK;
}

static int
spawn(const sys_spawn_opts *o, pid_t *pid, int fd)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t          at;
	char *const               *envp = o->envp ? o->envp : environ;
	int                        rc;

	if ((rc = setup_attrs(&at, o->flags)) != 0)
		return rc;
	if (fd >= 0 && (rc = setup_stdio(&fa, fd)) != 0) {
		posix_spawnattr_destroy(&at);
		return rc;
	}
	if (o->flags & SYS_SPAWN_SEARCH_PATH)
		rc = posix_spawnp(
		    pid, o->argv[0], fd >= 0 ? &fa : NULL, &at, o->argv, envp);
	else
		rc = posix_spawn(
		    pid, o->argv[0], fd >= 0 ? &fa : NULL, &at, o->argv, envp);
	posix_spawnattr_destroy(&at);
	if (fd >= 0)
		posix_spawn_file_actions_destroy(&fa);
	return rc;
}

mc_err
sys_spawn_start(const sys_spawn_opts *o, pid_t *pid, char *err, size_t errlen)
{
	int    fd, rc;
	mc_err rv;

	*pid = -1;
	if (o->argv == NULL || o->argv[0] == NULL || o->argv[0][0] == '\0') {
		snprintf(err, errlen, "empty command");
		return MC_EINVAL;
	}
	if ((rv = open_log(o->log_path, &fd, err, errlen)) != MC_OK)
		return rv;
	rc = spawn(o, pid, fd);
	if (fd >= 0)
		close(fd);
	if (rc != 0) {
		*pid = -1;
		return spawn_error(rc, o, err, errlen);
	}
	return MC_OK;
}

static void
decode(int status, sys_child_status *st)
{
	memset(st, 0, sizeof(*st));
	if (WIFEXITED(status)) {
		st->exited = true;
		st->exit_code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		st->signal = WTERMSIG(status);
	}
}

/* 1: reaped, 0: still running, -1: error (gone) */
static int
try_reap(pid_t pid, sys_child_status *st)
{
	int   status = 0;
	pid_t r = waitpid(pid, &status, WNOHANG);

	if (r == pid) {
		decode(status, st);
		return 1;
	}
	if (r < 0 && errno != EINTR) {
		memset(st, 0, sizeof(*st));
		st->signal = SIGKILL;
		return -1;
	}
	return 0;
}

bool
sys_spawn_reap_any(pid_t *pid, sys_child_status *st)
{
	int status = 0;

	*pid = waitpid(-1, &status, WNOHANG);
	if (*pid <= 0)
		return false;
	decode(status, st);
	return true;
}

mc_err
sys_spawn_wait(pid_t pid, unsigned timeout_ms, sys_child_status *st)
{
	int64_t  deadline = now_ms() + (int64_t) timeout_ms;
	unsigned nap = SPAWN_POLL_MIN_MS;

	for (;;) {
		if (try_reap(pid, st) != 0)
			return MC_OK;
		if (g_stopping)
			return MC_ECLOSED;
		if (timeout_ms != 0 && now_ms() >= deadline)
			return MC_ETIMEDOUT;
		sleep_ms(nap);
		if (nap < SPAWN_POLL_MAX_MS)
			nap *= 2;
	}
}

void
sys_spawn_end_group(pid_t pid)
{
	if (pid > 0)
		kill(-pid, SIGKILL);
}

void
sys_spawn_kill_group(pid_t pid, unsigned grace_ms, sys_child_status *st)
{
	int64_t deadline = now_ms() + grace_ms;

	if (kill(-pid, SIGTERM) != 0)
		kill(pid, SIGTERM);
	while (now_ms() < deadline) {
		if (try_reap(pid, st) != 0) {
			/* the leader is gone; stop what it left behind */
			kill(-pid, SIGKILL);
			return;
		}
		sleep_ms(SPAWN_POLL_MIN_MS * 10);
	}
	if (kill(-pid, SIGKILL) != 0)
		kill(pid, SIGKILL);
	for (;;) {
		int   status = 0;
		pid_t r = waitpid(pid, &status, 0);
		if (r == pid) {
			decode(status, st);
			return;
		}
		if (r < 0 && errno != EINTR) {
			memset(st, 0, sizeof(*st));
			st->signal = SIGKILL;
			return;
		}
	}
}

void
sys_child_status_str(const sys_child_status *st, char *buf, size_t len)
{
	if (st->exited)
		snprintf(buf, len, "exit status %d", st->exit_code);
	else
		snprintf(buf, len, "killed by signal %d (%s)", st->signal,
		    strsignal(st->signal));
}
