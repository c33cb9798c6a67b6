/* target_dicom.c - the "dicom" target: C-STORE every file to a DICOM
 * peer over one association (more only when over 128 presentation
 * contexts are needed), or over `associations` of them in parallel,
 * through the DCMTK glue in common/dcm/dcm_scu.h.
 *
 * Design notes: each file's meta header gives its SOP class and transfer
 * syntax; each distinct pair becomes a group of presentation contexts:
 * the file's own syntax, and for uncompressed data the other uncompressed
 * ones (DCMTK converts between those while sending), plus, for compressed
 * data the glue can decode, a context offering it uncompressed; with
 * transfer_syntaxes, one context per listed syntax the file can go in.
 * Nothing is ever compressed. Every instance's C-STORE status is judged
 * on its own: 0x0000 and the warnings 0xB000, 0xB006, 0xB007 count as
 * sent, anything else as failed. A file that is not DICOM can never be
 * sent, so it makes the target non-retryable; everything the peer or the
 * network did is retryable.
 *
 * Threads: with associations N the usable files are split into N lanes
 * of consecutive files; lane 0 runs in the calling thread, the others in
 * threads of their own. A lane owns its files' dicom_file entries, its
 * contexts and its counters; the one shared state is the bandwidth cap
 * (send_pace.h). The lanes are joined before their counts are summed.
 *
 * Fields (mercure's): ip (or "sender": info.sender_address), port
 * (default 104), aet_target, aet_source (default MERCURE),
 * pass_sender_aet / pass_receiver_aet (call with info.sender_aet /
 * info.receiver_aet instead). Ours: connect_timeout (10), acse_timeout
 * (30), dimse_timeout (60) in seconds; timeout = dimse_timeout;
 * associations (1..16, default 1), max_mbps (a cap in 10^6 bytes/s),
 * transfer_syntaxes (config/transfer_syntax.h). dicomtls
 * (target_dicomtls.c) adds tls_key, tls_cert, ca_cert. */
#include "targets/target.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dcm/dcm_scu.h"
#include "base/log.h"
#include "config/transfer_syntax.h"
#include "os/sys_fs.h"
#include "targets/send_pace.h"
#include "targets/target_dicom_int.h"
#include "tags/uid.h"
#include "sent_log.h"

#define DICOM_PORT_DEFAULT 104
#define DICOM_AET_SOURCE_DEFAULT "MERCURE"
#define DICOM_HOST_MAX_LEN 255
#define DICOM_TIMEOUT_MAX_S 86400
#define DICOM_CONNECT_TIMEOUT_S 10
#define DICOM_ACSE_TIMEOUT_S 30
#define DICOM_DIMSE_TIMEOUT_S 60
#define DICOM_ASSOCIATIONS_MAX 16

#define DICOM_STATUS_SUCCESS 0x0000
#define DICOM_STATUS_COERCION 0xB000
#define DICOM_STATUS_ELEMENTS_DISCARDED 0xB006
#define DICOM_STATUS_DATASET_MISMATCH 0xB007

typedef struct dicom_conf {
	dicom_transport transport;
	char            host[DICOM_HOST_MAX_LEN + 1];
	char            calling[MC_AET_MAX_LEN + 1];
	char            called[MC_AET_MAX_LEN + 1];
	dcm_scu_opts    o;
} dicom_conf;

/* what happened to one file; written only by the lane that owns it */
typedef struct dicom_file {
	dcm_file_meta meta;
	size_t        size;  /* bytes, for the bandwidth cap */
	size_t        group; /* index into its lane's groups */
	size_t        lane;
	bool          usable; /* DICOM with an acceptable syntax */
	bool          sent;
	bool          has_status; /* a C-STORE response came */
	uint16_t      status;
	char          converted[DCM_SCU_UID_MAX_LEN + 1];
	char         *error; /* malloc'ed; NULL when sent */
} dicom_file;

/* the contexts [first, first + n) proposed for one (SOP class, syntax) */
typedef struct dicom_group {
	const dcm_file_meta *key; /* the first file's */
	size_t               first, n;
} dicom_group;

typedef struct dicom_run dicom_run;

/* one association's share of the files, sent by one thread */
typedef struct dicom_lane {
	dicom_run       *r;
	size_t           index;
	size_t          *files; /* indices into r->df */
	size_t           n_files;
	dcm_scu_context *ctx;
	size_t           n_ctx;
	dicom_group     *groups;
	size_t           n_groups;
	size_t           sent, failed;
	bool             any_retryable, fatal;
	char             first_err[TARGET_ERROR_MAX_LEN + 1];
	pthread_t        thread;
	bool             threaded;
} dicom_lane;

struct dicom_run {
	const target_cfg   *cfg;
	const task_ctx     *task;
	const target_files *files;
	dicom_conf          conf;
	dicom_file         *df;
	unsigned            associations;
	send_pace          *pace; /* NULL: no cap */
	char   pref[TRANSFER_SYNTAX_LIST_MAX][TRANSFER_SYNTAX_UID_MAX_LEN + 1];
	size_t n_pref; /* transfer_syntaxes; 0: the default proposal */
	bool   any_retryable, fatal;
	char   first_err[TARGET_ERROR_MAX_LEN + 1];
};

