/* result_json.c - result.json written and read with jansson
 * (result_json.h). The worker writes what it did; the coordinator reads
 * it back into the same task_result, whose strings then point into the
 * parsed document kept in r->owned.
 *
 * The reader trusts nothing: a worker may have crashed half-way, or a
 * module may have put odd text into an error, so every field's type is
 * checked and the counts are bounded before anything is kept. */
#include "task/result_json.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/sys_fs.h"
#include "task/task.h"
#include "task/task_int.h"

/* ---- writing ----------------------------------------------------------- */

static json_t *
encode_target(const task_target_report *t)
{
	json_t *j = json_object();
	int     bad_set = 0;

	if (j == NULL)
		return NULL;
	bad_set |= task_json_set(j, "ok", json_boolean(t->ok));
	bad_set |=
	    task_json_set(j, "sent", json_integer((json_int_t) t->sent));
	bad_set |=
	    task_json_set(j, "failed", json_integer((json_int_t) t->failed));
	bad_set |= task_json_set(
	    j, "retryable", json_boolean(!t->ok && t->retryable));
	bad_set |= task_json_set(j, "error", task_json_text(t->error));
	if (t->already > 0)
		bad_set |= task_json_set(
		    j, "already", json_integer((json_int_t) t->already));
	if (t->instances_json != NULL) {
		json_t *a = json_loads(t->instances_json, 0, NULL);
		if (a != NULL && !json_is_array(a)) {
			json_decref(a);
			a = NULL;
		}
		bad_set |= task_json_set(j, "instances", a);
	}
	return task_json_done(j, bad_set);
}

static json_t *
encode_step(const task_step_report *st)
{
	json_t *j = json_object();
	int     bad_set = 0;

	if (j == NULL)
		return NULL;
	bad_set |= task_json_set(j, "module", task_json_text(st->module));
	bad_set |= task_json_set(j, "ok", json_boolean(st->ok));
	bad_set |= task_json_set(j, "exit", json_integer(st->exit_code));
	bad_set |= task_json_set(j, "signal", json_integer(st->signal));
	bad_set |= task_json_set(j, "timed_out", json_boolean(st->timed_out));
	bad_set |= task_json_set(j, "ms", json_real(st->ms));
	bad_set |= task_json_set(j, "log", task_json_text(st->log));
	bad_set |= task_json_set(j, "error", task_json_text(st->error));
	return task_json_done(j, bad_set);
}

static json_t *
encode_process(const task_process_report *p)
{
	json_t *j = json_object(), *steps = json_array();
	int     bad_set = 0;

	if (j == NULL || steps == NULL) {
		json_decref(j);
		json_decref(steps);
		return NULL;
	}
	bad_set |= task_json_set(j, "ok", json_boolean(p->ok));
	bad_set |= task_json_set(
	    j, "retryable", json_boolean(!p->ok && p->retryable));
	bad_set |= task_json_set(j, "reused", json_boolean(p->reused));
	for (size_t i = 0; i < p->n_steps; i++) {
		json_t *st = encode_step(&p->steps[i]);
		bad_set |= st == NULL ? -1 : json_array_append_new(steps, st);
	}
	bad_set |= task_json_set(j, "steps", steps);
	bad_set |= task_json_set(
	    j, "output_files", json_integer((json_int_t) p->output_files));
	bad_set |= task_json_set(j, "error", task_json_text(p->error));
	return task_json_done(j, bad_set);
}

/* "process" and "module_result" of a processing task */
static int
add_process(json_t *root, const task_process_report *p)
{
	json_t *mr = NULL;
	int     bad_set = task_json_set(root, "process", encode_process(p));

	if (p->module_result_json != NULL)
		mr = json_loads(p->module_result_json, 0, NULL);
	bad_set |= task_json_set(root, "module_result", mr ? mr : json_null());
	return bad_set;
}

