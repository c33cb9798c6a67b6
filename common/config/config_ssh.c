/* config_ssh.c - the host and user names ssh may be given (config_ssh.h):
 * an allow-list, since whatever is not a plain name could reach ssh's
 * option parser or the remote shell. */
#include "config/config_ssh.h"

#include <ctype.h>
#include <string.h>

#define SSH_NAME_CHARS                                                        \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"
#define SSH_IPV6_CHARS "0123456789abcdefABCDEF:."

bool
config_ssh_host_is_ipv6(const char *s)
{
	return s != NULL && strchr(s, ':') != NULL;
}

bool
config_ssh_host_is_valid(const char *s)
{
	size_t n;

	if (s == NULL || (n = strlen(s)) == 0 || n > CONFIG_SSH_HOST_MAX_LEN)
		return false;
	if (config_ssh_host_is_ipv6(s))
		return strspn(s, SSH_IPV6_CHARS) == n;
	return isalnum((unsigned char) s[0]) && strspn(s, SSH_NAME_CHARS) == n;
}

bool
config_ssh_user_is_valid(const char *s)
{
	size_t n;

	if (s == NULL || (n = strlen(s)) == 0 || n > CONFIG_SSH_USER_MAX_LEN)
		return false;
	return s[0] != '-' && strspn(s, SSH_NAME_CHARS) == n;
}
