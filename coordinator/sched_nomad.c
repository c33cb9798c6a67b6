/* sched_nomad.c - placeholder until the Nomad backend lands (issue #5). */
#include "sched_nomad.h"

#include "log.h"

mc_err
sched_nomad_create(loop *l, const sched_nomad_opts *o, sched **out)
{
	(void) l;
	(void) o;
	*out = NULL;
	log_error("event=nomad.unavailable msg=\"the nomad scheduler is not "
		  "built in this version\"");
	return MC_ECONFIG;
}
