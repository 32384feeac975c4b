/*
 * service.h — what the daemon runs, one module per service (pollsvc.c,
 * matchsvc.c; later the digest scheduler, the outbox, the HTTP server).
 *
 * A generation (daemon.c) is the configuration plus one instance of every
 * service in the daemon's services[] table, built from that configuration.
 * A reload builds a complete new generation first: any service's error
 * (FILE:LINE in diag) refuses all of it and the running one stays.  Only then
 * is the old generation freed and the new one started.
 *
 * A service works from the loop (env->loop: timers, fd watches; env->tx:
 * transfers) and the store; nothing else is shared.  Adding a service is one
 * file with a `const struct service` and one line in daemon.c's services[].
 */
#ifndef BIDBROKER_SERVICE_H
#define BIDBROKER_SERVICE_H

#include <stdint.h>
#include <stddef.h>

struct buf;
struct config;
struct diag;
struct err;
struct loop;
struct store;
struct transfers;
struct worker;

/* What a service is built with.  All of it outlives the service. */
struct service_env {
        struct loop          *loop;
        struct transfers     *tx;
        struct worker        *wk;       /* the thread for parsing, off the loop */
        struct store         *store;
        const struct config  *cfg;      /* this generation's configuration */
        const char           *state_dir;        /* the store's directory, fixed for the run */
        /* The daemon's Prometheus text for /metrics: its own counters and
         * every service's metrics hook (below). */
        void                (*metrics)(void *arg, struct buf *out);
        void                 *metrics_arg;
};

/* What a service adds to the daemon's STATUS= line. */
struct service_status {
        size_t requests;                /* requests made so far */
        size_t notices;                 /* notices stored (new + updated) so far */
        size_t failing;                 /* sources whose last attempt failed */
};

struct service {
        const char *name;
        /* Build from env; errors go into diag as FILE:LINE: message.  Nothing
         * runs yet (no timer, no transfer).  0, or <0 with diag filled. */
        int   (*new)(const struct service_env *env, void **ret, struct diag *diag);
        void  (*free)(void *svc);                       /* NULL-safe */
        /* The generation became the running one; why is "start" or "reload". */
        void  (*start)(void *svc, const char *why);
        /* Optional: after every turn of the loop.  <0 only for an error that
         * stops the daemon (err says it). */
        int   (*step)(void *svc, struct err *err);
        /* Optional: ms until step needs to run (0 now, -1 nothing planned). */
        int64_t (*next_ms)(void *svc);
        /* Optional: new or changed notices were stored. */
        void  (*notices_changed)(void *svc);
        /* Optional: add this service's numbers to st. */
        void  (*status)(void *svc, struct service_status *st);
        /* Optional: Prometheus text lines (# HELP, # TYPE, samples) for
         * /metrics; counters count from this generation's start. */
        void  (*metrics)(void *svc, struct buf *out);
};

/* How long a service waits before it tries the store again after it was
 * locked by another process for longer than busy_timeout (-EBUSY): 2 s
 * first, then twice the previous wait (prev, ms), up to a minute. */
static inline int64_t
service_busy_wait(int64_t prev)
{
        if (prev <= 0)
                return 2000;
        return prev * 2 > 60000 ? 60000 : prev * 2;
}

extern const struct service digestsvc;  /* composing digests when they are due */
extern const struct service httpsvc;    /* the HTTP server: health, metrics, the API */
extern const struct service matchsvc;   /* matching shortly after notices arrive */
extern const struct service outboxsvc;  /* delivering the outbox */
extern const struct service pollsvc;    /* polling the sources */

#endif
