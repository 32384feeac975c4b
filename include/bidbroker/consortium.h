/*
 * consortium.h — who could bid together (issue #10, the search): given an
 * opportunity's requirements and the willing members, the minimal sets of at
 * most k members whose capabilities together cover every requirement.
 *
 * The search is pure: it knows nothing of the store, the register or the
 * engine.  Its input is a plain array, one entry per willing member (already
 * eligible for the notice: region, on-site rules, exclusions), holding the
 * member's requirement bits, the strength of its match, its capacity and
 * flags.  docs/consortium.md has the long form.
 *
 * Definitions:
 * - Requirements are bits 0 .. nreq-1 of a uint64_t: at most 64 (CONSORT_MAX_REQ)
 *   per opportunity; the taxonomy has 12 capabilities today.
 * - Capacity is stated in pence (< 0: not stated, i.e. not limited).  When
 *   the opportunity's value is stated (>= 0), a set is feasible only if the
 *   sum of its members' capacities reaches it; an unstated capacity reaches
 *   anything.  When the value is not stated, capacity plays no part.
 * - Dominance: member a is dominated by member b when a's mask is a subset
 *   of b's and, with a value stated, b's capacity is at least a's, and either
 *   b's mask is strictly larger, or the masks are equal and b is better (a
 *   higher score, then a larger capacity, then earlier in the array).
 *   Dominated members are dropped before the search: whatever they could do
 *   in a consortium another member can do at least as well.  So members with
 *   the same mask form one group that keeps only its best, and a group whose
 *   mask is a strict subset of another's is dropped (with a value stated,
 *   unless it holds more capacity than any bigger group can offer).
 * - A consortium (or a single member) is a set S of at most k undominated
 *   members whose masks cover every requirement, feasible on capacity, and
 *   irredundant: drop any member and coverage fails (every member covers a
 *   requirement no other member of S covers).
 * - Each requirement is mapped to the member of S covering it with the
 *   highest strength for it (req_score, or the member's score; then the
 *   earlier member).  The lead is the member flagged
 *   CONSORT_LEAD_CAPABLE covering the most requirements, or, if none is
 *   flagged, the member covering the most (then higher score, then earlier).
 * - Score of S = the mean, over requirements, of the strength of the member
 *   each is mapped to (coverage strength).  Balance = fewest requirements
 *   mapped to one member / most mapped to one member (1: even).
 * - Pairs (staff preferences): an `avoid` pair of members is never in one
 *   set; each `together` pair (members who have worked together) in a set
 *   multiplies its score by (1 + CONSORT_PAIR_BONUS).  A member named in any
 *   pair is exempt from dominance (neither dominated nor dominating): who it
 *   may be paired with sets it apart.
 * - Ranking: fewest members first (a single member covering everything is
 *   always preferred), then higher score, then more members flagged
 *   CONSORT_LOCAL, then higher balance, then the members' indices
 *   (lexicographically).  The top N are kept.
 *
 * Search: depth-first over the undominated members, branching on the
 * uncovered requirement with the fewest candidate members; each branch
 * forbids the candidates of the branches before it (so every set is met
 * once); a branch stops as soon as a chosen member becomes redundant or the
 * remaining requirements cannot be covered by the members still allowed
 * (largest mask bound).  It deepens one size at a time (1, 2, .., k) and
 * stops at the first size at which N sets are known, which is exact for the
 * ranking above.  Every node counts against the node budget; when it is
 * spent the search stops, adds a greedy weighted cover (most new
 * requirements per member, weighted by score, redundant members pruned) and
 * marks the result approximate.
 *
 * Ownership: consort_search() returns a result owned by the caller, freed
 * with consort_result_free(); indices in it refer to the input array.
 */
#ifndef BIDBROKER_CONSORTIUM_H
#define BIDBROKER_CONSORTIUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSORT_MAX_REQ         64
#define CONSORT_MAX_K           4
#define CONSORT_DEFAULT_K       3
#define CONSORT_DEFAULT_TOP     5
#define CONSORT_DEFAULT_BUDGET  200000

#define CONSORT_PAIR_BONUS      0.1     /* per `together` pair in a set */

#define CONSORT_LEAD_CAPABLE    1u      /* the member may lead a consortium */
#define CONSORT_LOCAL           2u      /* the member is local to the work */

