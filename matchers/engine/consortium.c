/*
 * consortium.c — minimal covering sets of members (consortium.h has the
 * definitions; docs/consortium.md the long form).
 *
 * Two ways to the same answer: consort_search() (dominance by mask groups,
 * depth-first search branching on the rarest requirement, deepening one size
 * at a time, a node budget and a greedy fallback) and consort_search_brute()
 * (pairwise dominance, every subset of at most k members).  Both hand their
 * sets to finish(), which maps requirements, picks the lead, scores, ranks
 * and keeps the top N, so their outputs compare set by set.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/consortium.h"
#include "bidbroker/util.h"

struct cset {
        uint32_t m[CONSORT_MAX_K];      /* input indices, ascending */
        unsigned n;
        uint32_t lead;
        unsigned nlocal, ntogether;
        double   score, balance;
        uint8_t  cover[CONSORT_MAX_REQ];/* position in m of each requirement's member */
};

struct consort_result {
        enum consort_verdict verdict;
        enum consort_why why;
        uint64_t missing;
        bool     approximate;
        size_t   nodes, ncand;
        struct cset *sets;
        size_t   nsets, cap;
};

/* The problem with defaults filled in. */
struct prob {
        const struct consort_member *mem;
        size_t   nmem;
        unsigned nreq, k;
        uint64_t full;
        size_t   top, budget;
        bool     use_cap;               /* a value is stated */
        int64_t  value;
        const struct consort_pair *avoid, *together;
        size_t   navoid, ntogether;
        uint8_t *paired;                /* per member: named in a pair (or NULL) */
};

static bool
is_pair(const struct consort_pair *pv, size_t n, uint32_t a, uint32_t b)
{
        for (size_t i = 0; i < n; i++)
                if ((pv[i].a == a && pv[i].b == b) || (pv[i].a == b && pv[i].b == a))
                        return true;
        return false;
}

/* Would member c join m[0..n) against an avoid pair? */
static bool
conflict(const struct prob *p, const uint32_t *m, unsigned n, uint32_t c)
{
        if (p->paired == NULL || !p->paired[c])
                return false;
        for (unsigned i = 0; i < n; i++)
                if (is_pair(p->avoid, p->navoid, m[i], c))
                        return true;
        return false;
}

static int64_t
cap_of(const struct prob *p, uint32_t i)
{
        int64_t c = p->mem[i].capacity;

        return !p->use_cap || c < 0 ? INT64_MAX : c;
}

static bool
cap_ok(const struct prob *p, const uint32_t *m, unsigned n)
{
        int64_t sum = 0;

        if (!p->use_cap)
                return true;
        for (unsigned i = 0; i < n; i++) {
                int64_t c = cap_of(p, m[i]);

                if (c == INT64_MAX || sum >= INT64_MAX - c)
                        return true;
                sum += c;
        }
        return sum >= p->value;
}

/* Does every member cover a requirement no other member of the set covers? */
static bool
irredundant(const struct prob *p, const uint32_t *m, unsigned n)
{
        for (unsigned i = 0; i < n; i++) {
                uint64_t others = 0;

                for (unsigned j = 0; j < n; j++)
                        if (j != i)
                                others |= p->mem[m[j]].mask;
                if ((p->mem[m[i]].mask & ~others) == 0)
                        return false;
        }
        return true;
}

