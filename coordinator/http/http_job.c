/* http_job.c - the hand-over of one job between an HTTP thread and the
 * loop: a reference count of two under the job's mutex and a condition
 * variable the waiter waits on with an absolute CLOCK_MONOTONIC
 * deadline. */
#include "http/http_job.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

http_job *
http_job_new(http_job_kind kind)
{
	http_job          *j = calloc(1, sizeof(*j));
	pthread_condattr_t ca;

	if (j == NULL)
		return NULL;
	if (pthread_condattr_init(&ca) != 0) {
		free(j);
		return NULL;
	}
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (pthread_mutex_init(&j->mu, NULL) != 0 ||
	    pthread_cond_init(&j->cv, &ca) != 0) {
		pthread_condattr_destroy(&ca);
		free(j);
		return NULL;
	}
	pthread_condattr_destroy(&ca);
	j->kind = kind;
	j->refs = 2;
	j->status = 500;
	return j;
}

static void
drop(http_job *j)
{
	bool last;

	pthread_mutex_lock(&j->mu);
	last = --j->refs == 0;
	pthread_mutex_unlock(&j->mu);
	if (!last)
		return;
	pthread_cond_destroy(&j->cv);
	pthread_mutex_destroy(&j->mu);
	free(j->body);
	free(j->in);
	free(j);
}

mc_err
http_job_wait(work_queue *q, http_job *j, int timeout_ms)
{
	struct timespec dl;
	mc_err          rv = MC_OK;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += timeout_ms / 1000;
	dl.tv_nsec += (long) (timeout_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	work_queue_push(q, &j->node);
	pthread_mutex_lock(&j->mu);
	while (!j->done && rv == MC_OK)
		if (pthread_cond_timedwait(&j->cv, &j->mu, &dl) != 0 &&
		    !j->done)
			rv = MC_ETIMEDOUT;
	pthread_mutex_unlock(&j->mu);
	return rv;
}

void
http_job_finish(http_job *j)
{
	pthread_mutex_lock(&j->mu);
	j->done = true;
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&j->mu);
	drop(j);
}

void
http_job_release(http_job *j)
{
	if (j != NULL)
		drop(j);
}

void
http_job_answer(http_job *j, int status, const char *type, const char *text)
{
	free(j->body);
	j->status = status;
	j->content_type = type;
	j->body = text ? strdup(text) : NULL;
	j->body_len = j->body ? strlen(j->body) : 0;
	if (text != NULL && j->body == NULL)
		j->status = 500;
}

void
http_job_free_queued(work_node *n)
{
	http_job *j = (http_job *) n;

	http_job_answer(
	    j, 503, NULL, "{\"error\": \"the coordinator is stopping\"}");
	http_job_finish(j);
}
