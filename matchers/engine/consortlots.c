/*
 * consortlots.c — per-lot matching, consortia and the lot bundle
 * (consortlots.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/consortlots.h"
#include "bidbroker/human.h"
#include "bidbroker/json.h"
#include "bidbroker/lots.h"
#include "bidbroker/members.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/taxonomy.h"
#include "bidbroker/util.h"

#define BUNDLE_BUDGET   100000          /* nodes of the bundle search */

/* ---- the bundle: one set per lot --------------------------------------------- */

struct bundle {
        const struct lots_suggestion *l;
        const struct member **who;      /* members in the sets chosen so far */
        int     *uses;                  /* lots each of who is in */
        size_t   nwho, capwho;
        size_t  *cur, *best;
        size_t   best_covered, best_cost, nodes;
        bool     out_of_budget;
};

static size_t
who_index(struct bundle *b, const struct member *m)
{
        for (size_t i = 0; i < b->nwho; i++)
                if (b->who[i] == m)
                        return i;
        if (b->nwho == b->capwho) {
                b->capwho = b->capwho ? 2 * b->capwho : 16;
                b->who = xreallocarray(b->who, b->capwho, sizeof(*b->who));
                b->uses = xreallocarray(b->uses, b->capwho, sizeof(*b->uses));
        }
        b->who[b->nwho] = m;
        b->uses[b->nwho] = 0;
        return b->nwho++;
}

/* Take (d = 1) or give back (d = -1) set k of lot i; false if a member
 * would be in more lots than the limit (nothing changed then). */
static bool
take(struct bundle *b, size_t i, size_t k, int d)
{
        const struct consort_suggestion *sg = &b->l->v[i].sg;
        size_t n;
        const uint32_t *m = consort_set(sg->res, k, &n);

        for (size_t j = 0; d > 0 && b->l->limit > 0 && j < n; j++) {
                size_t w = who_index(b, sg->members[m[j]]);

                if (b->uses[w] >= b->l->limit)
                        return false;
        }
        for (size_t j = 0; j < n; j++) {
                size_t w = who_index(b, sg->members[m[j]]);

                b->uses[w] += d;
        }
        return true;
}

/* Depth first over the lots: each lot's sets in rank order, then no set.
 * Best: most lots covered, then the least sum of ranks. */
static void
bundle_dfs(struct bundle *b, size_t i, size_t covered, size_t cost)
{
        const struct lots_suggestion *l = b->l;

        if (b->nodes++ >= BUNDLE_BUDGET) {
                b->out_of_budget = true;
                return;
        }
        if (covered + (l->n - i) < b->best_covered
            || (covered + (l->n - i) == b->best_covered && cost >= b->best_cost))
                return;                         /* cannot beat the best */
        if (i == l->n) {
                b->best_covered = covered;
                b->best_cost = cost;
                memcpy(b->best, b->cur, l->n * sizeof(*b->cur));
                return;
        }
        if (l->v[i].sg.res != NULL)
                for (size_t k = 0; k < consort_count(l->v[i].sg.res) && !b->out_of_budget; k++) {
                        if (!take(b, i, k, 1))
                                continue;
                        b->cur[i] = k;
                        bundle_dfs(b, i + 1, covered + 1, cost + k);
                        take(b, i, k, -1);
                }
        b->cur[i] = SIZE_MAX;
        bundle_dfs(b, i + 1, covered, cost);
}

void
lots_bundle(struct lots_suggestion *l)
{
        free(l->pick);
        struct bundle b = { .l = l, .best_cost = SIZE_MAX };

        b.cur = xreallocarray(NULL, l->n, sizeof(*b.cur));
        b.best = l->pick = xreallocarray(NULL, l->n, sizeof(*b.best));
        for (size_t i = 0; i < l->n; i++)
                b.cur[i] = b.best[i] = SIZE_MAX;
        bundle_dfs(&b, 0, 0, 0);
        l->covered = b.best_cost == SIZE_MAX ? 0 : b.best_covered;
        l->approximate = b.out_of_budget;
        free(b.cur);
        free(b.who);
        free(b.uses);
}

/* ---- per lot ------------------------------------------------------------------ */

int
lots_suggest(const struct engine *e, struct engine_scratch *s, const struct opportunity *o,
             unsigned flags, const struct consort_opts *opt, const struct consort_load *load,
             struct lots_suggestion *out)
{
        int rc = 0;

