/* dcm_glue_test.c - dcm_glue.h against real files and real DCMTK peers:
 * tags and charsets of files generated here with pydicom (Debian's
 * /usr/bin/python3) and pydicom's own charset samples; the SCP with
 * echoscu and storescu over 127.0.0.1 on a socket this test binds. */
#include <check.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_dicom_bytes.h"
#include "check_main.h"

#include "dcm/dcm_glue.h"
#include "tags/tagset.h"

extern char **environ;

#define PYTHON "/usr/bin/python3"
#define PYDICOM_DATA "/usr/lib/python3/dist-packages/pydicom/data"
#define CT_SMALL PYDICOM_DATA "/test_files/CT_small.dcm"
#define MR_SMALL PYDICOM_DATA "/test_files/MR_small.dcm"
#define MR_J2K PYDICOM_DATA "/test_files/MR_small_jp2klossless.dcm"
#define CHARSET_DIR PYDICOM_DATA "/charset_files"
#define NO_META_FILE PYDICOM_DATA "/test_files/ExplVR_LitEndNoMeta.dcm"
#define TEST_TIMEOUT_S 120
#define MAX_STORES 8
#define MAX_ASSOC 4
#define SCP_AET "MCRECV"
#define SCU_AET "TESTSCU"
#define FSIZE_LIMIT_BYTES 20000

/* ---- helpers --------------------------------------------------------- */

static char g_dir[256]; /* generated files, made once per TCase */

/* run argv (PATH lookup), stdout/stderr to DIR/<argv0>.log; exit code,
 * or -1 if it could not run or died from a signal. */
