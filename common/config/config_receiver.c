/* config_receiver.c - our two sections beside mercure's fields:
 * `receiver` (the DICOM listener; its port stays mercure's top-level
 * `port`) and `scheduler` (local, or nomad whose settings are kept as
 * written until the Nomad backend reads them). */
#include "config/config.h"

#include <string.h>

#include "config/config_int.h"

#define CONFIG_ASSOCIATIONS_MAX 1024u
#define CONFIG_CONCURRENCY_MAX 1024u
#define CONFIG_TIMEOUT_MAX_S 86400u
#define CONFIG_RATE_MAX 1000000000u
#define CONFIG_PENDING_MAX 65536u

#define RECEIVER_FIELDS(X)                                                    \
	X(BIND, "bind")                                                       \
	X(AET, "aet")                                                         \
	X(REQUIRE_CALLED_AET, "require_called_aet")                           \
	X(MAX_ASSOCIATIONS, "max_associations")                               \
	X(ACCEPT_COMPRESSED, "accept_compressed")                             \
	X(FSYNC, "fsync")                                                     \
	X(TLS, "tls")                                                         \
	X(HANDSHAKE_TIMEOUT, "handshake_timeout")                             \
	X(IDLE_TIMEOUT, "idle_timeout")                                       \
	X(QUEUE_TIMEOUT, "queue_timeout")                                     \
	X(MIN_TRANSFER_RATE, "min_transfer_rate")                             \
	X(RATE_WINDOW, "rate_window")                                         \
	X(SHUTDOWN_TIMEOUT, "shutdown_timeout")                               \
	X(MAX_PENDING, "max_pending")
#define RECV_ENUM(id, s) RECV_##id,
#define RECV_NAME(id, s) s,
enum { RECEIVER_FIELDS(RECV_ENUM) RECV_N };
static const char *const receiver_known[] = {RECEIVER_FIELDS(RECV_NAME) NULL};

static const char *const scheduler_types[] = {
#define SCHED_NAME(id, s) s,
    CONFIG_SCHEDULERS(SCHED_NAME)
#undef SCHED_NAME
};

/* count_field - a positive integer up to max. */
static void
count_field(
    cctx *x, const cnode *v, const char *path, uint32_t max, unsigned *out)
{
	uint32_t n = *out;

	if (!cval_uint(x, v, path, max, &n))
		return;
	if (n < 1) {
		cctx_error(x, v, path, "must be at least 1, got %s", v->text);
		return;
	}
	*out = n;
}

static void
build_tls(cctx *x, const cnode *v)
{
	static const char *const known[] = {"key", "cert", "ca", NULL};
	config_receiver         *r = &x->cfg->receiver;
	const char **out[] = {&r->tls_key, &r->tls_cert, &r->tls_ca};
	char         path[CONFIG_PATH_MAX_LEN];

	if (!cval_map(x, v, "receiver.tls"))
		return;
	for (size_t i = 0; i < v->n; i++) {
		const cnode *k = v->items[2 * i];
		int          id;
		config_path(path, "receiver.tls",
		    k->kind == CNODE_SCALAR ? k->text : "?");
		id = config_fields_check(x, k, path, known, NULL);
		if (id >= 0)
			cval_str(x, v->items[2 * i + 1], path, out[id]);
	}
	if ((r->tls_key != NULL) != (r->tls_cert != NULL))
		cctx_error(x, v, "receiver.tls",
		    "key and cert must be given together");
}

void
config_build_receiver(cctx *x, const cnode *v)
{
	config_receiver *r = &x->cfg->receiver;
	char             path[CONFIG_PATH_MAX_LEN];

	if (!cval_map(x, v, "receiver"))
		return;
	for (size_t i = 0; i < v->n; i++) {
		const cnode *k = v->items[2 * i], *val = v->items[2 * i + 1];
		config_path(
		    path, "receiver", k->kind == CNODE_SCALAR ? k->text : "?");
		switch (
		    config_fields_check(x, k, path, receiver_known, NULL)) {
		case RECV_BIND:
			config_check_host(x, val, path, &r->bind);
			break;
		case RECV_AET:
			config_check_aet(x, val, path, &r->aet);
			break;
		case RECV_REQUIRE_CALLED_AET:
			cval_bool(x, val, path, &r->require_called_aet);
			break;
		case RECV_MAX_ASSOCIATIONS:
			count_field(x, val, path, CONFIG_ASSOCIATIONS_MAX,
			    &r->max_associations);
			break;
		case RECV_ACCEPT_COMPRESSED:
			cval_bool(x, val, path, &r->accept_compressed);
			break;
		case RECV_FSYNC:
			cval_bool(x, val, path, &r->fsync);
			break;
		case RECV_TLS:
			build_tls(x, val);
			break;
		case RECV_HANDSHAKE_TIMEOUT:
			count_field(x, val, path, CONFIG_TIMEOUT_MAX_S,
			    &r->handshake_timeout);
			break;
		case RECV_IDLE_TIMEOUT:
			count_field(x, val, path, CONFIG_TIMEOUT_MAX_S,
			    &r->idle_timeout);
			break;
		case RECV_QUEUE_TIMEOUT:
			count_field(x, val, path, CONFIG_TIMEOUT_MAX_S,
			    &r->queue_timeout);
			break;
		case RECV_MIN_TRANSFER_RATE: /* 0: no minimum */
			cval_uint(x, val, path, CONFIG_RATE_MAX,
			    &r->min_transfer_rate);
			break;
		case RECV_RATE_WINDOW:
			count_field(x, val, path, CONFIG_TIMEOUT_MAX_S,
			    &r->rate_window);
			break;
		case RECV_SHUTDOWN_TIMEOUT:
			count_field(x, val, path, CONFIG_TIMEOUT_MAX_S,
			    &r->shutdown_timeout);
			break;
		case RECV_MAX_PENDING:
			count_field(
			    x, val, path, CONFIG_PENDING_MAX, &r->max_pending);
			break;
		default:
			break;
		}
	}
}

static void
build_local(cctx *x, const cnode *v)
{
	static const char *const known[] = {
	    "type", "max_dispatch", "max_process", NULL};
	config_scheduler *s = &x->cfg->scheduler;
	char              path[CONFIG_PATH_MAX_LEN];

	for (size_t i = 0; i < v->n; i++) {
		const cnode *k = v->items[2 * i], *val = v->items[2 * i + 1];
		config_path(path, "scheduler",
		    k->kind == CNODE_SCALAR ? k->text : "?");
		switch (config_fields_check(x, k, path, known, NULL)) {
		case 1:
			count_field(x, val, path, CONFIG_CONCURRENCY_MAX,
			    &s->max_dispatch);
			break;
		case 2:
			count_field(x, val, path, CONFIG_CONCURRENCY_MAX,
			    &s->max_process);
			break;
		default:
			break;
		}
	}
}

void
config_build_scheduler(cctx *x, const cnode *v)
{
	config_scheduler *s = &x->cfg->scheduler;
	const cnode      *type = NULL;
	int               t = (int) s->type;

	if (!cval_map(x, v, "scheduler"))
		return;
	if ((type = cval_field(v, "type")) != NULL &&
	    !cval_enum(x, type, "scheduler.type", "scheduler type",
	        scheduler_types,
	        sizeof(scheduler_types) / sizeof(scheduler_types[0]), &t))
		return;
	s->type = (config_scheduler_type) t;
	if (!cval_kvlist(x, v, "scheduler", &s->fields))
		return;
	if (s->type == CONFIG_SCHEDULER_LOCAL)
		build_local(x, v);
}
