/* leader.c - leader election (leader.h): the local flock, or the Nomad
 * lock and the thread that keeps its lease.
 *
 * Design notes: the lease thread measures the TTL from the moment its
 * last successful call was sent (core/lease.c) and gives each renew only
 * the time left before that deadline, so a hanging Nomad cannot keep it
 * past it. On a failed or late renew it marks the lease lost, logs the
 * step-down and signals the leading thread, whose loop returns at its
 * next wake-up (the signal interrupts its wait). A 4xx answer (the ID
 * no longer holds the lock) ends the lease at once; no answer or a 5xx
 * is tried again every second until the deadline. The lock file's
 * descriptor is close-on-exec: a worker started by the leader must not
 * keep holding the lock after the leader died.
 *
 * A coordinator restarted on the same node (kill -9, then started
 * again) would otherwise wait 2 x TTL + LockDelay for its predecessor's
 * lock. So the lock's ID is kept in <storage_root>/coordinator.<node>.lock
 * (node: the Nomad allocation, else the host), a file only the process
 * holding its flock reads: the successor renews with that ID and leads at
 * once if Nomad still knows it. Coordinators on other nodes never read
 * that file, and a second process on the same node waits on the file's
 * flock first, so no two live processes can hold the ID. */
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
#include "sched/nomad/nomad_client.h"
#include "sched/nomad/nomad_lock.h"

#define LEADER_LOCK_FILE "coordinator.lock"
#define LEADER_FILE_RETRY_MS 500
#define LEADER_SLICE_MS 100
#define LEADER_ERR_MAX 512
#define LEADER_RENEW_RETRY_MS 1000

