/* http_query.c - checking and decoding what a client sends, before it
 * is used: UTF-8 (and its case folding for the patient search), numbers,
 * form fields, Basic credentials, and the query parameters of tasks and
 * history. */
#include "http/http_query.h"

#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <stdint.h>
#include <wctype.h>

#include "base/utf8.h"

/* utf8_next - the code point at s[*i] (advancing *i), or -1 when the
 * sequence is malformed */
static long
utf8_next(const unsigned char *s, size_t n, size_t *i)
{
	unsigned char c = s[*i];
	size_t        k;
	long          cp, min;

	if (c < 0x80) {
		(*i)++;
		return c;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		k = 1;
		cp = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		k = 2;
		cp = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		k = 3;
		cp = c & 0x07;
		min = 0x10000;
	} else {
		return -1;
	}
	if (*i + k >= n)
		return -1;
	for (size_t j = 1; j <= k; j++) {
		if ((s[*i + j] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[*i + j] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*i += k + 1;
	return cp;
}

bool
http_utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *) s;
	size_t               i = 0;

	while (i < n) {
		long cp = utf8_next(u, n, &i);
		if (cp < 0 || (cp < 0x20 && cp != '\t') || cp == 0x7f)
			return false;
	}
	return true;
}

/* utf8_locale - glibc's C.UTF-8 holds Unicode's case mappings; made once
 * and never freed (a process-wide constant, like a static table) */
static locale_t       fold_locale;
static pthread_once_t fold_once = PTHREAD_ONCE_INIT;

static void
make_fold_locale(void)
{
	fold_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t) 0);
}

static locale_t
utf8_locale(void)
{
	pthread_once(&fold_once, make_fold_locale);
	return fold_locale;
}

bool
http_utf8_fold(const char *s, char *out, size_t len)
{
	const unsigned char *u = (const unsigned char *) s;
	size_t               n = strlen(s), i = 0, o = 0;
	locale_t             loc = utf8_locale();

	while (i < n) {
		long cp = utf8_next(u, n, &i);
		if (cp < 0 || o + 5 > len)
			return false;
		if (loc != (locale_t) 0)
			cp = (long) towlower_l((wint_t) cp, loc);
		else if (cp < 0x80 && cp >= 'A' && cp <= 'Z')
			cp += 'a' - 'A';
		o += utf8_encode((uint32_t) cp, out + o);
	}
	if (o + 1 > len)
		return false;
	out[o] = '\0';
	return true;
}

const char *
http_log_value(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	for (; s && *s && o + 5 < len; s++) {
		unsigned char c = (unsigned char) *s;
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			o += (size_t) snprintf(buf + o, len - o, "\\x%02x", c);
		else
			buf[o++] = (char) c;
	}
	if (len > 0)
		buf[o < len ? o : len - 1] = '\0';
	return buf;
}

bool
http_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (s == NULL || s[0] == '\0' || strlen(s) > 20)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		if (v > (max - (uint64_t) (*p - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t) (*p - '0');
	}
	*out = v;
	return true;
}

int
http_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* form_decode - s[0..n) percent- and '+'-decoded into out */
static mc_err
form_decode(const char *s, size_t n, char *out, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi, lo;
			if (i + 2 >= n)
				return MC_EINVAL;
			hi = http_hex_digit(s[i + 1]);
			lo = http_hex_digit(s[i + 2]);
			if (hi < 0 || lo < 0)
				return MC_EINVAL;
			c = (char) (hi * 16 + lo);
			i += 2;
		}
		if (o + 1 >= len)
			return MC_EINVAL;
		out[o++] = c;
	}
	out[o] = '\0';
	return http_utf8_valid(out, o) ? MC_OK : MC_EINVAL;
}

mc_err
http_form_get(
    const char *body, size_t n, const char *key, char *out, size_t len)
{
	size_t klen = strlen(key), i = 0;

	while (i < n) {
		const char *amp = memchr(body + i, '&', n - i);
		size_t      end = amp ? (size_t) (amp - body) : n;
		const char *eq = memchr(body + i, '=', end - i);
		size_t      kn = eq ? (size_t) (eq - (body + i)) : end - i;

		if (kn == klen && memcmp(body + i, key, klen) == 0) {
			if (eq == NULL)
				return form_decode("", 0, out, len);
			return form_decode(
			    eq + 1, end - (size_t) (eq + 1 - body), out, len);
		}
		i = end + 1;
	}
	return MC_ENOENT;
}

static int
b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

bool
http_basic_decode(
    const char *value, char *user, size_t ulen, char *pw, size_t plen)
{
	char          dec[1200];
	size_t        n, o = 0, pad = 0;
	unsigned long acc = 0;
	int           bits = 0;
	char         *colon;

	if (value == NULL || strncasecmp(value, "Basic ", 6) != 0)
		return false;
	value += 6;
	while (*value == ' ')
		value++;
	n = strlen(value);
	if (n == 0 || n % 4 != 0 || n / 4 * 3 >= sizeof(dec))
		return false;
	for (size_t i = 0; i < n; i++) {
		int v;
		if (value[i] == '=') {
			if (i < n - 2)
				return false;
			pad++;
			continue;
		}
		if (pad > 0 || (v = b64val(value[i])) < 0)
			return false;
		acc = (acc << 6) | (unsigned long) v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			dec[o++] = (char) ((acc >> bits) & 0xff);
		}
	}
	dec[o] = '\0';
	if (memchr(dec, '\0', o) != NULL || (colon = strchr(dec, ':')) == NULL)
		return false;
	*colon = '\0';
	if (strlen(dec) >= ulen || strlen(colon + 1) >= plen)
		return false;
	snprintf(user, ulen, "%s", dec);
	snprintf(pw, plen, "%s", colon + 1);
	return true;
}

