/*
 * web.c — /post: the anchors' posting form, for procurement officers
 * without an API client.  Server-side HTML only (no JavaScript), readable
 * on a phone, every value escaped (text_html_escape).
 *
 *   GET  /post                 sign-in (paste the API token), or the form
 *   POST /post/login           the token checked as a Bearer token is; a
 *                              session cookie set
 *   POST /post                 a posting: the form's fields as the API's
 *                              JSON object, checked by the same code
 *                              (posting_validate); errors beside the fields,
 *                              what was typed kept; success 303 to its page
 *   GET  /post/mine            the anchor's postings, withdraw buttons
 *   GET  /post/{id}            one posting: what was posted, what happens next
 *   POST /post/withdraw        withdraw posting id (a page asks first)
 *   POST /post/logout          sign out
 *
 * Sessions (websession.c, shared with /staff): a cookie of 256 random
 * bits, only its hash stored with the token's (revoking the token ends the
 * session), for SESSION_S; HttpOnly, SameSite=Strict, Path=/post, Secure
 * behind https.  Every POST but the sign-in carries the session's CSRF
 * token in a hidden field: missing or wrong is 403.  Failed sign-ins are
 * limited to LOGIN_RATE a minute per client address (429 with
 * Retry-After).  A form sent after its session ended is kept: the sign-in
 * page carries it and
 * shows it again once signed in.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>

#include "bidbroker/anchors.h"
#include "bidbroker/err.h"
#include "bidbroker/hash.h"
#include "bidbroker/http.h"
#include "bidbroker/human.h"
#include "bidbroker/log.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/store.h"
#include "bidbroker/text.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"

#include "route.h"

#define COOKIE          "bb_session"
#define SESSION_S       (8 * 3600)      /* a working day */
#define LIST_PAGE       50

/* ======================================================================
 * Pages
 * ====================================================================== */

static void
esc(struct buf *b, const char *s)
{
        text_html_escape(s ? s : "", b);
}

/* The page shell with this area's header: who is signed in, the links, a
 * sign-out button (with the CSRF token); a NULL: the plain header. */
static void
page_begin(struct buf *b, const char *title, const struct http_anchor *a, const char *csrf)
{
        struct buf hd;

        if (a == NULL) {
                http_page_begin(b, title, NULL, NULL);
                return;
        }
        buf_init(&hd);
        buf_adds(&hd, "<div>Signed in for <strong>");
        esc(&hd, a->display_name);
        buf_adds(&hd, "</strong> · <a href=\"/post\">New posting</a> · "
                 "<a href=\"/post/mine\">Your postings</a> · "
                 "<form method=\"post\" action=\"/post/logout\">"
                 "<input type=\"hidden\" name=\"csrf\" value=\"");
        esc(&hd, csrf);
        buf_adds(&hd, "\"><button class=\"link\" type=\"submit\">Sign out</button>"
                 "</form></div>");
        http_page_begin(b, title, NULL, hd.data);
        buf_done(&hd);
}

/* html taken; one more header (name NULL: none): Set-Cookie, Retry-After. */
static enum MHD_Result
reply_page(struct http_server *h, struct req *rq, unsigned status, char *html,
           const char *name, const char *value)
{
        const char *hdr[] = { name, value, NULL };

        return http_reply_page(h, rq, status, html, name != NULL ? hdr : NULL);
}

static enum MHD_Result
redirect(struct http_server *h, struct req *rq, const char *to, const char *cookie)
{
        const char *hdr[] = { "Location", to, cookie ? "Set-Cookie" : NULL, cookie, NULL };

        return http_reply(h, rq, 303, "text/plain; charset=utf-8", xstrdup("See Other\n"),
                          hdr);
}

/* A short page with a heading and a paragraph (both plain text); extra:
 * a header's name and value, or NULL. */
static enum MHD_Result
message(struct http_server *h, struct req *rq, unsigned status, const char *title,
        const char *text, const char *const *extra)
{
        struct buf b;

        buf_init(&b);
        page_begin(&b, title, NULL, NULL);
        buf_adds(&b, "<h1>");
        esc(&b, title);
        buf_adds(&b, "</h1><div class=\"card alert\"><p>");
        esc(&b, text);
        buf_adds(&b, "</p><p><a href=\"/post\">Back to the start</a></p></div>");
        return reply_page(h, rq, status, http_page_end(&b), extra ? extra[0] : NULL,
                          extra ? extra[1] : NULL);
}

/* ======================================================================
 * Sessions
 * ====================================================================== */

static const struct session_kind post_session = {
        .cookie = COOKIE, .path = "/post", .domain = "bidbroker post", .seconds = SESSION_S,
};

