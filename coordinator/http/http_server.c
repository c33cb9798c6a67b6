/* http_server.c - libmicrohttpd's daemon: its limits, TLS, one request's
 * life (headers, a body up to HTTP_MAX_BODY, the route, the reply),
 * authentication from the request's headers, and the bounded wait for
 * the loop (http_loop_ask).
 *
 * Design notes: one thread per connection (MHD_USE_THREAD_PER_CONNECTION)
 * so that a request waiting for the loop, or slowed after a failed
 * login, holds only its own connection; HTTP_MAX_CONNECTIONS bounds the
 * threads. A body over the limit is not stored: the request is marked
 * and answered 413 once the client stops sending (a Content-Length over
 * the limit is answered at once). */
#include "http/http_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "http/http_int.h"
#include "http/http_query.h"

void
http_reply_text(
    http_req *r, int status, const char *type, char *body, size_t len)
{
	free(r->rep.body);
	r->rep.status = status;
	r->rep.type = type;
	r->rep.body = body;
	r->rep.len = len;
}

void
http_reply_json(http_req *r, int status, json_t *j)
{
	char *text =
	    j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;

	json_decref(j);
	if (text == NULL) {
		http_reply_error(r, 500, "cannot build the answer");
		return;
	}
	http_reply_text(r, status, NULL, text, strlen(text));
}

void
http_reply_error(http_req *r, int status, const char *fmt, ...)
{
	char    msg[512];
	va_list ap;
	json_t *j;
	char   *text;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	j = json_pack("{s:s}", "error", msg);
	text = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(j);
	if (text == NULL)
		text = strdup("{\"error\":\"out of memory\"}");
	http_reply_text(r, status, NULL, text, text ? strlen(text) : 0);
}

const char *
http_query_get(void *req, const char *key)
{
	http_req *r = req;

	return MHD_lookup_connection_value(
	    r->conn, MHD_GET_ARGUMENT_KIND, key);
}

bool
http_loop_ask(http_req *r, http_job_kind kind, const char *arg, unsigned limit)
{
	return http_loop_ask_in(r, kind, arg, limit, NULL);
}

bool
http_loop_ask_in(http_req *r, http_job_kind kind, const char *arg,
    unsigned limit, json_t *in)
{
	http_job *j;
	mc_err    rv;

	if (atomic_load(&r->srv->closing)) {
		http_reply_error(r, 503, "the coordinator is stopping");
		return false;
	}
	if ((j = http_job_new(kind)) == NULL) {
		http_reply_error(r, 503, "out of memory");
		return false;
	}
	snprintf(j->arg, sizeof(j->arg), "%s", arg ? arg : "");
	j->limit = limit;
	if (in != NULL && (j->in = json_dumps(in,
	                       JSON_COMPACT | JSON_ENSURE_ASCII)) == NULL) {
		http_job_release(j);
		http_job_release(j);
		http_reply_error(r, 503, "out of memory");
		return false;
	}
	snprintf(j->user, sizeof(j->user), "%s", r->who.user);
	rv = http_job_wait(r->srv->q, j,
	    kind == HTTP_JOB_PING ? HTTP_READY_WAIT_MS : HTTP_LOOP_WAIT_MS);
	if (rv != MC_OK) {
		http_job_release(j);
		log_warn("event=http.loop_timeout kind=%d", (int) kind);
		http_reply_error(
		    r, 503, "the coordinator did not answer in time");
		return false;
	}
	http_reply_text(r, j->status, j->content_type, j->body, j->body_len);
	j->body = NULL;
	http_job_release(j);
	return true;
}

bool
http_authenticate(http_req *r)
{
	const char *h = MHD_lookup_connection_value(
	    r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	const char *tok, *cookie;
	char        user[HTTP_NAME_MAX + 8], pw[HTTP_PASSWORD_MAX + 2];
	bool        ok;

	if (r->who.role != HTTP_ROLE_NONE)
		return true;
	if (h != NULL) {
		if ((tok = http_bearer_token(h)) != NULL)
			return http_auth_token(
			    r->srv->auth, tok, r->remote, &r->who);
		if (!http_basic_decode(
		        h, user, sizeof(user), pw, sizeof(pw))) {
			explicit_bzero(pw, sizeof(pw));
			return false;
		}
		ok = http_auth_password(r->srv->auth, user, pw, HTTP_VIA_BASIC,
		    r->remote, &r->who);
		explicit_bzero(pw, sizeof(pw));
		return ok;
	}
	cookie =
	    MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, HTTP_COOKIE);
	return cookie != NULL &&
	       http_auth_session(r->srv->auth, cookie, &r->who);
}

