/* http_auth.c - users, sessions and failed logins for the HTTP server.
 *
 * Design notes: the users file is read again when its modification time,
 * size or inode changes (checked at most once a second), so --add-user
 * works on a running coordinator. A session stores the user's name, not
 * a role: each request takes the role from the current users file, so
 * removing a user or lowering a role takes effect at once. Failed
 * logins are remembered by client address (http_fails.h); the delay
 * grows with the failures of the last minute from that address, so a
 * guesser slows his own attempts without slowing everybody else's
 * login. Every failure is logged, so one who changes address is still
 * seen. Nothing logged here
 * ever holds a password or a token. */
#include "http/http_auth.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "base/log.h"
#include "http/http_fails.h"
#include "http/http_query.h"
#include "os/sys_fs.h"

typedef struct session {
	char   id[HTTP_SESSION_ID_LEN + 1];
	char   csrf[HTTP_SESSION_ID_LEN + 1];
	char   user[HTTP_NAME_MAX + 1];
	time_t expires;
} session;

struct http_auth {
	pthread_mutex_t mu;
	char            path[MC_PATH_MAX];
	http_users     *users;
	struct stat     seen; /* of the file when it was read */
	time_t          checked;
	session        *sessions; /* HTTP_SESSIONS_MAX slots */
	http_fails     *fails;    /* by client address */
};

static void
load_users(http_auth *a)
{
	struct stat st;
	http_users *u = NULL;
	char        err[256] = "";

	memset(&st, 0, sizeof(st));
	if (stat(a->path, &st) == 0 && a->users != NULL &&
	    st.st_mtim.tv_sec == a->seen.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == a->seen.st_mtim.tv_nsec &&
	    st.st_size == a->seen.st_size && st.st_ino == a->seen.st_ino)
		return;
	if (http_users_load(a->path, &u, err, sizeof(err)) != MC_OK) {
		log_error("event=http.users_unreadable file=%s msg=\"%s\" "
		          "keeping=%s",
		    a->path, err, a->users ? "previous" : "none");
		a->seen = st;
		return;
	}
	if ((st.st_mode & 077) != 0)
		log_warn("event=http.users_file_mode file=%s mode=%04o "
		         "msg=\"readable by others than the owner\"",
		    a->path, (unsigned) (st.st_mode & 07777));
	http_users_destroy(a->users);
	a->users = u;
	a->seen = st;
	log_info("event=http.users_loaded file=%s entries=%zu", a->path,
	    http_users_count(u));
}

/* users - the current set, re-read if the file changed; a->mu held */
static http_users *
users(http_auth *a)
{
	time_t now = time(NULL);

	if (a->users == NULL || now != a->checked) {
		a->checked = now;
		load_users(a);
	}
	return a->users;
}

mc_err
http_auth_create(const char *users_path, http_auth **out)
{
	http_auth *a = calloc(1, sizeof(*a));

	*out = NULL;
	if (a == NULL)
		return MC_ENOMEM;
	a->sessions = calloc(HTTP_SESSIONS_MAX, sizeof(*a->sessions));
	if (a->sessions == NULL || http_fails_create(&a->fails) != MC_OK ||
	    pthread_mutex_init(&a->mu, NULL) != 0) {
		http_fails_destroy(a->fails);
		free(a->sessions);
		free(a);
		return MC_ENOMEM;
	}
	snprintf(a->path, sizeof(a->path), "%s", users_path);
	pthread_mutex_lock(&a->mu);
	(void) users(a);
	pthread_mutex_unlock(&a->mu);
	*out = a;
	return MC_OK;
}

void
http_auth_destroy(http_auth *a)
{
	if (a == NULL)
		return;
	http_users_destroy(a->users);
	explicit_bzero(a->sessions, HTTP_SESSIONS_MAX * sizeof(session));
	free(a->sessions);
	http_fails_destroy(a->fails);
	pthread_mutex_destroy(&a->mu);
	free(a);
}

/* failed - count, log and wait; returns false */
static bool
failed(http_auth *a, const char *user, const char *remote, const char *why)
{
	char            u[4 * HTTP_NAME_MAX + 16], r[128];
	time_t          now = time(NULL);
	unsigned        recent;
	long            ms;
	struct timespec ts;

	pthread_mutex_lock(&a->mu);
	recent = http_fails_note(a->fails, remote, now, HTTP_FAIL_WINDOW_S);
	pthread_mutex_unlock(&a->mu);
	log_warn("event=http.auth_failed user=\"%s\" remote=\"%s\" reason=%s "
	         "recent_failures=%u",
	    http_log_value(user ? user : "", u, sizeof(u)),
	    http_log_value(remote ? remote : "", r, sizeof(r)), why, recent);
	ms = (long) recent * HTTP_FAIL_DELAY_MS;
	if (ms > HTTP_FAIL_DELAY_MAX_MS)
		ms = HTTP_FAIL_DELAY_MAX_MS;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	return false;
}