struct session {
        const struct http_anchor *anchor;       /* NULL: none */
        size_t  idx;
        struct web_session ws;
        const char *csrf;                       /* ws.csrf */
};

/* The request's session (s->anchor NULL when none); < 0 when the store
 * failed.  http_session_done(&s->ws) after. */
static int
session_of(struct http_server *h, struct req *rq, struct session *s, struct err *e)
{
        int r;

        memset(s, 0, sizeof(*s));
        s->csrf = s->ws.csrf;
        if ((r = http_session_of(h, rq, &post_session, &s->ws, e)) < 0 || s->ws.holder == NULL)
                return r;
        s->anchor = http_anchor_named(h, s->ws.holder, &s->idx);
        return 0;
}

/* ======================================================================
 * The posting form
 * ====================================================================== */

static const struct field {
        const char *name;
        const char *label;
        const char *hint;
        const char *type;               /* input type; NULL: textarea */
        const char *extra;              /* more attributes */
} fields[] = {
        { "title", "Title", "What the work is, in a few words (required).", "text",
          " maxlength=\"300\" required autocomplete=\"off\"" },
        { "description", "Description", "The work, where, when; what a supplier needs to "
          "know.", NULL, " rows=\"6\"" },
        { "value", "Value (£)", "The contract's value in pounds, e.g. 18000. Or give a "
          "range below.", "text", " inputmode=\"decimal\" autocomplete=\"off\"" },
        { "value_min", "Lowest value (£)", NULL, "text", " inputmode=\"decimal\" "
          "autocomplete=\"off\"" },
        { "value_max", "Highest value (£)", NULL, "text", " inputmode=\"decimal\" "
          "autocomplete=\"off\"" },
        { "deadline", "Deadline for responses", "UK time (required).", "datetime-local",
          " required" },
        { "postcode", "Postcode of the work", "A full UK postcode, e.g. B1 1AA.", "text",
          " autocomplete=\"postal-code\" maxlength=\"16\"" },
        { "cpv", "CPV codes", "Optional; separated by commas, e.g. 77310000, 90910000.",
          "text", " inputmode=\"numeric\" autocomplete=\"off\"" },
        { "lots", "Lots", "Optional; one lot title per line.", NULL, " rows=\"3\"" },
        { "contact", "Contact", "Who suppliers should ask.", "text", " autocomplete=\"email\"" },
        { "documents_url", "Documents", "A link to the tender documents (https://…).", "url",
          " autocomplete=\"url\"" },
};

static const struct field *
field_named(const char *name)
{
        for (size_t k = 0; name != NULL && k < ARRAY_SIZE(fields); k++)
                if (strcmp(name, fields[k].name) == 0)
                        return &fields[k];
        return NULL;
}

/* The errors of the field called name, each beside it; name NULL: every
 * error, as a list for the top of the page, linked to its field. */
static void
field_errors(const json_t *errors, const char *name, struct buf *b)
{
        size_t i;
        json_t *e;

        json_array_foreach(errors, i, e) {
                const char *f = json_string_value(json_object_get(e, "field"));
                const char *msg = json_string_value(json_object_get(e, "message"));
                const struct field *fd = field_named(f);

                if (name != NULL) {
                        if (f == NULL || strcmp(f, name) != 0)
                                continue;
                        buf_adds(b, "<span class=\"error\">");
                        esc(b, msg);
                        buf_adds(b, "</span>");
                        continue;
                }
                buf_adds(b, "<li>");
                if (fd != NULL) {
                        buf_printf(b, "<a href=\"#f-%s\">", fd->name);
                        esc(b, fd->label);
                        buf_adds(b, "</a>: ");
                } else if (f != NULL && f[0]) {
                        esc(b, f);
                        buf_adds(b, ": ");
                }
                esc(b, msg);
                buf_adds(b, "</li>");
        }
}

static bool
has_error(const json_t *errors, const char *name)
{
        size_t i;
        json_t *e;

        json_array_foreach(errors, i, e) {
                const char *f = json_string_value(json_object_get(e, "field"));

                if (f != NULL && strcmp(f, name) == 0)
                        return true;
        }
        return false;
}

static void
hidden(struct buf *b, const char *name, const char *value)
{
        buf_adds(b, "<input type=\"hidden\" name=\"");
        esc(b, name);
        buf_adds(b, "\" value=\"");
        text_html_escape_lines(value, b);        /* a hidden value keeps its line breaks */
        buf_adds(b, "\">");
}

static void
new_key(char out[33])
{
        unsigned char raw[16];

        randombytes_buf(raw, sizeof(raw));
        sodium_bin2hex(out, 33, raw, sizeof(raw));
}

