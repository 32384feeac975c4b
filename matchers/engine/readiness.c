/*
 * readiness.c — the readiness checklist of a suggested set (readiness.h).
 */
#include <stdbool.h>
#include <string.h>

#include "bidbroker/checks.h"
#include "bidbroker/json.h"
#include "bidbroker/members.h"
#include "bidbroker/readiness.h"
#include "bidbroker/taxonomy.h"
#include "bidbroker/util.h"

enum held {
        HELD,
        HELD_NONE,              /* not in its accreditations */
        HELD_UNSTATED,          /* held, no amount stated, the notice states one */
        HELD_BELOW,             /* held below the notice's level */
};

static const char *
field_name(unsigned f)
{
        switch (f) {
        case FIELD_TITLE:       return "title";
        case FIELD_DESCRIPTION: return "description";
        case FIELD_BUYER:       return "buyer";
        case FIELD_LOTS:        return "lots";
        case FIELD_ITEMS:       return "items";
        default:                return "text";
        }
}

static enum held
held(const struct check_ask *a, const struct check_holds *h, int64_t *level)
{
        const struct check_hold *x = check_holds_find(h, a->def);

        *level = x ? x->level : CHECK_LEVEL_NONE;
        if (x == NULL)
                return HELD_NONE;
        if (!a->def->amount || a->level == CHECK_LEVEL_NONE)
                return HELD;
        if (x->level == CHECK_LEVEL_NONE)
                return HELD_UNSTATED;
        return x->level >= a->level ? HELD : HELD_BELOW;
}

/* "CHAS", "Public liability insurance £10m" (with level), "CHAS or
 * SafeContractor": ask i and its alternatives. */
static void
ask_name(const struct check_asks *a, size_t i, bool level, struct buf *b)
{
        bool first = true;

        for (size_t j = i; j < a->n; j++) {
                if (a->v[j].alt != i)
                        continue;
                buf_printf(b, "%s%s", first ? "" : " or ", a->v[j].def->label);
                first = false;
                if (level && a->v[j].level != CHECK_LEVEL_NONE) {
                        char lv[32];

                        check_level_text(a->v[j].level, lv, sizeof(lv));
                        buf_printf(b, " %s", lv);
                }
        }
}

/* Does member k hold ask i or one of its alternatives? */
static bool
holds_group(const struct check_asks *a, size_t i, const struct check_holds *h)
{
        int64_t lv;

        for (size_t j = i; j < a->n; j++)
                if (a->v[j].alt == i && held(&a->v[j], h, &lv) == HELD)
                        return true;
        return false;
}

static size_t
group_size(const struct check_asks *a, size_t i)
{
        size_t n = 0;

        for (size_t j = i; j < a->n; j++)
                n += a->v[j].alt == i;
        return n;
}

json_t *
readiness_asks_json(const struct check_asks *a)
{
        json_t *arr = json_array();

        for (size_t i = 0; i < a->n; i++) {
                const struct check_ask *x = &a->v[i];

                json_t *alt = json_array();

                for (size_t j = 0; j < a->n; j++)
                        if (j != i && a->v[j].alt == x->alt)
                                json_array_append_new(alt, json_string(a->v[j].def->id));
                json_array_append_new(arr, json_pack(
                        "{s:s,s:s,s:o,s:s,s:s,s:s,s:o}", "check", x->def->id,
                        "label", x->def->label,
                        "level", json_money(x->level == CHECK_LEVEL_NONE ? INT64_MIN : x->level),
                        "scope", x->def->scope == CHECK_SCOPE_EACH ? "each" : "any",
                        "field", field_name(x->field), "text", x->text ? x->text : "",
                        "or", alt));
        }
        return arr;
}

/* Why the members lacking ask a do not hold it: "festival-people holds
 * £5m; fixit-futures: not in its accreditations".  False: nobody holds it
 * at any level (scope any), and why says so. */
