/* http_fails.h - failed logins by client address, for the slow-down
 * after a failure: each address keeps the times of its last failures,
 * and its delay grows with its own failures of the last window only, so
 * one guesser cannot slow everybody's login. The table is bounded
 * (HTTP_FAILS_ADDRS addresses): when it is full, the address whose last
 * failure is oldest makes room. Not thread-safe: the caller locks. */
#ifndef MC_COORDINATOR_HTTP_FAILS_H
#define MC_COORDINATOR_HTTP_FAILS_H

#include <stddef.h>
#include <time.h>

#include "base/mc_err.h"

#define HTTP_FAILS_ADDRS 1024
#define HTTP_FAILS_ADDR_MAX 63
/* per address: enough to reach the longest delay */
#define HTTP_FAILS_PER_ADDR 16

typedef struct http_fails http_fails;

MC_NODISCARD mc_err http_fails_create(http_fails **out);
void                http_fails_destroy(http_fails *f); /* NULL: no-op */

/* http_fails_note - one failure of addr (NULL: "") at now; returns the
 * failures of addr within the last window_s seconds, this one included. */
unsigned http_fails_note(
    http_fails *f, const char *addr, time_t now, unsigned window_s);

/* http_fails_count - addresses held (for tests) */
size_t http_fails_count(const http_fails *f);

#endif
