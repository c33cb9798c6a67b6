/* notify.h - `mercure-worker --notify FILE`: send one notification request
 * written by the coordinator (docs/tasks.md, "Notification requests"):
 * render the templates, POST the webhook, send the e-mail, each tried up
 * to NOTIFY_TRIES times with a growing pause. On success FILE is removed;
 * otherwise it is moved to <dir of FILE>/failed/ beside a .error note
 * saying what failed. A notification never changes a task. */
#ifndef MC_WORKER_NOTIFY_H
#define MC_WORKER_NOTIFY_H

#define NOTIFY_TRIES 3
/* the first pause; doubled after each try. $MERCURE_NOTIFY_BACKOFF_MS
 * overrides it (tests) */
#define NOTIFY_BACKOFF_MS 2000
#define NOTIFY_SMTP_URL_DEFAULT "smtp://localhost:25"

/* notify_run_file - send the request at path. Returns the exit status:
 * 0 every channel succeeded (file removed), 1 a channel failed after its
 * tries (file moved to failed/), 2 the request is unusable (moved too).
 * Runs in the caller's thread; sleeps between tries. */
int notify_run_file(const char *path);

#endif
