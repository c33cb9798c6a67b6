/* nomad_client.c - Nomad's HTTP API over one libcurl multi handle, driven
 * by the thread that calls nomad_client_poll(): each call is an easy
 * handle with its own callback. The bodies are read and written by
 * nomad_client_json.c; no file outside this module reads Nomad's JSON or
 * includes <curl/curl.h>.
 *
 * Design notes: a call ends exactly once, in poll (never inside the call
 * that started it), with one of MC_OK / MC_ENET / MC_EREFUSED / MC_EPROTO
 * (reference 1.1: errors are plain text, any non-2xx is an error, and
 * validation failures are 500s). The token travels only in the
 * X-Nomad-Token header; error texts are Nomad's bodies or libcurl's
 * messages, which never contain it. */
#include "sched/nomad/nomad_client.h"
#include "sched/nomad/nomad_client_int.h"

#include <ctype.h>
#include <curl/curl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NOMAD_TIMEOUT_DEFAULT_MS 10000
#define NOMAD_CONNECT_TIMEOUT_MS 3000
#define NOMAD_RESPONSE_MAX_BYTES (16u * 1024u * 1024u)
#define NOMAD_URL_MAX 2048

typedef enum {
	CALL_REGISTER,
	CALL_DISPATCH,
	CALL_ALLOCS,
	CALL_JOB,
	CALL_EVALS,
	CALL_STOP,
	CALL_LEADER,
	CALL_CHILDREN,
	CALL_PURGE,
	CALL_EVENTS,
	CALL_VAR_LOCK
} call_kind;

typedef struct call {
	struct nomad_client *c;
	struct call         *prev, *next;
	CURL                *h;
	call_kind            kind;
	struct curl_slist   *headers;
	char                *body; /* request body, owned */
	char                *resp;
	size_t               resp_len, resp_cap;
	bool                 resp_full;
	uint64_t             index;
	char                 meta_key[64]; /* CALL_CHILDREN */
	nomad_data_fn        on_data;      /* CALL_EVENTS */
	char                 errbuf[CURL_ERROR_SIZE];
	nomad_reply_fn       fn;
	void                *arg;
} call;

