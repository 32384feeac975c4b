/*
 * engine_result.c — the engine's common final stage (engine_int.h): from the
 * rules that fired and the CPV prefix hits to capability states, the
 * requirements, the exact region and value checks, scores with reasons, and
 * the nearest miss of every other member.  engine_match() and the
 * brute-force oracle differ only in how they find the fired rules and the
 * candidate members; both end here, so their outputs are comparable field
 * by field.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "bidbroker/human.h"
#include "bidbroker/region.h"
#include "bidbroker/util.h"

const char *const engine_field_names[NFIELDS] = {
        "title", "description", "buyer", "lots", "items",
};

/* ---- the result's arena ------------------------------------------------- */

#define ARENA_BLK 65536

/* result_alloc() when the head block is full (engine_int.h): a new block
 * (keep one big block at the head when a huge request comes) */
void *
result_alloc_new(struct match_result *r, size_t n)
{
        size_t cap = n > ARENA_BLK ? n : ARENA_BLK;
        struct arena_blk *b = xmalloc(sizeof(*b) + cap);

        b->cap = cap;
        b->used = n;
        b->next = r->arena;
        r->arena = b;
        return b->data;
}

char *
result_strndup(struct match_result *r, const char *s, size_t n)
{
        char *p = result_alloc(r, n + 1);

        memcpy(p, s, n);
        p[n] = '\0';
        return p;
}

char *
result_printf(struct match_result *r, const char *fmt, ...)
{
        va_list ap;
        char small[256];
        int n;

        va_start(ap, fmt);
        n = vsnprintf(small, sizeof(small), fmt, ap);
        va_end(ap);
        if (n < 0)
                n = 0;
        if ((size_t)n < sizeof(small))
                return result_strndup(r, small, (size_t)n);
        {
                char *p = result_alloc(r, (size_t)n + 1);

                va_start(ap, fmt);
                vsnprintf(p, (size_t)n + 1, fmt, ap);
                va_end(ap);
                return p;
        }
}

void
match_result_init(struct match_result *r)
{
        memset(r, 0, sizeof(*r));
}

void
match_result_done(struct match_result *r)
{
        struct arena_blk *b = r->arena, *next;

        for (; b; b = next) {
                next = b->next;
                free(b);
        }
        match_result_init(r);
}

/* Empty the result but keep one block of memory for the next notice. */
void
engine_result_reset(struct match_result *r)
{
        struct arena_blk *keep = r->arena, *b, *next;

        if (keep == NULL)
                return match_result_init(r);
        /* keep the largest block: the head is the most recent */
        for (b = keep->next; b; b = next) {
                next = b->next;
                if (b->cap > keep->cap) {
                        free(keep);
                        keep = b;
                } else {
                        free(b);
                }
        }
        match_result_init(r);
        keep->next = NULL;
        keep->used = 0;
        r->arena = keep;
}

const char *
reason_kind_name(enum reason_kind k)
{
        switch (k) {
        case REASON_CPV:              return "cpv";
        case REASON_RULE:             return "rule";
        case REASON_MEMBER_RULE:      return "member_rule";
        case REASON_EXCLUSION:        return "exclusion";
        case REASON_REGION:           return "region";
        case REASON_VALUE:            return "value";
        case REASON_VALUE_NOT_STATED: return "value_not_stated";
        case REASON_SUITABILITY:      return "suitability";
        }
        return "unknown";
}

#define MEM_REQ_MAX     16      /* a member's requirements kept while checking it */

/* ---- helpers ---------------------------------------------------------------- */

static inline struct hit *
ref_hit(const struct engine *e, const struct engine_scratch *s, uint32_t r)
{
        if (s->brute)
                return s->ref_fired[r] == s->epoch ? &s->hits[s->ref_hit[r]] : NULL;
        {
                uint32_t p = e->refs[r].pat;

                return s->pat_fired[p] == s->epoch ? &s->hits[s->pat_hit[p]] : NULL;
        }
}

/* The hit of capability eref r: NULL when it did not fire, or when it is
 * the weak part of a rule whose strong part fired too (one rule, one
 * reason). */
static struct hit *
cap_hit(const struct engine *e, const struct engine_scratch *s, uint32_t r)
{
        struct hit *h = ref_hit(e, s, r);

        if (h != NULL && e->refs[r].twin >= 0 && ref_hit(e, s, (uint32_t)e->refs[r].twin))
                return NULL;
        return h;
}

/* The matched words of a hit, at most MATCHED_MAX bytes, cut on a UTF-8
 * character boundary. */
static char *
hit_words(struct match_result *out, const struct engine_scratch *s, struct hit *h)
{
        size_t len, n = h->end - h->start;
        const char *t = seg_text(s, h->field, h->seg, &len);

        if (h->words)                   /* one copy per hit, shared by its owners */
                return h->words;

        if (n > MATCHED_MAX) {
                n = MATCHED_MAX;
                while (n > 0 && ((unsigned char)t[h->start + n] & 0xC0) == 0x80)
                        n--;
        }
        h->words = result_strndup(out, t + h->start, n);
        return h->words;
}

