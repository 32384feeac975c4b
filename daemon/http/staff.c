/*
 * staff.c — the staff dashboard (#12 item 3): GET /staff and
 * GET /staff/TABLE.csv.
 *
 * Access: a staff token (`bidbroker token issue --staff`; the store keeps its
 * hash in anchor_token under the holder ANCHOR_TOKEN_STAFF), either sent as
 * "Authorization: Bearer TOKEN" (scripts, curl) or pasted once into the
 * sign-in page a browser gets (POST /staff/login), which starts a session
 * (websession.c: cookie bb_staff, Path=/staff, 8 hours; the Sign out button
 * is POST /staff/logout with the session's CSRF token; revoking the token
 * ends its sessions).  While no valid staff token exists, the dashboard
 * answers requests from a loopback peer address only (the connection's
 * address, never a header), and not even those when they carry a proxy's
 * Forwarded / X-Forwarded-For header: behind a reverse proxy every peer is
 * loopback, so a proxied dashboard needs a token.
 *
 * The figures are the tables of measures.h (one set of queries, shared with
 * `bidbroker report`), for the period of ?period=2026-11 (a month) or
 * ?period=2026-Q4 (a quarter), by default the current month; anything else is
 * answered 400.  The page draws each table as an SVG chart (svg.h), the
 * table under it, and a link to the same table as CSV (RFC 4180, CRLF,
 * header row; a text cell starting with = + - @ tab or CR gets a leading '
 * so that spreadsheets do not run it as a formula).  Every <td> carries the
 * exact CSV field in data-v, so the two can be compared.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>
#include <sodium.h>

#include "bidbroker/anchors.h"
#include "bidbroker/csv.h"
#include "bidbroker/err.h"
#include "bidbroker/hash.h"
#include "bidbroker/human.h"
#include "bidbroker/log.h"
#include "bidbroker/feedback.h"
#include "bidbroker/impact.h"
#include "bidbroker/members.h"
#include "bidbroker/store.h"
#include "bidbroker/text.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"

#include "route.h"
#include "svg.h"

/* ======================================================================
 * Tables: named, typed, documented columns (the CSV header) and cells
 * ====================================================================== */

enum mcol_kind {
        MCOL_TEXT,                      /* s; NULL: empty */
        MCOL_INT,                       /* i */
        MCOL_MONEY,                     /* i: pence; MEASURES_NONE: empty */
        MCOL_DATE,                      /* i: Unix seconds, shown as the UK date */
        MCOL_RATIO,                     /* d in 0..1; NAN: empty */
};

#define MEASURES_NONE INT64_MIN         /* an empty number (VALUE_NONE, TIME_UNKNOWN) */

struct mcol {
        const char     *name;
        enum mcol_kind  kind;
        const char     *doc;
};

struct mcell {
        int64_t i;
        double  d;
        char   *s;                      /* owned */
};

struct mtable {
        const char        *name;        /* /staff/NAME.csv */
        const char        *title;
        const struct mcol *cols;
        size_t             ncols;
        struct mcell      *cells;       /* nrows * ncols */
        size_t             nrows, cap;
        char              *note;        /* owned, or NULL */
};

static void
mtable_done(struct mtable *t)
{
        for (size_t i = 0; i < t->nrows * t->ncols; i++)
                free(t->cells[i].s);
        free(t->cells);
        free(t->note);
        t->cells = NULL;
        t->note = NULL;
        t->nrows = t->cap = 0;
}

static const struct mcell *
mtable_cell(const struct mtable *t, size_t row, size_t col)
{
        return &t->cells[row * t->ncols + col];
}

static struct mcell *
row_at(struct mtable *t, size_t row)
{
        return &t->cells[row * t->ncols];
}

static void
table_init(struct mtable *t, const char *name, const char *title, const struct mcol *cols,
           size_t ncols)
{
        *t = (struct mtable){ .name = name, .title = title, .cols = cols, .ncols = ncols };
}

/* A new row, every cell empty. */
static struct mcell *
table_row(struct mtable *t)
{
        struct mcell *row;

        if (t->nrows == t->cap) {
                t->cap = t->cap ? t->cap * 2 : 16;
                t->cells = xreallocarray(t->cells, t->cap * t->ncols, sizeof(*t->cells));
        }
        row = &t->cells[t->nrows++ * t->ncols];
        for (size_t i = 0; i < t->ncols; i++)
                row[i] = (struct mcell){ .i = MEASURES_NONE, .d = NAN, .s = NULL };
        return row;
}

enum { T_FOUND, T_BROKERED, T_OPPS, T_MEMBERS, T_FEEDBACK, T_GAPS, T_WINS, T_CONSORTIA,
       T__N };

struct staff_data {
        struct impact_period    p;
        struct impact_measures  sum;            /* the period's, for the figures */
        struct mtable           t[T__N];
        int64_t                 target;         /* pence a year ([impact] target) */
        int64_t                *weeks;          /* Mondays meeting the period */
        size_t                  nweeks;
};

static const char *const month_abbr[] = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};
static const char *const month_name[] = {
        "January", "February", "March", "April", "May", "June", "July", "August",
        "September", "October", "November", "December",
};

static void
esc(struct buf *b, const char *s)
{
        text_html_escape(s != NULL ? s : "", b);
}

/* The UK calendar date of t (any of y, m, d may be NULL). */
static void
uk_date(int64_t t, int *y, int *m, int *d)
{
        struct uk_civil c;

        time_uk_civil(t, &c);
        if (y)
                *y = c.year;
        if (m)
                *m = c.mon;
        if (d)
                *d = c.day;
}

/* ======================================================================
 * Pages for errors
 * ====================================================================== */

static const struct session_kind staff_session = {
        .cookie = "bb_staff", .path = "/staff", .domain = "bidbroker staff",
        .seconds = 8 * 3600,
};

/* The header bar: signed in with a session, its Sign out button. */
static void
page_start(struct buf *b, const char *title, const struct web_session *ws)
{
        struct buf hd;

        buf_init(&hd);
        buf_adds(&hd, "<div><strong>bidbroker</strong>: brokerage dashboard");
        if (ws != NULL && ws->holder != NULL) {
                buf_adds(&hd, " · <form method=\"post\" action=\"/staff/logout\">"
                         "<input type=\"hidden\" name=\"csrf\" value=\"");
                esc(&hd, ws->csrf);
                buf_adds(&hd, "\"><button class=\"link\" type=\"submit\">Sign out</button>"
                         "</form>");
        }
        buf_adds(&hd, "</div>");
        http_page_begin(b, title, "wide", hd.data);
        buf_done(&hd);
}

static enum MHD_Result
html_reply(struct http_server *h, struct req *rq, unsigned status, struct buf *b,
           const char *const *extra)
{
        return http_reply_page(h, rq, status, http_page_end(b), extra);
}

static enum MHD_Result
error_page(struct http_server *h, struct req *rq, unsigned status, const char *title,
           const char *msg, const char *const *extra)
{
        struct buf b;

        buf_init(&b);
        page_start(&b, title, NULL);
        buf_adds(&b, "<h1>");
        esc(&b, title);
        buf_adds(&b, "</h1><div class=\"card alert\"><p>");
        esc(&b, msg);
        buf_adds(&b, "</p></div>");
        return html_reply(h, rq, status, &b, extra);
}

static const char *const challenge[] = {
        "WWW-Authenticate", "Bearer realm=\"bidbroker staff\"", NULL,
};

