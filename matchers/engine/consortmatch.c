/*
 * consortmatch.c — from a match result to consortium suggestions
 * (consortmatch.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/consortmatch.h"
#include "bidbroker/engine.h"
#include "bidbroker/human.h"
#include "bidbroker/json.h"
#include "bidbroker/members.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/readiness.h"
#include "bidbroker/region.h"
#include "bidbroker/taxonomy.h"
#include "bidbroker/util.h"

static uint64_t
project(const struct member *m, const struct capability *const *reqs, unsigned nreq)
{
        uint64_t mask = 0;

        for (unsigned b = 0; b < nreq; b++)
                if (strv_contains(&m->capabilities, reqs[b]->id))
                        mask |= UINT64_C(1) << b;
        return mask;
}

/* How strongly match mm delivers each requirement: the weights of its
 * reasons naming that capability (CPV and rules). */
static void
strengths(const struct member_match *mm, const struct capability *const *reqs, unsigned nreq,
          double *out)
{
        for (unsigned b = 0; b < nreq; b++) {
                out[b] = 0;
                for (size_t i = 0; i < mm->nreasons; i++)
                        if (mm->reasons[i].capability
                            && strcmp(mm->reasons[i].capability, reqs[b]->id) == 0)
                                out[b] += mm->reasons[i].weight;
        }
}

static bool
local(const struct member *m, const struct opportunity *o)
{
        char ma[3], na[3];

        if (m->postcode == NULL || postcode_area(m->postcode, ma) < 0)
                return false;
        for (size_t i = 0; i < o->postcodes.n; i++)
                if (postcode_area(o->postcodes.v[i], na) == 0 && strcmp(ma, na) == 0)
                        return true;
        return false;
}

/* The staff's pairs among the members taking part: avoid (never together)
 * and works_with (raised), whichever of the two names the other. */
static void
staff_pairs(const struct consort_suggestion *sg, struct consort_pair **av, size_t *nav,
            struct consort_pair **tg, size_t *ntg)
{
        for (size_t i = 0; i < sg->nmembers; i++) {
                const struct member *m = sg->members[i];

                if (m->avoid.n == 0 && m->works_with.n == 0)
                        continue;
                for (size_t j = 0; j < sg->nmembers; j++) {
                        const struct member *o = sg->members[j];
                        bool a = strv_contains(&m->avoid, o->id);
                        bool w = !a && strv_contains(&m->works_with, o->id)
                                 && !strv_contains(&o->avoid, m->id);

                        if (j == i || (!a && !w))
                                continue;
                        /* named both ways: once, from the lower index */
                        if (j < i && (a ? strv_contains(&o->avoid, m->id)
                                        : strv_contains(&o->works_with, m->id)))
                                continue;
                        if (a) {
                                *av = xreallocarray(*av, *nav + 1, sizeof(**av));
                                (*av)[(*nav)++] = (struct consort_pair){ (uint32_t)i, (uint32_t)j };
                        } else {
                                *tg = xreallocarray(*tg, *ntg + 1, sizeof(**tg));
                                (*tg)[(*ntg)++] = (struct consort_pair){ (uint32_t)i, (uint32_t)j };
                        }
                }
        }
}

/* Rotation: least-proposed first among near-equal sets. */
static void
rotate(struct consort_suggestion *out, const struct consort_problem *p,
       const struct consort_opts *opt, const struct consort_load *load)
{
        double *l = xreallocarray(NULL, out->nmembers ? out->nmembers : 1, sizeof(*l));

        for (size_t i = 0; i < out->nmembers; i++) {
                long open;

                load->get(load->arg, out->members[i], &l[i], &open);
        }
        out->within = opt->within;
        out->near_equal = consort_rotate(out->res, p, l, opt->within);
        free(l);
}

int
consort_suggest(const struct match_result *res, const struct opportunity *o,
                const struct consort_opts *opt, const struct consort_load *load,
                struct consort_suggestion *out)
{
        struct consort_member *cm = NULL;
        struct consort_pair *av = NULL, *tg = NULL;
        size_t nav = 0, ntg = 0;
        double *rs = NULL;
        struct consort_problem p;
        uint64_t full;
        int rc;

