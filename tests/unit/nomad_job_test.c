/* nomad_job_test.c - the jobs the coordinator registers: the settings
 * become Nomad's JSON field by field, the JSON passes the job checks of
 * docs/nomad.md and every rule of that table catches its violation,
 * and nomad/mercure-worker.nomad.hcl is exactly what the description
 * prints (MC_NOMAD_WRITE_HCL=1 rewrites the file instead of comparing). */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"

#include "config/config.h"
#include "sched/nomad/nomad_job.h"
#include "os/sys_fs.h"

#define NS_PER_S 1000000000LL
#define JOB_FILE MC_SOURCE_DIR "/nomad/mercure-worker.nomad.hcl"

/* the reference setup of nomad/mercure-worker.nomad.hcl and docs/nomad.md */
static const char reference_yaml[] =
    "storage_root: /srv/mercure\n"
    "scheduler:\n"
    "  type: nomad\n"
    "  datacenters: [dc1]\n"
    "  driver: exec\n"
    "  worker_path: /usr/bin/mercure-worker\n"
    "  worker_config: /etc/mercure/mercure.yaml\n"
    "  storage_volume: mercure-storage\n"
    "  resources: {cpu: 500, memory: 256}\n"
    "  constraints:\n"
    "    - {attribute: \"${attr.kernel.name}\", value: linux}\n";

static char err[512];

static mc_config *
load(const char *yaml)
{
	mc_config  *cfg = NULL;
	config_diag d[4];
	size_t      n = 0;
	char        line[512];

	if (config_load_buffer(
	        "test.yaml", yaml, strlen(yaml), &cfg, d, 4, &n) != MC_OK)
		ck_abort_msg("config: %s",
		    n ? config_diag_format(&d[0], line, sizeof(line)) : "?");
	return cfg;
}

static json_t *
worker_json(const char *yaml, nomad_job_desc *d)
{
	mc_config *cfg = load(yaml);
	char      *text = NULL;
	json_t    *j;

	ck_assert_msg(
	    nomad_job_worker_from_config(cfg, d, err, sizeof(err)) == MC_OK,
	    "%s", err);
	ck_assert_int_eq(nomad_job_json(d, &text), MC_OK);
	ck_assert_msg(nomad_job_validate(text, err, sizeof(err)) == MC_OK,
	    "job check: %s in %s", err, text);
	j = json_loads(text, 0, NULL);
	ck_assert_ptr_nonnull(j);
	free(text);
	config_destroy(cfg);
	return j;
}

/* at - the value at a path such as "Job.TaskGroups.0.Name" */
static json_t *
at(json_t *j, const char *path)
{
	char   key[128];
	size_t n;

	while (j != NULL && *path) {
		n = strcspn(path, ".");
		snprintf(key, sizeof(key), "%.*s", (int) n, path);
		if (json_is_array(j))
			j = json_array_get(j, strtoul(key, NULL, 10));
		else
			j = json_object_get(j, key);
		path += n + (path[n] == '.');
	}
	return j;
}

static const char *
s_at(json_t *j, const char *path)
{
	const char *s = json_string_value(at(j, path));

	ck_assert_msg(s != NULL, "no string at %s", path);
	return s;
}

static long long
i_at(json_t *j, const char *path)
{
	json_t *v = at(j, path);

	ck_assert_msg(json_is_integer(v), "no integer at %s", path);
	return json_integer_value(v);
}

