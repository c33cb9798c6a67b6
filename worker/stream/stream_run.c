/* stream_run.c - the loop of a stream task (stream_run.h): read the new
 * lines of stream.list (stream_list.c), give each new instance to every
 * streaming target, wait for the folder to change (stream_watch.c), and
 * stop at stream.end, when every target failed, or when nothing came for
 * idle_timeout_s. Then in/ is listed and each target is given what it
 * was not given yet: a torn or lost line of the list costs a delay,
 * never an instance.
 * Each instance is given once per run (the name set `given`); what a
 * target's sent/ log lists is counted as `already` and not sent. A
 * target that failed stays in the loop and records the later instances
 * as not sent, so its result counts every instance it did not deliver. */
#include "stream/stream_run.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "name_set.h"
#include "os/sys_files.h"
#include "os/sys_fs.h"
#include "stream/stream_list.h"
#include "stream/stream_watch.h"

#define STREAM_IN_DIR "in"

typedef struct stream_state {
	const stream_opts *o;
	stream_target     *t;
	size_t             n;
	char               in_dir[MC_PATH_MAX];
	name_set          *given; /* names given to the targets */
	mc_err             rv;    /* MC_ENOMEM from a callback */
} stream_state;

static const char *
task_of(const stream_state *st)
{
	return st->o->ctx->task_id;
}

/* the instance name (a file in in/) to every target, once */
static void
give(stream_state *st, const char *name)
{
	char path[MC_PATH_MAX];
	bool added = false;

	if (sys_path_fmt(path, sizeof(path), "%s/%s", st->in_dir, name) !=
	    MC_OK)
		return;
	if (name_set_add(st->given, name, strlen(name), &added) != MC_OK) {
		st->rv = MC_ENOMEM;
		return;
	}
	if (!added)
		return;
	for (size_t i = 0; i < st->n; i++) {
		stream_target *tg = &st->t[i];
		mc_err         rv;
		if (sent_log_has(tg->log, name)) {
			tg->already++;
			continue;
		}
		if (tg->s == NULL) {
			tg->not_given++;
			continue;
		}
		rv = tg->ops->stream_send(tg->s, path);
		log_debug("event=stream.instance task=%s target=%s file=%s "
		          "ok=%d",
		    task_of(st), tg->name, name, rv == MC_OK ? 1 : 0);
		if (rv != MC_OK && rv != MC_EPARSE && !tg->stopped) {
			tg->stopped = true;
			log_warn("event=stream.target_failed task=%s "
			         "target=%s file=%s err=%s",
			    task_of(st), tg->name, name, mc_strerror(rv));
		}
	}
}

/* a new line of stream.list */
static void
on_listed(void *arg, const char *name)
{
	stream_state *st = arg;
	char          path[MC_PATH_MAX], shown[STREAM_NAME_MAX_LEN + 1];

	if (sys_path_fmt(path, sizeof(path), "%s/%s", st->in_dir, name) !=
	        MC_OK ||
	    !sys_exists(path)) {
		/* a line for a link that is not there (a coordinator crash
		 * between the two): the listing at the end finds it */
		stream_name_for_log(name, strlen(name), shown, sizeof(shown));
		log_info("event=stream.missing task=%s file=\"%s\"",
		    task_of(st), shown);
		return;
	}
	give(st, name);
}

static bool
all_failed(const stream_state *st)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->t[i].s != NULL && !st->t[i].stopped)
			return false;
	return st->n > 0;
}

/* each target's log and stream; a target that cannot start is reported
 * failed at the end, with every instance not given */
static void
start_targets(stream_state *st)
{
	for (size_t i = 0; i < st->n; i++) {
		stream_target *tg = &st->t[i];
		char           err[TARGET_ERROR_MAX_LEN + 1];
		mc_err         rv;

		tg->ctx = *st->o->ctx;
		rv = sent_log_open(
		    tg->ctx.task_dir, tg->name, &tg->log, err, sizeof(err));
		if (rv == MC_OK) {
			tg->ctx.sent = tg->log;
			rv = tg->ops->stream_open(
			    tg->cfg, &tg->ctx, &tg->s, err, sizeof(err));
		}
		if (rv != MC_OK) {
			tg->s = NULL;
			tg->open_retryable = rv != MC_ECONFIG;
			snprintf(
			    tg->open_err, sizeof(tg->open_err), "%s", err);
			log_warn(
			    "event=stream.target_failed task=%s target=%s "
			    "err=%s msg=\"%s\"",
			    task_of(st), tg->name, mc_strerror(rv), err);
		}
	}
}

/* stream.end's instance count against in/, for the log only */
static void
log_end(const stream_state *st, const char *end_path)
{
	json_t *j = json_load_file(end_path, 0, NULL);
	json_t *n = json_object_get(j, "instances");

	log_info("event=stream.end task=%s instances=%lld given=%zu",
	    task_of(st),
	    json_is_integer(n) ? (long long) json_integer_value(n) : -1LL,
	    name_set_count(st->given));
	json_decref(j);
}

/* in/, sorted: the instances no line named to every target (when
 * give_them), else only counted as not sent */
static mc_err
sweep_in(stream_state *st, bool give_them, char *err, size_t errlen)
{
	char **names = NULL;
	size_t n = 0;
	mc_err rv = sys_files_list(st->in_dir, &names, &n, err, errlen);

	for (size_t i = 0; rv == MC_OK && i < n && st->rv == MC_OK; i++) {
		if (give_them) {
			give(st, names[i]);
			continue;
		}
		if (name_set_has(st->given, names[i]))
			continue;
		for (size_t k = 0; k < st->n; k++)
			if (!sent_log_has(st->t[k].log, names[i]))
				st->t[k].r.failed++;
	}
	sys_files_free(names, n);
	if (rv == MC_OK && st->rv != MC_OK) {
		rv = st->rv;
		mc_errf(err, errlen, "out of memory");
	}
	return rv;
}

