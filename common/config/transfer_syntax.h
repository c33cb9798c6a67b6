/* transfer_syntax.h - a dicom target's transfer_syntaxes: each entry a
 * transfer syntax UID or one of DCMTK's names for it
 * ("LittleEndianExplicit", "JPEGLossless"), checked by the configuration
 * at load and read again by the worker from task.json, where a list is
 * its compact JSON text. */
#ifndef MC_CONFIG_TRANSFER_SYNTAX_H
#define MC_CONFIG_TRANSFER_SYNTAX_H

#include <stddef.h>

#include "base/mc_err.h"

#define TRANSFER_SYNTAX_LIST_MAX 8
#define TRANSFER_SYNTAX_UID_MAX_LEN 64

/* transfer_syntax_uid - the UID a name stands for (names compare without
 * case), or s itself when it is a valid UID; NULL when it is neither. */
const char *transfer_syntax_uid(const char *s);

/* transfer_syntax_list_parse - text as the worker gets it: a JSON array
 * of strings, or names/UIDs separated by commas; NULL or "": none. On
 * MC_OK uids[0..*n) hold the UIDs in order (duplicates dropped). MC_EINVAL
 * with err for an unknown entry or more than TRANSFER_SYNTAX_LIST_MAX. */
MC_NODISCARD mc_err transfer_syntax_list_parse(const char *text,
    char uids[][TRANSFER_SYNTAX_UID_MAX_LEN + 1], size_t *n, char *err,
    size_t errlen);

#endif
