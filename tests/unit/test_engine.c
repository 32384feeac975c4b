/*
 * test_engine.c — the matching engine's units: text normalisation, rule
 * compilation (atoms, the always-check list, match-start bounds), build
 * errors, CPV prefix logic, region logic, value bands, scoring and reasons,
 * exclusions, nearest misses.  Every case also runs through the brute-force
 * oracle and must give the same result.  (The large randomised comparison
 * is test_engine_diff.c.)
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>

#include "bidbroker/engine.h"
#include "bidbroker/err.h"
#include "bidbroker/members.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/rule.h"
#include "bidbroker/textnorm.h"
#include "bidbroker/util.h"
#include "engine_fixture.h"

#define GBP(x) ((int64_t)(x) * 100)

/* ---- text ---------------------------------------------------------------- */

static void
t_fold_words(void **state)
{
        static const struct {
                const char *in, *out;
        } cases[] = {
                { "Window-Cleaning", "window cleaning" },
                { "CAFÉ Crème", "cafe creme" },
                { "Straße", "strasse" },
                { "Æther Œuvre Þing Ĳssel", "aether oeuvre thing ijssel" },
                { "Children’s services", "children s services" },
                { "Children's", "children s" },
                { "£25,000 p/a", "25 000 p a" },
                { "\xe2\x84\xaa" "elvin \xc5\xbf" "oap", "kelvin soap" },     /* K sign, long s */
                { "caf\xc3\xa9\xcc\x81" "s", "cafe s" },                  /* a combining mark splits */
                { "bad\xff" "byte \xc3", "bad byte" },                  /* invalid UTF-8 splits */
                { "snake_case", "snake case" },
                { "αβγ δ", "" },                                        /* other scripts: none */
                { "", "" },
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                char *f = tn_fold_words(cases[i].in);

                if (strcmp(f, cases[i].out) != 0)
                        fprintf(stderr, "fold '%s': got '%s', want '%s'\n", cases[i].in, f,
                                cases[i].out);
                assert_string_equal(f, cases[i].out);
                free(f);
        }
}

static void
t_tokens_positions(void **state)
{
        struct tn_text t;
        uint32_t pos = 0;
        const char *a = "Grounds  maintenance", *b = "Tree surgery";

        (void)state;
        tn_init(&t);
        tn_tokenize(&t, a, strlen(a), 0, &pos);
        tn_tokenize(&t, b, strlen(b), 1, &pos);
        assert_int_equal(t.n, 4);
        assert_int_equal(t.tok[0].pos + 1, t.tok[1].pos);
        /* a new segment never continues a phrase */
        assert_true(t.tok[2].pos > t.tok[1].pos + 1);
        assert_int_equal(t.tok[2].seg, 1);
        /* source offsets point at the original bytes */
        assert_int_equal(t.tok[1].src, 9);
        assert_int_equal(t.tok[1].srclen, 11);
        assert_memory_equal(t.fold + t.tok[1].off, "maintenance", 11);
        assert_true(t.tok[1].hash == tn_hash("maintenance", 11));
        tn_done(&t);
}

/* ---- rule compilation ---------------------------------------------------- */

static char *
atoms_of(const char *pattern)
{
        struct rule_atoms ra;
        char *s;

        rule_atoms_init(&ra);
        rule_regex_atoms(pattern, &ra);
        s = rule_atoms_format(&ra);
        rule_atoms_done(&ra);
        return s;
}

static void
t_regex_atoms(void **state)
{
        static const struct {
                const char *pattern, *atoms;
        } cases[] = {
                { "\\bcleaners?\\b", "WORD:cleaner|WORD:cleaners" },
                /* optional letters and separators: with and without them */
                { "\\bwi-?fi\\b", "WORD:wifi|WORD:wi" },
                { "\\bfit[- ]?out\\b", "WORD:fitout|WORD:fit" },
                { "\\bclean\\s?rooms?\\b", "WORD:cleanroom|WORD:clean|WORD:cleanrooms" },
                { "\\bcleaners?\\s+wanted\\b", "WORD:wanted & WORD:cleaner|WORD:cleaners" },
                { "\\b(?:broadband|wi-?fi)\\s+support\\b",
                  "WORD:support & WORD:broadband|WORD:wifi|WORD:wi" },
                { "e-?learning", "INFIX:elearning|PREFIX:learning" },
                { "clean(ing|ers)", "INFIX:clean & INFIX:ing|INFIX:ers" },
                { "\\bwindow\\s+cleaning\\b", "WORD:cleaning & WORD:window" },
                { "\\b(grass|verge) cutting", "PREFIX:cutting & WORD:grass|WORD:verge" },
                { "\\bgrass|\\bverge", "PREFIX:grass|PREFIX:verge" },
                { "\\d+ hours", "PREFIX:hours" },
                { "^asbestos", "PREFIX:asbestos" },
                { "asbestos$", "SUFFIX:asbestos" },
                { "[Cc]atering", "INFIX:catering" },
                { "(?:^|\\s)meals", "PREFIX:meals" },
                { "\\Qa.b\\E", "SUFFIX:a & PREFIX:b" },
                { "(?i)\\bskip hire\\b", "WORD:skip & WORD:hire" },
                { "(?:school )?meals?", "INFIX:meal" },
                /* no literal, or syntax the reader does not follow: always checked */
                { ".*", "" },
                { "\\d{4}", "" },
                { "(?x) skip \\s hire", "" },
                { "(*UCP)skip", "" },
                { "(?(1)a|b)", "" },
                { "cater|\\w+ing", "INFIX:cater|INFIX:ing" },
                { "a{,3}b", "" },
                { "caf[eé]", "INFIX:caf" },     /* non-ASCII in a class: unknown */
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                char *a = atoms_of(cases[i].pattern);

                if (strcmp(a, cases[i].atoms) != 0)
                        fprintf(stderr, "atoms of '%s': got '%s', want '%s'\n",
                                cases[i].pattern, a, cases[i].atoms);
                assert_string_equal(a, cases[i].atoms);
                free(a);
        }
}

