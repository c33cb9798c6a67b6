/* check_task.c - a task.json that must parse (check_task.h). */
#include "check_task.h"

#include <check.h>
#include <string.h>

task *
mc_check_task_parse(const char *text)
{
	task   *t = NULL;
	mc_diag d;

	memset(&d, 0, sizeof(d));
	ck_assert_msg(task_parse(text, strlen(text), &t, &d) == MC_OK,
	    "parse failed: %s: %s", d.field, d.msg);
	return t;
}
