/* nomad_job_check.c - the job checks of docs/nomad.md (a subset of
 * nomad/structs Validate) applied to register JSON, so the coordinator
 * refuses a job it would only see rejected with a 500 at run time, and
 * the tests can hold the JSON to the table. First violation wins. */
#include "sched/nomad/nomad_job.h"

#include <jansson.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define NS_PER_S 1000000000LL
#define RESTART_MIN_INTERVAL_NS (5 * NS_PER_S)
#define RESCHEDULE_MIN_DELAY_NS (5 * NS_PER_S)
#define PRIORITY_MIN 1
#define PRIORITY_MAX 100
#define MEMORY_MIN_MB 10

typedef struct chk {
	char  *err;
	size_t len;
	bool   failed;
} chk;

static bool no(chk *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* no - record the first violation; always false, for `return no(...)` */
static bool
no(chk *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->failed) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->len, fmt, ap);
		va_end(ap);
		c->failed = true;
	}
	return false;
}

static const char *
str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static bool
is_one_of(const char *s, const char *const *set)
{
	for (; s && *set; set++)
		if (strcmp(s, *set) == 0)
			return true;
	return false;
}

/* durations and counts must be JSON integers (reference 1.1) */
static bool
int_field(
    chk *c, const json_t *o, const char *k, const char *what, json_int_t *out)
{
	const json_t *v = json_object_get(o, k);

	*out = 0;
	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_integer(v))
		return no(c, "%s.%s must be an integer", what, k);
	*out = json_integer_value(v);
	return true;
}

static bool
check_constraint(chk *c, const json_t *k)
{
	static const char *const ops[] = {"=", "!=", ">", ">=", "<",
	    "<=", "regexp", "version", "semver", "set_contains",
	    "set_contains_all", "set_contains_any", "distinct_hosts",
	    "distinct_property", "is_set", "is_not_set", NULL};
	const char *op = str(k, "Operand"), *l = str(k, "LTarget");
	const char *r = str(k, "RTarget");
	regex_t     re;

	if (op == NULL || op[0] == '\0')
		return no(c, "Missing constraint operand");
	if (!is_one_of(op, ops))
		return no(c, "Unknown constraint type %s", op);
	if (strcmp(op, "distinct_hosts") != 0 && (l == NULL || !l[0]))
		return no(c, "No LTarget provided but is required by "
		             "constraint");
	if (strcmp(op, "regexp") == 0) {
		if (regcomp(&re, r ? r : "", REG_EXTENDED | REG_NOSUB) != 0)
			return no(c,
			    "Regular expression failed to compile: "
			    "%s",
			    r ? r : "");
		regfree(&re);
	}
	if (strncmp(op, "set_", 4) == 0 && (r == NULL || !r[0]))
		return no(c, "Set contains constraint requires an RTarget");
	return true;
}

static bool
check_constraints(chk *c, const json_t *o)
{
	const json_t *a = json_object_get(o, "Constraints"), *k;
	size_t        i;

	if (a == NULL || json_is_null(a))
		return true;
	if (!json_is_array(a))
		return no(c, "Constraints must be a list");
	json_array_foreach(a, i, k)
	{
		if (!check_constraint(c, k))
			return false;
	}
	return true;
}

static bool
check_restart(chk *c, const json_t *g)
{
	const json_t *r = json_object_get(g, "RestartPolicy");
	json_int_t    att, iv, delay;
	const char   *mode;

	if (r == NULL || json_is_null(r))
		return true;
	mode = str(r, "Mode");
	if (!int_field(c, r, "Attempts", "RestartPolicy", &att) ||
	    !int_field(c, r, "Interval", "RestartPolicy", &iv) ||
	    !int_field(c, r, "Delay", "RestartPolicy", &delay))
		return false;
	if (!is_one_of(mode, (const char *const[]){"fail", "delay", NULL}))
		return no(
		    c, "Unsupported restart mode: \"%s\"", mode ? mode : "");
	if (att == 0 && strcmp(mode, "fail") != 0)
		return no(c,
		    "Restart policy \"%s\" with 0 attempts is "
		    "ambiguous",
		    mode);
	if (iv < RESTART_MIN_INTERVAL_NS)
		return no(c, "Interval can not be less than 5s");
	if (att * delay > iv)
		return no(c,
		    "Nomad can't restart the TaskGroup %lld times in "
		    "an interval of %lld ns with a delay of %lld ns",
		    (long long) att, (long long) iv, (long long) delay);
	return true;
}

