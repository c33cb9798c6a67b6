/* nomad_job.c - the job description from the configuration, and the API
 * JSON made from it (PUT /v1/jobs body). The HCL2 rendering of the same
 * description is in nomad_job_hcl.c, the job checks in
 * nomad_job_check.c. Field names and units follow Nomad's
 * JSON job specification: durations are integer nanoseconds, Operand is
 * spelled out, raw_exec gets no VolumeMounts (it cannot mount). */
#include "sched/nomad/nomad_job.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_S 1000000000LL
#define NOMAD_JOB_VOLUME "storage"
/* where the Debian package installs the worker, on a node and in the
 * image, and the system user it creates */
#define WORKER_PATH_DEFAULT "/usr/bin/mercure-worker"
#define WORKER_USER_DEFAULT "mercure"
#define STORAGE_VOLUME_DEFAULT "mercure-storage"

static const config_kv *
kv_find(const config_kvlist *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i].key, key) == 0)
			return &l->items[i];
	return NULL;
}

/* unset - absent, null, or "" (mercure.json writes unused module fields
 * such as resources and constraints as empty strings) */
static bool
unset(const config_kv *kv)
{
	return kv == NULL || kv->kind == CONFIG_KV_NULL ||
	       (kv->kind == CONFIG_KV_SCALAR && kv->value[0] == '\0');
}

static mc_err
bad(char *err, size_t errlen, const char *field, const char *msg)
{
	snprintf(err, errlen, "%s: %s", field, msg);
	return MC_ECONFIG;
}

static mc_err
copy_str(char *dst, size_t len, const char *v, const char *field, char *err,
    size_t errlen)
{
	if (strlen(v) >= len)
		return bad(err, errlen, field, "too long");
	snprintf(dst, len, "%s", v);
	return MC_OK;
}

/* scalar - a scalar field's text, or NULL when absent or null */
static mc_err
scalar(const config_kvlist *l, const char *key, const char *field,
    const char **out, char *err, size_t errlen)
{
	const config_kv *kv = kv_find(l, key);

	*out = NULL;
	if (unset(kv))
		return MC_OK;
	if (kv->kind != CONFIG_KV_SCALAR)
		return bad(err, errlen, field, "must be a single value");
	*out = kv->value;
	return MC_OK;
}

static mc_err
parse_long(const char *text, long min, long max, const char *field, long *out,
    char *err, size_t errlen)
{
	char *end;
	long  v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v < min || v > max) {
		char msg[96];
		snprintf(msg, sizeof(msg),
		    "must be a whole number in %ld..%ld", min, max);
		return bad(err, errlen, field, msg);
	}
	*out = v;
	return MC_OK;
}

/* json_long - a JSON number, or a string holding one */
static mc_err
json_long(const json_t *v, long min, long max, const char *field, long *out,
    char *err, size_t errlen)
{
	char buf[32];

	if (json_is_integer(v)) {
		snprintf(buf, sizeof(buf), "%lld",
		    (long long) json_integer_value(v));
		return parse_long(buf, min, max, field, out, err, errlen);
	}
	if (json_is_string(v))
		return parse_long(
		    json_string_value(v), min, max, field, out, err, errlen);
	return bad(err, errlen, field, "must be a whole number");
}

static mc_err
set_datacenters(
    nomad_job_desc *d, const config_kvlist *l, char *err, size_t errlen)
{
	const config_kv *kv = kv_find(l, "datacenters");
	json_t          *a;
	size_t           i;
	json_t          *v;
	mc_err           rv = MC_OK;

	d->n_datacenters = 1;
	snprintf(d->datacenters[0], sizeof(d->datacenters[0]), "*");
	if (unset(kv))
		return MC_OK;
	if (kv->kind == CONFIG_KV_SCALAR)
		return copy_str(d->datacenters[0], sizeof(d->datacenters[0]),
		    kv->value, "scheduler.datacenters", err, errlen);
	if ((a = json_loads(kv->value, 0, NULL)) == NULL ||
	    !json_is_array(a) || json_array_size(a) == 0 ||
	    json_array_size(a) > NOMAD_JOB_MAX_DCS) {
		json_decref(a);
		return bad(err, errlen, "scheduler.datacenters",
		    "must be a name or a list of 1 to 16 names");
	}
	d->n_datacenters = 0;
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v) || json_string_length(v) == 0) {
			rv = bad(err, errlen, "scheduler.datacenters",
			    "every entry must be a non-empty name");
			break;
		}
		if ((rv = copy_str(d->datacenters[d->n_datacenters++],
		         sizeof(d->datacenters[0]), json_string_value(v),
		         "scheduler.datacenters", err, errlen)) != MC_OK)
			break;
	}
	json_decref(a);
	return rv;
}

