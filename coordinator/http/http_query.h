/* http_query.h - the pure parts of reading a request: UTF-8 checks and
 * case folding, numbers, form bodies, the Authorization header, and the
 * query parameters of tasks and history, each checked before anything
 * is looked up with it. No I/O, no state: any thread. */
#ifndef MC_COORDINATOR_HTTP_QUERY_H
#define MC_COORDINATOR_HTTP_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/mc_err.h"
#include "tags/uid.h"

#define HTTP_QUERY_TEXT_MAX 128 /* a name, an MRN, an accession number */
#define HTTP_LIMIT_DEFAULT 100
#define HTTP_LIMIT_MAX 1000
#define HTTP_TIME_MAX 253402300799ULL /* 9999-12-31, in Unix seconds */

/* http_utf8_valid - s[0..n) is well-formed UTF-8 (no overlongs, no
 * surrogates, nothing above U+10FFFF) without NUL or other C0 controls
 * but tab. */
bool http_utf8_valid(const char *s, size_t n);

/* http_utf8_fold - s lowercased by Unicode's simple case mapping (é and É
 * fold alike) into out; false when s is not valid UTF-8 or out is too
 * small. */
bool http_utf8_fold(const char *s, char *out, size_t len);

/* http_parse_uint - decimal digits only (no sign, no space), at most
 * max. */
bool http_parse_uint(const char *s, uint64_t max, uint64_t *out);
/* http_hex_digit - the value of one hex digit, or -1 */
int http_hex_digit(char c);

/* http_form_get - the value of key in an application/x-www-form-
 * urlencoded body, percent- and '+'-decoded into out. MC_ENOENT when
 * absent, MC_EINVAL when malformed, too long or not UTF-8. */
MC_NODISCARD mc_err http_form_get(
    const char *body, size_t n, const char *key, char *out, size_t len);

/* http_basic_decode - the user and password of an "Authorization: Basic
 * ..." value (base64 of "user:password"). False when malformed. */
bool http_basic_decode(
    const char *value, char *user, size_t ulen, char *pw, size_t plen);

/* http_bearer_token - the token of "Bearer TOKEN", or NULL. */
const char *http_bearer_token(const char *value);

/* http_log_value - s for a key="value" log field: '"', '\\' and every
 * byte that is not printable ASCII as \xHH, cut to fit len. Returns
 * buf. */
const char *http_log_value(const char *s, char *buf, size_t len);

/* http_get_fn - a query parameter's value, or NULL when absent. */
typedef const char *(*http_get_fn)(void *ctx, const char *key);

typedef enum {
	HTTP_TASKS_LOOP, /* no state: every task the loop holds */
	HTTP_TASKS_QUEUED,
	HTTP_TASKS_RUNNING,
	HTTP_TASKS_WAITING,
	HTTP_TASKS_SUCCESS,
	HTTP_TASKS_ERROR,
	HTTP_TASKS_DISCARD
} http_tasks_state;

typedef struct http_tasks_query {
	http_tasks_state state;
	const char      *state_name; /* as given; "" when none */
	unsigned         limit;
	uint64_t         before; /* Unix seconds; 0: none */
} http_tasks_query;

/* http_tasks_query_parse - state, limit, before. MC_EINVAL with a
 * message in err for anything malformed. */
MC_NODISCARD mc_err http_tasks_query_parse(
    http_get_fn get, void *ctx, http_tasks_query *q, char *err, size_t errlen);

typedef struct http_history_query {
	char     patient[HTTP_QUERY_TEXT_MAX + 1]; /* folded; "" none */
	char     mrn[HTTP_QUERY_TEXT_MAX + 1];
	char     accession[HTTP_QUERY_TEXT_MAX + 1];
	char     study[MC_UID_MAX_LEN + 1];
	char     series[MC_UID_MAX_LEN + 1];
	char     task[MC_TASK_ID_LEN + 1];
	uint64_t since, until; /* Unix seconds; 0: none */
	unsigned limit;
} http_history_query;

/* http_history_query_parse - patient, mrn, accession (UTF-8 text),
 * study and series (UIDs), task (a task id), since and until (Unix
 * seconds), limit. MC_EINVAL with a message in err for anything
 * malformed. */
MC_NODISCARD mc_err http_history_query_parse(http_get_fn get, void *ctx,
    http_history_query *q, char *err, size_t errlen);

#endif
