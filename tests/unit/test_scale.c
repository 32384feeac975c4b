/* test_scale.c — scale signals: which notices that state no value are plainly
 * not low value (daemon/model/scale.c), the facts the OCDS parser reads for
 * them (techniques, contractPeriod), and the filter's likely_over_cap verdict
 * (daemon/model/filter.c).  Real fixture notices and crafted ones. */
#include "testutil.h"
#include "ocds_fixture.h"

#include <stdio.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "bidbroker/filter.h"
#include "bidbroker/ocds.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/scale.h"
#include "bidbroker/store.h"
#include "bidbroker/util.h"

#define TERM    60              /* the default [filter] long_term_months */

static const struct opportunity *
by_title(const struct ocds_page *p, const char *prefix)
{
        for (size_t i = 0; i < p->n; i++)
                if (str_startswith(p->opps[i].title, prefix) && p->opps[i].stage == STAGE_TENDER)
                        return &p->opps[i];
        fail_msg("no tender titled \"%s...\"", prefix);
        return NULL;
}

/* The verdict, "" when none (so that asserts can compare strings). */
static const char *
verdict(const struct opportunity *o, char *buf)
{
        const char *r = scale_likely_over_cap(o, TERM, buf, SCALE_REASON_MAX);

        return r ? r : "";
}

static void
assert_has(const char *s, const char *want)
{
        if (strstr(s, want) == NULL)
                fail_msg("\"%s\" does not contain \"%s\"", s, want);
}

/* ---- real notices ---- */

static void
t_real_notices(void **state)
{
        struct ocds_page p;
        char buf[SCALE_REASON_MAX];
        const struct opportunity *o;

        (void)state;
        ocds_fixture_load("cf-search-2022-10-20-page1.json", &p);
        /* no value, "Open procedure (above threshold)", a three-year term */
        o = by_title(&p, "Soft Facilities Management Services");
        assert_false(o->value_stated);
        assert_string_equal(verdict(o, buf),
                            "above-threshold procedure (\"Open procedure (above threshold)\")");
        /* a three-year below-threshold service is not plainly over the cap */
        o = by_title(&p, "The provision of Graphic Design");
        assert_false(o->value_stated);
        assert_string_equal(verdict(o, buf), "");
        ocds_page_done(&p);

        ocds_fixture_load("cf-search-2022-10-22-page1.json", &p);
        o = by_title(&p, "PAS2035 Retrofit Consultants Framework");
        assert_false(o->value_stated);
        assert_string_equal(verdict(o, buf), "a framework or dynamic purchasing system "
                            "(title: \"PAS2035 Retrofit Consultants Framework\")");
        /* a contractPeriod of 1703 days: 56 months, longer than 48, not 60 */
        o = by_title(&p, "Network Equipment Refresh");
        assert_false(o->value_stated);
        assert_int_equal(o->term_days, 1703);
        assert_string_equal(verdict(o, buf), "");
        assert_string_equal(scale_likely_over_cap(o, 48, buf, sizeof(buf)),
                            "a term of 56 months (contractPeriod, 1703 days)");
        o = by_title(&p, "Hard Landscaping");
        assert_has(verdict(o, buf), "Restricted procedure (above threshold)");
        /* the #8 example: a small boiler job that states no value stays */
        o = by_title(&p, "Bradwell Boiler Replacement");
        assert_false(o->value_stated);
        assert_string_equal(verdict(o, buf), "");
        ocds_page_done(&p);

        ocds_fixture_load("cf-search-2025-01-20to23-page1.json", &p);
        o = by_title(&p, "IDS Staffing Framework");
        assert_has(verdict(o, buf), "a framework or dynamic purchasing system");
        o = by_title(&p, "Monkton Wood Dining");                 /* below threshold */
        assert_false(o->value_stated);
        assert_string_equal(verdict(o, buf), "");
        /* states £185m: a stated value always wins ... */
        o = by_title(&p, "Mechanical & Electrical Capital Works");
        assert_true(o->value_stated);
        assert_string_equal(verdict(o, buf), "");
        /* ... and without it, every signal is named */
        {
                struct opportunity c = *o;

                c.value_stated = false;
                c.value_max = VALUE_NONE;
                assert_has(verdict(&c, buf), "above-threshold procedure");
                assert_has(verdict(&c, buf), "capital or major works (title: ");
                assert_has(verdict(&c, buf), "a term of 10 years (description \"");
        }
        o = by_title(&p, "Dynamic Purchasing System for the Provision");
        {
                struct opportunity c = *o;

                c.value_stated = false;
                c.value_max = VALUE_NONE;
                assert_has(verdict(&c, buf), "a framework or dynamic purchasing system "
                           "(title: \"Dynamic Purchasing System");
        }
        ocds_page_done(&p);

        /* FTS: aboveThreshold false; the UK1 pipeline notice */
        ocds_fixture_load("fts-release-032703-2026-UK4-below-threshold.json", &p);
        assert_int_equal(p.opps[0].above_threshold, TRI_NO);
        {
                struct opportunity c = p.opps[0];

                c.value_stated = false;
                c.value_max = VALUE_NONE;
                assert_string_equal(verdict(&c, buf), "");
        }
        ocds_page_done(&p);
        ocds_fixture_load("fts-release-037689-2026-UK1-pipeline.json", &p);
        {
                struct opportunity c = p.opps[0];

                c.value_stated = false;
                c.value_max = VALUE_NONE;
                assert_has(verdict(&c, buf), "Find a Tender UK1 pipeline notice");
        }
        ocds_page_done(&p);
}