/* set_resources - {cpu, memory[, gpu]} from a mapping field */
static mc_err
set_resources(nomad_job_desc *d, const config_kv *kv, const char *field,
    char *err, size_t errlen)
{
	char    sub[160];
	json_t *o, *v;
	long    n;
	mc_err  rv = MC_OK;

	if (unset(kv))
		return MC_OK;
	if (kv->kind != CONFIG_KV_JSON ||
	    (o = json_loads(kv->value, 0, NULL)) == NULL || !json_is_object(o))
		return bad(err, errlen, field,
		    "must be a mapping {cpu: MHz, memory: MB, gpu: N}");
	if ((v = json_object_get(o, "cpu")) != NULL) {
		snprintf(sub, sizeof(sub), "%s.cpu", field);
		if ((rv = json_long(v, 1, 1000000, sub, &d->cpu_mhz, err,
		         errlen)) != MC_OK)
			goto out;
	}
	if ((v = json_object_get(o, "memory")) != NULL) {
		snprintf(sub, sizeof(sub), "%s.memory", field);
		if ((rv = json_long(v, 10, 100000000, sub, &d->memory_mb, err,
		         errlen)) != MC_OK)
			goto out;
	}
	if ((v = json_object_get(o, "gpu")) != NULL) {
		snprintf(sub, sizeof(sub), "%s.gpu", field);
		if ((rv = json_long(v, 0, 64, sub, &n, err, errlen)) != MC_OK)
			goto out;
		d->gpus = (unsigned) n;
	}
out:
	json_decref(o);
	return rv;
}

static mc_err
add_constraint(nomad_job_desc *d, const json_t *c, const char *field,
    char *err, size_t errlen)
{
	nomad_constraint *k;
	const char *a = json_string_value(json_object_get(c, "attribute"));
	const char *op = json_string_value(json_object_get(c, "operator"));
	const char *v = json_string_value(json_object_get(c, "value"));

	if (d->n_constraints == NOMAD_JOB_MAX_CONSTRAINTS)
		return bad(err, errlen, field, "too many constraints");
	if (op == NULL)
		op = "=";
	if ((a == NULL && strcmp(op, "distinct_hosts") != 0) ||
	    json_object_size(c) >
	        (size_t) (1 + (json_object_get(c, "operator") != NULL) +
	                  (v != NULL)))
		return bad(err, errlen, field,
		    "each constraint is {attribute, operator, value}");
	k = &d->constraints[d->n_constraints++];
	if (copy_str(k->attribute, sizeof(k->attribute), a ? a : "", field,
	        err, errlen) != MC_OK ||
	    copy_str(k->op, sizeof(k->op), op, field, err, errlen) != MC_OK ||
	    copy_str(k->value, sizeof(k->value), v ? v : "", field, err,
	        errlen) != MC_OK)
		return MC_ECONFIG;
	return MC_OK;
}

static mc_err
set_constraints(nomad_job_desc *d, const config_kv *kv, const char *field,
    char *err, size_t errlen)
{
	json_t *a, *c;
	size_t  i;
	mc_err  rv = MC_OK;

	if (unset(kv))
		return MC_OK;
	if (kv->kind != CONFIG_KV_JSON ||
	    (a = json_loads(kv->value, 0, NULL)) == NULL || !json_is_array(a))
		return bad(err, errlen, field,
		    "must be a list of {attribute, operator, value}");
	json_array_foreach(a, i, c)
	{
		if (!json_is_object(c)) {
			rv = bad(err, errlen, field,
			    "each constraint is {attribute, operator, value}");
			break;
		}
		if ((rv = add_constraint(d, c, field, err, errlen)) != MC_OK)
			break;
	}
	json_decref(a);
	return rv;
}

