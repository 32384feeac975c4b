/*
 * taxonomy.h — the capability taxonomy (conf/capabilities.conf) and the rule
 * lines it shares with member files, as loaded (plain data; the engine
 * compiles them).
 *
 * Loaders report every problem as "FILE:LINE: message" into a struct diag
 * (a PCRE2 error also names the offset in the pattern) and never return a
 * half-valid object.  Ownership: a struct taxonomy owns every string and
 * array in it.
 */
#ifndef BIDBROKER_TAXONOMY_H
#define BIDBROKER_TAXONOMY_H

#include <stdbool.h>
#include <stddef.h>

#include "bidbroker/util.h"

struct buf;
struct cpvcover;
struct cpvref;
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
        bool           strong;  /* taxonomy: a match in the description (or buyer)
                                 * makes the capability required, not incidental */
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
        bool          on_site;          /* on_site = yes: the work is done where the
                                         * notice delivers, so a delivery postcode or
                                         * region decides where, whatever "any region"
                                         * the notice also ticks */
        char         *file;
        unsigned      line;
};

/* A [check ID] section: an accreditation, check or insurance a notice may ask
 * suppliers for (DBS, CHAS, public liability £5m ...), for the readiness
 * checklist of consortium suggestions (checks.h).  Not a capability: it never
 * changes what matches. */
enum check_scope {
        CHECK_SCOPE_ANY,        /* one partner holding it is enough (default) */
        CHECK_SCOPE_EACH,       /* every partner needs its own (insurance) */
};

struct check_def {
        char         *id;               /* "public-liability" */
        char         *label;            /* "Public liability insurance" */
        struct rule  *rules;            /* keyword/regex/exclude(_regex): the notice's
                                         * wording, also tried on members' entries */
        size_t        nrules;
        struct rule  *aliases;          /* alias = WORDS: how members write it (keywords,
                                         * tried on members' entries only) */
        size_t        naliases;
        struct strv   implies;          /* holding it also holds these check ids */
        bool          amount;           /* amount = yes: a money level is read next to it */
        enum check_scope scope;
        char         *file;
        unsigned      line;
};

struct checker;

struct taxonomy {
        struct capability *caps;
        size_t             ncaps;
        char              *path;
        struct cpvcover   *cover;       /* [taxonomy] cpv_coverage (cpvcover.h): where
                                         * each CPV code is placed; NULL: none */
        struct check_def  *checks;      /* [check ID] sections, in file order */
        size_t             nchecks;
        struct checker    *checker;     /* the checks compiled (checks.h); NULL: none */
};

/* Load a taxonomy file ([capability ID] sections). 0, or -EINVAL with every
 * error in d (and *ret untouched). */
int taxonomy_load(const char *path, struct taxonomy **ret, struct diag *d);
struct taxonomy *taxonomy_free(struct taxonomy *t);             /* NULL-safe */
const struct capability *taxonomy_find(const struct taxonomy *t, const char *id);
const struct check_def *taxonomy_find_check(const struct taxonomy *t, const char *id);

/* taxonomy_load(), also checking every CPV prefix against ref (may be NULL):
 * a prefix must start at least one real CPV 2008 code. */
int taxonomy_load_ref(const char *path, const struct cpvref *ref,
                      struct taxonomy **ret, struct diag *d);

/*
 * Rules as written in the files: "keyword = [FIELDS:] words", "regex =
 * [FIELDS:] pattern", "exclude = ...", "exclude_regex = ...".  FIELDS is a
 * comma list of title, description, buyer, lots, items, text (= title,
 * description, lots, items) or all; without it the rule gets default_fields.
 * A regex is compiled (PCRE2, caseless, UTF) to check it; an error names the
 * offset: "FILE:LINE: regex '(a' error at offset 2: missing closing parenthesis".
 * 0, or -EINVAL with the error in d (out untouched).
 */
int rule_parse(enum rule_kind kind, bool exclude, const char *value,
               unsigned default_fields, double weight, const char *file,
               unsigned line, struct rule *out, struct diag *d);
void rule_done(struct rule *r);                         /* frees text and file */
void rule_copy(struct rule *dst, const struct rule *src);
/* "title, lots" -> bits; 0 or -EINVAL with the bad word in *bad (static). */
int rule_fields_parse(const char *s, unsigned *ret, const char **bad);
/* Bits -> "title,description" (or "text", "all") into out. */
void rule_fields_format(unsigned fields, struct buf *out);
/* "keyword", "regex", "exclude", "exclude_regex": the key a rule is written with. */
const char *rule_key(const struct rule *r);

#endif
