/* tasks.c - the queue of tasks in tasks/: which runs next (urgent before
 * normal, off-peak only in its window, first come first served within a
 * class), what a finished worker's result.json means (success/, a retry
 * with exponential back-off for the targets that failed, or error/), and
 * workers left running by a coordinator that was killed. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "core/tasks_int.h"

#include "core/coord_int.h"
#include "base/log.h"
#include "core/dispatch_order.h"
#include "core/notify_request.h"
#include "http/http_stats.h"
#include "sched/sched_local.h"
#include "os/sys_fs.h"
#include "tags/uid.h"

#define OUTCOME_ERROR_MAX 512
#define OUTCOME_DETAIL_MAX 1024

/* outcome - what decides the fate of a finished attempt: its result.json,
 * or only the worker's exit status when there is no usable one; error
 * for logs and events, detail for the error notification */
typedef struct outcome {
	task_result r; /* zeroed without a usable result.json */
	char        error[OUTCOME_ERROR_MAX];
	char        detail[OUTCOME_DETAIL_MAX]; /* error and the first
	                                         * failed target's own */
} outcome;

#define TASK_STATE_TEXT(id, name) name,
static const char *const task_state_names[] = {TASK_STATES(TASK_STATE_TEXT)};

const char *
task_state_str(task_state s)
{
	return (unsigned) s < sizeof(task_state_names) / sizeof(char *)
	           ? task_state_names[s]
	           : "unknown";
}

static mc_err
task_dir(const coord *c, const char *id, char *buf, size_t len)
{
	return coord_path(c, buf, len, DIR_TASKS, id, NULL);
}

mc_err
tasks_enqueue(coord *c, const char *id)
{
	char        dir[MC_PATH_MAX], path[MC_PATH_MAX], err[256];
	task_entry *t = NULL;
	int64_t     now_s = (int64_t) time(NULL);
	mc_err      rv;

	HASH_FIND_STR(c->tasks, id, t);
	if (t != NULL)
		return MC_OK;
	/* every id in the table is one we made: a folder of another name
	 * in tasks/ is left for the operator, never run */
	if (!task_id_is_valid(id)) {
		log_warn("event=task.bad_id dir=tasks msg=\"folder name is "
		         "not a task id\"");
		return MC_EINVAL;
	}
	if ((rv = task_dir(c, id, dir, sizeof(dir))) != MC_OK ||
	    (rv = sys_path_fmt(
	         path, sizeof(path), "%s/%s", dir, TASK_JSON_NAME)) != MC_OK)
		return rv;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return MC_ENOMEM;
	if ((rv = task_json_read_meta(path, &t->meta, err, sizeof(err))) !=
	    MC_OK) {
		log_error("event=task.unreadable task=%s msg=\"%s\"", id, err);
		free(t);
		return rv;
	}
	snprintf(t->id, sizeof(t->id), "%s", id);
	t->state = TASK_QUEUED;
	t->enqueued_ms = loop_now_ms();
	t->not_before_ms = t->enqueued_ms;
	if (t->meta.next_retry_unix_s > now_s)
		t->not_before_ms += (t->meta.next_retry_unix_s - now_s) * 1000;
	HASH_ADD_STR(c->tasks, id, t);
	return MC_OK;
}

bool
tasks_offpeak_at(const mc_config *cfg, unsigned m)
{
	unsigned a = cfg->offpeak_start_min, b = cfg->offpeak_end_min;

	return a <= b ? (m >= a && m < b) : (m >= a || m < b);
}

static bool
in_offpeak(const mc_config *cfg)
{
	time_t    now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	return tasks_offpeak_at(cfg, (unsigned) (tm.tm_hour * 60 + tm.tm_min));
}

static sched_kind
kind_of(const task_entry *t)
{
	return strcmp(t->meta.kind, "dispatch") == 0 ? SCHED_KIND_DISPATCH
	                                             : SCHED_KIND_PROCESS;
}

