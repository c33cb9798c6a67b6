/* http_server.h - the coordinator's HTTP server (docs/http.md): API,
 * metrics, health checks, on libmicrohttpd's threads. It never touches
 * the loop's state: what needs the loop goes through q as http_jobs
 * (http_job.h), answered on the loop by http_loop_run(). */
#ifndef MC_COORDINATOR_HTTP_SERVER_H
#define MC_COORDINATOR_HTTP_SERVER_H

#include "config/config.h"
#include "core/work_queue.h"

typedef struct http_server http_server;

typedef struct http_server_opts {
	const config_http *http;       /* copied */
	const char        *root;       /* the storage root, copied */
	const char        *users_path; /* copied */
	const char        *db_path;    /* the audit trail, copied */
	work_queue        *q;          /* the loop's; borrowed */
	const char *config_path; /* the file PUT config writes ("": none) */
} http_server_opts;

/* http_server_start - listen and serve until http_server_stop(). The
 * TLS files are read here; a failure is logged and returned. */
MC_NODISCARD mc_err http_server_start(
    const http_server_opts *o, http_server **out);

/* http_server_quiesce - from now on a request that needs the loop is
 * answered 503 at once (the loop is about to stop). Any thread. */
void http_server_quiesce(http_server *s);

/* http_server_stop - stop listening, wait for the server's threads and
 * free s. NULL: no-op. */
void http_server_stop(http_server *s);

/* http_server_port - the port it listens on (useful with port 0). */
unsigned http_server_port(const http_server *s);

#endif
