/* qr_ingest.c - C-GET'd files into the router through getdcmtags (see
 * qr_ingest.h). A file moves from the staging folder into incoming/
 * only once it is complete (C-GET removes what it could not finish), and
 * the move is a rename on one file system, so incoming/ never holds half
 * a file. getdcmtags then does what the receiver does for a C-STORE:
 * checks the UIDs, files the instance by them, writes its .tags (with
 * mercureForceRule when a rule is forced) and sends the instance
 * message; the coordinator's rescan of incoming/ finds the file even if
 * that message is lost. */
#include "retrieve/qr_ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "os/sys_files.h"
#include "os/sys_fs.h"
#include "os/sys_spawn.h"

#define QR_INGEST_TIMEOUT_MS 60000 /* one getdcmtags run */
#define QR_INGEST_RULE_MAX 256

struct qr_ingest {
	const mc_config         *cfg;
	const config_dicom_node *node;
	char                     getdcmtags[MC_PATH_MAX];
	char                     dir[MC_PATH_MAX];      /* staging */
	char                     incoming[MC_PATH_MAX]; /* <root>/incoming */
	char set_tag[sizeof("mercureForceRule=") + QR_INGEST_RULE_MAX];
};

/* find_getdcmtags - beside this program (as the worker is found), else
 * on PATH */
static mc_err
find_getdcmtags(char *buf, size_t len)
{
	char    self[MC_PATH_MAX], dir[MC_PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		sys_dirname_of(self, dir, sizeof(dir));
		if (sys_path_fmt(buf, len, "%s/getdcmtags", dir) == MC_OK &&
		    access(buf, X_OK) == 0)
			return MC_OK;
	}
	return sys_spawn_which("getdcmtags", buf, len);
}

mc_err
qr_ingest_create(const mc_config *cfg, const config_dicom_node *node,
    const char *force_rule, qr_ingest **out, char *err, size_t errlen)
{
	qr_ingest *q;

	*out = NULL;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return MC_ENOMEM;
	q->cfg = cfg;
	q->node = node;
	if (force_rule != NULL &&
	    (strlen(force_rule) > QR_INGEST_RULE_MAX ||
	        sys_path_fmt(q->set_tag, sizeof(q->set_tag),
	            "mercureForceRule=%s", force_rule) != MC_OK)) {
		snprintf(err, errlen, "rule name too long");
		free(q);
		return MC_EINVAL;
	}
	if (find_getdcmtags(q->getdcmtags, sizeof(q->getdcmtags)) != MC_OK) {
		snprintf(err, errlen,
		    "getdcmtags not found beside mercure-coordinator or on "
		    "PATH: it files C-GET'd instances into incoming/");
		free(q);
		return MC_ENOENT;
	}
	if (sys_path_fmt(q->incoming, sizeof(q->incoming), "%s/incoming",
	        cfg->storage_root) != MC_OK ||
	    sys_path_fmt(q->dir, sizeof(q->dir), "%s/retrieve/%ld",
	        cfg->storage_root, (long) getpid()) != MC_OK ||
	    sys_mkdir_p(q->incoming) != MC_OK ||
	    sys_mkdir_p(q->dir) != MC_OK) {
		snprintf(err, errlen, "cannot create %s or %s", q->incoming,
		    q->dir);
		free(q);
		return MC_EIO;
	}
	*out = q;
	return MC_OK;
}

const char *
qr_ingest_dir(const qr_ingest *q)
{
	return q->dir;
}

/* run_getdcmtags - getdcmtags FILE ADDRESS SENDER_AET RECEIVER_AET, as
 * mercure's query tool calls it: the node as the sender */
static mc_err
run_getdcmtags(qr_ingest *q, const char *file, char *err, size_t errlen)
{
	char *argv[] = {q->getdcmtags, (char *) file, (char *) q->node->ip,
	    (char *) q->node->aet_target, (char *) q->cfg->receiver.aet,
	    q->set_tag[0] ? (char *) "--set-tag" : NULL, q->set_tag, NULL};
	sys_spawn_opts   so = {argv, NULL, NULL, SYS_SPAWN_NEW_PGROUP};
	sys_child_status st;
	pid_t            pid;
	char             how[96];
	mc_err           rv;

	if ((rv = sys_spawn_start(&so, &pid, err, errlen)) != MC_OK)
		return rv;
	if ((rv = sys_spawn_wait(pid, QR_INGEST_TIMEOUT_MS, &st)) != MC_OK) {
		sys_spawn_kill_group(pid, 0, &st);
		snprintf(err, errlen, "getdcmtags %.300s: %s", file,
		    mc_strerror(rv));
		return rv;
	}
	if (st.exited && st.exit_code == 0)
		return MC_OK;
	sys_child_status_str(&st, how, sizeof(how));
	snprintf(err, errlen,
	    "getdcmtags refused %.300s (%s); see incoming/error/", file, how);
	return MC_EIO;
}

/* ingest_one - staging/<name> to incoming/qr-<pid>-<name>, then
 * getdcmtags; back to staging if getdcmtags could not even start */
static mc_err
ingest_one(qr_ingest *q, const char *name, char *err, size_t errlen)
{
	char   from[MC_PATH_MAX], to[MC_PATH_MAX];
	mc_err rv;

	if (sys_path_fmt(from, sizeof(from), "%s/%s", q->dir, name) != MC_OK ||
	    sys_path_fmt(to, sizeof(to), "%s/qr-%ld-%s", q->incoming,
	        (long) getpid(), name) != MC_OK) {
		snprintf(err, errlen, "path too long: %s", name);
		return MC_EINVAL;
	}
	if ((rv = sys_files_rename(from, to, err, errlen)) != MC_OK)
		return rv;
	rv = run_getdcmtags(q, to, err, errlen);
	if (rv != MC_OK && sys_exists(to))
		(void) !sys_files_rename(to, from, NULL, 0);
	return rv;
}

mc_err
qr_ingest_flush(
    qr_ingest *q, size_t *ok, size_t *failed, char *err, size_t errlen)
{
	char **names = NULL;
	size_t n = 0;
	mc_err rv, first = MC_OK;
	char   why[512];

	*ok = *failed = 0;
	if (q->cfg->coordinator_url != NULL)
		setenv("MERCURE_COORDINATOR", q->cfg->coordinator_url, 1);
	if ((rv = sys_files_list(q->dir, &names, &n, err, errlen)) != MC_OK)
		return rv;
	for (size_t i = 0; i < n; i++) {
		rv = ingest_one(q, names[i], why, sizeof(why));
		if (rv == MC_OK) {
			(*ok)++;
			continue;
		}
		(*failed)++;
		log_warn("event=retrieve.ingest_failed file=%s msg=\"%s\"",
		    names[i], why);
		if (first == MC_OK) {
			first = MC_EIO;
			snprintf(err, errlen, "%s", why);
		}
	}
	sys_files_free(names, n);
	return first;
}

void
qr_ingest_destroy(qr_ingest *q)
{
	char **names = NULL;
	size_t n = 0;
	char   err[256];

	if (q == NULL)
		return;
	if (sys_files_list(q->dir, &names, &n, err, sizeof(err)) == MC_OK &&
	    n == 0)
		(void) !sys_files_remove_dir(q->dir, err, sizeof(err));
	else if (n > 0)
		log_warn(
		    "event=retrieve.staging_kept dir=%s files=%zu", q->dir, n);
	sys_files_free(names, n);
	free(q);
}
