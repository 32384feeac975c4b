/*
 * csv.h — a strict reader for spreadsheet exports (RFC 4180): fields
 * separated by ',', optionally quoted with '"' ("" is a quote inside a quoted
 * field, which may span lines), records ending in CRLF, LF or CR, an optional
 * UTF-8 byte-order mark.  Used by `bidbroker members import`.
 *
 * Every problem is reported "FILE:LINE: message" (LINE is where the record
 * starts) and the record is kept, marked bad, so callers can count it as
 * rejected and go on.  Blank lines are skipped.  Ownership: struct csv owns
 * every row and cell.
 */
#ifndef BIDBROKER_CSV_H
#define BIDBROKER_CSV_H

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct diag;

#define CSV_MAX_ROWS    200000
#define CSV_MAX_COLS    256
#define CSV_MAX_CELL    65536

struct csv_row {
        char   **cells;         /* NUL-terminated UTF-8 (unless bad) */
        size_t   n;
        unsigned line;          /* physical line the record starts on */
        bool     bad;           /* a parse error was reported for it */
};

struct csv {
        struct csv_row *rows;
        size_t          nrows;
};

/* Parse text (name for messages).  Always returns 0 with *ret set; problems
 * are in d and bad rows are marked.  -E2BIG when there are too many rows. */
int csv_parse(const char *name, const char *text, size_t len, struct csv **ret,
              struct diag *d);
struct csv *csv_free(struct csv *c);                    /* NULL-safe, returns NULL */

/* Append v to b as one CSV cell: as is, or quoted ("" for a quote) when it
 * holds a comma, quote or line break or starts or ends with white space. */
void csv_put_cell(struct buf *b, const char *v);

#endif
