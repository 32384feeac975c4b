/*
 * checks.c — [check ID] rules compiled, run on a notice's text and on a
 * member's accreditations (checks.h).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bidbroker/checks.h"
#include "bidbroker/err.h"
#include "bidbroker/hash.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/taxonomy.h"
#include "bidbroker/utf8.h"
#include "bidbroker/util.h"

#define EXCERPT_BEFORE  60              /* bytes of context around a match */
#define EXCERPT_AFTER   80
#define AMOUNT_AFTER    100             /* how far after a match a level is read */
#define AMOUNT_BEFORE   40
#define MATCHES_MAX     50              /* matches looked at per rule and field */

struct crule {
        pcre2_code *re;
        unsigned    fields;
        bool        exclude;
};

struct ccheck {
        const struct check_def *def;
        struct crule *rules;            /* rules, then aliases (alias: fields 0) */
        size_t        nrules;
        size_t       *implies;          /* indices */
        size_t        nimplies;
};

struct checker {
        struct ccheck *v;
        size_t         n;
};

/* ---- compiling -------------------------------------------------------------- */

/* A keyword as a pattern: its words (runs of letters and digits; other
 * bytes separate them) in order, whole words, anything but letters and
 * digits between them. */
static char *
keyword_pattern(const char *text)
{
        struct buf b;
        bool in = false, any = false;

        buf_init(&b);
        buf_adds(&b, "(?<![\\p{L}\\p{N}])");
        for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
                bool w = isalnum(*p) || *p >= 0x80;

                if (w && !in && any)
                        buf_adds(&b, "[^\\p{L}\\p{N}]+");
                if (w)
                        buf_addc(&b, (char)*p);
                in = w;
                any = any || w;
        }
        buf_adds(&b, "(?![\\p{L}\\p{N}])");
        return buf_steal(&b);
}

static int
compile(const struct rule *r, bool alias, struct crule *out, struct diag *d)
{
        char *pat = r->kind == RULE_KEYWORD ? keyword_pattern(r->text) : xstrdup(r->text);
        int ecode;
        PCRE2_SIZE eoff;

        out->re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
                                PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS, &ecode, &eoff, NULL);
        if (out->re == NULL) {
                PCRE2_UCHAR msg[256];

                pcre2_get_error_message(ecode, msg, sizeof(msg));
                diag_add(d, r->file, r->line, "'%s' error at offset %zu: %s", r->text,
                         (size_t)eoff, (const char *)msg);
                free(pat);
                return -EINVAL;
        }
        (void)pcre2_jit_compile(out->re, PCRE2_JIT_COMPLETE);   /* else interpreted */
        out->fields = alias ? 0 : r->fields;
        out->exclude = r->exclude;
        free(pat);
        return 0;
}

struct checker *
checker_free(struct checker *c)
{
        if (c == NULL)
                return NULL;
        for (size_t i = 0; i < c->n; i++) {
                for (size_t j = 0; j < c->v[i].nrules; j++)
                        pcre2_code_free(c->v[i].rules[j].re);
                free(c->v[i].rules);
                free(c->v[i].implies);
        }
        free(c->v);
        free(c);
        return NULL;
}

int
checker_build(const struct taxonomy *t, struct checker **out, struct diag *d)
{
        struct checker *c = xcalloc(1, sizeof(*c));
        int rc = 0;

        c->v = xcalloc(t->nchecks ? t->nchecks : 1, sizeof(*c->v));
        for (size_t i = 0; i < t->nchecks; i++) {
                const struct check_def *def = &t->checks[i];
                struct ccheck *cc = &c->v[c->n++];

                cc->def = def;
                cc->rules = xcalloc(def->nrules + def->naliases + 1, sizeof(*cc->rules));
                for (size_t j = 0; j < def->nrules + def->naliases; j++) {
                        bool alias = j >= def->nrules;
                        const struct rule *r = alias ? &def->aliases[j - def->nrules]
                                                     : &def->rules[j];

                        if (compile(r, alias, &cc->rules[cc->nrules], d) < 0)
                                rc = -EINVAL;
                        else
                                cc->nrules++;
                }
                cc->implies = xcalloc(def->implies.n + 1, sizeof(*cc->implies));
                for (size_t j = 0; j < def->implies.n; j++)
                        for (size_t k = 0; k < t->nchecks; k++)
                                if (strcmp(t->checks[k].id, def->implies.v[j]) == 0)
                                        cc->implies[cc->nimplies++] = k;
        }
        if (rc < 0) {
                checker_free(c);
                return rc;
        }
        *out = c;
        return 0;
}