static void
t_regex_start_bounds(void **state)
{
        struct rule_atoms ra;

        (void)state;
        rule_atoms_init(&ra);
        rule_regex_atoms("\\bwindow\\s+cleaning\\b", &ra);
        /* "window" starts every match; "cleaning" follows \s+ (no bound) */
        for (size_t c = 0; c < ra.n; c++) {
                if (strcmp(ra.conj[c].v[0].text, "window") == 0)
                        assert_int_equal(ra.conj[c].lmax, 0);
                else
                        assert_int_equal(ra.conj[c].lmax, -1);
        }
        rule_regex_atoms("(?:^|\\s)meals", &ra);
        assert_int_equal(ra.n, 1);
        assert_true(ra.conj[0].lmax >= 1 && ra.conj[0].lmax <= 4);
        rule_atoms_done(&ra);
}

static void
t_keyword_atoms(void **state)
{
        struct strv w;
        struct rule_atoms ra;
        char *a;

        (void)state;
        strv_init(&w);
        rule_atoms_init(&ra);
        assert_int_equal(rule_keyword_words("Grounds-Maintenance of the parks", &w), 5);
        rule_keyword_atoms(&w, &ra);
        a = rule_atoms_format(&ra);
        /* every word is required, the rarest first; at most four kept */
        assert_int_equal(ra.n, 4);
        assert_string_equal(ra.conj[0].v[0].text, "maintenance");
        assert_null(strstr(a, "WORD:the"));
        free(a);
        rule_atoms_done(&ra);
        strv_done(&w);
        assert_int_equal(rule_keyword_words("-- ! --", &w), 0);
        strv_done(&w);
}

/* ---- engine fixtures ------------------------------------------------------- */

static struct engine *
build_ok(struct taxonomy *tx, struct member_register *reg)
{
        struct engine *e = NULL;
        struct diag d;

        diag_init(&d);
        fx_register_sort(reg);
        if (engine_build(tx, reg, &e, &d) < 0)
                diag_print(&d, stderr);
        diag_done(&d);
        assert_non_null(e);
        return e;
}

/*
 * cleaning: CPV 9091 (not 90911300), keyword "window cleaning", regex
 * \bcleaners?\b (title only, weight 0.5), excluded by "asbestos".
 * catering: CPV 555, regex \bcater(?:ing|er)s?\b, weight 2.
 */
static struct taxonomy *
small_taxonomy(void)
{
        struct taxonomy *tx = fx_taxonomy();
        struct capability *c;

        c = fx_cap(tx, "cleaning", 1.0);
        fx_list(&c->cpv, "9091");
        fx_list(&c->cpv_exclude, "90911300");
        fx_rule(&c->rules, &c->nrules, RULE_KEYWORD, "window cleaning", FIELD_TEXT, false, 1.0);
        fx_rule(&c->rules, &c->nrules, RULE_REGEX, "\\bcleaners?\\b", FIELD_TITLE, false, 0.5);
        fx_rule(&c->rules, &c->nrules, RULE_KEYWORD, "asbestos", FIELD_TEXT, true, 1.0);
        c = fx_cap(tx, "catering", 2.0);
        fx_list(&c->cpv, "555");
        fx_rule(&c->rules, &c->nrules, RULE_REGEX, "\\bcater(?:ing|er)s?\\b", 0, false, 1.0);
        return tx;
}

/* Run both ways; they must agree; return the engine's result in r. */
static void
run(const struct engine *e, const struct opportunity *o, unsigned flags, struct match_result *r)
{
        struct engine_scratch *s = engine_scratch_new(e);
        struct match_result b;

        match_result_init(&b);
        assert_int_equal(engine_match(e, s, o, flags, r), 0);
        assert_int_equal(engine_match_brute(e, s, o, flags, &b), 0);
        assert_int_equal(r->nrequires, b.nrequires);
        assert_int_equal(r->nexcluded, b.nexcluded);
        assert_int_equal(r->nmatches, b.nmatches);
        assert_int_equal(r->nmisses, b.nmisses);
        for (size_t i = 0; i < r->nmatches; i++) {
                assert_ptr_equal(r->matches[i].member, b.matches[i].member);
                assert_true(r->matches[i].score == b.matches[i].score);
                assert_int_equal(r->matches[i].nreasons, b.matches[i].nreasons);
        }
        for (size_t i = 0; i < r->nmisses; i++)
                assert_string_equal(r->misses[i].reason, b.misses[i].reason);
        match_result_done(&b);
        engine_scratch_free(s);
}

static const struct member_match *
match_of(const struct match_result *r, const char *id)
{
        for (size_t i = 0; i < r->nmatches; i++)
                if (strcmp(r->matches[i].member->id, id) == 0)
                        return &r->matches[i];
        return NULL;
}

static const char *
miss_of(const struct match_result *r, const char *id)
{
        for (size_t i = 0; i < r->nmisses; i++)
                if (strcmp(r->misses[i].member->id, id) == 0)
                        return r->misses[i].reason;
        return NULL;
}

static const struct reason *
reason_of(const struct member_match *m, enum reason_kind kind)
{
        for (size_t i = 0; m && i < m->nreasons; i++)
                if (m->reasons[i].kind == kind)
                        return &m->reasons[i];
        return NULL;
}

static double
sum_weights(const struct member_match *m)
{
        double s = 0;

        for (size_t i = 0; i < m->nreasons; i++)
                s += m->reasons[i].weight;
        return s;
}

/* ---- build ------------------------------------------------------------------ */

