/* uid.h - DICOM UID and task id validation. A UID becomes part of a
 * path only after
 * uid_is_valid() said yes: digits and dots, 1..64 characters, no empty
 * component, so "../../x" and "" can never leave the storage root. */
#ifndef MC_COMMON_UID_H
#define MC_COMMON_UID_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MC_UID_MAX_LEN 64
#define MC_AET_MAX_LEN 16

/* uid_is_valid - true when s is a usable UID (see above). NULL: false. */
bool uid_is_valid(const char *s);

/* A task id is a UUID as libuuid's uuid_unparse_lower() writes it:
 * 8-4-4-4-12 lower-case hex digits. */
#define MC_TASK_ID_LEN 36

/* task_id_is_valid - true when s has that syntax, so that it names one
 * folder under tasks/, error/, success/ or discard/ and nothing else.
 * NULL: false. */
bool task_id_is_valid(const char *s);

#ifdef __cplusplus
}
#endif

#endif
