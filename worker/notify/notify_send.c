/* notify_send.c - the notifier's two ways out over libcurl (its only use
 * of libcurl): an HTTP POST for webhooks and an SMTP submission for
 * e-mail. Retries and templates are notify.c's. */
#include "notify/notify_int.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTIFY_TIMEOUT_S 30
#define NOTIFY_CONNECT_TIMEOUT_S 10
#define NOTIFY_RCPT_MAX 320

typedef struct reader {
	const char *p;
	size_t      left;
} reader;

static size_t
read_text(char *buf, size_t size, size_t nitems, void *userdata)
{
	reader *r = userdata;
	size_t  n = size * nitems < r->left ? size * nitems : r->left;

	memcpy(buf, r->p, n);
	r->p += n;
	r->left -= n;
	return n;
}

static size_t
discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	(void) ptr;
	(void) userdata;
	return size * nmemb;
}

void
notify_url_origin(const char *url, char *buf, size_t len)
{
	const char *s = strstr(url, "://");
	const char *h = s ? s + 3 : url;
	const char *at = strchr(h, '@'), *slash = strchr(h, '/');

	if (at != NULL && (slash == NULL || at < slash))
		h = at + 1;
	snprintf(buf, len, "%.*s%.*s", s ? (int) (s + 3 - url) : 0, url,
	    (int) strcspn(h, "/?#"), h);
}

static void
common(CURL *h, const char *url, char *errbuf)
{
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long) NOTIFY_TIMEOUT_S);
	curl_easy_setopt(
	    h, CURLOPT_CONNECTTIMEOUT, (long) NOTIFY_CONNECT_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
}

mc_err
notify_http_post(const char *url, const char *body, const char *ca, char *err,
    size_t errlen)
{
	CURL              *h = curl_easy_init();
	struct curl_slist *hdr = NULL;
	char               errbuf[CURL_ERROR_SIZE] = "", origin[256];
	long               code = 0;
	CURLcode           cc;
	mc_err             rv = MC_OK;

	notify_url_origin(url, origin, sizeof(origin));
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	if (h == NULL || hdr == NULL) {
		snprintf(err, errlen, "out of memory");
		rv = MC_ENOMEM;
		goto done;
	}
	common(h, url, errbuf);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (ca != NULL && ca[0] != '\0')
		curl_easy_setopt(h, CURLOPT_CAINFO, ca);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(
	    h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) strlen(body));
	if ((cc = curl_easy_perform(h)) != CURLE_OK) {
		snprintf(err, errlen, "POST %s: %s", origin,
		    errbuf[0] ? errbuf : curl_easy_strerror(cc));
		rv = MC_ENET;
		goto done;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code >= 300) {
		snprintf(err, errlen, "POST %s: HTTP %ld", origin, code);
		rv = MC_EPROTO;
	}
done:
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	return rv;
}

/* "a@b.org, c@d.org" -> one list entry each */
static struct curl_slist *
rcpt_list(const char *rcpts)
{
	struct curl_slist *l = NULL, *n;
	char               one[NOTIFY_RCPT_MAX];
	const char        *p = rcpts;

	while (*p != '\0') {
		size_t k;
		p += strspn(p, ",; \t");
		k = strcspn(p, ",; \t");
		if (k == 0)
			break;
		snprintf(one, sizeof(one), "<%.*s>", (int) k, p);
		if ((n = curl_slist_append(l, one)) == NULL) {
			curl_slist_free_all(l);
			return NULL;
		}
		l = n;
		p += k;
	}
	return l;
}

mc_err
notify_smtp_send(const char *smtp_url, const char *from, const char *rcpts,
    const char *message, char *err, size_t errlen)
{
	CURL              *h = curl_easy_init();
	struct curl_slist *to = rcpt_list(rcpts);
	reader             rd = {message, strlen(message)};
	char               errbuf[CURL_ERROR_SIZE] = "", mail_from[320];
	char               origin[256];
	const char        *user = getenv("MERCURE_SMTP_USER");
	const char        *pass = getenv("MERCURE_SMTP_PASSWORD");
	CURLcode           cc;
	mc_err             rv = MC_OK;

	notify_url_origin(smtp_url, origin, sizeof(origin));
	if (h == NULL || to == NULL) {
		snprintf(err, errlen, to ? "out of memory" : "no recipient");
		rv = to ? MC_ENOMEM : MC_ECONFIG;
		goto done;
	}
	snprintf(mail_from, sizeof(mail_from), "<%s>", from);
	common(h, smtp_url, errbuf);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_USE_SSL, (long) CURLUSESSL_TRY);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, mail_from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, to);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_text);
	curl_easy_setopt(h, CURLOPT_READDATA, &rd);
	if (user != NULL && user[0] != '\0') {
		curl_easy_setopt(h, CURLOPT_USERNAME, user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, pass ? pass : "");
	}
	if ((cc = curl_easy_perform(h)) != CURLE_OK) {
		snprintf(err, errlen, "SMTP %s: %s", origin,
		    errbuf[0] ? errbuf : curl_easy_strerror(cc));
		rv = cc == CURLE_LOGIN_DENIED ? MC_EREFUSED : MC_ENET;
	}
done:
	curl_slist_free_all(to);
	curl_easy_cleanup(h);
	return rv;
}
