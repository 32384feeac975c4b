/*
 * daemon.c — `bidbroker run`: one event loop (loop.h) for signals, timers,
 * transfers and the services, with reload-by-generation (see
 * include/bidbroker/daemon.h and service.h).
 *
 * The loop, in order: handle a pending reload; let every service step (the
 * poller starts what is due and finishes completed transfers: parse, store,
 * watermark — synchronously, so a transaction is never cut by a signal);
 * loop_run_once(): sleep until the next timer, service due time or ready fd
 * (the signalfd, the transfers' sockets) and call their callbacks.
 *
 * A "generation" is everything a reload replaces: the configuration and one
 * instance of every service in services[] built from it.  A reload builds a
 * complete new generation and only then frees the old one; any error on the
 * way frees the half-built one and leaves the running generation untouched.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "bidbroker/config.h"
#include "bidbroker/daemon.h"
#include "bidbroker/err.h"
#include "bidbroker/log.h"
#include "bidbroker/loop.h"
#include "bidbroker/store.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/transfers.h"
#include "bidbroker/util.h"
#include "bidbroker/worker.h"

#include "service.h"

#ifndef BIDBROKER_VERSION
#define BIDBROKER_VERSION "0.1.0"
#endif


/*
 * The services of a generation, built in this order (their errors are listed
 * in it), started in it, freed in reverse.  A new service is one line here.
 */
static const struct service *const services[] = {
        &matchsvc,
        &pollsvc,
        &httpsvc,
        &digestsvc,
        &outboxsvc,
};
#define NSERVICES ARRAY_SIZE(services)

/*
 * Everything a reload replaces, built and validated as a whole before
 * anything is swapped: the configuration and the services built from it
 * (a bad rule or member file is reported with the configuration's errors,
 * FILE:LINE: message, and keeps the old generation).
 */
struct generation {
        struct config  *cfg;
        void           *svc[NSERVICES];
        size_t          nsources;       /* enabled sources, for STATUS= */
};

struct daemon {
        const char        *config_path;
        char              *state_dir;           /* the store's; fixed for the run */
        bool               state_dir_fixed;     /* --state given */
        bool               verbose;
        struct store      *store;
        struct generation  gen;

        struct loop       *loop;
        struct transfers  *tx;                  /* the one libcurl multi */
        struct worker     *wk;                  /* parses fetched bodies */

        bool               stop, reload;
        int                stop_signal;
        uint64_t           watchdog_usec;       /* 0: no watchdog */

        /* for STATUS= */
        struct service_status seen;             /* the generation's, last looked at */
        int64_t            last_poll;           /* wall seconds, TIME_UNKNOWN: none */
        int64_t            notices;             /* rows in the store */
        char               status[256];
        size_t             reloads;
        size_t             reloads_refused;
};

/* ======================================================================
 * systemd: status, watchdog
 * ====================================================================== */

static void
notify(const char *state)
{
        /* a no-op unless NOTIFY_SOCKET is set (not under systemd) */
        int r = sd_notify(0, state);

        if (r < 0)
                log_debug("sd_notify: %s", strerror(-r));
}

static void
format_status(struct daemon *d, char *buf, size_t len)
{
        char when[32] = "", fail[32] = "";

        if (d->last_poll != TIME_UNKNOWN) {
                char *sp;

                time_format_uk(d->last_poll, when, sizeof(when));
                /* "23 Jan 2025 18:30 GMT" -> "18:30 GMT" */
                sp = strchr(when, ' ');
                for (int k = 0; k < 2 && sp != NULL; k++)
                        sp = strchr(sp + 1, ' ');
                if (sp != NULL)
                        memmove(when, sp + 1, strlen(sp + 1) + 1);      /* with its NUL */
        }
        if (d->seen.failing > 0)
                snprintf(fail, sizeof(fail), " (%zu failing)", d->seen.failing);
        snprintf(buf, len, "polling %zu source%s%s, %" PRId64 " notices, %s%s",
                 d->gen.nsources, d->gen.nsources == 1 ? "" : "s", fail, d->notices,
                 d->last_poll != TIME_UNKNOWN ? "last poll " : "no poll yet", when);
}

static void
refresh_notices(struct daemon *d)
{
        struct err e = { 0 };
        int64_t n;

        if (store_count(d->store, &n, &e) == 0)
                d->notices = n;
        else
                log_debug("status: %s", e.msg);
}

/* Send STATUS= when it changed (or always with force). */
static void
update_status(struct daemon *d, bool force)
{
        char s[sizeof(d->status)], msg[sizeof(d->status) + 16];

        format_status(d, s, sizeof(s));
        if (!force && strcmp(s, d->status) == 0)
                return;
        memcpy(d->status, s, sizeof(s));
        snprintf(msg, sizeof(msg), "STATUS=%s", s);
        notify(msg);
}

