/* log.c - the only place that writes log lines. A line is
 * "<iso time> <level> <program> <event and fields>\n", written with one
 * fputs so that lines from several threads never interleave. Control
 * bytes in the formatted text are escaped here, so no value (a peer's AE
 * title, a library's multi-line error text) can split or forge a line. */
#include "base/log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define LOG_LINE_MAX 2048
#define LOG_RAW_MAX 1536 /* formatted text before escaping */

static log_level   log_min = LOG_LEVEL_INFO;
static const char *log_prog = "mercure";

void
log_set_level(log_level lvl)
{
	log_min = lvl;
}

void
log_set_program(const char *name)
{
	log_prog = name;
}

int
log_level_parse(const char *s)
{
	static const char *const names[] = {"debug", "info", "warn", "error"};
	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static bool
is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* put_escape - the escape of control byte c into out (>= 5 bytes). */
static size_t
put_escape(char *out, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";

	out[0] = '\\';
	switch (c) {
	case '\n':
		out[1] = 'n';
		return 2;
	case '\r':
		out[1] = 'r';
		return 2;
	case '\t':
		out[1] = 't';
		return 2;
	default:
		out[1] = 'x';
		out[2] = hex[c >> 4];
		out[3] = hex[c & 0xf];
		return 4;
	}
}

/* escape - s into out (cap >= 1) with every control byte escaped, and
 * with quote also '"' and '\\'; cut to fit, never inside an escape.
 * Returns the length written (out NUL-terminated). */
static size_t
escape(char *out, size_t cap, const char *s, bool quote)
{
	size_t n = 0;

	for (; s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char) *s;
		char          e[5];
		size_t        k = 1;

		e[0] = (char) c;
		if (is_ctl(c))
			k = put_escape(e, c);
		else if (quote && (c == '"' || c == '\\')) {
			e[0] = '\\';
			e[1] = (char) c;
			k = 2;
		}
		if (n + k >= cap)
			break;
		memcpy(out + n, e, k);
		n += k;
	}
	out[n] = '\0';
	return n;
}

const char *
log_esc(char *buf, size_t cap, const char *s)
{
	if (cap > 0)
		escape(buf, cap, s, true);
	return buf;
}

void
log_write(log_level lvl, const char *fmt, ...)
{
	static const char *const lv[] = {"DEBUG", "INFO", "WARN", "ERROR"};
	char                     line[LOG_LINE_MAX];
	char                     raw[LOG_RAW_MAX];
	struct timeval           tv;
	struct tm                tm;
	va_list                  ap;
	size_t                   n;

	if (lvl < log_min)
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t) snprintf(line + n, sizeof(line) - n, ".%03ldZ %s %s ",
	    (long) (tv.tv_usec / 1000), lv[lvl], log_prog);
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* room for the newline and the NUL after the text */
	n += escape(line + n, sizeof(line) - n - 1, raw, false);
	line[n] = '\n';
	line[n + 1] = '\0';
	fputs(line, stderr);
}
