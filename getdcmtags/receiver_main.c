/* receiver_main.c - mercure-receiver: argv, then create the store, the
 * DICOM acceptor and the server, run until SIGTERM/SIGINT, destroy. The
 * per-instance work is receiver_store.c; the sockets receiver_server.c. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "assoc_series.h"
#include "config/config.h"
#include "dcm/dcm_glue.h"
#include "instance_push.h"
#include "base/log.h"
#include "msg/msg_codec.h"
#include "receiver_recover.h"
#include "receiver_server.h"
#include "receiver_store.h"
#include "store_path.h"
#include "os/sys_fs.h"
#include "tmp_pool.h"
#include "tmp_slot.h"

#define RECEIVER_DEFAULT_PORT 11112
#define RECEIVER_DEFAULT_MAX_ASSOC 16
#define RECEIVER_EXTRA_TAGS_MAX 256
#define RECEIVER_SWEEP_DEFAULT_S 60
#define RECEIVER_SWEEP_MAX_S 86400
#define RECEIVER_INCOMING_DIR "incoming"
#define RECEIVER_TIMEOUT_MAX_S 86400
#define RECEIVER_RATE_MAX 1000000000
#define RECEIVER_PENDING_MAX 65536
#define RECEIVER_IDLE_TIMEOUT_DEFAULT_S 60
#define RECEIVER_MIN_RATE_DEFAULT 1024
#define RECEIVER_RATE_WINDOW_DEFAULT_S 30

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
	(void) sig;
	stop_requested = 1;
}

typedef struct receiver_args {
	const char *config;
	const char *bind, *aet, *storage, *coordinator;
	const char *tls_key, *tls_cert, *tls_ca;
	unsigned    port, max_assoc;
	int         port_set;
	/* what a peer may hold; 0: from the config or the default */
	unsigned    handshake_s, idle_s, queue_s, window_s, shutdown_s;
	unsigned    max_pending;
	long        min_rate; /* -1: from the config or the default */
	int         require_called_aet, accept_compressed, no_fsync, no_pool;
	int         no_flush_group;
	const char *pool_min_free; /* NULL: the pool's default floor */
	unsigned    sweep_s;       /* 0: the default; see --tmp-sweep */
	int         sweep_set;
	const char *extra[RECEIVER_EXTRA_TAGS_MAX];
	size_t      n_extra;
} receiver_args;

typedef struct receiver {
	receiver_store_opts store;
	char                incoming[MC_PATH_MAX];
	char                tmp[MC_PATH_MAX];
	tmp_slot           *slot; /* holds tmp[] against other receivers */
	/* the store path for other receivers' slots: no pool of ours */
	receiver_store_opts sweep_store;
	instance_push      *push; /* NULL: no coordinator configured */
	tmp_pool           *pool; /* NULL: ordinary temp files only */
	/* NULL: association ends not announced */
	assoc_series *assoc;
} receiver;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: mercure-receiver [options]\n"
	    "  --port N               DICOM port (default 11112)\n"
	    "  --bind ADDR            listen address (default 0.0.0.0)\n"
	    "  --aet AET              our AE title (default MERCURE)\n"
	    "  --require-called-aet   reject associations to another AE title\n"
	    "  --storage DIR          storage root; files go to DIR/incoming\n"
	    "                         (default ./var)\n"
	    "  --coordinator URL      nng URL to push instance messages to\n"
	    "  --max-associations N   associations served at once (default "
	    "16)\n"
	    "  --accept-compressed    accept JPEG, JPEG-LS, J2K, RLE, deflate\n"
	    "  --no-fsync             do not fsync files and journals\n"
	    "  --no-tmp-pool          no pre-written temp files: a full fsync\n"
	    "                         per instance (diagnosis)\n"
	    "  --tmp-sweep S          every S seconds, recover the temp folders\n"
	    "                         of receivers on this storage that died\n"
	    "                         (default 60; 0: only at start)\n"
	    "  --tmp-pool-min-free F  no pre-written spare while free space is\n"
	    "                         below F: N%% of the file system or a size\n"
	    "                         (512M, 2G; default 5%%, at least 64M)\n"
	    "  --no-flush-group       each pool file flushed on its own, no\n"
	    "                         flush shared between associations "
	    "(diagnosis)\n"
	    "  --extra-tag SPEC       extract another tag (keyword or "
	    "gggg,eeee)\n"
	    "  --tls-key F --tls-cert F --tls-ca F   DICOM over TLS\n"
	    "  --handshake-timeout S  whole deadline for a connection's TLS\n"
	    "                         handshake and association request "
	    "(30)\n"
	    "  --idle-timeout S       whole deadline for each command, idle "
	    "wait\n"
	    "                         included (60)\n"
	    "  --queue-timeout S      longest wait for a free association "
	    "thread (20)\n"
	    "  --min-transfer-rate B  bytes/s a dataset must arrive at, per\n"
	    "                         rate window; 0: no minimum (1024)\n"
	    "  --rate-window S        window of the rate rule (30)\n"
	    "  --shutdown-timeout S   after SIGTERM, cut associations still\n"
	    "                         running after S seconds (30)\n"
	    "  --max-pending N        connections waiting for their request "
	    "(256)\n"
	    "  --log-level L          debug, info, warn, error\n"
	    "  --config FILE          take every setting from the YAML config\n"
	    "                         (options given here win)\n");
}

