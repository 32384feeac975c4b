/* test_consortium.c — the consortium search (matchers/engine/consortium.c):
 * hand-built registers with their exact expected sets (minimality,
 * dominance, capacity, the single-member preference, no cover and what is
 * missing, the lead), and a property test: on 10,000 random small
 * instances the search gives exactly what enumerating every subset gives,
 * every set is a minimal cover, and none is missed within k. */
#include <errno.h>
#include <stdio.h>

#include "testutil.h"

#include "bidbroker/consortium.h"

#define A (UINT64_C(1) << 0)
#define B (UINT64_C(1) << 1)
#define C (UINT64_C(1) << 2)
#define D (UINT64_C(1) << 3)
#define POUNDS(x) ((int64_t)(x) * 100)

static struct consort_result *
run(unsigned nreq, const struct consort_member *m, size_t n, int64_t value, unsigned k)
{
        struct consort_problem p = { .nreq = nreq, .members = m, .nmembers = n,
                                     .value = value, .k = k };
        struct consort_result *r;

        assert_int_equal(consort_search(&p, &r), 0);
        assert_false(consort_approximate(r));
        return r;
}

/* set i is exactly these members (ascending) */
static void
expect_set(const struct consort_result *r, size_t i, size_t n, const uint32_t *want)
{
        size_t got;
        const uint32_t *m = consort_set(r, i, &got);

        assert_int_equal(got, n);
        for (size_t j = 0; j < n; j++)
                assert_int_equal(m[j], want[j]);
}

/* A member whose capabilities are a subset of another's is not proposed;
 * the requirements go to the best member covering them; the lead covers
 * the most. */
static void
t_dominance_and_mapping(void **state)
{
        const struct consort_member m[] = {
                { A | B, 5, -1, 0, NULL },
                { C, 4, -1, 0, NULL },    /* within B|C: dropped */
                { A, 9, -1, 0, NULL },    /* within A|B: dropped */
                { B | C, 3, -1, 0, NULL },
        };
        struct consort_result *r = run(3, m, 4, -1, 3);

        (void)state;
        assert_int_equal(consort_verdict(r), CONSORT_CONSORTIUM);
        assert_string_equal(consort_verdict_name(consort_verdict(r)), "consortium");
        assert_int_equal(consort_candidates(r), 2);
        assert_int_equal(consort_count(r), 1);
        expect_set(r, 0, 2, (const uint32_t[]){ 0, 3 });
        assert_int_equal(consort_cover(r, 0, 0), 0);
        assert_int_equal(consort_cover(r, 0, 1), 0);    /* 5 beats 3 */
        assert_int_equal(consort_cover(r, 0, 2), 3);
        assert_int_equal(consort_lead(r, 0), 0);
        assert_true(consort_score(r, 0) == (5.0 + 5.0 + 3.0) / 3);
        assert_true(consort_balance(r, 0) == 0.5);
        consort_result_free(r);
}

/* Every pair covers; the three together are redundant and never listed;
 * ranked by score. */
static void
t_minimality(void **state)
{
        const struct consort_member m[] = {
                { A | B, 1, -1, 0, NULL },
                { B | C, 3, -1, 0, NULL },
                { A | C, 2, -1, 0, NULL },
        };
        struct consort_result *r = run(3, m, 3, -1, 3);

        (void)state;
        assert_int_equal(consort_count(r), 3);
        expect_set(r, 0, 2, (const uint32_t[]){ 1, 2 });
        expect_set(r, 1, 2, (const uint32_t[]){ 0, 1 });
        expect_set(r, 2, 2, (const uint32_t[]){ 0, 2 });
        consort_result_free(r);
}

/* A member covering everything but too small for the value: a consortium
 * with the capacity; a value beyond every set: no cover, for capacity. */
static void
t_capacity(void **state)
{
        struct consort_member m[] = {
                { A | B | C, 9, POUNDS(10000), 0, NULL },
                { A | B, 5, POUNDS(30000), 0, NULL },
                { C, 5, POUNDS(30000), 0, NULL },
        };
        struct consort_result *r = run(3, m, 3, POUNDS(50000), 3);

        (void)state;
        assert_int_equal(consort_verdict(r), CONSORT_CONSORTIUM);
        assert_int_equal(consort_count(r), 1);
        expect_set(r, 0, 2, (const uint32_t[]){ 1, 2 });
        consort_result_free(r);

        r = run(3, m, 3, POUNDS(70000), 3);
        assert_int_equal(consort_verdict(r), CONSORT_NO_COVER);
        assert_int_equal(consort_why(r), CONSORT_WHY_CAPACITY);
        assert_int_equal(consort_missing(r), 0);
        assert_int_equal(consort_count(r), 0);
        consort_result_free(r);

        m[2].capacity = -1;             /* not stated: not limited */
        r = run(3, m, 3, POUNDS(70000), 3);
        expect_set(r, 0, 2, (const uint32_t[]){ 1, 2 });
        consort_result_free(r);

        /* no value stated: capacity plays no part, the big member alone */
        r = run(3, m, 3, -1, 3);
        assert_int_equal(consort_verdict(r), CONSORT_SINGLE);
        assert_int_equal(consort_count(r), 1);
        expect_set(r, 0, 1, (const uint32_t[]){ 0 });
        consort_result_free(r);
}

