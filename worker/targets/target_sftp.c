/* target_sftp.c - the "sftp" target over libcurl's SFTP (libssh2); this
 * file and curl_common.c are its only use of libcurl. As mercure's batch
 * does, the files go to <folder>/<task-id>/ and then an empty .complete
 * marker, so a reader that waits for the marker never sees half a delivery.
 * The connectivity test logs in and lists the folder.
 *
 * Design notes: one easy handle for the whole task, so libcurl keeps one
 * SSH session for every upload. Missing folders are created
 * (CURLOPT_FTP_CREATE_MISSING_DIRS works for SFTP). A relative folder is
 * relative to the login's home ("/~/" in the URL), as for the sftp tool.
 * Every path segment is percent-encoded: our file names hold '#'. Host
 * keys: the server's key must be in known_hosts (the field, else the
 * service user's ~/.ssh/known_hosts); an unknown or changed key ends the
 * connection before the password or key is offered (libssh2 checks the
 * host key right after the key exchange, before authentication). Nothing
 * is ever added to the file: trusting a first answer would hand the
 * password to whoever answers first. insecure_skip_host_key: true skips
 * the check, with a warning in the log on every use. A refused login or
 * host key is not retryable; a network error is.
 *
 * Fields (mercure's): host, user, folder, password, file_filter. Ours:
 * port (22), ssh_key (private key file; then public key auth),
 * ssh_key_passphrase, known_hosts, insecure_skip_host_key (false),
 * timeout (s per file, 300), connect_timeout (10). Secrets also as
 * <field>_env / <field>_file. */
#include "targets/target.h"
#include "targets/url_path.h"

#include <curl/curl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "targets/curl_common.h"
#include "targets/secret.h"
#include "os/sys_fs.h"
#include "os/sys_files.h"

#define SFTP_URL_MAX 4096
#define SFTP_PORT_DEFAULT 22
#define SFTP_MARKER ".complete"
#define SFTP_KNOWN_HOSTS_USER ".ssh/known_hosts" /* under $HOME */

typedef struct sftp_conf {
	const char       *host, *user, *folder, *key, *known_hosts, *filter;
	unsigned          port;
	curl_common       net;
	bool              insecure; /* insecure_skip_host_key */
	enum curl_khmatch kh_match; /* what the last host key check found */
	char              kh_default[SFTP_URL_MAX]; /* ~/.ssh/known_hosts */
	char              password[SECRET_MAX_LEN + 1];
	char              passphrase[SECRET_MAX_LEN + 1];
	bool              has_password;
	char              base[SFTP_URL_MAX]; /* sftp://host:port/<folder> */
	char              shown[SFTP_URL_MAX];
} sftp_conf;

/* conf_free - wipe the secrets, then free; NULL: no-op */
static void
conf_free(sftp_conf *c)
{
	if (c == NULL)
		return;
	secret_wipe(c->password, sizeof(c->password));
	secret_wipe(c->passphrase, sizeof(c->passphrase));
	free(c);
}

static mc_err
build_base(CURL *h, sftp_conf *c, char *err, size_t errlen)
{
	int w = snprintf(c->base, sizeof(c->base), "sftp://%s:%u%s", c->host,
	    c->port, c->folder[0] == '/' ? "" : "/~");

	if (w < 0 || (size_t) w >= sizeof(c->base) ||
	    url_append_path(h, c->base, sizeof(c->base), c->folder) != MC_OK) {
		mc_errf(err, errlen, "sftp folder path too long");
		return MC_EINVAL;
	}
	snprintf(c->shown, sizeof(c->shown), "%s@%s:%u:%s", c->user, c->host,
	    c->port, c->folder);
	return MC_OK;
}

/* known_hosts_file - the known_hosts field, else the service user's
 * ~/.ssh/known_hosts; it must exist (a missing file would refuse every
 * host with a less helpful message) */
