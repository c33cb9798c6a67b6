/* qr_run.c - --retrieve and --retrieve-list: find, then fetch each match
 * on its own association, so that one failed study does not stop the
 * others, and report each on one line. C-MOVE names the receiver's AE
 * title as the destination; C-GET stages the files and hands them to
 * getdcmtags (qr_ingest.h) after each study, so a long list does not
 * pile up on disk before the router sees any of it. */
#include "retrieve/qr_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "os/sys_fs.h"
#include "retrieve/qr_ingest.h"
#include "retrieve/qr_web.h"

#define QR_LIST_MAX_BYTES (1024 * 1024)
#define QR_LIST_MAX_LINES 10000

mc_err
qr_find(const qr_ctx *x, const dcm_qr_key *keys, size_t n, dcm_qr_match **out,
    size_t *n_out, char *err, size_t errlen)
{
	if (x->node.url != NULL)
		return qr_web_find(&x->node, &x->opts, x->a->level, keys, n,
		    out, n_out, err, errlen);
	return dcm_qr_find(
	    &x->opts, x->a->level, keys, n, out, n_out, err, errlen);
}

/* fetch - one match by C-GET (+ ingest) or C-MOVE; files gets how many
 * instances arrived (C-GET: handed to the router; C-MOVE: the node's
 * count of sub-operations completed) */
static mc_err
fetch(const qr_ctx *x, qr_ingest *in, const dcm_qr_match *m, size_t *files,
    char *err, size_t errlen)
{
	dcm_qr_result r;
	const char   *series =
            x->a->level == DCM_QR_SERIES ? m->series_uid : NULL;
	size_t ok = 0, bad = 0;
	mc_err rv;

	*files = 0;
	if (x->a->move) {
		rv = dcm_qr_move(&x->opts, m->study_uid, series,
		    x->cfg->receiver.aet, &r, err, errlen);
		*files = r.completed;
		if (rv == MC_OK && r.failed > 0) {
			snprintf(err, errlen,
			    "the node reports %u of %u C-STOREs to %s failed",
			    r.failed, r.failed + r.completed,
			    x->cfg->receiver.aet);
			rv = MC_EDICOM;
		}
		return rv;
	}
	if (x->node.url != NULL)
		rv = qr_web_get(&x->node, &x->opts, m->study_uid, series,
		    qr_ingest_dir(in), &r, err, errlen);
	else
		rv = dcm_qr_get(&x->opts, m->study_uid, series,
		    qr_ingest_dir(in), &r, err, errlen);
	/* whatever arrived goes in, also after a failure: it is complete */
	char   why[512] = "";
	mc_err irv = qr_ingest_flush(in, &ok, &bad, why, sizeof(why));
	*files = ok;
	if (rv == MC_OK && r.failed > 0) {
		snprintf(err, errlen,
		    "the node reports %u of %u instances failed", r.failed,
		    r.failed + r.completed);
		rv = MC_EDICOM;
	}
	if (rv == MC_OK && irv != MC_OK) {
		snprintf(err, errlen, "%zu of %zu instances not filed: %s",
		    bad, ok + bad, why);
		rv = irv;
	}
	return rv;
}

int
qr_run_retrieve(const qr_ctx *x, const dcm_qr_key *keys, size_t n,
    const char *prefix, qr_counts *c)
{
	dcm_qr_match *m = NULL;
	size_t        nm = 0;
	qr_ingest    *in = NULL;
	char          err[512];
	mc_err        rv;

	rv = qr_find(x, keys, n, &m, &nm, err, sizeof(err));
	if (rv != MC_OK) {
		printf("%sfailed: query %s: %s\n", prefix, x->node.name, err);
		return 1;
	}
	c->found += nm;
	if (nm > 0 && !x->a->move &&
	    qr_ingest_create(x->cfg, &x->node, x->a->force_rule, &in, err,
	        sizeof(err)) != MC_OK) {
		printf("%sfailed: %s\n", prefix, err);
		c->failed += nm;
		free(m);
		return 1;
	}
	for (size_t i = 0; i < nm; i++) {
		size_t files = 0;
		rv = fetch(x, in, &m[i], &files, err, sizeof(err));
		c->files += files;
		printf("%s%s study=%s%s%s method=%s files=%zu%s%s\n", prefix,
		    rv == MC_OK ? "retrieved" : "failed", m[i].study_uid,
		    x->a->level == DCM_QR_SERIES ? " series=" : "",
		    x->a->level == DCM_QR_SERIES ? m[i].series_uid : "",
		    x->a->move ? "move" : "get", files,
		    rv == MC_OK ? "" : ": ", rv == MC_OK ? "" : err);
		fflush(stdout);
		if (rv == MC_OK)
			c->retrieved++;
		else
			c->failed++;
	}
	qr_ingest_destroy(in);
	free(m);
	return 0;
}