static void
remote_of(struct MHD_Connection *c, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(buf, len, "?");
	if (sa == NULL)
		return;
	getnameinfo(sa,
	    sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
	                              : sizeof(struct sockaddr_in),
	    buf, (socklen_t) len, NULL, 0, NI_NUMERICHOST);
}

static enum MHD_Result
send_reply(http_req *r)
{
	struct MHD_Response *resp;
	enum MHD_Result      rv;

	resp = MHD_create_response_from_buffer(r->rep.len,
	    r->rep.body ? r->rep.body : (char *) "", MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	if (r->rep.status != 304)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		    r->rep.type ? r->rep.type : "application/json");
	/* a dashboard file is checked again on each load (its ETag makes
	 * that a 304); an answer of the API is never kept */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    r->rep.etag[0] ? "no-cache" : "no-store");
	if (r->rep.etag[0])
		MHD_add_response_header(
		    resp, MHD_HTTP_HEADER_ETAG, r->rep.etag);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Content-Security-Policy",
	    "default-src 'self'; img-src 'self' data:; object-src 'none'; "
	    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
	if (r->rep.cookie[0])
		MHD_add_response_header(
		    resp, MHD_HTTP_HEADER_SET_COOKIE, r->rep.cookie);
	if (r->rep.challenge)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		    "Basic realm=\"mercure\", charset=\"UTF-8\"");
	rv = MHD_queue_response(r->conn, (unsigned) r->rep.status, resp);
	MHD_destroy_response(resp);
	return rv;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	http_server *s = cls;
	http_req    *r = *con_cls;

	(void) version;
	if (r == NULL) {
		const char *cl = MHD_lookup_connection_value(
		    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		uint64_t n = 0;
		if ((r = calloc(1, sizeof(*r))) == NULL)
			return MHD_NO;
		r->srv = s;
		r->conn = conn;
		r->method = method;
		r->url = url;
		r->rep.status = 500;
		remote_of(conn, r->remote, sizeof(r->remote));
		*con_cls = r;
		r->limit = http_body_limit(method, url);
		if (cl != NULL &&
		    (!http_parse_uint(cl, UINT64_MAX, &n) || n > r->limit)) {
			http_reply_error(r, 413,
			    "the body is larger than %zu bytes", r->limit);
			return send_reply(r);
		}
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (!r->too_large && r->len + *upload_size > r->limit)
			r->too_large = true;
		if (!r->too_large) {
			if (r->len + *upload_size + 1 > r->cap) {
				/* doubled: a large body in many pieces is
				 * not copied once per piece */
				size_t cap = 2 * (r->len + *upload_size) + 1;
				if (cap > r->limit + 1)
					cap = r->limit + 1;
				char *nb = realloc(r->body, cap);
				if (nb == NULL)
					return MHD_NO;
				r->body = nb;
				r->cap = cap;
			}
			memcpy(r->body + r->len, upload, *upload_size);
			r->len += *upload_size;
			r->body[r->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->too_large)
		http_reply_error(
		    r, 413, "the body is larger than %zu bytes", r->limit);
	else
		http_api_route(r);
	return send_reply(r);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	http_req *r = *con_cls;

	(void) cls;
	(void) conn;
	(void) toe;
	if (r == NULL)
		return;
	free(r->body);
	free(r->rep.body);
	explicit_bzero(&r->who, sizeof(r->who));
	free(r);
	*con_cls = NULL;
}

/* on_unescape - percent-decode a path or a query value in place; "%00"
 * becomes the byte 0xff, which is never UTF-8, so the id or value is
 * refused instead of being cut short at the NUL */
static size_t
on_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	char *in = s, *out = s;

	(void) cls;
	(void) c;
	while (*in) {
		int hi, lo;
		if (in[0] == '%' && (hi = http_hex_digit(in[1])) >= 0 &&
		    (lo = http_hex_digit(in[2])) >= 0) {
			int v = hi * 16 + lo;
			*out++ = (char) (v == 0 ? 0xff : v);
			in += 3;
		} else {
			*out++ = *in++;
		}
	}
	*out = '\0';
	return (size_t) (out - s);
}

static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char   msg[512];
	size_t n;

	(void) cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strcspn(msg, "\r\n\"");
	msg[n] = '\0';
	log_warn("event=http.server msg=\"%s\"", msg);
}