static mc_err
known_hosts_file(const target_cfg *cfg, sftp_conf *c, char *err, size_t errlen)
{
	const char    *home = getenv("HOME");
	struct passwd *pw;

	c->known_hosts = target_cfg_get(cfg, "known_hosts");
	if (c->known_hosts == NULL || c->known_hosts[0] == '\0') {
		if ((home == NULL || home[0] == '\0') &&
		    (pw = getpwuid(getuid())) != NULL)
			home = pw->pw_dir;
		if (home == NULL ||
		    sys_path_fmt(c->kh_default, sizeof(c->kh_default), "%s/%s",
		        home, SFTP_KNOWN_HOSTS_USER) != MC_OK) {
			mc_errf(err, errlen,
			    "sftp: no known_hosts and no "
			    "home folder");
			return MC_ECONFIG;
		}
		c->known_hosts = c->kh_default;
	}
	if (!sys_exists(c->known_hosts)) {
		mc_errf(err, errlen,
		    "sftp: known_hosts %s does not exist (add the "
		    "host's key, or set insecure_skip_host_key)",
		    c->known_hosts);
		return MC_ECONFIG;
	}
	return MC_OK;
}

static mc_err
resolve_conf(
    const target_cfg *cfg, CURL *h, sftp_conf *c, char *err, size_t errlen)
{
	static const char *const required[] = {"host", "user", "folder"};
	const char              *v[3];
	bool                     has_phrase;
	mc_err                   rv;

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < 3; i++) {
		v[i] = target_cfg_get(cfg, required[i]);
		if (v[i] == NULL || v[i][0] == '\0') {
			mc_errf(err, errlen, "sftp target without '%s'",
			    required[i]);
			return MC_ECONFIG;
		}
	}
	c->net.protocols = "sftp";
	c->host = v[0];
	c->user = v[1];
	c->folder = v[2];
	c->key = target_cfg_get(cfg, "ssh_key");
	c->filter = target_cfg_get(cfg, "file_filter");
	if (target_cfg_get_bool(cfg, "insecure_skip_host_key", false,
	        &c->insecure, err, errlen) != MC_OK ||
	    (!c->insecure &&
	        (rv = known_hosts_file(cfg, c, err, errlen)) != MC_OK) ||
	    target_cfg_get_uint(cfg, "port", 1, 65535, SFTP_PORT_DEFAULT,
	        &c->port, err, errlen) != MC_OK ||
	    curl_common_read_timeouts(cfg, &c->net, err, errlen) != MC_OK)
		return MC_ECONFIG;
	if ((rv = secret_get(cfg, "password", c->password, sizeof(c->password),
	         &c->has_password, err, errlen)) != MC_OK ||
	    (rv = secret_get(cfg, "ssh_key_passphrase", c->passphrase,
	         sizeof(c->passphrase), &has_phrase, err, errlen)) != MC_OK)
		return rv;
	if (c->key != NULL && c->key[0] != '\0' && !sys_exists(c->key)) {
		mc_errf(err, errlen, "ssh_key %s does not exist", c->key);
		return MC_ECONFIG;
	}
	return build_base(h, c, err, errlen);
}

/* OpenSSH's StrictHostKeyChecking=yes: only a key the file lists */
static int
host_key_check(CURL *h, const struct curl_khkey *known,
    const struct curl_khkey *found, enum curl_khmatch match, void *clientp)
{
	sftp_conf *c = clientp;

	(void) h;
	(void) known;
	(void) found;
	c->kh_match = match;
	return match == CURLKHMATCH_OK ? CURLKHSTAT_FINE : CURLKHSTAT_REJECT;
}

static size_t
discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	(void) ptr;
	(void) userdata;
	return size * nmemb;
}