        memset(out, 0, sizeof(*out));
        strv_init(&out->busy);
        check_asks_init(&out->asks);
        out->checks = opt->checks;
        out->value = o->value_stated && o->value_max >= 0 ? o->value_max : -1;
        out->k = opt->k ? opt->k : CONSORT_DEFAULT_K;
        for (size_t i = 0; i < res->nrequires; i++)
                out->nreq += res->requires[i].required;
        out->incidental = res->nrequires - out->nreq;
        if (out->nreq > CONSORT_MAX_REQ)
                return -E2BIG;
        if (out->nreq == 0)
                return 0;
        out->reqs = xreallocarray(NULL, out->nreq, sizeof(*out->reqs));
        out->nreq = 0;
        for (size_t i = 0; i < res->nrequires; i++)
                if (res->requires[i].required)
                        out->reqs[out->nreq++] = res->requires[i].cap;
        checker_asks(opt->checks, o, &out->asks);
        full = out->nreq == 64 ? UINT64_MAX : (UINT64_C(1) << out->nreq) - 1;
        out->members = xreallocarray(NULL, res->nmatches ? res->nmatches : 1,
                                     sizeof(*out->members));
        cm = xreallocarray(NULL, res->nmatches ? res->nmatches : 1, sizeof(*cm));
        rs = xreallocarray(NULL, (res->nmatches ? res->nmatches : 1) * out->nreq, sizeof(*rs));
        for (size_t i = 0; i < res->nmatches; i++) {
                const struct member *m = res->matches[i].member;
                uint64_t mask = project(m, out->reqs, out->nreq);

                if (mask == 0)
                        continue;
                if (!m->consortium && mask != full) {
                        out->unwilling++;
                        continue;
                }
                if (load != NULL && mask != full) {
                        double proposed;
                        long open;

                        load->get(load->arg, m, &proposed, &open);
                        if (open >= m->max_open_bids) {
                                strv_add(&out->busy, m->id);
                                continue;
                        }
                }
                cm[out->nmembers] = (struct consort_member){
                        .mask = mask, .score = res->matches[i].score,
                        .capacity = m->capacity >= 0 ? m->capacity : -1,
                        .flags = (local(m, o) ? CONSORT_LOCAL : 0)
                               | (m->lead ? CONSORT_LEAD_CAPABLE : 0),
                        .req_score = rs + out->nmembers * out->nreq,
                };
                strengths(&res->matches[i], out->reqs, out->nreq, rs + out->nmembers * out->nreq);
                out->members[out->nmembers++] = m;
        }
        staff_pairs(out, &av, &nav, &tg, &ntg);
        p = (struct consort_problem){
                .nreq = out->nreq, .members = cm, .nmembers = out->nmembers,
                .value = out->value, .k = out->k, .top_n = opt->top_n,
                .node_budget = opt->node_budget, .avoid = av, .navoid = nav,
                .together = tg, .ntogether = ntg,
        };
        rc = consort_search(&p, &out->res);
        if (rc == 0 && opt->rotate && load != NULL)
                rotate(out, &p, opt, load);
        free(av);
        free(tg);
        free(cm);
        free(rs);
        if (rc < 0)
                consort_suggestion_done(out);
        return rc;
}

void
consort_suggestion_done(struct consort_suggestion *s)
{
        consort_result_free(s->res);
        strv_done(&s->busy);
        check_asks_done(&s->asks);
        free(s->reqs);
        free(s->members);
        memset(s, 0, sizeof(*s));
}

/* ---- as JSON ---------------------------------------------------------------- */

static const char *const why_names[] = {
        [CONSORT_WHY_NONE] = NULL,
        [CONSORT_WHY_MISSING] = "missing",
        [CONSORT_WHY_TOO_MANY] = "too many",
        [CONSORT_WHY_CAPACITY] = "capacity",
};

static const char *
money(int64_t pence, char *buf, size_t len)
{
        return human_money(pence, "GBP", buf, len);
}

