/* control.c - the control socket, server side inside the loop (a REP
 * socket answers each request before taking the next, so the handler
 * runs to completion on the loop thread) and the client side.
 *
 * Design notes: the socket file is 0600 whatever the umask, and every
 * request's sender is checked again by its peer credentials (SO_PEERCRED
 * through nng): only our own user or root may steer the coordinator.
 * Every id in a request is checked for its syntax (a UID, a task UUID)
 * before it becomes part of a path, so "retry ../../x" names nothing. */
#include "core/control.h"

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/coord_int.h"
#include "base/log.h"
#include "os/sys_fs.h"
#include "tags/uid.h"

#define CONTROL_REPLY_MAX 512
#define CONTROL_REQUEST_MAX 256
#define CONTROL_SOCKET_MODE 0600

bool
coord_force_complete(
    coord *c, const char *arg, const char *info, char *reply, size_t len)
{
	series *s = series_table_find(c->series, arg);
	bool    st = study_force(c, arg);
	size_t  n = 0;
	for (series *x = series_table_first(c->series); x;) {
		series *next = series_next(x);
		if (strcmp(x->study_uid, arg) == 0 && x != s) {
			series_table_force(c->series, x);
			n++;
		}
		x = next;
	}
	if (s)
		series_table_force(c->series, s);
	if (!s && !st && n == 0) {
		snprintf(reply, len, "no open series or study %s", arg);
		return false;
	}
	coord_event(c, "force_complete", s ? arg : NULL, s ? NULL : arg, NULL,
	    NULL, NULL, info);
	snprintf(reply, len, "forced %s%s%s", s ? "series " : "",
	    st ? "study " : "", n ? "and the study's open series" : "");
	return true;
}

static void
handle(coord *c, const char *req, char *reply, size_t len)
{
	char        msg[CONTROL_REPLY_MAX - 8] = "";
	const char *arg = strchr(req, ' ');

	arg = arg ? arg + 1 : "";
	if (strncmp(req, "force-complete ", 15) == 0) {
		if (!uid_is_valid(arg)) {
			snprintf(reply, len, "error not a valid UID");
			return;
		}
		char msg2[CONTROL_REPLY_MAX - 8];
		bool ok = coord_force_complete(
		    c, arg, "control", msg2, sizeof(msg2));
		snprintf(reply, len, "%s %s", ok ? "ok" : "error", msg2);
		return;
	}
	if ((strncmp(req, "retry ", 6) == 0 ||
	        strncmp(req, "reroute ", 8) == 0) &&
	    !task_id_is_valid(arg)) {
		snprintf(reply, len, "error not a valid task id (a UUID)");
		return;
	}
	if (strncmp(req, "retry ", 6) == 0) {
		mc_err rv = tasks_retry_error(c, arg, msg, sizeof(msg));
		snprintf(
		    reply, len, "%s %s", rv == MC_OK ? "ok" : "error", msg);
		return;
	}
	if (strncmp(req, "reroute ", 8) == 0) {
		mc_err rv = router_reroute(c, arg, msg, sizeof(msg));
		snprintf(
		    reply, len, "%s %s", rv == MC_OK ? "ok" : "error", msg);
		return;
	}
	if (strcmp(req, "status") == 0) {
		snprintf(reply, len,
		    "ok open_series=%zu tasks=%u running=%u studies=%u "
		    "messages=%llu bad_messages=%llu",
		    series_table_count(c->series), HASH_COUNT(c->tasks),
		    c->sched->ops->running(c->sched), HASH_COUNT(c->studies),
		    (unsigned long long) c->n_messages,
		    (unsigned long long) c->n_bad_messages);
		return;
	}
	snprintf(reply, len, "error unknown request");
}

/* the sender of msg is our own user or root (SO_PEERCRED) */
static bool
peer_allowed(nng_msg *msg, uint64_t *uid)
{
	nng_pipe p = nng_msg_get_pipe(msg);

	*uid = UINT64_MAX;
	if (nng_pipe_get_uint64(p, NNG_OPT_IPC_PEER_UID, uid) != 0)
		return false;
	return *uid == 0 || *uid == (uint64_t) geteuid();
}

static void
on_ctl(loop *l, int fd, void *arg)
{
	coord   *c = arg;
	char     req[CONTROL_REQUEST_MAX], reply[CONTROL_REPLY_MAX];
	nng_msg *msg;
	uint64_t uid;

	(void) l;
	(void) fd;
	while (nng_recvmsg(c->ctl, &msg, NNG_FLAG_NONBLOCK) == 0) {
		snprintf(req, sizeof(req), "%.*s", (int) nng_msg_len(msg),
		    (char *) nng_msg_body(msg));
		if (!peer_allowed(msg, &uid)) {
			snprintf(reply, sizeof(reply),
			    "error not allowed: only the coordinator's user "
			    "or root may use the control socket");
			log_warn("event=control.refused uid=%lld",
			    uid == UINT64_MAX ? -1LL : (long long) uid);
		} else {
			handle(c, req, reply, sizeof(reply));
			log_info("event=control.request req=\"%s\" "
			         "reply=\"%s\"",
			    req, reply);
		}
		nng_msg_free(msg);
		nng_send(c->ctl, reply, strlen(reply) + 1, 0);
	}
}

mc_err
control_open(coord *c)
{
	char         url[MC_PATH_MAX + 8];
	nng_listener ln;
	int          fd, rv;

	if (sys_path_fmt(url, sizeof(url), "ipc://%s/%s", c->root,
	        CONTROL_SOCKET_NAME) != MC_OK)
		return MC_EINVAL;
	/* the mode is set before the listener starts taking connections */
	if ((rv = nng_rep0_open(&c->ctl)) != 0 ||
	    (rv = nng_listener_create(&ln, c->ctl, url)) != 0 ||
	    (rv = nng_listener_set_int(
	         ln, NNG_OPT_IPC_PERMISSIONS, CONTROL_SOCKET_MODE)) != 0 ||
	    (rv = nng_listener_start(ln, 0)) != 0 ||
	    (rv = nng_socket_get_int(c->ctl, NNG_OPT_RECVFD, &fd)) != 0) {
		log_error("event=control.listen_failed url=%s err=\"%s\"", url,
		    nng_strerror(rv));
		return MC_ENET;
	}
	c->ctl_open = true;
	return loop_add_fd(c->l, fd, on_ctl, c);
}

void
control_close(coord *c)
{
	if (c->ctl_open)
		nng_close(c->ctl);
	c->ctl_open = false;
}

mc_err
control_request(const char *root, const char *req, char *reply, size_t len)
{
	nng_socket s;
	char       url[4200];
	void      *buf;
	size_t     n;
	int        rv;

	if (sys_path_fmt(url, sizeof(url), "ipc://%s/%s", root,
	        CONTROL_SOCKET_NAME) != MC_OK)
		return MC_EINVAL;
	if ((rv = nng_req0_open(&s)) != 0)
		return MC_ENET;
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, CONTROL_TIMEOUT_MS);
	nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, CONTROL_TIMEOUT_MS);
	if ((rv = nng_dial(s, url, NULL, 0)) != 0 ||
	    (rv = nng_send(s, (void *) req, strlen(req), 0)) != 0 ||
	    (rv = nng_recv(s, &buf, &n, NNG_FLAG_ALLOC)) != 0) {
		snprintf(reply, len, "no coordinator answers at %s: %s", url,
		    nng_strerror(rv));
		nng_close(s);
		return MC_ENET;
	}
	snprintf(reply, len, "%.*s", (int) n, (char *) buf);
	nng_free(buf, n);
	nng_close(s);
	return MC_OK;
}
