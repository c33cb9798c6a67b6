/* dcm_edit.h - changing attributes of a DICOM file: set, remove or copy
 * one top-level attribute, or rewrite its value with a regular
 * expression, and write the result as a new file in the original's
 * transfer syntax. The operations are checked one by one (for the
 * configuration, at load) and compiled once (for the worker) against
 * DCMTK's data dictionary. Plain C; the implementation is
 * dcm_glue_edit.cpp and never lets an exception out.
 *
 * What is refused (docs/set_tags.md says why): attributes inside
 * sequences are never addressed; groups 0000-0007 (command, file meta,
 * DICOMDIR), group lengths (eeee 0000), group 7FE0 (pixel data),
 * SpecificCharacterSet and SOPClassUID are never changed; the UIDs that
 * identify an instance (SOPInstanceUID, SeriesInstanceUID,
 * StudyInstanceUID) are never removed; a value is only written to an
 * attribute the dictionary knows with a text VR (AE AS CS DA DS DT IS
 * LO LT PN SH ST TM UC UI UR UT), and only if it is valid for that VR
 * (length, characters; a UI must be a UID); a pattern may not use back
 * references. */
#ifndef MC_COMMON_DCM_EDIT_H
#define MC_COMMON_DCM_EDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/mc_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Limits: operations in one list, the bytes of a written text (template,
 * pattern, replacement), and of a value once the template is filled in
 * (a VR's own limit is usually far lower). */
#define DCM_EDIT_MAX_OPS 64
#define DCM_EDIT_TEXT_MAX_BYTES 1024
#define DCM_EDIT_VALUE_MAX_BYTES 65536

typedef enum {
	DCM_EDIT_SET,    /* tag = value (a template) */
	DCM_EDIT_REMOVE, /* tag removed, if present */
	DCM_EDIT_COPY,   /* tag = the value of value (a tag), "" if absent */
	DCM_EDIT_REGEX   /* tag's value: first match of value -> replace */
} dcm_edit_kind;

/* dcm_edit_op - one operation as written; every pointer borrowed.
 *   tag      a dictionary keyword ("AccessionNumber") or "gggg,eeee"
 *            (hex, also "(gggg,eeee)")
 *   value    SET: a template: text with {Keyword} or {gggg,eeee}
 *            replaced by that attribute's value in the file at that
 *            point ("" when absent), {{ and }} for braces.
 *            COPY: the source tag. REGEX: a POSIX extended regular
 *            expression. REMOVE: unused (NULL).
 *   replace  REGEX: the replacement, \0..\9 the groups, \\ a
 *            backslash. Otherwise unused. */
typedef struct dcm_edit_op {
	dcm_edit_kind kind;
	const char   *tag;
	const char   *value;
	const char   *replace;
} dcm_edit_op;

/* Which member of an op a finding is about. */
typedef enum {
	DCM_EDIT_FIELD_TAG,
	DCM_EDIT_FIELD_VALUE,
	DCM_EDIT_FIELD_REPLACE
} dcm_edit_field;

/* dcm_edit_check - check op alone: the tags resolve and may be changed
 * that way, a template parses, a pattern compiles, the texts are within
 * DCM_EDIT_TEXT_MAX_BYTES, and a template without placeholders is a
 * valid value for the VR. Returns MC_OK, or MC_EINVAL with *field and
 * err saying what is wrong ("unknown keyword 'AccesionNumber'"),
 * MC_ENOMEM. Any thread. */
MC_NODISCARD mc_err dcm_edit_check(
    const dcm_edit_op *op, dcm_edit_field *field, char *err, size_t errlen);

/* dcm_edit - a checked, compiled list of operations. */
typedef struct dcm_edit dcm_edit;

/* dcm_edit_create - check and compile ops[0..n) (borrowed; n at most
 * DCM_EDIT_MAX_OPS). On MC_EINVAL *bad is the index of the first bad op
 * and err says why. On MC_OK *out is new (dcm_edit_destroy); otherwise
 * NULL. MC_ENOMEM. */
MC_NODISCARD mc_err dcm_edit_create(const dcm_edit_op *ops, size_t n,
    dcm_edit **out, size_t *bad, char *err, size_t errlen);
void                dcm_edit_destroy(dcm_edit *e); /* NULL: no-op */

/* dcm_edit_file - read src (a DICOM file with meta header), apply e's
 * operations in order and write the result to dst in src's transfer
 * syntax, with the meta header following the dataset (a new
 * SOPInstanceUID goes into MediaStorageSOPInstanceUID). dst is written
 * under a temporary name and renamed, so it is whole or absent; src is
 * never changed. *changed (may be NULL) gets the number of attributes
 * set or removed. A value that the template or the pattern makes
 * invalid for its VR, or that holds non-ASCII text of the configuration
 * in a file whose SpecificCharacterSet is not ISO_IR 192, fails the
 * file: MC_EINVAL, err names the attribute and the rule broken.
 * MC_EPARSE (src is not DICOM), MC_EIO (cannot write), MC_ENOMEM. Any
 * thread; e may be shared. */
MC_NODISCARD mc_err dcm_edit_file(const dcm_edit *e, const char *src,
    const char *dst, size_t *changed, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
