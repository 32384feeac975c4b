/*
 * test_engine_diff.c — the differential test of the engine's prefilter:
 * thousands of generated rules (words, phrases, and true regexes with
 * alternations, classes, optional parts, anchors, case, no-literal ones)
 * in a taxonomy and a register of generated members, and the real fixture
 * notices plus generated ones (recombined and mutated: accents, ß, the
 * Kelvin sign, long s, combining marks, invalid UTF-8, punctuation inside
 * words) run through engine_match() and engine_match_brute(); every
 * requirement, exclusion, match, score, reason and miss must be the same.
 */
#include "testutil.h"

#include <stdio.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "bidbroker/cpvcover.h"
#include "bidbroker/engine.h"
#include "bidbroker/err.h"
#include "bidbroker/members.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/rule.h"
#include "bidbroker/util.h"
#include "engine_corpus.h"
#include "engine_fixture.h"

#define NCAPS           12
#define NMEMBERS        400
#define NGEN_NOTICES    300

static const char *const region_pool[] = {
        "UKC", "UKD", "UKE", "UKE2", "UKF", "UKG", "UKG3", "UKG31", "UKG24", "UKH", "UKI",
        "UKI4", "UKI44", "UKJ", "UKK", "UKL", "UKM", "UKN", "UK", "PC:B", "PC:WS", "PC:E",
        "PC:SW", "PC:M", "PC:LS", "PC:BS",
};
static const char *const notice_regions[] = {
        "UKG", "UKG31", "UKG24", "UKI", "UKI44", "UKE2", "UKC", "UKD", "UKM", "UKK", "UKJ",
};
static const char *const postcodes[] = {
        "B1 1AA", "WS1 2AB", "E1 6AN", "M1 1AE", "LS1 4AP", "BS1 5TR", "SW1A 2AA", "CV1 2GT",
};
/* Spice inserted into texts and rules: folding and boundary edge cases. */
static const char *const spice[] = {
        "\xc3\x89", "\xc3\xa9", "\xc3\x9f", "\xe2\x84\xaa", "\xc5\xbf", "\xcc\x81", "_", "'",
        "\xe2\x80\x99", "-", "0", "\xc3\x86", "\xce\xb1", "K", "s", " ",
        "\xc2\xa0", "\xe1\xba\x9e",
        "\xff", "\xc3",       /* invalid UTF-8: the last two, in mode 3 only */
};

static char *
mutate(struct rng *r, const char *text)
{
        struct buf b;
        size_t n = strlen(text);
        int mode = (int)rng_below(r, 4);

        buf_init(&b);
        buf_adds(&b, "");
        for (size_t i = 0; i < n; i++) {
                char c = text[i];

                if (mode == 1 && c >= 'a' && c <= 'z')
                        c = (char)(c - 32);
                buf_addc(&b, c);
                if (mode >= 2 && rng_chance(r, 3))
                        buf_adds(&b, spice[rng_below(r, ARRAY_SIZE(spice) - (mode == 2 ? 2 : 0))]);
        }
        return buf_steal(&b);
}

/* A random piece of a word: 3..6 bytes of ASCII letters, or NULL. */
static char *
word_piece(struct rng *r, const char *w)
{
        size_t n = strlen(w), l, st;

        for (size_t i = 0; i < n; i++)
                if ((unsigned char)w[i] >= 0x80)
                        return NULL;
        if (n < 4)
                return NULL;
        l = 3 + rng_below(r, n - 3 < 4 ? n - 3 : 4);
        st = rng_below(r, n - l + 1);
        return xstrndup(w + st, l);
}

static char *
random_case(struct rng *r, const char *s)
{
        char *t = xstrdup(s);

        for (char *p = t; *p; p++) {
                if (rng_chance(r, 30) && *p >= 'a' && *p <= 'z')
                        *p = (char)(*p - 32);
                else if (rng_chance(r, 30) && *p >= 'A' && *p <= 'Z')
                        *p = (char)(*p + 32);
        }
        return t;
}

