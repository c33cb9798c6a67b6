/* stream_watch.c - inotify on one folder with a poll(2) bound
 * (stream_watch.h). The events are drained and not looked at: the
 * caller reads stream.list and looks for stream.end after every wake,
 * which is cheap, so which file changed does not matter. */
#include "stream/stream_watch.h"

#include <poll.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <unistd.h>

struct stream_watch {
	int fd; /* inotify, or -1 */
};

mc_err
stream_watch_open(const char *dir, stream_watch **out)
{
	stream_watch *w = calloc(1, sizeof(*w));

	*out = NULL;
	if (w == NULL)
		return MC_ENOMEM;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd >= 0 &&
	    inotify_add_watch(w->fd, dir,
	        IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO) < 0) {
		close(w->fd);
		w->fd = -1;
	}
	*out = w;
	return MC_OK;
}

void
stream_watch_close(stream_watch *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w);
}

void
stream_watch_wait(stream_watch *w)
{
	struct pollfd p = {.fd = w->fd, .events = POLLIN};
	char          drain[4096];

	if (w->fd < 0) {
		(void) poll(NULL, 0, STREAM_WATCH_POLL_MS);
		return;
	}
	if (poll(&p, 1, STREAM_WATCH_POLL_MS) > 0)
		while (read(w->fd, drain, sizeof(drain)) > 0)
			;
}