static void
money(char *buf, size_t size, int64_t pence, const char *currency)
{
        human_money(pence, currency, buf, size);
}

/* ---- region and value (exact) ------------------------------------------- */

struct region_result {
        bool        ok;
        const char *member_region;      /* the member entry that matched, or NULL */
        const char *notice_place;       /* the notice region/postcode, or a label */
};

static bool
pc_area_eq(const char *pc, const char *area)
{
        char a[3];

        return postcode_area(pc, a) == 0 && strcmp(a, area) == 0;
}

/* region_overlaps(a, b) for strings of lengths na and nb: both non-empty
 * and one a prefix of the other. */
static inline bool
prefix_overlap(const char *a, size_t na, const char *b, size_t nb)
{
        return na && nb && memcmp(a, b, na < nb ? na : nb) == 0;
}

/* Where a notice lies within one member region entry (regkey k: "UKG31",
 * "PC:B"): the notice region or postcode (its copy in the result) that
 * fits, or NULL. */
static const char *
region_place(const struct engine *e, const struct engine_scratch *s, uint32_t k,
             const struct opportunity *o)
{
        const char *mr = e->regkeys[k].key;

        if (e->regkeys[k].is_pc) {
                const char *area = mr + 3;
                const char *itl1 = e->regkeys[k].itl1;

                for (size_t j = 0; j < o->postcodes.n; j++)
                        if (pc_area_eq(o->postcodes.v[j], area))
                                return s->pc_c[j];
                for (size_t j = 0; itl1 && j < o->regions.n; j++) {
                        const char *nr = o->regions.v[j];

                        if (nr[0] && strncmp(itl1, nr, strlen(nr)) == 0)
                                return s->reg_c[j];
                }
                return NULL;
        }
        /* region_overlaps() with the lengths worked out once per notice
         * (engine_finish_caps) and per key (build) */
        for (size_t j = 0; j < o->regions.n; j++)
                if (prefix_overlap(mr, e->regkeys[k].keylen, o->regions.v[j], s->reg_len[j]))
                        return s->reg_c[j];
        for (size_t j = 0; j < o->postcodes.n; j++) {
                const char *itl1 = s->pc_itl1[j];

                if (itl1 && prefix_overlap(mr, e->regkeys[k].keylen, itl1, s->pc_itl1_len[j]))
                        return s->pc_c[j];
        }
        return NULL;
}

/* The region check of member mi: the first of its region entries that fits
 * (entries are evaluated once per notice and remembered by key; only the
 * engine's compact arrays are read, not the member). */
static void
region_check(const struct engine *e, struct engine_scratch *s, uint32_t mi,
             const struct opportunity *o, struct region_result *rr)
{
        uint32_t k0 = e->mem_regkey_off[mi], k1 = e->mem_regkey_off[mi + 1];

        memset(rr, 0, sizeof(*rr));
        rr->ok = true;
        if (k0 == k1) {
                rr->notice_place = "everywhere (no regions given)";
                return;
        }
        if (s->anywhere) {
                rr->notice_place = "anywhere";
                return;
        }
        if (o->regions.n == 0 && o->postcodes.n == 0) {
                rr->notice_place = "not stated";
                return;
        }
        for (uint32_t i = k0; i < k1; i++) {
                uint32_t k = e->mem_regkey[i];

                if (s->rk_epoch[k] != s->epoch) {
                        s->rk_epoch[k] = s->epoch;
                        s->rk_place[k] = region_place(e, s, k, o);
                }
                if (s->rk_place[k]) {
                        rr->member_region = e->regkeys[k].key;
                        rr->notice_place = s->rk_place[k];
                        return;
                }
        }
        rr->ok = false;
}

enum value_state { VALUE_OK, VALUE_NOT_STATED_OK, VALUE_ABOVE, VALUE_BELOW };

static bool
value_band(const struct opportunity *o, int64_t *lo, int64_t *hi)
{
        if (!o->value_stated || (o->value_max == VALUE_NONE && o->value_min == VALUE_NONE))
                return false;
        *hi = o->value_max != VALUE_NONE ? o->value_max : o->value_min;
        *lo = o->value_min != VALUE_NONE ? o->value_min : *hi;
        if (*lo > *hi) {
                int64_t t = *lo;

                *lo = *hi;
                *hi = t;
        }
        return true;
}

/* The notice's value band, once per notice: member_band_fits() and
 * value_check() read it. */
void
notice_band(struct engine_scratch *s, const struct opportunity *o)
{
        s->vb_stated = value_band(o, &s->vb_lo, &s->vb_hi);
}