/* next_line - the next accession number of text (in place), trimmed;
 * blank lines and '#' comments are skipped. NULL at the end. */
static char *
next_line(char **p)
{
	while (*p != NULL && **p != '\0') {
		char *s = *p, *nl = strchr(s, '\n'), *e;
		*p = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		e = s + strlen(s);
		while (
		    e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			*--e = '\0';
		if (*s != '\0' && *s != '#')
			return s;
	}
	return NULL;
}

/* one accession: the list's number plus the command line's other keys */
static int
one_accession(const qr_ctx *x, const char *acc, size_t i, size_t total,
    qr_counts *sum, size_t *not_found)
{
	dcm_qr_key keys[DCM_QR_MAX_KEYS];
	size_t     n = 0;
	qr_counts  c = {0};
	char       prefix[64], err[256];

	snprintf(prefix, sizeof(prefix), "[%zu/%zu] ", i, total);
	if (dcm_qr_key_check("AccessionNumber", acc, 0, err, sizeof(err)) !=
	    MC_OK) {
		printf("%sfailed: %s\n", prefix, err);
		sum->failed++;
		return 1;
	}
	keys[n++] = (dcm_qr_key){"AccessionNumber", acc};
	for (size_t k = 0; k < x->a->n_keys && n < DCM_QR_MAX_KEYS; k++)
		if (strcmp(x->a->keys[k].keyword, "AccessionNumber") != 0)
			keys[n++] = x->a->keys[k];
	if (qr_run_retrieve(x, keys, n, prefix, &c) != 0) {
		sum->failed++;
		return 1;
	}
	printf("%saccession=%s found=%zu retrieved=%zu failed=%zu\n", prefix,
	    acc, c.found, c.retrieved, c.failed);
	fflush(stdout);
	if (c.found == 0)
		(*not_found)++;
	sum->found += c.found;
	sum->retrieved += c.retrieved;
	sum->failed += c.failed;
	sum->files += c.files;
	return 0;
}

int
qr_run_list(const qr_ctx *x)
{
	char     *text = NULL, *p, *acc;
	size_t    len = 0, total = 0, i = 0, not_found = 0;
	qr_counts sum = {0};

	if (sys_read_file(x->a->list, &text, &len) != MC_OK ||
	    len > QR_LIST_MAX_BYTES || strlen(text) != len) {
		fprintf(stderr,
		    "mercure-coordinator: %s: unreadable, over %d bytes, or "
		    "holds a NUL\n",
		    x->a->list, QR_LIST_MAX_BYTES);
		free(text);
		return 2;
	}
	char *copy = strdup(text);
	for (p = copy; copy != NULL && next_line(&p) != NULL;)
		total++;
	free(copy);
	if (copy == NULL || total > QR_LIST_MAX_LINES) {
		fprintf(stderr,
		    "mercure-coordinator: %s: more than %d lines\n",
		    x->a->list, QR_LIST_MAX_LINES);
		free(text);
		return 2;
	}
	for (p = text; (acc = next_line(&p)) != NULL;)
		(void) one_accession(x, acc, ++i, total, &sum, &not_found);
	printf("summary: accessions=%zu found=%zu retrieved=%zu failed=%zu "
	       "not_found=%zu files=%zu\n",
	    total, sum.found, sum.retrieved, sum.failed, not_found, sum.files);
	free(text);
	return sum.failed > 0 || not_found > 0 ? 1 : 0;
}