/* After a turn: note new requests, stored notices and failing sources. */
static void
note_progress(struct daemon *d)
{
        struct service_status now = { 0 };

        for (size_t i = 0; i < NSERVICES; i++)
                if (services[i]->status != NULL)
                        services[i]->status(d->gen.svc[i], &now);
        if (memcmp(&now, &d->seen, sizeof(now)) == 0)
                return;
        if (now.requests != d->seen.requests)
                d->last_poll = (int64_t)time(NULL);
        if (now.notices != d->seen.notices) {
                refresh_notices(d);
                for (size_t i = 0; i < NSERVICES; i++)
                        if (services[i]->notices_changed != NULL)
                                services[i]->notices_changed(d->gen.svc[i]);
        }
        d->seen = now;
        update_status(d, false);
}


static int64_t
watchdog_timer(void *arg, int64_t now)
{
        struct daemon *d = arg;

        notify("WATCHDOG=1");
        return now + (int64_t)(d->watchdog_usec / 2000);
}

/* ======================================================================
 * Generations: build, start, free, reload
 * ====================================================================== */

static void
generation_free(struct generation *g)
{
        for (size_t i = NSERVICES; i-- > 0; ) {
                if (g->svc[i] != NULL)
                        services[i]->free(g->svc[i]);
                g->svc[i] = NULL;
        }
        g->cfg = config_free(g->cfg);
        g->nsources = 0;
}

/* /metrics: the daemon's counters, then every service's. */
static void
daemon_metrics(void *arg, struct buf *out)
{
        struct daemon *d = arg;

        buf_printf(out, "# HELP bidbroker_reloads_total Configuration reloads (SIGHUP) since "
                   "the start: ok (services and the matching engine rebuilt) or refused "
                   "(errors; the running configuration kept).\n"
                   "# TYPE bidbroker_reloads_total counter\n"
                   "bidbroker_reloads_total{result=\"ok\"} %zu\n"
                   "bidbroker_reloads_total{result=\"refused\"} %zu\n",
                   d->reloads, d->reloads_refused);
        for (size_t i = 0; i < NSERVICES; i++)
                if (services[i]->metrics != NULL && d->gen.svc[i] != NULL)
                        services[i]->metrics(d->gen.svc[i], out);
}

/* Build a complete generation around cfg (taken, also on failure). */
static int
generation_build(struct daemon *d, struct config *cfg, struct generation *g,
                 struct diag *diag)
{
        struct service_env env = {
                .loop = d->loop, .tx = d->tx, .wk = d->wk, .store = d->store, .cfg = cfg,
                .state_dir = d->state_dir, .metrics = daemon_metrics, .metrics_arg = d,
        };
        int r;

        memset(g, 0, sizeof(*g));
        g->cfg = cfg;
        for (size_t i = 0; i < cfg->nsources; i++)
                if (cfg->sources[i].enabled)
                        g->nsources++;
        for (size_t i = 0; i < NSERVICES; i++) {
                r = services[i]->new(&env, &g->svc[i], diag);
                if (r < 0) {
                        g->svc[i] = NULL;
                        generation_free(g);
                        return r;
                }
        }
        return 0;
}

static void
generation_start(struct daemon *d, const char *why)
{
        memset(&d->seen, 0, sizeof(d->seen));
        for (size_t i = 0; i < NSERVICES; i++)
                services[i]->start(d->gen.svc[i], why);
}

static void
use_log_level(const struct daemon *d)
{
        log_set_level(d->verbose ? LOG_LVL_DEBUG : d->gen.cfg->log_level);
}

static void
reload(struct daemon *d)
{
        struct generation g;
        struct config *cfg = NULL;
        struct diag diag;

        notify("RELOADING=1\nSTATUS=reloading configuration");
        log_notice("SIGHUP: reloading configuration from %s",
                   d->config_path ? d->config_path : "(built-in defaults)");
        diag_init(&diag);
        if (config_load(d->config_path, &cfg, &diag) < 0 ||
            generation_build(d, cfg, &g, &diag) < 0) {
                for (size_t i = 0; i < diag.n; i++)
                        log_warnx("%s", diag.msg[i]);
                if (diag.dropped)
                        log_warnx("... and %zu more errors", diag.dropped);
                log_warnx("configuration not reloaded (%zu error%s): keeping the running "
                          "configuration", diag_count(&diag) + diag.dropped,
                          diag_count(&diag) + diag.dropped == 1 ? "" : "s");
                diag_done(&diag);
                d->reloads_refused++;
                notify("READY=1");
                update_status(d, true);
                return;
        }
        diag_done(&diag);
        if (!d->state_dir_fixed && strcmp(g.cfg->state_dir, d->state_dir) != 0)
                log_warnx("state_dir changed to %s: this takes a restart; the store stays "
                          "at %s", g.cfg->state_dir, d->state_dir);
        generation_free(&d->gen);
        d->gen = g;
        d->reloads++;
        use_log_level(d);
        log_notice("configuration reloaded");
        generation_start(d, "reload");
        notify("READY=1");
        update_status(d, true);
}