/* The form, filled from f (NULL: empty), errors beside their fields; its
 * form_key kept unless fresh_key. */
static enum MHD_Result
form_page(struct http_server *h, struct req *rq, unsigned status, const struct session *s,
          const struct form *f, const json_t *errors, const char *cookie, bool fresh_key)
{
        char key[33];
        const char *k = f && !fresh_key ? http_form_get(f, "form_key") : "";
        struct buf b;
        size_t nerr = errors ? json_array_size(errors) : 0;

        buf_init(&b);
        page_begin(&b, nerr ? "Check the posting" : "Post an opportunity", s->anchor, s->csrf);
        buf_adds(&b, "<h1>Post an opportunity</h1>");
        if (nerr) {
                buf_printf(&b, "<div class=\"card alert\" role=\"alert\"><h2>%zu thing%s to "
                           "fix</h2><p>Nothing was posted yet. Each problem is shown beside "
                           "its field.</p><ul>", nerr, nerr == 1 ? "" : "s");
                field_errors(errors, NULL, &b);
                buf_adds(&b, "</ul></div>");
        }
        buf_adds(&b, "<form class=\"card\" method=\"post\" action=\"/post\" novalidate>");
        hidden(&b, "csrf", s->csrf);
        if (strlen(k) != 32 || strspn(k, "0123456789abcdef") != 32) {
                new_key(key);
                k = key;
        }
        hidden(&b, "form_key", k);
        for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
                const struct field *fd = &fields[i];
                const char *v = f ? http_form_get(f, fd->name) : "";
                bool bad = errors && has_error(errors, fd->name);

                if (strcmp(fd->name, "value_min") == 0)
                        buf_adds(&b, "<div class=\"row\">");
                if (strcmp(fd->name, "value_min") == 0 || strcmp(fd->name, "value_max") == 0)
                        buf_adds(&b, "<div>");
                buf_printf(&b, "<label for=\"f-%s\">", fd->name);
                esc(&b, fd->label);
                if (fd->hint) {
                        buf_printf(&b, "<span class=\"hint\" id=\"h-%s\">", fd->name);
                        esc(&b, fd->hint);
                        buf_adds(&b, "</span>");
                }
                buf_adds(&b, "</label>");
                if (bad) {
                        buf_printf(&b, "<div id=\"e-%s\">", fd->name);
                        field_errors(errors, fd->name, &b);
                        buf_adds(&b, "</div>");
                }
                if (fd->type)
                        buf_printf(&b, "<input type=\"%s\" id=\"f-%s\" name=\"%s\"", fd->type,
                                   fd->name, fd->name);
                else
                        buf_printf(&b, "<textarea id=\"f-%s\" name=\"%s\"", fd->name,
                                   fd->name);
                buf_adds(&b, fd->extra);
                if (bad)
                        buf_adds(&b, " class=\"invalid\" aria-invalid=\"true\"");
                if (fd->hint || bad)
                        buf_printf(&b, " aria-describedby=\"%s%s%s%s%s\"",
                                   fd->hint ? "h-" : "", fd->hint ? fd->name : "",
                                   fd->hint && bad ? " " : "", bad ? "e-" : "",
                                   bad ? fd->name : "");
                if (fd->type) {
                        buf_adds(&b, " value=\"");
                        esc(&b, v);
                        buf_adds(&b, "\">");
                } else {
                        buf_adds(&b, ">");
                        text_html_escape_lines(v, &b);
                        buf_adds(&b, "</textarea>");
                }
                if (strcmp(fd->name, "value_min") == 0 || strcmp(fd->name, "value_max") == 0)
                        buf_adds(&b, "</div>");
                if (strcmp(fd->name, "value_max") == 0)
                        buf_adds(&b, "</div>");
        }
        buf_adds(&b, "<button type=\"submit\">Post the opportunity</button></form>");
        return reply_page(h, rq, status, http_page_end(&b), cookie ? "Set-Cookie" : NULL, cookie);
}

/* Pounds as typed ("£18,000", "18000.50") as a JSON number, or the text
 * itself (the check then says it is not a number). */
static json_t *
money_json(const char *typed)
{
        char *s = xstrdup(typed), *o = s, *t;
        double d;
        json_t *j;

        for (const char *p = typed; *p; p++) {
                if (*p == ',' || *p == ' ')
                        continue;
                if ((unsigned char)p[0] == 0xc2 && (unsigned char)p[1] == 0xa3) {
                        p++;            /* £ */
                        continue;
                }
                *o++ = *p;
        }
        *o = '\0';
        t = str_trim(s);
        j = *t && parse_double(t, &d) == 0 ? json_real(d) : json_string(typed);
        free(s);
        return j;
}

