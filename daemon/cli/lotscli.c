/*
 * lotscli.c — the lots of a notice as explain shows them (lotscli.h,
 * docs/consortium.md "Lots").
 */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "bidbroker/human.h"

#include "lotscli.h"

void
lots_merge(json_t *j, json_t *doc)
{
        json_t *dl = json_incref(json_object_get(doc, "lots")), *jl = json_object_get(j, "lots");
        json_t *d, *x;
        size_t i, k;

        json_object_del(doc, "lots");
        json_object_update(j, doc);
        if (dl == NULL)
                return;
        if (!json_is_array(jl)) {
                json_object_set(j, "lots", dl);
                json_decref(dl);
                return;
        }
        json_array_foreach(dl, i, d) {
                const char *id = json_string_value(json_object_get(d, "id"));
                bool found = false;

                json_array_foreach(jl, k, x)
                        if (id != NULL && !found
                            && strcmp(id, json_string_value(json_object_get(x, "id"))) == 0) {
                                json_object_update(x, d);
                                found = true;
                        }
                if (!found)
                        json_array_append(jl, d);
        }
        json_decref(dl);
}

static void
lot_line(FILE *out, const json_t *lot)
{
        const json_t *v = json_object_get(lot, "value");
        const char *title = json_string_value(json_object_get(lot, "title"));

        fprintf(out, "  lot %s", json_string_value(json_object_get(lot, "id")));
        if (title != NULL)
                fprintf(out, "  %s", title);
        if (json_is_number(v)) {
                char b[HUMAN_MONEY_MAX];

                fprintf(out, ", %s", human_money(llround(json_number_value(v) * 100), "GBP", b,
                                                  sizeof(b)));
        }
        fputc('\n', out);
}

static void
ids(FILE *out, const json_t *arr, const char *sep)
{
        size_t i;
        const json_t *x;

        json_array_foreach(arr, i, x)
                fprintf(out, "%s%s", i ? sep : "", json_string_value(x));  /* [a-z0-9-] */
}

void
lots_text(FILE *out, const json_t *j)
{
        const json_t *lots = json_object_get(j, "lots"), *lot, *x;
        size_t i, k, n;

        if (json_array_size(lots) == 0 || json_object_get(json_array_get(lots, 0), "requires") == NULL)
                return;
        fprintf(out, "\nLots (%zu, each may be bid for alone; matched one by one):\n",
                json_array_size(lots));
        json_array_foreach(lots, i, lot) {
                lot_line(out, lot);
                fprintf(out, "      requires ");
                n = 0;
                json_array_foreach(json_object_get(lot, "requires"), k, x)
                        fprintf(out, "%s%s%s", n++ ? ", " : "",
                                json_string_value(json_object_get(x, "capability")),
                                json_is_true(json_object_get(x, "required")) ? "" : " (incidental)");
                fprintf(out, "%s\n", n ? "" : "nothing: no capability fired");
                fprintf(out, "      matches  ");
                json_array_foreach(json_object_get(lot, "matches"), k, x)
                        fprintf(out, "%s%s%s", k ? ", " : "",
                                json_string_value(json_object_get(x, "member")),
                                json_is_true(json_object_get(x, "whole")) ? " (the whole lot)" : "");
                fprintf(out, "%s\n", json_array_size(json_object_get(lot, "matches")) ? "" : "none");
        }
}

void
lots_consortia_text(FILE *out, const json_t *j)
{
        const json_t *lots = json_object_get(j, "lots"), *b = json_object_get(j, "lot_bundle");
        const json_t *lot, *x;
        size_t i;

        if (json_array_size(lots) == 0 || json_object_get(json_array_get(lots, 0), "verdict") == NULL)
                return;
        fprintf(out, "\nConsortia per lot (each lot alone):\n");
        json_array_foreach(lots, i, lot) {
                const json_t *v = json_object_get(lot, "verdict");
                const json_t *best = json_array_get(json_object_get(lot, "consortia"), 0);

                lot_line(out, lot);
                if (!json_is_string(v)) {
                        fprintf(out, "      nothing required\n");
                        continue;
                }
                fprintf(out, "      %s", json_string_value(v));
                if (best != NULL) {
                        fprintf(out, ": ");
                        ids(out, json_object_get(best, "members"), " + ");
                        if (json_array_size(json_object_get(best, "members")) > 1)
                                fprintf(out, " (lead %s)",
                                        json_string_value(json_object_get(best, "lead")));
                }
                if (json_array_size(json_object_get(lot, "missing")) > 0) {
                        fprintf(out, " (no member delivers: ");
                        ids(out, json_object_get(lot, "missing"), ", ");
                        fputc(')', out);
                }
                fputc('\n', out);
                x = json_object_get(json_object_get(best, "readiness"), "summary");
                if (json_is_string(x))          /* the checklist (docs/consortium.md) */
                        fprintf(out, "      %s\n", json_string_value(x));
        }
        if (!json_is_object(b))
                return;
        fprintf(out, "\nLot bundle (bids lot by lot");
        if (json_is_integer(json_object_get(b, "limit")))
                fprintf(out, ", at most %lld lots per supplier",
                        (long long)json_integer_value(json_object_get(b, "limit")));
        fprintf(out, "%s):\n", json_is_true(json_object_get(b, "approximate"))
                ? "; approximate: the search budget ran out" : "");
        json_array_foreach(json_object_get(b, "reasons"), i, x)
                fprintf(out, "  - %s\n", json_string_value(x));
}
