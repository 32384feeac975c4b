/*
 * bench_consortium.c — the consortium search (issue #10) at register scale:
 * 10,000 members over a synthetic 32-capability taxonomy, 2,000
 * opportunities requiring 2-12 capabilities each, k = 4.  Per opportunity it
 * times what the caller will do: project every eligible member onto the
 * requirement bits (about half the register is eligible: region), then
 * consort_search().  Prints one JSON line: consortium_members,
 * consortium_p50_ms, consortium_p99_ms (per opportunity, one core),
 * consortium_approximate_share (opportunities whose node budget ran out),
 * the verdicts and the nodes searched.  Every set is checked to be a cover
 * within k, irredundant and feasible on capacity.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench_consortium.h"
#include "bidbroker/consortium.h"
#include "bidbroker/util.h"
#include "../unit/engine_corpus.h"

#define NMEMBERS        10000
#define NCAPS           32
#define NOPPS           2000
#define SEED            0xc0250b1du

struct smember {
        uint32_t caps;                  /* capability bits of the taxonomy */
        double   score;
        int64_t  capacity;
        unsigned flags;
};

static double
now_s(void)
{
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int
dcmp(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return x < y ? -1 : x > y;
}

/* A capability, popular ones more often: capability c has weight 32 - c. */
static unsigned
pick_cap(struct rng *r)
{
        size_t x = rng_below(r, NCAPS * (NCAPS + 1) / 2);
        unsigned c = 0;

        while (x >= (size_t)(NCAPS - c)) {
                x -= NCAPS - c;
                c++;
        }
        return c;
}

static void
make_members(struct rng *r, struct smember *m)
{
        static const unsigned ncap_pct[] = { 25, 30, 20, 12, 8, 5 };   /* 1..6 capabilities */

        for (size_t i = 0; i < NMEMBERS; i++) {
                unsigned want = 1, x = (unsigned)rng_below(r, 100);

                for (unsigned j = 0; j < 6 && x >= ncap_pct[j]; j++) {
                        x -= ncap_pct[j];
                        want++;
                }
                m[i].caps = 0;
                while ((unsigned)__builtin_popcount(m[i].caps) < want)
                        m[i].caps |= UINT32_C(1) << pick_cap(r);
                m[i].score = 1.0 + (double)rng_below(r, 200) / 10.0;
                m[i].capacity = rng_chance(r, 20) ? -1
                              : (int64_t)(5 + rng_below(r, 496)) * 100000;  /* £5k-£500k */
                m[i].flags = rng_chance(r, 30) ? CONSORT_LEAD_CAPABLE : 0;
        }
}

static bool
valid(const struct consort_problem *p, const struct consort_result *res)
{
        uint64_t full = (UINT64_C(1) << p->nreq) - 1;

        for (size_t i = 0; i < consort_count(res); i++) {
                size_t n;
                const uint32_t *s = consort_set(res, i, &n);
                uint64_t all = 0;
                int64_t cap = 0;
                bool unlimited = false;

                if (n < 1 || n > p->k)
                        return false;
                for (size_t j = 0; j < n; j++) {
                        uint64_t others = 0;

                        for (size_t l = 0; l < n; l++)
                                if (l != j)
                                        others |= p->members[s[l]].mask;
                        if (!(p->members[s[j]].mask & ~others))
                                return false;
                        all |= p->members[s[j]].mask;
                        if (p->members[s[j]].capacity < 0)
                                unlimited = true;
                        else
                                cap += p->members[s[j]].capacity;
                }
                if (all != full || (p->value >= 0 && !unlimited && cap < p->value))
                        return false;
        }
        return true;
}

int
bench_consortium(void)
{
        struct rng r = { SEED };
        struct smember *sm = xcalloc(NMEMBERS, sizeof(*sm));
        struct consort_member *cm = xcalloc(NMEMBERS, sizeof(*cm));
        double *lat = xcalloc(NOPPS, sizeof(*lat)), total = 0;
        size_t approx = 0, bad = 0, nodes = 0, verdicts[3] = { 0 }, eligible = 0;

        make_members(&r, sm);
        for (size_t o = 0; o < NOPPS; o++) {
                unsigned nreq = 2 + (unsigned)rng_below(&r, 11), caps[12];
                uint32_t want = 0;
                struct consort_problem p = { .k = 4, .members = cm };
                struct consort_result *res;
                uint64_t elig_seed = rng_next(&r);
                struct rng er = { elig_seed };
                double t0;

                while ((unsigned)__builtin_popcount(want) < nreq)
                        want |= UINT32_C(1) << rng_below(&r, NCAPS);
                for (unsigned c = 0, n = 0; c < NCAPS; c++)
                        if (want >> c & 1)
                                caps[n++] = c;
                p.nreq = nreq;
                p.value = rng_chance(&r, 60) ? (int64_t)(10 + rng_below(&r, 1990)) * 100000 : -1;
                t0 = now_s();
                /* the caller's part: eligible members projected onto the bits */
                for (size_t i = 0; i < NMEMBERS; i++) {
                        uint64_t mask = 0;

                        if (!rng_chance(&er, 50) || !(sm[i].caps & want))
                                continue;
                        for (unsigned b = 0; b < nreq; b++)
                                if (sm[i].caps >> caps[b] & 1)
                                        mask |= UINT64_C(1) << b;
                        cm[p.nmembers++] = (struct consort_member){
                                mask, sm[i].score, sm[i].capacity,
                                sm[i].flags | (rng_chance(&er, 20) ? CONSORT_LOCAL : 0),
                                NULL,
                        };
                }
                if (consort_search(&p, &res) < 0) {
                        bad++;
                        continue;
                }
                lat[o] = now_s() - t0;
                total += lat[o];
                eligible += p.nmembers;
                approx += consort_approximate(res);
                nodes += consort_nodes(res);
                verdicts[consort_verdict(res)]++;
                bad += !valid(&p, res);
                consort_result_free(res);
        }
        qsort(lat, NOPPS, sizeof(*lat), dcmp);
        printf("{\"consortium_members\": %d, \"consortium_capabilities\": %d, "
               "\"consortium_opportunities\": %d, \"consortium_k\": 4, "
               "\"consortium_eligible_per_opportunity\": %.0f, "
               "\"consortium_p50_ms\": %.4f, \"consortium_p99_ms\": %.4f, "
               "\"consortium_max_ms\": %.3f, \"consortium_mean_ms\": %.4f, "
               "\"consortium_approximate_share\": %.4f, "
               "\"consortium_nodes_per_opportunity\": %.0f, "
               "\"consortium_single\": %zu, \"consortium_consortium\": %zu, "
               "\"consortium_no_cover\": %zu, \"consortium_invalid\": %zu}\n",
               NMEMBERS, NCAPS, NOPPS, (double)eligible / NOPPS,
               lat[NOPPS / 2] * 1e3, lat[NOPPS * 99 / 100] * 1e3, lat[NOPPS - 1] * 1e3,
               total / NOPPS * 1e3, (double)approx / NOPPS, (double)nodes / NOPPS,
               verdicts[CONSORT_SINGLE], verdicts[CONSORT_CONSORTIUM],
               verdicts[CONSORT_NO_COVER], bad);
        free(sm);
        free(cm);
        free(lat);
        return bad ? 1 : 0;
}