static int
run(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	char                       log[512];
	pid_t                      pid;
	int                        st;

	snprintf(log, sizeof(log), "%s/%s.log", g_dir[0] ? g_dir : "/tmp",
	    strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0]);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(
	    &fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* start argv in the background, output to DIR/<log>; pid or -1 */
static pid_t
spawn_bg(char *const argv[], const char *log)
{
	posix_spawn_file_actions_t fa;
	char                       path[512];
	pid_t                      pid;

	snprintf(path, sizeof(path), "%s/%s", g_dir, log);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(
	    &fa, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0)
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

static int
wait_exit(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char GEN_PY[] =
    "import sys\n"
    "from pydicom.dataset import FileDataset, FileMetaDataset\n"
    "from pydicom.uid import ExplicitVRLittleEndian\n"
    "out = sys.argv[1]\n"
    "MR = '1.2.840.10008.5.1.4.1.1.4'\n"
    "def base(sop, charset=None):\n"
    "    m = FileMetaDataset()\n"
    "    m.MediaStorageSOPClassUID = MR\n"
    "    m.MediaStorageSOPInstanceUID = sop\n"
    "    m.TransferSyntaxUID = ExplicitVRLittleEndian\n"
    "    ds = FileDataset(None, {}, file_meta=m, preamble=b'\\0' * 128)\n"
    "    ds.is_little_endian = True\n"
    "    ds.is_implicit_VR = False\n"
    "    if charset:\n"
    "        ds.SpecificCharacterSet = charset\n"
    "    ds.SOPClassUID = MR\n"
    "    ds.SOPInstanceUID = sop\n"
    "    ds.StudyInstanceUID = '1.2.826.0.1.3680043.8.498.10'\n"
    "    ds.SeriesInstanceUID = '1.2.826.0.1.3680043.8.498.11'\n"
    "    ds.Modality = 'MR'\n"
    "    return ds\n"
    "ds = base('1.2.826.0.1.3680043.8.498.12')\n"
    "ds.PatientName = 'Doe^John'\n"
    "ds.PatientID = 'PID42'\n"
    "ds.SeriesDescription = 'T1 \"axial\"\\r\\nsecond'\n"
    "ds.ImageType = ['ORIGINAL', 'PRIMARY', 'M']\n"
    "ds.SliceThickness = '1.5'\n"
    "ds.InstanceNumber = '7'\n"
    "ds.PatientWeight = '72.5'\n"
    "ds.private_block(0x0019, 'ACME', create=True).add_new(0xaa, 'LO', "
    "'privval')\n"
    "ds.Rows = 2\n"
    "ds.Columns = 2\n"
    "ds.BitsAllocated = 16\n"
    "ds.BitsStored = 16\n"
    "ds.HighBit = 15\n"
    "ds.PixelRepresentation = 0\n"
    "ds.SamplesPerPixel = 1\n"
    "ds.PhotometricInterpretation = 'MONOCHROME2'\n"
    "ds.PixelData = b'\\0' * 8\n"
    "ds.save_as(out + '/mr.dcm', write_like_original=False)\n"
    "raw = open(out + '/mr.dcm', 'rb').read()\n"
    "open(out + '/trunc_meta.dcm', 'wb').write(raw[:150])\n"
    "cut = raw.index(b'Doe^John') + 3\n"
    "open(out + '/trunc_data.dcm', 'wb').write(raw[:cut])\n"
    "ds = base('1.2.826.0.1.3680043.8.498.13', 'ISO_IR 100')\n"
    "ds.PatientName = 'M\\u00fcller^J\\u00f6rg'\n"
    "ds.InstitutionName = 'Klinik K\\u00f6ln'\n"
    "ds.save_as(out + '/latin1.dcm', write_like_original=False)\n"
    "raw = open(out + '/latin1.dcm', 'rb').read()\n"
    "open(out + '/bogus.dcm', 'wb').write(raw.replace(b'ISO_IR 100', "
    "b'ISO_IR 999'))\n"
    "open(out + '/badutf8.dcm', 'wb').write(raw.replace(b'ISO_IR 100', "
    "b'ISO_IR 192'))\n"
    "open(out + '/garbage.bin', 'wb').write(b'this is not DICOM at all\\n' * "
    "40)\n";

static void
make_dir(void)
{
	snprintf(g_dir, sizeof(g_dir), "/tmp/dcm_glue_test.XXXXXX");
	if (mkdtemp(g_dir) == NULL)
		g_dir[0] = '\0';
}

static void
remove_dir(void)
{
	char *argv[] = {"rm", "-rf", g_dir, NULL};
	if (g_dir[0] != '\0')
		run(argv);
	g_dir[0] = '\0';
}

static void
gen_files(void)
{
	char  script[300];
	FILE *f;

	make_dir();
	snprintf(script, sizeof(script), "%s/gen.py", g_dir);
	f = fopen(script, "w");
	if (f == NULL)
		return;
	fputs(GEN_PY, f);
	fclose(f);
	char *argv[] = {PYTHON, script, g_dir, NULL};
	run(argv);
}

static const char *
path_of(const char *name)
{
	static char p[512];
	snprintf(p, sizeof(p), "%s/%s", g_dir, name);
	return p;
}

static void
init_glue(void)
{
	char err[256];
	ck_assert_int_eq(dcm_glue_init(err, sizeof(err)), MC_OK);
}

/* Extract path; returns rv and leaves the set in *out (caller destroys). */
static mc_err
extract(const char *path, const dcm_taglist *extra, mc_tagset **out,
    bool *warn, char *err, size_t errlen)
{
	init_glue();
	ck_assert_int_eq(mc_tagset_create(out), MC_OK);
	return dcm_extract_tags(path, extra, *out, warn, err, errlen);
}

/* extract path, which must succeed */
static mc_tagset *
extract_ok(const char *path, const dcm_taglist *extra, bool *warn)
{
	mc_tagset *t;
	char       err[256] = "";
	mc_err     rv = extract(path, extra, &t, warn, err, sizeof(err));

	ck_assert_msg(rv == MC_OK, "%s: %s", path, err);
	return t;
}

/* ---- tags ------------------------------------------------------------ */

START_TEST(mr_file_gives_mercure_tags_in_order)
{
	mc_tagset *t;
	bool       warn = true;

	t = extract_ok(path_of("mr.dcm"), NULL, &warn);
	ck_assert(!warn);
	/* mercure's 41 distinct keys, SeriesInstanceUID and SOPInstanceUID
	 * after SpecificCharacterSet, then MediaStorageSOPClassUID and
	 * SOPClassUID */
	ck_assert_uint_eq(mc_tagset_count(t), 45);
	ck_assert_str_eq(mc_tagset_at(t, 0)->key, "SpecificCharacterSet");
	ck_assert_str_eq(mc_tagset_at(t, 1)->key, "SeriesInstanceUID");
	ck_assert_str_eq(mc_tagset_at(t, 2)->key, "SOPInstanceUID");
	ck_assert_str_eq(mc_tagset_at(t, 3)->key, "Modality");
	ck_assert_str_eq(mc_tagset_at(t, 42)->key, "ImageType");
	ck_assert_str_eq(mc_tagset_at(t, 43)->key, "MediaStorageSOPClassUID");
	ck_assert_str_eq(mc_tagset_at(t, 44)->key, "SOPClassUID");
	ck_assert_str_eq(mc_tagset_get(t, "SpecificCharacterSet"), "");
	ck_assert_str_eq(mc_tagset_get(t, "Modality"), "MR");
	ck_assert_str_eq(mc_tagset_get(t, "PatientName"), "Doe^John");
	ck_assert_str_eq(mc_tagset_get(t, "PatientID"), "PID42");
	ck_assert_str_eq(mc_tagset_get(t, "SOPInstanceUID"),
	    "1.2.826.0.1.3680043.8.498.12");
	ck_assert_str_eq(mc_tagset_get(t, "SeriesInstanceUID"),
	    "1.2.826.0.1.3680043.8.498.11");
	ck_assert_str_eq(mc_tagset_get(t, "StudyInstanceUID"),
	    "1.2.826.0.1.3680043.8.498.10");
	ck_assert_str_eq(
	    mc_tagset_get(t, "SOPClassUID"), "1.2.840.10008.5.1.4.1.1.4");
	ck_assert_str_eq(mc_tagset_get(t, "MediaStorageSOPClassUID"),
	    "1.2.840.10008.5.1.4.1.1.4");
	ck_assert_str_eq(
	    mc_tagset_get(t, "ImageType"), "ORIGINAL\\PRIMARY\\M");
	ck_assert_str_eq(mc_tagset_get(t, "SliceThickness"), "1.5");
	ck_assert_str_eq(mc_tagset_get(t, "InstanceNumber"), "7");
	/* CR -> ';', LF -> ' ', '"' -> '\'' */
	ck_assert_str_eq(
	    mc_tagset_get(t, "SeriesDescription"), "T1 'axial'; second");
	ck_assert_str_eq(mc_tagset_get(t, "StudyDescription"), "");
	ck_assert_str_eq(mc_tagset_get(t, "AcquisitionType"), "");
	mc_tagset_destroy(t);
}
END_TEST

START_TEST(extra_tags_by_keyword_and_number)
{
	const char  *specs[] = {"PatientWeight", "0019,10aa", "(0010,0020)",
	     "PatientAge", "0009,0001"};
	dcm_taglist *l;
	mc_tagset   *t;
	bool         warn;
	char         err[256] = "";

	init_glue();
	ck_assert_int_eq(
	    dcm_taglist_create(specs, 5, &l, err, sizeof(err)), MC_OK);
	t = extract_ok(path_of("mr.dcm"), l, &warn);
	/* PatientID is already in the set: 45 + 4 new keys */
	ck_assert_uint_eq(mc_tagset_count(t), 49);
	ck_assert_str_eq(mc_tagset_at(t, 45)->key, "PatientWeight");
	ck_assert_str_eq(mc_tagset_at(t, 46)->key, "(0019,10aa)");
	ck_assert_str_eq(mc_tagset_at(t, 47)->key, "PatientAge");
	ck_assert_str_eq(mc_tagset_at(t, 48)->key, "(0009,0001)");
	ck_assert_str_eq(mc_tagset_get(t, "PatientWeight"), "72.5");
	ck_assert_str_eq(mc_tagset_get(t, "(0019,10aa)"), "privval");
	ck_assert_str_eq(mc_tagset_get(t, "PatientAge"), "");
	ck_assert_str_eq(mc_tagset_get(t, "PatientID"), "PID42");
	mc_tagset_destroy(t);
	dcm_taglist_destroy(l);
	dcm_taglist_destroy(NULL);
}
END_TEST

START_TEST(unknown_or_malformed_extra_tag_is_einval)
{
	const char  *bad[] = {"NoSuchTagXyz", "0019,10a", "zzzz,0010", ""};
	dcm_taglist *l = (dcm_taglist *) 1;
	char         err[256];

	init_glue();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_int_eq(
		    dcm_taglist_create(&bad[i], 1, &l, err, sizeof(err)),
		    MC_EINVAL);
		ck_assert_ptr_null(l);
		ck_assert_ptr_nonnull(strstr(err, bad[i]));
	}
	ck_assert_int_eq(
	    dcm_taglist_create(NULL, 0, &l, err, sizeof(err)), MC_OK);
	dcm_taglist_destroy(l);
}
END_TEST

START_TEST(latin1_names_become_utf8)
{
	mc_tagset *t;
	bool       warn = true;

	t = extract_ok(path_of("latin1.dcm"), NULL, &warn);
	ck_assert(!warn);
	ck_assert_str_eq(
	    mc_tagset_get(t, "SpecificCharacterSet"), "ISO_IR 100");
	ck_assert_str_eq(
	    mc_tagset_get(t, "PatientName"), "M\xC3\xBCller^J\xC3\xB6rg");
	ck_assert_str_eq(
	    mc_tagset_get(t, "InstitutionName"), "Klinik K\xC3\xB6ln");
	mc_tagset_destroy(t);
}
END_TEST

START_TEST(japanese_iso2022_names_become_utf8)
{
	mc_tagset *t;
	bool       warn = true;

	/* "\ISO 2022 IR 87": Yamada^Tarou=山田^太郎=やまだ^たろう */
	t = extract_ok(CHARSET_DIR "/chrH31.dcm", NULL, &warn);
	ck_assert(!warn);
	ck_assert_str_eq(mc_tagset_get(t, "PatientName"),
	    "Yamada^Tarou="
	    "\xE5\xB1\xB1\xE7\x94\xB0^\xE5\xA4\xAA\xE9\x83\x8E="
	    "\xE3\x82\x84\xE3\x81\xBE\xE3\x81\xA0^"
	    "\xE3\x81\x9F\xE3\x82\x8D\xE3\x81\x86");
	mc_tagset_destroy(t);

	/* "ISO 2022 IR 13\ISO 2022 IR 87": half-width katakana first */
	t = extract_ok(CHARSET_DIR "/chrH32.dcm", NULL, &warn);
	ck_assert(!warn);
	ck_assert_str_eq(mc_tagset_get(t, "PatientName"),
	    "\xEF\xBE\x94\xEF\xBE\x8F\xEF\xBE\x80\xEF\xBE\x9E^"
	    "\xEF\xBE\x80\xEF\xBE\x9B\xEF\xBD\xB3="
	    "\xE5\xB1\xB1\xE7\x94\xB0^\xE5\xA4\xAA\xE9\x83\x8E="
	    "\xE3\x82\x84\xE3\x81\xBE\xE3\x81\xA0^"
	    "\xE3\x81\x9F\xE3\x82\x8D\xE3\x81\x86");
	mc_tagset_destroy(t);

	/* ISO_IR 192 passes through */
	t = extract_ok(CHARSET_DIR "/chrX1.dcm", NULL, &warn);
	ck_assert(!warn);
	ck_assert_str_eq(mc_tagset_get(t, "PatientName"),
	    "Wang^XiaoDong=\xE7\x8E\x8B^\xE5\xB0\x8F\xE6\x9D\xB1=");
	mc_tagset_destroy(t);
}
END_TEST

START_TEST(bogus_charset_keeps_value_and_warns)
{
	mc_tagset *t;
	bool       warn = false;

	t = extract_ok(path_of("bogus.dcm"), NULL, &warn);
	ck_assert(warn);
	ck_assert_str_eq(mc_tagset_get(t, "PatientName"),
	    "M\xEF\xBF\xBDller^J\xEF\xBF\xBDrg");
	/* ASCII values of the same file are untouched */
	ck_assert_str_eq(mc_tagset_get(t, "Modality"), "MR");
	mc_tagset_destroy(t);
}
END_TEST

START_TEST(invalid_utf8_is_repaired_and_warns)
{
	mc_tagset *t;
	bool       warn = false;

	t = extract_ok(path_of("badutf8.dcm"), NULL, &warn);
	ck_assert(warn);
	ck_assert_str_eq(mc_tagset_get(t, "PatientName"),
	    "M\xEF\xBF\xBDller^J\xEF\xBF\xBDrg");
	mc_tagset_destroy(t);
}
END_TEST

START_TEST(non_dicom_and_truncated_files_are_eparse)
{
	const char *bad[] = {
	    "garbage.bin", "trunc_meta.dcm", "trunc_data.dcm", "gen.py"};
	mc_tagset *t;
	bool       warn;
	char       err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(extract(path_of(bad[i]), NULL, &t, &warn, err,
		                  sizeof(err)) == MC_EPARSE,
		    "%s", bad[i]);
		ck_assert_msg(err[0] != '\0', "%s", bad[i]);
		mc_tagset_destroy(t);
	}
	ck_assert_int_eq(
	    extract(path_of("missing.dcm"), NULL, &t, &warn, err, sizeof(err)),
	    MC_ENOENT);
	mc_tagset_destroy(t);
	ck_assert_int_eq(
	    extract(g_dir, NULL, &t, &warn, err, sizeof(err)), MC_EPARSE);
	mc_tagset_destroy(t);
}
END_TEST

START_TEST(dataset_without_meta_header_is_read)
{
	mc_tagset *t;
	bool       warn;

	t = extract_ok(NO_META_FILE, NULL, &warn);
	ck_assert_str_ne(mc_tagset_get(t, "SOPInstanceUID"), "");
	ck_assert_str_eq(mc_tagset_get(t, "MediaStorageSOPClassUID"), "");
	mc_tagset_destroy(t);
}
END_TEST

/* ---- hostile files: nesting and value caps ---------------------------- */

#define TS_IMPLICIT_LE "1.2.840.10008.1.2"
#define TS_EXPLICIT_LE "1.2.840.10008.1.2.1"
#define TS_EXPLICIT_BE "1.2.840.10008.1.2.2"
#define TS_DEFLATED "1.2.840.10008.1.2.1.99"

static void
db_uids(dbuf *b)
{
	db_str(b, 0x0008, 0x0018, "UI", "1.2.3.4.5");
}

static void
db_study_series(dbuf *b)
{
	db_str(b, 0x0020, 0x000D, "UI", "1.2.3");
	db_str(b, 0x0020, 0x000E, "UI", "1.2.3.4");
}

/* depth nested (0008,1115) sequences with one item each: undefined
 * lengths with delimiters, or (defined) exact lengths */
static void
db_nest(dbuf *b, size_t depth, bool defined)
{
	for (size_t k = 0; k < depth; k++) {
		uint32_t l =
		    defined ? (uint32_t) (16 * (depth - k) - 8) : 0xFFFFFFFFu;
		if (defined && b->explicit_vr)
			l = (uint32_t) (20 * (depth - k) - 12);
		db_hdr(b, 0x0008, 0x1115, "SQ", l);
		db_hdr(b, 0xFFFE, 0xE000, NULL, defined ? l - 8 : l);
	}
	for (size_t k = 0; !defined && k < depth; k++) {
		db_hdr(b, 0xFFFE, 0xE00D, NULL, 0);
		db_hdr(b, 0xFFFE, 0xE0DD, NULL, 0);
	}
}

/* a file in ts with depth nested sequences; deflated: the dataset is
 * raw-deflated with zlib through python */
static const char *
nested_file(const char *name, const char *ts, size_t depth, bool defined)
{
	dbuf b = {0};

	if (ts != NULL) {
		db_meta(&b, ts);
		b.explicit_vr = strcmp(ts, TS_IMPLICIT_LE) != 0;
		b.big_endian = strcmp(ts, TS_EXPLICIT_BE) == 0;
	} else {
		b.explicit_vr = false; /* no meta: DCMTK guesses */
	}
	size_t ds = b.n;
	db_uids(&b);
	db_nest(&b, depth, defined);
	db_study_series(&b);
	if (ts != NULL && strcmp(ts, TS_DEFLATED) == 0) {
		/* deflate the dataset part in place */
		char raw[600],
		    *argv[] = {PYTHON, "-c",
		        "import sys,zlib;d=open(sys.argv[1],'rb').read();"
		        "n=int(sys.argv[2]);c=zlib.compressobj(9,zlib.DEFLATED,-15);"
		        "open(sys.argv[1],'wb').write(d[:n]+c.compress(d[n:])+"
		        "c.flush())",
		        raw, NULL, NULL};
		char off[32];
		snprintf(off, sizeof(off), "%zu", ds);
		const char *p = db_write(&b, path_of(name));
		snprintf(raw, sizeof(raw), "%s", p);
		argv[4] = off;
		ck_assert_int_eq(run(argv), 0);
		return path_of(name);
	}
	return db_write(&b, path_of(name));
}

static void
assert_refused_for_depth(const char *path)
{
	mc_tagset *t;
	bool       warn;
	char       err[512] = "";

	ck_assert_msg(
	    extract(path, NULL, &t, &warn, err, sizeof(err)) == MC_EPARSE,
	    "%s: %s", path, err);
	ck_assert_msg(strstr(err, "nested deeper than 64") != NULL, "%s", err);
	mc_tagset_destroy(t);
}

START_TEST(nesting_beyond_the_limit_is_refused_in_every_encoding)
{
	/* far beyond what DCMTK's recursion survives on any stack */
	const size_t bomb = 200000;

	assert_refused_for_depth(
	    nested_file("n_ele.dcm", TS_EXPLICIT_LE, bomb, false));
	assert_refused_for_depth(
	    nested_file("n_ile.dcm", TS_IMPLICIT_LE, bomb, false));
	assert_refused_for_depth(
	    nested_file("n_ebe.dcm", TS_EXPLICIT_BE, bomb, false));
	assert_refused_for_depth(
	    nested_file("n_nometa.dcm", NULL, bomb, false));
	assert_refused_for_depth(
	    nested_file("n_def.dcm", TS_IMPLICIT_LE, bomb, true));
	assert_refused_for_depth(
	    nested_file("n_edef.dcm", TS_EXPLICIT_LE, bomb, true));
	assert_refused_for_depth(
	    nested_file("n_dfl.dcm", TS_DEFLATED, bomb, false));
	assert_refused_for_depth(nested_file(
	    "n_65.dcm", TS_EXPLICIT_LE, DCM_SCAN_MAX_DEPTH + 1, false));
}
END_TEST

START_TEST(nesting_up_to_the_limit_is_read)
{
	const char *ts[] = {
	    TS_EXPLICIT_LE, TS_IMPLICIT_LE, TS_EXPLICIT_BE, TS_DEFLATED};
	char name[32];
	bool warn;

	for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++)
		for (int def = 0; def < 2; def++) {
			snprintf(name, sizeof(name), "ok%zu_%d.dcm", i, def);
			mc_tagset *t = extract_ok(
			    nested_file(name, ts[i], DCM_SCAN_MAX_DEPTH, def),
			    NULL, &warn);
			ck_assert_str_eq(
			    mc_tagset_get(t, "SOPInstanceUID"), "1.2.3.4.5");
			/* read after the nesting: the walk kept in step */
			ck_assert_str_eq(
			    mc_tagset_get(t, "SeriesInstanceUID"), "1.2.3.4");
			mc_tagset_destroy(t);
		}
}
END_TEST

