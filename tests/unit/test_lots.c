/* test_lots.c — the lots of a notice (lots.h): read from a real Find a
 * Tender release edited into three lots (tests/fixtures/lots/), from inline
 * releases for the edge cases, kept as JSON, and seen as opportunities of
 * their own. */
#include "testutil.h"
#include "engine_fixture.h"
#include "ocds_fixture.h"

#include <errno.h>

#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>

#include "bidbroker/consortlots.h"
#include "bidbroker/consortium.h"
#include "bidbroker/engine.h"
#include "bidbroker/err.h"
#include "bidbroker/taxonomy.h"
#include "bidbroker/lots.h"
#include "bidbroker/members.h"
#include "bidbroker/ocds.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/store.h"
#include "bidbroker/util.h"

#define LOTS_FIXTURE "../lots/fts-lots-3-facilities-edited.json"

static void
assert_strv1(const struct strv *v, const char *only)
{
        assert_int_equal(v->n, 1);
        assert_string_equal(v->v[0], only);
}

/* The three lots of the fixture, with their own values, CPV codes and items. */
static void
t_fixture_lots(void **state)
{
        struct ocds_page p;
        const struct opportunity *o;

        (void)state;
        ocds_fixture_load(LOTS_FIXTURE, &p);
        assert_int_equal(p.n, 1);
        o = &p.opps[0];
        assert_int_equal(o->nlots, 3);
        assert_int_equal(o->max_lots_bid, 3);
        assert_int_equal(o->max_lots_awarded, 2);
        assert_true(opp_lots_separable(o));
        assert_string_equal(o->lots[0].id, "1");
        assert_string_equal(o->lots[0].title, "Lot 1: Cleaning of council buildings");
        assert_int_equal(o->lots[0].value, 4000000);
        assert_strv1(&o->lots[0].cpv, "90910000");
        assert_strv1(&o->lots[0].item_descriptions, "Office and community centre cleaning");
        assert_string_equal(o->lots[1].title, "Lot 2: Grounds maintenance");
        assert_int_equal(o->lots[1].value, 3000000);
        assert_strv1(&o->lots[1].cpv, "77314000");
        assert_string_equal(o->lots[2].id, "3");
        assert_int_equal(o->lots[2].value, 6000000);
        assert_strv1(&o->lots[2].cpv, "45453000");
        assert_string_equal(o->lots[2].status, "active");
        assert_true(o->lots[2].active);
        /* the notice as a whole is as before: its value, every CPV, lot titles */
        assert_int_equal(o->value_max, 13000000);
        assert_int_equal(o->cpv.n, 3);
        assert_int_equal(o->lot_titles.n, 3);
        ocds_page_done(&p);
}

/* The real one-lot notice: one lot, not separable; its items (relatedLot 1)
 * are the lot's. */
static void
t_one_lot(void **state)
{
        struct ocds_page p;
        const struct opportunity *o;

        (void)state;
        ocds_fixture_load("fts-release-032703-2026-UK4-below-threshold.json", &p);
        o = &p.opps[0];
        assert_int_equal(o->nlots, 1);
        assert_false(opp_lots_separable(o));
        assert_null(o->lots[0].title);
        assert_int_equal(o->lots[0].value, 3372100);
        assert_int_equal(o->lots[0].cpv.n, 2);
        assert_int_equal(o->max_lots_awarded, 0);
        ocds_page_done(&p);
}

