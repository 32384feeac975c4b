/*
 * opportunity.h — the one shape every source produces and every later stage
 * reads.  Parsers fill it, the store persists it, the filter and
 * the matcher read it.
 *
 * Money is in pence (int64_t); times are Unix seconds UTC with TIME_UNKNOWN
 * for "not given".  A struct opportunity owns every string and vector in it:
 * free with opportunity_done().
 */
#ifndef BIDBROKER_OPPORTUNITY_H
#define BIDBROKER_OPPORTUNITY_H

#include <stdbool.h>
#include <stdint.h>

#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"

#define VALUE_NONE   INT64_MIN          /* a min/max/gross that is not given */
#define TERM_NONE    (-1)               /* term_days not given */

/* Where the notice is in its life. */
enum opp_stage {
        STAGE_UNKNOWN = 0,
        STAGE_PLANNING,                 /* planning, pipeline (FTS UK1..UK3) */
        STAGE_TENDER,                   /* tender, tenderAmendment (FTS UK4..) */
        STAGE_AWARD,                    /* award, awardUpdate, contract */
};

enum opp_status {
        STATUS_UNKNOWN = 0,
        STATUS_PLANNED,
        STATUS_ACTIVE,                  /* open for bids (unless deadline passed) */
        STATUS_CANCELLED,               /* cancelled, withdrawn, FTS UK12 */
        STATUS_AWARDED,                 /* an award release was seen */
        STATUS_COMPLETE,                /* complete, unsuccessful, closed */
};

/* A tri-state for flags a notice may or may not state. */
enum tristate { TRI_UNKNOWN = -1, TRI_NO = 0, TRI_YES = 1 };

/* One lot of a notice (OCDS tender.lots[]): what a supplier may bid for on
 * its own.  Read by lots.h; its items are those whose relatedLot is its id. */
struct opp_lot {
        char    *id;                    /* tender.lots[].id; never NULL */
        char    *title;                 /* plain text, or NULL */
        char    *description;           /* plain text, or NULL */
        char    *status;                /* as stated ("active", "cancelled", ...), or NULL */
        bool     active;                /* not cancelled, unsuccessful or complete */
        int64_t  value;                 /* pence ex VAT (else gross); VALUE_NONE */
        struct strv cpv;                /* the lot's and its items' CPV codes */
        struct strv item_descriptions;  /* its items' descriptions */
};

struct opportunity {
        int64_t  id;                    /* store row id; 0 until stored */
        char    *source;                /* "cf", "fts", "feed:NAME", "anchor:NAME" */
        char    *notice_id;             /* CF notice GUID, FTS release id, feed entry id */
        char    *ocid;                  /* OCDS ocid, NULL for feeds */
        char    *release_id;            /* the release the data came from */
        enum opp_stage  stage;
        char    *notice_type;           /* "UK4", "tender", "tenderAmendment", ... */
        char    *title;                 /* plain UTF-8 text */
        char    *description;           /* plain UTF-8 text */
        char    *buyer_name;
        char    *buyer_id;

        /* Value.  value_stated is false when the notice gives no value or a
         * placeholder (0, 0.1, 1); the amounts are then VALUE_NONE. */
        bool     value_stated;
        int64_t  value_max;             /* pence, ex VAT where known */
        int64_t  value_min;             /* pence, VALUE_NONE unless a range */
        int64_t  value_gross;           /* pence inc VAT (FTS amountGross) */
        char     currency[4];           /* "GBP"; "" when unknown */

        struct strv cpv;                /* 8-digit CPV codes, no check digit */
        struct strv regions;            /* ITL codes ("UKG", "UKE2", ...) */
        bool     anywhere;              /* delivered anywhere (no region limit) */
        struct strv postcodes;          /* as given, upper-cased */
        struct strv lot_titles;         /* plain text */
        struct strv item_descriptions;  /* plain text */
        struct opp_lot *lots;           /* tender.lots[] in order (lots.h) */
        size_t   nlots;
        int      max_lots_bid;          /* lotDetails.maximumLotsBidPerSupplier; 0: not stated */
        int      max_lots_awarded;      /* ...maximumLotsAwardedPerSupplier; 0: not stated */

        int64_t  published;             /* first published */
        int64_t  updated;               /* date of the release this came from */
        int64_t  deadline;              /* tenderPeriod.endDate */
        enum tristate above_threshold;
        char    *procurement_method;
        char    *procurement_method_details;
        enum tristate suitable_sme;
        enum tristate suitable_vcse;

        /* Scale facts, read by the likely-over-cap verdict (scale.h). */
        enum tristate framework;        /* techniques.hasFrameworkAgreement (tender or lot) */
        enum tristate dps;              /* techniques.hasDynamicPurchasingSystem */
        int64_t  term_days;             /* longest contractPeriod with extensions; TERM_NONE */

        char    *url;                   /* the notice's human page */
        enum opp_status status;
        bool     amended;               /* a later release updated it */

        char    *raw;                   /* the raw JSON/XML record, as received */
};

void opportunity_init(struct opportunity *o);
void opportunity_done(struct opportunity *o);   /* frees members; o reusable after init */

const char *opp_stage_name(enum opp_stage s);
const char *opp_status_name(enum opp_status s);
int opp_stage_parse(const char *s, enum opp_stage *ret);
int opp_status_parse(const char *s, enum opp_status *ret);

/* Open: at tender stage, not cancelled/awarded/complete, published by now
 * (or date unknown), and the deadline is after now (or unknown). */
bool opportunity_is_open(const struct opportunity *o, int64_t now);

/* A CPV code as given ("90910000", "90910000-9", " 90910000") to its 8
 * digits in code; false when it is not one. */
bool cpv_normalise(const char *id, char code[9]);

#endif
