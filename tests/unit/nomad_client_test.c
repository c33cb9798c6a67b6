/* nomad_client_test.c - the HTTP seam against the stand-in Nomad
 * (tests/support/nomad_standin.py): what each call returns, Nomad's
 * plain-text errors with their codes, ACL refusals, idempotent dispatch,
 * blocking queries, and "no answer" (refused, dropped, too slow) kept
 * apart from "an error answer". Plus the AllocListStub reading the
 * verdict depends on (reference 3.4), on canned JSON. */
#include <check.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"

#include "sched/nomad/nomad_client.h"
#include "sched/nomad/nomad_job.h"
#include "os/sys_fs.h"

#define STANDIN MC_SOURCE_DIR "/tests/support/nomad_standin.py"
#define TOKEN "s3cret-write"
#define READ_TOKEN "s3cret-read"
#define WAIT_MS 20000

extern char **environ;

static pid_t standin_pid = -1;
static int   api_port, control_port;
static char  tmpdir[64];

static void
standin_start(void)
{
	char   ready[128], data[128], *text = NULL;
	size_t len;
	char  *argv[] = {"/usr/bin/python3", STANDIN, "--data-dir", data,
	     "--ready-file", ready, "--acl-token", TOKEN, "--acl-token",
	     READ_TOKEN ":read", "--nodes", "1", NULL};

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/mc-nomadc-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(ready, sizeof(ready), "%s/ready", tmpdir);
	snprintf(data, sizeof(data), "%s/data", tmpdir);
	ck_assert_int_eq(
	    posix_spawn(&standin_pid, argv[0], NULL, NULL, argv, environ), 0);
	for (int i = 0; i < 400 && !sys_exists(ready); i++)
		usleep(50 * 1000);
	ck_assert_msg(sys_read_file(ready, &text, &len) == MC_OK,
	    "the stand-in did not start");
	ck_assert_int_eq(sscanf(text, "%d %d", &api_port, &control_port), 2);
	free(text);
}

static void
standin_stop(void)
{
	if (standin_pid > 0) {
		kill(standin_pid, SIGTERM);
		waitpid(standin_pid, NULL, 0);
		standin_pid = -1;
	}
	(void) !sys_remove_tree(tmpdir);
}

/* ---- a call, driven to its answer ------------------------------------- */

typedef struct answer {
	bool        done;
	mc_err      rv;
	long        status;
	uint64_t    index;
	char        error[NOMAD_ERROR_MAX];
	char        child[NOMAD_ID_MAX];
	bool        reattached;
	char        job_status[16];
	char        job_token[128];
	nomad_alloc alloc; /* the newest */
	size_t      n_allocs;
	nomad_child kids[8];
	size_t      n_kids;
} answer;

static void
on_reply(void *arg, const nomad_reply *r)
{
	answer *a = arg;

	a->done = true;
	a->rv = r->rv;
	a->status = r->status;
	a->index = r->index;
	snprintf(a->error, sizeof(a->error), "%s", r->error);
	snprintf(
	    a->child, sizeof(a->child), "%s", r->child_id ? r->child_id : "");
	a->reattached = r->reattached;
	snprintf(a->job_token, sizeof(a->job_token), "%s",
	    r->job_token ? r->job_token : "");
	a->n_kids = r->n_children;
	for (size_t i = 0; i < r->n_children && i < 8; i++)
		a->kids[i] = r->children[i];
	snprintf(a->job_status, sizeof(a->job_status), "%s",
	    r->job_status ? r->job_status : "");
	a->n_allocs = r->n_allocs;
	for (size_t i = 0; i < r->n_allocs; i++)
		if (i == 0 ||
		    r->allocs[i].create_index > a->alloc.create_index)
			a->alloc = r->allocs[i];
}

static void
drive(nomad_client *c, answer *a)
{
	for (int i = 0; i < WAIT_MS / 50 && !a->done; i++)
		ck_assert_int_eq(nomad_client_poll(c, -1, 50), MC_OK);
	ck_assert_msg(a->done, "no answer within %d ms", WAIT_MS);
	ck_assert_uint_eq(nomad_client_in_flight(c), 0);
}

static nomad_client *
client(const char *token, unsigned timeout_ms)
{
	char              addr[64];
	nomad_client     *c = NULL;
	nomad_client_opts o = {
	    addr, token, NULL, NULL, NULL, NULL, NULL, timeout_ms};

	snprintf(addr, sizeof(addr), "http://127.0.0.1:%d", api_port);
	ck_assert_int_eq(nomad_client_create(&o, &c), MC_OK);
	return c;
}

