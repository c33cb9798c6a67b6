/* log.h - one line per event, key=value, to stderr (or a configured
 * stream). The first field is a stable event name. Never log secrets or
 * patient data. Thread-safe: each line is written with one fputs.
 *
 * One event is always one line: the sink writes every control byte of
 * the formatted text (CR, LF, ESC, ...) as an escape (\n, \r, \t, \xNN),
 * whatever a value holds. A value a peer controls (AE title, address,
 * UID, file name, a library's error text) goes inside quotes through
 * log_esc(), so that it cannot close the quotes and forge a field. */
#ifndef MC_COMMON_LOG_H
#define MC_COMMON_LOG_H

#include <stddef.h>

typedef enum {
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARN,
	LOG_LEVEL_ERROR
} log_level;

/* log_set_level - lines below lvl are dropped. Call before threads. */
void log_set_level(log_level lvl);
/* log_level_parse - "debug" "info" "warn" "error"; -1 if unknown. */
int log_level_parse(const char *s);
/* log_set_program - name printed in each line (borrowed, static). */
void log_set_program(const char *name);

void log_write(log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* log_esc - s (NUL-terminated, may be NULL: "") made safe to print
 * between double quotes: '"' and '\' get a backslash, control bytes and
 * DEL become \n \r \t or \xNN; other bytes (UTF-8 included) are kept.
 * Cut to fit cap (a cut never splits an escape). Returns buf, always
 * NUL-terminated (cap >= 1). Any thread. */
#define LOG_ESC_LEN(n) (4 * (n) + 1) /* buffer for an n-byte value */
const char *log_esc(char *buf, size_t cap, const char *s);

#define log_debug(...) log_write(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...) log_write(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...) log_write(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...) log_write(LOG_LEVEL_ERROR, __VA_ARGS__)

#endif
