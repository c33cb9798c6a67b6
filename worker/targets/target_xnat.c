/* target_xnat.c - the "xnat" target: a series zipped (zip_stored.c) and
 * posted to XNAT's image session import service, as mercure's xnat
 * dispatcher does through pyxnat: log in (POST <host>/data/JSESSION with
 * basic auth, which sets the JSESSIONID cookie), POST
 * <host>/data/services/import?PROJECT_ID=..&SUBJECT_ID=..&EXPT_LABEL=..
 * &rename=true&overwrite=delete&inbody=true with the zip as an
 * application/zip body and the session cookie, log out (DELETE
 * <host>/data/JSESSION). The connectivity test is the login and logout.
 *
 * Design notes: as mercure, only the *.dcm files are sent, renamed 0.dcm,
 * 1.dcm... (in name order); SUBJECT_ID is the first file's PatientID and
 * EXPT_LABEL is <PatientID>_<StudyDate as YYYY-MM-DD>; a file without
 * them cannot be imported and fails for good. The zip is streamed from
 * the files, never written to disk. The password goes to libcurl only for
 * the login; the import carries the session cookie, which stays inside
 * libcurl's cookie store. A refused login (401/403) and other 4xx are
 * not retryable; network errors, timeouts, 408, 429 and 5xx are.
 *
 * Fields (mercure's): host (http or https URL of XNAT), project_id, user,
 * password (also password_env / password_file). Ours: timeout (s per
 * request, 300), connect_timeout (10), ca_cert (PEM bundle for https). */
#include "targets/target.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "dcm/dcm_scu.h"
#include "targets/curl_common.h"
#include "targets/secret.h"
#include "targets/zip_stored.h"

#define XN_URL_MAX 2048
#define XN_RESPONSE_MAX 4096 /* of a body, kept for messages */
#define XN_SNIPPET_MAX 160   /* of a body, in an error text */
#define XN_NAME_MAX 32

typedef struct xn_conf {
	char        base[XN_URL_MAX], shown[XN_URL_MAX];
	const char *project, *user;
	char        password[SECRET_MAX_LEN + 1];
	curl_common net;
	CURLSH     *share; /* holds the session cookie between requests */
} xn_conf;

typedef struct xn_response {
	char   data[XN_RESPONSE_MAX + 1];
	size_t len;
} xn_response;

/* conf_free - wipe the password, then free; NULL: no-op */
static void
conf_free(xn_conf *c)
{
	if (c == NULL)
		return;
	secret_wipe(c->password, sizeof(c->password));
	if (c->share != NULL)
		curl_share_cleanup(c->share);
	free(c);
}

static mc_err
resolve_conf(const target_cfg *cfg, xn_conf *c, char *err, size_t errlen)
{
	const char *host = target_cfg_get(cfg, "host");
	bool        found = false;
	size_t      n;
	mc_err      rv;

	memset(c, 0, sizeof(*c));
	if ((c->share = curl_share_init()) == NULL) {
		mc_errf(err, errlen, "out of memory");
		return MC_ENOMEM;
	}
	curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE);
	if (host == NULL || host[0] == '\0') {
		mc_errf(err, errlen, "xnat target without 'host'");
		return MC_ECONFIG;
	}
	if (strncmp(host, "http://", 7) != 0 &&
	    strncmp(host, "https://", 8) != 0) {
		mc_errf(err, errlen,
		    "xnat host must be an http:// or https:// URL");
		return MC_ECONFIG;
	}
	n = strlen(host);
	while (n > 0 && host[n - 1] == '/')
		n--;
	if (n >= sizeof(c->base) - 64) {
		mc_errf(err, errlen, "xnat host is too long");
		return MC_ECONFIG;
	}
	snprintf(c->base, sizeof(c->base), "%.*s", (int) n, host);
	target_url_for_log(c->base, c->shown, sizeof(c->shown));
	c->project = target_cfg_get(cfg, "project_id");
	c->user = target_cfg_get(cfg, "user");
	if (c->user == NULL || c->user[0] == '\0') {
		mc_errf(err, errlen, "xnat target without 'user'");
		return MC_ECONFIG;
	}
	c->net.protocols = "http,https";
	c->net.ca_cert = target_cfg_get(cfg, "ca_cert");
	if (curl_common_read_timeouts(cfg, &c->net, err, errlen) != MC_OK)
		return MC_ECONFIG;
	if ((rv = secret_get(cfg, "password", c->password, sizeof(c->password),
	         &found, err, errlen)) != MC_OK)
		return rv;
	if (!found) {
		mc_errf(err, errlen, "xnat target without 'password'");
		return MC_ECONFIG;
	}
	return MC_OK;
}

