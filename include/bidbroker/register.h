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

struct buf;
struct cpvref;
struct diag;
struct err;

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
        bool         paused;            /* paused = yes: never matched (holidays, full
                                         * order books); nothing else changes */
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

/* Load every DIR/ID.conf member file ([member] section), checking capability
 * ids against tx.  0, or -EINVAL with every error in d. */
int members_load(const char *dir, const struct taxonomy *tx,
                 struct member_register **ret, struct diag *d);
struct member_register *members_free(struct member_register *r);  /* NULL-safe */
const struct member *members_find(const struct member_register *r, const char *id);

/* ---- additions (register area) ------------------------------------------- */

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

/* taxonomy_load(), also checking every CPV prefix against ref (may be NULL):
 * a prefix must start at least one real CPV 2008 code. */
int taxonomy_load_ref(const char *path, const struct cpvref *ref,
                      struct taxonomy **ret, struct diag *d);

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

/* ---- writing the register (members_write.c) --------------------------------- */

/* Mode of every member file written: the service's group may read it. */
#define MEMBER_FILE_MODE        0640
/* The service account's group (systemd/bidbroker.sysusers). */
#define MEMBER_SERVICE_GROUP    "bidbroker"

/*
 * The group member files are given: the group called name when name is set
 * (-ENOENT with a message in e when there is none), else MEMBER_SERVICE_GROUP
 * when it exists, else the caller's own group.
 */
int members_group(const char *name, unsigned *gid, struct err *e);

/*
 * Write DIR/ID.conf for m: header (comment lines, each ending in '\n'; may be
 * NULL), then member_format(m); mode MEMBER_FILE_MODE whatever the umask,
 * group gid, atomically (temporary file, fsync, rename, fsync of DIR), so a
 * crash leaves the old file or the new one.  0 or -errno with e set.
 */
int member_write_file(const char *dir, const struct member *m, const char *header,
                      unsigned gid, struct err *e);
/*
 * Pause or resume member m (loaded from DIR/ID.conf) by editing its file as
 * text: every "paused = ..." line goes, "paused = yes" is appended when
 * pausing; comments and every other line stay where they are.  Written like
 * member_write_file().  1 when m already is in that state (nothing written),
 * 0, or -errno with e set.
 */
int member_set_paused(const char *dir, const struct member *m, bool paused, unsigned gid,
                      struct err *e);
/* Delete DIR/ID.conf.  0, -ENOENT (no such member) or -errno, with e set. */
int member_remove(const char *dir, const char *id, struct err *e);

/* ---- spreadsheets (members_csv.c) ---------------------------------------------- */

/*
 * Every member as CSV (RFC 4180, LF line ends, a header row):
 *   id, name, email, cluster, postcode, regions, capabilities, min_value,
 *   max_value, capacity, consortium, digest_day, accreditations, paused, rules
 * Lists (email, regions, capabilities) are joined with "; "; rules holds the
 * member file's rule lines ("keyword = x", "regex = title: y", "rule_weight =
 * 2", ...) one per line inside the cell.  members_import_csv() reads it back
 * to the same members (export -> import changes no file).
 */
void members_export_csv(const struct member_register *r, struct buf *out);

/*
 * What changes from old to new, one line per field: "email: a@x → a@x, b@y",
 * "paused: no → yes", and per rule "rules: + exclude = asbestos" /
 * "rules: - keyword = cleaning".  Lines appended to out.
 */
void member_diff(const struct member *old, const struct member *new_m, struct strv *out);

/*
 * Create or update DIR/ID.conf files from a spreadsheet (CSV, RFC 4180:
 * quoted fields, CRLF or LF, UTF-8 with or without BOM).  Header row columns:
 * those of members_export_csv(), plus the older keywords and exclusions
 * (regex patterns separated by ';').  An empty cell clears the field; a
 * column that is absent keeps what the member file has; rules replaces all
 * the member's rules, keywords/exclusions only its plain regexes (any other
 * rule line is kept).  Each bad row is reported "FILE.csv:LINE: message" in d
 * and skipped.  Per member, changes gets "ID: new member (NAME)" or one "ID:
 * " line per member_diff() line.  With opts->dry_run nothing is written;
 * otherwise files are written with member_write_file() (group opts->gid), the
 * comment lines of an updated file kept at its top.  A row that would change
 * a member file modified after the sheet was saved (a hand edit the sheet
 * does not have) is refused, naming the member and the fields, unless
 * opts->force.  Returns 0 when the file could be read (even with rejected
 * rows), -errno/-EINVAL when not at all.
 */
struct import_opts {
        bool     dry_run;
        bool     force;                 /* import rows over files newer than the sheet */
        unsigned gid;                   /* group of written files ((unsigned)-1: ours) */
};
struct import_counts {
        size_t      created, updated, unchanged, rejected;
        struct strv changes;            /* owned: import_counts_done() */
};
int members_import_csv(const char *csv_path, const char *dir, const struct taxonomy *tx,
                       const struct import_opts *opts, struct import_counts *counts,
                       struct diag *d);
void import_counts_done(struct import_counts *c);

#endif