/* A list field: split at sep (',' also splits at blanks; '\n' per line). */
static json_t *
list_json(const char *typed, char sep)
{
        json_t *a = json_array();
        char *s = xstrdup(typed), *save = NULL;
        const char *delims = sep == ',' ? ", \t\r\n" : "\r\n";

        for (char *t = strtok_r(s, delims, &save); t; t = strtok_r(NULL, delims, &save)) {
                t = str_trim(t);
                if (*t)
                        json_array_append_new(a, json_string(t));
        }
        free(s);
        return a;
}

/* The form as the API's JSON object (empty fields left out). */
static json_t *
form_json(const struct form *f)
{
        json_t *j = json_object();

        for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
                const char *name = fields[i].name;
                char *v = xstrdup(http_form_get(f, name)), *t = str_trim(v);

                if (*t == '\0') {
                        /* absent: a required one is reported as such */
                } else if (strcmp(name, "value") == 0 || strncmp(name, "value_", 6) == 0) {
                        json_object_set_new(j, name, money_json(t));
                } else if (strcmp(name, "cpv") == 0) {
                        json_object_set_new(j, name, list_json(t, ','));
                } else if (strcmp(name, "lots") == 0) {
                        json_object_set_new(j, name, list_json(t, '\n'));
                } else if (strcmp(name, "deadline") == 0 && strlen(t) == 16 && t[10] == 'T') {
                        char *sec = xasprintf("%s:00", t);      /* datetime-local: no seconds */

                        json_object_set_new(j, name, json_string(sec));
                        free(sec);
                } else {
                        json_object_set_new(j, name, json_string(t));
                }
                free(v);
        }
        if (*http_form_get(f, "form_key"))
                json_object_set_new(j, "idempotency_key", json_string(http_form_get(f, "form_key")));
        return j;
}

static enum MHD_Result
submit(struct http_server *h, struct req *rq, const struct session *s, const struct form *f)
{
        const char *idem = NULL;
        struct opportunity o;
        struct err e = { 0 };
        json_t *j = form_json(f), *errors = json_array();
        enum MHD_Result ret;
        char *body = NULL, to[64];
        int64_t id = 0, retry;
        unsigned status;

        opportunity_init(&o);
        posting_validate(j, s->anchor, (int64_t)time(NULL), &o, &idem, errors);
        if (json_array_size(errors) > 0) {
                ret = form_page(h, rq, 400, s, f, errors, NULL, false);
                goto out;
        }
        if (posting_over_rate(h, s->idx, &retry)) {
                char rs[24];
                const char *hdr[] = { "Retry-After", rs };

                snprintf(rs, sizeof(rs), "%lld", (long long)retry);
                ret = message(h, rq, 429, "Too many postings", "This anchor has posted a lot "
                              "in the last minute. Wait a minute, then use your browser's "
                              "back button and send the form again.", hdr);
                goto out;
        }
        body = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
        if (posting_create(h, s->anchor, &o, body, idem, &status, &id, &e) < 0) {
                log_warnx("http: anchor %s: posting not stored: %s", s->anchor->name, e.msg);
                json_array_append_new(errors, json_pack("{s:s,s:s}", "field", "", "message",
                                                        "the store is busy: send it again"));
                ret = form_page(h, rq, 503, s, f, errors, NULL, false);
                goto out;
        }
        if (status == 409) {            /* posted, then changed (the back button) */
                char msg[256];

                snprintf(msg, sizeof(msg), "this form was posted already, as number %lld, "
                         "before it was changed: send it again to post it as another "
                         "opportunity (and withdraw number %lld in your postings if it "
                         "replaces it)", (long long)id, (long long)id);
                json_array_append_new(errors, json_pack("{s:s,s:s}", "field", "", "message",
                                                        msg));
                ret = form_page(h, rq, 409, s, f, errors, NULL, true);
                goto out;
        }
        snprintf(to, sizeof(to), "/post/%lld?posted", (long long)id);
        ret = redirect(h, rq, to, NULL);
out:
        free(body);
        json_decref(errors);
        json_decref(j);
        opportunity_done(&o);
        return ret;
}

/* ======================================================================
 * Sign-in and out
 * ====================================================================== */