/* ---- HTTP ------------------------------------------------------------ */

static size_t
response_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	xn_response *r = userdata;
	size_t       n = size * nmemb, room = XN_RESPONSE_MAX - r->len;

	memcpy(r->data + r->len, ptr, n < room ? n : room);
	r->len += n < room ? n : room;
	r->data[r->len] = '\0';
	return n; /* the rest is dropped, the transfer goes on */
}

/* the first line of a body, printable ASCII only, for an error text */
static void
snippet(const xn_response *r, char *buf, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < r->len && o + 1 < len && o < XN_SNIPPET_MAX;
	     i++) {
		char ch = r->data[i];
		if (ch == '\n' || ch == '\r') {
			if (o > 0)
				break;
			continue;
		}
		buf[o++] = ch >= 0x20 && ch < 0x7F && ch != '"' ? ch : '?';
	}
	buf[o] = '\0';
}

/* perform - one request; then the cookie file list is emptied, since
 * libcurl (7.88) keeps it past the transfer and curl_easy_reset drops it
 * without freeing it. The cookies stay in the share. */
static CURLcode
perform(CURL *h)
{
	CURLcode cc = curl_easy_perform(h);

	curl_easy_setopt(h, CURLOPT_COOKIEFILE, NULL);
	return cc;
}

/* the options of every request: the common ones, the session cookie
 * (kept in the share, so that it outlives curl_easy_reset; the empty
 * cookie file turns the cookie engine on) and the bounded response
 * body */
static void
easy_setup(CURL *h, const xn_conf *c, const char *url, xn_response *resp,
    char *errbuf)
{
	curl_common_setup(h, &c->net, url, errbuf);
	curl_easy_setopt(h, CURLOPT_SHARE, c->share);
	curl_easy_setopt(h, CURLOPT_COOKIEFILE, "");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, response_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
	resp->len = 0;
	resp->data[0] = '\0';
}

/* POST <host>/data/JSESSION with basic auth; the session id in the body
 * is wiped, libcurl keeps the cookie */
static CURLcode
login(CURL *h, const xn_conf *c, xn_response *resp, char *errbuf, long *code)
{
	char     url[XN_URL_MAX + 32];
	CURLcode cc;

	snprintf(url, sizeof(url), "%s/data/JSESSION", c->base);
	easy_setup(h, c, url, resp, errbuf);
	curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
	curl_easy_setopt(h, CURLOPT_USERNAME, c->user);
	curl_easy_setopt(h, CURLOPT_PASSWORD, c->password);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
	cc = perform(h);
	*code = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, code);
	if (*code >= 200 && *code < 300)
		secret_wipe(resp->data, sizeof(resp->data));
	return cc;
}

/* DELETE <host>/data/JSESSION: ends the session; its outcome changes
 * nothing (XNAT expires sessions by itself) */
static void
logout(CURL *h, const xn_conf *c)
{
	char        url[XN_URL_MAX + 32], errbuf[CURL_ERROR_SIZE] = "";
	xn_response resp;

	snprintf(url, sizeof(url), "%s/data/JSESSION", c->base);
	easy_setup(h, c, url, &resp, errbuf);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
	(void) curl_easy_perform(h);
	curl_easy_setopt(h, CURLOPT_COOKIELIST, "ALL");
	curl_easy_setopt(h, CURLOPT_COOKIEFILE, NULL); /* as perform() */
}

static bool
http_ok(long code)
{
	return code >= 200 && code < 300;
}

/* redirects are not followed (a POST redirected with 301/302 arrives as a
 * GET): say what to change instead */
