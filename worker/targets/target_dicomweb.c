/* target_dicomweb.c - the "dicomweb" target: DICOMweb STOW-RS over
 * libcurl (this file and curl_common.c are its only use of libcurl): POST
 * <url>[/<stow_url_prefix>]/studies with a multipart/related;
 * type="application/dicom" body, a batch of instances per request, and
 * the response's FailedSOPSequence read (stow_json.c). The connectivity
 * test is a QIDO-RS GET <url>[/<qido_url_prefix>]/studies?limit=1.
 *
 * Design notes: the body is streamed from the files (multipart.c) with
 * its length known up front, so a batch of large instances is never held
 * in memory. Each
 * file's meta header is read first (DCMTK, dcm_scu_probe): a file that is
 * not DICOM can never be stored and fails the target for good. HTTP 401
 * and 403 (wrong credentials), 400, 404, 405 and 415 are not retryable;
 * network errors, 408, 429 and 5xx are. A failed instance is retryable
 * when its FailureReason says the peer was out of resources (A7xx, 0213)
 * or failed while processing (0110).
 *
 * Fields (mercure's): url (http or https), qido_url_prefix,
 * stow_url_prefix, access_token (bearer) or http_user + http_password
 * (basic), each secret also as <field>_env / <field>_file. Ours:
 * stow_batch_size (instances per request, 100), stow_batch_mb (100),
 * timeout (s per request, 300), connect_timeout (10), ca_cert (PEM
 * bundle for https). */
#include "targets/target.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dcm/dcm_scu.h"
#include "base/log.h"
#include "targets/curl_common.h"
#include "targets/multipart.h"
#include "targets/secret.h"
#include "targets/stow_json.h"

#define DW_URL_MAX 2048
#define DW_BATCH_DEFAULT 100
#define DW_BATCH_MAX 10000
#define DW_BATCH_MB_DEFAULT 100
#define DW_BATCH_MB_MAX 100000
#define DW_RESPONSE_MAX (4u << 20)
#define DW_HEADER_MAX 4200

typedef struct dw_conf {
	char        stow[DW_URL_MAX], qido[DW_URL_MAX], shown[DW_URL_MAX];
	char        token[SECRET_MAX_LEN + 1], user[SECRET_MAX_LEN + 1];
	char        password[SECRET_MAX_LEN + 1];
	bool        has_token, has_user;
	unsigned    batch, batch_mb;
	curl_common net;
} dw_conf;

typedef struct dw_response {
	char  *data;
	size_t len;
	bool   too_big;
} dw_response;

/* conf_free - wipe the secrets, then free; NULL: no-op */
static void
conf_free(dw_conf *c)
{
	if (c == NULL)
		return;
	secret_wipe(c->token, sizeof(c->token));
	secret_wipe(c->password, sizeof(c->password));
	free(c);
}

static void
trim_slashes(const char *s, char *buf, size_t len)
{
	size_t n;

	while (*s == '/')
		s++;
	n = strlen(s);
	while (n > 0 && s[n - 1] == '/')
		n--;
	snprintf(buf, len, "%.*s", (int) n, s);
}

/* base[/prefix]/studies[suffix] */
static void
build_url(const char *base, const char *prefix, const char *suffix, char *buf,
    size_t len)
{
	char   p[DW_URL_MAX];
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	trim_slashes(prefix ? prefix : "", p, sizeof(p));
	mc_errf(buf, len, "%.*s%s%s/studies%s", (int) n, base, p[0] ? "/" : "",
	    p, suffix);
}

static mc_err
resolve_secrets(const target_cfg *cfg, dw_conf *c, char *err, size_t errlen)
{
	bool   has_pw = false;
	mc_err rv;

	if ((rv = secret_get(cfg, "access_token", c->token, sizeof(c->token),
	         &c->has_token, err, errlen)) != MC_OK ||
	    (rv = secret_get(cfg, "http_user", c->user, sizeof(c->user),
	         &c->has_user, err, errlen)) != MC_OK ||
	    (rv = secret_get(cfg, "http_password", c->password,
	         sizeof(c->password), &has_pw, err, errlen)) != MC_OK)
		return rv;
	return MC_OK;
}

