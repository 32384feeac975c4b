/*
 * digestsvc.c — the digest scheduler (service.h, docs/digest.md): every
 * [mail] interval it looks for members whose digest slot has passed without
 * a digest for its period, and composes, records and queues theirs (a few
 * members per turn of the loop, so the loop is never held long).  A store
 * locked by another process for longer than busy_timeout makes it wait and
 * try again (2 s, doubling up to a minute); a member whose digest failed is
 * tried again at the next interval.  Off until [mail] from is set.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bidbroker/config.h"
#include "bidbroker/digest.h"
#include "bidbroker/digests.h"
#include "bidbroker/engine.h"
#include "bidbroker/err.h"
#include "bidbroker/log.h"
#include "bidbroker/loop.h"
#include "bidbroker/matchconf.h"
#include "bidbroker/members.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"

#include "service.h"

#define DIGESTS_PER_TURN 20             /* members looked at per timer call */

struct digestsvc {
        struct service_env  env;
        struct engine      *engine;     /* its register is the members */
        struct digest_env  *denv;       /* NULL: digests are off */
        uint64_t            timer;
        size_t              next;       /* the member the pass goes on with */
        int64_t             busy_wait;  /* ms, after the store was locked; 0: not */
        size_t              composed, failed;
};

/* One member.  False when the store was locked: try it again later. */
static bool
digest_one(struct digestsvc *s, const struct member *m, int64_t now)
{
        struct digest_result res;
        struct err e = { 0 };
        int r;

        digest_result_init(&res);
        r = digest_member(s->denv, s->env.store, s->engine, m, now, false, &res, &e);
        if (r == -EBUSY) {
                s->busy_wait = service_busy_wait(s->busy_wait);
                log_warnx("digests: %s; the scheduler waits %lld s and tries again", e.msg,
                          (long long)(s->busy_wait / 1000));
                digest_result_done(&res);
                return false;
        }
        s->busy_wait = 0;
        if (r < 0) {
                s->failed++;
                log_warnx("digest for %s failed, tried again in %lld s: %s", m->id,
                          (long long)(s->env.cfg->mail_interval_ms / 1000), e.msg);
        } else if (res.outcome == DIGEST_QUEUED) {
                s->composed++;
                log_notice("digest for %s (%s): %zu item%s, %zu waiting for the next, %zu too "
                           "close to bid", m->id, res.period, res.items,
                           res.items == 1 ? "" : "s", res.overflow, res.infeasible);
        } else if (res.outcome == DIGEST_EMPTY) {
                log_info("digest for %s (%s): nothing new, none sent", m->id, res.period);
        }
        digest_result_done(&res);
        return true;
}

static int64_t
digest_timer(void *arg, int64_t now_ms)
{
        struct digestsvc *s = arg;
        const struct member_register *reg = engine_members(s->engine);
        int64_t now = (int64_t)time(NULL);
        size_t done = 0;

        while (s->next < reg->n && done < DIGESTS_PER_TURN) {
                const struct member *m = &reg->members[s->next];

                if (m->emails.n > 0 && !digest_one(s, m, now))
                        return now_ms + s->busy_wait;   /* locked: the same member later */
                s->next++;
                done++;
        }
        if (s->next < reg->n)
                return now_ms;                          /* more members: next turn */
        s->next = 0;
        return now_ms + s->env.cfg->mail_interval_ms;
}

static int
digestsvc_new(const struct service_env *env, void **ret, struct diag *diag)
{
        struct digestsvc *s = xcalloc(1, sizeof(*s));
        const struct config *cfg = env->cfg;
        struct err e = { 0 };
        int r;

        s->env = *env;
        if (cfg->mail_from != NULL && cfg->taxonomy != NULL && cfg->members != NULL) {
                if ((r = matchconf_load(cfg, &s->engine, diag)) < 0)
                        goto fail;
                r = digest_env_new(cfg, env->state_dir,
                                   DIGEST_ENV_KEYS | DIGEST_ENV_LINKKEY, &s->denv, &e);
                if (r < 0) {
                        diag_add(diag, cfg->path, cfg->mail_line, "digests: %s", e.msg);
                        goto fail;
                }
        }
        *ret = s;
        return 0;
fail:
        engine_free(s->engine);
        free(s);
        return r;
}

static void
digestsvc_free(void *svc)
{
        struct digestsvc *s = svc;

        if (s == NULL)
                return;
        loop_timer_cancel(s->env.loop, s->timer);
        digest_env_free(s->denv);
        engine_free(s->engine);
        free(s);
}

static void
digestsvc_start(void *svc, const char *why)
{
        struct digestsvc *s = svc;

        if (s->denv == NULL)
                return;
        if (strcmp(why, "start") == 0)
                log_notice("digests for %zu members, at %s on each one's day (Europe/London), "
                           "signed with %zu DKIM key%s", engine_members(s->engine)->n,
                           s->env.cfg->mail_digest_time_text ? s->env.cfg->mail_digest_time_text
                                                             : "07:00",
                           digest_env_keys(s->denv), digest_env_keys(s->denv) == 1 ? "" : "s");
        s->timer = loop_timer_add(s->env.loop, "digest", time_mono_ms(), digest_timer, s);
}

const struct service digestsvc = {
        .name = "digest",
        .new = digestsvc_new,
        .free = digestsvc_free,
        .start = digestsvc_start,
};
