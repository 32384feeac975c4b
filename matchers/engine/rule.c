/*
 * rule.c — atoms (necessary literal word pieces) of keywords and PCRE2
 * patterns, for the engine's prefilter (see rule.h).
 *
 * The regex analysis is a small recursive-descent reader of PCRE2 syntax.
 * Each branch becomes a sequence of items:
 *
 *   W(c)   one character that is certainly the ASCII letter/digit c (any case)
 *   S      at least one character that is certainly a token separator
 *   B      \b;  START ^ \A;  END $ \z \Z  (zero width, certainly a token edge
 *          next to a W)
 *   X      anything else: unknown width, unknown characters
 *
 * A maximal run of W items is a literal piece of some token.  Its edges are
 * known token edges when the neighbouring item is S, B, START or END, which
 * gives the atom kind (WORD, PREFIX, SUFFIX or INFIX).  A concatenation
 * needs every run, so the cheapest one is kept (AND); an alternation needs
 * one branch, so the branches' sets are united (OR), and a branch without
 * atoms makes the whole alternation atom-less.  Optional parts become X.
 * Whatever the reader does not understand becomes X, and constructs that
 * change the syntax (extended mode, verbs, conditionals, recursion) abandon
 * the analysis: an empty set, the always-check list.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/rule.h"
#include "bidbroker/textnorm.h"
#include "bidbroker/utf8.h"
#include "bidbroker/util.h"

void
atom_set_init(struct atom_set *s)
{
        s->v = NULL;
        s->n = 0;
        s->lmax = -1;
}

void
atom_set_done(struct atom_set *s)
{
        for (size_t i = 0; i < s->n; i++)
                free(s->v[i].text);
        free(s->v);
        atom_set_init(s);
}

static void
atom_set_add(struct atom_set *s, enum atom_kind kind, const char *text, size_t len)
{
        for (size_t i = 0; i < s->n; i++)
                if (s->v[i].kind == kind && strlen(s->v[i].text) == len &&
                    memcmp(s->v[i].text, text, len) == 0)
                        return;
        s->v = xreallocarray(s->v, s->n + 1, sizeof(*s->v));
        s->v[s->n].kind = kind;
        s->v[s->n].text = xstrndup(text, len);
        s->n++;
}

const char *
atom_kind_name(enum atom_kind k)
{
        switch (k) {
        case ATOM_WORD:   return "WORD";
        case ATOM_PREFIX: return "PREFIX";
        case ATOM_SUFFIX: return "SUFFIX";
        case ATOM_INFIX:  return "INFIX";
        }
        return "?";
}

char *
atom_set_format(const struct atom_set *s)
{
        struct buf b;

        buf_init(&b);
        buf_adds(&b, "");
        for (size_t i = 0; i < s->n; i++)
                buf_printf(&b, "%s%s:%s", i ? "|" : "", atom_kind_name(s->v[i].kind),
                           s->v[i].text);
        return buf_steal(&b);
}

/* ---- cost: how often an atom is expected to occur ------------------------ */

/* Function words: in nearly every notice. */
static const char *const stop_words[] = {
        "a", "about", "all", "also", "an", "and", "any", "are", "as", "at", "be", "been",
        "being", "by", "can", "do", "each", "for", "from", "has", "have", "if", "in",
        "into", "is", "it", "its", "may", "more", "must", "no", "not", "of", "on", "one",
        "or", "other", "our", "over", "per", "should", "such", "that", "the", "their",
        "there", "these", "this", "to", "under", "up", "use", "was", "we", "which",
        "will", "with", "within", "would", "you", "your",
};

/* The everyday words of notices: in many of them. */
static const char *const common_words[] = {
        "contract", "contracts", "council", "date", "delivery", "details", "including",
        "new", "notice", "period", "procurement", "project", "provide", "provider",
        "providers", "provision", "required", "requirement", "requirements", "service",
        "services", "supplier", "suppliers", "supply", "support", "tender", "uk", "value",
        "work", "works", "year", "years",
};

static bool
in_list(const char *const *list, size_t n, const char *text, size_t len)
{
        for (size_t i = 0; i < n; i++)
                if (strlen(list[i]) == len && memcmp(list[i], text, len) == 0)
                        return true;
        return false;
}

/*
 * Roughly the chance that the atom occurs in a notice: a specific word of
 * length L about 2 / L^2.5; a prefix or suffix 2.5 times, a piece inside
 * words 5 to 8 times as likely; function words nearly always, the everyday
 * words of notices often.  A set's cost is the sum, capped at 1.
 */
double
atom_cost(enum atom_kind kind, const char *text, size_t len)
{
        static const double kind_mult[] = {
                [ATOM_WORD] = 1, [ATOM_PREFIX] = 2.5, [ATOM_SUFFIX] = 2.5, [ATOM_INFIX] = 5,
        };
        double l = (double)(len > 12 ? 12 : len ? len : 1);
        double c;

        if (in_list(stop_words, ARRAY_SIZE(stop_words), text, len))
                return kind == ATOM_WORD ? 0.95 : 1.0;
        if (in_list(common_words, ARRAY_SIZE(common_words), text, len))
                return kind == ATOM_WORD ? 0.3 : 0.6;
        c = 2.0 / pow(l, 2.5) * kind_mult[kind];
        if (kind == ATOM_INFIX && len <= 3)
                c *= 1.6;
        return c > 1.0 ? 1.0 : c;
}

static double
set_cost(const struct atom_set *s)
{
        double c = 0;

        for (size_t i = 0; i < s->n; i++)
                c += atom_cost(s->v[i].kind, s->v[i].text, strlen(s->v[i].text));
        return c > 1.0 ? 1.0 : c;
}

