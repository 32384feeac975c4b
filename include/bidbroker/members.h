/*
 * members.h — the member register (one DIR/ID.conf file per member), as
 * loaded (plain data; the engine compiles it).
 *
 * Loaders report every problem as "FILE:LINE: message" into a struct diag
 * and never return a half-valid object.  Ownership: a struct member_register
 * owns every string and array in it.  Writing member files is in
 * members_write.h, spreadsheets in members_csv.h.
 */
#ifndef BIDBROKER_MEMBERS_H
#define BIDBROKER_MEMBERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bidbroker/taxonomy.h"
#include "bidbroker/util.h"

struct buf;
struct diag;

enum weekday { DAY_MON = 1, DAY_TUE, DAY_WED, DAY_THU, DAY_FRI, DAY_SAT, DAY_SUN };

struct member {
        char        *id;                /* [a-z0-9-]+, the file's stem */
        char        *name;
        struct strv  emails;
        char        *cluster;           /* "Digbeth" */
        char        *postcode;
        struct strv  regions;           /* normalised: ITL codes ("UKG", "UKG31") and
                                         * postcode areas as "PC:B" (Birmingham) */
        struct strv  capabilities;      /* taxonomy ids */
        struct rule *rules;             /* own keywords/regexes and exclusions */
        size_t       nrules;
        int64_t      min_value;         /* pence, VALUE_NONE: no minimum */
        int64_t      max_value;         /* pence, VALUE_NONE: no maximum */
        int64_t      capacity;          /* pence of work it can take on, VALUE_NONE */
        bool         consortium;        /* bids in consortia */
        bool         lead;              /* lead = yes: may lead a consortium */
        char        *accreditations;    /* free text */
        int          max_open_bids;     /* never proposed in more open consortium
                                         * suggestions at once (default 3) */
        struct strv  works_with;        /* member ids it has bid with: such pairs
                                         * are proposed first among near-equals */
        struct strv  avoid;             /* member ids never to pair it with */
        enum weekday digest_day;
        bool         paused;            /* paused = yes: never matched (holidays, full
                                         * order books); nothing else changes */
        char        *companies_house;   /* identifiers for matching award suppliers */
        char        *charity_number;    /* (docs/impact.md), as typed; NULL: none */
        char        *ppon;
        bool         report_name;       /* report_name = yes: wins named in reports */
        char        *file;
        unsigned     line;
};

#define MEMBER_DEFAULT_OPEN_BIDS 3
#define MEMBER_MAX_OPEN_BIDS     100

struct member_register {
        struct member *members;         /* sorted by id */
        size_t         n;
        char          *dir;
};

/* Load every DIR/ID.conf member file ([member] section), checking capability
 * ids against tx.  0, or -EINVAL with every error in d. */
int members_load(const char *dir, const struct taxonomy *tx,
                 struct member_register **ret, struct diag *d);
struct member_register *members_free(struct member_register *r);  /* NULL-safe */
const struct member *members_find(const struct member_register *r, const char *id);

/* Days: "mon".."sun" or "monday".."sunday" (any case). 0 or -EINVAL. */
int weekday_parse(const char *s, enum weekday *ret);
const char *weekday_name(enum weekday d);               /* "monday" */

/* A member's regions are parsed by region_normalise() (bidbroker/region.h). */

/* One member file (DIR/ID.conf).  Every error in d; 0 or -EINVAL. */
int member_load_file(const char *path, const struct taxonomy *tx,
                     struct member **ret, struct diag *d);
void member_init(struct member *m);
void member_done(struct member *m);
struct member *member_free(struct member *m);           /* NULL-safe */
void member_copy(struct member *dst, const struct member *src);
bool member_equal(const struct member *a, const struct member *b);
/* The canonical file text of a member (what import writes). */
void member_format(const struct member *m, struct buf *out);

/* [a-z0-9-]+, at most 64 characters, not starting with '-'. */
bool member_id_valid(const char *id);

#endif