static enum value_state
value_check(const struct engine *e, const struct engine_scratch *s, uint32_t mi)
{
        int64_t mn = e->mem_min[mi], mx = e->mem_max[mi];

        if (!s->vb_stated)
                return VALUE_NOT_STATED_OK;
        if (mx != VALUE_NONE && s->vb_lo > mx)
                return VALUE_ABOVE;
        if (mn != VALUE_NONE && s->vb_hi < mn)
                return VALUE_BELOW;
        return VALUE_OK;
}

static char *
value_text(struct match_result *out, const struct opportunity *o)
{
        char a[48], b[48];
        int64_t lo, hi;

        if (!value_band(o, &lo, &hi))
                return (char *)"not stated";
        money(b, sizeof(b), hi, o->currency);
        if (lo == hi)
                return result_strndup(out, b, strlen(b));
        money(a, sizeof(a), lo, o->currency);
        return result_printf(out, "%s–%s", a, b);
}

/* "£5,000–£25,000", "up to £25,000", "from £5,000", "any value"; the caller
 * frees it (the engine keeps one per member). */
char *
engine_band_string(const struct member *m)
{
        char a[48], b[48];

        if (m->min_value == VALUE_NONE && m->max_value == VALUE_NONE)
                return xstrdup("any value");
        if (m->min_value == VALUE_NONE) {
                money(b, sizeof(b), m->max_value, NULL);
                return xasprintf("up to %s", b);
        }
        money(a, sizeof(a), m->min_value, NULL);
        if (m->max_value == VALUE_NONE)
                return xasprintf("from %s", a);
        money(b, sizeof(b), m->max_value, NULL);
        return xasprintf("%s–%s", a, b);
}

/* ---- capability states ---------------------------------------------------- */

static int
cpvhit_cmp(const void *pa, const void *pb)
{
        const struct cpvhit *a = pa, *b = pb;

        if (a->cap != b->cap)
                return a->cap < b->cap ? -1 : 1;
        if (a->exclude != b->exclude)
                return a->exclude ? 1 : -1;
        if (a->code != b->code)
                return a->code < b->code ? -1 : 1;
        if (a->idx != b->idx)
                return a->idx < b->idx ? -1 : 1;
        return 0;
}

static void
add_reason(struct reason *v, size_t *n, enum reason_kind kind, const char *cap,
           const char *rule, const char *field, char *matched, double weight)
{
        struct reason *r = &v[(*n)++];

        r->kind = kind;
        r->capability = cap;
        r->rule = rule;
        r->field = field;
        r->matched = matched;
        r->weight = weight;
}

/* Requirements and excluded capabilities, in taxonomy order. */
static void
capabilities(const struct engine *e, struct engine_scratch *s, const struct opportunity *o,
             struct match_result *out)
{
        const struct taxonomy *tx = e->tx;
        size_t h = 0, nreq = 0, nexc = 0;

