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

#include "bidbroker/hash.h"
#include "bidbroker/http.h"
#include "bidbroker/util.h"

struct err;
struct linkkey;
struct opportunity;

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

/* Failed sign-ins on /post from one address: a fixed window too. */
#define LOGIN_SLOTS     64
struct login_try {
        char            addr[48];       /* numeric; "" unused */
        int64_t         window;         /* mono ms */
        unsigned        n;
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
        const struct member_register *members;  /* the register, or NULL (staff.c) */
        int64_t             target;     /* [impact] target, pence (staff.c) */
        int64_t             max_value;  /* [filter] max_value, pence (staff.c) */
        struct count        counts[MAX_COUNTS];
        size_t              ncounts;
        size_t              requests;
        size_t              stored;     /* opportunities new or changed */
        char                lastlog[256];       /* MHD's last message, for errors */
        struct linkkey     *linkkey;    /* signed links, owned; NULL: not available */
        char               *linkkey_error;      /* why not, for the pages */
        void              (*metrics)(void *arg, struct buf *out);
        void               *metrics_arg;
        bool                secure;     /* public_url is https: cookies are Secure */
        char               *origin;     /* public_url's scheme://host[:port]; NULL: none */
        struct login_try    logins[LOGIN_SLOTS];        /* failed /post sign-ins */
};

