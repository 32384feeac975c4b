/*
 * httpsvc.c — the HTTP service (service.h): the server of daemon/http/ built
 * from the generation's [http] section.  It listens when the generation
 * starts, not when it is built: a reload frees the old generation (and its
 * listening socket) before the new one starts, so the same address is free
 * again.  A server that cannot listen (address in use) is logged and the
 * daemon goes on without HTTP until the next reload: polling and matching
 * matter more than the status pages.
 */
#include <stdlib.h>
#include <string.h>

#include "bidbroker/config.h"
#include "bidbroker/err.h"
#include "bidbroker/http.h"
#include "bidbroker/log.h"
#include "bidbroker/members.h"
#include "bidbroker/util.h"

#include "service.h"

struct httpsvc {
        struct service_env  env;
        struct http_server *srv;        /* NULL: not listening */
        struct http_anchor *anchors;    /* the configuration's, as the server sees them */
        struct member_register *members;        /* for /staff; NULL: none or unreadable */
};

static int
httpsvc_new(const struct service_env *env, void **ret, struct diag *diag)
{
        struct httpsvc *s = xcalloc(1, sizeof(*s));

        (void)diag;                     /* config_load checked [http] */
        s->env = *env;
        s->anchors = xcalloc(env->cfg->nanchors ? env->cfg->nanchors : 1, sizeof(*s->anchors));
        for (size_t i = 0; i < env->cfg->nanchors; i++) {
                const struct anchor_conf *a = &env->cfg->anchors[i];

                s->anchors[i] = (struct http_anchor){ a->name, a->display_name, a->buyer_id,
                                                      a->contact, &a->regions };
        }
        /* The register as the dashboard lists it (names, clusters, members
         * with no match); its capabilities are the matcher's to check, and
         * its errors are reported there too ([match] members). */
        if (env->cfg->members != NULL) {
                struct diag d;

                diag_init(&d);
                if (members_load(env->cfg->members, NULL, &s->members, &d) < 0)
                        log_warnx("http: the staff dashboard lists no members: the register "
                                  "%s has errors", env->cfg->members);
                diag_done(&d);
        }
        *ret = s;
        return 0;
}

static void
httpsvc_free(void *svc)
{
        struct httpsvc *s = svc;

        if (s == NULL)
                return;
        http_server_free(s->srv);
        members_free(s->members);
        free(s->anchors);
        free(s);
}

static void
httpsvc_start(void *svc, const char *why)
{
        struct httpsvc *s = svc;
        const struct config *c = s->env.cfg;
        struct http_opts o = {
                .listen = c->http_listen,
                .anchors = s->anchors,
                .nanchors = c->nanchors,
                .anchor_rate = (unsigned)c->anchor_rate,
                .public_url = c->public_url,
                .max_connections = (unsigned)c->http_max_connections,
                .timeout_s = (unsigned)((c->http_timeout_ms + 999) / 1000),
                .max_body = (size_t)c->http_max_body,
                .state_dir = s->env.state_dir,
                .metrics = s->env.metrics,
                .metrics_arg = s->env.metrics_arg,
                .members = s->members,
                .target = c->impact_target,
                .max_value = c->max_value,
        };
        struct err e = { 0 };

        if (c->http_listen == NULL) {
                if (strcmp(why, "start") == 0)
                        log_info("http: no [http] listen address: no HTTP server");
                return;
        }
        if (http_server_new(s->env.loop, s->env.store, &o, &s->srv, &e) < 0) {
                log_warnx("http: %s; running without HTTP until the next reload", e.msg);
                return;
        }
        log_notice("http: listening on %s", c->http_listen);
}

static int
httpsvc_step(void *svc, struct err *err)
{
        struct httpsvc *s = svc;

        (void)err;
        if (s->srv != NULL)
                http_server_step(s->srv);
        return 0;
}

static int64_t
httpsvc_next_ms(void *svc)
{
        struct httpsvc *s = svc;

        return s->srv != NULL ? http_server_next_ms(s->srv) : -1;
}

/* Postings stored: the match service hears of them (notices_changed). */
static void
httpsvc_status(void *svc, struct service_status *st)
{
        struct httpsvc *s = svc;

        st->notices += http_server_stored(s->srv);
}

const struct service httpsvc = {
        .name = "http",
        .new = httpsvc_new,
        .free = httpsvc_free,
        .start = httpsvc_start,
        .step = httpsvc_step,
        .next_ms = httpsvc_next_ms,
        .status = httpsvc_status,
};