static const char edge[] =
        "{\"tender\": {"
        " \"lots\": [{\"id\": 7, \"title\": \" <b>Catering</b> \", \"status\": \"cancelled\","
        "            \"value\": {\"amount\": 0}},"
        "           {\"id\": \"8\", \"title\": \"Laundry\", \"value\": {\"amountGross\": 1200.5},"
        "            \"classification\": {\"scheme\": \"CPV\", \"id\": \"98310000-9\"}},"
        "           {\"title\": \"no id: skipped\"}, 5,"
        "           {\"id\": \"9\", \"value\": {\"amount\": \"12\"}}],"
        " \"items\": [{\"relatedLot\": \"7\", \"description\": \"School meals\","
        "              \"classification\": {\"scheme\": \"CPV\", \"id\": \"55524000\"},"
        "              \"additionalClassifications\": [{\"scheme\": \"CPVS\", \"id\": \"12345678\"},"
        "                                              {\"id\": \"55520000\"}, {\"id\": \"5552\"}]},"
        "             {\"description\": \"no relatedLot: the notice's\","
        "              \"classification\": {\"id\": \"90910000\"}},"
        "             {\"relatedLot\": \"99\", \"description\": \"unknown lot\"}],"
        " \"lotDetails\": {\"maximumLotsBidPerSupplier\": 0,"
        "                  \"maximumLotsAwardedPerSupplier\": \"2\"}}}";

/* Ids as numbers, cleaned titles, placeholder values, cancelled lots,
 * items of unknown or no lot, wrong types skipped. */
static void
t_edges(void **state)
{
        struct opportunity o;

        (void)state;
        opportunity_init(&o);
        assert_int_equal(opp_lots_parse_release(edge, strlen(edge), &o), 0);
        assert_int_equal(o.nlots, 3);
        assert_string_equal(o.lots[0].id, "7");
        assert_string_equal(o.lots[0].title, "Catering");
        assert_false(o.lots[0].active);
        assert_int_equal(o.lots[0].value, VALUE_NONE);
        assert_int_equal(o.lots[0].cpv.n, 2);
        assert_string_equal(o.lots[0].cpv.v[0], "55524000");
        assert_string_equal(o.lots[0].cpv.v[1], "55520000");
        assert_strv1(&o.lots[0].item_descriptions, "School meals");
        assert_int_equal(o.lots[1].value, 120050);
        assert_strv1(&o.lots[1].cpv, "98310000");
        assert_int_equal(o.lots[1].item_descriptions.n, 0);
        assert_string_equal(o.lots[2].id, "9");
        assert_null(o.lots[2].title);
        assert_int_equal(o.lots[2].value, VALUE_NONE);
        /* three lots, one cancelled: two active */
        assert_int_equal(opp_lots_active(&o), 2);
        assert_int_equal(o.max_lots_bid, 0);
        assert_int_equal(o.max_lots_awarded, 0);
        assert_int_equal(opp_lots_parse_release("[1]", 3, &o), -EINVAL);
        assert_int_equal(opp_lots_parse_release("{}", 2, &o), 0);
        assert_int_equal(o.nlots, 0);
        opportunity_done(&o);
}

/* The stored form gives back the same lots. */
static void
t_json_round_trip(void **state)
{
        struct ocds_page p;
        struct opportunity back;
        json_t *j, *j2;
        char *text;

        (void)state;
        ocds_fixture_load(LOTS_FIXTURE, &p);
        j = opp_lots_to_json(&p.opps[0]);
        assert_non_null(j);
        text = json_dumps(j, JSON_COMPACT);
        opportunity_init(&back);
        assert_int_equal(opp_lots_from_json(text, &back), 0);
        assert_int_equal(back.nlots, 3);
        assert_int_equal(back.max_lots_awarded, 2);
        assert_int_equal(back.lots[1].value, 3000000);
        j2 = opp_lots_to_json(&back);
        assert_true(json_equal(j, j2));
        assert_int_equal(opp_lots_from_json("{\"lots\": 3}", &back), -EINVAL);
        assert_int_equal(back.nlots, 0);
        assert_null(opp_lots_to_json(&back));
        json_decref(j);
        json_decref(j2);
        free(text);
        opportunity_done(&back);
        ocds_page_done(&p);
}

/* A lot seen as an opportunity: its own text, CPV and value; the notice's
 * places and dates; no lot titles. */