static int
parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	long  v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < (long) lo || v > (long) hi)
		return -1;
	*out = (unsigned) v;
	return 0;
}

enum {
	O_PORT = 256,
	O_BIND,
	O_AET,
	O_REQ,
	O_STORAGE,
	O_COORD,
	O_MAX,
	O_COMP,
	O_NOFSYNC,
	O_EXTRA,
	O_KEY,
	O_CERT,
	O_CA,
	O_LOG,
	O_HELP,
	O_CONFIG,
	O_NOPOOL,
	O_NOGROUP,
	O_HANDSHAKE,
	O_IDLE,
	O_QUEUE,
	O_RATE,
	O_WINDOW,
	O_SHUTDOWN,
	O_PENDING,
	O_POOLFLOOR,
	O_SWEEP
};

/* timeout_arg - where the value of a timeout option goes */
static unsigned *
timeout_arg(receiver_args *a, int opt)
{
	switch (opt) {
	case O_HANDSHAKE:
		return &a->handshake_s;
	case O_IDLE:
		return &a->idle_s;
	case O_QUEUE:
		return &a->queue_s;
	case O_WINDOW:
		return &a->window_s;
	default:
		return &a->shutdown_s;
	}
}

static int
parse_args(int argc, char **argv, receiver_args *a)
{
	static const struct option opts[] = {
	    {"port", required_argument, 0, O_PORT},
	    {"bind", required_argument, 0, O_BIND},
	    {"aet", required_argument, 0, O_AET},
	    {"require-called-aet", no_argument, 0, O_REQ},
	    {"storage", required_argument, 0, O_STORAGE},
	    {"coordinator", required_argument, 0, O_COORD},
	    {"max-associations", required_argument, 0, O_MAX},
	    {"accept-compressed", no_argument, 0, O_COMP},
	    {"no-fsync", no_argument, 0, O_NOFSYNC},
	    {"no-tmp-pool", no_argument, 0, O_NOPOOL},
	    {"no-flush-group", no_argument, 0, O_NOGROUP},
	    {"tmp-pool-min-free", required_argument, 0, O_POOLFLOOR},
	    {"tmp-sweep", required_argument, 0, O_SWEEP},
	    {"extra-tag", required_argument, 0, O_EXTRA},
	    {"tls-key", required_argument, 0, O_KEY},
	    {"tls-cert", required_argument, 0, O_CERT},
	    {"tls-ca", required_argument, 0, O_CA},
	    {"log-level", required_argument, 0, O_LOG},
	    {"help", no_argument, 0, O_HELP},
	    {"config", required_argument, 0, O_CONFIG},
	    {"handshake-timeout", required_argument, 0, O_HANDSHAKE},
	    {"idle-timeout", required_argument, 0, O_IDLE},
	    {"queue-timeout", required_argument, 0, O_QUEUE},
	    {"min-transfer-rate", required_argument, 0, O_RATE},
	    {"rate-window", required_argument, 0, O_WINDOW},
	    {"shutdown-timeout", required_argument, 0, O_SHUTDOWN},
	    {"max-pending", required_argument, 0, O_PENDING}, {0, 0, 0, 0}};
	unsigned rate;
	int      c, lvl;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_PORT:
			if (parse_uint(optarg, 0, 65535, &a->port) != 0)
				goto bad;
			a->port_set = 1;
			break;
		case O_BIND:
			a->bind = optarg;
			break;
		case O_AET:
			a->aet = optarg;
			break;
		case O_REQ:
			a->require_called_aet = 1;
			break;
		case O_STORAGE:
			a->storage = optarg;
			break;
		case O_COORD:
			a->coordinator = optarg;
			break;
		case O_MAX:
			if (parse_uint(optarg, 1, 1024, &a->max_assoc) != 0)
				goto bad;
			break;
		case O_COMP:
			a->accept_compressed = 1;
			break;
		case O_NOFSYNC:
			a->no_fsync = 1;
			break;
		case O_NOPOOL:
			a->no_pool = 1;
			break;
		case O_NOGROUP:
			a->no_flush_group = 1;
			break;
		case O_POOLFLOOR: {
			uint64_t b;
			unsigned pct;
			if (tmp_pool_parse_floor(optarg, &b, &pct) != MC_OK)
				goto bad;
			a->pool_min_free = optarg;
			break;
		}
		case O_SWEEP:
			if (parse_uint(optarg, 0, RECEIVER_SWEEP_MAX_S,
			        &a->sweep_s) != 0)
				goto bad;
			a->sweep_set = 1;
			break;
		case O_EXTRA:
			if (a->n_extra == RECEIVER_EXTRA_TAGS_MAX)
				goto bad;
			a->extra[a->n_extra++] = optarg;
			break;
		case O_KEY:
			a->tls_key = optarg;
			break;
		case O_CERT:
			a->tls_cert = optarg;
			break;
		case O_CA:
			a->tls_ca = optarg;
			break;
		case O_LOG:
			if ((lvl = log_level_parse(optarg)) < 0)
				goto bad;
			log_set_level((log_level) lvl);
			break;
		case O_HELP:
			usage(stdout);
			exit(0);
		case O_CONFIG:
			a->config = optarg;
			break;
		case O_HANDSHAKE:
		case O_IDLE:
		case O_QUEUE:
		case O_WINDOW:
		case O_SHUTDOWN:
			if (parse_uint(optarg, 1, RECEIVER_TIMEOUT_MAX_S,
			        timeout_arg(a, c)) != 0)
				goto bad;
			break;
		case O_RATE:
			if (parse_uint(optarg, 0, RECEIVER_RATE_MAX, &rate) !=
			    0)
				goto bad;
			a->min_rate = rate;
			break;
		case O_PENDING:
			if (parse_uint(optarg, 1, RECEIVER_PENDING_MAX,
			        &a->max_pending) != 0)
				goto bad;
			break;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc)
		goto bad_arg;
	return 0;
