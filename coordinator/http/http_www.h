/* http_www.h - the dashboard's files (coordinator/http/www/), built into
 * the binary by cmake/McEmbedFiles.cmake as the table below. */
#ifndef MC_COORDINATOR_HTTP_WWW_H
#define MC_COORDINATOR_HTTP_WWW_H

#include <stddef.h>

typedef struct http_www_file {
	const char          *path; /* "/app.js" */
	const char          *type; /* its Content-Type */
	const char          *etag; /* quoted, as the header carries it */
	const unsigned char *data;
	size_t               len;
} http_www_file;

/* http_www_files - ends with an entry whose path is NULL */
extern const http_www_file http_www_files[];

#endif