static mc_err
resolve_conf(const target_cfg *cfg, dw_conf *c, char *err, size_t errlen)
{
	const char *url = target_cfg_get(cfg, "url");
	mc_err      rv;

	memset(c, 0, sizeof(*c));
	if (url == NULL || url[0] == '\0') {
		mc_errf(err, errlen, "dicomweb target without 'url'");
		return MC_ECONFIG;
	}
	if (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0) {
		mc_errf(err, errlen,
		    "dicomweb url must be http:// or https:// (for a "
		    "folder use a folder target)");
		return MC_ECONFIG;
	}
	build_url(url, target_cfg_get(cfg, "stow_url_prefix"), "", c->stow,
	    sizeof(c->stow));
	build_url(url, target_cfg_get(cfg, "qido_url_prefix"), "?limit=1",
	    c->qido, sizeof(c->qido));
	target_url_for_log(c->stow, c->shown, sizeof(c->shown));
	c->net.protocols = "http,https";
	c->net.ca_cert = target_cfg_get(cfg, "ca_cert");
	if ((rv = target_cfg_get_uint(cfg, "stow_batch_size", 1, DW_BATCH_MAX,
	         DW_BATCH_DEFAULT, &c->batch, err, errlen)) != MC_OK ||
	    (rv = target_cfg_get_uint(cfg, "stow_batch_mb", 1, DW_BATCH_MB_MAX,
	         DW_BATCH_MB_DEFAULT, &c->batch_mb, err, errlen)) != MC_OK ||
	    (rv = curl_common_read_timeouts(cfg, &c->net, err, errlen)) !=
	        MC_OK)
		return MC_ECONFIG;
	return resolve_secrets(cfg, c, err, errlen);
}

/* libcurl's read callback over the multipart body */
static size_t
body_read(char *buf, size_t size, size_t nitems, void *userdata)
{
	multipart *m = userdata;
	size_t     n = multipart_read(m, buf, size * nitems);

	return m->read_error ? CURL_READFUNC_ABORT : n;
}

/* ---- HTTP --------------------------------------------------------------- */

static size_t
response_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	dw_response *r = userdata;
	size_t       n = size * nmemb;
	char        *nd;

	if (r->len + n > DW_RESPONSE_MAX) {
		r->too_big = true;
		return n; /* drop the rest, keep the transfer going */
	}
	if ((nd = realloc(r->data, r->len + n + 1)) == NULL)
		return 0;
	memcpy(nd + r->len, ptr, n);
	r->len += n;
	nd[r->len] = '\0';
	r->data = nd;
	return n;
}

/* the options every request shares; headers appended to *hdr (the
 * caller frees it) */
static void
easy_setup(CURL *h, const dw_conf *c, const char *url, struct curl_slist **hdr,
    dw_response *resp, char *errbuf)
{
	char auth[DW_HEADER_MAX];

	curl_common_setup(h, &c->net, url, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, response_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
	if (c->has_token) {
		snprintf(
		    auth, sizeof(auth), "Authorization: Bearer %s", c->token);
		*hdr = curl_slist_append(*hdr, auth);
		secret_wipe(auth, sizeof(auth));
	} else if (c->has_user) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, c->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, c->password);
	}
	*hdr = curl_slist_append(*hdr, "Accept: application/dicom+json");
}

static bool
reason_is_retryable(unsigned reason)
{
	return (reason & 0xFF00) == 0xA700 || reason == 0x0213 ||
	       reason == 0x0110;
}

/* ---- send ----------------------------------------------------------------
 */

typedef struct dw_run {
	const dw_conf      *c;
	const task_ctx     *ctx;
	const target_cfg   *cfg;
	const target_files *files;
	dcm_file_meta      *meta;
	bool               *usable;
	char                boundary[MULTIPART_BOUNDARY_MAX_LEN + 1];
	bool                any_retryable, fatal;
	char                first_err[TARGET_ERROR_MAX_LEN + 1];
} dw_run;

static void
note_failure(dw_run *r, bool retryable, const char *msg)
{
	r->any_retryable |= retryable;
	if (r->first_err[0] == '\0')
		mc_errf(r->first_err, sizeof(r->first_err), "%s", msg);
}

