/*
 * awards.h — stored awards, their suppliers, wins by members and the
 * staff-confirmed supplier aliases (tables award, award_supplier, win,
 * member_alias; docs/impact.md).
 *
 * store_put() records the awards of every notice it writes (from the
 * notice's raw release: award.h), so `ingest` and the poller fill them.
 * awards_match() then decides which suppliers are members: identifiers first
 * (Companies House, charity number, PPON), then a confirmed alias, then the
 * same normalised name (supplier_name_key).  Near matches are only ever
 * suggestions (awards_suggest) until staff confirm them as aliases.
 */
#ifndef BIDBROKER_AWARDS_H
#define BIDBROKER_AWARDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct err;
struct member_register;
struct store;

/* A supplier's or member's name as compared: folded to lower-case ASCII
 * words, "&" as "and", dotted or spaced initials joined ("C.I.C." "cic"),
 * a leading "the" and trailing legal forms dropped (ltd, limited, plc, llp,
 * cic, cio, inc, community interest company, charitable incorporated
 * organisation) with a trailing "uk" before or after them.  "" when nothing
 * is left.  The caller frees. */
char *supplier_name_key(const char *name);

/* What a match was made on. */
#define WIN_BY_COMPANIES_HOUSE  "companies_house"
#define WIN_BY_CHARITY          "charity_number"
#define WIN_BY_PPON             "ppon"
#define WIN_BY_ALIAS            "alias"
#define WIN_BY_NAME             "name"

struct awards_match_stats {
        size_t suppliers;               /* supplier rows looked at */
        size_t wins;                    /* of which matched to a member */
        size_t by_ident, by_alias, by_name;
        size_t suggestions;             /* near matches awaiting staff */
};

/* Recompute table win from the register and the confirmed aliases, in the
 * caller's transaction (or one of its own).  now: matched_at.  st NULL: no
 * counts, and the near matches are not looked for (the daemon's refresh). */
int awards_match(struct store *s, const struct member_register *reg, int64_t now,
                 struct awards_match_stats *st, struct err *err);

/* A near match staff may confirm: supplier name -> member. */
struct award_suggestion {
        char   *supplier;               /* as published (the first spelling seen) */
        char   *name_key;
        char   *member_id;
        char   *member_name;
        char   *why;                    /* "words of 'x' all in 'y'", "2 letters differ" */
        size_t  awards;                 /* awards naming that supplier */
};
struct award_suggestions {
        struct award_suggestion *v;
        size_t n;
};
void award_suggestions_done(struct award_suggestions *l);
/* Near matches of unmatched suppliers, without those staff rejected, sorted
 * by supplier name.  Read only. */
int awards_suggest(struct store *s, const struct member_register *reg,
                   struct award_suggestions *out, struct err *err);

/* Aliases.  status "confirmed" (wins are made on it) or "rejected" (never
 * suggested again).  A confirmed alias replaces any other confirmed one of
 * the same name.  -ENOENT from remove when there was none. */
int awards_alias_put(struct store *s, const char *supplier_name, const char *member_id,
                     bool confirmed, int64_t now, struct err *err);
int awards_alias_remove(struct store *s, const char *supplier_name, struct err *err);
struct award_alias {
        char   *name;
        char   *name_key;
        char   *member_id;
        bool    confirmed;
        int64_t at;
};
typedef int (*award_alias_fn)(const struct award_alias *a, void *arg);
int awards_alias_each(struct store *s, award_alias_fn fn, void *arg, struct err *err);

#endif
