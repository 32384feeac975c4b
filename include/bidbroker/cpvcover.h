/*
 * cpvcover.h — the CPV coverage table (conf/cpv-coverage.conf): where each
 * CPV 2008 code is placed, under one or more capabilities or explicitly out
 * of scope with a reason.  It is the one source of "this CPV code means this
 * capability"; the taxonomy names it ([taxonomy] cpv_coverage = FILE).
 *
 * File format (docs/matching.md, "CPV coverage"), one placement a line:
 *
 *   PREFIX  CAPABILITY[, CAPABILITY ...]
 *   PREFIX  out-of-scope: REASON
 *
 * PREFIX is 2 to 8 digits, or an 8-digit code with or without its check
 * digit, which stands for its subtree (trailing zeros dropped: 90910000 =
 * 9091).  A code is placed by the line with the LONGEST prefix that starts
 * it, so a division can be placed as a whole and a group or class inside it
 * placed otherwise.  '#' starts a comment line; blank lines are ignored.
 * Every problem is reported as FILE:LINE.  Ownership: struct cpvcover owns
 * every string in it.
 */
#ifndef BIDBROKER_CPVCOVER_H
#define BIDBROKER_CPVCOVER_H

#include <stddef.h>
#include <stdint.h>

struct cpvref;
struct diag;
struct strv;
struct cpvcover;

struct cpvcover_line {
        const char     *prefix;         /* digits, 2..8 */
        const uint32_t *caps;           /* indices into the capability list given */
        size_t          ncaps;          /* 0 when out of scope */
        const char     *reason;         /* out-of-scope reason, or NULL */
        const char     *file;
        unsigned        line;
};

/*
 * Load FILE.  caps lists the valid capability ids (a line's ids are stored as
 * indices into it); ref (may be NULL) checks that every prefix starts a real
 * CPV 2008 code.  0, or -EINVAL / -errno with every problem in d.
 */
int cpvcover_load(const char *path, const struct strv *caps, const struct cpvref *ref,
                  struct cpvcover **ret, struct diag *d);
struct cpvcover *cpvcover_free(struct cpvcover *c);             /* NULL-safe */

const char *cpvcover_path(const struct cpvcover *c);
/* Lines in prefix order. */
size_t cpvcover_count(const struct cpvcover *c);
const struct cpvcover_line *cpvcover_line(const struct cpvcover *c, size_t i);
/* The line placing code (digits; only the first 8 count): the one with the
 * longest prefix that starts it, or NULL when no line does. */
const struct cpvcover_line *cpvcover_lookup(const struct cpvcover *c, const char *code);

#endif