static int width_add(int a, int b);

void
rule_atoms_init(struct rule_atoms *ra)
{
        memset(ra, 0, sizeof(*ra));
}

void
rule_atoms_done(struct rule_atoms *ra)
{
        for (size_t i = 0; i < ra->n; i++)
                atom_set_done(&ra->conj[i]);
        rule_atoms_init(ra);
}

static bool
set_equal(const struct atom_set *a, const struct atom_set *b)
{
        if (a->n != b->n)
                return false;
        for (size_t i = 0; i < a->n; i++)
                if (a->v[i].kind != b->v[i].kind || strcmp(a->v[i].text, b->v[i].text) != 0)
                        return false;
        return true;
}

/* AND: add one more necessary condition (taken over; an empty set carries
 * no information and is dropped).  The conditions stay sorted by cost and
 * only the RULE_CONJ_MAX cheapest are kept: fewer conditions are weaker,
 * never wrong. */
static void
conj_add(struct rule_atoms *ra, struct atom_set *set)
{
        double c;
        size_t at;

        if (set->n == 0)
                return;
        for (size_t i = 0; i < ra->n; i++)
                if (set_equal(&ra->conj[i], set)) {
                        /* both bounds hold: keep the tighter */
                        if (set->lmax >= 0 &&
                            (ra->conj[i].lmax < 0 || set->lmax < ra->conj[i].lmax))
                                ra->conj[i].lmax = set->lmax;
                        atom_set_done(set);
                        return;
                }
        c = set_cost(set);
        for (at = 0; at < ra->n && set_cost(&ra->conj[at]) <= c; at++)
                ;
        if (at >= RULE_CONJ_MAX) {
                atom_set_done(set);
                return;
        }
        if (ra->n == RULE_CONJ_MAX)
                atom_set_done(&ra->conj[--ra->n]);
        memmove(&ra->conj[at + 1], &ra->conj[at], (ra->n - at) * sizeof(ra->conj[0]));
        ra->conj[at] = *set;
        ra->n++;
        atom_set_init(set);
}

/* AND of two conjunctions: src's conditions move into dst; src's bounds
 * were relative to a point offset bytes (-1: unknown) after dst's start. */
static void
conj_merge(struct rule_atoms *dst, struct rule_atoms *src, int offset)
{
        for (size_t i = 0; i < src->n; i++) {
                src->conj[i].lmax = (src->conj[i].lmax < 0 || offset < 0) ? -1 :
                                    width_add(src->conj[i].lmax, offset);
                conj_add(dst, &src->conj[i]);
        }
        src->n = 0;
}

static void
conj_copy_into(struct rule_atoms *dst, const struct rule_atoms *src)
{
        for (size_t i = 0; i < src->n; i++) {
                struct atom_set c;

                atom_set_init(&c);
                for (size_t k = 0; k < src->conj[i].n; k++)
                        atom_set_add(&c, src->conj[i].v[k].kind, src->conj[i].v[k].text,
                                     strlen(src->conj[i].v[k].text));
                c.lmax = src->conj[i].lmax;
                conj_add(dst, &c);
        }
}

void
rule_atoms_prune(struct rule_atoms *ra, double max_cost)
{
        size_t w = ra->n ? 1 : 0;
        bool bounded = ra->n && ra->conj[0].lmax >= 0;

        for (size_t i = 1; i < ra->n; i++) {
                bool keep = set_cost(&ra->conj[i]) <= max_cost;

                /* the cheapest condition with a match-start bound stays:
                 * it gives the engine its PCRE2 windows */
                if (!bounded && ra->conj[i].lmax >= 0) {
                        bounded = true;
                        keep = true;
                }
                if (keep)
                        ra->conj[w++] = ra->conj[i];
                else
                        atom_set_done(&ra->conj[i]);
        }
        ra->n = w;
}

char *
rule_atoms_format(const struct rule_atoms *ra)
{
        struct buf b;

        buf_init(&b);
        buf_adds(&b, "");
        for (size_t i = 0; i < ra->n; i++) {
                char *one = atom_set_format(&ra->conj[i]);

                buf_printf(&b, "%s%s", i ? " & " : "", one);
                free(one);
        }
        return buf_steal(&b);
}

/* ---- keywords ---------------------------------------------------------- */

size_t
rule_keyword_words(const char *text, struct strv *words)
{
        struct tn_text t;
        uint32_t pos = 0;
        size_t n;

        tn_init(&t);
        tn_tokenize(&t, text, strlen(text), 0, &pos);
        for (size_t i = 0; i < t.n; i++)
                strv_take(words, xstrndup(t.fold + t.tok[i].off, t.tok[i].len));
        n = t.n;
        tn_done(&t);
        return n;
}

void
rule_keyword_atoms(const struct strv *words, struct rule_atoms *out)
{
        rule_atoms_done(out);
        for (size_t i = 0; i < words->n; i++) {
                struct atom_set one;

                atom_set_init(&one);
                atom_set_add(&one, ATOM_WORD, words->v[i], strlen(words->v[i]));
                conj_add(out, &one);
        }
}

/* ---- regex reader -------------------------------------------------------- */

enum { IT_S = -1, IT_B = -2, IT_START = -3, IT_END = -4, IT_X = -5, IT_XU = -6, IT_X0 = -7 };

/* An optional W or S item ("s?", "-?", "[- ]?"): OPT(x).  Everything but
 * runs_req() sees an unknown item (negative, not an edge); runs_req()
 * works out the condition with and without it (at most OPT_EXPAND of them
 * per branch; further ones stay unknown). */
