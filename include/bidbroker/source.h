/*
 * source.h — one configured source ([source NAME] in bidbroker.conf), as the
 * poller reads it.  Filled and owned by the configuration (config.h).
 */
#ifndef BIDBROKER_SOURCE_H
#define BIDBROKER_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

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
        int64_t          total_timeout_ms;      /* one transfer, from start to end */
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

#endif
