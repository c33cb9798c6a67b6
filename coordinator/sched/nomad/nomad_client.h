/* nomad_client.h - Nomad's HTTP API, asynchronously, for one thread: the
 * calls the coordinator makes (register, dispatch, a child's allocations
 * with blocking queries, its job and evaluations, stop, purge, the event
 * stream, the leader probe), each answered through a callback from
 * nomad_client_poll(). The only module that speaks HTTP (libcurl) or
 * reads Nomad's JSON (with nomad_events.c for the stream's frames, which
 * nomad_client_json.c helps read); the reference is
 * Nomad's HTTP API documentation (docs/nomad.md lists the calls). Errors are
 * Nomad's plain text, kept beside the code; the token never appears in them or
 * in any log. */
#ifndef MC_COORDINATOR_NOMAD_CLIENT_H
#define MC_COORDINATOR_NOMAD_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/mc_err.h"

#define NOMAD_ADDR_DEFAULT "http://127.0.0.1:4646"
#define NOMAD_ID_MAX 256
#define NOMAD_ERROR_MAX 512
#define NOMAD_LOCK_ID_MAX 64

typedef struct nomad_client nomad_client;

/* nomad_client_opts - every string is borrowed for create only (copied).
 * NULL or "" means unset. */
typedef struct nomad_client_opts {
	const char *address; /* default NOMAD_ADDR_DEFAULT */
	const char *token;   /* X-Nomad-Token */
	const char *ns;      /* ?namespace= */
	const char *region;  /* ?region= */
	const char *ca_file, *cert_file, *key_file;
	unsigned    timeout_ms; /* a call that does not block; 0 = 10 s */
} nomad_client_opts;

/* nomad_alloc - what the coordinator needs of one AllocListStub */
typedef struct nomad_alloc {
	char id[64];
	char node_name[128];
	char client_status[16]; /* pending running complete failed lost unknown
	                         */
	char     desired_status[16]; /* run stop evict */
	char     client_description[160];
	char     next_allocation[64];
	uint64_t create_index;
	bool     failed;    /* a task state has Failed */
	bool     killed;    /* a Killed event */
	bool     has_exit;  /* a Terminated event */
	int      exit_code; /* of the last Terminated event (reference 3.4) */
	char     last_event[200]; /* "Type: DisplayMessage" of the last one */
} nomad_alloc;

/* nomad_child - one dispatched child of a parameterized job (a
 * JobListStub listed with its Meta) */
typedef struct nomad_child {
	char     id[NOMAD_ID_MAX];
	char     meta_value[128]; /* Meta[meta_key] of the call; "" if none */
	char     status[16];      /* pending running dead */
	uint64_t create_index;
	bool     failed; /* its JobSummary counts a failed or lost alloc */
	int64_t  submit_time_ns; /* SubmitTime, unix ns */
} nomad_child;

/* nomad_reply - one answer, valid during the callback only. */
typedef struct nomad_reply {
	mc_err rv;          /* MC_OK: 2xx and parsed; MC_ENET: no answer
	                     * (refused, timeout, dropped); MC_EREFUSED: an
	                     * HTTP error, text in error; MC_EPROTO: a body we
	                     * cannot read; MC_ENOMEM */
	long        status; /* HTTP status; 0 without an answer */
	uint64_t    index;  /* X-Nomad-Index; 0 when absent */
	const char *error;  /* never NULL; "" on success; one line */
	/* dispatch */
	const char *child_id;   /* DispatchedJobID */
	bool        reattached; /* EvalID "": the idempotency token matched */
	/* allocations */
	const nomad_alloc *allocs;
	size_t             n_allocs;
	/* job */
	const char *job_status; /* pending running dead */
	const char *job_token;  /* DispatchIdempotencyToken, "" if none */
	/* children */
	const nomad_child *children;
	size_t             n_children;
	/* evaluations: why the latest one is blocked or failed, or "" */
	const char *eval_problem;
	/* variable lock: Lock.ID of the answer, "" if none */
	const char *lock_id;
} nomad_reply;

typedef void (*nomad_reply_fn)(void *arg, const nomad_reply *r);

/* nomad_client_create - no connection is made yet. MC_EINVAL for an
 * address that is not http:// or https://. On MC_OK *out is new, freed
 * with nomad_client_destroy(); on error NULL. */
MC_NODISCARD mc_err nomad_client_create(
    const nomad_client_opts *o, nomad_client **out);

/* nomad_client_destroy - aborts the calls in flight; their callbacks are
 * not called. NULL: no-op. The polling thread only. */
