/* http_metrics.h - the loop's counters for /metrics: samples keyed by
 * their full Prometheus name with labels ("mercure_rule_triggered_total
 * {rule=\"ct\"}"), each family with its help text and type, written in
 * the text format 0.0.4. Loop thread only. */
#ifndef MC_COORDINATOR_HTTP_METRICS_H
#define MC_COORDINATOR_HTTP_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "base/mc_err.h"

typedef struct http_metrics http_metrics;

MC_NODISCARD mc_err http_metrics_create(http_metrics **out);
void                http_metrics_destroy(http_metrics *m); /* NULL: no-op */

/* http_metrics_add - add n to the sample of family with labels (NULL or
 * "": none; label values escaped by http_metrics_label). A family's
 * first sample names its help and type ("counter", "gauge"). Out of
 * memory: the sample is dropped. */
void http_metrics_add(http_metrics *m, const char *family, const char *type,
    const char *help, const char *labels, double n);

/* http_metrics_label - key="value" with the value escaped as the text
 * format says (\\, \", \n) into buf. Returns buf. */
const char *http_metrics_label(
    char *buf, size_t len, const char *key, const char *value);

/* http_metrics_observe - one observation v into the histogram of family
 * with labels (NULL or "": none), whose n upper bounds (ascending, static:
 * the pointer is kept) a family's first observation names. Written as
 * family_bucket{...,le="B"} (cumulative), family_sum and family_count.
 * Out of memory: dropped. */
void http_metrics_observe(http_metrics *m, const char *family,
    const char *help, const char *labels, const double *bounds, size_t n,
    double v);

/* http_metrics_format - every sample, families in name order, into a
 * malloc'ed text. NULL: out of memory. */
char *http_metrics_format(const http_metrics *m);

#endif
