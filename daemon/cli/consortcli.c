/*
 * consortcli.c — consortium suggestions as explain shows them (consortcli.h,
 * consortmatch.h, docs/consortium.md).
 */
#include <stdlib.h>
#include <string.h>

#include "bidbroker/checks.h"
#include "bidbroker/consortmatch.h"
#include "bidbroker/human.h"
#include "bidbroker/json.h"
#include "bidbroker/members.h"
#include "bidbroker/taxonomy.h"
#include "bidbroker/util.h"

#include "consortcli.h"
#include "term.h"

void
consortia_json(json_t *j, const struct consort_suggestion *sg)
{
        json_t *c = consort_suggestion_json(sg);

        json_object_update(j, c);
        json_decref(c);
}

static const char *
jstr_or_s(const json_t *s)
{
        return json_is_string(s) ? json_string_value(s) : "";
}

static const char *
jstr_or(const json_t *o, const char *key)
{
        const char *s = json_string_value(json_object_get(o, key));

        return s ? s : "";
}

/* "Public liability insurance £5m": an ask's label and level (pounds). */
static const char *
level_label(const json_t *a, char *buf, size_t len)
{
        const json_t *lv = json_object_get(a, "level");
        char t[32] = "";

        if (json_is_number(lv))
                check_level_text((int64_t)(json_number_value(lv) * 100 + 0.5), t, sizeof(t));
        snprintf(buf, len, "%s%s%s", jstr_or(a, "label"), *t ? " " : "", t);
        return buf;
}

/* s padded to cols columns (a '£' is one column, two bytes). */
static void
padded(FILE *out, const char *s, size_t cols)
{
        size_t w = term_columns(s);

        fputs(s, out);
        for (; w < cols; w++)
                fputc(' ', out);
        fputc(' ', out);
}

/* Is ask i an alternative named after an earlier ask ("or" of asks[j < i])? */
static bool
alternative(const json_t *asks, size_t i)
{
        const char *id = jstr_or(json_array_get(asks, i), "check");
        const json_t *x;
        size_t k;

        for (size_t j = 0; j < i; j++)
                json_array_foreach(json_object_get(json_array_get(asks, j), "or"), k, x)
                        if (strcmp(jstr_or(json_array_get(asks, j), "check"), id) != 0 &&
                            json_is_string(x) && strcmp(json_string_value(x), id) == 0)
                                return true;
        return false;
}

/* Ask a with its alternatives: "CHAS or SafeContractor", levels included. */
static const char *
group_label(const json_t *asks, const json_t *a, char *buf, size_t len)
{
        const json_t *x, *y;
        size_t k, m;
        char lb[160];
        struct buf b;

        buf_init(&b);
        buf_adds(&b, level_label(a, lb, sizeof(lb)));
        json_array_foreach(json_object_get(a, "or"), k, x)
                json_array_foreach(asks, m, y)
                        if (json_is_string(x) &&
                            strcmp(jstr_or(y, "check"), json_string_value(x)) == 0)
                                buf_printf(&b, " or %s", level_label(y, lb, sizeof(lb)));
        snprintf(buf, len, "%s", b.data ? b.data : "");
        buf_done(&b);
        return buf;
}

/* What the notice asks suppliers for (docs/consortium.md, readiness). */
static void
asks_text(FILE *out, const json_t *asks)
{
        const json_t *a;
        char lb[160];
        size_t i;

        if (!json_is_array(asks))
                return;                 /* stored before the checklist */
        if (json_array_size(asks) == 0) {
                fprintf(out, "  the notice asks for no accreditation, check or insurance "
                        "the taxonomy knows\n");
                return;
        }
        fprintf(out, "  the notice asks for:\n");
        json_array_foreach(asks, i, a) {
                if (alternative(asks, i))
                        continue;
                fputs("    ", out);
                padded(out, group_label(asks, a, lb, sizeof(lb)), 36);
                fprintf(out, "%s: \"%s\"\n", jstr_or(a, "field"), jstr_or(a, "text"));
        }
}

/* One set's checklist: each ask held by whom, or what is missing. */
static void
readiness_text(FILE *out, const json_t *asks, const json_t *rd)
{
        const json_t *a, *m, *y;
        char lb[160];
        size_t i, k;

        if (!json_is_object(rd) || json_array_size(asks) == 0)
                return;
        fputs("       readiness:\n", out);
        json_array_foreach(asks, i, a) {
                const char *id = json_string_value(json_object_get(a, "check"));
                const json_t *held = json_object_get(rd, "held"), *miss = NULL, *alt;
                size_t nby = 0;

                if (id == NULL || alternative(asks, i))
                        continue;
                json_array_foreach(json_object_get(rd, "missing"), k, m)
                        if (strcmp(jstr_or(m, "check"), id) == 0)
                                miss = m;
                fprintf(out, "         [%c] ", miss ? ' ' : 'x');
                padded(out, group_label(asks, a, lb, sizeof(lb)), 36);
                json_array_foreach(json_object_get(held, id), k, y)
                        fprintf(out, "%s%s", nby++ ? ", " : "held by ", json_string_value(y));
                json_array_foreach(json_object_get(a, "or"), k, alt) {
                        size_t n2;

                        json_array_foreach(json_object_get(held, jstr_or_s(alt)), n2, y)
                                fprintf(out, "%s%s (%s)", nby++ ? ", " : "held by ",
                                        json_string_value(y), jstr_or_s(alt));
                }
                if (miss != NULL) {
                        fputs(nby > 0 ? "; MISSING: " : "MISSING: ", out);
                        fputs(jstr_or(miss, "why"), out);
                }
                fputc('\n', out);
        }
        if (json_is_string(json_object_get(rd, "summary"))) {
                fprintf(out, "       %s\n", jstr_or(rd, "summary"));
        }
}

