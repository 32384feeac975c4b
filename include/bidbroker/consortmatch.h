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
 *
 * consort_suggestion_json() writes the suggestion as explain --consortia
 * shows it and as the store keeps it (consortstore.h): one JSON object.
 */
#ifndef BIDBROKER_CONSORTMATCH_H
#define BIDBROKER_CONSORTMATCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "bidbroker/checks.h"
#include "bidbroker/consortium.h"
#include "bidbroker/hash.h"
#include "bidbroker/util.h"

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
        struct strv busy;                       /* left out: max_open_bids reached */
        size_t   near_equal;                    /* sets rotation chose among (0: off) */
        double   within;                        /* rotation's tolerance */
        const struct checker *checks;           /* opt->checks */
        struct check_asks asks;                 /* what the notice asks suppliers for */
};

/* [consortium] in bidbroker.conf; 0: the default. */
struct consort_opts {
        unsigned k;
        size_t   top_n;
        size_t   node_budget;
        bool     rotate;                /* fairness rotation among near-equal sets */
        double   within;                /* near-equal: score >= (1 - within) * best */
        const struct checker *checks;   /* the taxonomy's [check ID]s (checks.h), for
                                         * the readiness checklist; NULL: none */
};

/* What the store knows of the members' load (fairness, docs/consortium.md):
 * how often each was proposed first, how many open suggestions (rank 1,
 * deadline ahead) it is in now.  A member with open >= its max_open_bids is
 * left out of consortia (it may still be proposed alone). */
struct consort_load {
        void (*get)(void *arg, const struct member *m, double *proposed, long *open);
        void *arg;
};

/* Suggest for one opportunity and its match result (engine_match()).
 * 0, or -E2BIG (over CONSORT_MAX_REQ required capabilities), -EINVAL. */
int consort_suggest(const struct match_result *res, const struct opportunity *o,
                    const struct consort_opts *opt, const struct consort_load *load,
                    struct consort_suggestion *out);
void consort_suggestion_done(struct consort_suggestion *s);   /* s reusable */

/* The suggestion as one JSON object (a new reference): "verdict" ("single",
 * "consortium", "no cover" or null: nothing required), "missing",
 * "consortia": [{"members", "lead", "covers": {capability: member},
 * "score", "balance", "reasons", "contacts": {member: {"name", "emails"}},
 * "readiness" (readiness.h)}], "asks" (readiness_asks_json), "consortium_search"
 * (docs/consortium.md). */
json_t *consort_suggestion_json(const struct consort_suggestion *sg);

/* The fingerprint of the suggestions' configuration: the engine's
 * (matchconf_fingerprint) and opt (with its checks' definitions).  Stored with each suggestion, so a
 * changed register, taxonomy or [consortium] recomputes them. */
void consort_fingerprint(const char *engine_fp, const struct consort_opts *opt,
                         char out[HASH_HEX_LEN]);

#endif