static void
t_build_errors(void **state)
{
        struct taxonomy *tx = fx_taxonomy();
        struct member_register *reg = fx_register();
        struct capability *c;
        struct member *m;
        struct engine *e = NULL;
        struct diag d;

        (void)state;
        c = fx_cap(tx, "bad", 1.0);
        fx_list(&c->cpv, "90x1");
        fx_rule(&c->rules, &c->nrules, RULE_REGEX, "clean(ing", FIELD_TEXT, false, 1.0);
        m = fx_member(reg, "m1", NULL, NULL, VALUE_NONE, VALUE_NONE);
        fx_rule(&m->rules, &m->nrules, RULE_KEYWORD, "--", FIELD_TEXT, false, 1.0);
        diag_init(&d);
        assert_int_equal(engine_build(tx, reg, &e, &d), -EINVAL);
        assert_null(e);
        assert_true(diag_count(&d) >= 2);
        for (size_t i = 0; i < d.n; i++)
                fprintf(stderr, "  %s\n", d.msg[i]);
        /* the regex error names the file, the line and the offset */
        assert_non_null(strstr(d.msg[0], "test-rules.conf:1:"));
        assert_non_null(strstr(d.msg[0], "offset"));
        assert_non_null(strstr(d.msg[1], "keyword '--'"));
        diag_done(&d);
        /* tx and reg were taken over (ASan would see a leak otherwise) */

        tx = fx_taxonomy();
        c = fx_cap(tx, "bad", 1.0);
        fx_list(&c->cpv, "90x1");
        diag_init(&d);
        assert_int_equal(engine_build(tx, fx_register(), &e, &d), -EINVAL);
        assert_non_null(strstr(d.msg[0], "CPV prefix '90x1'"));
        diag_done(&d);
        assert_int_equal(engine_build(NULL, NULL, &e, NULL), -EINVAL);
}

static void
t_rule_atoms_and_counts(void **state)
{
        struct taxonomy *tx = small_taxonomy();
        struct member_register *reg = fx_register();
        struct member *m = fx_member(reg, "m1", "cleaning", NULL, VALUE_NONE, VALUE_NONE);
        struct engine *e;
        char *a;

        (void)state;
        fx_rule(&m->rules, &m->nrules, RULE_REGEX, "\\d{3} hours", FIELD_TEXT, false, 1.0);
        fx_rule(&m->rules, &m->nrules, RULE_REGEX, "\\d{4}", FIELD_TEXT, false, 1.0);
        /* written the same way as the strong part of the taxonomy's (a capability
         * rule on title and description is split in a title/lots/items part and
         * a description part): one pattern */
        fx_rule(&m->rules, &m->nrules, RULE_KEYWORD, "window cleaning",
                FIELD_TITLE | FIELD_LOTS | FIELD_ITEMS, false, 1.0);
        e = build_ok(tx, reg);
        assert_int_equal(engine_rule_count(e), 7);
        /* window cleaning 2 (shared by the member), cleaners, asbestos (an exclusion
         * is never split), catering 2, the member's two regexes */
        assert_int_equal(engine_pattern_count(e), 8);
        assert_int_equal(engine_always_count(e), 1);
        a = engine_rule_atoms(e, &engine_taxonomy(e)->caps[0].rules[0]);
        assert_string_equal(a, "WORD:cleaning & WORD:window");
        free(a);
        a = engine_rule_atoms(e, &engine_members(e)->members[0].rules[1]);
        assert_string_equal(a, "");
        free(a);
        a = engine_rule_atoms(e, &engine_members(e)->members[0].rules[0]);
        assert_string_equal(a, "PREFIX:hours");
        free(a);
        engine_free(e);
}

/* ---- CPV ------------------------------------------------------------------- */

static void
t_cpv_prefixes(void **state)
{
        struct member_register *reg = fx_register();
        struct engine *e;
        struct opportunity o;
        struct match_result r;
        const struct requirement *rq;

        (void)state;
        fx_member(reg, "cleaner", "cleaning", NULL, VALUE_NONE, VALUE_NONE);
        e = build_ok(small_taxonomy(), reg);
        match_result_init(&r);

        /* 90911200 starts with 9091: required, with the code and the prefix */
        fx_opp(&o, "Office services", "Daily service.", "90911200;90919200", NULL, GBP(20000));
        run(e, &o, 0, &r);
        assert_int_equal(r.nrequires, 1);
        rq = &r.requires[0];
        assert_string_equal(rq->cap->id, "cleaning");
        assert_int_equal(rq->nreasons, 2);
        assert_int_equal(rq->reasons[0].kind, REASON_CPV);
        assert_string_equal(rq->reasons[0].rule, "9091");
        assert_string_equal(rq->reasons[0].matched, "90911200");
        assert_string_equal(rq->reasons[0].field, "cpv");
        /* only the first CPV match carries weight */
        assert_true(rq->reasons[0].weight == 1.0);
        assert_true(rq->reasons[1].weight == 0.0);
        assert_true(rq->score == 1.0);
        assert_int_equal(r.nmatches, 1);
        opportunity_done(&o);

        /* 90911300 is under cpv_exclude: vetoed, listed as excluded */
        fx_opp(&o, "Office services", "Daily service.", "90911300", NULL, GBP(20000));
        run(e, &o, ENGINE_EXPLAIN, &r);
        assert_int_equal(r.nrequires, 0);
        assert_int_equal(r.nexcluded, 1);
        assert_int_equal(r.nmatches, 0);
        assert_string_equal(miss_of(&r, "cleaner"),
                            "capability cleaning excluded by CPV 90911300 (prefix 90911300)");
        opportunity_done(&o);

        /* a prefix is a prefix: 909 is not 9091 */
        fx_opp(&o, "Office services", "Daily service.", "90900000", NULL, GBP(20000));
        run(e, &o, 0, &r);
        assert_int_equal(r.nrequires, 0);
        opportunity_done(&o);

        match_result_done(&r);
        engine_free(e);
}

/* ---- text rules ------------------------------------------------------------ */

