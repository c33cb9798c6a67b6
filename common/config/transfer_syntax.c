/* transfer_syntax.c - the names of transfer_syntax.h: DCMTK's E_TransferSyntax
 * names without their EXS_ prefix, plus the short names of the
 * lossless syntaxes that tools commonly use. */
#include "config/transfer_syntax.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tags/uid.h"

typedef struct ts_name {
	const char *name;
	const char *uid;
} ts_name;

static const ts_name names[] = {
    {"LittleEndianImplicit", "1.2.840.10008.1.2"},
    {"LittleEndianExplicit", "1.2.840.10008.1.2.1"},
    {"BigEndianExplicit", "1.2.840.10008.1.2.2"},
    {"DeflatedLittleEndianExplicit", "1.2.840.10008.1.2.1.99"},
    {"JPEGProcess1", "1.2.840.10008.1.2.4.50"},
    {"JPEGBaseline", "1.2.840.10008.1.2.4.50"},
    {"JPEGProcess2_4", "1.2.840.10008.1.2.4.51"},
    {"JPEGExtended", "1.2.840.10008.1.2.4.51"},
    {"JPEGProcess14", "1.2.840.10008.1.2.4.57"},
    {"JPEGProcess14SV1", "1.2.840.10008.1.2.4.70"},
    {"JPEGLossless", "1.2.840.10008.1.2.4.70"},
    {"JPEGLSLossless", "1.2.840.10008.1.2.4.80"},
    {"JPEGLSLossy", "1.2.840.10008.1.2.4.81"},
    {"JPEG2000LosslessOnly", "1.2.840.10008.1.2.4.90"},
    {"JPEG2000", "1.2.840.10008.1.2.4.91"},
    {"RLELossless", "1.2.840.10008.1.2.5"},
};

#define N_NAMES (sizeof(names) / sizeof(names[0]))

const char *
transfer_syntax_uid(const char *s)
{
	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < N_NAMES; i++)
		if (strcasecmp(names[i].name, s) == 0)
			return names[i].uid;
	return uid_is_valid(s) ? s : NULL;
}

static mc_err
add_entry(const char *word, char uids[][TRANSFER_SYNTAX_UID_MAX_LEN + 1],
    size_t *n, char *err, size_t errlen)
{
	const char *uid = transfer_syntax_uid(word);

	if (uid == NULL) {
		mc_errf(err, errlen,
		    "'%s' is neither a transfer syntax UID nor one of its "
		    "names in docs/targets.md",
		    word);
		return MC_EINVAL;
	}
	for (size_t i = 0; i < *n; i++)
		if (strcmp(uids[i], uid) == 0)
			return MC_OK;
	if (*n >= TRANSFER_SYNTAX_LIST_MAX) {
		mc_errf(err, errlen, "more than %d entries",
		    TRANSFER_SYNTAX_LIST_MAX);
		return MC_EINVAL;
	}
	snprintf(uids[(*n)++], TRANSFER_SYNTAX_UID_MAX_LEN + 1, "%s", uid);
	return MC_OK;
}

/* Names and UIDs hold no quotes, brackets, commas or spaces, so the JSON
 * array and the comma list split the same way. */
mc_err
transfer_syntax_list_parse(const char *text,
    char uids[][TRANSFER_SYNTAX_UID_MAX_LEN + 1], size_t *n, char *err,
    size_t errlen)
{
	char word[TRANSFER_SYNTAX_UID_MAX_LEN + 1];

	*n = 0;
	for (const char *p = text; p != NULL && *p != '\0';) {
		size_t len = 0;
		while (*p != '\0' && strchr("[]\", \t\n", *p) != NULL)
			p++;
		while (p[len] != '\0' && strchr("[]\", \t\n", p[len]) == NULL)
			len++;
		if (len == 0)
			break;
		if (len > TRANSFER_SYNTAX_UID_MAX_LEN) {
			mc_errf(err, errlen, "entry longer than %d characters",
			    TRANSFER_SYNTAX_UID_MAX_LEN);
			return MC_EINVAL;
		}
		memcpy(word, p, len);
		word[len] = '\0';
		p += len;
		if (add_entry(word, uids, n, err, errlen) != MC_OK)
			return MC_EINVAL;
	}
	return MC_OK;
}
