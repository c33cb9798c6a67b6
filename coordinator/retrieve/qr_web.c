/* qr_web.c - QIDO-RS and WADO-RS for a dicomweb source (qr_web.h). The
 * QIDO answer (DICOM JSON) is read into memory up to QR_WEB_JSON_MAX and
 * parsed with jansson; the WADO answer is never held: each part streams
 * into its file (qr_multipart.c). Only http and https, no redirects (a
 * source must not send our credentials elsewhere), a connect timeout, a
 * whole-call deadline and a minimum transfer rate. */
#include "retrieve/qr_web.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/statvfs.h>

#include "os/sys_fs.h"
#include "retrieve/qr_multipart.h"
#include "tags/uid.h"

#define QR_WEB_JSON_MAX (16u * 1024 * 1024)
#define QR_WEB_URL_MAX 2048
#define QR_WEB_CONNECT_S 10
#define QR_WEB_DEADLINE_S 3600
#define QR_WEB_STALL_S 60 /* under 1 byte/s for this long: stalled */
#define QR_WEB_MAX_MATCHES 1000
#define QR_WEB_MAX_FILES 100000
#define QR_WEB_MAX_BYTES (64ull << 30)
#define QR_WEB_MIN_FREE (1ull << 30)

static size_t
or_default(size_t v, size_t d)
{
	return v ? v : d;
}

/* base[/prefix]/path, without doubled slashes */
static mc_err
build_url(const config_dicom_node *n, const char *prefix, const char *path,
    char *buf, size_t len)
{
	size_t bl = strlen(n->url);

	while (bl > 0 && n->url[bl - 1] == '/')
		bl--;
	while (prefix != NULL && *prefix == '/')
		prefix++;
	if (prefix != NULL && *prefix != '\0')
		return sys_path_fmt(
		    buf, len, "%.*s/%s/%s", (int) bl, n->url, prefix, path);
	return sys_path_fmt(buf, len, "%.*s/%s", (int) bl, n->url, path);
}

static CURL *
handle(const config_dicom_node *n, const dcm_qr_opts *o,
    struct curl_slist **hdrs, const char *accept, char *errbuf)
{
	CURL *h = curl_easy_init();
	char  line[128];

	if (h == NULL)
		return NULL;
	snprintf(line, sizeof(line), "Accept: %s", accept);
	*hdrs = curl_slist_append(NULL, line);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
	    (long) or_default(o->connect_timeout_s, QR_WEB_CONNECT_S));
	curl_easy_setopt(h, CURLOPT_TIMEOUT,
	    (long) or_default(o->deadline_s, QR_WEB_DEADLINE_S));
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME,
	    (long) or_default(o->dimse_timeout_s, QR_WEB_STALL_S));
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	if (n->access_token != NULL && n->access_token[0] != '\0') {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
		curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, n->access_token);
	} else if (n->http_user != NULL && n->http_user[0] != '\0') {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, n->http_user);
		curl_easy_setopt(h, CURLOPT_PASSWORD,
		    n->http_password ? n->http_password : "");
	}
	return h;
}