/* the response of a request that got an HTTP status */
static void
judge_response(dw_run *r, size_t n, long code, const dw_response *resp,
    target_result *res)
{
	stow_response sr;
	char          msg[TARGET_ERROR_MAX_LEN + 1], perr[128] = "";
	bool          parsed = resp->data != NULL && !resp->too_big &&
	              stow_response_parse(resp->data, resp->len, &sr, perr,
	                  sizeof(perr)) == MC_OK;

	if (code >= 200 && code < 300 && parsed && sr.n_failed == 0) {
		res->sent += n;
		return;
	}
	if (parsed && sr.n_failed > 0 && code < 500) {
		size_t failed = sr.n_failed > n ? n : sr.n_failed;
		bool   retry = false;
		for (size_t i = 0; i < sr.n_failed && i < STOW_FAILURES_MAX;
		     i++)
			retry |= reason_is_retryable(sr.failed[i].reason);
		res->failed += failed;
		res->sent += n - failed;
		mc_errf(msg, sizeof(msg),
		    "STOW %s (HTTP %ld): %zu of %zu instances refused; "
		    "first: %s FailureReason 0x%04X",
		    r->c->shown, code, sr.n_failed, n,
		    sr.failed[0].sop_instance_uid, sr.failed[0].reason);
		note_failure(r, retry, msg);
		return;
	}
	res->failed += n;
	if (code == 401 || code == 403)
		mc_errf(msg, sizeof(msg),
		    "STOW %s: HTTP %ld: the server refused our "
		    "credentials",
		    r->c->shown, code);
	else
		mc_errf(msg, sizeof(msg), "STOW %s: HTTP %ld%s%s", r->c->shown,
		    code, perr[0] ? ": " : "", perr);
	note_failure(r,
	    curl_common_http_is_retryable(code) || (code >= 200 && code < 300),
	    msg);
	if (code == 401 || code == 403 || code == 404)
		r->fatal = true; /* every batch would get the same */
}

/* POST files [lo, hi) (the usable ones) as one request */
static void
post_batch(
    dw_run *r, CURL *h, const char *const *paths, size_t n, target_result *res)
{
	multipart          b;
	dw_response        resp = {0};
	struct curl_slist *hdr = NULL;
	char               errbuf[CURL_ERROR_SIZE] = "", ct[160];
	char               msg[TARGET_ERROR_MAX_LEN + 1];
	long               code = 0;
	CURLcode           cc;

	if (multipart_init(&b, paths, n, r->boundary, msg, sizeof(msg)) !=
	    MC_OK) {
		res->failed += n;
		note_failure(r, true, msg);
		multipart_fini(&b);
		return;
	}
	easy_setup(h, r->c, r->c->stow, &hdr, &resp, errbuf);
	snprintf(ct, sizeof(ct),
	    "Content-Type: multipart/related; type=\"application/dicom\"; "
	    "boundary=%s",
	    r->boundary);
	hdr = curl_slist_append(hdr, ct);
	hdr = curl_slist_append(hdr, "Expect:");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, body_read);
	curl_easy_setopt(h, CURLOPT_READDATA, &b);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) b.total);
	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(hdr);
	if (cc != CURLE_OK) {
		res->failed += n;
		mc_errf(msg, sizeof(msg), "STOW %s: %s", r->c->shown,
		    b.read_error ? "cannot read an instance file"
		    : errbuf[0]  ? errbuf
		                 : curl_easy_strerror(cc));
		note_failure(r, true, msg);
		r->fatal = cc == CURLE_COULDNT_CONNECT ||
		           cc == CURLE_COULDNT_RESOLVE_HOST;
	} else {
		judge_response(r, n, code, &resp, res);
	}
	log_debug("event=dicomweb.batch task=%s target=%s instances=%zu "
	          "bytes=%lld http=%ld",
	    r->ctx->task_id, target_cfg_name(r->cfg), n, (long long) b.total,
	    code);
	free(resp.data);
	multipart_fini(&b);
}

/* read every meta header; a file that is not DICOM fails for good */
static void
plan(dw_run *r, target_result *res)
{
	char err[TARGET_ERROR_MAX_LEN + 1];

	for (size_t i = 0; i < r->files->n; i++) {
		mc_err rv = dcm_scu_probe(
		    r->files->paths[i], &r->meta[i], err, sizeof(err));
		r->usable[i] = rv == MC_OK;
		if (rv == MC_OK)
			continue;
		res->failed++;
		note_failure(r, rv != MC_EPARSE, err);
	}
}

static off_t
file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_size : 0;
}

