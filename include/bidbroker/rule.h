/*
 * rule.h — the rule compiler's prefilter half: reduce a keyword or a PCRE2
 * pattern to "atoms", literal word pieces of which at least one is present
 * (as a folded token, see textnorm.h) in every text the rule matches.
 *
 * A rule's condition is an AND of up to RULE_CONJ_MAX OR-sets of atoms,
 * cheapest (rarest) first.  Atoms are necessary conditions, never
 * sufficient ones: the engine marks the rules all of whose sets are met by
 * a notice's tokens as candidates and verifies only those.  A rule without
 * any set has no extractable condition and goes to the engine's
 * always-check list.  Extraction is conservative: anything the regex reader
 * does not fully understand contributes nothing, so a condition may be
 * weaker than it could be but is never wrong.
 *
 *   keyword "window cleaning"      -> WORD window & WORD cleaning
 *   \bcaterers?\b                  -> PREFIX caterer
 *   clean(ing|ers)                 -> INFIX clean
 *   \b(grass|verge) cutting        -> PREFIX cutting & (WORD grass | WORD verge)
 *   \bgrass|\bverge                -> PREFIX grass | PREFIX verge
 *   \d+ hours                      -> PREFIX hours
 *   .*                             -> (nothing: always check)
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
 * n == 0: nothing could be extracted (always check).  lmax: in every match
 * such an atom begins at most lmax bytes after the match's start (-1: no
 * bound); the engine starts PCRE2 no earlier than it must. */
struct atom_set {
        struct atom *v;
        size_t       n;
        int          lmax;
};

void atom_set_init(struct atom_set *s);
void atom_set_done(struct atom_set *s);          /* frees; s reusable */

/* An AND of OR-sets, sorted by atom_cost (cheapest first); n == 0: none. */
#define RULE_CONJ_MAX   4
struct rule_atoms {
        struct atom_set conj[RULE_CONJ_MAX];
        size_t          n;
};

void rule_atoms_init(struct rule_atoms *ra);
void rule_atoms_done(struct rule_atoms *ra);     /* frees; ra reusable */
/* Drop the conditions after the first whose cost exceeds max_cost (but
 * keep the cheapest one with an lmax bound): a common extra condition
 * rarely removes a candidate but costs a postings entry on nearly every
 * notice. */
void rule_atoms_prune(struct rule_atoms *ra, double max_cost);
/* "WORD:window & WORD:cleaning", "PREFIX:grass|PREFIX:verge", "" for none;
 * caller frees. */
char *rule_atoms_format(const struct rule_atoms *ra);

/* Longest atom text kept for PREFIX/SUFFIX and INFIX atoms (a piece of a
 * necessary literal is still necessary). */
#define ATOM_AFFIX_MAX  24
#define ATOM_INFIX_MAX  16

/* Keyword: the folded words (textnorm.h) into words (initialised by the
 * caller); returns how many (0: the keyword has no words). */
size_t rule_keyword_words(const char *text, struct strv *words);
/* Keyword: each word is required (the rarest first). */
void rule_keyword_atoms(const struct strv *words, struct rule_atoms *out);

/* Regex: the condition of pattern (PCRE2 syntax, compiled caseless, UTF,
 * UCP; extended mode, verbs, conditionals and recursion give none, as do
 * patterns longer than RULE_PATTERN_MAX bytes and alternations of more than
 * 64 branch conditions). */
#define RULE_PATTERN_MAX 8192
void rule_regex_atoms(const char *pattern, struct rule_atoms *out);

/* Estimated cost (how often it will be a candidate; lower is better). */
double atom_cost(enum atom_kind kind, const char *text, size_t len);
const char *atom_kind_name(enum atom_kind k);
/* "WORD:cleaning|PREFIX:grass" (or "" for the empty set); caller frees. */
char *atom_set_format(const struct atom_set *s);

#endif
