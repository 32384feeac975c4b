/*
 * scale.c — scale signals (see include/bidbroker/scale.h).
 *
 * The wording rules read the text as a stream of ASCII word tokens (letters
 * and digits; anything else separates them, and a separator holding '+'
 * or '.' is remembered) and look back over a small window of the last
 * tokens, so any text costs one pass and no allocation.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "bidbroker/opportunity.h"
#include "bidbroker/scale.h"
#include "bidbroker/util.h"

#define WINDOW          16              /* tokens remembered */
#define TOKEN_MAX       24              /* longer words are kept cut (never a keyword) */
#define SNIPPET_MAX     80
#define DAYS_PER_MONTH  30.4375

struct tok {
        char    w[TOKEN_MAX + 1];       /* lower case */
        size_t  off;                    /* byte offset of the token in the text */
        bool    plus;                   /* a '+' between it and the token before */
        bool    stop;                   /* a '.', '!', '?' or ';' before it */
};

struct scan {
        const char *text;
        struct tok  t[WINDOW];          /* ring: token i is t[i % WINDOW] */
        size_t      n;                  /* tokens seen */
};

static const struct tok *
back(const struct scan *s, size_t k)    /* k = 0: the latest token */
{
        static const struct tok none = { "", 0, false, true };

        return k < s->n && k < WINDOW ? &s->t[(s->n - 1 - k) % WINDOW] : &none;
}

static bool
is(const struct tok *t, const char *w)
{
        return strcmp(t->w, w) == 0;
}

static bool
is_any(const struct tok *t, const char *const *words)
{
        for (; *words != NULL; words++)
                if (strcmp(t->w, *words) == 0)
                        return true;
        return false;
}

/* Is one of words among the k tokens before token `from` (same sentence)? */
static bool
before(const struct scan *s, size_t from, size_t k, const char *const *words)
{
        for (size_t i = from + 1; i <= from + k; i++) {
                if (back(s, i - 1)->stop)
                        return false;
                if (is_any(back(s, i), words))
                        return true;
        }
        return false;
}

/* Next token of text from *pos into s; false at the end. */
static bool
next_token(struct scan *s, size_t *pos)
{
        const char *p = s->text + *pos;
        bool plus = false, stop = false;
        struct tok *t;
        size_t n = 0;

        while (*p != '\0' && !isalnum((unsigned char)*p)) {
                plus |= *p == '+';
                stop |= *p == '.' || *p == '!' || *p == '?' || *p == ';' || *p == '\n';
                p++;
        }
        if (*p == '\0')
                return false;
        t = &s->t[s->n % WINDOW];
        t->off = (size_t)(p - s->text);
        t->plus = plus;
        t->stop = stop;
        while (isalnum((unsigned char)*p)) {
                if (n < TOKEN_MAX)
                        t->w[n++] = (char)tolower((unsigned char)*p);
                p++;
        }
        t->w[n] = '\0';
        s->n++;
        *pos = (size_t)(p - s->text);
        return true;
}

/* The text from token k back to the latest one, quoted into out. */
static void
snippet(const struct scan *s, size_t k, const char *where, char *out, size_t len)
{
        const struct tok *first = back(s, k), *last = back(s, 0);
        size_t n = last->off + strlen(last->w) - first->off;

        if (n > SNIPPET_MAX)
                n = SNIPPET_MAX;
        if (where != NULL)
                snprintf(out, len, "%s: \"%.*s\"", where, (int)n, s->text + first->off);
        else
                snprintf(out, len, "\"%.*s\"", (int)n, s->text + first->off);
        for (char *c = out; *c; c++)
                if (*c == '\n' || *c == '\t')
                        *c = ' ';
}

/* Tokens back to show before a keyword k tokens back: up to 6, in the
 * same sentence and still in the window. */
static size_t
lead_in(const struct scan *s, size_t k)
{
        size_t i = k;

        while (i < k + 6 && i + 1 < s->n && i + 1 < WINDOW && !back(s, i)->stop)
                i++;
        return i;
}

/* ---- numbers and terms ---- */

static int
number(const struct tok *t)
{
        static const char *const words[] = {
                "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                "ten", "eleven", "twelve", NULL,
        };
        int v = 0;

        if (t->w[0] == '\0')
                return 0;
        if (isdigit((unsigned char)t->w[0])) {
                for (const char *c = t->w; *c; c++) {
                        if (!isdigit((unsigned char)*c) || v > 1000)
                                return 0;
                        v = v * 10 + (*c - '0');
                }
                return v;
        }
        for (int i = 0; words[i] != NULL; i++)
                if (strcmp(t->w, words[i]) == 0)
                        return i + 1;
        return 0;
}

