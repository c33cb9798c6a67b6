/* url_path.h - URL paths for the libcurl targets (sftp, s3): each
 * segment of a file path percent-encoded, the slashes kept. */
#ifndef MC_WORKER_URL_PATH_H
#define MC_WORKER_URL_PATH_H

#include <curl/curl.h>
#include <stddef.h>

#include "base/mc_err.h"

/* url_append_path - append "/seg1/seg2..." of path (empty segments and
 * repeated slashes dropped) to the NUL-terminated buf of size len.
 * MC_EINVAL when it does not fit, MC_ENOMEM. h is only used for
 * curl_easy_escape. */
MC_NODISCARD mc_err url_append_path(
    CURL *h, char *buf, size_t len, const char *path);

#endif
