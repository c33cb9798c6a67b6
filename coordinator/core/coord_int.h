/* coord_int.h - the coordinator's shared state, for the coordinator's
 * own files only. Everything here is touched by the loop thread alone. */
#ifndef MC_COORDINATOR_COORD_INT_H
#define MC_COORDINATOR_COORD_INT_H

#include <nng/nng.h>
#include <stdbool.h>
#include <stdint.h>
#include <uthash.h>

#include "bookkeeping/bookkeeping.h"
#include "config/config.h"
#include "core/config_reload.h"
#include "core/coord.h"
#include "core/loop.h"
#include "sched/scheduler.h"
#include "core/series_table.h"
#include "task/task_json.h"
#include "os/sys_fs.h"

struct route_intent;
struct intent_entry;
struct http_server;
struct halted;
struct http_metrics;
struct http_rates;
struct qr_child;
struct work_queue;
struct order_gate;

#define COORD_RECONCILE_INTERVAL_MS 30000
#define COORD_RECONCILE_AFTER_START_MS 3000
#define COORD_TASK_POLL_MS 1000
#define COORD_RETENTION_INTERVAL_MS 60000
#define COORD_STUDY_CHECK_MS 1000
#define COORD_CONFIG_CHECK_MS 2000
#define COORD_RELOAD_POLL_MS 20 /* a reload under way: is it done? */

/* the folders under the storage root */
#define DIR_INCOMING "incoming"
#define DIR_TASKS "tasks"
#define DIR_SUCCESS "success"
#define DIR_ERROR "error"
#define DIR_DISCARD "discard"
#define DIR_STUDIES "studies"
#define ROUTE_INTENT_FILE ".route.json"
#define TASK_TAGS_FILE "tags.json"

#define TASK_STATES(X)                                                        \
	X(QUEUED, "queued")                                                   \
	X(RUNNING, "running") X(WAITING, "waiting") X(ORPHANED, "orphaned")
#define TASK_ENUM(id, name) TASK_##id,
typedef enum { TASK_STATES(TASK_ENUM) } task_state;
#undef TASK_ENUM
const char *task_state_str(task_state s);

typedef struct task_entry {
	char           id[TASK_ID_MAX_LEN + 1];
	task_meta      meta;
	task_state     state;
	int64_t        not_before_ms; /* monotonic; retries wait */
	int64_t        enqueued_ms;
	UT_hash_handle hh;
} task_entry;

/* a study collection: the series of one study for one study-level rule */
typedef struct study {
	char           key[MC_UID_MAX_LEN + 130]; /* <StudyUID>#<rule> */
	char           study_uid[MC_UID_MAX_LEN + 1];
	char           rule[128];
	int64_t        created_us, last_us; /* wall clock, persisted */
	bool           forced;
	UT_hash_handle hh;
} study;

typedef struct routed_series {
	char           uid[MC_UID_MAX_LEN + 1];
	int64_t        when_us;
	UT_hash_handle hh;
} routed_series;

struct coord {
	routed_series *routed; /* recently routed series, for late images */
	coord_opts     o;
	char           config_path[MC_PATH_MAX];
	char           worker_path[MC_PATH_MAX];
	mc_config     *cfg;
	int64_t        config_mtime;
	config_reload *reload;       /* a load under way, or NULL */
	const char    *reload_again; /* asked for during it: the reason */
	loop          *l;
	series_table  *series;
	task_entry    *tasks;   /* uthash by id */
	study         *studies; /* uthash by key */
	sched         *sched;
	bookkeeping   *bk;
	nng_socket     pull; /* instance and result messages */
	nng_socket     ctl;  /* control requests (REP) */
	bool           ctl_open;
	char           root[MC_PATH_MAX];
	uint64_t       series_timer;
	bool           series_timer_set;
	uint64_t       n_messages, n_bad_messages;
	/* for the HTTP API and /metrics (http/http_loop.c) */
	uint64_t             n_instances, n_bytes, n_series_completed;
	uint64_t             config_generation; /* 1 at start, +1 a reload */
	uint64_t             config_rejected;   /* reloads that failed */
	struct http_metrics *metrics;
	struct http_rates   *rates;       /* per minute, the last hour */
	struct qr_child     *qr_children; /* http_loop_qr.c, by pid */
	struct work_queue   *http_q;      /* jobs from the HTTP threads */
	struct http_server  *http;        /* NULL: no http block */
	struct halted       *halted;      /* target_halt.c */
	struct order_gate   *gate;        /* dispatch_order.c */
};

