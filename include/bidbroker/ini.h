/*
 * ini.h — a small INI reader shared by the daemon config, the capability
 * taxonomy and the member register.
 *
 * Syntax: "[section]" or "[section NAME]", "key = value", "#" or ";" comments
 * on their own line, blank lines ignored.  A value may be quoted with "..."
 * to keep leading/trailing spaces or a '#'; an unquoted value with a '#'
 * after a space ("x = y  # note") is an error, not a silent part of the value.  Every problem is reported as
 * "FILE:LINE: message" into a struct diag, and reading goes on, so a user
 * sees every bad line at once.
 */
#ifndef BIDBROKER_INI_H
#define BIDBROKER_INI_H

#include <stddef.h>

struct diag;

struct ini_pair {
        char     *key;
        char     *value;
        unsigned  line;
};

struct ini_section {
        char            *type;          /* "source" in "[source fts]" */
        char            *name;          /* "fts", or NULL */
        unsigned         line;
        struct ini_pair *pairs;
        size_t           npairs;
};

struct ini {
        char               *path;       /* as given */
        char               *dir;        /* directory of path, for relative paths */
        struct ini_section *sections;
        size_t              nsections;
};

/* Parse a file.  Returns 0 and *ret even when syntax errors were added to d
 * (callers check diag_count); -errno with err text in d when the file cannot
 * be read at all.  Keys before any section go in a section of type "". */
int ini_load(const char *path, struct ini **ret, struct diag *d);
/* Parse text held in memory; name is used in messages. */
int ini_parse(const char *name, const char *text, size_t len, struct ini **ret,
              struct diag *d);
struct ini *ini_free(struct ini *ini);          /* NULL-safe; returns NULL */

/*
 * Schema-driven reading of one section.  Each known key is described once;
 * ini_apply() checks every pair of the section against the table, reports
 * unknown keys, duplicates and bad values as FILE:LINE errors, and stores
 * parsed values through the 'off' offsets into the target struct.
 */
enum ini_type {
        INI_STR,        /* char *           (owned copy; old value freed) */
        INI_PATH,       /* char *           (relative to the file's directory) */
        INI_BOOL,       /* bool */
        INI_LONG,       /* long, min..max */
        INI_MONEY,      /* int64_t pence, min..max in pounds */
        INI_DURATION,   /* int64_t ms, min..max in ms */
        INI_LIST,       /* struct strv, items split on ',' or ';' (appends) */
};

struct ini_key {
        const char    *name;
        enum ini_type  type;
        size_t         off;             /* offsetof(target struct, field) */
        long           min, max;        /* for LONG / MONEY / DURATION */
        const char    *help;            /* one line, for --help and docs */
};

/* Apply sec's pairs to target.  'seen' (may be NULL) receives a bit per key
 * index that was present (at most 64 keys).  Returns the number of errors. */
size_t ini_apply(const struct ini *ini, const struct ini_section *sec,
                 const struct ini_key *keys, size_t nkeys, void *target,
                 unsigned long long *seen, struct diag *d);

/* Look up a key's raw value in a section, or NULL. */
const struct ini_pair *ini_get(const struct ini_section *sec, const char *key);

#endif
