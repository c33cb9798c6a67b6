/* rsync_argv.c - the argv of rsync, ssh and sshpass for the rsync target
 * (rsync_argv.h), and the quoting each layer needs: none for argv
 * elements, rsync's own for its -e string, POSIX single quotes for the
 * one remote shell command (run_on_complete).
 *
 * Design notes: ssh always gets BatchMode=yes with key login, so that a
 * missing key or a passphrase never turns into a prompt on a terminal
 * the worker may still have (the child would stop, not fail). With a
 * password, sshpass answers the prompt on its own terminal and ssh offers
 * nothing else. Host keys are checked against one file only (the global
 * list is not read), as the sftp target does; nothing is ever added to
 * it. */
#include "targets/rsync_argv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_ssh.h"

static mc_err push(rsync_argv *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static mc_err
push(rsync_argv *a, const char *fmt, ...)
{
	va_list ap;
	char   *s;
	int     n;

	if (a->n >= RSYNC_ARGV_MAX)
		return MC_EINVAL;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (s = malloc((size_t) n + 1)) == NULL)
		return MC_ENOMEM;
	va_start(ap, fmt);
	vsnprintf(s, (size_t) n + 1, fmt, ap);
	va_end(ap);
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
	return MC_OK;
}

void
rsync_argv_fini(rsync_argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	memset(a, 0, sizeof(*a));
}

mc_err
rsync_argv_check_path(
    const char *field, const char *path, char *err, size_t errlen)
{
	for (const char *p = path; *p != '\0'; p++) {
		unsigned char ch = (unsigned char) *p;
		if (ch < 0x20 || ch == 0x7f || strchr("\"'\\%$", ch) != NULL) {
			snprintf(err, errlen,
			    "rsync: %s must not hold quotes, backslashes, "
			    "'%%', '$' or control characters (ssh would "
			    "read them)",
			    field);
			return MC_ECONFIG;
		}
	}
	return MC_OK;
}

static mc_err
append(char *buf, size_t len, size_t *pos, const char *s, size_t n)
{
	if (*pos + n + 1 > len)
		return MC_EINVAL;
	memcpy(buf + *pos, s, n);
	*pos += n;
	buf[*pos] = '\0';
	return MC_OK;
}

mc_err
rsync_argv_remote_dir(
    const rsync_conf *c, const char *sub, char *buf, size_t len)
{
	const char *f = c->folder ? c->folder : "";
	int         w;

	if (strncmp(f, "~/", 2) == 0)
		f += 2;
	else if (strcmp(f, "~") == 0)
		f = "";
	w = snprintf(buf, len, "%s%s%s%s", f[0] == '-' ? "./" : "",
	    f[0] ? f : ".", sub ? "/" : "", sub ? sub : "");
	return w < 0 || (size_t) w >= len ? MC_EINVAL : MC_OK;
}

mc_err
rsync_argv_ssh(const rsync_conf *c, rsync_argv *a)
{
	int bad = 0;

	bad |= push(a, "ssh") != MC_OK;
	bad |= push(a, "-p") != MC_OK;
	bad |= push(a, "%u", c->port) != MC_OK;
	bad |= push(a, "-o") != MC_OK;
	bad |= push(a, "ConnectTimeout=%u", c->connect_timeout_s) != MC_OK;
	bad |= push(a, "-o") != MC_OK;
	bad |=
	    push(a, "ServerAliveInterval=%u", c->connect_timeout_s) != MC_OK;
	bad |= push(a, "-o") != MC_OK;
	bad |= push(a, "GlobalKnownHostsFile=/dev/null") != MC_OK;
	bad |= push(a, "-o") != MC_OK;
	if (c->insecure) {
		bad |= push(a, "StrictHostKeyChecking=no") != MC_OK;
		bad |= push(a, "-o") != MC_OK;
		bad |= push(a, "UserKnownHostsFile=/dev/null") != MC_OK;
	} else {
		bad |= push(a, "StrictHostKeyChecking=yes") != MC_OK;
		bad |= push(a, "-o") != MC_OK;
		bad |= push(a, "UserKnownHostsFile=\"%s\"", c->known_hosts) !=
		       MC_OK;
	}
	bad |= push(a, "-o") != MC_OK;
	if (c->password && (c->key == NULL || c->key[0] == '\0')) {
		bad |= push(a, "BatchMode=no") != MC_OK;
		bad |= push(a, "-o") != MC_OK;
		bad |= push(a, "PubkeyAuthentication=no") != MC_OK;
		bad |= push(a, "-o") != MC_OK;
		bad |= push(a, "PreferredAuthentications=password,"
		               "keyboard-interactive") != MC_OK;
		bad |= push(a, "-o") != MC_OK;
		bad |= push(a, "NumberOfPasswordPrompts=1") != MC_OK;
	} else {
		bad |= push(a, "BatchMode=yes") != MC_OK;
	}
	if (c->key != NULL && c->key[0] != '\0') {
		bad |= push(a, "-o") != MC_OK;
		bad |= push(a, "IdentityFile=\"%s\"", c->key) != MC_OK;
		bad |= push(a, "-o") != MC_OK;
		bad |= push(a, "IdentitiesOnly=yes") != MC_OK;
	}
	return bad ? MC_ENOMEM : MC_OK;
}

