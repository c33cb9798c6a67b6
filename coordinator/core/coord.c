/* coord.c - the coordinator's life cycle and its loop callbacks: the
 * message socket, the series-completion timer (one timer at the head of
 * the series table's arrival order), the periodic checks (studies,
 * orphaned workers, reconcile, config changes) and the before-sleep hook
 * that starts tasks and commits the bookkeeping batch. */
#include "core/coord.h"

#include <errno.h>
#include <limits.h>
#include <nng/nng.h>
#include <nng/protocol/pipeline0/pull.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/coord_int.h"
#include "core/dispatch_order.h"
#include "core/series_complete.h"
#include "base/log.h"
#include "http/http_loop.h"
#include "http/http_loop_qr.h"
#include "http/http_stats.h"
#include "msg/msg_codec.h"
#include "sched/sched_registry.h"
#include "os/sys_fs.h"
#include "os/sys_spawn.h"

#define COORD_MSGS_PER_WAKEUP 4096

mc_err
coord_path(const coord *c, char *buf, size_t len, const char *a, const char *b,
    const char *c3)
{
	if (a == NULL)
		return sys_path_fmt(buf, len, "%s", c->root);
	if (b == NULL)
		return sys_path_fmt(buf, len, "%s/%s", c->root, a);
	if (c3 == NULL)
		return sys_path_fmt(buf, len, "%s/%s/%s", c->root, a, b);
	return sys_path_fmt(buf, len, "%s/%s/%s/%s", c->root, a, b, c3);
}

void
coord_event(coord *c, const char *event, const char *series_uid,
    const char *study_uid, const char *task, const char *rule_name,
    const char *target, const char *info)
{
	bk_event e = {
	    event, series_uid, study_uid, task, rule_name, target, info};
	bookkeeping_event(c->bk, &e);
	http_loop_note_event(c, event, rule_name, task);
}

static void
on_message(coord *c, const void *buf, size_t len)
{
	char          type[MSG_TYPE_MAX_LEN + 1], err[256] = "";
	mc_instance   in;
	mc_result_msg r;

	c->n_messages++;
	if (msg_peek_type(buf, len, type, err, sizeof(err)) != MC_OK)
		goto bad;
	if (strcmp(type, "instance") == 0) {
		c->n_instances++;
		http_stats_note_instance(c);
		/* tags matter only for a series' first instance: decode them
		 * only then (the hot path is every other instance) */
		mc_instance_init(&in);
		if (msg_decode_instance_head(
		        buf, len, &in, err, sizeof(err)) != MC_OK)
			goto bad;
		if (series_table_find(c->series, in.series_uid) == NULL &&
		    msg_decode_instance(buf, len, &in, err, sizeof(err)) !=
		        MC_OK)
			goto bad;
		c->n_bytes += in.size;
		coord_add_instance(c, &in, false);
		mc_instance_fini(&in);
		return;
	}
	if (strcmp(type, "association") == 0) {
		mc_assoc_msg m;
		if (msg_decode_association(buf, len, &m, err, sizeof(err)) !=
		    MC_OK)
			goto bad;
		series_complete_on_association(c, &m);
		mc_assoc_msg_fini(&m);
		return;
	}
	if (strcmp(type, "result") == 0) {
		if (msg_decode_result(buf, len, &r, err, sizeof(err)) != MC_OK)
			goto bad;
		/* the local scheduler concludes on the child's exit */
		log_debug(
		    "event=result.received task=%s ok=%d", r.task_id, r.ok);
		return;
	}
	if (strcmp(type, "rejected") == 0) {
		mc_reject_msg rj;
		if (msg_decode_reject(buf, len, &rj, err, sizeof(err)) !=
		    MC_OK)
			goto bad;
		http_stats_note_reject(c, rj.reason);
		return;
	}
	snprintf(err, sizeof(err), "unknown type '%s'", type);
bad:
	c->n_bad_messages++;
	log_warn("event=message.dropped bytes=%zu msg=\"%s\"", len, err);
}

