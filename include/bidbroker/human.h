/*
 * human.h — the one way bidbroker writes money for people.
 *
 * Every command's text output writes amounts as "£12,000" (thousands
 * separated by commas, pence only when there are any: "£2,000.50"), a
 * foreign currency as "EUR 1,000".  Times for people are time_format_uk()
 * (bidbroker/timeutil.h): "18 Nov 2022 23:59 GMT" / "... BST".  JSON keeps
 * plain numbers and ISO 8601 UTC.  Pure functions, no allocation.
 */
#ifndef BIDBROKER_HUMAN_H
#define BIDBROKER_HUMAN_H

#include <stddef.h>
#include <stdint.h>

#define HUMAN_MONEY_MAX 40              /* "-EUR 92,233,720,368,547,758.07" and its NUL */

/* pence in currency (NULL, "" or "GBP": pounds) into buf (HUMAN_MONEY_MAX
 * bytes is always enough; shorter is truncated); returns buf. */
char *human_money(int64_t pence, const char *currency, char *buf, size_t len);

#endif
