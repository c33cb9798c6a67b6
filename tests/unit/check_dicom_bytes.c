/* check_dicom_bytes.c - see check_dicom_bytes.h */
#include "check_dicom_bytes.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
db_put(dbuf *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2;
		b->p = realloc(b->p, b->cap);
		ck_assert_ptr_nonnull(b->p);
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

void
db_u16(dbuf *b, unsigned v)
{
	unsigned char c[2] = {(unsigned char) v, (unsigned char) (v >> 8)};
	if (b->big_endian) {
		unsigned char t = c[0];
		c[0] = c[1];
		c[1] = t;
	}
	db_put(b, c, 2);
}

void
db_u32(dbuf *b, uint32_t v)
{
	if (b->big_endian) {
		db_u16(b, v >> 16);
		db_u16(b, v & 0xFFFF);
	} else {
		db_u16(b, v & 0xFFFF);
		db_u16(b, v >> 16);
	}
}

/* the VRs whose explicit header has a 32-bit length after 2 reserved
 * bytes */
static bool
long_form(const char *vr)
{
	static const char *const vrs[] = {"SQ", "UN", "UT", "UC", "OB", "OW"};

	for (size_t i = 0; i < sizeof(vrs) / sizeof(vrs[0]); i++)
		if (strcmp(vr, vrs[i]) == 0)
			return true;
	return false;
}

void
db_hdr(dbuf *b, unsigned g, unsigned e, const char *vr, uint32_t len)
{
	db_u16(b, g);
	db_u16(b, e);
	if (vr == NULL || !b->explicit_vr) {
		db_u32(b, len);
		return;
	}
	db_put(b, vr, 2);
	if (long_form(vr)) {
		db_u16(b, 0);
		db_u32(b, len);
	} else {
		db_u16(b, len);
	}
}

void
db_str(dbuf *b, unsigned g, unsigned e, const char *vr, const char *v)
{
	size_t n = strlen(v);
	db_hdr(b, g, e, vr, (uint32_t) (n + (n & 1)));
	db_put(b, v, n);
	if (n & 1)
		db_put(b, strcmp(vr, "UI") == 0 ? "" : " ", 1);
}

void
db_meta(dbuf *b, const char *ts)
{
	unsigned char pre[128] = {0};
	db_put(b, pre, sizeof(pre));
	db_put(b, "DICM", 4);
	b->explicit_vr = true;
	b->big_endian = false;
	db_str(b, 0x0002, 0x0010, "UI", ts);
}

const char *
db_write(dbuf *b, const char *path)
{
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(b->p, 1, b->n, f), b->n);
	ck_assert_int_eq(fclose(f), 0);
	free(b->p);
	memset(b, 0, sizeof(*b));
	return path;
}