/* The sign-in page (status 401 unless told otherwise), problem shown above
 * the form when not NULL; extra headers, or the Bearer challenge. */
static enum MHD_Result
signin_page(struct http_server *h, struct req *rq, unsigned status, const char *problem,
            const char *const *extra)
{
        struct buf b;

        buf_init(&b);
        page_start(&b, "Sign in", NULL);
        buf_adds(&b, "<h1>Brokerage dashboard</h1>");
        if (problem != NULL)
                http_page_alert(&b, problem);
        buf_adds(&b, "<form class=\"card\" method=\"post\" action=\"/staff/login\">"
                 "<p>Sign in with the staff token (it starts with <code>bbt_</code>; "
                 "<code>bidbroker token issue --staff</code> makes one).</p>"
                 "<label for=\"f-token\">Staff token</label>"
                 "<input type=\"password\" id=\"f-token\" name=\"token\" required "
                 "autocomplete=\"current-password\" spellcheck=\"false\">"
                 "<button type=\"submit\">Sign in</button></form>"
                 "<p class=\"note\">You stay signed in for 8 hours on this browser. Sign out "
                 "on a shared computer. Scripts can send the token as "
                 "<code>Authorization: Bearer</code> instead.</p>");
        return html_reply(h, rq, status, &b, extra != NULL ? extra : challenge);
}

/* ======================================================================
 * Access
 * ====================================================================== */

static bool
peer_is_loopback(struct MHD_Connection *c)
{
        const union MHD_ConnectionInfo *ci =
                MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;

        if (sa == NULL)
                return false;
        if (sa->sa_family == AF_INET) {
                const struct sockaddr_in *a = (const struct sockaddr_in *)sa;

                return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
        }
        if (sa->sa_family == AF_INET6) {
                const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;

                return IN6_IS_ADDR_LOOPBACK(&a->sin6_addr) ||
                       (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr) && a->sin6_addr.s6_addr[12] == 127);
        }
        return false;
}

static int
count_staff(const char *holder, int64_t id, int64_t created, int64_t revoked, void *arg)
{
        (void)id;
        (void)created;
        if (strcmp(holder, ANCHOR_TOKEN_STAFF) == 0 && revoked == 0)
                ++*(size_t *)arg;
        return 0;
}

