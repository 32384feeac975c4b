/*
 * daemon.c — `bidbroker run`: one event loop for signals, timers and the
 * pollset, with reload-by-generation (see include/bidbroker/daemon.h).
 *
 * The loop, in order: handle a pending reload; pollset_step() (starts what is
 * due, finishes completed transfers: parse, store, watermark — synchronously,
 * so a transaction is never cut by a signal); loop_run_once(): run due
 * timers, sleep until the next timer, pollset due time or ready fd (the
 * signalfd, the transfers' sockets), call their callbacks.
 *
 * A "generation" is everything a reload replaces: the configuration, the
 * pollset built from it and (later) the match engine.  A reload builds a
 * complete new generation and only then frees the old one; any error on the
 * way frees the half-built one and leaves the running generation untouched.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
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
#include "bidbroker/engine.h"
#include "bidbroker/filter.h"
#include "bidbroker/log.h"
#include "bidbroker/loop.h"
#include "bidbroker/matchconf.h"
#include "bidbroker/matchstore.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/poller.h"
#include "bidbroker/members.h"
#include "bidbroker/store.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/transfers.h"
#include "bidbroker/util.h"

#ifndef BIDBROKER_VERSION
#define BIDBROKER_VERSION "0.1.0"
#endif

#define STATUS_INTERVAL_MS      10000

/*
 * Everything a reload replaces, built and validated as a whole before
 * anything is swapped: the configuration, the pollset built from it, and the
 * match engine (taxonomy + member register, when [match] names them).  A bad
 * rule or member file is reported with the configuration's errors
 * (FILE:LINE: message) and keeps the old generation.
 */
struct generation {
        struct config  *cfg;
        struct pollset *ps;             /* NULL when no source is enabled */
        size_t          nsources;       /* enabled sources polled */
        struct engine  *engine;         /* NULL when matching is not configured */
        char            fingerprint[MATCHCONF_FINGERPRINT_LEN];
};

struct daemon {
        const char        *config_path;
        char              *state_dir;           /* the store's; fixed for the run */
        bool               state_dir_fixed;     /* --state given */
        bool               verbose;
        struct store      *store;
        struct generation  gen;
        int64_t            hold_until;          /* mono ms: a rebuilt pollset waits */

        struct loop       *loop;
        struct transfers  *tx;                  /* the one libcurl multi */

        bool               stop, reload;
        int                stop_signal;
        uint64_t           watchdog_usec;       /* 0: no watchdog */

