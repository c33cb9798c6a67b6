/* builtin_registry.c - the built-in modules the worker runs: one row per
 * line of config/builtin_modules.def (each builtin_<name>.c defines
 * builtin_ops_<name>), and what every built-in shares: the run around
 * its ops (log header, settings check), failures, its log, the walk over
 * its inputs. The built-ins themselves are builtin_<name>.c. */
#include "process/builtin/builtin.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "os/sys_files.h"
#include "os/sys_fs.h"
#include "task/task_limits.h"

#define BUILTIN_LINE_MAX 512

#define BUILTIN_MODULE(name, check)                                           \
	extern const builtin_ops builtin_ops_##name;
#include "config/builtin_modules.def"
#undef BUILTIN_MODULE

static const builtin_ops *const ROWS[] = {
#define BUILTIN_MODULE(name, check) &builtin_ops_##name,
#include "config/builtin_modules.def"
#undef BUILTIN_MODULE
};
#define ROWS_N (sizeof(ROWS) / sizeof(ROWS[0]))

const builtin_ops *
builtin_find(const char *name)
{
	for (size_t i = 0; name != NULL && i < ROWS_N; i++)
		if (strcmp(ROWS[i]->name, name) == 0)
			return ROWS[i];
	return NULL;
}

mc_err
builtin_fail(
    module_outcome *out, mc_err rv, bool retryable, const char *fmt, ...)
{
	va_list ap;

	out->ok = false;
	out->retryable = retryable;
	va_start(ap, fmt);
	vsnprintf(out->error, sizeof(out->error), fmt, ap);
	va_end(ap);
	return rv;
}

static void
append_line(const char *path, const char *task_id, const char *line)
{
	size_t n = strlen(line);

	if (sys_append(path, line, n, SYS_SYNC_NONE) != MC_OK)
		log_warn(
		    "event=module.log_failed task=%s path=%s", task_id, path);
}

void
builtin_log(const builtin_ctx *ctx, const char *fmt, ...)
{
	char    line[BUILTIN_LINE_MAX];
	va_list ap;
	int     n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t) n > sizeof(line) - 2)
		n = (int) sizeof(line) - 2;
	line[n] = '\n';
	line[n + 1] = '\0';
	append_line(ctx->log_path, ctx->task_id, line);
}

mc_err
builtin_each_input(const builtin_ctx *ctx, builtin_input_fn fn, void *arg,
    module_outcome *out)
{
	char **names = NULL;
	size_t n = 0;
	char   src[MC_PATH_MAX], dst[MC_PATH_MAX];
	char   err[MODULE_ERROR_MAX_LEN + 1];
	mc_err rv;

	if ((rv = sys_files_list(ctx->in_dir, &names, &n, err, sizeof(err))) !=
	    MC_OK)
		return builtin_fail(out, rv, rv != MC_EREFUSED,
		    "module '%s': %s", ctx->name, err);
	for (size_t i = 0; i < n && rv == MC_OK; i++) {
		if (strcmp(names[i], TASK_JSON_NAME) == 0 ||
		    strcmp(names[i], TASK_RESULT_NAME) == 0)
			continue;
		if (sys_path_fmt(src, sizeof(src), "%s/%s", ctx->in_dir,
		        names[i]) != MC_OK ||
		    sys_path_fmt(dst, sizeof(dst), "%s/%s", ctx->out_dir,
		        names[i]) != MC_OK)
			rv = builtin_fail(out, MC_EINVAL, false,
			    "module '%s': path too long: %s", ctx->name,
			    names[i]);
		else
			rv = fn(ctx, names[i], src, dst, arg, out);
	}
	sys_files_free(names, n);
	return rv;
}

mc_err
builtin_module_run(const module_run_opts *o, module_outcome *out)
{
	const builtin_ops *ops = builtin_find(o->m->builtin);
	builtin_ctx        ctx = {o->m->name, o->in_dir, o->out_dir,
            o->m->settings_json ? o->m->settings_json : "{}", o->log_path,
	           o->task_id, o->step};
	char               line[BUILTIN_LINE_MAX], when[32], msg[256];
	time_t             now = time(NULL);
	struct tm          tm;
	mc_err             rv;

	memset(out, 0, sizeof(*out));
	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(line, sizeof(line),
	    "==== mercure-worker %s task=%s step=%zu module=%s: builtin %s\n",
	    when, o->task_id, o->step, o->m->name,
	    o->m->builtin ? o->m->builtin : "");
	append_line(o->log_path, o->task_id, line);
	if (ops == NULL)
		return builtin_fail(out, MC_ENOENT, false,
		    "module '%s': unknown built-in module '%s'", o->m->name,
		    o->m->builtin ? o->m->builtin : "");
	msg[0] = '\0';
	if (ops->check_settings != NULL &&
	    (rv = ops->check_settings(ctx.settings_json, msg, sizeof(msg))) !=
	        MC_OK)
		return builtin_fail(out, rv, false,
		    "module '%s': settings: %s", o->m->name, msg);
	out->ran = true;
	rv = ops->run(&ctx, out);
	if (rv == MC_OK) {
		out->ok = true;
		out->error[0] = '\0';
	} else if (out->error[0] == '\0') {
		builtin_fail(out, rv, false, "module '%s' failed: %s",
		    o->m->name, mc_strerror(rv));
	}
	return rv;
}
