/* dcm_extract_mem_test.c - dcm_extract_tags_mem and dcm_scan_mem against
 * their file twins: for every file here (pydicom's samples, files built
 * byte by byte, the dcm_tags fuzz corpus) and many lengths of the part in
 * memory, a result from memory is the file's result, and with the path
 * given the result, error text included, is always the file's. */
#include <check.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check_main.h"
#include "check_dicom_bytes.h"
#include "check_tmpdir.h"

#include "dcm/dcm_glue.h"
#include "tags/tagset.h"

#define PYDICOM_DATA "/usr/lib/python3/dist-packages/pydicom/data"
#define CORPUS MC_SOURCE_DIR "/tests/fuzz/corpus/dcm_tags"
#define TS_EXPLICIT_LE "1.2.840.10008.1.2.1"
#define TS_IMPLICIT_LE "1.2.840.10008.1.2"
#define BIG_PIXELS (512u * 512u * 2u) /* a CT slice's PixelData */
#define TEST_TIMEOUT_S 120

/* ---- helpers --------------------------------------------------------- */

static dcm_taglist *g_extra;

static void
init_glue(void)
{
	static const char *const specs[] = {"DerivationDescription",
	    "(0028,1201)", "ReferencedImageSequence", "(0009,1001)",
	    "PixelSpacing", "(7FE1,0010)"};
	char                     err[256];

	ck_assert_int_eq(dcm_glue_init(err, sizeof(err)), MC_OK);
	if (g_extra == NULL)
		ck_assert_int_eq(
		    dcm_taglist_create(specs, sizeof(specs) / sizeof(specs[0]),
		        &g_extra, err, sizeof(err)),
		    MC_OK);
}

/* the whole file at path, malloc'ed; NULL for what is not a file */
static unsigned char *
slurp(const char *path, size_t *n)
{
	struct stat st;
	FILE       *f;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return NULL;
	unsigned char *p = malloc((size_t) st.st_size + 1);
	ck_assert_ptr_nonnull(p);
	f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	*n = fread(p, 1, (size_t) st.st_size, f);
	fclose(f);
	ck_assert_uint_eq(*n, (size_t) st.st_size);
	return p;
}

static void
assert_same_tags(const mc_tagset *a, const mc_tagset *b, const char *what)
{
	ck_assert_msg(mc_tagset_count(a) == mc_tagset_count(b),
	    "%s: %zu tags vs %zu", what, mc_tagset_count(a),
	    mc_tagset_count(b));
	for (size_t i = 0; i < mc_tagset_count(a); i++) {
		const mc_tag *x = mc_tagset_at(a, i), *y = mc_tagset_at(b, i);
		ck_assert_msg(
		    strcmp(x->key, y->key) == 0, "%s: key %zu", what, i);
		ck_assert_msg(strcmp(x->value, y->value) == 0,
		    "%s: %s '%s' vs '%s'", what, x->key, x->value, y->value);
	}
}

static void
assert_same_notes(
    const dcm_extract_notes *a, const dcm_extract_notes *b, const char *what)
{
	ck_assert_msg(a->charset_warning == b->charset_warning &&
	                  a->values_cut == b->values_cut &&
	                  strcmp(a->first_cut, b->first_cut) == 0 &&
	                  a->first_cut_bytes == b->first_cut_bytes,
	    "%s: notes differ", what);
}

/* How compare() found the memory path at head length len == size. */
typedef struct outcome {
	mc_err file_rv;       /* dcm_extract_tags_ex(path) */
	bool   whole_decides; /* the whole file in memory gave a result */
} outcome;

/* one length of the part in memory */
static void
compare_at(const char *path, const unsigned char *data, size_t size,
    size_t len, mc_err file_rv, const mc_tagset *file_tags,
    const dcm_extract_notes *file_notes, const char *file_err, mc_err scan_rv,
    bool *decided)
{
	dcm_extract_notes n;
	mc_tagset        *t;
	char              err[512] = "", what[600];
	bool              undecided = true;
	mc_err            rv;

	snprintf(what, sizeof(what), "%s [%zu of %zu bytes]", path, len, size);

	/* from memory alone: the file's result, or no result at all */
	ck_assert_int_eq(mc_tagset_create(&t), MC_OK);
	rv = dcm_extract_tags_mem(
	    data, len, size, NULL, g_extra, t, &n, err, sizeof(err));
	if (rv == MC_OK) {
		ck_assert_msg(file_rv == MC_OK,
		    "%s: memory read what the file refuses (%s)", what,
		    file_err);
		assert_same_tags(t, file_tags, what);
		assert_same_notes(&n, file_notes, what);
	} else {
		ck_assert_msg(rv == MC_EAGAIN, "%s: %d", what, rv);
		ck_assert_uint_eq(mc_tagset_count(t), 0);
	}
	*decided = rv == MC_OK;
	mc_tagset_destroy(t);

	/* with the path: always the file's result, in its words */
	ck_assert_int_eq(mc_tagset_create(&t), MC_OK);
	err[0] = '\0';
	rv = dcm_extract_tags_mem(
	    data, len, size, path, g_extra, t, &n, err, sizeof(err));
	ck_assert_msg(
	    rv == file_rv, "%s: %d vs %d (%s)", what, rv, file_rv, err);
	if (rv == MC_OK) {
		assert_same_tags(t, file_tags, what);
		assert_same_notes(&n, file_notes, what);
	} else {
		ck_assert_msg(strcmp(err, file_err) == 0, "%s: '%s' vs '%s'",
		    what, err, file_err);
	}
	mc_tagset_destroy(t);

	/* the pre-scan: when the bytes decide, the file's verdict */
	rv = dcm_scan_mem(data, len, size, &undecided, err, sizeof(err));
	if (!undecided)
		ck_assert_msg(rv == scan_rv, "%s: scan %d vs %d (%s)", what,
		    rv, scan_rv, err);
}