/* A keyword or regex in the style people write them. */
static char *
gen_rule_text(struct rng *r, const struct corpus *c, enum rule_kind *kind)
{
        const char *w1 = corpus_word(c, r), *w2 = corpus_word(c, r), *w3 = corpus_word(c, r);
        char *p = NULL, *q = NULL, *t = NULL;
        int k = (int)rng_below(r, 30);

        *kind = k < 9 ? RULE_KEYWORD : RULE_REGEX;
        switch (k) {
        case 0: case 1: case 2:
                return random_case(r, w1);
        case 3: case 4: case 5:
                p = corpus_phrase(c, r, 2 + rng_below(r, 2), " ");
                if (p == NULL)
                        return xstrdup(w1);
                t = random_case(r, p);
                free(p);
                return t;
        case 6:
                p = corpus_phrase(c, r, 2, "-");
                return p ? p : xstrdup(w2);
        case 7:
                return mutate(r, w1);
        case 8:
                return xasprintf("%s's", w1);
        case 9:  return xstrdup(w1);
        case 10: return xasprintf("\\b%s\\b", w1);
        case 11: return xasprintf("\\b%s", w1);
        case 12: return xasprintf("%s\\b", w1);
        case 13:
                p = corpus_phrase(c, r, 2, " ");
                return p ? p : xstrdup(w1);
        case 14:
                p = corpus_phrase(c, r, 2, "\\s+");
                return p ? p : xstrdup(w1);
        case 15: return xasprintf("\\b(%s|%s)\\b", w1, w2);
        case 16: return xasprintf("(?:%s )?%s", w1, w2);
        case 17: return xasprintf("%s.{0,30}%s", w1, w2);
        case 18:
                q = word_piece(r, w1);
                if (q == NULL)
                        return xstrdup(w1);
                return q;
        case 19:
                q = word_piece(r, w1);
                if (q == NULL)
                        return xstrdup(w2);
                t = xasprintf("\\b%s", q);
                free(q);
                return t;
        case 20: return xasprintf("%s(s|es|ing)?", w1);
        case 21: return xasprintf("^%s", w1);
        case 22: return xasprintf("%s$", w1);
        case 23: return xasprintf("%s|%s|%s", w1, w2, w3);
        case 24: return xasprintf("\\d+\\s*%s", w1);
        case 25: {
                static const char *const none[] = {
                        "\\b\\d{4}\\b", "[A-Z]{6,}", ".+ing\\b", "(?x) a b c", "(\\w+) \\1",
                        "[[:upper:]]{3}", "(?i)\\bthe\\b", "\\p{Lu}\\p{Ll}+ Council",
                        "[^a-z ]{3}", "\\bcar|van|lorr(y|ies)", "(?=.*clean)",
                        "\\x{e9}t\\x{e9}", "[\\s,]+and[\\s,]+", "\\Qa.b\\E", "caf[eé]",
                        "(?<=[Tt]he )\\w+", "£\\d+", "\\bk\\w+", "s{2}", "ß", "(?|ab|cd)e",
                };
                return xstrdup(none[rng_below(r, ARRAY_SIZE(none))]);
        }
        case 26: return xasprintf("[%c%c]%s", w1[0], (w1[0] >= 'a' && w1[0] <= 'z') ?
                                  w1[0] - 32 : w1[0], w1 + 1);
        case 27:
                p = random_case(r, w1);
                t = xasprintf("\\Q%s\\E(?= )", p);
                free(p);
                return t;
        case 28: return xasprintf("(%s)+ %s", w1, w2);
        default: return xasprintf("%s[ -]%s|\\b%s\\b", w1, w2, w3);
        }
}

static unsigned
gen_fields(struct rng *r)
{
        static const unsigned f[] = {
                FIELD_TEXT, FIELD_TEXT, FIELD_TEXT, FIELD_TEXT, FIELD_TITLE,
                FIELD_DESCRIPTION, FIELD_BUYER, FIELD_LOTS | FIELD_ITEMS,
                FIELD_TITLE | FIELD_BUYER, 0,
        };

        return f[rng_below(r, ARRAY_SIZE(f))];
}

static void
gen_rules(struct rng *r, const struct corpus *c, struct rule **v, size_t *n, size_t count,
          unsigned excl_percent)
{
        for (size_t i = 0; i < count; i++) {
                enum rule_kind kind;
                char *text = gen_rule_text(r, c, &kind);
                pcre2_code *re;
                int ec;
                PCRE2_SIZE eo;

                if (kind == RULE_REGEX) {       /* only patterns PCRE2 takes */
                        re = pcre2_compile((PCRE2_SPTR)text, PCRE2_ZERO_TERMINATED,
                                           PCRE2_CASELESS | PCRE2_UTF | PCRE2_UCP |
                                           PCRE2_MATCH_INVALID_UTF, &ec, &eo, NULL);
                        if (re == NULL) {
                                free(text);
                                continue;
                        }
                        pcre2_code_free(re);
                } else {
                        struct strv w;

                        strv_init(&w);
                        if (rule_keyword_words(text, &w) == 0) {
                                strv_done(&w);
                                free(text);
                                continue;
                        }
                        strv_done(&w);
                }
                fx_rule(v, n, kind, text, gen_fields(r), rng_chance(r, excl_percent),
                        0.5 + (double)rng_below(r, 4) * 0.25);
                free(text);
        }
}