/* outcome - curl's result and the HTTP status as an mc_err */
static mc_err
outcome(CURL *h, CURLcode cc, const char *what, const char *errbuf,
    bool stopped, char *err, size_t errlen)
{
	long code = 0;

	if (stopped)
		return MC_EPROTO; /* err filled where it stopped */
	if (cc != CURLE_OK) {
		mc_errf(err, errlen, "%s: %s", what,
		    errbuf[0] ? errbuf : curl_easy_strerror(cc));
		return cc == CURLE_OPERATION_TIMEDOUT ? MC_ETIMEDOUT : MC_ENET;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (code == 200 || code == 204)
		return MC_OK;
	mc_errf(err, errlen, "%s: HTTP %ld%s", what, code,
	    code == 401 || code == 403 ? " (credentials refused)" : "");
	return code == 401 || code == 403 ? MC_EREFUSED : MC_EDICOM;
}

/* ---- QIDO-RS ---- */

typedef struct body {
	char  *p;
	size_t n;
	bool   over;
} body;

static size_t
on_json(char *p, size_t sz, size_t nm, void *ctx)
{
	body  *b = ctx;
	size_t k = sz * nm;
	char  *q;

	if (b->n + k > QR_WEB_JSON_MAX ||
	    (q = realloc(b->p, b->n + k + 1)) == NULL) {
		b->over = true;
		return 0;
	}
	memcpy(q + b->n, p, k);
	b->p = q;
	b->n += k;
	b->p[b->n] = '\0';
	return k;
}

/* the first value of tag (8 hex digits) in a DICOM JSON object, shown
 * as printable ASCII; several values joined by '\' */
static void
value(const json_t *obj, const char *tag, char *dst, size_t cap)
{
	json_t *v = json_object_get(json_object_get(obj, tag), "Value");
	size_t  n = 0, i;
	json_t *e;
	char    num[32];

	dst[0] = '\0';
	json_array_foreach(v, i, e)
	{
		const char *s =
		    json_is_string(e) ? json_string_value(e) : NULL;
		if (json_is_integer(e)) {
			snprintf(num, sizeof(num), "%lld",
			    (long long) json_integer_value(e));
			s = num;
		}
		for (; s != NULL && *s && n + 1 < cap; s++)
			dst[n++] = *s >= 0x20 && *s < 0x7f ? *s : '?';
		if (n + 1 < cap && i + 1 < json_array_size(v))
			dst[n++] = '\\';
	}
	dst[n] = '\0';
}

static void
extract(const json_t *o, dcm_qr_level level, dcm_qr_match *m)
{
	bool study = level == DCM_QR_STUDY;

	memset(m, 0, sizeof(*m));
	value(o, "0020000D", m->study_uid, sizeof(m->study_uid));
	value(o, "0020000E", m->series_uid, sizeof(m->series_uid));
	value(o, "00100020", m->patient_id, sizeof(m->patient_id));
	value(o, "00080050", m->accession, sizeof(m->accession));
	value(o, "00080020", m->study_date, sizeof(m->study_date));
	value(o, study ? "00080061" : "00080060", m->modality,
	    sizeof(m->modality));
	value(o, study ? "00081030" : "0008103E", m->description,
	    sizeof(m->description));
	value(o, study ? "00201208" : "00201209", m->n_instances,
	    sizeof(m->n_instances));
}

static mc_err
query_url(CURL *h, const config_dicom_node *n, dcm_qr_level level,
    const dcm_qr_key *keys, size_t nk, char *url, size_t len)
{
	static const char *const fields =
	    "includefield=00100020&includefield=00080050&includefield="
	    "00080020&includefield=00080061&includefield=00081030&"
	    "includefield=00201208&includefield=00080060&includefield="
	    "0008103E&includefield=00201209";
	bool   study = level == DCM_QR_STUDY;
	size_t used;

	if (build_url(n, n->qido_url_prefix, study ? "studies" : "series", url,
	        len) != MC_OK)
		return MC_EINVAL;
	used = strlen(url);
	used += (size_t) snprintf(url + used, len - used, "?%s", fields);
	for (size_t i = 0; i < nk && used < len; i++) {
		const char *k = keys[i].keyword;
		char       *v = curl_easy_escape(h, keys[i].value, 0);
		if (study && strcmp(k, "Modality") == 0)
			k = "ModalitiesInStudy";
		if (v == NULL)
			return MC_ENOMEM;
		used +=
		    (size_t) snprintf(url + used, len - used, "&%s=%s", k, v);
		curl_free(v);
	}
	return used < len ? MC_OK : MC_EINVAL;
}

static mc_err
parse_matches(const body *b, dcm_qr_level level, size_t max,
    dcm_qr_match **out, size_t *n_out, char *err, size_t errlen)
{
	json_t      *arr;
	json_error_t je;
	size_t       n;

	if (b->n == 0)
		return MC_OK; /* 204: none */
	if ((arr = json_loadb(b->p, b->n, 0, &je)) == NULL ||
	    !json_is_array(arr)) {
		json_decref(arr);
		mc_errf(err, errlen, "QIDO-RS: not a JSON array");
		return MC_EPROTO;
	}
	if ((n = json_array_size(arr)) > max) {
		json_decref(arr);
		mc_errf(err, errlen,
		    "QIDO-RS: more than %zu matches; narrow the query", max);
		return MC_EPROTO;
	}
	if (n > 0 && (*out = calloc(n, sizeof(**out))) == NULL) {
		json_decref(arr);
		return MC_ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		extract(json_array_get(arr, i), level, &(*out)[i]);
	*n_out = n;
	json_decref(arr);
	return MC_OK;
}

mc_err
qr_web_find(const config_dicom_node *n, const dcm_qr_opts *o,
    dcm_qr_level level, const dcm_qr_key *keys, size_t nk, dcm_qr_match **out,
    size_t *n_out, char *err, size_t errlen)
{
	struct curl_slist *hdrs = NULL;
	char               url[QR_WEB_URL_MAX], errbuf[CURL_ERROR_SIZE] = "";
	body               b = {0};
	CURL  *h = handle(n, o, &hdrs, "application/dicom+json", errbuf);
	mc_err rv;

	*out = NULL;
	*n_out = 0;
	if (h == NULL)
		return MC_ENOMEM;
	rv = query_url(h, n, level, keys, nk, url, sizeof(url));
	if (rv == MC_OK) {
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_json);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
		CURLcode cc = curl_easy_perform(h);
		if (b.over)
			mc_errf(err, errlen, "QIDO-RS: answer over %u bytes",
			    QR_WEB_JSON_MAX);
		rv = outcome(h, cc, "QIDO-RS", errbuf, b.over, err, errlen);
	}
	if (rv == MC_OK)
		rv = parse_matches(&b, level,
		    or_default(o->max_matches, QR_WEB_MAX_MATCHES), out, n_out,
		    err, errlen);
	free(b.p);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	return rv;
}

/* ---- WADO-RS ---- */

typedef struct wado {
	const dcm_qr_opts *o;
	const char        *dir;
	const char        *prefix; /* the study's or series' UID */
	char               ctype[256];
	qr_multipart      *mp;
	uint64_t           bytes;
	size_t             parts_begun;
	mc_err             stop;
	char              *err;
	size_t             errlen;
} wado;

static size_t
on_header(char *p, size_t sz, size_t nm, void *ctx)
{
	wado  *w = ctx;
	size_t k = sz * nm, n;

	if (k > 13 && strncasecmp(p, "Content-Type:", 13) == 0) {
		p += 13;
		k -= 13;
		while (k > 0 && (*p == ' ' || *p == '\t'))
			p++, k--;
		n = k < sizeof(w->ctype) - 1 ? k : sizeof(w->ctype) - 1;
		memcpy(w->ctype, p, n);
		while (n > 0 &&
		       (w->ctype[n - 1] == '\r' || w->ctype[n - 1] == '\n'))
			n--;
		w->ctype[n] = '\0';
	}
	return sz * nm;
}

/* before each part: the bounds on files and free disk */
static mc_err
on_part(void *ctx, char *err, size_t errlen)
{
	wado          *w = ctx;
	struct statvfs fs;
	uint64_t       min_free =
            w->o->min_free_bytes ? w->o->min_free_bytes : QR_WEB_MIN_FREE;

	if (w->parts_begun >= or_default(w->o->max_files, QR_WEB_MAX_FILES)) {
		mc_errf(err, errlen, "WADO-RS stopped: more than %zu files",
		    w->parts_begun);
		return MC_EPROTO;
	}
	if (statvfs(w->dir, &fs) != 0 ||
	    (uint64_t) fs.f_bavail * fs.f_frsize < min_free) {
		mc_errf(err, errlen,
		    "WADO-RS stopped: less than %llu bytes free",
		    (unsigned long long) min_free);
		return MC_ENOSPC;
	}
	w->parts_begun++;
	return MC_OK;
}

static size_t
on_data(char *p, size_t sz, size_t nm, void *ctx)
{
	wado    *w = ctx;
	size_t   k = sz * nm;
	uint64_t max = w->o->max_bytes ? w->o->max_bytes : QR_WEB_MAX_BYTES;

	if (w->mp == NULL &&
	    (w->stop = qr_multipart_create(w->ctype, w->dir, w->prefix,
	         on_part, w, &w->mp, w->err, w->errlen)) != MC_OK)
		return 0;
	if ((w->bytes += k) > max) {
		mc_errf(w->err, w->errlen,
		    "WADO-RS stopped: more than %llu bytes",
		    (unsigned long long) max);
		w->stop = MC_EPROTO;
		return 0;
	}
	if ((w->stop = qr_multipart_feed(w->mp, p, k, w->err, w->errlen)) !=
	    MC_OK)
		return 0;
	return k;
}

mc_err
qr_web_get(const config_dicom_node *n, const dcm_qr_opts *o,
    const char *study_uid, const char *series_uid, const char *dir,
    dcm_qr_result *res, char *err, size_t errlen)
{
	struct curl_slist *hdrs = NULL;
	char  url[QR_WEB_URL_MAX], path[256], errbuf[CURL_ERROR_SIZE] = "";
	wado  w = {o, dir, series_uid ? series_uid : study_uid, "", NULL, 0, 0,
	     MC_OK, err, errlen};
	CURL *h = handle(n, o, &hdrs,
	    "multipart/related; type=\"application/dicom\"", errbuf);
	mc_err rv;
	size_t parts = 0;

	memset(res, 0, sizeof(*res));
	if (h == NULL)
		return MC_ENOMEM;
	if (!uid_is_valid(study_uid) ||
	    (series_uid != NULL && !uid_is_valid(series_uid))) {
		mc_errf(err, errlen, "invalid study or series UID");
		curl_slist_free_all(hdrs);
		curl_easy_cleanup(h);
		return MC_EINVAL;
	}
	if (series_uid != NULL)
		snprintf(path, sizeof(path), "studies/%s/series/%s", study_uid,
		    series_uid);
	else
		snprintf(path, sizeof(path), "studies/%s", study_uid);
	rv = build_url(n, n->wado_url_prefix, path, url, sizeof(url));
	if (rv == MC_OK) {
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(h, CURLOPT_HEADERDATA, &w);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &w);
		CURLcode cc = curl_easy_perform(h);
		rv = w.stop != MC_OK ? w.stop
		                     : outcome(h, cc, "WADO-RS", errbuf, false,
		                           err, errlen);
	}
	if (w.mp != NULL) {
		mc_err frv = qr_multipart_finish(w.mp, &parts, err, errlen);
		if (rv == MC_OK)
			rv = frv;
	}
	qr_multipart_destroy(w.mp);
	res->files = parts;
	res->completed = (unsigned) parts;
	res->bytes = w.bytes;
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	return rv;
}
