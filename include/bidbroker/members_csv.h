/*
 * members_csv.h — the member register as a spreadsheet: export, per-field
 * differences, import.
 */
#ifndef BIDBROKER_MEMBERS_CSV_H
#define BIDBROKER_MEMBERS_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "bidbroker/util.h"

struct buf;
struct diag;
struct member;
struct member_register;
struct taxonomy;

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
