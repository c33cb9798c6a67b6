/* instance_filter.h - a rule's instance_filter applied to the instances
 * of a task before they are sent or processed: the ones for which the
 * expression is false move from in/ to filtered/ in the task folder
 * (kept, never deleted) and are listed in result.json. */
#ifndef MC_WORKER_INSTANCE_FILTER_H
#define MC_WORKER_INSTANCE_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "base/mc_err.h"

#define INSTANCE_FILTER_DIR "filtered"

typedef struct instance_filter_report {
	size_t kept;     /* instances left in in/ */
	char **filtered; /* names in filtered/ (this attempt and earlier) */
	size_t n_filtered;
} instance_filter_report;

/* instance_filter_apply - evaluate expr on each <task_dir>/in/ *.dcm's
 * tags (read from its header: mercure's tag list plus every tag the
 * expression names) and move those for which it is false to
 * <task_dir>/filtered/. A file whose tags cannot be read is kept (its
 * target or module reports it). On MC_OK rep is filled (free with
 * instance_filter_report_fini). Errors, with err: MC_ESYNTAX (expr does
 * not compile: not retryable), MC_EIO and others from the folder
 * (retryable). Files moved before an error stay moved: a retry
 * evaluates only what is left. */
MC_NODISCARD mc_err instance_filter_apply(const char *expr,
    const char *task_dir, instance_filter_report *rep, char *err,
    size_t errlen);

void instance_filter_report_fini(instance_filter_report *rep);

#endif
