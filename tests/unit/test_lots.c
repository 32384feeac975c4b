/* test_lots.c — the lots of a notice (lots.h): read from a real Find a
 * Tender release edited into three lots (tests/fixtures/lots/), from inline
 * releases for the edge cases, kept as JSON, and seen as opportunities of
 * their own. */
#include "testutil.h"
#include "ocds_fixture.h"

#include <errno.h>

#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>

#include "bidbroker/lots.h"
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
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