/*
 * "Plainly" not low: of every notice in the fixtures that states a value at
 * or under £25,000, none would be called likely over the cap if its value
 * were not stated (DPS call-offs of £1,350 with the DPS's four-year period
 * included).
 */
static void
t_no_low_notice_flagged(void **state)
{
        static const char *const files[] = {
                "cf-search-2022-10-20-page1.json", "cf-search-2022-10-22-page1.json",
                "cf-search-2025-01-20to23-page1.json", "cf-legacy-2020-release-minor-building-works.json",
                "fts-release-032703-2026-UK4-below-threshold.json",
        };
        char buf[SCALE_REASON_MAX];
        size_t low = 0;

        (void)state;
        for (size_t f = 0; f < ARRAY_SIZE(files); f++) {
                struct ocds_page p;

                ocds_fixture_load(files[f], &p);
                for (size_t i = 0; i < p.n; i++) {
                        struct opportunity c = p.opps[i];

                        if (!c.value_stated || c.value_max > 25000 * 100)
                                continue;
                        low++;
                        c.value_stated = false;
                        c.value_max = VALUE_NONE;
                        if (scale_likely_over_cap(&c, TERM, buf, sizeof(buf)) != NULL)
                                fail_msg("%s: \"%s\" (£%lld) flagged: %s", files[f], c.title,
                                         (long long)p.opps[i].value_max / 100, buf);
                }
                ocds_page_done(&p);
        }
        assert_int_equal(low, 47);              /* releases, amendments included */
}

/* ---- crafted notices ---- */

static int
parse_one(const char *json, struct ocds_page *p)
{
        struct err e = { 0 };

        ocds_page_init(p);
        if (ocds_parse("t.json", json, strlen(json), p, &e) != 0)
                fail_msg("%s", e.msg);
        if (p->n != 1)
                fail_msg("not accepted: %s", p->rejected.n ? p->rejected.msg[0] : "?");
        return 0;
}

#define REL(tender) \
        "{\"uri\":\"https://www.find-tender.service.gov.uk/x\",\"releases\":[{" \
        "\"ocid\":\"ocds-h6vhtk-0abc12\",\"id\":\"012345-2026\",\"tag\":[\"tender\"]," \
        "\"date\":\"2026-03-01T10:00:00Z\",\"tender\":{\"status\":\"active\"," tender "}}]}"