START_TEST(worker_job_has_the_reference_shape)
{
	nomad_job_desc d;
	json_t        *j = worker_json(reference_yaml, &d);
	const char    *T = "Job.TaskGroups.0.Tasks.0";
	char           p[128];

	ck_assert_str_eq(s_at(j, "Job.ID"), "mercure-worker");
	ck_assert_str_eq(s_at(j, "Job.Name"), "mercure-worker");
	ck_assert_str_eq(s_at(j, "Job.Type"), "batch");
	ck_assert_str_eq(s_at(j, "Job.Namespace"), "default");
	ck_assert_ptr_null(at(j, "Job.Region"));
	ck_assert_str_eq(s_at(j, "Job.Datacenters.0"), "dc1");
	ck_assert_uint_eq(json_array_size(at(j, "Job.Datacenters")), 1);
	ck_assert_int_eq(i_at(j, "Job.Priority"), 50);
	ck_assert_str_eq(s_at(j, "Job.ParameterizedJob.Payload"), "forbidden");
	ck_assert_str_eq(
	    s_at(j, "Job.ParameterizedJob.MetaRequired.0"), "task_id");
	ck_assert_str_eq(
	    s_at(j, "Job.Constraints.0.LTarget"), "${attr.kernel.name}");
	ck_assert_str_eq(s_at(j, "Job.Constraints.0.Operand"), "=");
	ck_assert_str_eq(s_at(j, "Job.Constraints.0.RTarget"), "linux");
	/* the coordinator owns retries: no restart, no reschedule, and a
	 * lost alloc is not replaced behind its back */
	ck_assert_int_eq(i_at(j, "Job.TaskGroups.0.Count"), 1);
	ck_assert_int_eq(
	    i_at(j, "Job.TaskGroups.0.RestartPolicy.Attempts"), 0);
	ck_assert_str_eq(
	    s_at(j, "Job.TaskGroups.0.RestartPolicy.Mode"), "fail");
	ck_assert_int_eq(i_at(j, "Job.TaskGroups.0.RestartPolicy.Interval"),
	    86400 * NS_PER_S);
	ck_assert_int_eq(
	    i_at(j, "Job.TaskGroups.0.ReschedulePolicy.Attempts"), 0);
	ck_assert(json_is_false(at(j, "Job.TaskGroups.0.ReschedulePolicy."
	                              "Unlimited")));
	ck_assert(json_is_false(at(j, "Job.TaskGroups.0.Disconnect.Replace")));
	ck_assert_int_eq(
	    i_at(j, "Job.TaskGroups.0.Disconnect.LostAfter"), 60 * NS_PER_S);
	ck_assert_str_eq(
	    s_at(j, "Job.TaskGroups.0.Volumes.storage.Type"), "host");
	ck_assert_str_eq(s_at(j, "Job.TaskGroups.0.Volumes.storage.Source"),
	    "mercure-storage");
	snprintf(p, sizeof(p), "%s.Driver", T);
	ck_assert_str_eq(s_at(j, p), "exec");
	/* the Debian package's system user */
	snprintf(p, sizeof(p), "%s.User", T);
	ck_assert_str_eq(s_at(j, p), "mercure");
	snprintf(p, sizeof(p), "%s.Config.command", T);
	ck_assert_str_eq(s_at(j, p), "/usr/bin/mercure-worker");
	snprintf(p, sizeof(p), "%s.Config.args.1", T);
	ck_assert_str_eq(s_at(j, p), "${NOMAD_META_task_id}");
	snprintf(p, sizeof(p), "%s.Config.args.3", T);
	ck_assert_str_eq(s_at(j, p), "/srv/mercure");
	snprintf(p, sizeof(p), "%s.Env.MERCURE_STORAGE", T);
	ck_assert_str_eq(s_at(j, p), "/srv/mercure");
	snprintf(p, sizeof(p), "%s.Resources.CPU", T);
	ck_assert_int_eq(i_at(j, p), 500);
	snprintf(p, sizeof(p), "%s.Resources.MemoryMB", T);
	ck_assert_int_eq(i_at(j, p), 256);
	snprintf(p, sizeof(p), "%s.VolumeMounts.0.Destination", T);
	ck_assert_str_eq(s_at(j, p), "/srv/mercure");
	snprintf(p, sizeof(p), "%s.KillTimeout", T);
	ck_assert_int_eq(i_at(j, p), 30 * NS_PER_S);
	json_decref(j);
}
END_TEST

