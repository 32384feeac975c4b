/*
 * member.c — what members do from their digest (route.h): the signed links
 * of linktoken.h, answered with small HTML pages.
 *
 *   GET  /l/TOKEN            the opportunity, what the member said so far,
 *                            and a button that confirms the link's action
 *   POST /l/TOKEN            records it (feedback.h: the last click wins),
 *                            with a button to switch to the other action
 *   GET  /unsubscribe/TOKEN  a button that confirms
 *   POST /unsubscribe/TOKEN  unsubscribes: RFC 8058 one-click (any POST
 *                            without our form's confirm field, e.g.
 *                            "List-Unsubscribe=One-Click": 200 text/plain,
 *                            no page, no sign-in) or the page's button
 *
 * GET never writes.  Mail scanners (Safe Links, Mimecast, ...) fetch every
 * link of a message before the member sees it; a GET that recorded would
 * record both "interested" and "not relevant" for every item, the last
 * fetched winning, and unsubscribe members who never asked to.  Scanners
 * do not submit forms, so the write is a POST behind one button.
 *
 * Every write is idempotent: the same click again changes nothing but the
 * time and the click count.  A tampered or malformed token is answered 400,
 * an expired one 410, a token for the other kind of link 400, an
 * opportunity no longer stored 404: pages that say what to do, never
 * internals.  Everything shown from the store or the token is escaped.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "bidbroker/err.h"
#include "bidbroker/feedback.h"
#include "bidbroker/human.h"
#include "bidbroker/linktoken.h"
#include "bidbroker/log.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/store.h"
#include "bidbroker/text.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"

#include "route.h"

/* ---- pages ---------------------------------------------------------------------- */

static void
esc(struct buf *b, const char *s)
{
        text_html_escape(s ? s : "", b);
}

/* A page of a heading and one paragraph (both plain text, escaped). */
static enum MHD_Result
message_page(struct http_server *h, struct req *rq, unsigned status, const char *cls,
             const char *title, const char *text)
{
        struct buf b;
        enum MHD_Result ret;

        buf_init(&b);
        buf_printf(&b, "<div class=\"%s\"><h1>", cls);
        esc(&b, title);
        buf_adds(&b, "</h1>\n<p>");
        esc(&b, text);
        buf_adds(&b, "</p></div>");
        ret = http_reply_html(h, rq, status, title, b.data);
        buf_done(&b);
        return ret;
}

static const char *
action_words(enum link_action a)
{
        return a == LINK_INTERESTED ? "interested" : "not relevant";
}

static void
value_text(const struct opportunity *o, char *buf, size_t len)
{
        char lo[HUMAN_MONEY_MAX], hi[HUMAN_MONEY_MAX];

        if (!o->value_stated || o->value_max == VALUE_NONE) {
                snprintf(buf, len, "not stated");
        } else if (o->value_min != VALUE_NONE && o->value_min < o->value_max) {
                snprintf(buf, len, "%s to %s", human_money(o->value_min, o->currency, lo,
                                                           sizeof(lo)),
                         human_money(o->value_max, o->currency, hi, sizeof(hi)));
        } else {
                human_money(o->value_max, o->currency, buf, len);
        }
}

static void
opp_details(struct buf *b, const struct opportunity *o)
{
        char value[2 * HUMAN_MONEY_MAX + 8], when[40];

        value_text(o, value, sizeof(value));
        buf_adds(b, "<dl><dt>Opportunity</dt><dd>");
        esc(b, o->title && *o->title ? o->title : "(no title)");
        buf_adds(b, "</dd><dt>Buyer</dt><dd>");
        esc(b, o->buyer_name && *o->buyer_name ? o->buyer_name : "not stated");
        buf_adds(b, "</dd><dt>Value</dt><dd>");
        esc(b, value);
        buf_adds(b, "</dd><dt>Deadline</dt><dd>");
        esc(b, o->deadline == TIME_UNKNOWN ? "not stated"
                                           : time_format_uk(o->deadline, when, sizeof(when)));
        buf_adds(b, "</dd>");
        if (o->url != NULL && (str_startswith(o->url, "https://") ||
                               str_startswith(o->url, "http://"))) {
                buf_adds(b, "<dt>Notice</dt><dd><a rel=\"noreferrer noopener\" href=\"");
                esc(b, o->url);
                buf_adds(b, "\">");
                esc(b, o->url);
                buf_adds(b, "</a></dd>");
        }
        buf_adds(b, "</dl>\n");
}

/* A form that POSTs to the page's own URL (action NULL) or to a sibling
 * token (a relative URL: right behind a proxy that adds a path prefix). */
