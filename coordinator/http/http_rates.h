/* http_rates.h - per-minute counts of the last hour for the dashboard's
 * chart (GET /api/v1/rates): a ring of HTTP_RATES_SLOTS slots, one per
 * minute of wall-clock time, each holding the counts of its minute. A
 * slot is reused when its minute comes round again an hour later, so
 * memory is fixed and a quiet hour costs nothing. Loop thread only. */
#ifndef MC_COORDINATOR_HTTP_RATES_H
#define MC_COORDINATOR_HTTP_RATES_H

#include <stdint.h>

#define HTTP_RATES_SLOTS 60
#define HTTP_RATES_INTERVAL_S 60

typedef enum {
	HTTP_RATE_RECEIVED,   /* instances received */
	HTTP_RATE_DISPATCHED, /* instances a dispatch delivered */
	HTTP_RATE_ERRORS,     /* failed attempts, rejected instances */
	HTTP_RATE_N
} http_rate;

typedef struct http_rates {
	int64_t  minute[HTTP_RATES_SLOTS]; /* unix minute of the slot */
	uint64_t n[HTTP_RATES_SLOTS][HTTP_RATE_N];
} http_rates;

/* http_rates_add - count n events of which at unix time now_s */
void http_rates_add(http_rates *r, http_rate which, int64_t now_s, uint64_t n);

/* http_rates_series - the counts of which for the HTTP_RATES_SLOTS
 * minutes up to now_s, oldest first (the last is the minute under way),
 * into out; minutes without a count are 0. Returns the end of the last
 * minute (its start + HTTP_RATES_INTERVAL_S), a unix time. */
int64_t http_rates_series(const http_rates *r, http_rate which, int64_t now_s,
    uint64_t out[HTTP_RATES_SLOTS]);

#endif