static void
t_keywords_and_regexes(void **state)
{
        struct member_register *reg = fx_register();
        struct engine *e;
        struct opportunity o;
        struct match_result r;
        const struct requirement *rq;

        (void)state;
        fx_member(reg, "cleaner", "cleaning", NULL, VALUE_NONE, VALUE_NONE);
        fx_member(reg, "cook", "catering", NULL, VALUE_NONE, VALUE_NONE);
        e = build_ok(small_taxonomy(), reg);
        match_result_init(&r);

        /* a phrase across a hyphen and case; a regex on the title only */
        fx_opp(&o, "School Cleaners wanted", "Window-Cleaning of two schools.", NULL, NULL,
               VALUE_NONE);
        run(e, &o, 0, &r);
        assert_int_equal(r.nrequires, 1);
        rq = &r.requires[0];
        assert_int_equal(rq->nreasons, 2);
        assert_int_equal(rq->reasons[0].kind, REASON_RULE);
        assert_string_equal(rq->reasons[0].rule, "window cleaning");
        assert_string_equal(rq->reasons[0].field, "description");
        assert_string_equal(rq->reasons[0].matched, "Window-Cleaning");
        assert_string_equal(rq->reasons[1].rule, "\\bcleaners?\\b");
        assert_string_equal(rq->reasons[1].field, "title");
        assert_string_equal(rq->reasons[1].matched, "Cleaners");
        assert_true(rq->reasons[1].weight == 0.5);
        assert_true(rq->score == 1.5);
        opportunity_done(&o);

        /* whole words only: "windows cleaning" and "cleaning windows" are not the phrase;
         * the title-only regex does not look at the description */
        fx_opp(&o, "Repairs", "Windows cleaning; cleaning windows; cleaners.", NULL, NULL,
               VALUE_NONE);
        run(e, &o, 0, &r);
        assert_int_equal(r.nrequires, 0);
        opportunity_done(&o);

        /* a phrase never spans two lot titles; a regex runs on each lot title */
        fx_opp(&o, "Lots", "", NULL, NULL, VALUE_NONE);
        strv_add(&o.lot_titles, "Lot 1: window");
        strv_add(&o.lot_titles, "cleaning and CATERING");
        run(e, &o, 0, &r);
        assert_int_equal(r.nrequires, 1);
        assert_string_equal(r.requires[0].cap->id, "catering");
        assert_string_equal(r.requires[0].reasons[0].field, "lots");
        assert_string_equal(r.requires[0].reasons[0].matched, "CATERING");
        /* capability weight 2 scales the rule */
        assert_true(r.requires[0].score == 2.0);
        opportunity_done(&o);

        /* diacritics fold for keywords (both sides) */
        fx_opp(&o, "Wíndow cléaning", "", NULL, NULL, VALUE_NONE);
        run(e, &o, 0, &r);
        assert_int_equal(r.nrequires, 1);
        assert_string_equal(r.requires[0].reasons[0].matched, "Wíndow cléaning");
        opportunity_done(&o);

        match_result_done(&r);
        engine_free(e);
}

static void
t_exclusions_and_misses(void **state)
{
        struct member_register *reg = fx_register();
        struct member *m;
        struct engine *e;
        struct opportunity o;
        struct match_result r;

        (void)state;
        fx_member(reg, "cleaner", "cleaning", NULL, VALUE_NONE, VALUE_NONE);
        m = fx_member(reg, "cook", "catering", NULL, VALUE_NONE, VALUE_NONE);
        fx_rule(&m->rules, &m->nrules, RULE_KEYWORD, "frozen", FIELD_TEXT, true, 1.0);
        e = build_ok(small_taxonomy(), reg);
        match_result_init(&r);

        /* the capability's exclusion vetoes it */
        fx_opp(&o, "Window cleaning and asbestos survey", "", NULL, NULL, VALUE_NONE);
        run(e, &o, ENGINE_EXPLAIN, &r);
        assert_int_equal(r.nrequires, 0);
        assert_int_equal(r.nexcluded, 1);
        assert_int_equal(r.excluded[0].reasons[r.excluded[0].nreasons - 1].kind,
                         REASON_EXCLUSION);
        assert_string_equal(miss_of(&r, "cleaner"),
                            "capability cleaning excluded by 'asbestos' in title");
        assert_string_equal(miss_of(&r, "cook"),
                            "no capability of yours is required (requires: none)");
        opportunity_done(&o);

        /* the member's own exclusion */
        fx_opp(&o, "Catering: frozen meals", "", NULL, NULL, VALUE_NONE);
        run(e, &o, ENGINE_EXPLAIN, &r);
        assert_int_equal(r.nrequires, 1);
        assert_int_equal(r.nmatches, 0);
        assert_string_equal(miss_of(&r, "cook"),
                            "capability catering matched, but excluded by 'frozen' in title");
        assert_string_equal(miss_of(&r, "cleaner"),
                            "no capability of yours is required (requires: catering)");
        opportunity_done(&o);

        match_result_done(&r);
        engine_free(e);
}

/* ---- regions ------------------------------------------------------------------ */