static int
prob_init(const struct consort_problem *in, struct prob *p)
{
        if (in == NULL || in->nreq == 0 || in->nreq > CONSORT_MAX_REQ
            || in->k > CONSORT_MAX_K || (in->members == NULL && in->nmembers > 0))
                return -EINVAL;
        *p = (struct prob){
                .mem = in->members, .nmem = in->nmembers, .nreq = in->nreq,
                .k = in->k ? in->k : CONSORT_DEFAULT_K,
                .full = in->nreq == 64 ? UINT64_MAX : (UINT64_C(1) << in->nreq) - 1,
                .top = in->top_n ? in->top_n : CONSORT_DEFAULT_TOP,
                .budget = in->node_budget ? in->node_budget : CONSORT_DEFAULT_BUDGET,
                .use_cap = in->value >= 0, .value = in->value,
                .avoid = in->avoid, .navoid = in->avoid ? in->navoid : 0,
                .together = in->together, .ntogether = in->together ? in->ntogether : 0,
        };
        for (size_t i = 0; i < p->nmem; i++)
                if (p->mem[i].mask & ~p->full)
                        return -EINVAL;
        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < p->navoid + p->ntogether; i++) {
                        const struct consort_pair *q = i < p->navoid ? &p->avoid[i]
                                                     : &p->together[i - p->navoid];

                        if (pass == 0 && (q->a >= p->nmem || q->b >= p->nmem))
                                return -EINVAL;
                        if (pass == 0)
                                continue;
                        if (p->paired == NULL)
                                p->paired = xcalloc(p->nmem, 1);
                        p->paired[q->a] = p->paired[q->b] = 1;
                }
        return 0;
}

static void
add_set(struct consort_result *r, const uint32_t *m, unsigned n)
{
        struct cset *s;

        if (r->nsets == r->cap) {
                r->cap = r->cap ? 2 * r->cap : 16;
                r->sets = xreallocarray(r->sets, r->cap, sizeof(*r->sets));
        }
        s = &r->sets[r->nsets++];
        memset(s, 0, sizeof(*s));
        memcpy(s->m, m, n * sizeof(*m));
        s->n = n;
        /* ascending indices: the set's identity and the last tie-break */
        for (unsigned i = 1; i < n; i++)
                for (unsigned j = i; j > 0 && s->m[j - 1] > s->m[j]; j--) {
                        uint32_t t = s->m[j];

                        s->m[j] = s->m[j - 1];
                        s->m[j - 1] = t;
                }
}

/* ---- the final stage: mapping, lead, score, ranking ----------------------- */

static double
strength(const struct consort_member *m, unsigned b)
{
        return m->req_score ? m->req_score[b] : m->score;
}

static void
describe(const struct prob *p, struct cset *s)
{
        unsigned count[CONSORT_MAX_K] = { 0 }, lo = ~0u, hi = 0;
        double sum = 0;
        int lead = -1;
        bool flagged = false;

        for (unsigned b = 0; b < p->nreq; b++) {
                int best = -1;

                for (unsigned i = 0; i < s->n; i++)
                        if ((p->mem[s->m[i]].mask >> b & 1)
                            && (best < 0 || strength(&p->mem[s->m[i]], b)
                                            > strength(&p->mem[s->m[best]], b)))
                                best = (int)i;
                s->cover[b] = (uint8_t)best;    /* a cover: best >= 0 */
                count[best]++;
                sum += strength(&p->mem[s->m[best]], b);
        }
        for (unsigned i = 0; i < s->n; i++)
                if (p->mem[s->m[i]].flags & CONSORT_LEAD_CAPABLE)
                        flagged = true;
        s->nlocal = 0;
        for (unsigned i = 0; i < s->n; i++) {
                const struct consort_member *mi = &p->mem[s->m[i]];

                if (mi->flags & CONSORT_LOCAL)
                        s->nlocal++;
                lo = count[i] < lo ? count[i] : lo;
                hi = count[i] > hi ? count[i] : hi;
                if (flagged && !(mi->flags & CONSORT_LEAD_CAPABLE))
                        continue;
                if (lead < 0 || count[i] > count[lead]
                    || (count[i] == count[lead] && mi->score > p->mem[s->m[lead]].score))
                        lead = (int)i;
        }
        s->lead = s->m[lead];
        s->ntogether = 0;
        for (unsigned i = 0; i < s->n; i++)
                for (unsigned j = i + 1; j < s->n; j++)
                        s->ntogether += is_pair(p->together, p->ntogether, s->m[i], s->m[j]);
        s->score = sum / p->nreq * (1.0 + CONSORT_PAIR_BONUS * s->ntogether);
        s->balance = hi ? (double)lo / hi : 1.0;
}

