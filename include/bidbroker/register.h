/*
 * register.h — the capability taxonomy and the member register, as loaded
 * from conf/ (plain data; the engine compiles them).
 *
 * Loaders report every problem as "FILE:LINE: message" into a struct diag
 * (a PCRE2 error also names the offset in the pattern) and never return a
 * half-valid object.  Ownership: a struct taxonomy / struct member_register
 * owns every string and array in it.
 */
#ifndef BIDBROKER_REGISTER_H
#define BIDBROKER_REGISTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bidbroker/util.h"

struct diag;

/* Fields of an opportunity a rule looks at (bit set). */
enum rule_field {
        FIELD_TITLE       = 1u << 0,
        FIELD_DESCRIPTION = 1u << 1,
        FIELD_BUYER       = 1u << 2,
        FIELD_LOTS        = 1u << 3,        /* lot titles */
        FIELD_ITEMS       = 1u << 4,        /* item descriptions */
        FIELD_TEXT        = FIELD_TITLE | FIELD_DESCRIPTION | FIELD_LOTS | FIELD_ITEMS,
};

enum rule_kind {
        RULE_KEYWORD,           /* a word or phrase: whole words, case/diacritic-folded */
        RULE_REGEX,             /* a PCRE2 pattern (caseless, UTF) */
};

struct rule {
        enum rule_kind kind;
        char          *text;    /* the keyword/phrase, or the pattern */
        unsigned       fields;  /* enum rule_field bits */
        double         weight;
        bool           exclude; /* an exclusion: vetoes instead of matching */
        char          *file;    /* where it was written */
        unsigned       line;
};

struct capability {
        char         *id;               /* "cleaning" */
        char         *label;            /* "Cleaning services" */
        struct strv   cpv;              /* CPV prefixes, digits only, 2..8 long */
        struct strv   cpv_exclude;      /* CPV prefixes that veto */
        struct rule  *rules;            /* keywords, regexes and exclusions */
        size_t        nrules;
        double        weight;           /* scales this capability's score */
        char         *file;
        unsigned      line;
};

struct taxonomy {
        struct capability *caps;
        size_t             ncaps;
        char              *path;
};

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
        char        *accreditations;    /* free text */
        enum weekday digest_day;
        char        *file;
        unsigned     line;
};

struct member_register {
        struct member *members;         /* sorted by id */
        size_t         n;
        char          *dir;
};

/* Load a taxonomy file ([capability ID] sections). 0, or -EINVAL with every
 * error in d (and *ret untouched). */
int taxonomy_load(const char *path, struct taxonomy **ret, struct diag *d);
struct taxonomy *taxonomy_free(struct taxonomy *t);             /* NULL-safe */
const struct capability *taxonomy_find(const struct taxonomy *t, const char *id);

/* Load every DIR/*.conf member file ([member] section), checking capability
 * ids against tx.  0, or -EINVAL with every error in d. */
int members_load(const char *dir, const struct taxonomy *tx,
                 struct member_register **ret, struct diag *d);
struct member_register *members_free(struct member_register *r);  /* NULL-safe */
const struct member *members_find(const struct member_register *r, const char *id);

#endif