START_TEST(raw_exec_keeps_the_volume_for_placement_only)
{
	nomad_job_desc d;
	json_t        *j = worker_json("storage_root: /data/m\n"
	                                      "scheduler: {type: nomad, driver: raw_exec,"
	                                      " namespace: radiology, region: eu,"
	                                      " datacenters: dc2, lost_after: 90}\n",
	           &d);

	ck_assert_str_eq(
	    s_at(j, "Job.TaskGroups.0.Tasks.0.Driver"), "raw_exec");
	ck_assert_ptr_null(at(j, "Job.TaskGroups.0.Tasks.0.VolumeMounts"));
	ck_assert_str_eq(s_at(j, "Job.TaskGroups.0.Volumes.storage.Source"),
	    "mercure-storage");
	ck_assert_str_eq(s_at(j, "Job.Namespace"), "radiology");
	ck_assert_str_eq(s_at(j, "Job.Region"), "eu");
	ck_assert_str_eq(s_at(j, "Job.Datacenters.0"), "dc2");
	ck_assert_int_eq(
	    i_at(j, "Job.TaskGroups.0.Disconnect.LostAfter"), 90 * NS_PER_S);
	ck_assert_str_eq(
	    s_at(j, "Job.TaskGroups.0.Tasks.0.Config.args.3"), "/data/m");
	json_decref(j);
}
END_TEST

START_TEST(docker_worker_and_gpu_module)
{
	static const char yaml[] =
	    "storage_root: /srv/m\n"
	    "scheduler: {type: nomad, driver: docker, image: 'reg/w:1',"
	    " storage_mount: /mnt/m}\n"
	    "modules:\n"
	    "  seg:\n"
	    "    docker_tag: reg/seg:2\n"
	    "    resources: {cpu: 2000, memory: 4096, gpu: 1}\n"
	    "    constraints: [{attribute: '${meta.gpu}', value: 'yes'}]\n"
	    "  notag: {comment: no container}\n"
	    "  plain: {docker_tag: 'reg/p:1', resources: '', constraints: "
	    "''}\n";
	mc_config     *cfg = load(yaml);
	nomad_job_desc d;
	char          *text = NULL;
	json_t        *j;

	ck_assert_int_eq(
	    nomad_job_worker_from_config(cfg, &d, err, sizeof(err)), MC_OK);
	ck_assert_str_eq(d.image, "reg/w:1");
	ck_assert_str_eq(d.storage_mount, "/mnt/m");
	ck_assert_str_eq(d.command, "/usr/bin/mercure-worker");
	/* mercure.json writes unused fields as "" */
	ck_assert_int_eq(nomad_job_module_from_config(
	                     cfg, &cfg->modules[2], &d, err, sizeof(err)),
	    MC_OK);
	ck_assert_int_eq(d.cpu_mhz, NOMAD_JOB_CPU_DEFAULT_MHZ);
	ck_assert_uint_eq(d.n_constraints, 0);
	ck_assert_str_eq(d.id, "mercure-module-plain");
	ck_assert_int_eq(nomad_job_module_from_config(
	                     cfg, &cfg->modules[1], &d, err, sizeof(err)),
	    MC_ENOENT);
	ck_assert_int_eq(nomad_job_module_from_config(
	                     cfg, &cfg->modules[0], &d, err, sizeof(err)),
	    MC_OK);
	ck_assert_int_eq(nomad_job_json(&d, &text), MC_OK);
	ck_assert_msg(
	    nomad_job_validate(text, err, sizeof(err)) == MC_OK, "%s", err);
	j = json_loads(text, 0, NULL);
	ck_assert_str_eq(s_at(j, "Job.ID"), "mercure-module-seg");
	ck_assert_str_eq(s_at(j, "Job.TaskGroups.0.Tasks.0.Driver"), "docker");
	ck_assert_str_eq(
	    s_at(j, "Job.TaskGroups.0.Tasks.0.Config.image"), "reg/seg:2");
	/* a module's image runs as its own user, its own program */
	ck_assert_ptr_null(at(j, "Job.TaskGroups.0.Tasks.0.User"));
	ck_assert_ptr_null(at(j, "Job.TaskGroups.0.Tasks.0.Config.command"));
	ck_assert_ptr_null(at(j, "Job.TaskGroups.0.Tasks.0.Config.volumes"));
	ck_assert_int_eq(
	    i_at(j, "Job.TaskGroups.0.Tasks.0.Resources.CPU"), 2000);
	ck_assert_str_eq(
	    s_at(j, "Job.TaskGroups.0.Tasks.0.Resources.Devices.0."
	            "Name"),
	    "nvidia/gpu");
	ck_assert_int_eq(
	    i_at(j, "Job.TaskGroups.0.Tasks.0.Resources.Devices.0."
	            "Count"),
	    1);
	ck_assert_str_eq(s_at(j, "Job.Constraints.0.LTarget"), "${meta.gpu}");
	ck_assert_str_eq(
	    s_at(j, "Job.TaskGroups.0.Tasks.0.Env.MERCURE_IN_DIR"),
	    "/mnt/m/tasks/${NOMAD_META_task_id}/work/in");
	ck_assert_str_eq(
	    s_at(j, "Job.TaskGroups.0.Tasks.0.Env.MERCURE_OUT_DIR"),
	    "/mnt/m/tasks/${NOMAD_META_task_id}/work/out");
	ck_assert_str_eq(
	    s_at(j, "Job.TaskGroups.0.Tasks.0.Env.HOLOSCAN_OUTPUT_PATH"),
	    "/mnt/m/tasks/${NOMAD_META_task_id}/work/out");
	ck_assert_str_eq(s_at(j, "Job.TaskGroups.0.Tasks.0.VolumeMounts.0."
	                         "Destination"),
	    "/mnt/m");
	json_decref(j);
	free(text);
	config_destroy(cfg);
}
END_TEST