static void
hash_rules(struct hasher *h, const struct rule *r, size_t n)
{
        hasher_int(h, (int64_t)n);
        for (size_t i = 0; i < n; i++) {
                hasher_int(h, r[i].kind);
                hasher_str(h, r[i].text);
                hasher_int(h, r[i].fields);
                hasher_int(h, r[i].exclude);
        }
}

void
checker_hash(const struct checker *c, struct hasher *h)
{
        hasher_int(h, c ? (int64_t)c->n : 0);
        for (size_t i = 0; c && i < c->n; i++) {
                const struct check_def *d = c->v[i].def;

                hasher_str(h, d->id);
                hasher_str(h, d->label);
                hash_rules(h, d->rules, d->nrules);
                hash_rules(h, d->aliases, d->naliases);
                hasher_strv(h, &d->implies);
                hasher_int(h, d->amount);
                hasher_int(h, d->scope);
        }
}

/* ---- amounts ---------------------------------------------------------------- */

static bool
word_byte(unsigned char c)
{
        return isalnum(c) || c >= 0x80;
}

/* The money amount starting at s[i] ("£5m", "GBP 5,000,000", "£2.5 million"):
 * its end in *end and its value in *pence. */
static bool
money_at(const char *s, size_t len, size_t i, size_t *end, int64_t *pence)
{
        static const struct { const char *w; double mul; } units[] = {
                { "billion", 1e9 }, { "bn", 1e9 }, { "million", 1e6 }, { "mill", 1e6 },
                { "mn", 1e6 }, { "m", 1e6 }, { "thousand", 1e3 }, { "k", 1e3 },
        };
        char num[32];
        size_t n = 0, j;
        double v, mul = 1;

        if (i + 1 < len && (unsigned char)s[i] == 0xC2 && (unsigned char)s[i + 1] == 0xA3)
                j = i + 2;
        else if (i + 3 <= len && strncasecmp(s + i, "gbp", 3) == 0 &&
                 (i == 0 || !word_byte((unsigned char)s[i - 1])))
                j = i + 3;
        else
                return false;
        while (j < len && s[j] == ' ')
                j++;
        if (j >= len || !isdigit((unsigned char)s[j]))
                return false;
        while (j < len && n + 1 < sizeof(num)) {
                if (isdigit((unsigned char)s[j])) {
                        num[n++] = s[j++];
                } else if (s[j] == ',' && j + 3 < len && isdigit((unsigned char)s[j + 1])
                           && isdigit((unsigned char)s[j + 2]) && isdigit((unsigned char)s[j + 3])
                           && (j + 4 >= len || !isdigit((unsigned char)s[j + 4]))) {
                        j++;                            /* thousands */
                } else if (s[j] == '.' && j + 1 < len && isdigit((unsigned char)s[j + 1])) {
                        num[n++] = s[j++];
                } else {
                        break;
                }
        }
        num[n] = '\0';
        if (parse_double(num, &v) < 0)
                return false;
        {
                size_t k = j;

                while (k < len && s[k] == ' ')
                        k++;
                for (size_t u = 0; u < ARRAY_SIZE(units); u++) {
                        size_t ul = strlen(units[u].w);

                        if (k + ul <= len && strncasecmp(s + k, units[u].w, ul) == 0 &&
                            (k + ul == len || !word_byte((unsigned char)s[k + ul]))) {
                                mul = units[u].mul;
                                j = k + ul;
                                break;
                        }
                }
        }
        v *= mul * 100;
        if (!(v >= 0) || v > 9e17)
                return false;
        *pence = (int64_t)llround(v);
        *end = j;
        return true;
}