        /* for STATUS= */
        struct pollset_progress *prog;
        size_t             nprog;
        size_t             seen_requests, seen_notices;
        size_t             failing;             /* sources whose last attempt failed */
        int64_t            last_poll;           /* wall seconds, TIME_UNKNOWN: none */
        int64_t            notices;             /* rows in the store */
        char               status[256];
        size_t             reloads;
        bool               match_pending;       /* a "match" timer is armed */
        int64_t            match_due;           /* mono ms: when it should run */
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
        if (d->failing > 0)
                snprintf(fail, sizeof(fail), " (%zu failing)", d->failing);
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

static void schedule_match(struct daemon *d);

/* After a step: note new requests, stored notices and failing sources.
 * (prog[].last_error is only valid until the next step: never kept.) */
static void
note_progress(struct daemon *d)
{
        size_t req = 0, notices = 0, failing = 0;

        if (d->gen.ps == NULL)
                return;
        pollset_progress(d->gen.ps, d->prog, d->nprog);
        for (size_t i = 0; i < d->nprog; i++) {
                req += d->prog[i].requests;
                notices += d->prog[i].notices;
                failing += d->prog[i].last_error != NULL;
        }
        if (req == d->seen_requests && notices == d->seen_notices && failing == d->failing)
                return;
        if (req != d->seen_requests)
                d->last_poll = (int64_t)time(NULL);
        if (notices != d->seen_notices) {
                refresh_notices(d);
                schedule_match(d);
        }
        d->seen_requests = req;
        d->seen_notices = notices;
        d->failing = failing;
        update_status(d, false);
}

static int64_t
status_timer(void *arg, int64_t now)
{
        struct daemon *d = arg;

        update_status(d, false);
        return now + STATUS_INTERVAL_MS;
}

static int64_t
watchdog_timer(void *arg, int64_t now)
{
        struct daemon *d = arg;

        notify("WATCHDOG=1");
        return now + (int64_t)(d->watchdog_usec / 2000);
}

/* ======================================================================
 * Matching: new and changed notices are matched shortly after they arrive
 * ====================================================================== */

/* Bring the stored matches up to date with the current engine.  Unchanged
 * opportunities (same content, same engine) are skipped by matchstore_run. */
static void
match_pass(struct daemon *d, const char *why)
{
        struct match_counts n = { 0 };
        struct filter f;
        struct err e = { 0 };

        if (d->gen.engine == NULL)
                return;
        filter_from_config(&f, d->gen.cfg);
        if (matchstore_run(d->store, d->gen.engine, d->gen.fingerprint, &f,
                           (int64_t)time(NULL), TIME_UNKNOWN, &n, &e) < 0) {
                log_warnx("matching (%s) failed, will retry with the next notices: %s",
                          why, e.msg);
                return;
        }
        if (n.added || n.changed || n.withdrawn)
                log_notice("matched (%s): %zu eligible, %zu evaluated; %zu new matches, "
                           "%zu changed, %zu withdrawn", why, n.eligible, n.evaluated,
                           n.added, n.changed, n.withdrawn);
        else
                log_info("matched (%s): %zu eligible, %zu evaluated, no change", why,
                         n.eligible, n.evaluated);
}

static int64_t
match_timer(void *arg, int64_t now)
{
        struct daemon *d = arg;

        if (now < d->match_due)
                return d->match_due;    /* more notices came: wait for the burst to end */
        d->match_pending = false;
        match_pass(d, "new notices");
        return -1;
}

/* Called when notices were stored: match them [match] match_delay after the
 * last page of a burst, not page by page (a pass reads every stored row). */
static void
schedule_match(struct daemon *d)
{
        if (d->gen.engine == NULL)
                return;
        d->match_due = time_mono_ms() + d->gen.cfg->match_delay_ms;
        if (d->match_pending)
                return;
        loop_timer_add(d->loop, "match", d->match_due, match_timer, d);
        d->match_pending = true;
}

/* ======================================================================
 * Generations: build, free, reload
 * ====================================================================== */

static void
generation_free(struct generation *g)
{
        g->engine = engine_free(g->engine);
        g->ps = pollset_free(g->ps);
        g->cfg = config_free(g->cfg);
        g->nsources = 0;
}

/* Build a complete generation around cfg (taken, also on failure). */
static int
generation_build(struct daemon *d, struct config *cfg, struct generation *g,
                 struct diag *diag)
{
        struct pollset_opts po = {
                .only_source = NULL, .since = TIME_UNKNOWN, .until = TIME_UNKNOWN,
                .once = false, .fixed_clock = false,
        };
        struct err e = { 0 };
        int r;

        memset(g, 0, sizeof(*g));
        g->cfg = cfg;
        for (size_t i = 0; i < cfg->nsources; i++)
                if (cfg->sources[i].enabled)
                        g->nsources++;

        if (cfg->taxonomy != NULL && cfg->members != NULL) {
                r = matchconf_load(cfg, &g->engine, diag);
                if (r < 0)
                        goto fail;
                matchconf_fingerprint(g->engine, g->fingerprint);
        }