/* add_env - key = head + tail; MC_ECONFIG when it does not fit */
static mc_err
add_env(nomad_job_desc *d, const char *key, const char *head, const char *tail,
    char *err, size_t errlen)
{
	nomad_env *e;

	if (d->n_env == NOMAD_JOB_MAX_ENV)
		return bad(err, errlen, key, "too many variables");
	e = &d->env[d->n_env++];
	snprintf(e->key, sizeof(e->key), "%s", key);
	if (snprintf(e->value, sizeof(e->value), "%s%s", head, tail) >=
	    (int) sizeof(e->value))
		return bad(err, errlen, "scheduler.storage_mount", "too long");
	return MC_OK;
}

/* placement - what every job shares: namespace, region, datacenters,
 * constraints, the storage volume and mount, lost_after */
static mc_err
placement(const mc_config *cfg, nomad_job_desc *d, char *err, size_t errlen)
{
	const config_kvlist *l = &cfg->scheduler.fields;
	const char          *v;
	long                 n;
	mc_err               rv;

	memset(d, 0, sizeof(*d));
	d->cpu_mhz = NOMAD_JOB_CPU_DEFAULT_MHZ;
	d->memory_mb = NOMAD_JOB_MEMORY_DEFAULT_MB;
	d->lost_after_s = NOMAD_JOB_LOST_AFTER_DEFAULT_S;
	snprintf(d->storage_volume, sizeof(d->storage_volume), "%s",
	    STORAGE_VOLUME_DEFAULT);
	if ((rv = scalar(
	         l, "namespace", "scheduler.namespace", &v, err, errlen)) ||
	    (v && (rv = copy_str(d->ns, sizeof(d->ns), v,
	               "scheduler.namespace", err, errlen))) ||
	    (rv = scalar(l, "region", "scheduler.region", &v, err, errlen)) ||
	    (v && (rv = copy_str(d->region, sizeof(d->region), v,
	               "scheduler.region", err, errlen))) ||
	    (rv = set_datacenters(d, l, err, errlen)) ||
	    (rv = set_constraints(d, kv_find(l, "constraints"),
	         "scheduler.constraints", err, errlen)) ||
	    (rv = scalar(l, "storage_volume", "scheduler.storage_volume", &v,
	         err, errlen)) ||
	    (v && (rv = copy_str(d->storage_volume, sizeof(d->storage_volume),
	               v, "scheduler.storage_volume", err, errlen))) ||
	    (rv = scalar(
	         l, "lost_after", "scheduler.lost_after", &v, err, errlen)))
		return rv;
	if (v != NULL) {
		if ((rv = parse_long(v, 0, 86400, "scheduler.lost_after", &n,
		         err, errlen)) != MC_OK)
			return rv;
		d->lost_after_s = (uint32_t) n;
	}
	if ((rv = scalar(l, "storage_mount", "scheduler.storage_mount", &v,
	         err, errlen)) != MC_OK)
		return rv;
	if (v == NULL)
		v = cfg->storage_root;
	if (v[0] != '/')
		return bad(err, errlen, "scheduler.storage_mount",
		    "must be an absolute path (where the task sees the "
		    "storage root; default: storage_root when absolute)");
	return copy_str(d->storage_mount, sizeof(d->storage_mount), v,
	    "scheduler.storage_mount", err, errlen);
}

/* worker_program - the driver and the program: the worker on the node
 * (exec drivers), or the worker in the image (docker: the image mercure
 * publishes holds every program, the command chooses one) */
static mc_err
worker_program(
    const config_kvlist *l, nomad_job_desc *d, char *err, size_t errlen)
{
	const char *drv, *path, *image, *user;
	mc_err      rv;

	if ((rv = scalar(
	         l, "driver", "scheduler.driver", &drv, err, errlen)) ||
	    (rv = scalar(l, "worker_path", "scheduler.worker_path", &path, err,
	         errlen)) ||
	    (rv = scalar(
	         l, "image", "scheduler.image", &image, err, errlen)) ||
	    (rv = scalar(l, "user", "scheduler.user", &user, err, errlen)) ||
	    (rv = copy_str(d->user, sizeof(d->user),
	         user ? user : WORKER_USER_DEFAULT, "scheduler.user", err,
	         errlen)))
		return rv;
	if (drv == NULL)
		drv = "exec";
	if (strcmp(drv, "exec") != 0 && strcmp(drv, "raw_exec") != 0 &&
	    strcmp(drv, "docker") != 0)
		return bad(err, errlen, "scheduler.driver",
		    "must be exec, raw_exec or docker");
	snprintf(d->driver, sizeof(d->driver), "%s", drv);
	if (strcmp(drv, "docker") == 0) {
		if (image == NULL || image[0] == '\0')
			return bad(err, errlen, "scheduler.image",
			    "required with driver docker");
		if ((rv = copy_str(d->image, sizeof(d->image), image,
		         "scheduler.image", err, errlen)) != MC_OK)
			return rv;
	}
	if (path == NULL)
		path = WORKER_PATH_DEFAULT;
	if (path[0] != '/')
		return bad(err, errlen, "scheduler.worker_path",
		    "must be an absolute path");
	return copy_str(d->command, sizeof(d->command), path,
	    "scheduler.worker_path", err, errlen);
}

