/* fuzz_config.c - config_load_buffer on any text. */
#include <stdint.h>
#include <stdlib.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CONFIG_DIAGS 16

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	config_diag d[FUZZ_CONFIG_DIAGS];
	size_t      n = 0;
	mc_config  *c = NULL;

	if (config_load_buffer("fuzz.yaml", (const char *) data, size, &c, d,
	        FUZZ_CONFIG_DIAGS, &n) == MC_OK)
		config_destroy(c);
	return 0;
}
