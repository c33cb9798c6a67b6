/* msgdump.c - mc-msgdump, a test tool: bind an nng PULL socket, print
 * each instance message as one JSON line (decoded with the product's own
 * msg_codec, so a test checks both ends), exit after --count messages or
 * exit 1 after --timeout-ms without one. Malformed messages print
 * {"error": "..."} lines. */
#include <nng/nng.h>
#include <nng/protocol/pipeline0/pull.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg/journal.h"
#include "msg/msg_codec.h"

static int
dump_one(const void *buf, size_t len)
{
	mc_instance in;
	char        err[256], type[MSG_TYPE_MAX_LEN + 1];
	char       *line;
	size_t      n;

	mc_instance_init(&in);
	if (msg_peek_type(buf, len, type, err, sizeof(err)) != MC_OK ||
	    msg_decode_instance(buf, len, &in, err, sizeof(err)) != MC_OK) {
		printf("{\"error\": \"%s\"}\n", err);
		return 0;
	}
	/* the journal's JSON line has the message's fields plus "file" */
	if (journal_encode_line(&in, &line, &n) != MC_OK) {
		mc_instance_fini(&in);
		return -1;
	}
	printf("{\"type\":\"%s\",%s", type, line + 1);
	free(line);
	mc_instance_fini(&in);
	fflush(stdout);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *url = NULL;
	long        count = 1, timeout_ms = 10000;
	nng_socket  s;
	int         rv;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--listen") == 0)
			url = argv[i + 1];
		else if (strcmp(argv[i], "--count") == 0)
			count = strtol(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--timeout-ms") == 0)
			timeout_ms = strtol(argv[i + 1], NULL, 10);
	}
	if (url == NULL) {
		fprintf(stderr, "usage: mc-msgdump --listen URL [--count N] "
		                "[--timeout-ms T]\n");
		return 2;
	}
	if ((rv = nng_pull0_open(&s)) != 0 ||
	    (rv = nng_socket_set_ms(
	         s, NNG_OPT_RECVTIMEO, (nng_duration) timeout_ms)) != 0 ||
	    (rv = nng_listen(s, url, NULL, 0)) != 0) {
		fprintf(stderr, "mc-msgdump: %s\n", nng_strerror(rv));
		return 2;
	}
	fprintf(stderr, "ready\n");
	for (long i = 0; i < count; i++) {
		void  *buf;
		size_t len;
		if ((rv = nng_recv(s, &buf, &len, NNG_FLAG_ALLOC)) != 0) {
			fprintf(stderr, "mc-msgdump: %s after %ld messages\n",
			    nng_strerror(rv), i);
			nng_close(s);
			return 1;
		}
		rv = dump_one(buf, len);
		nng_free(buf, len);
		if (rv != 0)
			return 1;
	}
	nng_close(s);
	return 0;
}