/* One member covering everything comes first, even against a pair with
 * stronger matches. */
static void
t_single_preferred(void **state)
{
        const struct consort_member m[] = {
                { A | B | C, 1, POUNDS(50000), 0, NULL },
                { A | B, 10, POUNDS(60000), 0, NULL },
                { C, 10, POUNDS(60000), 0, NULL },
        };
        struct consort_result *r = run(3, m, 3, POUNDS(10000), 3);

        (void)state;
        assert_int_equal(consort_verdict(r), CONSORT_SINGLE);
        assert_string_equal(consort_verdict_name(consort_verdict(r)), "single");
        assert_int_equal(consort_count(r), 2);
        expect_set(r, 0, 1, (const uint32_t[]){ 0 });
        expect_set(r, 1, 2, (const uint32_t[]){ 1, 2 });
        assert_true(consort_score(r, 1) > consort_score(r, 0));
        consort_result_free(r);
}

/* What no member can deliver is listed; more than k needed is said. */
static void
t_no_cover(void **state)
{
        const struct consort_member m[] = {
                { A, 1, -1, 0, NULL }, { B, 1, -1, 0, NULL }, { C, 1, -1, 0, NULL },
        };
        struct consort_result *r = run(4, m, 3, -1, 3);

        (void)state;
        assert_int_equal(consort_verdict(r), CONSORT_NO_COVER);
        assert_string_equal(consort_verdict_name(consort_verdict(r)), "no cover");
        assert_int_equal(consort_why(r), CONSORT_WHY_MISSING);
        assert_int_equal(consort_missing(r), D);
        consort_result_free(r);

        r = run(3, m, 3, -1, 2);
        assert_int_equal(consort_why(r), CONSORT_WHY_TOO_MANY);
        assert_int_equal(consort_missing(r), 0);
        consort_result_free(r);

        r = run(3, m, 3, -1, 3);
        assert_int_equal(consort_verdict(r), CONSORT_CONSORTIUM);
        expect_set(r, 0, 3, (const uint32_t[]){ 0, 1, 2 });
        assert_true(consort_balance(r, 0) == 1.0);
        consort_result_free(r);

        r = run(2, NULL, 0, -1, 3);     /* nobody willing */
        assert_int_equal(consort_missing(r), A | B);
        consort_result_free(r);
}

/* A member flagged lead-capable leads even with the smaller share; local
 * members win a tie. */
static void
t_lead_and_local(void **state)
{
        const struct consort_member m[] = {
                { A | B, 2, -1, 0, NULL },
                { C, 2, -1, CONSORT_LEAD_CAPABLE, NULL },
                { C | D, 2, -1, 0, NULL },
                { D | A, 2, -1, 0, NULL },
                { B | C, 2, -1, CONSORT_LOCAL, NULL },
        };
        struct consort_result *r = run(3, m, 2, -1, 3);

        (void)state;
        expect_set(r, 0, 2, (const uint32_t[]){ 0, 1 });
        assert_int_equal(consort_lead(r, 0), 1);
        consort_result_free(r);

        r = run(4, m, 5, -1, 2);
        /* {0,2} and {3,4} and ... all score 2; the one with a local member first */
        assert_true(consort_count(r) >= 2);
        expect_set(r, 0, 2, (const uint32_t[]){ 3, 4 });
        consort_result_free(r);
}

/* A strength per requirement decides who each requirement goes to. */
static void
t_strength(void **state)
{
        const struct consort_member m[] = {
                { A | B, 5, -1, 0, (const double[]){ 1, 9, 0 } },
                { A | C, 1, -1, 0, (const double[]){ 8, 0, 2 } },
        };
        struct consort_result *r = run(3, m, 2, -1, 3);

        (void)state;
        expect_set(r, 0, 2, (const uint32_t[]){ 0, 1 });
        assert_int_equal(consort_cover(r, 0, 0), 1);    /* 8 beats 1, whatever the scores */
        assert_int_equal(consort_cover(r, 0, 1), 0);
        assert_int_equal(consort_cover(r, 0, 2), 1);
        assert_int_equal(consort_lead(r, 0), 1);
        assert_true(consort_score(r, 0) == (8.0 + 9.0 + 2.0) / 3);
        consort_result_free(r);
}

