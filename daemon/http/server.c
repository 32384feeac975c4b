/*
 * server.c — the HTTP server (http.h): libmicrohttpd in its external-event
 * epoll mode, its epoll fd watched by the daemon's loop, so requests are
 * answered on the loop thread between the other services' work and never
 * race with them over the store.  Answering at all shows the loop is alive.
 *
 * Each request is read whole (bodies up to max_body, else 413) into a struct
 * req, then routed.  Counters for /metrics live in the server: they start
 * again at zero when a reload builds a new one (Prometheus handles counter
 * resets).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <jansson.h>
#include <microhttpd.h>

#include "bidbroker/err.h"
#include "bidbroker/feedback.h"
#include "bidbroker/http.h"
#include "bidbroker/linktoken.h"
#include "bidbroker/log.h"
#include "bidbroker/loop.h"
#include "bidbroker/store.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"

#include "route.h"

/* ======================================================================
 * Addresses
 * ====================================================================== */

static int
parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *sslen, bool *v6,
             const char **why)
{
        char host[INET6_ADDRSTRLEN + 1];
        const char *port, *end;
        size_t hl;
        long p;

        memset(ss, 0, sizeof(*ss));
        *v6 = s[0] == '[';
        if (*v6) {
                end = strchr(s, ']');
                if (end == NULL || end[1] != ':') {
                        *why = "not [IPV6]:PORT";
                        return -EINVAL;
                }
                hl = (size_t)(end - s - 1);
                port = end + 2;
                s++;
        } else {
                end = strrchr(s, ':');
                if (end == NULL) {
                        *why = "missing :PORT (e.g. 127.0.0.1:8080)";
                        return -EINVAL;
                }
                hl = (size_t)(end - s);
                port = end + 1;
        }
        if (hl == 0 || hl >= sizeof(host)) {
                *why = "not a numeric address (e.g. 127.0.0.1:8080 or [::1]:8080)";
                return -EINVAL;
        }
        memcpy(host, s, hl);
        host[hl] = '\0';
        if (parse_long(port, 1, 65535, &p) < 0) {
                *why = "port must be 1 to 65535";
                return -EINVAL;
        }
        if (*v6) {
                struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

                a->sin6_family = AF_INET6;
                a->sin6_port = htons((uint16_t)p);
                if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) {
                        *why = "not a numeric IPv6 address";
                        return -EINVAL;
                }
                *sslen = sizeof(*a);
        } else {
                struct sockaddr_in *a = (struct sockaddr_in *)ss;

                a->sin_family = AF_INET;
                a->sin_port = htons((uint16_t)p);
                if (inet_pton(AF_INET, host, &a->sin_addr) != 1) {
                        *why = "not a numeric IPv4 address (e.g. 127.0.0.1:8080, "
                               "0.0.0.0:8080 or [::1]:8080)";
                        return -EINVAL;
                }
                *sslen = sizeof(*a);
        }
        return 0;
}

int
http_listen_check(const char *listen, const char **why)
{
        struct sockaddr_storage ss;
        socklen_t len;
        bool v6;

        return parse_listen(listen, &ss, &len, &v6, why);
}

/* ======================================================================
 * Responses
 * ====================================================================== */

static void
count(struct http_server *h, int route, unsigned status)
{
        size_t i;

        h->requests++;
        for (i = 0; i < h->ncounts; i++)
                if (h->counts[i].route == route && h->counts[i].status == status)
                        break;
        if (i == h->ncounts) {
                if (h->ncounts == MAX_COUNTS)
                        return;
                h->counts[h->ncounts++] = (struct count){ route, status, 0 };
        }
        h->counts[i].n++;
}

enum MHD_Result
http_reply(struct http_server *h, struct req *rq, unsigned status, const char *ctype,
           char *body, const char *const *headers)
{
        struct MHD_Response *r;
        enum MHD_Result ret;

        r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
        if (r == NULL) {
                free(body);
                return MHD_NO;
        }
        MHD_add_response_header(r, "Content-Type", ctype);
        MHD_add_response_header(r, "Cache-Control", "no-store");
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
        for (size_t i = 0; headers != NULL && headers[i] != NULL; i += 2)
                MHD_add_response_header(r, headers[i], headers[i + 1]);
        ret = MHD_queue_response(rq->conn, status, r);
        MHD_destroy_response(r);
        count(h, rq->route, status);
        rq->answered = true;
        return ret;
}

enum MHD_Result
http_reply_json(struct http_server *h, struct req *rq, unsigned status, json_t *j,
                const char *const *headers)
{
        char *s = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);

        json_decref(j);
        if (s == NULL)
                return MHD_NO;
        return http_reply(h, rq, status, "application/json", s, headers);
}