/* control - POST a JSON body to the stand-in's control port (curl) */
static void
control(const char *path, const char *body)
{
	char  url[128];
	char *argv[] = {"/usr/bin/curl", "-sf", "-o", "/dev/null", "-X",
	    "POST", "-d", (char *) body, url, NULL};
	pid_t pid;
	int   st = -1;

	snprintf(
	    url, sizeof(url), "http://127.0.0.1:%d%s", control_port, path);
	ck_assert_int_eq(
	    posix_spawn(&pid, argv[0], NULL, NULL, argv, environ), 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* a job that exits with the dispatched task_id as its status */
static char *
exit_job(const char *id)
{
	nomad_job_desc d;
	char          *body = NULL;

	memset(&d, 0, sizeof(d));
	snprintf(d.id, sizeof(d.id), "%s", id);
	snprintf(d.group, sizeof(d.group), "g");
	snprintf(d.task, sizeof(d.task), "t");
	snprintf(d.driver, sizeof(d.driver), "raw_exec");
	snprintf(d.command, sizeof(d.command), "/bin/sh");
	d.n_args = 2;
	snprintf(d.args[0], sizeof(d.args[0]), "-c");
	snprintf(d.args[1], sizeof(d.args[1]), "exit ${NOMAD_META_task_id}");
	d.n_datacenters = 1;
	snprintf(d.datacenters[0], sizeof(d.datacenters[0]), "dc1");
	d.cpu_mhz = 100;
	d.memory_mb = 64;
	d.lost_after_s = 60;
	ck_assert_int_eq(nomad_job_json(&d, &body), MC_OK);
	return body;
}

static void
register_ok(nomad_client *c, const char *id)
{
	answer a = {0};
	char  *body = exit_job(id);

	ck_assert_int_eq(nomad_client_register(c, body, on_reply, &a), MC_OK);
	free(body);
	drive(c, &a);
	ck_assert_msg(a.rv == MC_OK, "register: %ld %s", a.status, a.error);
	ck_assert_uint_gt(a.index, 0);
}

/* run_child - dispatch task_id, follow with blocking queries to the end */
static answer
run_child(
    nomad_client *c, const char *job, const char *task_id, const char *token)
{
	answer   a = {0}, d = {0};
	uint64_t index = 0;

	ck_assert_int_eq(nomad_client_dispatch(
	                     c, job, "task_id", task_id, token, on_reply, &d),
	    MC_OK);
	drive(c, &d);
	ck_assert_msg(d.rv == MC_OK, "dispatch: %ld %s", d.status, d.error);
	for (int i = 0; i < 100; i++) {
		memset(&a, 0, sizeof(a));
		ck_assert_int_eq(nomad_client_allocations(
		                     c, d.child, index, 5, on_reply, &a),
		    MC_OK);
		drive(c, &a);
		ck_assert_int_eq(a.rv, MC_OK);
		index = a.index;
		if (a.n_allocs &&
		    (strcmp(a.alloc.client_status, "complete") == 0 ||
		        strcmp(a.alloc.client_status, "failed") == 0))
			break;
	}
	snprintf(a.child, sizeof(a.child), "%s", d.child);
	a.reattached = d.reattached;
	return a;
}

START_TEST(a_dispatched_child_ends_with_the_exit_code_of_its_task)
{
	nomad_client *c = client(TOKEN, 0);
	answer        ok, bad;

	register_ok(c, "exit-job");
	ok = run_child(c, "exit-job", "0", "t0-1");
	ck_assert_str_eq(ok.alloc.client_status, "complete");
	ck_assert(ok.alloc.has_exit);
	ck_assert_int_eq(ok.alloc.exit_code, 0);
	ck_assert_str_eq(ok.alloc.desired_status, "run");
	ck_assert(!ok.alloc.killed);
	ck_assert_ptr_nonnull(strstr(ok.child, "exit-job/dispatch-"));
	bad = run_child(c, "exit-job", "3", "t3-1");
	ck_assert_str_eq(bad.alloc.client_status, "failed");
	ck_assert(bad.alloc.failed);
	ck_assert_int_eq(bad.alloc.exit_code, 3);
	ck_assert_str_eq(bad.alloc.node_name, "node-1");
	ck_assert_str_eq(bad.alloc.last_event, "Terminated: Exit Code: 3");
	nomad_client_destroy(c);
}
END_TEST

START_TEST(the_same_idempotency_token_gives_the_same_child)
{
	nomad_client *c = client(TOKEN, 0);
	answer        a, b, x;

	register_ok(c, "idem-job");
	a = run_child(c, "idem-job", "0", "task-A-1");
	b = run_child(c, "idem-job", "0", "task-A-1");
	x = run_child(c, "idem-job", "0", "task-A-2");
	ck_assert(!a.reattached);
	ck_assert(b.reattached);
	ck_assert_str_eq(a.child, b.child);
	ck_assert_str_ne(a.child, x.child);
	ck_assert(!x.reattached);
	nomad_client_destroy(c);
}
END_TEST

START_TEST(children_carry_their_meta_and_their_token)
{
	nomad_client *c = client(TOKEN, 0);
	answer        a, k = {0}, j = {0};

	register_ok(c, "kids-job");
	a = run_child(c, "kids-job", "0", "kid-7");
	(void) run_child(c, "kids-job", "0", "kid-8");
	ck_assert_int_eq(
	    nomad_client_children(c, "kids-job", "task_id", on_reply, &k),
	    MC_OK);
	drive(c, &k);
	ck_assert_int_eq(k.rv, MC_OK);
	ck_assert_uint_eq(k.n_kids, 2);
	ck_assert_str_eq(k.kids[0].meta_value, "0");
	ck_assert_str_eq(k.kids[0].status, "dead");
	ck_assert_uint_gt(k.kids[0].create_index, 0);
	ck_assert(strcmp(k.kids[0].id, a.child) == 0 ||
	          strcmp(k.kids[1].id, a.child) == 0);
	ck_assert_int_eq(nomad_client_job(c, a.child, on_reply, &j), MC_OK);
	drive(c, &j);
	ck_assert_str_eq(j.job_token, "kid-7");
	ck_assert_str_eq(j.job_status, "dead");
	nomad_client_destroy(c);
}
END_TEST

START_TEST(errors_keep_nomads_code_and_plain_text)
{
	nomad_client *c = client(TOKEN, 0);
	answer        a = {0}, b = {0}, j = {0}, reg = {0};

	register_ok(c, "err-job");
	ck_assert_int_eq(nomad_client_dispatch(
	                     c, "err-job", "nope", "1", "x", on_reply, &a),
	    MC_OK);
	drive(c, &a);
	ck_assert_int_eq(a.rv, MC_EREFUSED);
	ck_assert_int_eq(a.status, 500);
	ck_assert_str_eq(a.error,
	    "Dispatch request included unpermitted metadata keys: [nope]");
	ck_assert_int_eq(nomad_client_dispatch(c, "no-such-job", "task_id",
	                     "1", "y", on_reply, &b),
	    MC_OK);
	drive(c, &b);
	ck_assert_int_eq(b.status, 500);
	ck_assert_str_eq(b.error, "parameterized job not found");
	ck_assert_int_eq(
	    nomad_client_job(c, "no-such-job", on_reply, &j), MC_OK);
	drive(c, &j);
	ck_assert_int_eq(j.rv, MC_EREFUSED);
	ck_assert_int_eq(j.status, 404);
	ck_assert_str_eq(j.error, "job not found");
	/* a validation failure is a 500 with multierror text, on one line */
	ck_assert_int_eq(nomad_client_register(c,
	                     "{\"Job\":{\"ID\":\"v\",\"Type\":\"batch\","
	                     "\"TaskGroups\":[]}}",
	                     on_reply, &reg),
	    MC_OK);
	drive(c, &reg);
	ck_assert_int_eq(reg.status, 500);
	ck_assert_str_eq(
	    reg.error, "1 error occurred: * Missing job task groups");
	nomad_client_destroy(c);
}
END_TEST

/* what Nomad would decode silently (reference 1.1) the stand-in refuses,
 * so a typo in our JSON cannot hide */
START_TEST(the_stand_in_refuses_what_nomad_would_drop)
{
	static const struct {
		const char *body, *msg;
	} cases[] = {
	    {"{\"Job\":{\"ID\":\"x\",\"Typo\":1}}",
	        "unknown field 'RegisterRequest.Job.Typo'"},
	    {"{\"Job\":{\"ID\":\"x\",\"TaskGroups\":[{\"Name\":\"g\","
	     "\"RestartPolicy\":{\"Delay\":\"15s\"}}]}}",
	        "of type time.Duration"},
	    {"{\"Job\":{\"ID\":\"x\",\"Status\":\"running\"}}",
	        "set by the server"},
	    {"{}", "Job must be specified"},
	    {"", "Request body is empty"},
	};
	nomad_client *c = client(TOKEN, 0);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		answer a = {0};
		ck_assert_int_eq(
		    nomad_client_register(c, cases[i].body, on_reply, &a),
		    MC_OK);
		drive(c, &a);
		ck_assert_int_eq(a.status, 400);
		ck_assert_msg(strstr(a.error, cases[i].msg) != NULL,
		    "case %zu: '%s'", i, a.error);
	}
	nomad_client_destroy(c);
}
END_TEST

START_TEST(acl_refusals_are_403_and_never_echo_the_token)
{
	nomad_client *none = client(NULL, 0), *wrong = client("guess", 0);
	nomad_client *ro = client(READ_TOKEN, 0);
	answer        a = {0}, b = {0}, r = {0}, l = {0};
	char         *body = exit_job("acl-job");

	ck_assert_int_eq(nomad_client_job(none, "x", on_reply, &a), MC_OK);
	drive(none, &a);
	ck_assert_int_eq(a.status, 403);
	ck_assert_str_eq(a.error, "Permission denied");
	ck_assert_int_eq(nomad_client_job(wrong, "x", on_reply, &b), MC_OK);
	drive(wrong, &b);
	ck_assert_int_eq(b.status, 403);
	ck_assert_str_eq(b.error, "ACL token not found");
	ck_assert_ptr_null(strstr(b.error, "guess"));
	ck_assert_int_eq(nomad_client_register(ro, body, on_reply, &r), MC_OK);
	drive(ro, &r);
	ck_assert_int_eq(r.status, 403);
	/* the health probe needs no token */
	ck_assert_int_eq(nomad_client_leader(none, on_reply, &l), MC_OK);
	drive(none, &l);
	ck_assert_int_eq(l.rv, MC_OK);
	free(body);
	nomad_client_destroy(none);
	nomad_client_destroy(wrong);
	nomad_client_destroy(ro);
}
END_TEST

START_TEST(a_blocking_query_waits_for_a_newer_index)
{
	nomad_client   *c = client(TOKEN, 0);
	answer          a = {0}, b = {0};
	struct timespec t0, t1;
	double          s;

	register_ok(c, "block-job");
	ck_assert_int_eq(
	    nomad_client_allocations(c, "block-job", 0, 0, on_reply, &a),
	    MC_OK);
	drive(c, &a);
	ck_assert_int_eq(a.rv, MC_OK);
	ck_assert_uint_eq(a.n_allocs, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(
	    nomad_client_allocations(c, "block-job", a.index, 1, on_reply, &b),
	    MC_OK);
	drive(c, &b);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double) (t1.tv_sec - t0.tv_sec) +
	    (double) (t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_int_eq(b.rv, MC_OK);
	ck_assert_uint_eq(b.index, a.index); /* nothing changed */
	ck_assert_msg(s >= 0.9 && s < 3.0, "blocked %.2f s, wanted ~1 s", s);
	nomad_client_destroy(c);
}
END_TEST

START_TEST(no_answer_is_enet_whatever_the_cause)
{
	nomad_client     *c = client(TOKEN, 1000);
	nomad_client     *dead = NULL;
	nomad_client_opts o = {
	    "http://127.0.0.1:1", NULL, NULL, NULL, NULL, NULL, NULL, 1000};
	answer a = {0}, b = {0}, s = {0}, f = {0};

	control("/fault",
	    "{\"kind\":\"drop\",\"path\":\"^/v1/job/\",\"count\":1}");
	ck_assert_int_eq(nomad_client_job(c, "x", on_reply, &a), MC_OK);
	drive(c, &a);
	ck_assert_int_eq(a.rv, MC_ENET);
	ck_assert_int_eq(a.status, 0);
	control("/fault",
	    "{\"kind\":\"slow\",\"delay_s\":3,\"path\":\"^/v1/job/\""
	    ",\"count\":1}");
	ck_assert_int_eq(nomad_client_job(c, "x", on_reply, &s), MC_OK);
	drive(c, &s);
	ck_assert_int_eq(s.rv, MC_ENET); /* timed out after 1 s */
	control("/fault", "{\"kind\":\"status\",\"status\":500,\"message\":"
	                  "\"No cluster leader\",\"count\":1}");
	ck_assert_int_eq(nomad_client_leader(c, on_reply, &f), MC_OK);
	drive(c, &f);
	ck_assert_int_eq(f.rv, MC_EREFUSED);
	ck_assert_str_eq(f.error, "No cluster leader");
	ck_assert_int_eq(nomad_client_create(&o, &dead), MC_OK);
	ck_assert_int_eq(nomad_client_leader(dead, on_reply, &b), MC_OK);
	drive(dead, &b);
	ck_assert_int_eq(b.rv, MC_ENET);
	ck_assert_str_ne(b.error, "");
	nomad_client_destroy(dead);
	nomad_client_destroy(c);
}
END_TEST

START_TEST(bad_addresses_are_refused_at_create)
{
	nomad_client     *c = (nomad_client *) 1;
	nomad_client_opts o = {
	    "127.0.0.1:4646", NULL, NULL, NULL, NULL, NULL, NULL, 0};

	ck_assert_int_eq(nomad_client_create(&o, &c), MC_EINVAL);
	ck_assert_ptr_null(c);
	nomad_client_destroy(NULL);
}
END_TEST

/* ---- reading allocations ---------------------------------------------- */

START_TEST(the_last_terminated_event_gives_the_exit_code)
{
	static const char json[] =
	    "[{\"ID\":\"a1\",\"ClientStatus\":\"failed\",\"DesiredStatus\":"
	    "\"run\","
	    "\"CreateIndex\":5,\"NodeName\":\"n1\",\"TaskStates\":{\"worker\":"
	    "{"
	    "\"State\":\"dead\",\"Failed\":true,\"Events\":["
	    "{\"Type\":\"Started\"},"
	    "{\"Type\":\"Terminated\",\"ExitCode\":2},"
	    "{\"Type\":\"Restarting\",\"DisplayMessage\":\"Task restarting in "
	    "15s\"},"
	    "{\"Type\":\"Terminated\",\"Details\":{\"exit_code\":\"7\"}},"
	    "{\"Type\":\"Not Restarting\",\"DisplayMessage\":\"Policy allows "
	    "no "
	    "restarts\"}]}}},"
	    "{\"ID\":\"a2\",\"ClientStatus\":\"complete\",\"DesiredStatus\":"
	    "\"stop\",\"CreateIndex\":9,\"TaskStates\":{\"worker\":{"
	    "\"Events\":"
	    "[{\"Type\":\"Killing\"},{\"Type\":\"Killed\"}]}}},"
	    "{\"ID\":\"a3\"}]";
	nomad_alloc *v = NULL;
	size_t       n = 0;

	ck_assert_int_eq(
	    nomad_parse_allocations(json, strlen(json), &v, &n), MC_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(v[0].id, "a1");
	ck_assert(v[0].failed && v[0].has_exit);
	ck_assert_int_eq(v[0].exit_code, 7);
	ck_assert_str_eq(v[0].last_event, "Terminated");
	ck_assert_uint_eq(v[0].create_index, 5);
	ck_assert(v[1].killed && !v[1].has_exit);
	ck_assert_str_eq(v[1].desired_status, "stop");
	/* missing keys are zero (single allocs omit them, reference 1.1) */
	ck_assert_str_eq(v[2].client_status, "");
	ck_assert(!v[2].failed && !v[2].has_exit && v[2].exit_code == 0);
	free(v);
	ck_assert_int_eq(nomad_parse_allocations("{}", 2, &v, &n), MC_EPROTO);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(nomad_parse_allocations("[]", 2, &v, &n), MC_OK);
	ck_assert_uint_eq(n, 0);
	free(v);
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("nomad_client");
	const TTest *live[] = {
	    a_dispatched_child_ends_with_the_exit_code_of_its_task,
	    the_same_idempotency_token_gives_the_same_child,
	    children_carry_their_meta_and_their_token,
	    errors_keep_nomads_code_and_plain_text,
	    the_stand_in_refuses_what_nomad_would_drop,
	    acl_refusals_are_403_and_never_echo_the_token,
	    a_blocking_query_waits_for_a_newer_index,
	    no_answer_is_enet_whatever_the_cause,
	    bad_addresses_are_refused_at_create, NULL};
	const TTest *parse[] = {
	    the_last_terminated_event_gives_the_exit_code, NULL};
	TCase *tc = mc_check_tcase(s, "against the stand-in", live);

	tcase_add_unchecked_fixture(tc, standin_start, standin_stop);
	tcase_set_timeout(tc, 60);
	mc_check_tcase(s, "allocations", parse);
	return mc_check_run(s);
}