START_TEST(lengths_past_their_container_are_refused)
{
	dbuf       b = {0};
	mc_tagset *t;
	bool       warn;
	char       err[512] = "";

	db_meta(&b, TS_EXPLICIT_LE);
	db_uids(&b);
	db_hdr(&b, 0x0008, 0x1115, "SQ", 0xFFFFFFFFu);
	db_hdr(&b, 0xFFFE, 0xE000, NULL, 12);
	db_str(&b, 0x0008, 0x1150, "UI", "1.2.840.10008.5.1"); /* 26 > 12 */
	db_hdr(&b, 0xFFFE, 0xE0DD, NULL, 0);
	ck_assert_int_eq(extract(db_write(&b, path_of("overrun.dcm")), NULL,
	                     &t, &warn, err, sizeof(err)),
	    MC_EPARSE);
	ck_assert_msg(strstr(err, "runs past its item") != NULL, "%s", err);
	mc_tagset_destroy(t);
}
END_TEST

/* a file whose ImageType is n backslashes as UC (4-byte length) */
static const char *
backslash_file(const char *name, size_t n)
{
	dbuf  b = {0};
	char *v = malloc(n + 1);

	ck_assert_ptr_nonnull(v);
	memset(v, '\\', n);
	v[n] = '\0';
	db_meta(&b, TS_EXPLICIT_LE);
	db_hdr(&b, 0x0008, 0x0008, "UC", (uint32_t) n);
	db_put(&b, v, n);
	free(v);
	db_uids(&b);
	db_study_series(&b);
	return db_write(&b, path_of(name));
}

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

