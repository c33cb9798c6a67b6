/* nomad_job_hcl.c - the HCL2 job file for a job description: the same
 * fields nomad_job_json() sends, in jobspec2's names (reference 2.1 and
 * 5.1: durations as strings, resources cpu/memory, volume_mount, ...).
 * nomad/mercure-worker.nomad.hcl is this output; unit.nomad_job keeps
 * the two identical and test_nomad_jobfile compares the file, parsed,
 * with the JSON the coordinator registers. */
#include "sched/nomad/nomad_job.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HCL_ATTRS_MAX 8
#define HCL_VALUE_MAX 2048

typedef struct hbuf {
	char  *p;
	size_t len, cap;
	bool   oom;
} hbuf;

/* hvar - a value printed as a variable reference in NOMAD_HCL_VARIABLES */
typedef struct hvar {
	const char *value, *name;
	bool        prefix; /* also as the head of a longer path */
} hvar;

typedef struct hctx {
	hbuf        b;
	hvar        vars[8];
	size_t      n_vars;
	const char *keys[HCL_ATTRS_MAX];
	char        vals[HCL_ATTRS_MAX][HCL_VALUE_MAX];
	size_t      n_attrs;
	int         depth;
} hctx;

static void put(hbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
put(hbuf *b, const char *fmt, ...)
{
	va_list ap;
	int     n;

	if (b->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(
	    b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if (b->p == NULL || b->len + (size_t) n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char  *p;
		while (cap < b->len + (size_t) n + 1)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t) n;
}

/* quote - s as an HCL string literal; ${...} and %{...} stay as they are
 * (Nomad leaves NOMAD_*, attr, meta and node to the client) */
static void
quote(char *out, size_t len, const char *s)
{
	size_t o = 0;

	if (len < 3) {
		out[0] = '\0';
		return;
	}
	out[o++] = '"';
	for (; *s && o + 3 < len; s++) {
		if (*s == '"' || *s == '\\') {
			out[o++] = '\\';
			out[o++] = *s;
		} else if (*s == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *s;
		}
	}
	out[o++] = '"';
	out[o] = '\0';
}

/* value - s as a literal, or as a variable reference */
static void
value(hctx *h, char *out, size_t len, const char *s)
{
	char   rest[HCL_VALUE_MAX];
	size_t n;

	for (size_t i = 0; i < h->n_vars; i++) {
		const hvar *v = &h->vars[i];
		if (strcmp(s, v->value) == 0) {
			snprintf(out, len, "var.%s", v->name);
			return;
		}
		n = strlen(v->value);
		if (v->prefix && n > 0 && strncmp(s, v->value, n) == 0 &&
		    s[n] == '/') {
			quote(rest, sizeof(rest), s + n);
			/* "${var.x}/rest": splice the reference into the
			 * quotes */
			if (snprintf(out, len, "\"${var.%s}%s", v->name,
			        rest + 1) >= (int) len)
				h->b.oom = true; /* never print a cut value */
			return;
		}
	}
	quote(out, len, s);
}

static void
indent(hctx *h)
{
	for (int i = 0; i < h->depth; i++)
		put(&h->b, "  ");
}

/* attr - queue one attribute; flush() prints the queue aligned on '=' as
 * `nomad fmt` does */
static void attr(hctx *h, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
attr(hctx *h, const char *key, const char *fmt, ...)
{
	va_list ap;

	if (h->n_attrs == HCL_ATTRS_MAX) {
		h->b.oom = true; /* a programming error: no silent loss */
		return;
	}
	h->keys[h->n_attrs] = key;
	va_start(ap, fmt);
	vsnprintf(h->vals[h->n_attrs], HCL_VALUE_MAX, fmt, ap);
	va_end(ap);
	h->n_attrs++;
}

static void
attr_str(hctx *h, const char *key, const char *s)
{
	char v[HCL_VALUE_MAX];

	value(h, v, sizeof(v), s);
	attr(h, key, "%s", v);
}

static void
flush(hctx *h)
{
	size_t w = 0;

	for (size_t i = 0; i < h->n_attrs; i++)
		if (strlen(h->keys[i]) > w)
			w = strlen(h->keys[i]);
	for (size_t i = 0; i < h->n_attrs; i++) {
		indent(h);
		put(&h->b, "%-*s = %s\n", (int) w, h->keys[i], h->vals[i]);
	}
	h->n_attrs = 0;
}

static void open_block(hctx *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
open_block(hctx *h, const char *fmt, ...)
{
	char    head[256];
	va_list ap;

	flush(h);
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	indent(h);
	put(&h->b, "%s {\n", head);
	h->depth++;
}

static void
close_block(hctx *h)
{
	flush(h);
	h->depth--;
	indent(h);
	put(&h->b, "}\n");
}

static void
blank(hctx *h)
{
	flush(h);
	put(&h->b, "\n");
}

static void
comment(hctx *h, const char *text)
{
	flush(h);
	indent(h);
	put(&h->b, "# %s\n", text);
}

/* list - ["a", "b"] of n strings of stride size */
static void
list(
    hctx *h, char *out, size_t len, const char *first, size_t stride, size_t n)
{
	size_t o = 0;
	char   v[HCL_VALUE_MAX];

	o += (size_t) snprintf(out, len, "[");
	for (size_t i = 0; i < n && o < len; i++) {
		value(h, v, sizeof(v), first + i * stride);
		o += (size_t) snprintf(
		    out + o, len - o, "%s%s", i ? ", " : "", v);
	}
	if (o + 1 < len)
		snprintf(out + o, len - o, "]");
	else
		h->b.oom = true;
}

/* duration - seconds the way a person writes them in a job file */
static void
duration(char *out, size_t len, uint32_t s)
{
	if (s != 0 && s % 3600 == 0)
		snprintf(out, len, "\"%uh\"", s / 3600);
	else if (s != 0 && s % 60 == 0)
		snprintf(out, len, "\"%um\"", s / 60);
	else
		snprintf(out, len, "\"%us\"", s);
}

static void
string_variable(hctx *h, const char *name, const char *dflt)
{
	open_block(h, "variable \"%s\"", name);
	attr(h, "type", "string");
	attr_str(h, "default", dflt);
	close_block(h);
}

static void
variables(hctx *h, const nomad_job_desc *d)
{
	char v[HCL_VALUE_MAX];

	list(h, v, sizeof(v), d->datacenters[0], sizeof(d->datacenters[0]),
	    d->n_datacenters);
	open_block(h, "variable \"datacenters\"");
	attr(h, "type", "list(string)");
	attr(h, "default", "%s", v);
	close_block(h);
	string_variable(h, "driver", d->driver);
	string_variable(h, "worker_path", d->command);
	string_variable(h, "image", d->image);
	if (d->user[0])
		string_variable(h, "user", d->user);
	string_variable(h, "storage_volume", d->storage_volume);
	string_variable(h, "storage_mount", d->storage_mount);
	if (d->config_file[0]) {
		string_variable(h, "config_file", d->config_file);
		/* before storage_mount: the file may lie under it */
		h->vars[h->n_vars++] =
		    (hvar){d->config_file, "config_file", false};
	}
	blank(h);
	h->vars[h->n_vars++] = (hvar){d->storage_mount, "storage_mount", true};
	h->vars[h->n_vars++] =
	    (hvar){d->storage_volume, "storage_volume", false};
	/* an empty value would stand for every empty string */
	if (d->command[0])
		h->vars[h->n_vars++] =
		    (hvar){d->command, "worker_path", false};
	if (d->image[0])
		h->vars[h->n_vars++] = (hvar){d->image, "image", false};
	if (d->user[0])
		h->vars[h->n_vars++] = (hvar){d->user, "user", false};
}

static void
job_head(hctx *h, const nomad_job_desc *d, bool vars)
{
	char v[HCL_VALUE_MAX];

	attr(h, "type", "\"batch\"");
	attr_str(h, "namespace", d->ns[0] ? d->ns : "default");
	if (d->region[0])
		attr_str(h, "region", d->region);
	if (vars)
		snprintf(v, sizeof(v), "var.datacenters");
	else
		list(h, v, sizeof(v), d->datacenters[0],
		    sizeof(d->datacenters[0]), d->n_datacenters);
	attr(h, "datacenters", "%s", v);
	attr(h, "priority", "%d", NOMAD_JOB_PRIORITY);
	blank(h);
	open_block(h, "parameterized");
	attr(h, "payload", "\"forbidden\"");
	attr(h, "meta_required", "[\"%s\"]", NOMAD_JOB_META_TASK);
	attr(h, "meta_optional", "[]");
	close_block(h);
	for (size_t i = 0; i < d->n_constraints; i++) {
		const nomad_constraint *k = &d->constraints[i];
		blank(h);
		open_block(h, "constraint");
		if (k->attribute[0])
			attr_str(h, "attribute", k->attribute);
		attr_str(h, "operator", k->op);
		if (k->value[0])
			attr_str(h, "value", k->value);
		close_block(h);
	}
}

static void
group_policies(hctx *h, const nomad_job_desc *d)
{
	char v[64];

	attr(h, "count", "1");
	blank(h);
	open_block(h, "restart");
	attr(h, "attempts", "0");
	duration(v, sizeof(v), NOMAD_JOB_RESTART_INTERVAL_S);
	attr(h, "interval", "%s", v);
	duration(v, sizeof(v), NOMAD_JOB_RESTART_DELAY_S);
	attr(h, "delay", "%s", v);
	attr(h, "mode", "\"fail\"");
	close_block(h);
	blank(h);
	open_block(h, "reschedule");
	attr(h, "attempts", "0");
	attr(h, "unlimited", "false");
	close_block(h);
	blank(h);
	open_block(h, "disconnect");
	duration(v, sizeof(v), d->lost_after_s);
	attr(h, "lost_after", "%s", v);
	attr(h, "replace", "false");
	close_block(h);
	if (d->storage_volume[0]) {
		blank(h);
		open_block(h, "volume \"storage\"");
		attr(h, "type", "\"host\"");
		attr_str(h, "source", d->storage_volume);
		attr(h, "read_only", "false");
		close_block(h);
	}
}

/* config_attrs - the driver's config block body, as task_config() in
 * nomad_job.c sends it; with vars the image is var.image even where d
 * has none (d's driver is not docker) */
static void
config_attrs(hctx *h, const nomad_job_desc *d, bool docker, bool vars)
{
	char v[HCL_VALUE_MAX], f[HCL_VALUE_MAX];

	if (docker && vars)
		attr(h, "image", "var.image");
	else if (docker)
		attr_str(h, "image", d->image);
	if (!docker || d->command[0])
		attr_str(h, "command", d->command);
	if (!docker || d->n_args > 0) {
		list(h, v, sizeof(v), d->args[0], sizeof(d->args[0]),
		    d->n_args);
		attr(h, "args", "%s", v);
	}
	if (docker && d->config_file[0]) {
		value(h, f, sizeof(f), d->config_file);
		if (strncmp(f, "var.", 4) == 0) {
			snprintf(
			    v, sizeof(v), "\"${%.64s}:${%.64s}:ro\"", f, f);
		} else {
			snprintf(f, sizeof(f), "%s:%s:ro", d->config_file,
			    d->config_file);
			quote(v, sizeof(v), f);
		}
		attr(h, "volumes", "[%s]", v);
	}
}

static void
mount_attrs(hctx *h, const nomad_job_desc *d)
{
	attr(h, "volume", "\"storage\"");
	attr_str(h, "destination", d->storage_mount);
	attr(h, "read_only", "false");
}

/* dynamic - a block of `type` present when var.driver is (or, with
 * negate, is not) drv: a dynamic block over a list of zero or one
 * element, the HCL2 way to make a block conditional */
static void
dynamic(hctx *h, const char *type, const char *drv, bool negate)
{
	open_block(h, "dynamic \"%s\"", type);
	attr(h, "for_each", "var.driver == \"%s\" ? %s : %s", drv,
	    negate ? "[]" : "[1]", negate ? "[1]" : "[]");
	blank(h);
	open_block(h, "content");
}

/* driver_blocks - the task's config and storage mount: for d's driver
 * alone, or (vars) for whichever driver var.driver names */
static void
driver_blocks(hctx *h, const nomad_job_desc *d, bool vars)
{
	bool docker = strcmp(d->driver, "docker") == 0;

	if (!vars) {
		open_block(h, "config");
		config_attrs(h, d, docker, false);
		close_block(h);
		return;
	}
	comment(h, "exec, raw_exec: the worker on the node");
	dynamic(h, "config", "docker", true);
	config_attrs(h, d, false, true);
	close_block(h);
	close_block(h);
	blank(h);
	comment(h, "docker: the worker in the image, the configuration file "
	           "bound read-only");
	dynamic(h, "config", "docker", false);
	config_attrs(h, d, true, true);
	close_block(h);
	close_block(h);
}

static void
task_body(hctx *h, const nomad_job_desc *d, bool vars)
{
	char v[HCL_VALUE_MAX];

	if (vars)
		attr(h, "driver", "var.driver");
	else
		attr_str(h, "driver", d->driver);
	if (d->user[0])
		attr_str(h, "user", d->user);
	blank(h);
	driver_blocks(h, d, vars);
	blank(h);
	open_block(h, "env");
	for (size_t i = 0; i < d->n_env; i++)
		attr_str(h, d->env[i].key, d->env[i].value);
	close_block(h);
	blank(h);
	open_block(h, "resources");
	attr(h, "cpu", "%ld", d->cpu_mhz);
	attr(h, "memory", "%ld", d->memory_mb);
	if (d->gpus > 0) {
		blank(h);
		open_block(h, "device \"nvidia/gpu\"");
		attr(h, "count", "%u", d->gpus);
		close_block(h);
	}
	close_block(h);
	if (d->storage_volume[0] && vars) {
		blank(h);
		comment(h,
		    "raw_exec cannot mount: there the group volume only "
		    "places the task");
		dynamic(h, "volume_mount", "raw_exec", true);
		mount_attrs(h, d);
		close_block(h);
		close_block(h);
	} else if (d->storage_volume[0] &&
	           strcmp(d->driver, "raw_exec") != 0) {
		blank(h);
		open_block(h, "volume_mount");
		mount_attrs(h, d);
		close_block(h);
	}
	blank(h);
	duration(v, sizeof(v), NOMAD_JOB_KILL_TIMEOUT_S);
	attr(h, "kill_timeout", "%s", v);
}

mc_err
nomad_job_hcl(const nomad_job_desc *d, int flags, char **out)
{
	hctx *h = calloc(1, sizeof(*h));
	bool  vars = (flags & NOMAD_HCL_VARIABLES) != 0;

	*out = NULL;
	if (h == NULL)
		return MC_ENOMEM;
	put(&h->b,
	    "# %s.nomad.hcl - generated by nomad_job_hcl() "
	    "(coordinator/sched/nomad/nomad_job_hcl.c) from\n"
	    "# the description the coordinator registers at start "
	    "(PUT /v1/jobs); do not\n"
	    "# edit: unit.nomad_job fails until this file is "
	    "regenerated (docs/nomad.md).\n\n",
	    d->id);
	if (vars)
		variables(h, d);
	open_block(h, "job \"%s\"", d->id);
	job_head(h, d, vars);
	blank(h);
	open_block(h, "group \"%s\"", d->group);
	group_policies(h, d);
	blank(h);
	open_block(h, "task \"%s\"", d->task);
	task_body(h, d, vars);
	close_block(h);
	close_block(h);
	close_block(h);
	if (h->b.oom || h->b.p == NULL) {
		free(h->b.p);
		free(h);
		return MC_ENOMEM;
	}
	*out = h->b.p;
	free(h);
	return MC_OK;
}
