/*
 * timeutil.c — ISO 8601 parsing and formatting, with UK local time computed
 * from the Europe/London rules (BST from 01:00 UTC on the last Sunday of
 * March to 01:00 UTC on the last Sunday of October), so results do not depend
 * on the machine's TZ.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bidbroker/timeutil.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
        int64_t era;
        unsigned yoe, doy, doe;

        y -= m <= 2;
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = (unsigned)(y - era * 400);
        doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
        int64_t era, yy;
        unsigned doe, yoe, doy, mp;

        z += 719468;
        era = (z >= 0 ? z : z - 146096) / 146097;
        doe = (unsigned)(z - era * 146097);
        yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        yy = (int64_t)yoe + era * 400;
        doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        mp = (5 * doy + 2) / 153;
        *d = (int)(doy - (153 * mp + 2) / 5 + 1);
        *m = (int)(mp < 10 ? mp + 3 : mp - 9);
        *y = (int)(yy + (*m <= 2));
}

/* Day number of the last Sunday of a month (month has 31 days: Mar, Oct). */
static int64_t
last_sunday(int year, unsigned month)
{
        int64_t d = days_from_civil(year, month, 31);
        int64_t wd = (d + 4) % 7;       /* 1970-01-01 was a Thursday (4) */

        if (wd < 0)
                wd += 7;
        return d - wd;
}

static bool
uk_is_bst_utc(int64_t t)
{
        int y, m, d;
        int64_t start, end;

        civil_from_days(t >= 0 ? t / 86400 : (t - 86399) / 86400, &y, &m, &d);
        start = last_sunday(y, 3) * 86400 + 3600;
        end = last_sunday(y, 10) * 86400 + 3600;
        return t >= start && t < end;
}

int64_t
time_from_uk_local(int year, int mon, int day, int hour, int min, int sec)
{
        int64_t local = days_from_civil(year, (unsigned)mon, (unsigned)day) * 86400 +
                        hour * 3600 + min * 60 + sec;

        /* Try BST (UTC+1) first: valid if that instant is in BST.  In the
         * autumn overlap this picks the first (BST) reading; in the spring
         * gap it yields the GMT reading, which is an hour later. */
        if (uk_is_bst_utc(local - 3600))
                return local - 3600;
        return local;
}

int64_t
time_days_from_civil(int year, int mon, int day)
{
        return days_from_civil(year, (unsigned)mon, (unsigned)day);
}

void
time_civil_from_days(int64_t days, int *year, int *mon, int *day)
{
        civil_from_days(days, year, mon, day);
}

void
time_uk_civil(int64_t t, struct uk_civil *c)
{
        int64_t local = t + (uk_is_bst_utc(t) ? 3600 : 0);
        int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
        int64_t secs = local - days * 86400;
        int64_t wd = (days + 3) % 7;    /* 1970-01-01 was a Thursday: 0 = Monday */

        if (wd < 0)
                wd += 7;
        civil_from_days(days, &c->year, &c->mon, &c->day);
        c->days = days;
        c->wday = (int)wd + 1;
        c->minute = (int)(secs / 60);
        c->bst = uk_is_bst_utc(t);
}

static int
digits(const char **p, int n, int *ret)
{
        int v = 0;

        for (int i = 0; i < n; i++) {
                if (!isdigit((unsigned char)(*p)[i]))
                        return -EINVAL;
                v = v * 10 + ((*p)[i] - '0');
        }
        *p += n;
        *ret = v;
        return 0;
}

