/* getdcmtags_main.c - the one-shot, mercure-compatible tag extractor:
 *   getdcmtags FILE SENDER_ADDRESS SENDER_AET RECEIVER_AET [ignored...]
 * as storescp --exec-on-reception "getdcmtags #p/#f #r #a #c" calls it,
 * and getdcmtags --json FILE to print the tags. The work is shared with
 * mercure-receiver (receiver_store.c), so both give the same layout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dcm_glue.h"
#include "instance_push.h"
#include "log.h"
#include "receiver_store.h"
#include "store_path.h"
#include "sys_fs.h"
#include "tags_json.h"

#define GETDCMTAGS_EXTRA_MAX 256
#define GETDCMTAGS_EXTRA_FILE "dcm_extra_tags"

typedef struct extra_specs {
	char  *text; /* the file's contents; the specs point into it */
	const char *spec[GETDCMTAGS_EXTRA_MAX];
	size_t n;
} extra_specs;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: getdcmtags FILE SENDER_ADDRESS SENDER_AET RECEIVER_AET\n"
	    "       getdcmtags --json FILE\n"
	    "  [--extra-tag SPEC]...  extra tags (keyword or gggg,eeee); also\n"
	    "                         read from ./dcm_extra_tags, one a line\n"
	    "  MERCURE_COORDINATOR=URL  also push the instance message\n");
}

/* load_extra_file - mercure reads extra tag names from ./dcm_extra_tags,
 * one per line ('#' starts a comment line). */
static void
load_extra_file(extra_specs *x)
{
	size_t len;
	char  *p;

	if (sys_read_file(GETDCMTAGS_EXTRA_FILE, &x->text, &len) != MC_OK)
		return;
	p = x->text;
	while (p && *p && x->n < GETDCMTAGS_EXTRA_MAX) {
		char *nl = strpbrk(p, "\r\n");
		if (nl)
			*nl = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p && *p != '#')
			x->spec[x->n++] = p;
		p = nl ? nl + 1 : NULL;
	}
}

static int
print_json(const char *file, const dcm_taglist *extra)
{
	mc_tagset *t = NULL;
	char       err[512] = "", *json = NULL;
	bool       warn = false;
	mc_err     rv;

	if ((rv = mc_tagset_create(&t)) == MC_OK)
		rv = dcm_extract_tags(file, extra, t, &warn, err, sizeof(err));
	if (rv == MC_OK)
		rv = tags_json_encode(t, &json);
	if (rv != MC_OK) {
		fprintf(stderr, "getdcmtags: %s: %s\n", file,
		    err[0] ? err : mc_strerror(rv));
		mc_tagset_destroy(t);
		return 1;
	}
	if (warn)
		fprintf(stderr, "getdcmtags: %s: warning: some values could not "
				"be converted to UTF-8 (U+FFFD used)\n",
		    file);
	fputs(json, stdout);
	free(json);
	mc_tagset_destroy(t);
	return 0;
}

static int
store(const char *file, char **who, const dcm_taglist *extra)
{
	char                incoming[STORE_PATH_MAX], reason[512];
	mc_instance         in;
	uint16_t            status;
	store_origin        org = {who[0], who[1], who[2], NULL, 0, 0};
	receiver_store_opts o = {incoming, NULL, extra, STORE_RECORD_SIDECAR,
	    true, NULL};
	const char         *url = getenv("MERCURE_COORDINATOR");
	instance_push      *push = NULL;

	sys_dirname_of(file, incoming, sizeof(incoming));
	(void)!sys_fs_follow_dir_mode(incoming); /* no config: as the folder */
	o.path_prefix = sys_basename_of(incoming);
	mc_instance_init(&in);
	if (receiver_store_file(&o, file, &org, &in, &status, reason,
		sizeof(reason)) != MC_OK) {
		log_error("event=instance.rejected file=%s reason=\"%s\"", file,
		    reason);
		return 1;
	}
	if (url && *url &&
	    instance_push_create(url, INSTANCE_PUSH_DIAL_NOW, &push) == MC_OK) {
		instance_push_send(push, &in);
		instance_push_linger(push);
		instance_push_destroy(push);
	}
	mc_instance_fini(&in);
	return 0;
}

int
main(int argc, char **argv)
{
	extra_specs  x = {0};
	dcm_taglist *extra = NULL;
	const char  *pos[5];
	size_t       npos = 0;
	int          json = 0, rc;
	char         err[512] = "";

	log_set_program("getdcmtags");
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--extra-tag") == 0 && i + 1 < argc) {
			if (x.n < GETDCMTAGS_EXTRA_MAX)
				x.spec[x.n++] = argv[++i];
		} else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			usage();
			return 0;
		} else if (npos < 5)
			pos[npos++] = argv[i]; /* mercure's extra args ignored */
	}
	if ((json && npos != 1) || (!json && npos < 4)) {
		usage();
		return 2;
	}
	load_extra_file(&x);
	if (dcm_glue_init(err, sizeof(err)) != MC_OK ||
	    dcm_taglist_create(x.spec, x.n, &extra, err, sizeof(err)) != MC_OK) {
		fprintf(stderr, "getdcmtags: %s\n", err);
		free(x.text);
		return 2;
	}
	rc = json ? print_json(pos[0], extra)
		  : store(pos[0], (char **) pos + 1, extra);
	dcm_taglist_destroy(extra);
	free(x.text);
	return rc;
}
