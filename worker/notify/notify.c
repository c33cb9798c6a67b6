/* notify.c - one notification request from file to webhook and e-mail
 * (notify.h): templates (template.c), the request (task/notify_json.c),
 * the wire (notify_send.c), and here the tries, the back-off and what
 * happens to the file.
 *
 * What mercure does and we follow: the webhook body is payload_body when
 * set, else "{" + payload + "}" (payload is a JSON fragment without its
 * braces), sent as application/json; e-mail bodies are plain or HTML by
 * email.type. Values are escaped for their place (JSON string, HTML),
 * which mercure's Jinja does not do; a patient name with a quote would
 * otherwise break the JSON. Logs name the request, rule, task, channel
 * and host, never the rendered text (it may hold patient data) nor the
 * webhook's path (it may hold a token). */
#include "notify/notify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "notify/notify_int.h"
#include "targets/secret.h"
#include "os/sys_files.h"
#include "os/sys_fs.h"
#include "notify/template.h"
#include "worker_config.h"

#define NOTIFY_URL_MAX 4096
#define NOTIFY_FAILED_DIR "failed"
#define NOTIFY_NOTE_MAX 2048
#define NOTIFY_HEADER_MAX 1024
#define NOTIFY_SUBJECT_DEFAULT                                                \
	"mercure: {{ event }} - rule {{ rule }} - task {{ task_id }}"
#define NOTIFY_BODY_DEFAULT                                                   \
	"Event: {{ event }}\nRule: {{ rule }}\nTask: {{ task_id }}\n"         \
	"{{ details }}\n"

typedef struct channel {
	const char *name; /* "webhook", "email" */
	bool        used, ok;
	unsigned    tries;
	char        error[NOTIFY_ERROR_MAX_LEN + 1];
} channel;

typedef struct notify_run {
	const char     *path;
	notify_request *req;
	const char     *id, *event, *rule, *task;
	channel         webhook, email;
} notify_run;

static unsigned
backoff_ms(void)
{
	const char *s = getenv("MERCURE_NOTIFY_BACKOFF_MS");
	char       *end;
	long        v;

	if (s == NULL || s[0] == '\0')
		return NOTIFY_BACKOFF_MS;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v > 600000)
		return NOTIFY_BACKOFF_MS;
	return (unsigned) v;
}

