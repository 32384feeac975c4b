/*
 * digestsched.c — digest slots in Europe/London time and working days in
 * England (digestsched.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "bidbroker/digestsched.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"

/*
 * Bank holidays in England and Wales, 2022 to 2027, from GOV.UK
 * (https://www.gov.uk/bank-holidays, its data https://www.gov.uk/bank-holidays.json,
 * "england-and-wales"), substitute days included; 2022 has the Platinum
 * Jubilee (3 June) and the State Funeral (19 September).  Extend the list
 * each year when GOV.UK publishes the next; a date past the last year counts
 * weekends only (docs/digest.md).
 */
static const struct { short y; char m, d; } bank_holidays[] = {
        { 2022, 1, 3 }, { 2022, 4, 15 }, { 2022, 4, 18 }, { 2022, 5, 2 }, { 2022, 6, 2 },
        { 2022, 6, 3 }, { 2022, 8, 29 }, { 2022, 9, 19 }, { 2022, 12, 26 }, { 2022, 12, 27 },
        { 2023, 1, 2 }, { 2023, 4, 7 }, { 2023, 4, 10 }, { 2023, 5, 1 }, { 2023, 5, 8 },
        { 2023, 5, 29 }, { 2023, 8, 28 }, { 2023, 12, 25 }, { 2023, 12, 26 },
        { 2024, 1, 1 }, { 2024, 3, 29 }, { 2024, 4, 1 }, { 2024, 5, 6 }, { 2024, 5, 27 },
        { 2024, 8, 26 }, { 2024, 12, 25 }, { 2024, 12, 26 },
        { 2025, 1, 1 }, { 2025, 4, 18 }, { 2025, 4, 21 }, { 2025, 5, 5 }, { 2025, 5, 26 },
        { 2025, 8, 25 }, { 2025, 12, 25 }, { 2025, 12, 26 },
        { 2026, 1, 1 }, { 2026, 4, 3 }, { 2026, 4, 6 }, { 2026, 5, 4 }, { 2026, 5, 25 },
        { 2026, 8, 31 }, { 2026, 12, 25 }, { 2026, 12, 28 },
        { 2027, 1, 1 }, { 2027, 3, 26 }, { 2027, 3, 29 }, { 2027, 5, 3 }, { 2027, 5, 31 },
        { 2027, 8, 30 }, { 2027, 12, 27 }, { 2027, 12, 28 },
};

int
uk_bank_holidays_first_year(void)
{
        return bank_holidays[0].y;
}

int
uk_bank_holidays_last_year(void)
{
        return bank_holidays[ARRAY_SIZE(bank_holidays) - 1].y;
}

bool
uk_bank_holiday(int64_t days)
{
        size_t lo = 0, hi = ARRAY_SIZE(bank_holidays);

        while (lo < hi) {       /* the list is in date order */
                size_t mid = lo + (hi - lo) / 2;
                int64_t d = time_days_from_civil(bank_holidays[mid].y, bank_holidays[mid].m,
                                                 bank_holidays[mid].d);

                if (d == days)
                        return true;
                if (d < days)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return false;
}

bool
uk_working_day(int64_t days)
{
        int64_t wd = ((days + 3) % 7 + 7) % 7;  /* 0 Monday: 1970-01-01 was a Thursday */

        return wd < 5 && !uk_bank_holiday(days);
}

int64_t
uk_working_days_between(int64_t from, int64_t to)
{
        struct uk_civil a, b;
        int64_t n = 0;

        time_uk_civil(from, &a);
        time_uk_civil(to, &b);
        if (b.days - a.days > 3660)     /* ten years on: plenty, and bounded */
                return (b.days - a.days) * 5 / 7;
        for (int64_t d = a.days + 1; d <= b.days; d++)
                n += uk_working_day(d);
        return n;
}

static int64_t
slot_on(int64_t days, int minute)
{
        int y, m, d;

        time_civil_from_days(days, &y, &m, &d);
        return time_from_uk_local(y, m, d, minute / 60, minute % 60, 0);
}

void
digest_slot_at(int64_t now, int wday, int minute, int64_t *ret_slot,
               char period[DIGEST_PERIOD_LEN])
{
        struct uk_civil c;
        int64_t days, slot;
        int y, m, d;

        time_uk_civil(now, &c);
        days = c.days - ((c.wday - wday + 7) % 7);
        slot = slot_on(days, minute);
        if (slot > now) {
                days -= 7;
                slot = slot_on(days, minute);
        }
        time_civil_from_days(days, &y, &m, &d);
        snprintf(period, DIGEST_PERIOD_LEN, "%04d-%02d-%02d", y, m, d);
        *ret_slot = slot;
}

int64_t
digest_slot_next(int64_t now, int wday, int minute)
{
        struct uk_civil c;
        int64_t days, slot;

        time_uk_civil(now, &c);
        days = c.days + ((wday - c.wday + 7) % 7);
        slot = slot_on(days, minute);
        if (slot <= now)
                slot = slot_on(days + 7, minute);
        return slot;
}
