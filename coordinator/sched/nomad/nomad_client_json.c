/* nomad_client_json.c - Nomad's JSON for the client: the dispatch body,
 * and the answers read into plain structs (AllocListStub with the task
 * events the verdict needs, reference 1.5 and 3.4; the dispatch answer;
 * a job's Status; why an evaluation holds a child back). Missing keys
 * count as zero, as single objects omit them (reference 1.1). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched/nomad/nomad_client_int.h"

static void
copy_field(char *dst, size_t len, const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	snprintf(dst, len, "%s", s ? s : "");
}

static int
event_exit_code(const json_t *ev)
{
	const json_t *v = json_object_get(ev, "ExitCode");
	const char   *d = json_string_value(
	      json_object_get(json_object_get(ev, "Details"), "exit_code"));

	if (json_is_integer(v))
		return (int) json_integer_value(v);
	return d ? (int) strtol(d, NULL, 10) : 0;
}

static void
read_task_state(nomad_alloc *a, const json_t *ts)
{
	const json_t *evs = json_object_get(ts, "Events"), *ev;
	size_t        i;
	bool          has_exit = false;
	int           last = 0;

	if (json_is_true(json_object_get(ts, "Failed")))
		a->failed = true;
	json_array_foreach(evs, i, ev)
	{
		const char *type =
		    json_string_value(json_object_get(ev, "Type"));
		const char *msg =
		    json_string_value(json_object_get(ev, "DisplayMessage"));
		if (type == NULL)
			continue;
		if (strcmp(type, "Terminated") == 0) {
			last = event_exit_code(ev); /* the last one counts */
			has_exit = true;
		} else if (strcmp(type, "Killed") == 0) {
			a->killed = true;
		}
		if (msg == NULL || msg[0] == '\0')
			msg =
			    json_string_value(json_object_get(ev, "Message"));
		/* "Not Restarting" only repeats that the one before failed */
		if (a->last_event[0] && strcmp(type, "Not Restarting") == 0)
			continue;
		snprintf(a->last_event, sizeof(a->last_event), "%s%s%s", type,
		    msg && msg[0] ? ": " : "", msg ? msg : "");
	}
	/* several tasks: a failing one decides */
	if (has_exit && (!a->has_exit || a->exit_code == 0))
		a->exit_code = last;
	a->has_exit = a->has_exit || has_exit;
}

static void
read_alloc(nomad_alloc *a, const json_t *o)
{
	const json_t *ts;
	const char   *k;
	json_t       *v;

	memset(a, 0, sizeof(*a));
	copy_field(a->id, sizeof(a->id), o, "ID");
	copy_field(a->node_name, sizeof(a->node_name), o, "NodeName");
	copy_field(
	    a->client_status, sizeof(a->client_status), o, "ClientStatus");
	copy_field(
	    a->desired_status, sizeof(a->desired_status), o, "DesiredStatus");
	copy_field(a->client_description, sizeof(a->client_description), o,
	    "ClientDescription");
	copy_field(a->next_allocation, sizeof(a->next_allocation), o,
	    "NextAllocation");
	a->create_index =
	    (uint64_t) json_integer_value(json_object_get(o, "CreateIndex"));
	ts = json_object_get(o, "TaskStates");
	json_object_foreach((json_t *) ts, k, v)
	{
		read_task_state(a, v);
	}
}

mc_err
nomad_parse_allocations(
    const char *text, size_t len, nomad_alloc **out, size_t *n)
{
	json_t      *a = json_loadb(text, len, 0, NULL), *o;
	nomad_alloc *v = NULL;
	size_t       i;

	*out = NULL;
	*n = 0;
	if (a == NULL || !json_is_array(a)) {
		json_decref(a);
		return MC_EPROTO;
	}
	if (json_array_size(a) > 0 &&
	    (v = calloc(json_array_size(a), sizeof(*v))) == NULL) {
		json_decref(a);
		return MC_ENOMEM;
	}
	json_array_foreach(a, i, o)
	{
		read_alloc(&v[i], o);
	}
	*n = json_array_size(a);
	*out = v;
	json_decref(a);
	return MC_OK;
}

static const char *
jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

/* placement_reasons - what Nomad's FailedTGAllocs of any evaluation in
 * evals says about the nodes ("missing devices: 2 nodes filtered"),
 * appended to dst: the blocked evaluation itself holds no reasons, the
 * one that created it does */
static void
placement_reasons(char *dst, size_t len, const json_t *evals)
{
	const json_t *e, *g, *m, *v;
	const char   *k, *gk;
	size_t        i, n = strlen(dst);

	json_array_foreach(evals, i, e)
	{
		json_object_foreach(
		    (json_t *) json_object_get(e, "FailedTGAllocs"), gk, g)
		{
			static const char *const dims[] = {
			    "ConstraintFiltered", "DimensionExhausted"};
			for (size_t d = 0; d < 2; d++) {
				m = json_object_get(g, dims[d]);
				json_object_foreach((json_t *) m, k, v)
				{
					if (n + 1 >= len)
						return;
					n += (size_t) snprintf(dst + n,
					    len - n,
					    "; group %s: %s (%lld %s)", gk, k,
					    (long long) json_integer_value(v),
					    d == 0 ? "nodes filtered"
					           : "nodes exhausted");
					if (n >= len)
						n = len - 1;
				}
			}
		}
	}
}

