/*
 * termsafe.h — text made safe to show to people on a terminal.
 *
 * Text from outside (feed titles, server error pages, a user's argument
 * echoed in an error) may carry characters that act on a terminal or hide
 * what is there: C0 controls (ESC starts escape sequences that can move the
 * cursor, recolour, retitle the window or, on some terminals, answer back),
 * DEL, C1 controls (U+0080..U+009F; CSI is U+009B), and Unicode format
 * characters (general category Cf: the bidirectional overrides and isolates
 * U+202A..U+202E, U+2066..U+2069 that reorder what is shown, U+200E/U+200F,
 * zero-width characters, U+FEFF...) plus the line and paragraph separators
 * U+2028/U+2029.  Each is shown instead as "<U+202E>"; a byte that is not
 * UTF-8 as "<0x9B>".  Everything else passes unchanged.
 *
 * --json output does not go through here: it is data, and JSON escapes the
 * C0 controls itself ("\u001b"); format characters stay as they are.
 */
#ifndef BIDBROKER_TERMSAFE_H
#define BIDBROKER_TERMSAFE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct buf;

#define TERMSAFE_NEWLINE 0x1u           /* keep '\n' (multi-line text) */
#define TERMSAFE_TAB     0x2u           /* keep '\t' */

/* Whether code point cp is shown escaped (newline and tab: per keep). */
bool termsafe_escaped(uint32_t cp, unsigned keep);

/* Append s[0..len) to b, made safe. */
void termsafe_buf(struct buf *b, const char *s, size_t len, unsigned keep);

/* s made safe, as a new string (caller frees); NULL in, NULL out. */
char *text_for_terminal(const char *s, unsigned keep);

/* s made safe into out (size > 0), NUL-terminated, cut on a character (or
 * escape) boundary when it does not fit; returns strlen(out).  No
 * allocation: for log lines. */
size_t termsafe_copy(char *out, size_t size, const char *s, unsigned keep);

/* fputs(s made safe, f). */
int termsafe_fputs(const char *s, FILE *f, unsigned keep);

#endif