        if (s->ncpvhits > 1)    /* qsort(NULL, 0) is undefined behaviour */
                qsort(s->cpvhits, s->ncpvhits, sizeof(*s->cpvhits), cpvhit_cmp);
        out->requires = result_alloc(out, tx->ncaps * sizeof(*out->requires));
        out->excluded = result_alloc(out, tx->ncaps * sizeof(*out->excluded));
        /* which capabilities have a rule that fired: the others' rules need
         * no look (the oracle looks at all of them) */
        memset(s->cap_any, s->brute, tx->ncaps);
        for (size_t k = 0; !s->brute && k < s->nfired; k++) {
                uint32_t p = s->fired[k];

                for (uint32_t j = e->pat_own_off[p]; j < e->pat_own_off[p + 1]; j++)
                        if (e->pat_own_mem[j] == -1)
                                s->cap_any[e->refs[e->pat_own[j]].cap] = 1;
        }
        for (size_t c = 0; c < tx->ncaps; c++) {
                const struct capability *cap = &tx->caps[c];
                size_t h0 = h, npos = 0, nneg = 0, ncpvpos = 0, nstrong = 0;
                struct requirement *rq;
                struct reason *rs;
                size_t n = 0;
                bool first_cpv = true;

                s->cap_req[c] = -1;
                s->cap_excl[c] = -1;
                s->cap_inc[c] = -1;
                while (h < s->ncpvhits && s->cpvhits[h].cap == c) {
                        if (s->cpvhits[h].exclude)
                                nneg++;
                        else
                                ncpvpos++;
                        h++;
                }
                for (uint32_t r = e->cap_ref[c]; s->cap_any[c] && r < e->cap_ref[c + 1]; r++) {
                        if (cap_hit(e, s, r) == NULL)
                                continue;
                        if (e->refs[r].exclude) {
                                nneg++;
                        } else {
                                npos++;
                                nstrong += !e->refs[r].weak;
                        }
                }
                if (npos + ncpvpos == 0)
                        continue;
                rq = nneg ? &out->excluded[nexc] : &out->requires[nreq];
                if (nneg)
                        s->cap_excl[c] = (int32_t)nexc++;
                else if (ncpvpos + nstrong > 0)
                        s->cap_req[c] = (int32_t)nreq++;
                else
                        s->cap_inc[c] = (int32_t)nreq++;
                rq->cap = cap;
                rq->required = ncpvpos + nstrong > 0;
                rs = result_alloc(out, (npos + ncpvpos + nneg) * sizeof(*rs));
                for (size_t k = h0; k < h; k++) {
                        const struct cpvhit *ch = &s->cpvhits[k];
                        const char *code = o->cpv.v[ch->code];

                        if (ch->exclude)
                                continue;
                        add_reason(rs, &n, REASON_CPV, cap->id, ch->prefix, "cpv",
                                   result_strndup(out, code, strlen(code)),
                                   first_cpv ? W_CPV * cap->weight : 0.0);
                        first_cpv = false;
                }
                for (uint32_t r = e->cap_ref[c]; s->cap_any[c] && r < e->cap_ref[c + 1]; r++) {
                        struct hit *ht = cap_hit(e, s, r);
                        const struct rule *ru = e->refs[r].rule;

                        if (ht == NULL || ru->exclude)
                                continue;
                        add_reason(rs, &n, REASON_RULE, cap->id, ru->text,
                                   engine_field_names[ht->field], hit_words(out, s, ht),
                                   ru->weight * cap->weight);
                }
                for (size_t k = h0; k < h; k++) {
                        const struct cpvhit *ch = &s->cpvhits[k];
                        const char *code = o->cpv.v[ch->code];

                        if (!ch->exclude)
                                continue;
                        add_reason(rs, &n, REASON_EXCLUSION, cap->id, ch->prefix, "cpv",
                                   result_strndup(out, code, strlen(code)), 0.0);
                }
                for (uint32_t r = e->cap_ref[c]; s->cap_any[c] && r < e->cap_ref[c + 1]; r++) {
                        struct hit *ht = ref_hit(e, s, r);
                        const struct rule *ru = e->refs[r].rule;

                        if (ht == NULL || !ru->exclude)
                                continue;
                        add_reason(rs, &n, REASON_EXCLUSION, cap->id, ru->text,
                                   engine_field_names[ht->field], hit_words(out, s, ht), 0.0);
                }
                rq->reasons = rs;
                rq->nreasons = n;
                rq->score = 0;
                if (!nneg)
                        for (size_t k = 0; k < n; k++)
                                rq->score += rs[k].weight;
        }
        out->nrequires = nreq;
        out->nexcluded = nexc;
}

/* ---- members --------------------------------------------------------------- */

/* The first exclusion reason of an excluded requirement, as "'x' in title"
 * or "CPV 45262660 (prefix 4526)". */
static char *
exclusion_text(struct match_result *out, const struct reason *r)
{
        if (strcmp(r->field, "cpv") == 0)
                return result_printf(out, "CPV %s (prefix %s)", r->matched, r->rule);
        return result_printf(out, "'%s' in %s", r->rule, r->field);
}

static const struct reason *
first_exclusion(const struct requirement *rq)
{
        for (size_t k = 0; k < rq->nreasons; k++)
                if (rq->reasons[k].kind == REASON_EXCLUSION)
                        return &rq->reasons[k];
        return NULL;
}

static void
list_append(struct buf *b, const char *item, bool *first)
{
        if (!*first)
                buf_adds(b, ", ");
        buf_adds(b, item);
        *first = false;
}