bad:
	for (size_t i = 0; opts[i].name != NULL; i++)
		if (opts[i].val == c)
			fprintf(stderr,
			    "mercure-receiver: bad value '%s' for --%s\n",
			    optarg, opts[i].name);
	return -1;
bad_arg:
	fprintf(stderr, "mercure-receiver: unexpected argument '%s'\n",
	    argv[optind]);
	return -1;
}

#define RECEIVER_CONFIG_DIAGS_MAX 64

static void
take_if_unset(unsigned *v, unsigned from_config)
{
	if (*v == 0)
		*v = from_config;
}

static void
apply_config_limits(receiver_args *a, const config_receiver *r)
{
	take_if_unset(&a->handshake_s, r->handshake_timeout);
	take_if_unset(&a->idle_s, r->idle_timeout);
	take_if_unset(&a->queue_s, r->queue_timeout);
	take_if_unset(&a->window_s, r->rate_window);
	take_if_unset(&a->shutdown_s, r->shutdown_timeout);
	take_if_unset(&a->max_pending, r->max_pending);
	if (a->min_rate < 0)
		a->min_rate = r->min_transfer_rate;
}

/* apply_config - settings from the YAML file for every option not given
 * on the command line (the unset ones are NULL or 0 at this point). */
static mc_config *
apply_config(receiver_args *a)
{
	config_diag d[RECEIVER_CONFIG_DIAGS_MAX];
	size_t      n = 0;
	mc_config  *cfg = NULL;
	char        line[768];
	mc_err      rv = config_load_file(
	         a->config, &cfg, d, RECEIVER_CONFIG_DIAGS_MAX, &n);

	for (size_t i = 0; i < n && i < RECEIVER_CONFIG_DIAGS_MAX; i++)
		log_warn("event=config.finding msg=\"%s\"",
		    config_diag_format(&d[i], line, sizeof(line)));
	if (rv != MC_OK)
		return NULL;
	if (a->bind == NULL)
		a->bind = cfg->receiver.bind;
	if (a->aet == NULL)
		a->aet = cfg->receiver.aet;
	if (a->storage == NULL)
		a->storage = cfg->storage_root;
	if (a->coordinator == NULL)
		a->coordinator = cfg->coordinator_url;
	if (!a->port_set) {
		a->port = cfg->port;
		a->port_set = 1;
	}
	if (a->max_assoc == 0)
		a->max_assoc = cfg->receiver.max_associations;
	a->require_called_aet |= cfg->receiver.require_called_aet;
	a->accept_compressed |= cfg->receiver.accept_compressed;
	a->no_fsync |= !cfg->receiver.fsync;
	apply_config_limits(a, &cfg->receiver);
	if (a->tls_key == NULL) {
		a->tls_key = cfg->receiver.tls_key;
		a->tls_cert = cfg->receiver.tls_cert;
		a->tls_ca = cfg->receiver.tls_ca;
	}
	for (size_t i = 0; i < cfg->additional_tags.n &&
	                   a->n_extra < RECEIVER_EXTRA_TAGS_MAX;
	     i++)
		a->extra[a->n_extra++] = cfg->additional_tags.items[i].key;
	if (cfg->log_level != LOG_LEVEL_INFO)
		log_set_level(cfg->log_level);
	return cfg;
}

