/* opportunity.c — the shared notice shape (see include/bidbroker/opportunity.h). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/lots.h"
#include "bidbroker/opportunity.h"

void
opportunity_init(struct opportunity *o)
{
        memset(o, 0, sizeof(*o));
        o->value_max = o->value_min = o->value_gross = VALUE_NONE;
        o->published = o->updated = o->deadline = TIME_UNKNOWN;
        o->above_threshold = o->suitable_sme = o->suitable_vcse = TRI_UNKNOWN;
        o->framework = o->dps = TRI_UNKNOWN;
        o->term_days = TERM_NONE;
        strv_init(&o->cpv);
        strv_init(&o->regions);
        strv_init(&o->postcodes);
        strv_init(&o->lot_titles);
        strv_init(&o->item_descriptions);
}

void
opportunity_done(struct opportunity *o)
{
        char **strs[] = {
                &o->source, &o->notice_id, &o->ocid, &o->release_id, &o->notice_type,
                &o->title, &o->description, &o->buyer_name, &o->buyer_id,
                &o->procurement_method, &o->procurement_method_details, &o->url, &o->raw,
        };
        for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
                free(*strs[i]);
        strv_done(&o->cpv);
        strv_done(&o->regions);
        strv_done(&o->postcodes);
        strv_done(&o->lot_titles);
        strv_done(&o->item_descriptions);
        opp_lots_clear(o);
        opportunity_init(o);
}

static const char *const stage_names[] = {
        [STAGE_UNKNOWN] = "unknown", [STAGE_PLANNING] = "planning",
        [STAGE_TENDER] = "tender", [STAGE_AWARD] = "award",
};

static const char *const status_names[] = {
        [STATUS_UNKNOWN] = "unknown", [STATUS_PLANNED] = "planned",
        [STATUS_ACTIVE] = "active", [STATUS_CANCELLED] = "cancelled",
        [STATUS_AWARDED] = "awarded", [STATUS_COMPLETE] = "complete",
};

const char *
opp_stage_name(enum opp_stage s)
{
        return (unsigned)s < ARRAY_SIZE(stage_names) ? stage_names[s] : "unknown";
}

const char *
opp_status_name(enum opp_status s)
{
        return (unsigned)s < ARRAY_SIZE(status_names) ? status_names[s] : "unknown";
}

int
opp_stage_parse(const char *s, enum opp_stage *ret)
{
        for (size_t i = 0; i < ARRAY_SIZE(stage_names); i++)
                if (strcmp(s, stage_names[i]) == 0) {
                        *ret = (enum opp_stage)i;
                        return 0;
                }
        return -EINVAL;
}

int
opp_status_parse(const char *s, enum opp_status *ret)
{
        for (size_t i = 0; i < ARRAY_SIZE(status_names); i++)
                if (strcmp(s, status_names[i]) == 0) {
                        *ret = (enum opp_status)i;
                        return 0;
                }
        return -EINVAL;
}

bool
opportunity_is_open(const struct opportunity *o, int64_t now)
{
        if (o->stage != STAGE_TENDER)
                return false;
        if (o->status == STATUS_CANCELLED || o->status == STATUS_AWARDED ||
            o->status == STATUS_COMPLETE)
                return false;
        /* not yet published at 'now' (a fixed --now over newer data) */
        if (o->published != TIME_UNKNOWN && o->published > now)
                return false;
        return o->deadline == TIME_UNKNOWN || o->deadline > now;
}

bool
cpv_normalise(const char *id, char code[9])
{
        size_t n = 0;

        while (isspace((unsigned char)*id))
                id++;
        while (n < 8 && isdigit((unsigned char)id[n]))
                n++;
        if (n != 8)
                return false;
        /* after the 8 digits: nothing, or the check digit "-D" */
        if (id[8] != '\0' && !(id[8] == '-' && isdigit((unsigned char)id[9]) &&
                               (id[10] == '\0' || isspace((unsigned char)id[10]))))
                return false;
        memcpy(code, id, 8);
        code[8] = '\0';
        return true;
}
