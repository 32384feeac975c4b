/*
 * fuzz_time.c — the date parsers of outside input: time_parse_iso8601()
 * (OCDS dates) and time_parse_rfc822() (RSS pubDate), each result then
 * formatted with time_format_utc() and time_format_uk().
 * Invariant: a time formatted as UTC and parsed again is the same time.
 */
#include "bidbroker/feed.h"
#include "bidbroker/timeutil.h"
#include "fuzz.h"

static void
check_time(int64_t t)
{
        char utc[64], uk[64];
        int64_t back;

        time_format_utc(t, utc, sizeof(utc));
        time_format_uk(t, uk, sizeof(uk));
        if (time_parse_iso8601(utc, &back) == 0 && back != t)
                fuzz_fail("%lld formats as %s, which parses as %lld", (long long)t, utc,
                          (long long)back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s;
        int64_t t;

        if (size > 4096)
                return 0;
        s = fuzz_strndup(data, size);
        if (time_parse_iso8601(s, &t) == 0)
                check_time(t);
        if (time_parse_rfc822(s, &t) == 0)
                check_time(t);
        free(s);
        return 0;
}
