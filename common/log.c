/* log.c - the only place that writes log lines. A line is
 * "<iso time> <level> <program> <event and fields>\n", written with one
 * fputs so that lines from several threads never interleave. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define LOG_LINE_MAX 2048

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

void
log_write(log_level lvl, const char *fmt, ...)
{
	static const char *const lv[] = {"DEBUG", "INFO", "WARN", "ERROR"};
	char            line[LOG_LINE_MAX];
	struct timeval  tv;
	struct tm       tm;
	va_list         ap;
	size_t          n;

	if (lvl < log_min)
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t) snprintf(line + n, sizeof(line) - n, ".%03ldZ %s %s ",
	    (long) (tv.tv_usec / 1000), lv[lvl], log_prog);
	va_start(ap, fmt);
	if (n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	n = strlen(line);
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n] = '\n';
	line[n + 1] = '\0';
	fputs(line, stderr);
}
