/*
 * filter.h — which stored notices are worth matching: open, low value, in
 * the regions we serve.  Pure functions of an opportunity, the [filter]
 * config and the clock.
 *
 *  open       at tender stage, not cancelled/awarded/complete, deadline after
 *             now or unknown (opportunity_is_open());
 *  low value  a stated value (the maximum of a range) <= max_value; a notice
 *             with no value stated is kept and flagged when
 *             keep_value_not_stated (the default), never counted as low;
 *  region     no region filter, or the notice lies in one of the filter's
 *             entries (region_entry_holds(): anywhere notices always; UKG
 *             covers UKG31 and a notice for all of UKG is deliverable in
 *             UKG31; "PC:B" by postcode area; "UK" every UK notice).
 */
#ifndef BIDBROKER_FILTER_H
#define BIDBROKER_FILTER_H

#include <stdbool.h>
#include <stdint.h>

struct opportunity;
struct strv;

struct filter {
        int64_t            max_value;           /* pence */
        bool               keep_value_not_stated;
        const struct strv *regions;             /* borrowed, region_normalise()d
                                                 * entries; NULL or empty: all */
};

bool filter_low_value(const struct filter *f, const struct opportunity *o);
bool filter_region(const struct filter *f, const struct opportunity *o);
/* open && low value (or not stated and kept) && region */
bool filter_accept(const struct filter *f, const struct opportunity *o, int64_t now);
/* Why filter_accept() refuses o at now: "closed", "over the value cap",
 * "value not stated" or "outside the filter regions"; NULL when it accepts.
 * (Stored as the reason a match was withdrawn, shown by explain.) */
const char *filter_reject_reason(const struct filter *f, const struct opportunity *o,
                                 int64_t now);

#endif