mc_err
task_result_encode(const task_result *r, char **out, size_t *len)
{
	json_t *root = json_object(), *targets = json_object();
	int     bad_set = 0;

	*out = NULL;
	if (root == NULL || targets == NULL) {
		json_decref(root);
		json_decref(targets);
		return MC_ENOMEM;
	}
	bad_set |= task_json_set(root, "v", json_integer(TASK_RESULT_VERSION));
	bad_set |= task_json_set(root, "task", task_json_text(r->task_id));
	bad_set |= task_json_set(root, "kind", task_json_text(r->kind));
	bad_set |= task_json_set(root, "ok", json_boolean(r->ok));
	bad_set |= task_json_set(
	    root, "retryable", json_boolean(!r->ok && r->retryable));
	bad_set |=
	    task_json_set(root, "started_us", json_integer(r->started_us));
	bad_set |=
	    task_json_set(root, "finished_us", json_integer(r->finished_us));
	if (r->process != NULL)
		bad_set |= add_process(root, r->process);
	for (size_t i = 0; i < r->n_targets; i++)
		bad_set |= task_json_set(targets, r->targets[i].name,
		    encode_target(&r->targets[i]));
	bad_set |= task_json_set(root, "targets", targets);
	bad_set |= task_json_set(root, "error", task_json_text(r->error));
	if (r->tags_set != NULL && r->tags_set[0] != '\0')
		bad_set |= task_json_set(
		    root, "tags_set", task_json_text(r->tags_set));
	if (r->n_filtered > 0) {
		json_t *f = json_array();
		for (size_t i = 0; f != NULL && i < r->n_filtered; i++)
			bad_set |= json_array_append_new(
			    f, task_json_text(r->filtered[i]));
		bad_set |= task_json_set(root, "filtered", f);
	}
	if (bad_set == 0)
		*out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (*out == NULL)
		return MC_ENOMEM;
	*len = strlen(*out);
	return MC_OK;
}

/* ---- reading ----------------------------------------------------------- */

/* what task_result_parse allocates; the strings of r point into root */
typedef struct result_doc {
	json_t             *root;
	task_target_report *targets;
	task_step_report   *steps;
	task_process_report process;
	char               *module_result_json;
} result_doc;

/* the reader's context: where a refusal is written, and the object read
 * ("" for the root, "targets.pacs", "process") to name the field */
typedef struct reader {
	char  *err;
	size_t errlen;
	char   where[128];
} reader;

static mc_err
refuse(const reader *rd, const char *field, const char *what)
{
	snprintf(rd->err, rd->errlen, "%s%s%s: %s", rd->where,
	    rd->where[0] ? "." : "", field, what);
	return MC_EPARSE;
}

/* a reader for the object a (or a.b when b is given) */
static reader
reader_at(const reader *rd, const char *a, const char *b)
{
	reader sub = *rd;

	snprintf(sub.where, sizeof(sub.where), "%s%s%s", a, b ? "." : "",
	    b ? b : "");
	return sub;
}

/* o.key as text: "" when absent or null */
static mc_err
get_text(const reader *rd, json_t *o, const char *key, const char **out)
{
	json_t *v = json_object_get(o, key);

	*out = json_is_string(v) ? json_string_value(v) : "";
	if (v != NULL && !json_is_string(v) && !json_is_null(v))
		return refuse(rd, key, "must be a string");
	return MC_OK;
}

/* o.key as true/false: def when absent */
static mc_err
get_flag(const reader *rd, json_t *o, const char *key, bool def, bool *out)
{
	json_t *v = json_object_get(o, key);

	*out = v == NULL ? def : json_is_true(v);
	if (v != NULL && !json_is_boolean(v))
		return refuse(rd, key, "must be true or false");
	return MC_OK;
}

/* o.key as a whole number in [lo, hi]: 0 when absent */
static mc_err
get_int(const reader *rd, json_t *o, const char *key, json_int_t lo,
    json_int_t hi, json_int_t *out)
{
	json_t *v = json_object_get(o, key);

	*out = json_integer_value(v);
	if (v != NULL && (!json_is_integer(v) || *out < lo || *out > hi))
		return refuse(rd, key, "must be a whole number in range");
	return MC_OK;
}

static mc_err
get_count(const reader *rd, json_t *o, const char *key, size_t *out)
{
	json_int_t n;
	mc_err     rv = get_int(rd, o, key, 0, INT64_MAX, &n);

	*out = (size_t) n;
	return rv;
}

