/* dcm_qr_keys.c - the matching keys a query or retrieve may send
 * (dcm_qr.h): which keywords, how long, which characters. A key's value
 * travels to a PACS, often from a pasted list, so it is checked here and
 * not left to the peer: no backslash (DICOM's value separator would turn
 * one value into several), no wildcard where the caller wants one match
 * (a retrieve, a UID, a date), printable ASCII only (no character set is
 * declared in the query), and the length of the key's VR. No DCMTK here. */
#include "dcm/dcm_qr.h"

#include <stdbool.h>
#include <string.h>

#include "tags/uid.h"

#define QR_DATE_LEN 8 /* YYYYMMDD */

typedef enum { KEY_TEXT, KEY_DATE, KEY_UID } key_kind;

typedef struct key_rule {
	const char *keyword;
	size_t      max_len; /* the VR's: LO 64, SH 16, CS 16, UI 64 */
	key_kind    kind;
} key_rule;

static const key_rule key_rules[] = {
    {"PatientID", 64, KEY_TEXT},
    {"AccessionNumber", 16, KEY_TEXT},
    {"StudyDate", 2 * QR_DATE_LEN + 1, KEY_DATE},
    {"Modality", 16, KEY_TEXT},
    {"StudyInstanceUID", DCM_QR_UID_MAX_LEN, KEY_UID},
    {"SeriesInstanceUID", DCM_QR_UID_MAX_LEN, KEY_UID},
};

static const key_rule *
find_rule(const char *keyword)
{
	for (size_t i = 0; i < sizeof(key_rules) / sizeof(key_rules[0]); i++)
		if (strcmp(key_rules[i].keyword, keyword) == 0)
			return &key_rules[i];
	return NULL;
}

static bool
all_digits(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

/* YYYYMMDD, or a range of two with either end empty (not both) */
static bool
date_ok(const char *v)
{
	const char *dash = strchr(v, '-');
	size_t      n = strlen(v), a, b;

	if (dash == NULL)
		return n == QR_DATE_LEN && all_digits(v, n);
	a = (size_t) (dash - v);
	b = n - a - 1;
	return n > 1 && (a == 0 || (a == QR_DATE_LEN && all_digits(v, a))) &&
	       (b == 0 || (b == QR_DATE_LEN && all_digits(dash + 1, b)));
}

mc_err
dcm_qr_key_check(const char *keyword, const char *value, int allow_wildcards,
    char *err, size_t errlen)
{
	const key_rule *r = keyword != NULL ? find_rule(keyword) : NULL;
	size_t          n = value != NULL ? strlen(value) : 0;

	if (r == NULL) {
		mc_errf(err, errlen,
		    "unknown key '%.64s' (PatientID, AccessionNumber, "
		    "StudyDate, Modality, StudyInstanceUID, SeriesInstanceUID)",
		    keyword != NULL ? keyword : "");
		return MC_EINVAL;
	}
	if (n == 0 || n > r->max_len) {
		mc_errf(err, errlen, "%s: 1 to %zu characters", keyword,
		    r->max_len);
		return MC_EINVAL;
	}
	for (const unsigned char *p = (const unsigned char *) value; *p; p++) {
		if (*p < 0x20 || *p > 0x7e || *p == '\\') {
			mc_errf(err, errlen,
			    "%s: only printable ASCII without '\\'", keyword);
			return MC_EINVAL;
		}
		if ((*p == '*' || *p == '?') &&
		    (!allow_wildcards || r->kind != KEY_TEXT)) {
			mc_errf(err, errlen, "%s: no wildcards here", keyword);
			return MC_EINVAL;
		}
	}
	if (r->kind == KEY_DATE && !date_ok(value)) {
		mc_errf(err, errlen,
		    "%s: YYYYMMDD or a range YYYYMMDD-YYYYMMDD", keyword);
		return MC_EINVAL;
	}
	if (r->kind == KEY_UID && !uid_is_valid(value)) {
		mc_errf(
		    err, errlen, "%s: not a UID (digits and dots)", keyword);
		return MC_EINVAL;
	}
	return MC_OK;
}