static void
easy_setup(CURL *h, sftp_conf *c, const char *url, char *errbuf)
{
	curl_common_setup(h, &c->net, url, errbuf);
	curl_easy_setopt(h, CURLOPT_USERNAME, c->user);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	if (c->key != NULL && c->key[0] != '\0') {
		curl_easy_setopt(
		    h, CURLOPT_SSH_AUTH_TYPES, (long) CURLSSH_AUTH_PUBLICKEY);
		curl_easy_setopt(h, CURLOPT_SSH_PRIVATE_KEYFILE, c->key);
		/* "": libssh2 derives the public key from the private one
		 * (NULL would mean ~/.ssh/id_dsa.pub) */
		curl_easy_setopt(h, CURLOPT_SSH_PUBLIC_KEYFILE, "");
		if (c->passphrase[0] != '\0')
			curl_easy_setopt(h, CURLOPT_KEYPASSWD, c->passphrase);
	} else {
		curl_easy_setopt(h, CURLOPT_SSH_AUTH_TYPES,
		    (long) (CURLSSH_AUTH_PASSWORD | CURLSSH_AUTH_KEYBOARD));
		curl_easy_setopt(h, CURLOPT_PASSWORD, c->password);
	}
	if (!c->insecure) {
		c->kh_match = CURLKHMATCH_OK;
		curl_easy_setopt(h, CURLOPT_SSH_KNOWNHOSTS, c->known_hosts);
		curl_easy_setopt(h, CURLOPT_SSH_KEYFUNCTION, host_key_check);
		curl_easy_setopt(h, CURLOPT_SSH_KEYDATA, c);
	}
}

static bool
curl_is_retryable(CURLcode cc)
{
	return !(
	    cc == CURLE_LOGIN_DENIED || cc == CURLE_PEER_FAILED_VERIFICATION ||
	    cc == CURLE_REMOTE_ACCESS_DENIED || cc == CURLE_SSL_CERTPROBLEM ||
	    cc == CURLE_UNSUPPORTED_PROTOCOL);
}

static void
describe(
    const sftp_conf *c, CURLcode cc, const char *errbuf, char *msg, size_t len)
{
	const char *why = errbuf[0] ? errbuf : curl_easy_strerror(cc);

	if (cc == CURLE_LOGIN_DENIED)
		mc_errf(msg, len, "SFTP %s: login refused (%s)", c->shown,
		    c->key && c->key[0] ? "key" : "password");
	else if (cc == CURLE_PEER_FAILED_VERIFICATION &&
	         c->kh_match == CURLKHMATCH_MISSING)
		mc_errf(msg, len,
		    "SFTP %s: host key of %s:%u is not in %s; nothing "
		    "was sent (add the host's key, e.g. with "
		    "ssh-keyscan, or set insecure_skip_host_key)",
		    c->shown, c->host, c->port, c->known_hosts);
	else if (cc == CURLE_PEER_FAILED_VERIFICATION)
		mc_errf(msg, len,
		    "SFTP %s: host key does not match %s; nothing was "
		    "sent: %s",
		    c->shown, c->known_hosts, why);
	else
		mc_errf(msg, len, "SFTP %s: %s", c->shown, why);
}

static size_t
read_nothing(char *buf, size_t size, size_t nitems, void *userdata)
{
	(void) buf;
	(void) size;
	(void) nitems;
	(void) userdata;
	return 0;
}

/* upload one local file (or an empty marker when path is NULL) as name */
static CURLcode
upload(CURL *h, sftp_conf *c, const char *task_id, const char *path,
    const char *name, char *errbuf)
{
	char        url[SFTP_URL_MAX], rel[SFTP_URL_MAX];
	FILE       *f = NULL;
	struct stat st = {0};
	CURLcode    cc;

	snprintf(url, sizeof(url), "%s", c->base);
	snprintf(rel, sizeof(rel), "%s/%s", task_id, name);
	if (url_append_path(h, url, sizeof(url), rel) != MC_OK)
		return CURLE_URL_MALFORMAT;
	if (path != NULL &&
	    ((f = sys_files_fopen(path, errbuf, CURL_ERROR_SIZE)) == NULL ||
	        fstat(fileno(f), &st) != 0)) {
		if (f != NULL)
			fclose(f);
		return CURLE_READ_ERROR;
	}
	easy_setup(h, c, url, errbuf);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_FTP_CREATE_MISSING_DIRS,
	    (long) CURLFTP_CREATE_DIR_RETRY);
	curl_easy_setopt(h, CURLOPT_READDATA, f);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t) st.st_size);
	if (f == NULL)
		curl_easy_setopt(h, CURLOPT_READFUNCTION, read_nothing);
	cc = curl_easy_perform(h);
	if (f != NULL)
		fclose(f);
	return cc;
}