static void
t_view(void **state)
{
        struct ocds_page p;
        const struct opportunity *o;
        struct opportunity v;

        (void)state;
        ocds_fixture_load(LOTS_FIXTURE, &p);
        o = &p.opps[0];
        opp_lot_view(o, 1, &v);
        assert_string_equal(v.title, "Lot 2: Grounds maintenance");
        assert_true(strstr(v.description, "hedge trimming") != NULL);
        assert_strv1(&v.cpv, "77314000");
        assert_strv1(&v.item_descriptions, "Parks and verges: grass cutting");
        assert_int_equal(v.lot_titles.n, 0);
        assert_int_equal(v.nlots, 0);
        assert_true(v.value_stated);
        assert_int_equal(v.value_max, 3000000);
        assert_int_equal(v.value_min, VALUE_NONE);
        assert_ptr_equal(v.regions.v, o->regions.v);
        assert_int_equal(v.deadline, o->deadline);
        assert_null(v.raw);
        ocds_page_done(&p);
}

/* Stored with the notice and read back; a store from before migration 16
 * gets the lots of the notices it holds from their raw records. */
static void
t_store(void **state)
{
        char dir[64];
        struct ocds_page p;
        struct store *st;
        struct err err = { 0 };
        int64_t id = 0;

        (void)state;
        test_tmpdir(dir, "bb-lots");
        ocds_fixture_load(LOTS_FIXTURE, &p);
        for (int round = 0; round < 2; round++) {
                struct opportunity o;

                assert_int_equal(store_open(dir, &st, &err), 0);
                if (round == 0)
                        assert_int_equal(store_put(st, &p.opps[0], NULL, &id, &err), 0);
                opportunity_init(&o);
                assert_int_equal(store_get(st, id, &o, &err), 0);
                assert_int_equal(o.nlots, 3);
                assert_int_equal(o.max_lots_awarded, 2);
                assert_string_equal(o.lots[2].title, "Lot 3: Building repairs");
                assert_int_equal(o.lots[2].value, 6000000);
                assert_string_equal(o.lots[0].item_descriptions.v[0],
                                    "Office and community centre cleaning");
                opportunity_done(&o);
                if (round == 0)         /* as if stored by a bidbroker before migration 16 */
                        assert_int_equal(sqlite3_exec(store_db(st),
                                                      "DROP TABLE opportunity_lots;"
                                                      "PRAGMA user_version = 15", NULL, NULL,
                                                      NULL), SQLITE_OK);
                store_close(st);
        }
        ocds_page_done(&p);
        test_rmtree(dir);
}

/* ---- the lot bundle ---- */

static struct member mX = { .id = (char *)"x" }, mY = { .id = (char *)"y" },
                     mQ = { .id = (char *)"q" }, mZ = { .id = (char *)"z" };

/* Lot i of l: members m[0..n-1] with masks over nreq requirements, searched. */
static void
lot_sets(struct lots_suggestion *l, size_t i, unsigned nreq, const struct member **m,
         const uint64_t *mask, size_t n)
{
        struct consort_member cm[4];
        /* y and q have worked together: named in a pair, neither is dropped
         * as dominated by x (consortium.h), so y + q is a second set */
        static const struct consort_pair yq = { 1, 2 };
        struct consort_problem p = { .nreq = nreq, .members = cm, .nmembers = n, .value = -1,
                                     .together = &yq, .ntogether = n == 3 };
        struct lot_result *lr = &l->v[i];

        for (size_t k = 0; k < n; k++)
                cm[k] = (struct consort_member){ .mask = mask[k], .score = 1, .capacity = -1 };
        lr->lot = i;
        lr->sg.members = xreallocarray(NULL, n, sizeof(*m));
        memcpy(lr->sg.members, m, n * sizeof(*m));
        lr->sg.nmembers = n;
        assert_int_equal(consort_search(&p, &lr->sg.res), 0);
}

static void
bundle_free(struct lots_suggestion *l)
{
        for (size_t i = 0; i < l->n; i++) {
                consort_result_free(l->v[i].sg.res);
                free(l->v[i].sg.members);
        }
        free(l->v);
        free(l->pick);
}

/* Lot A: x alone (rank 0) or y + q (rank 1); lot B: x; lot C: z; lot D: x
 * or nobody.  With no limit every lot takes its best; with one lot per
 * supplier x goes to B (its only cover), A takes y + q, D is left out (x is
 * taken; the first of two equal bundles is kept). */