/* The first amount in s[from, to): its start, end and value. */
static bool
money_in(const char *s, size_t len, size_t from, size_t to, size_t *start, size_t *end,
         int64_t *pence)
{
        for (size_t i = from; i < to && i < len; i++)
                if (money_at(s, len, i, end, pence)) {
                        *start = i;
                        return true;
                }
        return false;
}

bool
check_amount(const char *s, int64_t *pence)
{
        size_t a, b;

        return s != NULL && money_in(s, strlen(s), 0, strlen(s), &a, &b, pence);
}

/* The level stated with the match s[ms, me): an amount right before it
 * (only spaces, '-' or ':' between), else the first one after it in the
 * same clause. */
static int64_t
level_near(const char *s, size_t len, size_t ms, size_t me)
{
        size_t from = ms > AMOUNT_BEFORE ? ms - AMOUNT_BEFORE : 0, a, b, stop;
        int64_t v, best = CHECK_LEVEL_NONE;

        while (money_in(s, len, from, ms, &a, &b, &v)) {
                size_t k = b;

                while (k < ms && (s[k] == ' ' || s[k] == '-' || s[k] == ':'))
                        k++;
                if (k == ms && b <= ms)
                        best = v;
                from = a + 1;
        }
        if (best != CHECK_LEVEL_NONE)
                return best;
        for (stop = me; stop < len && stop < me + AMOUNT_AFTER; stop++) {
                if (s[stop] == ';' || s[stop] == '\n' ||
                    (s[stop] == '.' && (stop + 1 == len || isspace((unsigned char)s[stop + 1]))))
                        break;
        }
        if (money_in(s, len, me, stop, &a, &b, &v))
                return v;
        return CHECK_LEVEL_NONE;
}

static size_t
utf8_back(const char *s, size_t i)
{
        while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
                i--;
        return i;
}

/* The words around s[ms, me), whitespace collapsed, "…" where cut. */
static char *
excerpt(const char *s, size_t len, size_t ms, size_t me)
{
        size_t a = ms > EXCERPT_BEFORE ? ms - EXCERPT_BEFORE : 0;
        size_t b = me + EXCERPT_AFTER < len ? me + EXCERPT_AFTER : len;
        struct buf out;
        bool space = false;

        a = utf8_back(s, a);
        b = b < len ? utf8_back(s, b) : len;
        if (a > 0)                              /* start at a word */
                while (a < ms && !isspace((unsigned char)s[a]))
                        a++;
        if (b < len)
                while (b > me && !isspace((unsigned char)s[b - 1]))
                        b--;
        buf_init(&out);
        if (a > 0)
                buf_adds(&out, "\xE2\x80\xA6");
        for (size_t i = a; i < b; i++) {
                if (isspace((unsigned char)s[i]) || (unsigned char)s[i] < 0x20) {
                        space = out.len > 0;
                        continue;
                }
                if (space)
                        buf_addc(&out, ' ');
                space = false;
                buf_addc(&out, s[i]);
        }
        if (b < len)
                buf_adds(&out, "\xE2\x80\xA6");
        return buf_steal(&out);
}

/* ---- a notice --------------------------------------------------------------- */

void
check_asks_init(struct check_asks *a)
{
        a->v = NULL;
        a->n = 0;
}

void
check_asks_done(struct check_asks *a)
{
        for (size_t i = 0; i < a->n; i++)
                free(a->v[i].text);
        free(a->v);
        check_asks_init(a);
}

struct field_text {
        unsigned    field;
        const char *s;
};

