/* peer.c - mc-peer, a test tool that talks to the coordinator the way
 * a hostile local peer could, with the product's own codec:
 *   mc-peer req URL TEXT     one control request (nng REQ), the reply on
 *                            stdout; exit 0 when a reply came
 *   mc-peer push URL STUDY SERIES SOP PATH
 *                            one "instance" message (nng PUSH) naming
 *                            PATH, with an empty tag set */
#include <nng/nng.h>
#include <nng/protocol/pipeline0/push.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/util/platform.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg/instance.h"
#include "msg/msg_codec.h"
#include "tags/tagset.h"

#define PEER_TIMEOUT_MS 5000

static int
req(const char *url, const char *text)
{
	nng_socket s;
	void      *buf;
	size_t     n;
	int        rv;

	if ((rv = nng_req0_open(&s)) != 0)
		return 2;
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, PEER_TIMEOUT_MS);
	nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, PEER_TIMEOUT_MS);
	if ((rv = nng_dial(s, url, NULL, 0)) != 0 ||
	    (rv = nng_send(s, (void *) text, strlen(text), 0)) != 0 ||
	    (rv = nng_recv(s, &buf, &n, NNG_FLAG_ALLOC)) != 0) {
		printf("no reply: %s\n", nng_strerror(rv));
		nng_close(s);
		return 1;
	}
	printf("%.*s\n", (int) n, (char *) buf);
	nng_free(buf, n);
	nng_close(s);
	return 0;
}

static int
push(const char *url, char **a)
{
	nng_socket  s;
	mc_instance in;
	void       *buf = NULL;
	size_t      len = 0;
	int         rv = 1;

	mc_instance_init(&in);
	mc_copy_text(in.study_uid, sizeof(in.study_uid), a[0]);
	mc_copy_text(in.series_uid, sizeof(in.series_uid), a[1]);
	mc_copy_text(in.sop_uid, sizeof(in.sop_uid), a[2]);
	mc_copy_text(in.path, sizeof(in.path), a[3]);
	if (mc_tagset_create(&in.tags) != MC_OK ||
	    mc_tagset_set(in.tags, "StudyInstanceUID", a[0]) != MC_OK ||
	    mc_tagset_set(in.tags, "SeriesInstanceUID", a[1]) != MC_OK ||
	    msg_encode_instance(&in, &buf, &len) != MC_OK)
		goto done;
	if (nng_push0_open(&s) != 0)
		goto done;
	nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, PEER_TIMEOUT_MS);
	if (nng_dial(s, url, NULL, 0) == 0 && nng_send(s, buf, len, 0) == 0)
		rv = 0;
	nng_msleep(200); /* linger: let the message leave before close */
	nng_close(s);
done:
	free(buf);
	mc_instance_fini(&in);
	return rv;
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "req") == 0)
		return req(argv[2], argv[3]);
	if (argc == 7 && strcmp(argv[1], "push") == 0)
		return push(argv[2], argv + 3);
	fprintf(stderr, "usage: mc-peer req URL TEXT | push URL STUDY SERIES "
	                "SOP PATH\n");
	return 2;
}
