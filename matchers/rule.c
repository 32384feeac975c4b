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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/rule.h"
#include "bidbroker/textnorm.h"
#include "bidbroker/util.h"

void
atom_set_init(struct atom_set *s)
{
        s->v = NULL;
        s->n = 0;
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

static void
atom_set_move(struct atom_set *dst, struct atom_set *src)
{
        atom_set_done(dst);
        *dst = *src;
        atom_set_init(src);
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

bool
atom_matches_token(const struct atom *a, const char *tok, size_t len)
{
        size_t n = strlen(a->text);

        if (n > len)
                return false;
        switch (a->kind) {
        case ATOM_WORD:
                return n == len && memcmp(tok, a->text, n) == 0;
        case ATOM_PREFIX:
                return memcmp(tok, a->text, n) == 0;
        case ATOM_SUFFIX:
                return memcmp(tok + len - n, a->text, n) == 0;
        case ATOM_INFIX:
                return memmem(tok, len, a->text, n) != NULL;
        }
        return false;
}

/* ---- cost: how often an atom is expected to occur ------------------------ */

/* Words so common in notices that they make poor atoms. */
static const char *const common_words[] = {
        "a", "about", "all", "also", "an", "and", "any", "are", "as", "at", "be",
        "been", "being", "by", "can", "contract", "contracts", "council", "date",
        "delivery", "details", "do", "each", "for", "from", "has", "have", "if",
        "in", "including", "into", "is", "it", "its", "may", "more", "must", "new",
        "no", "not", "notice", "of", "on", "one", "or", "other", "our", "over",
        "per", "period", "procurement", "project", "provide", "provider",
        "providers", "provision", "required", "requirement", "requirements",
        "service", "services", "should", "such", "supplier", "suppliers",
        "supply", "support", "tender", "that", "the", "their", "there", "these",
        "this", "to", "under", "up", "uk", "use", "value", "was", "we", "which",
        "will", "with", "within", "work", "works", "would", "year", "years", "you",
        "your",
};

static bool
is_common(const char *text, size_t len)
{
        for (size_t i = 0; i < ARRAY_SIZE(common_words); i++)
                if (strlen(common_words[i]) == len &&
                    memcmp(common_words[i], text, len) == 0)
                        return true;
        return false;
}

double
atom_cost(enum atom_kind kind, const char *text, size_t len)
{
        static const double kind_mult[] = {
                [ATOM_WORD] = 1, [ATOM_PREFIX] = 3, [ATOM_SUFFIX] = 3, [ATOM_INFIX] = 8,
        };
        double l = (double)(len > 12 ? 12 : len);
        double c = kind_mult[kind] * 1000.0 / (l * l);

        if (len <= 2)
                c *= 20;
        if (kind == ATOM_WORD && is_common(text, len))
                c *= 100;
        return c;
}

static double
set_cost(const struct atom_set *s)
{
        double c = 0;

        for (size_t i = 0; i < s->n; i++)
                c += atom_cost(s->v[i].kind, s->v[i].text, strlen(s->v[i].text));
        return c;
}

/* AND: keep the cheaper of two necessary conditions (empty = none). */
static void
req_and(struct atom_set *acc, struct atom_set *other)
{
        if (other->n == 0)
                return;
        if (acc->n == 0 || set_cost(other) < set_cost(acc))
                atom_set_move(acc, other);
        else
                atom_set_done(other);
}

/* OR: both branches possible, so either's atoms may be the one present. */
static void
req_or(struct atom_set *acc, struct atom_set *other, bool *any_empty)
{
        if (other->n == 0)
                *any_empty = true;
        for (size_t i = 0; i < other->n; i++)
                atom_set_add(acc, other->v[i].kind, other->v[i].text,
                             strlen(other->v[i].text));
        atom_set_done(other);
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
rule_keyword_atoms(const struct strv *words, struct atom_set *out)
{
        size_t best = 0;
        double bestc = 0;

        atom_set_done(out);
        for (size_t i = 0; i < words->n; i++) {
                double c = atom_cost(ATOM_WORD, words->v[i], strlen(words->v[i]));

                if (i == 0 || c < bestc) {
                        best = i;
                        bestc = c;
                }
        }
        if (words->n)
                atom_set_add(out, ATOM_WORD, words->v[best], strlen(words->v[best]));
}

/* ---- regex reader -------------------------------------------------------- */

enum { IT_S = -1, IT_B = -2, IT_START = -3, IT_END = -4, IT_X = -5 };

struct items {
        int    *v;
        size_t  n, cap;
};

static void
items_push(struct items *it, int x)
{
        if (it->n == it->cap) {
                it->cap = it->cap ? 2 * it->cap : 16;
                it->v = xreallocarray(it->v, it->cap, sizeof(*it->v));
        }
        it->v[it->n++] = x;
}

static void
items_done(struct items *it)
{
        free(it->v);
        memset(it, 0, sizeof(*it));
}

struct rxp {
        const char *s;
        size_t      i, n;
        int         depth;
        bool        fail;       /* give up: no atoms at all */
};

/* A parsed group: for inlining, the items and nested requirement of its
 * only branch; and the requirement of the whole group. */
struct node {
        struct items    items;
        struct atom_set nested;
        struct atom_set full;
        size_t          nbranch;
};

static void parse_alt(struct rxp *p, struct node *out);

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
                size_t l = tn_utf8_decode((const unsigned char *)p->s + p->i - 1,
                                          p->n - p->i + 1, &cp);

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
                return IT_X;
        case 'k':
                if (p->i < p->n) {
                        char o = p->s[p->i];

                        skip_braced(p, o, o == '{' ? '}' : o == '<' ? '>' : '\'');
                }
                return IT_X;
        default:
                break;
        }
        if (c >= '0' && c <= '9') {     /* back reference or octal */
                while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
                        p->i++;
                return IT_X;
        }
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

                        p->i += tn_utf8_decode((const unsigned char *)p->s + p->i,
                                               p->n - p->i, &cp);
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

/* Requirement of one branch's items: the cheapest run of W items. */
static void
runs_req(const struct items *it, struct atom_set *out)
{
        char buf[256];

        atom_set_done(out);
        for (size_t i = 0; i < it->n;) {
                size_t j = i, len = 0;
                bool lb, rb;
                enum atom_kind kind;
                const char *t = buf;
                struct atom_set one;

                if (it->v[i] < 0) {
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
                req_and(out, &one);
                i = j;
        }
}

static void
node_done(struct node *n)
{
        items_done(&n->items);
        atom_set_done(&n->nested);
        atom_set_done(&n->full);
}

/* Group after '(' (p->i just after it).  *kind: 0 content group, 1
 * lookaround (zero width), 2 nothing (option setting, comment). */
static void
parse_group(struct rxp *p, struct node *g, int *kind)
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
        parse_alt(p, g);
        p->depth--;
        if (p->i < p->n && p->s[p->i] == ')')
                p->i++;
        else
                p->fail = true;
}

static void
apply_item(struct items *it, int item, int quant, long min, long max, bool *fail)
{
        if (!quant) {
                items_push(it, item);
                return;
        }
        if (item == IT_B || item == IT_START || item == IT_END) {
                *fail = true;
                return;
        }
        if (min == 0 || item == IT_X) {
                items_push(it, IT_X);
                return;
        }
        if (item == IT_S) {
                items_push(it, IT_S);
                return;
        }
        for (long k = 0; k < min && k < 16; k++)
                items_push(it, item);
        if (max != min || min > 16)
                items_push(it, IT_X);
}

/* A sequence up to '|' or ')' or the end. */
static void
parse_seq(struct rxp *p, struct items *it, struct atom_set *nested)
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
                        int kind;

                        parse_group(p, &g, &kind);
                        if (p->fail) {
                                node_done(&g);
                                return;
                        }
                        if (kind == 2)
                                continue;
                        quant = parse_quant(p, &min, &max);
                        if (kind == 1) {
                                items_push(it, IT_X);
                        } else if (!quant && g.nbranch == 1) {
                                for (size_t k = 0; k < g.items.n; k++)
                                        items_push(it, g.items.v[k]);
                                req_and(nested, &g.nested);
                        } else {
                                items_push(it, IT_X);
                                if (!quant || min >= 1)
                                        req_and(nested, &g.full);
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
parse_alt(struct rxp *p, struct node *out)
{
        bool any_empty = false;

        memset(out, 0, sizeof(*out));
        for (;;) {
                struct items it = { 0 };
                struct atom_set nested, full;

                atom_set_init(&nested);
                atom_set_init(&full);
                parse_seq(p, &it, &nested);
                runs_req(&it, &full);
                {
                        struct atom_set n2;

                        /* full = AND(runs, nested) without losing nested */
                        atom_set_init(&n2);
                        for (size_t k = 0; k < nested.n; k++)
                                atom_set_add(&n2, nested.v[k].kind, nested.v[k].text,
                                             strlen(nested.v[k].text));
                        req_and(&full, &n2);
                }
                if (out->nbranch == 0) {
                        out->items = it;
                        out->nested = nested;
                        out->full = full;
                } else {
                        items_done(&it);
                        atom_set_done(&nested);
                        req_or(&out->full, &full, &any_empty);
                }
                if (out->nbranch == 0 && out->full.n == 0)
                        any_empty = true;
                out->nbranch++;
                if (p->fail || p->i >= p->n || p->s[p->i] != '|')
                        break;
                p->i++;
        }
        if (any_empty)
                atom_set_done(&out->full);
}

void
rule_regex_atoms(const char *pattern, struct atom_set *out)
{
        struct rxp p = { .s = pattern, .i = 0, .n = strlen(pattern) };
        struct node top;

        atom_set_done(out);
        parse_alt(&p, &top);
        if (!p.fail && p.i == p.n)
                atom_set_move(out, &top.full);
        node_done(&top);
}
