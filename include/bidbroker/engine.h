/*
 * engine.h — the matching engine: compiled once from a taxonomy and a member
 * register into an immutable object; match(opportunity) returns, per member,
 * a score and the reasons as data.
 *
 * It does not run every rule on every notice: a prefilter (term dictionary
 * with postings of rule ids, CPV prefix table, member bitsets by region and
 * capability) picks candidate rules, and only those are verified (PCRE2 JIT
 * for true regexes).  engine_match_brute() evaluates every rule the plain way
 * and is the test oracle: both must always agree.
 *
 * Ownership: engine_build() takes ownership of tx and reg (freed with the
 * engine, also on failure).  A struct engine is never modified after build,
 * so a reload builds a new one and swaps the pointer.  Results own their
 * strings; pointers to capability/member/rule data point into the engine and
 * live as long as it does.
 */
#ifndef BIDBROKER_ENGINE_H
#define BIDBROKER_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;
struct opportunity;
struct taxonomy;
struct member_register;
struct member;
struct capability;

struct engine;
struct engine_scratch;          /* per-thread working memory, reused per notice */

enum reason_kind {
        REASON_CPV,             /* CPV code matched a capability's prefix */
        REASON_RULE,            /* a capability keyword/regex matched words in a field */
        REASON_MEMBER_RULE,     /* one of the member's own rules matched */
        REASON_EXCLUSION,       /* an exclusion fired (capability or member) */
        REASON_REGION,          /* the region check (in or out) */
        REASON_VALUE,           /* the value band check */
        REASON_VALUE_NOT_STATED,/* no value stated: matched, labelled */
        REASON_SUITABILITY,     /* SME/VCSE suitability flags */
};

struct reason {
        enum reason_kind kind;
        const char *capability;         /* capability id, or NULL */
        const char *rule;               /* rule text / CPV prefix, or NULL */
        const char *field;              /* "title", "description", "buyer", "lots",
                                         * "items", "cpv", "region", "value", ... */
        char       *matched;            /* owned: the words, code, region or value */
        double      weight;             /* contribution to the score */
};

struct member_match {
        const struct member *member;
        double         score;
        struct reason *reasons;
        size_t         nreasons;
};

struct member_miss {
        const struct member *member;
        char *reason;                   /* owned: "capability catering matched, but
                                         * region UKI is outside your regions" */
};

struct requirement {                    /* a capability the opportunity requires */
        const struct capability *cap;
        double         score;
        struct reason *reasons;         /* which CPV / rule fired */
        size_t         nreasons;
};

struct match_result {
        struct requirement  *requires;
        size_t               nrequires;
        struct member_match *matches;   /* sorted by score, descending */
        size_t               nmatches;
        struct member_miss  *misses;    /* only with ENGINE_EXPLAIN */
        size_t               nmisses;
};

#define ENGINE_EXPLAIN  1u              /* also compute the nearest miss per member */

int engine_build(struct taxonomy *tx, struct member_register *reg,
                 struct engine **ret, struct diag *d);
struct engine *engine_free(struct engine *e);                   /* NULL-safe */

const struct taxonomy *engine_taxonomy(const struct engine *e);
const struct member_register *engine_members(const struct engine *e);
size_t engine_rule_count(const struct engine *e);

struct engine_scratch *engine_scratch_new(const struct engine *e);
struct engine_scratch *engine_scratch_free(struct engine_scratch *s);

void match_result_init(struct match_result *r);
void match_result_done(struct match_result *r);

int engine_match(const struct engine *e, struct engine_scratch *s,
                 const struct opportunity *o, unsigned flags, struct match_result *out);
/* The oracle: every rule on every member, no prefilter.  Same output. */
int engine_match_brute(const struct engine *e, struct engine_scratch *s,
                       const struct opportunity *o, unsigned flags,
                       struct match_result *out);

/* Statistics of the last engine_match() on s: rules verified, candidates. */
size_t engine_scratch_verified(const struct engine_scratch *s);

#endif
