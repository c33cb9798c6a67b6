/* name_set.c - an open-addressing hash set of strings (FNV-1a, linear
 * probing, grown at half full). A series has thousands of instances and
 * each is looked up a few times, so a list would be quadratic. */
#include "name_set.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NAME_SET_INITIAL 64

struct name_set {
	char **slot; /* NULL: empty */
	size_t cap;  /* a power of two */
	size_t n;
};

static uint64_t
hash_of(const char *p, size_t len)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char) p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* the slot of p, or the empty one where it would go */
static size_t
find(char *const *slot, size_t cap, const char *p, size_t len)
{
	size_t i = (size_t) hash_of(p, len) & (cap - 1);

	while (slot[i] != NULL &&
	       (strncmp(slot[i], p, len) != 0 || slot[i][len] != '\0'))
		i = (i + 1) & (cap - 1);
	return i;
}

mc_err
name_set_create(name_set **out)
{
	name_set *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (s == NULL ||
	    (s->slot = calloc(NAME_SET_INITIAL, sizeof(*s->slot))) == NULL) {
		free(s);
		return MC_ENOMEM;
	}
	s->cap = NAME_SET_INITIAL;
	*out = s;
	return MC_OK;
}

void
name_set_destroy(name_set *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
	free(s);
}

static mc_err
grow(name_set *s)
{
	size_t cap = s->cap * 2;
	char **slot = calloc(cap, sizeof(*slot));

	if (slot == NULL)
		return MC_ENOMEM;
	for (size_t i = 0; i < s->cap; i++)
		if (s->slot[i] != NULL)
			slot[find(slot, cap, s->slot[i], strlen(s->slot[i]))] =
			    s->slot[i];
	free(s->slot);
	s->slot = slot;
	s->cap = cap;
	return MC_OK;
}

mc_err
name_set_add(name_set *s, const char *name, size_t len, bool *added)
{
	size_t i;
	char  *copy;

	if (added != NULL)
		*added = false;
	if ((s->n + 1) * 2 > s->cap && grow(s) != MC_OK)
		return MC_ENOMEM;
	i = find(s->slot, s->cap, name, len);
	if (s->slot[i] != NULL)
		return MC_OK;
	if ((copy = malloc(len + 1)) == NULL)
		return MC_ENOMEM;
	memcpy(copy, name, len);
	copy[len] = '\0';
	s->slot[i] = copy;
	s->n++;
	if (added != NULL)
		*added = true;
	return MC_OK;
}

bool
name_set_has(const name_set *s, const char *name)
{
	if (s == NULL || name == NULL)
		return false;
	return s->slot[find(s->slot, s->cap, name, strlen(name))] != NULL;
}

size_t
name_set_count(const name_set *s)
{
	return s != NULL ? s->n : 0;
}
