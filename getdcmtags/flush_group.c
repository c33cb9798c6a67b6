/* flush_group.c - one device cache flush for several callers (see
 * flush_group.h). Tickets in arrival order; a round flushes for every
 * ticket taken before it started. */
#define _GNU_SOURCE /* sync_file_range(2): Linux */
#include "flush_group.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/vfs.h>
#include <unistd.h>

#define FS_EXT4 0xEF53u /* ext2/3/4 share the magic */
#define FS_XFS 0x58465342u

struct flush_group {
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	uint64_t        taken;     /* tickets handed out */
	uint64_t        done;      /* every ticket <= done is flushed */
	uint64_t        failed_to; /* a round up to here failed */
	uint64_t        flushes;
	bool            busy; /* a round is under way */
};

flush_group *
flush_group_create(const char *dir)
{
	struct statfs sf;
	flush_group  *g;

	if (statfs(dir, &sf) != 0)
		return NULL;
	/* ext3 without barriers or ext2 share the magic; their fdatasync
	 * does not flush either, so grouping loses nothing there */
	if ((unsigned long) sf.f_type != FS_EXT4 &&
	    (unsigned long) sf.f_type != FS_XFS)
		return NULL;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	return g;
}

void
flush_group_destroy(flush_group *g)
{
	if (g == NULL)
		return;
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	free(g);
}

mc_err
flush_group_sync(flush_group *g, int fd, uint64_t len)
{
	uint64_t ticket;
	bool     retry_alone = false;
	int      e = 0;

	if (sync_file_range(fd, 0, (off64_t) len,
	        SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
	            SYNC_FILE_RANGE_WAIT_AFTER) != 0)
		return mc_from_errno(errno);
	pthread_mutex_lock(&g->mu);
	ticket = ++g->taken;
	while (g->done < ticket) {
		if (g->busy) {
			pthread_cond_wait(&g->cv, &g->mu);
			continue;
		}
		/* lead a round for every ticket taken so far */
		uint64_t upto = g->taken;
		g->busy = true;
		pthread_mutex_unlock(&g->mu);
		e = fdatasync(fd) == 0 ? 0 : errno;
		pthread_mutex_lock(&g->mu);
		g->busy = false;
		g->done = upto;
		g->flushes++;
		if (e != 0)
			g->failed_to = upto;
		pthread_cond_broadcast(&g->cv);
		if (e != 0) {
			pthread_mutex_unlock(&g->mu);
			return mc_from_errno(e);
		}
	}
	/* a failed round may have been ours: find out with a flush of our
	 * own (a later failure sends a few callers here needlessly) */
	retry_alone = ticket <= g->failed_to;
	pthread_mutex_unlock(&g->mu);
	if (retry_alone && fdatasync(fd) != 0)
		return mc_from_errno(errno);
	return MC_OK;
}

uint64_t
flush_group_flushes(flush_group *g)
{
	uint64_t n;

	if (g == NULL)
		return 0;
	pthread_mutex_lock(&g->mu);
	n = g->flushes;
	pthread_mutex_unlock(&g->mu);
	return n;
}
