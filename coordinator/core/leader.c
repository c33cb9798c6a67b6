/* leader.c - leader election (leader.h): the local flock, or the Nomad
 * lock and the thread that keeps its lease.
 *
 * Design notes: the lease thread measures the TTL from the moment its
 * last successful call was sent (core/lease.c) and gives each renew only
 * the time left before that deadline, so a hanging Nomad cannot keep it
 * past it. On a failed or late renew it marks the lease lost, logs the
 * step-down and signals the leading thread, whose loop returns at its
 * next wake-up (the signal interrupts its wait). The lock file's
 * descriptor is close-on-exec: a worker started by the leader must not
 * keep holding the lock after the leader died. */
#include "core/leader.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "core/lease.h"
#include "core/loop.h"
#include "os/sys_fs.h"
#include "sched/nomad/nomad_lock.h"

#define LEADER_LOCK_FILE "coordinator.lock"
#define LEADER_FILE_RETRY_MS 500
#define LEADER_SLICE_MS 100
#define LEADER_ERR_MAX 512

struct leader {
	config_scheduler_type type;
	char                  file[MC_PATH_MAX];
	int                   fd; /* the flock's, -1 when not held */
	nomad_lock           *nl;
	/* the lease: mu guards ls, lost and quit */
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	lease           ls;
	bool            lost, quit, thread_up;
	pthread_t       thread, owner;
};

