/* lots.c — the lots of a notice (see include/bidbroker/lots.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bidbroker/json.h"
#include "bidbroker/lots.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/text.h"
#include "bidbroker/util.h"

#define LOT_CPV_MAX     64
#define LOT_ITEMS_MAX   50
#define LOT_ID_MAX      256
#define LOT_ITEM_TEXT   4096

static const json_t *
get(const json_t *obj, const char *key, json_type t)
{
        const json_t *v = obj ? json_object_get(obj, key) : NULL;

        return v != NULL && json_typeof(v) == t ? v : NULL;
}

/* A string or integer id as a new string, or NULL. */
static char *
id_of(const json_t *obj, const char *key)
{
        return json_id_text(obj ? json_object_get(obj, key) : NULL, LOT_ID_MAX);
}

static char *
text_of(const json_t *obj, const char *key, size_t max, unsigned flags)
{
        const json_t *v = get(obj, key, JSON_STRING);
        char *s;

        if (v == NULL)
                return NULL;
        s = text_clean(json_string_value(v), json_string_length(v), max, flags);
        if (s[0] == '\0') {
                free(s);
                return NULL;
        }
        return s;
}

/* Amount to pence as the parser reads values: absent, negative, absurd, 0,
 * 0.1 and 1 are not stated. */
static int64_t
amount(const json_t *val, const char *key)
{
        const json_t *a = val ? json_object_get(val, key) : NULL;
        double d;
        int64_t p;

        if (!json_is_number(a))
                return VALUE_NONE;
        d = json_number_value(a);
        if (!isfinite(d) || d < 0 || d > 9.0e15)
                return VALUE_NONE;
        p = llround(d * 100.0);
        return p == 0 || p == 10 || p == 100 ? VALUE_NONE : p;
}

static void
add_cpv(struct strv *cpv, const json_t *c)
{
        const char *scheme = json_string_value(get(c, "scheme", JSON_STRING));
        char *id = id_of(c, "id");
        char code[9];

        if (id != NULL && (scheme == NULL || !*scheme || strcasecmp(scheme, "CPV") == 0)
            && cpv_normalise(id, code) && cpv->n < LOT_CPV_MAX)
                strv_add_unique(cpv, code);
        free(id);
}

/* classification and additionalClassifications of a lot or an item */
static void
add_cpvs(struct strv *cpv, const json_t *obj)
{
        const json_t *v;
        size_t i;

        add_cpv(cpv, get(obj, "classification", JSON_OBJECT));
        json_array_foreach(get(obj, "additionalClassifications", JSON_ARRAY), i, v)
                add_cpv(cpv, v);
}

void
opp_lots_clear(struct opportunity *o)
{
        for (size_t i = 0; i < o->nlots; i++) {
                struct opp_lot *l = &o->lots[i];

                free(l->id);
                free(l->title);
                free(l->description);
                free(l->status);
                strv_done(&l->cpv);
                strv_done(&l->item_descriptions);
        }
        free(o->lots);
        o->lots = NULL;
        o->nlots = 0;
        o->max_lots_bid = o->max_lots_awarded = 0;
}

static bool
status_active(const char *st)
{
        return st == NULL || !(strcasecmp(st, "cancelled") == 0
                               || strcasecmp(st, "unsuccessful") == 0
                               || strcasecmp(st, "complete") == 0
                               || strcasecmp(st, "withdrawn") == 0);
}

static struct opp_lot *
lot_new(struct opportunity *o)
{
        struct opp_lot *l;

        o->lots = xreallocarray(o->lots, o->nlots + 1, sizeof(*o->lots));
        l = &o->lots[o->nlots++];
        memset(l, 0, sizeof(*l));
        l->value = VALUE_NONE;
        l->active = true;
        strv_init(&l->cpv);
        strv_init(&l->item_descriptions);
        return l;
}

static int
limit(const json_t *obj, const char *key)
{
        const json_t *v = obj ? json_object_get(obj, key) : NULL;

        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 1000)
                return 0;
        return (int)json_integer_value(v);
}

void
opp_lots_read(const json_t *release, struct opportunity *o)
{
        const json_t *tender = get(release, "tender", JSON_OBJECT);
        const json_t *lots = get(tender, "lots", JSON_ARRAY);
        const json_t *items = get(tender, "items", JSON_ARRAY);
        const json_t *details = get(tender, "lotDetails", JSON_OBJECT);
        const json_t *v;
        size_t i;

        opp_lots_clear(o);
        json_array_foreach(lots, i, v) {
                const json_t *val = get(v, "value", JSON_OBJECT);
                struct opp_lot *l;
                char *id;

                if (o->nlots >= LOTS_MAX)
                        break;
                if (!json_is_object(v) || (id = id_of(v, "id")) == NULL)
                        continue;
                l = lot_new(o);
                l->id = id;
                l->title = text_of(v, "title", TEXT_TITLE_MAX, TEXT_SINGLE_LINE);
                l->description = text_of(v, "description", TEXT_DESCRIPTION_MAX, 0);
                l->status = text_of(v, "status", LOT_ID_MAX, TEXT_SINGLE_LINE);
                l->active = status_active(l->status);
                l->value = amount(val, "amount");
                if (l->value == VALUE_NONE)
                        l->value = amount(val, "amountGross");
                add_cpvs(&l->cpv, v);
        }
        json_array_foreach(items, i, v) {
                char *rel = id_of(v, "relatedLot");
                char *desc;

                if (i >= LOTS_MAX * LOT_ITEMS_MAX)
                        break;
                for (size_t k = 0; k < o->nlots; k++) {
                        struct opp_lot *l = &o->lots[k];

                        if (rel != NULL ? strcmp(rel, l->id) != 0 : o->nlots != 1)
                                continue;
                        add_cpvs(&l->cpv, v);
                        desc = text_of(v, "description", LOT_ITEM_TEXT, 0);
                        if (desc != NULL && l->item_descriptions.n < LOT_ITEMS_MAX
                            && !strv_contains(&l->item_descriptions, desc))
                                strv_take(&l->item_descriptions, desc);
                        else
                                free(desc);
                        break;
                }
                free(rel);
        }
        o->max_lots_bid = limit(details, "maximumLotsBidPerSupplier");
        o->max_lots_awarded = limit(details, "maximumLotsAwardedPerSupplier");
}

