/* fuzz_dcm_tags.c - the DICOM header pre-scan, DCMTK's parse and tag
 * extraction (dcm_extract_tags_ex) on any bytes, with extra tags of
 * string, binary and sequence VRs. The input goes through a memfd, since
 * the glue reads a path; the receiver reads files the peer wrote. */
#define _GNU_SOURCE /* memfd_create */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dcm/dcm_glue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int          g_fd = -1;
static char         g_path[64];
static dcm_taglist *g_extra;

static void
setup(void)
{
	static const char *const specs[] = {"DerivationDescription",
	    "(0028,1201)", "ReferencedImageSequence", "(0009,1001)",
	    "PixelSpacing"};
	char                     err[256];

	if (dcm_glue_init(err, sizeof(err)) != MC_OK ||
	    dcm_taglist_create(specs, sizeof(specs) / sizeof(specs[0]),
	        &g_extra, err, sizeof(err)) != MC_OK ||
	    (g_fd = memfd_create("fuzz_dcm_tags", MFD_CLOEXEC)) < 0) {
		fprintf(stderr, "fuzz_dcm_tags: setup failed: %s\n", err);
		abort();
	}
	snprintf(g_path, sizeof(g_path), "/proc/self/fd/%d", g_fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dcm_extract_notes n;
	mc_tagset        *t;
	char              err[512];

	if (g_fd < 0)
		setup();
	if (ftruncate(g_fd, 0) != 0 ||
	    pwrite(g_fd, data, size, 0) != (ssize_t) size)
		abort();
	if (mc_tagset_create(&t) != MC_OK)
		return 0;
	/* the contract: on success the UID keys are always there, and a
	 * cut value stays within the caps */
	if (dcm_extract_tags_ex(g_path, g_extra, t, &n, err, sizeof(err)) ==
	        MC_OK &&
	    (mc_tagset_get(t, "SOPInstanceUID") == NULL ||
	        mc_tagset_get(t, "SOPClassUID") == NULL ||
	        (n.values_cut > 0 && n.first_cut[0] == '\0')))
		abort();
	mc_tagset_destroy(t);
	return 0;
}