/* The sign-in page; a form sent after its session ended rides along. */
static enum MHD_Result
signin_page(struct http_server *h, struct req *rq, unsigned status, const char *problem,
            const struct form *pending, const char *const *extra)
{
        struct buf b;

        buf_init(&b);
        page_begin(&b, "Sign in", NULL, NULL);
        buf_adds(&b, "<h1>Post an opportunity</h1>");
        if (problem)
                http_page_alert(&b, problem);
        buf_adds(&b, "<form class=\"card\" method=\"post\" action=\"/post/login\">"
                 "<p>Sign in with your organisation's API token (it starts with "
                 "<code>bbt_</code>; the brokerage gave it to you).</p>"
                 "<label for=\"f-token\">API token</label>"
                 "<input type=\"password\" id=\"f-token\" name=\"token\" required "
                 "autocomplete=\"current-password\" spellcheck=\"false\">");
        for (size_t i = 0; pending != NULL && i < ARRAY_SIZE(fields); i++)
                hidden(&b, fields[i].name, http_form_get(pending, fields[i].name));
        if (pending != NULL)
                hidden(&b, "form_key", http_form_get(pending, "form_key"));
        buf_adds(&b, "<button type=\"submit\">Sign in</button></form>"
                 "<p class=\"counts\">Signed in, you stay signed in for 8 hours on this "
                 "browser. Sign out on a shared computer.</p>");
        return reply_page(h, rq, status, http_page_end(&b), extra ? extra[0] : NULL,
                          extra ? extra[1] : NULL);
}

static bool
has_pending(const struct form *f)
{
        for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
                if (*http_form_get(f, fields[i].name))
                        return true;
        return false;
}

static enum MHD_Result
login(struct http_server *h, struct req *rq, const struct form *f)
{
        const char *tok = http_form_get(f, "token");
        char hash[HASH_HEX_LEN], addr[48], *name = NULL, *cookie = NULL;
        struct session s;
        struct err e = { 0 };
        bool revoked = false;
        enum MHD_Result ret;
        int64_t retry;
        int r;

        http_client_addr(rq, addr);
        if (http_login_refused(h, addr, &retry)) {
                char rs[24];
                const char *hdr[] = { "Retry-After", rs };

                snprintf(rs, sizeof(rs), "%lld", (long long)retry);
                return signin_page(h, rq, 429, "Too many attempts to sign in from here. "
                                   "Wait a minute and try again.", has_pending(f) ? f : NULL,
                                   hdr);
        }
        tok = str_trim((char *)tok);
        anchor_token_hash(tok, hash);
        r = *tok ? anchor_token_find(h->store, hash, &name, &revoked, &e) : -ENOENT;
        if (r < 0 && r != -ENOENT) {
                log_warnx("http: /post sign-in: %s", e.msg);
                return signin_page(h, rq, 503, "The service is busy: try again.",
                                   has_pending(f) ? f : NULL, NULL);
        }
        memset(&s, 0, sizeof(s));
        if (r == 0 && !revoked)
                s.anchor = http_anchor_named(h, name, &s.idx);
        free(name);
        if (s.anchor == NULL) {
                http_login_failed(h, addr);
                log_info("http: /post sign-in refused from %s: %s", addr,
                         r == -ENOENT ? "unknown token" : revoked ? "revoked token" :
                         "not an anchor's token, or the anchor is no longer configured");
                return signin_page(h, rq, r == -ENOENT ? 401 : 403,
                                   r == -ENOENT ? "That token is not one we know. Check you "
                                   "pasted all of it." : "That token no longer works: ask "
                                   "the brokerage for a new one.", has_pending(f) ? f : NULL,
                                   NULL);
        }
        if (http_session_start(h, &post_session, s.anchor->name, hash, &s.ws, &cookie,
                               &e) < 0) {
                log_warnx("http: /post sign-in: %s", e.msg);
                return signin_page(h, rq, 503, "The service is busy: try again.",
                                   has_pending(f) ? f : NULL, NULL);
        }
        s.csrf = s.ws.csrf;
        log_notice("http: anchor %s signed in on /post from %s", s.anchor->name, addr);
        ret = has_pending(f) ? form_page(h, rq, 200, &s, f, NULL, cookie, false)
                             : redirect(h, rq, "/post", cookie);
        free(cookie);
        http_session_done(&s.ws);
        return ret;
}

static enum MHD_Result
logout(struct http_server *h, struct req *rq, const struct session *s)
{
        char *cookie = http_session_end(h, &post_session, &s->ws);
        enum MHD_Result ret = redirect(h, rq, "/post", cookie);

        free(cookie);
        return ret;
}

/* ======================================================================
 * Postings: one, and the list
 * ====================================================================== */