static void
on_pull(loop *l, int fd, void *arg)
{
	coord *c = arg;

	(void) l;
	(void) fd;
	for (int i = 0; i < COORD_MSGS_PER_WAKEUP; i++) {
		nng_msg *m;
		if (nng_recvmsg(c->pull, &m, NNG_FLAG_NONBLOCK) != 0)
			return;
		on_message(c, nng_msg_body(m), nng_msg_len(m));
		nng_msg_free(m);
	}
}

static int64_t on_series_timer(loop *l, void *arg);

/* complete_timed_series - route every series with a deadline of its
 * own that is due; the earliest deadline still ahead, or INT64_MAX. */
static int64_t
complete_timed_series(coord *c, int64_t quiet, int64_t now)
{
	int64_t next = INT64_MAX;

	for (series *s = series_table_timed(c->series); s != NULL;) {
		series *after = series_next(s);
		int64_t due = series_due_ms(s, quiet);
		if (due <= now) {
			c->n_series_completed++;
			router_route_series(c, s);
		} else if (due < next)
			next = due;
		s = after;
	}
	return next;
}

/* complete_due_series - route every series whose quiet period (or own
 * deadline) is over; then arm the timer for the next one. */
static void
complete_due_series(coord *c)
{
	int64_t quiet = (int64_t) c->cfg->series_complete_trigger_s * 1000;
	int64_t now = loop_now_ms();
	int64_t next;
	series *s;

	while ((s = series_table_oldest(c->series)) != NULL &&
	       (s->forced || s->last_ms + quiet <= now)) {
		c->n_series_completed++;
		router_route_series(c, s);
	}
	next = complete_timed_series(c, quiet, now);
	if (s != NULL && s->last_ms + quiet < next)
		next = s->last_ms + quiet;
	if (c->series_timer_set) {
		loop_cancel_timer(c->l, c->series_timer);
		c->series_timer_set = false;
	}
	if (next != INT64_MAX &&
	    loop_add_timer(c->l, next > now ? next - now : 0, on_series_timer,
	        c, &c->series_timer) == MC_OK)
		c->series_timer_set = true;
}

static int64_t
on_series_timer(loop *l, void *arg)
{
	coord *c = arg;

	(void) l;
	c->series_timer_set = false;
	complete_due_series(c);
	return LOOP_TIMER_DONE;
}

static void
before_sleep(loop *l, void *arg)
{
	coord *c = arg;

	(void) l;
	complete_due_series(c);
	tasks_dispatch(c);
	bookkeeping_flush(c->bk);
}

static void
on_child_reaped(void *ctx, pid_t pid, int exit_code)
{
	http_loop_child_ended(ctx, pid, exit_code);
}

static void
reap_children(coord *c)
{
	sys_child_status st;
	pid_t            pid;

	while (sys_spawn_reap_any(&pid, &st))
		on_child_reaped(
		    c, pid, st.exited ? st.exit_code : 128 + st.signal);
}

static int64_t
on_slow_tick(loop *l, void *arg)
{
	coord *c = arg;

	(void) l;
	study_check(c);
	tasks_check_orphans(c);
	/* notification workers: reaped here unless the backend reaps every
	 * child itself (then it must see their exits, not us) */
	if (!(c->sched->caps & SCHED_CAP_REAPS_ALL_CHILDREN))
		reap_children(c);
	return COORD_TASK_POLL_MS;
}

static int64_t
on_reconcile(loop *l, void *arg)
{
	(void) l;
	reconcile_incoming(arg);
	return COORD_RECONCILE_INTERVAL_MS;
}

/* on_reconcile_once - one more scan soon after start: instance messages
 * sent while no coordinator listened are lost (the receiver's socket
 * reconnects, it does not replay), and their files should not wait for
 * the slow periodic scan */
static int64_t
on_reconcile_once(loop *l, void *arg)
{
	(void) l;
	reconcile_incoming(arg);
	return LOOP_TIMER_DONE;
}