static const char *
header(struct req *rq, const char *name)
{
        return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

/* Is token_hash a valid staff token?  1 yes, 0 no (*why says why), < 0
 * the store failed. */
static int
staff_token_ok(struct http_server *h, const char *token_hash, const char **why,
               struct err *e)
{
        char *holder = NULL;
        bool revoked = false, staff;
        int r = anchor_token_find(h->store, token_hash, &holder, &revoked, e);

        if (r < 0 && r != -ENOENT)
                return r;
        staff = r == 0 && strcmp(holder, ANCHOR_TOKEN_STAFF) == 0;
        free(holder);
        *why = !staff ? "not a staff token" : revoked ? "revoked" : NULL;
        return staff && !revoked;
}

/* true: the request may see the dashboard (*ws: its session, if it came
 * with one); false: the answer is queued. */
static bool
staff_allowed(struct http_server *h, struct req *rq, struct web_session *ws,
              enum MHD_Result *ret)
{
        const char *auth = header(rq, MHD_HTTP_HEADER_AUTHORIZATION), *why;
        struct err e = { 0 };
        size_t valid = 0;

        if (auth != NULL) {
                char hash[HASH_HEX_LEN];
                int r;

                if (strncasecmp(auth, "Bearer ", 7) != 0 || auth[7] == '\0') {
                        *ret = error_page(h, rq, 401, "Sign-in needed", "Send the staff "
                                          "token as Authorization: Bearer TOKEN.", challenge);
                        return false;
                }
                anchor_token_hash(auth + 7, hash);
                if ((r = staff_token_ok(h, hash, &why, &e)) < 0) {
                        *ret = error_page(h, rq, 503, "Store unavailable", e.msg, NULL);
                        return false;
                }
                if (r == 0 && strcmp(why, "revoked") == 0) {
                        *ret = error_page(h, rq, 403, "Token revoked", "This staff token "
                                          "was revoked: ask for a new one.", NULL);
                        return false;
                }
                if (r == 0) {
                        *ret = error_page(h, rq, 401, "Sign-in needed", "This is not a "
                                          "staff token.", challenge);
                        return false;
                }
                return true;
        }
        if (http_session_of(h, rq, &staff_session, ws, &e) < 0) {
                *ret = error_page(h, rq, 503, "Store unavailable", e.msg, NULL);
                return false;
        }
        if (ws->holder != NULL && strcmp(ws->holder, ANCHOR_TOKEN_STAFF) == 0)
                return true;
        http_session_done(ws);
        if (anchor_token_each(h->store, count_staff, &valid, &e) < 0) {
                *ret = error_page(h, rq, 503, "Store unavailable", e.msg, NULL);
                return false;
        }
        if (valid > 0) {
                *ret = signin_page(h, rq, 401, NULL, NULL);
                return false;
        }
        if (!peer_is_loopback(rq->conn) || header(rq, "Forwarded") != NULL ||
            header(rq, "X-Forwarded-For") != NULL) {
                *ret = error_page(h, rq, 403, "Forbidden", "Without a staff token the "
                                  "dashboard answers only on this machine (loopback, not "
                                  "through a proxy). Issue one with: bidbroker token issue "
                                  "--staff", NULL);
                return false;
        }
        return true;
}

static enum MHD_Result
redirect(struct http_server *h, struct req *rq, const char *cookie)
{
        const char *hdr[] = { "Location", "/staff", cookie ? "Set-Cookie" : NULL, cookie,
                              NULL };

        return http_reply(h, rq, 303, "text/plain; charset=utf-8", xstrdup("See Other\n"),
                          hdr);
}

static enum MHD_Result
login(struct http_server *h, struct req *rq, const struct form *f)
{
        char hash[HASH_HEX_LEN], addr[48], *tok = xstrdup(http_form_get(f, "token")), *t;
        char *cookie = NULL;
        const char *why = NULL;
        struct web_session ws = { 0 };
        struct err e = { 0 };
        enum MHD_Result ret;
        int64_t retry;
        int r = 0;

        http_client_addr(rq, addr);
        if (http_login_refused(h, addr, &retry)) {
                char rs[24];
                const char *hdr[] = { "Retry-After", rs, NULL };

                snprintf(rs, sizeof(rs), "%lld", (long long)retry);
                ret = signin_page(h, rq, 429, "Too many attempts to sign in from here. Wait "
                                  "a minute and try again.", hdr);
                goto out;
        }
        t = str_trim(tok);
        anchor_token_hash(t, hash);
        if (*t == '\0' || (r = staff_token_ok(h, hash, &why, &e)) == 0) {
                http_login_failed(h, addr);
                log_info("http: /staff sign-in refused from %s: %s", addr,
                         *t == '\0' ? "no token" : why);
                ret = signin_page(h, rq, why != NULL && strcmp(why, "revoked") == 0 ? 403 : 401,
                                  why != NULL && strcmp(why, "revoked") == 0 ?
                                  "That staff token was revoked: ask for a new one." :
                                  "That is not a staff token. Check you pasted all of it.",
                                  NULL);
                goto out;
        }
        if (r < 0 || http_session_start(h, &staff_session, ANCHOR_TOKEN_STAFF, hash, &ws,
                                        &cookie, &e) < 0) {
                log_warnx("http: /staff sign-in: %s", e.msg);
                ret = signin_page(h, rq, 503, "The service is busy: try again.", NULL);
                goto out;
        }
        log_notice("http: staff signed in on /staff from %s", addr);
        ret = redirect(h, rq, cookie);
out:
        sodium_memzero(tok, strlen(tok));
        free(tok);
        free(cookie);
        http_session_done(&ws);
        return ret;
}

/* POST /staff/login and /staff/logout. */
static enum MHD_Result
staff_post(struct http_server *h, struct req *rq, const char *what)
{
        const char *ctype = header(rq, MHD_HTTP_HEADER_CONTENT_TYPE);
        struct web_session ws = { 0 };
        struct form f;
        struct err e = { 0 };
        enum MHD_Result ret;
        char *cookie;

        memset(&f, 0, sizeof(f));
        if (strcmp(what, "login") != 0 && strcmp(what, "logout") != 0)
                return error_page(h, rq, 404, "Not found", "There is no such page.", NULL);
        if (ctype == NULL || strncasecmp(ctype, "application/x-www-form-urlencoded", 33) != 0)
                return error_page(h, rq, 415, "Not a form", "Send this page's form.", NULL);
        if (http_cross_site(h, rq))
                return error_page(h, rq, 403, "Refused", "This form was sent from another "
                                  "site.", NULL);
        http_form_parse(rq->body.data ? rq->body.data : "", rq->body.len, &f);
        if (f.bad) {
                ret = error_page(h, rq, 400, "Not a form", "The form's text is not UTF-8, or "
                                 "has too many fields.", NULL);
        } else if (strcmp(what, "login") == 0) {
                ret = login(h, rq, &f);
        } else if (http_session_of(h, rq, &staff_session, &ws, &e) < 0) {
                ret = error_page(h, rq, 503, "Store unavailable", e.msg, NULL);
        } else if (ws.holder != NULL && !http_csrf_ok(&ws, &f)) {
                ret = error_page(h, rq, 403, "Refused", "This form is out of date or did not "
                                 "come from this site. Reload the dashboard and try again.",
                                 NULL);
        } else {
                cookie = http_session_end(h, &staff_session, &ws);
                ret = redirect(h, rq, cookie);
                free(cookie);
        }
        http_session_done(&ws);
        http_form_done(&f);
        return ret;
}

/* ======================================================================
 * Cells
 * ====================================================================== */

/* The CSV field of a cell (and the data-v of its <td>). */
static void
cell_csv(struct buf *b, const struct mcol *col, const struct mcell *c)
{
        int y, m, d;

        switch (col->kind) {
        case MCOL_TEXT:
                if (c->s != NULL && strchr("=+-@\t\r", c->s[0]) != NULL && c->s[0] != '\0')
                        buf_addc(b, '\'');
                buf_adds(b, c->s != NULL ? c->s : "");
                break;
        case MCOL_INT:
                if (c->i != MEASURES_NONE)
                        buf_printf(b, "%" PRId64, c->i);
                break;
        case MCOL_MONEY:
                if (c->i != MEASURES_NONE)
                        buf_printf(b, "%s%" PRId64 ".%02d", c->i < 0 ? "-" : "",
                                   (c->i < 0 ? -c->i : c->i) / 100,
                                   (int)((c->i < 0 ? -c->i : c->i) % 100));
                break;
        case MCOL_DATE:
                if (c->i != MEASURES_NONE) {
                        uk_date(c->i, &y, &m, &d);
                        buf_printf(b, "%04d-%02d-%02d", y, m, d);
                }
                break;
        case MCOL_RATIO:
                if (!isnan(c->d))
                        buf_printf(b, "%.3f", c->d);
                break;
        }
}

/* The same cell for people. */
static void
cell_html(struct buf *b, const struct mcol *col, const struct mcell *c)
{
        char m[HUMAN_MONEY_MAX];
        int y, mo, d;

        switch (col->kind) {
        case MCOL_TEXT:
                esc(b, c->s);
                break;
        case MCOL_INT:
                if (c->i != MEASURES_NONE)
                        buf_adds(b, human_money(c->i * 100, "GBP", m, sizeof(m)) + 2);
                break;
        case MCOL_MONEY:
                if (c->i != MEASURES_NONE)
                        buf_adds(b, human_money(c->i, "GBP", m, sizeof(m)));
                break;
        case MCOL_DATE:
                if (c->i != MEASURES_NONE) {
                        uk_date(c->i, &y, &mo, &d);
                        buf_printf(b, "%d %s %d", d, month_abbr[mo - 1], y);
                }
                break;
        case MCOL_RATIO:
                if (!isnan(c->d))
                        buf_printf(b, "%.0f%%", c->d * 100);
                break;
        }
}

/* ======================================================================
 * The data
 * ====================================================================== */

static const struct mcol found_cols[] = {
        { "week", MCOL_DATE, "the Monday starting the week (UK time)" },
        { "source", MCOL_TEXT, "where it came from: fts, cf, a feed's name, anchor:NAME" },
        { "found", MCOL_INT, "tender-stage opportunities published (else first stored) that week" },
        { "low_value", MCOL_INT, "of those, stating a value of at most [filter] max_value" },
        { "low_value_value", MCOL_MONEY, "the stated value of those, pounds" },
};
static const struct mcol brokered_cols[] = {
        { "week", MCOL_DATE, "the Monday starting the week (UK time)" },
        { "opportunities", MCOL_INT, "opportunities brokered that week (see basis)" },
        { "value", MCOL_MONEY, "their stated value, pounds" },
        { "cumulative_value", MCOL_MONEY, "brokered since 1 January of the period's year, to the week's end" },
        { "target", MCOL_MONEY, "the year's target ([impact] target), pounds" },
};
static const struct mcol opportunity_cols[] = {
        { "opportunity", MCOL_INT, "its id in the store (bidbroker show ID)" },
        { "title", MCOL_TEXT, "its title" },
        { "buyer", MCOL_TEXT, "the buyer" },
        { "source", MCOL_TEXT, "where it came from: fts, cf, a feed's name, anchor:NAME" },
        { "value", MCOL_MONEY, "its stated value, pounds (empty: not stated)" },
        { "brokered", MCOL_DATE, "the day it was first brokered in the period (UK time)" },
        { "members", MCOL_INT, "how many members it was brokered to in the period" },
        { "member_ids", MCOL_TEXT, "those members, space-separated" },
};
static const struct mcol consortium_cols[] = {
        { "opportunity", MCOL_INT, "its id in the store (bidbroker explain ID --consortia)" },
        { "title", MCOL_TEXT, "its title" },
        { "buyer", MCOL_TEXT, "the buyer" },
        { "value", MCOL_MONEY, "its stated value, pounds (empty: not stated)" },
        { "deadline", MCOL_DATE, "its deadline (UK date; empty: not stated)" },
        { "verdict", MCOL_TEXT, "consortium: no one member covers it, sets of members do; "
          "no cover: the cluster lacks a capability it needs" },
        { "suggestions", MCOL_INT, "how many sets of members were suggested" },
        { "members", MCOL_TEXT, "the set proposed first, space-separated" },
        { "lead", MCOL_TEXT, "its proposed lead" },
        { "missing", MCOL_TEXT, "capabilities no member covers (no cover), space-separated" },
        { "still_needed", MCOL_TEXT, "what the notice asks for (accreditations, checks, "
          "insurance) that the first set's partners do not hold: its readiness checklist" },
};
static const struct mcol member_cols[] = {
        { "member", MCOL_TEXT, "member id (its file's name)" },
        { "name", MCOL_TEXT, "member name" },
        { "cluster", MCOL_TEXT, "cluster" },
        { "opportunities", MCOL_INT, "opportunities brokered to it in the period" },
        { "value", MCOL_MONEY, "their stated value, pounds" },
        { "interested", MCOL_INT, "'interested' clicks it gave in the period" },
        { "not_relevant", MCOL_INT, "'not relevant' clicks it gave in the period" },
        { "last", MCOL_DATE, "the last day something was brokered to it in the period" },
};
static const struct mcol gap_cols[] = {
        { "member", MCOL_TEXT, "member id (its file's name)" },
        { "name", MCOL_TEXT, "member name" },
        { "cluster", MCOL_TEXT, "cluster" },
        { "capabilities", MCOL_TEXT, "its capabilities (taxonomy ids), space-separated" },
        { "regions", MCOL_TEXT, "the regions it works in, space-separated (empty: anywhere)" },
};
static const struct mcol feedback_cols[] = {
        { "capability", MCOL_TEXT, "the capability the match reason names" },
        { "kind", MCOL_TEXT, "the reason's kind: cpv, rule or member_rule (bidbroker explain)" },
        { "rule", MCOL_TEXT, "the rule, or the CPV prefix, that matched" },
        { "interested", MCOL_INT, "'interested' clicks (all so far) on matches with this reason" },
        { "not_relevant", MCOL_INT, "'not relevant' clicks (all so far) on matches with this reason" },
        { "precision", MCOL_RATIO, "interested / (interested + not_relevant)" },
};
static const struct mcol win_cols[] = {
        { "date", MCOL_DATE, "the award's date (else its publication)" },
        { "member", MCOL_TEXT, "the member, when it agreed to be named (report_name = yes)" },
        { "cluster", MCOL_TEXT, "its cluster" },
        { "buyer", MCOL_TEXT, "the buyer" },
        { "title", MCOL_TEXT, "the award's title" },
        { "value", MCOL_MONEY, "the value awarded, pounds" },
        { "tendered", MCOL_TEXT, "yes: the award of a tender bidbroker saw; no: a direct award" },
        { "matched", MCOL_DATE, "when bidbroker matched the tender to the member, if it did" },
        { "sent", MCOL_DATE, "when a digest carried it to the member, if one did" },
};

static char *
join_strv(const struct strv *v)
{
        struct buf b;

        buf_init(&b);
        for (size_t i = 0; i < v->n; i++)
                buf_printf(&b, "%s%s", i ? " " : "", v->v[i]);
        buf_addc(&b, '\0');
        return buf_steal(&b);
}

/* The Mondays (UK midnight) starting the weeks that meet [from, to). */
static size_t
weeks_of(int64_t from, int64_t to, int64_t **ret)
{
        size_t n = 0, cap = 8;
        int64_t *w = xmalloc(cap * sizeof(*w));

        for (int64_t t = time_uk_week_start(from); n == 0 || t < to;
             t = time_uk_week_start(t + 7 * 86400 + 12 * 3600)) {
                if (n == cap)
                        w = xreallocarray(w, cap *= 2, sizeof(*w));
                w[n++] = t;
        }
        *ret = w;
        return n;
}

static void
data_done(struct staff_data *d)
{
        for (size_t i = 0; i < T__N; i++)
                mtable_done(&d->t[i]);
        impact_measures_done(&d->sum);
        free(d->weeks);
}

static struct impact_query
query_of(struct http_server *h, int64_t from, int64_t to, unsigned parts)
{
        struct impact_query q = { .parts = parts, .low_value_cap = h->max_value,
                                  .year_target = h->target };

        q.period.kind = PERIOD_MONTH;
        q.period.from = from;
        q.period.to = to;
        q.scope.kind = "overall";
        return q;
}

/* found and brokered, one impact_measure (opportunities only) per week */
static int
load_weeks(struct http_server *h, struct staff_data *d, struct err *e)
{
        struct mtable *f = &d->t[T_FOUND], *b = &d->t[T_BROKERED];
        int y;
        int64_t year;
        int r = 0;

        uk_date(d->p.from, &y, NULL, NULL);
        year = time_from_uk_local(y, 1, 1, 0, 0, 0);
        for (size_t w = 0; r == 0 && w < d->nweeks; w++) {
                int64_t lo = d->weeks[w] > d->p.from ? d->weeks[w] : d->p.from;
                int64_t hi = w + 1 < d->nweeks && d->weeks[w + 1] < d->p.to ? d->weeks[w + 1]
                                                                            : d->p.to;
                struct impact_query q = query_of(h, lo, hi, IMPACT_OPPORTUNITIES);
                struct impact_measures m, cum;
                struct mcell *row;

                if ((r = impact_measure(h->store, &q, &m, e)) < 0)
                        break;
                for (size_t i = 0; i < m.nby_source; i++) {
                        row = table_row(f);
                        row[0].i = d->weeks[w];
                        row[1].s = xstrdup(m.by_source[i].key);
                        row[2].i = m.by_source[i].n;
                        row[3].i = m.by_source[i].n2;
                        row[4].i = m.by_source[i].value2;
                }
                q = query_of(h, lo < year ? lo : year, hi, IMPACT_OPPORTUNITIES);
                if ((r = impact_measure(h->store, &q, &cum, e)) == 0) {
                        row = table_row(b);
                        row[0].i = d->weeks[w];
                        row[1].i = m.brokered;
                        row[2].i = m.brokered_value;
                        row[3].i = cum.brokered_value;
                        row[4].i = d->target;
                        impact_measures_done(&cum);
                }
                impact_measures_done(&m);
        }
        return r;
}

static int
add_opportunity(const struct impact_brokered *o, void *arg)
{
        struct mcell *row = table_row(arg);

        row[0].i = o->id;
        row[1].s = xstrdup(o->title);
        row[2].s = xstrdup(o->buyer);
        row[3].s = xstrdup(o->source);
        row[4].i = o->value;
        row[5].i = o->first;
        row[6].i = o->members;
        row[7].s = xstrdup(o->member_ids);
        return 0;
}

static int
add_consortium(const struct impact_consortium *c, void *arg)
{
        struct mcell *row = table_row(arg);

        row[0].i = c->id;
        row[1].s = xstrdup(c->title);
        row[2].s = xstrdup(c->buyer);
        row[3].i = c->value;
        row[4].i = c->deadline;
        row[5].s = xstrdup(c->verdict);
        row[6].i = c->sets;
        row[7].s = xstrdup(c->members);
        row[8].s = xstrdup(c->lead);
        row[9].s = xstrdup(c->missing);
        row[10].s = xstrdup(c->still_needed);
        return 0;
}

/* The row of member id in t (members table), added when missing. */
static struct mcell *
member_row(struct mtable *t, const char *id)
{
        struct mcell *row;

        for (size_t i = 0; i < t->nrows; i++)
                if (strcmp(row_at(t, i)[0].s, id) == 0)
                        return row_at(t, i);
        row = table_row(t);
        row[0].s = xstrdup(id);
        row[3].i = row[4].i = row[5].i = row[6].i = 0;
        return row;
}

static int
add_member(const struct impact_member *m, void *arg)
{
        struct mcell *row = member_row(arg, m->member);

        row[3].i = m->brokered;
        row[4].i = m->value;
        row[5].i = m->interested;
        row[6].i = m->not_relevant;
        row[7].i = m->last;
        return 0;
}

static int
cmp_member_rows(const struct mcell *a, const struct mcell *b)
{
        if (a[3].i != b[3].i)
                return a[3].i > b[3].i ? -1 : 1;
        return strcmp(a[0].s, b[0].s);
}

/* members: every member of the register, and any other id with figures;
 * gaps: the register's members brokered nothing */
static int
load_members(struct http_server *h, struct staff_data *d, struct err *e)
{
        struct mtable *t = &d->t[T_MEMBERS], *g = &d->t[T_GAPS];
        const struct member_register *reg = h->members;
        struct impact_query q = query_of(h, d->p.from, d->p.to, 0);
        int r;

        for (size_t i = 0; reg != NULL && i < reg->n; i++) {
                struct mcell *row = member_row(t, reg->members[i].id);

                row[1].s = xstrdup(reg->members[i].name);
                row[2].s = xstrdup(reg->members[i].cluster);
        }
        if ((r = impact_members_each(h->store, &q, add_member, t, e)) < 0)
                return r;
        for (size_t i = 1; i < t->nrows; i++)       /* most first, then by id */
                for (size_t j = i; j > 0 && cmp_member_rows(row_at(t, j - 1),
                                                            row_at(t, j)) > 0; j--) {
                        struct mcell tmp[ARRAY_SIZE(member_cols)];

                        memcpy(tmp, row_at(t, j - 1), sizeof(tmp));
                        memcpy(row_at(t, j - 1), row_at(t, j), sizeof(tmp));
                        memcpy(row_at(t, j), tmp, sizeof(tmp));
                }
        if (reg == NULL)
                g->note = xstrdup("no member register is configured ([match] members)");
        for (size_t i = 0; reg != NULL && i < reg->n; i++) {
                const struct member *mem = &reg->members[i];
                struct mcell *row;

                if (member_row(t, mem->id)[3].i > 0)
                        continue;
                row = table_row(g);
                row[0].s = xstrdup(mem->id);
                row[1].s = xstrdup(mem->name);
                row[2].s = xstrdup(mem->cluster);
                row[3].s = join_strv(&mem->capabilities);
                row[4].s = join_strv(&mem->regions);
        }
        return 0;
}

static int
add_rule(const struct feedback_rule *f, void *arg)
{
        struct mcell *row = table_row(arg);

        row[0].s = xstrdup(f->capability ? f->capability : "");
        row[1].s = xstrdup(f->kind ? f->kind : "");
        row[2].s = xstrdup(f->rule ? f->rule : "");
        row[3].i = f->interested;
        row[4].i = f->not_relevant;
        row[5].d = f->interested + f->not_relevant > 0
                   ? (double)f->interested / (double)(f->interested + f->not_relevant) : NAN;
        return 0;
}

static void
load_wins(struct staff_data *d)
{
        for (size_t i = 0; i < d->sum.nwins; i++) {
                const struct impact_win *w = &d->sum.winlist[i];
                struct mcell *row = table_row(&d->t[T_WINS]);

                row[0].i = w->date;
                row[1].s = xstrdup(w->named ? w->member_id : "");
                row[2].s = xstrdup(w->cluster);
                row[3].s = xstrdup(w->buyer);
                row[4].s = xstrdup(w->title);
                row[5].i = w->value;
                row[6].s = xstrdup(w->tender != 0 ? "yes" : "no");
                row[7].i = w->matched_at;
                row[8].i = w->sent_at;
        }
}

static int
data_load(struct http_server *h, struct staff_data *d, struct err *e)
{
        struct impact_query q = query_of(h, d->p.from, d->p.to, IMPACT_OPPORTUNITIES |
                                         IMPACT_FEEDBACK | IMPACT_AWARDS);
        struct strv named;
        const char *basis;
        int r;

        table_init(&d->t[T_FOUND], "found", "Opportunities found per week, by source",
                   found_cols, ARRAY_SIZE(found_cols));
        table_init(&d->t[T_BROKERED], "brokered", "Value brokered against the target",
                   brokered_cols, ARRAY_SIZE(brokered_cols));
        table_init(&d->t[T_OPPS], "opportunities", "Opportunities brokered", opportunity_cols,
                   ARRAY_SIZE(opportunity_cols));
        table_init(&d->t[T_MEMBERS], "members", "Opportunities brokered per member",
                   member_cols, ARRAY_SIZE(member_cols));
        table_init(&d->t[T_GAPS], "gaps", "Members brokered nothing (capability gaps)",
                   gap_cols, ARRAY_SIZE(gap_cols));
        table_init(&d->t[T_FEEDBACK], "feedback", "Feedback per rule (precision)",
                   feedback_cols, ARRAY_SIZE(feedback_cols));
        table_init(&d->t[T_WINS], "wins", "Wins: awards to members", win_cols,
                   ARRAY_SIZE(win_cols));
        table_init(&d->t[T_CONSORTIA], "consortia", "Consortium suggestions",
                   consortium_cols, ARRAY_SIZE(consortium_cols));
        d->t[T_CONSORTIA].note = xstrdup("opportunities of the period no single member "
                                         "covers: who could bid together, or what the "
                                         "cluster lacks; soonest deadline first");
        d->t[T_FEEDBACK].note = xstrdup("all the feedback recorded so far, not only this "
                                        "period's; the rules most often not relevant first");
        strv_init(&named);
        for (size_t i = 0; h->members != NULL && i < h->members->n; i++)
                if (h->members->members[i].report_name)
                        strv_add(&named, h->members->members[i].id);
        q.named = &named;
        r = impact_measure(h->store, &q, &d->sum, e);
        strv_done(&named);
        if (r < 0)
                return r;
        basis = strcmp(d->sum.basis, "sent") == 0
                ? "brokered: sent to a member in a digest"
                : "brokered: matched to a member (this store records no digests sent yet)";
        d->t[T_BROKERED].note = xstrdup(basis);
        d->t[T_OPPS].note = xstrdup(basis);
        d->t[T_WINS].note = xstrdup("members who did not agree to be named (report_name) are "
                                    "counted, their name left out");
        load_wins(d);
        q.named = NULL;
        d->nweeks = weeks_of(d->p.from, d->p.to, &d->weeks);
        if ((r = load_weeks(h, d, e)) < 0 ||
            (r = impact_brokered_each(h->store, &q, add_opportunity, &d->t[T_OPPS], e)) < 0 ||
            (r = load_members(h, d, e)) < 0 ||
            (r = feedback_by_rule(h->store, NULL, add_rule, &d->t[T_FEEDBACK], e)) < 0 ||
            (r = impact_consortia_each(h->store, &q, add_consortium, &d->t[T_CONSORTIA],
                                       e)) < 0)
                return r;
        return 0;
}

/* The current month's label, "2026-11". */
static void
this_month(char *out, size_t len)
{
        int y, m;

        uk_date((int64_t)time(NULL), &y, &m, NULL);
        snprintf(out, len, "%04d-%02d", y, m);
}

/* ?period=: false when it is not valid (the answer is queued). */
static bool
period_of(struct http_server *h, struct req *rq, struct impact_period *p,
          enum MHD_Result *ret)
{
        const char *s = MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, "period");
        char now[16];

        if (s == NULL || *s == '\0') {
                this_month(now, sizeof(now));
                s = now;
        }
        if (impact_period_parse(s, p) == 0)
                return true;
        *ret = error_page(h, rq, 400, "Bad period", "period: not a month (2026-11), a quarter "
                          "(2026-Q4) or a year (2026), from 1990 to 2200.", NULL);
        return false;
}