bool
http_auth_password(http_auth *a, const char *user, const char *pw,
    http_via via, const char *remote, http_who *who)
{
	char      hash[HTTP_HASH_MAX] = "";
	http_role role = HTTP_ROLE_NONE;
	bool      known = false, ok;

	memset(who, 0, sizeof(*who));
	if (http_user_name_is_valid(user)) {
		pthread_mutex_lock(&a->mu);
		known = http_users_find(users(a), HTTP_ENTRY_USER, user, &role,
		    hash, sizeof(hash));
		pthread_mutex_unlock(&a->mu);
	}
	/* always one slow hash, known user or not */
	ok = http_password_check(known ? hash : NULL, pw) && known;
	explicit_bzero(hash, sizeof(hash));
	if (!ok)
		return failed(a, user, remote,
		    known ? "wrong_password" : "unknown_user");
	who->role = role;
	who->via = via;
	snprintf(who->user, sizeof(who->user), "%s", user);
	return true;
}

bool
http_auth_token(
    http_auth *a, const char *token, const char *remote, http_who *who)
{
	char      h[HTTP_SHA256_HEX + 1];
	http_role role;

	memset(who, 0, sizeof(*who));
	http_token_hash(token, h);
	pthread_mutex_lock(&a->mu);
	role =
	    http_users_find_token(users(a), h, who->user, sizeof(who->user));
	pthread_mutex_unlock(&a->mu);
	if (role == HTTP_ROLE_NONE)
		return failed(a, "(token)", remote, "unknown_token");
	who->role = role;
	who->via = HTTP_VIA_BEARER;
	return true;
}

static bool
random_hex(char *out, size_t hexlen)
{
	unsigned char b[64];

	if (hexlen / 2 > sizeof(b) ||
	    getrandom(b, hexlen / 2, 0) != (ssize_t) (hexlen / 2))
		return false;
	for (size_t i = 0; i < hexlen / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	explicit_bzero(b, sizeof(b));
	return true;
}

mc_err
http_auth_session_new(
    http_auth *a, http_who *who, char id[HTTP_SESSION_ID_LEN + 1])
{
	time_t   now = time(NULL);
	session *slot = NULL;

	if (!random_hex(id, HTTP_SESSION_ID_LEN) ||
	    !random_hex(who->csrf, HTTP_SESSION_ID_LEN))
		return MC_EIO;
	pthread_mutex_lock(&a->mu);
	/* a free or expired slot, else the one closest to expiry */
	for (size_t i = 0; i < HTTP_SESSIONS_MAX; i++) {
		session *s = &a->sessions[i];
		if (s->id[0] == '\0' || s->expires <= now) {
			slot = s;
			break;
		}
		if (slot == NULL || s->expires < slot->expires)
			slot = s;
	}
	snprintf(slot->id, sizeof(slot->id), "%s", id);
	snprintf(slot->csrf, sizeof(slot->csrf), "%s", who->csrf);
	snprintf(slot->user, sizeof(slot->user), "%s", who->user);
	slot->expires = now + HTTP_SESSION_TTL_S;
	pthread_mutex_unlock(&a->mu);
	return MC_OK;
}

static session *
find_session(http_auth *a, const char *id)
{
	time_t now = time(NULL);

	if (id == NULL || strlen(id) != HTTP_SESSION_ID_LEN)
		return NULL;
	for (size_t i = 0; i < HTTP_SESSIONS_MAX; i++) {
		session *s = &a->sessions[i];
		if (s->id[0] != '\0' && s->expires > now &&
		    CRYPTO_memcmp(s->id, id, HTTP_SESSION_ID_LEN) == 0)
			return s;
	}
	return NULL;
}

bool
http_auth_session(http_auth *a, const char *id, http_who *who)
{
	session *s;
	char     hash[HTTP_HASH_MAX];
	bool     ok = false;

	memset(who, 0, sizeof(*who));
	pthread_mutex_lock(&a->mu);
	if ((s = find_session(a, id)) != NULL &&
	    http_users_find(users(a), HTTP_ENTRY_USER, s->user, &who->role,
	        hash, sizeof(hash))) {
		who->via = HTTP_VIA_COOKIE;
		snprintf(who->user, sizeof(who->user), "%s", s->user);
		snprintf(who->csrf, sizeof(who->csrf), "%s", s->csrf);
		ok = true;
	}
	pthread_mutex_unlock(&a->mu);
	explicit_bzero(hash, sizeof(hash));
	if (!ok)
		memset(who, 0, sizeof(*who));
	return ok;
}

void
http_auth_session_end(http_auth *a, const char *id)
{
	session *s;

	pthread_mutex_lock(&a->mu);
	if ((s = find_session(a, id)) != NULL)
		memset(s, 0, sizeof(*s));
	pthread_mutex_unlock(&a->mu);
}