/* Why this set: what each member covers, why the lead, the capacity. */
static json_t *
set_reasons(const struct consort_suggestion *sg, size_t i)
{
        const struct consort_result *r = sg->res;
        json_t *a = json_array();
        size_t n;
        const uint32_t *m = consort_set(r, i, &n);
        uint32_t lead = consort_lead(r, i);
        int64_t cap = 0;
        bool unlimited = false;
        char b1[32], b2[32];
        struct buf b;

        buf_init(&b);
        for (size_t j = 0; j < n; j++) {
                const struct member *mem = sg->members[m[j]];
                unsigned nc = 0;

                buf_reset(&b);
                buf_printf(&b, "%s %s ", mem->id, n == 1 ? "covers every requirement:" : "covers");
                for (unsigned q = 0; q < sg->nreq; q++)
                        if (consort_cover(r, i, q) == m[j])
                                buf_printf(&b, "%s%s", nc++ ? ", " : "", sg->reqs[q]->id);
                json_array_append_new(a, json_string(b.data));
                if (mem->capacity < 0)
                        unlimited = true;
                else
                        cap += mem->capacity;
        }
        if (n > 1) {
                unsigned share = 0;

                for (unsigned q = 0; q < sg->nreq; q++)
                        share += consort_cover(r, i, q) == lead;
                buf_reset(&b);
                if (sg->members[lead]->lead)
                        buf_printf(&b, "%s leads: it may lead (lead = yes) and covers %u of "
                                   "%u requirements", sg->members[lead]->id, share, sg->nreq);
                else
                        buf_printf(&b, "%s leads: the largest share (%u of %u requirements)",
                                   sg->members[lead]->id, share, sg->nreq);
                json_array_append_new(a, json_string(b.data));
        }
        for (size_t j = 0; j < n && consort_together(r, i) > 0; j++)
                for (size_t k = j + 1; k < n; k++) {
                        const struct member *x = sg->members[m[j]], *y = sg->members[m[k]];

                        if (strv_contains(&x->works_with, y->id)
                            || strv_contains(&y->works_with, x->id)) {
                                buf_reset(&b);
                                buf_printf(&b, "%s and %s have worked together (works_with): "
                                           "score raised %g %%", x->id, y->id,
                                           CONSORT_PAIR_BONUS * 100);
                                json_array_append_new(a, json_string(b.data));
                        }
                }
        if (i == 0 && sg->near_equal > 1) {
                buf_reset(&b);
                buf_printf(&b, "proposed first of %zu near-equal choices (score within "
                           "%g %% of the best): its members were proposed least so far",
                           sg->near_equal, sg->within * 100);
                json_array_append_new(a, json_string(b.data));
        }
        buf_reset(&b);
        if (sg->value < 0)
                buf_adds(&b, "no value stated: capacity not checked");
        else if (unlimited)
                buf_printf(&b, "value %s: a member states no capacity (not limited)",
                           money(sg->value, b1, sizeof(b1)));
        else
                buf_printf(&b, "capacity %s covers the value %s", money(cap, b1, sizeof(b1)),
                           money(sg->value, b2, sizeof(b2)));
        json_array_append_new(a, json_string(b.data));
        buf_done(&b);
        return a;
}

static json_t *
set_contacts(const struct consort_suggestion *sg, const uint32_t *m, size_t n)
{
        json_t *c = json_object();

        for (size_t k = 0; k < n; k++) {
                const struct member *mem = sg->members[m[k]];
                json_t *em = json_array();

                for (size_t e = 0; e < mem->emails.n; e++)
                        json_array_append_new(em, json_string(mem->emails.v[e]));
                json_object_set_new(c, mem->id, json_pack("{s:s,s:o}", "name", mem->name,
                                                          "emails", em));
        }
        return c;
}

/* A set's readiness checklist; holds[m]: members[m]'s accreditations, read
 * when the member is first met (a member without entries is read again:
 * that costs nothing). */
static json_t *
set_readiness(const struct consort_suggestion *sg, const uint32_t *m, size_t n,
              struct check_holds *holds)
{
        const struct member **mem = xreallocarray(NULL, n ? n : 1, sizeof(*mem));
        struct check_holds *h = xreallocarray(NULL, n ? n : 1, sizeof(*h));
        json_t *j;

        for (size_t k = 0; k < n; k++) {
                struct check_holds *x = &holds[m[k]];

                if (x->entries.n == 0)
                        checker_member(sg->checks, sg->members[m[k]]->accreditations, x, NULL);
                mem[k] = sg->members[m[k]];
                h[k] = *x;
        }
        j = readiness_json(&sg->asks, mem, h, n);
        free(mem);
        free(h);
        return j;
}