static void
apply_defaults(receiver_args *a)
{
	if (a->bind == NULL)
		a->bind = "0.0.0.0";
	if (a->aet == NULL)
		a->aet = "MERCURE";
	if (a->storage == NULL)
		a->storage = "./var";
	if (!a->port_set)
		a->port = RECEIVER_DEFAULT_PORT;
	if (a->max_assoc == 0)
		a->max_assoc = RECEIVER_DEFAULT_MAX_ASSOC;
	if (!a->sweep_set)
		a->sweep_s = RECEIVER_SWEEP_DEFAULT_S;
	/* the server's own defaults for 0; these the glue leaves to us */
	if (a->idle_s == 0)
		a->idle_s = RECEIVER_IDLE_TIMEOUT_DEFAULT_S;
	if (a->window_s == 0)
		a->window_s = RECEIVER_RATE_WINDOW_DEFAULT_S;
	if (a->handshake_s == 0)
		a->handshake_s = RECEIVER_HANDSHAKE_TIMEOUT_DEFAULT_S;
	if (a->min_rate < 0)
		a->min_rate = RECEIVER_MIN_RATE_DEFAULT;
}

/* reject_reason - the word for the coordinator's counter of a refused
 * instance's status */
static const char *
reject_reason(uint16_t status)
{
	switch (status) {
	case DCM_STATUS_OUT_OF_RESOURCES:
		return MSG_REJECT_DISK_FULL;
	case DCM_STATUS_DATASET_MISMATCH:
		return MSG_REJECT_SOP_MISMATCH;
	case DCM_STATUS_CANNOT_UNDERSTAND:
		return MSG_REJECT_INVALID;
	default:
		return MSG_REJECT_OTHER;
	}
}

