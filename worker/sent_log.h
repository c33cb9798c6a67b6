/* sent_log.h - a target's acknowledged instances: <task_dir>/sent/
 * <target>.log, one file name a line, appended after each C-STORE the
 * peer answered with a success or warning status (dicom and dicomtls, in
 * series and stream mode). Every run of the task skips what the log
 * lists for that target and counts it as delivered, so a retry, or a
 * run after the worker was killed, sends only what was not acknowledged.
 * No fsync per line: the page cache outlives a kill -9 of the worker;
 * after a machine crash the lost tail is sent once more (docs/tasks.md). */
#ifndef MC_WORKER_SENT_LOG_H
#define MC_WORKER_SENT_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "base/mc_err.h"

#define SENT_LOG_DIR "sent"

typedef struct sent_log sent_log;

/* sent_log_file_name - "<target>.log", the target's name kept as it is
 * when it is 1..200 characters of A-Z a-z 0-9 _ - . not starting with
 * '.', else with every other byte (and a leading '.') as %XX, so any
 * configured name gives one safe file name. MC_EINVAL when buf is too
 * small. */
MC_NODISCARD mc_err sent_log_file_name(
    const char *target, char *buf, size_t len);

/* sent_log_open - read the log of target in task_dir (none yet: empty)
 * and make sent/ for the lines to come. A torn last line (a crash in
 * the middle of a write) is ignored and ended, so the next line stands
 * alone. On MC_OK *out is new; else err says why. */
MC_NODISCARD mc_err sent_log_open(const char *task_dir, const char *target,
    sent_log **out, char *err, size_t errlen);
void                sent_log_destroy(sent_log *l); /* NULL: no-op */

/* sent_log_has - the log listed name when it was opened. */
bool sent_log_has(const sent_log *l, const char *name);
/* sent_log_count - the names it listed when it was opened. */
size_t sent_log_count(const sent_log *l);
/* sent_log_unsent - the paths[0..n) whose file name (the last part)
 * the log does not list, in their order: *out is a new array (free()) of
 * borrowed pointers, *n_out of them. MC_ENOMEM. */
MC_NODISCARD mc_err sent_log_unsent(const sent_log *l,
    const char *const *paths, size_t n, const char ***out, size_t *n_out);
/* sent_log_add - append "name\n" with one write(2) (O_APPEND), so lanes
 * in several threads may call it at once; what sent_log_has answers is
 * not changed. */
MC_NODISCARD mc_err sent_log_add(sent_log *l, const char *name);

#endif
