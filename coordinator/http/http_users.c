/* http_users.c - roles, password hashes (libxcrypt's yescrypt), tokens
 * (random, stored as SHA-256) and the users file's text form.
 *
 * Design notes: a password check always runs crypt_r, against a fixed
 * dummy hash when the name is unknown, so an answer's timing does not
 * say whether a user exists. Hashes are compared with CRYPTO_memcmp. A
 * token has 256 random bits, so its fast hash cannot be searched; the
 * file never holds a token itself. */
#include "http/http_users.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "os/sys_fs.h"

#define HTTP_USERS_MAX 4096
/* yescrypt's default cost (libxcrypt's count 0: N = 2^12 blocks) */
#define HTTP_YESCRYPT_COST 0

typedef struct http_entry {
	http_entry_kind kind;
	http_role       role;
	char            name[HTTP_NAME_MAX + 1];
	char            hash[HTTP_HASH_MAX];
} http_entry;

struct http_users {
	http_entry *e;
	size_t      n, cap;
};

static const char *const role_names[] = {
    "none", "viewer", "operator", "admin"};

bool
http_role_parse(const char *s, http_role *out)
{
	for (int i = HTTP_ROLE_VIEWER; i <= HTTP_ROLE_ADMIN; i++)
		if (s != NULL && strcmp(s, role_names[i]) == 0) {
			*out = (http_role) i;
			return true;
		}
	return false;
}

const char *
http_role_str(http_role r)
{
	return r <= HTTP_ROLE_ADMIN ? role_names[r] : "none";
}

bool
http_user_name_is_valid(const char *s)
{
	size_t n;

	if (s == NULL || s[0] == '.' || s[0] == '-')
		return false;
	n = strlen(s);
	return n >= 1 && n <= HTTP_NAME_MAX &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                 "0123456789._@-") == n;
}

static bool
password_is_valid(const char *pw)
{
	size_t n = strlen(pw);

	if (n == 0 || n > HTTP_PASSWORD_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char) pw[i] < 0x20 || pw[i] == 0x7f)
			return false;
	return true;
}

mc_err
http_password_hash(const char *pw, char *out, size_t len)
{
	char              salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data cd;
	const char       *h;

	if (!password_is_valid(pw) || len < HTTP_HASH_MAX)
		return MC_EINVAL;
	/* NULL random bytes: libxcrypt reads them from the system's RNG */
	if (crypt_gensalt_rn("$y$", HTTP_YESCRYPT_COST, NULL, 0, salt,
	        sizeof(salt)) == NULL)
		return MC_EINTERNAL;
	memset(&cd, 0, sizeof(cd));
	h = crypt_r(pw, salt, &cd);
	if (h == NULL || h[0] == '*' || strlen(h) >= len) {
		explicit_bzero(&cd, sizeof(cd));
		return MC_EINTERNAL;
	}
	snprintf(out, len, "%s", h);
	explicit_bzero(&cd, sizeof(cd));
	return MC_OK;
}

bool
http_password_check(const char *hash, const char *pw)
{
	/* a valid yescrypt hash of a random password nobody knows */
	static const char dummy[] = "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$x/IRa9ilmPJ"
	                            "GWvWT793X8g5nT1ViNjFn.BSvf5Zz6R0";
	struct crypt_data cd;
	const char       *use = hash != NULL && hash[0] ? hash : dummy;
	const char       *h;
	bool              ok;

	if (pw == NULL || !password_is_valid(pw))
		pw = "-";
	memset(&cd, 0, sizeof(cd));
	h = crypt_r(pw, use, &cd);
	ok = h != NULL && h[0] != '*' && use != dummy &&
	     strlen(h) == strlen(use) &&
	     CRYPTO_memcmp(h, use, strlen(use)) == 0;
	explicit_bzero(&cd, sizeof(cd));
	return ok;
}

mc_err
http_token_new(char *out, size_t len)
{
	unsigned char b[HTTP_TOKEN_BYTES];
	size_t        used;

	if (len < HTTP_TOKEN_LEN + 1)
		return MC_EINVAL;
	if (getrandom(b, sizeof(b), 0) != (ssize_t) sizeof(b))
		return MC_EIO;
	used = (size_t) snprintf(out, len, "%s", HTTP_TOKEN_PREFIX);
	for (size_t i = 0; i < sizeof(b); i++)
		used +=
		    (size_t) snprintf(out + used, len - used, "%02x", b[i]);
	explicit_bzero(b, sizeof(b));
	return MC_OK;
}