struct consort_member {
        uint64_t mask;          /* the requirements it can deliver */
        double   score;         /* the strength of its match (>= 0) */
        int64_t  capacity;      /* pence; < 0: not stated */
        unsigned flags;         /* CONSORT_LEAD_CAPABLE, CONSORT_LOCAL */
        const double *req_score;/* NULL, or nreq strengths, one per requirement
                                 * (read for the bits of mask): how well it
                                 * delivers each; NULL: score for every one */
};

struct consort_pair {
        uint32_t a, b;                          /* input indices */
};

struct consort_problem {
        unsigned nreq;                          /* 1 .. CONSORT_MAX_REQ */
        const struct consort_member *members;
        size_t   nmembers;
        const struct consort_pair *avoid;       /* never in one set */
        size_t   navoid;
        const struct consort_pair *together;    /* raise a set's score */
        size_t   ntogether;
        int64_t  value;                         /* pence; < 0: not stated */
        unsigned k;                             /* 0: CONSORT_DEFAULT_K */
        size_t   top_n;                         /* 0: CONSORT_DEFAULT_TOP */
        size_t   node_budget;                   /* 0: CONSORT_DEFAULT_BUDGET */
};

enum consort_verdict {
        CONSORT_SINGLE,         /* one member covers everything */
        CONSORT_CONSORTIUM,     /* the best has 2 .. k members */
        CONSORT_NO_COVER,       /* see consort_why() and consort_missing() */
};

enum consort_why {              /* why no cover */
        CONSORT_WHY_NONE,       /* there is a cover */
        CONSORT_WHY_MISSING,    /* some requirement no member can deliver */
        CONSORT_WHY_TOO_MANY,   /* every cover needs more than k members
                                 * (or none was found within the budget) */
        CONSORT_WHY_CAPACITY,   /* covers exist, none with enough capacity */
};

struct consort_result;

/* 0, or -EINVAL (nreq 0 or over 64, k over CONSORT_MAX_K, a mask with bits
 * at or above nreq, NULL members with nmembers > 0); *out is NULL then. */
int consort_search(const struct consort_problem *p, struct consort_result **out);
struct consort_result *consort_result_free(struct consort_result *r); /* NULL-safe */

enum consort_verdict consort_verdict(const struct consort_result *r);
enum consort_why consort_why(const struct consort_result *r);
const char *consort_verdict_name(enum consort_verdict v);  /* "single", "consortium", "no cover" */
/* The requirements no member can deliver (a subset of the bits). */
uint64_t consort_missing(const struct consort_result *r);
/* The node budget ran out: the sets are valid but may not be the best. */
bool consort_approximate(const struct consort_result *r);
size_t consort_nodes(const struct consort_result *r);
/* Members left after dropping the dominated ones. */
size_t consort_candidates(const struct consort_result *r);

/* The sets, best first. */
size_t consort_count(const struct consort_result *r);
/* Set i's members (indices into the input, ascending); *n their number. */
const uint32_t *consort_set(const struct consort_result *r, size_t i, size_t *n);
uint32_t consort_lead(const struct consort_result *r, size_t i);
/* The member requirement bit `req` is mapped to in set i. */
uint32_t consort_cover(const struct consort_result *r, size_t i, unsigned req);
double consort_score(const struct consort_result *r, size_t i);
double consort_balance(const struct consort_result *r, size_t i);
/* How many `together` pairs set i holds. */
unsigned consort_together(const struct consort_result *r, size_t i);

/* Fairness, after consort_search(r from in): among the sets of the best
 * set's size whose score is at least (1 - within) times the best score, put
 * first the one whose members have the least load (the sum of load[m]:
 * how often each was proposed before), ties kept in ranking order; then in
 * that set, a member gives way to a less-loaded one with the same mask
 * scoring within `within` of it (dominance had dropped it as an equal), the
 * set staying feasible.  Returns how many near-equal alternatives there
 * were (sets and members; 1: nothing to rotate). */
size_t consort_rotate(struct consort_result *r, const struct consort_problem *in,
                      const double *load, double within);

/* The exact definition, by enumerating every subset of at most k members
 * (for tests: small instances only).  Same output as consort_search() when
 * its budget is not spent. */
int consort_search_brute(const struct consort_problem *p, struct consort_result **out);

#endif