/* file_mtime - a change stamp of path: modification time in
 * nanoseconds mixed with size and inode, so two edits within one second,
 * or an editor's rename-over, are both seen. */
static int64_t
file_mtime(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return 0;
	return ((int64_t) st.st_mtim.tv_sec * 1000000000 +
	           st.st_mtim.tv_nsec) ^
	       ((int64_t) st.st_size << 20) ^ (int64_t) st.st_ino;
}

/* apply_reload - the result of a reload: the new configuration in place,
 * or the running one kept. On the loop. */
static void
apply_reload(coord *c, config_reload *r)
{
	char line[768];

	for (size_t i = 0; i < r->n_diags && i < CONFIG_RELOAD_DIAGS; i++)
		log_warn("event=config.finding msg=\"%s\"",
		    config_diag_format(&r->diags[i], line, sizeof(line)));
	if (r->rv != MC_OK) {
		c->config_rejected++;
		log_error("event=config.reload_rejected file=%s reason=%s "
		          "msg=\"the running configuration stays in place\"",
		    c->config_path, r->why);
		coord_event(c, "config.rejected", NULL, NULL, NULL, NULL, NULL,
		    r->n_diags
		        ? config_diag_format(&r->diags[0], line, sizeof(line))
		        : mc_strerror(r->rv));
		return;
	}
	if (strcmp(r->cfg->storage_root, c->cfg->storage_root) != 0 ||
	    strcmp(r->cfg->coordinator_url, c->cfg->coordinator_url) != 0)
		log_warn("event=config.restart_needed msg=\"storage_root and "
		         "coordinator_url change only at restart\"");
	config_destroy(c->cfg);
	c->cfg = r->cfg;
	r->cfg = NULL;
	c->config_generation++;
	series_complete_replan(c);
	log_set_level(c->cfg->log_level);
	log_info("event=config.reloaded file=%s reason=%s rules=%zu "
	         "targets=%zu",
	    c->config_path, r->why, c->cfg->n_rules, c->cfg->n_targets);
	coord_event(
	    c, "config.reloaded", NULL, NULL, NULL, NULL, NULL, r->why);
}

static void reload_config(coord *c, const char *why);

/* on_reload_ready - until the loading thread is done; then apply, and
 * load again if a reload was asked for meanwhile. */
static int64_t
on_reload_ready(loop *l, void *arg)
{
	coord      *c = arg;
	const char *again = c->reload_again;

	(void) l;
	if (!config_reload_done(c->reload))
		return COORD_RELOAD_POLL_MS;
	apply_reload(c, c->reload);
	config_reload_free(c->reload);
	c->reload = NULL;
	c->reload_again = NULL;
	if (again != NULL)
		reload_config(c, again);
	return LOOP_TIMER_DONE;
}

/* reload_config - load the file off the loop (config_reload.h); the
 * result is applied on the loop when ready. One load at a time. */
static void
reload_config(coord *c, const char *why)
{
	config_reload *r;

	if (c->reload != NULL) {
		c->reload_again = why;
		return;
	}
	c->config_mtime = file_mtime(c->config_path);
	if (config_reload_start(c->config_path, why, &r) != MC_OK ||
	    loop_add_timer(c->l, COORD_RELOAD_POLL_MS, on_reload_ready, c,
	        NULL) != MC_OK) {
		config_reload_free(r);
		log_error("event=config.reload_failed file=%s reason=%s "
		          "msg=\"cannot start the loader\"",
		    c->config_path, why);
		return;
	}
	c->reload = r;
}

static int64_t
on_config_check(loop *l, void *arg)
{
	coord *c = arg;

	(void) l;
	if (c->config_path[0] && file_mtime(c->config_path) != c->config_mtime)
		reload_config(c, "changed");
	return COORD_CONFIG_CHECK_MS;
}

