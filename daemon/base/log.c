/* log.c — stderr logging with journald priority prefixes (see log.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/log.h"
#include "bidbroker/termsafe.h"

/* The only process-wide mutable state: how much to log and how. */
static struct {
        enum log_level level;
        int            prefix;          /* "<N>" prefixes for journald */
} log_state = { LOG_LVL_INFO, 0 };

void
log_init(enum log_level level)
{
        log_state.level = level;
        log_state.prefix = getenv("JOURNAL_STREAM") != NULL;
}

void
log_set_level(enum log_level level)
{
        log_state.level = level;
}

int
log_parse_level(const char *s, enum log_level *ret)
{
        static const struct { const char *name; enum log_level lvl; } t[] = {
                { "error", LOG_LVL_ERR }, { "warning", LOG_LVL_WARN },
                { "warn", LOG_LVL_WARN }, { "notice", LOG_LVL_NOTICE },
                { "info", LOG_LVL_INFO }, { "debug", LOG_LVL_DEBUG },
        };
        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
                if (strcmp(s, t[i].name) == 0) {
                        *ret = t[i].lvl;
                        return 0;
                }
        return -EINVAL;
}

static void
vlog(enum log_level lvl, const char *errstr, const char *fmt, va_list ap)
{
        static const char *const names[] = {
                [LOG_LVL_ERR] = "error: ", [LOG_LVL_WARN] = "warning: ",
                [LOG_LVL_NOTICE] = "", [LOG_LVL_INFO] = "", [LOG_LVL_DEBUG] = "debug: ",
        };
        char raw[2048], msg[2048];

        if (lvl > log_state.level)
                return;
        vsnprintf(raw, sizeof(raw), fmt, ap);
        /* one line, nothing a terminal or the journal would act on */
        termsafe_copy(msg, sizeof(msg), raw, TERMSAFE_TAB);
        if (log_state.prefix)
                fprintf(stderr, "<%d>%s%s%s\n", (int)lvl, msg, errstr ? ": " : "",
                        errstr ? errstr : "");
        else
                fprintf(stderr, "bidbroker: %s%s%s%s\n", names[lvl], msg,
                        errstr ? ": " : "", errstr ? errstr : "");
}

#define DEFINE_LOG(fn, lvl)                             \
        void fn(const char *fmt, ...)                   \
        {                                               \
                va_list ap;                             \
                va_start(ap, fmt);                      \
                vlog(lvl, NULL, fmt, ap);               \
                va_end(ap);                             \
        }

DEFINE_LOG(log_err, LOG_LVL_ERR)
DEFINE_LOG(log_warnx, LOG_LVL_WARN)
DEFINE_LOG(log_notice, LOG_LVL_NOTICE)
DEFINE_LOG(log_info, LOG_LVL_INFO)
DEFINE_LOG(log_debug, LOG_LVL_DEBUG)

void
log_warn(const char *fmt, ...)
{
        va_list ap;
        int e = errno;

        va_start(ap, fmt);
        vlog(LOG_LVL_WARN, strerror(e), fmt, ap);
        va_end(ap);
}