#define IT_OPT_BASE     (-1000)
#define OPT(x)          (IT_OPT_BASE - ((x) + 8))
#define IS_OPT(v)       ((v) <= IT_OPT_BASE)
#define OPT_ITEM(v)     (IT_OPT_BASE - (v) - 8)
#define OPT_EXPAND      3

#define UNION_MAX 64            /* more alternatives than this: no condition */

/* Items, each with the most bytes of subject it can consume (-1: no bound):
 * a W is 3 (caseless 'k' also matches the 3-byte Kelvin sign), S and X one
 * character of up to 4 bytes, edges none; IT_XU is an X without a bound
 * (back reference, \X), IT_X0 an X of zero width (lookaround). */
struct items {
        int    *v;
        int    *w;
        size_t  n, cap;
};

static int
default_width(int x)
{
        switch (x) {
        case IT_B: case IT_START: case IT_END: case IT_X0:
                return 0;
        case IT_S: case IT_X:
                return 4;
        case IT_XU:
                return -1;
        default:
                return 3;
        }
}

static void
items_pushw(struct items *it, int x, int w)
{
        if (it->n == it->cap) {
                it->cap = it->cap ? 2 * it->cap : 16;
                it->v = xreallocarray(it->v, it->cap, sizeof(*it->v));
                it->w = xreallocarray(it->w, it->cap, sizeof(*it->w));
        }
        it->v[it->n] = x;
        it->w[it->n++] = w;
}

static void
items_push(struct items *it, int x)
{
        items_pushw(it, x, default_width(x));
}

static void
items_done(struct items *it)
{
        free(it->v);
        free(it->w);
        memset(it, 0, sizeof(*it));
}

/* Sum of widths, -1 when any is unbounded. */
static int
width_add(int a, int b)
{
        if (a < 0 || b < 0 || a > 1000000 || b > 1000000)
                return -1;
        return a + b;
}

static int
width_mul(int w, long max)
{
        if (w < 0 || max < 0 || max > 100000)
                return -1;
        return (long)w * max > 1000000 ? -1 : (int)(w * max);
}

static int
items_width(const struct items *it, size_t upto)
{
        int sum = 0;

        for (size_t i = 0; i < upto; i++)
                sum = width_add(sum, it->w[i]);
        return sum;
}

struct rxp {
        const char *s;
        size_t      i, n;
        int         depth;
        bool        fail;       /* give up: no atoms at all */
};

/* One branch of a group: its items and the requirement of the groups
 * nested in it. */
struct branch {
        struct items      items;
        struct rule_atoms nested;
};

/* A parsed group (or the whole pattern): its branches.  The requirement of
 * the group is computed once the items around it are known (node_full). */
struct node {
        struct branch *b;
        size_t         nbranch;
};

static void parse_alt(struct rxp *p, struct node *out, int lead);