task_entry *
tasks_pick(coord *c, int64_t now, bool offpeak)
{
	task_entry *t, *tmp, *best = NULL;
	int         best_class = 3;

	HASH_ITER(hh, c->tasks, t, tmp)
	{
		int cls;
		if (t->state != TASK_QUEUED || t->not_before_ms > now)
			continue;
		if (t->meta.priority == CONFIG_PRIORITY_OFFPEAK && !offpeak)
			continue;
		if (!c->sched->ops->has_capacity(c->sched, kind_of(t)) ||
		    target_halt_blocks(c, t) || dispatch_gate_blocks(c, t))
			continue;
		cls = t->meta.priority == CONFIG_PRIORITY_URGENT   ? 0
		      : t->meta.priority == CONFIG_PRIORITY_NORMAL ? 1
		                                                   : 2;
		if (best == NULL || cls < best_class ||
		    (cls == best_class &&
		        t->enqueued_ms < best->enqueued_ms)) {
			best = t;
			best_class = cls;
		}
	}
	return best;
}

void
tasks_dispatch(coord *c)
{
	int64_t     now = loop_now_ms();
	bool        offpeak = in_offpeak(c->cfg);
	task_entry *t;
	char        dir[MC_PATH_MAX];

	while ((t = tasks_pick(c, now, offpeak)) != NULL) {
		mc_err rv;
		if (task_dir(c, t->id, dir, sizeof(dir)) != MC_OK)
			return;
		rv = c->sched->ops->submit(c->sched, t->id, kind_of(t), dir);
		if (rv == MC_EAGAIN) {
			t->state = TASK_ORPHANED;
			continue;
		}
		if (rv != MC_OK) {
			/* try again in a while rather than spin */
			t->not_before_ms = now + COORD_TASK_POLL_MS * 5;
			continue;
		}
		t->state = TASK_RUNNING;
		coord_event(c, "task.started", NULL, NULL, t->id, t->meta.rule,
		    NULL, t->meta.kind);
	}
}

/* move_task - rename tasks/<id> to <dest>/<id> (a suffixed name if that
 * exists, as mercure does); forgets the queue entry. */
static void
move_task(coord *c, task_entry *t, const char *dest)
{
	char src[MC_PATH_MAX], dst[MC_PATH_MAX], alt[128];

	if (task_dir(c, t->id, src, sizeof(src)) == MC_OK &&
	    coord_path(c, dst, sizeof(dst), dest, t->id, NULL) == MC_OK) {
		if (sys_exists(dst)) {
			snprintf(alt, sizeof(alt), "%s_%lld", t->id,
			    (long long) time(NULL));
			(void) !coord_path(
			    c, dst, sizeof(dst), dest, alt, NULL);
		}
		if (rename(src, dst) != 0)
			log_error("event=task.move_failed task=%s dest=%s "
			          "err=\"%s\"",
			    t->id, dest, strerror(errno));
	}
	dispatch_gate_leave(c, t, dest);
	HASH_DEL(c->tasks, t);
	free(t);
}

/* move_task_keep - move_task, then the rule's notification for the
 * outcome (the rule name and id are copied first: move_task frees t) */
static void
move_task_keep(coord *c, task_entry *t, const char *dest, const outcome *o)
{
	char id[TASK_ID_MAX_LEN + 1], rule_name[128];

	snprintf(id, sizeof(id), "%s", t->id);
	snprintf(rule_name, sizeof(rule_name), "%s", t->meta.rule);
	move_task(c, t, dest);
	if (o->r.ok)
		notify_completion(
		    c, rule_name, id, o->r.notify_text, o->r.notify_requested);
	else
		notify_fire(c, NOTIFY_ERROR, rule_name, id, NULL, o->detail);
}

static int64_t
backoff_s(const mc_config *cfg, unsigned retries)
{
	double d = (double) cfg->retry_delay_s *
	           pow(cfg->retry_multiplier > 0 ? cfg->retry_multiplier : 1.0,
	               (double) (retries > 0 ? retries - 1 : 0));
	if (cfg->retry_max_delay_s > 0 && d > (double) cfg->retry_max_delay_s)
		d = (double) cfg->retry_max_delay_s;
	return (int64_t) d;
}

/* keep_result - the finished attempt's result.json becomes
 * result.<attempt>.json (task/result_json.h) */
static void
keep_result(const char *dir, unsigned attempt)
{
	if (task_result_archive(dir, attempt) != MC_OK)
		log_warn("event=task.result_archive_failed dir=%s", dir);
}