/* worker_config - where workers read targets' secrets: the setting,
 * else the coordinator's own file when its path is absolute (a relative
 * one means nothing on another node) */
static mc_err
worker_config(
    const mc_config *cfg, nomad_job_desc *d, char *err, size_t errlen)
{
	const char *v;
	mc_err      rv;

	if ((rv = scalar(&cfg->scheduler.fields, "worker_config",
	         "scheduler.worker_config", &v, err, errlen)) != MC_OK)
		return rv;
	if (v == NULL)
		v = cfg->path != NULL && cfg->path[0] == '/' ? cfg->path : "";
	else if (v[0] != '/')
		return bad(err, errlen, "scheduler.worker_config",
		    "must be an absolute path");
	return copy_str(d->config_file, sizeof(d->config_file), v,
	    "scheduler.worker_config", err, errlen);
}

mc_err
nomad_job_worker_from_config(
    const mc_config *cfg, nomad_job_desc *d, char *err, size_t errlen)
{
	const config_kvlist *l = &cfg->scheduler.fields;
	mc_err               rv;

	if ((rv = placement(cfg, d, err, errlen)) ||
	    (rv = worker_program(l, d, err, errlen)) ||
	    (rv = set_resources(d, kv_find(l, "resources"),
	         "scheduler.resources", err, errlen)))
		return rv;
	snprintf(d->id, sizeof(d->id), "%s", NOMAD_JOB_WORKER_ID);
	snprintf(d->group, sizeof(d->group), "worker");
	snprintf(d->task, sizeof(d->task), "worker");
	d->n_args = 4;
	snprintf(d->args[0], sizeof(d->args[0]), "--task-id");
	snprintf(d->args[1], sizeof(d->args[1]), "${NOMAD_META_%s}",
	    NOMAD_JOB_META_TASK);
	snprintf(d->args[2], sizeof(d->args[2]), "--storage");
	snprintf(d->args[3], sizeof(d->args[3]), "%s", d->storage_mount);
	if ((rv = add_env(d, "MERCURE_STORAGE", d->storage_mount, "", err,
	         errlen)) != MC_OK ||
	    (rv = worker_config(cfg, d, err, errlen)) != MC_OK ||
	    d->config_file[0] == '\0')
		return rv;
	return add_env(d, CONFIG_PATH_ENV, d->config_file, "", err, errlen);
}

#define MODULE_STEP_DIR "/tasks/${NOMAD_META_" NOMAD_JOB_META_TASK "}/work/"
static const char *const MODULE_DIR_ENV[][2] = {
    {"MERCURE_IN_DIR", MODULE_STEP_DIR "in"},
    {"MERCURE_OUT_DIR", MODULE_STEP_DIR "out"},
    {"MONAI_INPUTPATH", MODULE_STEP_DIR "in"},
    {"MONAI_OUTPUTPATH", MODULE_STEP_DIR "out"},
    {"HOLOSCAN_INPUT_PATH", MODULE_STEP_DIR "in"},
    {"HOLOSCAN_OUTPUT_PATH", MODULE_STEP_DIR "out"},
};

