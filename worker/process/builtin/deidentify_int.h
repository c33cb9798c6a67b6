/* deidentify_int.h - shared by the deidentify*.c files and nothing else:
 * the key (deidentify_key.c), the lookup table (deidentify_lookup.c) and
 * the mapping records (deidentify_map.c) that deidentify.c puts
 * together around dcm_deid_file. */
#ifndef MC_WORKER_DEIDENTIFY_INT_H
#define MC_WORKER_DEIDENTIFY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/mc_err.h"
#include "config/deid_settings.h"
#include "dcm/dcm_deid.h"

#define DEID_KEY_MIN_LEN 16   /* bytes of the secret */
#define DEID_KEY_MAX_LEN 4096 /* longer: a wrong file was named */
#define DEID_MAC_LEN 32       /* HMAC-SHA256 */

/* ---- the key (deidentify_key.c) ---------------------------------- */

typedef struct deid_key {
	unsigned char bytes[DEID_KEY_MAX_LEN];
	size_t        len;
} deid_key;

/* deid_key_load - the secret of s (secret_file, trailing newlines
 * removed, or the variable secret_env). err names the file or variable,
 * never the value. MC_ECONFIG (unset, shorter than DEID_KEY_MIN_LEN),
 * MC_EIO (unreadable). */
MC_NODISCARD mc_err deid_key_load(
    const deid_settings *s, deid_key *k, char *err, size_t errlen);
/* deid_key_wipe - zero the key (not optimized away). */
void deid_key_wipe(deid_key *k);

/* deid_mac - HMAC-SHA256(key, prefix || data) into mac. The functions
 * below return what it returns: MC_OK, or MC_EINTERNAL when OpenSSL
 * cannot (no memory, no SHA-256 provider). */
MC_NODISCARD mc_err deid_mac(const deid_key *k, const char *prefix,
    const char *data, unsigned char mac[DEID_MAC_LEN]);

/* deid_uid - "2.25." and the decimal of the first 128 bits of
 * HMAC-SHA256(key, uid): the same UID always gives the same new one,
 * across runs and workers that share the key. out holds DCM_DEID_UID_SIZE
 * bytes. */
MC_NODISCARD mc_err deid_uid(const deid_key *k, const char *uid, char *out);

/* deid_hash_hex - {hash}: DEID_HASH_HEX_LEN upper-case hex digits of
 * HMAC-SHA256(key, "patient:" || patient_id). out holds 13 bytes. */
MC_NODISCARD mc_err deid_hash_hex(
    const deid_key *k, const char *patient_id, char *out);

/* deid_shift_days - the date shift of a patient: -1..-max_days, from
 * HMAC-SHA256(key, "dateshift:" || patient_id). */
MC_NODISCARD mc_err deid_shift_days(
    const deid_key *k, const char *patient_id, unsigned max_days, long *days);

/* deid_expand - pattern with {hash} replaced by hash into out (size
 * DEID_PATTERN_SIZE; the settings check bounded the result). */
void deid_expand(const char *pattern, const char *hash, char *out);

/* ---- the lookup table (deidentify_lookup.c) ---------------------- */

typedef struct deid_lookup deid_lookup;

/* deid_lookup_load - path: a CSV file, one patient a line:
 * original_patient_id,new_patient_id[,new_patient_name]; a first line
 * starting with "original_patient_id" is a header; empty lines and
 * lines starting with '#' are skipped; a field may be in double quotes.
 * Errors name the line, never its content: MC_EPARSE (bad line, a new
 * value that is not printable ASCII or longer than 64), MC_EIO. */
MC_NODISCARD mc_err deid_lookup_load(
    const char *path, deid_lookup **out, char *err, size_t errlen);
void deid_lookup_destroy(deid_lookup *l); /* NULL: no-op */
/* deid_lookup_find - true and *new_id, *new_name (borrowed; name may be
 * "") when old_id is in the table. */
bool deid_lookup_find(const deid_lookup *l, const char *old_id,
    const char **new_id, const char **new_name);

/* ---- mapping records (deidentify_map.c) -------------------------- */

typedef struct deid_map deid_map;

MC_NODISCARD mc_err deid_map_create(deid_map **out);
void                deid_map_destroy(deid_map *m); /* NULL: no-op */
/* deid_map_add - note that old became new for kind ("patient",
 * "study", "series", "date_shift"); a pair already noted is skipped. */
MC_NODISCARD mc_err deid_map_add(
    deid_map *m, const char *kind, const char *old_value, const char *val);
/* deid_map_write - append the noted pairs to path as tab-separated
 * lines "time task kind old new" (the file is 0600, made so if it
 * exists with more; its folder is created). */
MC_NODISCARD mc_err deid_map_write(const deid_map *m, const char *path,
    const char *task_id, char *err, size_t errlen);

#endif