static void
t_bundle(void **state)
{
        const struct member *a[] = { &mX, &mY, &mQ }, *b[] = { &mX }, *c[] = { &mZ };
        const uint64_t am[] = { 3, 1, 2 }, one[] = { 1 };
        struct lots_suggestion l = { 0 };
        size_t n;

        (void)state;
        l.v = xcalloc(4, sizeof(*l.v));
        l.n = 3;
        lot_sets(&l, 0, 2, a, am, 3);
        lot_sets(&l, 1, 1, b, one, 1);
        lot_sets(&l, 2, 1, c, one, 1);
        assert_int_equal(consort_count(l.v[0].sg.res), 2);
        assert_int_equal(consort_set(l.v[0].sg.res, 1, &n)[0], 1);
        assert_int_equal(n, 2);

        lots_bundle(&l);                        /* no limit */
        assert_int_equal(l.covered, 3);
        assert_int_equal(l.pick[0], 0);
        assert_int_equal(l.pick[1], 0);
        assert_int_equal(l.pick[2], 0);
        assert_false(l.approximate);

        l.limit = 1;
        lots_bundle(&l);
        assert_int_equal(l.covered, 3);
        assert_int_equal(l.pick[0], 1);         /* y + q */
        assert_int_equal(l.pick[1], 0);         /* x */
        assert_int_equal(l.pick[2], 0);         /* z */

        l.n = 4;
        lot_sets(&l, 3, 1, b, one, 1);          /* D: x only */
        lots_bundle(&l);
        assert_int_equal(l.covered, 3);
        assert_int_equal(l.pick[0], 1);
        assert_int_equal(l.pick[1], 0);
        assert_int_equal(l.pick[2], 0);
        assert_int_equal(l.pick[3], SIZE_MAX);

        l.limit = 2;                            /* x may take B and D */
        lots_bundle(&l);
        assert_int_equal(l.covered, 4);
        assert_int_equal(l.pick[0], 1);
        assert_int_equal(l.pick[1], 0);
        assert_int_equal(l.pick[3], 0);
        bundle_free(&l);
}

/* ---- per lot: the engine on each lot of the fixture ---- */

static struct engine *
lots_engine(void)
{
        struct taxonomy *tx = fx_taxonomy();
        struct member_register *reg = fx_register();
        struct engine *e = NULL;
        struct diag d;

        fx_list(&fx_cap(tx, "cleaning", 1)->cpv, "909");
        fx_list(&fx_cap(tx, "grounds", 1)->cpv, "773");
        fx_list(&fx_cap(tx, "building-works", 1)->cpv, "45");
        /* in id order; build's band stops at £70,000: lot 3 (£60,000) but not
         * the whole notice (£130,000) */
        fx_member(reg, "build", "building-works", "UKE", VALUE_NONE, 7000000)->consortium = true;
        fx_member(reg, "clean", "cleaning", "UKE", VALUE_NONE, VALUE_NONE)->consortium = true;
        fx_member(reg, "tidy", "cleaning;grounds", "UKE", VALUE_NONE, VALUE_NONE)->consortium = true;
        diag_init(&d);
        assert_int_equal(engine_build(tx, reg, &e, &d), 0);
        diag_done(&d);
        return e;
}

static const char *
req_ids(const struct match_result *res, char *buf, size_t len)
{
        buf[0] = '\0';
        for (size_t i = 0; i < res->nrequires; i++)
                snprintf(buf + strlen(buf), len - strlen(buf), "%s%s%s", i ? "," : "",
                         res->requires[i].cap->id, res->requires[i].required ? "" : "?");
        return buf;
}

static const char *
set_ids(const struct consort_suggestion *sg, size_t k, char *buf, size_t len)
{
        size_t n;
        const uint32_t *m = consort_set(sg->res, k, &n);

        buf[0] = '\0';
        for (size_t i = 0; i < n; i++)
                snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? "+" : "",
                         sg->members[m[i]]->id);
        return buf;
}

