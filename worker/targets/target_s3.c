/* target_s3.c - the "s3" target: each file PUT to
 * <prefix>/<task-id>/<file> in the bucket, as mercure's boto3
 * upload_file does, signed with AWS Signature V4 by libcurl
 * (CURLOPT_AWS_SIGV4 "aws:amz:<region>:s3"); this file and
 * curl_common.c are its only use of libcurl. The connectivity test is a
 * HEAD of the bucket.
 *
 * Design notes: the payload is not hashed ("x-amz-content-sha256:
 * UNSIGNED-PAYLOAD", which S3 accepts and the AWS SDKs send over TLS), so
 * a file is read once, while it is sent. Without endpoint_url the URL is
 * AWS's virtual-hosted https://<bucket>.s3.<region>.amazonaws.com/<key>;
 * with it (MinIO, Ceph, a test server) it is path-style
 * <endpoint_url>/<bucket>/<key>. Key segments are percent-encoded once,
 * which is also what the signature's canonical URI wants for S3. 403
 * (wrong keys or signature) and 404 (no such bucket) are not retryable;
 * network errors, 429 and 5xx are.
 *
 * Fields (mercure's): bucket, region (us-east-1), prefix,
 * access_key_id, secret_access_key (each also as <field>_env /
 * <field>_file). Ours: endpoint_url, timeout (s per file, 300),
 * connect_timeout (10), ca_cert, file_filter. */
#include "targets/target.h"
#include "targets/url_path.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/log.h"
#include "targets/curl_common.h"
#include "targets/secret.h"
#include "os/sys_fs.h"
#include "os/sys_files.h"

#define S3_URL_MAX 4096
#define S3_REGION_DEFAULT "us-east-1"
#define S3_BODY_MAX 4096

typedef struct s3_conf {
	const char *bucket, *region, *prefix, *endpoint, *filter;
	curl_common net;
	char        key_id[SECRET_MAX_LEN + 1];
	char        secret[SECRET_MAX_LEN + 1];
	char        sigv4[128];
	char        base[S3_URL_MAX]; /* the bucket's URL, no trailing '/' */
	char        shown[S3_URL_MAX];
} s3_conf;

typedef struct s3_body {
	char   text[S3_BODY_MAX + 1];
	size_t len;
} s3_body;

/* conf_free - wipe the secrets, then free; NULL: no-op */
static void
conf_free(s3_conf *c)
{
	if (c == NULL)
		return;
	secret_wipe(c->key_id, sizeof(c->key_id));
	secret_wipe(c->secret, sizeof(c->secret));
	free(c);
}

static mc_err
build_base(CURL *h, s3_conf *c, char *err, size_t errlen)
{
	size_t n;
	int    w;

	if (c->endpoint != NULL && c->endpoint[0] != '\0') {
		n = strlen(c->endpoint);
		while (n > 0 && c->endpoint[n - 1] == '/')
			n--;
		w = snprintf(
		    c->base, sizeof(c->base), "%.*s", (int) n, c->endpoint);
		if (w < 0 || (size_t) w >= sizeof(c->base) ||
		    url_append_path(h, c->base, sizeof(c->base), c->bucket) !=
		        MC_OK) {
			mc_errf(err, errlen, "endpoint_url too long");
			return MC_ECONFIG;
		}
	} else {
		snprintf(c->base, sizeof(c->base),
		    "https://%s.s3.%s.amazonaws.com", c->bucket, c->region);
	}
	target_url_for_log(c->base, c->shown, sizeof(c->shown));
	snprintf(c->sigv4, sizeof(c->sigv4), "aws:amz:%s:s3", c->region);
	return MC_OK;
}