struct leader {
	config_scheduler_type type;
	char                  file[MC_PATH_MAX]; /* the flock's file */
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

/* node_key - who "this node's previous coordinator" is: the Nomad
 * allocation when run by Nomad (a restarted task keeps it; another
 * allocation is another coordinator, even on the same host), else the
 * host name. Only file-name-safe characters. */
static void
node_key(char *buf, size_t len)
{
	const char *alloc = getenv("NOMAD_ALLOC_ID");

	if (alloc != NULL && alloc[0] != '\0')
		snprintf(buf, len, "%s", alloc);
	else if (gethostname(buf, len - 1) != 0 || buf[0] == '\0')
		snprintf(buf, len, "localhost");
	buf[len - 1] = '\0';
	for (char *p = buf; *p; p++)
		if (strchr(
		        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		        "0123456789._-",
		        *p) == NULL)
			*p = '_';
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
	if (l->type == CONFIG_SCHEDULER_NOMAD) {
		char host[64] = "";
		node_key(host, sizeof(host));
		rv = sys_path_fmt(l->file, sizeof(l->file),
		    "%s/coordinator.%s.lock", cfg->storage_root, host);
		if (rv == MC_OK)
			rv = nomad_lock_create(cfg, &l->nl);
	} else {
		rv = sys_path_fmt(l->file, sizeof(l->file), "%s/%s",
		    cfg->storage_root, LEADER_LOCK_FILE);
	}
	if (rv != MC_OK) {
		leader_destroy(l);
		return rv;
	}
	if ((rv = sys_mkdir_p(cfg->storage_root)) != MC_OK) {
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
	int fd = open(l->file, O_RDWR | O_CREAT | O_CLOEXEC,
	    (mode_t) sys_fs_file_mode());

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
file_wait(leader *l, volatile sig_atomic_t *stop, bool leads)
{
	bool   said = false;
	mc_err rv;

	if (l->fd >= 0)
		return MC_OK; /* kept since an earlier term */
	for (;;) {
		if ((rv = file_try(l)) == MC_OK) {
			if (leads)
				log_info("event=coordinator.leader lock=%s",
				    l->file);
			return MC_OK;
		}
		if (rv != MC_EAGAIN) {
			log_error(
			    "event=coordinator.lock_failed lock=%s err=%s",
			    l->file, mc_strerror(rv));
			return rv;
		}
		if (!said)
			log_info(
			    "event=coordinator.standby lock=%s "
			    "msg=\"another coordinator leads; waiting for "
			    "its lock\"",
			    l->file);
		said = true;
		if (!wait_stoppable(LEADER_FILE_RETRY_MS, stop))
			return MC_ECLOSED;
	}
}

/* ---- Nomad: the lease ------------------------------------------------ */

/* kept_id - the lock ID a predecessor on this node wrote into the file
 * whose flock we hold; "" if none */
static void
kept_id(const leader *l, char *buf, size_t len)
{
	ssize_t n = pread(l->fd, buf, len - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
}

/* keep_id - write id ("" to forget it) for a successor on this node */
static void
keep_id(const leader *l, const char *id)
{
	size_t n = strlen(id);

	if (ftruncate(l->fd, 0) != 0 ||
	    (n > 0 && pwrite(l->fd, id, n, 0) != (ssize_t) n))
		log_warn("event=coordinator.lock_id_unsaved lock=%s", l->file);
}

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
	int64_t retry_at = 0;

	pthread_mutex_lock(&l->mu);
	while (!l->quit && !l->lost) {
		int64_t now = loop_now_ms(), due = lease_next_renew(&l->ls);
		int64_t tmo;
		mc_err  rv;

		if (!lease_valid(&l->ls, now)) {
			step_down(l, "no renew succeeded in time", now);
			break;
		}
		if (retry_at > due)
			due = retry_at;
		if (due > lease_deadline(&l->ls))
			due = lease_deadline(&l->ls);
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
		if (l->quit)
			break;
		if (rv == MC_OK && lease_valid(&l->ls, loop_now_ms())) {
			lease_ok(&l->ls, now);
			retry_at = 0;
			log_debug("event=coordinator.renewed lock=%s",
			    nomad_lock_path(l->nl));
		} else if (rv == MC_OK || rv == MC_EREFUSED) {
			step_down(l,
			    rv == MC_OK ? "the renew came too late" : err,
			    loop_now_ms());
		} else {
			/* no answer or a server error: again until the
			 * deadline */
			log_warn("event=coordinator.renew_failed lock=%s "
			         "err=%s msg=\"%s\"",
			    nomad_lock_path(l->nl), mc_strerror(rv), err);
			retry_at = loop_now_ms() + LEADER_RENEW_RETRY_MS;
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
	char    err[LEADER_ERR_MAX], id[NOMAD_LOCK_ID_MAX];
	bool    said = false, resumed = false;
	int64_t sent;
	mc_err  rv;

	lease_init(&l->ls, nomad_lock_ttl_ms(l->nl));
	/* one process per node past this point */
	if ((rv = file_wait(l, stop, false)) != MC_OK)
		return rv;
	kept_id(l, id, sizeof(id));
	sent = loop_now_ms();
	if (id[0] && nomad_lock_resume(l->nl, id, (unsigned) l->ls.ttl_ms / 2,
	                 err, sizeof(err)) == MC_OK)
		resumed = true;
	while (!resumed) {
		sent = loop_now_ms();
		rv = nomad_lock_acquire(
		    l->nl, (unsigned) l->ls.ttl_ms / 2, err, sizeof(err));
		if (rv == MC_OK)
			break;
		if (rv == MC_EAGAIN && !said)
			log_info(
			    "event=coordinator.standby lock=%s "
			    "msg=\"another coordinator leads; waiting for "
			    "its lock\"",
			    nomad_lock_path(l->nl));
		else if (rv != MC_EAGAIN)
			log_warn("event=coordinator.lock_unavailable lock=%s "
			         "err=%s msg=\"%s\"",
			    nomad_lock_path(l->nl), mc_strerror(rv), err);
		said = said || rv == MC_EAGAIN;
		/* jitter, so that standbys do not try in step */
		if (!wait_stoppable(
		        nomad_lock_retry_ms(l->nl) + (int64_t) (rand() % 250),
		        stop))
			return MC_ECLOSED;
	}
	keep_id(l, nomad_lock_id(l->nl));
	pthread_mutex_lock(&l->mu);
	lease_ok(&l->ls, sent);
	l->lost = false;
	l->quit = false;
	pthread_mutex_unlock(&l->mu);
	log_info("event=coordinator.leader lock=%s lock_id=%s ttl_ms=%lld%s",
	    nomad_lock_path(l->nl), nomad_lock_id(l->nl),
	    (long long) l->ls.ttl_ms,
	    resumed ? " resumed=1 msg=\"the lock of this node's previous "
	              "coordinator\""
	            : "");
	return start_lease(l);
}

mc_err
leader_wait(leader *l, volatile sig_atomic_t *stop)
{
	l->owner = pthread_self();
	if (l->type == CONFIG_SCHEDULER_NOMAD)
		return nomad_wait(l, stop);
	return file_wait(l, stop, true);
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
	if (l->nl != NULL) {
		nomad_lock_forget(l->nl);
		keep_id(l, "");
	}
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
	if (l->nl != NULL && l->fd >= 0)
		keep_id(l, "");
	nomad_lock_destroy(l->nl);
	if (l->fd >= 0)
		close(l->fd); /* drops the flock */
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
	free(l);
}