START_TEST(many_values_are_cut_in_linear_time_and_reported)
{
	dcm_extract_notes n;
	mc_tagset        *t;
	char              err[256] = "";
	double            t0;

	init_glue();
	/* DCMTK alone needs minutes for this one (quadratic) */
	const char *p = backslash_file("bs.dcm", 4u << 20);
	ck_assert_int_eq(mc_tagset_create(&t), MC_OK);
	t0 = now_s();
	ck_assert_int_eq(
	    dcm_extract_tags_ex(p, NULL, t, &n, err, sizeof(err)), MC_OK);
	ck_assert_msg(now_s() - t0 < 5.0, "took %.1f s", now_s() - t0);
	const char *v = mc_tagset_get(t, "ImageType");
	ck_assert_uint_eq(strlen(v), DCM_VALUE_MAX_VM - 1);
	ck_assert_uint_eq(strspn(v, "\\"), DCM_VALUE_MAX_VM - 1);
	ck_assert_uint_eq(n.values_cut, 1);
	ck_assert_str_eq(n.first_cut, "ImageType");
	ck_assert_uint_eq(n.first_cut_bytes, 4u << 20);
	mc_tagset_destroy(t);

	/* at the cap: DCMTK's own reading, nothing reported */
	p = backslash_file("bs_cap.dcm", DCM_VALUE_MAX_VM - 1);
	ck_assert_int_eq(mc_tagset_create(&t), MC_OK);
	ck_assert_int_eq(
	    dcm_extract_tags_ex(p, NULL, t, &n, err, sizeof(err)), MC_OK);
	ck_assert_uint_eq(
	    strlen(mc_tagset_get(t, "ImageType")), DCM_VALUE_MAX_VM - 1);
	ck_assert_uint_eq(n.values_cut, 0);
	ck_assert_str_eq(n.first_cut, "");
	mc_tagset_destroy(t);
}
END_TEST

START_TEST(long_values_are_cut_to_the_byte_cap)
{
	dcm_extract_notes n;
	dbuf              b = {0};
	mc_tagset        *t;
	dcm_taglist      *l;
	const char       *spec[] = {"DerivationDescription", "(0028,1201)"};
	char              err[256] = "";
	size_t            len = 3 * DCM_VALUE_MAX_BYTES + 4;
	char             *v = malloc(len);

	init_glue();
	ck_assert_ptr_nonnull(v);
	for (size_t i = 0; i < len; i++)
		v[i] = (char) ('a' + i % 26);
	db_meta(&b, TS_EXPLICIT_LE);
	db_uids(&b);
	/* (0008,2111) ST, written as UT for a 4-byte length */
	db_hdr(&b, 0x0008, 0x2111, "UT", (uint32_t) len);
	db_put(&b, v, len);
	db_study_series(&b);
	/* (0028,1201) Red LUT data, OW: 40000 values */
	db_hdr(&b, 0x0028, 0x1201, "OW", 80000);
	for (unsigned i = 0; i < 40000; i++)
		db_u16(&b, i);
	const char *p = db_write(&b, path_of("long.dcm"));
	ck_assert_int_eq(
	    dcm_taglist_create(spec, 2, &l, err, sizeof(err)), MC_OK);
	ck_assert_int_eq(mc_tagset_create(&t), MC_OK);
	ck_assert_int_eq(
	    dcm_extract_tags_ex(p, l, t, &n, err, sizeof(err)), MC_OK);
	const char *got = mc_tagset_get(t, "DerivationDescription");
	ck_assert_uint_eq(strlen(got), DCM_VALUE_MAX_BYTES);
	ck_assert(memcmp(got, v, DCM_VALUE_MAX_BYTES) == 0);
	/* OW: DCMTK's one value of 40000 words, cut to 1024 of them */
	got = mc_tagset_get(t, "RedPaletteColorLookupTableData");
	ck_assert_ptr_nonnull(got);
	size_t seps = 0;
	for (const char *c = got; *c; c++)
		seps += *c == '\\';
	ck_assert_uint_eq(seps, DCM_VALUE_MAX_VM - 1);
	ck_assert(strncmp(got, "0000\\0001\\0002\\", 15) == 0);
	ck_assert_uint_eq(n.values_cut, 2);
	ck_assert_str_eq(n.first_cut, "DerivationDescription");
	free(v);
	mc_tagset_destroy(t);
	dcm_taglist_destroy(l);
}
END_TEST