/* Each lot's requirements, matches and sets; the whole notice's verdict;
 * the bundle; a notice of one lot left alone. */
static void
t_per_lot(void **state)
{
        struct engine *e = lots_engine();
        struct engine_scratch *s = engine_scratch_new(e);
        struct consort_opts co = { 0 };
        struct lots_suggestion ls;
        struct match_result whole;
        struct consort_suggestion wsg;
        struct ocds_page p, one;
        static const char *const want_req[] = { "cleaning", "grounds", "building-works" };
        static const char *const want_set[] = { "clean", "tidy", "build" };
        char b[128];

        (void)state;
        ocds_fixture_load(LOTS_FIXTURE, &p);
        match_result_init(&whole);
        assert_int_equal(engine_match(e, s, &p.opps[0], 0, &whole), 0);
        assert_string_equal(req_ids(&whole, b, sizeof(b)), "cleaning,grounds,building-works");
        assert_int_equal(whole.nmatches, 2);            /* clean, tidy: build's band */
        assert_int_equal(consort_suggest(&whole, &p.opps[0], &co, NULL, &wsg), 0);
        assert_int_equal(consort_verdict(wsg.res), CONSORT_NO_COVER);

        assert_int_equal(lots_suggest(e, s, &p.opps[0], 0, &co, NULL, &ls), 0);
        assert_int_equal(ls.n, 3);
        assert_int_equal(ls.limit, 2);
        for (size_t i = 0; i < 3; i++) {
                assert_int_equal(ls.v[i].lot, i);
                assert_string_equal(req_ids(&ls.v[i].res, b, sizeof(b)), want_req[i]);
                assert_int_equal(consort_verdict(ls.v[i].sg.res), CONSORT_SINGLE);
                assert_int_equal(consort_count(ls.v[i].sg.res), 1);
                assert_string_equal(set_ids(&ls.v[i].sg, 0, b, sizeof(b)), want_set[i]);
                assert_int_equal(ls.pick[i], 0);
        }
        assert_int_equal(ls.v[2].sg.value, 6000000);    /* the lot's value */
        assert_int_equal(ls.v[0].res.nmatches, 2);      /* clean, tidy */
        assert_int_equal(ls.covered, 3);
        {
                json_t *j = json_object(), *mj = lots_match_json(&p.opps[0], &ls, "tidy");

                lots_consortia_json(j, &p.opps[0], &ls, &wsg);
                assert_int_equal(json_array_size(json_object_get(j, "lots")), 3);
                assert_string_equal(json_string_value(json_array_get(json_object_get(
                        json_object_get(j, "lot_bundle"), "members"), 2)), "build");
                /* tidy matches lots 1 and 2, the whole of each */
                assert_int_equal(json_array_size(json_object_get(json_array_get(mj, 0),
                                                                 "matches")), 1);
                assert_true(json_is_true(json_object_get(json_array_get(json_object_get(
                        json_array_get(mj, 1), "matches"), 0), "whole")));
                assert_int_equal(json_array_size(json_object_get(json_array_get(mj, 2),
                                                                 "matches")), 0);
                json_decref(j);
                json_decref(mj);
        }
        lots_suggestion_done(&ls);

        /* one lot: nothing per lot, no engine call */
        ocds_fixture_load("fts-release-032703-2026-UK4-below-threshold.json", &one);
        assert_int_equal(lots_suggest(e, s, &one.opps[0], 0, &co, NULL, &ls), 0);
        assert_int_equal(ls.n, 0);
        assert_null(ls.pick);
        lots_suggestion_done(&ls);

        consort_suggestion_done(&wsg);
        match_result_done(&whole);
        ocds_page_done(&one);
        ocds_page_done(&p);
        engine_scratch_free(s);
        engine_free(e);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(t_fixture_lots),
                cmocka_unit_test(t_one_lot),
                cmocka_unit_test(t_edges),
                cmocka_unit_test(t_json_round_trip),
                cmocka_unit_test(t_view),
                cmocka_unit_test(t_store),
                cmocka_unit_test(t_bundle),
                cmocka_unit_test(t_per_lot),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
