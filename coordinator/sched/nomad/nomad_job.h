/* nomad_job.h - the one description of the Nomad jobs the coordinator
 * registers: the worker's parameterized batch job and one per container
 * module. The same description prints the API JSON the coordinator sends
 * (PUT /v1/jobs) and the HCL2 job file kept in nomad/, so the two cannot
 * drift (unit.nomad_job compares them; the reference is Nomad's job
 * specification and its JSON form, PUT /v1/jobs). */
#ifndef MC_COORDINATOR_NOMAD_JOB_H
#define MC_COORDINATOR_NOMAD_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "base/mc_err.h"

#define NOMAD_JOB_WORKER_ID "mercure-worker"
#define NOMAD_JOB_MODULE_PREFIX "mercure-module-"
/* the dispatch meta key that names the task (NOMAD_META_task_id) */
#define NOMAD_JOB_META_TASK "task_id"
#define NOMAD_JOB_NAME_MAX 128
#define NOMAD_JOB_PATH_MAX 512
#define NOMAD_JOB_MAX_DCS 16
#define NOMAD_JOB_MAX_CONSTRAINTS 16
#define NOMAD_JOB_MAX_ARGS 8
#define NOMAD_JOB_MAX_ENV 8
#define NOMAD_JOB_CPU_DEFAULT_MHZ 500
#define NOMAD_JOB_MEMORY_DEFAULT_MB 256
#define NOMAD_JOB_LOST_AFTER_DEFAULT_S 60
#define NOMAD_JOB_KILL_TIMEOUT_S 30
/* RestartPolicy with Attempts 0 still needs a valid interval and delay */
#define NOMAD_JOB_RESTART_INTERVAL_S 86400
#define NOMAD_JOB_RESTART_DELAY_S 15
#define NOMAD_JOB_PRIORITY 50

typedef struct nomad_constraint {
	char attribute[256]; /* LTarget; "" for distinct_hosts */
	char op[32];         /* Operand */
	char value[256];     /* RTarget */
} nomad_constraint;

typedef struct nomad_env {
	char key[64];
	char value[NOMAD_JOB_PATH_MAX];
} nomad_env;

/* nomad_job_desc - one parameterized batch job with one group and one
 * task that mounts the shared storage. Plain data: init it with
 * nomad_job_worker_from_config() or nomad_job_module_from_config(), or
 * fill it by hand (tests). */
typedef struct nomad_job_desc {
	char      id[NOMAD_JOB_NAME_MAX];
	char      group[64], task[64];
	char      ns[64];     /* Namespace; "" = "default" */
	char      region[64]; /* Region; "" = not sent (the agent's) */
	char      datacenters[NOMAD_JOB_MAX_DCS][64];
	size_t    n_datacenters;
	char      driver[16];                  /* raw_exec, exec, docker */
	char      command[NOMAD_JOB_PATH_MAX]; /* docker: in image, or "" */
	char      image[NOMAD_JOB_PATH_MAX];   /* docker only */
	char      user[64]; /* Task.User; "" = the driver's default */
	char      args[NOMAD_JOB_MAX_ARGS][NOMAD_JOB_PATH_MAX];
	size_t    n_args;
	nomad_env env[NOMAD_JOB_MAX_ENV];
	size_t    n_env;
	long      cpu_mhz, memory_mb;
	unsigned  gpus; /* Devices [{"Name":"nvidia/gpu","Count":gpus}] */
	nomad_constraint constraints[NOMAD_JOB_MAX_CONSTRAINTS];
	size_t           n_constraints;
	char storage_volume[128]; /* host volume source; "" = none */
	char storage_mount[NOMAD_JOB_PATH_MAX]; /* path in the task */
	/* the worker's configuration file (MERCURE_CONFIG); "" = none */
	char     config_file[NOMAD_JOB_PATH_MAX];
	uint32_t lost_after_s; /* Disconnect.LostAfter, Replace=false */
} nomad_job_desc;

/* nomad_job_worker_from_config - the worker job from cfg->scheduler
 * (driver, worker_path, image, user, resources, constraints,
 * datacenters, namespace, region, storage_volume, storage_mount,
 * lost_after, worker_config: the configuration file as workers see it,
 * default cfg->path when absolute; it becomes MERCURE_CONFIG, and with
 * docker it is bound into the container read-only at the same path).
 * cfg is borrowed. MC_ECONFIG with err filled for a bad setting. Any
 * thread. */
MC_NODISCARD mc_err nomad_job_worker_from_config(
    const mc_config *cfg, nomad_job_desc *d, char *err, size_t errlen);

/* nomad_job_module_from_config - the job of a container module (a
 * module with docker_tag): the worker's placement settings, docker
 * driver with the module's image, its resources {cpu, memory, gpu} and
 * constraints. MC_ENOENT when m has no docker_tag (nothing to
 * register); MC_ECONFIG with err for a bad field. Any thread. */
MC_NODISCARD mc_err nomad_job_module_from_config(const mc_config *cfg,
    const config_module *m, nomad_job_desc *d, char *err, size_t errlen);

/* nomad_job_json - the register body {"Job":{...}} for d, compact.
 * On MC_OK *out is malloc'ed (caller frees); MC_ENOMEM otherwise. */
MC_NODISCARD mc_err nomad_job_json(const nomad_job_desc *d, char **out);

/* nomad_job_hcl - the HCL2 job file for d. With NOMAD_HCL_VARIABLES the
 * operator-facing values (datacenters, driver, worker path, image, user,
 * storage volume and mount, configuration file) become variables whose
 * defaults are d's values, and the file serves every driver: the task's
 * config and volume_mount blocks are dynamic blocks chosen by
 * var.driver. Without it, d's driver alone is printed. On MC_OK *out is
 * malloc'ed (caller frees). */
enum { NOMAD_HCL_LITERAL = 0, NOMAD_HCL_VARIABLES = 1 };
MC_NODISCARD mc_err nomad_job_hcl(
    const nomad_job_desc *d, int flags, char **out);

/* nomad_job_validate - check register JSON (as nomad_job_json() makes
 * it, or any {"Job":{...}}) against the job checks of docs/nomad.md.
 * MC_OK, or MC_ECONFIG with the first violation in err (Nomad's
 * wording where it has one), or MC_EPARSE. Any thread. */
MC_NODISCARD mc_err nomad_job_validate(
    const char *json, char *err, size_t errlen);

#endif
