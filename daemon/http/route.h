/*
 * route.h — what the HTTP server's handlers share (private to daemon/http/):
 * the request being answered and the replies.
 */
#ifndef BIDBROKER_HTTP_ROUTE_H
#define BIDBROKER_HTTP_ROUTE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <microhttpd.h>

#include "bidbroker/http.h"
#include "bidbroker/util.h"

struct linkkey;

#define MAX_COUNTS      128             /* (route, status) pairs counted */

struct count {
        int             route;
        unsigned        status;
        uint64_t        n;
};

/* An anchor's posting rate: a fixed one-minute window. */
struct rate {
        int64_t         window;         /* mono ms the window started */
        unsigned        n;              /* postings in it */
};

struct http_server {
        struct loop        *loop;
        struct store       *store;
        struct MHD_Daemon  *mhd;
        int                 epfd;       /* MHD's, watched by the loop; -1: none */
        size_t              max_body;
        const struct http_anchor *anchors;
        size_t              nanchors;
        unsigned            anchor_rate;
        struct rate        *rates;      /* one per anchor */
        struct count        counts[MAX_COUNTS];
        size_t              ncounts;
        size_t              requests;
        size_t              stored;     /* opportunities new or changed */
        char                lastlog[256];       /* MHD's last message, for errors */
        struct linkkey     *linkkey;    /* signed links, owned; NULL: not available */
        char               *linkkey_error;      /* why not, for the pages */
        void              (*metrics)(void *arg, struct buf *out);
        void               *metrics_arg;
};

enum {
        ROUTE_OTHER,
        ROUTE_HEALTHZ,
        ROUTE_METRICS,
        ROUTE_OPPORTUNITIES,
        ROUTE_LINK,                     /* /l/TOKEN */
        ROUTE_UNSUBSCRIBE,              /* /unsubscribe/TOKEN */
};

/* One request, read whole before it is routed. */
struct req {
        struct MHD_Connection *conn;
        int             route;
        char           *tail;           /* the path after a prefix route's "/l/" */
        const char     *method;
        struct buf      body;           /* up to max_body bytes */
        bool            too_big;
        bool            answered;
};

const char *http_route_name(int route);

/* Queue the answer (body taken, a NUL-terminated string); headers: name,
 * value pairs ending with NULL, or NULL.  Counted for /metrics. */
enum MHD_Result http_reply(struct http_server *h, struct req *rq, unsigned status,
                           const char *ctype, char *body, const char *const *headers);
/* j taken. */
enum MHD_Result http_reply_json(struct http_server *h, struct req *rq, unsigned status,
                                json_t *j, const char *const *headers);
/* {"error": msg} */
enum MHD_Result http_reply_error(struct http_server *h, struct req *rq, unsigned status,
                                 const char *msg, const char *const *headers);

/* An HTML page (page.c's shell around body_html, which the caller escaped):
 * UTF-8, readable on a phone, no scripts (a Content-Security-Policy says
 * so), no Referer sent onwards (the URL may hold a token). */
enum MHD_Result http_reply_html(struct http_server *h, struct req *rq, unsigned status,
                                const char *title, const char *body_html);

/* GET and POST /l/TOKEN, /unsubscribe/TOKEN (member.c). */
enum MHD_Result member_link(struct http_server *h, struct req *rq);
enum MHD_Result member_unsubscribe_page(struct http_server *h, struct req *rq);

/* POST /api/v1/opportunities (api.c). */
enum MHD_Result api_post_opportunity(struct http_server *h, struct req *rq);

#endif
