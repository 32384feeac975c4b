/* oppjson.c — JSON form of an opportunity (see include/bidbroker/oppjson.h). */
#include <jansson.h>

#include "bidbroker/json.h"
#include "bidbroker/lots.h"
#include "bidbroker/oppjson.h"
#include "bidbroker/opportunity.h"

json_t *
opportunity_to_json(const struct opportunity *o, bool full)
{
        json_t *j = json_object();

        json_object_set_new(j, "id", json_integer(o->id));
        json_object_set_new(j, "source", json_str_or_null(o->source));
        json_object_set_new(j, "notice_id", json_str_or_null(o->notice_id));
        json_object_set_new(j, "ocid", json_str_or_null(o->ocid));
        json_object_set_new(j, "stage", json_string(opp_stage_name(o->stage)));
        json_object_set_new(j, "notice_type", json_str_or_null(o->notice_type));
        json_object_set_new(j, "title", json_str_or_null(o->title));
        json_object_set_new(j, "buyer", json_str_or_null(o->buyer_name));
        json_object_set_new(j, "buyer_id", json_str_or_null(o->buyer_id));
        json_object_set_new(j, "value_stated", json_boolean(o->value_stated));
        json_object_set_new(j, "value_max", json_money(o->value_stated ? o->value_max : VALUE_NONE));
        json_object_set_new(j, "value_min", json_money(o->value_stated ? o->value_min : VALUE_NONE));
        json_object_set_new(j, "value_gross", json_money(o->value_gross));
        json_object_set_new(j, "currency", o->currency[0] ? json_string(o->currency) : json_null());
        json_object_set_new(j, "deadline", json_time(o->deadline));
        json_object_set_new(j, "published", json_time(o->published));
        json_object_set_new(j, "updated", json_time(o->updated));
        json_object_set_new(j, "cpv", json_strv(&o->cpv));
        json_object_set_new(j, "regions", json_strv(&o->regions));
        json_object_set_new(j, "anywhere", json_boolean(o->anywhere));
        json_object_set_new(j, "postcodes", json_strv(&o->postcodes));
        json_object_set_new(j, "url", json_str_or_null(o->url));
        json_object_set_new(j, "status", json_string(opp_status_name(o->status)));
        json_object_set_new(j, "amended", json_boolean(o->amended));
        json_object_set_new(j, "above_threshold", json_tri(o->above_threshold));
        json_object_set_new(j, "suitable_sme", json_tri(o->suitable_sme));
        json_object_set_new(j, "suitable_vcse", json_tri(o->suitable_vcse));
        json_object_set_new(j, "framework", json_tri(o->framework));
        json_object_set_new(j, "dps", json_tri(o->dps));
        json_object_set_new(j, "term_days", o->term_days == TERM_NONE ? json_null() :
                                            json_integer(o->term_days));
        json_object_set_new(j, "procurement_method", json_str_or_null(o->procurement_method));
        json_object_set_new(j, "procurement_method_details",
                            json_str_or_null(o->procurement_method_details));
        if (full) {
                json_t *raw = NULL, *lots;

                json_object_set_new(j, "release_id", json_str_or_null(o->release_id));
                json_object_set_new(j, "description", json_str_or_null(o->description));
                json_object_set_new(j, "lot_titles", json_strv(&o->lot_titles));
                json_object_set_new(j, "item_descriptions", json_strv(&o->item_descriptions));
                lots = opp_lots_to_json(o);
                json_object_set_new(j, "lots", lots ? lots : json_null());
                if (o->raw != NULL)
                        raw = json_loads(o->raw, JSON_DECODE_ANY, NULL);
                /* a feed entry's raw XML is kept as a string */
                json_object_set_new(j, "raw", raw ? raw : json_str_or_null(o->raw));
        }
        return j;
}
