/* curl_common.c - the libcurl setup that the dicomweb, s3 and sftp
 * targets share (curl_common.h). Each target keeps what differs: its
 * authentication, its callbacks and how it judges an answer. */
#include "targets/curl_common.h"

mc_err
curl_common_read_timeouts(
    const target_cfg *cfg, curl_common *o, char *err, size_t errlen)
{
	mc_err rv;

	if ((rv = target_cfg_get_uint(cfg, "timeout", 1,
	         CURL_COMMON_TIMEOUT_MAX_S, CURL_COMMON_TIMEOUT_DEFAULT_S,
	         &o->timeout_s, err, errlen)) != MC_OK)
		return rv;
	return target_cfg_get_uint(cfg, "connect_timeout", 1,
	    CURL_COMMON_TIMEOUT_MAX_S, CURL_COMMON_CONNECT_TIMEOUT_DEFAULT_S,
	    &o->connect_timeout_s, err, errlen);
}

void
curl_common_setup(CURL *h, const curl_common *o, const char *url, char *errbuf)
{
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, o->protocols);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(
	    h, CURLOPT_CONNECTTIMEOUT, (long) o->connect_timeout_s);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long) o->timeout_s);
	if (o->ca_cert != NULL && o->ca_cert[0] != '\0')
		curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_cert);
}

bool
curl_common_http_is_retryable(long code)
{
	return code == 408 || code == 429 || code >= 500;
}