enum MHD_Result
http_reply_error(struct http_server *h, struct req *rq, unsigned status, const char *msg,
                 const char *const *headers)
{
        return http_reply_json(h, rq, status, json_pack("{s:s}", "error", msg), headers);
}

/* ======================================================================
 * /healthz and /metrics
 * ====================================================================== */

/* 200 when the store takes a write lock (BEGIN IMMEDIATE, rolled back) and,
 * since this runs on the loop, the loop is turning; 503 otherwise. */
static enum MHD_Result
healthz(struct http_server *h, struct req *rq)
{
        struct err e = { 0 };
        int r = store_begin(h->store, &e);

        if (r == 0)
                store_rollback(h->store);
        return http_reply_json(h, rq, r == 0 ? 200 : 503,
                               json_pack("{s:s,s:s,s:s}", "status", r == 0 ? "ok" : "error",
                                         "store", r == 0 ? "writable" : e.msg,
                                         "loop", "alive"), NULL);
}

void
http_metric_label(struct buf *b, const char *s)
{
        for (; *s; s++) {
                if (*s == '\\' || *s == '"')
                        buf_addc(b, '\\');
                if (*s == '\n')
                        buf_adds(b, "\\n");
                else
                        buf_addc(b, *s);
        }
}

static int
metric_source(const char *source, int64_t n, void *arg)
{
        struct buf *b = arg;

        buf_adds(b, "bidbroker_opportunities{source=\"");
        http_metric_label(b, source);
        buf_printf(b, "\"} %" PRId64 "\n", n);
        return 0;
}

/* store_metrics' rows: "# HELP"/"# TYPE" before the first of each name. */
static int
metric_store(const struct store_metric *m, void *arg)
{
        struct buf *b = arg;

        if (m->help != NULL)
                buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help, m->name,
                           m->type);
        if (m->label != NULL && m->value == NULL)
                return 0;
        buf_adds(b, m->name);
        if (m->label != NULL) {
                buf_printf(b, "{%s=\"", m->label);
                http_metric_label(b, m->value);
                buf_adds(b, "\"}");
        }
        buf_printf(b, " %" PRId64 "\n", m->n);
        return 0;
}

static enum MHD_Result
metrics(struct http_server *h, struct req *rq)
{
        struct err e = { 0 };
        struct buf b;

        buf_init(&b);
        buf_adds(&b, "# HELP bidbroker_http_requests_total HTTP requests answered, by route "
                 "and status (since the last start or reload).\n"
                 "# TYPE bidbroker_http_requests_total counter\n");
        for (size_t i = 0; i < h->ncounts; i++)
                buf_printf(&b, "bidbroker_http_requests_total{route=\"%s\",status=\"%u\"} "
                           "%" PRIu64 "\n", http_route_name(h->counts[i].route),
                           h->counts[i].status, h->counts[i].n);
        buf_adds(&b, "# HELP bidbroker_opportunities Opportunities in the store, by source.\n"
                 "# TYPE bidbroker_opportunities gauge\n");
        if (store_count_by_source(h->store, metric_source, &b, &e) < 0 ||
            store_metrics(h->store, metric_store, &b, &e) < 0) {
                buf_done(&b);
                return http_reply_error(h, rq, 503, e.msg, NULL);
        }
        if (h->metrics != NULL)
                h->metrics(h->metrics_arg, &b);
        buf_addc(&b, '\0');
        return http_reply(h, rq, 200, "text/plain; version=0.0.4; charset=utf-8",
                          buf_steal(&b), NULL);
}

/* ======================================================================
 * Routing
 * ====================================================================== */

static const struct route {
        const char *path;
        const char *name;               /* for /metrics */
        const char *allow;              /* methods, as for Allow: */
} routes[] = {
        [ROUTE_OTHER]    = { NULL, "other", NULL },
        [ROUTE_HEALTHZ]  = { "/healthz", "healthz", "GET, HEAD" },
        [ROUTE_METRICS]  = { "/metrics", "metrics", "GET, HEAD" },
        [ROUTE_OPPORTUNITIES] = { "/api/v1/opportunities", "api_opportunities", "GET, POST" },
        /* a path ending in '/' is a prefix: the rest (one segment) is rq->tail */
        [ROUTE_LINK]     = { "/l/", "link", "GET, HEAD, POST" },
        [ROUTE_UNSUBSCRIBE] = { "/unsubscribe/", "unsubscribe", "GET, HEAD, POST" },
        [ROUTE_OPPORTUNITY] = { "/api/v1/opportunities/", "api_opportunity",
                                "GET, PATCH, DELETE" },
        [ROUTE_POST]     = { "/post", "post", "GET, POST" },
        [ROUTE_POST_PAGES] = { "/post/", "post_pages", "GET, POST" },
        [ROUTE_STAFF]    = { "/staff", "staff", "GET, HEAD" },
        [ROUTE_STAFF_PAGES] = { "/staff/", "staff_pages", "GET, HEAD, POST" },
};