static void
t_regions(void **state)
{
        struct member_register *reg = fx_register();
        struct engine *e;
        struct opportunity o;
        struct match_result r;
        const struct reason *rr;

        (void)state;
        fx_member(reg, "a-wm", "catering", "UKG", VALUE_NONE, VALUE_NONE);
        fx_member(reg, "b-brum", "catering", "UKG31", VALUE_NONE, VALUE_NONE);
        fx_member(reg, "c-pc-b", "catering", "PC:B", VALUE_NONE, VALUE_NONE);
        fx_member(reg, "d-london", "catering", "UKI;PC:E", VALUE_NONE, VALUE_NONE);
        fx_member(reg, "e-anywhere", "catering", NULL, VALUE_NONE, VALUE_NONE);
        fx_member(reg, "f-uk", "catering", "UK", VALUE_NONE, VALUE_NONE);
        /* a long region list (England's nine codes, then an area) */
        fx_member(reg, "g-england", "cleaning;catering",
                  "UKC;UKD;UKE;UKF;UKH;UKI;UKJ;UKK;PC:WS", VALUE_NONE, VALUE_NONE);
        e = build_ok(small_taxonomy(), reg);
        match_result_init(&r);

        /* a notice for all of the West Midlands */
        fx_opp(&o, "School catering", "", NULL, "UKG", VALUE_NONE);
        run(e, &o, ENGINE_EXPLAIN, &r);
        assert_non_null(match_of(&r, "a-wm"));
        assert_non_null(match_of(&r, "b-brum"));        /* UKG31 within UKG */
        assert_non_null(match_of(&r, "c-pc-b"));        /* area B lies in UKG */
        assert_non_null(match_of(&r, "e-anywhere"));
        assert_non_null(match_of(&r, "f-uk"));
        assert_string_equal(reason_of(match_of(&r, "g-england"), REASON_REGION)->rule,
                            "PC:WS");
        assert_string_equal(miss_of(&r, "d-london"),
                            "capability catering matched, but region UKG is outside your "
                            "regions (UKI, PC:E)");
        rr = reason_of(match_of(&r, "b-brum"), REASON_REGION);
        assert_string_equal(rr->rule, "UKG31");
        assert_string_equal(rr->matched, "UKG");
        assert_true(rr->weight == 0.0);
        opportunity_done(&o);

        /* a notice in Staffordshire (UKG24): not Birmingham, not area B */
        fx_opp(&o, "School catering", "", NULL, "UKG24", VALUE_NONE);
        run(e, &o, ENGINE_EXPLAIN, &r);
        assert_non_null(match_of(&r, "a-wm"));          /* UKG contains UKG24 */
        assert_null(match_of(&r, "b-brum"));
        assert_null(match_of(&r, "c-pc-b"));
        assert_string_equal(miss_of(&r, "c-pc-b"),
                            "capability catering matched, but region UKG24 is outside your "
                            "regions (PC:B)");
        opportunity_done(&o);

        /* a postcode in area B, and one in E */
        fx_opp(&o, "School catering", "", NULL, NULL, VALUE_NONE);
        strv_add(&o.postcodes, "B5 5SE");
        run(e, &o, 0, &r);
        assert_non_null(match_of(&r, "c-pc-b"));
        assert_non_null(match_of(&r, "a-wm"));          /* B is in UKG */
        assert_non_null(match_of(&r, "b-brum"));        /* UKG31 overlaps UKG */
        assert_null(match_of(&r, "d-london"));
        rr = reason_of(match_of(&r, "c-pc-b"), REASON_REGION);
        assert_string_equal(rr->matched, "B5 5SE");
        opportunity_done(&o);

        /* anywhere, and no region stated: everyone, labelled */
        fx_opp(&o, "School catering", "", NULL, NULL, VALUE_NONE);
        o.anywhere = true;
        run(e, &o, 0, &r);
        assert_int_equal(r.nmatches, 7);
        assert_string_equal(reason_of(match_of(&r, "d-london"), REASON_REGION)->matched,
                            "anywhere");
        o.anywhere = false;
        run(e, &o, 0, &r);
        assert_int_equal(r.nmatches, 7);
        assert_string_equal(reason_of(match_of(&r, "d-london"), REASON_REGION)->matched,
                            "not stated");
        opportunity_done(&o);

        match_result_done(&r);
        engine_free(e);
}

/* ---- values --------------------------------------------------------------------- */

static void
t_value_bands(void **state)
{
        struct member_register *reg = fx_register();
        struct engine *e;
        struct opportunity o;
        struct match_result r;
        const struct reason *v;

        (void)state;
        fx_member(reg, "small", "catering", NULL, VALUE_NONE, GBP(25000));
        fx_member(reg, "mid", "catering", NULL, GBP(5000), GBP(50000));
        fx_member(reg, "big", "catering", NULL, GBP(30000), VALUE_NONE);
        e = build_ok(small_taxonomy(), reg);
        match_result_init(&r);

        fx_opp(&o, "Catering", "", NULL, NULL, GBP(40000));
        run(e, &o, ENGINE_EXPLAIN, &r);
        assert_null(match_of(&r, "small"));
        assert_string_equal(miss_of(&r, "small"), "capability catering matched, but value "
                            "£40,000 above your maximum £25,000");
        assert_non_null(match_of(&r, "mid"));
        assert_non_null(match_of(&r, "big"));
        v = reason_of(match_of(&r, "mid"), REASON_VALUE);
        assert_string_equal(v->matched, "£40,000");
        assert_string_equal(v->rule, "£5,000–£50,000");
        opportunity_done(&o);

        fx_opp(&o, "Catering", "", NULL, NULL, GBP(2000) + 50);
        run(e, &o, ENGINE_EXPLAIN, &r);
        assert_string_equal(miss_of(&r, "mid"), "capability catering matched, but value "
                            "£2,000.50 below your minimum £5,000");
        opportunity_done(&o);

        /* a range overlapping the band is enough */
        fx_opp(&o, "Catering", "", NULL, NULL, GBP(35000));
        o.value_min = GBP(20000);
        run(e, &o, 0, &r);
        assert_non_null(match_of(&r, "small"));
        assert_non_null(match_of(&r, "big"));
        assert_string_equal(reason_of(match_of(&r, "small"), REASON_VALUE)->matched,
                            "£20,000–£35,000");
        opportunity_done(&o);

        /* not stated: matched, labelled */
        fx_opp(&o, "Catering", "", NULL, NULL, VALUE_NONE);
        run(e, &o, 0, &r);
        assert_int_equal(r.nmatches, 3);
        assert_non_null(reason_of(match_of(&r, "small"), REASON_VALUE_NOT_STATED));
        assert_null(reason_of(match_of(&r, "small"), REASON_VALUE));
        opportunity_done(&o);

        match_result_done(&r);
        engine_free(e);
}

