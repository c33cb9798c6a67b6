/* http_loop_qr.h - the loop's side of query/retrieve in the API
 * (http_qr.c is the HTTP threads' side): the source a query names, and
 * the start of a retrieval as a child process. The retrieval's files
 * live in <storage_root>/HTTP_RETRIEVALS_DIR: <id>.json (the request,
 * who asked, when) and <id>.log (the child's output); a target's test
 * the same in HTTP_TARGET_TESTS_DIR. */
#ifndef MC_COORDINATOR_HTTP_LOOP_QR_H
#define MC_COORDINATOR_HTTP_LOOP_QR_H

#include <stdbool.h>
#include <sys/types.h>

#include "http/http_job.h"

#define HTTP_RETRIEVALS_DIR "retrievals"
#define HTTP_TARGET_TESTS_DIR "target_tests"
/* <id>.exit: how the child ended, {"exit_code": N, "status": text} */
#define HTTP_CHILD_EXIT_SUFFIX ".exit"

struct coord;

/* http_retrieval_id_is_valid - id has the form of the ids
 * http_loop_retrieve hands out (a lower-case UUID). Any thread. */
bool http_retrieval_id_is_valid(const char *id);

/* http_loop_source - HTTP_JOB_SOURCE: the node j->arg names as JSON
 * (credentials included: the answer stays in the process), or 422.
 * Loop thread. */
void http_loop_source(struct coord *c, http_job *j);

/* http_loop_retrieve - HTTP_JOB_RETRIEVE: check j->in against the
 * configuration in force (the source exists, force_rule names a rule),
 * start `mercure-coordinator --retrieve` with its output in the
 * retrieval's log, write the audit trail; 202 with the id, or 422.
 * The child is reaped with every other child of the loop. Loop thread. */
void http_loop_retrieve(struct coord *c, http_job *j);

/* http_loop_test_target - HTTP_JOB_TEST_TARGET: start
 * `mercure-coordinator --test-target j->arg` as a child, its output in
 * the test's log; 202 with the id, or 404 for an unknown target. Loop
 * thread. */
void http_loop_test_target(struct coord *c, http_job *j);

/* http_loop_child_ended - a child of the loop ended with exit_code
 * (128+signal when killed): a retrieval's or a target test's is written
 * beside its log (<id>.exit), so that one killed before its last line is
 * reported failed instead of running forever. Other pids: nothing. */
void http_loop_child_ended(struct coord *c, pid_t pid, int exit_code);

/* http_loop_qr_forget - free the table of children (they run on) */
void http_loop_qr_forget(struct coord *c);

#endif