static bool
status_is_sent(uint16_t st)
{
	return st == DICOM_STATUS_SUCCESS || st == DICOM_STATUS_COERCION ||
	       st == DICOM_STATUS_ELEMENTS_DISCARDED ||
	       st == DICOM_STATUS_DATASET_MISMATCH;
}

static bool
aet_is_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > MC_AET_MAX_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char) s[i] < 0x20 || s[i] == '\\' ||
		    (unsigned char) s[i] >= 0x7f)
			return false;
	return true;
}

static mc_err
pick_aet(
    char *dst, const char *value, const char *what, char *err, size_t errlen)
{
	if (value == NULL || !aet_is_valid(value)) {
		mc_errf(err, errlen, "%s '%s' is not a valid AE title", what,
		    value ? value : "");
		return MC_ECONFIG;
	}
	snprintf(dst, MC_AET_MAX_LEN + 1, "%s", value);
	return MC_OK;
}

static mc_err
resolve_aets(const target_cfg *cfg, const task_ctx *t, dicom_conf *c,
    char *err, size_t errlen)
{
	const char *src = target_cfg_get(cfg, "aet_source");
	const char *what = "aet_source";
	bool        pass_sender, pass_receiver;

	if (target_cfg_get_bool(cfg, "pass_sender_aet", false, &pass_sender,
	        err, errlen) != MC_OK ||
	    target_cfg_get_bool(cfg, "pass_receiver_aet", false,
	        &pass_receiver, err, errlen) != MC_OK)
		return MC_ECONFIG;
	if (src == NULL || src[0] == '\0')
		src = DICOM_AET_SOURCE_DEFAULT;
	if (pass_sender) {
		src = t->sender_aet;
		what = "info.sender_aet (pass_sender_aet)";
	} else if (pass_receiver) {
		src = t->receiver_aet;
		what = "info.receiver_aet (pass_receiver_aet)";
	}
	if (pick_aet(c->calling, src, what, err, errlen) != MC_OK)
		return MC_ECONFIG;
	return pick_aet(c->called, target_cfg_get(cfg, "aet_target"),
	    "aet_target", err, errlen);
}

static mc_err
resolve_timeouts(
    const target_cfg *cfg, dcm_scu_opts *o, char *err, size_t errlen)
{
	unsigned dimse;

	if (target_cfg_get_uint(cfg, "timeout", 1, DICOM_TIMEOUT_MAX_S,
	        DICOM_DIMSE_TIMEOUT_S, &dimse, err, errlen) != MC_OK ||
	    target_cfg_get_uint(cfg, "dimse_timeout", 1, DICOM_TIMEOUT_MAX_S,
	        dimse, &o->dimse_timeout_s, err, errlen) != MC_OK ||
	    target_cfg_get_uint(cfg, "acse_timeout", 1, DICOM_TIMEOUT_MAX_S,
	        DICOM_ACSE_TIMEOUT_S, &o->acse_timeout_s, err,
	        errlen) != MC_OK ||
	    target_cfg_get_uint(cfg, "connect_timeout", 1, DICOM_TIMEOUT_MAX_S,
	        DICOM_CONNECT_TIMEOUT_S, &o->connect_timeout_s, err,
	        errlen) != MC_OK)
		return MC_ECONFIG;
	return MC_OK;
}

/* dicomtls: the three PEM files, which must be readable */
static mc_err
resolve_tls(const target_cfg *cfg, dcm_scu_opts *o, char *err, size_t errlen)
{
	static const char *const keys[] = {"tls_key", "tls_cert", "ca_cert"};
	const char              *v[3];

	for (size_t i = 0; i < 3; i++) {
		v[i] = target_cfg_get(cfg, keys[i]);
		if (v[i] == NULL || v[i][0] == '\0') {
			mc_errf(err, errlen, "dicomtls target without '%s'",
			    keys[i]);
			return MC_ECONFIG;
		}
		if (access(v[i], R_OK) != 0) {
			mc_errf(err, errlen, "%s %s: %s", keys[i], v[i],
			    strerror(errno));
			return MC_ECONFIG;
		}
	}
	o->tls_key = v[0];
	o->tls_cert = v[1];
	o->ca_cert = v[2];
	return MC_OK;
}

/* the target's fields -> c; MC_ECONFIG with err for a bad one */
static mc_err
resolve_conf(const target_cfg *cfg, const task_ctx *t, dicom_transport tr,
    dicom_conf *c, char *err, size_t errlen)
{
	const char *ip = target_cfg_get(cfg, "ip");

	memset(c, 0, sizeof(*c));
	c->transport = tr;
	if (tr == DICOM_TLS && resolve_tls(cfg, &c->o, err, errlen) != MC_OK)
		return MC_ECONFIG;
	if (ip != NULL && strcmp(ip, "sender") == 0) {
		ip = t->sender_address;
		if (ip[0] == '\0') {
			mc_errf(err, errlen,
			    "ip is \"sender\" but the task "
			    "has no info.sender_address");
			return MC_ECONFIG;
		}
	}
	if (ip == NULL || ip[0] == '\0' || strlen(ip) > DICOM_HOST_MAX_LEN) {
		mc_errf(err, errlen, "missing or invalid 'ip'");
		return MC_ECONFIG;
	}
	snprintf(c->host, sizeof(c->host), "%s", ip);
	if (target_cfg_get_uint(cfg, "port", 1, UINT16_MAX, DICOM_PORT_DEFAULT,
	        &c->o.port, err, errlen) != MC_OK)
		return MC_ECONFIG;
	if (resolve_aets(cfg, t, c, err, errlen) != MC_OK ||
	    resolve_timeouts(cfg, &c->o, err, errlen) != MC_OK)
		return MC_ECONFIG;
	c->o.host = c->host;
	c->o.calling_aet = c->calling;
	c->o.called_aet = c->called;
	return MC_OK;
}

