/* csv.c — RFC 4180 reader for spreadsheet exports (see csv.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/csv.h"
#include "bidbroker/err.h"
#include "bidbroker/utf8.h"
#include "bidbroker/util.h"

struct parser {
        const char  *name;
        const char  *p, *end;
        unsigned     line;
        struct diag *d;
};

static void
row_add_cell(struct csv_row *r, struct buf *cell)
{
        r->cells = xreallocarray(r->cells, r->n + 1, sizeof(*r->cells));
        r->cells[r->n++] = buf_steal(cell);
}

/* Consume an end of line (CRLF, LF or CR) if there is one. */
static bool
eat_eol(struct parser *ps)
{
        if (ps->p < ps->end && *ps->p == '\r') {
                ps->p++;
                if (ps->p < ps->end && *ps->p == '\n')
                        ps->p++;
                ps->line++;
                return true;
        }
        if (ps->p < ps->end && *ps->p == '\n') {
                ps->p++;
                ps->line++;
                return true;
        }
        return false;
}

/* Skip to just past the end of the current physical line. */
static void
skip_line(struct parser *ps)
{
        while (ps->p < ps->end && *ps->p != '\r' && *ps->p != '\n')
                ps->p++;
        eat_eol(ps);
}

static void
row_error(struct parser *ps, struct csv_row *r, const char *msg)
{
        if (!r->bad)
                diag_add(ps->d, ps->name, r->line, "%s", msg);
        r->bad = true;
}

/* Read one record into r; the caller checked that input remains. */
static void
read_record(struct parser *ps, struct csv_row *r)
{
        struct buf cell;

        buf_init(&cell);
        r->line = ps->line;
        for (;;) {
                buf_reset(&cell);
                if (ps->p < ps->end && *ps->p == '"') {
                        unsigned open_line = ps->line;
                        bool closed = false;

                        ps->p++;
                        while (ps->p < ps->end) {
                                char c = *ps->p++;

                                if (c == '"') {
                                        if (ps->p < ps->end && *ps->p == '"') {
                                                buf_addc(&cell, '"');
                                                ps->p++;
                                                continue;
                                        }
                                        closed = true;
                                        break;
                                }
                                if (c == '\n' || (c == '\r' && !(ps->p < ps->end &&
                                                                 *ps->p == '\n')))
                                        ps->line++;
                                if (cell.len < CSV_MAX_CELL)
                                        buf_addc(&cell, c);
                        }
                        if (!closed) {
                                char msg[96];

                                snprintf(msg, sizeof(msg), "quoted field opened on line %u "
                                         "is never closed", open_line);
                                row_error(ps, r, msg);
                                row_add_cell(r, &cell);
                                break;
                        }
                        if (ps->p < ps->end && *ps->p != ',' && *ps->p != '\r' &&
                            *ps->p != '\n') {
                                row_error(ps, r, "text after a closing quote (a quote inside "
                                          "a quoted field is written \"\")");
                                row_add_cell(r, &cell);
                                skip_line(ps);
                                break;
                        }
                } else {
                        while (ps->p < ps->end && *ps->p != ',' && *ps->p != '\r' &&
                               *ps->p != '\n') {
                                if (cell.len < CSV_MAX_CELL)
                                        buf_addc(&cell, *ps->p);
                                ps->p++;
                        }
                }
                if (cell.len >= CSV_MAX_CELL)
                        row_error(ps, r, "a cell is too long");
                if (memchr(cell.data ? cell.data : "", '\0', cell.len) != NULL ||
                    !utf8_valid(cell.data ? cell.data : "", cell.len))
                        row_error(ps, r, "not valid UTF-8 text (save the spreadsheet as "
                                  "\"CSV UTF-8\")");
                if (r->n >= CSV_MAX_COLS) {
                        row_error(ps, r, "too many columns");
                } else {
                        row_add_cell(r, &cell);
                }
                if (ps->p < ps->end && *ps->p == ',') {
                        ps->p++;
                        continue;
                }
                eat_eol(ps);
                break;
        }
        buf_done(&cell);
}

int
csv_parse(const char *name, const char *text, size_t len, struct csv **ret, struct diag *d)
{
        struct csv *c = xcalloc(1, sizeof(*c));
        struct parser ps = { .name = name, .p = text, .end = text + len, .line = 1, .d = d };
        int r = 0;

        if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
                ps.p += 3;
        while (ps.p < ps.end) {
                struct csv_row row = { 0 };

                if (eat_eol(&ps))               /* a blank line */
                        continue;
                if (c->nrows >= CSV_MAX_ROWS) {
                        diag_add(d, name, ps.line, "too many rows (at most %d)", CSV_MAX_ROWS);
                        r = -E2BIG;
                        break;
                }
                read_record(&ps, &row);
                c->rows = xreallocarray(c->rows, c->nrows + 1, sizeof(*c->rows));
                c->rows[c->nrows++] = row;
        }
        *ret = c;
        return r;
}

struct csv *
csv_free(struct csv *c)
{
        if (c == NULL)
                return NULL;
        for (size_t i = 0; i < c->nrows; i++) {
                for (size_t j = 0; j < c->rows[i].n; j++)
                        free(c->rows[i].cells[j]);
                free(c->rows[i].cells);
        }
        free(c->rows);
        free(c);
        return NULL;
}

void
csv_put_cell(struct buf *b, const char *v)
{
        size_t n = strlen(v);

        if (strpbrk(v, ",\"\r\n") == NULL &&
            (n == 0 || (!isspace((unsigned char)v[0]) && !isspace((unsigned char)v[n - 1])))) {
                buf_adds(b, v);
                return;
        }
        buf_addc(b, '"');
        for (; *v; v++) {
                if (*v == '"')
                        buf_addc(b, '"');
                buf_addc(b, *v);
        }
        buf_addc(b, '"');
}
