/* http_cli.c - adding users and tokens from the command line: read the
 * users file, set the entry, write it back atomically (0600). The
 * password is read from standard input (one line; a terminal's echo is
 * the caller's business) and never printed or logged. */
#include "http/http_cli.h"

#include <string.h>

#include "http/http_users.h"
#include "os/sys_fs.h"

mc_err
http_users_path(const mc_config *cfg, char *buf, size_t len)
{
	if (cfg->http.users_file != NULL)
		return sys_path_fmt(buf, len, "%s", cfg->http.users_file);
	return sys_path_fmt(buf, len, "%s/users", cfg->storage_root);
}

/* set_entry - load, set, save; 0 or an exit status */
static int
set_entry(const mc_config *cfg, http_entry_kind kind, const char *name,
    http_role role, const char *hash, FILE *err)
{
	char        path[MC_PATH_MAX], dir[MC_PATH_MAX], why[256];
	http_users *u = NULL;
	mc_err      rv;

	if (http_users_path(cfg, path, sizeof(path)) != MC_OK) {
		fprintf(err, "users file path too long\n");
		return 1;
	}
	sys_dirname_of(path, dir, sizeof(dir));
	if (sys_mkdir_p(dir) != MC_OK ||
	    http_users_load(path, &u, why, sizeof(why)) != MC_OK) {
		fprintf(err, "%s: cannot read: %s\n", path,
		    u == NULL ? why : "cannot create its folder");
		return 1;
	}
	if ((rv = http_users_set(u, kind, name, role, hash)) != MC_OK ||
	    (rv = http_users_save(u, path)) != MC_OK) {
		fprintf(err, "%s: cannot write: %s\n", path, mc_strerror(rv));
		http_users_destroy(u);
		return 1;
	}
	http_users_destroy(u);
	return 0;
}

static int
check_args(const char *name, const char *role, http_role *r, FILE *err)
{
	if (!http_user_name_is_valid(name)) {
		fprintf(err,
		    "not a valid name: 1..%d of letters, digits, '.', '_', "
		    "'@', '-'\n",
		    HTTP_NAME_MAX);
		return 2;
	}
	if (!http_role_parse(role, r)) {
		fprintf(err, "--role must be viewer, operator or admin\n");
		return 2;
	}
	return 0;
}

int
http_cli_add_user(const mc_config *cfg, const char *name, const char *role,
    FILE *in, FILE *out, FILE *err)
{
	char      pw[HTTP_PASSWORD_MAX + 2], hash[HTTP_HASH_MAX];
	http_role r;
	size_t    n;
	int       rc;

	if ((rc = check_args(name, role, &r, err)) != 0)
		return rc;
	if (fgets(pw, sizeof(pw), in) == NULL) {
		fprintf(err, "no password on standard input\n");
		return 2;
	}
	n = strcspn(pw, "\r\n");
	pw[n] = '\0';
	if (http_password_hash(pw, hash, sizeof(hash)) != MC_OK) {
		explicit_bzero(pw, sizeof(pw));
		fprintf(err,
		    "the password must be 1..%d characters, no control "
		    "characters\n",
		    HTTP_PASSWORD_MAX);
		return 2;
	}
	explicit_bzero(pw, sizeof(pw));
	if ((rc = set_entry(cfg, HTTP_ENTRY_USER, name, r, hash, err)) != 0)
		return rc;
	fprintf(out, "user %s (%s) saved\n", name, http_role_str(r));
	return 0;
}

int
http_cli_add_token(const mc_config *cfg, const char *name, const char *role,
    FILE *out, FILE *err)
{
	char      tok[HTTP_TOKEN_LEN + 1], hash[HTTP_SHA256_HEX + 1];
	http_role r;
	int       rc;

	if ((rc = check_args(name, role, &r, err)) != 0)
		return rc;
	if (http_token_new(tok, sizeof(tok)) != MC_OK) {
		fprintf(err, "cannot make a random token\n");
		return 1;
	}
	http_token_hash(tok, hash);
	if ((rc = set_entry(cfg, HTTP_ENTRY_TOKEN, name, r, hash, err)) != 0) {
		explicit_bzero(tok, sizeof(tok));
		return rc;
	}
	/* the only time the token is shown: only its hash is kept */
	fprintf(out, "%s\n", tok);
	explicit_bzero(tok, sizeof(tok));
	return 0;
}