/* the image holds every program: the worker job names the worker in it
 * and binds the configuration file in at the same path, read-only; the
 * task's user is a setting */
/* a built-in module runs inside the worker's job: no job of its own */
START_TEST(a_builtin_module_gets_no_job)
{
	static const char yaml[] =
	    "storage_root: /srv/m\n"
	    "scheduler: {type: nomad, driver: docker, image: 'reg/w:1',"
	    " storage_mount: /mnt/m}\n"
	    "modules:\n"
	    "  pass: {builtin: copy}\n";
	mc_config     *cfg = load(yaml);
	nomad_job_desc d;

	ck_assert_int_eq(
	    nomad_job_worker_from_config(cfg, &d, err, sizeof(err)), MC_OK);
	ck_assert_int_eq(nomad_job_module_from_config(
	                     cfg, &cfg->modules[0], &d, err, sizeof(err)),
	    MC_ENOENT);
	config_destroy(cfg);
}
END_TEST

START_TEST(docker_worker_runs_the_image_program)
{
	nomad_job_desc d;
	json_t        *j = worker_json("storage_root: /srv/m\n"
	                                      "scheduler: {type: nomad, driver: docker,"
	                                      " image: 'reg/mercure-c:2', user: svc,"
	                                      " worker_config: /etc/m/m.yaml}\n",
	           &d);
	const char    *C = "Job.TaskGroups.0.Tasks.0.Config";
	char           p[128], *hcl = NULL;

	snprintf(p, sizeof(p), "%s.image", C);
	ck_assert_str_eq(s_at(j, p), "reg/mercure-c:2");
	snprintf(p, sizeof(p), "%s.command", C);
	ck_assert_str_eq(s_at(j, p), "/usr/bin/mercure-worker");
	snprintf(p, sizeof(p), "%s.args.3", C);
	ck_assert_str_eq(s_at(j, p), "/srv/m");
	snprintf(p, sizeof(p), "%s.volumes.0", C);
	ck_assert_str_eq(s_at(j, p), "/etc/m/m.yaml:/etc/m/m.yaml:ro");
	ck_assert_uint_eq(json_array_size(at(j, "Job.TaskGroups.0.Tasks.0."
	                                        "Config.volumes")),
	    1);
	ck_assert_str_eq(s_at(j, "Job.TaskGroups.0.Tasks.0.User"), "svc");
	ck_assert_str_eq(
	    s_at(j, "Job.TaskGroups.0.Tasks.0.Env.MERCURE_CONFIG"),
	    "/etc/m/m.yaml");
	json_decref(j);
	ck_assert_int_eq(nomad_job_hcl(&d, NOMAD_HCL_LITERAL, &hcl), MC_OK);
	ck_assert_ptr_nonnull(strstr(hcl, "driver = \"docker\""));
	ck_assert_ptr_nonnull(strstr(hcl, "user   = \"svc\""));
	ck_assert_ptr_nonnull(strstr(hcl, "image   = \"reg/mercure-c:2\""));
	ck_assert_ptr_nonnull(
	    strstr(hcl, "volumes = [\"/etc/m/m.yaml:/etc/m/m.yaml:ro\"]"));
	ck_assert_ptr_null(strstr(hcl, "dynamic"));
	free(hcl);
}
END_TEST