const char *
http_route_name(int route)
{
        return route >= 0 && (size_t)route < ARRAY_SIZE(routes) ? routes[route].name : "other";
}

static int
route_of(const char *url, const char **tail)
{
        *tail = NULL;
        for (size_t i = 0; i < ARRAY_SIZE(routes); i++) {
                const char *p = routes[i].path;
                size_t n = p ? strlen(p) : 0;

                if (p == NULL)
                        continue;
                if (p[n - 1] != '/' && strcmp(url, p) == 0)
                        return (int)i;
                if (p[n - 1] == '/' && strncmp(url, p, n) == 0 && url[n] != '\0' &&
                    strchr(url + n, '/') == NULL) {
                        *tail = url + n;
                        return (int)i;
                }
        }
        return ROUTE_OTHER;
}

const char *
http_header(const struct req *rq, const char *name)
{
        return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

/* http_query_has: is key in the query string (with or without a value)? */
static enum MHD_Result
has_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
        (void)kind;
        (void)value;
        if (strcmp(key, ((const char **)cls)[0]) == 0)
                ((const char **)cls)[1] = key;
        return MHD_YES;
}

bool
http_query_has(const struct req *rq, const char *key)
{
        const char *kv[2] = { key, NULL };

        MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND, has_arg, kv);
        return kv[1] != NULL;
}

