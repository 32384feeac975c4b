/*
 * digestrun.c — which matches a member's digest carries, and recording it
 * (digest.h): the member's active stored matches, new or changed since the
 * last digest that carried them (digest_item), open, feasible, closing soon
 * first, capped; then one transaction records the digest, its items and
 * queues the message.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/config.h"
#include "bidbroker/consortlots.h"
#include "bidbroker/consortmatch.h"
#include "bidbroker/consortstore.h"
#include "bidbroker/digest.h"
#include "bidbroker/digests.h"
#include "bidbroker/engine.h"
#include "bidbroker/err.h"
#include "bidbroker/feedback.h"
#include "bidbroker/human.h"
#include "bidbroker/links.h"
#include "bidbroker/lots.h"
#include "bidbroker/matchconf.h"
#include "bidbroker/matchstore.h"
#include "bidbroker/members.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/outbox.h"
#include "bidbroker/region.h"
#include "bidbroker/store.h"
#include "bidbroker/taxonomy.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"

struct cand {
        int64_t  opp;
        double   score;
        char    *reasons;               /* JSON array text */
};

struct cands {
        struct cand *v;
        size_t       n, cap;
};

static int
collect(const struct stored_match *sm, void *arg)
{
        struct cands *c = arg;

        if (c->n == c->cap) {
                c->cap = c->cap ? c->cap * 2 : 32;
                c->v = xreallocarray(c->v, c->cap, sizeof(*c->v));
        }
        c->v[c->n++] = (struct cand){ sm->opportunity_id, sm->score, xstrdup(sm->reasons) };
        return 0;
}

/* A picked item, before the cap: what sorting and recording need. */
struct pick {
        size_t   cand;
        bool     closing;
        int64_t  deadline;
        double   score;
        char    *change;                /* NULL: new */
};

static int
pick_cmp(const void *a, const void *b)
{
        const struct pick *x = a, *y = b;

        if (x->closing != y->closing)
                return x->closing ? -1 : 1;
        if (x->closing && x->deadline != y->deadline)
                return x->deadline < y->deadline ? -1 : 1;
        if (x->score != y->score)
                return x->score > y->score ? -1 : 1;
        if (x->deadline != y->deadline)
                return x->deadline == TIME_UNKNOWN ? 1 : y->deadline == TIME_UNKNOWN ? -1 :
                       x->deadline < y->deadline ? -1 : 1;
        return x->cand < y->cand ? -1 : x->cand > y->cand;
}

static char *
flat(const char *s)
{
        return digest_one_line(s);
}

char *
digest_change_text(const struct opportunity *o, const char *title, int64_t deadline,
             bool value_stated, int64_t value_max)
{
        struct buf b;
        char t1[40], t2[40], m1[HUMAN_MONEY_MAX], m2[HUMAN_MONEY_MAX];

        buf_init(&b);
        if (o->deadline != deadline) {
                if (o->deadline == TIME_UNKNOWN)
                        buf_adds(&b, "deadline no longer given");
                else if (deadline == TIME_UNKNOWN)
                        buf_printf(&b, "deadline now given: %s",
                                   time_format_uk(o->deadline, t1, sizeof(t1)));
                else
                        buf_printf(&b, "deadline moved to %s (was %s)",
                                   time_format_uk(o->deadline, t1, sizeof(t1)),
                                   time_format_uk(deadline, t2, sizeof(t2)));
        }
        if (o->value_stated && !value_stated) {
                buf_printf(&b, "%svalue now stated: %s", b.len ? "; " : "",
                           o->value_max != VALUE_NONE
                           ? human_money(o->value_max, o->currency, m1, sizeof(m1)) : "?");
        } else if (!o->value_stated && value_stated) {
                buf_printf(&b, "%svalue no longer stated", b.len ? "; " : "");
        } else if (o->value_stated && o->value_max != value_max) {
                buf_printf(&b, "%svalue now %s (was %s)", b.len ? "; " : "",
                           o->value_max != VALUE_NONE
                           ? human_money(o->value_max, o->currency, m1, sizeof(m1)) : "?",
                           value_max != VALUE_NONE
                           ? human_money(value_max, o->currency, m2, sizeof(m2)) : "?");
        }
        if (title != NULL && o->title != NULL && strcmp(o->title, title) != 0)
                buf_printf(&b, "%stitle changed (was \"%s\")", b.len ? "; " : "", title);
        return b.len ? buf_steal(&b) : (buf_done(&b), NULL);
}