/* ---- SCP ------------------------------------------------------------- */

typedef struct store_rec {
	char     path[512];
	char     sop_uid[65];
	char     sop_class[65];
	uint64_t bytes;
	int      write_errno;
	int      file_size; /* stat at on_store time, -1 if absent */
	int      answered;  /* after_response saw this cookie */
	int      head_ok;   /* req->head: the file's first bytes, as many
	                       as the file or DCM_STORE_HEAD_MAX has */
} store_rec;

/* whether head holds the first head_len bytes of path, and head_len is
 * all of them up to DCM_STORE_HEAD_MAX */
static int
head_matches(
    const char *path, const void *head, size_t head_len, uint64_t bytes)
{
	unsigned char buf[DCM_STORE_HEAD_MAX];
	size_t        want =
            bytes < DCM_STORE_HEAD_MAX ? (size_t) bytes : DCM_STORE_HEAD_MAX;
	FILE  *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return head_len == want && n >= want &&
	       (want == 0 || memcmp(buf, head, want) == 0);
}

typedef struct scp_env {
	dcm_scp        *scp;
	int             listen_fd;
	int             port;
	int             n_assoc;   /* associations to serve */
	int             n_threads; /* serving threads */
	int             next;      /* next association index */
	mc_err          results[MAX_ASSOC];
	dcm_assoc_info  infos[MAX_ASSOC];
	char            errs[MAX_ASSOC][256];
	int64_t         done_ms[MAX_ASSOC]; /* when serve returned */
	uint16_t        status;             /* what on_store answers */
	int             refuse;             /* answer dcm_reject_pdu */
	store_rec       stores[MAX_STORES];
	int             n_stores;
	int             n_after;
	pthread_mutex_t mu;        /* stores, n_stores, n_after */
	pthread_mutex_t accept_mu; /* next, accept order */
	pthread_t       threads[MAX_ASSOC];
} scp_env;

/* open descriptors of this process (leak check around an SCP run) */
static int
count_fds(void)
{
	int n = 0;
	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			n++;
	return n;
}

static int64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint16_t
on_store(void *ctx, const dcm_assoc_info *a, const dcm_store_req *req,
    void **cookie)
{
	scp_env    *e = ctx;
	struct stat st;

	(void) a;
	pthread_mutex_lock(&e->mu);
	if (e->n_stores < MAX_STORES) {
		store_rec *r = &e->stores[e->n_stores];
		snprintf(r->path, sizeof(r->path), "%s", req->tmp_path);
		snprintf(r->sop_uid, sizeof(r->sop_uid), "%s",
		    req->sop_instance_uid);
		snprintf(r->sop_class, sizeof(r->sop_class), "%s",
		    req->sop_class_uid);
		r->bytes = req->bytes;
		r->write_errno = req->write_errno;
		r->file_size =
		    stat(req->tmp_path, &st) == 0 ? (int) st.st_size : -1;
		r->head_ok = req->write_errno == 0 &&
		             head_matches(req->tmp_path, req->head,
		                 req->head_len, req->bytes);
		*cookie = r;
	}
	e->n_stores++;
	pthread_mutex_unlock(&e->mu);
	return req->write_errno ? DCM_STATUS_OUT_OF_RESOURCES : e->status;
}

static void
after_response(void *ctx, void *cookie)
{
	scp_env   *e = ctx;
	store_rec *r = cookie;
	pthread_mutex_lock(&e->mu);
	if (r >= &e->stores[0] && r < &e->stores[MAX_STORES] && !r->answered) {
		r->answered = 1;
		e->n_after++;
	}
	pthread_mutex_unlock(&e->mu);
}

/* What the receiver does over its limit: the rejection PDU, then wait
 * for the peer to close (so that our close cannot reset it away). */
static void
refuse_fd(int fd)
{
	unsigned char rj[DCM_REJECT_PDU_LEN], buf[4096];
	size_t        n = dcm_reject_pdu(rj, sizeof(rj));

	ck_assert_uint_eq(n, DCM_REJECT_PDU_LEN);
	ck_assert_uint_eq(dcm_reject_pdu(rj, n - 1), 0);
	ck_assert_int_eq(write(fd, rj, n), (ssize_t) n);
	shutdown(fd, SHUT_WR);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
}

/* Each serving thread takes the next association index, accepts one
 * connection and serves it, until n_assoc were served. Index i is the
 * i-th accept, so results follow the order of the connections. */
static void *
serve_thread(void *arg)
{
	scp_env *e = arg;

	for (;;) {
		pthread_mutex_lock(&e->accept_mu);
		int i = e->next < e->n_assoc ? e->next++ : -1;
		int fd = i >= 0 ? accept(e->listen_fd, NULL, NULL) : -1;
		pthread_mutex_unlock(&e->accept_mu);
		if (fd < 0)
			break;
		if (e->refuse) {
			refuse_fd(fd);
			e->results[i] = MC_EREFUSED;
		} else {
			e->results[i] = dcm_scp_serve(e->scp, fd, &e->infos[i],
			    e->errs[i], sizeof(e->errs[i]));
		}
		e->done_ms[i] = now_ms();
	}
	return NULL;
}

static void
scp_start(scp_env *e, const dcm_scp_opts *extra, int n_assoc)
{
	struct sockaddr_in a;
	socklen_t          len = sizeof(a);
	dcm_scp_opts       o;
	char               err[256] = "";

	init_glue();
	memset(e, 0, sizeof(*e));
	pthread_mutex_init(&e->mu, NULL);
	pthread_mutex_init(&e->accept_mu, NULL);
	e->n_assoc = n_assoc;
	e->n_threads = 1;
	e->status = DCM_STATUS_SUCCESS;
	o = extra ? *extra : (dcm_scp_opts){0};
	o.aet = SCP_AET;
	o.tmp_dir = g_dir;
	o.acse_timeout_s = o.acse_timeout_s ? o.acse_timeout_s : 5;
	o.dimse_timeout_s = 10;
	o.on_store = on_store;
	o.after_response = after_response;
	o.ctx = e;
	ck_assert_msg(
	    dcm_scp_create(&o, &e->scp, err, sizeof(err)) == MC_OK, "%s", err);

	e->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(e->listen_fd, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(
	    bind(e->listen_fd, (struct sockaddr *) &a, sizeof(a)), 0);
	ck_assert_int_eq(listen(e->listen_fd, 8), 0);
	ck_assert_int_eq(
	    getsockname(e->listen_fd, (struct sockaddr *) &a, &len), 0);
	e->port = ntohs(a.sin_port);
}

static void
scp_run(scp_env *e)
{
	for (int i = 0; i < e->n_threads; i++)
		ck_assert_int_eq(
		    pthread_create(&e->threads[i], NULL, serve_thread, e), 0);
}

static void
scp_stop(scp_env *e)
{
	for (int i = 0; i < e->n_threads; i++)
		pthread_join(e->threads[i], NULL);
	close(e->listen_fd);
	dcm_scp_destroy(e->scp);
	pthread_mutex_destroy(&e->mu);
	pthread_mutex_destroy(&e->accept_mu);
}

static int
echoscu(int port, const char *aec)
{
	char p[16];
	snprintf(p, sizeof(p), "%d", port);
	char *argv[] = {"echoscu", "-aet", SCU_AET, "-aec", (char *) aec,
	    "127.0.0.1", p, NULL};
	return run(argv);
}

/* storescu with one or two files; opt may be NULL. */
static int
storescu2(int port, const char *opt, const char *opt2, const char *f1,
    const char *f2)
{
	char  p[16];
	char *argv[16];
	int   n = 0;

	snprintf(p, sizeof(p), "%d", port);
	argv[n++] = "storescu";
	argv[n++] = "-aet";
	argv[n++] = SCU_AET;
	argv[n++] = "-aec";
	argv[n++] = SCP_AET;
	if (opt != NULL)
		argv[n++] = (char *) opt;
	if (opt2 != NULL)
		argv[n++] = (char *) opt2;
	argv[n++] = "127.0.0.1";
	argv[n++] = p;
	argv[n++] = (char *) f1;
	if (f2 != NULL)
		argv[n++] = (char *) f2;
	argv[n] = NULL;
	return run(argv);
}

static int
storescu(int port, const char *opt, const char *f1, const char *f2)
{
	return storescu2(port, opt, NULL, f1, f2);
}

static long
file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long) st.st_size : -1;
}