/* compare memory and file for path at many lengths in memory */
static outcome
compare(const char *path)
{
	dcm_extract_notes fn;
	mc_tagset        *ft;
	char              ferr[512] = "", serr[512];
	size_t            size = 0;
	unsigned char    *data = slurp(path, &size);
	outcome           o = {MC_OK, false};

	ck_assert_msg(data != NULL, "%s: cannot read", path);
	init_glue();
	ck_assert_int_eq(mc_tagset_create(&ft), MC_OK);
	o.file_rv =
	    dcm_extract_tags_ex(path, g_extra, ft, &fn, ferr, sizeof(ferr));
	mc_err scan_rv = dcm_scan_file(path, serr, sizeof(serr));

	const size_t lens[] = {size, size - (size > 0), size / 2,
	    DCM_STORE_HEAD_MAX, 8192, 4096, 1024, 300, 133, 132, 1, 0};
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		bool decided;
		if (lens[i] > size || (i > 0 && lens[i] == size))
			continue;
		compare_at(path, data, size, lens[i], o.file_rv, ft, &fn, ferr,
		    scan_rv, &decided);
		if (i == 0)
			o.whole_decides = decided;
	}
	mc_tagset_destroy(ft);
	free(data);
	return o;
}

/* ---- files built byte by byte ---------------------------------------- */

