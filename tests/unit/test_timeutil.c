/* test_timeutil.c — ISO 8601 and RFC 822 parsing with UK local time (daemon/base/timeutil.c). */
#include "testutil.h"

#include <errno.h>

#include "bidbroker/opportunity.h"
#include "bidbroker/human.h"
#include "bidbroker/timeutil.h"

static int64_t
parse(const char *s)
{
        int64_t t = 42;

        assert_int_equal(time_parse_iso8601(s, &t), 0);
        return t;
}

static void
t_utc_and_offsets(void **state)
{
        (void)state;
        assert_int_equal(parse("1970-01-01T00:00:00Z"), 0);
        assert_int_equal(parse("2025-01-23T18:30:29Z"), 1737657029);
        assert_int_equal(parse("2025-01-23t18:30:29z"), 1737657029);
        assert_int_equal(parse("2025-01-23T18:30:29.123Z"), 1737657029);   /* fraction ignored */
        assert_int_equal(parse("2025-01-23T18:30:29+00:00"), 1737657029);
        assert_int_equal(parse("2022-10-20T09:42:13+01:00"), 1666255333);
        assert_int_equal(parse("2022-10-20T09:42:13+0100"), 1666255333);
        assert_int_equal(parse("2022-10-20T03:42:13-05:00"), 1666255333);
        assert_int_equal(parse("2026-05-08T23:59:59+01:00"), 1778281199);
        assert_int_equal(parse("2025-01-23T18:30Z"), 1737657000);           /* no seconds */
        assert_int_equal(parse(" 2025-01-23T18:30:29Z "), 1737657029);
        assert_int_equal(parse("2024-02-29T12:00:00Z"), 1709208000);        /* leap day */
}

static void
t_uk_local(void **state)
{
        (void)state;
        /* no offset: UK local time; in winter that is UTC */
        assert_int_equal(parse("2025-01-23T18:30:29"), 1737657029);
        /* in summer BST (UTC+1) */
        assert_int_equal(parse("2022-10-20T09:42:13"), 1666255333);
        assert_int_equal(parse("2025-06-15T13:00:00"), 1749988800);
        /* date only: local midnight */
        assert_int_equal(parse("2025-01-23"), 1737590400);
        assert_int_equal(parse("2022-07-01"), 1656630000);
        /* the last Sunday of March: 00:59 GMT, then 02:00 BST */
        assert_int_equal(parse("2025-03-30T00:59:00"), 1743296340);
        assert_int_equal(parse("2025-03-30T02:00:00"), 1743296400);
        /* the gap (01:30 does not exist): read as GMT, an hour later */
        assert_int_equal(parse("2025-03-30T01:30:00"), 1743298200);
        /* the last Sunday of October: 01:30 happens twice; the first (BST) wins */
        assert_int_equal(parse("2025-10-26T01:30:00"), 1761438600);
        assert_int_equal(parse("2025-10-26T02:30:00"), 1761445800);
        assert_int_equal(time_from_uk_local(2025, 6, 15, 13, 0, 0), 1749988800);
        assert_int_equal(time_from_uk_local(2025, 1, 23, 18, 30, 29), 1737657029);
}

static void
t_invalid(void **state)
{
        static const char *const bad[] = {
                "", "garbage", "2025", "2025-01", "2025-1-23", "25-01-23",
                "2025-13-01", "2025-00-10", "2025-01-32", "2025-02-30", "2023-02-29",
                "2025-04-31", "2025-01-23T25:00:00Z", "2025-01-23T18:60:00Z",
                "2025-01-23T18:30:61Z", "2025-01-23T18", "2025-01-23T18:30:29Zjunk",
                "2025-01-23T18:30:29+1", "2025-01-23T18:30:29+24:00", "2025-01-23T18:30:29.Z",
                "2025-01-23 junk", "2025/01/23", "+2025-01-23",
        };
        int64_t t = 7;

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                if (time_parse_iso8601(bad[i], &t) != -EINVAL)
                        fail_msg("accepted \"%s\"", bad[i]);
        }
        assert_int_equal(t, 7);                 /* untouched on failure */
        assert_int_equal(time_parse_iso8601(NULL, &t), -EINVAL);
}

static void
t_format(void **state)
{
        char buf[32];

        (void)state;
        assert_string_equal(time_format_utc(1737657029, buf, sizeof(buf)), "2025-01-23T18:30:29Z");
        assert_string_equal(time_format_utc(0, buf, sizeof(buf)), "1970-01-01T00:00:00Z");
        assert_string_equal(time_format_utc(-1, buf, sizeof(buf)), "1969-12-31T23:59:59Z");
        assert_string_equal(time_format_utc(TIME_UNKNOWN, buf, sizeof(buf)), "");
        assert_string_equal(time_format_uk(1737657029, buf, sizeof(buf)), "23 Jan 2025 18:30 GMT");
        assert_string_equal(time_format_uk(1666255333, buf, sizeof(buf)), "20 Oct 2022 09:42 BST");
        assert_string_equal(time_format_uk(TIME_UNKNOWN, buf, sizeof(buf)), "");
        /* round trip */
        assert_int_equal(parse(time_format_utc(1778281199, buf, sizeof(buf))), 1778281199);
}

