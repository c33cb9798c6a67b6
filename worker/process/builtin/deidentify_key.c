/* deidentify_key.c - the site's key for deidentify and what is derived
 * from it: new UIDs, the {hash} of a patient, the date shift. The one
 * user of OpenSSL's HMAC in the worker. */
#include "process/builtin/deidentify_int.h"

#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/sys_fs.h"

#define DEID_UID_ROOT "2.25."
#define DEID_UID_BITS_BYTES 16 /* 128 bits, as 2.25 UIDs (X.667) */

void
deid_key_wipe(deid_key *k)
{
	volatile unsigned char *p = k->bytes;
	for (size_t i = 0; i < sizeof(k->bytes); i++)
		p[i] = 0;
	k->len = 0;
}

static mc_err
key_set(deid_key *k, const char *from, const char *v, size_t n, char *err,
    size_t errlen)
{
	while (n > 0 && (v[n - 1] == '\n' || v[n - 1] == '\r'))
		n--;
	if (n < DEID_KEY_MIN_LEN || n > DEID_KEY_MAX_LEN) {
		mc_errf(err, errlen,
		    "deidentify: the key in %s must hold %d to %d bytes", from,
		    DEID_KEY_MIN_LEN, DEID_KEY_MAX_LEN);
		return MC_ECONFIG;
	}
	memcpy(k->bytes, v, n);
	k->len = n;
	return MC_OK;
}

mc_err
deid_key_load(const deid_settings *s, deid_key *k, char *err, size_t errlen)
{
	char  *text = NULL;
	size_t n = 0;
	mc_err rv;

	k->len = 0;
	if (s->secret_env[0] != '\0') {
		const char *v = getenv(s->secret_env);
		if (v == NULL) {
			mc_errf(err, errlen,
			    "deidentify: secret_env names %s, which is not set",
			    s->secret_env);
			return MC_ECONFIG;
		}
		return key_set(k, s->secret_env, v, strlen(v), err, errlen);
	}
	if ((rv = sys_read_file(s->secret_file, &text, &n)) != MC_OK) {
		mc_errf(err, errlen, "deidentify: secret_file %s: %s",
		    s->secret_file, mc_strerror(rv));
		return MC_EIO;
	}
	rv = key_set(k, s->secret_file, text, n, err, errlen);
	memset(text, 0, n);
	free(text);
	return rv;
}

mc_err
deid_mac(const deid_key *k, const char *prefix, const char *data,
    unsigned char mac[DEID_MAC_LEN])
{
	char       digest[] = "SHA256";
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
	    OSSL_PARAM_construct_end()};
	EVP_MAC     *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *c = m != NULL ? EVP_MAC_CTX_new(m) : NULL;
	size_t       len = 0;
	int          ok;

	ok = c != NULL && EVP_MAC_init(c, k->bytes, k->len, params) == 1 &&
	     EVP_MAC_update(
	         c, (const unsigned char *) prefix, strlen(prefix)) == 1 &&
	     EVP_MAC_update(c, (const unsigned char *) data, strlen(data)) ==
	         1 &&
	     EVP_MAC_final(c, mac, &len, DEID_MAC_LEN) == 1 &&
	     len == DEID_MAC_LEN;
	EVP_MAC_CTX_free(c);
	EVP_MAC_free(m);
	return ok ? MC_OK : MC_EINTERNAL;
}

/* the decimal digits of a big-endian number, by long division */
static void
decimal_of(const unsigned char *num, size_t n, char *out, size_t len)
{
	unsigned char v[DEID_UID_BITS_BYTES];
	char          rev[48];
	size_t        nd = 0, i;
	bool          zero;

	memcpy(v, num, n);
	do {
		unsigned rem = 0;
		zero = true;
		for (i = 0; i < n; i++) {
			unsigned cur = rem * 256 + v[i];
			v[i] = (unsigned char) (cur / 10);
			rem = cur % 10;
			if (v[i] != 0)
				zero = false;
		}
		rev[nd++] = (char) ('0' + rem);
	} while (!zero && nd < sizeof(rev));
	for (i = 0; i < nd && i + 1 < len; i++)
		out[i] = rev[nd - 1 - i];
	out[i] = '\0';
}

mc_err
deid_uid(const deid_key *k, const char *uid, char *out)
{
	unsigned char mac[DEID_MAC_LEN];
	mc_err        rv = deid_mac(k, "", uid, mac);

	if (rv != MC_OK)
		return rv;
	memcpy(out, DEID_UID_ROOT, sizeof(DEID_UID_ROOT));
	decimal_of(mac, DEID_UID_BITS_BYTES, out + strlen(DEID_UID_ROOT),
	    DCM_DEID_UID_SIZE - strlen(DEID_UID_ROOT));
	return MC_OK;
}

mc_err
deid_hash_hex(const deid_key *k, const char *patient_id, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char     mac[DEID_MAC_LEN];
	mc_err            rv = deid_mac(k, "patient:", patient_id, mac);

	if (rv != MC_OK)
		return rv;
	for (size_t i = 0; i < DEID_HASH_HEX_LEN; i++)
		out[i] = hex[(mac[i / 2] >> ((i % 2) ? 0 : 4)) & 0xF];
	out[DEID_HASH_HEX_LEN] = '\0';
	return MC_OK;
}

mc_err
deid_shift_days(
    const deid_key *k, const char *patient_id, unsigned max_days, long *days)
{
	unsigned char mac[DEID_MAC_LEN];
	uint64_t      v = 0;
	mc_err        rv = deid_mac(k, "dateshift:", patient_id, mac);

	if (rv != MC_OK)
		return rv;
	for (size_t i = 0; i < 8; i++)
		v = (v << 8) | mac[i];
	*days = -1 - (long) (v % max_days);
	return MC_OK;
}

void
deid_expand(const char *pattern, const char *hash, char *out)
{
	size_t n = 0, hl = strlen(DEID_PATTERN_HASH);

	for (size_t i = 0; pattern[i] != '\0' && n + 1 < DEID_PATTERN_SIZE;) {
		if (strncmp(pattern + i, DEID_PATTERN_HASH, hl) == 0) {
			for (size_t j = 0;
			     hash[j] != '\0' && n + 1 < DEID_PATTERN_SIZE; j++)
				out[n++] = hash[j];
			i += hl;
			continue;
		}
		out[n++] = pattern[i++];
	}
	out[n] = '\0';
}
