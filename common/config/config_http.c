/* config_http.c - the `http` block: where the coordinator's HTTP server
 * listens, its TLS key pair, the users file and whether /metrics is
 * public (docs/http.md). The block's presence turns the server on. */
#include "config/config.h"

#include "config/config_int.h"

#define HTTP_FIELDS(X)                                                        \
	X(BIND, "bind")                                                       \
	X(PORT, "port")                                                       \
	X(TLS_CERT, "tls_cert")                                               \
	X(TLS_KEY, "tls_key")                                                 \
	X(USERS_FILE, "users_file")                                           \
	X(METRICS_PUBLIC, "metrics_public")
#define HTTP_ENUM(id, s) HTTP_F_##id,
#define HTTP_NAME(id, s) s,
enum { HTTP_FIELDS(HTTP_ENUM) HTTP_F_N };
static const char *const http_known[] = {HTTP_FIELDS(HTTP_NAME) NULL};

/* path_field - a non-empty string (a file name) */
static void
path_field(cctx *x, const cnode *v, const char *path, const char **out)
{
	const char *s = NULL;

	if (!cval_str(x, v, path, &s) || s == NULL)
		return;
	if (s[0] == '\0') {
		cctx_error(x, v, path, "must not be empty");
		return;
	}
	*out = s;
}

void
config_build_http(cctx *x, const cnode *v)
{
	config_http *h = &x->cfg->http;
	char         path[CONFIG_PATH_MAX_LEN];

	h->bind = "127.0.0.1";
	h->port = 8080;
	h->line = v->line;
	h->column = v->column;
	/* `http:` with nothing after it is the block with its defaults */
	if (cval_is_null(v)) {
		h->enabled = true;
		return;
	}
	if (!cval_map(x, v, "http"))
		return;
	h->enabled = true;
	for (size_t i = 0; i < v->n; i++) {
		const cnode *k = v->items[2 * i], *val = v->items[2 * i + 1];
		config_path(
		    path, "http", k->kind == CNODE_SCALAR ? k->text : "?");
		switch (config_fields_check(x, k, path, http_known, NULL)) {
		case HTTP_F_BIND:
			config_check_host(x, val, path, &h->bind);
			break;
		case HTTP_F_PORT:
			config_check_port(x, val, path, &h->port);
			break;
		case HTTP_F_TLS_CERT:
			path_field(x, val, path, &h->tls_cert);
			break;
		case HTTP_F_TLS_KEY:
			path_field(x, val, path, &h->tls_key);
			break;
		case HTTP_F_USERS_FILE:
			path_field(x, val, path, &h->users_file);
			break;
		case HTTP_F_METRICS_PUBLIC:
			cval_bool(x, val, path, &h->metrics_public);
			break;
		default:
			break;
		}
	}
	if ((h->tls_cert != NULL) != (h->tls_key != NULL))
		cctx_error(x, v, "http",
		    "tls_cert and tls_key must be given together");
}