enum {
        ROUTE_OTHER,
        ROUTE_HEALTHZ,
        ROUTE_METRICS,
        ROUTE_OPPORTUNITIES,
        ROUTE_LINK,                     /* /l/TOKEN */
        ROUTE_UNSUBSCRIBE,              /* /unsubscribe/TOKEN */
        ROUTE_OPPORTUNITY,              /* /api/v1/opportunities/{id} */
        ROUTE_POST,                     /* /post, the anchors' form (web.c) */
        ROUTE_POST_PAGES,               /* /post/... */
        ROUTE_STAFF,                    /* /staff, the dashboard (staff.c) */
        ROUTE_STAFF_PAGES,              /* /staff/TABLE.csv, /staff/login, /staff/logout */
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

/* The page shell (page.c), the same for every page: doctype, head (title
 * escaped, then " — bidbroker"; the stylesheet), <body class="body_class">
 * (NULL: none; "wide": the dashboard's width), a header bar (header_html,
 * already escaped; NULL: the service's name), then <main>.  page_end closes
 * them and returns the document. */
void http_page_begin(struct buf *b, const char *title, const char *body_class,
                     const char *header_html);
char *http_page_end(struct buf *b);
/* A problem in a red-edged card, announced to screen readers (role=alert). */
void http_page_alert(struct buf *b, const char *text);
/* An HTML page: the shell around body_html, which the caller escaped.
 * UTF-8, readable on a phone, no scripts (a Content-Security-Policy says
 * so), no Referer sent to other sites (the URL may hold a token). */
enum MHD_Result http_reply_html(struct http_server *h, struct req *rq, unsigned status,
                                const char *title, const char *body_html);
/* A whole HTML document (taken) with the same headers, and extra ones
 * (name, value pairs ending with NULL; at most 3 pairs), e.g. a
 * Set-Cookie, a Retry-After or a WWW-Authenticate. */
enum MHD_Result http_reply_page(struct http_server *h, struct req *rq, unsigned status,
                                char *document, const char *const *extra);

/* ---- websession.c: forms and browser sessions (/post and /staff) ---- */

#define FORM_MAX_FIELDS 32

/* A form body (application/x-www-form-urlencoded), decoded. */
struct form {
        size_t  n;
        char   *name[FORM_MAX_FIELDS];
        char   *value[FORM_MAX_FIELDS];
        bool    bad;                    /* too many fields, or not UTF-8 */
};
void http_form_parse(const char *body, size_t len, struct form *f);
/* The value of the first field called name ("" when absent). */
const char *http_form_get(const struct form *f, const char *name);
void http_form_done(struct form *f);

/* A POST from another site: its Origin is neither public_url's nor the
 * Host the request was sent to.  A client that sends no Origin passes. */
bool http_cross_site(const struct http_server *h, const struct req *rq);
/* The peer's numeric address ("?" when unknown). */
void http_client_addr(const struct req *rq, char out[48]);

/* Failed sign-ins: at most LOGIN_RATE a minute per client address (all
 * sign-in forms together).  refused: true, *retry = seconds to wait. */
#define LOGIN_RATE      10
bool http_login_refused(struct http_server *h, const char *addr, int64_t *retry);
void http_login_failed(struct http_server *h, const char *addr);

/* A kind of browser session: its cookie's name and path, and the domain
 * of the hashes made of the cookie's value (the store keeps one, the CSRF
 * token is another), so that one kind's cookie is nothing to another. */
struct session_kind {
        const char *cookie;             /* "bb_session" */
        const char *path;               /* "/post" */
        const char *domain;             /* "bidbroker post" */
        int64_t     seconds;            /* how long a session lasts */
};
struct web_session {
        char   *holder;                 /* owned; NULL: no session */
        char    csrf[HASH_HEX_LEN];     /* what its forms must carry */
        char    hash[HASH_HEX_LEN];     /* its key in the store */
};
/* The request's session (s->holder NULL when none, expired or its token
 * revoked); < 0 when the store failed. */
int http_session_of(struct http_server *h, struct req *rq, const struct session_kind *k,
                    struct web_session *s, struct err *e);
/* A new session for holder, signed in with the token of token_hash:
 * stored (expired ones purged), s filled, *cookie the Set-Cookie value
 * (owned by the caller). */
int http_session_start(struct http_server *h, const struct session_kind *k,
                       const char *holder, const char *token_hash, struct web_session *s,
                       char **cookie, struct err *e);
/* Forget s in the store (logged on failure); the Set-Cookie value that
 * clears the cookie (owned by the caller). */
char *http_session_end(struct http_server *h, const struct session_kind *k,
                       const struct web_session *s);
void http_session_done(struct web_session *s);
/* Does the form carry s's CSRF token? */
bool http_csrf_ok(const struct web_session *s, const struct form *f);

/* GET and POST /l/TOKEN, /unsubscribe/TOKEN (member.c). */
enum MHD_Result member_link(struct http_server *h, struct req *rq);
enum MHD_Result member_unsubscribe_page(struct http_server *h, struct req *rq);

/* Is key in the query string (with or without a value)? */
bool http_query_has(const struct req *rq, const char *key);
/* A request header (NULL: none). */
const char *http_header(const struct req *rq, const char *name);

/* /api/v1/opportunities and /api/v1/opportunities/{id} (api.c). */
enum MHD_Result api_opportunities(struct http_server *h, struct req *rq);
enum MHD_Result api_opportunity(struct http_server *h, struct req *rq);

/* What api.c shares with the /post form (web.c): a posting is the same
 * JSON object whichever way it arrives, checked by the same code. */
const struct http_anchor *http_anchor_named(const struct http_server *h, const char *name,
                                            size_t *idx);
/* true: over the anchor's rate of writes; *retry seconds until it ends. */
bool posting_over_rate(struct http_server *h, size_t idx, int64_t *retry);
/* Every field of j into o (opportunity_init()ed); each problem appended to
 * errors as {field, message}.  *idem: the idempotency_key, if any. */
void posting_validate(json_t *j, const struct http_anchor *a, int64_t now,
                      struct opportunity *o, const char **idem, json_t *errors);
/* Store a validated posting o (body: its JSON text, kept as the raw record
 * and hashed for the idempotency key).  *status 201 new, 200 the key's
 * earlier posting (same body), 409 the key with another body; *id. */
int posting_create(struct http_server *h, const struct http_anchor *a, struct opportunity *o,
                   const char *body, const char *idem, unsigned *status, int64_t *id,
                   struct err *e);
/* The anchor's posting id into o (opportunity_init()ed); -ENOENT when
 * there is none or it is another's. */
int posting_load(struct http_server *h, const struct http_anchor *a, int64_t id,
                 struct opportunity *o, struct err *e);
/* Withdraw it (status cancelled): *changed false when it already was. */
int posting_withdraw(struct http_server *h, struct opportunity *o, bool *changed,
                     struct err *e);
/* The posting as the API shows it (what web.c shows too). */
json_t *posting_json(struct http_server *h, const struct opportunity *o, int64_t now,
                     struct err *e);
/* A posting's id in a path ("123"), or 0 for anything else. */
int64_t posting_id_of(const char *s);
/* "open", "closed" (deadline passed) or "withdrawn" */
const char *posting_status(const struct opportunity *o, int64_t now);

/* The /post form (web.c). */
enum MHD_Result web_post(struct http_server *h, struct req *rq);

/* GET /staff (csv NULL), GET /staff/TABLE.csv (csv "TABLE.csv"), POST
 * /staff/login and /staff/logout (csv "login", "logout") (staff.c). */
enum MHD_Result staff_page(struct http_server *h, struct req *rq, const char *csv);

#endif