START_TEST(bad_settings_are_refused_with_the_field)
{
	static const struct {
		const char *sched, *field;
	} cases[] = {
	    {"{type: nomad, driver: podman}", "scheduler.driver"},
	    {"{type: nomad, driver: docker}", "scheduler.image"},
	    {"{type: nomad, resources: {cpu: 100, memory: 5}}",
	        "scheduler.resources.memory"},
	    {"{type: nomad, resources: 12}", "scheduler.resources"},
	    {"{type: nomad, storage_mount: rel/path}",
	        "scheduler.storage_mount"},
	    {"{type: nomad, worker_path: bin/w}", "scheduler.worker_path"},
	    {"{type: nomad, datacenters: ['']}", "scheduler.datacenters"},
	    {"{type: nomad, constraints: [{operator: '='}]}",
	        "scheduler.constraints"},
	    {"{type: nomad, lost_after: soon}", "scheduler.lost_after"},
	};
	char yaml[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mc_config     *cfg;
		nomad_job_desc d;
		snprintf(yaml, sizeof(yaml),
		    "storage_root: /srv/m\nscheduler: %s\n", cases[i].sched);
		cfg = load(yaml);
		err[0] = '\0';
		ck_assert_int_eq(
		    nomad_job_worker_from_config(cfg, &d, err, sizeof(err)),
		    MC_ECONFIG);
		ck_assert_msg(
		    strncmp(err, cases[i].field, strlen(cases[i].field)) == 0,
		    "case %zu: '%s' does not name %s", i, err, cases[i].field);
		config_destroy(cfg);
	}
}
END_TEST

/* mutate - the reference worker JSON with one value replaced */
static char *
mutate(const char *path, json_t *v)
{
	nomad_job_desc d;
	json_t        *j = worker_json(reference_yaml, &d), *parent;
	char           buf[256], *dot;
	char          *text;

	ck_assert(snprintf(buf, sizeof(buf), "%s", path) < (int) sizeof(buf));
	dot = strrchr(buf, '.');
	*dot = '\0';
	parent = at(j, buf);
	ck_assert_msg(parent != NULL, "no parent for %s", path);
	if (json_is_array(parent))
		json_array_set_new(parent, strtoul(dot + 1, NULL, 10), v);
	else if (v == NULL)
		json_object_del(parent, dot + 1);
	else
		json_object_set_new(parent, dot + 1, v);
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return text;
}

