/* nomad_client_int.h - shared by the files of the nomad_client module
 * (nomad_client.c: HTTP; nomad_client_json.c: Nomad's JSON). Nothing
 * else includes it. */
#ifndef MC_COORDINATOR_NOMAD_CLIENT_INT_H
#define MC_COORDINATOR_NOMAD_CLIENT_INT_H

#include "sched/nomad/nomad_client.h"

typedef enum {
	NOMAD_ANSWER_DISPATCH,
	NOMAD_ANSWER_JOB,
	NOMAD_ANSWER_EVALS,
	NOMAD_ANSWER_CHILDREN
} nomad_answer_kind;

/* nomad_answer - what the answers carry, copied out of the JSON */
typedef struct nomad_answer {
	char         child[NOMAD_ID_MAX];
	bool         reattached;
	char         job_status[16];
	char         job_token[128];
	nomad_child *children; /* malloc'ed */
	size_t       n_children;
	char         eval_problem[NOMAD_ERROR_MAX];
	nomad_alloc *allocs; /* malloc'ed */
	size_t       n_allocs;
	char         lock_id[NOMAD_LOCK_ID_MAX];
} nomad_answer;

/* nomad_json_answer - a 2xx body of a dispatch (DispatchedJobID, EvalID),
 * job (Status, DispatchIdempotencyToken), evaluations or children call
 * into x; meta_key names the Meta value copied for each child. MC_EPROTO
 * for a body that is not what the call returns. */
MC_NODISCARD mc_err nomad_json_answer(nomad_answer_kind kind,
    const char *meta_key, const char *text, size_t len, nomad_answer *x);

struct json_t;
/* nomad_json_read_alloc - one Allocation or AllocListStub object into *a
 * (nomad_events.c reads the stream's payloads with it) */
void nomad_json_read_alloc(nomad_alloc *a, const struct json_t *o);

/* nomad_json_dispatch_body - {"Meta":{key:value}}, malloc'ed; NULL when
 * out of memory. */
char *nomad_json_dispatch_body(const char *key, const char *value);

/* nomad_json_lock_id - Lock.ID of a variable (a lock call's answer) into
 * buf; "" when the answer has none. MC_EPROTO for a body that is not an
 * object. */
MC_NODISCARD mc_err nomad_json_lock_id(
    const char *text, size_t len, char *buf, size_t buflen);

#endif