const char *
http_bearer_token(const char *value)
{
	if (value == NULL || strncasecmp(value, "Bearer ", 7) != 0)
		return NULL;
	value += 7;
	while (*value == ' ')
		value++;
	return *value ? value : NULL;
}

static const struct {
	const char      *name;
	http_tasks_state s;
} task_states[] = {{"queued", HTTP_TASKS_QUEUED},
    {"running", HTTP_TASKS_RUNNING}, {"waiting", HTTP_TASKS_WAITING},
    {"success", HTTP_TASKS_SUCCESS}, {"error", HTTP_TASKS_ERROR},
    {"discard", HTTP_TASKS_DISCARD}};

static mc_err
get_limit(http_get_fn get, void *ctx, unsigned *limit, char *err, size_t len)
{
	const char *v = get(ctx, "limit");
	uint64_t    n;

	*limit = HTTP_LIMIT_DEFAULT;
	if (v == NULL)
		return MC_OK;
	if (!http_parse_uint(v, HTTP_LIMIT_MAX, &n) || n == 0) {
		mc_errf(err, len, "limit must be 1..%d", HTTP_LIMIT_MAX);
		return MC_EINVAL;
	}
	*limit = (unsigned) n;
	return MC_OK;
}

static mc_err
get_time(http_get_fn get, void *ctx, const char *key, uint64_t *out, char *err,
    size_t len)
{
	const char *v = get(ctx, key);

	*out = 0;
	if (v == NULL)
		return MC_OK;
	if (!http_parse_uint(v, HTTP_TIME_MAX, out)) {
		mc_errf(err, len, "%s must be a Unix time in seconds", key);
		return MC_EINVAL;
	}
	return MC_OK;
}

mc_err
http_tasks_query_parse(
    http_get_fn get, void *ctx, http_tasks_query *q, char *err, size_t errlen)
{
	const char *st = get(ctx, "state");
	mc_err      rv;

	memset(q, 0, sizeof(*q));
	q->state = HTTP_TASKS_LOOP;
	q->state_name = "";
	if (st != NULL) {
		size_t i;
		for (i = 0; i < sizeof(task_states) / sizeof(task_states[0]);
		     i++)
			if (strcmp(st, task_states[i].name) == 0)
				break;
		if (i == sizeof(task_states) / sizeof(task_states[0])) {
			mc_errf(err, errlen,
			    "state must be queued, running, waiting, success, "
			    "error or discard");
			return MC_EINVAL;
		}
		q->state = task_states[i].s;
		q->state_name = task_states[i].name;
	}
	if ((rv = get_limit(get, ctx, &q->limit, err, errlen)) != MC_OK)
		return rv;
	return get_time(get, ctx, "before", &q->before, err, errlen);
}

/* get_text - a UTF-8 value of at most HTTP_QUERY_TEXT_MAX bytes */
static mc_err
get_text(http_get_fn get, void *ctx, const char *key, char *out, size_t len,
    char *err, size_t errlen)
{
	const char *v = get(ctx, key);

	out[0] = '\0';
	if (v == NULL)
		return MC_OK;
	if (strlen(v) > HTTP_QUERY_TEXT_MAX ||
	    !http_utf8_valid(v, strlen(v))) {
		mc_errf(err, errlen,
		    "%s must be UTF-8 text of at most %d bytes", key,
		    HTTP_QUERY_TEXT_MAX);
		return MC_EINVAL;
	}
	snprintf(out, len, "%s", v);
	return MC_OK;
}

static mc_err
get_id(http_get_fn get, void *ctx, const char *key, bool task, char *out,
    size_t len, char *err, size_t errlen)
{
	const char *v = get(ctx, key);

	out[0] = '\0';
	if (v == NULL)
		return MC_OK;
	if (task ? !task_id_is_valid(v) : !uid_is_valid(v)) {
		mc_errf(err, errlen, "%s must be %s", key,
		    task ? "a task id (a UUID)" : "a UID (digits and dots)");
		return MC_EINVAL;
	}
	snprintf(out, len, "%s", v);
	return MC_OK;
}

mc_err
http_history_query_parse(http_get_fn get, void *ctx, http_history_query *q,
    char *err, size_t errlen)
{
	char   raw[HTTP_QUERY_TEXT_MAX + 1];
	mc_err rv;

	memset(q, 0, sizeof(*q));
	if ((rv = get_text(
	         get, ctx, "patient", raw, sizeof(raw), err, errlen)) != MC_OK)
		return rv;
	if (!http_utf8_fold(raw, q->patient, sizeof(q->patient))) {
		mc_errf(err, errlen, "patient is too long once folded");
		return MC_EINVAL;
	}
	if ((rv = get_text(
	         get, ctx, "mrn", q->mrn, sizeof(q->mrn), err, errlen)) ||
	    (rv = get_text(get, ctx, "accession", q->accession,
	         sizeof(q->accession), err, errlen)) ||
	    (rv = get_id(get, ctx, "study", false, q->study, sizeof(q->study),
	         err, errlen)) ||
	    (rv = get_id(get, ctx, "series", false, q->series,
	         sizeof(q->series), err, errlen)) ||
	    (rv = get_id(get, ctx, "task", true, q->task, sizeof(q->task), err,
	         errlen)) ||
	    (rv = get_time(get, ctx, "since", &q->since, err, errlen)) ||
	    (rv = get_time(get, ctx, "until", &q->until, err, errlen)) ||
	    (rv = get_limit(get, ctx, &q->limit, err, errlen)))
		return rv;
	return MC_OK;
}
