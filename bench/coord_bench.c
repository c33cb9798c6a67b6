/* coord_bench.c - how many instance messages per second the
 * coordinator's hot path takes on one core: msgpack decode, series table
 * insert (dedup by SOP UID) and the arrival-order update, the work done
 * per message inside the loop. Also the same through an nng ipc PUSH ->
 * PULL pair, to include the socket. Not a test: prints figures. */
#include <nng/nng.h>
#include <nng/protocol/pipeline0/pull.h>
#include <nng/protocol/pipeline0/push.h>
#include <nng/supplemental/util/platform.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "msg/msg_codec.h"
#include "core/series_table.h"

#define BENCH_MESSAGES 200000
#define BENCH_PER_SERIES 200
#define BENCH_TAGS 45

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void
make(mc_instance *in, int i)
{
	char k[32], v[64];

	mc_instance_init(in);
	snprintf(in->study_uid, sizeof(in->study_uid), "1.2.3.%d",
	    i / (BENCH_PER_SERIES * 4));
	snprintf(in->series_uid, sizeof(in->series_uid), "1.2.3.4.%d",
	    i / BENCH_PER_SERIES);
	snprintf(in->sop_uid, sizeof(in->sop_uid), "1.2.3.4.5.%d", i);
	snprintf(in->path, sizeof(in->path), "incoming/%s/%s.dcm",
	    in->series_uid, in->sop_uid);
	in->size = 9826;
	if (mc_tagset_create(&in->tags) != MC_OK)
		exit(1);
	for (int t = 0; t < BENCH_TAGS; t++) {
		snprintf(k, sizeof(k), "Tag%02d", t);
		snprintf(v, sizeof(v), "value of tag %d for %d", t, i);
		if (mc_tagset_set(in->tags, k, v) != MC_OK)
			exit(1);
	}
}

typedef struct {
	void  **bufs;
	size_t *lens;
	int     n;
} corpus;

static void
consume(series_table *t, const void *buf, size_t len, int64_t now)
{
	mc_instance in;
	series     *s;
	bool        added;
	char        err[128];

	/* as coord.c's on_message: the tags only for a new series */
	mc_instance_init(&in);
	if (msg_decode_instance_head(buf, len, &in, err, sizeof(err)) != MC_OK)
		exit(1);
	if (series_table_find(t, in.series_uid) == NULL &&
	    msg_decode_instance(buf, len, &in, err, sizeof(err)) != MC_OK)
		exit(1);
	if (series_table_add(t, &in, now, &s, &added) != MC_OK)
		exit(1);
	mc_instance_fini(&in);
}

static void *
sender(void *arg)
{
	corpus    *c = arg;
	nng_socket s;

	if (nng_push0_open(&s) != 0 ||
	    nng_dial(s, "ipc:///tmp/mc-coord-bench.ipc", NULL, 0) != 0)
		exit(1);
	for (int i = 0; i < c->n; i++)
		if (nng_send(s, c->bufs[i], c->lens[i], 0) != 0)
			exit(1);
	nng_msleep(100);
	nng_close(s);
	return NULL;
}

int
main(void)
{
	corpus        c = {malloc(BENCH_MESSAGES * sizeof(void *)),
	           malloc(BENCH_MESSAGES * sizeof(size_t)), BENCH_MESSAGES};
	series_table *t;
	double        t0, t1;
	nng_socket    pull;
	pthread_t     th;

	for (int i = 0; i < c.n; i++) {
		mc_instance in;
		make(&in, i);
		if (msg_encode_instance(&in, &c.bufs[i], &c.lens[i]) != MC_OK)
			return 1;
		mc_instance_fini(&in);
	}
	if (series_table_create(&t) != MC_OK)
		return 1;
	t0 = now_s();
	for (int i = 0; i < c.n; i++)
		consume(t, c.bufs[i], c.lens[i], i);
	t1 = now_s();
	printf("event=coord_bench path=in_process messages=%d seconds=%.3f "
	       "messages_per_s=%.0f series=%zu bytes_per_msg=%zu\n",
	    c.n, t1 - t0, c.n / (t1 - t0), series_table_count(t), c.lens[0]);
	series_table_destroy(t);

	if (series_table_create(&t) != MC_OK || nng_pull0_open(&pull) != 0 ||
	    nng_listen(pull, "ipc:///tmp/mc-coord-bench.ipc", NULL, 0) != 0)
		return 1;
	pthread_create(&th, NULL, sender, &c);
	t0 = now_s();
	for (int i = 0; i < c.n; i++) {
		nng_msg *m;
		if (nng_recvmsg(pull, &m, 0) != 0)
			return 1;
		consume(t, nng_msg_body(m), nng_msg_len(m), i);
		nng_msg_free(m);
	}
	t1 = now_s();
	pthread_join(th, NULL);
	printf("event=coord_bench path=nng_ipc messages=%d seconds=%.3f "
	       "messages_per_s=%.0f\n",
	    c.n, t1 - t0, c.n / (t1 - t0));
	nng_close(pull);
	series_table_destroy(t);
	for (int i = 0; i < c.n; i++)
		free(c.bufs[i]);
	free(c.bufs);
	free(c.lens);
	unlink("/tmp/mc-coord-bench.ipc");
	return 0;
}
