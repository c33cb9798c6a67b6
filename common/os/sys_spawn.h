/* sys_spawn.h - child processes: start a program with an argv and an
 * environment (posix_spawn, never a shell), optionally in its own process
 * group with stdout and stderr appended to a log file; wait for it with a
 * deadline, kill its whole group, reap what has ended. The worker runs
 * its modules with it, the coordinator its workers. Every posix_spawn
 * set-up and raw process syscall lives in sys_spawn.c only. */
#ifndef MC_COMMON_SYS_SPAWN_H
#define MC_COMMON_SYS_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/mc_err.h"

/* How a child ended. */
typedef struct sys_child_status {
	bool exited;    /* exit_code is valid */
	int  exit_code; /* 0..255 */
	int  signal;    /* the killing signal when !exited */
} sys_child_status;

/* Flags of sys_spawn_opts. */
enum {
	/* argv[0] without a '/' is looked up on PATH; without this flag it
	 * names a file in the current folder, as for execv */
	SYS_SPAWN_SEARCH_PATH = 1u << 0,
	/* the child leads a new process group, so that sys_spawn_end_group
	 * and sys_spawn_kill_group stop whatever it forks as well */
	SYS_SPAWN_NEW_PGROUP = 1u << 1,
};

/* sys_spawn_opts - what to start and how. Everything is borrowed for the
 * call only. */
typedef struct sys_spawn_opts {
	char *const *argv;     /* NULL-terminated; argv[0] is the program */
	char *const *envp;     /* NULL-terminated; NULL: this process's */
	const char  *log_path; /* stdout and stderr appended here (created
	                        * SYS_FILE_MODE_MAX under the umask), stdin
	                        * from /dev/null; NULL: all three inherited */
	unsigned flags;        /* SYS_SPAWN_* */
} sys_spawn_opts;

/* sys_spawn_start - start o->argv[0] with o->argv and o->envp. Every child
 * gets an empty signal mask and SIGPIPE, SIGTERM and SIGINT at their
 * defaults, whatever this process blocks or ignores. On MC_OK *pid is the
 * child. MC_ENOENT (no such program: err says so), MC_EIO (the log cannot
 * be opened), MC_EAGAIN/MC_ENOMEM (the system cannot start a process
 * now), MC_EINVAL; err filled. Any thread. */
MC_NODISCARD mc_err sys_spawn_start(
    const sys_spawn_opts *o, pid_t *pid, char *err, size_t errlen);

/* sys_spawn_wait - wait for pid until it ends or timeout_ms passes
 * (polled; 0 waits without a limit). MC_OK with *st filled when it
 * ended; MC_ETIMEDOUT when it still runs at the deadline; MC_ECLOSED when
 * this process got SIGTERM or SIGINT while waiting (sys_spawn_watch_
 * signals); the child then still runs. */
MC_NODISCARD mc_err sys_spawn_wait(
    pid_t pid, unsigned timeout_ms, sys_child_status *st);

/* sys_spawn_end_group - SIGKILL what is left of the process group of
 * pid, whose leader sys_spawn_wait() reaped: a module's background child
 * must not change its output after the worker has checked it. */
void sys_spawn_end_group(pid_t pid);

/* sys_spawn_kill_group - SIGTERM to pid's process group, wait up to
 * grace_ms, then SIGKILL the group and reap pid. *st as it ended. */
void sys_spawn_kill_group(pid_t pid, unsigned grace_ms, sys_child_status *st);

/* sys_spawn_reap_any - reap one child of this process that has ended,
 * whoever started it, without waiting: true with *pid and *st filled;
 * false when none has ended (or there is none). */
bool sys_spawn_reap_any(pid_t *pid, sys_child_status *st);

/* sys_spawn_watch_signals - from now on SIGTERM and SIGINT set a flag
 * that sys_spawn_wait reports (so the worker can stop its child before
 * it exits) instead of killing the worker at once. Call once, early. */
void sys_spawn_watch_signals(void);

/* sys_spawn_stopping - true once SIGTERM or SIGINT arrived. */
bool sys_spawn_stopping(void);

/* sys_spawn_which - the full path of name on PATH into buf; MC_ENOENT when
 * it is not there (or not executable). A name with '/' is checked as is. */
MC_NODISCARD mc_err sys_spawn_which(const char *name, char *buf, size_t len);

/* sys_child_status_str - "exit status 3", "killed by signal 9 (Killed)". */
void sys_child_status_str(const sys_child_status *st, char *buf, size_t len);

#endif
