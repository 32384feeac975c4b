/*
 * rule.h — the rule compiler's prefilter half: reduce a keyword or a PCRE2
 * pattern to "atoms", literal word pieces of which at least one is present
 * (as a folded token, see textnorm.h) in every text the rule matches.
 *
 * Atoms are necessary conditions, never sufficient ones: the engine marks
 * the rules whose atom occurs in a notice as candidates and verifies only
 * those.  A rule whose set is empty has no extractable condition and goes to
 * the engine's always-check list.  Extraction is conservative: anything the
 * regex parser does not fully understand contributes nothing, so an atom set
 * may be weaker than it could be but is never wrong.
 *
 *   keyword "window cleaning"      -> { WORD "cleaning" }       (rarest word)
 *   \bcaterers?\b                  -> { WORD/PREFIX "caterer" }
 *   clean(ing|ers)                 -> { INFIX "clean" }
 *   \b(grass|verge) cutting        -> { WORD "cutting" }
 *   \bgrass|\bverge                -> { PREFIX "grass", PREFIX "verge" }
 *   \d+ hours                      -> { PREFIX "hours" }
 *   .*                             -> { }  (always check)
 */
#ifndef BIDBROKER_RULE_H
#define BIDBROKER_RULE_H

#include <stdbool.h>
#include <stddef.h>

#include "bidbroker/util.h"

enum atom_kind {
        ATOM_WORD,      /* a token equals the text */
        ATOM_PREFIX,    /* a token starts with the text */
        ATOM_SUFFIX,    /* a token ends with the text */
        ATOM_INFIX,     /* a token contains the text */
};

struct atom {
        enum atom_kind kind;
        char          *text;    /* owned; folded: [a-z0-9]+ */
};

/* An OR of atoms: every match of the rule contains at least one of them.
 * n == 0: nothing could be extracted (always check). */
struct atom_set {
        struct atom *v;
        size_t       n;
};

void atom_set_init(struct atom_set *s);
void atom_set_done(struct atom_set *s);          /* frees; s reusable */

/* Longest atom text kept for PREFIX/SUFFIX and INFIX atoms (a piece of a
 * necessary literal is still necessary). */
#define ATOM_AFFIX_MAX  24
#define ATOM_INFIX_MAX  16

/* Keyword: the folded words (textnorm.h) into words (initialised by the
 * caller); returns how many (0: the keyword has no words). */
size_t rule_keyword_words(const char *text, struct strv *words);
/* Keyword: its rarest word as one ATOM_WORD. */
void rule_keyword_atoms(const struct strv *words, struct atom_set *out);

/* Regex: the atoms of pattern (PCRE2 syntax, compiled caseless, UTF, UCP;
 * extended mode, verbs, conditionals and recursion give an empty set). */
void rule_regex_atoms(const char *pattern, struct atom_set *out);

/* Estimated cost (how often it will be a candidate; lower is better). */
double atom_cost(enum atom_kind kind, const char *text, size_t len);
/* True if the folded token tok[0..len) satisfies a. */
bool atom_matches_token(const struct atom *a, const char *tok, size_t len);
const char *atom_kind_name(enum atom_kind k);
/* "WORD:cleaning|PREFIX:grass" (or "" for the empty set); caller frees. */
char *atom_set_format(const struct atom_set *s);

#endif