/* ---- required and incidental -------------------------------------------------------- */

/* A capability named only in the description is incidental: listed, but no
 * member matches on it; a title, lot, item, CPV or strong-rule match makes
 * it required.  A rule matching in both title and description gives one
 * reason (its strong part's). */
static void
t_incidental(void **state)
{
        struct member_register *reg = fx_register();
        struct taxonomy *tx;
        struct engine *e;
        struct opportunity o;
        struct match_result r;

        (void)state;
        fx_member(reg, "cleaner", "cleaning", NULL, VALUE_NONE, VALUE_NONE);
        fx_member(reg, "cook", "catering", NULL, VALUE_NONE, VALUE_NONE);
        e = build_ok(small_taxonomy(), reg);
        match_result_init(&r);
        fx_opp(&o, "Catering for the school", "The caterer will also arrange window cleaning "
               "of the dining hall.", NULL, NULL, VALUE_NONE);
        run(e, &o, ENGINE_EXPLAIN, &r);
        assert_int_equal(r.nrequires, 2);
        assert_string_equal(r.requires[0].cap->id, "cleaning");
        assert_false(r.requires[0].required);
        assert_true(r.requires[0].score > 0.99);        /* still scored and explained */
        assert_string_equal(r.requires[1].cap->id, "catering");
        assert_true(r.requires[1].required);
        /* "caterer" in the description too, but the title's hit is the one reason */
        assert_int_equal(r.requires[1].nreasons, 1);
        assert_string_equal(r.requires[1].reasons[0].field, "title");
        assert_int_equal(r.nmatches, 1);
        assert_string_equal(r.matches[0].member->id, "cook");
        assert_string_equal(miss_of(&r, "cleaner"), "capability cleaning is only incidental "
                            "here: 'window cleaning' in description, not in the title, lots, "
                            "items or CPV codes");
        opportunity_done(&o);
        /* a lot title makes it required */
        fx_opp(&o, "Catering for the school", "The caterer will also arrange window cleaning.",
               NULL, NULL, VALUE_NONE);
        strv_add(&o.lot_titles, "Lot 2: window cleaning");
        run(e, &o, 0, &r);
        assert_true(r.requires[0].required);
        assert_string_equal(r.requires[0].reasons[0].field, "lots");
        assert_int_equal(r.nmatches, 2);
        opportunity_done(&o);
        engine_free(e);

        /* a strong rule: the description is enough */
        reg = fx_register();
        fx_member(reg, "cleaner", "cleaning", NULL, VALUE_NONE, VALUE_NONE);
        tx = small_taxonomy();
        tx->caps[0].rules[0].strong = true;
        e = build_ok(tx, reg);
        fx_opp(&o, "Catering for the school", "The caterer will also arrange window cleaning.",
               NULL, NULL, VALUE_NONE);
        run(e, &o, 0, &r);
        assert_true(r.requires[0].required);
        assert_int_equal(r.nmatches, 1);
        opportunity_done(&o);
        match_result_done(&r);
        engine_free(e);
}

/* ---- where the work is --------------------------------------------------------------- */

/* On-site work: a delivery postcode decides the region, whatever "any region"
 * the notice also ticks (a Staffordshire boiler job reaches a West Midlands
 * member, not a London one; a London care service does not reach the West
 * Midlands); remote work keeps the notice's "any region". */
static void
t_on_site(void **state)
{
        struct member_register *reg = fx_register();
        struct taxonomy *tx = fx_taxonomy();
        struct capability *c;
        struct engine *e;
        struct opportunity o;
        struct match_result r;

        (void)state;
        c = fx_cap(tx, "building", 1.0);
        c->on_site = true;
        fx_rule(&c->rules, &c->nrules, RULE_KEYWORD, "boiler", FIELD_TEXT, false, 1.0);
        c = fx_cap(tx, "care", 1.0);
        c->on_site = true;
        fx_rule(&c->rules, &c->nrules, RULE_KEYWORD, "dementia", FIELD_TEXT, false, 1.0);
        c = fx_cap(tx, "web", 1.0);
        fx_rule(&c->rules, &c->nrules, RULE_KEYWORD, "website", FIELD_TEXT, false, 1.0);
        fx_member(reg, "everywhere", "building;care;web", NULL, VALUE_NONE, VALUE_NONE);
        fx_member(reg, "ldn", "building;care;web", "UKI", VALUE_NONE, VALUE_NONE);
        fx_member(reg, "pc-st", "building", "PC:ST", VALUE_NONE, VALUE_NONE);
        fx_member(reg, "wm", "building;care;web", "UKG", VALUE_NONE, VALUE_NONE);
        e = build_ok(tx, reg);
        match_result_init(&r);

        /* Staffordshire boiler replacement, "any region" + ST5 7NJ (ITL1 UKG) */
        fx_opp(&o, "Boiler replacement", "", NULL, NULL, VALUE_NONE);
        o.anywhere = true;
        strv_add(&o.postcodes, "ST5 7NJ");
        run(e, &o, ENGINE_EXPLAIN, &r);
        assert_int_equal(r.nmatches, 3);
        assert_non_null(match_of(&r, "wm"));
        assert_non_null(match_of(&r, "pc-st"));
        assert_non_null(match_of(&r, "everywhere"));
        assert_string_equal(miss_of(&r, "ldn"), "capability building matched, but postcode "
                            "ST5 7NJ is outside your regions (UKI)");
        assert_string_equal(r.place, "on-site work (building): the delivery place (ST5 7NJ) "
                            "decides, not the notice's \"any region\"");
        run(e, &o, 0, &r);                      /* the prefilter's region bitset too */
        assert_int_equal(r.nmatches, 3);
        opportunity_done(&o);

        /* a London dementia service with "any region": not for the West Midlands */
        fx_opp(&o, "Dementia navigation service", "", NULL, NULL, VALUE_NONE);
        o.anywhere = true;
        strv_add(&o.postcodes, "E15 1DA");
        run(e, &o, ENGINE_EXPLAIN, &r);
        assert_null(match_of(&r, "wm"));
        assert_non_null(match_of(&r, "ldn"));
        assert_non_null(match_of(&r, "everywhere"));
        run(e, &o, 0, &r);
        assert_null(match_of(&r, "wm"));
        assert_int_equal(r.nmatches, 2);
        opportunity_done(&o);

        /* remote work keeps the notice's "any region" */
        fx_opp(&o, "New website", "", NULL, NULL, VALUE_NONE);
        o.anywhere = true;
        strv_add(&o.postcodes, "E15 1DA");
        run(e, &o, 0, &r);
        assert_non_null(match_of(&r, "wm"));
        assert_non_null(match_of(&r, "ldn"));
        assert_string_equal(r.place, "remote work (web): the notice's \"any region\" stands");
        opportunity_done(&o);

        /* on-site work without a delivery place: anywhere */
        fx_opp(&o, "Boiler replacement", "", NULL, NULL, VALUE_NONE);
        o.anywhere = true;
        run(e, &o, 0, &r);
        assert_int_equal(r.nmatches, 4);        /* every member: anywhere */
        opportunity_done(&o);
        match_result_done(&r);
        engine_free(e);
}