void
consortia_text(FILE *out, const json_t *j)
{
        const json_t *sets = json_object_get(j, "consortia"), *s = json_object_get(j, "consortium_search");
        const json_t *v = json_object_get(j, "verdict"), *x, *y;
        size_t i, k;
        const char *key;

        if (sets == NULL)
                return;
        fprintf(out, "\nConsortia (at most %lld members): ",
                (long long)json_integer_value(json_object_get(s, "k")));
        if (!json_is_string(v)) {
                fprintf(out, "nothing required, nothing to cover\n");
                return;
        }
        fprintf(out, "%s", json_string_value(v));
        x = json_object_get(s, "why");
        if (json_is_string(x))
                fprintf(out, " (%s)", strcmp(json_string_value(x), "too many") == 0
                        ? "every cover needs more members" : json_string_value(x));
        if (json_is_true(json_object_get(s, "approximate")))
                fprintf(out, ", approximate: the search budget ran out");
        fputc('\n', out);
        x = json_object_get(j, "consortia_stored");
        if (json_is_object(x) && json_is_true(json_object_get(x, "stale")))
                fprintf(out, "  stored by the match pass, STALE: %s; run bidbroker match "
                        "to recompute\n", json_string_value(json_object_get(x, "stale_why")));
        else if (json_is_object(x) && json_object_get(x, "computed") != NULL)
                fprintf(out, "  stored by the match pass (computed %s)\n",
                        json_string_value(json_object_get(x, "computed")));
        else if (json_is_object(x))
                fprintf(out, "  computed now: the stored suggestion was withdrawn (%s)\n",
                        json_string_value(json_object_get(x, "withdrawn_reason")));
        else if (x != NULL)
                fprintf(out, "  computed now: not stored (the match pass stores them for open "
                        "low-value notices)\n");
        x = json_object_get(s, "why");
        if (json_is_string(x) && strcmp(json_string_value(x), "capacity") == 0) {
                char money[HUMAN_MONEY_MAX];

                fprintf(out, "  every capability is covered, but no set of at most %lld "
                        "members has the capacity (the register's capacity, together) for "
                        "its value, %s\n",
                        (long long)json_integer_value(json_object_get(s, "k")),
                        human_money((int64_t)(json_number_value(json_object_get(s, "value")) *
                                              100.0 + 0.5), "GBP", money, sizeof(money)));
        }
        if (json_array_size(json_object_get(j, "missing")) > 0) {
                fprintf(out, "  no member delivers, in its region and value range:");
                json_array_foreach(json_object_get(j, "missing"), i, x)
                        fprintf(out, "%s %s", i ? "," : "", json_string_value(x));
                fputc('\n', out);
        }
        if (json_array_size(json_object_get(s, "busy")) > 0) {
                fprintf(out, "  left out, max_open_bids reached:");
                json_array_foreach(json_object_get(s, "busy"), i, x)
                        fprintf(out, "%s %s", i ? "," : "", json_string_value(x));
                fputc('\n', out);
        }
        asks_text(out, json_object_get(j, "asks"));
        json_array_foreach(sets, i, x) {
                fprintf(out, "  %zu. ", i + 1);
                json_array_foreach(json_object_get(x, "members"), k, y) {
                        fputs(k ? " + " : "", out);
                        fputs(json_string_value(y), out);    /* ids: [a-z0-9-] */
                }
                fprintf(out, "  (score %.1f, lead ", json_number_value(json_object_get(x, "score")));
                fputs(json_string_value(json_object_get(x, "lead")), out);
                fprintf(out, ")\n");
                json_object_foreach((json_t *)json_object_get(x, "covers"), key, y) {
                        fprintf(out, "       %-16s ", key);
                        fputs(json_string_value(y), out);    /* ids: [a-z0-9-] */
                        fputc('\n', out);
                }
                json_array_foreach(json_object_get(x, "reasons"), k, y) {
                        fputs("       - ", out);
                        fputs(json_string_value(y), out);
                        fputc('\n', out);
                }
                readiness_text(out, json_object_get(j, "asks"), json_object_get(x, "readiness"));
        }
}
