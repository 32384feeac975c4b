/*
 * consortmatch.h — consortium suggestions for one matched opportunity: the
 * engine's result turned into a consortium problem (consortium.h) and
 * searched.
 *
 * - Requirements: the capabilities the opportunity requires (struct
 *   requirement with required = true); incidental ones are left out.
 * - Members: those the engine matched (so region, on-site rules, value band
 *   and exclusions are as matching has them), each projected onto the
 *   requirements through its capabilities; a member that is not willing to
 *   bid in consortia (consortium = no) takes part only when it covers every
 *   requirement alone (then it never needs a partner).
 * - Strength per requirement: the weights of the member's reasons naming that
 *   capability (its CPV and rule matches); the member's score for ranking
 *   ties and dominance; capacity: its `capacity` (pounds in the
 *   member file); local: its postcode area is one of the notice's.
 * - Value: the notice's stated value (value_max), if stated.
 */
#ifndef BIDBROKER_CONSORTMATCH_H
#define BIDBROKER_CONSORTMATCH_H

#include <stddef.h>

#include "bidbroker/consortium.h"

struct capability;
struct match_result;
struct member;
struct opportunity;

struct consort_suggestion {
        struct consort_result *res;             /* NULL when nothing is required */
        const struct capability **reqs;         /* bit -> capability */
        unsigned nreq;
        const struct member **members;          /* input index -> member */
        size_t   nmembers;
        size_t   unwilling;                     /* matched, consortium = no, left out */
        size_t   incidental;                    /* requirements left out as incidental */
        int64_t  value;                         /* pence, < 0 not stated */
        unsigned k;
};

/* Suggest for one opportunity and its match result (engine_match()).  k,
 * top_n and node_budget 0: the defaults ([consortium] in bidbroker.conf).
 * 0, or -E2BIG (over CONSORT_MAX_REQ required capabilities), -EINVAL. */
int consort_suggest(const struct match_result *res, const struct opportunity *o,
                    unsigned k, size_t top_n, size_t node_budget,
                    struct consort_suggestion *out);
void consort_suggestion_done(struct consort_suggestion *s);   /* s reusable */

#endif
