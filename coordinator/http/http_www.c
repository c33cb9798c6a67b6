/* http_www.c - GET / and the dashboard's other files, from the table
 * built into the binary (http_www.h): their type, an ETag (304 when the
 * browser has the file already) and the security headers every answer
 * carries (http_server.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_int.h"
#include "http/http_www.h"

/* etag_matches - If-None-Match names etag (or is "*") */
static bool
etag_matches(const char *inm, const char *etag)
{
	size_t n = strlen(etag);

	if (strcmp(inm, "*") == 0)
		return true;
	for (const char *p = inm; (p = strstr(p, etag)) != NULL; p += n)
		if ((p == inm || p[-1] == ' ' || p[-1] == ',' ||
		        p[-1] == '/') &&
		    (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
			return true;
	return false;
}

bool
http_www(http_req *r)
{
	const char *url = strcmp(r->url, "/") == 0 ? "/index.html" : r->url;
	const http_www_file *f = NULL;
	const char          *inm;
	char                *body;

	for (const http_www_file *e = http_www_files; e->path; e++)
		if (strcmp(e->path, url) == 0)
			f = e;
	if (f == NULL)
		return false;
	snprintf(r->rep.etag, sizeof(r->rep.etag), "%s", f->etag);
	inm = MHD_lookup_connection_value(
	    r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (inm != NULL && etag_matches(inm, f->etag)) {
		http_reply_text(r, 304, f->type, NULL, 0);
		return true;
	}
	if ((body = malloc(f->len + 1)) == NULL) {
		http_reply_error(r, 500, "out of memory");
		return true;
	}
	memcpy(body, f->data, f->len);
	http_reply_text(r, 200, f->type, body, f->len);
	return true;
}
