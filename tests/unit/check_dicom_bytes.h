/* check_dicom_bytes.h - DICOM files built byte by byte for the glue's
 * tests: element headers in either VR encoding and byte order, padded
 * string values, a Part 10 preamble and meta header, written to a path.
 * For the files pydicom cannot make: cut, nested, oddly encoded. */
#ifndef MC_TESTS_CHECK_DICOM_BYTES_H
#define MC_TESTS_CHECK_DICOM_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* a file being built: its bytes and the encoding of what comes next */
typedef struct dbuf {
	unsigned char *p;
	size_t         n, cap;
	bool           explicit_vr, big_endian;
} dbuf;

void db_put(dbuf *b, const void *p, size_t n);
void db_u16(dbuf *b, unsigned v);
void db_u32(dbuf *b, uint32_t v);
/* db_hdr - an element header; vr NULL for items and delimiters */
void db_hdr(dbuf *b, unsigned g, unsigned e, const char *vr, uint32_t len);
/* db_str - an element of text v, padded to even length (UI with NUL) */
void db_str(dbuf *b, unsigned g, unsigned e, const char *vr, const char *v);
/* db_meta - preamble, "DICM" and a meta header naming ts (explicit
 * little endian); the encoding is left explicit little endian */
void db_meta(dbuf *b, const char *ts);
/* db_write - b's bytes into path (fails the test when it cannot); b is
 * freed and emptied. Returns path. */
const char *db_write(dbuf *b, const char *path);

#endif
