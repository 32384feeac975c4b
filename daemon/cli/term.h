/*
 * term.h — fitting the commands' text output to the terminal: its width,
 * whether to colour, display widths of UTF-8 text, clipping with "…",
 * wrapping, and tables whose free-text column gives way.  Private to
 * daemon/cli/.
 *
 * Width: $COLUMNS when it is a number, else the window size of the output
 * when it is a terminal, else 80 (a pipe or a file gets 80 columns).
 * Colour: --color=always, never, or auto: only on a terminal, never when
 * NO_COLOR is set to anything non-empty (no-color.org) or TERM is unset or
 * dumb.
 * Widths count display columns: a multibyte character is one column, a wide
 * (CJK) one two, a combining mark none; a character is never cut in half.
 * main() sets LC_CTYPE to C.UTF-8 so that wcwidth() knows the characters.
 */
#ifndef BIDBROKER_CLI_TERM_H
#define BIDBROKER_CLI_TERM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define TERM_DEFAULT_WIDTH 80
#define TERM_MIN_WIDTH     20           /* narrower is taken as this */

enum term_color { TERM_COLOR_AUTO, TERM_COLOR_ALWAYS, TERM_COLOR_NEVER };

struct buf;

/* "auto", "always" or "never" (also yes/no, tty); -EINVAL otherwise. */
int term_parse_color(const char *arg, enum term_color *ret);

/* The width output to fd should fit (see above). */
int term_width(int fd);

/* Whether fd is a terminal that understands escape sequences (not TERM=dumb):
 * where a progress bar may redraw itself. */
bool term_can_redraw(int fd);

/* Whether output to fd is coloured under mode (see above). */
bool term_use_color(int fd, enum term_color mode);

/* Display columns of the UTF-8 string s (an invalid byte counts one). */
size_t term_columns(const char *s);

/* Append s to b clipped to cols display columns: when s is wider, as much of
 * it as fits in cols - 1 columns followed by "…".  Returns the columns
 * appended. */
size_t term_clip(struct buf *b, const char *s, size_t cols);

/* Write s to f clipped to cols columns and, when pad, padded with spaces to
 * exactly cols (right: spaces before s). */
void term_cell(FILE *f, const char *s, size_t cols, bool pad, bool right);

/* Write the line s (no newline in it) to f wrapped at spaces to cols
 * columns, continuation lines starting with cont_indent spaces; a word wider
 * than any line (a URL) is written whole, never cut.  Ends with a newline. */
void term_wrap(FILE *f, const char *s, size_t cols, size_t cont_indent);

/* term_wrap() every line of text (lines end in '\n'): a "label   value"
 * line continued under its value, an indented one 4 deeper, prose under
 * itself. */
void term_wrap_text(FILE *f, const char *text, size_t cols);

/* What write(f, arg) writes, written to out wrapped to cols columns
 * (term_wrap_text); -ENOMEM when it cannot be held. */
typedef void term_writer(FILE *f, const void *arg);
int term_wrapped(FILE *out, size_t cols, term_writer *write, const void *arg);

/* ---- tables ------------------------------------------------------------------------- */

#define TABLE_RIGHT  0x1u               /* right-aligned (numbers) */
#define TABLE_FLEX   0x2u               /* free text: gives way first (titles) */
#define TABLE_KEEP   0x4u               /* never clipped (ids people type) */

#define TABLE_ROW_DIM 0x1u              /* a row shown faint when colouring (paused) */

struct table_col {
        const char *header;
        unsigned    flags;
        size_t      min;                /* clipped no narrower than this */
};

struct table;

struct table *table_new(const struct table_col *cols, size_t ncols);
void table_free(struct table *t);

/* Add a row of ncols cells (copied; NULL is shown as "-"). */
void table_row(struct table *t, const char *const *cells, unsigned row_flags);
size_t table_rows(const struct table *t);

/*
 * Print the header and the rows to f in width columns: each column as wide
 * as its widest cell; when the whole is wider than width, the TABLE_FLEX
 * columns give way first, then the widest others (not TABLE_KEEP), each no
 * narrower than its min, clipped cells ending in "…"; only on a terminal too
 * narrow for the mins do columns go below them (three columns at least, ids
 * too).  The header is bold and TABLE_ROW_DIM rows faint when color.
 */
void table_print(const struct table *t, FILE *f, size_t width, bool color);

#endif