static const char *const unit_year[] = { "year", "years", "yr", "yrs", NULL };
static const char *const unit_month[] = { "month", "months", NULL };
static const char *const term_nouns[] = {
        "contract", "term", "period", "framework", "agreement", "arrangement", "dps",
        "programme", "service", "services", NULL,
};
static const char *const period_words[] = { "period", "term", "duration", "length", NULL };
static const char *const run_words[] = {
        "run", "runs", "running", "awarded", "let", "last", "lasting", "contract",
        "agreement", "framework", NULL,
};
static const char *const ext_words[] = {
        "extend", "extended", "extension", "extensions", "further", "additional", NULL,
};

struct terms {
        int     best;                   /* longest term seen, months */
        int     sentence;               /* term of the current sentence so far */
        int     pending;                /* "N years" waiting for its noun, months */
        size_t  pending_k;              /* tokens back to its first number */
        char    initial[SNIPPET_MAX + 32];      /* the current sentence's term */
        char    what[SNIPPET_MAX + 64];         /* the words of the best */
};

/* Months of "N years"/"N+M years"/"N (N) months" ending at the latest
 * token (a unit); *k = tokens back to the first number; 0 when none. */
static int
term_at_unit(const struct scan *s, size_t *k)
{
        bool year = is_any(back(s, 0), unit_year);
        int sum = 0, v;
        size_t i = 1;

        if (!year && !is_any(back(s, 0), unit_month))
                return 0;
        if ((v = number(back(s, 1))) == 0)
                return 0;
        if (number(back(s, 2)) == v && !back(s, 1)->plus)       /* "five (5) years" */
                i = 2;
        sum = v;
        while (back(s, i)->plus && (v = number(back(s, i + 1))) > 0 && i < 8) {
                sum += v;                                       /* "3 + 1 + 1 years" */
                i++;
        }
        *k = i;
        if (year ? sum > 50 : sum > 600)
                return 0;
        return year ? sum * 12 : sum;
}

/* "period of (up to) N years", "run for (up to) N years" before the number. */
static bool
term_context_before(const struct scan *s, size_t k)
{
        for (size_t i = k + 1; i <= k + 4; i++) {
                if (back(s, i - 1)->stop)
                        return false;
                if (is(back(s, i), "of") && is_any(back(s, i + 1), period_words))
                        return true;
                if (is(back(s, i), "for") && before(s, i, 5, run_words))
                        return true;
        }
        return false;
}

static void
term_found(struct terms *tm, const struct scan *s, size_t k, int months, bool ext)
{
        if (ext) {
                tm->sentence += months;
        } else if (months > tm->sentence) {
                tm->sentence = months;
                snippet(s, k, NULL, tm->initial, sizeof(tm->initial));
        }
        if (tm->sentence > tm->best) {
                tm->best = tm->sentence;
                snprintf(tm->what, sizeof(tm->what), "%s%s", tm->initial,
                         ext ? " with extensions" : "");
        }
}

/* Feed the latest token to the term rules. */
static void
term_step(struct terms *tm, const struct scan *s)
{
        size_t k;
        int m;

        if (back(s, 0)->stop)
                tm->sentence = 0;
        if (tm->pending > 0) {          /* "N year" + contract/term/... */
                if (is_any(back(s, 0), term_nouns))
                        term_found(tm, s, tm->pending_k + 1, tm->pending, false);
                tm->pending = 0;
        }
        if ((m = term_at_unit(s, &k)) == 0)
                return;
        if (tm->sentence > 0 && before(s, k, 8, ext_words)) {
                term_found(tm, s, k, m, true);
                return;
        }
        if (term_context_before(s, k)) {
                term_found(tm, s, lead_in(s, k) < k + 4 ? lead_in(s, k) : k + 4, m, false);
                return;
        }
        tm->pending = m;
        tm->pending_k = k;
}

int
scale_term_months_in_text(const char *text)
{
        struct scan s = { .text = text ? text : "" };
        struct terms tm = { 0 };
        size_t pos = 0;

        while (next_token(&s, &pos))
                term_step(&tm, &s);
        return tm.best;
}

