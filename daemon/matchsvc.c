/*
 * matchsvc.c — the matching service (service.h): the engine built from the
 * generation's [match] configuration, a pass when the generation starts (what
 * arrived while the daemon was down, or what a changed register matches now)
 * and one [match] match_delay after the last page of a burst of notices.
 * Unchanged opportunities (same content, same engine) are skipped by
 * matchstore_run.  A store locked by another process for longer than
 * busy_timeout (-EBUSY) makes the pass wait and try again (2 s, doubling up
 * to a minute); nothing is lost, the next pass matches what this one missed.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bidbroker/awards.h"
#include "bidbroker/config.h"
#include "bidbroker/consortmatch.h"
#include "bidbroker/engine.h"
#include "bidbroker/err.h"
#include "bidbroker/filter.h"
#include "bidbroker/log.h"
#include "bidbroker/loop.h"
#include "bidbroker/matchconf.h"
#include "bidbroker/matchstore.h"
#include "bidbroker/members.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"

#include "service.h"


struct matchsvc {
        struct service_env  env;
        struct engine      *engine;             /* NULL when matching is not configured */
        char                fingerprint[HASH_HEX_LEN];
        uint64_t            timer;              /* the "match" timer, 0: none */
        int64_t             due;                /* mono ms: when it should run */
        int64_t             busy_wait;          /* ms, after the store was locked; 0: not */
};



/* Bring the stored matches up to date with the engine.  True when the store
 * was locked: try again at m->due. */
static bool
match_pass(struct matchsvc *m, const char *why)
{
        struct match_counts n = { 0 };
        struct filter f;
        struct consort_opts co;
        struct err e = { 0 };
        int r;

        filter_from_config(&f, m->env.cfg);
        matchconf_consort_opts(m->env.cfg, m->engine, &co);
        r = matchstore_run(m->env.store, m->engine, m->fingerprint, &co, &f, (int64_t)time(NULL),
                           TIME_UNKNOWN, &n, &e);
        if (r == -EBUSY) {
                m->busy_wait = service_busy_wait(m->busy_wait);
                log_warnx("matching (%s): %s; matching waits %lld s and tries again", why,
                          e.msg, (long long)(m->busy_wait / 1000));
                m->due = time_mono_ms() + m->busy_wait;
                return true;
        }
        m->busy_wait = 0;
        if (r < 0) {
                log_warnx("matching (%s) failed, will retry with the next notices: %s",
                          why, e.msg);
                return false;
        }
        /* wins follow the register: the report and the dashboard read them */
        if (awards_match(m->env.store, engine_members(m->engine), (int64_t)time(NULL), NULL,
                         &e) < 0)
                log_warnx("matching (%s): award suppliers not matched to members: %s", why,
                          e.msg);
        if (n.added || n.changed || n.withdrawn)
                log_notice("matched (%s): %zu eligible, %zu evaluated; %zu new matches, "
                           "%zu changed, %zu withdrawn", why, n.eligible, n.evaluated,
                           n.added, n.changed, n.withdrawn);
        else
                log_info("matched (%s): %zu eligible, %zu evaluated, no change", why,
                         n.eligible, n.evaluated);
        return false;
}

static int64_t
match_timer(void *arg, int64_t now)
{
        struct matchsvc *m = arg;

        if (now < m->due)
                return m->due;          /* more notices came: wait for the burst to end */
        if (match_pass(m, m->busy_wait ? "after the store was locked" : "new notices"))
                return m->due;          /* locked: again later */
        m->timer = 0;
        return LOOP_TIMER_STOP;
}

static int
matchsvc_new(const struct service_env *env, void **ret, struct diag *diag)
{
        struct matchsvc *m = xcalloc(1, sizeof(*m));
        int r;

        m->env = *env;
        if (env->cfg->taxonomy != NULL && env->cfg->members != NULL) {
                r = matchconf_load(env->cfg, &m->engine, diag);
                if (r < 0) {
                        free(m);
                        return r;
                }
                matchconf_fingerprint(m->engine, m->fingerprint);
        }
        *ret = m;
        return 0;
}

static void
matchsvc_free(void *svc)
{
        struct matchsvc *m = svc;

        if (m == NULL)
                return;
        loop_timer_cancel(m->env.loop, m->timer);
        engine_free(m->engine);
        free(m);
}

static void
matchsvc_start(void *svc, const char *why)
{
        struct matchsvc *m = svc;

        if (m->engine == NULL)
                return;
        if (strcmp(why, "start") == 0)
                log_notice("matching against %zu members, %zu rules",
                           engine_members(m->engine)->n, engine_rule_count(m->engine));
        if (match_pass(m, why) && m->timer == 0)
                m->timer = loop_timer_add(m->env.loop, "match", m->due, match_timer, m);
}

/* Match new notices match_delay after the last page of a burst, not page by
 * page (a pass reads every stored row). */
static void
matchsvc_notices_changed(void *svc)
{
        struct matchsvc *m = svc;

        if (m->engine == NULL)
                return;
        m->due = time_mono_ms() + m->env.cfg->match_delay_ms;
        if (m->timer == 0)
                m->timer = loop_timer_add(m->env.loop, "match", m->due, match_timer, m);
}

/* The engine this generation built (each reload builds it again). */
static void
matchsvc_metrics(void *svc, struct buf *out)
{
        struct matchsvc *m = svc;

        buf_printf(out, "# HELP bidbroker_engine_members Members the matching engine holds "
                   "(0: matching not configured).\n# TYPE bidbroker_engine_members gauge\n"
                   "bidbroker_engine_members %zu\n"
                   "# HELP bidbroker_engine_rules Rules the matching engine holds.\n"
                   "# TYPE bidbroker_engine_rules gauge\nbidbroker_engine_rules %zu\n",
                   m->engine ? engine_members(m->engine)->n : 0,
                   m->engine ? engine_rule_count(m->engine) : 0);
}

const struct service matchsvc = {
        .name = "matching",
        .new = matchsvc_new,
        .free = matchsvc_free,
        .start = matchsvc_start,
        .notices_changed = matchsvc_notices_changed,
        .metrics = matchsvc_metrics,
};