void nomad_client_destroy(nomad_client *c);

/* The calls. Each borrows its strings for the call only. On MC_OK fn is
 * called exactly once, from a later nomad_client_poll(); on error
 * (MC_ENOMEM) never. The polling thread only. */

/* register - PUT /v1/jobs with body {"Job":...} (nomad_job_json()) */
MC_NODISCARD mc_err nomad_client_register(
    nomad_client *c, const char *body, nomad_reply_fn fn, void *arg);
/* dispatch - POST /v1/job/<job>/dispatch?idempotency_token=<token> with
 * Meta {meta_key: meta_value} */
MC_NODISCARD mc_err nomad_client_dispatch(nomad_client *c, const char *job,
    const char *meta_key, const char *meta_value, const char *token,
    nomad_reply_fn fn, void *arg);
/* allocations - GET /v1/job/<job>/allocations; a blocking query when
 * index > 0 (waits up to wait_s for an index above it) */
MC_NODISCARD mc_err nomad_client_allocations(nomad_client *c, const char *job,
    uint64_t index, unsigned wait_s, nomad_reply_fn fn, void *arg);
/* job - GET /v1/job/<job> (its Status; 404 when gone) */
MC_NODISCARD mc_err nomad_client_job(
    nomad_client *c, const char *job, nomad_reply_fn fn, void *arg);
/* evaluations - GET /v1/job/<job>/evaluations */
MC_NODISCARD mc_err nomad_client_evaluations(
    nomad_client *c, const char *job, nomad_reply_fn fn, void *arg);
/* children - GET /v1/jobs?prefix=<job>/dispatch-&meta=true: the
 * dispatched children of job, each with its Meta[meta_key] */
MC_NODISCARD mc_err nomad_client_children(nomad_client *c, const char *job,
    const char *meta_key, nomad_reply_fn fn, void *arg);
/* stop - DELETE /v1/job/<job> (not purged) */
MC_NODISCARD mc_err nomad_client_stop(
    nomad_client *c, const char *job, nomad_reply_fn fn, void *arg);
/* purge - DELETE /v1/job/<job>?purge=true (200 also when it is gone) */
MC_NODISCARD mc_err nomad_client_purge(
    nomad_client *c, const char *job, nomad_reply_fn fn, void *arg);
/* events - GET /v1/event/stream?topic=Allocation[&index=N], a stream
 * without a time limit: each piece of a 200 answer's body goes to
 * on_data (false: stop reading; the call ends with MC_EPROTO), and fn is
 * called once when the stream ends (MC_OK: the server closed it). */
typedef bool (*nomad_data_fn)(void *arg, const char *p, size_t n);
MC_NODISCARD mc_err nomad_client_events(nomad_client *c, uint64_t index,
    nomad_data_fn on_data, nomad_reply_fn fn, void *arg);
/* cancel - end the calls whose callback argument is arg, without
 * calling their callbacks */
void nomad_client_cancel(nomad_client *c, const void *arg);
/* leader - GET /v1/status/leader, the health probe */
MC_NODISCARD mc_err nomad_client_leader(
    nomad_client *c, nomad_reply_fn fn, void *arg);

/* var_lock - PUT /v1/var/<path>?lock-<op> (op: acquire, renew,
 * release) with body as given; path is Nomad's variable path (reference
 * 1.11: MC_EINVAL for other characters). timeout_ms 0: the client's. */
MC_NODISCARD mc_err nomad_client_var_lock(nomad_client *c, const char *path,
    const char *op, const char *body, unsigned timeout_ms, nomad_reply_fn fn,
    void *arg);

/* nomad_client_poll - wait up to timeout_ms for network progress or for
 * wake_fd (-1: none) to become readable, then run the callbacks of the
 * calls that ended. MC_OK, or MC_EINTERNAL if libcurl failed. */
MC_NODISCARD mc_err nomad_client_poll(
    nomad_client *c, int wake_fd, int timeout_ms);

/* nomad_client_in_flight - calls not yet answered. */
size_t nomad_client_in_flight(const nomad_client *c);

/* nomad_client_address - the address in use (for logs; no secrets). */
const char *nomad_client_address(const nomad_client *c);

/* nomad_parse_allocations - AllocListStub JSON text into *out (malloc'ed,
 * caller frees) and *n. MC_EPROTO for a body that is not a list. Exposed
 * for the unit tests; any thread. */
MC_NODISCARD mc_err nomad_parse_allocations(
    const char *text, size_t len, nomad_alloc **out, size_t *n);

#endif