/* ---- frameworks, DPS, capital works ---- */

static const char *const callup_words[] = {
        "under", "using", "through", "via", "from", "utilising", "utilised", "utilise",
        "off", "calloff", "competition", "existing", NULL,
};
static const char *const setup_words[] = {
        "establish", "establishing", "establishment", "create", "creating", "new",
        "appoint", "appointed", "appointment", "join", "multi", "supplier", "provider",
        "seeks", "procure", "procuring", "tender", NULL,
};
static const char *const notion_words[] = {    /* "develop a framework", "outcomes framework" */
        "develop", "developing", "development", "design", "designing", "review",
        "reviewing", "evaluation", "outcomes", "outcome", "competency", "competence",
        "policy", "strategy", "strategic", "quality", "assurance", "assessment",
        "governance", "measurement", "monitoring", "conceptual", "theoretical",
        "regulatory", "legal", "legislative", "skills", "curriculum", NULL,
};

/* Is the latest token the end of "framework", "DPS" or "dynamic
 * purchasing system"?  *k = tokens back to its first word. */
static bool
framework_word(const struct scan *s, size_t *k)
{
        const struct tok *t = back(s, 0);

        *k = 0;
        if (is(t, "framework") || is(t, "frameworks") || is(t, "dps"))
                return true;
        if (is(t, "system") && is(back(s, 1), "purchasing") && is(back(s, 2), "dynamic")) {
                *k = 2;
                return true;
        }
        return false;
}

static const char *const capital_next[] = {
        "works", "work", "scheme", "schemes", "project", "projects", "programme",
        "programmes", "program", "investment", "build", "improvement", "improvements", NULL,
};
static const char *const major_next[] = {
        "works", "capital", "refurbishment", "redevelopment", "regeneration",
        "construction", "infrastructure", "building", "project", "projects", "scheme",
        "schemes", "development", "refurbishments", NULL,
};

/* Is the latest token the end of "capital works", "major refurbishment"...? */
static bool
capital_words(const struct scan *s)
{
        const struct tok *a = back(s, 1), *b = back(s, 0);

        if (b->stop || is(back(s, 2), "minor") || is(back(s, 2), "small"))
                return false;
        return (is(a, "capital") && is_any(b, capital_next)) ||
               (is(a, "major") && is_any(b, major_next));
}

struct wording {
        bool callup;                    /* a call-off from a framework or DPS */
        char framework[SNIPPET_MAX + 32];
        char capital[SNIPPET_MAX + 32];
};

/* Title: "... Framework", "Dynamic Purchasing System for ...": a framework
 * unless it is a notion ("Development of a framework") or a call-off. */
static void
scan_text(struct wording *w, const char *text, const char *where, bool title)
{
        struct scan s = { .text = text ? text : "" };
        size_t pos = 0, k;

        while (next_token(&s, &pos)) {
                if (is(back(&s, 0), "off") && is(back(&s, 1), "call") && title)
                        w->callup = true;
                if (is(back(&s, 0), "calloff") && title)
                        w->callup = true;
                if (is(back(&s, 0), "competition") && title &&
                    (is(back(&s, 1), "mini") || is(back(&s, 1), "further")))
                        w->callup = true;
                if (w->capital[0] == '\0' && capital_words(&s))
                        snippet(&s, 1, where, w->capital, sizeof(w->capital));
                if (w->framework[0] != '\0' || !framework_word(&s, &k))
                        continue;
                if (before(&s, k, 6, callup_words)) {
                        if (title)
                                w->callup = true;
                        continue;
                }
                if (title ? !before(&s, k, 4, notion_words) : before(&s, k, 6, setup_words))
                        snippet(&s, lead_in(&s, k), where, w->framework,
                                sizeof(w->framework));
        }
}

/* ---- the verdict ---- */