/* associations, max_mbps, transfer_syntaxes -> r */
static mc_err
resolve_speed(dicom_run *r, char *err, size_t errlen)
{
	const char *mbps = target_cfg_get(r->cfg, "max_mbps");
	char       *end, why[TARGET_ERROR_MAX_LEN + 1];
	double      cap;

	if (target_cfg_get_uint(r->cfg, "associations", 1,
	        DICOM_ASSOCIATIONS_MAX, 1, &r->associations, err,
	        errlen) != MC_OK)
		return MC_ECONFIG;
	if (transfer_syntax_list_parse(
	        target_cfg_get(r->cfg, "transfer_syntaxes"), r->pref,
	        &r->n_pref, why, sizeof(why)) != MC_OK) {
		mc_errf(err, errlen, "transfer_syntaxes: %s", why);
		return MC_ECONFIG;
	}
	if (mbps == NULL || mbps[0] == '\0')
		return MC_OK;
	errno = 0;
	cap = strtod(mbps, &end);
	if (errno != 0 || end == mbps || *end != '\0' || !(cap > 0)) {
		mc_errf(err, errlen,
		    "max_mbps: '%s' is not a number of MB/s above 0", mbps);
		return MC_ECONFIG;
	}
	if (send_pace_create(cap, &r->pace) != MC_OK) {
		mc_errf(err, errlen, "out of memory");
		return MC_ENOMEM;
	}
	return MC_OK;
}

static void
lane_failure(dicom_lane *l, bool retryable, const char *msg)
{
	if (retryable)
		l->any_retryable = true;
	if (l->first_err[0] == '\0')
		mc_errf(l->first_err, sizeof(l->first_err), "%s", msg);
}

/* file i failed with msg (kept for its entry in "instances") */
static void
file_failed(dicom_file *f, const char *msg)
{
	if (f->error == NULL)
		f->error = strdup(msg);
}

/* the syntax can be sent as ts: its own, or decoded into uncompressed */
static bool
can_send_as(const char *own, const char *ts)
{
	return strcmp(own, ts) == 0 ||
	       (dcm_ts_is_uncompressed(ts) &&
	           (dcm_ts_is_uncompressed(own) || dcm_ts_can_decode(own)));
}

static void
add_context(
    dicom_lane *l, const char *sop_class, const char *const *ts, size_t n)
{
	dcm_scu_context *c = &l->ctx[l->n_ctx++];

	c->sop_class_uid = sop_class;
	c->n_ts = n;
	for (size_t i = 0; i < n; i++)
		c->ts[i] = ts[i];
}

/* The contexts for m's pair. With transfer_syntaxes: one context per
 * listed syntax the file can go in, in the list's order. Without: the
 * file's own syntax (with the other uncompressed ones when it is
 * uncompressed, which DCMTK converts between), and for a compressed file
 * that can be decoded a second context offering it uncompressed. */
static void
fill_group(dicom_lane *l, const dcm_file_meta *m)
{
	const dicom_run *r = l->r;
	const char      *own = m->transfer_syntax_uid;
	const char      *ts[3];
	size_t           n = 0;

	if (r->n_pref > 0) {
		for (size_t i = 0; i < r->n_pref; i++)
			if (can_send_as(own, r->pref[i]))
				add_context(l, m->sop_class_uid,
				    (const char *const[]){r->pref[i]}, 1);
		return;
	}
	ts[n++] = own;
	if (dcm_ts_is_uncompressed(own)) {
		if (strcmp(own, DCM_TS_EXPLICIT_LE) != 0)
			ts[n++] = DCM_TS_EXPLICIT_LE;
		if (strcmp(own, DCM_TS_IMPLICIT_LE) != 0)
			ts[n++] = DCM_TS_IMPLICIT_LE;
	}
	add_context(l, m->sop_class_uid, ts, n);
	if (dcm_ts_can_decode(own))
		add_context(l, m->sop_class_uid,
		    (const char *const[]){
		        DCM_TS_EXPLICIT_LE, DCM_TS_IMPLICIT_LE},
		    2);
}

/* one group per distinct (SOP class, own transfer syntax) of the lane;
 * the proposals follow from the pair, so the pair is the key */