        if (g->nsources > 0) {
                r = pollset_new(cfg->sources, cfg->nsources, d->store, d->tx, &po, &g->ps, &e);
                if (r < 0) {
                        diag_add(diag, NULL, 0, "pollset: %s", e.msg);
                        goto fail;
                }
        }
        return 0;
fail:
        generation_free(g);
        return r;
}

static void
use_log_level(const struct daemon *d)
{
        log_set_level(d->verbose ? LOG_LVL_DEBUG : d->gen.cfg->log_level);
}

static void
log_sources(const struct daemon *d, const char *what)
{
        const struct config *c = d->gen.cfg;
        struct buf b;

        buf_init(&b);
        for (size_t i = 0; i < c->nsources; i++) {
                if (!c->sources[i].enabled)
                        continue;
                buf_printf(&b, "%s%s (%s)", b.len ? ", " : "", c->sources[i].name,
                           c->sources[i].type_name ? c->sources[i].type_name
                                                   : source_type_name(c->sources[i].type));
        }
        if (d->gen.nsources == 0)
                log_warnx("%s: no enabled sources: nothing to poll (add a [source] and "
                          "reload)", what);
        else
                log_notice("%s: polling %zu source%s: %s", what, d->gen.nsources,
                           d->gen.nsources == 1 ? "" : "s", b.data);
        buf_done(&b);
}

static void
size_progress(struct daemon *d)
{
        free(d->prog);
        d->nprog = d->gen.nsources;
        d->prog = xcalloc(d->nprog ? d->nprog : 1, sizeof(*d->prog));
        d->seen_requests = d->seen_notices = d->failing = 0;
        if (d->gen.ps != NULL)
                note_progress(d);
}

static void
reload(struct daemon *d)
{
        struct generation g;
        struct config *cfg = NULL;
        struct diag diag;
        int64_t hold = 0;

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
                notify("READY=1");
                update_status(d, true);
                return;
        }
        diag_done(&diag);
        if (!d->state_dir_fixed && strcmp(g.cfg->state_dir, d->state_dir) != 0)
                log_warnx("state_dir changed to %s: this takes a restart; the store stays "
                          "at %s", g.cfg->state_dir, d->state_dir);
        /* The new pollset starts its passes at once.  It knows nothing of the
         * old one's request spacing, so it waits the longest min_interval
         * first: a reload never makes a host see requests closer together. */
        for (size_t i = 0; i < g.cfg->nsources; i++)
                if (g.cfg->sources[i].enabled && g.cfg->sources[i].min_interval_ms > hold)
                        hold = g.cfg->sources[i].min_interval_ms;
        generation_free(&d->gen);
        d->gen = g;
        d->hold_until = time_mono_ms() + hold;
        d->reloads++;
        use_log_level(d);
        size_progress(d);
        log_notice("configuration reloaded");
        log_sources(d, "reload");
        match_pass(d, "reload");
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
                int64_t now, hold;
                int r;

                if (d->reload) {
                        d->reload = false;
                        reload(d);
                        continue;
                }
                now = time_mono_ms();
                hold = d->hold_until > now ? d->hold_until - now : 0;
                if (d->gen.ps != NULL && hold == 0) {
                        if (pollset_step(d->gen.ps, &e) < 0) {
                                log_err("store error, stopping: %s", e.msg);
                                return 1;
                        }
                        note_progress(d);
                }
                if (d->stop || d->reload)
                        continue;
                r = loop_run_once(d->loop, hold > 0 ? hold : d->gen.ps != NULL ?
                                  pollset_next_due_ms(d->gen.ps) : -1);
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
        if (transfers_new(d->loop, &d->tx, &e) < 0) {
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
        size_progress(d);
        refresh_notices(d);

        loop_timer_add(d->loop, "status", time_mono_ms() + STATUS_INTERVAL_MS, status_timer, d);
        if (sd_watchdog_enabled(0, &d->watchdog_usec) > 0 && d->watchdog_usec >= 2000) {
                log_info("systemd watchdog: pinging every %" PRIu64 " ms",
                         d->watchdog_usec / 2000);
                loop_timer_add(d->loop, "watchdog", time_mono_ms(), watchdog_timer, d);
        } else {
                d->watchdog_usec = 0;
        }
        if (d->gen.engine != NULL)
                log_notice("matching against %zu members, %zu rules",
                           engine_members(d->gen.engine)->n, engine_rule_count(d->gen.engine));

        log_notice("bidbroker %s running (pid %ld), state in %s, configuration %s",
                   BIDBROKER_VERSION, (long)getpid(), d->state_dir,
                   d->config_path ? d->config_path : "(built-in defaults)");
        log_sources(d, "start");
        format_status(d, d->status, sizeof(d->status));
        {
                char msg[sizeof(d->status) + 32];

                snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", d->status);
                notify(msg);
        }
        match_pass(d, "start");         /* what arrived while we were down */
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
        d->loop = loop_free(d->loop);
        free(d->prog);
        free(d->state_dir);
        free(d);
        return rc;
}
