/* getdcmtags_main.c - the one-shot, mercure-compatible tag extractor:
 *   getdcmtags FILE SENDER_ADDRESS SENDER_AET RECEIVER_AET [ignored...]
 *   getdcmtags --stdin      the same four values, one a line, on stdin
 *   getdcmtags --json FILE  print the tags
 * --stdin is for storescp --exec-on-reception: storescp (DCMTK 3.6.7)
 * pastes the peer's AE titles into a /bin/sh command line unquoted, so
 * they must reach us through a quoted here-document, never as words
 * (scripts/getdcmtags-exec-line prints such a command). Every value is
 * validated before anything is moved. The work is shared with
 * mercure-receiver (receiver_store.c), so both give the same layout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dcm/dcm_glue.h"
#include "instance_push.h"
#include "base/log.h"
#include "receiver_store.h"
#include "store_path.h"
#include "os/sys_fs.h"
#include "tags/tags_json.h"

#define GETDCMTAGS_EXTRA_MAX 256
#define GETDCMTAGS_AET_MAX 16    /* PS3.5 AE: 16 characters */
#define GETDCMTAGS_ADDR_MAX 255  /* a host name, or an IPv4/IPv6 address */
#define GETDCMTAGS_LINE_MAX 4096 /* one --stdin value */
#define GETDCMTAGS_EXTRA_FILE "dcm_extra_tags"
#define GETDCMTAGS_SET_MAX 16        /* --set-tag options */
#define GETDCMTAGS_SET_NAME_MAX 64   /* a tag name, as in .tags */
#define GETDCMTAGS_SET_VALUE_MAX 256 /* its value */

typedef struct set_tags {
	const char *spec[GETDCMTAGS_SET_MAX]; /* "Name=value", argv's */
	size_t      n;
} set_tags;

typedef struct extra_specs {
	char       *text; /* the file's contents; the specs point into it */
	const char *spec[GETDCMTAGS_EXTRA_MAX];
	size_t      n;
} extra_specs;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: getdcmtags FILE SENDER_ADDRESS SENDER_AET RECEIVER_AET\n"
	    "       getdcmtags --stdin   (the same four values, one a line)\n"
	    "       getdcmtags --json FILE\n"
	    "  [--extra-tag SPEC]...  extra tags (keyword or gggg,eeee); also\n"
	    "                         read from ./dcm_extra_tags, one a line\n"
	    "  [--set-tag NAME=VALUE]...  set a tag of the .tags and the\n"
	    "                         message (mercureForceRule=RULE)\n"
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
		fprintf(stderr,
		    "getdcmtags: %s: warning: some values could not "
		    "be converted to UTF-8 (U+FFFD used)\n",
		    file);
	fputs(json, stdout);
	free(json);
	mc_tagset_destroy(t);
	return 0;
}

/* aet_is_valid - PS3.5 AE: 1..16 characters of the default repertoire,
 * no backslash, no control characters (leading/trailing spaces are
 * padding and allowed). */
static bool
aet_is_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > GETDCMTAGS_AET_MAX)
		return false;
	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
		if (*p < 0x20 || *p > 0x7E || *p == '\\')
			return false;
	return true;
}

/* addr_is_valid - what storescp gives as #r: a numeric address or a host
 * name: letters, digits, '.', '-', ':' (IPv6), '_', '%' (zone). */
static bool
addr_is_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > GETDCMTAGS_ADDR_MAX)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                 "0123456789.-:_%") == n;
}

/* file_is_valid - an existing regular file (not a link) named by a path
 * without control characters */
static bool
file_is_valid(const char *s)
{
	struct stat st;

	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
		if (*p < 0x20 || *p == 0x7F)
			return false;
	return s[0] != '\0' && lstat(s, &st) == 0 && S_ISREG(st.st_mode);
}

/* set_tag_is_valid - mercure's --set-tag NAME=VALUE: a name of letters,
 * digits and '_' that is not one the file's own identity comes from
 * (mercure refuses Filename; the UIDs name the stored file here), and a
 * value of printable ASCII */
static bool
set_tag_is_valid(const char *s)
{
	static const char *const fixed[] = {"Filename", "StudyInstanceUID",
	    "SeriesInstanceUID", "SOPInstanceUID", "SOPClassUID", NULL};
	const char              *eq = strchr(s, '=');
	size_t                   n = eq ? (size_t) (eq - s) : 0;

	if (n == 0 || n > GETDCMTAGS_SET_NAME_MAX ||
	    strlen(eq + 1) > GETDCMTAGS_SET_VALUE_MAX)
		return false;
	if (strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	              "0123456789_") != n)
		return false;
	for (size_t i = 0; fixed[i]; i++)
		if (strlen(fixed[i]) == n && strncmp(fixed[i], s, n) == 0)
			return false;
	for (const unsigned char *p = (const unsigned char *) eq + 1; *p; p++)
		if (*p < 0x20 || *p > 0x7E)
			return false;
	return true;
}

/* check_args - FILE ADDRESS SENDER_AET RECEIVER_AET; 0 or exit code 2 */
static int
check_args(const char *const v[4])
{
	const char *what = NULL;

	if (!file_is_valid(v[0]))
		what = "FILE is not an existing regular file";
	else if (!addr_is_valid(v[1]))
		what = "SENDER_ADDRESS is not an address or host name";
	else if (!aet_is_valid(v[2]))
		what = "SENDER_AET is not an AE title (1-16 printable "
		       "characters, no backslash)";
	else if (!aet_is_valid(v[3]))
		what = "RECEIVER_AET is not an AE title (1-16 printable "
		       "characters, no backslash)";
	if (what == NULL)
		return 0;
	log_error("event=getdcmtags.bad_argument msg=\"%s\"", what);
	return 2;
}

