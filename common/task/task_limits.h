/* task_limits.h - the names and limits of a task folder's files
 * (docs/tasks.md), one set for both sides: the coordinator writes
 * task.json and the notification requests and reads result.json, the
 * worker does the opposite. A reader refuses what passes a limit, so a
 * writer must never write it. */
#ifndef MC_COMMON_TASK_LIMITS_H
#define MC_COMMON_TASK_LIMITS_H

#include "tags/uid.h"

/* the files of a task folder */
#define TASK_JSON_NAME "task.json"
#define TASK_RESULT_NAME "result.json"

/* "v" of result.json and of a notification request */
#define TASK_RESULT_VERSION 1
#define NOTIFY_REQUEST_VERSION 1

/* A task id names a folder. The coordinator makes UUIDs (MC_TASK_ID_LEN
 * characters, tags/uid.h), so a reader accepts no longer id
 * (task_id_is_safe). */
#define TASK_ID_MAX_LEN MC_TASK_ID_LEN

/* targets of one task: dispatch.target_name, mercure_c.targets and
 * result.json's targets each */
#define TASK_TARGETS_MAX 256
/* modules in one processing chain */
#define TASK_STEPS_MAX 32
/* words of a module's command, entries of its environment */
#define TASK_ARGV_MAX 256
#define TASK_ENV_MAX 256
/* names in a rule's target list given as text ("a, b") */
#define TASK_LIST_MAX 64
/* a module's timeout: the default and the most task.json may ask for */
#define MODULE_TIMEOUT_DEFAULT_S 3600
#define MODULE_TIMEOUT_MAX_S (7 * 86400)

/* what the coordinator keeps of a task (task_meta) */
#define TASK_KIND_MAX_LEN 15
#define TASK_RULE_NAME_MAX_LEN 127

/* TASK_SECRET_FIELDS - in a target of task.json: the secret fields the
 * coordinator left out (a list of names); a worker that finds it takes
 * the whole target from the configuration file. */
#define TASK_SECRET_FIELDS "secret_fields"

#endif
