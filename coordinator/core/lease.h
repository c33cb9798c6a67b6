/* lease.h - the leader lease's clock arithmetic, without I/O: when to
 * renew, how long a renew may take, and when the holder must consider
 * itself no longer the leader. Times are the caller's monotonic
 * milliseconds (a test passes its own clock). */
#ifndef MC_COORDINATOR_LEASE_H
#define MC_COORDINATOR_LEASE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct lease {
	int64_t ttl_ms;     /* the lock's TTL */
	int64_t margin_ms;  /* stop acting this long before the TTL ends */
	int64_t last_ok_ms; /* when the last successful call was sent */
	bool    held;
} lease;

/* lease_init - not held; ttl_ms > 0 */
void lease_init(lease *l, int64_t ttl_ms);

/* lease_ok - an acquire or renew sent at sent_ms succeeded. The time the
 * call was sent counts, not the answer's: the server's timer started no
 * earlier than that. */
void lease_ok(lease *l, int64_t sent_ms);

/* lease_lost - a renew failed or came too late: not held any more */
void lease_lost(lease *l);

/* lease_valid - held, and now is before the step-down deadline */
bool lease_valid(const lease *l, int64_t now_ms);

/* lease_deadline - last success + TTL - margin: the last moment the
 * holder may act */
int64_t lease_deadline(const lease *l);

/* lease_next_renew - when to send the next renew: a third of the TTL
 * after the last success, leaving two more tries before the deadline */
int64_t lease_next_renew(const lease *l);

/* lease_call_timeout - how long a renew sent at now_ms may take: until
 * the deadline, 0 if that has passed */
int64_t lease_call_timeout(const lease *l, int64_t now_ms);

#endif