mc_err
nomad_job_module_from_config(const mc_config *cfg, const config_module *m,
    nomad_job_desc *d, char *err, size_t errlen)
{
	const config_kv *tag = kv_find(&m->fields, "docker_tag");
	char             field[160];
	size_t           i;
	mc_err           rv;

	if (tag == NULL || tag->kind != CONFIG_KV_SCALAR || !tag->value[0])
		return MC_ENOENT;
	if ((rv = placement(cfg, d, err, errlen)) != MC_OK)
		return rv;
	snprintf(field, sizeof(field), "modules.%s", m->name);
	if (snprintf(d->id, sizeof(d->id), "%s%s", NOMAD_JOB_MODULE_PREFIX,
	        m->name) >= (int) sizeof(d->id))
		return bad(err, errlen, field, "name too long for a job ID");
	for (i = strlen(NOMAD_JOB_MODULE_PREFIX); d->id[i]; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz"
		            "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
		        d->id[i]))
			d->id[i] = '-';
	snprintf(d->group, sizeof(d->group), "module");
	snprintf(d->task, sizeof(d->task), "module");
	snprintf(d->driver, sizeof(d->driver), "docker");
	if ((rv = copy_str(d->image, sizeof(d->image), tag->value, field, err,
	         errlen)) != MC_OK)
		return rv;
	snprintf(field, sizeof(field), "modules.%s.resources", m->name);
	if ((rv = set_resources(d, kv_find(&m->fields, "resources"), field,
	         err, errlen)) != MC_OK)
		return rv;
	snprintf(field, sizeof(field), "modules.%s.constraints", m->name);
	if ((rv = set_constraints(d, kv_find(&m->fields, "constraints"), field,
	         err, errlen)) != MC_OK)
		return rv;
	/* mercure's module contract: the step's folders in the task folder
	 * (work/in, work/out: the coordinator runs the chain step by step),
	 * under each name mercure gives them */
	if ((rv = add_env(
	         d, "MERCURE_STORAGE", d->storage_mount, "", err, errlen)))
		return rv;
	for (i = 0; i < sizeof(MODULE_DIR_ENV) / sizeof(MODULE_DIR_ENV[0]);
	     i++)
		if ((rv = add_env(d, MODULE_DIR_ENV[i][0], d->storage_mount,
		         MODULE_DIR_ENV[i][1], err, errlen)))
			return rv;
	return MC_OK;
}

/* ---- JSON ------------------------------------------------------------- */

/* jset - o[k] = v (taken); -1 when v is NULL (an allocation failed) */
static int
jset(json_t *o, const char *k, json_t *v)
{
	return v == NULL ? -1 : json_object_set_new(o, k, v);
}

static json_t *
fail(json_t *o)
{
	json_decref(o);
	return NULL;
}

static json_t *
str_array(const char (*v)[64], size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) != 0)
			return fail(a);
	return a;
}

/* config_bind - docker's read-only bind of the configuration file, at
 * the same path in the container: "FILE:FILE:ro" */
static json_t *
config_bind(const nomad_job_desc *d)
{
	char v[2 * NOMAD_JOB_PATH_MAX + 8];

	snprintf(v, sizeof(v), "%s:%s:ro", d->config_file, d->config_file);
	return json_pack("[s]", v);
}

static json_t *
task_config(const nomad_job_desc *d)
{
	json_t *c = json_object(), *args = json_array();
	bool    docker = strcmp(d->driver, "docker") == 0;

	if (c == NULL || args == NULL) {
		json_decref(args);
		return fail(c);
	}
	for (size_t i = 0; i < d->n_args; i++)
		if (json_array_append_new(args, json_string(d->args[i])) !=
		    0) {
			json_decref(args);
			return fail(c);
		}
	if ((docker && jset(c, "image", json_string(d->image))) ||
	    ((!docker || d->command[0]) &&
	        jset(c, "command", json_string(d->command))) ||
	    (docker && d->config_file[0] &&
	        jset(c, "volumes", config_bind(d)))) {
		json_decref(args);
		return fail(c);
	}
	if (!docker || d->n_args > 0)
		return jset(c, "args", args) ? fail(c) : c;
	json_decref(args);
	return c;
}

static json_t *
task_resources(const nomad_job_desc *d)
{
	json_t *r = json_pack("{s:I, s:I}", "CPU", (json_int_t) d->cpu_mhz,
	    "MemoryMB", (json_int_t) d->memory_mb);

	if (r != NULL && d->gpus > 0 &&
	    jset(r, "Devices",
	        json_pack("[{s:s, s:I}]", "Name", "nvidia/gpu", "Count",
	            (json_int_t) d->gpus)))
		return fail(r);
	return r;
}

