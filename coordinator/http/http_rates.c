/* http_rates.c - the ring of per-minute counts (http_rates.h). A slot
 * holds its unix minute, so a slot left from an hour ago (or from before
 * a clock step) is told apart from the current one without a sweep. */
#include "http/http_rates.h"

#include <string.h>

static int64_t
minute_of(int64_t s)
{
	/* floor division: a clock before 1970 still lands in one slot */
	return s >= 0 ? s / HTTP_RATES_INTERVAL_S
	              : -((-s + HTTP_RATES_INTERVAL_S - 1) /
	                    HTTP_RATES_INTERVAL_S);
}

static size_t
slot_of(int64_t minute)
{
	int64_t k = minute % HTTP_RATES_SLOTS;

	return (size_t) (k < 0 ? k + HTTP_RATES_SLOTS : k);
}

void
http_rates_add(http_rates *r, http_rate which, int64_t now_s, uint64_t n)
{
	int64_t m = minute_of(now_s);
	size_t  k = slot_of(m);

	if ((unsigned) which >= HTTP_RATE_N)
		return;
	if (r->minute[k] != m) {
		r->minute[k] = m;
		memset(r->n[k], 0, sizeof(r->n[k]));
	}
	r->n[k][which] += n;
}

int64_t
http_rates_series(const http_rates *r, http_rate which, int64_t now_s,
    uint64_t out[HTTP_RATES_SLOTS])
{
	int64_t m = minute_of(now_s);

	for (int i = 0; i < HTTP_RATES_SLOTS; i++) {
		int64_t want = m - (HTTP_RATES_SLOTS - 1) + i;
		size_t  k = slot_of(want);
		out[i] = (unsigned) which < HTTP_RATE_N && r->minute[k] == want
		             ? r->n[k][which]
		             : 0;
	}
	return (m + 1) * HTTP_RATES_INTERVAL_S;
}
