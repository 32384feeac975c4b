/*
 * lots.h — the lots of a notice (issue #10 item 1): read from an OCDS release
 * (tender.lots[], the items' relatedLot, tender.lotDetails), kept in the
 * store as JSON (table opportunity_lots), and seen one at a time as an
 * opportunity of its own, so that matching and the consortium search can
 * ask who could bid for that lot alone (docs/matching.md "Lots").
 *
 * A lot's text is its title, description and its items' descriptions; its
 * CPV codes are its own classifications and its items'; its value is its
 * own (lots[].value.amount, else amountGross; 0, 0.1 and 1 are not stated).
 * Items with no relatedLot belong to the notice, not to a lot, except in a
 * notice of one lot, where they are that lot's.
 *
 * Reading is lenient: an element of the wrong type is skipped (the OCDS
 * parser reports the release's faults).  Never logs.
 */
#ifndef BIDBROKER_LOTS_H
#define BIDBROKER_LOTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct opportunity;

#define LOTS_MAX        200             /* lots kept per notice */

/* Free o's lots (opportunity_done() does). */
void opp_lots_clear(struct opportunity *o);
/* Replace o's lots with those of release (an OCDS release object). */
void opp_lots_read(const json_t *release, struct opportunity *o);
/* The same from a release's JSON text (the store's raw record): 0, or
 * -EINVAL when it is not a JSON object. */
int opp_lots_parse_release(const char *json, size_t len, struct opportunity *o);

/* o's lots as stored and shown: {"max_lots_bid", "max_lots_awarded" (numbers
 * or null), "lots": [{"id", "title", "description", "status", "active",
 * "value" (pounds or null), "cpv", "item_descriptions"}]}; NULL when o has
 * no lots.  A new reference. */
json_t *opp_lots_to_json(const struct opportunity *o);
/* Back from that text into o (its lots replaced): 0, or -EINVAL. */
int opp_lots_from_json(const char *text, struct opportunity *o);

/* Lots still open to bids (not cancelled, unsuccessful or complete). */
size_t opp_lots_active(const struct opportunity *o);
/* Bids may be made for lots separately: two or more active lots.  A notice
 * of one lot, or none, is one whole (and is matched as it always was). */
bool opp_lots_separable(const struct opportunity *o);

/* Lot i of o as an opportunity of its own, for engine_match() and
 * consort_suggest(): o's identity, buyer, places, dates and flags; the lot's
 * title (or "") and description, its items' descriptions and CPV codes, its
 * value (not stated when the lot states none); no lots, no raw record.
 * The view borrows from o (valid while o is unchanged): never pass it to
 * opportunity_done(). */
void opp_lot_view(const struct opportunity *o, size_t i, struct opportunity *view);

#endif