static mc_err
read_pem(const char *path, char **out)
{
	size_t len;
	mc_err rv = sys_read_file(path, out, &len);

	if (rv != MC_OK)
		log_error("event=http.tls_unreadable file=%s err=%s", path,
		    mc_strerror(rv));
	return rv;
}

static mc_err
bind_addr(
    const char *host, unsigned port, struct sockaddr_storage *ss, bool *v6)
{
	struct addrinfo hints, *res = NULL;
	char            ps[16];

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(ps, sizeof(ps), "%u", port);
	if (getaddrinfo(host, ps, &hints, &res) != 0 || res == NULL)
		return MC_EINVAL;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*v6 = res->ai_family == AF_INET6;
	freeaddrinfo(res);
	return MC_OK;
}

mc_err
http_server_start(const http_server_opts *o, http_server **out)
{
	http_server            *s = calloc(1, sizeof(*s));
	struct sockaddr_storage ss;
	unsigned int            flags = MHD_USE_INTERNAL_POLLING_THREAD |
	                     MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
	bool                        v6 = false;
	const union MHD_DaemonInfo *di;
	mc_err                      rv;

	*out = NULL;
	if (s == NULL)
		return MC_ENOMEM;
	s->q = o->q;
	s->metrics_public = o->http->metrics_public;
	snprintf(s->root, sizeof(s->root), "%s", o->root);
	snprintf(s->db, sizeof(s->db), "%s", o->db_path);
	snprintf(s->config_path, sizeof(s->config_path), "%s",
	    o->config_path ? o->config_path : "");
	pthread_mutex_init(&s->config_mu, NULL);
	if ((rv = http_auth_create(o->users_path, &s->auth)) != MC_OK)
		goto fail;
	if ((rv = bind_addr(o->http->bind, o->http->port, &ss, &v6)) !=
	    MC_OK) {
		log_error("event=http.bad_address bind=%s", o->http->bind);
		goto fail;
	}
	if (v6)
		flags |= MHD_USE_IPv6;
	if (o->http->tls_cert != NULL) {
		if ((rv = read_pem(o->http->tls_cert, &s->cert_pem)) ||
		    (rv = read_pem(o->http->tls_key, &s->key_pem)))
			goto fail;
		flags |= MHD_USE_TLS;
		s->tls = true;
	}
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
	    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s, MHD_OPTION_SOCK_ADDR,
	    (struct sockaddr *) &ss, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned) HTTP_MAX_CONNECTIONS,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned) HTTP_MAX_PER_IP,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) HTTP_CONN_MEMORY,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) HTTP_CONN_TIMEOUT_S,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
	    MHD_OPTION_UNESCAPE_CALLBACK, on_unescape, s,
	    s->tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, s->key_pem,
	    MHD_OPTION_HTTPS_MEM_CERT, s->cert_pem, MHD_OPTION_END);
	if (s->d == NULL) {
		log_error("event=http.listen_failed bind=%s port=%u",
		    o->http->bind, (unsigned) o->http->port);
		rv = MC_ENET;
		goto fail;
	}
	di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : o->http->port;
	log_info("event=http.listening url=%s://%s%s%s:%u/ users_file=%s",
	    s->tls ? "https" : "http", v6 ? "[" : "", o->http->bind,
	    v6 ? "]" : "", s->port, o->users_path);
	*out = s;
	return MC_OK;
fail:
	http_server_stop(s);
	return rv;
}

void
http_server_quiesce(http_server *s)
{
	if (s != NULL)
		atomic_store(&s->closing, true);
}

void
http_server_stop(http_server *s)
{
	if (s == NULL)
		return;
	atomic_store(&s->closing, true);
	if (s->d != NULL)
		MHD_stop_daemon(s->d);
	http_auth_destroy(s->auth);
	pthread_mutex_destroy(&s->config_mu);
	if (s->key_pem != NULL)
		explicit_bzero(s->key_pem, strlen(s->key_pem));
	free(s->key_pem);
	free(s->cert_pem);
	free(s);
}

unsigned
http_server_port(const http_server *s)
{
	return s->port;
}
