/*
 * route.h — what the HTTP server's handlers share (private to daemon/http/):
 * the request being answered and the replies.
 */
#ifndef BIDBROKER_HTTP_ROUTE_H
#define BIDBROKER_HTTP_ROUTE_H

#include <stdbool.h>

#include <jansson.h>
#include <microhttpd.h>

#include "bidbroker/util.h"

struct http_server;

enum {
        ROUTE_OTHER,
        ROUTE_HEALTHZ,
        ROUTE_METRICS,
};

/* One request, read whole before it is routed. */
struct req {
        struct MHD_Connection *conn;
        int             route;
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

#endif
