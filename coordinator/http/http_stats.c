/* http_stats.c - the counters of http_stats.h. Label values come only
 * from the configuration (targets) or from a fixed list (reasons), so a
 * peer or a stray result.json cannot make the scrape grow. */
#include "http/http_stats.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "core/coord_int.h"
#include "http/http_rates.h"
#include "msg/msg_codec.h"
#include "sched/nomad/sched_nomad.h"

/* a dispatch: from a fraction of a second (one small series nearby) to
 * minutes (a large study over a slow link) */
static const double dispatch_bounds[] = {
    0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800};
/* series complete to task done: queueing, retries and back-off included */
static const double latency_bounds[] = {
    1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static int64_t
now_s(void)
{
	return sys_now_us() / 1000000;
}

void
http_stats_note_instance(coord *c)
{
	if (c->rates != NULL)
		http_rates_add(c->rates, HTTP_RATE_RECEIVED, now_s(), 1);
}

void
http_stats_note_reject(coord *c, const char *reason)
{
	static const char *const known[] = {MSG_REJECT_NOT_STORED,
	    MSG_REJECT_INVALID, MSG_REJECT_SOP_MISMATCH, MSG_REJECT_DISK_FULL,
	    NULL};
	const char              *word = MSG_REJECT_OTHER;
	char                     lab[64];

	for (size_t i = 0; known[i] != NULL; i++)
		if (strcmp(reason, known[i]) == 0)
			word = known[i];
	if (c->metrics != NULL)
		http_metrics_add(c->metrics, "mercure_receive_rejected_total",
		    "counter",
		    "Instances the receivers refused since the start, by "
		    "reason.",
		    http_metrics_label(lab, sizeof(lab), "reason", word), 1);
	if (c->rates != NULL)
		http_rates_add(c->rates, HTTP_RATE_ERRORS, now_s(), 1);
}

static void
add_dispatched(coord *c, const char *target, double sent, double failed)
{
	char l1[256], l2[64], lab[384];

	http_metrics_label(l1, sizeof(l1), "target", target);
	snprintf(lab, sizeof(lab), "%s,%s", l1,
	    http_metrics_label(l2, sizeof(l2), "result", "success"));
	http_metrics_add(c->metrics, "mercure_dispatched_instances_total",
	    "counter",
	    "Instances a dispatch sent (success) or could not send (error), by target.",
	    lab, sent);
	snprintf(lab, sizeof(lab), "%s,%s", l1,
	    http_metrics_label(l2, sizeof(l2), "result", "error"));
	http_metrics_add(c->metrics, "mercure_dispatched_instances_total",
	    "counter",
	    "Instances a dispatch sent (success) or could not send (error), by target.",
	    lab, failed);
}

void
http_stats_note_attempt(coord *c, const task_entry *t, const task_result *r)
{
	uint64_t sent = 0;
	char     lab[256], info[96];

	if (c->metrics == NULL)
		return;
	if (r == NULL || !r->ok) {
		if (c->rates != NULL)
			http_rates_add(c->rates, HTTP_RATE_ERRORS, now_s(), 1);
	}
	/* a processing task that dispatches its output has targets too */
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_targets; i++) {
		const task_target_report *tr = &r->targets[i];
		if (tr->name == NULL ||
		    config_find_target(c->cfg, tr->name) == NULL)
			continue;
		add_dispatched(
		    c, tr->name, (double) tr->sent, (double) tr->failed);
		sent += tr->sent;
		if (r->started_us > 0 && r->finished_us >= r->started_us)
			http_metrics_observe(c->metrics,
			    "mercure_dispatch_seconds",
			    "Time of a task's attempt that dispatched, by "
			    "target.",
			    http_metrics_label(
			        lab, sizeof(lab), "target", tr->name),
			    dispatch_bounds, N_OF(dispatch_bounds),
			    (double) (r->finished_us - r->started_us) / 1e6);
		snprintf(info, sizeof(info), "sent=%zu failed=%zu", tr->sent,
		    tr->failed);
		coord_event(c, "task.dispatched", NULL, NULL, t->id,
		    t->meta.rule, tr->name, info);
	}
	if (c->rates != NULL && sent > 0)
		http_rates_add(c->rates, HTTP_RATE_DISPATCHED, now_s(), sent);
}

void
http_stats_note_done(coord *c, const task_entry *t)
{
	double s = (double) (loop_now_ms() - t->enqueued_ms) / 1000.0;

	if (c->metrics != NULL)
		http_metrics_observe(c->metrics,
		    "mercure_task_latency_seconds",
		    "Time from a series' completion (the task queued) to its "
		    "task's success or failure.",
		    NULL, latency_bounds, N_OF(latency_bounds), s < 0 ? 0 : s);
}

void
http_stats_gauges(coord *c, http_metrics *g)
{
	if (c->sched == NULL || c->sched->ops != &sched_nomad_ops)
		return;
	http_metrics_add(g, "mercure_nomad_up", "gauge",
	    "1 when the Nomad scheduler's jobs are registered and Nomad "
	    "answers.",
	    NULL, sched_nomad_up(c->sched) ? 1 : 0);
}

static void
on_dispatch_total(void *ctx, const char *target, int64_t sent, int64_t failed)
{
	coord *c = ctx;

	if (target != NULL && config_find_target(c->cfg, target) != NULL)
		add_dispatched(c, target, (double) sent, (double) failed);
}

void
http_stats_restore(coord *c)
{
	if (bookkeeping_dispatch_totals(c->bk, on_dispatch_total, c) != MC_OK)
		log_warn("event=http.metrics_restore_failed what=dispatched "
		         "msg=\"the dispatch counters start at zero\"");
}

static json_t *
series_json(const http_rates *r, http_rate which, int64_t now, int64_t *end)
{
	uint64_t v[HTTP_RATES_SLOTS];
	json_t  *a = json_array();

	*end = http_rates_series(r, which, now, v);
	for (size_t i = 0; a != NULL && i < HTTP_RATES_SLOTS; i++)
		json_array_append_new(a, json_integer((json_int_t) v[i]));
	return a;
}

void
http_stats_rates(coord *c, http_job *j)
{
	static const http_rates none;
	const http_rates       *r = c->rates ? c->rates : &none;
	int64_t                 now = now_s(), end = 0;
	json_t *rx = series_json(r, HTTP_RATE_RECEIVED, now, &end);
	json_t *tx = series_json(r, HTTP_RATE_DISPATCHED, now, &end);
	json_t *er = series_json(r, HTTP_RATE_ERRORS, now, &end);
	json_t *o = json_pack("{s:i,s:I,s:o,s:o,s:o}", "interval_seconds",
	    HTTP_RATES_INTERVAL_S, "end", (json_int_t) end,
	    "received_instances", rx, "dispatched_instances", tx, "errors",
	    er);
	char   *text = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	http_job_answer(j, text ? 200 : 500, NULL,
	    text ? text : "{\"error\":\"out of memory\"}");
	free(text);
}
