/*
 * log.h — the daemon's logging.  Only daemon/ logs; matchers/, the store and
 * the parsers return errors and leave reporting to the caller.
 *
 * Messages go to stderr.  Under systemd (JOURNAL_STREAM set) each line gets a
 * "<N>" syslog priority prefix so journald keeps the level.  The log level is
 * the one piece of process-wide mutable state (as systemd's style allows).
 */
#ifndef BIDBROKER_LOG_H
#define BIDBROKER_LOG_H

enum log_level { LOG_LVL_ERR = 3, LOG_LVL_WARN = 4, LOG_LVL_NOTICE = 5,
                 LOG_LVL_INFO = 6, LOG_LVL_DEBUG = 7 };

void log_init(enum log_level level);
void log_set_level(enum log_level level);
int  log_parse_level(const char *s, enum log_level *ret);   /* 0 or -EINVAL */

void log_err(const char *fmt, ...)    __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...)  __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...)   __attribute__((format(printf, 1, 2))); /* + strerror(errno) */
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...)   __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...)  __attribute__((format(printf, 1, 2)));

#endif
