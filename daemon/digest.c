/*
 * digest.c — members' digests (digest.h, docs/digest.md): selecting the
 * matches a digest carries, composing the message from the templates,
 * signing it, and recording + queueing it in one transaction.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/config.h"
#include "bidbroker/consortmatch.h"
#include "bidbroker/digest.h"
#include "bidbroker/digests.h"
#include "bidbroker/digesttpl.h"
#include "bidbroker/dkim.h"
#include "bidbroker/engine.h"
#include "bidbroker/err.h"
#include "bidbroker/human.h"
#include "bidbroker/linktoken.h"
#include "bidbroker/matchstore.h"
#include "bidbroker/members.h"
#include "bidbroker/mime.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/region.h"
#include "bidbroker/store.h"
#include "bidbroker/taxonomy.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"

/* ---- templates ---------------------------------------------------------------------- */

enum { D_MEMBER_NAME, D_MEMBER, D_PERIOD, D_SUMMARY, D_CLOSING, D_ITEMS, D_OVERFLOW,
       D_INFEASIBLE, D_BROKERAGE, D_REPLY_TO, D_UNSUBSCRIBE, D_SUBJECT, D_MAX_VALUE, D__N };
static const char *const digest_names[D__N] = {
        "member_name", "member", "period", "summary", "closing_soon", "items", "overflow",
        "infeasible", "brokerage", "reply_to", "unsubscribe", "subject", "max_value",
};

enum { I_NUMBER, I_TITLE, I_CHANGE, I_BUYER, I_VALUE, I_DEADLINE, I_LOCATION, I_PROCEDURE,
       I_SUITABILITY, I_LINKS, I_WHY, I_CONSORTIUM, I_INTERESTED, I_NOT_RELEVANT, I__N };
static const char *const item_names[I__N] = {
        "number", "title", "change", "buyer", "value", "deadline", "location", "procedure",
        "suitability", "links", "why", "consortium", "interested", "not_relevant",
};

enum { S_SOME, S_NONE, S_COUNT, S_NOUN, S_MAX_VALUE, S_EXTRA, S_PERIOD, S__N };
static const char *const subject_names[S__N] = {
        "some", "none", "count", "noun", "max_value", "extra", "period",
};

enum { T_DIGEST_TXT, T_DIGEST_HTML, T_ITEM_TXT, T_ITEM_HTML, T_SUBJECT, T__N };
static const struct {
        const char        *file;
        const char *const *names;
        size_t             n;
        bool               html;
} tpl_files[T__N] = {
        { "digest.txt", digest_names, D__N, false },
        { "digest.html", digest_names, D__N, true },
        { "item.txt", item_names, I__N, false },
        { "item.html", item_names, I__N, true },
        { "subject.txt", subject_names, S__N, false },
};

struct digest_env {
        const struct config *cfg;
        struct tpl          *tpl[T__N];
        struct dkim_key     *keys[2];
        size_t               nkeys;
        struct linkkey      *lk;                /* NULL: no signed links */
        char                *base;              /* public_url without a final '/' */
};

static char *
templates_dir(const struct config *cfg)
{
        if (cfg->mail_templates != NULL)
                return xstrdup(cfg->mail_templates);
        return path_join(cfg->dir ? cfg->dir : ".", "digest");
}

int
digest_env_new(const struct config *cfg, const char *state_dir, unsigned flags,
               struct digest_env **ret, struct err *e)
{
        struct digest_env *env = xcalloc(1, sizeof(*env));
        char *dir = templates_dir(cfg);
        bool keys = flags & DIGEST_ENV_KEYS;
        int r = 0;