static size_t
notice_fields(const struct opportunity *o, struct field_text **out)
{
        size_t n = 0, max = 3 + o->lot_titles.n + o->item_descriptions.n;
        struct field_text *f = xcalloc(max, sizeof(*f));

        if (o->title)
                f[n++] = (struct field_text){ FIELD_TITLE, o->title };
        if (o->description)
                f[n++] = (struct field_text){ FIELD_DESCRIPTION, o->description };
        if (o->buyer_name)
                f[n++] = (struct field_text){ FIELD_BUYER, o->buyer_name };
        for (size_t i = 0; i < o->lot_titles.n; i++)
                f[n++] = (struct field_text){ FIELD_LOTS, o->lot_titles.v[i] };
        for (size_t i = 0; i < o->item_descriptions.n; i++)
                f[n++] = (struct field_text){ FIELD_ITEMS, o->item_descriptions.v[i] };
        *out = f;
        return n;
}

static bool
fires(const struct crule *r, const char *s, size_t len, size_t from, pcre2_match_data *md,
      size_t *ms, size_t *me)
{
        PCRE2_SIZE *ov;

        if (pcre2_match(r->re, (PCRE2_SPTR)s, len, from, 0, md, NULL) < 0)
                return false;
        ov = pcre2_get_ovector_pointer(md);
        *ms = ov[0];
        *me = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
        return true;
}

/* Does check cc fire on the notice's fields (and at what level)? */
struct span {                           /* where an asked check was named */
        size_t ask, field, start, end;  /* field: index into the notice's fields */
};

struct spans {
        struct span *v;
        size_t n;
};

static void
span_add(struct spans *sp, size_t ask, size_t field, size_t start, size_t end)
{
        if (sp->n % 64 == 0)
                sp->v = xreallocarray(sp->v, sp->n + 64, sizeof(*sp->v));
        sp->v[sp->n++] = (struct span){ ask, field, start, end };
}

static bool
ask_one(const struct ccheck *cc, const struct field_text *f, size_t nf, pcre2_match_data *md,
        size_t ask, struct spans *sp, struct check_ask *out)
{
        bool any = false;

        for (size_t j = 0; j < cc->nrules; j++) {
                const struct crule *r = &cc->rules[j];

                for (size_t k = 0; k < nf; k++) {
                        size_t len = strlen(f[k].s), from = 0, ms, me;

                        if (!(r->fields & f[k].field))
                                continue;
                        for (int m = 0; m < MATCHES_MAX && from <= len &&
                             fires(r, f[k].s, len, from, md, &ms, &me); m++) {
                                int64_t lv;

                                if (r->exclude)
                                        return false;
                                lv = cc->def->amount ? level_near(f[k].s, len, ms, me)
                                                     : CHECK_LEVEL_NONE;
                                if (!any || lv > out->level) {
                                        free(out->text);
                                        out->text = excerpt(f[k].s, len, ms, me);
                                        out->field = f[k].field;
                                        out->level = any && out->level > lv ? out->level : lv;
                                }
                                any = true;
                                span_add(sp, ask, k, ms, me);
                                from = me;
                        }
                }
        }
        return any;
}

static int
span_cmp(const void *x, const void *y)
{
        const struct span *a = x, *b = y;

        if (a->field != b->field)
                return a->field < b->field ? -1 : 1;
        if (a->start != b->start)
                return a->start < b->start ? -1 : 1;
        return a->end < b->end ? -1 : a->end > b->end;
}

/* The words that may stand between alternatives besides "or". */
static bool
link_word(const char *w, size_t n)
{
        static const char *const ok[] = {
                "accreditation", "accreditations", "accredited", "registration", "registered",
                "certification", "certificate", "certified", "scheme", "schemes", "member",
                "membership", "equivalent", "either", "a", "an", "the", "such", "as", "e",
                "g", "eg", "including", "level", "approved", "standard",
        };

        for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
                if (strlen(ok[i]) == n && strncasecmp(ok[i], w, n) == 0)
                        return true;
        return false;
}

/* The text between two named checks: 0 not a link, 1 a list link (commas,
 * "/": "ISO 9001/14001" is both), 2 either-or ("or", "and/or"). */