json_t *
consort_suggestion_json(const struct consort_suggestion *sg)
{
        const struct consort_result *r = sg->res;
        json_t *j = json_object(), *miss = json_array(), *sets = json_array(), *req = json_array(), *search;
        struct check_holds *holds = NULL;       /* per member, read when first needed */

        if (sg->checks != NULL && sg->nmembers > 0) {
                holds = xcalloc(sg->nmembers, sizeof(*holds));
                for (size_t k = 0; k < sg->nmembers; k++)
                        check_holds_init(&holds[k]);
        }

        for (unsigned q = 0; q < sg->nreq; q++) {
                json_array_append_new(req, json_string(sg->reqs[q]->id));
                if (r && (consort_missing(r) >> q & 1))
                        json_array_append_new(miss, json_string(sg->reqs[q]->id));
        }
        for (size_t i = 0; r && i < consort_count(r); i++) {
                size_t n;
                const uint32_t *m = consort_set(r, i, &n);
                json_t *ids = json_array(), *covers = json_object(), *o;

                for (size_t k = 0; k < n; k++)
                        json_array_append_new(ids, json_string(sg->members[m[k]]->id));
                for (unsigned q = 0; q < sg->nreq; q++)
                        json_object_set_new(covers, sg->reqs[q]->id,
                                            json_string(sg->members[consort_cover(r, i, q)]->id));
                o = json_object();
                json_object_set_new(o, "members", ids);
                json_object_set_new(o, "lead", json_string(sg->members[consort_lead(r, i)]->id));
                json_object_set_new(o, "covers", covers);
                json_object_set_new(o, "score", json_real(consort_score(r, i)));
                json_object_set_new(o, "balance", json_real(consort_balance(r, i)));
                json_object_set_new(o, "reasons", set_reasons(sg, i));
                json_object_set_new(o, "contacts", set_contacts(sg, m, n));
                if (holds != NULL)              /* checks and members */
                        json_object_set_new(o, "readiness", set_readiness(sg, m, n, holds));
                json_array_append_new(sets, o);
        }
        if (sg->checks != NULL)
                json_object_set_new(j, "asks", readiness_asks_json(&sg->asks));
        for (size_t k = 0; holds && k < sg->nmembers; k++)
                check_holds_done(&holds[k]);
        free(holds);
        json_object_set_new(j, "verdict", r ? json_string(consort_verdict_name(consort_verdict(r)))
                                            : json_null());
        json_object_set_new(j, "missing", miss);
        json_object_set_new(j, "consortia", sets);
        search = json_object();
        json_object_set_new(search, "k", json_integer(sg->k));
        json_object_set_new(search, "required", req);
        json_object_set_new(search, "incidental", json_integer((json_int_t)sg->incidental));
        json_object_set_new(search, "value", json_money(sg->value >= 0 ? sg->value : INT64_MIN));
        json_object_set_new(search, "candidates", json_integer(r ? (json_int_t)consort_candidates(r) : 0));
        json_object_set_new(search, "unwilling", json_integer((json_int_t)sg->unwilling));
        json_object_set_new(search, "why", json_str_or_null(r ? why_names[consort_why(r)] : NULL));
        json_object_set_new(search, "approximate", json_boolean(r && consort_approximate(r)));
        json_object_set_new(search, "busy", json_strv(&sg->busy));
        json_object_set_new(search, "near_equal", json_integer((json_int_t)sg->near_equal));
        json_object_set_new(j, "consortium_search", search);
        return j;
}

void
consort_fingerprint(const char *engine_fp, const struct consort_opts *opt,
                    char out[HASH_HEX_LEN])
{
        struct hasher h;

        /* v2: a notice of separable lots also stores its lots' suggestions;
         * v3: the readiness checklist (the checks' definitions, below) */
        hasher_init(&h, "bidbroker/consortium-config/v3");
        hasher_str(&h, engine_fp);
        hasher_int(&h, opt->k ? opt->k : CONSORT_DEFAULT_K);
        hasher_int(&h, (int64_t)(opt->top_n ? opt->top_n : CONSORT_DEFAULT_TOP));
        hasher_int(&h, (int64_t)(opt->node_budget ? opt->node_budget : CONSORT_DEFAULT_BUDGET));
        hasher_int(&h, opt->rotate);
        hasher_num(&h, opt->within);
        checker_hash(opt->checks, &h);          /* v3 */
        hasher_hex(&h, out);
}