/* on_store - dcm_on_store_fn: the received temp file becomes an instance */
static uint16_t
on_store(void *ctx, const dcm_assoc_info *a, const dcm_store_req *req,
    void **cookie)
{
	receiver    *r = ctx;
	mc_instance *in = malloc(sizeof(*in));
	store_origin org = {a->peer_address, a->calling_aet, a->called_aet,
	    req->sop_instance_uid, req->bytes, req->prealloc, req->head,
	    req->head_len};
	char         reason[512];
	uint16_t     status;
	/* the SOP instance UID and AE title are the peer's, unchecked */
	char sop[LOG_ESC_LEN(64)], calling[LOG_ESC_LEN(16)];
	char reason_esc[LOG_ESC_LEN(sizeof(reason))];

	*cookie = NULL;
	log_esc(sop, sizeof(sop), req->sop_instance_uid);
	if (req->write_errno != 0 || in == NULL) {
		unlink(req->tmp_path);
		free(in);
		log_error("event=instance.rejected sop=\"%s\" status=0x%04X "
		          "reason=\"cannot write the received data: %s\"",
		    sop, DCM_STATUS_OUT_OF_RESOURCES,
		    req->write_errno ? strerror(req->write_errno)
		                     : "no memory");
		if (r->push)
			instance_push_send_reject(
			    r->push, MSG_REJECT_NOT_STORED);
		return DCM_STATUS_OUT_OF_RESOURCES;
	}
	mc_instance_init(in);
	if (receiver_store_file(&r->store, req->tmp_path, &org, in, &status,
	        reason, sizeof(reason)) != MC_OK) {
		log_error("event=instance.rejected sop=\"%s\" calling=\"%s\" "
		          "status=0x%04X reason=\"%s\"",
		    sop, log_esc(calling, sizeof(calling), a->calling_aet),
		    status, log_esc(reason_esc, sizeof(reason_esc), reason));
		free(in);
		if (r->push)
			instance_push_send_reject(
			    r->push, reject_reason(status));
		return status;
	}
	log_debug("event=instance.stored study=%s series=%s sop=%s bytes=%llu",
	    in->study_uid, in->series_uid, in->sop_uid,
	    (unsigned long long) in->size);
	*cookie = in;
	return DCM_STATUS_SUCCESS;
}

/* open_tmp - dcm_open_tmp_fn: a pre-written file when one is ready */
static int
open_tmp(void *ctx, uint64_t size_hint, char *path, size_t pathlen,
    uint64_t *prealloc)
{
	receiver *r = ctx;

	return tmp_pool_open(r->pool, size_hint, path, pathlen, prealloc);
}

/* need_space - dcm_need_space_fn: the spares make room for an image */
static bool
need_space(void *ctx)
{
	receiver *r = ctx;

	return tmp_pool_give_back(r->pool);
}

/* after_response - the sender has its answer; now tell the coordinator */
static void
after_response(void *ctx, void *cookie)
{
	receiver    *r = ctx;
	mc_instance *in = cookie;

	if (in == NULL)
		return;
	if (r->assoc)
		assoc_series_note(r->assoc, in->series_uid);
	if (r->push)
		instance_push_send(r->push, in);
	mc_instance_fini(in);
	free(in);
}

/* assoc_end - receiver_server's assoc_end: tell the coordinator which
 * series the association carried (series_complete_on_association_end) */
static void
assoc_end(void *ctx, const dcm_assoc_info *info, bool released)
{
	receiver    *r = ctx;
	mc_assoc_msg m;

	memset(&m, 0, sizeof(m));
	if (assoc_series_end(r->assoc, &m) == MC_OK && m.n_series > 0 &&
	    r->push != NULL) {
		m.released = released;
		m.time_us = sys_now_us();
		mc_copy_text(m.sender_address, sizeof(m.sender_address),
		    info->peer_address);
		mc_copy_text(
		    m.sender_aet, sizeof(m.sender_aet), info->calling_aet);
		mc_copy_text(
		    m.receiver_aet, sizeof(m.receiver_aet), info->called_aet);
		instance_push_send_association(r->push, &m);
		log_debug("event=association.end released=%d series=%zu",
		    released ? 1 : 0, m.n_series);
	}
	mc_assoc_msg_fini(&m);
}