static void
sleep_ms(int64_t ms)
{
	struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* wait_stoppable - sleep ms, in slices, unless *stop is set */
static bool
wait_stoppable(int64_t ms, volatile sig_atomic_t *stop)
{
	for (int64_t t = 0; t < ms && !*stop; t += LEADER_SLICE_MS)
		sleep_ms(ms - t < LEADER_SLICE_MS ? ms - t : LEADER_SLICE_MS);
	return !*stop;
}

mc_err
leader_create(const mc_config *cfg, leader **out)
{
	leader *l = calloc(1, sizeof(*l));
	mc_err  rv;

	*out = NULL;
	if (l == NULL)
		return MC_ENOMEM;
	l->type = cfg->scheduler.type;
	l->fd = -1;
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	if ((rv = sys_path_fmt(l->file, sizeof(l->file), "%s/%s",
	         cfg->storage_root, LEADER_LOCK_FILE)) != MC_OK ||
	    (l->type == CONFIG_SCHEDULER_NOMAD &&
	        (rv = nomad_lock_create(cfg, &l->nl)) != MC_OK)) {
		leader_destroy(l);
		return rv;
	}
	if (l->type != CONFIG_SCHEDULER_NOMAD &&
	    (rv = sys_mkdir_p(cfg->storage_root)) != MC_OK) {
		log_error("event=coordinator.storage_failed root=%s err=%s",
		    cfg->storage_root, mc_strerror(rv));
		leader_destroy(l);
		return rv;
	}
	*out = l;
	return MC_OK;
}

/* ---- local: the flock ------------------------------------------------ */

static mc_err
file_try(leader *l)
{
	int fd = open(l->file, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return mc_from_errno(errno);
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		close(fd);
		return e == EWOULDBLOCK ? MC_EAGAIN : mc_from_errno(e);
	}
	l->fd = fd;
	return MC_OK;
}

static mc_err
file_wait(leader *l, volatile sig_atomic_t *stop)
{
	bool   said = false;
	mc_err rv;

	for (;;) {
		if ((rv = file_try(l)) == MC_OK) {
			log_info("event=coordinator.leader lock=%s", l->file);
			return MC_OK;
		}
		if (rv != MC_EAGAIN) {
			log_error("event=coordinator.lock_failed lock=%s err=%s",
			    l->file, mc_strerror(rv));
			return rv;
		}
		if (!said)
			log_info("event=coordinator.standby lock=%s "
			         "msg=\"another coordinator leads; waiting for "
			         "its lock\"",
			    l->file);
		said = true;
		if (!wait_stoppable(LEADER_FILE_RETRY_MS, stop))
			return MC_ECLOSED;
	}
}

/* ---- Nomad: the lease ------------------------------------------------ */

static void
step_down(leader *l, const char *why, int64_t now)
{
	int64_t since = now - l->ls.last_ok_ms;

	lease_lost(&l->ls);
	l->lost = true;
	log_warn("event=coordinator.step_down lock=%s since_renew_ms=%lld "
	         "ttl_ms=%lld reason=\"%s\" msg=\"no longer the leader: "
	         "stopped acting\"",
	    nomad_lock_path(l->nl), (long long) since,
	    (long long) l->ls.ttl_ms, why);
	pthread_kill(l->owner, LEADER_LOST_SIGNAL);
}

static void *
lease_main(void *arg)
{
	leader *l = arg;
	char    err[LEADER_ERR_MAX];

	pthread_mutex_lock(&l->mu);
	while (!l->quit && !l->lost) {
		int64_t now = loop_now_ms(), due = lease_next_renew(&l->ls);
		int64_t tmo;
		mc_err  rv;

		if (!lease_valid(&l->ls, now)) {
			step_down(l, "no renew succeeded in time", now);
			break;
		}
		if (now < due) {
			struct timespec ts;
			int64_t         wait = due - now;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += wait / 1000;
			ts.tv_nsec += (long) (wait % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&l->cv, &l->mu, &ts);
			continue;
		}
		tmo = lease_call_timeout(&l->ls, now);
		pthread_mutex_unlock(&l->mu);
		rv = nomad_lock_renew(l->nl, (unsigned) tmo, err, sizeof(err));
		pthread_mutex_lock(&l->mu);
		if (rv == MC_OK && lease_valid(&l->ls, loop_now_ms())) {
			lease_ok(&l->ls, now);
			log_debug("event=coordinator.renewed lock=%s",
			    nomad_lock_path(l->nl));
		} else if (!l->quit) {
			step_down(l, rv == MC_OK ? "the renew came too late" : err,
			    loop_now_ms());
		}
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

/* start_lease - the thread, with every signal blocked so the process's
 * signals reach the leading thread */
static mc_err
start_lease(leader *l)
{
	sigset_t all, old;
	int      e;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&l->thread, NULL, lease_main, l);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0)
		return mc_from_errno(e);
	l->thread_up = true;
	return MC_OK;
}

static mc_err
nomad_wait(leader *l, volatile sig_atomic_t *stop)
{
	char    err[LEADER_ERR_MAX];
	bool    said = false;
	int64_t sent;
	mc_err  rv;

	lease_init(&l->ls, nomad_lock_ttl_ms(l->nl));
	for (;;) {
		sent = loop_now_ms();
		rv = nomad_lock_acquire(
		    l->nl, (unsigned) l->ls.ttl_ms / 2, err, sizeof(err));
		if (rv == MC_OK)
			break;
		if (rv == MC_EAGAIN && !said)
			log_info("event=coordinator.standby lock=%s "
			         "msg=\"another coordinator leads; waiting for "
			         "its lock\"",
			    nomad_lock_path(l->nl));
		else if (rv != MC_EAGAIN)
			log_warn("event=coordinator.lock_unavailable lock=%s "
			         "err=%s msg=\"%s\"",
			    nomad_lock_path(l->nl), mc_strerror(rv), err);
		said = said || rv == MC_EAGAIN;
		/* jitter, so that standbys do not try in step */
		if (!wait_stoppable(nomad_lock_retry_ms(l->nl) +
		                        (int64_t) (rand() % 250),
		        stop))
			return MC_ECLOSED;
	}
	pthread_mutex_lock(&l->mu);
	lease_ok(&l->ls, sent);
	l->lost = false;
	l->quit = false;
	pthread_mutex_unlock(&l->mu);
	log_info("event=coordinator.leader lock=%s lock_id=%s ttl_ms=%lld",
	    nomad_lock_path(l->nl), nomad_lock_id(l->nl),
	    (long long) l->ls.ttl_ms);
	return start_lease(l);
}

mc_err
leader_wait(leader *l, volatile sig_atomic_t *stop)
{
	l->owner = pthread_self();
	if (l->type == CONFIG_SCHEDULER_NOMAD)
		return nomad_wait(l, stop);
	return file_wait(l, stop);
}

bool
leader_lost(leader *l)
{
	bool lost;

	pthread_mutex_lock(&l->mu);
	lost = l->lost;
	pthread_mutex_unlock(&l->mu);
	return lost;
}

static void
stop_lease(leader *l)
{
	if (!l->thread_up)
		return;
	pthread_mutex_lock(&l->mu);
	l->quit = true;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
	pthread_join(l->thread, NULL);
	l->thread_up = false;
}

void
leader_stepped_down(leader *l)
{
	stop_lease(l);
	pthread_mutex_lock(&l->mu);
	l->lost = false;
	pthread_mutex_unlock(&l->mu);
}

void
leader_destroy(leader *l)
{
	if (l == NULL)
		return;
	stop_lease(l);
	if (l->nl != NULL && nomad_lock_id(l->nl)[0] && !l->lost) {
		nomad_lock_release(l->nl, 5000);
		log_info("event=coordinator.released lock=%s",
		    nomad_lock_path(l->nl));
	}
	nomad_lock_destroy(l->nl);
	if (l->fd >= 0)
		close(l->fd); /* drops the flock */
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
	free(l);
}
