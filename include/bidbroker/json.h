/*
 * json.h — the one JSON vocabulary of bidbroker's output (jansson): money,
 * times, tri-states, string lists, strings that may be absent, and how a
 * value is written out.
 *
 * Money is in pounds: an integer when whole (25000), else a number with the
 * pence (2000.5); times are ISO 8601 UTC with "Z" ("2022-10-20T12:00:00Z");
 * a tri-state is true, false or null; anything not given is null.  Each
 * returns a new reference.
 */
#ifndef BIDBROKER_JSON_H
#define BIDBROKER_JSON_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

struct strv;

/* How every JSON value bidbroker prints or stores is written: one line. */
#define JSON_DUMP_FLAGS         JSON_COMPACT
/* show --json: one object, indented for people. */
#define JSON_DUMP_INDENTED      JSON_INDENT(2)

/* pence as pounds; null for INT64_MIN (VALUE_NONE, bidbroker/opportunity.h). */
json_t *json_money(int64_t pence);
/* Unix seconds as ISO 8601 UTC; null for TIME_UNKNOWN. */
json_t *json_time(int64_t t);
/* A tri-state (enum tristate, bidbroker/opportunity.h): < 0 (TRI_UNKNOWN)
 * null, 0 false, else true. */
json_t *json_tri(int t);
/* The strings as an array. */
json_t *json_strv(const struct strv *v);
/* s, or null for NULL. */
json_t *json_str_or_null(const char *s);
/* An identifier as feeds write it, a string or an integer, as a new string:
 * the integer in decimal, the string cleaned to one line of at most max
 * bytes (text_clean); NULL when v is neither, or the text is empty. */
char *json_id_text(const json_t *v, size_t max);

/* Write j to f with flags (JSON_DUMP_FLAGS or JSON_DUMP_INDENTED) and a
 * newline.  j stays the caller's. */
void json_print(FILE *f, const json_t *j, size_t flags);

#endif
