/* instance.h - what the receiver knows about one stored instance: the
 * record that the series journal holds and the instance message carries.
 * Fixed-size text fields (UIDs and AE titles have DICOM maxima); the tags
 * are an owned tagset. */
#ifndef MC_COMMON_INSTANCE_H
#define MC_COMMON_INSTANCE_H

#include <stdint.h>

#include "tags/tagset.h"
#include "tags/uid.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MC_INSTANCE_PATH_MAX 192 /* "incoming/<64>/<64>.dcm" fits */
#define MC_ADDR_MAX_LEN 63       /* an IPv6 text address fits */

typedef struct mc_instance {
	char       study_uid[MC_UID_MAX_LEN + 1];
	char       series_uid[MC_UID_MAX_LEN + 1];
	char       sop_uid[MC_UID_MAX_LEN + 1];
	char       sop_class_uid[MC_UID_MAX_LEN + 1];
	char       path[MC_INSTANCE_PATH_MAX]; /* relative to storage root */
	uint64_t   size;                       /* bytes of the .dcm file */
	int64_t    recv_time_us;               /* Unix epoch, microseconds */
	char       sender_address[MC_ADDR_MAX_LEN + 1];
	char       sender_aet[MC_AET_MAX_LEN + 1];
	char       receiver_aet[MC_AET_MAX_LEN + 1];
	mc_tagset *tags; /* owned; NULL until set */
} mc_instance;

/* mc_instance_init - zero the fields; tags NULL. */
void mc_instance_init(mc_instance *in);
/* mc_instance_fini - free the tags; the struct may be init'ed again. */
void mc_instance_fini(mc_instance *in);
/* mc_copy_text - copy src into a fixed field of size cap, truncating;
 * NULL src gives "". */
void mc_copy_text(char *dst, size_t cap, const char *src);

#ifdef __cplusplus
}
#endif

#endif
