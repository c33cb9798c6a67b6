/* url_path.c - percent-encoding of path segments for libcurl URLs. */
#include "targets/url_path.h"

#include <stdio.h>
#include <string.h>

mc_err
url_append_path(CURL *h, char *buf, size_t len, const char *path)
{
	const char *p = path;

	while (*p != '\0') {
		size_t n = strcspn(p, "/");
		if (n > 0) {
			char  *e = curl_easy_escape(h, p, (int) n);
			size_t used = strlen(buf);
			int    w;
			if (e == NULL)
				return MC_ENOMEM;
			w = snprintf(buf + used, len - used, "/%s", e);
			curl_free(e);
			if (w < 0 || (size_t) w >= len - used)
				return MC_EINVAL;
		}
		p += n;
		while (*p == '/')
			p++;
	}
	return MC_OK;
}