/* release each target and set its outcome */
static void
finish_targets(stream_state *st, stream_outcome how, const char *why)
{
	for (size_t i = 0; i < st->n; i++) {
		stream_target *tg = &st->t[i];
		size_t         unlisted = tg->r.failed;

		memset(&tg->r, 0, sizeof(tg->r));
		if (tg->s != NULL) {
			tg->ok = tg->ops->stream_close(tg->s, &tg->r) == MC_OK;
			tg->s = NULL;
		} else {
			tg->ok = false;
			tg->r.failed = tg->not_given;
			target_result_fail(
			    &tg->r, tg->open_retryable, "%s", tg->open_err);
		}
		tg->r.failed += unlisted;
		if (how == STREAM_IDLE) {
			tg->ok = false;
			target_result_fail(&tg->r, true, "%s", why);
			tg->r.retryable = true;
		}
		if (tg->stopped && tg->r.error[0] == '\0')
			target_result_fail(&tg->r, true, "the stream failed");
		if (tg->ok && (tg->r.failed > 0 || tg->stopped))
			tg->ok = false;
		sent_log_destroy(tg->log);
		tg->log = NULL;
	}
}

static mc_err
loop(stream_state *st, stream_watch *w, stream_list *list,
    const char *end_path, stream_outcome *how, char *err, size_t errlen)
{
	int64_t last = sys_now_us();
	int64_t idle_us = (int64_t) st->o->idle_s * 1000000;

	for (;;) {
		size_t n_new = 0;
		mc_err rv =
		    stream_list_poll(list, on_listed, st, &n_new, err, errlen);
		if (rv == MC_ENOMEM || st->rv != MC_OK)
			return MC_ENOMEM;
		if (rv != MC_OK)
			log_warn("event=stream.list_unreadable task=%s "
			         "msg=\"%s\"",
			    task_of(st), err);
		if (n_new > 0)
			last = sys_now_us();
		if (all_failed(st) && !st->o->others) {
			*how = STREAM_ALL_FAILED;
			return MC_OK;
		}
		if (sys_exists(end_path)) {
			*how = STREAM_ENDED;
			return MC_OK;
		}
		if (sys_now_us() - last >= idle_us) {
			*how = STREAM_IDLE;
			return MC_OK;
		}
		stream_watch_wait(w);
	}
}

mc_err
stream_run(const stream_opts *o, stream_target *t, size_t n,
    stream_outcome *how, char *err, size_t errlen)
{
	stream_state  st = {.o = o, .t = t, .n = n};
	stream_watch *w = NULL;
	stream_list  *list = NULL;
	char          list_path[MC_PATH_MAX], end_path[MC_PATH_MAX];
	char          why[TARGET_ERROR_MAX_LEN + 1] = "";
	int64_t       t0 = sys_now_us();
	mc_err        rv;

	*how = STREAM_ENDED;
	if (sys_path_fmt(st.in_dir, sizeof(st.in_dir), "%s/%s",
	        o->ctx->task_dir, STREAM_IN_DIR) != MC_OK ||
	    sys_path_fmt(list_path, sizeof(list_path), "%s/%s",
	        o->ctx->task_dir, STREAM_LIST_NAME) != MC_OK ||
	    sys_path_fmt(end_path, sizeof(end_path), "%s/%s", o->ctx->task_dir,
	        STREAM_END_NAME) != MC_OK) {
		mc_errf(err, errlen, "task folder path too long");
		return MC_EINVAL;
	}
	if (name_set_create(&st.given) != MC_OK ||
	    stream_watch_open(o->ctx->task_dir, &w) != MC_OK ||
	    stream_list_create(list_path, o->ctx->task_id, &list) != MC_OK) {
		name_set_destroy(st.given);
		stream_watch_close(w);
		mc_errf(err, errlen, "out of memory");
		return MC_ENOMEM;
	}
	start_targets(&st);
	log_info("event=stream.start task=%s targets=%zu others=%d idle_s=%u",
	    o->ctx->task_id, n, o->others ? 1 : 0, o->idle_s);
	rv = loop(&st, w, list, end_path, how, err, errlen);
	if (rv == MC_OK && *how == STREAM_IDLE) {
		mc_errf(why, sizeof(why),
		    "stream: no instance and no end for %u s", o->idle_s);
		log_warn(
		    "event=stream.idle_timeout task=%s idle_s=%u given=%zu",
		    o->ctx->task_id, o->idle_s, name_set_count(st.given));
		/* what came but was not listed is not sent now: the retry
		 * sends it */
		(void) sweep_in(&st, false, err, errlen);
		mc_errf(err, errlen, "%s", why);
	} else if (rv == MC_OK) {
		if (*how == STREAM_ENDED)
			log_end(&st, end_path);
		else
			log_warn("event=stream.all_failed task=%s given=%zu",
			    o->ctx->task_id, name_set_count(st.given));
		rv = sweep_in(&st, true, err, errlen);
	} else {
		mc_errf(err, errlen, "out of memory");
	}
	finish_targets(&st, *how, why);
	log_info("event=stream.done task=%s how=%s instances=%zu ms=%.1f",
	    o->ctx->task_id,
	    *how == STREAM_ENDED        ? "end"
	    : *how == STREAM_ALL_FAILED ? "failed"
	                                : "idle",
	    name_set_count(st.given), (double) (sys_now_us() - t0) / 1000.0);
	stream_list_destroy(list);
	stream_watch_close(w);
	name_set_destroy(st.given);
	return rv;
}
