/* http_int.h - shared by the HTTP server's files (http_server.c, the
 * route handlers in http_api.c, http_files.c, http_history.c) and
 * nothing else: the server, one request, one reply. Everything here
 * lives on the server's threads. */
#ifndef MC_COORDINATOR_HTTP_INT_H
#define MC_COORDINATOR_HTTP_INT_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "http/http_auth.h"
#include "http/http_job.h"
#include "http/http_server.h"
#include "os/sys_fs.h"

#define HTTP_MAX_BODY (64 * 1024)
#define HTTP_MAX_CONFIG_BODY (1024 * 1024) /* PUT /api/v1/config */
#define HTTP_MAX_CONNECTIONS 64
#define HTTP_MAX_PER_IP 16
#define HTTP_CONN_MEMORY (32 * 1024)
#define HTTP_CONN_TIMEOUT_S 30
#define HTTP_LOOP_WAIT_MS 5000
#define HTTP_READY_WAIT_MS 2000
#define HTTP_COOKIE "mc_session"
#define HTTP_CSRF_HEADER "X-CSRF-Token"

struct http_server {
	struct MHD_Daemon *d;
	http_auth         *auth;
	work_queue        *q;
	atomic_bool        closing;
	bool               tls;
	bool               metrics_public;
	char               root[MC_PATH_MAX];
	char               db[MC_PATH_MAX];
	char               config_path[MC_PATH_MAX]; /* "": none */
	pthread_mutex_t    config_mu; /* one configuration write at a time */
	char              *key_pem, *cert_pem; /* alive while d is */
	unsigned           port;
};

typedef struct http_reply {
	int         status;
	const char *type; /* static; NULL: application/json */
	char       *body; /* malloc'ed */
	size_t      len;
	char        cookie[256]; /* a Set-Cookie value, or "" */
	char        etag[40];    /* an ETag value, or "": a dashboard file */
	bool        challenge;   /* 401: add WWW-Authenticate */
} http_reply;

typedef struct http_req {
	http_server           *srv;
	struct MHD_Connection *conn;
	const char            *method, *url;
	char                  *body;
	size_t                 len, cap;
	size_t                 limit; /* the route's body limit */
	bool                   too_large;
	char                   remote[64];
	http_who               who;
	http_reply             rep;
} http_req;

/* reply helpers: each replaces any earlier reply */
void http_reply_json(http_req *r, int status, json_t *j); /* takes j */
void http_reply_error(http_req *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void http_reply_text(
    http_req *r, int status, const char *type, char *body, size_t len);

/* http_query_get - an http_get_fn over the request's query string */
const char *http_query_get(void *req, const char *key);

/* http_loop_ask - run a job of kind on the loop (arg, limit as given)
 * and put its answer in r's reply. False when it timed out or failed
 * (r then holds 503). */
bool http_loop_ask(
    http_req *r, http_job_kind kind, const char *arg, unsigned limit);

/* http_loop_ask_in - http_loop_ask with in (borrowed) handed to the
 * loop as the job's request JSON */
bool http_loop_ask_in(http_req *r, http_job_kind kind, const char *arg,
    unsigned limit, json_t *in);

/* http_authenticate - fill r->who from the request's Authorization
 * header (Basic or Bearer) or its session cookie; false when there are
 * none or they are wrong (a failure already delayed and logged). */
bool http_authenticate(http_req *r);

/* http_api_route - answer r (authenticated or not; the handler checks
 * the role it needs). http_api.c */
void http_api_route(http_req *r);

/* http_files.c: tasks on disk */
void http_files_task(http_req *r, const char *id);
void http_files_tasks(
    http_req *r, const char *state, unsigned limit, uint64_t before);
/* http_files_json - the JSON in path (NULL: absent or unreadable) */
json_t *http_files_json(const char *path);
/* http_files_log_tail - the end of the log at path as a string, null
 * when unreadable */
json_t *http_files_log_tail(const char *path);
/* http_files_count - entries of <root>/<dir>; -1 when unreadable */
long http_files_count(const http_server *s, const char *dir);

/* http_body_limit - the largest body the route of method and url takes */
size_t http_body_limit(const char *method, const char *url);

/* http_config.c: PUT /api/v1/config (validate, write, reload), POST
 * /api/v1/config/rollback, GET /api/v1/config/yaml; the caller checked
 * the admin role */
void http_config_put(http_req *r);
void http_config_rollback(http_req *r);
void http_config_yaml(http_req *r);

/* http_www.c: the dashboard's files (GET /, /app.js, ...); false when
 * url names none of them */
bool http_www(http_req *r);

/* http_rules.c: POST /api/v1/rules/test */
void http_rules_test(http_req *r);

/* http_qr.c: POST /api/v1/query and /api/v1/retrieve, GET
 * /api/v1/retrievals/{id} */
void http_qr_query(http_req *r);
void http_qr_retrieve(http_req *r);
void http_qr_retrieval(http_req *r, const char *id);
/* GET /api/v1/target-tests/{id} */
void http_qr_target_test(http_req *r, const char *id);

/* http_history.c: the audit trail */
void http_history(http_req *r);

#endif
