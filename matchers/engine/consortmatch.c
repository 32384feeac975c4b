/*
 * consortmatch.c — from a match result to consortium suggestions
 * (consortmatch.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/consortmatch.h"
#include "bidbroker/engine.h"
#include "bidbroker/members.h"
#include "bidbroker/opportunity.h"
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

int
consort_suggest(const struct match_result *res, const struct opportunity *o,
                unsigned k, size_t top_n, size_t node_budget,
                struct consort_suggestion *out)
{
        struct consort_member *cm = NULL;
        double *rs = NULL;
        struct consort_problem p;
        uint64_t full;
        int rc;

        memset(out, 0, sizeof(*out));
        out->value = o->value_stated && o->value_max >= 0 ? o->value_max : -1;
        out->k = k ? k : CONSORT_DEFAULT_K;
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
        p = (struct consort_problem){
                .nreq = out->nreq, .members = cm, .nmembers = out->nmembers,
                .value = out->value, .k = out->k, .top_n = top_n,
                .node_budget = node_budget,
        };
        rc = consort_search(&p, &out->res);
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
        free(s->reqs);
        free(s->members);
        memset(s, 0, sizeof(*s));
}