static const char *
redirect_hint(long code)
{
	return code >= 300 && code < 400
	           ? " (a redirect: write the URL XNAT redirects to, e.g. "
	             "its https:// one, as host)"
	           : "";
}

/* ---- send ------------------------------------------------------------ */

typedef struct xn_run {
	const xn_conf *c;
	const char    *task_id, *target;
	const char   **paths; /* the .dcm files */
	char (*name_buf)[XN_NAME_MAX];
	const char **names; /* into name_buf: 0.dcm, 1.dcm... */
	size_t       n;
	char         subject[DCM_IDS_VALUE_MAX_LEN + 1];
	char         label[DCM_IDS_VALUE_MAX_LEN + 16];
	zip_stored  *zip;
} xn_run;

static bool
ends_with_dcm(const char *path)
{
	size_t n = strlen(path);
	return n >= 4 && strcmp(path + n - 4, ".dcm") == 0;
}

/* the .dcm files of files, named 0.dcm, 1.dcm... in the zip */
static mc_err
pick_files(xn_run *r, const target_files *files)
{
	r->paths = calloc(files->n + 1, sizeof(*r->paths));
	r->name_buf = calloc(files->n + 1, sizeof(*r->name_buf));
	r->names = calloc(files->n + 1, sizeof(*r->names));
	if (r->paths == NULL || r->name_buf == NULL || r->names == NULL)
		return MC_ENOMEM;
	for (size_t i = 0; i < files->n; i++) {
		if (!ends_with_dcm(files->paths[i]))
			continue;
		snprintf(r->name_buf[r->n], XN_NAME_MAX, "%zu.dcm", r->n);
		r->names[r->n] = r->name_buf[r->n];
		r->paths[r->n++] = files->paths[i];
	}
	return MC_OK;
}

/* SUBJECT_ID and EXPT_LABEL from the first file (mercure's choice) */
static mc_err
derive_ids(xn_run *r, char *err, size_t errlen)
{
	dcm_file_ids ids;
	const char  *d;
	mc_err       rv;

	if ((rv = dcm_scu_init(err, errlen)) != MC_OK ||
	    (rv = dcm_scu_read_ids(r->paths[0], &ids, err, errlen)) != MC_OK)
		return rv;
	d = ids.study_date;
	if (ids.patient_id[0] == '\0') {
		mc_errf(err, errlen,
		    "%s: no PatientID (XNAT's SUBJECT_ID comes from it)",
		    r->paths[0]);
		return MC_EPARSE;
	}
	if (strlen(d) != 8 || strspn(d, "0123456789") != 8 ||
	    (d[4] - '0') * 10 + (d[5] - '0') < 1 ||
	    (d[4] - '0') * 10 + (d[5] - '0') > 12 ||
	    (d[6] - '0') * 10 + (d[7] - '0') < 1 ||
	    (d[6] - '0') * 10 + (d[7] - '0') > 31) {
		mc_errf(err, errlen,
		    "%s: StudyDate is not a date YYYYMMDD (XNAT's "
		    "EXPT_LABEL comes from it)",
		    r->paths[0]);
		return MC_EPARSE;
	}
	snprintf(r->subject, sizeof(r->subject), "%s", ids.patient_id);
	snprintf(r->label, sizeof(r->label), "%s_%.4s-%.2s-%.2s",
	    ids.patient_id, d, d + 4, d + 6);
	return MC_OK;
}

/* <host>/data/services/import?... with the values escaped */
static mc_err
import_url(CURL *h, const xn_run *r, char *buf, size_t len)
{
	char  *p = curl_easy_escape(h, r->c->project, 0);
	char  *s = curl_easy_escape(h, r->subject, 0);
	char  *l = curl_easy_escape(h, r->label, 0);
	mc_err rv = MC_ENOMEM;

	if (p != NULL && s != NULL && l != NULL &&
	    (size_t) snprintf(buf, len,
	        "%s/data/services/import?PROJECT_ID=%s&SUBJECT_ID=%s"
	        "&EXPT_LABEL=%s&rename=true&overwrite=delete&inbody=true",
	        r->c->base, p, s, l) < len)
		rv = MC_OK;
	curl_free(p);
	curl_free(s);
	curl_free(l);
	return rv;
}

