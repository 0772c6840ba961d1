/*
 * log.h - the daemon's leveled log: one line per event, to stderr or a file,
 * "2026-11-27T10:00:00Z aivisord[pid] LEVEL: message".
 */
#ifndef AIVISOR_DAEMON_LOG_H
#define AIVISOR_DAEMON_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* path NULL = stderr. Returns -1 (errno set) when the file cannot be opened. */
int log_open(const char *path, enum log_level level);
int log_level_parse(const char *s, enum log_level *out);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
