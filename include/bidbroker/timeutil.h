/*
 * timeutil.h — time parsing (ISO 8601, RFC 822) and formatting.  All times are Unix seconds
 * UTC; a timestamp with no offset is UK local time (Europe/London, DST-aware).
 */
#ifndef BIDBROKER_TIMEUTIL_H
#define BIDBROKER_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

#define TIME_UNKNOWN INT64_MIN          /* a time that is not given */

/* Parse "2025-01-23T18:30:29Z", "...+01:00", "2025-01-23T18:30:29" (UK local),
 * "2025-01-23" (UK local midnight), fractional seconds ignored.
 * 0 or -EINVAL. */
int time_parse_iso8601(const char *s, int64_t *ret);

/* Parse an RFC 822 / RFC 2822 date as RSS pubDate carries it:
 * "Mon, 20 Jan 2025 10:00:00 GMT", "+0100", "BST", 2-digit years, no
 * seconds, no weekday, a trailing "(comment)".  No zone means UK local time.
 * 0 or -EINVAL. */
int time_parse_rfc822(const char *s, int64_t *ret);

/* Convert a broken-down UK local time to UTC seconds (Europe/London rules). */
int64_t time_from_uk_local(int year, int mon, int day, int hour, int min, int sec);

/* Days since 1970-01-01 of a (proleptic Gregorian) date, and back. */
int64_t time_days_from_civil(int year, int mon, int day);
void time_civil_from_days(int64_t days, int *year, int *mon, int *day);

/* The UK local (Europe/London) calendar reading of t. */
struct uk_civil {
        int     year, mon, day;         /* the local date */
        int64_t days;                   /* the same, as days since 1970-01-01 */
        int     wday;                   /* 1 Monday .. 7 Sunday */
        int     minute;                 /* minutes after local midnight */
        int     bst;                    /* 1: British Summer Time (UTC+1) */
};
void time_uk_civil(int64_t t, struct uk_civil *c);
/* The Monday 00:00 UK time starting the week that holds t. */
int64_t time_uk_week_start(int64_t t);

/* "2025-01-23T18:30:29Z" into buf (at least 21 bytes); "" for TIME_UNKNOWN. */
char *time_format_utc(int64_t t, char *buf, size_t len);
/* "23 Jan 2025 18:30 GMT" / "20 Oct 2022 10:42 BST": UK local time with
 * its zone, the one time format for people (buf at least 26 bytes). */
char *time_format_uk(int64_t t, char *buf, size_t len);

/* Milliseconds on CLOCK_MONOTONIC: the one clock of timers, waits and
 * back-offs (never goes back, unaffected by setting the wall clock). */
int64_t time_mono_ms(void);

#endif
