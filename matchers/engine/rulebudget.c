/*
 * rulebudget.c — the per-notice time budget of member rules (see
 * rulebudget.h and engine_set_rule_budget() in engine.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "engine_int.h"
#include "rulebudget.h"
#include "bidbroker/engine.h"
#include "bidbroker/log.h"
#include "bidbroker/opportunity.h"

static int64_t
now_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
engine_set_rule_budget(struct engine *e, int64_t budget_ms)
{
        e->rule_budget_ms = budget_ms > 0 ? budget_ms : 0;
}

void
rule_budget_start(struct rule_budget *b, int64_t budget_ms)
{
        *b = (struct rule_budget){ .budget_us = budget_ms * 1000 };
}

bool
rule_budget_applies(const struct engine *e, const struct rule_budget *b, uint32_t p)
{
        return b->budget_us > 0 && !e->pat_capown[p] && e->pats[p].kind == RULE_REGEX;
}

bool
rule_budget_begin(struct rule_budget *b)
{
        if (b->over) {
                b->skipped++;
                return false;
        }
        b->t0 = now_us();
        return true;
}

bool
rule_budget_end(struct rule_budget *b, uint32_t p)
{
        int64_t took = now_us() - b->t0;

        b->spent_us += took;
        if (b->spent_us <= b->budget_us)
                return false;
        b->over = true;
        b->pat = p;
        b->pat_us = took;
        return true;
}

/* The first member owning pattern p, for the message. */
static const struct member *
owner(const struct engine *e, uint32_t p)
{
        for (uint32_t j = e->pat_own_off[p]; j < e->pat_own_off[p + 1]; j++) {
                int32_t m = e->pat_own_mem[j];

                if (m >= 0)
                        return &e->reg->members[m];
                if (m <= -2)
                        return &e->reg->members[-2 - m];
        }
        return NULL;
}

void
rule_budget_report(const struct engine *e, const struct rule_budget *b,
                   const struct opportunity *o, struct match_result *out)
{
        const struct member *m;

        if (!b->over)
                return;
        m = owner(e, b->pat);
        out->budget.member = m;
        out->budget.rule = e->pats[b->pat].text;
        out->budget.budget_ms = b->budget_us / 1000;
        out->budget.rule_ms = b->pat_us / 1000;
        out->budget.skipped = b->skipped;
        log_warnx("notice %" PRId64 " (%s %s): member rules' time budget (%" PRId64 " ms) "
                  "spent by member %s's regex '%.200s' (%" PRId64 " ms); it and %zu further "
                  "member regexes were skipped for this notice", o->id,
                  o->source ? o->source : "?", o->notice_id ? o->notice_id : "?",
                  b->budget_us / 1000, m ? m->id : "?", e->pats[b->pat].text,
                  b->pat_us / 1000, b->skipped);
}