/* ======================================================================
 * CSV
 * ====================================================================== */

static void
table_csv(struct buf *b, const struct mtable *t)
{
        struct buf f;

        buf_init(&f);
        for (size_t c = 0; c < t->ncols; c++) {
                buf_adds(b, c ? "," : "");
                buf_adds(b, t->cols[c].name);
        }
        buf_adds(b, "\r\n");
        for (size_t r = 0; r < t->nrows; r++) {
                for (size_t c = 0; c < t->ncols; c++) {
                        buf_reset(&f);
                        cell_csv(&f, &t->cols[c], mtable_cell(t, r, c));
                        buf_addc(&f, '\0');
                        buf_adds(b, c ? "," : "");
                        csv_put_cell(b, f.data);
                }
                buf_adds(b, "\r\n");
        }
        buf_done(&f);
}

static enum MHD_Result
staff_csv(struct http_server *h, struct req *rq, const char *name, struct staff_data *d)
{
        char disp[128];
        struct buf b;

        for (size_t i = 0; i < T__N; i++) {
                size_t n = strlen(d->t[i].name);

                if (strncmp(name, d->t[i].name, n) != 0 || strcmp(name + n, ".csv") != 0)
                        continue;
                snprintf(disp, sizeof(disp), "attachment; filename=\"bidbroker-%s-%s.csv\"",
                         d->t[i].name, d->p.label);
                {
                        const char *hdr[] = { "Content-Disposition", disp, NULL };

                        buf_init(&b);
                        table_csv(&b, &d->t[i]);
                        buf_addc(&b, '\0');
                        return http_reply(h, rq, 200, "text/csv; charset=utf-8; header=present",
                                          buf_steal(&b), hdr);
                }
        }
        buf_init(&b);
        buf_adds(&b, "The tables are");
        for (size_t i = 0; i < T__N; i++)
                buf_printf(&b, "%s %s.csv", i == 0 ? "" : i + 1 == T__N ? " and" : ",",
                           d->t[i].name);
        buf_addc(&b, '.');
        buf_addc(&b, '\0');
        {
                enum MHD_Result ret = error_page(h, rq, 404, "No such table", b.data, NULL);

                buf_done(&b);
                return ret;
        }
}

