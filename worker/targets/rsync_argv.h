/* rsync_argv.h - the command lines of the rsync target (target_rsync.c),
 * built apart from running them so that what reaches rsync and ssh can be
 * tested without a server. Nothing here runs a program or reads a file.
 * Every value from the configuration ends up as one argv element (never
 * parsed by a shell), as a quoted word of rsync's -e string, or, for
 * run_on_complete's remote command, single-quoted for the remote shell. */
#ifndef MC_WORKER_RSYNC_ARGV_H
#define MC_WORKER_RSYNC_ARGV_H

#include <stdbool.h>
#include <stddef.h>

#include "base/mc_err.h"

#define RSYNC_ARGV_MAX 48
#define RSYNC_CMD_MAX 8192
#define RSYNC_MARKER ".complete"
#define RSYNC_COMPLETE_SCRIPT "mercure_complete.sh"

/* What the command lines are made from; all borrowed. host and user have
 * passed config_ssh_*_is_valid(); key and known_hosts have passed
 * rsync_argv_check_path() (key may be NULL: ssh's default identities). */
typedef struct rsync_conf {
	const char *host, *user, *folder;
	const char *key;         /* ssh_key; NULL or "": ssh's defaults */
	const char *known_hosts; /* NULL when insecure */
	unsigned    port;
	unsigned    connect_timeout_s; /* ssh ConnectTimeout */
	unsigned    io_timeout_s;      /* rsync --timeout: idle I/O */
	bool        insecure;          /* insecure_skip_host_key */
	bool        password;          /* password login through sshpass -e */
} rsync_conf;

/* A NULL-terminated argv of malloc'ed strings. */
typedef struct rsync_argv {
	char  *v[RSYNC_ARGV_MAX + 1];
	size_t n;
} rsync_argv;

/* rsync_argv_fini - free the strings; a is empty after. */
void rsync_argv_fini(rsync_argv *a);

/* rsync_argv_check_path - MC_OK when a local path (ssh_key, known_hosts)
 * can be given to ssh as written: ssh expands '%' and "${", and splits
 * its option values at quotes and backslashes, so none of these may
 * appear, nor a control character. MC_ECONFIG with err naming field. */
MC_NODISCARD mc_err rsync_argv_check_path(
    const char *field, const char *path, char *err, size_t errlen);

/* rsync_argv_remote_dir - the remote folder as rsync and the remote shell
 * get it: folder + "/" + sub (sub NULL: the folder alone). A leading "~/"
 * is dropped (a relative folder is under the login's home), "" is ".",
 * and a folder starting with '-' gets "./" so that no program reads it as
 * an option. MC_EINVAL when it does not fit. */
MC_NODISCARD mc_err rsync_argv_remote_dir(
    const rsync_conf *c, const char *sub, char *buf, size_t len);

/* rsync_argv_ssh - the ssh command: "ssh" and its options, without host
 * or command (host key checking, timeouts, port, key, batch mode). */
MC_NODISCARD mc_err rsync_argv_ssh(const rsync_conf *c, rsync_argv *a);

/* rsync_argv_rsh - a (from rsync_argv_ssh) as one string for rsync's -e:
 * rsync splits it at spaces, and a word in single quotes keeps its
 * spaces, a quote inside being doubled. MC_EINVAL when it does not fit. */
MC_NODISCARD mc_err rsync_argv_rsh(const rsync_argv *a, char *buf, size_t len);

/* rsync_argv_transfer - [sshpass -e] rsync with mercure's options that
 * copies src (a local file, or with list set the NUL-separated absolute
 * paths listed in that file) into remote_dir (rsync_argv_remote_dir;
 * created there if only its last part is missing), whose name ends in
 * '/'. The remote path travels in rsync's protocol (-s), never through
 * the remote shell; "--" ends the options. */
MC_NODISCARD mc_err rsync_argv_transfer(const rsync_conf *c, const char *rsh,
    const char *list, const char *src, const char *remote_dir, rsync_argv *a);

/* rsync_argv_list - [sshpass -e] rsync --list-only of remote_dir: a login
 * and a check that the folder exists, for the connectivity test. */
MC_NODISCARD mc_err rsync_argv_list(const rsync_conf *c, const char *rsh,
    const char *remote_dir, rsync_argv *a);

/* rsync_argv_remote_command - [sshpass -e] ssh ... -- host command, for
 * run_on_complete. command is given to the remote login shell as is. */
MC_NODISCARD mc_err rsync_argv_remote_command(
    const rsync_conf *c, const char *command, rsync_argv *a);

/* rsync_argv_shell_quote - s in single quotes for a POSIX shell (a quote
 * inside becomes '\''), appended to buf at *pos. MC_EINVAL when it does
 * not fit. */
MC_NODISCARD mc_err rsync_argv_shell_quote(
    const char *s, char *buf, size_t len, size_t *pos);

/* rsync_argv_complete_command - the remote shell command of
 * run_on_complete, as mercure runs it: '<folder>/mercure_complete.sh'
 * '<folder>/<task-id>' '<target>', each word single-quoted. */
MC_NODISCARD mc_err rsync_argv_complete_command(const rsync_conf *c,
    const char *task_id, const char *target, char *buf, size_t len);

#endif
