/* config_ssh.h - what a host and a user name given to ssh may be, so that
 * neither can become an ssh option (a leading '-'), a second argument, a
 * "user@host" split or remote shell syntax. The configuration checks the
 * fields of the rsync target with them at load, and the worker checks
 * again before it starts ssh (task.json may be written by hand). */
#ifndef MC_CONFIG_CONFIG_SSH_H
#define MC_CONFIG_CONFIG_SSH_H

#include <stdbool.h>

#define CONFIG_SSH_HOST_MAX_LEN 253 /* a DNS name */
#define CONFIG_SSH_USER_MAX_LEN 64

/* config_ssh_host_is_valid - s is a host name or IPv4 address (letters,
 * digits, '.', '-', '_'; starting with a letter or digit) or an IPv6
 * address (hex digits, ':' and '.', with at least one ':'), 1 to
 * CONFIG_SSH_HOST_MAX_LEN characters. NULL: false. Any thread. */
bool config_ssh_host_is_valid(const char *s);

/* config_ssh_user_is_valid - s is a POSIX portable user name: letters,
 * digits, '.', '_', '-', not starting with '-', 1 to
 * CONFIG_SSH_USER_MAX_LEN characters. NULL: false. Any thread. */
bool config_ssh_user_is_valid(const char *s);

/* config_ssh_host_is_ipv6 - the host holds a ':' (an IPv6 address, which
 * rsync wants in brackets). */
bool config_ssh_host_is_ipv6(const char *s);

#endif
