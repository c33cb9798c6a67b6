/* http_config.c - the configuration file edited through the API: PUT
 * /api/v1/config validates the YAML with the coordinator's own loader,
 * writes it in place of the file (the old one kept as "<file>.prev") and
 * has the loop load it again; POST /api/v1/config/rollback swaps the two
 * files back; GET /api/v1/config/yaml gives the text to an admin's
 * editor.
 *
 * Design notes: validation and the file writes run on the HTTP thread
 * (parsing a large file must not stop the loop, and the loop never reads
 * the file but through its own reload, config_reload.c); one write at a
 * time (config_mu). The loop writes the audit trail and starts the
 * reload (HTTP_JOB_CONFIG_RELOAD); this thread then asks for the
 * reload's progress until the new generation is in force or the reload
 * was refused. Both files are written 0600 with the owner of the file
 * they replace: the YAML holds the targets' passwords. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "config/config.h"
#include "http/http_int.h"

#define HTTP_CONFIG_DIAGS 64
#define HTTP_CONFIG_POLL_MS 25

/* findings - the loader's findings as JSON: line, column, field,
 * message, severity */
static json_t *
findings(const config_diag *d, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a,
		    json_pack("{s:I,s:I,s:s,s:s,s:s}", "line",
		        (json_int_t) d[i].d.line, "column",
		        (json_int_t) d[i].d.column, "field", d[i].d.field,
		        "message", d[i].d.msg, "severity",
		        d[i].severity == CONFIG_ERROR ? "error" : "warning"));
	return a;
}

/* validate - text through config_load_buffer under the file's name (as
 * the reload will read it). False: r holds the 422 with the findings.
 * *warnings (new) holds the warnings of a valid text. */
static bool
validate(http_req *r, const char *text, size_t len, json_t **warnings)
{
	config_diag *d = calloc(HTTP_CONFIG_DIAGS, sizeof(*d));
	size_t       n = 0;
	mc_config   *cfg = NULL;
	mc_err       rv;

	*warnings = NULL;
	if (d == NULL) {
		http_reply_error(r, 500, "out of memory");
		return false;
	}
	rv = config_load_buffer(r->srv->config_path, text ? text : "", len,
	    &cfg, d, HTTP_CONFIG_DIAGS, &n);
	config_destroy(cfg);
	if (rv == MC_OK) {
		*warnings = findings(d, n);
		free(d);
		return true;
	}
	if (rv == MC_ENOMEM)
		http_reply_error(r, 500, "out of memory");
	else
		http_reply_json(r, 422,
		    json_pack("{s:s,s:b,s:o}", "error",
		        "configuration invalid", "valid", 0, "findings",
		        findings(d, n)));
	free(d);
	return false;
}