static size_t
group_of(dicom_lane *l, const dcm_file_meta *m)
{
	dicom_group *g;

	for (size_t i = 0; i < l->n_groups; i++) {
		const dcm_file_meta *o = l->groups[i].key;
		if (strcmp(o->sop_class_uid, m->sop_class_uid) == 0 &&
		    strcmp(o->transfer_syntax_uid, m->transfer_syntax_uid) ==
		        0)
			return i;
	}
	g = &l->groups[l->n_groups];
	g->key = m;
	g->first = l->n_ctx;
	fill_group(l, m);
	g->n = l->n_ctx - g->first;
	return l->n_groups++;
}

/* read file i's meta header; a file that is not DICOM, or that none of
 * the target's transfer_syntaxes can carry, fails for good */
static void
plan_one(dicom_run *r, size_t i)
{
	char        err[TARGET_ERROR_MAX_LEN + 1];
	dicom_file *f = &r->df[i];
	mc_err      rv =
	    dcm_scu_probe(r->files->paths[i], &f->meta, err, sizeof(err));

	if (rv == MC_OK && r->n_pref > 0) {
		bool fits = false;
		for (size_t k = 0; k < r->n_pref; k++)
			fits |= can_send_as(
			    f->meta.transfer_syntax_uid, r->pref[k]);
		if (!fits) {
			mc_errf(err, sizeof(err),
			    "instance %s: its transfer syntax %s is "
			    "none of the target's transfer_syntaxes "
			    "and cannot be decoded into one of them",
			    f->meta.sop_instance_uid,
			    f->meta.transfer_syntax_uid);
			rv = MC_EPARSE;
		}
	}
	if (rv != MC_OK) {
		log_warn("event=dicom.not_sendable task=%s target=%s "
		         "file=%s msg=\"%s\"",
		    r->task->task_id, target_cfg_name(r->cfg),
		    r->files->paths[i], err);
		if (rv != MC_EPARSE)
			r->any_retryable = true;
		if (r->first_err[0] == '\0')
			mc_errf(r->first_err, sizeof(r->first_err), "%s", err);
		file_failed(f, err);
		return;
	}
	uint64_t size = 0;
	if (r->pace != NULL &&
	    sys_file_size(r->files->paths[i], &size) == MC_OK)
		f->size = (size_t) size;
	f->usable = true;
}

static void
plan(dicom_run *r)
{
	for (size_t i = 0; i < r->files->n; i++)
		plan_one(r, i);
}

/* the peer acknowledged file i: into the target's sent/ log, so that no
 * later run sends it again (a failed append costs a resend, no more) */
static void
note_sent(const dicom_run *r, size_t i)
{
	const char *name = sys_basename_of(r->files->paths[i]);

	if (r->task->sent != NULL &&
	    sent_log_add(r->task->sent, name) != MC_OK)
		log_warn("event=dicom.sent_log_failed task=%s target=%s "
		         "file=%s",
		    r->task->task_id, target_cfg_name(r->cfg), name);
}

static void
store_one(dicom_lane *l, dcm_scu *scu, size_t i)
{
	dicom_run  *r = l->r;
	dicom_file *f = &r->df[i];
	char        err[TARGET_ERROR_MAX_LEN + 1];
	uint16_t    st = 0;
	mc_err      rv;

	send_pace_wait(r->pace, f->size);
	rv = dcm_scu_store(scu, r->files->paths[i], &f->meta, &st,
	    f->converted, err, sizeof(err));
	if (rv == MC_OK) {
		f->has_status = true;
		f->status = st;
	}
	if (rv == MC_OK && status_is_sent(st)) {
		f->sent = true;
		l->sent++;
		note_sent(r, i);
		if (f->converted[0] != '\0')
			log_info("event=dicom.converted task=%s target=%s "
			         "sop=%s from=%s to=%s",
			    r->task->task_id, target_cfg_name(r->cfg),
			    f->meta.sop_instance_uid,
			    f->meta.transfer_syntax_uid, f->converted);
		return;
	}
	l->failed++;
	if (rv == MC_OK)
		mc_errf(err, sizeof(err), "instance %s: status 0x%04X",
		    f->meta.sop_instance_uid, (unsigned) st);
	log_warn("event=dicom.store_failed task=%s target=%s sop=%s "
	         "msg=\"%s\"",
	    r->task->task_id, target_cfg_name(r->cfg),
	    f->meta.sop_instance_uid, err);
	file_failed(f, err);
	lane_failure(l, rv != MC_EPARSE, err);
	if (rv == MC_ENET || rv == MC_ETIMEDOUT)
		l->fatal = true; /* the association is gone */
}

static bool
in_batch(const dicom_lane *l, size_t k, size_t glo, size_t ghi)
{
	const dicom_file *f = &l->r->df[l->files[k]];

	return f->group >= glo && f->group < ghi;
}

/* the files of groups [glo, ghi) that will not be tried: why, counted */
static void
skip_batch(dicom_lane *l, size_t glo, size_t ghi, const char *why)
{
	for (size_t k = 0; k < l->n_files; k++)
		if (in_batch(l, k, glo, ghi)) {
			file_failed(&l->r->df[l->files[k]], why);
			l->failed++;
		}
}