        env->cfg = cfg;
        if (cfg->mail_from == NULL) {
                r = err_set(e, -EINVAL, "%s: [mail] from is not set: digests need the "
                            "brokerage's address (docs/digest.md)",
                            cfg->path ? cfg->path : "(built-in defaults)");
                goto out;
        }
        for (size_t i = 0; i < T__N && r == 0; i++) {
                char *path = path_join(dir, tpl_files[i].file);

                r = tpl_load(path, tpl_files[i].names, tpl_files[i].n, tpl_files[i].html,
                             &env->tpl[i], e);
                free(path);
        }
        if (r == 0 && keys && cfg->dkim_ed25519_key != NULL &&
            (r = dkim_key_load(cfg->dkim_ed25519_key, cfg->dkim_domain,
                               cfg->dkim_ed25519_selector, &env->keys[env->nkeys], e)) == 0)
                env->nkeys++;
        if (r == 0 && keys && cfg->dkim_rsa_key != NULL &&
            (r = dkim_key_load(cfg->dkim_rsa_key, cfg->dkim_domain, cfg->dkim_rsa_selector,
                               &env->keys[env->nkeys], e)) == 0)
                env->nkeys++;
        if (r == 0 && cfg->public_url != NULL && state_dir != NULL &&
            (flags & (DIGEST_ENV_LINKKEY | DIGEST_ENV_LINKKEY_READ))) {
                size_t n = strlen(cfg->public_url);

                r = linkkey_open(state_dir, flags & DIGEST_ENV_LINKKEY, &env->lk, e);
                if (r == -ENOENT && !(flags & DIGEST_ENV_LINKKEY))
                        r = 0;          /* a preview before any digest: no links */
                while (n > 0 && cfg->public_url[n - 1] == '/')
                        n--;
                env->base = xstrndup(cfg->public_url, n);
        }
out:
        free(dir);
        if (r < 0) {
                digest_env_free(env);
                return r;
        }
        *ret = env;
        return 0;
}

void
digest_env_free(struct digest_env *env)
{
        if (env == NULL)
                return;
        for (size_t i = 0; i < T__N; i++)
                tpl_free(env->tpl[i]);
        for (size_t i = 0; i < env->nkeys; i++)
                dkim_key_free(env->keys[i]);
        linkkey_free(env->lk);
        free(env->base);
        free(env);
}

const struct config *
digest_env_config(const struct digest_env *env)
{
        return env->cfg;
}

size_t
digest_env_keys(const struct digest_env *env)
{
        return env->nkeys;
}

/* Append the strings up to the NULL that ends the list: what buf_printf
 * with only %s would make, without formatting (a digest makes hundreds). */
static void __attribute__((sentinel))
add_all(struct buf *out, ...)
{
        va_list ap;

        va_start(ap, out);
        for (const char *s; (s = va_arg(ap, const char *)) != NULL; )
                buf_adds(out, s);
        va_end(ap);
}

static int
link_url(const struct digest_env *env, const char *member, int64_t opp, enum link_action a,
         int64_t expires, char **ret, struct err *e)
{
        char *tok = NULL;
        struct buf url;
        int r = linktoken_make(env->lk, member, opp, a, expires, &tok, e);

        if (r < 0)
                return r;
        buf_init(&url);
        add_all(&url, env->base, a == LINK_UNSUBSCRIBE ? "/unsubscribe/" : "/l/", tok, NULL);
        *ret = buf_steal(&url);
        free(tok);
        return 0;
}

int
digest_links(const struct digest_env *env, struct digest_view *v, struct err *e)
{
        int r;

        if (env->lk == NULL)
                return 0;
        free(v->unsubscribe_url);
        v->unsubscribe_url = NULL;
        if ((r = link_url(env, v->member, 0, LINK_UNSUBSCRIBE,
                          v->now + DIGEST_UNSUBSCRIBE_DAYS * 86400LL, &v->unsubscribe_url,
                          e)) < 0)
                return r;
        for (size_t i = 0; i < v->n; i++) {
                struct digest_entry *it = &v->items[i];
                int64_t exp = v->now + DIGEST_LINK_DAYS * 86400LL;

                free(it->interested_url);
                free(it->not_relevant_url);
                it->interested_url = it->not_relevant_url = NULL;
                if ((r = link_url(env, v->member, it->opportunity_id, LINK_INTERESTED, exp,
                                  &it->interested_url, e)) < 0 ||
                    (r = link_url(env, v->member, it->opportunity_id, LINK_NOT_RELEVANT, exp,
                                  &it->not_relevant_url, e)) < 0)
                        return r;
        }
        return 0;
}

/* ---- views -------------------------------------------------------------------------- */

void
digest_view_init(struct digest_view *v)
{
        memset(v, 0, sizeof(*v));
}

