/* http_rules.c - POST /api/v1/rules/test: a rule tried on tags, as
 * --test-rule does, on the HTTP thread (no loop state is involved). The
 * tags are given ({rule, tags}) or are the first tags of a series the
 * audit trail recorded when it arrived, open or routed since ({rule,
 * series}), read through a read-only SQLite connection. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_int.h"
#include "rule/rule.h"
#include "tags/tags_json.h"
#include "tags/uid.h"

#define HTTP_RULE_MAX 8192

/* series_tags - the tags JSON the trail holds for uid (malloc'ed), or
 * NULL after a reply */
static char *
series_tags(http_req *r, const char *uid)
{
	sqlite3      *db = NULL;
	sqlite3_stmt *st = NULL;
	char         *out = NULL;

	if (sqlite3_open_v2(r->srv->db, &db, SQLITE_OPEN_READONLY, NULL) !=
	        SQLITE_OK ||
	    sqlite3_busy_timeout(db, 2000) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	        "SELECT tags FROM series WHERE series_uid = ?1", -1, &st,
	        NULL) != SQLITE_OK) {
		http_reply_error(r, 503, "the audit trail cannot be read");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		out = strdup((const char *) sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (out == NULL)
		http_reply_error(
		    r, 404, "no tags recorded for series %s", uid);
	return out;
}

static json_t *
tag_rows(const rule *ru, const mc_tagset *t)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < rule_tag_count(ru); i++) {
		const char *key = NULL, *v = rule_tag_read(ru, i, t, &key);
		json_array_append_new(
		    a, json_pack("{s:s,s:s?,s:s?}", "name", rule_tag_at(ru, i),
		           "key", v ? key : NULL, "value", v));
	}
	return a;
}

void
http_rules_test(http_req *r)
{
	json_error_t e;
	json_t     *body = r->body ? json_loadb(r->body, r->len, 0, &e) : NULL;
	json_t     *jr, *jt, *js;
	const char *text, *why = NULL;
	char       *tags_text = NULL, err[256] = "";
	rule       *ru = NULL;
	mc_diag     d;
	mc_tagset  *t = NULL;
	size_t      replaced = 0;
	bool        hit;

	if (body == NULL || !json_is_object(body)) {
		http_reply_error(r, 422, "the body must be a JSON object");
		goto out;
	}
	jr = json_object_get(body, "rule");
	jt = json_object_get(body, "tags");
	js = json_object_get(body, "series");
	if (!json_is_string(jr) || (jt == NULL) == (js == NULL) ||
	    (jt != NULL && !json_is_object(jt)) ||
	    (js != NULL && !json_is_string(js))) {
		http_reply_error(r, 422,
		    "expected {\"rule\": text, \"tags\": {...}} or "
		    "{\"rule\": text, \"series\": uid}");
		goto out;
	}
	text = json_string_value(jr);
	if (strlen(text) > HTTP_RULE_MAX) {
		http_reply_error(
		    r, 422, "the rule is longer than %d bytes", HTTP_RULE_MAX);
		goto out;
	}
	memset(&d, 0, sizeof(d));
	if (rule_compile(text, strlen(text), &ru, &d) != MC_OK) {
		http_reply_error(r, 422, "rule:1:%zu: %s", d.column, d.msg);
		goto out;
	}
	if (js != NULL) {
		if (!uid_is_valid(json_string_value(js))) {
			http_reply_error(
			    r, 422, "series must be a UID (digits and dots)");
			goto out;
		}
		if ((tags_text = series_tags(r, json_string_value(js))) ==
		    NULL)
			goto out;
	} else if ((tags_text = json_dumps(jt, JSON_COMPACT)) == NULL) {
		http_reply_error(r, 500, "out of memory");
		goto out;
	}
	if (mc_tagset_create(&t) != MC_OK ||
	    tags_json_decode(tags_text, strlen(tags_text), t, &replaced, err,
	        sizeof(err)) != MC_OK) {
		http_reply_error(r, 422, "tags: %s",
		    err[0] ? err : "expected an object of strings");
		goto out;
	}
	hit = rule_eval(ru, t, &why);
	http_reply_json(r, 200,
	    json_pack("{s:s,s:s?,s:o}", "result", hit ? "trigger" : "reject",
	        "reason", why, "tags", tag_rows(ru, t)));
out:
	json_decref(body);
	free(tags_text);
	mc_tagset_destroy(t);
	rule_free(ru);
}
