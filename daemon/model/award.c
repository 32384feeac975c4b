/*
 * award.c — the awards of one OCDS release (see include/bidbroker/award.h).
 *
 * The release is the one the store keeps (the parser's raw copy), so it was
 * valid JSON when stored; a field of the wrong type still gives an error
 * naming its path rather than a guess.  null counts as absent, as in the
 * parser.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "bidbroker/award.h"
#include "bidbroker/err.h"
#include "bidbroker/text.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"

#define AWARD_ID_MAX    256

void
award_list_init(struct award_list *l)
{
        l->v = NULL;
        l->n = 0;
}

static void
supplier_done(struct award_supplier *s)
{
        free(s->name);
        free(s->party_id);
        free(s->companies_house);
        free(s->charity_number);
        free(s->ppon);
        free(s->scale);
}

void
award_list_done(struct award_list *l)
{
        for (size_t i = 0; i < l->n; i++) {
                struct award *a = &l->v[i];

                free(a->award_id);
                free(a->status);
                free(a->title);
                for (size_t j = 0; j < a->nsuppliers; j++)
                        supplier_done(&a->suppliers[j]);
                free(a->suppliers);
        }
        free(l->v);
        award_list_init(l);
}

char *
award_ident_normalise(const char *scheme, const char *id)
{
        struct buf b;
        bool digits = true;

        if (id == NULL)
                return NULL;
        buf_init(&b);
        buf_adds(&b, "");
        for (const char *p = id; *p; p++) {
                unsigned char c = (unsigned char)*p;

                if (isspace(c))
                        continue;
                if (!isdigit(c))
                        digits = false;
                buf_addc(&b, (char)toupper(c));
        }
        if (b.len == 0 || b.len > AWARD_ID_MAX) {
                buf_done(&b);
                return NULL;
        }
        if (digits && scheme != NULL && strcasecmp(scheme, "GB-COH") == 0 && b.len < 8) {
                char *s = buf_steal(&b);
                char *r = xasprintf("%08ld", strtol(s, NULL, 10));

                free(s);
                buf_done(&b);
                return r;
        }
        return buf_steal(&b);
}

/* ---- reading fields ---- */

struct actx {
        struct err *err;
        int         rc;
};

/* obj[key] when it is of the wanted type (null and absent: NULL); a value of
 * another type fails with its path. */
static json_t *
get(struct actx *c, const json_t *obj, const char *key, json_type want, const char *path)
{
        json_t *v;

        if (c->rc < 0 || obj == NULL || !json_is_object(obj))
                return NULL;
        v = json_object_get(obj, key);
        if (v == NULL || json_is_null(v))
                return NULL;
        if (want == JSON_REAL ? !json_is_number(v) :
            want == JSON_TRUE ? !json_is_boolean(v) : json_typeof(v) != want) {
                static const char *const names[] = {
                        [JSON_OBJECT] = "an object", [JSON_ARRAY] = "an array",
                        [JSON_STRING] = "a string", [JSON_INTEGER] = "a number",
                        [JSON_REAL] = "a number", [JSON_TRUE] = "true or false",
                        [JSON_FALSE] = "true or false", [JSON_NULL] = "null",
                };

                c->rc = err_set(c->err, -EINVAL, "%s%s%s is not %s", path, *path ? "." : "",
                                key, names[want]);
                return NULL;
        }
        return v;
}

/* A string or an integer id as a new string; NULL when absent. */
static char *
get_id(struct actx *c, const json_t *obj, const char *key, const char *path)
{
        json_t *v;

        if (c->rc < 0 || obj == NULL)
                return NULL;
        v = json_object_get(obj, key);
        if (v == NULL || json_is_null(v))
                return NULL;
        if (json_is_integer(v))
                return xasprintf("%lld", (long long)json_integer_value(v));
        if (!json_is_string(v)) {
                c->rc = err_set(c->err, -EINVAL, "%s%s%s is not a string", path,
                                *path ? "." : "", key);
                return NULL;
        }
        return text_clean_str(json_string_value(v), AWARD_ID_MAX, TEXT_SINGLE_LINE | TEXT_PLAIN);
}

static char *
get_text(struct actx *c, const json_t *obj, const char *key, const char *path)
{
        json_t *v = get(c, obj, key, JSON_STRING, path);

        if (v == NULL)
                return NULL;
        return text_clean(json_string_value(v), json_string_length(v), TEXT_TITLE_MAX,
                          TEXT_SINGLE_LINE);
}

static int64_t
get_time(struct actx *c, const json_t *obj, const char *key, const char *path)
{
        json_t *v = get(c, obj, key, JSON_STRING, path);
        int64_t t;

        if (v == NULL || time_parse_iso8601(json_string_value(v), &t) < 0)
                return TIME_UNKNOWN;
        return t;
}