/* one association for the contexts of groups [glo, ghi): their files */
static void
send_batch(dicom_lane *l, size_t glo, size_t ghi)
{
	dicom_run *r = l->r;
	char       err[TARGET_ERROR_MAX_LEN + 1];
	size_t     lo = l->groups[glo].first;
	size_t     hi = l->groups[ghi - 1].first + l->groups[ghi - 1].n;
	dcm_scu   *scu;
	mc_err     rv = dcm_scu_open(
	        &r->conf.o, l->ctx + lo, hi - lo, &scu, err, sizeof(err));

	if (rv != MC_OK) {
		log_warn("event=dicom.associate_failed task=%s target=%s "
		         "association=%zu err=%s msg=\"%s\"",
		    r->task->task_id, target_cfg_name(r->cfg), l->index + 1,
		    mc_strerror(rv), err);
		lane_failure(l, true, err);
		l->fatal = rv != MC_EDICOM;
		skip_batch(l, glo, ghi, err);
		return;
	}
	for (size_t k = 0; k < l->n_files; k++) {
		if (!in_batch(l, k, glo, ghi))
			continue;
		if (l->fatal) {
			file_failed(&r->df[l->files[k]],
			    "not sent: the association was lost");
			l->failed++;
			continue;
		}
		store_one(l, scu, l->files[k]);
	}
	if (l->fatal) {
		dcm_scu_destroy(scu);
	} else if (dcm_scu_release(scu, err, sizeof(err)) != MC_OK) {
		log_warn("event=dicom.release_failed task=%s target=%s "
		         "msg=\"%s\"",
		    r->task->task_id, target_cfg_name(r->cfg), err);
	}
}

/* the end of the batch of groups that starts at glo: as many as fit in
 * one association's contexts */
static size_t
batch_end(const dicom_lane *l, size_t glo)
{
	size_t ghi = glo, n = 0;

	while (
	    ghi < l->n_groups && n + l->groups[ghi].n <= DCM_SCU_MAX_CONTEXTS)
		n += l->groups[ghi++].n;
	return ghi;
}

/* the lane's groups; returns how many associations it will open */
static size_t
lane_plan(dicom_lane *l)
{
	size_t n = 0;

	for (size_t k = 0; k < l->n_files; k++) {
		dicom_file *f = &l->r->df[l->files[k]];
		f->group = group_of(l, &f->meta);
	}
	for (size_t glo = 0; glo < l->n_groups; glo = batch_end(l, glo))
		n++;
	return n;
}

/* the lane's groups, as many per association as fit in its contexts */
static void *
lane_run(void *arg)
{
	dicom_lane *l = arg;
	size_t      glo = 0;

	while (glo < l->n_groups) {
		size_t ghi = batch_end(l, glo);
		if (!l->fatal)
			send_batch(l, glo, ghi);
		else
			skip_batch(l, glo, ghi,
			    "not sent: an earlier association failed");
		glo = ghi;
	}
	return NULL;
}

/* the usable files split evenly, in order, over at most r->associations
 * lanes; each lane's arrays sized for its files */
static mc_err
make_lanes(dicom_run *r, dicom_lane **out, size_t *n_out)
{
	size_t      usable = 0, n, at = 0;
	dicom_lane *lanes;

	for (size_t i = 0; i < r->files->n; i++)
		usable += r->df[i].usable;
	n = usable < r->associations ? usable : r->associations;
	*out = NULL;
	*n_out = 0;
	if (n == 0)
		return MC_OK;
	if ((lanes = calloc(n, sizeof(*lanes))) == NULL)
		return MC_ENOMEM;
	*out = lanes;
	*n_out = n;
	for (size_t k = 0; k < n; k++) {
		dicom_lane *l = &lanes[k];
		size_t      want = usable * (k + 1) / n - usable * k / n;
		l->r = r;
		l->index = k;
		l->files = calloc(want, sizeof(*l->files));
		l->groups = calloc(want, sizeof(*l->groups));
		/* at most two contexts a group by default, one per listed
		 * syntax with transfer_syntaxes */
		l->ctx = calloc(
		    want * (r->n_pref > 2 ? r->n_pref : 2), sizeof(*l->ctx));
		if (l->files == NULL || l->groups == NULL || l->ctx == NULL)
			return MC_ENOMEM;
		while (l->n_files < want) {
			if (r->df[at].usable) {
				r->df[at].lane = k;
				l->files[l->n_files++] = at;
			}
			at++;
		}
	}
	return MC_OK;
}

static void
free_lanes(dicom_lane *lanes, size_t n)
{
	for (size_t k = 0; lanes != NULL && k < n; k++) {
		free(lanes[k].files);
		free(lanes[k].groups);
		free(lanes[k].ctx);
	}
	free(lanes);
}

/* lane 0 in this thread, the others in their own; a lane whose thread
 * cannot start runs here afterwards */
static void
run_lanes(dicom_lane *lanes, size_t n)
{
	for (size_t k = 1; k < n; k++)
		lanes[k].threaded = pthread_create(&lanes[k].thread, NULL,
		                        lane_run, &lanes[k]) == 0;
	lane_run(&lanes[0]);
	for (size_t k = 1; k < n; k++) {
		if (lanes[k].threaded)
			pthread_join(lanes[k].thread, NULL);
		else
			lane_run(&lanes[k]);
	}
}