static bool
check_reschedule(chk *c, const json_t *g, const char *type)
{
	const json_t *r = json_object_get(g, "ReschedulePolicy");
	json_int_t    att, iv, delay, maxd;
	const char   *fn;
	bool          unlimited;

	if (r == NULL || json_is_null(r))
		return true;
	if (strcmp(type, "system") == 0 || strcmp(type, "sysbatch") == 0)
		return no(
		    c, "System jobs should not have a reschedule policy");
	if (!int_field(c, r, "Attempts", "ReschedulePolicy", &att) ||
	    !int_field(c, r, "Interval", "ReschedulePolicy", &iv) ||
	    !int_field(c, r, "Delay", "ReschedulePolicy", &delay) ||
	    !int_field(c, r, "MaxDelay", "ReschedulePolicy", &maxd))
		return false;
	unlimited = json_is_true(json_object_get(r, "Unlimited"));
	if (att == 0 && !unlimited)
		return true; /* disabled */
	fn = str(r, "DelayFunction");
	if (delay < RESCHEDULE_MIN_DELAY_NS)
		return no(c, "Delay cannot be less than 5s");
	if (att > 0 && (iv <= 0 || unlimited))
		return no(c, "Interval must be a non zero value if Attempts > "
		             "0, and Unlimited must be false");
	if (!is_one_of(fn, (const char *const[]){
	                       "constant", "exponential", "fibonacci", NULL}))
		return no(c, "Invalid delay function \"%s\"", fn ? fn : "");
	if (strcmp(fn, "constant") != 0 && maxd < delay)
		return no(c, "Max Delay cannot be less than Delay");
	return true;
}

static bool
check_config(chk *c, const json_t *t, const char *drv, const char *tn)
{
	const json_t *cfg = json_object_get(t, "Config"), *args, *v;
	size_t        i;

	if (strcmp(drv, "docker") == 0) {
		if (str(cfg, "image") == NULL)
			return no(
			    c, "Task %s: docker config needs an image", tn);
		return true;
	}
	if (strcmp(drv, "raw_exec") != 0 && strcmp(drv, "exec") != 0)
		return true;
	if (str(cfg, "command") == NULL)
		return no(
		    c, "Task %s: %s config needs a command string", tn, drv);
	args = json_object_get(cfg, "args");
	if (args != NULL && !json_is_array(args))
		return no(c, "Task %s: args must be a list of strings", tn);
	json_array_foreach(args, i, v)
	{
		if (!json_is_string(v))
			return no(
			    c, "Task %s: args must be a list of strings", tn);
	}
	if (strcmp(drv, "raw_exec") == 0 &&
	    json_array_size(json_object_get(t, "VolumeMounts")) > 0)
		return no(c,
		    "task driver \"raw_exec\" for \"%s\" does not "
		    "support host volumes",
		    tn);
	return true;
}

static bool
check_resources(chk *c, const json_t *t, const char *tn)
{
	const json_t *r = json_object_get(t, "Resources");
	json_int_t    cpu, cores, mem;

	if (r == NULL || json_is_null(r))
		return true;
	if (!int_field(c, r, "CPU", "Resources", &cpu) ||
	    !int_field(c, r, "Cores", "Resources", &cores) ||
	    !int_field(c, r, "MemoryMB", "Resources", &mem))
		return false;
	if (json_object_get(r, "DiskMB") != NULL)
		return no(c, "Task %s: Task can't ask for disk resources", tn);
	if (cores > 0 && cpu > 0)
		return no(
		    c, "Task %s: Only one of cores or cpu may be set", tn);
	if (cores == 0 && json_object_get(r, "CPU") != NULL && cpu < 1)
		return no(c, "Task %s: minimum CPU value is 1; got %lld", tn,
		    (long long) cpu);
	if (json_object_get(r, "MemoryMB") != NULL && mem < MEMORY_MIN_MB)
		return no(c, "Task %s: minimum MemoryMB value is 10; got %lld",
		    tn, (long long) mem);
	return true;
}