static int
rank_cmp(const void *pa, const void *pb)
{
        const struct cset *a = pa, *b = pb;

        if (a->n != b->n)
                return a->n < b->n ? -1 : 1;
        if (a->score != b->score)
                return a->score > b->score ? -1 : 1;
        if (a->nlocal != b->nlocal)
                return a->nlocal > b->nlocal ? -1 : 1;
        if (a->balance != b->balance)
                return a->balance > b->balance ? -1 : 1;
        for (unsigned i = 0; i < a->n; i++)
                if (a->m[i] != b->m[i])
                        return a->m[i] < b->m[i] ? -1 : 1;
        return 0;
}

/* Describe, rank, drop duplicates (the greedy set may repeat a found one),
 * keep the top N, and say the verdict. */
static void
finish(const struct prob *p, struct consort_result *r, bool cap_failed)
{
        size_t n = 0;

        for (size_t i = 0; i < r->nsets; i++)
                describe(p, &r->sets[i]);
        if (r->nsets > 1)
                qsort(r->sets, r->nsets, sizeof(*r->sets), rank_cmp);
        for (size_t i = 0; i < r->nsets; i++)
                if (n == 0 || rank_cmp(&r->sets[n - 1], &r->sets[i]) != 0)
                        r->sets[n++] = r->sets[i];
        r->nsets = n < p->top ? n : p->top;
        if (r->nsets > 0) {
                r->verdict = r->sets[0].n == 1 ? CONSORT_SINGLE : CONSORT_CONSORTIUM;
                r->why = CONSORT_WHY_NONE;
        } else {
                r->verdict = CONSORT_NO_COVER;
                r->why = r->missing ? CONSORT_WHY_MISSING
                       : cap_failed ? CONSORT_WHY_CAPACITY : CONSORT_WHY_TOO_MANY;
        }
}

static struct consort_result *
result_new(const struct prob *p)
{
        struct consort_result *r = xcalloc(1, sizeof(*r));
        uint64_t all = 0;

        for (size_t i = 0; i < p->nmem; i++)
                all |= p->mem[i].mask;
        r->missing = p->full & ~all;
        return r;
}

/* ---- dominance by mask groups ---------------------------------------------- */

struct ent {
        uint64_t mask;
        double   score;
        int64_t  cap;
        uint32_t idx;
};

