/* lease.c - the leader lease's clock arithmetic (lease.h). The holder
 * measures the TTL on its own clock from the moment its last successful
 * call was sent, and stops acting a margin before that TTL runs out: the
 * server waits twice the TTL after the last renew before it lets another
 * holder in, so the two never act at once even with a slow network. */
#include "core/lease.h"

/* the loop notices a step-down within one wake-up (at most 1 s) */
#define LEASE_MARGIN_MAX_MS 1000

void
lease_init(lease *l, int64_t ttl_ms)
{
	l->ttl_ms = ttl_ms;
	l->margin_ms = ttl_ms / 10 < LEASE_MARGIN_MAX_MS ? ttl_ms / 10
	                                                 : LEASE_MARGIN_MAX_MS;
	l->last_ok_ms = 0;
	l->held = false;
}

void
lease_ok(lease *l, int64_t sent_ms)
{
	l->last_ok_ms = sent_ms;
	l->held = true;
}

void
lease_lost(lease *l)
{
	l->held = false;
}

int64_t
lease_deadline(const lease *l)
{
	return l->last_ok_ms + l->ttl_ms - l->margin_ms;
}

bool
lease_valid(const lease *l, int64_t now_ms)
{
	return l->held && now_ms < lease_deadline(l);
}

int64_t
lease_next_renew(const lease *l)
{
	return l->last_ok_ms + l->ttl_ms / 3;
}

int64_t
lease_call_timeout(const lease *l, int64_t now_ms)
{
	int64_t left = lease_deadline(l) - now_ms;

	return left > 0 ? left : 0;
}