static mc_err
resolve_conf(
    const target_cfg *cfg, CURL *h, s3_conf *c, char *err, size_t errlen)
{
	bool   has_id, has_secret;
	mc_err rv;

	memset(c, 0, sizeof(*c));
	c->bucket = target_cfg_get(cfg, "bucket");
	c->region = target_cfg_get(cfg, "region");
	c->prefix = target_cfg_get(cfg, "prefix");
	c->endpoint = target_cfg_get(cfg, "endpoint_url");
	c->net.protocols = "http,https";
	c->net.ca_cert = target_cfg_get(cfg, "ca_cert");
	c->filter = target_cfg_get(cfg, "file_filter");
	if (c->region == NULL || c->region[0] == '\0')
		c->region = S3_REGION_DEFAULT;
	if (c->prefix == NULL)
		c->prefix = "";
	if (c->bucket == NULL || c->bucket[0] == '\0' ||
	    strchr(c->bucket, '/') != NULL) {
		mc_errf(err, errlen, "s3 target without a valid 'bucket'");
		return MC_ECONFIG;
	}
	if (curl_common_read_timeouts(cfg, &c->net, err, errlen) != MC_OK)
		return MC_ECONFIG;
	if ((rv = secret_get(cfg, "access_key_id", c->key_id,
	         sizeof(c->key_id), &has_id, err, errlen)) != MC_OK ||
	    (rv = secret_get(cfg, "secret_access_key", c->secret,
	         sizeof(c->secret), &has_secret, err, errlen)) != MC_OK)
		return rv;
	if (!has_id || !has_secret) {
		mc_errf(err, errlen,
		    "s3 target without access_key_id and "
		    "secret_access_key");
		return MC_ECONFIG;
	}
	return build_base(h, c, err, errlen);
}

static size_t
keep_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	s3_body *b = userdata;
	size_t   n = size * nmemb, room = S3_BODY_MAX - b->len;

	memcpy(b->text + b->len, ptr, n < room ? n : room);
	b->len += n < room ? n : room;
	b->text[b->len] = '\0';
	return n;
}

static void
easy_setup(CURL *h, const s3_conf *c, const char *url, struct curl_slist *hdr,
    s3_body *body, char *errbuf)
{
	curl_common_setup(h, &c->net, url, errbuf);
	curl_easy_setopt(h, CURLOPT_AWS_SIGV4, c->sigv4);
	curl_easy_setopt(h, CURLOPT_USERNAME, c->key_id);
	curl_easy_setopt(h, CURLOPT_PASSWORD, c->secret);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
}

/* S3's error <Code> from an XML body, or "" */
static void
error_code(const s3_body *b, char *buf, size_t len)
{
	const char *p = strstr(b->text, "<Code>"), *e;

	buf[0] = '\0';
	if (p == NULL || (e = strstr(p + 6, "</Code>")) == NULL)
		return;
	snprintf(buf, len, "%.*s", (int) (e - p - 6), p + 6);
}

/* MC_OK for 2xx; else msg and *retryable set */
static mc_err
judge(const s3_conf *c, const char *what, CURLcode cc, long code,
    const s3_body *b, const char *errbuf, bool *retryable, char *msg,
    size_t len)
{
	char ec[64];

	if (cc != CURLE_OK) {
		*retryable = true;
		mc_errf(msg, len, "S3 %s %s: %s", what, c->shown,
		    errbuf[0] ? errbuf : curl_easy_strerror(cc));
		return MC_ENET;
	}
	if (code >= 200 && code < 300)
		return MC_OK;
	error_code(b, ec, sizeof(ec));
	*retryable = curl_common_http_is_retryable(code);
	mc_errf(msg, len, "S3 %s %s: HTTP %ld%s%s%s", what, c->shown, code,
	    ec[0] ? " " : "", ec,
	    code == 403   ? " (access key, secret or signature refused)"
	    : code == 404 ? " (no such bucket)"
	                  : "");
	return MC_EPROTO;
}

static mc_err
put_file(CURL *h, const s3_conf *c, struct curl_slist *hdr,
    const char *task_id, const char *path, bool *retryable, char *msg,
    size_t len)
{
	char        url[S3_URL_MAX], key[S3_URL_MAX];
	char        errbuf[CURL_ERROR_SIZE] = "";
	s3_body     body = {.len = 0};
	char        why[256] = "";
	FILE       *f = sys_files_fopen(path, why, sizeof(why));
	struct stat st;
	long        code = 0;
	CURLcode    cc;

	if (f == NULL || fstat(fileno(f), &st) != 0) {
		if (f != NULL)
			fclose(f);
		*retryable = true;
		mc_errf(msg, len, "cannot read %s%s%s", path,
		    why[0] ? ": " : "", why);
		return MC_EIO;
	}
	snprintf(url, sizeof(url), "%s", c->base);
	snprintf(key, sizeof(key), "%s/%s/%s", c->prefix, task_id,
	    sys_basename_of(path));
	if (url_append_path(h, url, sizeof(url), key) != MC_OK) {
		fclose(f);
		*retryable = false;
		mc_errf(msg, len, "S3 key too long: %s", key);
		return MC_EINVAL;
	}
	easy_setup(h, c, url, hdr, &body, errbuf);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READDATA, f);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t) st.st_size);
	cc = curl_easy_perform(h);
	fclose(f);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	return judge(c, "PUT", cc, code, &body, errbuf, retryable, msg, len);
}