void
http_token_hash(const char *token, char out[HTTP_SHA256_HEX + 1])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int  n = 0;

	out[0] = '\0';
	if (EVP_Digest(token, strlen(token), d, &n, EVP_sha256(), NULL) != 1)
		return;
	for (unsigned i = 0; i < n && 2 * i + 2 <= HTTP_SHA256_HEX; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static http_entry *
find(const http_users *u, http_entry_kind kind, const char *name)
{
	for (size_t i = 0; i < u->n; i++)
		if (u->e[i].kind == kind && strcmp(u->e[i].name, name) == 0)
			return &u->e[i];
	return NULL;
}

mc_err
http_users_set(http_users *u, http_entry_kind kind, const char *name,
    http_role role, const char *hash)
{
	http_entry *e;

	if (!http_user_name_is_valid(name) || role == HTTP_ROLE_NONE ||
	    hash == NULL || hash[0] == '\0' || strlen(hash) >= HTTP_HASH_MAX ||
	    strpbrk(hash, ":\n\r") != NULL)
		return MC_EINVAL;
	if ((e = find(u, kind, name)) == NULL) {
		if (u->n >= HTTP_USERS_MAX)
			return MC_EINVAL;
		if (u->n == u->cap) {
			size_t      cap = u->cap ? 2 * u->cap : 8;
			http_entry *ne = realloc(u->e, cap * sizeof(*ne));
			if (ne == NULL)
				return MC_ENOMEM;
			u->e = ne;
			u->cap = cap;
		}
		e = &u->e[u->n++];
		memset(e, 0, sizeof(*e));
		e->kind = kind;
		snprintf(e->name, sizeof(e->name), "%s", name);
	}
	e->role = role;
	snprintf(e->hash, sizeof(e->hash), "%s", hash);
	return MC_OK;
}

/* parse_line - "kind:name:role:hash" (line is modified) */
static mc_err
parse_line(http_users *u, char *line, char *err, size_t errlen)
{
	char           *f[4], *save = line;
	http_role       role;
	http_entry_kind kind;

	for (int i = 0; i < 4; i++) {
		char *c = i < 3 ? strchr(save, ':') : NULL;
		f[i] = save;
		if (i < 3 && c == NULL) {
			mc_errf(err, errlen, "expected kind:name:role:hash");
			return MC_EPARSE;
		}
		if (c != NULL) {
			*c = '\0';
			save = c + 1;
		}
	}
	if (strcmp(f[0], "user") == 0)
		kind = HTTP_ENTRY_USER;
	else if (strcmp(f[0], "token") == 0)
		kind = HTTP_ENTRY_TOKEN;
	else {
		mc_errf(err, errlen, "unknown kind (user or token)");
		return MC_EPARSE;
	}
	if (!http_user_name_is_valid(f[1])) {
		mc_errf(err, errlen, "invalid name");
		return MC_EPARSE;
	}
	if (!http_role_parse(f[2], &role)) {
		mc_errf(err, errlen, "unknown role (viewer, operator, admin)");
		return MC_EPARSE;
	}
	if (kind == HTTP_ENTRY_TOKEN &&
	    (strlen(f[3]) != HTTP_SHA256_HEX ||
	        strspn(f[3], "0123456789abcdef") != HTTP_SHA256_HEX)) {
		mc_errf(err, errlen, "a token's hash is 64 hex digits");
		return MC_EPARSE;
	}
	if (kind == HTTP_ENTRY_USER && f[3][0] != '$') {
		mc_errf(err, errlen, "a password hash starts with '$'");
		return MC_EPARSE;
	}
	if (http_users_set(u, kind, f[1], role, f[3]) != MC_OK) {
		mc_errf(err, errlen, "bad entry");
		return MC_EPARSE;
	}
	return MC_OK;
}

mc_err
http_users_parse(
    const char *text, size_t len, http_users **out, char *err, size_t errlen)
{
	http_users *u = calloc(1, sizeof(*u));
	size_t      lineno = 0, i = 0;
	char        line[HTTP_NAME_MAX + HTTP_HASH_MAX + 64], why[128];

	*out = NULL;
	if (u == NULL)
		return MC_ENOMEM;
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t      n = nl ? (size_t) (nl - (text + i)) : len - i;
		mc_err      rv;

		lineno++;
		if (n > 0 && text[i + n - 1] == '\r')
			n--;
		if (n >= sizeof(line) || memchr(text + i, '\0', n) != NULL) {
			mc_errf(err, errlen, "line %zu: too long or not text",
			    lineno);
			http_users_destroy(u);
			return MC_EPARSE;
		}
		memcpy(line, text + i, n);
		line[n] = '\0';
		i += (nl ? n + 1 : n) + (n > 0 && text[i + n] == '\r');
		if (n == 0 || line[0] == '#')
			continue;
		if ((rv = parse_line(u, line, why, sizeof(why))) != MC_OK) {
			mc_errf(err, errlen, "line %zu: %s", lineno, why);
			http_users_destroy(u);
			return rv;
		}
	}
	*out = u;
	return MC_OK;
}

