/* check_task.h - what both worker suites (worker_task, worker_process)
 * need to start from: a task.json text parsed, or the test failed with
 * the parser's field and message. */
#ifndef MC_TESTS_CHECK_TASK_H
#define MC_TESTS_CHECK_TASK_H

#include "task/task.h"

/* mc_check_task_parse - task_parse(text) that must succeed; the task is
 * new, freed with task_destroy(). Fails the running test otherwise. */
task *mc_check_task_parse(const char *text);

#endif