static int
ent_cmp(const void *pa, const void *pb)
{
        const struct ent *a = pa, *b = pb;

        if (a->mask != b->mask)
                return a->mask < b->mask ? -1 : 1;
        if (a->score != b->score)
                return a->score > b->score ? -1 : 1;
        if (a->cap != b->cap)
                return a->cap > b->cap ? -1 : 1;
        return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* The undominated members (input indices) into cand; returns how many. */
static size_t
undominated(const struct prob *p, uint32_t *cand)
{
        struct ent *e = xreallocarray(NULL, p->nmem ? p->nmem : 1, sizeof(*e));
        size_t *gstart = xreallocarray(NULL, p->nmem + 1, sizeof(*gstart));
        int64_t *gmax = xreallocarray(NULL, p->nmem ? p->nmem : 1, sizeof(*gmax));
        size_t n = 0, ng = 0, nc = 0;

        for (size_t i = 0; i < p->nmem; i++)
                if (p->mem[i].mask && (p->paired == NULL || !p->paired[i]))
                        e[n++] = (struct ent){ p->mem[i].mask, p->mem[i].score,
                                               cap_of(p, (uint32_t)i), (uint32_t)i };
        if (n > 1)
                qsort(e, n, sizeof(*e), ent_cmp);
        for (size_t i = 0; i < n; i++) {
                if (i == 0 || e[i].mask != e[i - 1].mask) {
                        gstart[ng] = i;
                        gmax[ng++] = e[i].cap;
                } else if (e[i].cap > gmax[ng - 1])
                        gmax[ng - 1] = e[i].cap;
        }
        gstart[ng] = n;
        for (size_t g = 0; g < ng; g++) {
                uint64_t m = e[gstart[g]].mask;
                int64_t over = -1, best = -1;   /* capacity a strict superset offers */

                for (size_t h = 0; h < ng; h++) {
                        uint64_t mh = e[gstart[h]].mask;

                        if (h != g && (mh & m) == m && gmax[h] > over)
                                over = gmax[h];
                }
                /* within the group: sorted best first, kept while capacity grows */
                for (size_t i = gstart[g]; i < gstart[g + 1]; i++) {
                        if (e[i].cap <= best || e[i].cap <= over)
                                continue;
                        best = e[i].cap;
                        cand[nc++] = e[i].idx;
                }
        }
        /* members named in a pair: neither dominated nor dominating */
        for (size_t i = 0; p->paired && i < p->nmem; i++)
                if (p->paired[i] && p->mem[i].mask)
                        cand[nc++] = (uint32_t)i;
        free(e);
        free(gstart);
        free(gmax);
        return nc;
}

/* ---- the depth-first search ------------------------------------------------- */

struct search {
        const struct prob *p;
        struct consort_result *r;
        const uint32_t *cand;           /* candidate position -> input index */
        size_t   ncand;
        uint32_t *byreq[CONSORT_MAX_REQ];       /* candidate positions, best first */
        size_t   nbyreq[CONSORT_MAX_REQ];
        unsigned *forb;                 /* per candidate: forbidden by how many */
        unsigned maxpop;
        int64_t  maxcap;
        unsigned limit;                 /* the size this round looks for */
        uint32_t chosen[CONSORT_MAX_K];
        size_t   nodes;
        bool     spent, cap_failed;
        bool     probe;                 /* is there a cover, capacity aside? */
};

static int
pos_cmp_score(const void *pa, const void *pb, void *ctx)
{
        const struct search *s = ctx;
        uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
        const struct consort_member *ma = &s->p->mem[s->cand[a]], *mb = &s->p->mem[s->cand[b]];

        if (ma->score != mb->score)
                return ma->score > mb->score ? -1 : 1;
        return a < b ? -1 : a > b;
}

/* Could a set of `left` more members reach the value? */
static bool
cap_reachable(const struct search *s, unsigned depth)
{
        int64_t sum = 0;

        if (!s->p->use_cap || s->maxcap == INT64_MAX || s->probe)
                return true;
        for (unsigned i = 0; i < depth; i++)
                sum += cap_of(s->p, s->chosen[i]);
        /* capacities are below INT64_MAX here; 4 of them may still overflow */
        for (unsigned i = depth; i < s->limit; i++) {
                if (sum >= INT64_MAX - s->maxcap)
                        return true;
                sum += s->maxcap;
        }
        return sum >= s->p->value;
}

static void
dfs(struct search *s, unsigned depth, uint64_t covered)
{
        const struct prob *p = s->p;
        uint64_t left = p->full & ~covered;
        unsigned rarest = 0, need;
        size_t best = SIZE_MAX;

        if (++s->nodes > p->budget) {
                s->spent = true;
                return;
        }
        if (left == 0) {
                if (depth < s->limit)
                        return;         /* a smaller set: an earlier round has it */
                if (cap_ok(p, s->chosen, depth))
                        add_set(s->r, s->chosen, depth);
                else
                        s->cap_failed = true;
                return;
        }
        need = (unsigned)__builtin_popcountll(left);
        if (depth == s->limit || need > (s->limit - depth) * s->maxpop
            || !cap_reachable(s, depth))
                return;
        for (unsigned b = 0; b < p->nreq; b++)
                if ((left >> b & 1) && s->nbyreq[b] < best) {
                        best = s->nbyreq[b];
                        rarest = b;
                }
        size_t i;

        for (i = 0; i < s->nbyreq[rarest] && !s->spent && !(s->probe && s->cap_failed); i++) {
                uint32_t c = s->byreq[rarest][i];

                if (s->forb[c]++)
                        continue;       /* an earlier branch above took it */
                if (conflict(p, s->chosen, depth, s->cand[c]))
                        continue;       /* an avoid pair */
                s->chosen[depth] = s->cand[c];
                /* a member made redundant now stays redundant deeper down */
                if (irredundant(p, s->chosen, depth + 1))
                        dfs(s, depth + 1, covered | p->mem[s->cand[c]].mask);
        }
        /* later siblings were not to take c: that mark ends with this level */
        while (i-- > 0)
                s->forb[s->byreq[rarest][i]]--;
}

/* The greedy weighted cover: most new requirements times (1 + score), then
 * redundant members dropped, latest pick first. */
static void
greedy(struct search *s)
{
        const struct prob *p = s->p;
        uint32_t pick[CONSORT_MAX_K];
        unsigned n = 0;
        uint64_t covered = 0;

        while (covered != p->full && n < p->k) {
                double bestw = 0;
                size_t best = SIZE_MAX;

                for (size_t c = 0; c < s->ncand; c++) {
                        const struct consort_member *m = &p->mem[s->cand[c]];
                        unsigned gain = (unsigned)__builtin_popcountll(m->mask & ~covered);
                        double w = gain * (1.0 + m->score);

                        if (gain && w > bestw && !conflict(p, pick, n, s->cand[c])) {
                                bestw = w;
                                best = c;
                        }
                }
                if (best == SIZE_MAX)
                        break;
                pick[n++] = s->cand[best];
                covered |= p->mem[s->cand[best]].mask;
        }
        if (covered != p->full)
                return;
        for (unsigned i = n; i-- > 0;) {
                uint64_t others = 0;

                for (unsigned j = 0; j < n; j++)
                        if (j != i)
                                others |= p->mem[pick[j]].mask;
                if ((others & p->full) == p->full) {
                        memmove(&pick[i], &pick[i + 1], (n - i - 1) * sizeof(*pick));
                        n--;
                }
        }
        if (cap_ok(p, pick, n))
                add_set(s->r, pick, n);
}

int
consort_search(const struct consort_problem *in, struct consort_result **out)
{
        struct prob p;
        struct search s = { 0 };
        struct consort_result *r;
        uint32_t *cand = NULL, *pool = NULL;
        size_t total = 0;
        int rc;

        *out = NULL;
        if ((rc = prob_init(in, &p)) < 0)
                return rc;
        r = result_new(&p);
        cand = xreallocarray(NULL, p.nmem ? p.nmem : 1, sizeof(*cand));
        s = (struct search){ .p = &p, .r = r, .cand = cand };
        s.ncand = undominated(&p, cand);
        r->ncand = s.ncand;
        if (r->missing)
                goto done;
        s.forb = xcalloc(s.ncand ? s.ncand : 1, sizeof(*s.forb));
        for (size_t c = 0; c < s.ncand; c++) {
                const struct consort_member *m = &p.mem[cand[c]];
                unsigned pop = (unsigned)__builtin_popcountll(m->mask);
                int64_t cap = cap_of(&p, cand[c]);

                total += pop;
                s.maxpop = pop > s.maxpop ? pop : s.maxpop;
                s.maxcap = cap > s.maxcap ? cap : s.maxcap;
        }
        pool = xreallocarray(NULL, total ? total : 1, sizeof(*pool));
        total = 0;
        for (unsigned b = 0; b < p.nreq; b++) {
                s.byreq[b] = pool + total;
                for (size_t c = 0; c < s.ncand; c++)
                        if (p.mem[cand[c]].mask >> b & 1)
                                s.byreq[b][s.nbyreq[b]++] = (uint32_t)c;
                total += s.nbyreq[b];
                qsort_r(s.byreq[b], s.nbyreq[b], sizeof(uint32_t), pos_cmp_score, &s);
        }
        for (s.limit = 1; s.limit <= p.k && !s.spent && r->nsets < p.top; s.limit++)
                dfs(&s, 0, 0);
        /* nothing found: say whether capacity is why (a cover capacity aside) */
        s.probe = r->nsets == 0 && p.use_cap;
        for (s.limit = 1; s.probe && s.limit <= p.k && !s.spent && !s.cap_failed; s.limit++)
                dfs(&s, 0, 0);
        r->nodes = s.nodes < p.budget ? s.nodes : p.budget;
        if (s.spent) {
                r->approximate = true;
                greedy(&s);
        }
done:
        finish(&p, r, s.cap_failed);
        free(p.paired);
        free(s.forb);
        free(pool);
        free(cand);
        *out = r;
        return 0;
}

/* ---- the oracle ----------------------------------------------------------- */

/* Does b dominate a (consortium.h)? */
static bool
dominates(const struct prob *p, uint32_t b, uint32_t a)
{
        const struct consort_member *ma = &p->mem[a], *mb = &p->mem[b];
        int64_t ca = cap_of(p, a), cb = cap_of(p, b);

        if (a == b || (ma->mask & mb->mask) != ma->mask || cb < ca
            || (p->paired && (p->paired[a] || p->paired[b])))
                return false;
        if (ma->mask != mb->mask)
                return true;
        if (mb->score != ma->score)
                return mb->score > ma->score;
        if (cb != ca)
                return cb > ca;
        return b < a;
}

static void
brute_sets(const struct prob *p, struct consort_result *r, const uint32_t *cand,
           size_t ncand, uint32_t *pick, unsigned n, size_t from, bool *cap_failed)
{
        uint64_t covered = 0;

        for (unsigned i = 0; i < n; i++)
                covered |= p->mem[pick[i]].mask;
        if (n > 0 && covered == p->full && irredundant(p, pick, n)) {
                if (cap_ok(p, pick, n))
                        add_set(r, pick, n);
                else
                        *cap_failed = true;
        }
        if (n == p->k)
                return;
        for (size_t c = from; c < ncand; c++) {
                if (conflict(p, pick, n, cand[c]))
                        continue;
                pick[n] = cand[c];
                brute_sets(p, r, cand, ncand, pick, n + 1, c + 1, cap_failed);
        }
}

int
consort_search_brute(const struct consort_problem *in, struct consort_result **out)
{
        struct prob p;
        struct consort_result *r;
        uint32_t *cand, pick[CONSORT_MAX_K];
        size_t ncand = 0;
        bool cap_failed = false;
        int rc;

        *out = NULL;
        if ((rc = prob_init(in, &p)) < 0)
                return rc;
        r = result_new(&p);
        cand = xreallocarray(NULL, p.nmem ? p.nmem : 1, sizeof(*cand));
        for (size_t a = 0; a < p.nmem; a++) {
                bool dom = p.mem[a].mask == 0;

                for (size_t b = 0; b < p.nmem && !dom; b++)
                        dom = dominates(&p, (uint32_t)b, (uint32_t)a);
                if (!dom)
                        cand[ncand++] = (uint32_t)a;
        }
        r->ncand = ncand;
        if (!r->missing)
                brute_sets(&p, r, cand, ncand, pick, 0, 0, &cap_failed);
        finish(&p, r, cap_failed);
        free(p.paired);
        free(cand);
        *out = r;
        return 0;
}

/* ---- the result ------------------------------------------------------------- */

struct consort_result *
consort_result_free(struct consort_result *r)
{
        if (r != NULL) {
                free(r->sets);
                free(r);
        }
        return NULL;
}

enum consort_verdict consort_verdict(const struct consort_result *r) { return r->verdict; }
enum consort_why consort_why(const struct consort_result *r) { return r->why; }
uint64_t consort_missing(const struct consort_result *r) { return r->missing; }
bool consort_approximate(const struct consort_result *r) { return r->approximate; }
size_t consort_nodes(const struct consort_result *r) { return r->nodes; }
size_t consort_candidates(const struct consort_result *r) { return r->ncand; }
size_t consort_count(const struct consort_result *r) { return r->nsets; }

const char *
consort_verdict_name(enum consort_verdict v)
{
        switch (v) {
        case CONSORT_SINGLE:     return "single";
        case CONSORT_CONSORTIUM: return "consortium";
        case CONSORT_NO_COVER:   return "no cover";
        }
        return "?";
}

const uint32_t *
consort_set(const struct consort_result *r, size_t i, size_t *n)
{
        *n = r->sets[i].n;
        return r->sets[i].m;
}

uint32_t consort_lead(const struct consort_result *r, size_t i) { return r->sets[i].lead; }
double consort_score(const struct consort_result *r, size_t i) { return r->sets[i].score; }
double consort_balance(const struct consort_result *r, size_t i) { return r->sets[i].balance; }

uint32_t
consort_cover(const struct consort_result *r, size_t i, unsigned req)
{
        return r->sets[i].m[r->sets[i].cover[req]];
}

unsigned consort_together(const struct consort_result *r, size_t i) { return r->sets[i].ntogether; }

/* Member-level rotation in set 0: a member the search kept over others of
 * the same mask (dominance keeps only the best of equals) gives way to the
 * least-loaded of them scoring within `within` of it, when the set stays
 * feasible.  Returns how many such alternatives there were. */
static size_t
rotate_members(const struct prob *p, struct consort_result *r, const double *load,
               double within)
{
        struct cset *s = &r->sets[0];
        size_t alts = 0;

        for (unsigned j = 0; j < s->n; j++) {
                uint32_t cur = s->m[j], best = cur;

                for (uint32_t x = 0; x < p->nmem; x++) {
                        uint32_t others[CONSORT_MAX_K];
                        unsigned no = 0;
                        bool in = false;

                        if (x == cur || p->mem[x].mask != p->mem[cur].mask
                            || p->mem[x].score < p->mem[cur].score * (1.0 - within))
                                continue;
                        for (unsigned k = 0; k < s->n; k++) {
                                in = in || s->m[k] == x;
                                if (k != j)
                                        others[no++] = s->m[k];
                        }
                        if (in || conflict(p, others, no, x))
                                continue;
                        others[no++] = x;
                        if (!cap_ok(p, others, no))
                                continue;
                        alts++;
                        if (load[x] < load[best] || (load[x] == load[best] && x < best
                                                     && best != cur))
                                best = x;
                }
                s->m[j] = best;
        }
        if (alts) {
                for (unsigned i = 1; i < s->n; i++)     /* ascending again */
                        for (unsigned j = i; j > 0 && s->m[j - 1] > s->m[j]; j--) {
                                uint32_t t = s->m[j];

                                s->m[j] = s->m[j - 1];
                                s->m[j - 1] = t;
                        }
                describe(p, s);
        }
        return alts;
}

size_t
consort_rotate(struct consort_result *r, const struct consort_problem *in, const double *load,
               double within)
{
        size_t n = 0, best = 0;
        double bl = 0;
        struct prob p;

        if (r->nsets == 0 || prob_init(in, &p) < 0)
                return r->nsets;
        while (n < r->nsets && r->sets[n].n == r->sets[0].n
               && r->sets[n].score >= r->sets[0].score * (1.0 - within))
                n++;
        for (size_t i = 0; i < n; i++) {
                double l = 0;

                for (unsigned k = 0; k < r->sets[i].n; k++)
                        l += load[r->sets[i].m[k]];
                if (i == 0 || l < bl) {
                        bl = l;
                        best = i;
                }
        }
        if (best > 0) {
                struct cset t = r->sets[best];

                memmove(&r->sets[1], &r->sets[0], best * sizeof(*r->sets));
                r->sets[0] = t;
        }
        n += rotate_members(&p, r, load, within);
        free(p.paired);
        return n;
}