static void
assert_stored_file(const store_rec *r, const char *expect_sop)
{
	mc_tagset *t;
	bool       warn;
	char       err[256] = "";

	ck_assert_int_eq(r->write_errno, 0);
	ck_assert_str_eq(r->sop_uid, expect_sop);
	ck_assert_int_eq(r->file_size, (int) r->bytes);
	ck_assert_int_eq(file_size(r->path), (long) r->bytes);
	ck_assert_ptr_nonnull(strstr(r->path, "/.rcv-"));
	ck_assert_msg(
	    extract(r->path, NULL, &t, &warn, err, sizeof(err)) == MC_OK, "%s",
	    err);
	ck_assert_str_eq(mc_tagset_get(t, "SOPInstanceUID"), expect_sop);
	ck_assert_str_eq(
	    mc_tagset_get(t, "MediaStorageSOPClassUID"), r->sop_class);
	mc_tagset_destroy(t);
}

#define CT_SOP "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322"
#define MR_SOP "1.3.6.1.4.1.5962.1.1.4.1.1.20040826185059.5457"

START_TEST(echo_and_store_reach_on_store)
{
	scp_env e;

	scp_start(&e, NULL, 2);
	scp_run(&e);
	ck_assert_int_eq(echoscu(e.port, SCP_AET), 0);
	ck_assert_int_eq(storescu(e.port, NULL, CT_SMALL, MR_SMALL), 0);
	scp_stop(&e);

	ck_assert_msg(e.results[0] == MC_OK, "%s", e.errs[0]);
	ck_assert_msg(e.results[1] == MC_OK, "%s", e.errs[1]);
	ck_assert_str_eq(e.infos[0].peer_address, "127.0.0.1");
	ck_assert_str_eq(e.infos[1].calling_aet, SCU_AET);
	ck_assert_str_eq(e.infos[1].called_aet, SCP_AET);
	ck_assert_int_eq(e.n_stores, 2);
	ck_assert_int_eq(e.n_after, 2);
	assert_stored_file(&e.stores[0], CT_SOP);
	assert_stored_file(&e.stores[1], MR_SOP);
	/* the copy kept in memory is the file's start, meta header too */
	ck_assert(e.stores[0].head_ok);
	ck_assert(e.stores[1].head_ok);
	/* the dataset is bit-preserving; only the meta header is ours */
	ck_assert_int_gt((long) e.stores[0].bytes, file_size(CT_SMALL) - 200);
	ck_assert_int_lt((long) e.stores[0].bytes, file_size(CT_SMALL) + 200);
}
END_TEST

START_TEST(failure_status_reaches_the_sender)
{
	scp_env e;

	scp_start(&e, NULL, 1);
	e.status = DCM_STATUS_CANNOT_UNDERSTAND;
	scp_run(&e);
	unlink(path_of("storescu.log"));
	storescu2(e.port, "-nh", "-v", CT_SMALL, MR_SMALL);
	scp_stop(&e);
	{
		char  buf[8192] = "";
		FILE *f = fopen(path_of("storescu.log"), "r");
		ck_assert_ptr_nonnull(f);
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		fclose(f);
		/* both answers arrived, and the association stayed in step */
		const char *first =
		    strstr(buf, "Response (Error: CannotUnderstand)");
		ck_assert_ptr_nonnull(first);
		ck_assert_ptr_nonnull(
		    strstr(first + 1, "Response (Error: CannotUnderstand)"));
		ck_assert_ptr_nonnull(strstr(buf, "Releasing Association"));
	}
	ck_assert_msg(e.results[0] == MC_OK, "%s", e.errs[0]);
	ck_assert_int_eq(e.n_stores, 2);
	ck_assert_int_eq(e.n_after, 2);
}
END_TEST

START_TEST(wrong_called_aet_is_rejected)
{
	scp_env      e;
	dcm_scp_opts o = {0};

	o.require_called_aet = true;
	int fds = count_fds();
	scp_start(&e, &o, 2);
	scp_run(&e);
	ck_assert_int_ne(echoscu(e.port, "OTHER"), 0);
	ck_assert_int_eq(echoscu(e.port, SCP_AET), 0);
	scp_stop(&e);
	ck_assert_int_eq(count_fds(), fds);
	ck_assert_int_eq(e.results[0], MC_EREFUSED);
	ck_assert_str_eq(e.infos[0].called_aet, "OTHER");
	ck_assert_int_eq(e.results[1], MC_OK);
}
END_TEST

START_TEST(refused_connection_gets_a_rejection)
{
	scp_env e;

	int fds = count_fds();
	scp_start(&e, NULL, 1);
	e.refuse = 1;
	scp_run(&e);
	ck_assert_int_ne(echoscu(e.port, SCP_AET), 0);
	scp_stop(&e);
	ck_assert_int_eq(count_fds(), fds);
}
END_TEST

START_TEST(compressed_only_when_accepted)
{
	scp_env      e;
	dcm_scp_opts o = {0};

	scp_start(&e, NULL, 1);
	scp_run(&e);
	ck_assert_int_ne(storescu(e.port, "-xv", MR_J2K, NULL), 0);
	scp_stop(&e);
	ck_assert_int_eq(e.n_stores, 0);

	o.accept_compressed = true;
	scp_start(&e, &o, 1);
	scp_run(&e);
	ck_assert_int_eq(storescu(e.port, "-xv", MR_J2K, NULL), 0);
	scp_stop(&e);
	ck_assert_msg(e.results[0] == MC_OK, "%s", e.errs[0]);
	ck_assert_int_eq(e.n_stores, 1);
	assert_stored_file(&e.stores[0], MR_SOP);
}
END_TEST

