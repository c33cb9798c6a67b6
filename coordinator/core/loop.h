/* loop.h - the coordinator's one event loop, in the shape of redis ae.c:
 * file events (epoll), time events (a min-heap; a timer returns its next
 * delay or LOOP_TIMER_DONE) and a before-sleep hook for work batched once
 * per iteration. Single-threaded: only the loop thread calls these. */
#ifndef MC_COORDINATOR_LOOP_H
#define MC_COORDINATOR_LOOP_H

#include <signal.h>
#include <stdint.h>

#include "base/mc_err.h"

typedef struct loop loop;

typedef void (*loop_fd_fn)(loop *l, int fd, void *arg);
/* loop_timer_fn - returns the next delay in ms, or LOOP_TIMER_DONE. */
#define LOOP_TIMER_DONE (-1)
typedef int64_t (*loop_timer_fn)(loop *l, void *arg);
typedef void (*loop_hook_fn)(loop *l, void *arg);

MC_NODISCARD mc_err loop_create(loop **out);
void                loop_destroy(loop *l); /* NULL: no-op */

/* loop_add_fd - call fn when fd is readable (level-triggered). */
MC_NODISCARD mc_err loop_add_fd(loop *l, int fd, loop_fd_fn fn, void *arg);
void                loop_remove_fd(loop *l, int fd);

/* loop_add_timer - call fn after delay_ms; *id (may be NULL) names it for
 * loop_cancel_timer(). Ids are never reused. */
MC_NODISCARD mc_err loop_add_timer(
    loop *l, int64_t delay_ms, loop_timer_fn fn, void *arg, uint64_t *id);
/* loop_cancel_timer - unknown or fired ids are ignored. */
void loop_cancel_timer(loop *l, uint64_t id);

void loop_set_before_sleep(loop *l, loop_hook_fn fn, void *arg);

/* loop_run - until *stop is set or loop_stop() is called. Signals
 * interrupt the wait so *stop is seen promptly. */
MC_NODISCARD mc_err loop_run(loop *l, volatile sig_atomic_t *stop);
void                loop_stop(loop *l);

/* loop_now_ms - monotonic milliseconds (CLOCK_MONOTONIC). */
int64_t loop_now_ms(void);

#endif