/* ======================================================================
 * Signals
 * ====================================================================== */

static void
on_signal(void *arg, int signo)
{
        struct daemon *d = arg;

        switch (signo) {
        case SIGHUP:
                d->reload = true;
                break;
        case SIGTERM:
        case SIGINT:
                if (!d->stop)
                        d->stop_signal = signo;
                d->stop = true;
                break;
        default:
                break;
        }
}

/* ======================================================================
 * The loop
 * ====================================================================== */

static int
run_loop(struct daemon *d)
{
        struct err e = { 0 };

        while (!d->stop) {
                int64_t wait = -1;
                int r;

                if (d->reload) {
                        d->reload = false;
                        reload(d);
                        continue;
                }
                for (size_t i = 0; i < NSERVICES; i++) {
                        if (services[i]->step == NULL)
                                continue;
                        if (services[i]->step(d->gen.svc[i], &e) < 0) {
                                log_err("store error, stopping: %s", e.msg);
                                return 1;
                        }
                }
                note_progress(d);
                if (d->stop || d->reload)
                        continue;
                for (size_t i = 0; i < NSERVICES; i++) {
                        int64_t t = services[i]->next_ms ? services[i]->next_ms(d->gen.svc[i])
                                                         : -1;

                        if (t >= 0 && (wait < 0 || t < wait))
                                wait = t;
                }
                r = loop_run_once(d->loop, wait);
                if (r < 0)
                        log_warnx("epoll_wait: %s", strerror(-r));
        }
        return 0;
}

static const int stop_signals[] = { SIGTERM, SIGINT, SIGHUP };

int
daemon_run(const struct daemon_opts *opts, struct config *cfg)
{
        struct daemon *d = xcalloc(1, sizeof(*d));
        struct diag diag;
        struct err e = { 0 };
        int rc = 1, r;

        d->config_path = opts->config_path;
        d->verbose = opts->verbose;
        d->state_dir_fixed = opts->state_dir != NULL;
        d->state_dir = xstrdup(opts->state_dir ? opts->state_dir : cfg->state_dir);
        d->last_poll = TIME_UNKNOWN;

        if (loop_new(&d->loop, &e) < 0) {
                log_err("%s", e.msg);
                goto out;
        }
        r = loop_signals(d->loop, stop_signals, ARRAY_SIZE(stop_signals), on_signal, d);
        if (r < 0) {
                log_err("signalfd: %s", strerror(-r));
                goto out;
        }
        if (transfers_new(d->loop, &d->tx, &e) < 0 || worker_new(d->loop, &d->wk, &e) < 0) {
                log_err("%s", e.msg);
                goto out;
        }
        r = store_open_mode(d->state_dir, STORE_READ_WRITE, cfg->busy_timeout_ms, &d->store, &e);
        if (r < 0) {
                log_err("%s", e.msg);
                goto out;
        }
        diag_init(&diag);
        r = generation_build(d, cfg, &d->gen, &diag);
        cfg = NULL;                     /* taken by generation_build */
        if (r < 0) {
                for (size_t i = 0; i < diag.n; i++)
                        log_err("%s", diag.msg[i]);
                diag_done(&diag);
                goto out;
        }
        diag_done(&diag);
        use_log_level(d);
        refresh_notices(d);

        /* STATUS= changes only with what a turn of the loop did (note_progress):
         * no timer for it, so an idle daemon sleeps until its next poll. */
        if (sd_watchdog_enabled(0, &d->watchdog_usec) > 0 && d->watchdog_usec >= 2000) {
                log_info("systemd watchdog: pinging every %" PRIu64 " ms",
                         d->watchdog_usec / 2000);
                loop_timer_add(d->loop, "watchdog", time_mono_ms(), watchdog_timer, d);
        } else {
                d->watchdog_usec = 0;
        }
        log_notice("bidbroker %s running (pid %ld), state in %s, configuration %s",
                   BIDBROKER_VERSION, (long)getpid(), d->state_dir,
                   d->config_path ? d->config_path : "(built-in defaults)");
        format_status(d, d->status, sizeof(d->status));
        {
                char msg[sizeof(d->status) + 32];

                snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", d->status);
                notify(msg);
        }
        generation_start(d, "start");   /* matching: what arrived while we were down */
        rc = run_loop(d);
        notify("STOPPING=1\nSTATUS=stopping");
        if (d->stop_signal)
                log_notice("%s received: stopping", d->stop_signal == SIGINT ? "SIGINT"
                                                                              : "SIGTERM");
        log_notice("stopped%s", rc == 0 ? "" : " after an error");
out:
        config_free(cfg);
        generation_free(&d->gen);
        d->store = store_close(d->store);
        d->tx = transfers_free(d->tx);
        d->wk = worker_free(d->wk);             /* does not wait for a parse */
        d->loop = loop_free(d->loop);
        free(d->state_dir);
        free(d);
        return rc;
}