static mc_err
read_target(
    const reader *parent, const char *name, json_t *o, task_target_report *t)
{
	reader rd = reader_at(parent, "targets", name);
	mc_err rv;

	if (!json_is_object(o))
		return refuse(parent, rd.where, "must be an object");
	t->name = name;
	if ((rv = get_flag(&rd, o, "ok", false, &t->ok)) != MC_OK ||
	    (rv = get_flag(&rd, o, "retryable", false, &t->retryable)) !=
	        MC_OK ||
	    (rv = get_count(&rd, o, "sent", &t->sent)) != MC_OK ||
	    (rv = get_count(&rd, o, "failed", &t->failed)) != MC_OK ||
	    (rv = get_text(&rd, o, "error", &t->error)) != MC_OK)
		return rv;
	json_t *inst = json_object_get(o, "instances");
	if (inst != NULL && !json_is_array(inst))
		return refuse(&rd, "instances", "must be an array");
	t->n_instances = json_array_size(inst);
	t->instances = inst;
	return MC_OK;
}

bool
task_target_instance(
    const task_target_report *t, size_t i, task_instance_report *out)
{
	json_t *e = json_array_get(t->instances, i);
	json_t *v;

	out->file = out->sop = "";
	out->status = -1;
	out->ok = false;
	if (!json_is_object(e))
		return false;
	if (json_is_string(v = json_object_get(e, "file")))
		out->file = json_string_value(v);
	if (json_is_string(v = json_object_get(e, "sop")))
		out->sop = json_string_value(v);
	if (json_is_integer(v = json_object_get(e, "status")) &&
	    json_integer_value(v) >= 0 && json_integer_value(v) <= 0xffff)
		out->status = (long) json_integer_value(v);
	out->ok = json_is_true(json_object_get(e, "ok"));
	return true;
}

static mc_err
read_targets(const reader *rd, json_t *root, result_doc *doc, task_result *r)
{
	json_t     *targets = json_object_get(root, "targets"), *v;
	const char *name;
	size_t      n = json_object_size(targets);
	mc_err      rv;

	if (targets != NULL && !json_is_object(targets) &&
	    !json_is_null(targets))
		return refuse(rd, "targets", "must be an object");
	if (n > TASK_TARGETS_MAX)
		return refuse(rd, "targets", "too many targets");
	if (n == 0)
		return MC_OK;
	if ((doc->targets = calloc(n, sizeof(*doc->targets))) == NULL)
		return MC_ENOMEM;
	json_object_foreach(targets, name, v)
	{
		rv = read_target(rd, name, v, &doc->targets[r->n_targets]);
		if (rv != MC_OK)
			return rv;
		r->n_targets++;
	}
	r->targets = doc->targets;
	return MC_OK;
}

static mc_err
read_step(const reader *parent, json_t *o, task_step_report *st)
{
	reader     rd = reader_at(parent, parent->where, "steps");
	json_int_t code, sig;
	json_t    *ms = json_object_get(o, "ms");
	mc_err     rv;

	if (!json_is_object(o))
		return refuse(parent, "steps", "each step must be an object");
	if (ms != NULL && !json_is_number(ms))
		return refuse(&rd, "ms", "must be a number");
	st->ms = json_number_value(ms);
	if ((rv = get_text(&rd, o, "module", &st->module)) != MC_OK ||
	    (rv = get_flag(&rd, o, "ok", false, &st->ok)) != MC_OK ||
	    (rv = get_flag(&rd, o, "timed_out", false, &st->timed_out)) !=
	        MC_OK ||
	    (rv = get_int(&rd, o, "exit", -1, 255, &code)) != MC_OK ||
	    (rv = get_int(&rd, o, "signal", 0, 255, &sig)) != MC_OK ||
	    (rv = get_text(&rd, o, "log", &st->log)) != MC_OK ||
	    (rv = get_text(&rd, o, "error", &st->error)) != MC_OK)
		return rv;
	st->exit_code = (int) code;
	st->signal = (int) sig;
	return MC_OK;
}

