/*
 * members_int.h — what members.c shares with members_csv.c and
 * members_write.c (private to matchers/register/).
 */
#ifndef BIDBROKER_MEMBERS_INT_H
#define BIDBROKER_MEMBERS_INT_H

#include <stdbool.h>

#include "bidbroker/members.h"

struct buf;
struct diag;

/* Where the values being applied were written, and the rule defaults
 * (fields, rule_weight) that carry on from one rule line to the next. */
struct apply_ctx {
        const struct taxonomy *tx;
        const char *file;
        unsigned    line;
        unsigned    fields;             /* default fields of the next rules */
        double      rule_weight;
        unsigned    seen;               /* once-only keys given (bits) */
        struct diag *d;
};

/* Apply one key = value to m (the one setter for files and CSV cells).
 * List keys append; an empty value of a single key clears it.  Returns false
 * after reporting a problem in c->d. */
bool member_apply(struct member *m, const char *key, const char *v, struct apply_ctx *c);
/* What a complete member needs; problems reported at (file, line). */
void member_check(const struct member *m, const char *file, unsigned line, struct diag *d);
/* Drop the member's exclusions (exclusions true) or its positive rules. */
void member_clear_rules(struct member *m, bool exclusions);
/* "key = value\n", quoted when the INI reader would otherwise change it. */
void member_put_value(struct buf *b, const char *key, const char *v);
/* The rule lines of a member file ("rule_weight = 2", "keyword = title: x"). */
void member_format_rules(const struct member *m, struct buf *b);

#endif
