/*
 * outboxsvc.c — the outbox service (service.h): delivers queued and retry
 * messages (sender.h) from the loop, [mail] parallel at once.
 *
 * It wakes when a message falls due (next_ms), when a delivery ends, and
 * when the store changed: a digest queued by this daemon (the store
 * connection's change count moves) or by another process such as `bidbroker
 * digest` (SQLite's data_version moves; read at every turn of the loop, and
 * a timer turns the loop every 2 s for it).  At the daemon's start the
 * messages a dead process left sending are retried; a reload stops the
 * deliveries in flight and the new generation sends them again (same bytes,
 * same Message-ID), so SIGHUP never loses or changes a message.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/config.h"
#include "bidbroker/err.h"
#include "bidbroker/log.h"
#include "bidbroker/loop.h"
#include "bidbroker/outbox.h"
#include "bidbroker/sender.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"

#include "service.h"

#define LOOK_MS 2000                    /* how often the loop turns to look at the store */

struct outboxsvc {
        struct service_env  env;
        struct sender      *sender;
        uint64_t            timer;
        uint64_t            stamp;      /* outbox_stamp when last looked */
        bool                started;
};

static int64_t
look_timer(void *arg, int64_t now)
{
        (void)arg;
        return now + LOOK_MS;           /* step runs after this turn and looks */
}

static int
outboxsvc_new(const struct service_env *env, void **ret, struct diag *diag)
{
        struct outboxsvc *o = xcalloc(1, sizeof(*o));
        struct err e = { 0 };

        o->env = *env;
        if (sender_new(env->cfg, env->state_dir, env->store, env->loop, &o->sender, &e) < 0) {
                diag_add(diag, env->cfg->path, 0, "%s", e.msg);
                free(o);
                return -EINVAL;
        }
        *ret = o;
        return 0;
}

static void
outboxsvc_free(void *svc)
{
        struct outboxsvc *o = svc;

        if (o == NULL)
                return;
        loop_timer_cancel(o->env.loop, o->timer);
        sender_free(o->sender);
        free(o);
}

static void
outboxsvc_start(void *svc, const char *why)
{
        struct outboxsvc *o = svc;
        struct err e = { 0 };
        int64_t n = 0;

        /* only at the start: at a reload the old generation set its own back */
        if (strcmp(why, "start") == 0 && sender_recover(o->sender, &n, &e) < 0)
                log_warnx("outbox: %s; messages left sending are sent at the next start",
                          e.msg);
        o->timer = loop_timer_add(o->env.loop, "outbox", time_mono_ms() + LOOK_MS,
                                  look_timer, o);
        o->started = true;
}

static int
outboxsvc_step(void *svc, struct err *err)
{
        struct outboxsvc *o = svc;
        struct err e = { 0 };
        uint64_t stamp;

        (void)err;
        if (!o->started)
                return 0;
        stamp = outbox_stamp(o->env.store);
        if (stamp == o->stamp && sender_next_ms(o->sender) != 0)
                return 0;
        o->stamp = stamp;
        if (sender_kick(o->sender, &e) < 0)
                log_warnx("outbox: %s; delivery waits and tries again", e.msg);
        return 0;
}

/* What this generation's deliveries came to. */
static void
outboxsvc_metrics(void *svc, struct buf *out)
{
        struct outboxsvc *o = svc;
        struct sender_counts c;

        sender_counts(o->sender, &c);
        buf_printf(out, "# HELP bidbroker_outbox_deliveries_total Delivery attempts ended, by "
                   "outcome.\n# TYPE bidbroker_outbox_deliveries_total counter\n"
                   "bidbroker_outbox_deliveries_total{outcome=\"sent\"} %" PRIu64 "\n"
                   "bidbroker_outbox_deliveries_total{outcome=\"retry\"} %" PRIu64 "\n"
                   "bidbroker_outbox_deliveries_total{outcome=\"failed\"} %" PRIu64 "\n",
                   c.sent, c.retried, c.failed);
}

static int64_t
outboxsvc_next_ms(void *svc)
{
        struct outboxsvc *o = svc;

        return o->started ? sender_next_ms(o->sender) : -1;
}

const struct service outboxsvc = {
        .name = "outbox",
        .new = outboxsvc_new,
        .free = outboxsvc_free,
        .start = outboxsvc_start,
        .step = outboxsvc_step,
        .next_ms = outboxsvc_next_ms,
        .metrics = outboxsvc_metrics,
};