/* unquote - storescp encloses #r, #a and #c in double quotes: one
 * enclosing pair is removed. */
static const char *
unquote(char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s[n - 1] = '\0';
		return s + 1;
	}
	return s;
}

/* read_stdin_values - four lines into buf (v[i] point into it); the last
 * newline is optional, anything after the fourth line is an error. Lines
 * 2-4 lose the double quotes storescp puts around them. */
static int
read_stdin_values(char *buf, size_t cap, const char *v[4])
{
	size_t n = fread(buf, 1, cap - 1, stdin);
	char  *p = buf;

	buf[n] = '\0';
	if (n == cap - 1 || strlen(buf) != n) {
		log_error("event=getdcmtags.bad_argument msg=\"stdin too long "
		          "or holds a NUL\"");
		return 2;
	}
	for (int i = 0; i < 4; i++) {
		char *nl = strchr(p, '\n');
		v[i] = p;
		if (nl == NULL && i < 3) {
			log_error("event=getdcmtags.bad_argument msg=\"stdin "
			          "holds fewer than four lines\"");
			return 2;
		}
		if (nl != NULL)
			*nl = '\0';
		p = nl != NULL ? nl + 1 : p + strlen(p);
		if (i > 0)
			v[i] = unquote((char *) v[i]);
	}
	if (*p != '\0') {
		log_error("event=getdcmtags.bad_argument msg=\"stdin holds "
		          "more than four lines\"");
		return 2;
	}
	return 0;
}

static int
store(const char *const v[4], const dcm_taglist *extra, const set_tags *st)
{
	char                incoming[MC_PATH_MAX], reason[512];
	mc_instance         in;
	uint16_t            status;
	store_origin        org = {v[1], v[2], v[3], NULL, 0, 0, NULL, 0};
	receiver_store_opts o = {
	    incoming, NULL, extra, STORE_RECORD_SIDECAR, true, NULL, NULL, 0};
	const char    *url = getenv("MERCURE_COORDINATOR");
	const char    *file = v[0];
	instance_push *push = NULL;

	sys_dirname_of(file, incoming, sizeof(incoming));
	(void) !sys_fs_follow_dir_mode(
	    incoming); /* no config: as the folder */
	o.path_prefix = sys_basename_of(incoming);
	o.set_tags = st->spec;
	o.n_set_tags = st->n;
	mc_instance_init(&in);
	if (receiver_store_file(&o, file, &org, &in, &status, reason,
	        sizeof(reason)) != MC_OK) {
		log_error("event=instance.rejected file=%s reason=\"%s\"",
		    file, reason);
		return 1;
	}
	if (url && *url &&
	    instance_push_create(url, INSTANCE_PUSH_DIAL_NOW, &push) ==
	        MC_OK) {
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
	set_tags     st = {0};
	dcm_taglist *extra = NULL;
	const char  *pos[5];
	size_t       npos = 0;
	int          json = 0, from_stdin = 0, rc;
	char         err[512] = "", line[GETDCMTAGS_LINE_MAX];

	log_set_program("getdcmtags");
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--stdin") == 0)
			from_stdin = 1;
		else if (strcmp(argv[i], "--extra-tag") == 0 && i + 1 < argc) {
			if (x.n < GETDCMTAGS_EXTRA_MAX)
				x.spec[x.n++] = argv[++i];
		} else if (strcmp(argv[i], "--set-tag") == 0 && i + 1 < argc) {
			if (st.n == GETDCMTAGS_SET_MAX ||
			    !set_tag_is_valid(argv[i + 1])) {
				log_error("event=getdcmtags.bad_argument "
				          "msg=\"--set-tag wants NAME=VALUE "
				          "(letters, digits, _; printable "
				          "value; at most %d)\"",
				    GETDCMTAGS_SET_MAX);
				return 2;
			}
			st.spec[st.n++] = argv[++i];
		} else if (strcmp(argv[i], "-h") == 0 ||
		           strcmp(argv[i], "--help") == 0) {
			usage();
			return 0;
		} else if (npos < 5)
			pos[npos++] =
			    argv[i]; /* mercure's extra args ignored */
	}
	if ((json && (npos != 1 || from_stdin)) || (from_stdin && npos != 0) ||
	    (!json && !from_stdin && npos < 4)) {
		usage();
		return 2;
	}
	if (from_stdin && read_stdin_values(line, sizeof(line), pos) != 0)
		return 2;
	if (!json && check_args(pos) != 0)
		return 2;
	load_extra_file(&x);
	if (dcm_glue_init(err, sizeof(err)) != MC_OK ||
	    dcm_taglist_create(x.spec, x.n, &extra, err, sizeof(err)) !=
	        MC_OK) {
		fprintf(stderr, "getdcmtags: %s\n", err);
		free(x.text);
		return 2;
	}
	rc = json ? print_json(pos[0], extra) : store(pos, extra, &st);
	dcm_taglist_destroy(extra);
	free(x.text);
	return rc;
}