static mc_err
read_steps(const reader *rd, json_t *steps, result_doc *doc)
{
	task_process_report *p = &doc->process;
	size_t               i;
	json_t              *v;
	mc_err               rv;

	if (steps == NULL || json_is_null(steps))
		return MC_OK;
	if (!json_is_array(steps))
		return refuse(rd, "steps", "must be a list");
	if (json_array_size(steps) > TASK_STEPS_MAX)
		return refuse(rd, "steps", "too many steps");
	if (json_array_size(steps) == 0)
		return MC_OK;
	doc->steps = calloc(json_array_size(steps), sizeof(*doc->steps));
	if (doc->steps == NULL)
		return MC_ENOMEM;
	json_array_foreach(steps, i, v)
	{
		if ((rv = read_step(rd, v, &doc->steps[i])) != MC_OK)
			return rv;
		p->n_steps = i + 1;
	}
	p->steps = doc->steps;
	return MC_OK;
}

/* "process" and the module_result that goes with it */
static mc_err
read_process(
    const reader *parent, json_t *root, result_doc *doc, task_result *r)
{
	reader               rd = reader_at(parent, "process", NULL);
	json_t              *o = json_object_get(root, "process");
	json_t              *mr = json_object_get(root, "module_result");
	task_process_report *p = &doc->process;
	mc_err               rv;

	if (o == NULL || json_is_null(o))
		return MC_OK;
	if (!json_is_object(o))
		return refuse(parent, "process", "must be an object");
	if ((rv = get_flag(&rd, o, "ok", false, &p->ok)) != MC_OK ||
	    (rv = get_flag(&rd, o, "retryable", false, &p->retryable)) !=
	        MC_OK ||
	    (rv = get_flag(&rd, o, "reused", false, &p->reused)) != MC_OK ||
	    (rv = get_count(&rd, o, "output_files", &p->output_files)) !=
	        MC_OK ||
	    (rv = get_text(&rd, o, "error", &p->error)) != MC_OK ||
	    (rv = read_steps(&rd, json_object_get(o, "steps"), doc)) != MC_OK)
		return rv;
	if (json_is_object(mr)) {
		doc->module_result_json =
		    json_dumps(mr, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (doc->module_result_json == NULL)
			return MC_ENOMEM;
		p->module_result_json = doc->module_result_json;
	}
	r->process = p;
	return MC_OK;
}

/* module_result.notification: what a module asked to be told */
static mc_err
read_notification(const reader *rd, json_t *root, task_result *r)
{
	json_t *mr = json_object_get(root, "module_result");
	json_t *n = json_object_get(mr, "notification");
	reader  sub;
	mc_err  rv;

	r->notify_text = "";
	if (mr != NULL && !json_is_object(mr) && !json_is_null(mr))
		return refuse(rd, "module_result", "must be an object");
	if (n == NULL || json_is_null(n))
		return MC_OK;
	sub = reader_at(rd, "module_result", "notification");
	if (!json_is_object(n))
		return refuse(rd, sub.where, "must be an object");
	if ((rv = get_text(&sub, n, "text", &r->notify_text)) != MC_OK ||
	    (rv = get_flag(
	         &sub, n, "requested", false, &r->notify_requested)) != MC_OK)
		return rv;
	return MC_OK;
}

/* the worker's own verdict wins (a processing failure names no target);
 * without one, a failed target that may pass on retry, or a failure
 * that names no target (a crash) */
static mc_err
read_retryable(const reader *rd, json_t *root, task_result *r)
{
	json_t *v = json_object_get(root, "retryable");
	size_t  n_failed = 0;

	if (v != NULL && !json_is_boolean(v))
		return refuse(rd, "retryable", "must be true or false");
	if (v != NULL) {
		r->retryable = json_is_true(v);
		return MC_OK;
	}
	for (size_t i = 0; i < r->n_targets; i++) {
		if (r->targets[i].ok)
			continue;
		n_failed++;
		r->retryable |= r->targets[i].retryable;
	}
	if (!r->ok && n_failed == 0)
		r->retryable = true;
	return MC_OK;
}

static mc_err
read_head(const reader *rd, json_t *root, task_result *r)
{
	json_int_t v, t0, t1;
	mc_err     rv;

	if ((rv = get_int(rd, root, "v", TASK_RESULT_VERSION,
	         TASK_RESULT_VERSION, &v)) != MC_OK ||
	    (rv = get_text(rd, root, "task", &r->task_id)) != MC_OK ||
	    (rv = get_text(rd, root, "kind", &r->kind)) != MC_OK ||
	    (rv = get_flag(rd, root, "ok", false, &r->ok)) != MC_OK ||
	    (rv = get_int(rd, root, "started_us", 0, INT64_MAX, &t0)) !=
	        MC_OK ||
	    (rv = get_int(rd, root, "finished_us", 0, INT64_MAX, &t1)) !=
	        MC_OK ||
	    (rv = get_text(rd, root, "error", &r->error)) != MC_OK ||
	    (rv = get_text(rd, root, "tags_set", &r->tags_set)) != MC_OK)
		return rv;
	json_t *filtered = json_object_get(root, "filtered");
	if (filtered != NULL && !json_is_array(filtered))
		return refuse(rd, "filtered", "must be an array");
	r->n_filtered = json_array_size(filtered);
	if (r->task_id[0] != '\0' && !task_id_is_safe(r->task_id))
		return refuse(rd, "task", "not a task id");
	r->started_us = (int64_t) t0;
	r->finished_us = (int64_t) t1;
	return MC_OK;
}

static void
doc_free(result_doc *doc)
{
	if (doc == NULL)
		return;
	json_decref(doc->root);
	free(doc->targets);
	free(doc->steps);
	free(doc->module_result_json);
	free(doc);
}

mc_err
task_result_parse(
    const char *text, size_t len, task_result *r, char *err, size_t errlen)
{
	reader       rd = {err, errlen, ""};
	result_doc  *doc = calloc(1, sizeof(*doc));
	json_error_t je;
	mc_err       rv;

	memset(r, 0, sizeof(*r));
	if (doc == NULL)
		return MC_ENOMEM;
	doc->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(doc->root)) {
		snprintf(err, errlen, "line %d column %d: %s", je.line,
		    je.column, doc->root ? "not an object" : je.text);
		doc_free(doc);
		return MC_EPARSE;
	}
	if ((rv = read_head(&rd, doc->root, r)) != MC_OK ||
	    (rv = read_targets(&rd, doc->root, doc, r)) != MC_OK ||
	    (rv = read_process(&rd, doc->root, doc, r)) != MC_OK ||
	    (rv = read_notification(&rd, doc->root, r)) != MC_OK ||
	    (rv = read_retryable(&rd, doc->root, r)) != MC_OK) {
		doc_free(doc);
		memset(r, 0, sizeof(*r));
		return rv;
	}
	r->owned = doc;
	return MC_OK;
}