static struct curl_slist *
put_headers(void)
{
	struct curl_slist *h = NULL, *n;

	if ((n = curl_slist_append(
	         h, "x-amz-content-sha256: UNSIGNED-PAYLOAD")) == NULL)
		return NULL;
	h = n;
	/* no "Expect:" to suppress 100-continue: libcurl 7.88 would sign
	 * the removed header, and S3 would then refuse the signature */
	if ((n = curl_slist_append(h, "Content-Type: application/dicom")) ==
	    NULL) {
		curl_slist_free_all(h);
		return NULL;
	}
	return n;
}

static mc_err
s3_send(const target_cfg *cfg, const task_ctx *ctx, const target_files *files,
    target_result *res)
{
	s3_conf           *c = calloc(1, sizeof(*c));
	CURL              *h = curl_easy_init();
	struct curl_slist *hdr = put_headers();
	char               err[TARGET_ERROR_MAX_LEN + 1];
	bool               retryable = true;
	mc_err             rv = MC_OK;

	res->failed = files->n;
	if (c == NULL || h == NULL || hdr == NULL) {
		target_result_fail(res, true, "out of memory");
		rv = MC_ENOMEM;
		goto done;
	}
	if ((rv = resolve_conf(cfg, h, c, err, sizeof(err))) != MC_OK) {
		target_result_fail(res, rv == MC_EIO, "%s", err);
		goto done;
	}
	res->failed = 0;
	for (size_t i = 0; i < files->n && rv == MC_OK; i++) {
		if (target_file_is_filtered(
		        c->filter, sys_basename_of(files->paths[i])))
			continue;
		rv = put_file(h, c, hdr, ctx->task_id, files->paths[i],
		    &retryable, err, sizeof(err));
		if (rv == MC_OK)
			res->sent++;
	}
	if (rv != MC_OK) {
		res->failed = files->n - res->sent;
		target_result_fail(res, retryable, "%s", err);
	}
	log_debug("event=s3.done task=%s target=%s sent=%zu", ctx->task_id,
	    target_cfg_name(cfg), res->sent);
done:
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	conf_free(c);
	return rv;
}

static mc_err
s3_test(const target_cfg *cfg, const task_ctx *ctx, char *msg, size_t len)
{
	s3_conf           *c = calloc(1, sizeof(*c));
	CURL              *h = curl_easy_init();
	struct curl_slist *hdr = NULL;
	s3_body            body = {.len = 0};
	char               errbuf[CURL_ERROR_SIZE] = "", url[S3_URL_MAX];
	bool               retryable;
	long               code = 0;
	CURLcode           cc;
	mc_err             rv;

	(void) ctx;
	hdr =
	    curl_slist_append(NULL, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
	if (c == NULL || h == NULL || hdr == NULL) {
		mc_errf(msg, len, "out of memory");
		rv = MC_ENOMEM;
	} else if ((rv = resolve_conf(cfg, h, c, msg, len)) == MC_OK) {
		mc_errf(url, sizeof(url), "%s/", c->base);
		easy_setup(h, c, url, hdr, &body, errbuf);
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
		cc = curl_easy_perform(h);
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
		rv = judge(
		    c, "HEAD", cc, code, &body, errbuf, &retryable, msg, len);
		if (rv == MC_OK)
			mc_errf(
			    msg, len, "S3 HEAD %s: HTTP %ld", c->shown, code);
	}
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	conf_free(c);
	return rv;
}

const target_ops target_ops_s3 = {
    .send = s3_send,
    .test = s3_test,
};