/* one violation per rule of the table: path ("G." is the group, "T." the
 * task), the new value as JSON (NULL: the key is removed), the expected
 * message (NULL: still valid) */
static const struct {
	const char *path, *value, *msg;
} rules[] = {
    {"Job.ID", "\"\"", "Missing job ID"},
    {"Job.ID", "\"a b\"", "Job ID contains a space"},
    {"Job.Name", "\"\"", "Missing job name"},
    {"Job.Type", "\"cron\"", "Invalid job type"},
    {"Job.Datacenters.0", "\"\"", "datacenter must be"},
    {"Job.Priority", "101", "priority must be between"},
    {"Job.Priority", "0", "priority must be between"},
    {"Job.Dispatched", "true", "dispatched"},
    {"Job.Payload", "\"eA==\"", "payload"},
    {"Job.TaskGroups", "[]", "Missing job task groups"},
    {"Job.Type", "\"service\"", "Parameterized job can only"},
    {"Job.ParameterizedJob.Payload", "\"maybe\"", "Unknown payload"},
    {"Job.ParameterizedJob.MetaOptional", "[\"task_id\"]", "disjoint"},
    {"Job.Constraints.0.Operand", "\"\"", "Missing constraint operand"},
    {"Job.Constraints.0.LTarget", "\"\"", "LTarget"},
    {"Job.Constraints.0.Operand", "\"set_contains_any\"", NULL},
    {"Job.Constraints.0.RTarget", NULL, NULL},
    {"G.Name", "\"\"", "missing name"},
    {"G.Count", "-1", "count can't be negative"},
    {"G.Tasks", "[]", "Missing tasks"},
    {"G.RestartPolicy.Mode", "\"delay\"", "ambiguous"},
    {"G.RestartPolicy.Interval", "1000000000", "Interval"},
    {"G.RestartPolicy.Interval", "\"24h\"", "integer"},
    {"G.ReschedulePolicy.Attempts", "2", "Delay cannot"},
    {"G.MaxRunDuration", "0", "max_run_duration"},
    {"G.Volumes.storage.Type", "\"csi\"", "must be host"},
    {"G.Volumes.storage.Source", "\"\"", "empty source"},
    {"T.Name", "\"alloc\"", "invalid task name"},
    {"T.Name", "\"a/b\"", "invalid task name"},
    {"T.Driver", "\"\"", "Missing task driver"},
    {"T.KillTimeout", "-1", "KillTimeout"},
    {"T.Resources.CPU", "0", "minimum CPU value is 1"},
    {"T.Resources.MemoryMB", "9", "minimum MemoryMB"},
    {"T.Resources.DiskMB", "100", "disk resources"},
    {"T.Resources.Cores", "2", "Only one of cores"},
    {"T.DispatchPayload", "{\"File\":\"../x\"}", "escapes"},
    {"T.Config.command", "1", "command string"},
    {"T.Config.args.0", "1", "list of strings"},
    {"T.VolumeMounts.0.Volume", "\"other\"", "undefined volume"},
    {"T.Driver", "\"raw_exec\"", "does not support host"},
};

START_TEST(every_rule_of_the_validation_table_bites)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		const char *p = rules[i].path;
		char        path[128];
		json_t     *v = rules[i].value ? json_loads(rules[i].value,
		                                     JSON_DECODE_ANY, NULL)
		                               : NULL;
		char       *text;
		mc_err      rv;

		snprintf(path, sizeof(path), "%s%s",
		    p[0] == 'G'
		        ? "Job.TaskGroups.0."
		        : (p[0] == 'T' ? "Job.TaskGroups.0.Tasks.0." : ""),
		    p[0] == 'G' || p[0] == 'T' ? p + 2 : p);
		text = mutate(path, v);
		rv = nomad_job_validate(text, err, sizeof(err));
		if (rules[i].msg == NULL)
			ck_assert_msg(
			    rv == MC_OK, "%s: unexpected '%s'", path, err);
		else
			ck_assert_msg(rv == MC_ECONFIG &&
			                  strstr(err, rules[i].msg) != NULL,
			    "%s: expected '%s', got rv=%d '%s'", path,
			    rules[i].msg, rv, rv ? err : "");
		free(text);
	}
	ck_assert_int_eq(
	    nomad_job_validate("{\"Job\":", err, sizeof(err)), MC_EPARSE);
	ck_assert_int_eq(
	    nomad_job_validate("{}", err, sizeof(err)), MC_ECONFIG);
}
END_TEST

