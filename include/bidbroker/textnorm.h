/*
 * textnorm.h — text normalisation for matching: case and
 * diacritic folding of UTF-8 text, and word tokens with positions.
 *
 * A token is a maximal run of "token characters": ASCII letters and digits,
 * the letters of Latin-1 and Latin Extended-A (U+00C0..U+017F except × and
 * ÷), U+1E9E ẞ, U+212A (Kelvin sign) and U+212B (Angstrom sign).  Each is
 * folded to lower-case ASCII without diacritics ("É" -> "e", "ß" -> "ss",
 * "Æ" -> "ae", "Œ" -> "oe", "Þ" -> "th", "Ĳ" -> "ij").  Everything else
 * (spaces, punctuation, apostrophes ' and ’, symbols, combining marks,
 * letters of other scripts, invalid UTF-8 bytes) separates tokens, so
 * "Children’s" gives the words "children" "s".
 *
 * The set of token characters is deliberately a subset of what PCRE2 (UCP)
 * calls word characters: a regex word boundary \b is then always a token
 * boundary too, which the prefilter (rule.h) relies on.
 *
 * Tokens of one string get consecutive positions; a new segment (another lot
 * title) starts two positions further on, so that no phrase spans two
 * segments.  Folded token text is kept in one arena owned by struct tn_text.
 */
#ifndef BIDBROKER_TEXTNORM_H
#define BIDBROKER_TEXTNORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tn_token {
        uint64_t hash;          /* tn_hash() of the folded text */
        uint32_t off;           /* folded text: tn_text.fold + off */
        uint32_t len;           /* folded length in bytes */
        uint32_t src;           /* byte offset in the original string */
        uint32_t srclen;        /* byte length in the original string */
        uint32_t pos;           /* position; consecutive words differ by 1 */
        uint32_t seg;           /* segment (string index within a field) */
};

struct tn_text {
        struct tn_token *tok;
        size_t           n, cap;
        char            *fold;  /* folded token text, not NUL-separated */
        size_t           flen, fcap;
        size_t           invalid;       /* invalid UTF-8 sequences seen */
};

void tn_init(struct tn_text *t);
void tn_done(struct tn_text *t);        /* frees; t reusable after tn_init */
void tn_reset(struct tn_text *t);       /* n = 0, keeps memory */

/* Append the tokens of s (len bytes, any bytes) as segment seg.  *pos is the
 * next free position and is advanced (by the token count + 1). */
void tn_tokenize(struct tn_text *t, const char *s, size_t len, uint32_t seg,
                 uint32_t *pos);

/* FNV-1a, 64 bit: the hash tokens carry. */
static inline uint64_t
tn_hash(const char *s, size_t n)
{
        uint64_t h = 0xcbf29ce484222325ull;

        for (size_t i = 0; i < n; i++)
                h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
        return h;
}

/* Fold one code point: writes 0..2 ASCII bytes to out and returns how many;
 * 0 means "not a token character" (a separator). */
size_t tn_fold_cp(uint32_t cp, char out[2]);

/* Fold a whole string to "word word word" (single spaces) into a new string;
 * the caller frees it.  Convenience for tests and messages. */
char *tn_fold_words(const char *s);

#endif