static json_t *
task_json(const nomad_job_desc *d)
{
	json_t *env = json_object();
	json_t *t;

	for (size_t i = 0; env && i < d->n_env; i++)
		if (jset(env, d->env[i].key, json_string(d->env[i].value)))
			env = fail(env);
	t = json_pack("{s:s, s:s, s:o, s:o, s:o}", "Name", d->task, "Driver",
	    d->driver, "Config", task_config(d), "Env", env, "Resources",
	    task_resources(d));
	if (t == NULL)
		return NULL;
	if (d->user[0] && jset(t, "User", json_string(d->user)))
		return fail(t);
	/* raw_exec cannot mount: the group volume then only places the
	 * alloc on a node that has the storage (reference 2.1) */
	if (d->storage_volume[0] && strcmp(d->driver, "raw_exec") != 0 &&
	    jset(t, "VolumeMounts",
	        json_pack("[{s:s, s:s, s:b}]", "Volume", NOMAD_JOB_VOLUME,
	            "Destination", d->storage_mount, "ReadOnly", 0)))
		return fail(t);
	if (jset(t, "KillTimeout",
	        json_integer(NOMAD_JOB_KILL_TIMEOUT_S * NS_PER_S)))
		return fail(t);
	return t;
}

static json_t *
group_json(const nomad_job_desc *d)
{
	json_t *g = json_pack(
	    "{s:s, s:i, s:{s:i, s:I, s:I, s:s}, s:{s:i, s:b}, s:{s:I, s:b}}",
	    "Name", d->group, "Count", 1, "RestartPolicy", "Attempts", 0,
	    "Interval", (json_int_t) NOMAD_JOB_RESTART_INTERVAL_S * NS_PER_S,
	    "Delay", (json_int_t) NOMAD_JOB_RESTART_DELAY_S * NS_PER_S, "Mode",
	    "fail", "ReschedulePolicy", "Attempts", 0, "Unlimited", 0,
	    "Disconnect", "LostAfter", (json_int_t) d->lost_after_s * NS_PER_S,
	    "Replace", 0);

	if (g == NULL)
		return NULL;
	if (d->storage_volume[0] &&
	    jset(g, "Volumes",
	        json_pack("{s:{s:s, s:s, s:s, s:b}}", NOMAD_JOB_VOLUME, "Name",
	            NOMAD_JOB_VOLUME, "Type", "host", "Source",
	            d->storage_volume, "ReadOnly", 0)))
		return fail(g);
	if (jset(g, "Tasks", json_pack("[o]", task_json(d))))
		return fail(g);
	return g;
}

static json_t *
constraints_json(const nomad_job_desc *d)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < d->n_constraints; i++) {
		const nomad_constraint *k = &d->constraints[i];
		json_t                 *c = json_pack(
		                    "{s:s, s:s}", "Operand", k->op, "LTarget", k->attribute);
		if (c != NULL && k->value[0] &&
		    jset(c, "RTarget", json_string(k->value)))
			c = fail(c);
		if (json_array_append_new(a, c) != 0)
			return fail(a);
	}
	return a;
}

mc_err
nomad_job_json(const nomad_job_desc *d, char **out)
{
	json_t *job, *root;

	*out = NULL;
	job = json_pack("{s:s, s:s, s:s, s:s, s:o, s:i}", "ID", d->id, "Name",
	    d->id, "Type", "batch", "Namespace", d->ns[0] ? d->ns : "default",
	    "Datacenters", str_array(d->datacenters, d->n_datacenters),
	    "Priority", NOMAD_JOB_PRIORITY);
	if (job == NULL)
		return MC_ENOMEM;
	if ((d->region[0] && jset(job, "Region", json_string(d->region))) ||
	    jset(job, "ParameterizedJob",
	        json_pack("{s:s, s:[s], s:[]}", "Payload", "forbidden",
	            "MetaRequired", NOMAD_JOB_META_TASK, "MetaOptional")) ||
	    (d->n_constraints &&
	        jset(job, "Constraints", constraints_json(d))) ||
	    jset(job, "TaskGroups", json_pack("[o]", group_json(d)))) {
		json_decref(job);
		return MC_ENOMEM;
	}
	if ((root = json_pack("{s:o}", "Job", job)) == NULL)
		return MC_ENOMEM;
	*out = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return *out ? MC_OK : MC_ENOMEM;
}
