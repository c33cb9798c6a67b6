/* send_pace.h - a bandwidth cap shared by the threads of one send: each
 * file waits for its slot (a token bucket that holds one file), so that
 * the bytes started per second stay at or under the cap on average. */
#ifndef MC_WORKER_SEND_PACE_H
#define MC_WORKER_SEND_PACE_H

#include <stddef.h>

#include "base/mc_err.h"

typedef struct send_pace send_pace;

/* send_pace_create - a cap of mb_per_s (10^6 bytes a second; > 0). On
 * MC_OK *out is new (send_pace_destroy). MC_EINVAL, MC_ENOMEM. */
MC_NODISCARD mc_err send_pace_create(double mb_per_s, send_pace **out);

/* send_pace_wait - block until bytes may go. NULL p: no cap, no wait.
 * Any thread. */
void send_pace_wait(send_pace *p, size_t bytes);

/* send_pace_destroy - NULL: no-op. No thread may be waiting. */
void send_pace_destroy(send_pace *p);

#endif