static void
t_parser_facts(void **state)
{
        struct ocds_page p;
        char buf[SCALE_REASON_MAX];

        (void)state;
        /* a lot that sets up a framework; term to maxExtentDate (4 + 2 years) */
        parse_one(REL("\"title\":\"Cleaning services\","
                      "\"contractPeriod\":{\"startDate\":\"2026-04-01T00:00:00+01:00\","
                      "\"endDate\":\"2030-03-31T23:59:59+01:00\","
                      "\"maxExtentDate\":\"2032-03-31T23:59:59+01:00\"},"
                      "\"lots\":[{\"id\":\"1\",\"title\":\"Lot 1\","
                      "\"techniques\":{\"hasFrameworkAgreement\":true}}]"), &p);
        assert_int_equal(p.opps[0].framework, TRI_YES);
        assert_int_equal(p.opps[0].dps, TRI_UNKNOWN);
        assert_int_equal(p.opps[0].term_days, 2192);
        assert_string_equal(verdict(&p.opps[0], buf),
                            "sets up a framework agreement (techniques.hasFrameworkAgreement); "
                            "a term of 6 years (contractPeriod, 2192 days)");
        ocds_page_done(&p);

        /* a DPS; durationInDays; shorter than the term limit */
        parse_one(REL("\"title\":\"Transport\",\"techniques\":{\"hasFrameworkAgreement\":false,"
                      "\"hasDynamicPurchasingSystem\":true},"
                      "\"contractPeriod\":{\"durationInDays\":365}"), &p);
        assert_int_equal(p.opps[0].framework, TRI_NO);
        assert_int_equal(p.opps[0].dps, TRI_YES);
        assert_int_equal(p.opps[0].term_days, 365);
        assert_string_equal(verdict(&p.opps[0], buf), "sets up a dynamic purchasing system "
                            "(techniques.hasDynamicPurchasingSystem)");
        ocds_page_done(&p);

        /* exactly five years, end date inclusive: not longer than 60 months */
        parse_one(REL("\"title\":\"Grounds maintenance\","
                      "\"contractPeriod\":{\"startDate\":\"2026-04-01T00:00:00+01:00\","
                      "\"endDate\":\"2031-03-31T23:59:59+01:00\"}"), &p);
        assert_int_equal(p.opps[0].term_days, 1826);
        assert_string_equal(verdict(&p.opps[0], buf), "");
        assert_string_equal(scale_likely_over_cap(&p.opps[0], 59, buf, sizeof(buf)),
                            "a term of 5 years (contractPeriod, 1826 days)");
        assert_null(scale_likely_over_cap(&p.opps[0], 0, buf, sizeof(buf)));  /* off */
        ocds_page_done(&p);

        /* wrong types reject the release like any other field */
        {
                const char *bad = REL("\"title\":\"x\",\"techniques\":\"yes\"");
                struct err e = { 0 };

                ocds_page_init(&p);
                assert_int_equal(ocds_parse("t.json", bad, strlen(bad), &p, &e), 0);
                assert_int_equal(p.n, 0);
                assert_has(p.rejected.msg[0], "tender.techniques is not an object");
                ocds_page_done(&p);
        }

        /* CF wording of the procedure: above and below */
        parse_one(REL("\"title\":\"Care\",\"procurementMethodDetails\":"
                      "\"Restricted procedure (above the threshold)\""), &p);
        assert_int_equal(p.opps[0].above_threshold, TRI_YES);
        ocds_page_done(&p);
        parse_one(REL("\"title\":\"Care\",\"procurementMethodDetails\":"
                      "\"Sub-threshold open procedure\""), &p);
        assert_int_equal(p.opps[0].above_threshold, TRI_NO);
        ocds_page_done(&p);
}

/* A crafted notice that states no value. */
static struct opportunity
notice(const char *title, const char *description, const char *details)
{
        struct opportunity o;

        opportunity_init(&o);
        o.source = (char *)"cf";
        o.title = (char *)title;
        o.description = (char *)(description ? description : "");
        o.procurement_method_details = (char *)details;
        return o;
}