int
time_parse_iso8601(const char *s, int64_t *ret)
{
        const char *p = s;
        int y, mo, d, h = 0, mi = 0, se = 0, oh = 0, om = 0, sign = 0;
        bool has_time = false;
        int64_t t;

        if (s == NULL)
                return -EINVAL;
        while (isspace((unsigned char)*p))
                p++;
        if (digits(&p, 4, &y) < 0 || *p++ != '-' || digits(&p, 2, &mo) < 0 ||
            *p++ != '-' || digits(&p, 2, &d) < 0)
                return -EINVAL;
        if (*p == 'T' || *p == 't' || *p == ' ') {
                p++;
                if (digits(&p, 2, &h) < 0 || *p++ != ':' || digits(&p, 2, &mi) < 0)
                        return -EINVAL;
                if (*p == ':') {
                        p++;
                        if (digits(&p, 2, &se) < 0)
                                return -EINVAL;
                        if (*p == '.' || *p == ',') {
                                p++;
                                if (!isdigit((unsigned char)*p))
                                        return -EINVAL;
                                while (isdigit((unsigned char)*p))
                                        p++;
                        }
                }
                has_time = true;
        }
        if (*p == 'Z' || *p == 'z') {
                sign = 1;
                p++;
        } else if (has_time && (*p == '+' || *p == '-')) {
                sign = *p == '+' ? 1 : -1;
                p++;
                if (digits(&p, 2, &oh) < 0)
                        return -EINVAL;
                if (*p == ':')
                        p++;
                if (isdigit((unsigned char)*p) && digits(&p, 2, &om) < 0)
                        return -EINVAL;
        }
        while (isspace((unsigned char)*p))
                p++;
        if (*p != '\0')
                return -EINVAL;
        if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 24 || mi > 59 || se > 60 ||
            oh > 23 || om > 59 || (h == 24 && (mi || se)))
                return -EINVAL;
        {
                static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
                bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

                if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap))
                        return -EINVAL;
        }
        if (sign == 0) {
                t = time_from_uk_local(y, mo, d, h, mi, se);
        } else {
                t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
                    h * 3600 + mi * 60 + se;
                t -= sign * (oh * 3600 + om * 60);
        }
        *ret = t;
        return 0;
}

/* ---- RFC 822 / RFC 2822 dates (RSS pubDate) ---------------------------- */

static const char *const month_names[12] = {
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
};

static const char *const month_full[12] = {
        "january", "february", "march", "april", "may", "june", "july", "august",
        "september", "october", "november", "december",
};

static int
read_num(const char **p, int min_digits, int max_digits, int *ret)
{
        int v = 0, n = 0;

        while (n < max_digits && isdigit((unsigned char)**p)) {
                v = v * 10 + (**p - '0');
                (*p)++, n++;
        }
        if (n < min_digits || isdigit((unsigned char)**p))
                return -EINVAL;
        *ret = v;
        return 0;
}

static void
skip_ws(const char **p)
{
        while (**p == ' ' || **p == '\t' || **p == '\r' || **p == '\n')
                (*p)++;
}

static int
days_in_month(int y, int m)
{
        static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

        return m == 2 && leap ? 29 : dm[m - 1];
}

/* "Jan", "January" or "Sept", any case: 1..12, or -EINVAL. */
static int
read_month(const char **pp)
{
        const char *p = *pp;
        char m[12];
        size_t n = 0;

        while (isalpha((unsigned char)*p) && n < sizeof(m) - 1)
                m[n++] = (char)tolower((unsigned char)*p++);
        m[n] = '\0';
        if (isalpha((unsigned char)*p))
                return -EINVAL;
        *pp = p;
        for (int i = 0; i < 12; i++)
                if ((n == 3 && memcmp(m, month_names[i], 3) == 0) ||
                    strcmp(m, month_full[i]) == 0 || (n == 4 && i == 8 && strcmp(m, "sept") == 0))
                        return i + 1;
        return -EINVAL;
}

/* An optional zone: "+0100", "-05:00" or a name ("GMT", "BST", a military
 * letter, which RFC 2822 says to treat as -0000).  *zone says whether one
 * was given, *off its minutes east of UTC.  0 or -EINVAL. */
static int
read_zone(const char **pp, bool *zone, int *off)
{
        static const struct { const char *name; int minutes; } zones[] = {
                { "GMT", 0 }, { "UT", 0 }, { "UTC", 0 }, { "Z", 0 },
                { "BST", 60 }, { "CET", 60 }, { "CEST", 120 },
                { "EST", -300 }, { "EDT", -240 }, { "CST", -360 }, { "CDT", -300 },
                { "MST", -420 }, { "MDT", -360 }, { "PST", -480 }, { "PDT", -420 },
        };
        const char *p = *pp;

        *zone = false;
        *off = 0;
        if (*p == '+' || *p == '-') {
                int sign = *p == '+' ? 1 : -1, hh, mm;

                p++;
                if (digits(&p, 2, &hh) < 0)
                        return -EINVAL;
                if (*p == ':')
                        p++;
                if (digits(&p, 2, &mm) < 0 || hh > 23 || mm > 59)
                        return -EINVAL;
                *off = sign * (hh * 60 + mm);
                *zone = true;
        } else if (isalpha((unsigned char)*p)) {
                char z[8];
                size_t n = 0;

                while (isalpha((unsigned char)*p) && n < sizeof(z) - 1)
                        z[n++] = (char)toupper((unsigned char)*p++);
                z[n] = '\0';
                if (isalpha((unsigned char)*p))
                        return -EINVAL;
                for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
                        if (strcmp(z, zones[i].name) == 0) {
                                *off = zones[i].minutes;
                                *zone = true;
                        }
                if (!*zone && n == 1)
                        *zone = true;
                if (!*zone)
                        return -EINVAL;
        }
        *pp = p;
        return 0;
}

