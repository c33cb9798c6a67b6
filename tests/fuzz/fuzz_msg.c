/* fuzz_msg.c - msg_peek_type, msg_decode_instance(_head) and
 * msg_decode_result on any bytes. */
#include <stdint.h>
#include <stdlib.h>

#include "msg/msg_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char          type[MSG_TYPE_MAX_LEN + 1], err[256];
	mc_instance   in;
	mc_result_msg r;

	(void) !msg_peek_type(data, size, type, err, sizeof(err));
	mc_instance_init(&in);
	if (msg_decode_instance(data, size, &in, err, sizeof(err)) == MC_OK)
		mc_instance_fini(&in);
	mc_instance_init(&in);
	if (msg_decode_instance_head(data, size, &in, err, sizeof(err)) ==
	    MC_OK)
		mc_instance_fini(&in);
	(void) !msg_decode_result(data, size, &r, err, sizeof(err));
	return 0;
}
