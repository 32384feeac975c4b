/*
 * config.h — the daemon configuration (bidbroker.conf).
 *
 * Built-in defaults are embedded, so bidbroker runs with no file at all.  A
 * file overrides them section by section.  Loading validates everything and
 * reports every problem as FILE:LINE: message; a config with errors is never
 * returned, so a reload can keep the old one.
 */
#ifndef BIDBROKER_CONFIG_H
#define BIDBROKER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bidbroker/log.h"
#include "bidbroker/util.h"

struct diag;

enum source_type { SOURCE_FTS, SOURCE_CF, SOURCE_FEED };

struct source_conf {
        char            *name;
        enum source_type type;
        char            *type_name;             /* as written: fts, contracts-finder, feed */
        char            *url;                   /* endpoint; defaults per type */
        int64_t          interval_ms;           /* between polls */
        int64_t          min_interval_ms;       /* spacing between requests to the host */
        int64_t          default_retry_after_ms;/* 429/503 without Retry-After */
        int64_t          window_ms;             /* query window (FTS <= 6h, CF <= 1d) */
        int64_t          overlap_ms;            /* windows re-read this much */
        int64_t          connect_timeout_ms;
        int64_t          low_speed_time_ms;     /* abort below low_speed_limit for this long */
        long             low_speed_limit;       /* bytes/s */
        long             max_body_bytes;        /* response size cap */
        long             page_limit;            /* limit= per page (1..100) */
        int64_t          backoff_max_ms;        /* cap of the exponential back-off */
        int64_t          start_ms;              /* first poll starts this far back */
        bool             enabled;
        int64_t          backoff_initial_ms;    /* first back-off step (then doubles) */
        int64_t          rate_limit_wait_ms;    /* wait after Contracts Finder's 403 */
        char            *contact;               /* "+contact" in the User-Agent, or NULL */
        unsigned         line;                  /* where the section starts */
};

struct config {
        char    *path;                  /* NULL when running on built-in defaults */
        char    *dir;                   /* base for relative paths */

        /* [bidbroker] */
        char    *state_dir;
        enum log_level log_level;
        char    *log_level_name;

        /* [filter] */
        int64_t  max_value;             /* pence; the low-value cap */
        bool     keep_value_not_stated;
        struct strv regions;            /* ITL prefixes; empty: anywhere */

        /* [match] */
        char    *taxonomy;              /* capability taxonomy file */
        char    *members;               /* member register directory */
        char    *cpv_reference;         /* CPV 2008 list (JSON), optional */
        int64_t  match_delay_ms;        /* daemon: match this long after the last stored notice */

        /* [source NAME] */
        struct source_conf *sources;
        size_t   nsources;
};

/* Load path (NULL: built-in defaults only).  On success *ret is a new config
 * owned by the caller; on failure every problem is in d and *ret untouched. */
int config_load(const char *path, struct config **ret, struct diag *d);
struct config *config_free(struct config *c);   /* NULL-safe, returns NULL */

const struct source_conf *config_source(const struct config *c, const char *name);
const char *source_type_name(enum source_type t);

/* The default config file path, /etc/bidbroker/bidbroker.conf. */
#define CONFIG_DEFAULT_PATH "/etc/bidbroker/bidbroker.conf"

#endif