START_TEST(write_failure_still_answers_and_keeps_in_step)
{
	scp_env       e;
	struct rlimit rl = {FSIZE_LIMIT_BYTES, FSIZE_LIMIT_BYTES};

	/* files beyond the limit fail with EFBIG, like a full disk */
	signal(SIGXFSZ, SIG_IGN);
	int fds = count_fds();
	scp_start(&e, NULL, 1);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	scp_run(&e);
	storescu(e.port, "-nh", CT_SMALL, MR_SMALL);
	scp_stop(&e);
	ck_assert_int_eq(count_fds(), fds);
	ck_assert_msg(e.results[0] == MC_OK, "%s", e.errs[0]);
	ck_assert_int_eq(e.n_stores, 2);
	ck_assert_int_eq(e.stores[0].write_errno, EFBIG);
	ck_assert_int_le((long) e.stores[0].bytes, FSIZE_LIMIT_BYTES);
	assert_stored_file(&e.stores[1], MR_SOP);
}
END_TEST

/* A peer that connects and sends half a request must not hold up the
 * other associations (the lock is taken only once a request is
 * complete), and its own thread ends after acse_timeout. */
START_TEST(silent_peer_times_out_without_blocking_others)
{
	scp_env            e;
	dcm_scp_opts       o = {0};
	struct sockaddr_in a;
	int                c;
	const char         half[] = {0x01, 0x00, 0x00, 0x00, 0x01, 0x00};

	o.acse_timeout_s = 3;
	int fds = count_fds();
	scp_start(&e, &o, 2);
	e.n_threads = 2;
	scp_run(&e);
	c = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t) e.port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(c, (struct sockaddr *) &a, sizeof(a)), 0);
	ck_assert_int_eq(write(c, half, sizeof(half)), (ssize_t) sizeof(half));
	int64_t t0 = now_ms();
	ck_assert_int_eq(echoscu(e.port, SCP_AET), 0);
	int64_t echo_ms = now_ms() - t0;
	scp_stop(&e);
	close(c);
	ck_assert_int_eq(count_fds(), fds);
	ck_assert_int_eq(e.results[0], MC_ETIMEDOUT);
	ck_assert_int_eq(e.results[1], MC_OK);
	ck_assert_int_lt(echo_ms, 1500);
	ck_assert_int_ge(e.done_ms[0] - t0, 2500);
}
END_TEST

START_TEST(parallel_associations_store_everything)
{
	scp_env     e;
	char        p[16];
	pid_t       pids[3];
	const char *files[3][2] = {
	    {CT_SMALL, MR_SMALL}, {MR_SMALL, CT_SMALL}, {CT_SMALL, CT_SMALL}};
	int n_ct = 0;

	int fds = count_fds();
	scp_start(&e, NULL, 3);
	e.n_threads = 3;
	scp_run(&e);
	snprintf(p, sizeof(p), "%d", e.port);
	for (int i = 0; i < 3; i++) {
		char  log[32];
		char *argv[] = {"storescu", "-aec", SCP_AET, "127.0.0.1", p,
		    (char *) files[i][0], (char *) files[i][1], NULL};
		snprintf(log, sizeof(log), "storescu.%d.log", i);
		pids[i] = spawn_bg(argv, log);
		ck_assert_int_gt(pids[i], 0);
	}
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(wait_exit(pids[i]), 0);
	scp_stop(&e);
	ck_assert_int_eq(count_fds(), fds);
	for (int i = 0; i < 3; i++)
		ck_assert_msg(e.results[i] == MC_OK, "%s", e.errs[i]);
	ck_assert_int_eq(e.n_stores, 6);
	ck_assert_int_eq(e.n_after, 6);
	for (int i = 0; i < 6; i++) {
		int ct = strcmp(e.stores[i].sop_uid, CT_SOP) == 0;
		assert_stored_file(&e.stores[i], ct ? CT_SOP : MR_SOP);
		n_ct += ct;
	}
	ck_assert_int_eq(n_ct, 4);
}
END_TEST

/* storescp --promiscuous: a SOP class DCMTK does not know is accepted
 * (dcmsend -nuc proposes it); a known non-storage one (C-FIND) is not. */
START_TEST(unknown_sop_class_is_accepted_known_others_not)
{
	scp_env    e;
	char       script[300], priv[300], p[16];
	FILE      *f;
	const char py[] =
	    "import sys, pydicom\n"
	    "ds = pydicom.dcmread(sys.argv[1])\n"
	    "ds.SOPClassUID = '1.2.826.0.1.3680043.8.498.999.1'\n"
	    "ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID\n"
	    "ds.SOPInstanceUID = '1.2.826.0.1.3680043.8.498.999.2'\n"
	    "ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID\n"
	    "ds.save_as(sys.argv[2])\n";

	snprintf(script, sizeof(script), "%s/private.py", g_dir);
	snprintf(priv, sizeof(priv), "%s/private.dcm", g_dir);
	f = fopen(script, "w");
	ck_assert_ptr_nonnull(f);
	fputs(py, f);
	fclose(f);
	char *gen[] = {PYTHON, script, MR_SMALL, priv, NULL};
	ck_assert_int_eq(run(gen), 0);

	scp_start(&e, NULL, 2);
	scp_run(&e);
	snprintf(p, sizeof(p), "%d", e.port);
	char *send[] = {
	    "dcmsend", "-nuc", "-aec", SCP_AET, "127.0.0.1", p, priv, NULL};
	char *find[] = {"findscu", "-S", "-aec", SCP_AET, "-k",
	    "QueryRetrieveLevel=STUDY", "127.0.0.1", p, NULL};
	ck_assert_int_eq(run(send), 0);
	ck_assert_int_ne(run(find), 0);
	scp_stop(&e);
	ck_assert_msg(e.results[0] == MC_OK, "%s", e.errs[0]);
	ck_assert_int_eq(e.n_stores, 1);
	ck_assert_str_eq(
	    e.stores[0].sop_class, "1.2.826.0.1.3680043.8.498.999.1");
	assert_stored_file(&e.stores[0], "1.2.826.0.1.3680043.8.498.999.2");
}
END_TEST

START_TEST(missing_tmp_dir_fails_each_store_but_not_the_association)
{
	scp_env e;
	char    missing[300];

	scp_start(&e, NULL, 1);
	/* swap in an SCP whose tmp_dir does not exist */
	dcm_scp_destroy(e.scp);
	{
		dcm_scp_opts o = {0};
		char         err[256] = "";
		snprintf(missing, sizeof(missing), "%s/missing", g_dir);
		o.aet = SCP_AET;
		o.tmp_dir = missing;
		o.on_store = on_store;
		o.after_response = after_response;
		o.ctx = &e;
		ck_assert_int_eq(
		    dcm_scp_create(&o, &e.scp, err, sizeof(err)), MC_OK);
	}
	scp_run(&e);
	storescu(e.port, "-nh", CT_SMALL, MR_SMALL);
	scp_stop(&e);
	ck_assert_msg(e.results[0] == MC_OK, "%s", e.errs[0]);
	ck_assert_int_eq(e.n_stores, 2);
	ck_assert_int_eq(e.n_after, 2);
	ck_assert_int_eq(e.stores[0].write_errno, ENOENT);
	ck_assert_int_eq(e.stores[1].write_errno, ENOENT);
	ck_assert_str_eq(e.stores[0].path, "");
	ck_assert_uint_eq(e.stores[0].bytes, 0);
}
END_TEST