static size_t
body_read(char *buf, size_t size, size_t nitems, void *userdata)
{
	zip_stored *z = userdata;
	size_t      n = zip_stored_read(z, buf, size * nitems);

	return zip_stored_failed(z) ? CURL_READFUNC_ABORT : n;
}

/* the login's outcome into res; true when logged in */
static bool
judge_login(const xn_run *r, CURLcode cc, long code, const char *errbuf,
    target_result *res)
{
	if (cc != CURLE_OK) {
		target_result_fail(res, true, "XNAT login at %s: %s",
		    r->c->shown, errbuf[0] ? errbuf : curl_easy_strerror(cc));
		return false;
	}
	if (http_ok(code))
		return true;
	if (code == 401 || code == 403)
		target_result_fail(res, false,
		    "XNAT login at %s: HTTP %ld: the server refused the "
		    "credentials of user '%s'",
		    r->c->shown, code, r->c->user);
	else
		target_result_fail(res, curl_common_http_is_retryable(code),
		    "XNAT login at %s: HTTP %ld%s", r->c->shown, code,
		    redirect_hint(code));
	return false;
}

static void
post_zip(const xn_run *r, CURL *h, target_result *res, long *code)
{
	xn_response       *resp = calloc(1, sizeof(*resp));
	struct curl_slist *hdr = NULL;
	char               url[XN_URL_MAX * 2], errbuf[CURL_ERROR_SIZE] = "";
	char               body[XN_SNIPPET_MAX + 1];
	CURLcode           cc;

	if (resp == NULL || import_url(h, r, url, sizeof(url)) != MC_OK) {
		target_result_fail(res, true, "out of memory");
		free(resp);
		return;
	}
	easy_setup(h, r->c, url, resp, errbuf);
	hdr = curl_slist_append(hdr, "Content-Type: application/zip");
	hdr = curl_slist_append(hdr, "Expect:");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, body_read);
	curl_easy_setopt(h, CURLOPT_READDATA, r->zip);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t) zip_stored_size(r->zip));
	cc = perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, code);
	curl_slist_free_all(hdr);
	snippet(resp, body, sizeof(body));
	if (cc != CURLE_OK)
		target_result_fail(res, true, "XNAT import at %s: %s",
		    r->c->shown,
		    zip_stored_failed(r->zip) ? "a file changed or vanished "
		                                "while it was sent"
		    : errbuf[0]               ? errbuf
		                              : curl_easy_strerror(cc));
	else if (*code == 401 || *code == 403)
		target_result_fail(res, false,
		    "XNAT import into project '%s' at %s: HTTP %ld: refused "
		    "for user '%s'%s%s",
		    r->c->project, r->c->shown, *code, r->c->user,
		    body[0] ? ": " : "", body);
	else if (!http_ok(*code))
		target_result_fail(res, curl_common_http_is_retryable(*code),
		    "XNAT import into project '%s' at %s: HTTP %ld%s%s",
		    r->c->project, r->c->shown, *code, body[0] ? ": " : "",
		    body);
	free(resp);
}

/* log in, post the zip, log out */
static void
upload(const xn_run *r, CURL *h, target_result *res)
{
	xn_response *resp = calloc(1, sizeof(*resp));
	char         errbuf[CURL_ERROR_SIZE] = "";
	long         login_code = 0, code = 0;
	CURLcode     cc;

	if (resp == NULL) {
		target_result_fail(res, true, "out of memory");
		return;
	}
	cc = login(h, r->c, resp, errbuf, &login_code);
	log_debug("event=xnat.login task=%s target=%s url=%s http=%ld",
	    r->task_id, r->target, r->c->shown, login_code);
	if (judge_login(r, cc, login_code, errbuf, res)) {
		post_zip(r, h, res, &code);
		log_debug("event=xnat.import task=%s target=%s project=%s "
		          "files=%zu bytes=%lld http=%ld",
		    r->task_id, r->target, r->c->project, r->n,
		    (long long) zip_stored_size(r->zip), code);
		logout(h, r->c);
	}
	free(resp);
}

