/* fuzz_journal.c - journal_decode_line on any bytes, and a round trip of
 * what decodes: encoding it again must decode to the same record. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mc_instance in, again;
	char       *line;
	size_t      len;

	mc_instance_init(&in);
	if (journal_decode_line((const char *) data, size, &in) != MC_OK)
		return 0;
	if (journal_encode_line(&in, &line, &len) == MC_OK) {
		mc_instance_init(&again);
		if (journal_decode_line(line, len, &again) != MC_OK ||
		    strcmp(again.sop_uid, in.sop_uid) != 0 ||
		    mc_tagset_count(again.tags) != mc_tagset_count(in.tags))
			abort(); /* what we write, we must read back */
		mc_instance_fini(&again);
		free(line);
	}
	mc_instance_fini(&in);
	return 0;
}