static void
money_text(struct buf *b, const struct opportunity *o)
{
        char x[HUMAN_MONEY_MAX], y[HUMAN_MONEY_MAX];

        if (!o->value_stated || o->value_max == VALUE_NONE)
                buf_adds(b, "not stated");
        else if (o->value_min != VALUE_NONE && o->value_min != o->value_max)
                buf_printf(b, "%s to %s", human_money(o->value_min, o->currency, x, sizeof(x)),
                           human_money(o->value_max, o->currency, y, sizeof(y)));
        else
                buf_adds(b, human_money(o->value_max, o->currency, x, sizeof(x)));
}

static void
counts_text(struct buf *b, const json_t *j)
{
        json_t *al = json_object_get(j, "members_alerted");
        json_t *in = json_object_get(j, "members_interested");
        json_int_t m = json_integer_value(json_object_get(j, "members_matched"));

        buf_printf(b, "<span class=\"counts\">Matched to %" JSON_INTEGER_FORMAT " member%s",
                   m, m == 1 ? "" : "s");
        if (json_is_integer(al))
                buf_printf(b, " · alerted %" JSON_INTEGER_FORMAT, json_integer_value(al));
        if (json_is_integer(in))
                buf_printf(b, " · %" JSON_INTEGER_FORMAT " interested",
                           json_integer_value(in));
        buf_adds(b, "</span>");
}

static void
withdraw_button(struct buf *b, const struct session *s, int64_t id, const char *title)
{
        char num[24];

        snprintf(num, sizeof(num), "%lld", (long long)id);
        buf_adds(b, "<form method=\"post\" action=\"/post/withdraw\">");
        hidden(b, "csrf", s->csrf);
        hidden(b, "id", num);
        buf_adds(b, "<button class=\"danger\" type=\"submit\" aria-label=\"Withdraw ");
        esc(b, title);
        buf_adds(b, "\">Withdraw</button></form>");
}

static enum MHD_Result
busy_page(struct http_server *h, struct req *rq, const struct session *s, struct err *e)
{
        log_warnx("http: anchor %s: /post: %s", s->anchor->name, e->msg);
        return message(h, rq, 503, "The service is busy", "Try again in a moment.", NULL);
}

static enum MHD_Result
one_page(struct http_server *h, struct req *rq, const struct session *s, int64_t id)
{
        struct opportunity o;
        struct err e = { 0 };
        json_t *j = NULL;
        struct buf b;
        char when[32];
        int64_t now = (int64_t)time(NULL);
        int r;

        opportunity_init(&o);
        if ((r = posting_load(h, s->anchor, id, &o, &e)) == 0)
                j = posting_json(h, &o, now, &e);
        if (r == -ENOENT) {
                opportunity_done(&o);
                return message(h, rq, 404, "Not found", "You have no posting with that number.",
                               NULL);
        }
        if (j == NULL) {
                opportunity_done(&o);
                return busy_page(h, rq, s, &e);
        }
        buf_init(&b);
        page_begin(&b, o.title, s->anchor, s->csrf);
        if (http_query_has(rq, "posted"))
                buf_printf(&b, "<div class=\"card ok\" role=\"status\"><h1>Posted</h1>"
                           "<p>Your opportunity is number <strong>%lld</strong>.</p>"
                           "<h2>What happens next</h2><p>Within a minute bidbroker matches it "
                           "against the capabilities of the social enterprises it serves. "
                           "Each member it fits gets it in their next weekly email digest, "
                           "with a link to say they are interested. Come back to <a "
                           "href=\"/post/mine\">your postings</a> to see how many were "
                           "matched and alerted. You can withdraw it there.</p></div>",
                           (long long)id);
        buf_adds(&b, "<div class=\"card\"><h1>");
        esc(&b, o.title);
        buf_printf(&b, "</h1><p><span class=\"status\">%s</span> ", posting_status(&o, now));
        counts_text(&b, j);
        buf_printf(&b, "</p><dl><dt>Number</dt><dd>%lld</dd><dt>Deadline</dt><dd>", (long long)id);
        esc(&b, time_format_uk(o.deadline, when, sizeof(when)));
        buf_adds(&b, "</dd><dt>Value</dt><dd>");
        money_text(&b, &o);
        if (o.postcodes.n) {
                buf_adds(&b, "</dd><dt>Postcode</dt><dd>");
                esc(&b, o.postcodes.v[0]);
        }
        if (o.description) {
                buf_adds(&b, "</dd><dt>Description</dt><dd style=\"white-space:pre-line\">");
                text_html_escape_lines(o.description, &b);
        }
        if (o.lot_titles.n) {
                buf_adds(&b, "</dd><dt>Lots</dt><dd><ul>");
                for (size_t i = 0; i < o.lot_titles.n; i++) {
                        buf_adds(&b, "<li>");
                        esc(&b, o.lot_titles.v[i]);
                        buf_adds(&b, "</li>");
                }
                buf_adds(&b, "</ul>");
        }
        if (o.cpv.n) {
                buf_adds(&b, "</dd><dt>CPV codes</dt><dd>");
                for (size_t i = 0; i < o.cpv.n; i++) {
                        esc(&b, o.cpv.v[i]);
                        buf_adds(&b, i + 1 < o.cpv.n ? ", " : "");
                }
        }
        {
                const char *c = json_string_value(json_object_get(
                        json_object_get(j, "posting"), "contact"));

                if (c) {
                        buf_adds(&b, "</dd><dt>Contact</dt><dd>");
                        esc(&b, c);
                }
        }
        if (o.url) {
                buf_adds(&b, "</dd><dt>Documents</dt><dd><a rel=\"noopener noreferrer\" "
                         "href=\"");
                esc(&b, o.url);
                buf_adds(&b, "\">");
                esc(&b, o.url);
                buf_adds(&b, "</a>");
        }
        buf_adds(&b, "</dd></dl>");
        if (o.status != STATUS_CANCELLED)
                withdraw_button(&b, s, id, o.title);
        buf_adds(&b, "</div><p><a href=\"/post\">Post another opportunity</a></p>");
        opportunity_done(&o);
        json_decref(j);
        return reply_page(h, rq, 200, http_page_end(&b), NULL, NULL);
}

