/*
 * term.c — fitting text output to the terminal (term.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <stdint.h>
#include <wchar.h>

#include "bidbroker/termsafe.h"
#include "bidbroker/utf8.h"
#include "bidbroker/util.h"

#include "term.h"

static const char ellipsis[] = "\xe2\x80\xa6";     /* U+2026, one column */

#define SGR_BOLD  "\033[1m"
#define SGR_DIM   "\033[2m"
#define SGR_RESET "\033[0m"

int
term_parse_color(const char *arg, enum term_color *ret)
{
        if (strcmp(arg, "auto") == 0 || strcmp(arg, "tty") == 0)
                *ret = TERM_COLOR_AUTO;
        else if (strcmp(arg, "always") == 0 || strcmp(arg, "yes") == 0)
                *ret = TERM_COLOR_ALWAYS;
        else if (strcmp(arg, "never") == 0 || strcmp(arg, "no") == 0)
                *ret = TERM_COLOR_NEVER;
        else
                return -EINVAL;
        return 0;
}

int
term_width(int fd)
{
        const char *env = getenv("COLUMNS");
        struct winsize ws;
        long v;
        int w = TERM_DEFAULT_WIDTH;

        if (env != NULL && parse_long(env, 1, 10000, &v) == 0)
                w = (int)v;
        else if (isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
                w = ws.ws_col;
        return w < TERM_MIN_WIDTH ? TERM_MIN_WIDTH : w;
}

bool
term_can_redraw(int fd)
{
        const char *term = getenv("TERM");

        return (term == NULL || strcmp(term, "dumb") != 0) && isatty(fd) == 1;
}

bool
term_use_color(int fd, enum term_color mode)
{
        const char *no = getenv("NO_COLOR");

        if (mode != TERM_COLOR_AUTO)
                return mode == TERM_COLOR_ALWAYS;
        if ((no != NULL && *no != '\0') || getenv("TERM") == NULL)
                return false;
        return term_can_redraw(fd);
}

/* The character at s (len > 0 bytes left): its length in bytes (an invalid
 * byte alone, shown as U+FFFD) and its display columns. */
static size_t
char_at(const char *s, size_t len, size_t *cols)
{
        uint32_t cp;
        size_t n = utf8_decode_lossy(s, len, &cp);
        int w;

        if (cp < 0x80) {
                *cols = cp >= 0x20 && cp != 0x7f ? 1 : 0;
                return n;
        }
        w = wcwidth((wchar_t)cp);
        *cols = w < 0 ? 1 : (size_t)w;  /* unknown to the locale: one column */
        return n;
}

size_t
term_columns(const char *s)
{
        size_t total = 0, w, len = strlen(s);

        for (size_t i = 0; i < len; total += w)
                i += char_at(s + i, len - i, &w);
        return total;
}

/* Bytes of s that fit in cols columns; *used the columns they take. */
static size_t
fit_bytes(const char *s, size_t cols, size_t *used)
{
        size_t total = 0, w, n, i = 0, len = strlen(s);

        while (i < len) {
                n = char_at(s + i, len - i, &w);
                if (total + w > cols)
                        break;
                total += w;
                i += n;
        }
        /* combining marks after the last character stay with it */
        while (i < len && (unsigned char)s[i] >= 0x80) {
                n = char_at(s + i, len - i, &w);
                if (w != 0)
                        break;
                i += n;
        }
        *used = total;
        return i;
}

size_t
term_clip(struct buf *b, const char *s, size_t cols)
{
        size_t used, n;

        if (s == NULL)
                s = "";
        if (term_columns(s) <= cols) {
                buf_adds(b, s);
                return term_columns(s);
        }
        if (cols == 0)
                return 0;
        n = fit_bytes(s, cols - 1, &used);
        buf_add(b, s, n);
        buf_adds(b, ellipsis);
        return used + 1;
}

void
term_cell(FILE *f, const char *s, size_t cols, bool pad, bool right)
{
        struct buf b;
        size_t used;

        buf_init(&b);
        used = term_clip(&b, s, cols);
        if (pad && right)
                fprintf(f, "%*s", (int)(cols - used), "");
        if (b.len)
                fwrite(b.data, 1, b.len, f);
        if (pad && !right)
                fprintf(f, "%*s", (int)(cols - used), "");
        buf_done(&b);
}

void
term_wrap(FILE *f, const char *s, size_t cols, size_t cont_indent)
{
        size_t col, gap = 0, indent = strspn(s, " ");
        const char *p = s + indent;

        /* the line's own leading spaces are kept, and the spaces between
         * words where the line does not break */
        if (cont_indent + 10 > cols)
                cont_indent = cols > 10 ? cols - 10 : 0;
        if (indent + 10 > cols)
                indent = cont_indent;
        fprintf(f, "%*s", (int)indent, "");
        col = indent;
        while (*p) {
                size_t len = strcspn(p, " ");
                char *word = xstrndup(p, len);
                size_t w = term_columns(word);

                /* a word no line can hold (a URL) is not broken before nor
                 * cut: the terminal folds it, and it stays whole */
                if (col > indent && col + gap + w > cols && cont_indent + w <= cols) {
                        fprintf(f, "\n%*s", (int)cont_indent, "");
                        col = indent = cont_indent;
                } else if (col > indent) {
                        fprintf(f, "%*s", (int)gap, "");
                        col += gap;
                }
                fputs(word, f);
                col += w;
                free(word);
                p += len;
                gap = strspn(p, " ");
                p += gap;
        }
        fputc('\n', f);
}

/* Where a wrapped line goes on: under the value of "label    value" (two
 * spaces or more after a label within the first 24 columns), else under the
 * line itself (prose), 4 deeper when the line is indented (a list item). */
static size_t
continuation(const char *line)
{
        size_t indent = strspn(line, " ");
        const char *gap = strstr(line + indent, "  ");

        if (gap != NULL && gap - line < 24 && gap[strspn(gap, " ")] != '\0')
                return (size_t)(gap - line) + strspn(gap, " ");
        return indent ? indent + 4 : 0;
}

void
term_wrap_text(FILE *f, const char *text, size_t cols)
{
        const char *p = text;

        while (p != NULL && *p) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t)(nl - p) : strlen(p);
                char *line = xstrndup(p, len);

                term_wrap(f, line, cols, continuation(line));
                free(line);
                p = nl ? nl + 1 : NULL;
        }
}