static void
fail_or_retry(coord *c, task_entry *t, const outcome *o, const char *dir)
{
	const task_result *r = &o->r;
	char               path[MC_PATH_MAX];
	unsigned           retries = t->meta.retries + 1;
	int64_t            delay, now_s = (int64_t) time(NULL);
	char               info[640];

	(void) !sys_path_fmt(path, sizeof(path), "%s/%s", dir, TASK_JSON_NAME);
	if (r->retryable && retries < c->cfg->retry_max) {
		delay = backoff_s(c->cfg, retries);
		keep_result(dir, t->meta.attempt);
		if (task_json_prepare_retry(path, r, retries, now_s + delay) !=
		    MC_OK)
			log_warn(
			    "event=task.retry_persist_failed task=%s", t->id);
		t->meta.retries = retries;
		t->meta.attempt = retries + 1;
		t->state = TASK_QUEUED;
		t->not_before_ms = loop_now_ms() + delay * 1000;
		snprintf(info, sizeof(info), "retry %u of %u in %llds: %s",
		    retries, c->cfg->retry_max - 1, (long long) delay,
		    o->error);
		log_warn("event=task.retry task=%s try=%u delay_s=%lld "
		         "msg=\"%s\"",
		    t->id, retries, (long long) delay, o->error);
		coord_event(c, "task.retry", NULL, NULL, t->id, t->meta.rule,
		    NULL, info);
		return;
	}
	(void) !task_json_set_fail_stage(path, "DISPATCHING");
	log_error("event=task.failed task=%s tries=%u retryable=%s msg=\"%s\"",
	    t->id, retries, r->retryable ? "yes" : "no", o->error);
	coord_event(
	    c, "task.error", NULL, NULL, t->id, t->meta.rule, NULL, o->error);
	move_task_keep(c, t, DIR_ERROR, o);
}

/* summarize - o's error and detail: result.json's error, else the first
 * failed target's; detail adds that target's own error */
static void
summarize(outcome *o)
{
	const task_result *r = &o->r;

	snprintf(o->error, sizeof(o->error), "%s", r->error);
	for (size_t i = 0; i < r->n_targets; i++) {
		const task_target_report *tr = &r->targets[i];
		if (tr->ok || tr->error[0] == '\0')
			continue;
		if (o->error[0] == '\0')
			snprintf(o->error, sizeof(o->error), "%s: %s",
			    tr->name, tr->error);
		if (o->detail[0] == '\0')
			snprintf(o->detail, sizeof(o->detail), "%s (%s: %s)",
			    o->error, tr->name, tr->error);
	}
	if (o->detail[0] == '\0')
		snprintf(o->detail, sizeof(o->detail), "%s", o->error);
}

/* record_instances - this attempt's outcome of each instance, per
 * target, into the audit trail (--history <SOPInstanceUID>) */
static void
record_instances(coord *c, const task_entry *t, const task_result *r)
{
	for (size_t k = 0; k < r->n_targets; k++) {
		const task_target_report *tr = &r->targets[k];
		for (size_t i = 0; i < tr->n_instances; i++) {
			task_instance_report ir;
			if (!task_target_instance(tr, i, &ir))
				continue;
			bk_instance bi = {t->id, tr->name, ir.sop, ir.file,
			    t->meta.attempt, ir.status, ir.ok};
			bookkeeping_instance(c->bk, &bi);
		}
	}
}

static void
finish_task(coord *c, task_entry *t, int exit_code)
{
	char    dir[MC_PATH_MAX], path[MC_PATH_MAX], err[256];
	outcome o;

	memset(&o, 0, sizeof(o));
	if (task_dir(c, t->id, dir, sizeof(dir)) != MC_OK ||
	    sys_path_fmt(path, sizeof(path), "%s/%s", dir, TASK_RESULT_NAME) !=
	        MC_OK)
		return;
	if (task_result_read(path, &o.r, err, sizeof(err)) == MC_OK) {
		summarize(&o);
		record_instances(c, t, &o.r);
		http_stats_note_attempt(c, t, &o.r);
	} else {
		http_stats_note_attempt(c, t, NULL);
		o.r.retryable = exit_code != 2;
		snprintf(o.error, sizeof(o.error),
		    "worker exited with status %d and no usable result.json",
		    exit_code);
		snprintf(o.detail, sizeof(o.detail), "%s", o.error);
	}
	if (o.r.tags_set != NULL && o.r.tags_set[0] != '\0')
		coord_event(c, "task.tags_set", NULL, NULL, t->id,
		    t->meta.rule, NULL, o.r.tags_set);
	if (o.r.ok) {
		if (sys_path_fmt(path, sizeof(path), "%s/%s", dir,
		        TASK_JSON_NAME) != MC_OK ||
		    task_json_record_result(path, &o.r) != MC_OK)
			log_warn(
			    "event=task.status_persist_failed task=%s", t->id);
		log_info("event=task.success task=%s rule=%s tries=%u", t->id,
		    t->meta.rule, t->meta.attempt);
		coord_event(c, "task.success", NULL, NULL, t->id, t->meta.rule,
		    NULL, NULL);
		move_task_keep(c, t, DIR_SUCCESS, &o);
	} else {
		fail_or_retry(c, t, &o, dir);
	}
	task_result_fini(&o.r);
}