static void
t_wording(void **state)
{
        char buf[SCALE_REASON_MAX];
        struct opportunity o;

        (void)state;
        /* call-offs from a framework or DPS are contracts of their own */
        o = notice("Print framework call-off", "", NULL);
        assert_string_equal(verdict(&o, buf), "");
        o = notice("Printing Framework", "", "Call-off from a framework agreement");
        assert_string_equal(verdict(&o, buf), "");
        o = notice("Laundry", "This contract is let under the ESPO framework agreement 123.", NULL);
        assert_string_equal(verdict(&o, buf), "");
        o = notice("Mini-competition under Lot 2 framework", "", NULL);
        assert_string_equal(verdict(&o, buf), "");
        /* a framework as a notion */
        o = notice("Development of an outcomes framework", "", NULL);
        assert_string_equal(verdict(&o, buf), "");
        o = notice("Evaluation", "Develop a framework including metrics to measure progress.", NULL);
        assert_string_equal(verdict(&o, buf), "");
        /* setting one up */
        o = notice("Building works", "The council seeks to establish a multi-supplier framework "
                   "of contractors.", NULL);
        assert_string_equal(verdict(&o, buf), "a framework or dynamic purchasing system "
                            "(description: \"seeks to establish a multi-supplier framework\")");
        o = notice("Home to school transport DPS", "", NULL);
        assert_has(verdict(&o, buf), "a framework or dynamic purchasing system (title: ");
        /* capital and major works; not minor ones */
        o = notice("School extension", "A major refurbishment of the main block.", NULL);
        assert_string_equal(verdict(&o, buf),
                            "capital or major works (description: \"major refurbishment\")");
        o = notice("Minor capital works to toilets", "", NULL);
        assert_string_equal(verdict(&o, buf), "");
        o = notice("Major incident support", "Support during a major incident.", NULL);
        assert_string_equal(verdict(&o, buf), "");
        /* a long term in words */
        o = notice("Cleaning", "The contract will run for a period of six (6) years.", NULL);
        assert_string_equal(verdict(&o, buf), "a term of 6 years (description "
                            "\"for a period of six (6) years\")");
        o = notice("Cleaning", "A 3 year contract with the option to extend by a further 2 years.",
                   NULL);
        assert_string_equal(verdict(&o, buf), "");      /* 5 years: not longer than 60 months */
        assert_string_equal(scale_likely_over_cap(&o, 48, buf, sizeof(buf)),
                            "a term of 5 years (description \"3 year contract\" with extensions)");
        o = notice("Cleaning", "Services for residents aged 18 years and over.", NULL);
        assert_string_equal(verdict(&o, buf), "");
        /* a stated value always wins, however large the signals */
        o = notice("Major works framework", "for a period of 10 years", "above threshold");
        o.value_stated = true;
        o.value_max = 20000 * 100;
        o.above_threshold = TRI_YES;
        assert_null(scale_likely_over_cap(&o, TERM, buf, sizeof(buf)));
}

static void
t_term_words(void **state)
{
        (void)state;
        assert_int_equal(scale_term_months_in_text("for a period of 5 years"), 60);
        assert_int_equal(scale_term_months_in_text("a five-year contract"), 60);
        assert_int_equal(scale_term_months_in_text("a 36 month contract"), 36);
        assert_int_equal(scale_term_months_in_text("initial term of 3+2 years"), 60);
        assert_int_equal(scale_term_months_in_text("The contract will be for an initial term of "
                                                   "5 years with optional extensions of a "
                                                   "maximum further 5 years."), 120);
        assert_int_equal(scale_term_months_in_text("Framework Agreement will run for a period "
                                                   "of 4 years with an option to extend for a "
                                                   "further period or periods of up to 2 years"),
                         72);
        assert_int_equal(scale_term_months_in_text("The council entered into a 25-year PFI "
                                                   "deal in 2010."), 0);
        assert_int_equal(scale_term_months_in_text("over the next 30 years"), 0);
        assert_int_equal(scale_term_months_in_text("Two years. Extension of 2 years"), 0);
        assert_int_equal(scale_term_months_in_text(""), 0);
        assert_int_equal(scale_term_months_in_text(NULL), 0);
}

static void
t_filter(void **state)
{
        struct strv none = { NULL, 0, 0 };
        struct filter f = { 2500000, true, false, TERM, &none };
        struct opportunity o = notice("Soft FM", "", "Open procedure (above threshold)");
        char buf[SCALE_REASON_MAX];

        (void)state;
        o.stage = STAGE_TENDER;
        o.status = STATUS_ACTIVE;
        o.above_threshold = TRI_YES;
        assert_false(filter_low_value(&f, &o));
        assert_string_equal(filter_reject_reason(&f, &o, 1000), "likely over the value cap");
        assert_non_null(filter_likely_over_cap(&f, &o, buf, sizeof(buf)));
        f.keep_likely_over_cap = true;                  /* configured to keep them */
        assert_null(filter_reject_reason(&f, &o, 1000));
        assert_non_null(filter_likely_over_cap(&f, &o, buf, sizeof(buf)));
        f.keep_value_not_stated = false;
        assert_string_equal(filter_reject_reason(&f, &o, 1000), "value not stated");
        /* stated low: never overridden */
        f.keep_likely_over_cap = false;
        o.value_stated = true;
        o.value_max = 2000000;
        assert_null(filter_reject_reason(&f, &o, 1000));
        assert_null(filter_likely_over_cap(&f, &o, buf, sizeof(buf)));
        /* no signal: kept and flagged as before */
        o = notice("Boiler replacement", "", "Open procedure");
        o.stage = STAGE_TENDER;
        o.status = STATUS_ACTIVE;
        f.keep_value_not_stated = true;
        assert_null(filter_reject_reason(&f, &o, 1000));
}