static void
merge_lanes(
    dicom_run *r, const dicom_lane *lanes, size_t n, target_result *res)
{
	for (size_t i = 0; i < r->files->n; i++)
		if (!r->df[i].usable)
			res->failed++;
	for (size_t k = 0; k < n; k++) {
		const dicom_lane *l = &lanes[k];
		res->sent += l->sent;
		res->failed += l->failed;
		r->any_retryable |= l->any_retryable;
		r->fatal |= l->fatal;
		if (r->first_err[0] == '\0' && l->first_err[0] != '\0')
			mc_errf(r->first_err, sizeof(r->first_err), "%s",
			    l->first_err);
	}
}

/* result.json's "instances": one entry per file, in name order */
static char *
instances_json(const dicom_run *r)
{
	json_t *a = json_array();
	char   *text;

	if (a == NULL)
		return NULL;
	for (size_t i = 0; i < r->files->n; i++) {
		const dicom_file *f = &r->df[i];
		json_t           *o = json_object();
		if (o == NULL || json_array_append_new(a, o) != 0) {
			json_decref(a);
			return NULL;
		}
		json_object_set_new(o, "file",
		    json_string(sys_basename_of(r->files->paths[i])));
		if (f->meta.sop_instance_uid[0] != '\0')
			json_object_set_new(
			    o, "sop", json_string(f->meta.sop_instance_uid));
		json_object_set_new(o, "ok", json_boolean(f->sent));
		if (f->has_status)
			json_object_set_new(
			    o, "status", json_integer(f->status));
		if (f->usable)
			json_object_set_new(
			    o, "association", json_integer(f->lane + 1));
		if (f->converted[0] != '\0')
			json_object_set_new(
			    o, "converted", json_string(f->converted));
		if (!f->sent && f->error != NULL)
			json_object_set_new(o, "error", json_string(f->error));
	}
	text = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return text;
}

static void
summarize(const dicom_run *r, target_result *res)
{
	if (res->failed == 0)
		return;
	res->retryable = r->any_retryable;
	if (res->sent == 0 && r->fatal)
		mc_errf(res->error, sizeof(res->error), "%s", r->first_err);
	else
		mc_errf(res->error, sizeof(res->error),
		    "%zu of %zu instances not sent; first: %s", res->failed,
		    r->files->n, r->first_err);
}

static void
run_free(dicom_run *r)
{
	for (size_t i = 0; r->df != NULL && i < r->files->n; i++)
		free(r->df[i].error);
	free(r->df);
	send_pace_destroy(r->pace);
}

mc_err
target_dicom_send_with(dicom_transport tr, const target_cfg *cfg,
    const task_ctx *ctx, const target_files *files, target_result *res)
{
	dicom_run   r;
	dicom_lane *lanes = NULL;
	size_t      n_lanes = 0;
	char        err[TARGET_ERROR_MAX_LEN + 1];
	mc_err      rv;

	memset(&r, 0, sizeof(r));
	r.cfg = cfg;
	r.task = ctx;
	r.files = files;
	if ((rv = resolve_conf(cfg, ctx, tr, &r.conf, err, sizeof(err))) !=
	        MC_OK ||
	    (rv = resolve_speed(&r, err, sizeof(err))) != MC_OK) {
		run_free(&r);
		res->failed = files->n;
		target_result_fail(res, rv == MC_ENOMEM, "%s", err);
		return rv == MC_ENOMEM ? MC_ENOMEM : MC_ECONFIG;
	}
	if (dcm_scu_init(err, sizeof(err)) != MC_OK) {
		run_free(&r);
		res->failed = files->n;
		target_result_fail(res, true, "%s", err);
		return MC_EINTERNAL;
	}
	if (files->n == 0) {
		run_free(&r);
		return MC_OK;
	}
	if ((r.df = calloc(files->n, sizeof(*r.df))) == NULL) {
		run_free(&r);
		res->failed = files->n;
		target_result_fail(res, true, "out of memory");
		return MC_ENOMEM;
	}
	plan(&r);
	if (make_lanes(&r, &lanes, &n_lanes) != MC_OK) {
		free_lanes(lanes, n_lanes);
		run_free(&r);
		res->failed = files->n;
		target_result_fail(res, true, "out of memory");
		return MC_ENOMEM;
	}
	size_t n_ctx = 0, n_assoc = 0;
	for (size_t k = 0; k < n_lanes; k++) {
		n_assoc += lane_plan(&lanes[k]);
		n_ctx += lanes[k].n_ctx;
	}
	log_debug("event=dicom.plan task=%s target=%s files=%zu contexts=%zu "
	          "associations=%zu parallel=%zu transfer_syntaxes=%zu",
	    ctx->task_id, target_cfg_name(cfg), files->n, n_ctx, n_assoc,
	    n_lanes, r.n_pref);
	if (n_lanes > 0)
		run_lanes(lanes, n_lanes);
	merge_lanes(&r, lanes, n_lanes, res);
	free_lanes(lanes, n_lanes);
	summarize(&r, res);
	res->instances_json = instances_json(&r);
	run_free(&r);
	return res->failed == 0 ? MC_OK : r.fatal ? MC_ENET : MC_EDICOM;
}

