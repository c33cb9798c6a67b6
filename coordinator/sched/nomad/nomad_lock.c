/* nomad_lock.c - the leader lock's three calls (nomad_lock.h) as
 * blocking calls on a client of its own, so the lease thread never waits
 * behind the backend's dispatches and blocking queries. The bodies follow
 * reference 1.11: the acquire sends TTL and LockDelay as duration strings
 * and never a Lock.ID (two holders sending the same ID would both hold
 * it); renew and release send only the ID. */
#include "sched/nomad/nomad_lock.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "sched/nomad/nomad_client.h"
#include "sched/nomad/sched_nomad.h"

#define LOCK_TTL_DEFAULT_S 15
#define LOCK_TTL_MIN_S 10
#define LOCK_DELAY_DEFAULT_S 15
#define LOCK_SECONDS_MAX 86400
#define LOCK_POLL_MS 50
#define LOCK_BODY_MAX 512

struct nomad_lock {
	nomad_client *c;
	char          path[129];
	char          id[NOMAD_LOCK_ID_MAX];
	char          holder[160];
	unsigned      ttl_s, delay_s, retry_ms;
};

/* lock_result - one call's answer, copied out of the callback */
typedef struct lock_result {
	bool   done;
	mc_err rv;
	long   status;
	char   id[NOMAD_LOCK_ID_MAX];
	char   error[NOMAD_ERROR_MAX];
} lock_result;

static mc_err
seconds(const mc_config *cfg, const char *key, unsigned def, unsigned min,
    unsigned *out)
{
	const char *v = config_kv_get(&cfg->scheduler.fields, key);
	char       *end;
	long        n;

	*out = def;
	if (v == NULL)
		return MC_OK;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < (long) min ||
	    n > LOCK_SECONDS_MAX) {
		log_error(
		    "event=nomad.bad_setting field=scheduler.%s "
		    "msg=\"must be a whole number of seconds in %u..%d\"",
		    key, min, LOCK_SECONDS_MAX);
		return MC_ECONFIG;
	}
	*out = (unsigned) n;
	return MC_OK;
}

mc_err
nomad_lock_create(const mc_config *cfg, nomad_lock **out)
{
	nomad_lock *l = calloc(1, sizeof(*l));
	const char *path =
	    config_kv_get(&cfg->scheduler.fields, "leader_lock");
	char     host[64] = "";
	unsigned retry_s = 0;
	mc_err   rv;

	*out = NULL;
	if (l == NULL)
		return MC_ENOMEM;
	if (path == NULL || path[0] == '\0')
		path = NOMAD_LOCK_PATH_DEFAULT;
	if (strlen(path) >= sizeof(l->path) ||
	    path[strspn(path, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
	                      "rstuvwxyz0123456789-_~/")] != '\0') {
		log_error(
		    "event=nomad.bad_setting field=scheduler.leader_lock "
		    "msg=\"1-128 characters of A-Z a-z 0-9 - _ ~ /\"");
		free(l);
		return MC_ECONFIG;
	}
	snprintf(l->path, sizeof(l->path), "%s", path);
	if ((rv = seconds(cfg, "leader_ttl", LOCK_TTL_DEFAULT_S,
	         LOCK_TTL_MIN_S, &l->ttl_s)) ||
	    (rv = seconds(cfg, "leader_lock_delay", LOCK_DELAY_DEFAULT_S, 0,
	         &l->delay_s)) ||
	    (rv = seconds(cfg, "leader_retry", 0, 1, &retry_s)) ||
	    (rv = sched_nomad_client_open(cfg, &l->c)) != MC_OK) {
		free(l);
		return rv;
	}
	/* the API's standby waits 1.1 x TTL between tries */
	l->retry_ms = retry_s ? retry_s * 1000u : l->ttl_s * 1100u;
	(void) gethostname(host, sizeof(host) - 1);
	snprintf(
	    l->holder, sizeof(l->holder), "%s pid %ld", host, (long) getpid());
	*out = l;
	return MC_OK;
}

void
nomad_lock_destroy(nomad_lock *l)
{
	if (l == NULL)
		return;
	nomad_client_destroy(l->c);
	free(l);
}

static void
on_reply(void *arg, const nomad_reply *r)
{
	lock_result *x = arg;

	x->done = true;
	x->rv = r->rv;
	x->status = r->status;
	snprintf(x->id, sizeof(x->id), "%s", r->lock_id ? r->lock_id : "");
	snprintf(x->error, sizeof(x->error), "%s", r->error);
}