static void
add(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Append one signal to the reasons in buf. */
static void
add(char *buf, size_t len, const char *fmt, ...)
{
        size_t n = strlen(buf);
        va_list ap;

        if (n > 0 && n + 2 < len) {
                memcpy(buf + n, "; ", 3);
                n += 2;
        }
        if (n + 1 >= len)
                return;
        va_start(ap, fmt);
        vsnprintf(buf + n, len - n, fmt, ap);
        va_end(ap);
}

static void
above_threshold(const struct opportunity *o, char *buf, size_t len)
{
        const char *d = o->procurement_method_details;

        if (o->above_threshold == TRI_YES) {
                if (d != NULL && strcasestr(d, "threshold") != NULL)
                        add(buf, len, "above-threshold procedure (\"%.80s\")", d);
                else
                        add(buf, len, "above the procurement threshold (aboveThreshold)");
        } else if (o->above_threshold == TRI_UNKNOWN && o->notice_type != NULL &&
                   o->source != NULL && strcmp(o->source, "fts") == 0) {
                if (strcmp(o->notice_type, "UK1") == 0)
                        add(buf, len, "Find a Tender UK1 pipeline notice (contracts over £2m)");
                else if (strcmp(o->notice_type, "UK3") == 0)
                        add(buf, len, "Find a Tender UK3 planned procurement notice "
                            "(above-threshold procurements only)");
        }
}

/* procurementMethodDetails says the notice is a call-off from a framework
 * or DPS ("Call-off from a dynamic purchasing system"). */
static bool
called_off(const struct opportunity *o)
{
        const char *d = o->procurement_method_details;

        return d != NULL && (strcasestr(d, "call-off") || strcasestr(d, "call off") ||
                             strcasestr(d, "calloff"));
}

static void
framework_or_dps(const struct opportunity *o, const struct wording *w, char *buf, size_t len)
{
        if (o->framework == TRI_YES)
                add(buf, len, "sets up a framework agreement (techniques.hasFrameworkAgreement)");
        if (o->dps == TRI_YES)
                add(buf, len, "sets up a dynamic purchasing system "
                    "(techniques.hasDynamicPurchasingSystem)");
        if (o->framework == TRI_YES || o->dps == TRI_YES || w->framework[0] == '\0')
                return;
        if (w->callup || called_off(o))
                return;                 /* a contract under a framework, not the framework */
        add(buf, len, "a framework or dynamic purchasing system (%s)", w->framework);
}

/* A term longer than limit_months: the contractPeriod, or the wording of
 * the title or description. */
static void
long_term(const struct opportunity *o, int limit_months, char *buf, size_t len)
{
        const char *texts[2] = { o->title, o->description };
        const char *where[2] = { "title", "description" };
        char what[SNIPPET_MAX + 96] = "";
        int months = 0;

        if (limit_months <= 0)
                return;
        /* the contractPeriod of a call-off is often the framework's */
        if (called_off(o))
                goto wording;
        /* the contractPeriod is in whole days: an end on the last day of the
         * term ("2025-04-01 .. 2029-03-31T23:59:59") is not longer than it */
        if (o->term_days > (int64_t)(limit_months * DAYS_PER_MONTH + 1.5)) {
                months = (int)(o->term_days / DAYS_PER_MONTH + 0.5);
                snprintf(what, sizeof(what), "contractPeriod, %lld days",
                         (long long)o->term_days);
        }
wording:
        for (int i = 0; i < 2; i++) {
                struct scan s = { .text = texts[i] ? texts[i] : "" };
                struct terms tm = { 0 };
                size_t pos = 0;

                while (next_token(&s, &pos))
                        term_step(&tm, &s);
                if (tm.best > limit_months && tm.best > months) {
                        months = tm.best;
                        snprintf(what, sizeof(what), "%s %s", where[i], tm.what);
                }
        }
        if (months == 0)
                return;
        if (months % 12 == 0)
                add(buf, len, "a term of %d years (%s)", months / 12, what);
        else
                add(buf, len, "a term of %d months (%s)", months, what);
}

const char *
scale_likely_over_cap(const struct opportunity *o, int long_term_months, char *buf,
                      size_t len)
{
        struct wording w;

        if (len == 0)
                return NULL;
        buf[0] = '\0';
        if (o->value_stated && o->value_max != VALUE_NONE)
                return NULL;            /* a stated value always wins */
        memset(&w, 0, sizeof(w));
        scan_text(&w, o->title, "title", true);
        for (size_t i = 0; i < o->lot_titles.n; i++)
                scan_text(&w, o->lot_titles.v[i], "lot title", true);
        scan_text(&w, o->description, "description", false);

        above_threshold(o, buf, len);
        framework_or_dps(o, &w, buf, len);
        if (w.capital[0] != '\0')
                add(buf, len, "capital or major works (%s)", w.capital);
        long_term(o, long_term_months, buf, len);
        return buf[0] ? buf : NULL;
}