/* ======================================================================
 * The page
 * ====================================================================== */

static void
table_html(struct buf *b, const struct mtable *t, const struct impact_period *p)
{
        struct buf f;

        buf_init(&f);
        if (t->note != NULL) {
                buf_adds(b, "<p class=\"note\">");
                esc(b, t->note);
                buf_adds(b, ".</p>");
        }
        buf_printf(b, "<div class=\"scroll\"><table id=\"table-%s\"><thead><tr>", t->name);
        for (size_t c = 0; c < t->ncols; c++) {
                buf_printf(b, "<th scope=\"col\" title=\"");
                esc(b, t->cols[c].doc);
                buf_printf(b, "\">%s</th>", t->cols[c].name);
        }
        buf_adds(b, "</tr></thead><tbody>");
        for (size_t r = 0; r < t->nrows; r++) {
                buf_adds(b, "<tr>");
                for (size_t c = 0; c < t->ncols; c++) {
                        const struct mcell *cell = mtable_cell(t, r, c);

                        buf_reset(&f);
                        cell_csv(&f, &t->cols[c], cell);
                        buf_addc(&f, '\0');
                        buf_printf(b, "<td%s data-v=\"", t->cols[c].kind == MCOL_TEXT ||
                                   t->cols[c].kind == MCOL_DATE ? "" : " class=\"n\"");
                        esc(b, f.data);
                        buf_adds(b, "\">");
                        cell_html(b, &t->cols[c], cell);
                        buf_adds(b, "</td>");
                }
                buf_adds(b, "</tr>");
        }
        if (t->nrows == 0)
                buf_printf(b, "<tr><td colspan=\"%zu\">nothing in this period</td></tr>",
                           t->ncols);
        buf_printf(b, "</tbody></table></div><p><a href=\"/staff/%s.csv?period=%s\" "
                   "download>Download as CSV</a></p><details><summary>Columns</summary><dl>",
                   t->name, p->label);
        for (size_t c = 0; c < t->ncols; c++) {
                buf_printf(b, "<dt>%s</dt><dd>", t->cols[c].name);
                esc(b, t->cols[c].doc);
                buf_adds(b, "</dd>");
        }
        buf_adds(b, "</dl></details>");
        buf_done(&f);
}

