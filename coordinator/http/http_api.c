/* http_api.c - the routes: which role each needs, the login form and
 * sessions, CSRF on state-changing requests with a cookie, and the
 * handlers that answer on the HTTP thread or ask the loop (docs/http.md
 * lists them). Ids in paths are checked for their syntax here, before
 * any handler sees them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include <openssl/crypto.h>

#include "base/log.h"
#include "http/http_int.h"
#include "http/http_query.h"
#include "os/sys_files.h"

#define API "/api/v1/"
#define HTTP_SEGMENTS_MAX 6
#define HTTP_SEGMENT_MAX 128
#define HTTP_TARGET_NAME_MAX 128

static bool
is_method(const http_req *r, const char *m)
{
	return strcmp(r->method, m) == 0;
}

static bool
changes_state(const http_req *r)
{
	return !is_method(r, "GET") && !is_method(r, "HEAD");
}

/* cross_site - the browser says the request comes from another site
 * (Sec-Fetch-Site, or an Origin whose host is not the Host asked for). A
 * browser that once answered our Basic challenge sends those
 * credentials with any site's form, so Basic needs this where a cookie
 * session needs its CSRF token; other clients send neither header. */
static bool
cross_site(http_req *r)
{
	const char *site = MHD_lookup_connection_value(
	    r->conn, MHD_HEADER_KIND, "Sec-Fetch-Site");
	const char *origin =
	    MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Origin");
	const char *host = MHD_lookup_connection_value(
	    r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	const char *o;

	if (site != NULL && strcmp(site, "same-origin") != 0 &&
	    strcmp(site, "none") != 0)
		return true;
	if (origin == NULL)
		return false;
	o = strstr(origin, "://");
	return o == NULL || host == NULL || strcmp(o + 3, host) != 0;
}

/* need - r's caller has at least role (authenticating if not yet);
 * replies 401/403 otherwise. A cookie session must also carry its CSRF
 * token on a state-changing request. */
static bool
need(http_req *r, http_role role)
{
	const char *csrf;

	if (!http_authenticate(r)) {
		http_reply_error(r, 401, "authentication required");
		/* the dashboard's script says who it is: a challenge would
		 * make the browser ask for a password in its own dialog
		 * instead of the page showing its login form */
		r->rep.challenge =
		    MHD_lookup_connection_value(
		        r->conn, MHD_HEADER_KIND, "X-Requested-With") == NULL;
		return false;
	}
	if (r->who.role < role) {
		http_reply_error(r, 403, "the role %s is needed (you are %s)",
		    http_role_str(role), http_role_str(r->who.role));
		return false;
	}
	if (r->who.via == HTTP_VIA_BASIC && changes_state(r) &&
	    cross_site(r)) {
		http_reply_error(
		    r, 403, "a state-changing request from another site");
		return false;
	}
	if (r->who.via == HTTP_VIA_COOKIE && changes_state(r)) {
		csrf = MHD_lookup_connection_value(
		    r->conn, MHD_HEADER_KIND, HTTP_CSRF_HEADER);
		if (csrf == NULL || strlen(csrf) != HTTP_SESSION_ID_LEN ||
		    CRYPTO_memcmp(csrf, r->who.csrf, HTTP_SESSION_ID_LEN) !=
		        0) {
			http_reply_error(r, 403,
			    "missing or wrong " HTTP_CSRF_HEADER " header");
			return false;
		}
	}
	return true;
}

static void
session_reply(http_req *r, int status)
{
	json_t *j = json_pack("{s:s,s:s}", "user", r->who.user, "role",
	    http_role_str(r->who.role));

	if (j != NULL && r->who.via == HTTP_VIA_COOKIE)
		json_object_set_new(j, "csrf", json_string(r->who.csrf));
	http_reply_json(r, status, j);
}

static void
login(http_req *r)
{
	char        user[HTTP_NAME_MAX + 8], pw[HTTP_PASSWORD_MAX + 2];
	char        sid[HTTP_SESSION_ID_LEN + 1];
	const char *b = r->body ? r->body : "";

	if (http_form_get(b, r->len, "username", user, sizeof(user)) !=
	        MC_OK ||
	    http_form_get(b, r->len, "password", pw, sizeof(pw)) != MC_OK) {
		explicit_bzero(pw, sizeof(pw));
		http_reply_error(
		    r, 422, "expected the form fields username and password");
		return;
	}
	if (!http_auth_password(
	        r->srv->auth, user, pw, HTTP_VIA_COOKIE, r->remote, &r->who)) {
		explicit_bzero(pw, sizeof(pw));
		http_reply_error(r, 401, "wrong user name or password");
		return;
	}
	explicit_bzero(pw, sizeof(pw));
	if (http_auth_session_new(r->srv->auth, &r->who, sid) != MC_OK) {
		http_reply_error(r, 500, "cannot start a session");
		return;
	}
	snprintf(r->rep.cookie, sizeof(r->rep.cookie),
	    HTTP_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s",
	    sid, HTTP_SESSION_TTL_S, r->srv->tls ? "; Secure" : "");
	log_info(
	    "event=http.login user=%s remote=\"%s\"", r->who.user, r->remote);
	session_reply(r, 200);
}

static void
logout(http_req *r)
{
	const char *cookie =
	    MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, HTTP_COOKIE);

	if (!need(r, HTTP_ROLE_VIEWER))
		return;
	if (cookie != NULL)
		http_auth_session_end(r->srv->auth, cookie);
	snprintf(r->rep.cookie, sizeof(r->rep.cookie),
	    HTTP_COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
	http_reply_json(r, 200, json_pack("{s:b}", "ok", 1));
}

static void
readyz(http_req *r)
{
	char    path[MC_PATH_MAX], err[256];
	bool    storage, sched;
	json_t *j;

	storage = sys_path_fmt(path, sizeof(path), "%s/tasks", r->srv->root) ==
	              MC_OK &&
	          sys_files_writable_dir(path, err, sizeof(err)) == MC_OK;
	sched =
	    http_loop_ask(r, HTTP_JOB_PING, NULL, 0) && r->rep.status == 200;
	j = json_pack("{s:b,s:b,s:b,s:b}", "ready", storage && sched, "config",
	    1, "storage", storage, "scheduler", sched);
	http_reply_json(r, storage && sched ? 200 : 503, j);
}

static void
metrics(http_req *r)
{
	if (!r->srv->metrics_public && !need(r, HTTP_ROLE_VIEWER))
		return;
	http_loop_ask(r, HTTP_JOB_METRICS, NULL, 0);
}

/* status: the loop's counts, then what the HTTP thread can add without
 * the loop (error/ and the disk) */
static void
status(http_req *r)
{
	json_t        *j;
	json_error_t   e;
	struct statvfs vfs;
	long           errors = http_files_count(r->srv, "error");

	if (!http_loop_ask(r, HTTP_JOB_STATUS, NULL, 0) ||
	    r->rep.status != 200)
		return;
	if ((j = json_loadb(r->rep.body, r->rep.len, 0, &e)) == NULL) {
		http_reply_error(r, 500, "bad answer from the loop");
		return;
	}
	json_object_set_new(j, "error_tasks", json_integer(errors));
	if (statvfs(r->srv->root, &vfs) == 0)
		json_object_set_new(j, "storage_free_bytes",
		    json_integer((json_int_t) (vfs.f_bavail * vfs.f_frsize)));
	http_reply_json(r, 200, j);
}

static void
tasks(http_req *r)
{
	http_tasks_query q;
	char             err[256];

	if (http_tasks_query_parse(http_query_get, r, &q, err, sizeof(err)) !=
	    MC_OK) {
		http_reply_error(r, 422, "%s", err);
		return;
	}
	switch (q.state) {
	case HTTP_TASKS_SUCCESS:
	case HTTP_TASKS_ERROR:
	case HTTP_TASKS_DISCARD:
		http_files_tasks(r, q.state_name, q.limit, q.before);
		return;
	default:
		http_loop_ask(r, HTTP_JOB_TASKS, q.state_name, q.limit);
	}
}

/* split - the path after /api/v1/ into segments; false when there are
 * too many, one is empty or too long */
static bool
split(const char *path, char seg[][HTTP_SEGMENT_MAX + 1], size_t *n)
{
	*n = 0;
	while (*path) {
		size_t len = strcspn(path, "/");
		if (len == 0 || len > HTTP_SEGMENT_MAX ||
		    *n == HTTP_SEGMENTS_MAX)
			return false;
		memcpy(seg[*n], path, len);
		seg[(*n)++][len] = '\0';
		path += len;
		if (*path == '/' && *++path == '\0')
			return false;
	}
	return true;
}

static void
action(http_req *r, http_job_kind kind, const char *what, const char *id)
{
	char esc[4 * HTTP_SEGMENT_MAX + 8];

	if (!need(r, HTTP_ROLE_OPERATOR))
		return;
	if (r->len > 0 && strspn(r->body, " \t\r\n") != r->len) {
		json_error_t e;
		json_t      *j = json_loadb(r->body, r->len, 0, &e);
		if (j == NULL || !json_is_object(j)) {
			json_decref(j);
			http_reply_error(
			    r, 422, "the body must be a JSON object");
			return;
		}
		json_decref(j);
	}
	log_info("event=http.action what=%s id=\"%s\" user=%s remote=\"%s\"",
	    what, http_log_value(id, esc, sizeof(esc)), r->who.user,
	    r->remote);
	http_loop_ask(r, kind, id, 0);
}

static void
api(http_req *r, const char *path)
{
	char   seg[HTTP_SEGMENTS_MAX][HTTP_SEGMENT_MAX + 1];
	size_t n;
	bool   get = is_method(r, "GET"), post = is_method(r, "POST");
	bool   put = is_method(r, "PUT");

	if (!split(path, seg, &n) || n == 0) {
		http_reply_error(r, 404, "no such resource");
		return;
	}
	if (n == 1 && get && strcmp(seg[0], "session") == 0) {
		if (need(r, HTTP_ROLE_VIEWER))
			session_reply(r, 200);
		return;
	}
	if (n == 1 && get && strcmp(seg[0], "status") == 0) {
		if (need(r, HTTP_ROLE_VIEWER))
			status(r);
		return;
	}
	if (n == 1 && get && strcmp(seg[0], "series") == 0) {
		if (need(r, HTTP_ROLE_VIEWER))
			http_loop_ask(r, HTTP_JOB_SERIES, NULL, 0);
		return;
	}
	if (n == 1 && get && strcmp(seg[0], "studies") == 0) {
		if (need(r, HTTP_ROLE_VIEWER))
			http_loop_ask(r, HTTP_JOB_STUDIES, NULL, 0);
		return;
	}
	if (n == 1 && get && strcmp(seg[0], "tasks") == 0) {
		if (need(r, HTTP_ROLE_VIEWER))
			tasks(r);
		return;
	}
	if (n == 1 && get && strcmp(seg[0], "history") == 0) {
		if (need(r, HTTP_ROLE_VIEWER))
			http_history(r);
		return;
	}
	if (n == 2 && post && strcmp(seg[0], "rules") == 0 &&
	    strcmp(seg[1], "test") == 0) {
		if (need(r, HTTP_ROLE_VIEWER))
			http_rules_test(r);
		return;
	}
	if (n == 1 && post && strcmp(seg[0], "query") == 0) {
		if (need(r, HTTP_ROLE_VIEWER))
			http_qr_query(r);
		return;
	}
	if (n == 1 && post && strcmp(seg[0], "retrieve") == 0) {
		if (need(r, HTTP_ROLE_OPERATOR))
			http_qr_retrieve(r);
		return;
	}
	if (n == 2 && get && strcmp(seg[0], "retrievals") == 0) {
		if (need(r, HTTP_ROLE_VIEWER))
			http_qr_retrieval(r, seg[1]);
		return;
	}
	if (n == 1 && get && strcmp(seg[0], "config") == 0) {
		if (need(r, HTTP_ROLE_VIEWER))
			http_loop_ask(r, HTTP_JOB_CONFIG, NULL, 0);
		return;
	}
	if (n == 1 && put && strcmp(seg[0], "config") == 0) {
		if (need(r, HTTP_ROLE_ADMIN))
			http_config_put(r);
		return;
	}
	if (n == 2 && post && strcmp(seg[0], "config") == 0 &&
	    strcmp(seg[1], "rollback") == 0) {
		if (need(r, HTTP_ROLE_ADMIN))
			http_config_rollback(r);
		return;
	}
	if (n == 2 && get && strcmp(seg[0], "config") == 0 &&
	    strcmp(seg[1], "yaml") == 0) {
		if (need(r, HTTP_ROLE_ADMIN))
			http_config_yaml(r);
		return;
	}
	if (n == 1 && get && strcmp(seg[0], "rates") == 0) {
		if (need(r, HTTP_ROLE_VIEWER))
			http_loop_ask(r, HTTP_JOB_RATES, NULL, 0);
		return;
	}
	if (n == 1 && get && strcmp(seg[0], "targets") == 0) {
		if (need(r, HTTP_ROLE_VIEWER))
			http_loop_ask(r, HTTP_JOB_TARGETS, NULL, 0);
		return;
	}
	if (n == 3 && post && strcmp(seg[0], "targets") == 0 &&
	    (strcmp(seg[2], "halt") == 0 || strcmp(seg[2], "resume") == 0)) {
		if (strlen(seg[1]) > HTTP_TARGET_NAME_MAX)
			http_reply_error(r, 404, "no such target");
		else if (strcmp(seg[2], "halt") == 0)
			action(r, HTTP_JOB_HALT, "target.halt", seg[1]);
		else
			action(r, HTTP_JOB_RESUME, "target.resume", seg[1]);
		return;
	}
	if (n == 3 && post && strcmp(seg[0], "targets") == 0 &&
	    strcmp(seg[2], "test") == 0) {
		if (strlen(seg[1]) > HTTP_TARGET_NAME_MAX)
			http_reply_error(r, 404, "no such target");
		else
			action(r, HTTP_JOB_TEST_TARGET, "target.test", seg[1]);
		return;
	}
	if (n == 2 && get && strcmp(seg[0], "target-tests") == 0) {
		if (need(r, HTTP_ROLE_VIEWER))
			http_qr_target_test(r, seg[1]);
		return;
	}
	if (n == 2 && get && strcmp(seg[0], "tasks") == 0) {
		if (!need(r, HTTP_ROLE_VIEWER))
			return;
		if (!task_id_is_valid(seg[1]))
			http_reply_error(r, 404, "no such task");
		else
			http_files_task(r, seg[1]);
		return;
	}
	if (n == 3 && post && strcmp(seg[0], "tasks") == 0 &&
	    (strcmp(seg[2], "retry") == 0 || strcmp(seg[2], "reroute") == 0)) {
		bool rr = strcmp(seg[2], "reroute") == 0;
		if (!task_id_is_valid(seg[1]))
			http_reply_error(r, 404, "no such task");
		else
			action(r, rr ? HTTP_JOB_REROUTE : HTTP_JOB_RETRY,
			    rr ? "task.reroute" : "task.retry", seg[1]);
		return;
	}
	if (n == 3 && post &&
	    (strcmp(seg[0], "series") == 0 ||
	        strcmp(seg[0], "studies") == 0) &&
	    strcmp(seg[2], "force-complete") == 0) {
		if (!uid_is_valid(seg[1]))
			http_reply_error(r, 404, "no such %s", seg[0]);
		else
			action(r, HTTP_JOB_FORCE, "force_complete", seg[1]);
		return;
	}
	http_reply_error(
	    r, get || post || put ? 404 : 405, "no such resource");
}

size_t
http_body_limit(const char *method, const char *url)
{
	if (strcmp(method, "PUT") == 0 && strcmp(url, API "config") == 0)
		return HTTP_MAX_CONFIG_BODY;
	return HTTP_MAX_BODY;
}

void
http_api_route(http_req *r)
{
	const char *u = r->url;

	if (!http_utf8_valid(u, strlen(u))) {
		http_reply_error(r, 404, "no such resource");
		return;
	}
	if (strcmp(u, "/healthz") == 0) {
		http_reply_json(r, 200, json_pack("{s:b}", "ok", 1));
		return;
	}
	if (strcmp(u, "/readyz") == 0) {
		readyz(r);
		return;
	}
	if (strcmp(u, "/metrics") == 0 && is_method(r, "GET")) {
		metrics(r);
		return;
	}
	if (strcmp(u, "/login") == 0 && is_method(r, "POST")) {
		login(r);
		return;
	}
	if (strcmp(u, "/logout") == 0 && is_method(r, "POST")) {
		logout(r);
		return;
	}
	if (strncmp(u, API, strlen(API)) == 0) {
		api(r, u + strlen(API));
		return;
	}
	if ((is_method(r, "GET") || is_method(r, "HEAD")) && http_www(r))
		return;
	http_reply_error(r, 404, "no such resource");
}