static bool
check_mounts(chk *c, const json_t *g, const json_t *t, const char *tn)
{
	const json_t *vols = json_object_get(g, "Volumes");
	const json_t *m;
	size_t        i;

	json_array_foreach(json_object_get(t, "VolumeMounts"), i, m)
	{
		const char *v = str(m, "Volume");
		if (v == NULL || json_object_get(vols, v) == NULL)
			return no(c,
			    "Task %s: Volume Mount (%zu) references "
			    "undefined volume %s",
			    tn, i, v ? v : "");
	}
	return true;
}

static bool
check_task(chk *c, const json_t *g, const json_t *t)
{
	const char   *tn = str(t, "Name"), *drv = str(t, "Driver");
	const json_t *dp = json_object_get(t, "DispatchPayload");
	const char   *file = str(dp, "File");
	json_int_t    kt;

	if (tn == NULL || tn[0] == '\0')
		return no(c, "Missing task name");
	if (strcmp(tn, "alloc") == 0 || strchr(tn, '/') != NULL)
		return no(c, "Task %s: invalid task name", tn);
	if (drv == NULL || drv[0] == '\0')
		return no(c, "Task %s: Missing task driver", tn);
	if (!int_field(c, t, "KillTimeout", "Task", &kt))
		return false;
	if (kt < 0)
		return no(
		    c, "Task %s: KillTimeout must be a positive value", tn);
	if (file != NULL && (file[0] == '/' || strstr(file, "..") != NULL))
		return no(c,
		    "Task %s: dispatch payload file escapes the "
		    "local directory",
		    tn);
	return check_resources(c, t, tn) && check_config(c, t, drv, tn) &&
	       check_mounts(c, g, t, tn) && check_constraints(c, t);
}

static bool
check_volumes(chk *c, const json_t *g, const char *gn)
{
	const char *k;
	json_t     *v;

	json_object_foreach((json_t *) json_object_get(g, "Volumes"), k, v)
	{
		const char *type = str(v, "Type"), *src = str(v, "Source");
		if (type == NULL || strcmp(type, "host") != 0)
			return no(c,
			    "Task group %s validation failed: volume "
			    "%s: Volume type must be host",
			    gn, k);
		if (src == NULL || src[0] == '\0')
			return no(c,
			    "Task group %s validation failed: volume "
			    "%s: Volume has an empty source",
			    gn, k);
	}
	return true;
}

static bool
check_group(chk *c, const json_t *g, const char *type)
{
	const json_t *tasks = json_object_get(g, "Tasks"), *t;
	const char   *gn = str(g, "Name");
	json_int_t    count, mrd;
	size_t        i;

	if (!int_field(c, g, "Count", "TaskGroup", &count) ||
	    !int_field(c, g, "MaxRunDuration", "TaskGroup", &mrd))
		return false;
	if (count < 0)
		return no(c,
		    "Task group %s validation failed: Task group "
		    "count can't be negative",
		    gn);
	if (json_array_size(tasks) == 0)
		return no(c,
		    "Task group %s validation failed: Missing tasks "
		    "for task group",
		    gn);
	if (json_object_get(g, "MaxRunDuration") != NULL &&
	    (mrd <= 0 ||
	        (strcmp(type, "batch") != 0 && strcmp(type, "sysbatch") != 0)))
		return no(c,
		    "Task group %s validation failed: "
		    "max_run_duration must be positive, batch or "
		    "sysbatch only",
		    gn);
	if (!check_restart(c, g) || !check_reschedule(c, g, type) ||
	    !check_volumes(c, g, gn) || !check_constraints(c, g))
		return false;
	json_array_foreach(tasks, i, t)
	{
		if (!check_task(c, g, t))
			return false;
	}
	return true;
}