/* batches of usable files by count and bytes, one request each */
static void
send_batches(dw_run *r, CURL *h, target_result *res)
{
	const char **batch = calloc(r->c->batch, sizeof(*batch));
	off_t        max = (off_t) r->c->batch_mb << 20, bytes = 0;
	size_t       n = 0;

	if (batch == NULL) {
		res->failed = r->files->n;
		note_failure(r, true, "out of memory");
		return;
	}
	for (size_t i = 0; i <= r->files->n; i++) {
		bool  last = i == r->files->n;
		off_t sz = last ? 0 : file_size(r->files->paths[i]);
		if (!last && !r->usable[i])
			continue;
		if (n > 0 && (last || n == r->c->batch || bytes + sz > max)) {
			if (r->fatal)
				res->failed += n;
			else
				post_batch(r, h, batch, n, res);
			n = 0;
			bytes = 0;
		}
		if (!last) {
			batch[n++] = r->files->paths[i];
			bytes += sz;
		}
	}
	free(batch);
}

static void
summarize(const dw_run *r, target_result *res)
{
	if (res->failed == 0)
		return;
	res->retryable = r->any_retryable;
	if (res->sent == 0)
		mc_errf(res->error, sizeof(res->error), "%s", r->first_err);
	else
		mc_errf(res->error, sizeof(res->error),
		    "%zu of %zu instances not stored; first: %s", res->failed,
		    r->files->n, r->first_err);
}

static mc_err
dicomweb_send(const target_cfg *cfg, const task_ctx *ctx,
    const target_files *files, target_result *res)
{
	dw_conf *c = calloc(1, sizeof(*c));
	dw_run   r = {.c = c, .ctx = ctx, .cfg = cfg, .files = files};
	char     err[TARGET_ERROR_MAX_LEN + 1];
	CURL    *h = NULL;
	mc_err   rv;

	if (c == NULL) {
		res->failed = files->n;
		target_result_fail(res, true, "out of memory");
		return MC_ENOMEM;
	}
	if ((rv = resolve_conf(cfg, c, err, sizeof(err))) != MC_OK ||
	    (rv = dcm_scu_init(err, sizeof(err))) != MC_OK) {
		res->failed = files->n;
		target_result_fail(res, rv == MC_EIO, "%s", err);
		goto done;
	}
	r.meta = calloc(files->n + 1, sizeof(*r.meta));
	r.usable = calloc(files->n + 1, sizeof(*r.usable));
	if (r.meta == NULL || r.usable == NULL ||
	    (h = curl_easy_init()) == NULL) {
		res->failed = files->n;
		target_result_fail(res, true, "out of memory");
		rv = MC_ENOMEM;
		goto done;
	}
	multipart_boundary(r.boundary, sizeof(r.boundary));
	plan(&r, res);
	send_batches(&r, h, res);
	summarize(&r, res);
	rv = res->failed == 0 ? MC_OK : MC_EPROTO;
done:
	curl_easy_cleanup(h);
	free(r.meta);
	free(r.usable);
	conf_free(c);
	return rv;
}

static mc_err
dicomweb_test(
    const target_cfg *cfg, const task_ctx *ctx, char *msg, size_t len)
{
	dw_conf           *c = calloc(1, sizeof(*c));
	dw_response        resp = {0};
	struct curl_slist *hdr = NULL;
	char               errbuf[CURL_ERROR_SIZE] = "", shown[DW_URL_MAX];
	CURL              *h = NULL;
	long               code = 0;
	mc_err             rv;

	(void) ctx;
	if (c == NULL || (h = curl_easy_init()) == NULL) {
		mc_errf(msg, len, "out of memory");
		rv = MC_ENOMEM;
		goto done;
	}
	if ((rv = resolve_conf(cfg, c, msg, len)) != MC_OK)
		goto done;
	target_url_for_log(c->qido, shown, sizeof(shown));
	easy_setup(h, c, c->qido, &hdr, &resp, errbuf);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	if (curl_easy_perform(h) != CURLE_OK) {
		mc_errf(msg, len, "GET %s: %s", shown, errbuf);
		rv = MC_ENET;
		goto done;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	rv = code >= 200 && code < 300 ? MC_OK : MC_EPROTO;
	mc_errf(msg, len, "GET %s: HTTP %ld%s", shown, code,
	    code == 401 || code == 403 ? " (credentials refused)" : "");
done:
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	free(resp.data);
	conf_free(c);
	return rv;
}

const target_ops target_ops_dicomweb = {
    .send = dicomweb_send,
    .test = dicomweb_test,
};