/* ---- scoring ------------------------------------------------------------------------- */

static void
t_scores(void **state)
{
        struct member_register *reg = fx_register();
        struct member *m;
        struct engine *e;
        struct opportunity o;
        struct match_result r;
        const struct member_match *mm;
        const struct reason *x;

        (void)state;
        fx_member(reg, "both", "cleaning;catering", NULL, VALUE_NONE, VALUE_NONE);
        fx_member(reg, "cook", "catering", NULL, VALUE_NONE, VALUE_NONE);
        m = fx_member(reg, "own", NULL, NULL, VALUE_NONE, VALUE_NONE);
        fx_rule(&m->rules, &m->nrules, RULE_REGEX, "packed\\s+lunch(?:es)?", FIELD_TEXT, false,
                1.5);
        e = build_ok(small_taxonomy(), reg);
        match_result_init(&r);

        fx_opp(&o, "Catering and window cleaning for schools", "Packed lunches.", "55524000",
               NULL, VALUE_NONE);
        o.suitable_sme = TRI_YES;
        o.suitable_vcse = TRI_YES;
        run(e, &o, 0, &r);
        assert_int_equal(r.nmatches, 3);
        /* catering: CPV 1 x 2 + rule 1 x 2 = 4; cleaning: rule 1; boosts 10 % + 20 % */
        mm = match_of(&r, "both");
        assert_true(mm->score == sum_weights(mm));
        assert_true(mm->score > 6.49 && mm->score < 6.51);
        mm = match_of(&r, "cook");
        assert_true(mm->score > 5.19 && mm->score < 5.21);
        x = reason_of(mm, REASON_SUITABILITY);
        assert_string_equal(x->matched, "sme");
        assert_true(x->weight > 0.39 && x->weight < 0.41);
        /* a member without the capability, matched by its own rule */
        mm = match_of(&r, "own");
        x = reason_of(mm, REASON_MEMBER_RULE);
        assert_non_null(x);
        assert_null(x->capability);
        assert_string_equal(x->matched, "Packed lunches");
        assert_true(mm->score > 1.94 && mm->score < 1.96);
        /* sorted by score */
        assert_string_equal(r.matches[0].member->id, "both");
        assert_string_equal(r.matches[1].member->id, "cook");
        assert_string_equal(r.matches[2].member->id, "own");
        opportunity_done(&o);

        /* a second notice into the same result: the old one is released */
        fx_opp(&o, "Nothing relevant", "", NULL, NULL, VALUE_NONE);
        run(e, &o, 0, &r);
        assert_int_equal(r.nmatches, 0);
        opportunity_done(&o);

        match_result_done(&r);
        engine_free(e);
}

/* "Opening of the description" rules (^[^.!?]{0,N}?\b(?:...)): the engine
 * searches the alternation alone up to the opening's end (N characters or
 * the first '.', '!' or '?'); the first match, its words (from the string's
 * start) and everything else must be what the whole pattern gives. */