START_TEST(bad_tls_files_are_econfig)
{
	dcm_scp     *s = NULL;
	dcm_scp_opts o = {0};
	char         err[256] = "";

	init_glue();
	o.aet = SCP_AET;
	o.tmp_dir = "/tmp";
	o.on_store = on_store;
	o.tls_key = "/nonexistent/key.pem";
	o.tls_cert = "/nonexistent/cert.pem";
	o.tls_ca = "/nonexistent/ca.pem";
	ck_assert_int_eq(dcm_scp_create(&o, &s, err, sizeof(err)), MC_ECONFIG);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(err, "key"));
	o.tls_cert = NULL;
	ck_assert_int_eq(dcm_scp_create(&o, &s, err, sizeof(err)), MC_ECONFIG);
	dcm_scp_destroy(NULL);
}
END_TEST

/* ---- TLS ------------------------------------------------------------- */

static void
gen_certs(void)
{
	char key[300], crt[300], csr[300], cakey[300], cacrt[300];

	make_dir();
	snprintf(cakey, sizeof(cakey), "%s/ca.key", g_dir);
	snprintf(cacrt, sizeof(cacrt), "%s/ca.crt", g_dir);
	char *ca[] = {"openssl", "req", "-x509", "-newkey", "rsa:2048",
	    "-nodes", "-keyout", cakey, "-out", cacrt, "-days", "2", "-sha256",
	    "-subj", "/CN=dcm_glue test ca", NULL};
	run(ca);
	const char *names[] = {"server", "client"};
	for (int i = 0; i < 2; i++) {
		char subj[64];
		snprintf(key, sizeof(key), "%s/%s.key", g_dir, names[i]);
		snprintf(csr, sizeof(csr), "%s/%s.csr", g_dir, names[i]);
		snprintf(crt, sizeof(crt), "%s/%s.crt", g_dir, names[i]);
		snprintf(subj, sizeof(subj), "/CN=%s", names[i]);
		char *req[] = {"openssl", "req", "-newkey", "rsa:2048",
		    "-nodes", "-keyout", key, "-out", csr, "-subj", subj,
		    NULL};
		char *sign[] = {"openssl", "x509", "-req", "-in", csr, "-CA",
		    cacrt, "-CAkey", cakey, "-CAcreateserial", "-days", "2",
		    "-sha256", "-out", crt, NULL};
		run(req);
		run(sign);
	}
}

static void
tls_opts(dcm_scp_opts *o, char paths[3][300])
{
	snprintf(paths[0], 300, "%s/server.key", g_dir);
	snprintf(paths[1], 300, "%s/server.crt", g_dir);
	snprintf(paths[2], 300, "%s/ca.crt", g_dir);
	memset(o, 0, sizeof(*o));
	o->tls_key = paths[0];
	o->tls_cert = paths[1];
	o->tls_ca = paths[2];
}

START_TEST(tls_peers_with_our_ca_are_served_plain_ones_not)
{
	scp_env      e;
	dcm_scp_opts o;
	char         paths[3][300], ckey[300], ccrt[300], p[16];

	tls_opts(&o, paths);
	snprintf(ckey, sizeof(ckey), "%s/client.key", g_dir);
	snprintf(ccrt, sizeof(ccrt), "%s/client.crt", g_dir);
	int fds = count_fds();
	scp_start(&e, &o, 3);
	scp_run(&e);
	snprintf(p, sizeof(p), "%d", e.port);
	char *echo_tls[] = {"echoscu", "+tls", ckey, ccrt, "+cf", paths[2],
	    "-aec", SCP_AET, "127.0.0.1", p, NULL};
	char *store_tls[] = {"storescu", "+tls", ckey, ccrt, "+cf", paths[2],
	    "-aec", SCP_AET, "127.0.0.1", p, CT_SMALL, NULL};
	ck_assert_int_eq(run(echo_tls), 0);
	ck_assert_int_eq(run(store_tls), 0);
	ck_assert_int_ne(echoscu(e.port, SCP_AET), 0);
	scp_stop(&e);
	ck_assert_int_eq(count_fds(), fds);
	ck_assert_msg(e.results[0] == MC_OK, "%s", e.errs[0]);
	ck_assert_msg(e.results[1] == MC_OK, "%s", e.errs[1]);
	ck_assert_int_ne(e.results[2], MC_OK);
	ck_assert_int_eq(e.n_stores, 1);
	assert_stored_file(&e.stores[0], CT_SOP);
}
END_TEST

START_TEST(tls_key_not_matching_certificate_is_econfig)
{
	dcm_scp     *s = NULL;
	dcm_scp_opts o;
	char         paths[3][300], other[300], err[256] = "";

	init_glue();
	tls_opts(&o, paths);
	snprintf(other, sizeof(other), "%s/client.crt", g_dir);
	o.tls_cert = other;
	o.aet = SCP_AET;
	o.tmp_dir = g_dir;
	o.on_store = on_store;
	ck_assert_int_eq(dcm_scp_create(&o, &s, err, sizeof(err)), MC_ECONFIG);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(err, "does not match"));
	o.tls_cert = paths[1];
	ck_assert_int_eq(dcm_scp_create(&o, &s, err, sizeof(err)), MC_OK);
	dcm_scp_destroy(s);
}
END_TEST

/* shared_dir_tcase - a TCase whose tests share the folder that setup
 * makes once, in the parent, and remove_dir removes after the last */
static void
shared_dir_tcase(
    Suite *s, const char *name, const TTest *const *tests, SFun setup)
{
	TCase *tc = mc_check_tcase(s, name, tests);

	tcase_add_unchecked_fixture(tc, setup, remove_dir);
	tcase_set_timeout(tc, TEST_TIMEOUT_S);
}

static Suite *
dcm_glue_suite(void)
{
	Suite       *s = suite_create("dcm_glue");
	const TTest *tags[] = {mr_file_gives_mercure_tags_in_order,
	    extra_tags_by_keyword_and_number,
	    unknown_or_malformed_extra_tag_is_einval, latin1_names_become_utf8,
	    japanese_iso2022_names_become_utf8,
	    bogus_charset_keeps_value_and_warns,
	    invalid_utf8_is_repaired_and_warns,
	    non_dicom_and_truncated_files_are_eparse,
	    dataset_without_meta_header_is_read,
	    nesting_beyond_the_limit_is_refused_in_every_encoding,
	    nesting_up_to_the_limit_is_read,
	    lengths_past_their_container_are_refused,
	    many_values_are_cut_in_linear_time_and_reported,
	    long_values_are_cut_to_the_byte_cap, NULL};
	const TTest *scp[] = {echo_and_store_reach_on_store,
	    failure_status_reaches_the_sender, wrong_called_aet_is_rejected,
	    refused_connection_gets_a_rejection, compressed_only_when_accepted,
	    write_failure_still_answers_and_keeps_in_step,
	    missing_tmp_dir_fails_each_store_but_not_the_association,
	    silent_peer_times_out_without_blocking_others,
	    parallel_associations_store_everything,
	    unknown_sop_class_is_accepted_known_others_not,
	    bad_tls_files_are_econfig, NULL};
	const TTest *tls[] = {tls_peers_with_our_ca_are_served_plain_ones_not,
	    tls_key_not_matching_certificate_is_econfig, NULL};

	shared_dir_tcase(s, "tags", tags, gen_files);
	shared_dir_tcase(s, "scp", scp, make_dir);
	shared_dir_tcase(s, "tls", tls, gen_certs);
	return s;
}

int
main(void)
{
	setenv("TCP_NODELAY", "1", 1);
	return mc_check_run(dcm_glue_suite());
}