int
term_wrapped(FILE *out, size_t cols, term_writer *write, const void *arg)
{
        char *text = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&text, &len);

        if (mem == NULL)
                return -ENOMEM;
        write(mem, arg);
        if (fclose(mem) != 0) {
                free(text);
                return -ENOMEM;
        }
        {
                char *safe = text_for_terminal(text, TERMSAFE_NEWLINE | TERMSAFE_TAB);

                term_wrap_text(out, safe, cols);
                free(safe);
        }
        free(text);
        return 0;
}

/* ---- tables ------------------------------------------------------------------------- */

struct table {
        const struct table_col *cols;
        size_t                  ncols;
        char                  **cells;  /* nrows * ncols */
        unsigned               *flags;  /* per row */
        size_t                  nrows, cap;
};

struct table *
table_new(const struct table_col *cols, size_t ncols)
{
        struct table *t = xcalloc(1, sizeof(*t));

        t->cols = cols;
        t->ncols = ncols;
        return t;
}

void
table_free(struct table *t)
{
        if (t == NULL)
                return;
        for (size_t i = 0; i < t->nrows * t->ncols; i++)
                free(t->cells[i]);
        free(t->cells);
        free(t->flags);
        free(t);
}

void
table_row(struct table *t, const char *const *cells, unsigned row_flags)
{
        if (t->nrows == t->cap) {
                t->cap = t->cap ? t->cap * 2 : 16;
                t->cells = xreallocarray(t->cells, t->cap * t->ncols, sizeof(*t->cells));
                t->flags = xreallocarray(t->flags, t->cap, sizeof(*t->flags));
        }
        for (size_t i = 0; i < t->ncols; i++)
                t->cells[t->nrows * t->ncols + i] = text_for_terminal(cells[i] ? cells[i] : "-",
                                                                      0);
        t->flags[t->nrows++] = row_flags;
}

