/*
 * oppjson.h — the JSON form of an opportunity, shared by `list --json`,
 * `show --json` and the reports that embed opportunities.
 *
 * Keys: id, source, notice_id, ocid, stage, notice_type, title, buyer,
 * buyer_id, value_max, value_min, value_gross (pounds, numbers; null when not
 * stated), value_stated, currency, deadline, published, updated (ISO 8601 UTC
 * or null), cpv, regions, postcodes (arrays), anywhere, url, status, amended,
 * above_threshold, suitable_sme, suitable_vcse, framework, dps (true/false/null),
 * term_days (the longest contract period in days, or null),
 * procurement_method, procurement_method_details; with full: description,
 * lot_titles, item_descriptions, lots (lots.h: max_lots_bid, max_lots_awarded and
 * each lot's id, title, description, status, active, value, cpv,
 * item_descriptions; null when the notice has no lots), release_id and raw
 * (the record as received).
 */
#ifndef BIDBROKER_OPPJSON_H
#define BIDBROKER_OPPJSON_H

#include <jansson.h>
#include <stdbool.h>

struct opportunity;

/* A new reference owned by the caller (json_decref). */
json_t *opportunity_to_json(const struct opportunity *o, bool full);

#endif