/* coord_path - "<root>/<a>[/<b>[/<c>]]" into buf; NULL parts end it. */
MC_NODISCARD mc_err coord_path(const coord *c, char *buf, size_t len,
    const char *a, const char *b, const char *c3);

/* router.c */
void router_route_series(coord *c, series *s);
void router_recover_intents(coord *c);
/* router_resume_intent - carry out incoming/<uid>/.route.json, the
 * decision a killed coordinator or a failed step left; the series
 * folder is emptied once every step succeeded. Nothing without one. */
void   router_resume_intent(coord *c, const char *uid);
mc_err router_reroute(coord *c, const char *task_id, char *msg, size_t len);
/* router_remove_leftovers - remove the coordinator's own dead temp files
 * from a series folder (an intent's temp file, a routed journal) */
void router_remove_leftovers(const char *dir);
/* router_link_instances - hard-link the instances of ri from
 * incoming/<series>/ into dir as <series>#<sop>.dcm (mercure's names);
 * a missing source is skipped. */
mc_err router_link_instances(
    coord *c, const struct route_intent *ri, const char *dir);
/* router_build_task - build the task of intent entry e (its in/ gets
 * the instances ri lists) and move it to e->dest; MC_OK at once when
 * the task exists in any state. */
mc_err router_build_task(
    coord *c, const struct route_intent *ri, const struct intent_entry *e);
/* router_intent_head - ri's series, study, first arrival and tags (a
 * copy of the first instance's) from s. MC_ENOMEM. */
mc_err router_intent_head(struct route_intent *ri, const series *s);
/* router_add_task_entry - plan one task of rule r (NULL: "no rule")
 * into ri, leaving out targets already in taken (and adding its own);
 * stream_idle_s > 0 makes it a stream task (stream.h). */
mc_err router_add_task_entry(coord *c, struct route_intent *ri,
    const config_rule *r, const char *const *triggered, size_t n_trig,
    const char **taken, size_t *n_taken, unsigned stream_idle_s);
/* coord_task_exists - id is in tasks/, success/, error/ or discard/ */
bool coord_task_exists(const coord *c, const char *id);
/* coord_new_task_id - a new time-based UUID */
void coord_new_task_id(char out[TASK_ID_MAX_LEN + 1]);
/* reconcile.c */
void reconcile_incoming(coord *c);
void reconcile_tasks(coord *c);
void coord_add_instance(coord *c, mc_instance *in, bool from_scan);
/* tasks.c */
mc_err tasks_enqueue(coord *c, const char *id);
void   tasks_dispatch(coord *c);
void   tasks_on_done(void *ctx, const char *task_id, int exit_code);
void   tasks_check_orphans(coord *c);
mc_err tasks_retry_error(coord *c, const char *id, char *msg, size_t len);
/* study.c */
mc_err study_add_series(
    coord *c, const char *rname, const struct route_intent *ri);
void study_check(coord *c);
void study_recover(coord *c);
bool study_force(coord *c, const char *study_uid);
/* control.c */
/* coord_force_complete - force the open series or study uid (and the
 * study's open series) complete; info goes to the audit trail. False
 * with the reason in reply when there is nothing open by that UID. */
bool coord_force_complete(
    coord *c, const char *uid, const char *info, char *reply, size_t len);
mc_err control_open(coord *c);
void   control_close(coord *c);
/* target_halt.c: halted targets (their dispatch tasks wait) */
#define TARGET_HALT_NAME_MAX 128
bool target_halt_is(const coord *c, const char *name);
/* target_halt_set - halt or resume name; false when nothing changed */
bool target_halt_set(coord *c, const char *name, bool halt);
/* target_halt_blocks - t is a dispatch task to a halted target */
bool target_halt_blocks(const coord *c, const task_entry *t);
void target_halt_load(coord *c);
void target_halt_free(coord *c);
/* retention.c */
int64_t retention_timer(loop *l, void *arg);
/* coord_reload_config - load the configuration file again, as on SIGHUP:
 * read off the loop, applied on it when ready (config_generation grows,
 * or config_rejected when the file is refused). coord.c */
void coord_reload_config(coord *c, const char *why);
/* bookkeeping shortcuts */
void coord_event(coord *c, const char *event, const char *series_uid,
    const char *study_uid, const char *task, const char *rule_name,
    const char *target, const char *info);

#endif