mc_err
task_result_read(const char *path, task_result *r, char *err, size_t errlen)
{
	char  *text, why[256];
	size_t len;
	mc_err rv;

	memset(r, 0, sizeof(*r));
	if ((rv = sys_read_file(path, &text, &len)) != MC_OK) {
		snprintf(err, errlen, "%s: %s", path, mc_strerror(rv));
		return rv;
	}
	rv = task_result_parse(text, len, r, why, sizeof(why));
	free(text);
	if (rv != MC_OK)
		snprintf(err, errlen, "%s: %s", path, why);
	return rv;
}

void
task_result_fini(task_result *r)
{
	doc_free(r->owned);
	memset(r, 0, sizeof(*r));
}

mc_err
task_result_archive(const char *dir, unsigned attempt)
{
	char a[MC_PATH_MAX], b[MC_PATH_MAX];

	if (sys_path_fmt(a, sizeof(a), "%s/%s", dir, TASK_RESULT_NAME) !=
	        MC_OK ||
	    sys_path_fmt(b, sizeof(b), "%s/result.%u.json", dir, attempt) !=
	        MC_OK)
		return MC_EINVAL;
	if (!sys_exists(a))
		return MC_OK;
	return rename(a, b) == 0 ? MC_OK : MC_EIO;
}