static mc_err
open_pull(coord *c)
{
	int fd, rv;

	if ((rv = nng_pull0_open(&c->pull)) != 0 ||
	    (rv = nng_socket_set_int(c->pull, NNG_OPT_RECVBUF, 8192)) != 0 ||
	    (rv = nng_listen(c->pull, c->cfg->coordinator_url, NULL, 0)) !=
	        0) {
		log_error("event=coordinator.listen_failed url=%s err=\"%s\"",
		    c->cfg->coordinator_url, nng_strerror(rv));
		return MC_ENET;
	}
	if ((rv = nng_socket_get_int(c->pull, NNG_OPT_RECVFD, &fd)) != 0)
		return MC_ENET;
	return loop_add_fd(c->l, fd, on_pull, c);
}

static mc_err
make_dirs(coord *c)
{
	static const char *const dirs[] = {DIR_INCOMING, DIR_TASKS,
	    DIR_SUCCESS, DIR_ERROR, DIR_DISCARD, DIR_STUDIES};
	char                     p[MC_PATH_MAX];
	mc_err                   rv;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if ((rv = coord_path(c, p, sizeof(p), dirs[i], NULL, NULL)) ||
		    (rv = sys_mkdir_p(p)))
			return rv;
	return MC_OK;
}

static mc_err
open_parts(coord *c)
{
	char       db[MC_PATH_MAX], err[256];
	sched_opts so = {
	    c->cfg, c->worker_path, tasks_on_done, c, on_child_reaped};
	const char *type = config_scheduler_type_str(c->cfg->scheduler.type);
	const sched_backend *b;
	mc_err               rv;

	if ((rv = make_dirs(c)) != MC_OK) {
		log_error("event=coordinator.storage_failed root=%s err=%s",
		    c->root, mc_strerror(rv));
		return rv;
	}
	if (c->o.db_path)
		snprintf(db, sizeof(db), "%s", c->o.db_path);
	else if ((rv = coord_path(c, db, sizeof(db), "mercure.sqlite", NULL,
	              NULL)) != MC_OK)
		return rv;
	if ((rv = bookkeeping_open(db, &c->bk, err, sizeof(err))) != MC_OK) {
		log_error(
		    "event=bookkeeping.open_failed db=%s msg=\"%s\"", db, err);
		return rv;
	}
	if ((rv = loop_create(&c->l)) ||
	    (rv = series_table_create(&c->series)))
		return rv;
	if ((b = sched_registry_find(type, err, sizeof(err))) == NULL) {
		log_error(
		    "event=scheduler.unknown type=%s msg=\"%s\"", type, err);
		return MC_ECONFIG;
	}
	if ((rv = sched_create(b, c->l, &so, &c->sched)) ||
	    (rv = open_pull(c)) || (rv = control_open(c)) ||
	    (rv = http_loop_open(c)))
		return rv;
	return MC_OK;
}

/* export_config_path - MERCURE_CONFIG for every worker this process
 * starts (tasks, notifications): the worker reads targets' secrets and
 * webhook URLs from the configuration file itself, so they never pass
 * through the storage root. Absolute, as a worker may change folder. */
static void
export_config_path(const char *path)
{
	char abs[MC_PATH_MAX];

	if (path[0] == '\0')
		return;
	if (realpath(path, abs) == NULL)
		snprintf(abs, sizeof(abs), "%s", path);
	if (setenv(CONFIG_PATH_ENV, abs, 1) != 0)
		log_warn("event=coordinator.setenv_failed name=%s",
		    CONFIG_PATH_ENV);
}