/* what comes before the upload: the files, their ids, the zip */
static mc_err
prepare(xn_run *r, const target_files *files, target_result *res)
{
	char   err[TARGET_ERROR_MAX_LEN + 1];
	mc_err rv;

	if ((rv = pick_files(r, files)) != MC_OK) {
		target_result_fail(res, true, "out of memory");
		return rv;
	}
	if (r->n == 0) {
		target_result_fail(res, false,
		    "none of the %zu files ends in .dcm (XNAT is sent the "
		    ".dcm files)",
		    files->n);
		return MC_EINVAL;
	}
	if ((rv = derive_ids(r, err, sizeof(err))) != MC_OK) {
		target_result_fail(res, rv != MC_EPARSE, "%s", err);
		return rv;
	}
	rv = zip_stored_create(
	    r->paths, r->names, r->n, &r->zip, err, sizeof(err));
	if (rv != MC_OK)
		target_result_fail(res, rv != MC_EINVAL, "zip: %s", err);
	return rv;
}

static mc_err
xnat_send(const target_cfg *cfg, const task_ctx *ctx,
    const target_files *files, target_result *res)
{
	xn_conf *c = calloc(1, sizeof(*c));
	xn_run   r = {
	      .c = c, .task_id = ctx->task_id, .target = target_cfg_name(cfg)};
	char   err[TARGET_ERROR_MAX_LEN + 1];
	CURL  *h = NULL;
	mc_err rv;

	if (files->n == 0) {
		free(c);
		return MC_OK;
	}
	if (c == NULL) {
		res->failed = files->n;
		target_result_fail(res, true, "out of memory");
		return MC_ENOMEM;
	}
	if ((rv = resolve_conf(cfg, c, err, sizeof(err))) != MC_OK) {
		target_result_fail(res, rv == MC_EIO, "%s", err);
	} else if (c->project == NULL || c->project[0] == '\0') {
		target_result_fail(
		    res, false, "xnat target without 'project_id'");
		rv = MC_ECONFIG;
	} else if ((rv = prepare(&r, files, res)) != MC_OK) {
		/* res says why */
	} else if ((h = curl_easy_init()) == NULL) {
		target_result_fail(res, true, "out of memory");
		rv = MC_ENOMEM;
	} else {
		upload(&r, h, res);
		rv = res->error[0] == '\0' ? MC_OK : MC_EPROTO;
	}
	if (rv == MC_OK)
		res->sent = r.n;
	else
		res->failed = r.n > 0 ? r.n : files->n;
	curl_easy_cleanup(h);
	zip_stored_destroy(r.zip);
	free(r.paths);
	free(r.names);
	free(r.name_buf);
	conf_free(c);
	return rv;
}

static mc_err
xnat_test(const target_cfg *cfg, const task_ctx *ctx, char *msg, size_t len)
{
	xn_conf     *c = calloc(1, sizeof(*c));
	xn_response *resp = calloc(1, sizeof(*resp));
	char         errbuf[CURL_ERROR_SIZE] = "";
	CURL        *h = NULL;
	long         code = 0;
	mc_err       rv;

	(void) ctx;
	if (c == NULL || resp == NULL || (h = curl_easy_init()) == NULL) {
		mc_errf(msg, len, "out of memory");
		rv = MC_ENOMEM;
		goto done;
	}
	if ((rv = resolve_conf(cfg, c, msg, len)) != MC_OK)
		goto done;
	if (login(h, c, resp, errbuf, &code) != CURLE_OK) {
		mc_errf(
		    msg, len, "POST %s/data/JSESSION: %s", c->shown, errbuf);
		rv = MC_ENET;
		goto done;
	}
	rv = http_ok(code) ? MC_OK : MC_EPROTO;
	mc_errf(msg, len, "POST %s/data/JSESSION as '%s': HTTP %ld%s",
	    c->shown, c->user, code,
	    code == 401 || code == 403 ? " (credentials refused)"
	                               : redirect_hint(code));
	if (rv == MC_OK)
		logout(h, c);
done:
	curl_easy_cleanup(h);
	free(resp);
	conf_free(c);
	return rv;
}

const target_ops target_ops_xnat = {
    .send = xnat_send,
    .test = xnat_test,
};