static void
entry_done(struct digest_entry *it)
{
        free(it->title);
        free(it->buyer);
        free(it->location);
        free(it->procedure);
        free(it->suitability);
        for (size_t i = 0; i < it->nurls; i++) {
                free(it->urls[i]);
                free(it->url_labels[i]);
        }
        strv_done(&it->why);
        free(it->change);
        free(it->lead);
        free(it->own_covers);
        free(it->still_needed);
        for (size_t i = 0; i < it->npartners; i++) {
                free(it->partners[i].id);
                free(it->partners[i].name);
                free(it->partners[i].email);
                free(it->partners[i].covers);
        }
        free(it->partners);
        free(it->interested_url);
        free(it->not_relevant_url);
}

void
digest_view_done(struct digest_view *v)
{
        for (size_t i = 0; i < v->n; i++)
                entry_done(&v->items[i]);
        free(v->items);
        free(v->member);
        free(v->member_name);
        free(v->to);
        free(v->unsubscribe_url);
        digest_view_init(v);
}

struct digest_entry *
digest_view_add(struct digest_view *v)
{
        struct digest_entry *it;

        if (v->n == v->cap) {
                v->cap = v->cap ? v->cap * 2 : 16;
                v->items = xreallocarray(v->items, v->cap, sizeof(*v->items));
        }
        it = &v->items[v->n++];
        memset(it, 0, sizeof(*it));
        strv_init(&it->why);
        it->deadline = TIME_UNKNOWN;
        it->value_min = it->value_max = VALUE_NONE;
        return it;
}

/* ---- composing ---------------------------------------------------------------------- */

static const char *
money(int64_t pence, const char *cur, char *b, size_t n)
{
        return human_money(pence, cur, b, n);
}

static void
value_text(const struct digest_entry *it, struct buf *out)
{
        char a[HUMAN_MONEY_MAX], b[HUMAN_MONEY_MAX];

        if (!it->value_stated || it->value_max == VALUE_NONE)
                buf_adds(out, "value not stated");
        else if (it->value_min != VALUE_NONE && it->value_min < it->value_max)
                buf_printf(out, "%s to %s", money(it->value_min, it->currency, a, sizeof(a)),
                           money(it->value_max, it->currency, b, sizeof(b)));
        else
                buf_adds(out, money(it->value_max, it->currency, a, sizeof(a)));
}

static void
html_link(struct buf *out, const char *url, const char *label)
{
        buf_adds(out, "<a href=\"");
        mime_html_escape(url, out);
        buf_adds(out, "\" style=\"color:#0b57d0;\">");
        mime_html_escape(label, out);
        buf_adds(out, "</a>");
}

/* The blocks of one item the templates take whole: links, why, consortium. */
static void
item_blocks(const struct digest_entry *it, bool html, struct buf *links, struct buf *why,
            struct buf *cons)
{
        for (size_t i = 0; i < it->nurls; i++) {
                if (html) {
                        buf_adds(links, i ? " · " : "");
                        html_link(links, it->urls[i], it->url_labels[i]);
                } else {
                        add_all(links, i ? "\n" : "", "   ", it->url_labels[i], ": ",
                                it->urls[i], NULL);
                }
        }
        if (html && it->why.n)
                buf_adds(why, "<ul style=\"margin:4px 0 0 0;padding-left:20px;\">");
        for (size_t i = 0; i < it->why.n; i++) {
                if (html) {
                        buf_adds(why, "<li>");
                        mime_html_escape(it->why.v[i], why);
                        buf_adds(why, "</li>");
                } else {
                        add_all(why, i ? "\n" : "", "     - ", it->why.v[i], NULL);
                }
        }
        if (html && it->why.n)
                buf_adds(why, "</ul>");
        if (it->lead == NULL)
                return;
        if (html) {
                buf_adds(cons, "<p style=\"margin:8px 0 0 0;\"><strong>Bid together</strong> "
                         "(lead: ");
                mime_html_escape(it->lead, cons);
                buf_adds(cons, ")</p><ul style=\"margin:4px 0 0 0;padding-left:20px;\">"
                         "<li>you cover ");
                mime_html_escape(it->own_covers ? it->own_covers : "", cons);
                buf_adds(cons, "</li>");
                for (size_t i = 0; i < it->npartners; i++) {
                        const struct digest_partner *p = &it->partners[i];

                        buf_adds(cons, "<li>");
                        mime_html_escape(p->name, cons);
                        if (p->email) {
                                buf_adds(cons, " (");
                                char *mailto = xasprintf("mailto:%s", p->email);

                                html_link(cons, mailto, p->email);
                                free(mailto);
                                buf_adds(cons, ")");
                        }
                        buf_adds(cons, " covers ");
                        mime_html_escape(p->covers, cons);
                        buf_adds(cons, "</li>");
                }
                if (it->still_needed) {
                        buf_adds(cons, "<li>");
                        mime_html_escape(it->still_needed, cons);
                        buf_adds(cons, "</li>");
                }
                buf_adds(cons, "</ul>");
        } else {
                buf_printf(cons, "   Bid together (lead: %s):\n     - you cover %s", it->lead,
                           it->own_covers ? it->own_covers : "");
                for (size_t i = 0; i < it->npartners; i++) {
                        const struct digest_partner *p = &it->partners[i];

                        buf_printf(cons, "\n     - %s%s%s%s covers %s", p->name,
                                   p->email ? " (" : "", p->email ? p->email : "",
                                   p->email ? ")" : "", p->covers);
                }
                if (it->still_needed)
                        buf_printf(cons, "\n     - %s", it->still_needed);
        }
}

