/* http_qr.c - query/retrieve in the API (docs/query-retrieve.md).
 * POST /api/v1/query runs the C-FIND on the HTTP thread (qr_api.h: no
 * child process, no loop state), after the loop named the source's node
 * from the configuration in force. POST /api/v1/retrieve checks the body
 * here and has the loop start `mercure-coordinator --retrieve` as a
 * child (http_loop_qr.c): a retrieval spawns getdcmtags for each file,
 * and only the loop may spawn and reap, since it reaps every child. GET
 * /api/v1/retrievals/{id} reads the child's output under the storage
 * root, as GET /api/v1/target-tests/{id} reads a target test's (POST
 * targets/{name}/test, started the same way). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "http/http_int.h"
#include "http/http_loop_qr.h"
#include "http/http_query.h"
#include "os/sys_files.h"
#include "retrieve/qr_api.h"

#define HTTP_QR_LOG_MAX (16 * 1024 * 1024)

/* body_object - the request's JSON object (duplicate keys refused), or
 * NULL after a 422 */
static json_t *
body_object(http_req *r)
{
	json_error_t e;
	json_t      *j = NULL;

	if (r->body != NULL)
		j = json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, &e);
	if (j == NULL) {
		http_reply_error(r, 422, "the body is not JSON%s%s",
		    r->body ? ": " : "", r->body ? e.text : "");
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		http_reply_error(r, 422, "the body must be a JSON object");
		return NULL;
	}
	return j;
}

/* get_keys - body's "keys" into keys[] (pointing into body), each
 * checked as the command line checks a KEY=VALUE; false after a 422 */
static bool
get_keys(http_req *r, json_t *body, bool query, dcm_qr_key *keys, size_t *n)
{
	json_t     *jk = json_object_get(body, "keys"), *v;
	const char *k;
	char        err[256];

	*n = 0;
	if (!json_is_object(jk)) {
		http_reply_error(r, 422,
		    "keys must be an object of DICOM keywords and values");
		return false;
	}
	if (json_object_size(jk) > DCM_QR_MAX_KEYS ||
	    (!query && json_object_size(jk) == 0)) {
		http_reply_error(r, 422, "keys: between %d and %d keys",
		    query ? 0 : 1, DCM_QR_MAX_KEYS);
		return false;
	}
	json_object_foreach(jk, k, v)
	{
		if (!json_is_string(v)) {
			http_reply_error(r, 422, "keys: %s: not a string", k);
			return false;
		}
		if (dcm_qr_key_check(k, json_string_value(v), query, err,
		        sizeof(err)) != MC_OK) {
			http_reply_error(r, 422, "keys: %s", err);
			return false;
		}
		keys[(*n)++] = (dcm_qr_key){k, json_string_value(v)};
	}
	return true;
}

/* get_choice - body's optional string field name: one or two (default
 * one); false after a 422 */
static bool
get_choice(http_req *r, json_t *body, const char *name, const char *one,
    const char *two, bool *second)
{
	json_t *v = json_object_get(body, name);

	*second = false;
	if (v == NULL)
		return true;
	if (json_is_string(v) && strcmp(json_string_value(v), one) == 0)
		return true;
	if (json_is_string(v) && strcmp(json_string_value(v), two) == 0) {
		*second = true;
		return true;
	}
	http_reply_error(
	    r, 422, "%s must be \"%s\" or \"%s\"", name, one, two);
	return false;
}

/* get_source - body's "source": a name of printable ASCII; NULL after a
 * 422 */
static const char *
get_source(http_req *r, json_t *body)
{
	json_t     *v = json_object_get(body, "source");
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;

	if (s == NULL || s[0] == '\0' || strlen(s) >= HTTP_JOB_ARG_MAX) {
		http_reply_error(r, 422, "source must name a source");
		return NULL;
	}
	for (const char *p = s; *p; p++)
		if (*p < 0x21 || *p > 0x7e) {
			http_reply_error(r, 422, "no such source");
			return NULL;
		}
	return s;
}

