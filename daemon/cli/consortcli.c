/*
 * consortcli.c — consortium suggestions as explain shows them (consortcli.h,
 * consortmatch.h, docs/consortium.md).
 */
#include <stdlib.h>
#include <string.h>

#include "bidbroker/consortmatch.h"
#include "bidbroker/human.h"
#include "bidbroker/json.h"
#include "bidbroker/members.h"
#include "bidbroker/taxonomy.h"
#include "bidbroker/util.h"

#include "consortcli.h"

void
consortia_json(json_t *j, const struct consort_suggestion *sg)
{
        json_t *c = consort_suggestion_json(sg);

        json_object_update(j, c);
        json_decref(c);
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
        if (json_array_size(json_object_get(j, "missing")) > 0) {
                fprintf(out, "  no member delivers:");
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
        }
}