/* "3 Nov": a week's label. */
static char *
week_label(int64_t t)
{
        int y, m, d;

        uk_date(t, &y, &m, &d);
        return xasprintf("%d %s", d, month_abbr[m - 1]);
}

static void
chart_found(struct buf *b, const struct staff_data *d)
{
        const struct mtable *t = &d->t[T_FOUND];
        struct strv sources;
        int64_t *weeks;
        size_t nw = weeks_of(d->p.from, d->p.to, &weeks);
        char **labels = xcalloc(nw, sizeof(*labels));
        double *v;
        struct svg_series *s;

        strv_init(&sources);
        for (size_t r = 0; r < t->nrows; r++)
                strv_add_unique(&sources, mtable_cell(t, r, 1)->s);
        strv_sort(&sources);
        v = xcalloc((sources.n ? sources.n : 1) * nw, sizeof(*v));
        s = xcalloc(sources.n ? sources.n : 1, sizeof(*s));
        for (size_t i = 0; i < sources.n; i++)
                s[i] = (struct svg_series){ sources.v[i], v + i * nw };
        for (size_t r = 0; r < t->nrows; r++) {
                size_t w = 0, i = 0;

                while (w + 1 < nw && weeks[w] != mtable_cell(t, r, 0)->i)
                        w++;
                while (i + 1 < sources.n && strcmp(sources.v[i], mtable_cell(t, r, 1)->s) != 0)
                        i++;
                v[i * nw + w] += (double)mtable_cell(t, r, 2)->i;
        }
        for (size_t w = 0; w < nw; w++)
                labels[w] = week_label(weeks[w]);
        svg_bars(b, &(struct svg_chart){
                .id = "chart-found", .title = "Opportunities found per week, by source",
                .desc = "Stacked bars: for each week of the period (by its Monday), the "
                        "opportunities first stored, one colour per source. The table "
                        "below has the figures.",
                .labels = (const char *const *)labels, .n = nw, .series = s,
                .nseries = sources.n, .fmt = SVG_COUNT, .target = -1 });
        for (size_t w = 0; w < nw; w++)
                free(labels[w]);
        free(labels);
        free(v);
        free(s);
        free(weeks);
        strv_done(&sources);
}

