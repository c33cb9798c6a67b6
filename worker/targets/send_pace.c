/* send_pace.c - send_pace.h as a virtual clock: the next slot starts
 * when the previous file's bytes would have gone at the cap. A caller
 * takes its slot under the mutex and sleeps outside it, so the threads
 * of a send wait in turn without holding each other up. */
#include "targets/send_pace.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "os/sys_fs.h"

struct send_pace {
	pthread_mutex_t mu;
	double          bytes_per_us;
	int64_t         next_us; /* when the next file may start */
};

mc_err
send_pace_create(double mb_per_s, send_pace **out)
{
	send_pace *p;

	*out = NULL;
	if (!(mb_per_s > 0))
		return MC_EINVAL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return MC_ENOMEM;
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p);
		return MC_ENOMEM;
	}
	p->bytes_per_us = mb_per_s; /* 10^6 bytes/s = 1 byte/us */
	*out = p;
	return MC_OK;
}

void
send_pace_wait(send_pace *p, size_t bytes)
{
	int64_t now, start;

	if (p == NULL)
		return;
	now = sys_now_us();
	pthread_mutex_lock(&p->mu);
	start = p->next_us > now ? p->next_us : now;
	p->next_us = start + (int64_t) ((double) bytes / p->bytes_per_us);
	pthread_mutex_unlock(&p->mu);
	if (start > now) {
		struct timespec ts = {(time_t) ((start - now) / 1000000),
		    (long) ((start - now) % 1000000) * 1000};
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
}

void
send_pace_destroy(send_pace *p)
{
	if (p == NULL)
		return;
	pthread_mutex_destroy(&p->mu);
	free(p);
}