/* completion_tags - the tags an expected count is derived from
 * (series_complete_on_expected_count), extracted besides the usual set */
static void
completion_tags(receiver_args *a)
{
	static const char *const names[] = {"ImagesInAcquisition",
	    "NumberOfTemporalPositions", "NumberOfSlices", "NumberOfFrames"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		bool have = false;
		for (size_t k = 0; k < a->n_extra; k++)
			have |= strcmp(a->extra[k], names[i]) == 0;
		if (!have && a->n_extra < RECEIVER_EXTRA_TAGS_MAX)
			a->extra[a->n_extra++] = names[i];
	}
}

static int
prepare_dirs(receiver *r, const char *storage)
{
	mc_err rv;

	if (sys_path_fmt(r->incoming, sizeof(r->incoming), "%s/%s", storage,
	        RECEIVER_INCOMING_DIR) != MC_OK ||
	    sys_mkdir_p(r->incoming) != MC_OK) {
		log_error("event=receiver.storage_failed storage=%s", storage);
		return -1;
	}
	if ((rv = tmp_slot_claim(storage, &r->slot)) != MC_OK ||
	    sys_path_fmt(r->tmp, sizeof(r->tmp), "%s",
	        tmp_slot_dir(r->slot)) != MC_OK) {
		log_error("event=receiver.storage_failed storage=%s msg=\"no "
		          "temp folder: %s\"",
		    storage,
		    rv == MC_EAGAIN ? "every slot is held by another receiver"
		                    : mc_strerror(rv));
		return -1;
	}
	log_info("event=receiver.tmp_slot slot=%u dir=%s",
	    tmp_slot_number(r->slot), r->tmp);
	return 0;
}

/* recover_slot - tmp_slot_recover_fn: a dead receiver's temp folder */
static void
recover_slot(void *ctx, const char *dir)
{
	receiver *r = ctx;

	receiver_recover_tmp(&r->sweep_store, dir, NULL, NULL);
}

static int
run(const receiver_args *a, receiver *r)
{
	dcm_scp             *scp = NULL;
	receiver_server     *srv = NULL;
	char                 err[512] = "";
	receiver_server_opts so = {a->bind, a->port, a->max_assoc, NULL,
	    a->handshake_s, a->queue_s, a->shutdown_s, a->max_pending, NULL,
	    NULL};
	dcm_scp_opts         co = {a->aet, a->require_called_aet != 0,
	            a->accept_compressed != 0, r->tmp, a->handshake_s, a->idle_s, 0,
	            a->tls_key, a->tls_cert, a->tls_ca, on_store, after_response, r,
	            open_tmp, a->no_fsync == 0, (unsigned) a->min_rate, a->window_s,
	            need_space};
	mc_err               rv;
	int                  rc = 1;
	uint64_t             taken, missed, flushes;

	if (r->assoc != NULL) {
		so.assoc_end = assoc_end;
		so.assoc_ctx = r;
	}

	if (dcm_scp_create(&co, &scp, err, sizeof(err)) != MC_OK) {
		log_error("event=receiver.dicom_failed msg=\"%s\"", err);
		return 2;
	}
	so.scp = scp;
	if (receiver_server_create(&so, &srv, err, sizeof(err)) != MC_OK) {
		log_error("event=receiver.listen_failed msg=\"%s\"", err);
		goto done;
	}
	log_info("event=receiver.listening bind=%s port=%u aet=%s storage=%s "
	         "max_associations=%u fsync=%s tls=%s incoming=%s "
	         "handshake_timeout=%u idle_timeout=%u min_transfer_rate=%ld "
	         "rate_window=%u",
	    a->bind, receiver_server_port(srv), a->aet, a->storage,
	    a->max_assoc, a->no_fsync ? "off" : "on",
	    a->tls_key ? "on" : "off", r->incoming, a->handshake_s, a->idle_s,
	    a->min_rate, a->window_s);
	rv = receiver_server_run(srv, &stop_requested);
	if (rv == MC_ETIMEDOUT) {
		/* a thread is still busy with our own work: what it has not
		 * answered is not acknowledged (the sender sends it again),
		 * what was answered is durable, and recovery at the next
		 * start handles its temp file, as after kill -9 */
		fflush(stderr);
		_exit(1);
	}
	rc = rv == MC_OK ? 0 : 1;
	tmp_pool_stats(r->pool, &taken, &missed, &flushes);
	log_info("event=receiver.stopped messages_sent=%llu "
	         "messages_dropped=%llu pool_files_used=%llu pool_misses=%llu "
	         "shared_flushes=%llu",
	    (unsigned long long) (r->push ? instance_push_sent(r->push) : 0),
	    (unsigned long long) (r->push ? instance_push_dropped(r->push)
	                                  : 0),
	    (unsigned long long) taken, (unsigned long long) missed,
	    (unsigned long long) flushes);
done:
	receiver_server_destroy(srv);
	dcm_scp_destroy(scp);
	return rc;
}