size_t
table_rows(const struct table *t)
{
        return t->nrows;
}

#define TABLE_NARROWEST 3               /* "ab…" */

/* Take up to excess columns from column i down to its min; returns what it took. */
static size_t
give_way(size_t *w, size_t min, size_t excess)
{
        size_t take = *w > min ? *w - min : 0;

        if (take > excess)
                take = excess;
        *w -= take;
        return take;
}

/* The widths of the columns in width (see table_print()); w has ncols slots. */
static void
table_layout(const struct table *t, size_t width, size_t *w)
{
        size_t total = 0, excess;

        for (size_t c = 0; c < t->ncols; c++) {
                w[c] = term_columns(t->cols[c].header);
                for (size_t r = 0; r < t->nrows; r++) {
                        size_t cw = term_columns(t->cells[r * t->ncols + c]);

                        if (cw > w[c])
                                w[c] = cw;
                }
                total += w[c] + (c ? 1 : 0);
        }
        if (total <= width)
                return;
        excess = total - width;
        /* the free text first, then the widest others, each to its min;
         * on a very narrow terminal the free text to TABLE_NARROWEST, then
         * every column, widest first */
        for (int phase = 0; phase < 4 && excess; phase++) {
                for (size_t c = 0; c < t->ncols && excess && phase % 2 == 0; c++)
                        if (t->cols[c].flags & TABLE_FLEX)
                                excess -= give_way(&w[c], phase ? TABLE_NARROWEST :
                                                   t->cols[c].min, excess);
                while (excess && phase % 2 == 1) {
                        size_t best = SIZE_MAX;

                        for (size_t c = 0; c < t->ncols; c++) {
                                size_t floor = phase == 1 ? t->cols[c].min : TABLE_NARROWEST;

                                if ((phase == 1 && (t->cols[c].flags & TABLE_KEEP)) ||
                                    w[c] <= floor)
                                        continue;
                                if (best == SIZE_MAX || w[c] > w[best])
                                        best = c;
                        }
                        if (best == SIZE_MAX)
                                break;
                        w[best]--;
                        excess--;
                }
        }
}

static void
table_line(const struct table *t, FILE *f, const char *const *cells, const size_t *w)
{
        for (size_t c = 0; c < t->ncols; c++) {
                bool last = c + 1 == t->ncols;

                if (c)
                        fputc(' ', f);
                term_cell(f, cells[c], w[c], !last || (t->cols[c].flags & TABLE_RIGHT),
                          t->cols[c].flags & TABLE_RIGHT);
        }
}

void
table_print(const struct table *t, FILE *f, size_t width, bool color)
{
        size_t *w = xcalloc(t->ncols, sizeof(*w));
        const char **hdr = xcalloc(t->ncols, sizeof(*hdr));

        table_layout(t, width, w);
        for (size_t c = 0; c < t->ncols; c++)
                hdr[c] = t->cols[c].header;
        if (color)
                fputs(SGR_BOLD, f);
        table_line(t, f, hdr, w);
        fputs(color ? SGR_RESET "\n" : "\n", f);
        for (size_t r = 0; r < t->nrows; r++) {
                bool dim = color && (t->flags[r] & TABLE_ROW_DIM);

                if (dim)
                        fputs(SGR_DIM, f);
                table_line(t, f, (const char *const *)&t->cells[r * t->ncols], w);
                fputs(dim ? SGR_RESET "\n" : "\n", f);
        }
        free(hdr);
        free(w);
}