        memset(out, 0, sizeof(*out));
        if (!opp_lots_separable(o))
                return 0;
        out->limit = o->max_lots_awarded;
        if (o->max_lots_bid > 0 && (out->limit == 0 || o->max_lots_bid < out->limit))
                out->limit = o->max_lots_bid;
        out->v = xcalloc(opp_lots_active(o), sizeof(*out->v));
        for (size_t i = 0; i < o->nlots && rc == 0; i++) {
                struct lot_result *lr;
                struct opportunity view;

                if (!o->lots[i].active)
                        continue;
                lr = &out->v[out->n++];
                lr->lot = i;
                match_result_init(&lr->res);
                opp_lot_view(o, i, &view);
                rc = engine_match(e, s, &view, flags, &lr->res);
                if (rc == 0 && opt != NULL) {
                        rc = consort_suggest(&lr->res, &view, opt, load, &lr->sg);
                        lr->searched = rc == 0;
                }
        }
        if (rc == 0 && opt != NULL)
                lots_bundle(out);
        if (rc < 0)
                lots_suggestion_done(out);
        return rc;
}

void
lots_suggestion_done(struct lots_suggestion *l)
{
        for (size_t i = 0; i < l->n; i++) {
                match_result_done(&l->v[i].res);
                if (l->v[i].searched)
                        consort_suggestion_done(&l->v[i].sg);
        }
        free(l->v);
        free(l->pick);
        memset(l, 0, sizeof(*l));
}

/* ---- as JSON ------------------------------------------------------------------ */

static json_t *
lot_head(const struct opp_lot *lot)
{
        return json_pack("{s:s,s:o,s:o}", "id", lot->id, "title", json_str_or_null(lot->title),
                         "value", json_money(lot->value));
}

/* Does m have every required capability of the lot? */
static bool
whole_lot(const struct match_result *res, const struct member *m)
{
        size_t req = 0;

        for (size_t i = 0; i < res->nrequires; i++) {
                if (!res->requires[i].required)
                        continue;
                req++;
                if (!strv_contains(&m->capabilities, res->requires[i].cap->id))
                        return false;
        }
        return req > 0;
}

json_t *
lots_match_json(const struct opportunity *o, const struct lots_suggestion *l, const char *member)
{
        json_t *a = json_array();

        for (size_t i = 0; i < l->n; i++) {
                const struct match_result *res = &l->v[i].res;
                json_t *lj = lot_head(&o->lots[l->v[i].lot]), *rq = json_array(), *mj = json_array();

                for (size_t k = 0; k < res->nrequires; k++)
                        json_array_append_new(rq, json_pack("{s:s,s:b}", "capability",
                                                            res->requires[k].cap->id, "required",
                                                            res->requires[k].required));
                for (size_t k = 0; k < res->nmatches; k++) {
                        const struct member *m = res->matches[k].member;

                        if (member != NULL && strcmp(m->id, member) != 0)
                                continue;
                        json_array_append_new(mj, json_pack("{s:s,s:f,s:b}", "member", m->id,
                                                            "score", res->matches[k].score,
                                                            "whole", whole_lot(res, m)));
                }
                json_object_set_new(lj, "requires", rq);
                json_object_set_new(lj, "matches", mj);
                json_array_append_new(a, lj);
        }
        return a;
}

static const char *
money(int64_t pence, char *buf, size_t len)
{
        return human_money(pence, "GBP", buf, len);
}

/* "1", "1 and 2", "1, 2 and 3" */
static void
lot_list(struct buf *b, const struct opportunity *o, const struct lots_suggestion *l,
         const size_t *which, size_t n)
{
        for (size_t k = 0; k < n; k++)
                buf_printf(b, "%s%s", k == 0 ? "" : k + 1 == n ? " and " : ", ",
                           o->lots[l->v[which[k]].lot].id);
}