START_TEST(the_job_file_in_nomad_dir_is_what_the_description_prints)
{
	nomad_job_desc d;
	json_t        *j = worker_json(reference_yaml, &d);
	char          *hcl = NULL, *file = NULL;
	size_t         len = 0;
	const char    *w = getenv("MC_NOMAD_WRITE_HCL");

	json_decref(j);
	ck_assert_int_eq(nomad_job_hcl(&d, NOMAD_HCL_VARIABLES, &hcl), MC_OK);
	if (w != NULL && strcmp(w, "1") == 0)
		ck_assert_int_eq(
		    sys_write_file_atomic(JOB_FILE, hcl, strlen(hcl)), MC_OK);
	ck_assert_msg(sys_read_file(JOB_FILE, &file, &len) == MC_OK,
	    "cannot read %s", JOB_FILE);
	ck_assert_msg(strcmp(file, hcl) == 0,
	    "%s differs from nomad_job_hcl(); regenerate it with "
	    "MC_NOMAD_WRITE_HCL=1 build/bin/nomad_job_test. Expected:\n%s",
	    JOB_FILE, hcl);
	free(file);
	free(hcl);
}
END_TEST

START_TEST(literal_hcl_carries_every_value)
{
	nomad_job_desc d;
	json_t        *j = worker_json(reference_yaml, &d);
	char          *hcl = NULL;

	json_decref(j);
	ck_assert_int_eq(nomad_job_hcl(&d, NOMAD_HCL_LITERAL, &hcl), MC_OK);
	ck_assert_ptr_null(strstr(hcl, "var."));
	ck_assert_ptr_nonnull(strstr(hcl, "job \"mercure-worker\" {"));
	ck_assert_ptr_nonnull(
	    strstr(hcl, "args    = [\"--task-id\", \"${NOMAD_META_task_id}\", "
	                "\"--storage\", \"/srv/mercure\"]"));
	ck_assert_ptr_nonnull(strstr(hcl, "source    = \"mercure-storage\""));
	ck_assert_ptr_nonnull(strstr(hcl, "lost_after = \"1m\""));
	ck_assert_ptr_nonnull(strstr(hcl, "interval = \"24h\""));
	ck_assert_ptr_nonnull(strstr(hcl, "kill_timeout = \"30s\""));
	free(hcl);
}
END_TEST

static Suite *
nomad_job_suite(void)
{
	Suite       *s = suite_create("nomad_job");
	const TTest *json[] = {worker_job_has_the_reference_shape,
	    raw_exec_keeps_the_volume_for_placement_only,
	    docker_worker_and_gpu_module, a_builtin_module_gets_no_job,
	    docker_worker_runs_the_image_program,
	    bad_settings_are_refused_with_the_field, NULL};
	const TTest *table[] = {
	    every_rule_of_the_validation_table_bites, NULL};
	const TTest *hcl[] = {
	    the_job_file_in_nomad_dir_is_what_the_description_prints,
	    literal_hcl_carries_every_value, NULL};

	mc_check_tcase(s, "json", json);
	mc_check_tcase(s, "validation table", table);
	mc_check_tcase(s, "hcl", hcl);
	return s;
}

int
main(void)
{
	return mc_check_run(nomad_job_suite());
}