/* works_with raises a pair above a slightly better one; avoid forbids one;
 * rotation puts the least-proposed of near-equal sets first. */
static void
t_pairs_and_rotation(void **state)
{
        /* requirements: 0 = building, 1 = security */
        struct consort_member m[] = {
                { .mask = 1, .score = 2.0, .capacity = -1 },    /* 0 builder A */
                { .mask = 1, .score = 1.9, .capacity = -1 },    /* 1 builder B */
                { .mask = 2, .score = 2.0, .capacity = -1 },    /* 2 guard */
        };
        struct consort_pair together = { 1, 2 }, avoid = { 0, 2 };
        struct consort_problem p = { .nreq = 2, .members = m, .nmembers = 3, .value = -1 };
        struct consort_result *r;
        double load[3] = { 5, 0, 0 };
        size_t n;

        (void)state;
        /* no pairs: B is dominated by A, one set */
        assert_int_equal(consort_search(&p, &r), 0);
        assert_int_equal(consort_count(r), 1);
        expect_set(r, 0, 2, (const uint32_t[]){ 0, 2 });
        consort_result_free(r);
        /* B and the guard have worked together: B + guard first (1.95 * 1.1) */
        p.together = &together;
        p.ntogether = 1;
        assert_int_equal(consort_search(&p, &r), 0);
        assert_int_equal(consort_count(r), 2);
        expect_set(r, 0, 2, (const uint32_t[]){ 1, 2 });
        assert_int_equal(consort_together(r, 0), 1);
        assert_true(consort_score(r, 0) > 2.14 && consort_score(r, 0) < 2.15);
        expect_set(r, 1, 2, (const uint32_t[]){ 0, 2 });
        consort_result_free(r);
        /* A and the guard must not be paired: only B + guard */
        p.together = NULL;
        p.ntogether = 0;
        p.avoid = &avoid;
        p.navoid = 1;
        assert_int_equal(consort_search(&p, &r), 0);
        assert_int_equal(consort_count(r), 1);
        expect_set(r, 0, 2, (const uint32_t[]){ 1, 2 });
        consort_result_free(r);
        /* rotation: A + guard (2.0) and B + guard (1.95) are within 5 %; A was
         * proposed 5 times, B never: B + guard goes first; within 1 %: not */
        p.avoid = NULL;
        p.navoid = 0;
        p.together = &together;         /* A with B: only to keep B undominated */
        p.ntogether = 1;
        together = (struct consort_pair){ 1, 0 };
        assert_int_equal(consort_search(&p, &r), 0);
        assert_int_equal(consort_count(r), 2);
        expect_set(r, 0, 2, (const uint32_t[]){ 0, 2 });
        assert_int_equal(consort_rotate(r, &p, load, 0.01), 1);
        expect_set(r, 0, 2, (const uint32_t[]){ 0, 2 });
        /* two near-equal sets, and A as an alternative to B (more loaded) */
        assert_int_equal(consort_rotate(r, &p, load, 0.05), 3);
        expect_set(r, 0, 2, (const uint32_t[]){ 1, 2 });
        expect_set(r, 1, 2, (const uint32_t[]){ 0, 2 });
        consort_set(r, 0, &n);
        assert_int_equal(n, 2);
        consort_result_free(r);

        /* equal builders: dominance keeps A only; rotation gives way to B,
         * proposed less; with B proposed more, A stays */
        m[1].score = 2.0;
        p.together = NULL;
        p.ntogether = 0;
        assert_int_equal(consort_search(&p, &r), 0);
        assert_int_equal(consort_count(r), 1);
        expect_set(r, 0, 2, (const uint32_t[]){ 0, 2 });
        assert_int_equal(consort_rotate(r, &p, load, 0.0), 2);
        expect_set(r, 0, 2, (const uint32_t[]){ 1, 2 });
        assert_true(consort_cover(r, 0, 0) == 1 && consort_lead(r, 0) == 1);
        consort_result_free(r);
        load[1] = 9;
        assert_int_equal(consort_search(&p, &r), 0);
        consort_rotate(r, &p, load, 0.0);
        expect_set(r, 0, 2, (const uint32_t[]){ 0, 2 });
        consort_result_free(r);
}

