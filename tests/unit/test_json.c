/* test_json.c — the JSON vocabulary of bidbroker's output (daemon/base/json.c). */
#include "testutil.h"

#include "bidbroker/json.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"

/* j written with JSON_DUMP_FLAGS; j is consumed. */
static void
check(json_t *j, const char *want)
{
        char *s = json_dumps(j, JSON_DUMP_FLAGS | JSON_ENCODE_ANY);

        assert_non_null(s);
        assert_string_equal(s, want);
        free(s);
        json_decref(j);
}

static void
t_money(void **state)
{
        (void)state;
        check(json_money(2500000), "25000");            /* whole pounds: an integer */
        check(json_money(0), "0");
        check(json_money(200050), "2000.5");            /* pence: a number with them */
        check(json_money(199), "1.99");
        check(json_money(1), "0.01");
        check(json_money(-1500), "-15");
        check(json_money(VALUE_NONE), "null");
}

static void
t_time(void **state)
{
        (void)state;
        check(json_time(0), "\"1970-01-01T00:00:00Z\"");
        check(json_time(1668815940), "\"2022-11-18T23:59:00Z\"");
        check(json_time(TIME_UNKNOWN), "null");
}

static void
t_tri_strings(void **state)
{
        struct strv v;

        (void)state;
        check(json_tri(TRI_YES), "true");
        check(json_tri(TRI_NO), "false");
        check(json_tri(TRI_UNKNOWN), "null");
        check(json_str_or_null("a \"b\""), "\"a \\\"b\\\"\"");
        check(json_str_or_null(NULL), "null");
        strv_init(&v);
        check(json_strv(&v), "[]");
        strv_add(&v, "UKG31");
        strv_add(&v, "\xc2\xa3" "5");
        check(json_strv(&v), "[\"UKG31\",\"\xc2\xa3" "5\"]");
        strv_done(&v);
}

static void
t_print(void **state)
{
        json_t *j = json_pack("{s:i,s:[s]}", "a", 1, "b", "x");
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);

        (void)state;
        assert_non_null(f);
        json_print(f, j, JSON_DUMP_FLAGS);
        json_print(f, j, JSON_DUMP_INDENTED);
        fclose(f);
        assert_string_equal(out, "{\"a\":1,\"b\":[\"x\"]}\n"
                                 "{\n  \"a\": 1,\n  \"b\": [\n    \"x\"\n  ]\n}\n");
        assert_int_equal(j->refcount, 1);                       /* still the caller's */
        free(out);
        json_decref(j);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(t_money),
                cmocka_unit_test(t_time),
                cmocka_unit_test(t_tri_strings),
                cmocka_unit_test(t_print),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
