/*
 * consortlots.h — lots respected (issue #10 item 1): for a notice whose lots
 * may be bid for separately (two or more active lots, lots.h), each lot is
 * matched as an opportunity of its own (opp_lot_view(): its title,
 * description, items, CPV codes and value), so a member who can deliver one
 * lot alone matches that lot, value band and capacity judged against the
 * lot's value; each lot gets its own consortium search (single, consortium
 * or no cover for that lot alone); and a lot bundle puts one set per lot
 * together: who would bid for which lot, no member in more lots than one
 * supplier may win (tender.lotDetails), so a broker can see when bidding lot
 * by lot needs fewer partners than a consortium for the whole.
 *
 * A notice of one lot or none is one whole: lots_suggest() does nothing (no
 * engine call) and the suggestion for the whole is the only one, as before.
 * The work is outside the engine's hot path: one engine_match() per active
 * lot, only for separable notices.  docs/consortium.md "Lots".
 */
#ifndef BIDBROKER_CONSORTLOTS_H
#define BIDBROKER_CONSORTLOTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "bidbroker/consortmatch.h"
#include "bidbroker/engine.h"

struct opportunity;

struct lot_result {
        size_t   lot;                           /* index into o->lots */
        struct match_result res;                /* the lot matched on its own */
        struct consort_suggestion sg;           /* with consortia: its search */
        bool     searched;
};

struct lots_suggestion {
        struct lot_result *v;                   /* one per active lot, in order */
        size_t   n;
        int      limit;                         /* lots one supplier may win or bid
                                                 * for (the lower stated); 0: none */
        /* The bundle (with consortia): per lot result, the rank of the set
         * chosen (SIZE_MAX: none), most lots covered first, then the better
         * ranked sets; no member in more than `limit` lots. */
        size_t  *pick;
        size_t   covered;                       /* lots with a set picked */
        bool     approximate;                   /* the bundle search budget ran out */
};

/* Match each active lot of o (and, with opt, search consortia for it and
 * bundle them).  Not separable: 0 with out->n == 0.  flags as
 * engine_match().  0, or a negative errno (consort_suggest()'s). */
int lots_suggest(const struct engine *e, struct engine_scratch *s, const struct opportunity *o,
                 unsigned flags, const struct consort_opts *opt, const struct consort_load *load,
                 struct lots_suggestion *out);
void lots_suggestion_done(struct lots_suggestion *l);   /* l reusable */
/* The bundle of l (pick, covered, approximate) from v[].sg (res and
 * members) and limit; lots_suggest() calls it.  Members are told apart by
 * pointer.  Depth first over the lots in order, each lot's sets in rank
 * order then none, a member in at most limit lots; best: most lots covered,
 * then the least sum of ranks, then the first found; at most 100,000 nodes
 * (then the best so far, approximate). */
void lots_bundle(struct lots_suggestion *l);

/* explain's "lots": [{"id", "title", "value" (pounds or null), "requires":
 * [{"capability", "required"}], "matches": [{"member", "score", "whole"}]}]:
 * whole is true when the member covers every required capability of the
 * lot (it could bid for the lot alone).  member: only that member's match.
 * A new reference; an empty array when not separable. */
json_t *lots_match_json(const struct opportunity *o, const struct lots_suggestion *l,
                        const char *member);

/* The consortium keys (stored with the suggestion): "lots": [{"id",
 * "title", "value", "verdict", "missing", "consortia", "consortium_search"}]
 * (as consort_suggestion_json() per lot), "lot_bundle": null or {"lots":
 * [{"id", "members", "lead"}], "uncovered": [lot ids], "members", "value",
 * "limit", "approximate", "reasons"}.  whole: the whole notice's
 * suggestion (for the bundle's reasons).  Set into j. */
void lots_consortia_json(json_t *j, const struct opportunity *o, const struct lots_suggestion *l,
                         const struct consort_suggestion *whole);

#endif