static bool
is_alnum(int c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
lower(int c)
{
        return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/* Item for one literal character (byte c, possibly the start of UTF-8). */
static int
literal_item(struct rxp *p, unsigned char c)
{
        if (c >= 0x80) {
                uint32_t cp;
                size_t l = utf8_decode_lossy(p->s + p->i - 1, p->n - p->i + 1, &cp);

                p->i += l - 1;
                return IT_X;
        }
        if (is_alnum(c))
                return lower(c);
        return IT_S;            /* every other ASCII character separates tokens */
}

/* Skip a {...} / <...> / '...' name after \g, \k, \p, \x, \o. */
static void
skip_braced(struct rxp *p, char open, char close)
{
        if (p->i < p->n && p->s[p->i] == open) {
                p->i++;
                while (p->i < p->n && p->s[p->i] != close)
                        p->i++;
                if (p->i < p->n)
                        p->i++;
        }
}

/* After a backslash outside a class (p->i at the escaped character). */
static int
escape_item(struct rxp *p)
{
        unsigned char c;

        if (p->i >= p->n)
                return IT_X;
        c = (unsigned char)p->s[p->i++];
        switch (c) {
        case 'b': return IT_B;
        case 'A': return IT_START;
        case 'z': case 'Z': return IT_END;
        case 's': case 'h': case 'v': case 'R': case 'W':
        case 'n': case 't': case 'r': case 'f': case 'e': case 'a':
                return IT_S;
        case 'p': case 'P':
                if (p->i < p->n && p->s[p->i] == '{')
                        skip_braced(p, '{', '}');
                else if (p->i < p->n)
                        p->i++;
                return IT_X;
        case 'x':
                if (p->i < p->n && p->s[p->i] == '{') {
                        skip_braced(p, '{', '}');
                } else {
                        for (int k = 0; k < 2 && p->i < p->n &&
                             strchr("0123456789abcdefABCDEF", p->s[p->i]) && p->s[p->i];
                             k++)
                                p->i++;
                }
                return IT_X;
        case 'o':
                skip_braced(p, '{', '}');
                return IT_X;
        case 'c':
                if (p->i < p->n)
                        p->i++;
                return IT_X;
        case 'g':
                if (p->i < p->n && (p->s[p->i] == '{' || p->s[p->i] == '<' ||
                                    p->s[p->i] == '\'')) {
                        char o = p->s[p->i];

                        skip_braced(p, o, o == '{' ? '}' : o == '<' ? '>' : '\'');
                } else {
                        if (p->i < p->n && (p->s[p->i] == '-' || p->s[p->i] == '+'))
                                p->i++;
                        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
                                p->i++;
                }
                return IT_XU;
        case 'k':
                if (p->i < p->n) {
                        char o = p->s[p->i];

                        skip_braced(p, o, o == '{' ? '}' : o == '<' ? '>' : '\'');
                }
                return IT_XU;
        default:
                break;
        }
        if (c >= '0' && c <= '9') {     /* back reference or octal */
                while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
                        p->i++;
                return IT_XU;
        }
        if (c == 'X' || c == 'R')
                return c == 'X' ? IT_XU : IT_S;
        if (c >= 0x80)
                return literal_item(p, c);
        if (is_alnum(c))                /* \d \w \S \B \G \K \N \X \C ... */
                return IT_X;
        return IT_S;                    /* an escaped punctuation character */
}

/* A character class, p->i just after '['. */
static int
class_item(struct rxp *p)
{
        bool neg = false, complex = false, sep_escape = false;
        unsigned char set[128] = { 0 };
        bool first = true;
        int prev = -1;          /* last single ASCII char, for ranges */

        if (p->i < p->n && p->s[p->i] == '^') {
                neg = true;
                p->i++;
        }
        while (p->i < p->n) {
                unsigned char c = (unsigned char)p->s[p->i];
                int ch = -1;

                if (c == ']' && !first) {
                        p->i++;
                        goto done;
                }
                first = false;
                if (c == '[' && p->i + 1 < p->n &&
                    (p->s[p->i + 1] == ':' || p->s[p->i + 1] == '.' ||
                     p->s[p->i + 1] == '=')) {
                        const char *e = strstr(p->s + p->i + 2, ":]");

                        complex = true;
                        if (e == NULL || p->s[p->i + 1] != ':') {
                                p->fail = true;
                                return IT_X;
                        }
                        p->i = (size_t)(e - p->s) + 2;
                        prev = -1;
                        continue;
                }
                if (c == '\\') {
                        unsigned char e;

                        p->i++;
                        if (p->i >= p->n)
                                break;
                        e = (unsigned char)p->s[p->i++];
                        if (e == 'Q') {         /* \Q...\E inside a class */
                                while (p->i < p->n &&
                                       !(p->s[p->i] == '\\' && p->i + 1 < p->n &&
                                         p->s[p->i + 1] == 'E')) {
                                        unsigned char q = (unsigned char)p->s[p->i++];

                                        if (q >= 0x80)
                                                complex = true;
                                        else
                                                set[q] = 1;
                                }
                                if (p->i < p->n)
                                        p->i += 2;
                                prev = -1;
                                continue;
                        }
                        if (e == 'E')
                                continue;
                        if (strchr("shvRW", e)) {
                                sep_escape = true;
                                prev = -1;
                                continue;
                        }
                        if (e == 'n' || e == 't' || e == 'r' || e == 'f' || e == 'e' ||
                            e == 'a' || e == 'b') {
                                sep_escape = true;      /* control characters */
                                prev = -1;
                                continue;
                        }
                        if (e >= 0x80 || is_alnum(e)) {
                                /* \d \w \p{..} \x.. octal ...: give up on it */
                                complex = true;
                                if (e == 'p' || e == 'P' || e == 'x' || e == 'o') {
                                        if (p->i < p->n && p->s[p->i] == '{')
                                                skip_braced(p, '{', '}');
                                        else if (e == 'p' || e == 'P')
                                                p->i++;
                                }
                                prev = -1;
                                continue;
                        }
                        ch = e;
                } else if (c >= 0x80) {
                        uint32_t cp;

                        p->i += utf8_decode_lossy(p->s + p->i, p->n - p->i, &cp);
                        complex = true;
                        prev = -1;
                        continue;
                } else {
                        ch = c;
                        p->i++;
                }
                /* a range? */
                if (ch == '-' && prev >= 0 && p->i < p->n && p->s[p->i] != ']') {
                        unsigned char hi = (unsigned char)p->s[p->i];

                        if (hi == '\\' || hi == '[' || hi >= 0x80) {
                                complex = true;
                                prev = -1;
                                continue;
                        }
                        p->i++;
                        for (int k = prev; k <= hi; k++)
                                set[k] = 1;
                        prev = -1;
                        continue;
                }
                set[ch] = 1;
                prev = ch;
        }
        p->fail = true;         /* unterminated class: PCRE2 would not compile it */
        return IT_X;
done:
        if (neg || complex)
                return IT_X;
        {
                int letter = -1;
                bool any_alnum = false, any_sep = sep_escape, multi = false;

                for (int k = 0; k < 128; k++) {
                        if (!set[k])
                                continue;
                        if (is_alnum(k)) {
                                any_alnum = true;
                                if (letter >= 0 && letter != lower(k))
                                        multi = true;
                                letter = lower(k);
                        } else {
                                any_sep = true;
                        }
                }
                if (!any_alnum && any_sep)
                        return IT_S;
                if (any_alnum && !any_sep && !multi)
                        return letter;
        }
        return IT_X;
}

/* A quantifier at p->i: 1 with *min, *max (-1: unbounded), else 0. */
static int
parse_quant(struct rxp *p, long *min, long *max)
{
        size_t i = p->i;
        char c;

        if (i >= p->n)
                return 0;
        c = p->s[i];
        if (c == '?' || c == '*' || c == '+') {
                *min = c == '+';
                *max = c == '?' ? 1 : -1;
                i++;
        } else if (c == '{') {
                size_t j = i + 1;
                long a = 0, b;
                bool digits = false;

                while (j < p->n && p->s[j] >= '0' && p->s[j] <= '9') {
                        a = a * 10 + (p->s[j] - '0');
                        if (a > 100000)
                                a = 100000;
                        j++;
                        digits = true;
                }
                if (!digits) {
                        /* "{,3}" or "{ 1 }" are quantifiers in newer PCRE2:
                         * do not guess, give up. */
                        size_t k = j;

                        while (k < p->n && strchr(" ,0123456789", p->s[k]) && p->s[k])
                                k++;
                        if (k < p->n && p->s[k] == '}' && k > j)
                                p->fail = true;
                        return 0;
                }
                b = a;
                if (j < p->n && p->s[j] == ',') {
                        j++;
                        if (j < p->n && p->s[j] >= '0' && p->s[j] <= '9') {
                                b = 0;
                                while (j < p->n && p->s[j] >= '0' && p->s[j] <= '9') {
                                        b = b * 10 + (p->s[j] - '0');
                                        if (b > 100000)
                                                b = 100000;
                                        j++;
                                }
                        } else {
                                b = -1;
                        }
                }
                if (j >= p->n || p->s[j] != '}') {
                        if (j < p->n && p->s[j] == ' ')
                                p->fail = true;
                        return 0;       /* a literal '{' */
                }
                i = j + 1;
                *min = a;
                *max = b;
        } else {
                return 0;
        }
        if (i < p->n && (p->s[i] == '?' || p->s[i] == '+'))
                i++;
        p->i = i;
        return 1;
}

/* Requirements of one branch's items without optional ones: every run of
 * W items is one. */
static void
runs_req_plain(const struct items *it, struct rule_atoms *out)
{
        char buf[256];

        int off = 0;            /* bytes from the match start to item i */

        for (size_t i = 0; i < it->n;) {
                size_t j = i, len = 0;
                bool lb, rb;
                enum atom_kind kind;
                const char *t = buf;
                struct atom_set one;

                if (it->v[i] < 0) {
                        off = width_add(off, it->w[i]);
                        i++;
                        continue;
                }
                while (j < it->n && it->v[j] >= 0) {
                        if (len < sizeof(buf))
                                buf[len++] = (char)it->v[j];
                        j++;
                }
                lb = i > 0 && (it->v[i - 1] == IT_S || it->v[i - 1] == IT_B ||
                               it->v[i - 1] == IT_START);
                rb = j < it->n && (it->v[j] == IT_S || it->v[j] == IT_B ||
                                   it->v[j] == IT_END);
                if (j - i > sizeof(buf)) {      /* too long to keep whole */
                        rb = false;
                }
                kind = lb && rb ? ATOM_WORD : lb ? ATOM_PREFIX : rb ? ATOM_SUFFIX
                                                                    : ATOM_INFIX;
                if (kind == ATOM_PREFIX && len > ATOM_AFFIX_MAX)
                        len = ATOM_AFFIX_MAX;
                if (kind == ATOM_SUFFIX && len > ATOM_AFFIX_MAX) {
                        t = buf + len - ATOM_AFFIX_MAX;
                        len = ATOM_AFFIX_MAX;
                }
                if (kind == ATOM_INFIX && len > ATOM_INFIX_MAX)
                        len = ATOM_INFIX_MAX;
                atom_set_init(&one);
                atom_set_add(&one, kind, t, len);
                /* lmax: how far after the match start the atom can begin;
                 * a kept suffix may begin as late as the run's end */
                {
                        int runw = 0;

                        for (size_t k = i; k < j; k++)
                                runw = width_add(runw, it->w[k]);
                        one.lmax = kind == ATOM_SUFFIX ? width_add(off, runw) : off;
                        off = width_add(off, runw);
                }
                conj_add(out, &one);
                i = j;
        }
}

/* Does every token that meets atom a also meet atom b? */
static bool
atom_implies(const struct atom *a, const struct atom *b)
{
        size_t la = strlen(a->text), lb = strlen(b->text);

        if (lb > la)
                return false;
        switch (b->kind) {
        case ATOM_INFIX:
                return strstr(a->text, b->text) != NULL;
        case ATOM_PREFIX:
                return (a->kind == ATOM_WORD || a->kind == ATOM_PREFIX) &&
                       memcmp(a->text, b->text, lb) == 0;
        case ATOM_SUFFIX:
                return (a->kind == ATOM_WORD || a->kind == ATOM_SUFFIX) &&
                       memcmp(a->text + la - lb, b->text, lb) == 0;
        case ATOM_WORD:
                return a->kind == ATOM_WORD && la == lb && memcmp(a->text, b->text, lb) == 0;
        }
        return false;
}

/* An OR set without the atoms another one of it already covers
 * ("INFIX:meal|INFIX:meals" is "INFIX:meal"). */
static void
set_reduce(struct atom_set *s)
{
        bool drop[UNION_MAX + 1] = { false };
        size_t w = 0;

        if (s->n > UNION_MAX)
                return;
        /* the atoms are distinct, so "implies" is a strict order: what is
         * dropped is covered by an atom that stays */
        for (size_t i = 0; i < s->n; i++)
                for (size_t j = 0; j < s->n && !drop[i]; j++)
                        if (j != i && atom_implies(&s->v[i], &s->v[j]))
                                drop[i] = true;
        for (size_t i = 0; i < s->n; i++) {
                if (drop[i])
                        free(s->v[i].text);
                else
                        s->v[w++] = s->v[i];
        }
        s->n = w;
}

static int
lmax_max(int a, int b)
{
        return a < 0 || b < 0 ? -1 : a > b ? a : b;
}

/* Requirements of one branch's items.  With optional items, each way of
 * taking or leaving the first OPT_EXPAND of them is a text the branch can
 * match, so the branch needs: every condition all the ways need, and one
 * of each way's cheapest condition (an OR set); as an alternation does
 * (node_full). */
static void
runs_req(const struct items *it, struct rule_atoms *out)
{
        struct rule_atoms ra[1u << OPT_EXPAND];
        struct atom_set u, ub;
        size_t nopt = 0, nways;
        bool any_empty = false, any_unbounded = false;

        for (size_t i = 0; i < it->n; i++)
                if (IS_OPT(it->v[i]))
                        nopt++;
        if (nopt == 0) {
                runs_req_plain(it, out);
                return;
        }
        if (nopt > OPT_EXPAND)
                nopt = OPT_EXPAND;
        nways = (size_t)1 << nopt;
        for (size_t m = 0; m < nways; m++) {
                struct items x = { 0 };
                size_t k = 0;

                for (size_t i = 0; i < it->n; i++) {
                        if (!IS_OPT(it->v[i])) {
                                items_pushw(&x, it->v[i], it->w[i]);
                        } else if (k >= nopt) {
                                items_pushw(&x, IT_X, it->w[i]);        /* not expanded */
                        } else if (m & ((size_t)1 << k++)) {
                                items_pushw(&x, OPT_ITEM(it->v[i]), it->w[i]);
                        }                                               /* else: left out */
                }
                rule_atoms_init(&ra[m]);
                runs_req_plain(&x, &ra[m]);
                items_done(&x);
        }
        /* the conditions every way needs */
        for (size_t c = 0; c < ra[0].n; c++) {
                struct atom_set one;
                int lmax = ra[0].conj[c].lmax;
                bool all = true;

                for (size_t m = 1; all && m < nways; m++) {
                        size_t d;

                        for (d = 0; d < ra[m].n && !set_equal(&ra[0].conj[c], &ra[m].conj[d]);
                             d++)
                                ;
                        if (d == ra[m].n)
                                all = false;
                        else
                                lmax = lmax_max(lmax, ra[m].conj[d].lmax);
                }
                if (!all)
                        continue;
                atom_set_init(&one);
                for (size_t k = 0; k < ra[0].conj[c].n; k++)
                        atom_set_add(&one, ra[0].conj[c].v[k].kind, ra[0].conj[c].v[k].text,
                                     strlen(ra[0].conj[c].v[k].text));
                one.lmax = lmax;
                conj_add(out, &one);
        }
        /* one of each way's cheapest condition; and of its cheapest bounded
         * one, for the match windows */
        atom_set_init(&u);
        atom_set_init(&ub);
        ub.lmax = 0;
        for (size_t m = 0; m < nways; m++) {
                size_t c;

                if (ra[m].n == 0) {
                        any_empty = true;
                        break;
                }
                for (size_t k = 0; k < ra[m].conj[0].n; k++)
                        atom_set_add(&u, ra[m].conj[0].v[k].kind, ra[m].conj[0].v[k].text,
                                     strlen(ra[m].conj[0].v[k].text));
                u.lmax = m == 0 ? ra[m].conj[0].lmax : lmax_max(u.lmax, ra[m].conj[0].lmax);
                for (c = 0; c < ra[m].n && ra[m].conj[c].lmax < 0; c++)
                        ;
                if (c == ra[m].n) {
                        any_unbounded = true;
                } else if (!any_unbounded) {
                        for (size_t k = 0; k < ra[m].conj[c].n; k++)
                                atom_set_add(&ub, ra[m].conj[c].v[k].kind, ra[m].conj[c].v[k].text,
                                             strlen(ra[m].conj[c].v[k].text));
                        ub.lmax = lmax_max(ub.lmax, ra[m].conj[c].lmax);
                }
        }
        if (!any_empty && u.n <= UNION_MAX) {
                bool bounded = u.lmax >= 0;

                set_reduce(&u);
                conj_add(out, &u);
                if (!bounded && !any_unbounded && ub.n <= UNION_MAX) {
                        set_reduce(&ub);
                        conj_add(out, &ub);
                }
        }
        atom_set_done(&u);
        atom_set_done(&ub);
        for (size_t m = 0; m < nways; m++)
                rule_atoms_done(&ra[m]);
}

static void
node_done(struct node *n)
{
        for (size_t i = 0; i < n->nbranch; i++) {
                items_done(&n->b[i].items);
                rule_atoms_done(&n->b[i].nested);
        }
        free(n->b);
        memset(n, 0, sizeof(*n));
}

static bool
is_edge(int item)
{
        return item == IT_S || item == IT_B || item == IT_START || item == IT_END;
}

/* The requirements of a group whose neighbours are lead and trail (edge
 * items, or 0 when unknown).  One branch: every run and nested condition.
 * Several: one OR set, each branch's cheapest condition united (a branch
 * without any makes the group condition-free). */
static void
node_full(const struct node *g, int lead, int trail, struct rule_atoms *out)
{
        struct atom_set u, ub;          /* cheapest per branch; cheapest bounded */
        bool any_empty = false, any_unbounded = false;

        rule_atoms_done(out);
        atom_set_init(&u);
        atom_set_init(&ub);
        ub.lmax = 0;
        for (size_t i = 0; i < g->nbranch; i++) {
                const struct branch *br = &g->b[i];
                struct items tmp = { 0 };
                struct rule_atoms ra;

                rule_atoms_init(&ra);
                if (lead)
                        items_pushw(&tmp, lead, 0);     /* context, not consumed */
                for (size_t k = 0; k < br->items.n; k++)
                        items_pushw(&tmp, br->items.v[k], br->items.w[k]);
                if (trail)
                        items_pushw(&tmp, trail, 0);
                runs_req(&tmp, &ra);
                items_done(&tmp);
                conj_copy_into(&ra, &br->nested);
                if (g->nbranch == 1) {
                        conj_merge(out, &ra, 0);
                        rule_atoms_done(&ra);
                        break;
                }
                if (ra.n == 0)
                        any_empty = true;
                for (size_t k = 0; !any_empty && k < ra.conj[0].n; k++)
                        atom_set_add(&u, ra.conj[0].v[k].kind, ra.conj[0].v[k].text,
                                     strlen(ra.conj[0].v[k].text));
                if (u.n > UNION_MAX)    /* hopeless as a filter anyway */
                        any_empty = true;
                if (!any_empty)
                        u.lmax = i == 0 ? ra.conj[0].lmax :
                                 (u.lmax < 0 || ra.conj[0].lmax < 0) ? -1 :
                                 u.lmax > ra.conj[0].lmax ? u.lmax : ra.conj[0].lmax;
                /* the same with bounded conditions only, for match windows */
                {
                        size_t c;

                        for (c = 0; c < ra.n && ra.conj[c].lmax < 0; c++)
                                ;
                        if (c == ra.n) {
                                any_unbounded = true;
                        } else if (!any_unbounded) {
                                for (size_t k = 0; k < ra.conj[c].n; k++)
                                        atom_set_add(&ub, ra.conj[c].v[k].kind,
                                                     ra.conj[c].v[k].text,
                                                     strlen(ra.conj[c].v[k].text));
                                if (ub.n > UNION_MAX)
                                        any_unbounded = true;   /* give it up */
                                if (ra.conj[c].lmax > ub.lmax)
                                        ub.lmax = ra.conj[c].lmax;
                        }
                }
                rule_atoms_done(&ra);
        }
        if (g->nbranch > 1 && !any_empty) {
                bool same = u.lmax >= 0 || any_unbounded;

                conj_add(out, &u);
                if (!same)
                        conj_add(out, &ub);
        }
        atom_set_done(&u);
        atom_set_done(&ub);
}

/* The most bytes a group can consume (-1: no bound). */
static int
node_width(const struct node *g)
{
        int w = 0;

        for (size_t i = 0; i < g->nbranch; i++) {
                int b = items_width(&g->b[i].items, g->b[i].items.n);

                if (b < 0)
                        return -1;
                if (b > w)
                        w = b;
        }
        return w;
}

/* A group all of whose branches are one edge item ("(?:^|\s)"): an edge. */
static bool
node_is_edge(const struct node *g)
{
        if (g->nbranch == 0)
                return false;
        for (size_t i = 0; i < g->nbranch; i++)
                if (g->b[i].items.n != 1 || !is_edge(g->b[i].items.v[0]) ||
                    g->b[i].nested.n != 0)
                        return false;
        return true;
}

/* Group after '(' (p->i just after it).  *kind: 0 content group, 1
 * lookaround (zero width), 2 nothing (option setting, comment). */
static void
parse_group(struct rxp *p, struct node *g, int *kind, int lead)
{
        *kind = 0;
        if (p->i < p->n && p->s[p->i] == '*') {         /* (*VERB) (*pla:...) */
                p->fail = true;
                return;
        }
        if (p->i < p->n && p->s[p->i] == '?') {
                char c = p->i + 1 < p->n ? p->s[p->i + 1] : 0;

                p->i++;
                switch (c) {
                case '#':
                        while (p->i < p->n && p->s[p->i] != ')')
                                p->i++;
                        if (p->i < p->n)
                                p->i++;
                        *kind = 2;
                        return;
                case ':': case '|': case '>':
                        p->i++;
                        break;
                case '=': case '!':
                        p->i++;
                        *kind = 1;
                        break;
                case '<':
                        if (p->i + 1 < p->n &&
                            (p->s[p->i + 1] == '=' || p->s[p->i + 1] == '!')) {
                                p->i += 2;
                                *kind = 1;
                                break;
                        }
                        skip_braced(p, '<', '>');       /* (?<name> */
                        break;
                case '\'':
                        skip_braced(p, '\'', '\'');
                        break;
                case 'P':
                        if (p->i + 1 < p->n && p->s[p->i + 1] == '<') {
                                p->i++;
                                skip_braced(p, '<', '>');
                                break;
                        }
                        p->fail = true;                 /* (?P=name) (?P>name) */
                        return;
                default:
                        /* option letters: (?i) (?-i) (?i:...) (?^) */
                        while (p->i < p->n && strchr("imnsxJUa^-", p->s[p->i]) &&
                               p->s[p->i]) {
                                if (p->s[p->i] == 'x') {
                                        p->fail = true;
                                        return;
                                }
                                p->i++;
                        }
                        if (p->i < p->n && p->s[p->i] == ')') {
                                p->i++;
                                *kind = 2;
                                return;
                        }
                        if (p->i < p->n && p->s[p->i] == ':') {
                                p->i++;
                                break;
                        }
                        p->fail = true;         /* (?R) (?1) (?&n) (?( (?C ... */
                        return;
                }
        }
        if (++p->depth > 64) {
                p->fail = true;
                return;
        }
        parse_alt(p, g, lead);
        p->depth--;
        if (p->i < p->n && p->s[p->i] == ')')
                p->i++;
        else
                p->fail = true;
}

static void
apply_item(struct items *it, int item, int quant, long min, long max, bool *fail)
{
        int w = default_width(item);

        if (!quant) {
                items_push(it, item);
                return;
        }
        if (item == IT_B || item == IT_START || item == IT_END) {
                *fail = true;
                return;
        }
        if (min == 0 && max == 1 && (item >= 0 || item == IT_S)) {
                items_pushw(it, OPT(item), w);
                return;
        }
        if (min == 0 || item == IT_X || item == IT_XU || item == IT_X0) {
                items_pushw(it, item == IT_X0 ? IT_X0 : IT_X, width_mul(w, max));
                return;
        }
        if (item == IT_S) {
                items_pushw(it, IT_S, width_mul(w, max));
                return;
        }
        for (long k = 0; k < min && k < 16; k++)
                items_push(it, item);
        if (max != min || min > 16)
                items_pushw(it, IT_X, max < 0 ? -1 : width_mul(w, max - (min < 16 ? min : 16)));
}

/* The edge item that follows at p->i (S, B or END), or 0 when it is not
 * certainly one; a quantifier that allows zero occurrences makes it 0. */
static int
peek_edge(const struct rxp *p)
{
        struct rxp q = *p;
        long min = 1, max = 1;
        unsigned char c;
        int item;

        if (q.i >= q.n)
                return 0;
        c = (unsigned char)q.s[q.i++];
        if (c == '\\') {
                if (q.i < q.n && (q.s[q.i] == 'Q' || q.s[q.i] == 'E'))
                        return 0;
                item = escape_item(&q);
        } else if (c == '[') {
                item = class_item(&q);
        } else if (c == '$') {
                item = IT_END;
        } else if (strchr(".^()|*+?{", c)) {
                return 0;
        } else {
                item = literal_item(&q, c);
        }
        if (q.fail || !(item == IT_S || item == IT_B || item == IT_END))
                return 0;
        if (parse_quant(&q, &min, &max) && min == 0)
                return 0;
        return item;
}

/* A sequence up to '|' or ')' or the end; lead is the edge before it (0:
 * unknown). */
static void
parse_seq(struct rxp *p, struct items *it, struct rule_atoms *nested, int lead)
{
        while (p->i < p->n && !p->fail) {
                unsigned char c = (unsigned char)p->s[p->i];
                long min = 1, max = 1;
                int quant, item;

                if (c == '|' || c == ')')
                        return;
                p->i++;
                if (c == '(') {
                        struct node g = { 0 };
                        int kind, offset, before = it->n ? it->v[it->n - 1] : lead;

                        if (!is_edge(before))
                                before = 0;
                        parse_group(p, &g, &kind, before);
                        if (p->fail) {
                                node_done(&g);
                                return;
                        }
                        if (kind == 2) {
                                node_done(&g);
                                continue;
                        }
                        quant = parse_quant(p, &min, &max);
                        offset = items_width(it, it->n);
                        if (kind == 1) {
                                items_push(it, IT_X0);
                        } else if (!quant && g.nbranch == 1) {
                                for (size_t k = 0; k < g.b[0].items.n; k++)
                                        items_pushw(it, g.b[0].items.v[k], g.b[0].items.w[k]);
                                conj_merge(nested, &g.b[0].nested, offset);
                        } else if (!quant && node_is_edge(&g)) {
                                items_pushw(it, IT_B, node_width(&g));
                        } else {
                                struct rule_atoms full;

                                rule_atoms_init(&full);
                                items_pushw(it, IT_X, quant ? width_mul(node_width(&g), max)
                                                            : node_width(&g));
                                if (!quant)
                                        node_full(&g, before, peek_edge(p), &full);
                                else if (min >= 1)
                                        node_full(&g, 0, 0, &full);
                                conj_merge(nested, &full, offset);
                                rule_atoms_done(&full);
                        }
                        node_done(&g);
                        continue;
                }
                if (c == '\\' && p->i < p->n && p->s[p->i] == 'Q') {
                        struct items q = { 0 };

                        p->i++;
                        while (p->i < p->n &&
                               !(p->s[p->i] == '\\' && p->i + 1 < p->n &&
                                 p->s[p->i + 1] == 'E'))
                                items_push(&q, literal_item(p, (unsigned char)p->s[p->i++]));
                        if (p->i < p->n)
                                p->i += 2;
                        /* a quantifier after \E applies to the last character */
                        quant = q.n ? parse_quant(p, &min, &max) : 0;
                        for (size_t k = 0; k < q.n; k++) {
                                if (k + 1 == q.n)
                                        apply_item(it, q.v[k], quant, min, max, &p->fail);
                                else
                                        items_push(it, q.v[k]);
                        }
                        items_done(&q);
                        continue;
                }
                if (c == '\\') {
                        if (p->i < p->n && p->s[p->i] == 'E') {
                                p->i++;
                                continue;
                        }
                        item = escape_item(p);
                } else if (c == '[') {
                        item = class_item(p);
                } else if (c == '.') {
                        item = IT_X;
                } else if (c == '^') {
                        item = IT_START;
                } else if (c == '$') {
                        item = IT_END;
                } else if (c == '*' || c == '+' || c == '?') {
                        item = IT_X;    /* cannot start an item; be safe */
                } else {
                        item = literal_item(p, c);
                }
                if (p->fail)
                        return;
                quant = parse_quant(p, &min, &max);
                apply_item(it, item, quant, min, max, &p->fail);
        }
}

static void
parse_alt(struct rxp *p, struct node *out, int lead)
{
        memset(out, 0, sizeof(*out));
        size_t cap = 0;

        for (;;) {
                struct branch *br;

                if (out->nbranch == cap) {
                        cap = cap ? 2 * cap : 4;
                        out->b = xreallocarray(out->b, cap, sizeof(*out->b));
                }
                br = &out->b[out->nbranch++];
                memset(br, 0, sizeof(*br));
                rule_atoms_init(&br->nested);
                parse_seq(p, &br->items, &br->nested, lead);
                if (p->fail || p->i >= p->n || p->s[p->i] != '|')
                        break;
                p->i++;
        }
}

void
rule_regex_atoms(const char *pattern, struct rule_atoms *out)
{
        struct rxp p = { .s = pattern, .i = 0, .n = strlen(pattern) };
        struct node top;

        rule_atoms_done(out);
        if (p.n > RULE_PATTERN_MAX)     /* not analysed: always checked */
                return;
        parse_alt(&p, &top, 0);
        if (!p.fail && p.i == p.n)
                node_full(&top, 0, 0, out);
        node_done(&top);
}
