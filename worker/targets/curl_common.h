/* curl_common.h - what the libcurl targets (dicomweb, s3, sftp) share:
 * the two timeouts each reads from its fields, the options every one of
 * their requests sets, and which HTTP statuses are worth a retry. */
#ifndef MC_WORKER_CURL_COMMON_H
#define MC_WORKER_CURL_COMMON_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/mc_err.h"
#include "targets/target.h"

#define CURL_COMMON_TIMEOUT_DEFAULT_S 300 /* one request or one file */
#define CURL_COMMON_CONNECT_TIMEOUT_DEFAULT_S 10
#define CURL_COMMON_TIMEOUT_MAX_S 86400

/* The options of every request of one target. */
typedef struct curl_common {
	const char *protocols; /* CURLOPT_PROTOCOLS_STR: "http,https" */
	unsigned    timeout_s, connect_timeout_s;
	const char *ca_cert; /* PEM bundle; NULL or "": libcurl's own */
} curl_common;

/* curl_common_read_timeouts - the fields timeout and connect_timeout of
 * cfg (each 1..CURL_COMMON_TIMEOUT_MAX_S, defaults above) into o.
 * MC_EINVAL with err naming the field and its value. */
MC_NODISCARD mc_err curl_common_read_timeouts(
    const target_cfg *cfg, curl_common *o, char *err, size_t errlen);

/* curl_common_setup - reset h and set url, o's protocols, timeouts and
 * CA bundle, no signals, TCP_NODELAY, and errbuf (CURL_ERROR_SIZE, which
 * must outlive the transfer) as the error buffer. The caller adds what
 * its request needs after this. */
void curl_common_setup(
    CURL *h, const curl_common *o, const char *url, char *errbuf);

/* curl_common_http_is_retryable - a timeout, throttling or server error
 * (408, 429, 5xx): the same request may succeed later. */
bool curl_common_http_is_retryable(long code);

#endif
