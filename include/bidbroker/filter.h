/*
 * filter.h — which stored notices are worth matching: open, low value, in
 * the regions we serve.  Pure functions of an opportunity, the [filter]
 * config and the clock.
 *
 *  open       at tender stage, not cancelled/awarded/complete, deadline after
 *             now or unknown (opportunity_is_open());
 *  low value  a stated value (the maximum of a range) <= max_value; a notice
 *             with no value stated is kept and flagged when
 *             keep_value_not_stated (the default), never counted as low —
 *             unless it is likely over the cap (scale.h: above threshold, a
 *             framework or DPS, capital works, a long term), which drops it
 *             unless keep_likely_over_cap.  A stated value always wins;
 *             a notice of separable lots (lots.h) over max_value is low
 *             value all the same when one of its active lots states a value
 *             <= max_value (that lot may be bid for alone);
 *  region     no region filter, or the notice lies in one of the filter's
 *             entries (region_entry_holds(): anywhere notices always; UKG
 *             covers UKG31 and a notice for all of UKG is deliverable in
 *             UKG31; "PC:B" by postcode area; "UK" every UK notice).
 */
#ifndef BIDBROKER_FILTER_H
#define BIDBROKER_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct opportunity;
struct strv;

struct filter {
        int64_t            max_value;           /* pence */
        bool               keep_value_not_stated;
        bool               keep_likely_over_cap;
        int                long_term_months;    /* scale signal; <= 0: off */
        const struct strv *regions;             /* borrowed, region_normalise()d
                                                 * entries; NULL or empty: all */
};

bool filter_low_value(const struct filter *f, const struct opportunity *o);
bool filter_region(const struct filter *f, const struct opportunity *o);
/* open && low value (or not stated and kept) && region */
bool filter_accept(const struct filter *f, const struct opportunity *o, int64_t now);
/* Why filter_accept() refuses o at now: "closed", "over the value cap",
 * "likely over the value cap", "value not stated" or "outside the filter
 * regions"; NULL when it accepts.  (Stored as the reason a match was
 * withdrawn, shown by explain.) */
const char *filter_reject_reason(const struct filter *f, const struct opportunity *o,
                                 int64_t now);
/* The scale signals that make o likely over the cap with f's term length,
 * into buf (SCALE_REASON_MAX bytes is enough), whether or not f keeps such
 * notices; NULL when o states a value or shows none. */
const char *filter_likely_over_cap(const struct filter *f, const struct opportunity *o,
                                   char *buf, size_t len);

#endif