static int
link_kind(const char *s, size_t from, size_t to)
{
        int kind = 1;

        if (to < from || to - from > 80)
                return 0;
        for (size_t i = from; i < to;) {
                if (isalnum((unsigned char)s[i])) {
                        size_t j = i;

                        while (j < to && isalnum((unsigned char)s[j]))
                                j++;
                        if ((j - i == 2 && strncasecmp(s + i, "or", 2) == 0))
                                kind = 2;
                        else if (j - i == 3 && strncasecmp(s + i, "and", 3) == 0 &&
                                 j + 3 <= to && strncasecmp(s + j, "/or", 3) == 0)
                                kind = 2;
                        else if (!link_word(s + i, j - i))
                                return 0;
                        i = j;
                } else if (s[i] == ',' || s[i] == '/' || s[i] == '(' || s[i] == ')' || s[i] == '-' ||
                           s[i] == '.' || isspace((unsigned char)s[i])) {
                        if (s[i] == '.' && (i + 1 == to || isspace((unsigned char)s[i + 1])))
                                return 0;               /* a sentence end */
                        i++;
                } else {
                        return 0;
                }
        }
        return kind;
}

static size_t
alt_root(struct check_asks *a, size_t i)
{
        while (a->v[i].alt != i)
                i = a->v[i].alt;
        return i;
}

/* Group the asks named as alternatives of each other (checks.h). */
static void
either_or(struct check_asks *a, const struct field_text *f, struct spans *sp)
{
        size_t run = 0;                 /* where the current run of linked spans starts */
        bool either = false;

        if (sp->n < 2)
                return;
        qsort(sp->v, sp->n, sizeof(*sp->v), span_cmp);
        for (size_t i = 1; i <= sp->n; i++) {
                int k = 0;

                if (i < sp->n && sp->v[i].field == sp->v[i - 1].field &&
                    sp->v[i].ask != sp->v[i - 1].ask)
                        k = link_kind(f[sp->v[i].field].s, sp->v[i - 1].end, sp->v[i].start);
                if (k > 0) {
                        either = either || k == 2;
                        continue;
                }
                if (either)                     /* spans run .. i-1 are alternatives */
                        for (size_t j = run + 1; j < i; j++) {
                                size_t x = alt_root(a, sp->v[run].ask), y = alt_root(a, sp->v[j].ask);

                                /* insurance named together is all of it */
                                if (x != y && !a->v[x].def->amount && !a->v[y].def->amount)
                                        a->v[x > y ? x : y].alt = x < y ? x : y;
                        }
                run = i;
                either = false;
        }
        for (size_t i = 0; i < a->n; i++)
                a->v[i].alt = alt_root(a, i);
}

void
checker_asks(const struct checker *c, const struct opportunity *o, struct check_asks *a)
{
        struct field_text *f = NULL;
        struct spans sp = { NULL, 0 };
        size_t nf;
        pcre2_match_data *md;

        check_asks_done(a);
        if (c == NULL || c->n == 0)
                return;
        nf = notice_fields(o, &f);
        md = pcre2_match_data_create(1, NULL);
        a->v = xcalloc(c->n, sizeof(*a->v));
        for (size_t i = 0; i < c->n; i++) {
                struct check_ask *x = &a->v[a->n];
                size_t before = sp.n;

                memset(x, 0, sizeof(*x));
                x->def = c->v[i].def;
                x->level = CHECK_LEVEL_NONE;
                x->alt = a->n;
                if (ask_one(&c->v[i], f, nf, md, a->n, &sp, x)) {
                        a->n++;
                } else {
                        free(x->text);
                        sp.n = before;          /* an exclusion fired */
                }
        }
        either_or(a, f, &sp);
        free(sp.v);
        pcre2_match_data_free(md);
        free(f);
}

/* ---- a member --------------------------------------------------------------- */

void
check_holds_init(struct check_holds *h)
{
        h->v = NULL;
        h->n = 0;
        strv_init(&h->entries);
}

void
check_holds_done(struct check_holds *h)
{
        free(h->v);
        strv_done(&h->entries);
        check_holds_init(h);
}