static const char *
str_field(json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

void
http_qr_query(http_req *r)
{
	json_t           *body = body_object(r), *node = NULL, *m = NULL;
	dcm_qr_key        keys[DCM_QR_MAX_KEYS];
	size_t            n;
	bool              series;
	const char       *source;
	json_error_t      e;
	config_dicom_node nd;
	char              err[512];
	mc_err            rv;

	if (body == NULL)
		return;
	if ((source = get_source(r, body)) == NULL ||
	    !get_choice(r, body, "level", "study", "series", &series) ||
	    !get_keys(r, body, true, keys, &n))
		goto out;
	if (!http_loop_ask(r, HTTP_JOB_SOURCE, source, 0) ||
	    r->rep.status != 200)
		goto out;
	node = json_loadb(r->rep.body, r->rep.len, 0, &e);
	/* the node's credentials: not kept in the reply buffer */
	explicit_bzero(r->rep.body, r->rep.len);
	if (node == NULL) {
		http_reply_error(r, 500, "bad answer from the loop");
		goto out;
	}
	nd = (config_dicom_node){.name = str_field(node, "name"),
	    .ip = str_field(node, "ip"),
	    .port =
	        (uint16_t) json_integer_value(json_object_get(node, "port")),
	    .aet_target = str_field(node, "aet_target"),
	    .aet_source = str_field(node, "aet_source"),
	    .url = str_field(node, "url"),
	    .qido_url_prefix = str_field(node, "qido_url_prefix"),
	    .wado_url_prefix = str_field(node, "wado_url_prefix"),
	    .access_token = str_field(node, "access_token"),
	    .http_user = str_field(node, "http_user"),
	    .http_password = str_field(node, "http_password")};
	rv = qr_api_find(&nd, series ? DCM_QR_SERIES : DCM_QR_STUDY, keys, n,
	    &m, err, sizeof(err));
	if (rv != MC_OK) {
		http_reply_error(r, rv == MC_EINVAL ? 422 : 502,
		    "query %s: %s", source, err);
		goto out;
	}
	log_info("event=http.query source=%s keys=%zu matches=%zu user=%s",
	    nd.name ? nd.name : "", n, json_array_size(m), r->who.user);
	http_reply_json(r, 200,
	    json_pack("{s:s,s:s,s:o}", "source", source, "level",
	        series ? "series" : "study", "matches", m));
out:
	json_decref(node);
	json_decref(body);
}

void
http_qr_retrieve(http_req *r)
{
	json_t     *body = body_object(r), *in = NULL, *jr;
	dcm_qr_key  keys[DCM_QR_MAX_KEYS];
	size_t      n;
	bool        series, move;
	const char *source;
	char        esc[4 * HTTP_JOB_ARG_MAX + 8];

	if (body == NULL)
		return;
	if ((source = get_source(r, body)) == NULL ||
	    !get_choice(r, body, "level", "study", "series", &series) ||
	    !get_choice(r, body, "method", "get", "move", &move) ||
	    !get_keys(r, body, false, keys, &n))
		goto out;
	jr = json_object_get(body, "force_rule");
	if (jr != NULL && !json_is_null(jr) &&
	    (!json_is_string(jr) || json_string_length(jr) == 0 ||
	        json_string_length(jr) >= HTTP_JOB_ARG_MAX)) {
		http_reply_error(r, 422, "force_rule must name a rule");
		goto out;
	}
	if (json_is_string(jr) && move) {
		http_reply_error(r, 422,
		    "force_rule needs the method get: with C-MOVE the node "
		    "sends the images to the receiver itself, and nothing "
		    "can mark them on the way");
		goto out;
	}
	in = json_pack("{s:s,s:s,s:s,s:O}", "source", source, "level",
	    series ? "series" : "study", "method", move ? "move" : "get",
	    "keys", json_object_get(body, "keys"));
	if (in != NULL && json_is_string(jr))
		json_object_set(in, "force_rule", jr);
	if (in == NULL) {
		http_reply_error(r, 500, "out of memory");
		goto out;
	}
	log_info("event=http.action what=retrieve source=\"%s\" user=%s "
	         "remote=\"%s\"",
	    http_log_value(source, esc, sizeof(esc)), r->who.user, r->remote);
	http_loop_ask_in(r, HTTP_JOB_RETRIEVE, NULL, 0, in);
out:
	json_decref(in);
	json_decref(body);
}

/* counts - the progress lines of a retrieval's output, and its summary
 * line once the child has ended */
static json_t *
counts(const char *text, bool *ended)
{
	size_t      found = 0, retrieved = 0, failed = 0, files = 0;
	const char *p = text;

	*ended = false;
	while (p != NULL && *p) {
		size_t f;
		if (strncmp(p, "retrieved ", 10) == 0)
			retrieved++;
		else if (strncmp(p, "failed ", 7) == 0 ||
		         strncmp(p, "failed:", 7) == 0)
			failed++;
		if (strncmp(p, "summary: ", 9) == 0 &&
		    sscanf(p,
		        "summary: found=%zu retrieved=%zu failed=%zu "
		        "files=%zu",
		        &found, &retrieved, &failed, &f) == 4) {
			files = f;
			*ended = true;
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return json_pack("{s:I,s:I,s:I,s:I}", "found", (json_int_t) found,
	    "retrieved", (json_int_t) retrieved, "failed", (json_int_t) failed,
	    "files", (json_int_t) files);
}

/* child_exit - <root>/<dir>/<id>.exit (how the child ended, written by
 * the loop when it reaped it), or NULL while it runs */
static json_t *
child_exit(http_req *r, const char *dir, const char *id)
{
	char path[MC_PATH_MAX];

	if (sys_path_fmt(path, sizeof(path), "%s/%s/%s%s", r->srv->root, dir,
	        id, HTTP_CHILD_EXIT_SUFFIX) != MC_OK)
		return NULL;
	return http_files_json(path);
}

void
http_qr_retrieval(http_req *r, const char *id)
{
	char        path[MC_PATH_MAX], *text = NULL;
	size_t      len = 0;
	json_t     *req, *c, *out, *ex;
	bool        ended;
	const char *state = "running";

	if (!http_retrieval_id_is_valid(id) ||
	    sys_path_fmt(path, sizeof(path), "%s/%s/%s.json", r->srv->root,
	        HTTP_RETRIEVALS_DIR, id) != MC_OK ||
	    (req = http_files_json(path)) == NULL) {
		http_reply_error(r, 404, "no such retrieval");
		return;
	}
	if (sys_path_fmt(path, sizeof(path), "%s/%s/%s.log", r->srv->root,
	        HTTP_RETRIEVALS_DIR, id) != MC_OK ||
	    sys_read_plain_file(path, HTTP_QR_LOG_MAX, &text, &len) != MC_OK)
		text = NULL;
	c = counts(text ? text : "", &ended);
	free(text);
	if (ended) {
		json_int_t found =
		    json_integer_value(json_object_get(c, "found"));
		json_int_t bad =
		    json_integer_value(json_object_get(c, "failed"));
		state = found > 0 && bad == 0 ? "done" : "failed";
	}
	/* ended without its summary line: killed, or it could not start */
	if ((ex = child_exit(r, HTTP_RETRIEVALS_DIR, id)) != NULL && !ended)
		state = "failed";
	out = json_pack("{s:s,s:s,s:o,s:o,s:o?}", "id", id, "state", state,
	    "request", req, "output_tail", http_files_log_tail(path), "exit",
	    ex);
	if (out != NULL && c != NULL)
		json_object_update(out, c);
	json_decref(c);
	http_reply_json(r, 200, out);
}

/* test_result - the worker's one line ("ok NAME: ..." or "error NAME:
 * ..."), NULL while there is none */
static const char *
test_result(const char *text, json_t **line)
{
	for (const char *p = text; p != NULL && *p;) {
		const char *nl = strchr(p, '\n');
		size_t      len = nl ? (size_t) (nl - p) : strlen(p);
		const char *st = strncmp(p, "ok ", 3) == 0      ? "ok"
		                 : strncmp(p, "error ", 6) == 0 ? "error"
		                                                : NULL;
		if (st != NULL && nl != NULL) {
			*line = json_stringn(p, len);
			return st;
		}
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

void
http_qr_target_test(http_req *r, const char *id)
{
	char        path[MC_PATH_MAX], *text = NULL;
	size_t      len = 0;
	json_t     *req, *line = NULL, *ex;
	const char *state = NULL;

	if (!http_retrieval_id_is_valid(id) ||
	    sys_path_fmt(path, sizeof(path), "%s/%s/%s.json", r->srv->root,
	        HTTP_TARGET_TESTS_DIR, id) != MC_OK ||
	    (req = http_files_json(path)) == NULL) {
		http_reply_error(r, 404, "no such target test");
		return;
	}
	if (sys_path_fmt(path, sizeof(path), "%s/%s/%s.log", r->srv->root,
	        HTTP_TARGET_TESTS_DIR, id) == MC_OK &&
	    sys_read_plain_file(path, HTTP_QR_LOG_MAX, &text, &len) == MC_OK)
		state = test_result(text, &line);
	free(text);
	/* ended without the worker's line: killed, or it could not start */
	if ((ex = child_exit(r, HTTP_TARGET_TESTS_DIR, id)) != NULL &&
	    state == NULL)
		state = "error";
	http_reply_json(r, 200,
	    json_pack("{s:s,s:s,s:o,s:o?,s:o,s:o?}", "id", id, "state",
	        state ? state : "running", "request", req, "result", line,
	        "output_tail", http_files_log_tail(path), "exit", ex));
}
