/* log.h - one line per event, key=value, to stderr (or a configured
 * stream). The first field is a stable event name. Never log secrets or
 * patient data. Thread-safe: each line is written with one fputs. */
#ifndef MC_COMMON_LOG_H
#define MC_COMMON_LOG_H

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

#define log_debug(...) log_write(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...) log_write(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...) log_write(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...) log_write(LOG_LEVEL_ERROR, __VA_ARGS__)

#endif