/* Entries: split at ';', line ends and ',' not between digits. */
static void
split_entries(const char *s, struct strv *out)
{
        const char *start = s;

        for (const char *p = s;; p++) {
                bool cut = *p == '\0' || *p == ';' || *p == '\n' ||
                           (*p == ',' && !(p > s && isdigit((unsigned char)p[-1]) &&
                                           isdigit((unsigned char)p[1])));

                if (!cut)
                        continue;
                {
                        char *e = xstrndup(start, (size_t)(p - start));
                        char *t = str_trim(e);

                        if (*t)
                                strv_add(out, t);
                        free(e);
                }
                if (*p == '\0')
                        break;
                start = p + 1;
        }
}

static bool
entry_holds(const struct ccheck *cc, const char *e, pcre2_match_data *md)
{
        size_t len = strlen(e), ms, me;
        bool pos = false;

        for (size_t j = 0; j < cc->nrules; j++) {
                if (!fires(&cc->rules[j], e, len, 0, md, &ms, &me))
                        continue;
                if (cc->rules[j].exclude)
                        return false;
                pos = true;
        }
        return pos;
}

void
checker_member(const struct checker *c, const char *accreditations, struct check_holds *h,
               struct strv *unknown)
{
        pcre2_match_data *md;
        int64_t *level;
        long *entry;                    /* index into entries, -1: not held */
        bool changed = true;

        check_holds_done(h);
        if (accreditations == NULL)
                return;
        split_entries(accreditations, &h->entries);
        if (c == NULL || c->n == 0) {
                for (size_t i = 0; unknown && i < h->entries.n; i++)
                        strv_add(unknown, h->entries.v[i]);
                return;
        }
        md = pcre2_match_data_create(1, NULL);
        level = xcalloc(c->n, sizeof(*level));
        entry = xcalloc(c->n, sizeof(*entry));
        for (size_t i = 0; i < c->n; i++)
                entry[i] = -1;
        for (size_t e = 0; e < h->entries.n; e++) {
                bool known = false;

                for (size_t i = 0; i < c->n; i++) {
                        int64_t lv;

                        if (!entry_holds(&c->v[i], h->entries.v[e], md))
                                continue;
                        known = true;
                        if (!check_amount(h->entries.v[e], &lv))
                                lv = CHECK_LEVEL_NONE;
                        if (entry[i] < 0 || lv > level[i]) {
                                entry[i] = (long)e;
                                level[i] = lv;
                        }
                }
                if (!known && unknown != NULL)
                        strv_add(unknown, h->entries.v[e]);
        }
        /* what holding a check implies (chains too) */
        for (size_t round = 0; changed && round < c->n; round++) {
                changed = false;
                for (size_t i = 0; i < c->n; i++) {
                        for (size_t j = 0; entry[i] >= 0 && j < c->v[i].nimplies; j++) {
                                size_t k = c->v[i].implies[j];

                                if (entry[k] < 0 || level[i] > level[k]) {
                                        entry[k] = entry[i];
                                        level[k] = level[i];
                                        changed = true;
                                }
                        }
                }
        }
        h->v = xcalloc(c->n, sizeof(*h->v));
        for (size_t i = 0; i < c->n; i++)
                if (entry[i] >= 0)
                        h->v[h->n++] = (struct check_hold){
                                .def = c->v[i].def, .level = level[i],
                                .entry = h->entries.v[entry[i]],
                        };
        free(level);
        free(entry);
        pcre2_match_data_free(md);
}

const struct check_hold *
check_holds_find(const struct check_holds *h, const struct check_def *def)
{
        for (size_t i = 0; i < h->n; i++)
                if (h->v[i].def == def)
                        return &h->v[i];
        return NULL;
}

void
check_level_text(int64_t pence, char *buf, size_t len)
{
        int64_t pounds = pence / 100;

        if (pounds >= 1000000 && pounds % 100000 == 0)
                snprintf(buf, len, pounds % 1000000 ? "\xC2\xA3%.1fm" : "\xC2\xA3%.0fm",
                         (double)pounds / 1e6);
        else if (pounds >= 1000 && pounds % 1000 == 0)
                snprintf(buf, len, "\xC2\xA3%lldk", (long long)(pounds / 1000));
        else
                snprintf(buf, len, "\xC2\xA3%lld", (long long)pounds);
}