static void
t_human_money(void **state)
{
        char b[HUMAN_MONEY_MAX];

        (void)state;
        assert_string_equal(human_money(1200000, NULL, b, sizeof(b)), "\xc2\xa3" "12,000");
        assert_string_equal(human_money(83700000, "GBP", b, sizeof(b)), "\xc2\xa3" "837,000");
        assert_string_equal(human_money(200050, "", b, sizeof(b)), "\xc2\xa3" "2,000.50");
        assert_string_equal(human_money(200000, NULL, b, sizeof(b)), "\xc2\xa3" "2,000");
        assert_string_equal(human_money(5, NULL, b, sizeof(b)), "\xc2\xa3" "0.05");
        assert_string_equal(human_money(0, NULL, b, sizeof(b)), "\xc2\xa3" "0");
        assert_string_equal(human_money(99999, NULL, b, sizeof(b)), "\xc2\xa3" "999.99");
        assert_string_equal(human_money(-123456, NULL, b, sizeof(b)), "-\xc2\xa3" "1,234.56");
        assert_string_equal(human_money(100000000, "EUR", b, sizeof(b)), "EUR 1,000,000");
        assert_string_equal(human_money(INT64_MIN, "EUR", b, sizeof(b)),
                            "-EUR 92,233,720,368,547,758.08");
        assert_string_equal(human_money(1200000, NULL, b, 5), "\xc2\xa3" "12");
}

/* RFC 822 / 2822 dates, as RSS pubDate carries them */
static void
t_rfc822(void **state)
{
        static const struct { const char *in, *utc; } ok[] = {
                { "Mon, 20 Jan 2025 10:00:00 GMT", "2025-01-20T10:00:00Z" },
                { "Mon, 20 Jan 2025 10:00:00 +0000", "2025-01-20T10:00:00Z" },
                { "20 Jan 2025 10:00:00 +0100", "2025-01-20T09:00:00Z" },
                { "Sun, 01 Jun 2025 23:30:00 -0500", "2025-06-02T04:30:00Z" },
                { "Mon, 20 Jan 2025 10:00 UT", "2025-01-20T10:00:00Z" },
                { "Fri, 6 Jun 2025 10:00:00 BST", "2025-06-06T09:00:00Z" },
                { "6 June 2025 10:00:00 EDT", "2025-06-06T14:00:00Z" },
                { "Thu, 20 Feb 25 08:00:00 Z", "2025-02-20T08:00:00Z" },
                { "Thu, 20 Feb 99 08:00:00 GMT", "1999-02-20T08:00:00Z" },
                { "Mon, 20 Jan 2025 10:00:00 +0000 (GMT)", "2025-01-20T10:00:00Z" },
                { "Sat, 29 Feb 2020 12:00:00 +01:00", "2020-02-29T11:00:00Z" },
                /* no zone: UK local time (BST in June) */
                { "Fri, 06 Jun 2025 10:00:00", "2025-06-06T09:00:00Z" },
                { "  Mon, 20 Jan 2025 10:00:00 GMT  ", "2025-01-20T10:00:00Z" },
                { "20-Jan-2025 10:00:00 GMT", "2025-01-20T10:00:00Z" },
        };
        static const char *const bad[] = {
                "", "Mon", "2025-01-20T10:00:00Z", "32 Jan 2025 10:00:00 GMT",
                "29 Feb 2025 10:00:00 GMT", "20 Foo 2025 10:00:00 GMT",
                "20 Jan 2025 25:00:00 GMT", "20 Jan 2025 10:61 GMT", "20 Jan 2025 10:00:00 XYZ",
                "20 Jan 2025 10:00:00 +01", "20 Jan 2025 10:00:00 GMT junk",
                "20 Jan 202 10:00 GMT", "20 Jan 2025", "20 Jan 2025 10:00:00 +0000 (GMT",
        };
        int64_t t;

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
                if (time_parse_rfc822(ok[i].in, &t) != 0)
                        fail_msg("'%s' not parsed", ok[i].in);
                if (t != parse(ok[i].utc))
                        fail_msg("'%s': got %lld, want %s", ok[i].in, (long long)t, ok[i].utc);
        }
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
                if (time_parse_rfc822(bad[i], &t) == 0)
                        fail_msg("'%s' accepted", bad[i]);
        assert_int_equal(time_parse_rfc822(NULL, &t), -EINVAL);
}

/* UK calendar dates and Monday-midnight weeks across both clock changes
 * (the staff dashboard's weeks). */
static void
t_uk_weeks(void **state)
{
        int64_t t = 0, w;
        struct uk_civil c;

        (void)state;
        /* Sunday 29 March 2026 (clocks forward at 01:00): week of Monday 23rd, GMT */
        assert_int_equal(time_parse_iso8601("2026-03-29T22:00:00Z", &t), 0);
        assert_int_equal(time_parse_iso8601("2026-03-23T00:00:00Z", &w), 0);
        assert_true(time_uk_week_start(t) == w);
        /* 23:30 UTC on Sunday 29 March is 00:30 BST Monday 30th: its own week */
        assert_int_equal(time_parse_iso8601("2026-03-29T23:30:00Z", &t), 0);
        assert_int_equal(time_parse_iso8601("2026-03-30T00:00:00+01:00", &w), 0);
        assert_true(time_uk_week_start(t) == w);
        /* Sunday 25 October 2026 (clocks back): the Monday before was BST */
        assert_int_equal(time_parse_iso8601("2026-10-25T12:00:00Z", &t), 0);
        assert_int_equal(time_parse_iso8601("2026-10-19T00:00:00+01:00", &w), 0);
        assert_true(time_uk_week_start(t) == w);
        assert_true(time_uk_week_start(w) == w);
        time_uk_civil(time_uk_week_start(t) + 7 * 86400 + 3600, &c);
        assert_int_equal(c.day, 26);
        assert_int_equal(c.wday, 1);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(t_utc_and_offsets),
                cmocka_unit_test(t_uk_local),
                cmocka_unit_test(t_invalid),
                cmocka_unit_test(t_format),
                cmocka_unit_test(t_human_money),
                cmocka_unit_test(t_rfc822),
                cmocka_unit_test(t_uk_weeks),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
