/* sched_registry_test.c - one row per scheduler: every name the
 * configuration accepts finds its backend, any other name is refused
 * with the list of known ones, capabilities come from the row, and the
 * local backend found that way runs a worker to its exit. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check_main.h"

#include "config/config.h"
#include "core/loop.h"
#include "os/sys_fs.h"
#include "sched/sched_registry.h"

#define RUN_LIMIT_MS 10000

#define TYPE(id, s) CONFIG_SCHEDULER_##id,
static const config_scheduler_type types[] = {CONFIG_SCHEDULERS(TYPE)};
#undef TYPE
#define N_TYPES (sizeof(types) / sizeof(types[0]))

START_TEST(every_configured_scheduler_name_has_its_row)
{
	char err[256] = "";

	for (size_t i = 0; i < N_TYPES; i++) {
		const char *name = config_scheduler_type_str(types[i]);
		const sched_backend *b =
		    sched_registry_find(name, err, sizeof(err));
		ck_assert_msg(b != NULL, "%s: %s", name, err);
		ck_assert_int_eq(b->type, types[i]);
		ck_assert_str_eq(sched_backend_name(b), name);
		ck_assert_ptr_nonnull(b->ops);
		ck_assert_uint_ge(b->ops->size, sizeof(sched));
	}
}
END_TEST

START_TEST(an_unknown_name_is_refused_with_the_known_ones)
{
	char err[256] = "";

	ck_assert_ptr_null(
	    sched_registry_find("kubernetes", err, sizeof(err)));
	ck_assert_str_eq(
	    err, "unknown scheduler 'kubernetes' (known: local, nomad)");
	ck_assert_ptr_null(sched_registry_find("Local", err, sizeof(err)));
	ck_assert_str_eq(
	    err, "unknown scheduler 'Local' (known: local, nomad)");
	ck_assert_ptr_null(sched_registry_find(NULL, err, sizeof(err)));
	ck_assert_str_eq(err, "unknown scheduler '' (known: local, nomad)");
}
END_TEST

START_TEST(only_the_local_backend_reaps_every_child)
{
	char err[256];

	ck_assert_uint_eq(sched_registry_find("local", err, sizeof(err))->caps,
	    SCHED_CAP_REAPS_ALL_CHILDREN);
	ck_assert_uint_eq(
	    sched_registry_find("nomad", err, sizeof(err))->caps, 0);
}
END_TEST

/* ---- the local row, started ------------------------------------------ */

static char                  dir[64];
static volatile sig_atomic_t stop;
static int                   done_code = -2;
static char                  done_task[64];

static void
setup(void)
{
	sigset_t set;

	snprintf(dir, sizeof(dir), "%s", "/tmp/mc-sched-registry.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(sys_fs_apply_file_mode(SYS_FILE_MODE_DEFAULT), MC_OK);
	/* as the coordinator's main does, for the backend's signalfd */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, &set, NULL), 0);
}

static void
teardown(void)
{
	ck_assert_int_eq(sys_remove_tree(dir), MC_OK);
}

static void
on_done(void *ctx, const char *task_id, int exit_code)
{
	(void) ctx;
	snprintf(done_task, sizeof(done_task), "%s", task_id);
	done_code = exit_code;
	stop = 1;
}

static int64_t
on_limit(loop *l, void *arg)
{
	(void) arg;
	loop_stop(l);
	return LOOP_TIMER_DONE;
}

static mc_config *
local_config(void)
{
	static const char yaml[] = "scheduler:\n"
	                           "  type: local\n"
	                           "  max_dispatch: 1\n"
	                           "  max_process: 1\n";
	mc_config        *cfg = NULL;

	ck_assert_int_eq(config_load_buffer("t.yaml", yaml, strlen(yaml), &cfg,
	                     NULL, 0, NULL),
	    MC_OK);
	return cfg;
}

START_TEST(the_local_row_runs_a_worker_to_its_exit)
{
	static const char script[] = "#!/bin/sh\necho \"task=$1\"\nexit 5\n";
	char              worker[128], task[128], logp[160], want[160], *text;
	mc_config        *cfg = local_config();
	sched_opts        o = {cfg, worker, on_done, NULL, NULL};
	char              err[256];
	loop             *l = NULL;
	sched            *s = NULL;
	struct stat       sb;
	size_t            len;

	snprintf(worker, sizeof(worker), "%s/worker.sh", dir);
	snprintf(task, sizeof(task), "%s/task-1", dir);
	snprintf(logp, sizeof(logp), "%s/worker.log", task);
	ck_assert_int_eq(sys_mkdir_p(task), MC_OK);
	ck_assert_int_eq(
	    sys_write_file_sync(worker, script, strlen(script)), MC_OK);
	ck_assert_int_eq(chmod(worker, 0700), 0);
	ck_assert_int_eq(loop_create(&l), MC_OK);
	ck_assert_int_eq(
	    sched_create(
	        sched_registry_find("local", err, sizeof(err)), l, &o, &s),
	    MC_OK);
	ck_assert_str_eq(s->name, "local");
	ck_assert_uint_eq(s->caps, SCHED_CAP_REAPS_ALL_CHILDREN);
	ck_assert(s->ops->has_capacity(s, SCHED_KIND_DISPATCH));
	ck_assert_int_eq(
	    s->ops->submit(s, "task-1", SCHED_KIND_DISPATCH, task), MC_OK);
	ck_assert_uint_eq(s->ops->running(s), 1);
	ck_assert(!s->ops->has_capacity(s, SCHED_KIND_DISPATCH));
	ck_assert_int_eq(
	    loop_add_timer(l, RUN_LIMIT_MS, on_limit, NULL, NULL), MC_OK);
	ck_assert_int_eq(loop_run(l, &stop), MC_OK);
	ck_assert_str_eq(done_task, "task-1");
	ck_assert_int_eq(done_code, 5);
	ck_assert_uint_eq(s->ops->running(s), 0);
	ck_assert_int_eq(sys_read_file(logp, &text, &len), MC_OK);
	snprintf(want, sizeof(want), "task=%s\n", task);
	ck_assert_str_eq(text, want);
	free(text);
	ck_assert_int_eq(stat(logp, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 0777, 0600);
	sched_destroy(s);
	loop_destroy(l);
	config_destroy(cfg);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sched_registry");
	TCase *rows = tcase_create("rows");
	TCase *run = tcase_create("local backend");

	tcase_add_test(rows, every_configured_scheduler_name_has_its_row);
	tcase_add_test(rows, an_unknown_name_is_refused_with_the_known_ones);
	tcase_add_test(rows, only_the_local_backend_reaps_every_child);
	tcase_add_checked_fixture(run, setup, teardown);
	tcase_add_test(run, the_local_row_runs_a_worker_to_its_exit);
	tcase_set_timeout(run, 30);
	suite_add_tcase(s, rows);
	suite_add_tcase(s, run);
	return mc_check_run(s);
}