static char *
miss_text(const struct engine *e, struct engine_scratch *s, const struct opportunity *o,
          const struct member *m, uint32_t mi, struct match_result *out,
          bool covered, bool own, const struct hit *veto_hit, uint32_t veto_ref,
          const struct region_result *rr, enum value_state vs)
{
        struct buf b;
        bool first = true;
        char *ret;

        buf_init(&b);
        if (!covered && !own) {
                /* nothing of theirs is wanted: say what is, and any veto */
                for (uint32_t k = e->mem_caps_off[mi]; k < e->mem_caps_off[mi + 1]; k++) {
                        uint32_t c = e->mem_caps[k];

                        if (s->cap_excl[c] >= 0) {
                                const struct requirement *rq = &out->excluded[s->cap_excl[c]];
                                const struct reason *x = first_exclusion(rq);

                                buf_printf(&b, "capability %s excluded by %s", rq->cap->id,
                                           exclusion_text(out, x));
                                goto done;
                        }
                }
                for (uint32_t k = e->mem_caps_off[mi]; k < e->mem_caps_off[mi + 1]; k++) {
                        uint32_t c = e->mem_caps[k];

                        if (s->cap_inc[c] >= 0) {
                                const struct requirement *rq = &out->requires[s->cap_inc[c]];
                                const struct reason *x = &rq->reasons[0];

                                buf_printf(&b, "capability %s is only incidental here: "
                                           "'%s' in %s, not in the title, lots, items or "
                                           "CPV codes", rq->cap->id, x->matched, x->field);
                                goto done;
                        }
                }
                buf_adds(&b, "no capability of yours is required (requires: ");
                for (size_t k = 0; k < out->nrequires; k++) {
                        if (!out->requires[k].required)
                                continue;
                        list_append(&b, out->requires[k].cap->id, &first);
                }
                if (first)
                        buf_adds(&b, "none");
                buf_adds(&b, ")");
                goto done;
        }
        if (covered) {
                size_t ncov = 0;

                for (uint32_t k = e->mem_caps_off[mi]; k < e->mem_caps_off[mi + 1]; k++)
                        ncov += s->cap_req[e->mem_caps[k]] >= 0;
                buf_adds(&b, ncov > 1 ? "capabilities " : "capability ");
                for (uint32_t k = e->mem_caps_off[mi]; k < e->mem_caps_off[mi + 1]; k++)
                        if (s->cap_req[e->mem_caps[k]] >= 0)
                                list_append(&b, e->tx->caps[e->mem_caps[k]].id, &first);
                buf_adds(&b, " matched, but ");
        } else {
                for (uint32_t r = e->mem_ref[mi]; r < e->mem_ref[mi + 1]; r++) {
                        const struct rule *ru = e->refs[r].rule;

                        if (!ru->exclude && ref_hit(e, s, r)) {
                                buf_printf(&b, "your %s '%s' matched, but ",
                                           ru->kind == RULE_REGEX ? "regex" : "keyword",
                                           ru->text);
                                break;
                        }
                }
        }
        first = true;
        if (veto_hit) {
                buf_printf(&b, "excluded by '%s' in %s", e->refs[veto_ref].rule->text,
                           engine_field_names[veto_hit->field]);
                first = false;
        }
        if (!rr->ok) {
                const struct strv *pl = o->regions.n ? &o->regions : &o->postcodes;
                bool f2 = true;

                if (!first)
                        buf_adds(&b, " and ");
                buf_printf(&b, "%s%s ", o->regions.n ? "region" : "postcode",
                           pl->n > 1 ? "s" : "");
                for (size_t k = 0; k < pl->n; k++)
                        list_append(&b, pl->v[k], &f2);
                buf_adds(&b, pl->n > 1 ? " are outside your regions ("
                                       : " is outside your regions (");
                f2 = true;
                for (size_t k = 0; k < m->regions.n; k++)
                        list_append(&b, m->regions.v[k], &f2);
                buf_adds(&b, ")");
                first = false;
        }
        if (vs == VALUE_ABOVE || vs == VALUE_BELOW) {
                char lim[48];

                if (!first)
                        buf_adds(&b, " and ");
                money(lim, sizeof(lim), vs == VALUE_ABOVE ? m->max_value : m->min_value, NULL);
                buf_printf(&b, "value %s %s your %s %s", s->val_text,
                           vs == VALUE_ABOVE ? "above" : "below",
                           vs == VALUE_ABOVE ? "maximum" : "minimum", lim);
        }
done:
        ret = result_strndup(out, b.data ? b.data : "", b.len);
        buf_done(&b);
        return ret;
}

/* Evaluate one member; a match is appended to s->mm, a miss (with
 * ENGINE_EXPLAIN) to out->misses. */
