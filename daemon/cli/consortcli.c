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

static const char *const why_names[] = {
        [CONSORT_WHY_NONE] = NULL,
        [CONSORT_WHY_MISSING] = "missing",
        [CONSORT_WHY_TOO_MANY] = "too many",
        [CONSORT_WHY_CAPACITY] = "capacity",
};

static const char *
money(int64_t pence, char *buf, size_t len)
{
        return human_money(pence, "GBP", buf, len);
}

/* Why this set: what each member covers, why the lead, the capacity. */
static json_t *
set_reasons(const struct consort_suggestion *sg, size_t i)
{
        const struct consort_result *r = sg->res;
        json_t *a = json_array();
        size_t n;
        const uint32_t *m = consort_set(r, i, &n);
        uint32_t lead = consort_lead(r, i);
        int64_t cap = 0;
        bool unlimited = false;
        char b1[32], b2[32];
        struct buf b;

        buf_init(&b);
        for (size_t j = 0; j < n; j++) {
                const struct member *mem = sg->members[m[j]];
                unsigned nc = 0;

                buf_reset(&b);
                buf_printf(&b, "%s %s ", mem->id, n == 1 ? "covers every requirement:" : "covers");
                for (unsigned q = 0; q < sg->nreq; q++)
                        if (consort_cover(r, i, q) == m[j])
                                buf_printf(&b, "%s%s", nc++ ? ", " : "", sg->reqs[q]->id);
                json_array_append_new(a, json_string(b.data));
                if (mem->capacity < 0)
                        unlimited = true;
                else
                        cap += mem->capacity;
        }
        if (n > 1) {
                unsigned share = 0;

                for (unsigned q = 0; q < sg->nreq; q++)
                        share += consort_cover(r, i, q) == lead;
                buf_reset(&b);
                if (sg->members[lead]->lead)
                        buf_printf(&b, "%s leads: it may lead (lead = yes) and covers %u of "
                                   "%u requirements", sg->members[lead]->id, share, sg->nreq);
                else
                        buf_printf(&b, "%s leads: the largest share (%u of %u requirements)",
                                   sg->members[lead]->id, share, sg->nreq);
                json_array_append_new(a, json_string(b.data));
        }
        buf_reset(&b);
        if (sg->value < 0)
                buf_adds(&b, "no value stated: capacity not checked");
        else if (unlimited)
                buf_printf(&b, "value %s: a member states no capacity (not limited)",
                           money(sg->value, b1, sizeof(b1)));
        else
                buf_printf(&b, "capacity %s covers the value %s", money(cap, b1, sizeof(b1)),
                           money(sg->value, b2, sizeof(b2)));
        json_array_append_new(a, json_string(b.data));
        buf_done(&b);
        return a;
}

void
consortia_json(json_t *j, const struct consort_suggestion *sg)
{
        const struct consort_result *r = sg->res;
        json_t *miss = json_array(), *sets = json_array(), *req = json_array(), *search;

        for (unsigned q = 0; q < sg->nreq; q++) {
                json_array_append_new(req, json_string(sg->reqs[q]->id));
                if (r && (consort_missing(r) >> q & 1))
                        json_array_append_new(miss, json_string(sg->reqs[q]->id));
        }
        for (size_t i = 0; r && i < consort_count(r); i++) {
                size_t n;
                const uint32_t *m = consort_set(r, i, &n);
                json_t *ids = json_array(), *covers = json_object(), *o;

                for (size_t k = 0; k < n; k++)
                        json_array_append_new(ids, json_string(sg->members[m[k]]->id));
                for (unsigned q = 0; q < sg->nreq; q++)
                        json_object_set_new(covers, sg->reqs[q]->id,
                                            json_string(sg->members[consort_cover(r, i, q)]->id));
                o = json_object();
                json_object_set_new(o, "members", ids);
                json_object_set_new(o, "lead", json_string(sg->members[consort_lead(r, i)]->id));
                json_object_set_new(o, "covers", covers);
                json_object_set_new(o, "score", json_real(consort_score(r, i)));
                json_object_set_new(o, "balance", json_real(consort_balance(r, i)));
                json_object_set_new(o, "reasons", set_reasons(sg, i));
                json_array_append_new(sets, o);
        }
        json_object_set_new(j, "verdict", r ? json_string(consort_verdict_name(consort_verdict(r)))
                                            : json_null());
        json_object_set_new(j, "missing", miss);
        json_object_set_new(j, "consortia", sets);
        search = json_object();
        json_object_set_new(search, "k", json_integer(sg->k));
        json_object_set_new(search, "required", req);
        json_object_set_new(search, "incidental", json_integer((json_int_t)sg->incidental));
        json_object_set_new(search, "value", json_money(sg->value >= 0 ? sg->value : INT64_MIN));
        json_object_set_new(search, "candidates", json_integer(r ? (json_int_t)consort_candidates(r) : 0));
        json_object_set_new(search, "unwilling", json_integer((json_int_t)sg->unwilling));
        json_object_set_new(search, "why", json_str_or_null(r ? why_names[consort_why(r)] : NULL));
        json_object_set_new(search, "approximate", json_boolean(r && consort_approximate(r)));
        json_object_set_new(j, "consortium_search", search);
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
        if (json_array_size(json_object_get(j, "missing")) > 0) {
                fprintf(out, "  no member delivers:");
                json_array_foreach(json_object_get(j, "missing"), i, x)
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