/* ---- stream mode ------------------------------------------------------
 * The same run, with one lane that grows by a file at a time: each file
 * is planned and stored as it is given, over one association that stays
 * open. A file whose (SOP class, syntax) pair is new adds its group; the
 * association is then released and one proposing every group so far
 * (as many as fit, the newest last) is opened. */

struct target_stream {
	dicom_run    r;
	dicom_lane   l;
	target_files files; /* r.files: the files given so far */
	char       **paths;
	size_t       cap;      /* of paths, r.df, l.files, l.groups, l.ctx */
	dcm_scu     *scu;      /* NULL: none open */
	size_t       glo, ghi; /* the groups scu proposes */
	mc_err       failed;   /* MC_OK while the stream goes on */
	char         why[TARGET_ERROR_MAX_LEN + 1];
};

static size_t
contexts_per_group(const dicom_run *r)
{
	return r->n_pref > 2 ? r->n_pref : 2;
}

/* room for one more file. The groups and contexts point into r.df, so
 * when r.df moves they are made again (in the same order: the same
 * indices) */
static mc_err
stream_grow(target_stream *s)
{
	size_t cap = s->cap ? s->cap * 2 : 64, per = contexts_per_group(&s->r);
	void  *p;
	dicom_file *df;

	if (s->files.n < s->cap)
		return MC_OK;
	if ((p = realloc(s->paths, cap * sizeof(*s->paths))) == NULL)
		return MC_ENOMEM;
	s->paths = p;
	s->files.paths = (const char *const *) s->paths;
	if ((p = realloc(s->l.files, cap * sizeof(*s->l.files))) == NULL)
		return MC_ENOMEM;
	s->l.files = p;
	if ((p = realloc(s->l.groups, cap * sizeof(*s->l.groups))) == NULL)
		return MC_ENOMEM;
	s->l.groups = p;
	if ((p = realloc(s->l.ctx, cap * per * sizeof(*s->l.ctx))) == NULL)
		return MC_ENOMEM;
	s->l.ctx = p;
	if ((df = realloc(s->r.df, cap * sizeof(*df))) == NULL)
		return MC_ENOMEM;
	memset(df + s->cap, 0, (cap - s->cap) * sizeof(*df));
	s->cap = cap;
	if (df != s->r.df) {
		s->r.df = df;
		s->l.n_groups = 0;
		s->l.n_ctx = 0;
		(void) lane_plan(&s->l);
	}
	return MC_OK;
}

/* the stream failed with rv: nothing more is sent */
static mc_err
stream_fail(target_stream *s, mc_err rv, const char *msg)
{
	if (rv == MC_OK || rv == MC_EPARSE)
		rv = MC_EDICOM;
	s->failed = rv;
	mc_errf(s->why, sizeof(s->why),
	    "not sent: the stream to the target failed: %s", msg);
	return rv;
}

static void
stream_release(target_stream *s)
{
	char err[TARGET_ERROR_MAX_LEN + 1];

	if (s->scu != NULL &&
	    dcm_scu_release(s->scu, err, sizeof(err)) != MC_OK)
		log_warn("event=dicom.release_failed task=%s target=%s "
		         "msg=\"%s\"",
		    s->r.task->task_id, target_cfg_name(s->r.cfg), err);
	s->scu = NULL;
}

/* an association proposing group g and as many groups before it as fit */
static mc_err
stream_associate(target_stream *s, size_t g)
{
	dicom_lane *l = &s->l;
	char        err[TARGET_ERROR_MAX_LEN + 1];
	size_t      glo = g, ghi = l->n_groups, lo, hi;
	mc_err      rv;

	stream_release(s);
	while (glo > 0 && l->groups[ghi - 1].first + l->groups[ghi - 1].n -
	                          l->groups[glo - 1].first <=
	                      DCM_SCU_MAX_CONTEXTS)
		glo--;
	if (glo == g)
		ghi = batch_end(l, g);
	lo = l->groups[glo].first;
	hi = l->groups[ghi - 1].first + l->groups[ghi - 1].n;
	rv = dcm_scu_open(
	    &s->r.conf.o, l->ctx + lo, hi - lo, &s->scu, err, sizeof(err));
	if (rv != MC_OK) {
		log_warn("event=dicom.associate_failed task=%s target=%s "
		         "association=1 err=%s msg=\"%s\"",
		    s->r.task->task_id, target_cfg_name(s->r.cfg),
		    mc_strerror(rv), err);
		s->scu = NULL;
		lane_failure(l, true, err);
		l->fatal = rv != MC_EDICOM;
		return stream_fail(s, rv, err);
	}
	log_debug("event=dicom.stream_associated task=%s target=%s "
	          "contexts=%zu groups=%zu",
	    s->r.task->task_id, target_cfg_name(s->r.cfg), hi - lo, ghi - glo);
	s->glo = glo;
	s->ghi = ghi;
	return MC_OK;
}