int
opp_lots_parse_release(const char *json, size_t len, struct opportunity *o)
{
        json_t *r = json_loadb(json, len, JSON_ALLOW_NUL, NULL);

        if (!json_is_object(r)) {
                json_decref(r);
                return -EINVAL;
        }
        opp_lots_read(r, o);
        json_decref(r);
        return 0;
}

json_t *
opp_lots_to_json(const struct opportunity *o)
{
        json_t *j, *a;

        if (o->nlots == 0)
                return NULL;
        a = json_array();
        for (size_t i = 0; i < o->nlots; i++) {
                const struct opp_lot *l = &o->lots[i];

                json_array_append_new(a, json_pack("{s:s,s:o,s:o,s:o,s:b,s:o,s:o,s:o}",
                        "id", l->id, "title", json_str_or_null(l->title),
                        "description", json_str_or_null(l->description),
                        "status", json_str_or_null(l->status), "active", l->active,
                        "value", json_money(l->value), "cpv", json_strv(&l->cpv),
                        "item_descriptions", json_strv(&l->item_descriptions)));
        }
        j = json_object();
        json_object_set_new(j, "max_lots_bid", o->max_lots_bid ? json_integer(o->max_lots_bid)
                                                                : json_null());
        json_object_set_new(j, "max_lots_awarded",
                            o->max_lots_awarded ? json_integer(o->max_lots_awarded) : json_null());
        json_object_set_new(j, "lots", a);
        return j;
}

static char *
dup_or_null(const json_t *v)
{
        return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

static void
strv_of(struct strv *sv, const json_t *a)
{
        size_t i;
        const json_t *v;

        json_array_foreach(a, i, v)
                if (json_is_string(v))
                        strv_add(sv, json_string_value(v));
}

int
opp_lots_from_json(const char *text, struct opportunity *o)
{
        json_t *j = json_loads(text, 0, NULL), *lots, *v;
        size_t i;

        opp_lots_clear(o);
        lots = json_object_get(j, "lots");
        if (!json_is_array(lots)) {
                json_decref(j);
                return -EINVAL;
        }
        json_array_foreach(lots, i, v) {
                const json_t *id = json_object_get(v, "id"), *val = json_object_get(v, "value");
                struct opp_lot *l;

                if (!json_is_string(id))
                        continue;
                l = lot_new(o);
                l->id = xstrdup(json_string_value(id));
                l->title = dup_or_null(json_object_get(v, "title"));
                l->description = dup_or_null(json_object_get(v, "description"));
                l->status = dup_or_null(json_object_get(v, "status"));
                l->active = !json_is_false(json_object_get(v, "active"));
                l->value = json_is_number(val) ? llround(json_number_value(val) * 100.0)
                                               : VALUE_NONE;
                strv_of(&l->cpv, json_object_get(v, "cpv"));
                strv_of(&l->item_descriptions, json_object_get(v, "item_descriptions"));
        }
        o->max_lots_bid = limit(j, "max_lots_bid");
        o->max_lots_awarded = limit(j, "max_lots_awarded");
        json_decref(j);
        return 0;
}

size_t
opp_lots_active(const struct opportunity *o)
{
        size_t n = 0;

        for (size_t i = 0; i < o->nlots; i++)
                n += o->lots[i].active;
        return n;
}

bool
opp_lots_separable(const struct opportunity *o)
{
        return opp_lots_active(o) >= 2;
}

void
opp_lot_view(const struct opportunity *o, size_t i, struct opportunity *view)
{
        const struct opp_lot *l = &o->lots[i];

        *view = *o;
        view->title = l->title ? l->title : (char *)"";
        view->description = l->description ? l->description : (char *)"";
        view->cpv = l->cpv;
        view->item_descriptions = l->item_descriptions;
        memset(&view->lot_titles, 0, sizeof(view->lot_titles));
        view->lots = NULL;
        view->nlots = 0;
        view->raw = NULL;
        view->value_stated = l->value != VALUE_NONE;
        view->value_max = l->value;
        view->value_min = VALUE_NONE;
        view->value_gross = VALUE_NONE;
}