int
main(int argc, char **argv)
{
	receiver_args    a;
	receiver         r;
	mc_config       *cfg = NULL;
	dcm_taglist     *extra = NULL;
	struct sigaction sa;
	char             err[512] = "";
	int              rc;

	log_set_program("mercure-receiver");
	memset(&a, 0, sizeof(a));
	a.min_rate = -1;
	if (parse_args(argc, argv, &a) != 0)
		return 2;
	if (a.config && (cfg = apply_config(&a)) == NULL) {
		log_error("event=receiver.config_invalid file=%s", a.config);
		return 2;
	}
	apply_defaults(&a);
	if (cfg && cfg->series_complete_on_expected_count)
		completion_tags(&a);
	(void) !sys_fs_apply_file_mode(
	    cfg ? cfg->file_mode : SYS_FILE_MODE_DEFAULT);
	if (dcm_glue_init(err, sizeof(err)) != MC_OK ||
	    dcm_taglist_create(a.extra, a.n_extra, &extra, err, sizeof(err)) !=
	        MC_OK) {
		log_error("event=receiver.init_failed msg=\"%s\"", err);
		config_destroy(cfg);
		return 2;
	}
	memset(&r, 0, sizeof(r));
	if (prepare_dirs(&r, a.storage) != 0) {
		dcm_taglist_destroy(extra);
		return 2;
	}
	r.store = (receiver_store_opts){r.incoming, RECEIVER_INCOMING_DIR,
	    extra, STORE_RECORD_JOURNAL, a.no_fsync == 0, NULL, NULL, 0};
	if (a.coordinator &&
	    instance_push_create(a.coordinator, INSTANCE_PUSH_DIAL_BACKGROUND,
	        &r.push) != MC_OK) {
		dcm_taglist_destroy(extra);
		return 2;
	}
	if (cfg && cfg->series_complete_on_association_end && r.push &&
	    assoc_series_create(&r.assoc) != MC_OK) {
		dcm_taglist_destroy(extra);
		return 2;
	}
	receiver_recover_tmp(&r.store, r.tmp, NULL, NULL);
	r.sweep_store = r.store;
	(void) tmp_slot_sweep(r.slot, recover_slot, &r);
	if (a.sweep_s > 0 && tmp_slot_sweeper_start(
	                         r.slot, a.sweep_s, recover_slot, &r) != MC_OK)
		log_warn("event=tmp_slot.sweeper_off msg=\"cannot start the "
		         "sweep thread; other slots are recovered at start "
		         "only\"");
	if (!a.no_pool && tmp_pool_create(r.tmp, !a.no_flush_group, &r.pool,
	                      err, sizeof(err)) != MC_OK)
		log_warn("event=tmp_pool.off msg=\"%s\"", err);
	if (r.pool != NULL && a.pool_min_free != NULL) {
		uint64_t b = 0;
		unsigned pct = 0;
		(void) !tmp_pool_parse_floor(a.pool_min_free, &b, &pct);
		tmp_pool_set_floor(r.pool, b, pct);
	}
	r.store.pool = r.pool;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = run(&a, &r);
	tmp_pool_destroy(r.pool);
	tmp_slot_destroy(r.slot);
	instance_push_destroy(r.push);
	assoc_series_destroy(r.assoc);
	dcm_taglist_destroy(extra);
	config_destroy(cfg);
	return rc;
}