static void
t_invalid(void **state)
{
        const struct consort_member m[] = { { A | D, 1, -1, 0, NULL } };
        struct consort_problem p = { .nreq = 3, .members = m, .nmembers = 1, .value = -1 };
        struct consort_result *r = (void *)1;

        (void)state;
        assert_int_equal(consort_search(&p, &r), -EINVAL);      /* D is bit 3 */
        assert_null(r);
        p.nreq = 65;
        assert_int_equal(consort_search(&p, &r), -EINVAL);
        p.nreq = 4;
        p.k = CONSORT_MAX_K + 1;
        assert_int_equal(consort_search(&p, &r), -EINVAL);
        assert_null(consort_result_free(NULL));
}

/* The node budget: past it the result is marked approximate and still
 * holds a valid cover from the greedy pass. */
static void
t_budget(void **state)
{
        const struct consort_member m[] = {
                { A | B, 1, -1, 0, NULL }, { B | C, 3, -1, 0, NULL }, { A | C, 2, -1, 0, NULL }, { D, 1, -1, 0, NULL },
        };
        struct consort_problem p = { .nreq = 4, .members = m, .nmembers = 4, .value = -1,
                                     .node_budget = 2 };
        struct consort_result *r;
        size_t n;

        (void)state;
        assert_int_equal(consort_search(&p, &r), 0);
        assert_true(consort_approximate(r));
        assert_int_equal(consort_verdict(r), CONSORT_CONSORTIUM);
        assert_true(consort_count(r) >= 1);
        consort_set(r, 0, &n);
        assert_int_equal(n, 3);
        consort_result_free(r);
}

/* ---- the property test ---------------------------------------------------- */

static uint64_t
rng_next(uint64_t *s)
{
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        return *s * UINT64_C(2685821657736338717);
}

static unsigned
rng_below(uint64_t *s, unsigned n)
{
        return (unsigned)(rng_next(s) % n);
}

/* Is set i a cover, irredundant, within k and feasible on capacity? */
static void
check_valid(const struct consort_problem *p, const struct consort_result *r, size_t i)
{
        size_t n;
        const uint32_t *m = consort_set(r, i, &n);
        uint64_t full = (UINT64_C(1) << p->nreq) - 1, all = 0;
        int64_t cap = 0;
        bool unlimited = false;

        assert_true(n >= 1 && n <= p->k);
        for (size_t j = 0; j < n; j++) {
                uint64_t others = 0;

                for (size_t l = 0; l < n; l++)
                        if (l != j)
                                others |= p->members[m[l]].mask;
                assert_true(p->members[m[j]].mask & ~others);   /* needed */
                all |= p->members[m[j]].mask;
                if (p->members[m[j]].capacity < 0)
                        unlimited = true;
                else
                        cap += p->members[m[j]].capacity;
        }
        assert_int_equal(all, full);
        for (size_t j = 0; j < n; j++)          /* no avoid pair inside */
                for (size_t l = 0; l < p->navoid; l++)
                        for (size_t o = 0; o < n; o++)
                                assert_false(p->avoid[l].a == m[j] && p->avoid[l].b == m[o]);
        if (p->value >= 0)
                assert_true(unlimited || cap >= p->value);
        for (unsigned b = 0; b < p->nreq; b++)
                assert_true(p->members[consort_cover(r, i, b)].mask >> b & 1);
}

/* The fewest members of any cover (dominated members allowed), 0 if none
 * within k. */
static unsigned
min_cover(const struct consort_problem *p)
{
        uint64_t full = (UINT64_C(1) << p->nreq) - 1;
        unsigned best = 0;

        for (uint32_t s = 1; s < (UINT32_C(1) << p->nmembers); s++) {
                unsigned n = (unsigned)__builtin_popcount(s);
                uint64_t all = 0;

                bool bad = false;

                if (n > p->k || (best && n >= best))
                        continue;
                for (size_t l = 0; l < p->navoid; l++)
                        bad = bad || ((s >> p->avoid[l].a & 1) && (s >> p->avoid[l].b & 1));
                if (bad)
                        continue;
                for (size_t j = 0; j < p->nmembers; j++)
                        if (s >> j & 1)
                                all |= p->members[j].mask;
                if (all == full)
                        best = n;
        }
        return best;
}

