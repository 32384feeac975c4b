/*
 * pollsvc.c — the polling service (service.h): the pollset built from the
 * generation's enabled sources, its transfers on the daemon's one multi.
 *
 * A pollset built by a reload starts its passes straight away, from each
 * source's stored watermark; it knows nothing of the old pollset's request
 * spacing, so it first waits the largest min_interval of its sources: a
 * reload never makes a host see two requests closer together than configured.
 *
 * A store locked by another process for longer than busy_timeout (-EBUSY:
 * e.g. `bidbroker match` on a large store) does not stop the daemon: polling
 * waits, 2 s at first and twice as long each time up to a minute, and tries
 * again; the page that could not be stored is fetched again.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/config.h"
#include "bidbroker/err.h"
#include "bidbroker/http.h"
#include "bidbroker/log.h"
#include "bidbroker/poller.h"
#include "bidbroker/source.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"

#include "service.h"


struct pollsvc {
        struct service_env       env;
        struct pollset          *ps;            /* NULL when no source is enabled */
        size_t                   nsources;      /* enabled sources */
        int64_t                  hold_until;    /* mono ms: no step before */
        int64_t                  busy_wait;     /* ms, after the store was locked; 0: not */
        size_t                   busy_pages;    /* pages stored when it was locked */
        struct pollset_progress *prog;
};

static int
pollsvc_new(const struct service_env *env, void **ret, struct diag *diag)
{
        const struct config *cfg = env->cfg;
        struct pollset_opts po = {
                .only_source = NULL, .since = TIME_UNKNOWN, .until = TIME_UNKNOWN,
                .once = false, .fixed_clock = false,
        };
        struct pollsvc *p = xcalloc(1, sizeof(*p));
        struct err e = { 0 };
        int r;

        p->env = *env;
        for (size_t i = 0; i < cfg->nsources; i++)
                if (cfg->sources[i].enabled)
                        p->nsources++;
        if (p->nsources > 0) {
                r = pollset_new(cfg->sources, cfg->nsources, env->store, env->tx, env->wk, &po,
                                &p->ps, &e);
                if (r < 0) {
                        diag_add(diag, NULL, 0, "pollset: %s", e.msg);
                        free(p);
                        return r;
                }
        }
        p->prog = xcalloc(p->nsources ? p->nsources : 1, sizeof(*p->prog));
        *ret = p;
        return 0;
}

static void
pollsvc_free(void *svc)
{
        struct pollsvc *p = svc;

        if (p == NULL)
                return;
        pollset_free(p->ps);            /* aborts its transfers */
        free(p->prog);
        free(p);
}

static void
log_sources(const struct pollsvc *p, const char *what)
{
        const struct config *c = p->env.cfg;
        struct buf b;

        buf_init(&b);
        for (size_t i = 0; i < c->nsources; i++) {
                if (!c->sources[i].enabled)
                        continue;
                buf_printf(&b, "%s%s (%s)", b.len ? ", " : "", c->sources[i].name,
                           c->sources[i].type_name ? c->sources[i].type_name
                                                   : source_type_name(c->sources[i].type));
        }
        if (p->nsources == 0)
                log_warnx("%s: no enabled sources: nothing to poll (add a [source] and "
                          "reload)", what);
        else
                log_notice("%s: polling %zu source%s: %s", what, p->nsources,
                           p->nsources == 1 ? "" : "s", b.data);
        buf_done(&b);
}

static void
pollsvc_start(void *svc, const char *why)
{
        struct pollsvc *p = svc;
        const struct config *c = p->env.cfg;
        int64_t hold = 0;

        log_sources(p, why);
        if (strcmp(why, "reload") != 0)
                return;
        for (size_t i = 0; i < c->nsources; i++)
                if (c->sources[i].enabled && c->sources[i].min_interval_ms > hold)
                        hold = c->sources[i].min_interval_ms;
        p->hold_until = time_mono_ms() + hold;
}

/* Pages stored so far. */
static size_t
pages_stored(struct pollsvc *p)
{
        size_t n = 0;

        pollset_progress(p->ps, p->prog, p->nsources);
        for (size_t i = 0; i < p->nsources; i++)
                n += p->prog[i].pages;
        return n;
}

static int
pollsvc_step(void *svc, struct err *err)
{
        struct pollsvc *p = svc;
        int r;

        if (p->ps == NULL || p->hold_until > time_mono_ms())
                return 0;
        r = pollset_step(p->ps, err);
        if (r == -EBUSY) {
                p->busy_wait = service_busy_wait(p->busy_wait);
                log_warnx("%s; polling waits %lld s and tries again", err->msg,
                          (long long)(p->busy_wait / 1000));
                p->hold_until = time_mono_ms() + p->busy_wait;
                p->busy_pages = pages_stored(p);
                return 0;
        }
        if (r == 0 && p->busy_wait > 0 && pages_stored(p) > p->busy_pages) {
                log_notice("polling again after the store was locked");
                p->busy_wait = 0;
        }
        return r;
}

static int64_t
pollsvc_next_ms(void *svc)
{
        struct pollsvc *p = svc;
        int64_t now = time_mono_ms();

        if (p->ps == NULL)
                return -1;
        if (p->hold_until > now)
                return p->hold_until - now;
        return pollset_next_due_ms(p->ps);
}

/* prog[].last_error is only valid until the next step: never kept. */
static void
pollsvc_status(void *svc, struct service_status *st)
{
        struct pollsvc *p = svc;

        if (p->ps == NULL)
                return;
        pollset_progress(p->ps, p->prog, p->nsources);
        for (size_t i = 0; i < p->nsources; i++) {
                st->requests += p->prog[i].requests;
                st->notices += p->prog[i].notices;
                st->failing += p->prog[i].last_error != NULL;
        }
}

/* Per source, since this generation started: query windows completed (a
 * poll), requests, failed attempts, notices stored; and whether the last
 * attempt failed. */
static void
pollsvc_metrics(void *svc, struct buf *out)
{
        static const struct {
                const char *name, *type, *help;
        } m[] = {
                { "bidbroker_polls_total", "counter", "Query windows polled to the end, by "
                  "source (since the daemon's start or last reload)." },
                { "bidbroker_poll_requests_total", "counter", "HTTP requests made to a "
                  "source." },
                { "bidbroker_poll_errors_total", "counter", "Failed poll attempts (network, "
                  "HTTP status, parse errors), by source." },
                { "bidbroker_poll_notices_total", "counter", "Notices stored new or changed, "
                  "by source." },
                { "bidbroker_source_failing", "gauge", "1 when the source's last attempt "
                  "failed." },
        };
        struct pollsvc *p = svc;

        if (p->ps == NULL)
                return;
        pollset_progress(p->ps, p->prog, p->nsources);
        for (size_t k = 0; k < ARRAY_SIZE(m); k++) {
                buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", m[k].name, m[k].help,
                           m[k].name, m[k].type);
                for (size_t i = 0; i < p->nsources; i++) {
                        const struct pollset_progress *g = &p->prog[i];
                        size_t v[] = { g->windows_done, g->requests, g->errors, g->notices,
                                       g->last_error != NULL };

                        buf_printf(out, "%s{source=\"", m[k].name);
                        http_metric_label(out, g->source);
                        buf_printf(out, "\"} %zu\n", v[k]);
                }
        }
}

const struct service pollsvc = {
        .name = "polling",
        .new = pollsvc_new,
        .free = pollsvc_free,
        .start = pollsvc_start,
        .step = pollsvc_step,
        .next_ms = pollsvc_next_ms,
        .status = pollsvc_status,
        .metrics = pollsvc_metrics,
};
