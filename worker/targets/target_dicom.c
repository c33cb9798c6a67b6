/* target_dicom.c - the "dicom" target: C-STORE every file to a DICOM
 * peer over one association (more only when over 128 presentation
 * contexts are needed), through the DCMTK glue in common/dcm/dcm_scu.h.
 *
 * Design notes: each file's meta header gives its SOP class and transfer
 * syntax; each distinct pair becomes one presentation context proposing
 * the file's own syntax, and for uncompressed data the other uncompressed
 * ones (DCMTK converts between those while sending). Every instance's
 * C-STORE status is judged on its own: 0x0000 and the warnings 0xB000,
 * 0xB006, 0xB007 count as sent, anything else as failed. A file that is
 * not DICOM can never be sent, so it makes the target non-retryable;
 * everything the peer or the network did is retryable.
 *
 * Fields (mercure's): ip (or "sender": info.sender_address), port
 * (default 104), aet_target, aet_source (default MERCURE),
 * pass_sender_aet / pass_receiver_aet (call with info.sender_aet /
 * info.receiver_aet instead). Ours: connect_timeout (10), acse_timeout
 * (30), dimse_timeout (60) in seconds; timeout = dimse_timeout.
 * dicomtls (target_dicomtls.c) adds tls_key, tls_cert, ca_cert. */
#include "targets/target.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dcm/dcm_scu.h"
#include "base/log.h"
#include "targets/target_dicom_int.h"
#include "tags/uid.h"

#define DICOM_PORT_DEFAULT 104
#define DICOM_AET_SOURCE_DEFAULT "MERCURE"
#define DICOM_HOST_MAX_LEN 255
#define DICOM_TIMEOUT_MAX_S 86400
#define DICOM_CONNECT_TIMEOUT_S 10
#define DICOM_ACSE_TIMEOUT_S 30
#define DICOM_DIMSE_TIMEOUT_S 60

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

typedef struct dicom_file {
	dcm_file_meta meta;
	size_t        ctx; /* index into the plan's contexts */
	bool          usable;
} dicom_file;

typedef struct dicom_run {
	const target_cfg   *cfg;
	const task_ctx     *task;
	const target_files *files;
	dicom_conf          conf;
	dicom_file         *df;
	dcm_scu_context    *ctx;
	size_t              n_ctx;
	bool                any_retryable, fatal;
	char                first_err[TARGET_ERROR_MAX_LEN + 1];
} dicom_run;

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

static void
record_failure(dicom_run *r, bool retryable, const char *msg)
{
	if (retryable)
		r->any_retryable = true;
	if (r->first_err[0] == '\0')
		mc_errf(r->first_err, sizeof(r->first_err), "%s", msg);
}

static void
fill_context(dcm_scu_context *c, const dcm_file_meta *m)
{
	const char *ts = m->transfer_syntax_uid;

	c->sop_class_uid = m->sop_class_uid;
	c->n_ts = 0;
	c->ts[c->n_ts++] = ts;
	if (!dcm_ts_is_uncompressed(ts))
		return;
	if (strcmp(ts, DCM_TS_EXPLICIT_LE) != 0)
		c->ts[c->n_ts++] = DCM_TS_EXPLICIT_LE;
	if (strcmp(ts, DCM_TS_IMPLICIT_LE) != 0)
		c->ts[c->n_ts++] = DCM_TS_IMPLICIT_LE;
}

/* one context per distinct (SOP class, own transfer syntax); the
 * alternatives follow from the own syntax, so the pair is the key */
static size_t
context_of(dicom_run *r, const dcm_file_meta *m)
{
	for (size_t i = 0; i < r->n_ctx; i++)
		if (strcmp(r->ctx[i].sop_class_uid, m->sop_class_uid) == 0 &&
		    strcmp(r->ctx[i].ts[0], m->transfer_syntax_uid) == 0)
			return i;
	fill_context(&r->ctx[r->n_ctx], m);
	return r->n_ctx++;
}

/* read every meta header; a file that is not DICOM fails for good */
static void
plan(dicom_run *r, target_result *res)
{
	char err[TARGET_ERROR_MAX_LEN + 1];

	for (size_t i = 0; i < r->files->n; i++) {
		dicom_file *f = &r->df[i];
		mc_err      rv = dcm_scu_probe(
		         r->files->paths[i], &f->meta, err, sizeof(err));
		if (rv != MC_OK) {
			log_warn("event=dicom.not_dicom task=%s target=%s "
			         "file=%s msg=\"%s\"",
			    r->task->task_id, target_cfg_name(r->cfg),
			    r->files->paths[i], err);
			record_failure(r, rv != MC_EPARSE, err);
			res->failed++;
			continue;
		}
		f->usable = true;
		f->ctx = context_of(r, &f->meta);
	}
}

