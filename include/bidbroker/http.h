/*
 * http.h — the daemon's HTTP server (daemon/http/): libmicrohttpd driven
 * from the daemon's own event loop, never a thread of its own.
 *
 * MHD runs in its external-event mode with epoll: its epoll fd is watched by
 * the loop (loop_fd_add) and MHD_run() handles whatever is ready; the loop
 * also gives MHD a turn when MHD_get_timeout() says (idle connections time
 * out).  Handlers therefore run on the loop thread, like every service, and
 * use the store directly.  A request is read whole (up to max_body) before
 * its handler runs; a larger one is answered 413, headers larger than the
 * per-connection memory 431 (by MHD).
 *
 * Routes: GET /healthz, GET /metrics, /api/v1/opportunities and
 * /api/v1/opportunities/{id} (api.c: anchors post, list, amend and withdraw
 * opportunities with a Bearer token), /post and /post/... (web.c: the same
 * as HTML pages, signed in with the token, a session cookie and a CSRF
 * token), GET and POST /l/TOKEN and /unsubscribe/TOKEN (member.c: members
 * act on the signed links of their digests; HTML pages); anything else 404,
 * a known path with another method 405 (with Allow).  API errors are JSON:
 * {"error": "..."}, the pages' are HTML.  GET /staff and /staff/TABLE.csv
 * (staff.c): the staff dashboard, a staff token or loopback.
 */
#ifndef BIDBROKER_HTTP_H
#define BIDBROKER_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct err;
struct loop;
struct member_register;
struct store;
struct strv;

/* An [anchor NAME] as the API sees it (borrowed from the configuration). */
struct http_anchor {
        const char        *name;        /* opportunities get source "anchor:NAME" */
        const char        *display_name;
        const char        *buyer_id;
        const char        *contact;
        const struct strv *regions;     /* region_normalise()d; empty: anywhere */
};

struct http_opts {
        const char *listen;             /* "HOST:PORT", "[V6]:PORT" (numeric host) */
        const struct http_anchor *anchors;      /* borrowed, outlives the server */
        size_t      nanchors;
        unsigned    anchor_rate;        /* postings per anchor per minute */
        const char *public_url;         /* NULL: none; https://...: Secure cookies */
        unsigned    max_connections;
        unsigned    timeout_s;          /* idle connection */
        size_t      max_body;           /* bytes */
        const char *state_dir;          /* for STATE/link.key (linktoken.h); NULL: no links */
        /* more Prometheus text for /metrics (the daemon's counters: polls,
         * reloads); NULL: none */
        void      (*metrics)(void *arg, struct buf *out);
        void       *metrics_arg;
        const struct member_register *members;  /* the register, or NULL: /staff */
        int64_t     target;             /* pence: /staff's value brokered target */
        int64_t     max_value;          /* pence: /staff's low-value cap ([filter]) */
};

/* A Prometheus label value into out: \, " and newline escaped. */
void http_metric_label(struct buf *out, const char *value);

struct http_server;

/* Check a listen address: 0, or -EINVAL with *why saying what is wrong. */
int http_listen_check(const char *listen, const char **why);

/* Listen and serve from loop.  0, or -errno with err filled (e.g. the
 * address is in use). */
int http_server_new(struct loop *loop, struct store *store, const struct http_opts *o,
                    struct http_server **ret, struct err *err);
struct http_server *http_server_free(struct http_server *h);   /* NULL-safe */

/* The service's step and next_ms: MHD's timeouts. */
void http_server_step(struct http_server *h);
int64_t http_server_next_ms(struct http_server *h);

/* Requests answered so far; opportunities stored (new or changed) so far. */
size_t http_server_requests(const struct http_server *h);
size_t http_server_stored(const struct http_server *h);

#endif
