/* http_files.c - what the API reads from the storage root on the HTTP
 * thread: one task's folder (task.json, result.json, earlier attempts,
 * the worker log's tail) and the finished tasks of success/, error/ and
 * discard/, newest first. Every path is built from a task id that
 * task_id_is_valid() accepted and a fixed folder name, so nothing
 * outside the storage root can be named; files are read size-bounded,
 * never through a link. A task may move while it is read: a file gone
 * is treated as absent. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "http/http_int.h"
#include "os/sys_files.h"
#include "task/task_json.h"
#include "task/task_limits.h"
#include "tags/uid.h"

#define HTTP_TASK_FILE_MAX (4 * 1024 * 1024)
#define HTTP_LOG_TAIL 8192
#define HTTP_ATTEMPTS_MAX 64
#define HTTP_LIST_MAX 100000 /* entries looked at in one folder */

static const char *const task_dirs[] = {
    "tasks", "success", "error", "discard"};
static const char *const task_state_names[] = {
    "active", "success", "error", "discard"};

long
http_files_count(const http_server *s, const char *dir)
{
	char   path[MC_PATH_MAX], err[256];
	size_t n = 0;

	if (sys_path_fmt(path, sizeof(path), "%s/%s", s->root, dir) != MC_OK ||
	    sys_files_count_entries(path, NULL, 0, &n, err, sizeof(err)) !=
	        MC_OK)
		return -1;
	return (long) n;
}

/* http_files_json - the JSON in path, or NULL when absent or unreadable; a
 * file that is not JSON becomes {"unparsable": true} */
json_t *
http_files_json(const char *path)
{
	char        *text = NULL;
	size_t       len = 0;
	json_error_t e;
	json_t      *j;

	if (sys_read_plain_file(path, HTTP_TASK_FILE_MAX, &text, &len) !=
	    MC_OK)
		return NULL;
	j = json_loadb(text, len, 0, &e);
	free(text);
	return j ? j : json_pack("{s:b}", "unparsable", 1);
}

json_t *
http_files_log_tail(const char *path)
{
	char  *text = NULL;
	size_t len = 0, from;

	if (sys_read_plain_file(path, 64 * 1024 * 1024, &text, &len) != MC_OK)
		return json_null();
	from = len > HTTP_LOG_TAIL ? len - HTTP_LOG_TAIL : 0;
	/* start at a line, and never inside a UTF-8 sequence */
	while (from > 0 && from < len && text[from - 1] != '\n')
		from++;
	json_t *j = json_stringn(text + from, len - from);
	if (j == NULL) { /* not UTF-8: keep the ASCII */
		for (size_t i = from; i < len; i++)
			if ((unsigned char) text[i] >= 0x80 || text[i] == 0)
				text[i] = '?';
		j = json_stringn(text + from, len - from);
	}
	free(text);
	return j ? j : json_null();
}

void
http_files_task(http_req *r, const char *id)
{
	char    dir[MC_PATH_MAX], p[MC_PATH_MAX + 32];
	json_t *j, *att;
	size_t  i;

	for (i = 0; i < sizeof(task_dirs) / sizeof(task_dirs[0]); i++)
		if (sys_path_fmt(dir, sizeof(dir), "%s/%s/%s", r->srv->root,
		        task_dirs[i], id) == MC_OK &&
		    sys_exists(dir))
			break;
	if (i == sizeof(task_dirs) / sizeof(task_dirs[0])) {
		http_reply_error(r, 404, "no such task");
		return;
	}
	j = json_pack("{s:s,s:s}", "id", id, "state", task_state_names[i]);
	att = json_array();
	if (j == NULL || att == NULL) {
		json_decref(j);
		json_decref(att);
		http_reply_error(r, 500, "out of memory");
		return;
	}
	snprintf(p, sizeof(p), "%s/" TASK_JSON_NAME, dir);
	json_object_set_new(j, "task", http_files_json(p));
	snprintf(p, sizeof(p), "%s/" TASK_RESULT_NAME, dir);
	json_object_set_new(j, "result", http_files_json(p));
	for (unsigned k = 1; k <= HTTP_ATTEMPTS_MAX; k++) {
		json_t *a;
		snprintf(p, sizeof(p), "%s/result.%u.json", dir, k);
		if ((a = http_files_json(p)) == NULL)
			break;
		json_array_append_new(att, a);
	}
	json_object_set_new(j, "attempts", att);
	snprintf(p, sizeof(p), "%s/worker.log", dir);
	json_object_set_new(j, "log_tail", http_files_log_tail(p));
	http_reply_json(r, 200, j);
}

typedef struct listed {
	char    id[MC_TASK_ID_LEN + 1];
	int64_t mtime;
} listed;

static int
newest_first(const void *a, const void *b)
{
	const listed *x = a, *y = b;

	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? 1 : -1;
	return strcmp(x->id, y->id);
}

void
http_files_tasks(
    http_req *r, const char *state, unsigned limit, uint64_t before)
{
	char           dir[MC_PATH_MAX], p[MC_PATH_MAX + 64];
	DIR           *d;
	struct dirent *de;
	listed        *l = NULL;
	size_t         n = 0, cap = 0, seen = 0;
	json_t        *arr;

	if (sys_path_fmt(dir, sizeof(dir), "%s/%s", r->srv->root, state) !=
	        MC_OK ||
	    (d = opendir(dir)) == NULL) {
		http_reply_error(r, 500, "cannot read %s/", state);
		return;
	}
	while ((de = readdir(d)) != NULL && seen++ < HTTP_LIST_MAX) {
		struct stat st;
		if (!task_id_is_valid(de->d_name))
			continue;
		if (sys_path_fmt(p, sizeof(p), "%s/%.36s", dir, de->d_name) !=
		        MC_OK ||
		    lstat(p, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		if (before != 0 && (uint64_t) st.st_mtim.tv_sec >= before)
			continue;
		if (n == cap) {
			size_t  nc = cap ? 2 * cap : 64;
			listed *nl = realloc(l, nc * sizeof(*nl));
			if (nl == NULL)
				break;
			l = nl;
			cap = nc;
		}
		snprintf(l[n].id, sizeof(l[n].id), "%.36s", de->d_name);
		l[n++].mtime = (int64_t) st.st_mtim.tv_sec;
	}
	closedir(d);
	if (n > 1)
		qsort(l, n, sizeof(*l), newest_first);
	arr = json_array();
	for (size_t i = 0; arr && i < n && i < limit; i++) {
		task_meta m;
		char      err[256];
		json_t *t = json_pack("{s:s,s:s,s:I}", "id", l[i].id, "state",
		    state, "time", (json_int_t) l[i].mtime);
		snprintf(p, sizeof(p), "%s/%s/" TASK_JSON_NAME, dir, l[i].id);
		if (t != NULL &&
		    task_json_read_meta(p, &m, err, sizeof(err)) == MC_OK) {
			json_object_set_new(t, "kind", json_string(m.kind));
			json_object_set_new(t, "rule", json_string(m.rule));
			json_object_set_new(t, "series", json_string(m.uid));
			json_object_set_new(
			    t, "attempt", json_integer(m.attempt));
		}
		json_array_append_new(arr, t);
	}
	free(l);
	http_reply_json(r, 200,
	    json_pack("{s:s,s:o}", "state", state, "tasks",
	        arr ? arr : json_array()));
}