mc_err
http_users_load(const char *path, http_users **out, char *err, size_t errlen)
{
	char  *text = NULL;
	size_t len = 0;
	mc_err rv;

	*out = NULL;
	if (!sys_exists(path))
		return http_users_parse("", 0, out, err, errlen);
	if ((rv = sys_read_plain_file(
	         path, HTTP_USERS_FILE_MAX, &text, &len)) != MC_OK) {
		mc_errf(err, errlen, "%s: %s", path, mc_strerror(rv));
		return rv;
	}
	rv = http_users_parse(text, len, out, err, errlen);
	free(text);
	return rv;
}

void
http_users_destroy(http_users *u)
{
	if (u == NULL)
		return;
	if (u->e != NULL)
		explicit_bzero(u->e, u->cap * sizeof(*u->e));
	free(u->e);
	free(u);
}

size_t
http_users_count(const http_users *u)
{
	return u->n;
}

bool
http_users_find(const http_users *u, http_entry_kind kind, const char *name,
    http_role *role, char *hash, size_t len)
{
	const http_entry *e = find(u, kind, name);

	if (e == NULL)
		return false;
	*role = e->role;
	snprintf(hash, len, "%s", e->hash);
	return true;
}

http_role
http_users_find_token(
    const http_users *u, const char *token_sha256, char *name, size_t len)
{
	http_role found = HTTP_ROLE_NONE;

	if (strlen(token_sha256) != HTTP_SHA256_HEX)
		return HTTP_ROLE_NONE;
	/* every entry is compared, in constant time each */
	for (size_t i = 0; i < u->n; i++) {
		const http_entry *e = &u->e[i];
		if (e->kind == HTTP_ENTRY_TOKEN &&
		    CRYPTO_memcmp(e->hash, token_sha256, HTTP_SHA256_HEX) ==
		        0 &&
		    found == HTTP_ROLE_NONE) {
			found = e->role;
			snprintf(name, len, "%s", e->name);
		}
	}
	return found;
}

mc_err
http_users_format(const http_users *u, char **out, size_t *len)
{
	size_t cap = 64 + u->n * (HTTP_NAME_MAX + HTTP_HASH_MAX + 32), used;
	char  *buf = malloc(cap);

	*out = NULL;
	if (buf == NULL)
		return MC_ENOMEM;
	used = (size_t) snprintf(buf, cap,
	    "# mercure-coordinator users (--add-user, --add-token)\n");
	for (size_t i = 0; i < u->n; i++)
		used += (size_t) snprintf(buf + used, cap - used,
		    "%s:%s:%s:%s\n",
		    u->e[i].kind == HTTP_ENTRY_USER ? "user" : "token",
		    u->e[i].name, http_role_str(u->e[i].role), u->e[i].hash);
	*out = buf;
	*len = used;
	return MC_OK;
}

mc_err
http_users_save(const http_users *u, const char *path)
{
	char  *text;
	size_t len;
	mode_t old;
	mc_err rv;

	if ((rv = http_users_format(u, &text, &len)) != MC_OK)
		return rv;
	/* the temporary file is created under this umask, so the renamed
	 * file is 0600 whatever file_mode says; the command-line path that
	 * calls this is single-threaded */
	old = umask(077);
	rv = sys_write_file_atomic(path, text, len);
	umask(old);
	explicit_bzero(text, len);
	free(text);
	return rv;
}