static void
member_eval(const struct engine *e, struct engine_scratch *s, const struct opportunity *o,
            unsigned flags, uint32_t mi, struct match_result *out, size_t *nmatch,
            size_t *nmiss)
{
        const struct member *m = &e->reg->members[mi];
        size_t ncov_reasons = 0, nown = 0, n = 0, nq = 0;
        int32_t qs[MEM_REQ_MAX];        /* its requirements, in its capabilities' order */
        bool covered = false;
        const struct hit *veto_hit = NULL;
        uint32_t veto_ref = 0;
        struct region_result rr;
        enum value_state vs;
        struct member_match *mm;
        struct reason *rs;
        double base = 0, score;
        bool own;

        if (e->mem_paused[mi]) {                /* paused = yes: never matched */
                if (flags & ENGINE_EXPLAIN) {
                        static const char why[] = "paused (paused = yes in its member file)";

                        out->misses[*nmiss].member = m;
                        out->misses[*nmiss].reason = result_strndup(out, why, sizeof(why) - 1);
                        (*nmiss)++;
                }
                return;
        }
        for (uint32_t k = e->mem_caps_off[mi]; k < e->mem_caps_off[mi + 1]; k++) {
                int32_t q = s->cap_req[e->mem_caps[k]];

                if (q >= 0) {
                        covered = true;
                        ncov_reasons += out->requires[q].nreasons;
                        if (nq < MEM_REQ_MAX)
                                qs[nq] = q;
                        nq++;
                }
        }
        own = s->mem_fired[mi] == s->epoch;    /* any rule of its own fired? */
        for (uint32_t r = e->mem_ref[mi]; own && r < e->mem_ref[mi + 1]; r++) {
                const struct hit *ht = ref_hit(e, s, r);

                if (ht == NULL)
                        continue;
                if (e->refs[r].exclude) {
                        if (veto_hit == NULL) {
                                veto_hit = ht;
                                veto_ref = r;
                        }
                } else {
                        nown++;
                }
        }
        if (!covered && nown == 0) {
                if (flags & ENGINE_EXPLAIN) {
                        memset(&rr, 0, sizeof(rr));
                        rr.ok = true;
                        out->misses[*nmiss].member = m;
                        out->misses[*nmiss].reason = miss_text(e, s, o, m, mi, out, false,
                                                               false, NULL, 0, &rr, VALUE_OK);
                        (*nmiss)++;
                }
                return;
        }
        region_check(e, s, mi, o, &rr);
        vs = value_check(e, s, mi);
        if (veto_hit || !rr.ok || vs == VALUE_ABOVE || vs == VALUE_BELOW) {
                if (flags & ENGINE_EXPLAIN) {
                        out->misses[*nmiss].member = m;
                        out->misses[*nmiss].reason = miss_text(e, s, o, m, mi, out, covered,
                                                               nown > 0, veto_hit, veto_ref,
                                                               &rr, vs);
                        (*nmiss)++;
                }
                return;
        }

        /* A match: reasons, then the score as their sum. */
        rs = result_alloc(out, (ncov_reasons + nown + 4) * sizeof(*rs));
        if (nq <= MEM_REQ_MAX) {
                for (size_t i = 0; i < nq; i++) {
                        const struct requirement *rq = &out->requires[qs[i]];

                        memcpy(rs + n, rq->reasons, rq->nreasons * sizeof(*rs));
                        if (i == 0) {
                                /* 0 + w0 + w1 + ...: the sum worked out once */
                                base = s->rq_wsum[qs[i]];
                        } else {
                                for (size_t j = 0; j < rq->nreasons; j++)  /* in order */
                                        base += rq->reasons[j].weight;
                        }
                        n += rq->nreasons;
                }
        } else {
                for (uint32_t k = e->mem_caps_off[mi]; k < e->mem_caps_off[mi + 1]; k++) {
                        int32_t q = s->cap_req[e->mem_caps[k]];
                        const struct requirement *rq;

                        if (q < 0)
                                continue;
                        rq = &out->requires[q];
                        memcpy(rs + n, rq->reasons, rq->nreasons * sizeof(*rs));
                        for (size_t j = 0; j < rq->nreasons; j++)      /* in reason order */
                                base += rq->reasons[j].weight;
                        n += rq->nreasons;
                }
        }
        for (uint32_t r = e->mem_ref[mi]; nown && r < e->mem_ref[mi + 1]; r++) {
                struct hit *ht = ref_hit(e, s, r);
                const struct eref *er = &e->refs[r];

                if (ht == NULL || er->exclude)
                        continue;
                add_reason(rs, &n, REASON_MEMBER_RULE, NULL, er->text,
                           engine_field_names[ht->field], hit_words(out, s, ht), er->weight);
                base += er->weight;
        }
        /* constant strings are fine: nothing in a result is freed alone */
        add_reason(rs, &n, REASON_REGION, NULL, rr.member_region, "region",
                   (char *)rr.notice_place, 0.0);
        if (vs == VALUE_NOT_STATED_OK)
                add_reason(rs, &n, REASON_VALUE_NOT_STATED, NULL, NULL, "value",
                           (char *)"not stated", 0.0);
        else
                add_reason(rs, &n, REASON_VALUE, NULL, e->mem_band[mi], "value",
                           s->val_text, 0.0);
        score = base;
        if (o->suitable_sme == TRI_YES) {
                add_reason(rs, &n, REASON_SUITABILITY, NULL, NULL, "suitability",
                           (char *)"sme", BOOST_SME * base);
                score += BOOST_SME * base;
        }
        if (o->suitable_vcse == TRI_YES) {
                add_reason(rs, &n, REASON_SUITABILITY, NULL, NULL, "suitability",
                           (char *)"vcse", BOOST_VCSE * base);
                score += BOOST_VCSE * base;
        }
        if (*nmatch == s->mm_cap) {
                s->mm_cap = s->mm_cap ? 2 * s->mm_cap : 256;
                s->mm = xreallocarray(s->mm, s->mm_cap, sizeof(*s->mm));
                s->mkey = xreallocarray(s->mkey, 2 * s->mm_cap, sizeof(*s->mkey));
                s->mbucket = xreallocarray(s->mbucket, s->mm_cap, sizeof(*s->mbucket));
        }
        mm = &s->mm[(*nmatch)++];
        mm->member = m;
        mm->score = score;
        mm->reasons = rs;
        mm->nreasons = n;
}