int
time_parse_rfc822(const char *s, int64_t *ret)
{
        const char *p = s;
        int day, mon = -1, year, hour, min, sec = 0, off = 0;
        bool zone = false;
        int64_t t;

        if (s == NULL)
                return -EINVAL;
        skip_ws(&p);
        /* optional day of week: "Mon," or "Monday," */
        if (isalpha((unsigned char)*p)) {
                while (isalpha((unsigned char)*p))
                        p++;
                if (*p == ',')
                        p++;
                skip_ws(&p);
        }
        if (read_num(&p, 1, 2, &day) < 0)
                return -EINVAL;
        skip_ws(&p);
        if (*p == '-')                  /* "20-Jan-2025" */
                p++;
        if ((mon = read_month(&p)) < 0)
                return -EINVAL;
        skip_ws(&p);
        if (*p == '-')
                p++;
        {
                const char *y0 = p;

                if (read_num(&p, 2, 4, &year) < 0 || p - y0 == 3)
                        return -EINVAL;
                if (p - y0 == 2)
                        year += year < 50 ? 2000 : 1900;        /* RFC 2822 4.3 */
        }
        if (year < 1970 || year > 9999 || day < 1 || day > days_in_month(year, mon))
                return -EINVAL;
        skip_ws(&p);
        if (read_num(&p, 1, 2, &hour) < 0 || *p++ != ':' || read_num(&p, 2, 2, &min) < 0)
                return -EINVAL;
        if (*p == ':') {
                p++;
                if (read_num(&p, 2, 2, &sec) < 0)
                        return -EINVAL;
        }
        if (hour > 23 || min > 59 || sec > 60)
                return -EINVAL;
        if (sec == 60)
                sec = 59;               /* a leap second: close enough */
        skip_ws(&p);
        if (read_zone(&p, &zone, &off) < 0)
                return -EINVAL;
        skip_ws(&p);
        if (*p == '(') {                /* a trailing comment, "(GMT)" */
                const char *e = strchr(p, ')');

                if (e == NULL)
                        return -EINVAL;
                p = e + 1;
                skip_ws(&p);
        }
        if (*p != '\0')
                return -EINVAL;
        if (!zone) {                    /* no zone: UK local time, as elsewhere */
                *ret = time_from_uk_local(year, mon, day, hour, min, sec);
                return 0;
        }
        t = days_from_civil(year, (unsigned)mon, (unsigned)day) * 86400 + hour * 3600 + min * 60 + sec;
        *ret = t - (int64_t)off * 60;
        return 0;
}

int64_t
time_uk_week_start(int64_t t)
{
        struct uk_civil c;
        int y, m, d;

        time_uk_civil(t, &c);
        time_civil_from_days(c.days - (c.wday - 1), &y, &m, &d);
        return time_from_uk_local(y, m, d, 0, 0, 0);
}

char *
time_format_utc(int64_t t, char *buf, size_t len)
{
        int y, m, d;
        int64_t days, secs;

        if (t == TIME_UNKNOWN) {
                if (len)
                        buf[0] = '\0';
                return buf;
        }
        days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
        secs = t - days * 86400;
        civil_from_days(days, &y, &m, &d);
        snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d,
                 (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
        return buf;
}

char *
time_format_uk(int64_t t, char *buf, size_t len)
{
        static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
        int y, m, d;
        int64_t local, days, secs;
        bool bst;

        if (t == TIME_UNKNOWN) {
                if (len)
                        buf[0] = '\0';
                return buf;
        }
        bst = uk_is_bst_utc(t);
        local = t + (bst ? 3600 : 0);
        days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
        secs = local - days * 86400;
        civil_from_days(days, &y, &m, &d);
        snprintf(buf, len, "%d %s %04d %02d:%02d %s", d, mon[m - 1], y,
                 (int)(secs / 3600), (int)(secs / 60 % 60), bst ? "BST" : "GMT");
        return buf;
}

int64_t
time_mono_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