static json_t *
bundle_reasons(const struct opportunity *o, const struct lots_suggestion *l,
               const struct consort_suggestion *whole, json_t *members)
{
        json_t *a = json_array(), *x;
        size_t *which = xreallocarray(NULL, l->n, sizeof(*which)), nw, idx;
        struct buf b;
        char b1[32];

        buf_init(&b);
        for (size_t i = 0; i < l->n; i++) {
                const struct lot_result *lr = &l->v[i];
                const struct opp_lot *lot = &o->lots[lr->lot];
                size_t n;
                const uint32_t *m;

                buf_reset(&b);
                buf_printf(&b, "lot %s", lot->id);
                if (lot->value != VALUE_NONE)
                        buf_printf(&b, " (%s)", money(lot->value, b1, sizeof(b1)));
                if (l->pick[i] == SIZE_MAX) {
                        buf_adds(&b, lr->sg.res && consort_count(lr->sg.res) > 0
                                 ? ": no set left within the lots one supplier may win"
                                 : ": nobody in the cluster covers it");
                } else {
                        m = consort_set(lr->sg.res, l->pick[i], &n);
                        buf_printf(&b, ": %s", n == 1 ? "" : "a consortium of ");
                        for (size_t k = 0; k < n; k++)
                                buf_printf(&b, "%s%s", k ? " + " : "", lr->sg.members[m[k]]->id);
                        if (n == 1)
                                buf_adds(&b, " alone");
                        else
                                buf_printf(&b, ", led by %s",
                                           lr->sg.members[consort_lead(lr->sg.res, l->pick[i])]->id);
                }
                json_array_append_new(a, json_string(b.data));
        }
        /* members bidding for several lots */
        json_array_foreach(members, idx, x) {
                const char *id = json_string_value(x);

                nw = 0;
                for (size_t i = 0; i < l->n; i++) {
                        size_t n;
                        const uint32_t *m;

                        if (l->pick[i] == SIZE_MAX)
                                continue;
                        m = consort_set(l->v[i].sg.res, l->pick[i], &n);
                        for (size_t k = 0; k < n; k++)
                                if (strcmp(l->v[i].sg.members[m[k]]->id, id) == 0)
                                        which[nw++] = i;
                }
                if (nw < 2)
                        continue;
                buf_reset(&b);
                buf_printf(&b, "%s bids for lots ", id);
                lot_list(&b, o, l, which, nw);
                if (l->limit > 0)
                        buf_printf(&b, " (one supplier may win at most %d)", l->limit);
                json_array_append_new(a, json_string(b.data));
        }
        if (l->limit > 0 && (size_t)l->limit < l->n) {
                buf_reset(&b);
                buf_printf(&b, "one supplier may win at most %d of the %zu lots: no one bidder, "
                           "consortium or not, can win them all", l->limit, l->n);
                json_array_append_new(a, json_string(b.data));
        }
        if (whole != NULL && whole->res != NULL && l->covered > 0) {
                enum consort_verdict v = consort_verdict(whole->res);
                size_t nwhole = 0;

                if (consort_count(whole->res) > 0)
                        (void)consort_set(whole->res, 0, &nwhole);
                buf_reset(&b);
                if (v == CONSORT_NO_COVER)
                        buf_printf(&b, "the whole notice has no cover; bidding lot by lot "
                                   "covers %zu of %zu lots", l->covered, l->n);
                else if (v == CONSORT_CONSORTIUM)
                        buf_printf(&b, "bidding lot by lot needs no joint bid for the whole "
                                   "(a consortium of %zu for the whole notice)", nwhole);
                else
                        buf_adds(&b, "a single member covers the whole notice; the bundle is "
                                 "the lot by lot alternative");
                json_array_append_new(a, json_string(b.data));
        }
        buf_done(&b);
        free(which);
        return a;
}

void
lots_consortia_json(json_t *j, const struct opportunity *o, const struct lots_suggestion *l,
                    const struct consort_suggestion *whole)
{
        json_t *a = json_array(), *bl, *bj, *unc, *mem;
        int64_t value = 0;
        bool value_known = true;

        for (size_t i = 0; i < l->n; i++) {
                json_t *lj = lot_head(&o->lots[l->v[i].lot]), *c = consort_suggestion_json(&l->v[i].sg);

                json_object_update(lj, c);
                json_decref(c);
                json_array_append_new(a, lj);
        }
        json_object_set_new(j, "lots", a);
        if (l->n == 0 || l->covered == 0) {
                json_object_set_new(j, "lot_bundle", json_null());
                return;
        }
        bl = json_array();
        unc = json_array();
        mem = json_array();
        for (size_t i = 0; i < l->n; i++) {
                const struct lot_result *lr = &l->v[i];
                const struct opp_lot *lot = &o->lots[lr->lot];
                json_t *ids;
                size_t n;
                const uint32_t *m;

                if (l->pick[i] == SIZE_MAX) {
                        json_array_append_new(unc, json_string(lot->id));
                        continue;
                }
                ids = json_array();
                m = consort_set(lr->sg.res, l->pick[i], &n);
                for (size_t k = 0; k < n; k++) {
                        const char *id = lr->sg.members[m[k]]->id;
                        size_t x;
                        json_t *v;
                        bool seen = false;

                        json_array_append_new(ids, json_string(id));
                        json_array_foreach(mem, x, v)
                                seen = seen || strcmp(json_string_value(v), id) == 0;
                        if (!seen)
                                json_array_append_new(mem, json_string(id));
                }
                json_array_append_new(bl, json_pack("{s:s,s:o,s:s}", "id", lot->id, "members", ids,
                        "lead", lr->sg.members[consort_lead(lr->sg.res, l->pick[i])]->id));
                if (lot->value == VALUE_NONE)
                        value_known = false;
                else
                        value += lot->value;
        }
        bj = json_object();
        json_object_set_new(bj, "lots", bl);
        json_object_set_new(bj, "uncovered", unc);
        json_object_set_new(bj, "reasons", bundle_reasons(o, l, whole, mem));
        json_object_set_new(bj, "members", mem);
        json_object_set_new(bj, "value", json_money(value_known ? value : VALUE_NONE));
        json_object_set_new(bj, "limit", l->limit > 0 ? json_integer(l->limit) : json_null());
        json_object_set_new(bj, "approximate", json_boolean(l->approximate));
        json_object_set_new(j, "lot_bundle", bj);
}
