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
 * Semantics (docs/engine.md has the long form):
 * - Text.  Each field (title, description, buyer, every lot title, every
 *   item description) is normalised once per notice (textnorm.h): case and
 *   diacritics folded, tokens = runs of letters/digits with positions.
 * - A keyword rule (RULE_KEYWORD) is a word or phrase: it matches when its
 *   folded words occur as consecutive tokens of one string of a field it
 *   names ("Window-Cleaning" matches "window cleaning"; "clean" does not
 *   match "cleaning").  A regex rule (RULE_REGEX) is PCRE2 with CASELESS,
 *   UTF, UCP and MATCH_INVALID_UTF on the original text of each string; a
 *   match that hits the match limit counts as no match.  A rule with no
 *   fields looks at title, description, lots and items (FIELD_TEXT).
 *   The first match (fields in the order above) gives the reason's words.
 * - A capability FIRES when one of its CPV prefixes starts one of the
 *   notice's CPV codes or one of its rules matches, AND none of its
 *   exclusions (exclude rules, cpv_exclude prefixes) fires.  Fired
 *   capabilities are the notice's requirements; capabilities that would have
 *   fired but were vetoed are listed in match_result.excluded.
 * - A requirement is REQUIRED when a CPV code, or a rule hit in the title,
 *   a lot title or an item description, or a strong rule fired it; else
 *   (description or buyer only) it is INCIDENTAL: listed, never matched on.
 * - A member MATCHES when it has a required capability or one of its own
 *   rules matches; none of its own exclusions fires; the region fits (the
 *   member has no regions, or the notice is "anywhere" or states no region
 *   at all, or a notice region and a member ITL code are prefixes one of the
 *   other, or a notice postcode lies in a member's "PC:X" area, or a notice
 *   region is a prefix of the ITL1 region of a member's "PC:X" area, or a
 *   member ITL code overlaps the ITL1 region of a notice postcode); and
 *   the value fits (not stated: matched, REASON_VALUE_NOT_STATED; stated:
 *   the band [value_min or value_max, value_max] overlaps [min_value,
 *   max_value]).
 * - Score = the sum of the reasons' weights: per covered capability its
 *   first CPV match (1 x capability weight) and each matching rule (rule
 *   weight x capability weight); each own rule that matched (its weight);
 *   region and value 0; then SME suitability adds 10 % and VCSE suitability
 *   20 % of that sum as their own reasons.
 *
 * Ownership: engine_build() takes ownership of tx and reg (freed with the
 * engine, also on failure).  A struct engine is never modified after build,
 * so a reload builds a new one and swaps the pointer; several threads may
 * match with one engine, each with its own scratch.  Every pointer inside a
 * match_result (reasons, strings, arrays) is owned by the result and freed
 * by match_result_done(); never free parts of it.  Pointers to
 * capability/member/rule data point into the engine and live as long as it
 * does.
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
struct rule;

struct engine;
struct engine_scratch;          /* per-thread working memory, reused per notice */
struct arena_blk;

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
        bool           required;        /* from CPV placement, title, lot titles, item
                                         * descriptions or a strong rule; false:
                                         * incidental (only named in the description),
                                         * and no member matches on it */
        double         score;
        struct reason *reasons;         /* which CPV / rule fired */
        size_t         nreasons;
};

/* The member rules' time budget of one notice, when a rule spent it
 * (engine_set_rule_budget()); member NULL: not spent. */
struct budget_note {
        const struct member *member;    /* the owner of the rule that spent it */
        const char *rule;               /* its text */
        int64_t     budget_ms, rule_ms; /* the budget; what that rule took */
        size_t      skipped;            /* member regexes not run after it */
};

struct match_result {
        struct requirement  *requires;  /* in taxonomy order */
        size_t               nrequires;
        struct member_match *matches;   /* sorted by score, descending, then id */
        size_t               nmatches;
        struct member_miss  *misses;    /* only with ENGINE_EXPLAIN, by member id */
        size_t               nmisses;
        struct requirement  *excluded;  /* capabilities vetoed by an exclusion:
                                         * their positive and exclusion reasons */
        size_t               nexcluded;
        const char          *place;     /* which region rule applied, for people:
                                         * "on-site work (building-works): the delivery
                                         * place decides ..." */
        struct budget_note   budget;
        struct arena_blk    *arena;     /* private: owns everything above */
};

#define ENGINE_EXPLAIN  1u              /* also compute the nearest miss per member */

/* Build.  0, or -EINVAL with every problem in d ("FILE:LINE: ..."): a regex
 * that does not compile (with the offset), a keyword without words, a bad
 * CPV prefix.  tx and reg are taken over in both cases. */
int engine_build(struct taxonomy *tx, struct member_register *reg,
                 struct engine **ret, struct diag *d);
struct engine *engine_free(struct engine *e);                   /* NULL-safe */
/* Per notice, the members' own regexes share this much time (0: no limit,
 * the default); the one that spends it counts as not matched, the rest are
 * skipped, match_result.budget says so and a warning is logged naming the
 * notice, the member and the rule.  Set once, after engine_build(). */
void engine_set_rule_budget(struct engine *e, int64_t budget_ms);

const struct taxonomy *engine_taxonomy(const struct engine *e);
const struct member_register *engine_members(const struct engine *e);
size_t engine_rule_count(const struct engine *e);

struct engine_scratch *engine_scratch_new(const struct engine *e);
struct engine_scratch *engine_scratch_free(struct engine_scratch *s);

void match_result_init(struct match_result *r);
void match_result_done(struct match_result *r);         /* r reusable after */

/* Match one opportunity.  out must be initialised; what it held is released
 * first, so one result can be reused notice after notice.  0 (it cannot
 * fail on valid input; -EINVAL for NULL arguments). */
int engine_match(const struct engine *e, struct engine_scratch *s,
                 const struct opportunity *o, unsigned flags, struct match_result *out);
/* The oracle: every rule on every member, no prefilter.  Same output. */
int engine_match_brute(const struct engine *e, struct engine_scratch *s,
                       const struct opportunity *o, unsigned flags,
                       struct match_result *out);

/* Statistics of the last engine_match() on s: patterns verified (PCRE2 run
 * or phrase checked; a one-word keyword proven by the index is a candidate
 * but needs no verification), and candidate patterns (incl. the always-check
 * list).  Rules written identically share one pattern. */
size_t engine_scratch_verified(const struct engine_scratch *s);
size_t engine_scratch_candidates(const struct engine_scratch *s);
size_t engine_pattern_count(const struct engine *e);
/* Patterns without an extractable atom (checked on every notice). */
size_t engine_always_count(const struct engine *e);

/* The atoms the rule compiler extracted for a rule of the engine (as
 * atom_set_format() in rule.h: "WORD:cleaning|PREFIX:grass", "" for the
 * always list); caller frees.  NULL if the rule is not the engine's. */
char *engine_rule_atoms(const struct engine *e, const struct rule *r);

const char *reason_kind_name(enum reason_kind k);      /* "cpv", "rule", ... */

#endif