/* Control characters as spaces, runs of spaces as one; NULL for nothing. */
char *
digest_one_line(const char *s)
{
        struct buf b;
        bool space = false;

        if (s == NULL || *s == '\0')
                return NULL;
        buf_init(&b);
        for (const unsigned char *p = (const unsigned char *)s; *p; ) {
                const unsigned char *q = p;

                /* a run of bytes kept as they are, then the spaces after it */
                while (*q > ' ' && *q != 0x7f)
                        q++;
                if (q > p) {
                        if (space)
                                buf_addc(&b, ' ');
                        buf_add(&b, p, (size_t)(q - p));
                }
                while (*q != '\0' && (*q <= ' ' || *q == 0x7f))
                        q++;
                space = b.len > 0;
                p = q;
        }
        if (b.len == 0) {
                buf_done(&b);
                return NULL;
        }
        return buf_steal(&b);
}

static char *
one_line(const char *s)
{
        return digest_one_line(s);
}

static void
render_item(const struct digest_env *env, const struct digest_entry *it, size_t number,
            bool html, struct buf *out)
{
        const char *vals[I__N] = { 0 };
        char num[24], dl[40];
        struct buf value, links, why, cons;
        /* a feed value on one line whatever the view holds */
        char *title = one_line(it->title), *buyer = one_line(it->buyer);

        buf_init(&value);
        buf_init(&links);
        buf_init(&why);
        buf_init(&cons);
        snprintf(num, sizeof(num), "%zu", number);
        value_text(it, &value);
        item_blocks(it, html, &links, &why, &cons);
        if (it->deadline != TIME_UNKNOWN)
                time_format_uk(it->deadline, dl, sizeof(dl));
        else
                snprintf(dl, sizeof(dl), "not given");
        vals[I_NUMBER] = num;
        vals[I_TITLE] = title ? title : "(no title)";
        vals[I_CHANGE] = it->change;
        vals[I_BUYER] = buyer ? buyer : "not stated";
        vals[I_VALUE] = value.data;
        vals[I_DEADLINE] = dl;
        vals[I_LOCATION] = it->location;
        vals[I_PROCEDURE] = it->procedure;
        vals[I_SUITABILITY] = it->suitability;
        vals[I_LINKS] = links.data;
        vals[I_WHY] = why.data;
        vals[I_CONSORTIUM] = cons.data;
        vals[I_INTERESTED] = it->interested_url;
        vals[I_NOT_RELEVANT] = it->not_relevant_url;
        tpl_render(env->tpl[html ? T_ITEM_HTML : T_ITEM_TXT], vals, out);
        free(title);
        free(buyer);
        buf_done(&value);
        buf_done(&links);
        buf_done(&why);
        buf_done(&cons);
}