struct nomad_client {
	CURLM   *multi;
	call    *calls;
	size_t   n_calls;
	unsigned timeout_ms;
	char     address[512];
	char    *token_header; /* "X-Nomad-Token: ..." or NULL */
	char     ns[128], region[128];
	char     ca_file[1024], cert_file[1024], key_file[1024];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode       curl_init_rv;

static void
curl_init_once(void)
{
	curl_init_rv = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void
copy_opt(char *dst, size_t len, const char *s)
{
	snprintf(dst, len, "%s", s ? s : "");
}

mc_err
nomad_client_create(const nomad_client_opts *o, nomad_client **out)
{
	nomad_client *c;
	const char   *addr =
            o->address && o->address[0] ? o->address : NOMAD_ADDR_DEFAULT;
	size_t n;

	*out = NULL;
	if (strncmp(addr, "http://", 7) != 0 &&
	    strncmp(addr, "https://", 8) != 0)
		return MC_EINVAL;
	pthread_once(&curl_once, curl_init_once);
	if (curl_init_rv != CURLE_OK)
		return MC_EINTERNAL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return MC_ENOMEM;
	copy_opt(c->address, sizeof(c->address), addr);
	n = strlen(c->address);
	while (n > 0 && c->address[n - 1] == '/')
		c->address[--n] = '\0';
	copy_opt(c->ns, sizeof(c->ns), o->ns);
	copy_opt(c->region, sizeof(c->region), o->region);
	copy_opt(c->ca_file, sizeof(c->ca_file), o->ca_file);
	copy_opt(c->cert_file, sizeof(c->cert_file), o->cert_file);
	copy_opt(c->key_file, sizeof(c->key_file), o->key_file);
	c->timeout_ms =
	    o->timeout_ms ? o->timeout_ms : NOMAD_TIMEOUT_DEFAULT_MS;
	if (o->token && o->token[0]) {
		size_t len = strlen(o->token) + sizeof("X-Nomad-Token: ");
		if ((c->token_header = malloc(len)) == NULL) {
			free(c);
			return MC_ENOMEM;
		}
		snprintf(c->token_header, len, "X-Nomad-Token: %s", o->token);
	}
	if ((c->multi = curl_multi_init()) == NULL) {
		free(c->token_header);
		free(c);
		return MC_ENOMEM;
	}
	*out = c;
	return MC_OK;
}

static void
call_free(call *k)
{
	if (k == NULL)
		return;
	if (k->h != NULL)
		curl_easy_cleanup(k->h);
	curl_slist_free_all(k->headers);
	free(k->body);
	free(k->resp);
	free(k);
}

static void
call_unlink(nomad_client *c, call *k)
{
	if (k->prev)
		k->prev->next = k->next;
	else
		c->calls = k->next;
	if (k->next)
		k->next->prev = k->prev;
	c->n_calls--;
	curl_multi_remove_handle(c->multi, k->h);
}

void
nomad_client_destroy(nomad_client *c)
{
	if (c == NULL)
		return;
	while (c->calls != NULL) {
		call *k = c->calls;
		call_unlink(c, k);
		call_free(k);
	}
	curl_multi_cleanup(c->multi);
	if (c->token_header) {
		/* the secret does not outlive us in freed memory */
		memset(c->token_header, 0, strlen(c->token_header));
		free(c->token_header);
	}
	free(c);
}

size_t
nomad_client_in_flight(const nomad_client *c)
{
	return c->n_calls;
}

const char *
nomad_client_address(const nomad_client *c)
{
	return c->address;
}

/* ---- transfers -------------------------------------------------------- */

static size_t
on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	call  *k = arg;
	size_t n = size * nmemb;
	long   status = 0;

	if (k->on_data != NULL) {
		curl_easy_getinfo(k->h, CURLINFO_RESPONSE_CODE, &status);
		if (status == 200 && !k->on_data(k->arg, p, n)) {
			k->resp_full = true; /* ends as MC_EPROTO */
			return 0;
		}
		if (status == 200)
			return n;
	}
	if (k->resp_len + n > NOMAD_RESPONSE_MAX_BYTES) {
		k->resp_full = true;
		return 0; /* aborts the transfer */
	}
	if (k->resp_len + n + 1 > k->resp_cap) {
		size_t cap = k->resp_cap ? k->resp_cap : 4096;
		char  *q;
		while (cap < k->resp_len + n + 1)
			cap *= 2;
		if ((q = realloc(k->resp, cap)) == NULL)
			return 0;
		k->resp = q;
		k->resp_cap = cap;
	}
	memcpy(k->resp + k->resp_len, p, n);
	k->resp_len += n;
	k->resp[k->resp_len] = '\0';
	return n;
}

static size_t
on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	call             *k = arg;
	size_t            n = size * nmemb;
	static const char name[] = "x-nomad-index:";
	char              num[32];
	size_t            i = sizeof(name) - 1, j = 0;

	if (n > i && strncasecmp(p, name, i) == 0) {
		while (i < n && p[i] == ' ')
			i++;
		while (i < n && j + 1 < sizeof(num) &&
		       isdigit((unsigned char) p[i]))
			num[j++] = p[i++];
		num[j] = '\0';
		if (j > 0)
			k->index = strtoull(num, NULL, 10);
	}
	return n;
}

/* url - address + path (parts escaped by the caller) + the query, with
 * namespace and region appended */
static mc_err
url(const nomad_client *c, CURL *h, char *buf, size_t len, const char *path,
    const char *query)
{
	char  *ns = NULL, *rg = NULL;
	int    n;
	mc_err rv = MC_OK;

	if ((c->ns[0] && (ns = curl_easy_escape(h, c->ns, 0)) == NULL) ||
	    (c->region[0] &&
	        (rg = curl_easy_escape(h, c->region, 0)) == NULL)) {
		curl_free(ns);
		return MC_ENOMEM;
	}
	n = snprintf(buf, len, "%s%s%s%s%s%s%s%s", c->address, path,
	    query && query[0] ? "?" : "", query ? query : "",
	    ns ? (query && query[0] ? "&namespace=" : "?namespace=") : "",
	    ns ? ns : "",
	    rg ? ((query && query[0]) || ns ? "&region=" : "?region=") : "",
	    rg ? rg : "");
	if (n < 0 || (size_t) n >= len)
		rv = MC_EINVAL;
	curl_free(ns);
	curl_free(rg);
	return rv;
}

