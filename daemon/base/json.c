/* json.c — the one JSON vocabulary of bidbroker's output (see json.h). */
#include <stdlib.h>

#include "bidbroker/json.h"
#include "bidbroker/text.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"

json_t *
json_money(int64_t pence)
{
        if (pence == INT64_MIN)
                return json_null();
        if (pence % 100 == 0)
                return json_integer(pence / 100);
        return json_real((double)pence / 100.0);
}

json_t *
json_time(int64_t t)
{
        char buf[32];

        if (t == TIME_UNKNOWN)
                return json_null();
        return json_string(time_format_utc(t, buf, sizeof(buf)));
}

json_t *
json_tri(int t)
{
        return t < 0 ? json_null() : json_boolean(t != 0);
}

json_t *
json_strv(const struct strv *v)
{
        json_t *a = json_array();

        for (size_t i = 0; i < v->n; i++)
                json_array_append_new(a, json_string(v->v[i]));
        return a;
}

json_t *
json_str_or_null(const char *s)
{
        return s ? json_string(s) : json_null();
}

void
json_print(FILE *f, const json_t *j, size_t flags)
{
        char *s = json_dumps(j, flags);

        if (s != NULL) {
                fputs(s, f);
                fputc('\n', f);
                free(s);
        }
}

char *
json_id_text(const json_t *v, size_t max)
{
        char *s;

        if (json_is_integer(v))
                return xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
        if (!json_is_string(v))
                return NULL;
        s = text_clean(json_string_value(v), json_string_length(v), max, TEXT_SINGLE_LINE);
        if (s[0] == '\0') {
                free(s);
                return NULL;
        }
        return s;
}