static void
store_one(dicom_run *r, dcm_scu *scu, size_t i, target_result *res)
{
	char     err[TARGET_ERROR_MAX_LEN + 1];
	uint16_t st = 0;
	mc_err   rv = dcm_scu_store(
	      scu, r->files->paths[i], &r->df[i].meta, &st, err, sizeof(err));

	if (rv == MC_OK && status_is_sent(st)) {
		res->sent++;
		return;
	}
	res->failed++;
	if (rv == MC_OK)
		mc_errf(err, sizeof(err), "instance %s: status 0x%04X",
		    r->df[i].meta.sop_instance_uid, (unsigned) st);
	log_warn("event=dicom.store_failed task=%s target=%s sop=%s "
	         "msg=\"%s\"",
	    r->task->task_id, target_cfg_name(r->cfg),
	    r->df[i].meta.sop_instance_uid, err);
	record_failure(r, rv != MC_EPARSE, err);
	if (rv == MC_ENET || rv == MC_ETIMEDOUT)
		r->fatal = true; /* the association is gone */
}

/* one association for contexts [lo, hi): send their files */
static void
send_batch(dicom_run *r, size_t lo, size_t hi, target_result *res)
{
	char     err[TARGET_ERROR_MAX_LEN + 1];
	dcm_scu *scu;
	mc_err   rv = dcm_scu_open(
	      &r->conf.o, r->ctx + lo, hi - lo, &scu, err, sizeof(err));

	if (rv != MC_OK) {
		log_warn("event=dicom.associate_failed task=%s target=%s "
		         "err=%s msg=\"%s\"",
		    r->task->task_id, target_cfg_name(r->cfg), mc_strerror(rv),
		    err);
		record_failure(r, true, err);
		r->fatal = rv != MC_EDICOM;
		for (size_t i = 0; i < r->files->n; i++)
			if (r->df[i].usable && r->df[i].ctx >= lo &&
			    r->df[i].ctx < hi)
				res->failed++;
		return;
	}
	for (size_t i = 0; i < r->files->n; i++) {
		if (!r->df[i].usable || r->df[i].ctx < lo ||
		    r->df[i].ctx >= hi)
			continue;
		if (r->fatal) {
			res->failed++;
			continue;
		}
		store_one(r, scu, i, res);
	}
	if (r->fatal) {
		dcm_scu_destroy(scu);
	} else if (dcm_scu_release(scu, err, sizeof(err)) != MC_OK) {
		log_warn("event=dicom.release_failed task=%s target=%s "
		         "msg=\"%s\"",
		    r->task->task_id, target_cfg_name(r->cfg), err);
	}
}

static void
send_all(dicom_run *r, target_result *res)
{
	for (size_t lo = 0; lo < r->n_ctx; lo += DCM_SCU_MAX_CONTEXTS) {
		size_t hi = lo + DCM_SCU_MAX_CONTEXTS;
		if (hi > r->n_ctx)
			hi = r->n_ctx;
		if (!r->fatal) {
			send_batch(r, lo, hi, res);
			continue;
		}
		for (size_t i = 0; i < r->files->n; i++)
			if (r->df[i].usable && r->df[i].ctx >= lo &&
			    r->df[i].ctx < hi)
				res->failed++;
	}
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

mc_err
target_dicom_send_with(dicom_transport tr, const target_cfg *cfg,
    const task_ctx *ctx, const target_files *files, target_result *res)
{
	dicom_run r;
	char      err[TARGET_ERROR_MAX_LEN + 1];

	memset(&r, 0, sizeof(r));
	r.cfg = cfg;
	r.task = ctx;
	r.files = files;
	if (resolve_conf(cfg, ctx, tr, &r.conf, err, sizeof(err)) != MC_OK) {
		res->failed = files->n;
		target_result_fail(res, false, "%s", err);
		return MC_ECONFIG;
	}
	if (dcm_scu_init(err, sizeof(err)) != MC_OK) {
		res->failed = files->n;
		target_result_fail(res, true, "%s", err);
		return MC_EINTERNAL;
	}
	if (files->n == 0)
		return MC_OK;
	r.df = calloc(files->n, sizeof(*r.df));
	r.ctx = calloc(files->n, sizeof(*r.ctx));
	if (r.df == NULL || r.ctx == NULL) {
		free(r.df);
		free(r.ctx);
		res->failed = files->n;
		target_result_fail(res, true, "out of memory");
		return MC_ENOMEM;
	}
	plan(&r, res);
	log_debug("event=dicom.plan task=%s target=%s files=%zu contexts=%zu "
	          "associations=%zu",
	    ctx->task_id, target_cfg_name(cfg), files->n, r.n_ctx,
	    (r.n_ctx + DCM_SCU_MAX_CONTEXTS - 1) / DCM_SCU_MAX_CONTEXTS);
	send_all(&r, res);
	summarize(&r, res);
	free(r.df);
	free(r.ctx);
	return res->failed == 0 ? MC_OK : r.fatal ? MC_ENET : MC_EDICOM;
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

const target_ops target_ops_dicom = {
    .send = dicom_send,
    .test = dicom_test,
};