static void
chart_brokered(struct buf *b, const struct staff_data *d)
{
        const struct mtable *t = &d->t[T_BROKERED];
        char **labels = xcalloc(t->nrows ? t->nrows : 1, sizeof(*labels));
        double *v = xcalloc(t->nrows ? t->nrows : 1, sizeof(*v));
        struct svg_series s = { "value brokered this year", v };

        for (size_t r = 0; r < t->nrows; r++) {
                labels[r] = week_label(mtable_cell(t, r, 0)->i);
                v[r] = (double)mtable_cell(t, r, 3)->i;
        }
        svg_bars(b, &(struct svg_chart){
                .id = "chart-brokered", .title = "Value brokered, cumulative, against the target",
                .desc = strcmp(d->sum.basis, "sent") == 0
                        ? "Bars: the stated value of the opportunities sent to members "
                          "since 1 January, at the end of each week of the period; dashed "
                          "line: the year's target."
                        : "Bars: the stated value of the opportunities matched to members "
                          "since 1 January, at the end of each week of the period; dashed "
                          "line: the year's target.",
                .labels = (const char *const *)labels, .n = t->nrows, .series = &s,
                .nseries = 1, .fmt = SVG_MONEY, .target = (double)d->target,
                .target_label = "the year's target" });
        for (size_t r = 0; r < t->nrows; r++)
                free(labels[r]);
        free(labels);
        free(v);
}

/* Members with matches, most first (the table's order), at most 25. */
static void
chart_members(struct buf *b, const struct staff_data *d)
{
        const struct mtable *t = &d->t[T_MEMBERS];
        size_t n = 0;
        const char **labels = xcalloc(t->nrows ? t->nrows : 1, sizeof(*labels));
        double *v = xcalloc(t->nrows ? t->nrows : 1, sizeof(*v));
        struct svg_series s = { "opportunities", v };

        for (size_t r = 0; r < t->nrows && n < 25; r++) {
                if (mtable_cell(t, r, 3)->i <= 0)
                        break;
                labels[n] = mtable_cell(t, r, 0)->s;
                v[n++] = (double)mtable_cell(t, r, 3)->i;
        }
        if (n > 0)
                svg_hbars(b, &(struct svg_chart){
                        .id = "chart-members", .title = "Matches per member",
                        .desc = "Horizontal bars: the opportunities first matched to each "
                                "member in the period, most first (at most 25 members; the "
                                "table has every member).",
                        .labels = labels, .n = n, .series = &s, .nseries = 1,
                        .fmt = SVG_COUNT, .target = -1 });
        free(labels);
        free(v);
}

/* Rules with feedback, noisiest first, at most 20: interested and not
 * relevant stacked. */
static void
chart_feedback(struct buf *b, const struct staff_data *d)
{
        const struct mtable *t = &d->t[T_FEEDBACK];
        size_t n = t->nrows < 20 ? t->nrows : 20;
        char **labels = xcalloc(n ? n : 1, sizeof(*labels));
        double *v = xcalloc(n ? n * 2 : 1, sizeof(*v));
        struct svg_series s[2] = { { "interested", v }, { "not relevant", v + n } };

        for (size_t r = 0; r < n; r++) {
                const char *cap = mtable_cell(t, r, 0)->s, *rule = mtable_cell(t, r, 2)->s;

                labels[r] = xasprintf("%s%s%s", cap, *cap && *rule ? ": " : "", rule);
                v[r] = (double)mtable_cell(t, r, 3)->i;
                v[n + r] = (double)mtable_cell(t, r, 4)->i;
        }
        if (n > 0)
                svg_hbars(b, &(struct svg_chart){
                        .id = "chart-feedback", .title = "Feedback per rule",
                        .desc = "Stacked horizontal bars: for each matching rule (capability "
                                "and rule), the members' clicks on matches it made: "
                                "interested, then not relevant. Noisiest rules first.",
                        .labels = (const char *const *)labels, .n = n, .series = s,
                        .nseries = 2, .fmt = SVG_COUNT, .target = -1 });
        for (size_t r = 0; r < n; r++)
                free(labels[r]);
        free(labels);
        free(v);
}

/* A period for people: "November 2026", "Q4 2026 (Oct to Dec)", "2026". */
static void
period_title(char *out, size_t len, const struct impact_period *p)
{
        int y = atoi(p->label), n = p->kind == PERIOD_YEAR ? 0 : atoi(p->label + 5 +
                                                               (p->kind == PERIOD_QUARTER));

        if (p->kind == PERIOD_MONTH)
                snprintf(out, len, "%s %d", month_name[n - 1], y);
        else if (p->kind == PERIOD_QUARTER)
                snprintf(out, len, "Q%d %d (%s to %s)", n, y, month_abbr[(n - 1) * 3],
                         month_abbr[(n - 1) * 3 + 2]);
        else
                snprintf(out, len, "%d", y);
}

/* The period of the same kind delta steps away. */
static void
period_step(const struct impact_period *p, int delta, struct impact_period *out)
{
        int y = atoi(p->label), n, per, k;
        char label[24];

        if (p->kind == PERIOD_YEAR) {
                snprintf(label, sizeof(label), "%04d", y + delta);
        } else {
                per = p->kind == PERIOD_MONTH ? 12 : 4;
                n = atoi(p->label + 5 + (p->kind == PERIOD_QUARTER));
                k = y * per + (n - 1) + delta;
                if (p->kind == PERIOD_MONTH)
                        snprintf(label, sizeof(label), "%04d-%02d", k / per, k % per + 1);
                else
                        snprintf(label, sizeof(label), "%04d-Q%d", k / per, k % per + 1);
        }
        if (impact_period_parse(label, out) < 0)
                *out = *p;              /* past 1990..2200: stay */
}

static void
option(struct buf *b, const struct impact_period *o, const struct impact_period *sel)
{
        char t[64];

        period_title(t, sizeof(t), o);
        buf_printf(b, "<option value=\"%s\"%s>%s</option>", o->label,
                   strcmp(o->label, sel->label) == 0 ? " selected" : "", t);
}

/* The period selector: the last 12 months, 8 quarters and 3 years, the one
 * shown among them, previous and next links. */
static void
nav(struct buf *b, const struct impact_period *p)
{
        struct impact_period now, o, prev, next;
        char label[16];
        bool listed = false;

        this_month(label, sizeof(label));
        impact_period_parse(label, &now);
        buf_adds(b, "<nav><form method=\"get\" action=\"/staff\"><label>Period "
                 "<select name=\"period\"><optgroup label=\"Months\">");
        for (int i = 0; i < 12; i++) {
                period_step(&now, -i, &o);
                listed |= strcmp(o.label, p->label) == 0;
                option(b, &o, p);
        }
        buf_adds(b, "</optgroup><optgroup label=\"Quarters\">");
        impact_period_quarter_of(now.from, &now);
        for (int i = 0; i < 8; i++) {
                period_step(&now, -i, &o);
                listed |= strcmp(o.label, p->label) == 0;
                option(b, &o, p);
        }
        buf_adds(b, "</optgroup><optgroup label=\"Years\">");
        snprintf(label, sizeof(label), "%.4s", now.label);
        impact_period_parse(label, &now);
        for (int i = 0; i < 3; i++) {
                period_step(&now, -i, &o);
                listed |= strcmp(o.label, p->label) == 0;
                option(b, &o, p);
        }
        buf_adds(b, "</optgroup>");
        if (!listed)
                option(b, p, p);
        period_step(p, -1, &prev);
        period_step(p, 1, &next);
        buf_printf(b, "</select></label> <button type=\"submit\">Show</button></form> "
                   "<a href=\"/staff?period=%s\" rel=\"prev\">&larr; %s</a>"
                   "<a href=\"/staff?period=%s\" rel=\"next\">%s &rarr;</a></nav>",
                   prev.label, prev.label, next.label, next.label);
}

static void
figure_item(struct buf *b, const char *label, const char *value)
{
        buf_adds(b, "<div><dt>");
        esc(b, label);
        buf_adds(b, "</dt><dd>");
        esc(b, value);
        buf_adds(b, "</dd></div>");
}