/* eval_problem - why the newest evaluation holds the child back */
static void
eval_problem(char *dst, size_t len, const json_t *evals)
{
	const json_t *e, *best = NULL;
	const char   *st, *why;
	size_t        i;

	dst[0] = '\0';
	json_array_foreach(evals, i, e)
	{
		if (best == NULL ||
		    json_integer_value(json_object_get(e, "CreateIndex")) >
		        json_integer_value(
		            json_object_get(best, "CreateIndex")))
			best = e;
	}
	if (best == NULL)
		return;
	st = jstr(best, "Status");
	why = jstr(best, "StatusDescription");
	if (json_object_size(json_object_get(best, "FailedTGAllocs")) > 0 ||
	    strcmp(st, "blocked") == 0 || strcmp(st, "failed") == 0)
		snprintf(dst, len, "evaluation %s%s%s", st[0] ? st : "?",
		    why[0] ? ": " : "", why);
	if (dst[0])
		placement_reasons(dst, len, evals);
}

char *
nomad_json_dispatch_body(const char *key, const char *value)
{
	json_t *b = json_pack("{s:{s:s}}", "Meta", key, value);
	char   *text = b ? json_dumps(b, JSON_COMPACT) : NULL;

	json_decref(b);
	return text;
}

/* summary_failed - a group of JobSummary.Summary counts a failed or
 * lost alloc */
static bool
summary_failed(const json_t *js)
{
	const char *g;
	json_t     *v;

	json_object_foreach((json_t *) json_object_get(js, "Summary"), g, v)
	{
		if (json_integer_value(json_object_get(v, "Failed")) > 0 ||
		    json_integer_value(json_object_get(v, "Lost")) > 0)
			return true;
	}
	return false;
}

/* read_children - JobListStubs (listed with meta=true) into x */
static mc_err
read_children(const json_t *list, const char *meta_key, nomad_answer *x)
{
	const json_t *o;
	size_t        i;

	if (!json_is_array(list))
		return MC_EPROTO;
	if (json_array_size(list) > 0 &&
	    (x->children = calloc(
	         json_array_size(list), sizeof(*x->children))) == NULL)
		return MC_ENOMEM;
	json_array_foreach(list, i, o)
	{
		nomad_child *k = &x->children[i];
		snprintf(k->id, sizeof(k->id), "%s", jstr(o, "ID"));
		snprintf(
		    k->status, sizeof(k->status), "%s", jstr(o, "Status"));
		snprintf(k->meta_value, sizeof(k->meta_value), "%s",
		    jstr(json_object_get(o, "Meta"), meta_key));
		k->create_index = (uint64_t) json_integer_value(
		    json_object_get(o, "CreateIndex"));
		k->submit_time_ns = (int64_t) json_integer_value(
		    json_object_get(o, "SubmitTime"));
		k->failed = summary_failed(json_object_get(o, "JobSummary"));
	}
	x->n_children = json_array_size(list);
	return MC_OK;
}

mc_err
nomad_json_answer(nomad_answer_kind kind, const char *meta_key,
    const char *text, size_t len, nomad_answer *x)
{
	json_t *j = json_loadb(text, len, 0, NULL);
	mc_err  rv = MC_OK;

	if (j == NULL)
		return MC_EPROTO;
	if (kind == NOMAD_ANSWER_CHILDREN) {
		rv = read_children(j, meta_key ? meta_key : "", x);
		json_decref(j);
		return rv;
	}
	if (kind == NOMAD_ANSWER_DISPATCH) {
		const char *ev = jstr(j, "EvalID");
		snprintf(x->child, sizeof(x->child), "%s",
		    jstr(j, "DispatchedJobID"));
		x->reattached = ev[0] == '\0';
		if (x->child[0] == '\0')
			rv = MC_EPROTO;
	} else if (kind == NOMAD_ANSWER_JOB) {
		snprintf(x->job_status, sizeof(x->job_status), "%s",
		    jstr(j, "Status"));
		snprintf(x->job_token, sizeof(x->job_token), "%s",
		    jstr(j, "DispatchIdempotencyToken"));
	} else if (json_is_array(j)) {
		eval_problem(x->eval_problem, sizeof(x->eval_problem), j);
	} else {
		rv = MC_EPROTO;
	}
	json_decref(j);
	return rv;
}

void
nomad_json_read_alloc(nomad_alloc *a, const json_t *o)
{
	read_alloc(a, o);
}

mc_err
nomad_json_lock_id(const char *text, size_t len, char *buf, size_t buflen)
{
	json_error_t e;
	json_t      *o = json_loadb(text, len, 0, &e);

	buf[0] = '\0';
	if (!json_is_object(o)) {
		json_decref(o);
		return MC_EPROTO;
	}
	copy_field(buf, buflen, json_object_get(o, "Lock"), "ID");
	json_decref(o);
	return MC_OK;
}