static enum MHD_Result
list_page(struct http_server *h, struct req *rq, const struct session *s)
{
        const char *bs = MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, "before");
        char *src = xasprintf("anchor:%s", s->anchor->name), when[32];
        int64_t *ids = NULL, now = (int64_t)time(NULL), before = bs ? posting_id_of(bs) : 0;
        struct err e = { 0 };
        struct buf b;
        size_t n = 0;
        bool more;
        int r;

        r = anchor_postings(h->store, src, before, LIST_PAGE, &ids, &n, &more, &e);
        free(src);
        if (r < 0)
                return busy_page(h, rq, s, &e);
        buf_init(&b);
        page_begin(&b, "Your postings", s->anchor, s->csrf);
        buf_adds(&b, "<h1>Your postings</h1>");
        if (n == 0)
                buf_adds(&b, "<div class=\"card\"><p>Nothing posted yet. <a href=\"/post\">"
                         "Post an opportunity</a>.</p></div>");
        for (size_t i = 0; i < n; i++) {
                struct opportunity o;
                json_t *j = NULL;

                opportunity_init(&o);
                if (store_get(h->store, ids[i], &o, &e) == 0)
                        j = posting_json(h, &o, now, &e);
                if (j == NULL) {
                        opportunity_done(&o);
                        free(ids);
                        buf_done(&b);
                        return busy_page(h, rq, s, &e);
                }
                buf_printf(&b, "<div class=\"card\"><h2><a href=\"/post/%lld\">",
                           (long long)ids[i]);
                esc(&b, o.title);
                buf_printf(&b, "</a></h2><p><span class=\"status\">%s</span> Number %lld · "
                           "deadline ", posting_status(&o, now), (long long)ids[i]);
                esc(&b, time_format_uk(o.deadline, when, sizeof(when)));
                buf_adds(&b, " · ");
                money_text(&b, &o);
                buf_adds(&b, "<br>");
                counts_text(&b, j);
                buf_adds(&b, "</p>");
                if (o.status != STATUS_CANCELLED)
                        withdraw_button(&b, s, ids[i], o.title);
                buf_adds(&b, "</div>");
                opportunity_done(&o);
                json_decref(j);
        }
        if (more)
                buf_printf(&b, "<p><a href=\"/post/mine?before=%lld\">Older postings</a></p>",
                           (long long)ids[n - 1]);
        free(ids);
        return reply_page(h, rq, 200, http_page_end(&b), NULL, NULL);
}

/* Withdrawing asks first (a page with the posting's title and a confirm
 * button: it cannot be undone); confirm=yes withdraws. */