/* preamble, meta header naming ts, the UIDs and a few tags */
static void
db_start(dbuf *b, const char *ts)
{
	unsigned char pre[128] = {0};

	memset(b, 0, sizeof(*b));
	db_put(b, pre, sizeof(pre));
	db_put(b, "DICM", 4);
	b->explicit_vr = true;
	db_str(b, 0x0002, 0x0002, "UI", "1.2.840.10008.5.1.4.1.1.2");
	db_str(b, 0x0002, 0x0010, "UI", ts);
	b->explicit_vr = strcmp(ts, TS_IMPLICIT_LE) != 0;
	db_str(b, 0x0008, 0x0008, "CS", "ORIGINAL\\PRIMARY\\AXIAL");
	db_str(b, 0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.2");
	db_str(b, 0x0008, 0x0018, "UI", "1.2.3.4.5");
	db_str(b, 0x0008, 0x0060, "CS", "CT");
	db_str(b, 0x0010, 0x0010, "PN", "Doe^Jane");
	db_str(b, 0x0020, 0x000D, "UI", "1.2.3");
	db_str(b, 0x0020, 0x000E, "UI", "1.2.3.4");
}

static void
db_pixels(dbuf *b, size_t n)
{
	unsigned char *px = calloc(1, n);
	ck_assert_ptr_nonnull(px);
	db_hdr(b, 0x7FE0, 0x0010, "OW", (uint32_t) n);
	db_put(b, px, n);
	free(px);
}

static const char *
db_write_tmp(dbuf *b, const char *name)
{
	static char p[MC_CHECK_TMPDIR_LEN + 64];

	snprintf(p, sizeof(p), "%s/%s", mc_check_tmpdir, name);
	return db_write(b, p);
}

/* ---- tests ----------------------------------------------------------- */

START_TEST(pydicom_samples_read_from_memory_as_from_the_file)
{
	const char *dirs[] = {
	    PYDICOM_DATA "/test_files", PYDICOM_DATA "/charset_files"};
	size_t files = 0, read_ok = 0;

	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		DIR           *dir = opendir(dirs[d]);
		struct dirent *e;
		char           p[1024];

		ck_assert_ptr_nonnull(dir);
		while ((e = readdir(dir)) != NULL) {
			size_t l = strlen(e->d_name);
			if (l < 4 || strcmp(e->d_name + l - 4, ".dcm") != 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", dirs[d], e->d_name);
			struct stat st;
			if (stat(p, &st) != 0 || st.st_size > (4 << 20))
				continue; /* keep the test quick */
			outcome o = compare(p);
			files++;
			/* in memory whole, a readable file is read there */
			if (o.file_rv == MC_OK) {
				read_ok++;
				ck_assert_msg(o.whole_decides, "%s", p);
			}
		}
		closedir(dir);
	}
	ck_assert_uint_gt(files, 50);
	ck_assert_uint_gt(read_ok, 40);
}
END_TEST

START_TEST(fuzz_corpus_reads_from_memory_as_from_the_file)
{
	DIR           *dir = opendir(CORPUS);
	struct dirent *e;
	char           p[1024];
	size_t         files = 0;

	ck_assert_ptr_nonnull(dir);
	while ((e = readdir(dir)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", CORPUS, e->d_name);
		outcome o = compare(p);
		if (o.file_rv == MC_OK)
			ck_assert_msg(o.whole_decides, "%s", p);
		files++;
	}
	closedir(dir);
	ck_assert_uint_gt(files, 100);
}
END_TEST

/* the receiver's case: a CT slice whose header is in memory and whose
 * PixelData is not */
START_TEST(ct_header_in_memory_decides_without_the_pixels)
{
	dbuf              b;
	dcm_extract_notes n;
	mc_tagset        *t;
	char              err[256];
	size_t            size = 0;

	init_glue();
	db_start(&b, TS_EXPLICIT_LE);
	db_pixels(&b, BIG_PIXELS);
	const char    *path = db_write_tmp(&b, "ct.dcm");
	unsigned char *data = slurp(path, &size);
	outcome        o = compare(path);
	ck_assert_int_eq(o.file_rv, MC_OK);
	ck_assert(o.whole_decides);

	ck_assert_int_eq(mc_tagset_create(&t), MC_OK);
	ck_assert_int_eq(dcm_extract_tags_mem(data, DCM_STORE_HEAD_MAX, size,
	                     NULL, NULL, t, &n, err, sizeof(err)),
	    MC_OK);
	ck_assert_str_eq(mc_tagset_get(t, "PatientName"), "Doe^Jane");
	ck_assert_str_eq(mc_tagset_get(t, "SeriesInstanceUID"), "1.2.3.4");
	ck_assert_str_eq(
	    mc_tagset_get(t, "ImageType"), "ORIGINAL\\PRIMARY\\AXIAL");
	mc_tagset_destroy(t);
	free(data);
}
END_TEST

/* a dataset cut inside its PixelData: the length runs past the file's
 * end, which memory knows without the bytes */
START_TEST(ct_cut_inside_pixeldata_is_refused_as_from_the_file)
{
	dbuf              b;
	dcm_extract_notes n;
	mc_tagset        *t;
	char              err[512], ferr[512];
	size_t            size = 0;

	init_glue();
	db_start(&b, TS_EXPLICIT_LE);
	db_pixels(&b, BIG_PIXELS);
	b.n -= 1000; /* the last 1000 bytes never arrived */
	const char    *path = db_write_tmp(&b, "ct_cut.dcm");
	unsigned char *data = slurp(path, &size);
	outcome        o = compare(path);
	ck_assert_int_eq(o.file_rv, MC_EPARSE);
	ck_assert(!o.whole_decides);

	ck_assert_int_eq(mc_tagset_create(&t), MC_OK);
	ck_assert_int_eq(dcm_extract_tags_mem(data, DCM_STORE_HEAD_MAX, size,
	                     NULL, NULL, t, &n, err, sizeof(err)),
	    MC_EAGAIN);
	ck_assert_int_eq(dcm_extract_tags_mem(data, DCM_STORE_HEAD_MAX, size,
	                     path, NULL, t, &n, err, sizeof(err)),
	    MC_EPARSE);
	ck_assert_int_eq(
	    dcm_extract_tags_ex(path, NULL, t, &n, ferr, sizeof(ferr)),
	    MC_EPARSE);
	ck_assert_str_eq(err, ferr);
	ck_assert_ptr_nonnull(strstr(err, "cut short"));
	mc_tagset_destroy(t);
	free(data);
}
END_TEST

/* nesting past the bound is refused from memory as from the file, in
 * every length of the part in memory */
START_TEST(deep_nesting_is_refused_from_memory)
{
	const char *ts[] = {TS_EXPLICIT_LE, TS_IMPLICIT_LE};
	char        err[512], name[32];
	bool        undecided;

	init_glue();
	for (size_t i = 0; i < 2; i++)
		for (size_t depth = DCM_SCAN_MAX_DEPTH; depth <= 100000;
		     depth = depth * 10 + 1) {
			dbuf b;
			db_start(&b, ts[i]);
			for (size_t k = 0; k < depth; k++) {
				db_hdr(&b, 0x0008, 0x1115, "SQ", 0xFFFFFFFFu);
				db_hdr(&b, 0xFFFE, 0xE000, NULL, 0xFFFFFFFFu);
			}
			for (size_t k = 0; k < depth; k++) {
				db_hdr(&b, 0xFFFE, 0xE00D, NULL, 0);
				db_hdr(&b, 0xFFFE, 0xE0DD, NULL, 0);
			}
			db_pixels(&b, 64);
			size_t         size = b.n;
			unsigned char *copy = malloc(size);
			ck_assert_ptr_nonnull(copy);
			memcpy(copy, b.p, size);
			snprintf(
			    name, sizeof(name), "nest%zu_%zu.dcm", i, depth);
			outcome o = compare(db_write_tmp(&b, name));
			mc_err  rv = dcm_scan_mem(
			     copy, size, size, &undecided, err, sizeof(err));
			ck_assert(!undecided);
			if (depth > DCM_SCAN_MAX_DEPTH) {
				ck_assert_int_eq(o.file_rv, MC_EPARSE);
				ck_assert_int_eq(rv, MC_EPARSE);
				ck_assert_msg(
				    strstr(err, "nested deeper") != NULL, "%s",
				    err);
			} else {
				ck_assert_int_eq(o.file_rv, MC_OK);
				ck_assert(o.whole_decides);
				ck_assert_int_eq(rv, MC_OK);
			}
			free(copy);
		}
}
END_TEST

/* a long value DCMTK leaves unread is read from memory when asked for;
 * past the part in memory it sends the caller to the file */
START_TEST(long_value_past_the_memory_goes_to_the_file)
{
	dbuf              b;
	dcm_extract_notes n;
	mc_tagset        *t;
	char              err[256], *v = malloc(10000);
	size_t            size = 0;

	ck_assert_ptr_nonnull(v);
	init_glue();
	db_start(&b, TS_EXPLICIT_LE);
	memset(v, 'c', 9999);
	v[9999] = '\0';
	db_str(&b, 0x0020, 0x4000, "LT", v); /* ImageComments, last */
	free(v);
	size_t         at = b.n - 5000;
	const char    *path = db_write_tmp(&b, "long.dcm");
	unsigned char *data = slurp(path, &size);
	outcome        o = compare(path);
	ck_assert_int_eq(o.file_rv, MC_OK);
	ck_assert(o.whole_decides);

	ck_assert_int_eq(mc_tagset_create(&t), MC_OK);
	ck_assert_int_eq(dcm_extract_tags_mem(data, at, size, NULL, NULL, t,
	                     &n, err, sizeof(err)),
	    MC_EAGAIN);
	ck_assert_uint_eq(mc_tagset_count(t), 0);
	ck_assert_int_eq(dcm_extract_tags_mem(data, size, size, NULL, NULL, t,
	                     &n, err, sizeof(err)),
	    MC_OK);
	ck_assert_uint_eq(strlen(mc_tagset_get(t, "ImageComments")), 9999);
	mc_tagset_destroy(t);
	free(data);
}
END_TEST

START_TEST(bad_arguments)
{
	mc_tagset *t;
	char       err[128];
	bool       und;

	init_glue();
	ck_assert_int_eq(mc_tagset_create(&t), MC_OK);
	ck_assert_int_eq(dcm_extract_tags_mem(NULL, 10, 10, NULL, NULL, t,
	                     NULL, err, sizeof(err)),
	    MC_EINVAL);
	ck_assert_int_eq(dcm_extract_tags_mem("abc", 3, 2, NULL, NULL, t, NULL,
	                     err, sizeof(err)),
	    MC_EAGAIN);
	ck_assert_int_eq(
	    dcm_scan_mem("abc", 3, 2, &und, err, sizeof(err)), MC_EINVAL);
	mc_tagset_destroy(t);
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("dcm_extract_mem");
	const TTest *files[] = {
	    pydicom_samples_read_from_memory_as_from_the_file,
	    fuzz_corpus_reads_from_memory_as_from_the_file, NULL};
	const TTest *built[] = {ct_header_in_memory_decides_without_the_pixels,
	    ct_cut_inside_pixeldata_is_refused_as_from_the_file,
	    deep_nesting_is_refused_from_memory,
	    long_value_past_the_memory_goes_to_the_file, bad_arguments, NULL};

	/* each test parses hundreds of files many times: seconds on a
	 * loaded machine, past Check's default of 4 */
	tcase_set_timeout(mc_check_tcase(s, "files", files), TEST_TIMEOUT_S);
	tcase_set_timeout(
	    mc_check_tmpdir_tcase(s, "built", built), TEST_TIMEOUT_S);
	return mc_check_run(s);
}
