/* http_fails.c - failed logins by address (http_fails.h): a uthash by
 * address; eviction scans for the oldest entry, which happens only when
 * HTTP_FAILS_ADDRS addresses failed recently, so a linear scan is fine. */
#include "http/http_fails.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

typedef struct fail_addr {
	char           addr[HTTP_FAILS_ADDR_MAX + 1];
	time_t         when[HTTP_FAILS_PER_ADDR];
	size_t         next;
	time_t         last;
	UT_hash_handle hh;
} fail_addr;

struct http_fails {
	fail_addr *by_addr;
};

mc_err
http_fails_create(http_fails **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? MC_OK : MC_ENOMEM;
}

void
http_fails_destroy(http_fails *f)
{
	fail_addr *a, *t;

	if (f == NULL)
		return;
	HASH_ITER(hh, f->by_addr, a, t)
	{
		HASH_DEL(f->by_addr, a);
		free(a);
	}
	free(f);
}

/* take - an entry for addr: a new one, or the oldest one reused when the
 * table is full (or out of memory) */
static fail_addr *
take(http_fails *f, const char *addr)
{
	fail_addr *a = NULL, *t, *oldest = NULL;

	if (HASH_COUNT(f->by_addr) < HTTP_FAILS_ADDRS)
		a = calloc(1, sizeof(*a));
	if (a == NULL) {
		HASH_ITER(hh, f->by_addr, a, t)
		{
			if (oldest == NULL || a->last < oldest->last)
				oldest = a;
		}
		if ((a = oldest) == NULL)
			return NULL;
		HASH_DEL(f->by_addr, a);
		memset(a, 0, sizeof(*a));
	}
	snprintf(a->addr, sizeof(a->addr), "%s", addr);
	HASH_ADD_STR(f->by_addr, addr, a);
	return a;
}

unsigned
http_fails_note(http_fails *f, const char *addr, time_t now, unsigned window_s)
{
	char       key[HTTP_FAILS_ADDR_MAX + 1];
	fail_addr *a = NULL;
	unsigned   recent = 0;

	snprintf(key, sizeof(key), "%s", addr ? addr : "");
	HASH_FIND_STR(f->by_addr, key, a);
	if (a == NULL && (a = take(f, key)) == NULL)
		return 1;
	a->when[a->next++ % HTTP_FAILS_PER_ADDR] = now;
	a->last = now;
	for (size_t i = 0; i < HTTP_FAILS_PER_ADDR; i++)
		if (a->when[i] != 0 && now - a->when[i] < (time_t) window_s)
			recent++;
	return recent;
}

size_t
http_fails_count(const http_fails *f)
{
	return HASH_COUNT(f->by_addr);
}