static bool
str_same(const char *a, const char *b)
{
        return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static const char *
cap_label(const struct taxonomy *tx, const char *id)
{
        const struct capability *c = tx && id ? taxonomy_find(tx, id) : NULL;

        return c ? c->label : id;
}

static const char *
field_words(const char *field)
{
        if (field == NULL)
                return "the notice";
        if (strcmp(field, "lots") == 0)
                return "a lot title";
        if (strcmp(field, "items") == 0)
                return "an item description";
        if (strcmp(field, "buyer") == 0)
                return "the buyer's name";
        return field;
}

/* One stored reason as a sentence for the member (CPV codes: add_reasons). */
static char *
reason_sentence(const json_t *r, const struct taxonomy *tx)
{
        const char *kind = json_string_value(json_object_get(r, "kind"));
        const char *cap = cap_label(tx, json_string_value(json_object_get(r, "capability")));
        const char *rule = json_string_value(json_object_get(r, "rule"));
        const char *m = json_string_value(json_object_get(r, "matched"));
        const char *field = field_words(json_string_value(json_object_get(r, "field")));
        const char *the = strcmp(field, "title") == 0 || strcmp(field, "description") == 0
                          ? "the " : "";
        char *s = NULL, *fm = flat(m);

        if (kind == NULL)
                goto out;
        if (strcmp(kind, "rule") == 0)
                s = xasprintf("%s: \"%s\" in %s%s", cap ? cap : "your work", fm ? fm : "",
                              the, field);
        else if (strcmp(kind, "member_rule") == 0)
                s = xasprintf("your own rule '%s': \"%s\" in %s%s", rule ? rule : "?",
                              fm ? fm : "", the, field);
        else if (strcmp(kind, "region") == 0)
                s = fm && region_name(fm) ? xasprintf("where: %s (%s), in your regions",
                                                      region_name(fm), fm)
                                          : xasprintf("where: %s", fm ? fm : "in your regions");
        else if (strcmp(kind, "value") == 0)
                s = xasprintf("value: %s", fm ? fm : "in your range");
        else if (strcmp(kind, "value_not_stated") == 0)
                s = xstrdup("no value stated: check the notice");
        else if (strcmp(kind, "suitability") == 0)
                s = xstrdup(fm && strcmp(fm, "vcse") == 0 ? "marked suitable for VCSEs"
                            : fm && strcmp(fm, "sme") == 0 ? "marked suitable for SMEs"
                            : "marked suitable for small organisations");
out:
        free(fm);
        return s;
}

/* Why it matched: the CPV codes of one capability in one sentence, then the
 * other reasons in order, each once. */
static void
add_reasons(struct digest_entry *it, const char *reasons, const struct taxonomy *tx)
{
        json_t *a = json_loads(reasons ? reasons : "[]", 0, NULL), *r, *x;
        size_t i, k;

        json_array_foreach(a, i, r) {
                const char *kind = json_string_value(json_object_get(r, "kind"));
                const char *capid = json_string_value(json_object_get(r, "capability"));
                struct buf b;
                size_t n = 0;

                if (kind == NULL || strcmp(kind, "cpv") != 0)
                        continue;
                buf_init(&b);
                json_array_foreach(a, k, x) {
                        const char *c2 = json_string_value(json_object_get(x, "capability"));
                        const char *m = json_string_value(json_object_get(x, "matched"));

                        if (!str_same(json_string_value(json_object_get(x, "kind")), "cpv") ||
                            !str_same(c2, capid) || m == NULL)
                                continue;
                        if (k < i)
                                break;  /* reported with an earlier one */
                        if (n < 4)
                                buf_printf(&b, "%s%s", n ? ", " : "", m);
                        n++;
                }
                if (n > 0) {
                        char *fb = flat(b.data);
                        char *s = xasprintf("%s: CPV code%s %s%s", cap_label(tx, capid) ?
                                            cap_label(tx, capid) : "your work", n > 1 ? "s" : "",
                                            fb ? fb : "", n > 4 ? " and more" : "");

                        if (!strv_contains(&it->why, s) && it->why.n < 8)
                                strv_add(&it->why, s);
                        free(s);
                        free(fb);
                }
                buf_done(&b);
        }
        json_array_foreach(a, i, r) {
                char *s = reason_sentence(r, tx);

                if (s == NULL)
                        continue;
                if (!strv_contains(&it->why, s) && it->why.n < 8)
                        strv_add(&it->why, s);
                free(s);
        }
        json_decref(a);
}

/* "England" or "the whole UK" when every region of it is listed */
static bool
covers_all(const struct strv *regions, bool uk)
{
        struct strv all;
        bool ok = true;

        strv_init(&all);
        if (uk)
                region_add_uk(&all);
        else
                region_add_england(&all);
        for (size_t i = 0; i < all.n && ok; i++)
                ok = strv_contains(regions, all.v[i]);
        strv_done(&all);
        return ok;
}

static char *
location_text(const struct opportunity *o)
{
        struct buf b;
        char *s;

        buf_init(&b);
        if (covers_all(&o->regions, true)) {
                buf_adds(&b, "anywhere in the UK");
        } else if (covers_all(&o->regions, false)) {
                buf_adds(&b, "anywhere in England");
        } else {
                for (size_t i = 0; i < o->regions.n; i++) {
                        const char *name = region_name(o->regions.v[i]);

                        if (name)
                                buf_printf(&b, "%s%s (%s)", b.len ? ", " : "", name,
                                           o->regions.v[i]);
                        else
                                buf_printf(&b, "%s%s", b.len ? ", " : "", o->regions.v[i]);
                }
        }
        for (size_t i = 0; i < o->postcodes.n && i < 3; i++)
                buf_printf(&b, "%s%s", b.len ? ", " : "", o->postcodes.v[i]);
        if (o->anywhere && o->regions.n == 0)
                buf_adds(&b, b.len ? ", or anywhere" : "anywhere (no region limit)");
        s = b.len ? flat(b.data) : NULL;
        buf_done(&b);
        return s;
}

static char *
procedure_text(const struct opportunity *o, int64_t max_value)
{
        const char *what = o->procurement_method_details ? o->procurement_method_details
                                                         : o->procurement_method;
        bool below = o->above_threshold == TRI_NO ||
                     (o->above_threshold == TRI_UNKNOWN && o->value_stated &&
                      o->value_max != VALUE_NONE && o->value_max <= max_value);
        char *w = flat(what), *s;

        if (!below)
                return w;
        s = xasprintf("%s%sbelow threshold: no pre-qualification stage allowed", w ? w : "",
                      w ? "; " : "");
        free(w);
        return s;
}

static char *
suitability_text(const struct opportunity *o)
{
        if (o->suitable_sme == TRI_YES && o->suitable_vcse == TRI_YES)
                return xstrdup("SMEs and VCSEs");
        if (o->suitable_sme == TRI_YES)
                return xstrdup(o->suitable_vcse == TRI_NO ? "SMEs (not marked for VCSEs)"
                                                          : "SMEs");
        if (o->suitable_vcse == TRI_YES)
                return xstrdup("VCSEs");
        if (o->suitable_sme == TRI_NO || o->suitable_vcse == TRI_NO)
                return xstrdup("not marked suitable for SMEs or VCSEs");
        return NULL;
}

static const char *
source_label(const char *source)
{
        if (source == NULL)
                return "Notice";
        if (strcmp(source, "cf") == 0)
                return "Contracts Finder";
        if (strcmp(source, "fts") == 0)
                return "Find a Tender";
        if (str_startswith(source, "anchor:"))
                return "Posted to the brokerage";
        return "Notice";
}

static void
add_url(struct digest_entry *it, const char *source, const char *url)
{
        if (url == NULL || it->nurls == 2 || strncmp(url, "http", 4) != 0)
                return;
        for (size_t i = 0; i < it->nurls; i++)
                if (strcmp(it->urls[i], url) == 0)
                        return;
        it->urls[it->nurls] = flat(url);
        it->url_labels[it->nurls++] = xstrdup(source_label(source));
}

/* Both records of a tender on two sources (links.h). */
static int
add_links(struct store *st, struct digest_entry *it, const struct opportunity *o,
          struct err *e)
{
        struct store_link l;
        int r;

        add_url(it, o->source, o->url);
        store_link_init(&l);
        r = store_link_get(st, o->id, &l, e);
        if (r == 1) {
                struct opportunity other;

                opportunity_init(&other);
                if ((r = store_get(st, l.id, &other, e)) == 0)
                        add_url(it, other.source, other.url);
                else if (r == -ENOENT)
                        r = 0;
                opportunity_done(&other);
        }
        store_link_done(&l);
        return r < 0 ? r : 0;
}

/* The member's place in a suggestion (consort_suggestion_json's shape: the
 * stored one, consortstore.h, or computed now): the best-ranked set of two or
 * more it is in, unless a set of its own covers everything. */
static void
consortium_from_json(struct digest_entry *it, const json_t *doc, const struct member *m,
                     const struct taxonomy *tx)
{
        const json_t *sets = json_object_get(doc, "consortia"), *set, *id;
        const json_t *contacts, *covers;
        size_t i, k;

        json_array_foreach(sets, i, set) {
                const json_t *ids = json_object_get(set, "members");
                bool in = false;
                const char *cap;
                const json_t *who;

                json_array_foreach(ids, k, id)
                        in = in || str_same(json_string_value(id), m->id);
                if (!in)
                        continue;
                if (json_array_size(ids) < 2)
                        return;                 /* it covers every requirement alone */
                contacts = json_object_get(set, "contacts");
                covers = json_object_get(set, "covers");
                {
                        const char *lead = json_string_value(json_object_get(set, "lead"));
                        const char *ln = json_string_value(json_object_get(
                                json_object_get(contacts, lead ? lead : ""), "name"));

                        it->lead = xstrdup(ln ? ln : lead ? lead : "?");
                }
                {
                        const json_t *rd = json_object_get(set, "readiness");
                        const char *sum = json_string_value(json_object_get(rd, "summary"));

                        if (sum != NULL && json_is_false(json_object_get(rd, "ready")))
                                it->still_needed = flat(sum);
                }
                it->partners = xcalloc(json_array_size(ids), sizeof(*it->partners));
                json_array_foreach(ids, k, id) {
                        const char *mid = json_string_value(id);
                        const json_t *c = json_object_get(contacts, mid ? mid : "");
                        const json_t *emails = json_object_get(c, "emails");
                        struct buf cov;

                        if (mid == NULL)
                                continue;
                        buf_init(&cov);
                        json_object_foreach((json_t *)covers, cap, who)
                                if (str_same(json_string_value(who), mid))
                                        buf_printf(&cov, "%s%s", cov.len ? ", " : "",
                                                   cap_label(tx, cap));
                        if (strcmp(mid, m->id) == 0) {
                                it->own_covers = cov.len ? buf_steal(&cov) : NULL;
                                buf_done(&cov);
                                continue;
                        }
                        {
                                struct digest_partner *p = &it->partners[it->npartners++];
                                const char *name = json_string_value(json_object_get(c, "name"));
                                const char *mail = json_string_value(json_array_get(emails, 0));

                                p->id = xstrdup(mid);
                                p->name = flat(name ? name : mid);
                                p->email = mail ? flat(mail) : NULL;
                                p->covers = cov.len ? buf_steal(&cov) : xstrdup("");
                        }
                        buf_done(&cov);
                }
                return;
        }
}

/* A notice of several lots (consortlots.h): which lots the member could bid
 * for alone, and which it covers part of, one sentence each (at most 3, then
 * how many more), first among the reasons. */
static void
add_lots(struct digest_entry *it, const struct engine *eng, struct engine_scratch *sc,
         const struct member *m, const struct opportunity *o)
{
        struct lots_suggestion ls;
        size_t said = 0, more = 0;

        if (eng == NULL || !opp_lots_separable(o)
            || lots_suggest(eng, sc, o, 0, NULL, NULL, &ls) < 0)
                return;
        for (size_t i = 0; i < ls.n; i++) {
                const struct opp_lot *lot = &o->lots[ls.v[i].lot];
                const struct match_result *res = &ls.v[i].res;
                char money[HUMAN_MONEY_MAX], *title = flat(lot->title);
                bool whole = true, in = false;

                for (size_t k = 0; k < res->nmatches; k++)
                        in = in || res->matches[k].member == m;
                for (size_t k = 0; in && k < res->nrequires; k++)
                        if (res->requires[k].required
                            && !strv_contains(&m->capabilities, res->requires[k].cap->id))
                                whole = false;
                if (in && said == 3) {
                        more++;
                } else if (in) {
                        struct buf b;

                        buf_init(&b);
                        buf_printf(&b, "%s lot %s%s", whole ? "You could bid for"
                                   : "You cover part of", lot->id, whole ? " alone" : "");
                        if (lot->value != VALUE_NONE)
                                buf_printf(&b, " (%s%s%s)", human_money(lot->value, "GBP",
                                           money, sizeof(money)), title ? ", " : "",
                                           title ? title : "");
                        else if (title != NULL)
                                buf_printf(&b, " (%s)", title);
                        strv_take(&it->why, buf_steal(&b));
                        buf_done(&b);
                        said++;
                }
                free(title);
        }
        if (more > 0) {
                char *s = xasprintf("and %zu more lot%s of this notice", more, more > 1 ? "s" : "");

                strv_add(&it->why, s);
                free(s);
        }
        lots_suggestion_done(&ls);
}

static int
copy_doc(const struct stored_consortia *c, void *arg)
{
        *(char **)arg = c->doc && c->status && strcmp(c->status, "active") == 0
                        ? xstrdup(c->doc) : NULL;
        return 0;
}

/* A consortium the member is part of, when it does not cover the notice
 * alone: the suggestion the match pass stored (consortstore.h), else the
 * same search run now. */
static int
add_consortium(struct digest_entry *it, struct store *st, const struct engine *eng,
               struct engine_scratch *sc, const struct config *cfg, const struct member *m,
               const struct opportunity *o, struct err *e)
{
        const struct taxonomy *tx = eng ? engine_taxonomy(eng) : NULL;
        char *doc = NULL;
        json_t *j = NULL;
        int r;

        if (!m->consortium)
                return 0;
        r = consortstore_get(st, o->id, copy_doc, &doc, e);
        if (r < 0 && r != -ENOENT)
                return r;
        if (doc != NULL) {
                j = json_loads(doc, 0, NULL);
        } else if (eng != NULL) {
                struct match_result res;
                struct consort_suggestion sg = { 0 };
                struct consort_opts co;

                match_result_init(&res);
                matchconf_consort_opts(cfg, eng, &co);
                if (engine_match(eng, sc, o, 0, &res) == 0 &&
                    consort_suggest(&res, o, &co, NULL, &sg) == 0)
                        j = consort_suggestion_json(&sg);
                consort_suggestion_done(&sg);
                match_result_done(&res);
        }
        if (j != NULL)
                consortium_from_json(it, j, m, tx);
        json_decref(j);
        free(doc);
        return 0;
}

static void
fill_entry(struct digest_entry *it, const struct opportunity *o, const struct config *cfg)
{
        it->opportunity_id = o->id;
        it->title = flat(o->title);
        it->buyer = flat(o->buyer_name);
        it->value_stated = o->value_stated;
        it->value_min = o->value_min;
        it->value_max = o->value_max;
        memcpy(it->currency, o->currency, sizeof(it->currency));
        it->deadline = o->deadline;
        it->location = location_text(o);
        it->procedure = procedure_text(o, cfg->max_value);
        it->suitability = suitability_text(o);
}

struct selection {
        struct cands     c;
        struct pick     *picks;
        size_t           npicks;
};

static void
selection_done(struct selection *s)
{
        for (size_t i = 0; i < s->c.n; i++)
                free(s->c.v[i].reasons);
        free(s->c.v);
        for (size_t i = 0; i < s->npicks; i++)
                free(s->picks[i].change);
        free(s->picks);
}

/* The view of member m's digest at now: its items, overflow and infeasible counts. */
static int
select_items(struct digest_env *env, const struct config *cfg, struct store *st,
             const struct engine *eng, const struct member *m, int64_t now,
             struct digest_view *v, struct err *e)
{
        struct selection sel = { 0 };
        struct engine_scratch *sc = eng ? engine_scratch_new(eng) : NULL;
        const struct taxonomy *tx = eng ? engine_taxonomy(eng) : NULL;
        struct opportunity o;
        int r;

        (void)env;
        opportunity_init(&o);
        r = matchstore_each(st, m->id, false, collect, &sel.c, e);
        if (r == -ENOENT)
                r = 0;                  /* nothing ever matched */
        if (r < 0)
                goto out;
        sel.picks = xcalloc(sel.c.n ? sel.c.n : 1, sizeof(*sel.picks));
        for (size_t i = 0; i < sel.c.n; i++) {
                char *title = NULL;
                int64_t deadline = TIME_UNKNOWN, value_max = VALUE_NONE;
                bool stated = false;
                char *change = NULL;

                opportunity_done(&o);
                opportunity_init(&o);
                if ((r = store_get(st, sel.c.v[i].opp, &o, e)) < 0) {
                        if (r != -ENOENT)
                                goto out;
                        r = 0;
                        continue;
                }
                if (!opportunity_is_open(&o, now))
                        continue;
                r = digest_item_last(st, m->id, o.id, &title, &deadline, &stated, &value_max, e);
                if (r < 0)
                        goto out;
                if (r == 1) {
                        change = digest_change_text(&o, title, deadline, stated, value_max);
                        free(title);
                        if (change == NULL)
                                continue;       /* sent before, nothing new */
                }
                r = 0;
                if (o.deadline != TIME_UNKNOWN &&
                    uk_working_days_between(now, o.deadline) < cfg->mail_min_working_days) {
                        v->infeasible++;
                        free(change);
                        continue;
                }
                sel.picks[sel.npicks++] = (struct pick){
                        .cand = i, .deadline = o.deadline, .score = sel.c.v[i].score,
                        .change = change,
                        .closing = o.deadline != TIME_UNKNOWN &&
                                   o.deadline - now <= cfg->mail_closing_soon_ms / 1000,
                };
        }
        qsort(sel.picks, sel.npicks, sizeof(*sel.picks), pick_cmp);
        if (sel.npicks > (size_t)cfg->mail_max_items) {
                v->overflow = sel.npicks - (size_t)cfg->mail_max_items;
                sel.npicks = (size_t)cfg->mail_max_items;
                for (size_t i = sel.npicks; i < sel.npicks + v->overflow; i++) {
                        free(sel.picks[i].change);
                        sel.picks[i].change = NULL;
                }
        }
        for (size_t i = 0; i < sel.npicks; i++) {
                const struct pick *p = &sel.picks[i];
                struct digest_entry *it;

                opportunity_done(&o);
                opportunity_init(&o);
                if ((r = store_get(st, sel.c.v[p->cand].opp, &o, e)) < 0)
                        goto out;
                it = digest_view_add(v);
                fill_entry(it, &o, cfg);
                it->score = p->score;
                it->closing_soon = p->closing;
                it->change = p->change ? xstrdup(p->change) : NULL;
                v->changed += it->change != NULL;
                v->closing += it->closing_soon;
                add_lots(it, eng, sc, m, &o);
                add_reasons(it, sel.c.v[p->cand].reasons, tx);
                if ((r = add_links(st, it, &o, e)) < 0)
                        goto out;
                if ((r = add_consortium(it, st, eng, sc, cfg, m, &o, e)) < 0)
                        goto out;
        }
out:
        opportunity_done(&o);
        engine_scratch_free(sc);
        selection_done(&sel);
        return r;
}

void
digest_result_init(struct digest_result *r)
{
        memset(r, 0, sizeof(*r));
        buf_init(&r->message);
}

void
digest_result_done(struct digest_result *r)
{
        buf_done(&r->message);
        digest_result_init(r);
}

/* Record the digest, its items, and queue the message: one transaction. */
static int
record(struct store *st, const struct config *cfg, const struct digest_view *v,
       struct digest_result *res, struct err *e)
{
        struct digest_row row, old;
        char *mid = NULL;
        int r;

        digest_row_init(&row);
        digest_row_init(&old);
        if ((r = store_begin(st, e)) < 0)
                return r;
        /* another process may have composed it since we looked */
        if ((r = digest_find(st, v->member, v->period, &old, e)) != 0) {
                store_rollback(st);
                if (r == 1) {
                        res->outcome = DIGEST_EXISTING;
                        res->digest_id = old.id;
                        res->outbox_id = old.outbox_id;
                        buf_reset(&res->message);
                        if (old.message)
                                buf_add(&res->message, old.message, old.len);
                        r = 0;
                }
                digest_row_done(&old);
                return r;
        }
        row.member = v->member;
        row.period = (char *)v->period;
        if (res->message.len > 0)
                row.message_id = mid = digest_message_id(cfg, v->member, v->period);
        row.items = (int64_t)v->n;
        row.overflow = (int64_t)v->overflow;
        row.infeasible = (int64_t)v->infeasible;
        row.message = res->message.len ? res->message.data : NULL;
        row.len = res->message.len;
        row.created = v->now;
        /* the message is queued for delivery in the same transaction that
         * records it: a crash leaves both or neither (outbox.h) */
        if (mid) {
                char *hdr_mid = xasprintf("<%s>", mid);

                r = outbox_enqueue(st, v->member, v->to, hdr_mid, res->message.data,
                                   res->message.len, v->now, &res->outbox_id, e);
                free(hdr_mid);
                if (r < 0)
                        goto fail;
                row.outbox_id = res->outbox_id;
        }
        if ((r = digest_insert(st, &row, &res->digest_id, e)) < 0)
                goto fail;
        for (size_t i = 0; i < v->n; i++) {
                const struct digest_entry *it = &v->items[i];
                struct digest_item_row ir = {
                        .opportunity_id = it->opportunity_id,
                        .kind = it->change ? "changed" : "new",
                        .section = it->closing_soon ? "closing-soon" : "main",
                        .title = it->title,
                        .deadline = it->deadline,
                        .value_stated = it->value_stated,
                        .value_max = it->value_max,
                };

                if ((r = digest_item_put(st, res->digest_id, v->member, &ir, v->now, e)) < 0)
                        goto fail;
        }
        if ((r = store_commit(st, e)) < 0)
                goto fail;
        free(mid);
        return 0;
fail:
        store_rollback(st);
        free(mid);
        return r;
}

int
digest_member(struct digest_env *env, struct store *st, const struct engine *eng,
              const struct member *m, int64_t now, bool preview, struct digest_result *res,
              struct err *e)
{
        const struct config *cfg = digest_env_config(env);
        struct digest_view v;
        struct digest_row old;
        int64_t slot;
        bool unsubscribed = false;
        int r;

        digest_view_init(&v);
        digest_row_init(&old);
        digest_slot_at(now, (int)m->digest_day, cfg->mail_digest_minute, &slot, res->period);
        if (m->emails.n == 0) {
                res->outcome = DIGEST_NO_ADDRESS;
                return 0;
        }
        if ((r = member_unsubscribed(st, m->id, &unsubscribed, e)) < 0)
                return r;
        if (unsubscribed) {     /* its link, or staff: member_resubscribe() undoes it */
                res->outcome = DIGEST_UNSUBSCRIBED;
                return 0;
        }
        r = digest_find(st, m->id, res->period, &old, e);
        if (r < 0)
                return r;
        if (r == 1) {
                res->outcome = DIGEST_EXISTING;
                res->digest_id = old.id;
                res->outbox_id = old.outbox_id;
                res->items = (size_t)old.items;
                res->overflow = (size_t)old.overflow;
                res->infeasible = (size_t)old.infeasible;
                if (old.message)
                        buf_add(&res->message, old.message, old.len);
                digest_row_done(&old);
                return 0;
        }
        v.member = xstrdup(m->id);
        v.member_name = xstrdup(m->name ? m->name : m->id);
        v.to = xstrdup(m->emails.v[0]);
        memcpy(v.period, res->period, sizeof(v.period));
        v.slot = slot;
        v.now = now;
        if ((r = select_items(env, cfg, st, eng, m, now, &v, e)) < 0)
                goto out;
        res->items = v.n;
        res->overflow = v.overflow;
        res->infeasible = v.infeasible;
        res->outcome = v.n == 0 && !cfg->mail_send_empty ? DIGEST_EMPTY : DIGEST_QUEUED;
        if (res->outcome == DIGEST_QUEUED &&
            ((r = digest_links(env, &v, e)) < 0 ||
             (r = digest_compose(env, &v, &res->message, e)) < 0))
                goto out;
        if (!preview)
                r = record(st, cfg, &v, res, e);
out:
        digest_view_done(&v);
        return r;
}