static void
t_property(void **state)
{
        uint64_t seed = UINT64_C(0x5eed10c0ffee);
        struct consort_member m[12];
        struct consort_pair pairs[6];
        double rs[12][8];
        size_t compared = 0, covers = 0, nocap = 0;
        static const double scores[] = { 0, 1, 1, 2, 2.5, 4 };

        (void)state;
        for (int iter = 0; iter < 10000; iter++) {
                struct consort_problem p = { 0 };
                struct consort_result *fast, *slow;
                unsigned density = 2 + rng_below(&seed, 4);

                p.nreq = 1 + rng_below(&seed, 8);
                p.nmembers = rng_below(&seed, 13);
                p.k = 1 + rng_below(&seed, CONSORT_MAX_K);
                p.top_n = rng_below(&seed, 3) == 0 ? 1000 : 1 + rng_below(&seed, 6);
                p.value = rng_below(&seed, 3) == 0 ? POUNDS(rng_below(&seed, 40)) : -1;
                for (size_t j = 0; j < p.nmembers; j++) {
                        uint64_t mask = 0;

                        for (unsigned b = 0; b < p.nreq; b++)
                                if (rng_below(&seed, 10) < density)
                                        mask |= UINT64_C(1) << b;
                        m[j] = (struct consort_member){
                                .mask = mask,
                                .score = scores[rng_below(&seed, 6)],
                                .capacity = rng_below(&seed, 4) == 0 ? -1
                                          : POUNDS(rng_below(&seed, 15)),
                                .flags = rng_below(&seed, 4),
                        };
                        if (rng_below(&seed, 2)) {      /* strength per requirement */
                                for (unsigned b = 0; b < p.nreq; b++)
                                        rs[j][b] = scores[rng_below(&seed, 6)];
                                m[j].req_score = rs[j];
                        }
                }
                p.members = m;
                if (p.nmembers >= 2 && rng_below(&seed, 3) == 0) {   /* staff pairs */
                        size_t np = 1 + rng_below(&seed, 6);

                        for (size_t j = 0; j < np; j++) {
                                pairs[j].a = rng_below(&seed, (unsigned)p.nmembers);
                                do
                                        pairs[j].b = rng_below(&seed, (unsigned)p.nmembers);
                                while (pairs[j].b == pairs[j].a);
                        }
                        p.navoid = rng_below(&seed, (unsigned)np + 1);
                        p.avoid = pairs;
                        p.together = pairs + p.navoid;
                        p.ntogether = np - p.navoid;
                }
                assert_int_equal(consort_search(&p, &fast), 0);
                assert_int_equal(consort_search_brute(&p, &slow), 0);
                assert_false(consort_approximate(fast));
                assert_int_equal(consort_verdict(fast), consort_verdict(slow));
                assert_int_equal(consort_why(fast), consort_why(slow));
                assert_int_equal(consort_missing(fast), consort_missing(slow));
                assert_int_equal(consort_candidates(fast), consort_candidates(slow));
                assert_int_equal(consort_count(fast), consort_count(slow));
                for (size_t i = 0; i < consort_count(fast); i++) {
                        size_t nf, ns;
                        const uint32_t *sf = consort_set(fast, i, &nf), *ss = consort_set(slow, i, &ns);

                        assert_int_equal(nf, ns);
                        assert_memory_equal(sf, ss, nf * sizeof(*sf));
                        assert_int_equal(consort_lead(fast, i), consort_lead(slow, i));
                        assert_true(consort_score(fast, i) == consort_score(slow, i));
                        assert_true(consort_balance(fast, i) == consort_balance(slow, i));
                        check_valid(&p, fast, i);
                        compared++;
                }
                /* none missed within k: without a value, dominance loses no
                 * cover, so the smallest set is the smallest of all */
                if (p.value < 0) {
                        unsigned best = min_cover(&p);

                        if (best == 0) {
                                assert_int_equal(consort_verdict(fast), CONSORT_NO_COVER);
                        } else {
                                size_t n;

                                assert_int_not_equal(consort_verdict(fast), CONSORT_NO_COVER);
                                consort_set(fast, 0, &n);
                                assert_int_equal(n, best);
                                covers++;
                        }
                } else {
                        nocap += consort_why(fast) == CONSORT_WHY_CAPACITY;
                }
                consort_result_free(fast);
                consort_result_free(slow);
        }
        /* the instances exercise what they should */
        printf("property: %zu sets compared, %zu uncapped covers, %zu capacity failures\n",
               compared, covers, nocap);
        assert_true(compared > 5000 && covers > 2500 && nocap > 300);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(t_dominance_and_mapping),
                cmocka_unit_test(t_minimality),
                cmocka_unit_test(t_capacity),
                cmocka_unit_test(t_single_preferred),
                cmocka_unit_test(t_no_cover),
                cmocka_unit_test(t_lead_and_local),
                cmocka_unit_test(t_strength),
                cmocka_unit_test(t_pairs_and_rotation),
                cmocka_unit_test(t_invalid),
                cmocka_unit_test(t_budget),
                cmocka_unit_test(t_property),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
