/* scheduler.c - a scheduler's life cycle (scheduler.h): from the
 * backend's registry row, allocate its struct, fill in the part every
 * backend shares, start it; stop and free it. What a backend does in
 * between is its own file's business. */
#include "sched/scheduler.h"

#include <stdlib.h>

#include "sched/sched_registry.h"

mc_err
sched_create(const sched_backend *b, loop *l, const sched_opts *o, sched **out)
{
	sched *s;
	mc_err rv;

	*out = NULL;
	if ((s = calloc(1, b->ops->size)) == NULL)
		return MC_ENOMEM;
	*s = (sched){b->ops, sched_backend_name(b), b->caps, l, o->done,
	    o->ctx, o->reaped};
	if ((rv = b->ops->start(s, o)) != MC_OK) {
		sched_destroy(s);
		return rv;
	}
	*out = s;
	return MC_OK;
}

void
sched_destroy(sched *s)
{
	if (s == NULL)
		return;
	s->ops->stop(s);
	free(s);
}