static enum MHD_Result
withdraw_one(struct http_server *h, struct req *rq, const struct session *s, int64_t id,
             const struct form *f)
{
        struct opportunity o;
        struct err e = { 0 };
        struct buf b;
        bool changed;
        int r;

        opportunity_init(&o);
        r = posting_load(h, s->anchor, id, &o, &e);
        if (r == 0 && strcmp(http_form_get(f, "confirm"), "yes") != 0) {
                buf_init(&b);
                page_begin(&b, "Withdraw?", s->anchor, s->csrf);
                buf_adds(&b, "<div class=\"card alert\"><h1>Withdraw this posting?</h1><p><strong>");
                esc(&b, o.title);
                buf_printf(&b, "</strong> (number %lld)</p><p>Members will no longer be sent "
                           "it, and it cannot be posted again under this number. This cannot "
                           "be undone.</p><form method=\"post\" action=\"/post/withdraw\">",
                           (long long)id);
                hidden(&b, "csrf", s->csrf);
                hidden(&b, "id", http_form_get(f, "id"));
                hidden(&b, "confirm", "yes");
                buf_printf(&b, "<button class=\"danger\" type=\"submit\">Withdraw it</button>"
                           "</form><p><a href=\"/post/%lld\">Keep it</a></p></div>",
                           (long long)id);
                opportunity_done(&o);
                return reply_page(h, rq, 200, http_page_end(&b), NULL, NULL);
        }
        if (r == 0)
                r = posting_withdraw(h, &o, &changed, &e);
        opportunity_done(&o);
        if (r == -ENOENT)
                return message(h, rq, 404, "Not found", "You have no posting with that number.",
                               NULL);
        if (r < 0)
                return busy_page(h, rq, s, &e);
        if (changed)
                log_notice("http: anchor %s withdrew opportunity %lld", s->anchor->name,
                           (long long)id);
        return redirect(h, rq, "/post/mine", NULL);
}

/* ======================================================================
 * Routing within /post
 * ====================================================================== */

enum MHD_Result
web_post(struct http_server *h, struct req *rq)
{
        const char *path = rq->route == ROUTE_POST ? "" : rq->tail;
        const char *ctype;
        bool post = strcmp(rq->method, "POST") == 0;
        struct session s;
        struct form f;
        struct err e = { 0 };
        enum MHD_Result ret;
        int64_t id = 0;

        memset(&f, 0, sizeof(f));
        memset(&s, 0, sizeof(s));
        if (post) {
                ctype = http_header(rq, MHD_HTTP_HEADER_CONTENT_TYPE);
                if (ctype == NULL || strncasecmp(ctype, "application/x-www-form-urlencoded",
                                                 33) != 0)
                        return message(h, rq, 415, "Not a form", "Send this page's form.",
                                       NULL);
                if (http_cross_site(h, rq))
                        return message(h, rq, 403, "Refused", "This form was sent from "
                                       "another site.", NULL);
                http_form_parse(rq->body.data ? rq->body.data : "", rq->body.len, &f);
                if (f.bad) {
                        http_form_done(&f);
                        return message(h, rq, 400, "Not a form", "The form's text is not "
                                       "UTF-8, or has too many fields.", NULL);
                }
        }
        if (post && strcmp(path, "login") == 0) {
                ret = login(h, rq, &f);
                goto out;
        }
        if (session_of(h, rq, &s, &e) < 0) {
                log_warnx("http: /post: %s", e.msg);
                ret = message(h, rq, 503, "The service is busy", "Try again in a moment.",
                              NULL);
                goto out;
        }
        if (s.anchor == NULL) {
                if (!post && path[0] == '\0')
                        ret = signin_page(h, rq, 200, NULL, NULL, NULL);
                else if (!post)
                        ret = redirect(h, rq, "/post", NULL);
                else
                        ret = signin_page(h, rq, 401, has_pending(&f) ?
                                          "Your session ended. Sign in again: what you typed "
                                          "is kept and shown again." :
                                          "Your session ended. Sign in again.",
                                          has_pending(&f) ? &f : NULL, NULL);
                goto out;
        }
        if (post && !http_csrf_ok(&s.ws, &f)) {
                ret = message(h, rq, 403, "Refused", "This form is out of date or did not come "
                              "from this site. Go back, reload the page and try again.", NULL);
                goto out;
        }
        if (strcmp(path, "withdraw") == 0)
                id = posting_id_of(http_form_get(&f, "id"));
        else if (path[0] != '\0')
                id = posting_id_of(path);
        if (path[0] == '\0')
                ret = post ? submit(h, rq, &s, &f)
                           : form_page(h, rq, 200, &s, NULL, NULL, NULL, false);
        else if (strcmp(path, "mine") == 0 && !post)
                ret = list_page(h, rq, &s);
        else if (strcmp(path, "logout") == 0 && post)
                ret = logout(h, rq, &s);
        else if (strcmp(path, "withdraw") == 0 && post)
                ret = id > 0 ? withdraw_one(h, rq, &s, id, &f)
                             : message(h, rq, 404, "Not found", "There is no such posting.",
                                       NULL);
        else if (id > 0 && !post)
                ret = one_page(h, rq, &s, id);
        else
                ret = message(h, rq, 404, "Not found", "There is no such page.", NULL);
out:
        http_session_done(&s.ws);
        http_form_done(&f);
        return ret;
}
