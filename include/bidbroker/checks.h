/*
 * checks.h — the accreditations, checks and insurance a notice asks for
 * ([check ID] sections of the taxonomy, taxonomy.h) and those a member holds
 * (its free-text `accreditations`), for the readiness checklist of a
 * consortium suggestion (readiness.h).  docs/matching.md ("Checks and
 * accreditations") has the long form.
 *
 * - A notice asks for a check when one of its keyword/regex rules matches a
 *   field it looks at (fields, as for capabilities) and none of its
 *   exclusions does.  Keywords are whole words, any case; regexes are PCRE2,
 *   caseless, UTF.
 * - amount = yes checks (insurance) read a money level next to each match:
 *   an amount written just before it ("£5m public liability"), else the
 *   first one after it in the same clause ("public liability of £5,000,000",
 *   up to ';', a sentence end or 100 bytes); the ask's level is the highest.
 *   Amounts: £ or GBP, digits with thousands commas or decimals, then
 *   k/thousand, m/mn/million, bn/billion.
 * - Either-or: checks named one after the other in a field, joined by "or"
 *   or "and/or" (with commas or '/' in a list, and words such as accreditation,
 *   registered, scheme, equivalent, such as between them: "CHAS,
 *   SafeContractor or Constructionline accreditation", "an SSIP scheme such
 *   as CHAS or SafeContractor") are one ask: holding any of them is enough.
 *   Never amount checks: "public / employer's liability" asks for both.
 * - A member's `accreditations` is split into entries at ',' (not between
 *   digits), ';' and line ends.  An entry holds a check when one of the
 *   check's rules (whatever their fields) or aliases matches it and no
 *   exclusion does; its level is the entry's first amount.  Holding a check
 *   holds what it implies.  Entries no check recognises are kept as free text
 *   (check-config lists them).
 *
 * The checker is compiled once with the taxonomy (which owns it) and is
 * read-only afterwards: it may be shared by threads.
 */
#ifndef BIDBROKER_CHECKS_H
#define BIDBROKER_CHECKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bidbroker/util.h"

struct check_def;
struct checker;
struct diag;
struct hasher;
struct opportunity;
struct taxonomy;

/* Compile t's checks (t->checks) into *out.  0, or -EINVAL with the error in
 * d (a regex the engine would take is always taken here too). */
int checker_build(const struct taxonomy *t, struct checker **out, struct diag *d);
struct checker *checker_free(struct checker *c);                /* NULL-safe */
/* Hash the checks' definitions (for the suggestions' fingerprint). */
void checker_hash(const struct checker *c, struct hasher *h);

#define CHECK_LEVEL_NONE   (-1)         /* no amount stated */

struct check_ask {                      /* a check the notice asks for */
        const struct check_def *def;
        int64_t  level;                 /* pence: the highest amount stated with it,
                                         * CHECK_LEVEL_NONE */
        unsigned field;                 /* FIELD_* of the match shown */
        char    *text;                  /* the words around it (owned) */
        size_t   alt;                   /* either-or: the index (in the asks) of the
                                         * first ask of its group ("CHAS or
                                         * SafeContractor"); its own index: alone */
};

struct check_asks {
        struct check_ask *v;            /* in taxonomy order */
        size_t n;
};

void check_asks_init(struct check_asks *a);
void check_asks_done(struct check_asks *a);                     /* a reusable */
/* What o asks for (a cleared first).  NULL c: nothing. */
void checker_asks(const struct checker *c, const struct opportunity *o, struct check_asks *a);

struct check_hold {                     /* a check a member holds */
        const struct check_def *def;
        int64_t  level;                 /* pence, CHECK_LEVEL_NONE: not stated */
        const char *entry;              /* its entry, as written (into the member's
                                         * text copy, owned by the holds) */
};

struct check_holds {
        struct check_hold *v;           /* in taxonomy order */
        size_t n;
        struct strv entries;            /* the entries (owned) */
};

void check_holds_init(struct check_holds *h);
void check_holds_done(struct check_holds *h);                   /* h reusable */
/* What a member's accreditations text holds (h cleared first); the entries
 * no check recognises into unknown (may be NULL). */
void checker_member(const struct checker *c, const char *accreditations,
                    struct check_holds *h, struct strv *unknown);
const struct check_hold *check_holds_find(const struct check_holds *h,
                                          const struct check_def *def);

/* "£5m", "£2.5m", "£500k", "£12,345": a level as people write it. */
void check_level_text(int64_t pence, char *buf, size_t len);
/* Read the first money amount in s (a notice's or a member's wording). */
bool check_amount(const char *s, int64_t *pence);

#endif
