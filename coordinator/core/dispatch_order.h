/* dispatch_order.h - when a queued dispatch task may start beyond the
 * scheduler's capacity: the series of one study to one target in order
 * (study_dispatch_order, docs/rules.md) and a target's limit of tasks
 * running at once (max_concurrent_tasks, docs/targets.md). What the
 * order needs survives a restart in each task folder's order.json.
 * Loop thread only. */
#ifndef MC_COORDINATOR_DISPATCH_ORDER_H
#define MC_COORDINATOR_DISPATCH_ORDER_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"

struct coord;
struct task_entry;
struct route_intent;

#define DISPATCH_ORDER_FILE "order.json"

/* order_key - where one series of a study stands */
typedef struct order_key {
	const char *series;     /* SeriesInstanceUID */
	bool        has_number; /* SeriesNumber was an integer */
	long long   number;
	int64_t     first_us; /* its first instance's arrival, wall clock */
	const char *id;       /* the task id; "" for an open series */
} order_key;

/* order_key_cmp - < 0 when a goes before b under mode: arrival compares
 * first_us; series_number compares the numbers (a series without one
 * after every numbered one), then first_us. Then the series UID and the
 * task id, so that two keys are equal only for the same task. */
int order_key_cmp(
    config_dispatch_order mode, const order_key *a, const order_key *b);

/* order_series_number - text (SeriesNumber, an IS: blanks around an
 * optional sign and digits) as a number; false when it is none. */
bool order_series_number(const char *text, long long *out);

/* order_mode - the rule's study_dispatch_order, else the global one;
 * r NULL: the global one. Never CONFIG_ORDER_INHERIT. */
config_dispatch_order order_mode(const mc_config *cfg, const config_rule *r);
/* order_timeout_s - the rule's study_dispatch_order_timeout, else the
 * global one. */
uint32_t order_timeout_s(const mc_config *cfg, const config_rule *r);

/* dispatch_order_write - <dir>/order.json for a task of ri, written
 * (synced) into its private build folder dir. */
MC_NODISCARD mc_err dispatch_order_write(
    const struct route_intent *ri, const char *dir);

/* dispatch_gate_blocks - t (queued) must wait: a target of its has
 * max_concurrent_tasks tasks running, or an earlier series of its study
 * to one of its targets is not yet delivered and t's bound has not
 * passed. Logs the first wait and a release by the bound (with an audit
 * event). */
bool dispatch_gate_blocks(struct coord *c, struct task_entry *t);

/* dispatch_gate_leave - t leaves tasks/ for dest (success, error,
 * discard): forget it; a series that failed (error) keeps holding the
 * later ones until their bound. */
void dispatch_gate_leave(
    struct coord *c, const struct task_entry *t, const char *dest);

void dispatch_gate_free(struct coord *c);

#endif
