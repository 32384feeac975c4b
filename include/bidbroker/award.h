/*
 * award.h — the awards of one OCDS release: who won, what, for how much.
 *
 * Read from the raw release the store keeps with every notice (Contracts
 * Finder award/awardUpdate releases, legacy releases that carry awards in a
 * tender release, Find a Tender UK6 contract award and UK7 contract details
 * notices).  Suppliers are joined to the release's parties for their
 * identifiers (Companies House GB-COH, Charity Commission GB-CHC and the
 * other charity registers, PPON GB-PPON) and details.scale / details.vcse.
 *
 * Money is in pence; placeholders (0, 0.1, 1) and absurd amounts are "not
 * stated" (VALUE_NONE), as for tender values (docs/parsing.md).  Never logs.
 */
#ifndef BIDBROKER_AWARD_H
#define BIDBROKER_AWARD_H

#include <stddef.h>
#include <stdint.h>

#include "bidbroker/opportunity.h"

struct err;

#define AWARD_MAX               200     /* awards read per release */
#define AWARD_MAX_SUPPLIERS     200     /* suppliers per award */

struct award_supplier {
        char         *name;             /* cleaned, one line; never NULL ("" when absent) */
        char         *party_id;         /* the OCDS party id as given, or NULL */
        char         *companies_house;  /* "06841377" (8 characters when numeric), or NULL */
        char         *charity_number;   /* "1123456", "SC012345", "NIC100002", or NULL */
        char         *ppon;             /* "PMZV-7732-XXTT", or NULL */
        char         *scale;            /* details.scale: "sme", "large", ...; NULL */
        enum tristate vcse;             /* details.vcse */
};

struct award {
        char    *award_id;              /* never NULL ("" when absent) */
        char    *status;                /* "active", "pending", "cancelled", ...; NULL */
        char    *title;                 /* NULL when absent */
        int64_t  value;                 /* pence, VALUE_NONE: not stated */
        char     currency[4];
        int64_t  date;                  /* award date (decision), TIME_UNKNOWN */
        int64_t  published;             /* datePublished, TIME_UNKNOWN */
        int64_t  contract_start;        /* contractPeriod.startDate, TIME_UNKNOWN */
        struct award_supplier *suppliers;
        size_t   nsuppliers;
};

struct award_list {
        struct award *v;
        size_t        n;
};

void award_list_init(struct award_list *l);
void award_list_done(struct award_list *l);

/*
 * The awards of one release (a JSON object, len bytes).  A release without
 * "awards" gives an empty list.  Values missing on an award are taken from
 * the release's contracts[] of the same awardID (Find a Tender UK7).
 * 0, or -EINVAL with err naming the field ("awards[2].suppliers is not an
 * array") when the release is not JSON or a field has a wrong type.
 */
int award_parse_release(const char *json, size_t len, struct award_list *out,
                        struct err *err);

/* Identifier values as stored: upper case, blanks dropped; a numeric
 * Companies House number padded to 8 digits ("115834" -> "00115834").
 * NULL when nothing is left.  The caller frees. */
char *award_ident_normalise(const char *scheme, const char *id);

#endif