/* call - one lock call, waited for; the client's own timeout ends it */
static mc_err
call(nomad_lock *l, const char *op, const char *body, unsigned timeout_ms,
    lock_result *x)
{
	mc_err rv;

	memset(x, 0, sizeof(*x));
	if ((rv = nomad_client_var_lock(l->c, l->path, op, body,
	         timeout_ms ? timeout_ms : 1, on_reply, x)) != MC_OK) {
		snprintf(x->error, sizeof(x->error), "%s", mc_strerror(rv));
		return rv;
	}
	while (!x->done)
		if ((rv = nomad_client_poll(l->c, -1, LOCK_POLL_MS)) !=
		    MC_OK) {
			snprintf(
			    x->error, sizeof(x->error), "%s", mc_strerror(rv));
			return rv;
		}
	return x->rv;
}

mc_err
nomad_lock_acquire(
    nomad_lock *l, unsigned timeout_ms, char *err, size_t errlen)
{
	char        body[LOCK_BODY_MAX];
	lock_result x;
	mc_err      rv;

	snprintf(body, sizeof(body),
	    "{\"Items\":{\"holder\":\"%s\"},"
	    "\"Lock\":{\"TTL\":\"%us\",\"LockDelay\":\"%us\"}}",
	    l->holder, l->ttl_s, l->delay_s);
	l->id[0] = '\0';
	rv = call(l, "acquire", body, timeout_ms, &x);
	snprintf(err, errlen, "%s", x.error);
	if (rv == MC_OK && x.id[0] == '\0') {
		snprintf(err, errlen, "the answer carries no Lock.ID");
		return MC_EPROTO;
	}
	if (rv == MC_OK)
		snprintf(l->id, sizeof(l->id), "%s", x.id);
	else if (x.status == 409)
		return MC_EAGAIN;
	return rv;
}

mc_err
nomad_lock_renew(nomad_lock *l, unsigned timeout_ms, char *err, size_t errlen)
{
	char        body[LOCK_BODY_MAX];
	lock_result x;
	mc_err      rv;

	snprintf(body, sizeof(body), "{\"Lock\":{\"ID\":\"%s\"}}", l->id);
	rv = call(l, "renew", body, timeout_ms, &x);
	snprintf(err, errlen, "%s", x.error);
	if (rv == MC_OK && x.status != 200) {
		snprintf(err, errlen, "HTTP %ld", x.status);
		return MC_EREFUSED;
	}
	/* a server error says nothing about the lock: the caller may try
	 * again before its deadline */
	if (rv == MC_EREFUSED && x.status >= 500)
		return MC_EAGAIN;
	return rv;
}

mc_err
nomad_lock_resume(nomad_lock *l, const char *id, unsigned timeout_ms,
    char *err, size_t errlen)
{
	mc_err rv;

	if (id[0] == '\0' || strlen(id) >= sizeof(l->id) ||
	    id[strspn(id, "0123456789abcdefABCDEF-")] != '\0') {
		snprintf(err, errlen, "no usable lock ID kept");
		return MC_EINVAL;
	}
	snprintf(l->id, sizeof(l->id), "%s", id);
	if ((rv = nomad_lock_renew(l, timeout_ms, err, errlen)) != MC_OK)
		l->id[0] = '\0';
	return rv;
}

void
nomad_lock_release(nomad_lock *l, unsigned timeout_ms)
{
	char        body[LOCK_BODY_MAX];
	lock_result x;

	if (l->id[0] == '\0')
		return;
	snprintf(body, sizeof(body), "{\"Lock\":{\"ID\":\"%s\"}}", l->id);
	if (call(l, "release", body, timeout_ms, &x) != MC_OK)
		log_warn("event=coordinator.release_failed lock=%s msg=\"%s\"",
		    l->path, x.error);
	l->id[0] = '\0';
}

void
nomad_lock_forget(nomad_lock *l)
{
	l->id[0] = '\0';
}

const char *
nomad_lock_path(const nomad_lock *l)
{
	return l->path;
}

const char *
nomad_lock_id(const nomad_lock *l)
{
	return l->id;
}

int64_t
nomad_lock_ttl_ms(const nomad_lock *l)
{
	return (int64_t) l->ttl_s * 1000;
}

int64_t
nomad_lock_retry_ms(const nomad_lock *l)
{
	return l->retry_ms;
}