static void
t_opening_rules(void **state)
{
        static const struct {
                const char *desc;
                const char *matched;    /* NULL: no match */
        } cases[] = {
                { "Cleaning of offices.", "Cleaning" },
                { "We want office cleaning now.", "We want office cleaning" },
                /* 20 characters before the word: still the opening */
                { "abcdefghijklmnopqrs cleaning", "abcdefghijklmnopqrs cleaning" },
                /* 21: not */
                { "abcdefghijklmnopqrst cleaning", NULL },
                /* characters, not bytes: 19 two-byte letters and a space */
                { "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                  "\xc3\xa9 washrooms",
                  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                  "\xc3\xa9 washrooms" },
                { "Offices. Cleaning", NULL },          /* after the first sentence */
                { "Is it cleaning? Yes", "Is it cleaning" },
                { "What? cleaning", NULL },
                /* the word may run past the opening's end; the first
                 * alternative that fits at the first place wins */
                { "abcdefghijklmnopqrs wash rooms. cleaning", "abcdefghijklmnopqrs wash rooms" },
                { "precleaning and cleaning", "precleaning and cleaning" },
                { "x wash room cleaning", "x wash room" },
                /* not valid UTF-8: the whole pattern runs (an invalid byte ends
                 * the opening) */
                { "bad \xff byte cleaning", NULL },
                { "cleaning \xff", "cleaning" },
                { "", NULL },
        };
        struct taxonomy *tx = fx_taxonomy();
        struct member_register *reg = fx_register();
        struct capability *c;
        struct rule *ru;
        struct engine *e;
        struct match_result r, b;
        struct engine_scratch *s;

        (void)state;
        c = fx_cap(tx, "cleaning", 1.0);
        ru = fx_rule(&c->rules, &c->nrules, RULE_REGEX,
                     "^[^.!?]{0,20}?\\b(?:cleaning|wash\\s+rooms?|washrooms)\\b",
                     FIELD_DESCRIPTION, false, 1.0);
        ru->strong = true;
        fx_member(reg, "m1", "cleaning", NULL, VALUE_NONE, VALUE_NONE);
        e = build_ok(tx, reg);
        s = engine_scratch_new(e);
        match_result_init(&r);
        match_result_init(&b);
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct opportunity o;

                fx_opp(&o, "Services", cases[i].desc, NULL, NULL, VALUE_NONE);
                assert_int_equal(engine_match(e, s, &o, ENGINE_EXPLAIN, &r), 0);
                assert_int_equal(engine_match_brute(e, s, &o, ENGINE_EXPLAIN, &b), 0);
                if (cases[i].matched == NULL) {
                        assert_int_equal(r.nrequires, 0);
                        assert_int_equal(b.nrequires, 0);
                        assert_int_equal(r.nmatches, 0);
                } else {
                        if (r.nrequires != 1 || strcmp(r.requires[0].reasons[0].matched,
                                                       cases[i].matched) != 0)
                                fprintf(stderr, "opening '%s': got '%s'\n", cases[i].desc,
                                        r.nrequires ? r.requires[0].reasons[0].matched : "");
                        assert_int_equal(r.nrequires, 1);
                        assert_int_equal(b.nrequires, 1);
                        assert_true(r.requires[0].required);
                        assert_string_equal(r.requires[0].reasons[0].matched,
                                            cases[i].matched);
                        assert_string_equal(b.requires[0].reasons[0].matched,
                                            cases[i].matched);
                        assert_int_equal(r.nmatches, 1);
                        assert_int_equal(b.nmatches, 1);
                }
                opportunity_done(&o);
        }
        match_result_done(&r);
        match_result_done(&b);
        engine_scratch_free(s);
        engine_free(e);
}

/* Optional letters and separators (wi-?fi, fit[- ]?out, rooms?): the
 * prefilter's atoms cover every way of writing them, so the engine finds
 * what brute force finds. */
static void
t_optional_items(void **state)
{
        static const struct {
                const char *title;
                bool match;
        } cases[] = {
                { "WiFi support", true },
                { "Wi-Fi support", true },
                { "wi fi support", false },
                { "Broadband support", true },
                { "Cleanroom", true },
                { "Clean rooms", true },
                { "Cleanrooms", true },
                { "clean room", true },
                { "Office fit-out", true },
                { "Office fitout", true },
                { "Office fit out", true },
                { "Office fittings", false },
        };
        struct taxonomy *tx = fx_taxonomy();
        struct member_register *reg = fx_register();
        struct capability *c;
        struct engine *e;
        struct match_result r;

        (void)state;
        c = fx_cap(tx, "it", 1.0);
        fx_rule(&c->rules, &c->nrules, RULE_REGEX, "\\b(?:broadband|wi-?fi)\\s+support\\b",
                FIELD_TEXT, false, 1.0);
        fx_rule(&c->rules, &c->nrules, RULE_REGEX, "\\bclean\\s?rooms?\\b", FIELD_TEXT, false,
                1.0);
        fx_rule(&c->rules, &c->nrules, RULE_REGEX, "\\bfit[- ]?out\\b", FIELD_TEXT, false, 1.0);
        fx_member(reg, "m1", "it", NULL, VALUE_NONE, VALUE_NONE);
        e = build_ok(tx, reg);
        match_result_init(&r);
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct opportunity o;

                fx_opp(&o, cases[i].title, "", NULL, NULL, VALUE_NONE);
                run(e, &o, 0, &r);
                if ((r.nmatches == 1) != cases[i].match)
                        fprintf(stderr, "optional items: '%s' matched %zu\n", cases[i].title,
                                r.nmatches);
                assert_int_equal(r.nmatches, cases[i].match ? 1 : 0);
                opportunity_done(&o);
        }
        match_result_done(&r);
        engine_free(e);
}

static void
t_empty_register(void **state)
{
        struct engine *e = build_ok(fx_taxonomy(), fx_register());
        struct opportunity o;
        struct match_result r;

        (void)state;
        match_result_init(&r);
        fx_opp(&o, "Anything", "at all", "90911200", "UKG", GBP(100));
        run(e, &o, ENGINE_EXPLAIN, &r);
        assert_int_equal(r.nrequires, 0);
        assert_int_equal(r.nmatches, 0);
        assert_int_equal(r.nmisses, 0);
        opportunity_done(&o);
        match_result_done(&r);
        engine_free(e);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(t_fold_words),
                cmocka_unit_test(t_tokens_positions),
                cmocka_unit_test(t_regex_atoms),
                cmocka_unit_test(t_regex_start_bounds),
                cmocka_unit_test(t_keyword_atoms),
                cmocka_unit_test(t_build_errors),
                cmocka_unit_test(t_rule_atoms_and_counts),
                cmocka_unit_test(t_cpv_prefixes),
                cmocka_unit_test(t_keywords_and_regexes),
                cmocka_unit_test(t_exclusions_and_misses),
                cmocka_unit_test(t_regions),
                cmocka_unit_test(t_value_bands),
                cmocka_unit_test(t_incidental),
                cmocka_unit_test(t_on_site),
                cmocka_unit_test(t_scores),
                cmocka_unit_test(t_opening_rules),
                cmocka_unit_test(t_optional_items),
                cmocka_unit_test(t_empty_register),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