/* value.amount in pence; placeholders and absurd amounts: VALUE_NONE. */
static int64_t
get_value(struct actx *c, const json_t *obj, const char *path, char currency[4])
{
        json_t *val = get(c, obj, "value", JSON_OBJECT, path);
        json_t *amt, *cur;
        char p[96];
        double d;
        int64_t pence;

        if (val == NULL)
                return VALUE_NONE;
        snprintf(p, sizeof(p), "%s%svalue", path, *path ? "." : "");
        amt = get(c, val, "amount", JSON_REAL, p);
        if (amt == NULL)
                amt = get(c, val, "amountGross", JSON_REAL, p);
        cur = get(c, val, "currency", JSON_STRING, p);
        if (amt == NULL)
                return VALUE_NONE;
        d = json_number_value(amt);
        if (!isfinite(d) || d < 0 || d > 9.0e15)
                return VALUE_NONE;
        pence = llround(d * 100.0);
        if (pence == 0 || pence == 10 || pence == 100)
                return VALUE_NONE;
        if (cur != NULL && strlen(json_string_value(cur)) == 3) {
                for (int i = 0; i < 3; i++)
                        currency[i] = (char)toupper((unsigned char)json_string_value(cur)[i]);
                currency[3] = '\0';
        }
        return pence;
}

/* ---- identifiers ---- */

static void
set_ident(struct award_supplier *s, const char *scheme, const char *id)
{
        char **dst = NULL;

        if (scheme == NULL || id == NULL)
                return;
        if (strcasecmp(scheme, "GB-COH") == 0)
                dst = &s->companies_house;
        else if (strcasecmp(scheme, "GB-CHC") == 0 || strcasecmp(scheme, "GB-SC") == 0 ||
                 strcasecmp(scheme, "GB-NIC") == 0)
                dst = &s->charity_number;
        else if (strcasecmp(scheme, "GB-PPON") == 0)
                dst = &s->ppon;
        if (dst == NULL || *dst != NULL)
                return;
        *dst = award_ident_normalise(scheme, id);
}

/* "GB-COH-06841377" as a party id: the scheme is its first two parts. */
static void
ident_from_party_id(struct award_supplier *s, const char *pid)
{
        static const char *const schemes[] = { "GB-COH-", "GB-CHC-", "GB-SC-", "GB-NIC-",
                                               "GB-PPON-" };

        if (pid == NULL)
                return;
        for (size_t i = 0; i < ARRAY_SIZE(schemes); i++) {
                size_t n = strlen(schemes[i]);

                if (strncasecmp(pid, schemes[i], n) == 0 && pid[n] != '\0') {
                        char scheme[16];

                        memcpy(scheme, schemes[i], n - 1);
                        scheme[n - 1] = '\0';
                        set_ident(s, scheme, pid + n);
                }
        }
}

static void
read_identifier(struct actx *c, struct award_supplier *s, const json_t *ident, const char *path)
{
        char *scheme = get_id(c, ident, "scheme", path);
        char *id = get_id(c, ident, "id", path);

        set_ident(s, scheme, id);
        free(scheme);
        free(id);
}

static const json_t *
find_party(const json_t *parties, const char *id)
{
        size_t i;
        json_t *p;

        if (id == NULL || !json_is_array(parties))
                return NULL;
        json_array_foreach(parties, i, p) {
                json_t *pid = json_is_object(p) ? json_object_get(p, "id") : NULL;

                if (json_is_string(pid) && strcmp(json_string_value(pid), id) == 0)
                        return p;
        }
        return NULL;
}

static void
read_party(struct actx *c, struct award_supplier *s, const json_t *party, const char *path)
{
        json_t *ident, *extra, *det, *scale, *vcse, *x;
        char p[128];
        size_t i;

        if (party == NULL)
                return;
        if ((ident = get(c, party, "identifier", JSON_OBJECT, path)) != NULL) {
                snprintf(p, sizeof(p), "%.80s.identifier", path);
                read_identifier(c, s, ident, p);
                if (s->name[0] == '\0') {
                        char *legal = get_text(c, ident, "legalName", p);

                        if (legal != NULL) {
                                free(s->name);
                                s->name = legal;
                        }
                }
        }
        if ((extra = get(c, party, "additionalIdentifiers", JSON_ARRAY, path)) != NULL) {
                json_array_foreach(extra, i, x) {
                        if (i >= AWARD_MAX_SUPPLIERS || c->rc < 0)
                                break;
                        snprintf(p, sizeof(p), "%.80s.additionalIdentifiers[%zu]", path, i);
                        if (json_is_object(x))
                                read_identifier(c, s, x, p);
                }
        }
        if ((det = get(c, party, "details", JSON_OBJECT, path)) != NULL) {
                snprintf(p, sizeof(p), "%.80s.details", path);
                if ((scale = get(c, det, "scale", JSON_STRING, p)) != NULL)
                        s->scale = text_clean_str(json_string_value(scale), 32,
                                                  TEXT_SINGLE_LINE | TEXT_PLAIN);
                if ((vcse = get(c, det, "vcse", JSON_TRUE, p)) != NULL)
                        s->vcse = json_is_true(vcse) ? TRI_YES : TRI_NO;
        }
}