static char *
cpv_prefix(struct rng *r, const struct corpus *c)
{
        const char *code = c->cpv.n ? c->cpv.v[rng_below(r, c->cpv.n)] : "90911200";
        size_t l = 2 + rng_below(r, 7);

        if (l > strlen(code))
                l = strlen(code);
        return xstrndup(code, l);
}

/* A coverage table of random prefixes of the corpus codes (nested ones too,
 * so the longest prefix has to win), some out of scope, loaded as the
 * taxonomy's; the prefilter looks it up, the oracle scans it. */
static void
gen_cover(struct rng *r, const struct corpus *c, struct taxonomy *tx)
{
        char path[] = "/tmp/test_engine_diff.cover.XXXXXX";
        struct strv ids, seen;
        struct buf b;
        struct diag d;
        int fd;

        strv_init(&ids);
        strv_init(&seen);
        buf_init(&b);
        for (size_t k = 0; k < tx->ncaps; k++)
                strv_add(&ids, tx->caps[k].id);
        for (int i = 0; i < 60; i++) {
                char *pre = cpv_prefix(r, c);

                if (!strv_contains(&seen, pre)) {
                        strv_add(&seen, pre);
                        if (rng_chance(r, 25))
                                buf_printf(&b, "%s out-of-scope: generated\n", pre);
                        else if (rng_chance(r, 30))
                                buf_printf(&b, "%s %s, %s\n", pre, ids.v[rng_below(r, ids.n)],
                                           ids.v[rng_below(r, ids.n)]);
                        else
                                buf_printf(&b, "%s %s\n", pre, ids.v[rng_below(r, ids.n)]);
                }
                free(pre);
        }
        fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, b.data, b.len), (ssize_t)b.len);
        close(fd);
        diag_init(&d);
        if (cpvcover_load(path, &ids, NULL, &tx->cover, &d) < 0)
                diag_print(&d, stderr);
        assert_non_null(tx->cover);
        diag_done(&d);
        unlink(path);
        buf_done(&b);
        strv_done(&seen);
        strv_done(&ids);
}

static struct engine *
gen_engine(struct rng *r, const struct corpus *c, size_t *nrules)
{
        struct taxonomy *tx = fx_taxonomy();
        struct member_register *reg = fx_register();
        struct engine *e = NULL;
        struct diag d;

        for (int k = 0; k < NCAPS; k++) {
                char id[32];
                struct capability *cap;

                snprintf(id, sizeof(id), "cap%02d", k);
                cap = fx_cap(tx, id, 0.5 + (double)(k % 4) * 0.5);
                for (size_t i = 0, n = 1 + rng_below(r, 4); i < n; i++)
                        strv_take(&cap->cpv, cpv_prefix(r, c));
                if (rng_chance(r, 30))
                        strv_take(&cap->cpv_exclude, cpv_prefix(r, c));
                gen_rules(r, c, &cap->rules, &cap->nrules, 5 + rng_below(r, 15), 12);
                cap->on_site = rng_chance(r, 60);
                /* strong rules: a description match makes the capability required */
                for (size_t i = 0; i < cap->nrules; i++)
                        cap->rules[i].strong = !cap->rules[i].exclude && rng_chance(r, 25);
        }
        for (int m = 0; m < NMEMBERS; m++) {
                char id[32], caps[128] = "";
                struct member *mb;
                int64_t lo = VALUE_NONE, hi = VALUE_NONE;

                snprintf(id, sizeof(id), "m%04d", m);
                for (size_t i = 0, n = rng_below(r, m % 10 ? 4 : 7); i < n; i++) {
                        char one[16];

                        snprintf(one, sizeof(one), "%scap%02d", caps[0] ? ";" : "",
                                 (int)rng_below(r, NCAPS));
                        strcat(caps, one);
                }
                if (rng_chance(r, 30))
                        lo = (int64_t)rng_below(r, 20) * 100000;
                if (rng_chance(r, 70))
                        hi = (int64_t)(5 + rng_below(r, 60)) * 100000;
                mb = fx_member(reg, id, caps, NULL, lo, hi);
                for (size_t i = 0, n = rng_below(r, m % 10 ? 4 : 8); i < n; i++)
                        strv_add_unique(&mb->regions, region_pool[rng_below(r,
                                                                ARRAY_SIZE(region_pool))]);
                gen_rules(r, c, &mb->rules, &mb->nrules, rng_below(r, 12), 15);
        }
        gen_cover(r, c, tx);
        fx_register_sort(reg);
        *nrules = 0;
        for (size_t k = 0; k < tx->ncaps; k++)
                *nrules += tx->caps[k].nrules;
        for (size_t k = 0; k < reg->n; k++)
                *nrules += reg->members[k].nrules;
        diag_init(&d);
        if (engine_build(tx, reg, &e, &d) < 0) {
                diag_print(&d, stderr);
                e = NULL;
        }
        diag_done(&d);
        return e;
}