static bool
check_parameterized(chk *c, const json_t *job, const char *type)
{
	const json_t *p = json_object_get(job, "ParameterizedJob");
	const json_t *req, *opt, *a, *b;
	size_t        i, j;

	if (p == NULL || json_is_null(p))
		return true;
	if (strcmp(type, "batch") != 0 && strcmp(type, "sysbatch") != 0)
		return no(c,
		    "Parameterized job can only be used with \"batch\" "
		    "or \"sysbatch\" scheduler");
	if (str(p, "Payload") != NULL &&
	    !is_one_of(str(p, "Payload"), (const char *const[]){"optional",
	                                      "required", "forbidden", NULL}))
		return no(c, "Unknown payload requirement: \"%s\"",
		    str(p, "Payload"));
	req = json_object_get(p, "MetaRequired");
	opt = json_object_get(p, "MetaOptional");
	json_array_foreach(req, i, a)
	{
		json_array_foreach(opt, j, b)
		{
			if (json_equal(a, b))
				return no(c,
				    "Required and optional meta keys "
				    "should be disjoint. Following "
				    "keys exist in both: [%s]",
				    json_string_value(a));
		}
	}
	return true;
}

static bool
check_job_head(chk *c, const json_t *job, const char **type)
{
	static const char *const types[] = {
	    "service", "batch", "system", "sysbatch", NULL};
	const char   *id = str(job, "ID"), *name = str(job, "Name");
	const json_t *dcs = json_object_get(job, "Datacenters"), *v;
	json_int_t    prio;
	size_t        i;

	*type = str(job, "Type") ? str(job, "Type") : "service";
	if (id == NULL || id[0] == '\0')
		return no(c, "Missing job ID");
	if (strchr(id, ' ') != NULL)
		return no(c, "Job ID contains a space");
	if (name == NULL || name[0] == '\0')
		return no(c, "Missing job name");
	if (!is_one_of(*type, types))
		return no(c, "Invalid job type: \"%s\"", *type);
	json_array_foreach(dcs, i, v)
	{
		if (!json_is_string(v) || json_string_length(v) == 0)
			return no(
			    c, "Job datacenter must be non-empty string");
	}
	if (!int_field(c, job, "Priority", "Job", &prio))
		return false;
	if (json_object_get(job, "Priority") != NULL &&
	    (prio < PRIORITY_MIN || prio > PRIORITY_MAX))
		return no(c, "job priority must be between [1, 100]");
	if (json_is_true(json_object_get(job, "Dispatched")) ||
	    (str(job, "Payload") && str(job, "Payload")[0]))
		return no(c, "job can't be submitted with a payload or as "
		             "dispatched");
	return true;
}

static bool
check_job(chk *c, const json_t *job)
{
	const json_t *groups = json_object_get(job, "TaskGroups"), *g, *v;
	const char   *type, *k;
	size_t        i, j;

	if (!check_job_head(c, job, &type))
		return false;
	if (json_array_size(groups) == 0)
		return no(c, "Missing job task groups");
	json_array_foreach(groups, i, g)
	{
		const char *gn = str(g, "Name");
		if (gn == NULL || gn[0] == '\0')
			return no(c, "Job task group %zu missing name", i + 1);
		for (j = 0; j < i; j++)
			if (strcmp(gn,
			        str(json_array_get(groups, j), "Name")
			            ? str(json_array_get(groups, j), "Name")
			            : "") == 0)
				return no(c,
				    "Job task group %zu redefines "
				    "'%s' from group %zu",
				    i + 1, gn, j + 1);
	}
	json_object_foreach((json_t *) json_object_get(job, "Meta"), k, v)
	{
		if (!json_is_string(v))
			return no(c, "Meta %s: values must be strings", k);
	}
	if (!check_parameterized(c, job, type) || !check_constraints(c, job))
		return false;
	json_array_foreach(groups, i, g)
	{
		if (!check_group(c, g, type))
			return false;
	}
	return true;
}

mc_err
nomad_job_validate(const char *text, char *err, size_t errlen)
{
	json_error_t je;
	json_t      *root = json_loads(text, 0, &je), *job;
	chk          c = {err, errlen, false};

	if (root == NULL) {
		snprintf(err, errlen, "line %d column %d: %s", je.line,
		    je.column, je.text);
		return MC_EPARSE;
	}
	job = json_object_get(root, "Job");
	if (!json_is_object(job))
		(void) no(&c, "Job must be specified");
	else
		(void) check_job(&c, job);
	json_decref(root);
	return c.failed ? MC_ECONFIG : MC_OK;
}
