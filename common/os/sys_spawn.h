/* sys_spawn.h - child processes for the worker: start a program with an
 * argv and an environment (posix_spawn, never a shell) in its own process
 * group with stdout and stderr appended to a log file, wait for it with a
 * deadline, kill its whole group. Raw process syscalls of the worker live
 * in sys_spawn.c only. One thread; children are waited for by pid. */
#ifndef MC_WORKER_SYS_SPAWN_H
#define MC_WORKER_SYS_SPAWN_H

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

/* sys_spawn_start - start argv[0] (searched on PATH when it has no '/')
 * with argv and envp (NULL-terminated, borrowed) in a new process group,
 * stdin from /dev/null, stdout and stderr appended to log_path (created
 * SYS_FILE_MODE_MAX under the umask). SIGPIPE and the signal mask are
 * reset to their defaults in the child. On MC_OK *pid is the child.
 * MC_ENOENT (no such program: err says so), MC_EIO (the log cannot be
 * opened), MC_EAGAIN/MC_ENOMEM (the system cannot start a process now),
 * MC_EINVAL; err filled. */
MC_NODISCARD mc_err sys_spawn_start(char *const argv[], char *const envp[],
                                    const char *log_path, pid_t *pid,
                                    char *err, size_t errlen);

/* sys_spawn_wait - wait for pid until it ends or timeout_ms passes
 * (polled; 0 waits without a limit). MC_OK with *st filled when it
 * ended; MC_ETIMEDOUT when it still runs at the deadline; MC_ECLOSED when
 * this process got SIGTERM or SIGINT while waiting (sys_spawn_watch_
 * signals); the child then still runs. */
MC_NODISCARD mc_err sys_spawn_wait(pid_t pid, unsigned timeout_ms,
                                   sys_child_status *st);

/* sys_spawn_end_group - SIGKILL what is left of the process group of
 * pid, whose leader sys_spawn_wait() reaped: a module's background child
 * must not change its output after the worker has checked it. */
void sys_spawn_end_group(pid_t pid);

/* sys_spawn_kill_group - SIGTERM to pid's process group, wait up to
 * grace_ms, then SIGKILL the group and reap pid. *st as it ended. */
void sys_spawn_kill_group(pid_t pid, unsigned grace_ms, sys_child_status *st);

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