static bool
method_allowed(int route, const char *method)
{
        const char *allow = routes[route].allow;
        size_t n = strlen(method);

        for (const char *p = allow; p != NULL && (p = strstr(p, method)) != NULL; p += n)
                if ((p == allow || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
                        return true;
        return false;
}

static enum MHD_Result
dispatch(struct http_server *h, struct req *rq, const char *method)
{
        if (rq->route == ROUTE_OTHER)
                return http_reply_error(h, rq, 404, "no such resource", NULL);
        if (!method_allowed(rq->route, method)) {
                const char *hdr[] = { "Allow", routes[rq->route].allow, NULL };

                return http_reply_error(h, rq, 405, "method not allowed here", hdr);
        }
        switch (rq->route) {
        case ROUTE_HEALTHZ:
                return healthz(h, rq);
        case ROUTE_METRICS:
                return metrics(h, rq);
        case ROUTE_OPPORTUNITIES:
                return api_opportunities(h, rq);
        case ROUTE_OPPORTUNITY:
                return api_opportunity(h, rq);
        case ROUTE_POST:
        case ROUTE_POST_PAGES:
                return web_post(h, rq);
        case ROUTE_LINK:
                return member_link(h, rq);
        case ROUTE_UNSUBSCRIBE:
                return member_unsubscribe_page(h, rq);
        case ROUTE_STAFF:
                return staff_page(h, rq, NULL);
        case ROUTE_STAFF_PAGES:
                return staff_page(h, rq, rq->tail);
        default:
                return http_reply_error(h, rq, 404, "no such resource", NULL);
        }
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
           const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
        struct http_server *h = cls;
        struct req *rq = *con_cls;

        (void)version;
        if (rq == NULL) {
                const char *cl, *tail;
                long len;

                rq = xcalloc(1, sizeof(*rq));
                buf_init(&rq->body);
                rq->conn = c;
                rq->route = route_of(url, &tail);
                rq->tail = xstrdup(tail);
                *con_cls = rq;
                cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
                if (cl != NULL && (parse_long(cl, 0, LONG_MAX, &len) < 0 ||
                                   (size_t)len > h->max_body))
                        rq->too_big = true;
                if (rq->too_big)        /* at once: the body is never read */
                        return http_reply_error(h, rq, 413, "request body too large", NULL);
                return MHD_YES;
        }
        if (*upload_size > 0) {
                if (!rq->too_big && rq->body.len + *upload_size > h->max_body) {
                        rq->too_big = true;
                        buf_done(&rq->body);
                } else if (!rq->too_big) {
                        buf_add(&rq->body, upload, *upload_size);
                }
                *upload_size = 0;
                return MHD_YES;
        }
        if (rq->answered)
                return MHD_YES;
        if (rq->too_big)
                return http_reply_error(h, rq, 413, "request body too large", NULL);
        rq->method = method;
        return dispatch(h, rq, method);
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
        struct req *rq = *con_cls;

        (void)cls;
        (void)c;
        (void)toe;
        if (rq == NULL)
                return;
        buf_done(&rq->body);
        free(rq->tail);
        free(rq);
        *con_cls = NULL;
}

static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
        struct http_server *h = cls;
        size_t n;

        vsnprintf(h->lastlog, sizeof(h->lastlog), fmt, ap);
        n = strlen(h->lastlog);
        while (n > 0 && h->lastlog[n - 1] == '\n')
                h->lastlog[--n] = '\0';
        log_debug("http: %s", h->lastlog);
}

/* ======================================================================
 * The server on the loop
 * ====================================================================== */

static void
on_ready(void *arg, int fd, uint32_t events)
{
        struct http_server *h = arg;

        (void)fd;
        (void)events;
        MHD_run(h->mhd);
}

int
http_server_new(struct loop *loop, struct store *store, const struct http_opts *o,
                struct http_server **ret, struct err *err)
{
        struct http_server *h = xcalloc(1, sizeof(*h));
        const union MHD_DaemonInfo *info;
        struct sockaddr_storage ss;
        socklen_t sslen;
        const char *why = NULL;
        bool v6;
        int r;

        h->loop = loop;
        h->store = store;
        h->epfd = -1;
        h->max_body = o->max_body;
        h->anchors = o->anchors;
        h->nanchors = o->nanchors;
        h->anchor_rate = o->anchor_rate;
        h->secure = o->public_url != NULL && strncasecmp(o->public_url, "https://", 8) == 0;
        h->members = o->members;
        h->target = o->target;
        h->max_value = o->max_value;
        if (o->public_url != NULL) {    /* its origin: scheme://host[:port] */
                const char *p = strstr(o->public_url, "://");
                size_t n = p ? (size_t)(p + 3 - o->public_url) + strcspn(p + 3, "/?#")
                             : 0;

                h->origin = n ? xstrndup(o->public_url, n) : NULL;
        }
        h->rates = xcalloc(o->nanchors ? o->nanchors : 1, sizeof(*h->rates));
        h->metrics = o->metrics;
        h->metrics_arg = o->metrics_arg;
        if (o->state_dir == NULL) {
                h->linkkey_error = xstrdup("no state directory");
        } else {
                struct linkkey *k = NULL;
                struct err ke = { 0 };

                if (linkkey_open(o->state_dir, true, &k, &ke) < 0) {
                        log_warnx("http: signed links cannot be checked: %s", ke.msg);
                        h->linkkey_error = xstrdup(ke.msg);
                }
                h->linkkey = k;
        }
        if ((r = parse_listen(o->listen, &ss, &sslen, &v6, &why)) < 0) {
                err_set(err, r, "listen %s: %s", o->listen, why);
                goto fail;
        }
        errno = 0;
        h->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0),
                                  0, NULL, NULL, on_request, h,
                                  MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
                                  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                                  MHD_OPTION_CONNECTION_LIMIT, o->max_connections,
                                  MHD_OPTION_CONNECTION_TIMEOUT, o->timeout_s,
                                  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32 * 1024,
                                  MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                                  MHD_OPTION_END);
        if (h->mhd == NULL) {
                r = errno ? -errno : -EIO;
                err_set(err, r, "cannot listen on %s: %s", o->listen,
                        h->lastlog[0] ? h->lastlog : strerror(-r));
                goto fail;
        }
        info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
        if (info == NULL || info->epoll_fd < 0) {
                r = -EIO;
                err_set(err, r, "libmicrohttpd has no epoll fd");
                goto fail;
        }
        r = loop_fd_add(loop, info->epoll_fd, EPOLLIN, on_ready, h);
        if (r < 0) {
                err_set(err, r, "watching the HTTP server: %s", strerror(-r));
                goto fail;
        }
        h->epfd = info->epoll_fd;
        *ret = h;
        return 0;
fail:
        http_server_free(h);
        return r;
}

struct http_server *
http_server_free(struct http_server *h)
{
        if (h == NULL)
                return NULL;
        if (h->epfd >= 0)
                loop_fd_remove(h->loop, h->epfd);
        if (h->mhd != NULL)
                MHD_stop_daemon(h->mhd);
        free(h->rates);
        free(h->origin);
        linkkey_free(h->linkkey);
        free(h->linkkey_error);
        free(h);
        return NULL;
}

int64_t
http_server_next_ms(struct http_server *h)
{
        MHD_UNSIGNED_LONG_LONG ms;

        if (h == NULL || MHD_get_timeout(h->mhd, &ms) != MHD_YES)
                return -1;
        return ms > INT64_MAX ? INT64_MAX : (int64_t)ms;
}

void
http_server_step(struct http_server *h)
{
        if (http_server_next_ms(h) == 0)
                MHD_run(h->mhd);
}

size_t
http_server_stored(const struct http_server *h)
{
        return h ? h->stored : 0;
}

size_t
http_server_requests(const struct http_server *h)
{
        return h ? h->requests : 0;
}
