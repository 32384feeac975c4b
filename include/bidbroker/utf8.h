/*
 * utf8.h — the one UTF-8 decoder, validator and encoder.
 *
 * Valid UTF-8 is what RFC 3629 allows: a sequence of 1..4 bytes, no overlong
 * form, no surrogate (U+D800..U+DFFF), nothing above U+10FFFF, nothing cut
 * short.  A NUL byte is valid UTF-8 (callers that refuse it say so).
 */
#ifndef BIDBROKER_UTF8_H
#define BIDBROKER_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

#define UTF8_REPLACEMENT 0xFFFDu        /* U+FFFD REPLACEMENT CHARACTER */

/* Length (1..4) of the valid UTF-8 sequence at s (len bytes available) with
 * its code point in *cp, or 0 (*cp untouched) when s does not start with one
 * or len is 0. */
size_t utf8_decode(const char *s, size_t len, uint32_t *cp);

/* utf8_decode(), but a byte that does not start a valid sequence is read as
 * one byte standing for U+FFFD.  len must be > 0; never returns 0. */
size_t utf8_decode_lossy(const char *s, size_t len, uint32_t *cp);

/* True when the len bytes of s are valid UTF-8. */
bool utf8_valid(const char *s, size_t len);

/* Append the UTF-8 encoding of code point cp (U+FFFD for a surrogate or
 * anything above U+10FFFF). */
void utf8_put(struct buf *b, uint32_t cp);

/* The largest n <= max such that s[0..n) ends on a character boundary of
 * the UTF-8 text s (len bytes). */
size_t utf8_cut(const char *s, size_t len, size_t max);

#endif
