/* instance.c - life cycle of the per-instance record. */
#include "msg/instance.h"

#include <string.h>

void
mc_instance_init(mc_instance *in)
{
	memset(in, 0, sizeof(*in));
}

void
mc_instance_fini(mc_instance *in)
{
	mc_tagset_destroy(in->tags);
	mc_instance_init(in);
}

void
mc_copy_text(char *dst, size_t cap, const char *src)
{
	size_t n;

	if (cap == 0)
		return;
	if (src == NULL)
		src = "";
	n = strlen(src);
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}