mc_err
coord_create(const coord_opts *o, mc_config *cfg, coord **out)
{
	coord *c = calloc(1, sizeof(*c));
	mc_err rv;

	*out = NULL;
	if (c == NULL)
		return MC_ENOMEM;
	c->o = *o;
	c->cfg = cfg;
	snprintf(c->config_path, sizeof(c->config_path), "%s",
	    o->config_path ? o->config_path : "");
	snprintf(c->worker_path, sizeof(c->worker_path), "%s", o->worker_path);
	snprintf(c->root, sizeof(c->root), "%s", cfg->storage_root);
	c->config_mtime = c->config_path[0] ? file_mtime(c->config_path) : 0;
	export_config_path(c->config_path);
	if ((rv = open_parts(c)) != MC_OK) {
		coord_destroy(c);
		return rv;
	}
	/* recovery: finish half-done routing first, so its folders are
	 * empty before the scan; then studies, then the task queue */
	router_recover_intents(c);
	study_recover(c);
	target_halt_load(c);
	reconcile_tasks(c);
	reconcile_incoming(c);
	coord_event(
	    c, "coordinator.started", NULL, NULL, NULL, NULL, NULL, NULL);
	bookkeeping_flush(c->bk);
	*out = c;
	return MC_OK;
}

void
coord_destroy(coord *c)
{
	task_entry    *t, *tt;
	study         *s, *ts;
	routed_series *r, *tr;

	if (c == NULL)
		return;
	http_loop_close(c);
	config_reload_free(c->reload);
	control_close(c);
	if (nng_socket_id(c->pull) > 0)
		nng_close(c->pull);
	sched_destroy(c->sched);
	HASH_ITER(hh, c->tasks, t, tt)
	{
		HASH_DEL(c->tasks, t);
		free(t);
	}
	HASH_ITER(hh, c->studies, s, ts)
	{
		HASH_DEL(c->studies, s);
		free(s);
	}
	HASH_ITER(hh, c->routed, r, tr)
	{
		HASH_DEL(c->routed, r);
		free(r);
	}
	target_halt_free(c);
	dispatch_gate_free(c);
	series_table_destroy(c->series);
	loop_destroy(c->l);
	bookkeeping_close(c->bk);
	config_destroy(c->cfg);
	free(c);
}

static int64_t
on_reload_poll(loop *l, void *arg)
{
	coord                 *c = ((void **) arg)[0];
	volatile sig_atomic_t *reload = ((void **) arg)[1];

	(void) l;
	if (*reload) {
		*reload = 0;
		reload_config(c, "SIGHUP");
	}
	return 200;
}

mc_err
coord_run(coord *c, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload)
{
	void  *reload_arg[2] = {c, (void *) reload};
	mc_err rv;

	loop_set_before_sleep(c->l, before_sleep, c);
	if ((rv = loop_add_timer(
	         c->l, COORD_TASK_POLL_MS, on_slow_tick, c, NULL)) ||
	    (rv = loop_add_timer(
	         c->l, COORD_RECONCILE_INTERVAL_MS, on_reconcile, c, NULL)) ||
	    (rv = loop_add_timer(c->l, COORD_RECONCILE_AFTER_START_MS,
	         on_reconcile_once, c, NULL)) ||
	    (rv = loop_add_timer(
	         c->l, COORD_CONFIG_CHECK_MS, on_config_check, c, NULL)) ||
	    (rv = loop_add_timer(
	         c->l, 200, on_reload_poll, reload_arg, NULL)) ||
	    (rv = loop_add_timer(
	         c->l, COORD_RETENTION_INTERVAL_MS, retention_timer, c, NULL)))
		return rv;
	log_info("event=coordinator.running url=%s root=%s scheduler=%s "
	         "open_series=%zu queued_tasks=%u",
	    c->cfg->coordinator_url, c->root, c->sched->name,
	    series_table_count(c->series), HASH_COUNT(c->tasks));
	rv = loop_run(c->l, stop);
	bookkeeping_flush(c->bk);
	log_info("event=coordinator.stopped messages=%llu bad_messages=%llu "
	         "open_series=%zu",
	    (unsigned long long) c->n_messages,
	    (unsigned long long) c->n_bad_messages,
	    series_table_count(c->series));
	return rv;
}

void
coord_reload_config(coord *c, const char *why)
{
	reload_config(c, why);
}