static void
prev_path(const http_server *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s.prev", s->config_path);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static bool
state_of(http_req *r, json_int_t *gen, json_int_t *rejected, int *reloading)
{
	json_error_t e;
	json_t      *j;
	bool         ok;

	if (r->rep.status != 200 ||
	    (j = json_loadb(r->rep.body, r->rep.len, 0, &e)) == NULL)
		return false;
	ok = json_unpack(j, "{s:I,s:I,s:b}", "generation", gen, "rejected",
	         rejected, "reloading", reloading) == 0;
	json_decref(j);
	return ok;
}

/* reload - the file is written: the loop audits what (a literal) and
 * loads it again; wait until the reload is over and answer */
static void
reload(http_req *r, const char *what)
{
	json_int_t g0, r0, g, rj;
	int        reloading;
	int        waited = 0;

	if (!http_loop_ask(r, HTTP_JOB_CONFIG_RELOAD, what, 0))
		return;
	if (!state_of(r, &g0, &r0, &reloading)) {
		http_reply_error(r, 500, "bad answer from the loop");
		return;
	}
	for (;;) {
		sleep_ms(HTTP_CONFIG_POLL_MS);
		waited += HTTP_CONFIG_POLL_MS;
		if (!http_loop_ask(r, HTTP_JOB_CONFIG_STATE, NULL, 0))
			return;
		if (!state_of(r, &g, &rj, &reloading)) {
			http_reply_error(r, 500, "bad answer from the loop");
			return;
		}
		if (!reloading && rj > r0) {
			http_reply_error(r, 500,
			    "the file was written, but the coordinator "
			    "refused it and keeps its running configuration "
			    "(see its log); POST /api/v1/config/rollback "
			    "restores the previous file");
			return;
		}
		if (!reloading && g > g0)
			break;
		if (waited >= HTTP_LOOP_WAIT_MS) {
			http_reply_json(r, 202,
			    json_pack("{s:b,s:b,s:I}", "ok", 1, "reloading", 1,
			        "generation", g));
			return;
		}
	}
	http_reply_json(r, 200,
	    json_pack("{s:b,s:b,s:I,s:s}", "ok", 1, "valid", 1, "generation",
	        g, "action", what));
}

static bool
has_config(http_req *r)
{
	if (r->srv->config_path[0])
		return true;
	http_reply_error(
	    r, 409, "the coordinator runs without a configuration file");
	return false;
}

void
http_config_put(http_req *r)
{
	const char *dry = http_query_get(r, "dry_run");
	bool        dry_run =
	    dry != NULL && strcmp(dry, "0") != 0 && strcmp(dry, "false") != 0;
	char    prev[MC_PATH_MAX + 8];
	char   *old = NULL;
	size_t  old_len = 0;
	json_t *warnings;
	mc_err  rv;

	if (!has_config(r))
		return;
	if (!validate(r, r->body, r->len, &warnings))
		return;
	if (dry_run) {
		http_reply_json(r, 200,
		    json_pack("{s:b,s:o}", "valid", 1, "warnings", warnings));
		return;
	}
	json_decref(warnings);
	prev_path(r->srv, prev, sizeof(prev));
	pthread_mutex_lock(&r->srv->config_mu);
	rv = sys_read_file(r->srv->config_path, &old, &old_len);
	if (rv == MC_OK)
		rv = sys_write_file_private(prev, old, old_len);
	if (rv == MC_OK)
		rv = sys_write_file_private(
		    r->srv->config_path, r->body ? r->body : "", r->len);
	free(old);
	pthread_mutex_unlock(&r->srv->config_mu);
	if (rv != MC_OK) {
		log_error("event=http.config_write_failed file=%s err=%s",
		    r->srv->config_path, mc_strerror(rv));
		http_reply_error(r, 500, "cannot write the configuration: %s",
		    mc_strerror(rv));
		return;
	}
	reload(r, "save");
}

void
http_config_rollback(http_req *r)
{
	char    prev[MC_PATH_MAX + 8];
	char   *old = NULL, *cur = NULL;
	size_t  old_len = 0, cur_len = 0;
	json_t *warnings = NULL;
	mc_err  rv;
	bool    ok;

	if (!has_config(r))
		return;
	prev_path(r->srv, prev, sizeof(prev));
	pthread_mutex_lock(&r->srv->config_mu);
	rv = sys_read_file(prev, &old, &old_len);
	if (rv == MC_ENOENT) {
		pthread_mutex_unlock(&r->srv->config_mu);
		http_reply_error(r, 409,
		    "there is no previous configuration to go back to");
		return;
	}
	ok = rv == MC_OK && validate(r, old, old_len, &warnings);
	json_decref(warnings);
	if (ok) {
		rv = sys_read_file(r->srv->config_path, &cur, &cur_len);
		/* the current file becomes the previous one: a second
		 * rollback undoes the first */
		if (rv == MC_OK)
			rv = sys_write_file_private(prev, cur, cur_len);
		if (rv == MC_OK)
			rv = sys_write_file_private(
			    r->srv->config_path, old, old_len);
	}
	free(old);
	free(cur);
	pthread_mutex_unlock(&r->srv->config_mu);
	if (rv != MC_OK) {
		http_reply_error(r, 500, "cannot swap the configuration: %s",
		    mc_strerror(rv));
		return;
	}
	if (ok)
		reload(r, "rollback");
}

void
http_config_yaml(http_req *r)
{
	char  *text = NULL;
	size_t len = 0;
	mc_err rv;

	if (!has_config(r))
		return;
	if ((rv = sys_read_file(r->srv->config_path, &text, &len)) != MC_OK) {
		http_reply_error(r, 500, "cannot read the configuration: %s",
		    mc_strerror(rv));
		return;
	}
	http_reply_text(r, 200, "application/yaml; charset=utf-8", text, len);
}