/* start - set up k->h for method on path?query and hand it to the multi
 * handle. body (may be NULL) is taken on MC_OK. */
static mc_err
start(nomad_client *c, call *k, const char *method, const char *path,
    const char *query, char *body, long timeout_ms)
{
	char   u[NOMAD_URL_MAX];
	mc_err rv;

	if ((rv = url(c, k->h, u, sizeof(u), path, query)) != MC_OK)
		return rv;
	if ((c->token_header && (k->headers = curl_slist_append(
	                             k->headers, c->token_header)) == NULL) ||
	    (body && (k->headers = curl_slist_append(k->headers,
	                  "Content-Type: application/json")) == NULL))
		return MC_ENOMEM;
	curl_easy_setopt(k->h, CURLOPT_URL, u);
	curl_easy_setopt(k->h, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		curl_easy_setopt(k->h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(
		    k->h, CURLOPT_POSTFIELDSIZE, (long) strlen(body));
	}
	curl_easy_setopt(k->h, CURLOPT_HTTPHEADER, k->headers);
	curl_easy_setopt(k->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(k->h, CURLOPT_WRITEDATA, k);
	curl_easy_setopt(k->h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(k->h, CURLOPT_HEADERDATA, k);
	curl_easy_setopt(k->h, CURLOPT_PRIVATE, k);
	curl_easy_setopt(k->h, CURLOPT_ERRORBUFFER, k->errbuf);
	curl_easy_setopt(k->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(k->h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(
	    k->h, CURLOPT_CONNECTTIMEOUT_MS, (long) NOMAD_CONNECT_TIMEOUT_MS);
	if (c->ca_file[0])
		curl_easy_setopt(k->h, CURLOPT_CAINFO, c->ca_file);
	if (c->cert_file[0])
		curl_easy_setopt(k->h, CURLOPT_SSLCERT, c->cert_file);
	if (c->key_file[0])
		curl_easy_setopt(k->h, CURLOPT_SSLKEY, c->key_file);
	if (curl_multi_add_handle(c->multi, k->h) != CURLM_OK)
		return MC_EINTERNAL;
	k->body = body;
	k->next = c->calls;
	if (c->calls)
		c->calls->prev = k;
	c->calls = k;
	c->n_calls++;
	return MC_OK;
}

static call *
call_new(nomad_client *c, call_kind kind, nomad_reply_fn fn, void *arg)
{
	call *k = calloc(1, sizeof(*k));

	if (k == NULL)
		return NULL;
	if ((k->h = curl_easy_init()) == NULL) {
		free(k);
		return NULL;
	}
	k->c = c;
	k->kind = kind;
	k->fn = fn;
	k->arg = arg;
	return k;
}

/* job_path - "/v1/job/<escaped id><suffix>"; IDs of children hold '/',
 * sent as %2F (reference 1.1) */
static mc_err
job_path(CURL *h, char *buf, size_t len, const char *job, const char *suffix)
{
	char *e = curl_easy_escape(h, job, 0);
	int   n;

	if (e == NULL)
		return MC_ENOMEM;
	n = snprintf(buf, len, "/v1/job/%s%s", e, suffix);
	curl_free(e);
	return n < 0 || (size_t) n >= len ? MC_EINVAL : MC_OK;
}

static mc_err
simple_call(nomad_client *c, call_kind kind, const char *method,
    const char *job, const char *suffix, const char *query, char *body,
    long timeout_ms, nomad_reply_fn fn, void *arg)
{
	call  *k = call_new(c, kind, fn, arg);
	char   path[NOMAD_URL_MAX];
	mc_err rv;

	if (k == NULL)
		return MC_ENOMEM;
	if (job != NULL)
		rv = job_path(k->h, path, sizeof(path), job, suffix);
	else
		rv = snprintf(path, sizeof(path), "%s", suffix) <
		             (int) sizeof(path)
		         ? MC_OK
		         : MC_EINVAL;
	if (rv == MC_OK)
		rv = start(c, k, method, path, query, body, timeout_ms);
	if (rv != MC_OK)
		call_free(k); /* body stays the caller's */
	return rv;
}

mc_err
nomad_client_register(
    nomad_client *c, const char *body, nomad_reply_fn fn, void *arg)
{
	char  *copy = strdup(body);
	mc_err rv;

	if (copy == NULL)
		return MC_ENOMEM;
	rv = simple_call(c, CALL_REGISTER, "PUT", NULL, "/v1/jobs", NULL, copy,
	    (long) c->timeout_ms, fn, arg);
	if (rv != MC_OK)
		free(copy);
	return rv;
}

mc_err
nomad_client_dispatch(nomad_client *c, const char *job, const char *meta_key,
    const char *meta_value, const char *token, nomad_reply_fn fn, void *arg)
{
	char  *body = nomad_json_dispatch_body(meta_key, meta_value);
	char  *etok = NULL, query[NOMAD_ID_MAX * 3 + 32];
	CURL  *tmp = curl_easy_init();
	mc_err rv = MC_ENOMEM;

	if (body == NULL || tmp == NULL ||
	    (etok = curl_easy_escape(tmp, token, 0)) == NULL)
		goto out;
	rv = MC_EINVAL;
	if (snprintf(query, sizeof(query), "idempotency_token=%s", etok) >=
	    (int) sizeof(query))
		goto out;
	rv = simple_call(c, CALL_DISPATCH, "POST", job, "/dispatch", query,
	    body, (long) c->timeout_ms, fn, arg);
	if (rv == MC_OK)
		body = NULL;
out:
	curl_free(etok);
	if (tmp)
		curl_easy_cleanup(tmp);
	free(body);
	return rv;
}

mc_err
nomad_client_allocations(nomad_client *c, const char *job, uint64_t index,
    unsigned wait_s, nomad_reply_fn fn, void *arg)
{
	char query[96];
	long tmo = (long) c->timeout_ms;

	if (index > 0) {
		snprintf(query, sizeof(query), "index=%" PRIu64 "&wait=%us",
		    index, wait_s);
		/* the server adds up to wait/16 of jitter (reference 1.8) */
		tmo += (long) wait_s * 1000 * 17 / 16;
	} else {
		query[0] = '\0';
	}
	return simple_call(c, CALL_ALLOCS, "GET", job, "/allocations", query,
	    NULL, tmo, fn, arg);
}

mc_err
nomad_client_job(
    nomad_client *c, const char *job, nomad_reply_fn fn, void *arg)
{
	return simple_call(c, CALL_JOB, "GET", job, "", NULL, NULL,
	    (long) c->timeout_ms, fn, arg);
}

mc_err
nomad_client_evaluations(
    nomad_client *c, const char *job, nomad_reply_fn fn, void *arg)
{
	return simple_call(c, CALL_EVALS, "GET", job, "/evaluations", NULL,
	    NULL, (long) c->timeout_ms, fn, arg);
}

mc_err
nomad_client_children(nomad_client *c, const char *job, const char *meta_key,
    nomad_reply_fn fn, void *arg)
{
	call  *k = call_new(c, CALL_CHILDREN, fn, arg);
	char   prefix[NOMAD_ID_MAX + 16], query[NOMAD_ID_MAX * 3 + 64];
	char  *e = NULL;
	mc_err rv = MC_ENOMEM;

	if (k == NULL)
		return MC_ENOMEM;
	snprintf(k->meta_key, sizeof(k->meta_key), "%s", meta_key);
	rv = MC_EINVAL;
	if (snprintf(prefix, sizeof(prefix), "%s/dispatch-", job) >=
	    (int) sizeof(prefix))
		goto out;
	rv = MC_ENOMEM;
	if ((e = curl_easy_escape(k->h, prefix, 0)) == NULL)
		goto out;
	rv = MC_EINVAL;
	if (snprintf(query, sizeof(query), "prefix=%s&meta=true", e) >=
	    (int) sizeof(query))
		goto out;
	rv = start(c, k, "GET", "/v1/jobs", query, NULL, (long) c->timeout_ms);
out:
	curl_free(e);
	if (rv != MC_OK)
		call_free(k);
	return rv;
}

mc_err
nomad_client_stop(
    nomad_client *c, const char *job, nomad_reply_fn fn, void *arg)
{
	return simple_call(c, CALL_STOP, "DELETE", job, "", "purge=false",
	    NULL, (long) c->timeout_ms, fn, arg);
}

mc_err
nomad_client_purge(
    nomad_client *c, const char *job, nomad_reply_fn fn, void *arg)
{
	return simple_call(c, CALL_PURGE, "DELETE", job, "", "purge=true",
	    NULL, (long) c->timeout_ms, fn, arg);
}

mc_err
nomad_client_events(nomad_client *c, uint64_t index, nomad_data_fn on_data,
    nomad_reply_fn fn, void *arg)
{
	call  *k = call_new(c, CALL_EVENTS, fn, arg);
	char   query[64];
	mc_err rv;

	if (k == NULL)
		return MC_ENOMEM;
	k->on_data = on_data;
	if (index > 0)
		snprintf(query, sizeof(query),
		    "topic=Allocation&index=%" PRIu64, index);
	else
		snprintf(query, sizeof(query), "topic=Allocation");
	/* no time limit: the stream lasts; its heartbeats show it alive */
	if ((rv = start(c, k, "GET", "/v1/event/stream", query, NULL, 0)) !=
	    MC_OK)
		call_free(k);
	return rv;
}

void
nomad_client_cancel(nomad_client *c, const void *arg)
{
	call *k = c->calls, *next;

	for (; k != NULL; k = next) {
		next = k->next;
		if (k->arg != arg)
			continue;
		call_unlink(c, k);
		call_free(k);
	}
}

mc_err
nomad_client_leader(nomad_client *c, nomad_reply_fn fn, void *arg)
{
	return simple_call(c, CALL_LEADER, "GET", NULL, "/v1/status/leader",
	    NULL, NULL, (long) c->timeout_ms, fn, arg);
}

/* ---- answers ---------------------------------------------------------- */

mc_err
nomad_client_var_lock(nomad_client *c, const char *path, const char *op,
    const char *body, unsigned timeout_ms, nomad_reply_fn fn, void *arg)
{
	char   p[NOMAD_URL_MAX], q[32];
	char  *copy;
	mc_err rv;

	/* Nomad's variable paths need no escaping (reference 1.11) */
	if (path[strspn(path, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
	                      "rstuvwxyz0123456789-_~/")] != '\0' ||
	    snprintf(p, sizeof(p), "/v1/var/%s", path) >= (int) sizeof(p) ||
	    snprintf(q, sizeof(q), "lock-%s", op) >= (int) sizeof(q))
		return MC_EINVAL;
	if ((copy = strdup(body)) == NULL)
		return MC_ENOMEM;
	rv = simple_call(c, CALL_VAR_LOCK, "PUT", NULL, p, q, copy,
	    timeout_ms ? (long) timeout_ms : (long) c->timeout_ms, fn, arg);
	if (rv != MC_OK)
		free(copy);
	return rv;
}

/* one_line - s with runs of whitespace as one space, trimmed (Nomad's
 * multierror texts span lines: "1 error occurred:\n\t* ...\n\n") */
static void
one_line(char *dst, size_t len, const char *s, size_t n)
{
	size_t o = 0;
	bool   space = false;

	for (size_t i = 0; i < n && s[i] && o + 1 < len; i++) {
		if (isspace((unsigned char) s[i])) {
			space = o > 0;
			continue;
		}
		if (space && o + 2 < len)
			dst[o++] = ' ';
		space = false;
		dst[o++] = s[i] == '"' ? '\'' : s[i];
	}
	dst[o] = '\0';
}

static nomad_answer_kind
answer_kind(call_kind k)
{
	switch (k) {
	case CALL_DISPATCH:
		return NOMAD_ANSWER_DISPATCH;
	case CALL_JOB:
		return NOMAD_ANSWER_JOB;
	case CALL_CHILDREN:
		return NOMAD_ANSWER_CHILDREN;
	default:
		return NOMAD_ANSWER_EVALS;
	}
}

/* parse_ok - the body of a 2xx answer into r, with the strings in x */
static mc_err
parse_ok(const call *k, nomad_reply *r, nomad_answer *x)
{
	const char *body = k->resp ? k->resp : "";
	mc_err      rv;

	switch (k->kind) {
	case CALL_ALLOCS:
		rv = nomad_parse_allocations(
		    body, k->resp_len, &x->allocs, &x->n_allocs);
		r->allocs = x->allocs;
		r->n_allocs = x->n_allocs;
		return rv;
	case CALL_DISPATCH:
	case CALL_JOB:
	case CALL_EVALS:
	case CALL_CHILDREN:
		rv = nomad_json_answer(
		    answer_kind(k->kind), k->meta_key, body, k->resp_len, x);
		r->child_id = x->child;
		r->reattached = x->reattached;
		r->job_status = x->job_status;
		r->job_token = x->job_token;
		r->eval_problem = x->eval_problem;
		r->children = x->children;
		r->n_children = x->n_children;
		return rv;
	case CALL_VAR_LOCK:
		rv = nomad_json_lock_id(
		    body, k->resp_len, x->lock_id, sizeof(x->lock_id));
		r->lock_id = x->lock_id;
		return rv;
	default:
		return MC_OK; /* register, stop, leader: the status says it */
	}
}

static void
finish(nomad_client *c, call *k, CURLcode cc)
{
	nomad_reply   r;
	nomad_answer *x = calloc(1, sizeof(*x));
	char          err[NOMAD_ERROR_MAX];

	memset(&r, 0, sizeof(r));
	err[0] = '\0';
	r.error = err;
	r.eval_problem = "";
	r.job_token = "";
	r.lock_id = "";
	r.index = k->index;
	curl_easy_getinfo(k->h, CURLINFO_RESPONSE_CODE, &r.status);
	if (x == NULL) {
		r.rv = MC_ENOMEM;
		snprintf(err, sizeof(err), "out of memory");
	} else if (cc != CURLE_OK) {
		r.rv = k->resp_full ? MC_EPROTO : MC_ENET;
		snprintf(err, sizeof(err), "%s",
		    k->errbuf[0] ? k->errbuf : curl_easy_strerror(cc));
		r.status = 0;
	} else if (r.status < 200 || r.status > 299) {
		r.rv = MC_EREFUSED;
		one_line(
		    err, sizeof(err), k->resp ? k->resp : "", k->resp_len);
		if (err[0] == '\0')
			snprintf(err, sizeof(err), "HTTP %ld", r.status);
	} else if ((r.rv = parse_ok(k, &r, x)) != MC_OK) {
		snprintf(err, sizeof(err), "unreadable answer (%s)",
		    mc_strerror(r.rv));
	}
	call_unlink(c, k);
	k->fn(k->arg, &r);
	if (x != NULL) {
		free(x->allocs);
		free(x->children);
	}
	free(x);
	call_free(k);
}

mc_err
nomad_client_poll(nomad_client *c, int wake_fd, int timeout_ms)
{
	struct curl_waitfd wfd = {wake_fd, CURL_WAIT_POLLIN, 0};
	CURLMsg           *m;
	int                running, left;

	if (curl_multi_poll(c->multi, wake_fd >= 0 ? &wfd : NULL,
	        wake_fd >= 0 ? 1u : 0u, timeout_ms, NULL) != CURLM_OK)
		return MC_EINTERNAL;
	if (curl_multi_perform(c->multi, &running) != CURLM_OK)
		return MC_EINTERNAL;
	while ((m = curl_multi_info_read(c->multi, &left)) != NULL) {
		call *k = NULL;
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(
		    m->easy_handle, CURLINFO_PRIVATE, (char **) &k);
		if (k != NULL)
			finish(c, k, m->data.result);
	}
	return MC_OK;
}
