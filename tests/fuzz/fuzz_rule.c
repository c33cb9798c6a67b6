/* fuzz_rule.c - rule_compile and, when it compiles, rule_eval on a small
 * tag set: no input may crash, leak or read out of bounds. */
#include <stdint.h>
#include <stdlib.h>

#include "rule/rule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rule      *r = NULL;
	mc_diag    d = {0};
	mc_tagset *t = NULL;

	if (rule_compile((const char *) data, size, &r, &d) == MC_OK &&
	    mc_tagset_create(&t) == MC_OK &&
	    mc_tagset_set(t, "Modality", "MR") == MC_OK &&
	    mc_tagset_set(t, "SeriesDescription", "Sag T1 CINE") == MC_OK &&
	    mc_tagset_set(t, "SliceThickness", "1.5") == MC_OK)
		(void) rule_eval(r, t, NULL);
	mc_tagset_destroy(t);
	rule_free(r);
	return 0;
}