/* Matches arrive in member order; a stable merge sort by score
 * (descending) keeps that order among equal scores.  It sorts (score,
 * index) keys, not the matches themselves: a third of the bytes to move. */
static void
sort_keys(struct mkey *v, struct mkey *tmp, size_t n)
{
        size_t i, j, k, mid;

        if (n < 2)
                return;
        if (n <= 8) {
                for (i = 1; i < n; i++) {
                        struct mkey x = v[i];

                        for (j = i; j > 0 && v[j - 1].score < x.score; j--)
                                v[j] = v[j - 1];
                        v[j] = x;
                }
                return;
        }
        mid = n / 2;
        sort_keys(v, tmp, mid);
        sort_keys(v + mid, tmp, n - mid);
        if (v[mid - 1].score >= v[mid].score)
                return;                 /* already in order */
        memcpy(tmp, v, mid * sizeof(*v));
        for (i = 0, j = mid, k = 0; i < mid && j < n;)
                v[k++] = v[j].score > tmp[i].score ? v[j++] : tmp[i++];
        while (i < mid)
                v[k++] = tmp[i++];
}

#define SB_SLOTS (2 * SCORE_BUCKETS)

/* Bucket the matches by score: false when there are more than
 * SCORE_BUCKETS distinct scores or a NaN. */
static bool
score_buckets(struct engine_scratch *s, size_t n, size_t *ret_nb)
{
        size_t nb = 0;

        memset(s->sb_slot, 0, sizeof(s->sb_slot));
        for (size_t k = 0; k < n; k++) {
                double sc = s->mm[k].score;
                uint64_t bits = 0, h;
                size_t i;

                if (sc != sc)
                        return false;
                if (sc != 0)            /* -0.0 and 0.0 are equal scores */
                        memcpy(&bits, &sc, sizeof(bits));
                h = bits * 0x9E3779B97F4A7C15ull;
                for (i = (size_t)(h >> 40) % SB_SLOTS;; i = (i + 1) % SB_SLOTS) {
                        uint16_t b = s->sb_slot[i];

                        if (b == 0) {
                                if (nb == SCORE_BUCKETS)
                                        return false;
                                s->sb[nb].bits = bits;
                                s->sb[nb].score = sc;
                                s->sb[nb].n = 0;
                                s->sb_slot[i] = (uint16_t)++nb;
                                b = (uint16_t)nb;
                        } else if (s->sb[b - 1].bits != bits) {
                                continue;
                        }
                        s->sb[b - 1].n++;
                        s->mbucket[k] = (uint16_t)(b - 1);
                        break;
                }
        }
        *ret_nb = nb;
        return true;
}

/* The matches (s->mm, in member order) into v by score, descending, member
 * order among equal scores: a counting sort over the distinct scores (a
 * notice has few), or the merge sort of keys.  Both give the one stable
 * order. */
static void
sort_matches(struct engine_scratch *s, struct member_match *v, size_t n)
{
        size_t nb, off = 0;

        if (!score_buckets(s, n, &nb)) {
                struct mkey *key = s->mkey;

                for (size_t k = 0; k < n; k++) {
                        key[k].score = s->mm[k].score;
                        key[k].idx = (uint32_t)k;
                }
                sort_keys(key, key + n, n);
                for (size_t k = 0; k < n; k++)
                        v[k] = s->mm[key[k].idx];
                return;
        }
        /* distinct scores, descending (insertion: nb is small) */
        for (size_t i = 0; i < nb; i++) {
                uint16_t x = (uint16_t)i;
                size_t j;

                for (j = i; j > 0 && s->sb[s->sb_order[j - 1]].score < s->sb[x].score; j--)
                        s->sb_order[j] = s->sb_order[j - 1];
                s->sb_order[j] = x;
        }
        for (size_t i = 0; i < nb; i++) {       /* n becomes the bucket's offset */
                struct sbucket *b = &s->sb[s->sb_order[i]];
                size_t c = b->n;

                b->n = (uint32_t)off;
                off += c;
        }
        for (size_t k = 0; k < n; k++)
                v[s->sb[s->mbucket[k]].n++] = s->mm[k];
}

static void list_append(struct buf *b, const char *item, bool *first);

/* Where the work is (#8 item 6): on-site work (a required capability with
 * on_site) is done at the notice's delivery place, so its postcodes and
 * regions decide even when it also says "any region"; remote work keeps the
 * notice's own region list.  Sets s->anywhere and out->place. */