static void
button(struct buf *b, const char *action, const char *cls, const char *label)
{
        buf_adds(b, "<form method=\"post\"");
        if (action != NULL) {
                buf_adds(b, " action=\"");
                esc(b, action);
                buf_adds(b, "\"");
        }
        buf_adds(b, "><input type=\"hidden\" name=\"confirm\" value=\"yes\">"
                 "<button type=\"submit\"");
        if (cls != NULL)
                buf_printf(b, " class=\"%s\"", cls);
        buf_adds(b, ">");
        esc(b, label);
        buf_adds(b, "</button></form>\n");
}

/* ---- tokens --------------------------------------------------------------------- */

/* rq->tail checked as a token of the wanted kind: true with t filled, or
 * false with the answer queued in *ret. */
static bool
token_ok(struct http_server *h, struct req *rq, bool unsubscribe, struct linktoken *t,
         enum MHD_Result *ret)
{
        struct err e = { 0 };
        int r;

        if (h->linkkey == NULL) {
                log_warnx("http: a member's link cannot be checked: %s", h->linkkey_error);
                *ret = message_page(h, rq, 503, "bad", "Please try again later",
                                    "This link cannot be checked just now. Please try again "
                                    "in a few minutes.");
                return false;
        }
        r = linktoken_check(h->linkkey, rq->tail, (int64_t)time(NULL), t, &e);
        if (r == -ETIMEDOUT) {
                linktoken_clear(t);
                *ret = message_page(h, rq, 410, "bad", "This link has expired",
                                    unsubscribe
                                    ? "Unsubscribe links work for a limited time. Use the "
                                      "link in your latest digest, or reply to it asking "
                                      "to unsubscribe and we will take you off the list."
                                    : "Links in a digest work for a limited time. Your next "
                                      "digest carries new links; you can also reply to the "
                                      "email and tell us.");
                return false;
        }
        if (r < 0) {
                log_info("http: %s link refused: %s", unsubscribe ? "an unsubscribe" : "a",
                         e.msg);
                *ret = message_page(h, rq, 400, "bad", "This link is not valid",
                                    "The link may have been cut short or changed on its "
                                    "way. Please open it again from the email, or copy the "
                                    "whole address into your browser.");
                return false;
        }
        if (unsubscribe != (t->action == LINK_UNSUBSCRIBE) ||
            (!unsubscribe && t->opportunity <= 0)) {
                linktoken_clear(t);
                *ret = message_page(h, rq, 400, "bad", "This link is not valid",
                                    unsubscribe ? "This is not an unsubscribe link. Please "
                                                  "use the unsubscribe link of your digest."
                                                : "This is not a link about an opportunity. "
                                                  "Please use the links beside each item of "
                                                  "your digest.");
                return false;
        }
        return true;
}

/* Does the urlencoded form body have the field name=value? */
static bool
form_has(const struct buf *body, const char *field)
{
        size_t n = strlen(field);
        const char *p = body->data, *end = p ? p + body->len : NULL;

        while (p != NULL && p < end) {
                const char *amp = memchr(p, '&', (size_t)(end - p));
                size_t len = (size_t)((amp ? amp : end) - p);

                if (len == n && memcmp(p, field, n) == 0)
                        return true;
                p = amp ? amp + 1 : end;
        }
        return false;
}

static bool
is_post(const struct req *rq)
{
        return strcmp(rq->method, "POST") == 0;
}

/* ---- /l/TOKEN ------------------------------------------------------------------- */

static enum MHD_Result
store_trouble(struct http_server *h, struct req *rq, const struct err *e)
{
        log_warnx("http: member page: %s", e->msg);
        return message_page(h, rq, 503, "bad", "Please try again",
                            "We could not do this just now. Please try the link again in a "
                            "minute.");
}