static mc_err
stream_send(target_stream *s, const char *path)
{
	dicom_file *f;
	size_t      i;
	char       *copy;
	mc_err      rv;

	if (stream_grow(s) != MC_OK || (copy = strdup(path)) == NULL)
		return stream_fail(s, MC_ENOMEM, "out of memory");
	i = s->files.n++;
	s->paths[i] = copy;
	f = &s->r.df[i];
	if (s->failed != MC_OK) {
		file_failed(f, s->why);
		return s->failed;
	}
	plan_one(&s->r, i);
	if (!f->usable)
		return MC_EPARSE;
	s->l.files[s->l.n_files++] = i;
	f->group = group_of(&s->l, &f->meta);
	if (s->scu == NULL || f->group < s->glo || f->group >= s->ghi) {
		if ((rv = stream_associate(s, f->group)) != MC_OK) {
			file_failed(f, s->why + strlen("not sent: "));
			s->l.failed++;
			return rv;
		}
	}
	store_one(&s->l, s->scu, i);
	if (f->sent)
		return MC_OK;
	if (s->l.fatal) {
		dcm_scu_destroy(s->scu); /* the association is gone */
		s->scu = NULL;
		return stream_fail(s, MC_ENET, f->error ? f->error : "lost");
	}
	if (f->has_status) {
		stream_release(s);
		return stream_fail(s, MC_EDICOM, f->error ? f->error : "");
	}
	return MC_EPARSE; /* this file alone: the association is fine */
}

static mc_err
stream_close(target_stream *s, target_result *res)
{
	mc_err rv;

	if (s->scu != NULL)
		stream_release(s);
	merge_lanes(&s->r, &s->l, 1, res);
	summarize(&s->r, res);
	res->instances_json = instances_json(&s->r);
	rv = res->failed == 0 ? MC_OK : s->r.fatal ? MC_ENET : MC_EDICOM;
	for (size_t i = 0; i < s->files.n; i++)
		free(s->paths[i]);
	free(s->paths);
	free(s->l.files);
	free(s->l.groups);
	free(s->l.ctx);
	run_free(&s->r);
	free(s);
	return rv;
}

mc_err
target_dicom_stream_open_with(dicom_transport tr, const target_cfg *cfg,
    const task_ctx *ctx, target_stream **out, char *err, size_t errlen)
{
	target_stream *s = calloc(1, sizeof(*s));
	mc_err         rv;

	*out = NULL;
	if (s == NULL) {
		mc_errf(err, errlen, "out of memory");
		return MC_ENOMEM;
	}
	s->r.cfg = cfg;
	s->r.task = ctx;
	s->r.files = &s->files;
	s->l.r = &s->r;
	/* associations is a series-mode setting: a stream is one */
	if ((rv = resolve_conf(cfg, ctx, tr, &s->r.conf, err, errlen)) ==
	        MC_OK &&
	    (rv = resolve_speed(&s->r, err, errlen)) == MC_OK &&
	    dcm_scu_init(err, errlen) != MC_OK)
		rv = MC_EINTERNAL;
	if (rv != MC_OK) {
		run_free(&s->r);
		free(s);
		return rv;
	}
	*out = s;
	return MC_OK;
}

mc_err
target_dicom_stream_send(target_stream *s, const char *path)
{
	return stream_send(s, path);
}

mc_err
target_dicom_stream_close(target_stream *s, target_result *res)
{
	return stream_close(s, res);
}

mc_err
target_dicom_test_with(dicom_transport tr, const target_cfg *cfg,
    const task_ctx *ctx, char *msg, size_t len)
{
	dicom_conf      c;
	dcm_scu_context v = {
	    DCM_SOP_VERIFICATION, {DCM_TS_EXPLICIT_LE, DCM_TS_IMPLICIT_LE}, 2};
	dcm_scu *scu;
	mc_err   rv;

	if ((rv = resolve_conf(cfg, ctx, tr, &c, msg, len)) != MC_OK ||
	    (rv = dcm_scu_init(msg, len)) != MC_OK ||
	    (rv = dcm_scu_open(&c.o, &v, 1, &scu, msg, len)) != MC_OK)
		return rv;
	if ((rv = dcm_scu_echo(scu, msg, len)) != MC_OK) {
		dcm_scu_destroy(scu);
		return rv;
	}
	if ((rv = dcm_scu_release(scu, msg, len)) != MC_OK)
		return rv;
	mc_errf(msg, len, "C-ECHO %s -> %s at %s:%u%s", c.calling, c.called,
	    c.host, c.o.port, tr == DICOM_TLS ? " over TLS" : "");
	return MC_OK;
}

static mc_err
dicom_send(const target_cfg *cfg, const task_ctx *ctx,
    const target_files *files, target_result *res)
{
	return target_dicom_send_with(DICOM_PLAIN, cfg, ctx, files, res);
}

static mc_err
dicom_test(const target_cfg *cfg, const task_ctx *ctx, char *msg, size_t len)
{
	return target_dicom_test_with(DICOM_PLAIN, cfg, ctx, msg, len);
}

static mc_err
dicom_stream_open(const target_cfg *cfg, const task_ctx *ctx,
    target_stream **out, char *err, size_t errlen)
{
	return target_dicom_stream_open_with(
	    DICOM_PLAIN, cfg, ctx, out, err, errlen);
}

const target_ops target_ops_dicom = {
    .send = dicom_send,
    .test = dicom_test,
    .stream_open = dicom_stream_open,
    .stream_send = target_dicom_stream_send,
    .stream_close = target_dicom_stream_close,
};