static void
figures(struct buf *b, const struct staff_data *d, const struct member_register *reg)
{
        const struct impact_measures *m = &d->sum;
        const struct mtable *br = &d->t[T_BROKERED];
        int64_t cum = br->nrows ? mtable_cell(br, br->nrows - 1, 3)->i : 0;
        int64_t yes = 0, no = 0;
        char m1[HUMAN_MONEY_MAX], m2[HUMAN_MONEY_MAX], v[200];
        bool sent = strcmp(m->basis, "sent") == 0;

        for (size_t i = 0; i < m->nfeedback; i++) {
                if (strcmp(m->feedback[i].key, FEEDBACK_INTERESTED) == 0)
                        yes = m->feedback[i].n;
                else if (strcmp(m->feedback[i].key, FEEDBACK_NOT_RELEVANT) == 0)
                        no = m->feedback[i].n;
        }
        buf_adds(b, "<dl class=\"figures\">");
        snprintf(v, sizeof(v), "%" PRId64 " (%" PRId64 " low value, %s)", m->found,
                 m->low_value, human_money(m->low_value_value, "GBP", m1, sizeof(m1)));
        figure_item(b, "Opportunities found", v);
        snprintf(v, sizeof(v), "%s (%" PRId64 " opportunities) of %s for the period (%.1f%%)",
                 human_money(m->brokered_value, "GBP", m1, sizeof(m1)), m->brokered,
                 human_money(m->target, "GBP", m2, sizeof(m2)),
                 m->target > 0 ? 100.0 * (double)m->brokered_value / (double)m->target : 0.0);
        figure_item(b, sent ? "Value brokered (sent)" : "Value brokered (matched)", v);
        snprintf(v, sizeof(v), "%s of %s (%.1f%%)", human_money(cum, "GBP", m1, sizeof(m1)),
                 human_money(d->target, "GBP", m2, sizeof(m2)),
                 d->target > 0 ? 100.0 * (double)cum / (double)d->target : 0.0);
        figure_item(b, "This year to the period's end, against the year's target", v);
        if (reg != NULL)
                snprintf(v, sizeof(v), "%" PRId64 " of %zu", sent ? m->members_alerted
                         : m->members_matched, reg->n);
        else
                snprintf(v, sizeof(v), "%" PRId64, sent ? m->members_alerted
                         : m->members_matched);
        figure_item(b, sent ? "Members alerted" : "Members matched", v);
        if (yes + no > 0)
                snprintf(v, sizeof(v), "%" PRId64 " interested, %" PRId64 " not relevant "
                         "(%.0f%% interested)", yes, no, 100.0 * (double)yes / (double)(yes + no));
        else
                snprintf(v, sizeof(v), "none in this period");
        figure_item(b, "Feedback", v);
        if (m->have_consortia) {
                snprintf(v, sizeof(v), "%" PRId64, m->consortium_suggestions);
                figure_item(b, "Consortium suggestions", v);
        }
        snprintf(v, sizeof(v), "%" PRId64 " wins, %s, of %" PRId64 " awards (%s)", m->wins,
                 human_money(m->wins_value, "GBP", m1, sizeof(m1)), m->awards,
                 human_money(m->awards_value, "GBP", m2, sizeof(m2)));
        figure_item(b, "Won by members", v);
        buf_adds(b, "</dl>");
}

static void
section(struct buf *b, const char *id, const char *title)
{
        buf_printf(b, "<section id=\"%s\"><h2>", id);
        esc(b, title);
        buf_adds(b, "</h2>");
}

static enum MHD_Result
staff_html(struct http_server *h, struct req *rq, struct staff_data *d,
           const struct web_session *ws)
{
        char title[96], pt[64];
        struct buf b;

        period_title(pt, sizeof(pt), &d->p);
        snprintf(title, sizeof(title), "Brokerage dashboard: %s", pt);
        buf_init(&b);
        page_start(&b, title, ws);
        buf_adds(&b, "<h1>");
        esc(&b, title);
        buf_adds(&b, "</h1>");
        nav(&b, &d->p);
        figures(&b, d, h->members);

        section(&b, "found", d->t[T_FOUND].title);
        chart_found(&b, d);
        table_html(&b, &d->t[T_FOUND], &d->p);
        buf_adds(&b, "</section>");

        section(&b, "brokered", d->t[T_BROKERED].title);
        chart_brokered(&b, d);
        table_html(&b, &d->t[T_BROKERED], &d->p);
        buf_adds(&b, "</section>");

        section(&b, "opportunities", d->t[T_OPPS].title);
        table_html(&b, &d->t[T_OPPS], &d->p);
        buf_adds(&b, "</section>");

        section(&b, "members", d->t[T_MEMBERS].title);
        chart_members(&b, d);
        table_html(&b, &d->t[T_MEMBERS], &d->p);
        buf_adds(&b, "</section>");

        section(&b, "feedback", d->t[T_FEEDBACK].title);
        chart_feedback(&b, d);
        table_html(&b, &d->t[T_FEEDBACK], &d->p);
        buf_adds(&b, "</section>");

        section(&b, "gaps", d->t[T_GAPS].title);
        table_html(&b, &d->t[T_GAPS], &d->p);
        buf_adds(&b, "</section>");

        section(&b, "wins", d->t[T_WINS].title);
        table_html(&b, &d->t[T_WINS], &d->p);
        buf_adds(&b, "</section>");

        section(&b, "consortia", d->t[T_CONSORTIA].title);
        if (d->sum.have_consortia)
                buf_printf(&b, "<p>%" PRId64 " opportunities of this period could be bid for "
                           "by a consortium; <code>bidbroker explain ID --consortia</code> "
                           "shows who covers what, why, and the readiness checklist.</p>",
                           d->sum.consortium_suggestions);
        else
                buf_adds(&b, "<p class=\"note\">Consortium suggestions are not stored yet: "
                         "the daemon's matching pass stores them (<code>[consortium]</code>); "
                         "<code>bidbroker explain ID --consortia</code> shows who could bid "
                         "together for one opportunity.</p>");
        table_html(&b, &d->t[T_CONSORTIA], &d->p);
        buf_adds(&b, "</section>");
        return html_reply(h, rq, 200, &b, NULL);
}

enum MHD_Result
staff_page(struct http_server *h, struct req *rq, const char *csv)
{
        struct staff_data d = { 0 };
        struct web_session ws = { 0 };
        struct err e = { 0 };
        enum MHD_Result ret;

        if (strcmp(rq->method, "POST") == 0)
                return csv != NULL ? staff_post(h, rq, csv)
                                   : error_page(h, rq, 404, "Not found", "There is no such "
                                                "page.", NULL);
        if (csv != NULL && (strcmp(csv, "login") == 0 || strcmp(csv, "logout") == 0))
                return redirect(h, rq, NULL);
        if (!staff_allowed(h, rq, &ws, &ret) || !period_of(h, rq, &d.p, &ret))
                goto out;
        d.target = h->target;
        if (data_load(h, &d, &e) < 0) {
                log_warnx("http: staff dashboard: %s", e.msg);
                ret = error_page(h, rq, 503, "Store unavailable", e.msg, NULL);
        } else if (csv != NULL) {
                ret = staff_csv(h, rq, csv, &d);
        } else {
                ret = staff_html(h, rq, &d, &ws);
        }
        data_done(&d);
out:
        http_session_done(&ws);
        return ret;
}