static void
period_text(const char *period, char *buf, size_t len)
{
        static const char *const wd[] = { "Monday", "Tuesday", "Wednesday", "Thursday",
                                          "Friday", "Saturday", "Sunday" };
        static const char *const mo[] = { "January", "February", "March", "April", "May",
                                          "June", "July", "August", "September", "October",
                                          "November", "December" };
        int y, m, d;

        if (sscanf(period, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12) {
                snprintf(buf, len, "%s", period);
                return;
        }
        snprintf(buf, len, "%s %d %s %d",
                 wd[((time_days_from_civil(y, m, d) + 3) % 7 + 7) % 7], d, mo[m - 1], y);
}

static void
subject_text(const struct digest_env *env, const struct digest_view *v, struct buf *out)
{
        const char *vals[S__N] = { 0 };
        char count[24], maxv[HUMAN_MONEY_MAX], per[64];
        struct buf extra;

        buf_init(&extra);
        snprintf(count, sizeof(count), "%zu", v->n);
        if (v->closing)
                buf_printf(&extra, ", %zu closing soon", v->closing);
        if (v->changed)
                buf_printf(&extra, ", %zu changed", v->changed);
        period_text(v->period, per, sizeof(per));
        vals[S_SOME] = v->n ? "1" : NULL;
        vals[S_NONE] = v->n ? NULL : "1";
        vals[S_COUNT] = count;
        vals[S_NOUN] = v->n == 1 ? "opportunity" : "opportunities";
        vals[S_MAX_VALUE] = money(env->cfg->max_value, "GBP", maxv, sizeof(maxv));
        vals[S_EXTRA] = extra.data;
        vals[S_PERIOD] = per;
        tpl_render(env->tpl[T_SUBJECT], vals, out);
        /* one line: the template's lines joined, the last newline dropped */
        for (size_t i = 0; i < out->len; i++)
                if (out->data[i] == '\n' || out->data[i] == '\r')
                        out->data[i] = i + 1 == out->len ? '\0' : ' ';
        while (out->len > 0 && (out->data[out->len - 1] == '\0' ||
                                out->data[out->len - 1] == ' '))
                out->data[--out->len] = '\0';
        buf_done(&extra);
}

static void
render_body(const struct digest_env *env, const struct digest_view *v, const char *subject,
            const char *unsub, bool html, struct buf *out)
{
        const struct config *cfg = env->cfg;
        const char *vals[D__N] = { 0 };
        struct buf closing, items, summary, overflow, infeasible;
        char per[64], maxv[HUMAN_MONEY_MAX];
        size_t number = 0;

        buf_init(&closing);
        buf_init(&items);
        buf_init(&summary);
        buf_init(&overflow);
        buf_init(&infeasible);
        for (size_t i = 0; i < v->n; i++)
                if (v->items[i].closing_soon)
                        render_item(env, &v->items[i], ++number, html, &closing);
        for (size_t i = 0; i < v->n; i++)
                if (!v->items[i].closing_soon)
                        render_item(env, &v->items[i], ++number, html, &items);
        if (v->n == 0)
                buf_adds(&summary, "Nothing new matched your work since your last digest.");
        else
                buf_printf(&summary, "%zu %s matched your work%s%s.", v->n,
                           v->n == 1 ? "opportunity" : "opportunities",
                           v->changed ? " (including changes to ones we sent before)" : "",
                           v->closing ? "; the ones closing soon come first" : "");
        if (v->overflow)
                buf_printf(&overflow, "%zu more matched %s will come in your next digest "
                           "(at most %ld a week).", v->overflow,
                           v->overflow == 1 ? "opportunity" : "opportunities",
                           cfg->mail_max_items);
        if (v->infeasible)
                buf_printf(&infeasible, "%zu matched %s closing in fewer than %ld working "
                           "days %s left out: too little time to bid.", v->infeasible,
                           v->infeasible == 1 ? "opportunity" : "opportunities",
                           cfg->mail_min_working_days, v->infeasible == 1 ? "was" : "were");
        period_text(v->period, per, sizeof(per));
        vals[D_MEMBER_NAME] = v->member_name;
        vals[D_MEMBER] = v->member;
        vals[D_PERIOD] = per;
        vals[D_SUMMARY] = summary.data;
        vals[D_CLOSING] = closing.data;
        vals[D_ITEMS] = items.data;
        vals[D_OVERFLOW] = overflow.data;
        vals[D_INFEASIBLE] = infeasible.data;
        vals[D_BROKERAGE] = cfg->mail_from_name;
        vals[D_REPLY_TO] = cfg->mail_reply_to ? cfg->mail_reply_to : cfg->mail_from;
        vals[D_UNSUBSCRIBE] = unsub;
        vals[D_SUBJECT] = subject;
        vals[D_MAX_VALUE] = money(cfg->max_value, "GBP", maxv, sizeof(maxv));
        tpl_render(env->tpl[html ? T_DIGEST_HTML : T_DIGEST_TXT], vals, out);
        buf_done(&closing);
        buf_done(&items);
        buf_done(&summary);
        buf_done(&overflow);
        buf_done(&infeasible);
}

static const char *
from_domain(const struct config *cfg)
{
        const char *at = cfg->mail_from ? strrchr(cfg->mail_from, '@') : NULL;

        return at ? at + 1 : "localhost";
}

char *
digest_message_id(const struct config *cfg, const char *member, const char *period)
{
        return xasprintf("digest.%s.%s@%s", period, member,
                         cfg->dkim_domain ? cfg->dkim_domain : from_domain(cfg));
}

static int
headers(const struct digest_env *env, const struct digest_view *v, const char *subject,
        const char *mailto, struct mime_msg *m, struct err *e)
{
        const struct config *cfg = env->cfg;
        char *s;
        int r;

        if ((r = mime_header_addr(m, "From", cfg->mail_from_name, cfg->mail_from, e)) < 0 ||
            (r = mime_header_addr(m, "To", v->member_name, v->to, e)) < 0 ||
            (r = mime_header_addr(m, "Reply-To", NULL, cfg->mail_reply_to ? cfg->mail_reply_to
                                                                         : cfg->mail_from,
                                  e)) < 0 ||
            (r = mime_header_text(m, "Subject", subject, e)) < 0)
                return r;
        mime_header_date(m, v->now);
        s = digest_message_id(cfg, v->member, v->period);
        {
                char *id = xasprintf("<%s>", s);

                r = mime_header_raw(m, "Message-ID", id, e);
                free(id);
        }
        free(s);
        if (r < 0)
                return r;
        s = cfg->mail_list_id ? xasprintf("<%s>", cfg->mail_list_id)
                              : xasprintf("<digest.%s>", from_domain(cfg));
        r = mime_header_raw(m, "List-Id", s, e);
        free(s);
        if (r < 0)
                return r;
        if (v->unsubscribe_url)
                s = xasprintf("<%s>, <%s>", v->unsubscribe_url, mailto);
        else
                s = xasprintf("<%s>", mailto);
        r = mime_header_raw(m, "List-Unsubscribe", s, e);
        free(s);
        /* RFC 8058: one-click needs the https URI */
        if (r == 0 && v->unsubscribe_url)
                r = mime_header_raw(m, "List-Unsubscribe-Post", "List-Unsubscribe=One-Click", e);
        return r;
}

int
digest_compose(const struct digest_env *env, const struct digest_view *v, struct buf *out,
               struct err *e)
{
        const struct config *cfg = env->cfg;
        struct mime_msg *m = mime_new();
        struct buf subject, text, html, msg;
        char *mailto;
        int r;

        buf_init(&subject);
        buf_init(&text);
        buf_init(&html);
        buf_init(&msg);
        mailto = xasprintf("mailto:%s?subject=unsubscribe%%20%s",
                           cfg->mail_unsubscribe ? cfg->mail_unsubscribe :
                           cfg->mail_reply_to ? cfg->mail_reply_to : cfg->mail_from, v->member);
        subject_text(env, v, &subject);
        render_body(env, v, subject.data, v->unsubscribe_url ? v->unsubscribe_url : mailto,
                    false, &text);
        render_body(env, v, subject.data, v->unsubscribe_url ? v->unsubscribe_url : mailto,
                    true, &html);
        if ((r = headers(env, v, subject.data ? subject.data : "", mailto, m, e)) < 0 ||
            (r = mime_set_text(m, text.data ? text.data : "", e)) < 0 ||
            (r = mime_set_html(m, html.data ? html.data : "", e)) < 0 ||
            (r = mime_render(m, &msg, e)) < 0)
                goto out;
        if ((r = dkim_sign_all(env->keys, env->nkeys, msg.data, msg.len, v->now, out, e)) < 0)
                goto out;
        buf_add(out, msg.data, msg.len);
out:
        mime_free(m);
        free(mailto);
        buf_done(&subject);
        buf_done(&text);
        buf_done(&html);
        buf_done(&msg);
        return r;
}