/*
 * The store keeps the facts (table opportunity_scale), and migration 3
 * derives them from the raw records of notices stored before it: the same
 * as the parser's on a real page (terms within a day: dates without an
 * offset are UTC to SQLite, UK time to the parser).
 */
static void
t_store_facts(void **state)
{
        char dir[] = "/tmp/test_scale.XXXXXX";
        struct ocds_page p;
        struct store *st;
        struct err err = { 0 };
        size_t with_term = 0;

        (void)state;
        assert_non_null(mkdtemp(dir));
        ocds_fixture_load("cf-search-2025-01-20to23-page1.json", &p);
        /* a crafted FTS release with a framework lot and an extension date */
        {
                struct ocds_page q;

                parse_one(REL("\"title\":\"Cleaning\",\"contractPeriod\":{\"startDate\":"
                              "\"2026-04-01T00:00:00Z\",\"endDate\":\"2028-03-31T23:59:59Z\","
                              "\"maxExtentDate\":\"2030-03-31T23:59:59Z\"},\"lots\":[{\"id\":"
                              "\"1\",\"techniques\":{\"hasFrameworkAgreement\":true,"
                              "\"hasDynamicPurchasingSystem\":false}}]"), &q);
                p.opps = xreallocarray(p.opps, p.n + 1, sizeof(*p.opps));
                p.opps[p.n++] = q.opps[0];
                q.n = 0;
                ocds_page_done(&q);
        }
        for (int round = 0; round < 2; round++) {
                assert_int_equal(store_open(dir, &st, &err), 0);
                if (round == 0)
                        for (size_t i = 0; i < p.n; i++)
                                assert_int_equal(store_put(st, &p.opps[i], NULL, &p.opps[i].id,
                                                           &err), 0);
                for (size_t i = 0; i < p.n; i++) {
                        struct opportunity o;
                        int64_t d;

                        opportunity_init(&o);
                        assert_int_equal(store_get(st, p.opps[i].id, &o, &err), 0);
                        assert_int_equal(o.framework, p.opps[i].framework);
                        assert_int_equal(o.dps, p.opps[i].dps);
                        d = o.term_days - p.opps[i].term_days;
                        if (round == 0 ? d != 0 : d < -1 || d > 1)
                                fail_msg("%s: term %lld, parsed %lld", o.title,
                                         (long long)o.term_days, (long long)p.opps[i].term_days);
                        with_term += o.term_days != TERM_NONE;
                        opportunity_done(&o);
                }
                if (round == 0)         /* as if stored by a bidbroker before migration 3 */
                        assert_int_equal(sqlite3_exec(store_db(st),
                                                      "DROP TABLE opportunity_scale;"
                                                      "PRAGMA user_version = 2", NULL, NULL,
                                                      NULL), SQLITE_OK);
                store_close(st);
        }
        assert_int_equal(p.opps[p.n - 1].framework, TRI_YES);
        assert_int_equal(p.opps[p.n - 1].dps, TRI_NO);
        assert_int_equal(p.opps[p.n - 1].term_days, 1461);
        assert_true(with_term > 2 * 90);
        ocds_page_done(&p);
        {
                char *cmd = xasprintf("rm -rf %s", dir);

                assert_int_equal(system(cmd), 0);
                free(cmd);
        }
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(t_real_notices),
                cmocka_unit_test(t_no_low_notice_flagged),
                cmocka_unit_test(t_parser_facts),
                cmocka_unit_test(t_wording),
                cmocka_unit_test(t_term_words),
                cmocka_unit_test(t_filter),
                cmocka_unit_test(t_store_facts),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
