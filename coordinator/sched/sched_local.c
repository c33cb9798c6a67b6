/* sched_local.c - the local scheduler backend: workers started by
 * sys_spawn (no shell, stdout and stderr into the task's worker.log),
 * exits reaped from a signalfd. */
#include "sched/sched_local.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <uthash.h>

#include "base/log.h"
#include "os/sys_fs.h"
#include "os/sys_spawn.h"

typedef struct child {
	pid_t          pid;
	char           task_id[64];
	sched_kind     kind;
	UT_hash_handle hh;
} child;

typedef struct sched_local {
	sched    base;
	int      sfd;
	child   *children; /* by pid */
	unsigned n_running[2];
	unsigned max[2]; /* by sched_kind */
	char     worker[MC_PATH_MAX];
} sched_local;

static bool
local_has_capacity(const sched *s, sched_kind kind)
{
	const sched_local *sl = (const sched_local *) s;
	unsigned           max = sl->max[kind];

	return sl->n_running[kind] < (max ? max : 1);
}

static unsigned
local_running(const sched *s)
{
	const sched_local *sl = (const sched_local *) s;
	return sl->n_running[0] + sl->n_running[1];
}

/* open_lock - the task's lock, taken; -1 if another process holds it */
static int
open_lock(const char *task_dir)
{
	char path[MC_PATH_MAX];
	int  fd;

	if (sys_path_fmt(path, sizeof(path), "%s/%s", task_dir,
	        TASK_LOCK_FILE) != MC_OK)
		return -1;
	/* inherited: no CLOEXEC */
	fd = open(path, O_RDWR | O_CREAT, SYS_FILE_MODE_MAX);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* spawn_worker - `mercure-worker TASK_DIR`; the lock's descriptor is
 * inherited (it has no CLOEXEC), so the lock lives as long as the child */
static mc_err
spawn_worker(sched_local *sl, const char *task_dir, pid_t *pid, char *err,
    size_t errlen)
{
	char          *argv[] = {sl->worker, (char *) task_dir, NULL};
	char           logp[MC_PATH_MAX];
	sys_spawn_opts so = {argv, NULL, logp, 0};

	if (sys_path_fmt(logp, sizeof(logp), "%s/%s", task_dir,
	        TASK_LOG_FILE) != MC_OK) {
		snprintf(err, errlen, "task folder path too long");
		return MC_EINVAL;
	}
	return sys_spawn_start(&so, pid, err, errlen);
}

static mc_err
local_submit(
    sched *s, const char *task_id, sched_kind kind, const char *task_dir)
{
	sched_local *sl = (sched_local *) s;
	child       *c;
	pid_t        pid;
	int          lockfd = open_lock(task_dir);
	char         err[256];
	mc_err       rv;

	if (lockfd < 0) {
		log_warn(
		    "event=task.locked task=%s msg=\"a worker from before "
		    "still holds the task\"",
		    task_id);
		return MC_EAGAIN;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(lockfd);
		return MC_ENOMEM;
	}
	rv = spawn_worker(sl, task_dir, &pid, err, sizeof(err));
	close(lockfd); /* the child keeps the lock alive */
	if (rv != MC_OK) {
		log_error("event=worker.spawn_failed task=%s worker=%s err=%s "
		          "msg=\"%s\"",
		    task_id, sl->worker, mc_strerror(rv), err);
		free(c);
		return rv;
	}
	c->pid = pid;
	c->kind = kind;
	snprintf(c->task_id, sizeof(c->task_id), "%s", task_id);
	HASH_ADD_INT(sl->children, pid, c);
	sl->n_running[kind]++;
	log_debug("event=worker.started task=%s pid=%ld", task_id, (long) pid);
	return MC_OK;
}

static void
reap(sched_local *sl)
{
	sys_child_status st;
	pid_t            pid;

	/* every ended child, a notification worker too, is reaped here */
	while (sys_spawn_reap_any(&pid, &st)) {
		child *c = NULL;
		int    code = st.exited ? st.exit_code : 128 + st.signal;
		HASH_FIND_INT(sl->children, &pid, c);
		if (c == NULL) {
			if (sl->base.reaped != NULL)
				sl->base.reaped(sl->base.ctx, pid, code);
			continue;
		}
		HASH_DEL(sl->children, c);
		sl->n_running[c->kind]--;
		sl->base.done(sl->base.ctx, c->task_id, code);
		free(c);
	}
}

static void
on_sigchld(loop *l, int fd, void *arg)
{
	struct signalfd_siginfo si;

	(void) l;
	while (read(fd, &si, sizeof(si)) == (ssize_t) sizeof(si))
		;
	reap(arg);
}

static void
local_stop(sched *s)
{
	sched_local *sl = (sched_local *) s;
	child       *c, *tmp;

	/* workers keep running: their results are picked up at restart */
	HASH_ITER(hh, sl->children, c, tmp)
	{
		HASH_DEL(sl->children, c);
		free(c);
	}
	if (sl->sfd >= 0) {
		loop_remove_fd(s->l, sl->sfd);
		close(sl->sfd);
	}
}

static mc_err
local_start(sched *s, const sched_opts *o)
{
	sched_local *sl = (sched_local *) s;
	sigset_t     set;

	sl->max[SCHED_KIND_DISPATCH] = o->cfg->scheduler.max_dispatch;
	sl->max[SCHED_KIND_PROCESS] = o->cfg->scheduler.max_process;
	snprintf(sl->worker, sizeof(sl->worker), "%s", o->worker_path);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sl->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sl->sfd < 0)
		return mc_from_errno(errno);
	return loop_add_fd(s->l, sl->sfd, on_sigchld, sl);
}

const sched_ops sched_local_ops = {sizeof(sched_local), local_start,
    local_has_capacity, local_submit, local_running, local_stop};