void
tasks_on_done(void *ctx, const char *task_id, int exit_code)
{
	coord      *c = ctx;
	task_entry *t = NULL;

	/* from a worker's message or a scheduler: never trusted as a name */
	if (!task_id_is_valid(task_id)) {
		log_warn("event=task.bad_id_done");
		return;
	}
	HASH_FIND_STR(c->tasks, task_id, t);
	if (t == NULL) {
		log_warn("event=task.unknown_done task=%s", task_id);
		return;
	}
	finish_task(c, t, exit_code);
}

/* lock_is_free - no worker holds tasks/<id>/.lock any more */
static bool
lock_is_free(const char *dir)
{
	char path[MC_PATH_MAX];
	int  fd;
	bool free_ = true;

	if (sys_path_fmt(path, sizeof(path), "%s/%s", dir, TASK_LOCK_FILE) !=
	        MC_OK ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return true;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0)
		free_ = false;
	close(fd);
	return free_;
}

void
tasks_check_orphans(coord *c)
{
	task_entry *t, *tmp;
	char        dir[MC_PATH_MAX], res[MC_PATH_MAX];

	HASH_ITER(hh, c->tasks, t, tmp)
	{
		if (t->state != TASK_ORPHANED ||
		    task_dir(c, t->id, dir, sizeof(dir)) != MC_OK ||
		    !lock_is_free(dir))
			continue;
		(void) !sys_path_fmt(
		    res, sizeof(res), "%s/%s", dir, TASK_RESULT_NAME);
		if (sys_exists(res)) {
			log_info("event=task.orphan_finished task=%s", t->id);
			finish_task(c, t, 0);
		} else {
			t->state = TASK_QUEUED;
		}
	}
}

mc_err
tasks_retry_error(coord *c, const char *id, char *msg, size_t len)
{
	char   src[MC_PATH_MAX], dst[MC_PATH_MAX], path[MC_PATH_MAX];
	mc_err rv;

	if (!task_id_is_valid(id)) {
		snprintf(msg, len, "not a valid task id (a UUID)");
		return MC_EINVAL;
	}
	if ((rv = coord_path(c, src, sizeof(src), DIR_ERROR, id, NULL)) ||
	    (rv = coord_path(c, dst, sizeof(dst), DIR_TASKS, id, NULL)))
		return rv;
	if (!sys_exists(src)) {
		snprintf(msg, len, "no task %s in error/", id);
		return MC_ENOENT;
	}
	(void) !sys_path_fmt(path, sizeof(path), "%s/%s", src, TASK_JSON_NAME);
	if ((rv = task_json_reset_for_retry(path)) != MC_OK) {
		snprintf(
		    msg, len, "cannot reset task.json: %s", mc_strerror(rv));
		return rv;
	}
	keep_result(src, 0);
	if (rename(src, dst) != 0) {
		snprintf(msg, len, "cannot move: %s", strerror(errno));
		return mc_from_errno(errno);
	}
	if ((rv = tasks_enqueue(c, id)) != MC_OK) {
		snprintf(msg, len, "queued on disk, not in memory: %s",
		    mc_strerror(rv));
		return rv;
	}
	coord_event(c, "task.requeued", NULL, NULL, id, NULL, NULL, "--retry");
	snprintf(msg, len, "task %s queued again", id);
	return MC_OK;
}
