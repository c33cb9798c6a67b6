/* notify_request.h - rule notifications (webhook, e-mail) on reception,
 * completion and error. The coordinator only decides and writes the
 * request (docs/tasks.md, "Notification requests"); a worker process
 * does the network part, so the loop never waits on HTTP or SMTP, and a
 * failing notification never touches the task it reports on. */
#ifndef MC_COORDINATOR_NOTIFY_REQUEST_H
#define MC_COORDINATOR_NOTIFY_REQUEST_H

#include "core/coord_int.h"

#define NOTIFY_DIR "notify"

typedef enum {
	NOTIFY_RECEPTION,
	NOTIFY_COMPLETION,
	NOTIFY_ERROR
} notify_event;

/* notify_fire - if rule_name's triggers include ev and it has a webhook
 * or e-mail, write a request and start `mercure-worker --notify FILE`.
 * tags (may be NULL: read from the task's tags.json) give the PHI
 * variables when phi_notifications allows. details may be NULL. */
void notify_fire(coord *c, notify_event ev, const char *rule_name,
    const char *task_id, const mc_tagset *tags, const char *details);

/* notify_completion - the completion notification of a finished task:
 * with mercure's notification_trigger_completion_on_request only when
 * a module asked for it (requested); module_text (may be "") becomes the
 * details. */
void notify_completion(coord *c, const char *rule_name, const char *task_id,
    const char *module_text, bool requested);

#endif