static void
pause_ms(unsigned ms)
{
	struct timespec ts = {
	    (time_t) (ms / 1000), (long) (ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static char *
render(notify_run *n, const char *text, template_escape esc)
{
	char *out = NULL;

	if (template_render(text, notify_request_var, n->req, esc, &out) !=
	    MC_OK)
		return NULL;
	return out;
}

/* the webhook's body: payload_body, else "{" payload "}" */
static char *
webhook_body(notify_run *n)
{
	const char *body = notify_request_webhook(n->req, "payload_body");
	const char *payload = notify_request_webhook(n->req, "payload");
	char       *inner, *out;
	size_t      len;

	if (body != NULL && body[0] != '\0')
		return render(n, body, TEMPLATE_ESCAPE_JSON);
	if ((inner = render(
	         n, payload ? payload : "", TEMPLATE_ESCAPE_JSON)) == NULL)
		return NULL;
	len = strlen(inner) + 3;
	if ((out = malloc(len)) != NULL)
		snprintf(out, len, "{%s}", inner);
	free(inner);
	return out;
}

static bool
has_newline(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

/* body text with LF turned into CRLF, appended after the headers */
static char *
join_message(const char *headers, const char *body)
{
	size_t n = strlen(headers) + 2 * strlen(body) + 3, k;
	char  *m = malloc(n);

	if (m == NULL)
		return NULL;
	k = (size_t) snprintf(m, n, "%s\r\n", headers);
	for (const char *p = body; *p; p++) {
		if (*p == '\n' && (p == body || p[-1] != '\r'))
			m[k++] = '\r';
		m[k++] = *p;
	}
	m[k] = '\0';
	return m;
}

static char *
email_message(notify_run *n, const char *from, const char *to)
{
	const char *type = notify_request_email(n->req, "type");
	const char *body = notify_request_email(n->req, "body");
	const char *subj = notify_request_email(n->req, "subject");
	bool        html = type != NULL && strcmp(type, "html") == 0;
	char        hdr[NOTIFY_HEADER_MAX], date[64], *text, *s, *m = NULL;
	time_t      now = time(NULL);
	struct tm   tm;

	text = render(n, body && body[0] ? body : NOTIFY_BODY_DEFAULT,
	    html ? TEMPLATE_ESCAPE_HTML : TEMPLATE_ESCAPE_NONE);
	s = render(n, subj && subj[0] ? subj : NOTIFY_SUBJECT_DEFAULT,
	    TEMPLATE_ESCAPE_NONE);
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	if (text != NULL && s != NULL && !has_newline(s)) {
		snprintf(hdr, sizeof(hdr),
		    "Date: %s\r\nFrom: %s\r\nTo: %s\r\nSubject: %s\r\n"
		    "Message-ID: <%s@mercure-c>\r\nMIME-Version: 1.0\r\n"
		    "Content-Type: text/%s; charset=utf-8\r\n"
		    "Content-Transfer-Encoding: 8bit\r\n",
		    date, from, to, s, n->id, html ? "html" : "plain");
		m = join_message(hdr, text);
	}
	free(text);
	free(s);
	return m;
}

/* try send() up to NOTIFY_TRIES times with a doubling pause */
typedef mc_err (*send_fn)(
    notify_run *n, const char *arg, char *err, size_t errlen);

static void
try_channel(notify_run *n, channel *c, send_fn send, const char *arg,
    const char *where)
{
	unsigned pause = backoff_ms();

	c->used = true;
	for (c->tries = 1; c->tries <= NOTIFY_TRIES; c->tries++) {
		if (send(n, arg, c->error, sizeof(c->error)) == MC_OK) {
			c->ok = true;
			log_info("event=notify.sent id=%s task=%s rule=%s "
			         "event_type=%s channel=%s to=%s tries=%u",
			    n->id, n->task, n->rule, n->event, c->name, where,
			    c->tries);
			return;
		}
		log_warn("event=notify.try_failed id=%s task=%s channel=%s "
		         "try=%u msg=\"%s\"",
		    n->id, n->task, c->name, c->tries, c->error);
		if (c->tries < NOTIFY_TRIES) {
			pause_ms(pause);
			pause *= 2;
		}
	}
	c->tries = NOTIFY_TRIES;
}

static mc_err
send_webhook(notify_run *n, const char *url, char *err, size_t errlen)
{
	char  *body = webhook_body(n);
	mc_err rv;

	if (body == NULL) {
		snprintf(err, errlen, "out of memory");
		return MC_ENOMEM;
	}
	rv = notify_http_post(
	    url, body, notify_request_webhook(n->req, "ca"), err, errlen);
	free(body);
	return rv;
}

static mc_err
send_email(notify_run *n, const char *to, char *err, size_t errlen)
{
	const char *from = notify_request_email(n->req, "from");
	const char *url = getenv("MERCURE_SMTP_URL");
	char       *msg;
	mc_err      rv;

	if (from == NULL || from[0] == '\0')
		from = NOTIFY_FROM_DEFAULT;
	if (url == NULL || url[0] == '\0')
		url = NOTIFY_SMTP_URL_DEFAULT;
	if (has_newline(from) || has_newline(to)) {
		snprintf(err, errlen, "e-mail from/to hold a line break");
		return MC_ECONFIG;
	}
	if ((msg = email_message(n, from, to)) == NULL) {
		snprintf(err, errlen,
		    "cannot build the message (subject with "
		    "a line break, or out of memory)");
		return MC_ECONFIG;
	}
	rv = notify_smtp_send(url, from, to, msg, err, errlen);
	free(msg);
	return rv;
}

static void
note_channel(const channel *c, char *note, size_t len)
{
	size_t used = strlen(note);

	if (!c->used)
		return;
	if (c->ok)
		snprintf(note + used, len - used, "%s: sent (try %u)\n",
		    c->name, c->tries);
	else
		snprintf(note + used, len - used,
		    "%s: failed after %u tries: %s\n", c->name, c->tries,
		    c->error);
}

/* move the request to failed/ with a .error note; logged, never fatal */
static void
move_to_failed(const char *path, const char *note)
{
	char   dir[MC_PATH_MAX], failed[MC_PATH_MAX];
	char   dst[MC_PATH_MAX], errp[MC_PATH_MAX + 8];
	char   err[NOTIFY_ERROR_MAX_LEN + 1];
	mc_err rv;

	sys_dirname_of(path, dir, sizeof(dir));
	if (sys_path_fmt(failed, sizeof(failed), "%s/%s", dir,
	        NOTIFY_FAILED_DIR) != MC_OK ||
	    sys_path_fmt(dst, sizeof(dst), "%s/%s", failed,
	        sys_basename_of(path)) != MC_OK ||
	    sys_path_fmt(errp, sizeof(errp), "%s.error", dst) != MC_OK) {
		log_error("event=notify.move_failed path=%s msg=\"path too "
		          "long\"",
		    path);
		return;
	}
	if ((rv = sys_mkdir_p(failed)) != MC_OK ||
	    (rv = sys_write_file_atomic(errp, note, strlen(note))) != MC_OK ||
	    (rv = sys_files_rename(path, dst, err, sizeof(err))) != MC_OK) {
		log_error("event=notify.move_failed path=%s err=%s", path,
		    mc_strerror(rv));
		return;
	}
	log_warn("event=notify.moved path=%s to=%s", path, dst);
}

/* webhook_url - the URL of the request's webhook: written in the
 * request by hand, else the rule's in the configuration file (the
 * coordinator never writes it: it may carry a token). NULL when there
 * is no webhook, or when it cannot be found (the channel then failed). */
static const char *
webhook_url(notify_run *n, char *buf, size_t len)
{
	const char *url = notify_request_webhook(n->req, "url");
	channel    *c = &n->webhook;

	if (url == NULL || url[0] != '\0')
		return url; /* no webhook section, or a URL written in it */
	if (worker_config_webhook(
	        n->rule, buf, len, c->error, sizeof(c->error)) == MC_OK)
		return buf;
	c->used = true;
	log_warn("event=notify.try_failed id=%s task=%s channel=%s try=0 "
	         "msg=\"%s\"",
	    n->id, n->task, c->name, c->error);
	return NULL;
}

int
notify_run_file(const char *path)
{
	notify_run  n = {.path = path};
	char        err[NOTIFY_ERROR_MAX_LEN + 1], note[NOTIFY_NOTE_MAX] = "";
	const char *url, *to;
	char        url_buf[NOTIFY_URL_MAX];
	int         code;

	n.webhook.name = "webhook";
	n.email.name = "email";
	if (notify_request_load(path, &n.req, err, sizeof(err)) != MC_OK) {
		log_error(
		    "event=notify.unusable path=%s msg=\"%s\"", path, err);
		snprintf(note, sizeof(note), "unusable request: %s\n", err);
		move_to_failed(path, note);
		return 2;
	}
	n.id = notify_request_field(n.req, "id");
	n.event = notify_request_field(n.req, "event");
	n.rule = notify_request_field(n.req, "rule");
	n.task = notify_request_field(n.req, "task_id");
	to = notify_request_email(n.req, "to");
	if ((url = webhook_url(&n, url_buf, sizeof(url_buf))) != NULL) {
		char origin[256];
		notify_url_origin(url, origin, sizeof(origin));
		try_channel(&n, &n.webhook, send_webhook, url, origin);
	}
	secret_wipe(url_buf, sizeof(url_buf));
	if (to != NULL && to[0] != '\0')
		try_channel(&n, &n.email, send_email, to, "smtp");
	code =
	    (n.webhook.used && !n.webhook.ok) || (n.email.used && !n.email.ok)
	        ? 1
	        : 0;
	if (code == 0) {
		if (unlink(path) != 0)
			log_warn("event=notify.remove_failed path=%s err=%s",
			    path, strerror(errno));
	} else {
		note_channel(&n.webhook, note, sizeof(note));
		note_channel(&n.email, note, sizeof(note));
		move_to_failed(path, note);
	}
	notify_request_destroy(n.req);
	return code;
}
