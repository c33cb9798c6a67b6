/* task_run.h - run one task folder to the end: read task.json, send in/
 * to each target that is not complete yet, write result.json, tell the
 * coordinator. The contract of the folder is docs/tasks.md. */
#ifndef MC_WORKER_TASK_RUN_H
#define MC_WORKER_TASK_RUN_H

/* The worker's exit status, mirrored in result.json's "ok". */
typedef enum {
	TASK_EXIT_OK = 0,            /* every target succeeded */
	TASK_EXIT_TARGET_FAILED = 1, /* at least one target failed */
	TASK_EXIT_UNUSABLE = 2       /* task.json missing/invalid, no in/ */
} task_exit;

typedef struct task_run_opts {
	const char *task_dir;        /* the task folder (borrowed) */
	const char *coordinator_url; /* NULL or "": task.json's */
} task_run_opts;

/* task_run - run the task in o->task_dir. Writes result.json (when the
 * folder exists) before pushing the result message; a failed push is
 * logged only. Returns the exit status. One task per call; the caller's
 * thread does all the work. */
task_exit task_run(const task_run_opts *o);

#endif
