/* name_set.c - the set on uthash, as the coordinator's tables are: a
 * series has thousands of instances and each is looked up a few times,
 * so a list would be quadratic. */
#include "name_set.h"

#include <stdlib.h>
#include <string.h>
#include <uthash.h>

typedef struct name_entry {
	UT_hash_handle hh;
	char           name[]; /* the key, NUL-terminated */
} name_entry;

struct name_set {
	name_entry *head; /* uthash head */
};

mc_err
name_set_create(name_set **out)
{
	*out = calloc(1, sizeof(**out));
	return *out != NULL ? MC_OK : MC_ENOMEM;
}

void
name_set_destroy(name_set *s)
{
	name_entry *e, *tmp;

	if (s == NULL)
		return;
	HASH_ITER(hh, s->head, e, tmp)
	{
		HASH_DEL(s->head, e);
		free(e);
	}
	free(s);
}

mc_err
name_set_add(name_set *s, const char *name, size_t len, bool *added)
{
	name_entry *e = NULL;

	if (added != NULL)
		*added = false;
	HASH_FIND(hh, s->head, name, len, e);
	if (e != NULL)
		return MC_OK;
	if ((e = malloc(sizeof(*e) + len + 1)) == NULL)
		return MC_ENOMEM;
	memset(&e->hh, 0, sizeof(e->hh));
	memcpy(e->name, name, len);
	e->name[len] = '\0';
	HASH_ADD_KEYPTR(hh, s->head, e->name, len, e);
	if (added != NULL)
		*added = true;
	return MC_OK;
}

bool
name_set_has(const name_set *s, const char *name)
{
	name_entry *e = NULL;

	if (s == NULL || name == NULL)
		return false;
	HASH_FIND(hh, s->head, name, strlen(name), e);
	return e != NULL;
}

size_t
name_set_count(const name_set *s)
{
	return s != NULL ? HASH_COUNT(s->head) : 0;
}
