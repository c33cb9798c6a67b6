/* uid.c - UID and task id checks for anything that becomes a file name. */
#include "tags/uid.h"

#include <string.h>

bool
uid_is_valid(const char *s)
{
	size_t n;

	if (s == NULL)
		return false;
	n = strlen(s);
	if (n == 0 || n > MC_UID_MAX_LEN || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return false;
		} else if (s[i] < '0' || s[i] > '9') {
			return false;
		}
	}
	return true;
}

bool
task_id_is_valid(const char *s)
{
	if (s == NULL || strlen(s) != MC_TASK_ID_LEN)
		return false;
	for (size_t i = 0; i < MC_TASK_ID_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		bool hex = (s[i] >= '0' && s[i] <= '9') ||
		           (s[i] >= 'a' && s[i] <= 'f');
		if (dash ? s[i] != '-' : !hex)
			return false;
	}
	return true;
}