enum MHD_Result
member_link(struct http_server *h, struct req *rq)
{
        struct linktoken t = { 0 };
        struct opportunity o;
        struct err e = { 0 };
        struct buf b;
        enum MHD_Result ret;
        enum link_action other;
        const char *said = NULL;
        char *other_tok = NULL, when[40];
        int64_t at = 0;
        int r;

        if (!token_ok(h, rq, false, &t, &ret))
                return ret;
        opportunity_init(&o);
        buf_init(&b);
        other = t.action == LINK_INTERESTED ? LINK_NOT_RELEVANT : LINK_INTERESTED;
        r = store_get(h->store, t.opportunity, &o, &e);
        if (r == -ENOENT) {
                ret = message_page(h, rq, 404, "bad", "This opportunity is no longer listed",
                                   "It may have been withdrawn. Nothing was recorded.");
                goto out;
        }
        if (r < 0) {
                ret = store_trouble(h, rq, &e);
                goto out;
        }
        if (is_post(rq)) {
                enum feedback_result res;

                /* one statement: a transaction of its own */
                r = feedback_record(h->store, t.member, t.opportunity,
                                    link_action_name(t.action), (int64_t)time(NULL), &res, &e);
                if (r < 0) {
                        ret = store_trouble(h, rq, &e);
                        goto out;
                }
                log_notice("http: member %s: opportunity %" PRId64 " %s%s", t.member,
                           t.opportunity, link_action_name(t.action),
                           res == FEEDBACK_SAME ? " (again)" : res == FEEDBACK_CHANGED
                                                                ? " (changed)" : "");
                buf_adds(&b, "<div class=\"done\"><h1>Thank you: recorded as ");
                esc(&b, action_words(t.action));
                buf_adds(&b, "</h1></div>\n");
                opp_details(&b, &o);
                buf_adds(&b, t.action == LINK_INTERESTED
                         ? "<p>The brokerage team can see that you are interested and may "
                           "contact you about partners or the bid.</p>\n"
                         : "<p>This helps us send you fewer opportunities like this one.</p>\n");
        } else {
                r = feedback_get(h->store, t.member, t.opportunity, &said, &at, &e);
                if (r < 0 && r != -ENOENT) {
                        ret = store_trouble(h, rq, &e);
                        goto out;
                }
                buf_adds(&b, "<h1>");
                buf_adds(&b, t.action == LINK_INTERESTED ? "Interested in this opportunity?"
                                                         : "Not relevant to you?");
                buf_adds(&b, "</h1>\n");
                opp_details(&b, &o);
                if (said != NULL) {
                        buf_adds(&b, "<p class=\"note\">You told us on ");
                        esc(&b, time_format_uk(at, when, sizeof(when)));
                        buf_adds(&b, " that this is ");
                        esc(&b, strcmp(said, FEEDBACK_INTERESTED) == 0 ? "interesting"
                                                                       : "not relevant");
                        buf_adds(&b, ".</p>\n");
                }
                button(&b, NULL, NULL, t.action == LINK_INTERESTED ? "Yes, I am interested"
                                                                : "Yes, not relevant");
        }
        /* the other answer, one click away: a sibling token (same expiry) */
        if (linktoken_make(h->linkkey, t.member, t.opportunity, other, t.expires, &other_tok,
                           &e) == 0) {
                buf_adds(&b, "<p class=\"note\">");
                buf_adds(&b, is_post(rq) ? "Changed your mind?" : "Or, instead:");
                buf_adds(&b, "</p>\n");
                button(&b, other_tok, "alt", other == LINK_INTERESTED
                       ? "I am interested after all" : "Not relevant to us");
        }
        ret = http_reply_html(h, rq, 200, is_post(rq) ? "Recorded" : "Confirm", b.data);
out:
        free(other_tok);
        buf_done(&b);
        opportunity_done(&o);
        linktoken_clear(&t);
        return ret;
}

/* ---- /unsubscribe/TOKEN --------------------------------------------------------- */

enum MHD_Result
member_unsubscribe_page(struct http_server *h, struct req *rq)
{
        struct linktoken t = { 0 };
        struct err e = { 0 };
        struct buf b;
        enum MHD_Result ret;
        bool already = false, from_page = form_has(&rq->body, "confirm=yes");
        int r;

        if (!token_ok(h, rq, true, &t, &ret))
                return ret;
        buf_init(&b);
        if (is_post(rq)) {
                r = member_unsubscribe(h->store, t.member,
                                       from_page ? UNSUB_PAGE : UNSUB_ONE_CLICK,
                                       (int64_t)time(NULL), &already, &e);
                if (r < 0) {
                        ret = store_trouble(h, rq, &e);
                        goto out;
                }
                if (!already)
                        log_notice("http: member %s unsubscribed (%s)", t.member,
                                   from_page ? UNSUB_PAGE : UNSUB_ONE_CLICK);
                if (!from_page) {       /* RFC 8058: the mail client shows nothing */
                        ret = http_reply(h, rq, 200, "text/plain; charset=utf-8",
                                         xstrdup("unsubscribed\n"), NULL);
                        goto out;
                }
                ret = message_page(h, rq, 200, "done", "You are unsubscribed",
                                   "You will get no more weekly digests. If this was a "
                                   "mistake, reply to any digest and we will put you back "
                                   "on the list.");
                goto out;
        }
        if ((r = member_unsubscribed(h->store, t.member, &already, &e)) < 0) {
                ret = store_trouble(h, rq, &e);
                goto out;
        }
        if (already) {
                ret = message_page(h, rq, 200, "done", "You are already unsubscribed",
                                   "You get no weekly digests. Nothing more to do.");
                goto out;
        }
        buf_adds(&b, "<h1>Unsubscribe from the weekly digest?</h1>\n<p>This stops the "
                 "weekly email of contract opportunities for <strong>");
        esc(&b, t.member);
        buf_adds(&b, "</strong>.</p>\n");
        button(&b, NULL, NULL, "Unsubscribe");
        buf_adds(&b, "<p class=\"note\">Not now? Just close this page: nothing changes.</p>");
        ret = http_reply_html(h, rq, 200, "Unsubscribe", b.data);
out:
        buf_done(&b);
        linktoken_clear(&t);
        return ret;
}
