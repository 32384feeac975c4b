/* filter.c — open / low-value / region filter (see include/bidbroker/filter.h). */
#include "bidbroker/filter.h"
#include "bidbroker/lots.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/region.h"
#include "bidbroker/scale.h"

const char *
filter_likely_over_cap(const struct filter *f, const struct opportunity *o, char *buf,
                       size_t len)
{
        return scale_likely_over_cap(o, f->long_term_months, buf, len);
}

/* Not stated and plainly not low, and f does not keep such notices. */
static bool
dropped_as_over_cap(const struct filter *f, const struct opportunity *o)
{
        char buf[SCALE_REASON_MAX];

        return !f->keep_likely_over_cap && filter_likely_over_cap(f, o, buf, sizeof(buf));
}

bool
filter_low_value(const struct filter *f, const struct opportunity *o)
{
        if (!o->value_stated || o->value_max == VALUE_NONE)
                return f->keep_value_not_stated && !dropped_as_over_cap(f, o);
        if (o->value_max <= f->max_value)
                return true;
        /* a lot within the cap may be bid for alone */
        for (size_t i = 0; opp_lots_separable(o) && i < o->nlots; i++)
                if (o->lots[i].active && o->lots[i].value != VALUE_NONE
                    && o->lots[i].value <= f->max_value)
                        return true;
        return false;
}

bool
filter_region(const struct filter *f, const struct opportunity *o)
{
        if (f->regions == NULL || f->regions->n == 0)
                return true;
        for (size_t j = 0; j < f->regions->n; j++)
                if (region_entry_holds(f->regions->v[j], &o->regions, &o->postcodes, o->anywhere))
                        return true;
        return false;
}

const char *
filter_reject_reason(const struct filter *f, const struct opportunity *o, int64_t now)
{
        if (!opportunity_is_open(o, now))
                return "closed";
        if (!filter_low_value(f, o)) {
                if (o->value_stated && o->value_max != VALUE_NONE)
                        return "over the value cap";
                return f->keep_value_not_stated ? "likely over the value cap" :
                                                  "value not stated";
        }
        if (!filter_region(f, o))
                return "outside the filter regions";
        return NULL;
}

bool
filter_accept(const struct filter *f, const struct opportunity *o, int64_t now)
{
        return filter_reject_reason(f, o, now) == NULL;
}