static const char *
pick(struct rng *r, const struct strv *v, const char *dflt)
{
        return v->n ? v->v[rng_below(r, v->n)] : dflt;
}

static void
gen_notice(struct rng *r, const struct corpus *c, struct opportunity *o)
{
        opportunity_init(o);
        o->source = xstrdup("gen");
        o->title = mutate(r, pick(r, &c->titles, "Cleaning services"));
        o->description = mutate(r, pick(r, &c->descs, "Office cleaning"));
        if (rng_chance(r, 80))
                o->buyer_name = mutate(r, pick(r, &c->buyers, "Council"));
        for (size_t i = 0, n = rng_below(r, 3); i < n; i++)
                strv_take(&o->lot_titles, mutate(r, pick(r, &c->titles, "Lot 1")));
        for (size_t i = 0, n = rng_below(r, 3); i < n; i++) {
                char *p = corpus_phrase(c, r, 1 + rng_below(r, 6), " ");

                if (p)
                        strv_take(&o->item_descriptions, p);
        }
        for (size_t i = 0, n = rng_below(r, 4); i < n; i++)
                strv_add(&o->cpv, pick(r, &c->cpv, "90911200"));
        if (rng_chance(r, 15)) {
                /* "any region", sometimes with a delivery region too (CF shapes) */
                o->anywhere = true;
                if (rng_chance(r, 30))
                        strv_add(&o->regions, notice_regions[rng_below(r,
                                                        ARRAY_SIZE(notice_regions))]);
        } else
                for (size_t i = 0, n = rng_below(r, 3); i < n; i++)
                        strv_add_unique(&o->regions, notice_regions[rng_below(r,
                                                                ARRAY_SIZE(notice_regions))]);
        for (size_t i = 0, n = rng_chance(r, 30) ? 1 + rng_below(r, 2) : 0; i < n; i++)
                strv_add(&o->postcodes, postcodes[rng_below(r, ARRAY_SIZE(postcodes))]);
        if (rng_chance(r, 75)) {
                o->value_stated = true;
                o->value_max = (int64_t)(1 + rng_below(r, 80)) * 100000 + 1234;
                if (rng_chance(r, 20))
                        o->value_min = o->value_max / 2;
                memcpy(o->currency, "GBP", 4);
        }
        o->suitable_sme = (enum tristate)((int)rng_below(r, 3) - 1);
        o->suitable_vcse = (enum tristate)((int)rng_below(r, 3) - 1);
}

static bool
str_same(const char *a, const char *b)
{
        if (a == NULL || b == NULL)
                return a == b;
        return strcmp(a, b) == 0;
}

static bool
reasons_same(const struct reason *a, size_t na, const struct reason *b, size_t nb,
             const char **what)
{
        if (na != nb) {
                *what = "number of reasons";
                return false;
        }
        for (size_t i = 0; i < na; i++) {
                if (a[i].kind != b[i].kind || !str_same(a[i].capability, b[i].capability) ||
                    !str_same(a[i].rule, b[i].rule) || !str_same(a[i].field, b[i].field) ||
                    !str_same(a[i].matched, b[i].matched) || a[i].weight != b[i].weight) {
                        *what = "a reason";
                        return false;
                }
        }
        return true;
}

static bool
reqs_same(const struct requirement *a, size_t na, const struct requirement *b, size_t nb,
          const char **what)
{
        if (na != nb) {
                *what = "number of requirements";
                return false;
        }
        for (size_t i = 0; i < na; i++) {
                if (a[i].cap != b[i].cap || a[i].score != b[i].score ||
                    a[i].required != b[i].required) {
                        *what = "requirement";
                        return false;
                }
                if (!reasons_same(a[i].reasons, a[i].nreasons, b[i].reasons, b[i].nreasons,
                                  what))
                        return false;
        }
        return true;
}

