/*
 * region.h — where a notice is to be delivered, as ITL codes.
 *
 * Every region an opportunity carries is an ITL (International Territorial
 * Level, formerly NUTS) code of the UK: ITL1 "UKC".."UKN" (the nine English
 * regions, Wales, Scotland, Northern Ireland), or a finer ITL2/ITL3 code
 * such as "UKE2" or "UKG31" as Find a Tender gives them.  Contracts Finder's
 * region names, nations, "United Kingdom", the ITL 2021 "TL" spelling and
 * postcodes are all mapped onto these codes here.
 *
 * Matching rule: two codes overlap when one is a prefix of the other.  A
 * notice for all of UKG (West Midlands) is deliverable in UKG31
 * (Birmingham), and a notice for UKG31 lies within UKG, so both directions
 * match.
 *
 * Pure functions over static tables; nothing here allocates except into the
 * caller's strv.  Never logs.
 */
#ifndef BIDBROKER_REGION_H
#define BIDBROKER_REGION_H

#include <stdbool.h>
#include <stddef.h>

#include "bidbroker/util.h"

#define REGION_CODE_MAX 8               /* "UKG31" and its NUL fit */

enum region_kind {
        REGION_UNKNOWN = 0,             /* not a place we recognise */
        REGION_CODES,                   /* ITL codes were added */
        REGION_ANYWHERE,                /* no limit: "Any region", "Rest of the World" */
        REGION_OUTSIDE_UK,              /* a place outside the UK: "Isle of Man", "Europe" */
};

/* True for a valid UK ITL code: ^UK[C-N][0-9A-Z]{0,3}$. */
bool region_code_valid(const char *code);

/* Normalise a code: trim, upper-case, "TLG31" (ITL 2021) -> "UKG31" (ITL
 * 2021 codes are the NUTS 2018 codes with TL for UK).  0, or -EINVAL when
 * it is not a valid code. */
int region_code_normalise(const char *in, char out[REGION_CODE_MAX]);

/*
 * Classify a delivery region field and append its ITL codes to out (no
 * duplicates): a code ("UKG31", "tlg", "UKG31 - Birmingham"); a Contracts
 * Finder region name ("West Midlands" -> UKG; case, "&" and spacing
 * ignored); "England" -> UKC..UKK; "Scotland" UKM, "Wales" UKL, "Northern
 * Ireland" UKN; "Great Britain" UKC..UKM; "United Kingdom", "UK", "GB" ->
 * UKC..UKN; "Any region", "Anywhere", "Worldwide", "Rest of the World" ->
 * REGION_ANYWHERE (nothing added); known places outside the UK ("Isle of
 * Man", "Channel Islands", "Europe", ...) -> REGION_OUTSIDE_UK.
 */
enum region_kind region_parse(const char *s, struct strv *out);

/* Append every ITL1 code of the UK (UKC..UKN), or of England (UKC..UKK). */
void region_add_uk(struct strv *out);
void region_add_england(struct strv *out);

/* The name of the ITL1 region a code lies in ("UKG31" -> "West Midlands"),
 * or NULL. */
const char *region_name(const char *code);

/* One of a and b is a prefix of the other (both non-empty codes). */
bool region_overlaps(const char *a, const char *b);

/* Does a notice with these regions (or anywhere) lie in the ITL prefix
 * filter?  A notice with no region at all does not: callers that want to
 * keep notices of unknown region must test regions->n == 0 themselves. */
bool region_list_matches(const struct strv *regions, bool anywhere, const char *filter);

/* Drop codes made redundant by a broader code in the same list ("UKG31"
 * when "UKG" is there), keeping the order of the rest. */
void region_list_simplify(struct strv *regions);

/* ---- the one vocabulary people type ---- */

/*
 * A region as a person writes it anywhere bidbroker asks for one ([filter]
 * regions, `list --region`, a member's regions) -> normalised entries
 * appended to out (no duplicates):
 *   ITL codes, any case, NUTS or ITL 2021 spelling: "UKG", "ukg31", "TLG" -> "UKG31"...;
 *   region names, case, "&" and spacing ignored: "West Midlands" -> "UKG",
 *     "England" -> its nine ITL1 codes, "Scotland" -> "UKM";
 *   the whole UK: "UK", "United Kingdom", "GB", "anywhere" -> "UK";
 *   postcode areas, any case, "PC:" optional: "B", "ws", "PC:WS" -> "PC:WS".
 * 0, or -EINVAL with a reason in why (static text that lists the accepted
 * forms, REGION_ACCEPTED).
 */
int region_normalise(const char *s, struct strv *out, const char **why);

/* The accepted forms, for error messages. */
#define REGION_ACCEPTED                                                                   \
        "an ITL code (UKC to UKN, e.g. UKG or UKG31), a region name (North East, North "  \
        "West, Yorkshire and the Humber, East Midlands, West Midlands, East of England, " \
        "London, South East, South West, Wales, Scotland, Northern Ireland, England, UK) " \
        "or a postcode area (e.g. B, WS)"

/*
 * Does a notice with these regions, postcodes (either may be NULL) and
 * anywhere flag lie in one normalised entry of region_normalise()?  "UK"
 * holds every UK notice; an ITL code overlaps as region_overlaps(); a
 * postcode area "PC:B" holds notices with a postcode in B and notices for
 * a whole region containing B (UKG, or all of the UK), as the matching
 * engine reads a member's postcode areas.  An anywhere notice lies in all.
 */
bool region_entry_holds(const char *entry, const struct strv *regions,
                        const struct strv *postcodes, bool anywhere);

/* ---- postcodes ---- */

/* True for the shape of a full UK postcode: outward code (A9, A99, A9A,
 * AA9, AA99, AA9A) then inward code (9AA), any case, space optional. */
bool postcode_valid(const char *pc);

/* The postcode area, the letters before the first digit ("B5 5SE" -> "B",
 * "WV1 1AA" -> "WV", "sw1a2bq" -> "SW") of a full postcode or an outward
 * code alone ("B5").  0, or -EINVAL when the shape is wrong. */
int postcode_area(const char *pc, char area[3]);

/* The ITL1 code of a postcode area ("B" -> "UKG"), NULL when it is not one
 * of the UK's 121 areas (Jersey, Guernsey, the Isle of Man and the
 * non-geographic BF/BX areas have none). */
const char *postcode_area_region(const char *area);

/* The ITL1 code of a postcode or outward code, or NULL. */
const char *postcode_region(const char *pc);

/* Trimmed, upper-cased, inner white space squeezed to one space, as given
 * otherwise ("e16 2QU" -> "E16 2QU").  Caller frees; NULL when blank. */
char *postcode_normalise(const char *pc);

#endif