static void
place_rule(struct engine_scratch *s, const struct opportunity *o, struct match_result *out)
{
        const struct capability *site = NULL, *first = NULL;
        bool has_place = o->regions.n > 0 || o->postcodes.n > 0;

        for (size_t k = 0; k < out->nrequires; k++) {
                const struct requirement *rq = &out->requires[k];

                if (!rq->required)
                        continue;
                if (first == NULL)
                        first = rq->cap;
                if (site == NULL && rq->cap->on_site)
                        site = rq->cap;
        }
        s->anywhere = o->anywhere;
        if (!o->anywhere)
                out->place = has_place ? "the notice's regions and delivery postcodes"
                                       : "not stated: every member's regions fit";
        else if (site != NULL && has_place) {
                struct buf b;
                bool f = true;

                buf_init(&b);
                for (size_t i = 0; i < o->postcodes.n; i++)
                        list_append(&b, o->postcodes.v[i], &f);
                for (size_t i = 0; i < o->regions.n; i++)
                        list_append(&b, o->regions.v[i], &f);
                s->anywhere = false;
                out->place = result_printf(out, "on-site work (%s): the delivery place (%s) "
                                           "decides, not the notice's \"any region\"",
                                           site->id, b.data);
                buf_done(&b);
        } else if (site != NULL) {
                out->place = result_printf(out, "on-site work (%s), but the notice names no "
                                           "delivery place: anywhere", site->id);
        } else if (first != NULL) {
                out->place = result_printf(out, "remote work (%s): the notice's \"any "
                                           "region\" stands", first->id);
        } else {
                out->place = "anywhere (the notice says so)";
        }
}

void
engine_finish_caps(const struct engine *e, struct engine_scratch *s,
                   const struct opportunity *o, struct match_result *out)
{
        /* per-notice strings the member reasons share */
        if (o->regions.n > s->reg_c_cap) {
                s->reg_c_cap = o->regions.n;
                s->reg_c = xreallocarray(s->reg_c, s->reg_c_cap, sizeof(*s->reg_c));
                s->reg_len = xreallocarray(s->reg_len, s->reg_c_cap, sizeof(*s->reg_len));
        }
        if (o->postcodes.n > s->pc_c_cap) {
                s->pc_c_cap = o->postcodes.n;
                s->pc_c = xreallocarray(s->pc_c, s->pc_c_cap, sizeof(*s->pc_c));
                s->pc_itl1 = xreallocarray(s->pc_itl1, s->pc_c_cap, sizeof(*s->pc_itl1));
                s->pc_itl1_len = xreallocarray(s->pc_itl1_len, s->pc_c_cap,
                                               sizeof(*s->pc_itl1_len));
        }
        for (size_t i = 0; i < o->regions.n; i++) {
                s->reg_len[i] = strlen(o->regions.v[i]);
                s->reg_c[i] = result_strndup(out, o->regions.v[i], s->reg_len[i]);
        }
        for (size_t i = 0; i < o->postcodes.n; i++) {
                s->pc_c[i] = result_strndup(out, o->postcodes.v[i], strlen(o->postcodes.v[i]));
                s->pc_itl1[i] = postcode_region(o->postcodes.v[i]);
                s->pc_itl1_len[i] = s->pc_itl1[i] ? strlen(s->pc_itl1[i]) : 0;
        }
        s->val_text = value_text(out, o);
        notice_band(s, o);
        capabilities(e, s, o, out);
        place_rule(s, o, out);
        /* each requirement's reason weights summed in order from 0, as a
         * match's score starts (member_eval) */
        for (size_t q = 0; q < out->nrequires; q++) {
                double w = 0;

                for (size_t j = 0; j < out->requires[q].nreasons; j++)
                        w += out->requires[q].reasons[j].weight;
                s->rq_wsum[q] = w;
        }
}

void
engine_finish_members(const struct engine *e, struct engine_scratch *s,
                      const struct opportunity *o, unsigned flags, const uint32_t *members,
                      size_t nmembers, bool all, struct match_result *out)
{
        size_t nmatch = 0, nmiss = 0, total = all ? e->nmembers : nmembers;

        /* members with a rule of their own that fired */
        if (s->brute) {
                for (size_t r = e->cap_ref[e->tx->ncaps]; r < e->nrefs; r++)
                        if (s->ref_fired[r] == s->epoch)
                                s->mem_fired[e->refs[r].member] = s->epoch;
        } else {
                for (size_t k = 0; k < s->nfired; k++) {
                        uint32_t p = s->fired[k];

                        for (uint32_t j = e->pat_own_off[p]; j < e->pat_own_off[p + 1]; j++) {
                                int32_t m = e->pat_own_mem[j];

                                if (m != -1)
                                        s->mem_fired[m >= 0 ? m : -2 - m] = s->epoch;
                        }
                }
        }

        if (flags & ENGINE_EXPLAIN)
                out->misses = result_alloc(out, (total ? total : 1) * sizeof(*out->misses));
        for (size_t k = 0; k < total; k++)
                member_eval(e, s, o, flags, all ? (uint32_t)k : members[k], out, &nmatch,
                            &nmiss);
        if (nmatch) {
                out->matches = result_alloc(out, nmatch * sizeof(*out->matches));
                sort_matches(s, out->matches, nmatch);
        }
        out->nmatches = nmatch;
        out->nmisses = nmiss;
}