static bool
lacking_why(const struct check_ask *a, const struct member *const *members,
            const struct check_holds *holds, size_t n, bool each, struct buf *why,
            json_t *who)
{
        for (size_t k = 0; k < n; k++) {
                int64_t lv;
                enum held st = held(a, &holds[k], &lv);
                char t[32];

                if (st == HELD || (!each && st == HELD_NONE))
                        continue;
                if (each)
                        json_array_append_new(who, json_string(members[k]->id));
                if (why->len)
                        buf_adds(why, "; ");
                if (st == HELD_NONE) {
                        buf_printf(why, "%s: not in its accreditations", members[k]->id);
                } else if (st == HELD_UNSTATED) {
                        buf_printf(why, "%s: no amount stated", members[k]->id);
                } else {
                        check_level_text(lv, t, sizeof(t));
                        buf_printf(why, "%s holds %s", members[k]->id, t);
                }
        }
        if (each || why->len > 0)
                return true;
        if (n == 1)
                buf_printf(why, "not in %s's accreditations", members[0]->id);
        else
                buf_adds(why, "no partner holds it");
        return false;
}

json_t *
readiness_json(const struct check_asks *a, const struct member *const *members,
               const struct check_holds *holds, size_t n)
{
        json_t *j = json_object(), *hj = json_object(), *miss = json_array();
        struct buf sum, why;
        bool ready = true;

        buf_init(&sum);
        buf_init(&why);
        for (size_t i = 0; i < a->n; i++) {                    /* who holds each */
                json_t *by = json_array();

                for (size_t k = 0; k < n; k++) {
                        int64_t lv;

                        if (held(&a->v[i], &holds[k], &lv) == HELD)
                                json_array_append_new(by, json_string(members[k]->id));
                }
                json_object_set_new(hj, a->v[i].def->id, by);
        }
        for (size_t i = 0; i < a->n; i++) {             /* each ask or either-or group */
                const struct check_ask *x = &a->v[i];
                bool each = x->def->scope == CHECK_SCOPE_EACH, alone = group_size(a, i) == 1;
                size_t nheld = 0;

                if (x->alt != i)
                        continue;
                for (size_t k = 0; k < n; k++)
                        nheld += holds_group(a, i, &holds[k]);
                if (each ? nheld == n : nheld > 0)
                        continue;
                ready = false;
                {
                        json_t *who = json_array();
                        bool detail;

                        json_t *alt = json_array();
                        struct buf label;

                        buf_init(&label);
                        buf_reset(&why);
                        if (alone) {
                                detail = lacking_why(x, members, holds, n, each, &why, who);
                        } else {                /* none of the alternatives held */
                                for (size_t k = 0; each && k < n; k++)
                                        if (!holds_group(a, i, &holds[k]))
                                                json_array_append_new(who, json_string(members[k]->id));
                                if (n == 1)
                                        buf_printf(&why, "none of them in %s's accreditations",
                                                   members[0]->id);
                                else
                                        buf_adds(&why, "no partner holds any of them");
                                detail = false;
                        }
                        for (size_t g = i + 1; g < a->n; g++)
                                if (a->v[g].alt == i)
                                        json_array_append_new(alt, json_string(a->v[g].def->id));
                        ask_name(a, i, false, &label);
                        json_array_append_new(miss, json_pack(
                                "{s:s,s:o,s:s,s:o,s:o,s:s}", "check", x->def->id, "or", alt,
                                "label", label.data,
                                "level", json_money(x->level == CHECK_LEVEL_NONE
                                                    ? INT64_MIN : x->level),
                                "members", who, "why", why.data));
                        buf_adds(&sum, sum.len ? "; " : "Still needed: ");
                        ask_name(a, i, true, &sum);
                        buf_done(&label);
                        if (detail && n > 0)
                                buf_printf(&sum, " (%s)", why.data);
                }
        }
        if (a->n > 0 && ready)
                buf_printf(&sum, "Ready: %s all %zu check%s the notice asks for",
                           n == 1 ? "it holds" : "the partners hold", a->n,
                           a->n == 1 ? "" : "s");
        json_object_set_new(j, "ready", json_boolean(ready));
        json_object_set_new(j, "held", hj);
        json_object_set_new(j, "missing", miss);
        json_object_set_new(j, "summary", a->n ? json_string(sum.data) : json_null());
        buf_done(&sum);
        buf_done(&why);
        return j;
}