/* 0 when equal; otherwise prints what differs. */
static int
compare(const struct match_result *a, const struct match_result *b, size_t notice)
{
        const char *what = NULL;

        if (!reqs_same(a->requires, a->nrequires, b->requires, b->nrequires, &what) ||
            !reqs_same(a->excluded, a->nexcluded, b->excluded, b->nexcluded, &what))
                goto diff;
        if (!str_same(a->place, b->place)) {
                what = "place rule";
                goto diff;
        }
        if (a->nmatches != b->nmatches) {
                what = "number of matches";
                goto diff;
        }
        for (size_t i = 0; i < a->nmatches; i++) {
                if (a->matches[i].member != b->matches[i].member ||
                    a->matches[i].score != b->matches[i].score) {
                        what = "match member/score";
                        goto diff;
                }
                if (!reasons_same(a->matches[i].reasons, a->matches[i].nreasons,
                                  b->matches[i].reasons, b->matches[i].nreasons, &what))
                        goto diff;
        }
        if (a->nmisses != b->nmisses) {
                what = "number of misses";
                goto diff;
        }
        for (size_t i = 0; i < a->nmisses; i++)
                if (a->misses[i].member != b->misses[i].member ||
                    !str_same(a->misses[i].reason, b->misses[i].reason)) {
                        what = "a miss";
                        goto diff;
                }
        return 0;
diff:
        fprintf(stderr, "notice %zu: %s differs (engine %zu req %zu matches, brute %zu req "
                "%zu matches)\n", notice, what, a->nrequires, a->nmatches, b->nrequires,
                b->nmatches);
        return 1;
}

static void
t_engine_equals_brute(void **state)
{
        struct corpus c;
        struct rng r = { 0x5eed2026u };
        struct engine *e;
        struct engine_scratch *s;
        struct match_result ra, rb;
        size_t nrules, diffs = 0, nmatch = 0, nreq = 0, nmiss = 0, nexcl = 0, ninc = 0;
        size_t verified = 0, brute_verified = 0, total;

        (void)state;
        if (corpus_load(&c, fixtures_dir()) < 0) {
                fprintf(stderr, "no fixture notices could be parsed\n");
                fail();
        }
        e = gen_engine(&r, &c, &nrules);
        assert_non_null(e);
        assert_true(nrules > 2000);
        assert_true(engine_always_count(e) > 0);
        s = engine_scratch_new(e);
        match_result_init(&ra);
        match_result_init(&rb);
        total = c.n + NGEN_NOTICES;
        for (size_t i = 0; i < total; i++) {
                struct opportunity gen;
                const struct opportunity *o;
                unsigned flags = (i % 7 == 0) ? ENGINE_EXPLAIN : 0;

                if (i < c.n) {
                        o = &c.opps[i];
                } else {
                        gen_notice(&r, &c, &gen);
                        o = &gen;
                }
                assert_int_equal(engine_match(e, s, o, flags, &ra), 0);
                verified += engine_scratch_verified(s);
                assert_int_equal(engine_match_brute(e, s, o, flags, &rb), 0);
                brute_verified += engine_scratch_verified(s);
                diffs += (size_t)compare(&ra, &rb, i);
                nmatch += ra.nmatches;
                nreq += ra.nrequires;
                for (size_t k = 0; k < ra.nrequires; k++)
                        ninc += !ra.requires[k].required;
                nexcl += ra.nexcluded;
                nmiss += ra.nmisses;
                if (i >= c.n)
                        opportunity_done(&gen);
        }
        fprintf(stderr, "diff: %zu notices (%zu real), %zu rules, %zu patterns, %zu always; "
                "%zu requirements (%zu incidental), %zu excluded, %zu matches, %zu misses; verified %zu vs "
                "brute %zu; %zu differences\n", total, c.n, nrules, engine_pattern_count(e),
                engine_always_count(e), nreq, ninc, nexcl, nmatch, nmiss, verified, brute_verified,
                diffs);
        assert_int_equal(diffs, 0);
        /* the test has teeth: things fire, match and miss */
        assert_true(nreq > total / 2);
        assert_true(nmatch > total);
        assert_true(nexcl > 0);
        assert_true(nmiss > 0);
        assert_true(ninc > 0 && ninc < nreq);   /* required and incidental both occur */
        assert_true(verified * 4 < brute_verified);
        match_result_done(&ra);
        match_result_done(&rb);
        engine_scratch_free(s);
        engine_free(e);
        corpus_done(&c);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(t_engine_equals_brute),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
