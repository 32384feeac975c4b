/* oppjson.c — JSON form of an opportunity (see include/bidbroker/oppjson.h). */
#include <jansson.h>

#include "bidbroker/oppjson.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/timeutil.h"

static json_t *
str_or_null(const char *s)
{
        return s ? json_string(s) : json_null();
}

static json_t *
pounds_or_null(int64_t pence)
{
        if (pence == VALUE_NONE)
                return json_null();
        if (pence % 100 == 0)
                return json_integer(pence / 100);
        return json_real((double)pence / 100.0);
}

static json_t *
time_or_null(int64_t t)
{
        char buf[32];

        return t == TIME_UNKNOWN ? json_null() : json_string(time_format_utc(t, buf, sizeof(buf)));
}

static json_t *
tri_json(enum tristate t)
{
        return t == TRI_UNKNOWN ? json_null() : json_boolean(t == TRI_YES);
}

json_t *
strv_to_json(const struct strv *v)
{
        json_t *a = json_array();

        for (size_t i = 0; i < v->n; i++)
                json_array_append_new(a, json_string(v->v[i]));
        return a;
}

json_t *
opportunity_to_json(const struct opportunity *o, bool full)
{
        json_t *j = json_object();

        json_object_set_new(j, "id", json_integer(o->id));
        json_object_set_new(j, "source", str_or_null(o->source));
        json_object_set_new(j, "notice_id", str_or_null(o->notice_id));
        json_object_set_new(j, "ocid", str_or_null(o->ocid));
        json_object_set_new(j, "stage", json_string(opp_stage_name(o->stage)));
        json_object_set_new(j, "notice_type", str_or_null(o->notice_type));
        json_object_set_new(j, "title", str_or_null(o->title));
        json_object_set_new(j, "buyer", str_or_null(o->buyer_name));
        json_object_set_new(j, "buyer_id", str_or_null(o->buyer_id));
        json_object_set_new(j, "value_stated", json_boolean(o->value_stated));
        json_object_set_new(j, "value_max", pounds_or_null(o->value_stated ? o->value_max : VALUE_NONE));
        json_object_set_new(j, "value_min", pounds_or_null(o->value_stated ? o->value_min : VALUE_NONE));
        json_object_set_new(j, "value_gross", pounds_or_null(o->value_gross));
        json_object_set_new(j, "currency", o->currency[0] ? json_string(o->currency) : json_null());
        json_object_set_new(j, "deadline", time_or_null(o->deadline));
        json_object_set_new(j, "published", time_or_null(o->published));
        json_object_set_new(j, "updated", time_or_null(o->updated));
        json_object_set_new(j, "cpv", strv_to_json(&o->cpv));
        json_object_set_new(j, "regions", strv_to_json(&o->regions));
        json_object_set_new(j, "anywhere", json_boolean(o->anywhere));
        json_object_set_new(j, "postcodes", strv_to_json(&o->postcodes));
        json_object_set_new(j, "url", str_or_null(o->url));
        json_object_set_new(j, "status", json_string(opp_status_name(o->status)));
        json_object_set_new(j, "amended", json_boolean(o->amended));
        json_object_set_new(j, "above_threshold", tri_json(o->above_threshold));
        json_object_set_new(j, "suitable_sme", tri_json(o->suitable_sme));
        json_object_set_new(j, "suitable_vcse", tri_json(o->suitable_vcse));
        json_object_set_new(j, "framework", tri_json(o->framework));
        json_object_set_new(j, "dps", tri_json(o->dps));
        json_object_set_new(j, "term_days", o->term_days == TERM_NONE ? json_null() :
                                            json_integer(o->term_days));
        json_object_set_new(j, "procurement_method", str_or_null(o->procurement_method));
        json_object_set_new(j, "procurement_method_details",
                            str_or_null(o->procurement_method_details));
        if (full) {
                json_t *raw = NULL;

                json_object_set_new(j, "release_id", str_or_null(o->release_id));
                json_object_set_new(j, "description", str_or_null(o->description));
                json_object_set_new(j, "lot_titles", strv_to_json(&o->lot_titles));
                json_object_set_new(j, "item_descriptions", strv_to_json(&o->item_descriptions));
                if (o->raw != NULL)
                        raw = json_loads(o->raw, JSON_DECODE_ANY, NULL);
                /* a feed entry's raw XML is kept as a string */
                json_object_set_new(j, "raw", raw ? raw : str_or_null(o->raw));
        }
        return j;
}