mc_err
rsync_argv_rsh(const rsync_argv *a, char *buf, size_t len)
{
	size_t pos = 0;

	if (len == 0)
		return MC_EINVAL;
	buf[0] = '\0';
	for (size_t i = 0; i < a->n; i++) {
		const char *s = a->v[i];
		if ((i > 0 && append(buf, len, &pos, " ", 1) != MC_OK) ||
		    append(buf, len, &pos, "'", 1) != MC_OK)
			return MC_EINVAL;
		for (; *s != '\0'; s++)
			if (append(buf, len, &pos, s, 1) != MC_OK ||
			    (*s == '\'' &&
			        append(buf, len, &pos, "'", 1) != MC_OK))
				return MC_EINVAL;
		if (append(buf, len, &pos, "'", 1) != MC_OK)
			return MC_EINVAL;
	}
	return MC_OK;
}

static mc_err
push_sshpass(const rsync_conf *c, rsync_argv *a)
{
	if (!c->password || (c->key != NULL && c->key[0] != '\0'))
		return MC_OK;
	if (push(a, "sshpass") != MC_OK || push(a, "-e") != MC_OK)
		return MC_ENOMEM;
	return MC_OK;
}

/* user@host:path, the host in brackets when it is an IPv6 address */
static mc_err
push_remote(const rsync_conf *c, const char *remote_dir, rsync_argv *a)
{
	bool v6 = config_ssh_host_is_ipv6(c->host);

	return push(a, "%s@%s%s%s:%s", c->user, v6 ? "[" : "", c->host,
	    v6 ? "]" : "", remote_dir);
}

static mc_err
push_rsync_common(const rsync_conf *c, const char *rsh, rsync_argv *a)
{
	int bad = 0;

	bad |= push_sshpass(c, a) != MC_OK;
	bad |= push(a, "rsync") != MC_OK;
	bad |= push(a, "-s") != MC_OK; /* args in the protocol, not the
	                                * remote shell */
	bad |= push(a, "--timeout=%u", c->io_timeout_s) != MC_OK;
	bad |= push(a, "-e") != MC_OK;
	bad |= push(a, "%s", rsh) != MC_OK;
	return bad ? MC_ENOMEM : MC_OK;
}

mc_err
rsync_argv_transfer(const rsync_conf *c, const char *rsh, const char *list,
    const char *src, const char *remote_dir, rsync_argv *a)
{
	int bad = 0;

	bad |= push_rsync_common(c, rsh, a) != MC_OK;
	/* mercure's -rtz and --chmod 660; folders stay usable (770) */
	bad |= push(a, "-rtz") != MC_OK;
	bad |= push(a, "--chmod=D770,F660") != MC_OK;
	if (list != NULL) {
		bad |= push(a, "--files-from=%s", list) != MC_OK;
		bad |= push(a, "--from0") != MC_OK;
		bad |= push(a, "--no-relative") != MC_OK;
	}
	bad |= push(a, "--") != MC_OK;
	bad |= push(a, "%s", src) != MC_OK;
	bad |= push_remote(c, remote_dir, a) != MC_OK;
	return bad ? MC_ENOMEM : MC_OK;
}

mc_err
rsync_argv_list(const rsync_conf *c, const char *rsh, const char *remote_dir,
    rsync_argv *a)
{
	int bad = 0;

	bad |= push_rsync_common(c, rsh, a) != MC_OK;
	bad |= push(a, "--list-only") != MC_OK;
	bad |= push(a, "--") != MC_OK;
	bad |= push_remote(c, remote_dir, a) != MC_OK;
	return bad ? MC_ENOMEM : MC_OK;
}

mc_err
rsync_argv_remote_command(
    const rsync_conf *c, const char *command, rsync_argv *a)
{
	int bad = 0;

	bad |= push_sshpass(c, a) != MC_OK;
	bad |= rsync_argv_ssh(c, a) != MC_OK;
	bad |= push(a, "-l") != MC_OK;
	bad |= push(a, "%s", c->user) != MC_OK;
	bad |= push(a, "--") != MC_OK;
	bad |= push(a, "%s", c->host) != MC_OK;
	bad |= push(a, "%s", command) != MC_OK;
	return bad ? MC_ENOMEM : MC_OK;
}

mc_err
rsync_argv_shell_quote(const char *s, char *buf, size_t len, size_t *pos)
{
	if (append(buf, len, pos, "'", 1) != MC_OK)
		return MC_EINVAL;
	for (; *s != '\0'; s++) {
		mc_err rv = *s == '\'' ? append(buf, len, pos, "'\\''", 4)
		                       : append(buf, len, pos, s, 1);
		if (rv != MC_OK)
			return rv;
	}
	return append(buf, len, pos, "'", 1);
}

mc_err
rsync_argv_complete_command(const rsync_conf *c, const char *task_id,
    const char *target, char *buf, size_t len)
{
	char   script[RSYNC_CMD_MAX], dest[RSYNC_CMD_MAX];
	size_t pos = 0;

	if (len == 0 ||
	    rsync_argv_remote_dir(
	        c, RSYNC_COMPLETE_SCRIPT, script, sizeof(script)) != MC_OK ||
	    rsync_argv_remote_dir(c, task_id, dest, sizeof(dest)) != MC_OK)
		return MC_EINVAL;
	buf[0] = '\0';
	if (rsync_argv_shell_quote(script, buf, len, &pos) != MC_OK ||
	    append(buf, len, &pos, " ", 1) != MC_OK ||
	    rsync_argv_shell_quote(dest, buf, len, &pos) != MC_OK ||
	    append(buf, len, &pos, " ", 1) != MC_OK ||
	    rsync_argv_shell_quote(target, buf, len, &pos) != MC_OK)
		return MC_EINVAL;
	return MC_OK;
}
