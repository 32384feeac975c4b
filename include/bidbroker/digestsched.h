/*
 * digestsched.h — when digests go (daemon/digestsched.c, docs/digest.md):
 * each member's digest slot on its digest_day at [mail] digest_time in
 * Europe/London time, the period a slot names, and working days in England
 * (weekends and the bank holidays of England and Wales) for the feasibility
 * rule "the deadline is at least N working days after delivery".
 *
 * Pure functions of their arguments (the UK rules are computed, see
 * timeutil.h): no TZ, no global state.
 */
#ifndef BIDBROKER_DIGESTSCHED_H
#define BIDBROKER_DIGESTSCHED_H

#include <stdbool.h>
#include <stdint.h>

/* "YYYY-MM-DD": the London date of a slot, the digest's period id */
#define DIGEST_PERIOD_LEN 11

/*
 * The latest slot at or before now: the last day (1 Monday .. 7 Sunday) at
 * minute (after local midnight) in Europe/London.  *ret_slot is its UTC time,
 * period its London date.  On the spring-forward day a time in the missing
 * hour is the GMT reading (an hour later on the clock); on the autumn day a
 * time in the repeated hour is its first (BST) occurrence.
 */
void digest_slot_at(int64_t now, int wday, int minute, int64_t *ret_slot,
                    char period[DIGEST_PERIOD_LEN]);
/* The first slot after now. */
int64_t digest_slot_next(int64_t now, int wday, int minute);

/* A bank holiday in England and Wales (the days covered are listed in
 * digestsched.c with their source); days since 1970-01-01. */
bool uk_bank_holiday(int64_t days);
/* Monday to Friday and not a bank holiday. */
bool uk_working_day(int64_t days);
/* The working days after from's London date up to and including to's London
 * date; 0 when to is on or before from's date. */
int64_t uk_working_days_between(int64_t from, int64_t to);
/* The first and last year the bank holiday list covers. */
int uk_bank_holidays_first_year(void);
int uk_bank_holidays_last_year(void);

#endif