static void
read_supplier(struct actx *c, struct award_supplier *s, const json_t *sup, const json_t *parties,
              const char *path)
{
        char p[96];

        memset(s, 0, sizeof(*s));
        s->vcse = TRI_UNKNOWN;
        s->name = get_text(c, sup, "name", path);
        if (s->name == NULL)
                s->name = xstrdup("");
        s->party_id = get_id(c, sup, "id", path);
        ident_from_party_id(s, s->party_id);
        snprintf(p, sizeof(p), "parties[id=%.64s]", s->party_id ? s->party_id : "?");
        read_party(c, s, find_party(parties, s->party_id), p);
}

/* contracts[] of the same awardID: the first stated value (UK7). */
static int64_t
contract_value(struct actx *c, const json_t *contracts, const char *award_id, char currency[4])
{
        size_t i;
        json_t *k;

        if (!json_is_array(contracts))
                return VALUE_NONE;
        json_array_foreach(contracts, i, k) {
                char path[48];
                char *aid;
                int64_t v = VALUE_NONE;

                if (i >= AWARD_MAX || !json_is_object(k))
                        continue;
                snprintf(path, sizeof(path), "contracts[%zu]", i);
                aid = get_id(c, k, "awardID", path);
                if (aid != NULL && strcmp(aid, award_id) == 0)
                        v = get_value(c, k, path, currency);
                free(aid);
                if (v != VALUE_NONE)
                        return v;
        }
        return VALUE_NONE;
}

static void
read_award(struct actx *c, struct award *a, const json_t *aw, const json_t *parties,
           const json_t *contracts, const char *path)
{
        json_t *sups, *sup, *period;
        char p[96];
        size_t i;

        memset(a, 0, sizeof(*a));
        a->award_id = get_id(c, aw, "id", path);
        if (a->award_id == NULL)
                a->award_id = xstrdup("");
        a->status = get_id(c, aw, "status", path);
        a->title = get_text(c, aw, "title", path);
        a->value = get_value(c, aw, path, a->currency);
        if (a->value == VALUE_NONE && a->award_id[0] != '\0')
                a->value = contract_value(c, contracts, a->award_id, a->currency);
        a->date = get_time(c, aw, "date", path);
        a->published = get_time(c, aw, "datePublished", path);
        a->contract_start = TIME_UNKNOWN;
        if ((period = get(c, aw, "contractPeriod", JSON_OBJECT, path)) != NULL) {
                snprintf(p, sizeof(p), "%s.contractPeriod", path);
                a->contract_start = get_time(c, period, "startDate", p);
        }
        if ((sups = get(c, aw, "suppliers", JSON_ARRAY, path)) == NULL)
                return;
        a->suppliers = xcalloc(json_array_size(sups) ? json_array_size(sups) : 1,
                               sizeof(*a->suppliers));
        json_array_foreach(sups, i, sup) {
                if (i >= AWARD_MAX_SUPPLIERS || c->rc < 0)
                        break;
                snprintf(p, sizeof(p), "%s.suppliers[%zu]", path, i);
                if (!json_is_object(sup)) {
                        if (!json_is_null(sup))
                                c->rc = err_set(c->err, -EINVAL, "%s is not an object", p);
                        continue;
                }
                read_supplier(c, &a->suppliers[a->nsuppliers++], sup, parties, p);
        }
}

int
award_parse_release(const char *json, size_t len, struct award_list *out, struct err *err)
{
        struct actx c = { err, 0 };
        json_error_t jerr;
        json_t *rel, *awards, *parties, *contracts, *aw;
        size_t i;

        award_list_init(out);
        rel = json_loadb(json, len, JSON_ALLOW_NUL, &jerr);
        if (rel == NULL)
                return err_set(err, -EINVAL, "release: line %d column %d: %s", jerr.line,
                               jerr.column, jerr.text);
        if (!json_is_object(rel)) {
                json_decref(rel);
                return err_set(err, -EINVAL, "release: not an object");
        }
        awards = get(&c, rel, "awards", JSON_ARRAY, "");
        parties = get(&c, rel, "parties", JSON_ARRAY, "");
        contracts = get(&c, rel, "contracts", JSON_ARRAY, "");
        if (awards != NULL && c.rc == 0) {
                out->v = xcalloc(json_array_size(awards) ? json_array_size(awards) : 1,
                                 sizeof(*out->v));
                json_array_foreach(awards, i, aw) {
                        char path[32];

                        if (i >= AWARD_MAX || c.rc < 0)
                                break;
                        snprintf(path, sizeof(path), "awards[%zu]", i);
                        if (!json_is_object(aw)) {
                                if (!json_is_null(aw))
                                        c.rc = err_set(err, -EINVAL, "%s is not an object",
                                                       path);
                                continue;
                        }
                        read_award(&c, &out->v[out->n++], aw, parties, contracts, path);
                }
        }
        json_decref(rel);
        if (c.rc < 0)
                award_list_done(out);
        return c.rc;
}
