/*
 * scale.h — scale signals: is a notice that states no value plainly not low
 * value?  Separate from capability (what kind of work) and read by the
 * filter (filter.h), which drops such notices unless [filter]
 * keep_likely_over_cap = yes.
 *
 * The signals (docs/parsing.md, "Scale signals"):
 *  - an above-threshold procedure: above_threshold (FTS aboveThreshold, CF
 *    procurementMethodDetails "... (above threshold)"), or a Find a Tender
 *    notice type only used above the threshold (UK1 pipeline, UK3 planned
 *    procurement);
 *  - a framework agreement or dynamic purchasing system being set up:
 *    techniques.hasFrameworkAgreement / hasDynamicPurchasingSystem, or the
 *    wording of the title ("... Framework", "Dynamic Purchasing System for
 *    ...") or description ("seeks to establish a framework") — not a
 *    call-off from one ("Call-off from a framework agreement", "under the
 *    ESPO framework", "mini-competition"), which is a contract of its own;
 *  - capital or major works ("capital works", "major refurbishment", ...);
 *  - a term longer than long_term_months: the longest contractPeriod
 *    (term_days), or the wording ("for a period of 5 years", "a five-year
 *    contract", "3 + 2 years").
 *
 * A stated value always wins: a notice that states a value has no verdict.
 * Pure functions of the opportunity; never allocate.
 */
#ifndef BIDBROKER_SCALE_H
#define BIDBROKER_SCALE_H

#include <stddef.h>

struct opportunity;

#define SCALE_REASON_MAX        512     /* a reason buffer this big is never cut */

/* Why o is likely over the value cap: every signal found, joined by "; ",
 * written into buf (len bytes, SCALE_REASON_MAX is enough) and returned;
 * NULL when o states a value or shows no signal.  long_term_months <= 0
 * turns the term signal off. */
const char *scale_likely_over_cap(const struct opportunity *o, int long_term_months,
                                  char *buf, size_t len);

/* The longest term stated in words in text ("for a period of five (5)
 * years" 60, "36 month contract" 36, "3+2 years" 60), in months; 0 when
 * none.  Exposed for tests. */
int scale_term_months_in_text(const char *text);

#endif
