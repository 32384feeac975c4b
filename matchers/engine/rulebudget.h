/*
 * rulebudget.h — the per-notice time budget of member rules (private to the
 * engine; see engine.h, engine_set_rule_budget()).
 *
 * A member's own regexes run on outside text, and PCRE2's match limit only
 * bounds one call: 300 pathological rules still cost seconds per hostile
 * notice.  The member-only regex patterns of one notice share a budget: the
 * time of each is measured around its verification; the pattern during
 * which the total passes the budget "spent" it and counts as not matched,
 * and every member regex not yet run for that notice is skipped.  Keyword
 * rules are linear in the text and always run.  Capability rules (written
 * by the brokerage, not members) are not budgeted.
 */
#ifndef BIDBROKER_RULEBUDGET_H
#define BIDBROKER_RULEBUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct engine;
struct engine_scratch;
struct match_result;
struct opportunity;

struct rule_budget {
        int64_t  budget_us;             /* 0: no budget */
        int64_t  spent_us;
        int64_t  t0;                    /* the running pattern's start */
        bool     over;
        uint32_t pat;                   /* the pattern that spent it */
        int64_t  pat_us;                /* and how long it ran */
        size_t   skipped;               /* member regexes not run after it */
};

/* A new notice. */
void rule_budget_start(struct rule_budget *b, int64_t budget_ms);
/* Is pattern p budgeted (a budget is set, p is a regex no capability owns)? */
bool rule_budget_applies(const struct engine *e, const struct rule_budget *b, uint32_t p);
/* Before a budgeted pattern: false (counted as skipped) once it is spent. */
bool rule_budget_begin(struct rule_budget *b);
/* After it: true when p spent the budget (its result is not used). */
bool rule_budget_end(struct rule_budget *b, uint32_t p);
/* Copy a spent budget into out->budget and log it, naming the notice, the
 * member and the rule. */
void rule_budget_report(const struct engine *e, const struct rule_budget *b,
                        const struct opportunity *o, struct match_result *out);

#endif
