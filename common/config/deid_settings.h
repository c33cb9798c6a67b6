/* deid_settings.h - the settings of the built-in module deidentify (a
 * module's settings merged with the rule's processing_settings), read
 * from their JSON text: by the configuration's check at load and by the
 * worker before it runs the module. docs/deidentify.md lists them. The
 * secret is never a setting: settings travel in task.json, so only the
 * file or environment variable that holds it is named. */
#ifndef MC_COMMON_DEID_SETTINGS_H
#define MC_COMMON_DEID_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/mc_err.h"

/* The options of PS3.15 Table E.1-1 that can be chosen. */
#define DEID_OPTIONS(X)                                                       \
	X(RETAIN_FULL_DATES, "retain_full_dates")                             \
	X(RETAIN_MODIFIED_DATES, "retain_modified_dates")                     \
	X(CLEAN_DESCRIPTORS, "clean_descriptors")                             \
	X(RETAIN_UIDS, "retain_uids")                                         \
	X(RETAIN_DEVICE_IDENTITY, "retain_device_identity")                   \
	X(RETAIN_PATIENT_CHARACTERISTICS, "retain_patient_characteristics")   \
	X(RETAIN_INSTITUTION_IDENTITY, "retain_institution_identity")         \
	X(CLEAN_GRAPHICS, "clean_graphics")
#define DEID_OPT_ENUM(id, name) DEID_OPT_BIT_##id,
enum { DEID_OPTIONS(DEID_OPT_ENUM) DEID_OPT_COUNT };
#undef DEID_OPT_ENUM
#define DEID_OPT(id) (1u << DEID_OPT_BIT_##id)

#define DEID_KEEP_PRIVATE_MAX 256
#define DEID_PATTERN_SIZE 65 /* LO: 64 characters */
#define DEID_ENV_NAME_SIZE 128
#define DEID_PATH_SIZE 4096
#define DEID_SHIFT_MAX_DAYS_DEFAULT 365
#define DEID_SHIFT_MAX_DAYS_LIMIT 36500
#define DEID_PATTERN_HASH "{hash}"
#define DEID_HASH_HEX_LEN 12 /* what {hash} becomes: 48 bits, hex */

typedef struct deid_settings {
	unsigned options; /* DEID_OPT() flags */
	/* the key: one of the two is set */
	char secret_file[DEID_PATH_SIZE];
	char secret_env[DEID_ENV_NAME_SIZE];
	/* replacement PatientID and PatientName: {hash} is the keyed hash
	 * of the original PatientID; used for patients not in lookup_table */
	char patient_id[DEID_PATTERN_SIZE];
	char patient_name[DEID_PATTERN_SIZE];
	char lookup_table[DEID_PATH_SIZE]; /* "" : none */
	/* a patient missing from lookup_table: the patterns (true) or the
	 * task fails (false, the default: lookup_missing "fail") */
	bool     lookup_fallback;
	char     mapping_file[DEID_PATH_SIZE];        /* "" : the default */
	uint32_t keep_private[DEID_KEEP_PRIVATE_MAX]; /* (g << 16) | e */
	size_t   n_keep_private;
	bool     allow_burned_in;
	unsigned date_shift_max_days; /* 1..DEID_SHIFT_MAX_DAYS_LIMIT */
} deid_settings;

/* deid_settings_parse - json: the settings object's text (borrowed;
 * NULL or "" is {}). Unknown keys, a "secret" written in the settings,
 * two date options at once, a bad private tag or pattern are MC_ECONFIG
 * with err naming the key (never a secret). No key source at all is
 * MC_ECONFIG too. On MC_OK *out is filled, defaults included. Any
 * thread. */
MC_NODISCARD mc_err deid_settings_parse(
    const char *json, deid_settings *out, char *err, size_t errlen);

/* deid_option_name - the settings name of a DEID_OPT_BIT_* ("" past the
 * end). */
const char *deid_option_name(unsigned bit);

#endif