static void
warn_insecure(const target_cfg *cfg, const sftp_conf *c, const task_ctx *ctx)
{
	if (c->insecure)
		log_warn("event=sftp.host_key_unchecked task=%s target=%s "
		         "host=%s port=%u msg=\"insecure_skip_host_key: any "
		         "host that answers gets the credentials\"",
		    ctx->task_id, target_cfg_name(cfg), c->host, c->port);
}

static mc_err
sftp_send(const target_cfg *cfg, const task_ctx *ctx,
    const target_files *files, target_result *res)
{
	sftp_conf *c = calloc(1, sizeof(*c));
	CURL      *h = curl_easy_init();
	char       errbuf[CURL_ERROR_SIZE] = "", err[TARGET_ERROR_MAX_LEN + 1];
	CURLcode   cc = CURLE_OK;
	mc_err     rv = MC_OK;

	res->failed = files->n;
	if (c == NULL || h == NULL) {
		target_result_fail(res, true, "out of memory");
		rv = MC_ENOMEM;
		goto done;
	}
	if ((rv = resolve_conf(cfg, h, c, err, sizeof(err))) != MC_OK) {
		target_result_fail(res, rv == MC_EIO, "%s", err);
		goto done;
	}
	warn_insecure(cfg, c, ctx);
	res->failed = 0;
	for (size_t i = 0; i < files->n && cc == CURLE_OK; i++) {
		const char *name = sys_basename_of(files->paths[i]);
		if (target_file_is_filtered(c->filter, name))
			continue;
		if ((cc = upload(h, c, ctx->task_id, files->paths[i], name,
		         errbuf)) == CURLE_OK)
			res->sent++;
	}
	if (cc == CURLE_OK)
		cc = upload(h, c, ctx->task_id, NULL, SFTP_MARKER, errbuf);
	if (cc != CURLE_OK) {
		describe(c, cc, errbuf, err, sizeof(err));
		res->failed = files->n - res->sent;
		target_result_fail(res, curl_is_retryable(cc), "%s", err);
		rv = MC_ENET;
	}
	log_debug("event=sftp.done task=%s target=%s sent=%zu curl=%d",
	    ctx->task_id, target_cfg_name(cfg), res->sent, (int) cc);
done:
	curl_easy_cleanup(h);
	conf_free(c);
	return rv;
}

static mc_err
sftp_test(const target_cfg *cfg, const task_ctx *ctx, char *msg, size_t len)
{
	sftp_conf *c = calloc(1, sizeof(*c));
	CURL      *h = curl_easy_init();
	char       errbuf[CURL_ERROR_SIZE] = "", url[SFTP_URL_MAX];
	CURLcode   cc;
	mc_err     rv;

	if (c == NULL || h == NULL) {
		mc_errf(msg, len, "out of memory");
		rv = MC_ENOMEM;
	} else if ((rv = resolve_conf(cfg, h, c, msg, len)) == MC_OK) {
		warn_insecure(cfg, c, ctx);
		mc_errf(url, sizeof(url), "%s/", c->base);
		easy_setup(h, c, url, errbuf);
		curl_easy_setopt(h, CURLOPT_DIRLISTONLY, 1L);
		if ((cc = curl_easy_perform(h)) == CURLE_OK) {
			mc_errf(msg, len, "SFTP login %s ok, folder listed",
			    c->shown);
		} else {
			describe(c, cc, errbuf, msg, len);
			rv = MC_ENET;
		}
	}
	curl_easy_cleanup(h);
	conf_free(c);
	return rv;
}

const target_ops target_ops_sftp = {
    .send = sftp_send,
    .test = sftp_test,
};
