/*
 * api.c — POST /api/v1/opportunities: an anchor posts an opportunity.
 *
 * In order: the Bearer token (401 unknown, 403 revoked or its [anchor] gone
 * from the configuration), the Content-Type (415 unless application/json),
 * the anchor's rate (429 with Retry-After past [http] anchor_rate a minute),
 * then every field checked at once (400, {"errors": [{field, message}]}).
 * A valid posting is stored with store_put as source anchor:NAME (so the
 * filter and matching treat it like any notice; the match service hears of
 * it through the service's notice count).  An idempotency_key seen before
 * with the same body answers 200 with the same id, with another body 409.
 * The body size cap (413) is the server's.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>

#include "bidbroker/anchors.h"
#include "bidbroker/err.h"
#include "bidbroker/hash.h"
#include "bidbroker/http.h"
#include "bidbroker/log.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/region.h"
#include "bidbroker/store.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"

#include "route.h"

#define TITLE_MAX       300
#define TEXT_MAX        20000
#define SHORT_MAX       500
#define LIST_MAX        100

static void
bad(json_t *errors, const char *field, const char *msg)
{
        json_array_append_new(errors, json_pack("{s:s,s:s}", "field", field, "message", msg));
}

/* A string field: NULL when absent (or not a string: reported). */
static const char *
str_field(json_t *o, const char *key, size_t max, bool required, json_t *errors)
{
        json_t *v = json_object_get(o, key);
        const char *s;
        char msg[96];

        if (v == NULL || json_is_null(v)) {
                if (required)
                        bad(errors, key, "required");
                return NULL;
        }
        if (!json_is_string(v)) {
                bad(errors, key, "must be a string");
                return NULL;
        }
        s = json_string_value(v);
        if (required && *s == '\0') {
                bad(errors, key, "must not be empty");
                return NULL;
        }
        if (strlen(s) > max) {
                snprintf(msg, sizeof(msg), "longer than %zu bytes", max);
                bad(errors, key, msg);
                return NULL;
        }
        if (strlen(s) != json_string_length(v)) {
                bad(errors, key, "contains a NUL character");
                return NULL;
        }
        return s;
}

/* Pounds -> pence; VALUE_NONE when absent. */
static int64_t
money_field(json_t *o, const char *key, json_t *errors)
{
        json_t *v = json_object_get(o, key);
        double d;

        if (v == NULL || json_is_null(v))
                return VALUE_NONE;
        if (!json_is_number(v)) {
                bad(errors, key, "must be a number of pounds");
                return VALUE_NONE;
        }
        d = json_number_value(v);
        if (!(d >= 0 && d <= 1e12)) {
                bad(errors, key, "must be between 0 and 1000000000000 pounds");
                return VALUE_NONE;
        }
        return (int64_t)llround(d * 100);
}

/* A list of strings; each checked by ok (NULL: any) which may rewrite it. */
static void
list_field(json_t *o, const char *key, struct strv *out, bool (*ok)(char *s, const char **why),
           json_t *errors)
{
        json_t *v = json_object_get(o, key), *it;
        size_t i;

        if (v == NULL || json_is_null(v))
                return;
        if (!json_is_array(v) || json_array_size(v) > LIST_MAX) {
                bad(errors, key, "must be a list of at most 100 strings");
                return;
        }
        json_array_foreach(v, i, it) {
                const char *why = "must be a string of at most 500 bytes";
                char *s;

                if (!json_is_string(it) || json_string_length(it) > SHORT_MAX ||
                    strlen(json_string_value(it)) != json_string_length(it)) {
                        bad(errors, key, why);
                        return;
                }
                s = xstrdup(json_string_value(it));
                if (ok != NULL && !ok(s, &why)) {
                        char msg[160];

                        snprintf(msg, sizeof(msg), "item %zu: %s", i + 1, why);
                        bad(errors, key, msg);
                        free(s);
                        return;
                }
                strv_take(out, s);
        }
}

/* "45000000" or "45000000-7" -> "45000000" */
static bool
cpv_ok(char *s, const char **why)
{
        size_t n = strspn(s, "0123456789");

        if (n == 8 && (s[8] == '\0' || (s[8] == '-' && s[9] >= '0' && s[9] <= '9' &&
                                         s[10] == '\0'))) {
                s[8] = '\0';
                return true;
        }
        *why = "not a CPV code (8 digits, e.g. 90910000 or 90910000-9)";
        return false;
}

static bool
lot_ok(char *s, const char **why)
{
        if (*s == '\0' || str_has_control(s)) {
                *why = "must be non-empty text without control characters";
                return false;
        }
        return true;
}

static const char *const known_keys[] = {
        "title", "description", "value", "value_min", "value_max", "deadline", "postcode",
        "cpv", "lots", "contact", "documents_url", "idempotency_key",
};

/* Every field of the posting into o; problems into errors. */
static void
validate(json_t *j, const struct http_anchor *a, int64_t now, struct opportunity *o,
         const char **idem, json_t *errors)
{
        const char *key, *s;
        json_t *v;
        int64_t value, vmin, vmax;
        size_t nerr;

        json_object_foreach(j, key, v) {
                bool known = false;

                for (size_t i = 0; i < ARRAY_SIZE(known_keys); i++)
                        known |= strcmp(key, known_keys[i]) == 0;
                if (!known)
                        bad(errors, key, "unknown key");
        }
        if ((s = str_field(j, "title", TITLE_MAX, true, errors)) != NULL) {
                if (str_has_control(s))
                        bad(errors, "title", "contains control characters");
                else
                        o->title = xstrdup(s);
        }
        if ((s = str_field(j, "description", TEXT_MAX, false, errors)) != NULL)
                o->description = xstrdup(s);
        value = money_field(j, "value", errors);
        vmin = money_field(j, "value_min", errors);
        vmax = money_field(j, "value_max", errors);
        if (value != VALUE_NONE && (vmin != VALUE_NONE || vmax != VALUE_NONE)) {
                bad(errors, "value", "give value, or value_min and value_max, not both");
        } else if (value != VALUE_NONE) {
                o->value_max = value;
                o->value_stated = true;
        } else if (vmax != VALUE_NONE) {
                if (vmin != VALUE_NONE && vmin > vmax) {
                        bad(errors, "value_min", "larger than value_max");
                } else {
                        o->value_min = vmin;
                        o->value_max = vmax;
                        o->value_stated = true;
                }
        } else if (vmin != VALUE_NONE) {
                bad(errors, "value_max", "required with value_min");
        }
        if (o->value_stated)
                memcpy(o->currency, "GBP", 4);
        if ((s = str_field(j, "deadline", 64, true, errors)) != NULL) {
                if (time_parse_iso8601(s, &o->deadline) < 0)
                        bad(errors, "deadline", "not an ISO 8601 time "
                            "(e.g. 2026-12-31T12:00:00Z)");
                else if (o->deadline <= now)
                        bad(errors, "deadline", "in the past");
        }
        nerr = json_array_size(errors);
        if ((s = str_field(j, "postcode", 16, false, errors)) != NULL) {
                if (!postcode_valid(s)) {
                        bad(errors, "postcode", "not a UK postcode (e.g. B1 1AA)");
                } else {
                        char *pc = xstrdup(s);

                        for (char *p = pc; *p; p++)
                                if (*p >= 'a' && *p <= 'z')
                                        *p = (char)(*p - 'a' + 'A');
                        strv_take(&o->postcodes, pc);
                }
        }
        if (json_array_size(errors) > nerr) {
                /* the postcode is reported already */
        } else if (a->regions->n > 0) {
                bool in = false;

                for (size_t i = 0; i < a->regions->n && !in; i++)
                        in = region_entry_holds(a->regions->v[i], &o->regions, &o->postcodes,
                                                false);
                if (o->postcodes.n == 0)
                        bad(errors, "postcode", "required: the anchor posts for some regions "
                            "only");
                else if (!in)
                        bad(errors, "postcode", "outside the regions this anchor may post for");
        } else if (o->postcodes.n == 0) {
                o->anywhere = true;
        }
        list_field(j, "cpv", &o->cpv, cpv_ok, errors);
        list_field(j, "lots", &o->lot_titles, lot_ok, errors);
        if ((s = str_field(j, "contact", SHORT_MAX, false, errors)) != NULL)
                (void)s;                /* kept in raw; the opportunity has no field */
        if ((s = str_field(j, "documents_url", 2000, false, errors)) != NULL) {
                if (!str_startswith(s, "https://") && !str_startswith(s, "http://"))
                        bad(errors, "documents_url", "must be an https:// (or http://) URL");
                else
                        o->url = xstrdup(s);
        }
        if ((s = str_field(j, "idempotency_key", 200, false, errors)) != NULL) {
                if (*s == '\0' || str_has_control(s))
                        bad(errors, "idempotency_key", "must be non-empty text");
                else
                        *idem = s;
        }
}

/* The anchor of the Bearer token, or an answer already queued (*done). */
static const struct http_anchor *
authenticate(struct http_server *h, struct req *rq, size_t *idx, enum MHD_Result *ret)
{
        const char *auth = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
                                                       MHD_HTTP_HEADER_AUTHORIZATION);
        static const char *const hdr[] = { "WWW-Authenticate", "Bearer", NULL };
        char hash[HASH_HEX_LEN], *name = NULL;
        struct err e = { 0 };
        bool revoked = false;
        int r;

        if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0 || auth[7] == '\0') {
                *ret = http_reply_error(h, rq, 401, "an API token is required "
                                        "(Authorization: Bearer TOKEN)", hdr);
                return NULL;
        }
        anchor_token_hash(auth + 7, hash);
        r = anchor_token_find(h->store, hash, &name, &revoked, &e);
        if (r == -ENOENT) {
                *ret = http_reply_error(h, rq, 401, "unknown API token", hdr);
                return NULL;
        }
        if (r < 0) {
                *ret = http_reply_error(h, rq, 503, e.msg, NULL);
                return NULL;
        }
        for (*idx = 0; *idx < h->nanchors; (*idx)++)
                if (strcmp(h->anchors[*idx].name, name) == 0)
                        break;
        free(name);
        if (revoked) {
                *ret = http_reply_error(h, rq, 403, "this API token was revoked", NULL);
                return NULL;
        }
        if (*idx == h->nanchors) {
                *ret = http_reply_error(h, rq, 403, "this token's anchor is no longer "
                                        "configured", NULL);
                return NULL;
        }
        return &h->anchors[*idx];
}

/* true: over the rate; *retry seconds until the window ends. */
static bool
over_rate(struct http_server *h, size_t idx, int64_t *retry)
{
        struct rate *rt = &h->rates[idx];
        int64_t now = time_mono_ms();

        if (rt->window == 0 || now - rt->window >= 60000) {
                rt->window = now;
                rt->n = 0;
        }
        if (rt->n >= h->anchor_rate) {
                *retry = (60000 - (now - rt->window) + 999) / 1000;
                return true;
        }
        rt->n++;
        return false;
}

static enum MHD_Result
created(struct http_server *h, struct req *rq, unsigned status, int64_t id)
{
        return http_reply_json(h, rq, status, json_pack("{s:I}", "id", (json_int_t)id), NULL);
}

/* Store o and the idempotency key in one transaction. */
static int
store_posting(struct http_server *h, const struct opportunity *o, const char *anchor,
              const char *idem, const char *body_hash, int64_t *id, struct err *e)
{
        enum store_put_result res;
        int r;

        if ((r = store_begin(h->store, e)) < 0)
                return r;
        r = store_put(h->store, o, &res, id, e);
        if (r == 0 && idem != NULL)
                r = anchor_post_put(h->store, anchor, idem, body_hash, *id, e);
        if (r == 0)
                r = store_commit(h->store, e);
        if (r < 0) {
                store_rollback(h->store);
                return r;
        }
        if (res != STORE_UNCHANGED)
                h->stored++;
        return 0;
}

enum MHD_Result
api_post_opportunity(struct http_server *h, struct req *rq)
{
        const struct http_anchor *a;
        const char *ctype, *idem = NULL;
        char body_hash[HASH_HEX_LEN], *seen = NULL, rnd[33], retry_s[24];
        unsigned char raw[16];
        struct opportunity o;
        struct err e = { 0 };
        json_error_t jerr;
        json_t *j = NULL, *errors;
        enum MHD_Result ret = MHD_NO;
        int64_t now = (int64_t)time(NULL), id = 0, retry;
        size_t idx = 0;
        int r;

        if ((a = authenticate(h, rq, &idx, &ret)) == NULL)
                return ret;
        ctype = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
                                            MHD_HTTP_HEADER_CONTENT_TYPE);
        if (ctype == NULL || strncasecmp(ctype, "application/json", 16) != 0 ||
            (ctype[16] != '\0' && ctype[16] != ';'))
                return http_reply_error(h, rq, 415, "the body must be application/json", NULL);
        if (over_rate(h, idx, &retry)) {
                const char *hdr[] = { "Retry-After", retry_s, NULL };

                snprintf(retry_s, sizeof(retry_s), "%lld", (long long)retry);
                return http_reply_error(h, rq, 429, "too many postings from this anchor: "
                                        "try again later", hdr);
        }
        errors = json_array();
        j = json_loadb(rq->body.data ? rq->body.data : "", rq->body.len, JSON_REJECT_DUPLICATES,
                       &jerr);
        opportunity_init(&o);
        if (j == NULL || !json_is_object(j)) {
                char msg[256];

                if (j == NULL)
                        snprintf(msg, sizeof(msg), "not JSON: %s (line %d, column %d)",
                                 jerr.text, jerr.line, jerr.column);
                else
                        snprintf(msg, sizeof(msg), "must be a JSON object");
                bad(errors, "", msg);
        } else {
                validate(j, a, now, &o, &idem, errors);
        }
        if (json_array_size(errors) > 0) {
                ret = http_reply_json(h, rq, 400, json_pack("{s:o}", "errors", errors), NULL);
                goto out;
        }
        json_decref(errors);
        {
                struct hasher hs;

                hasher_init(&hs, "bidbroker anchor posting");
                hasher_str(&hs, rq->body.data ? rq->body.data : "");
                hasher_hex(&hs, body_hash);
        }
        if (idem != NULL) {
                r = anchor_post_get(h->store, a->name, idem, &seen, &id, &e);
                if (r == 0) {
                        ret = strcmp(seen, body_hash) == 0
                              ? created(h, rq, 200, id)
                              : http_reply_error(h, rq, 409, "this idempotency_key was used "
                                                 "with another body", NULL);
                        goto out;
                }
                if (r != -ENOENT) {
                        ret = http_reply_error(h, rq, 503, e.msg, NULL);
                        goto out;
                }
        }
        o.source = xasprintf("anchor:%s", a->name);
        randombytes_buf(raw, sizeof(raw));
        sodium_bin2hex(rnd, sizeof(rnd), raw, sizeof(raw));
        o.notice_id = xstrdup(rnd);
        o.stage = STAGE_TENDER;
        o.status = STATUS_ACTIVE;
        o.notice_type = xstrdup("anchor");
        o.buyer_name = xstrdup(a->display_name);
        o.buyer_id = xstrdup(a->buyer_id);
        o.published = now;
        o.updated = now;
        o.raw = xstrdup(rq->body.data);
        if (store_posting(h, &o, a->name, idem, body_hash, &id, &e) < 0) {
                log_warnx("http: anchor %s: posting not stored: %s", a->name, e.msg);
                ret = http_reply_error(h, rq, 503, "the store is busy: try again", NULL);
                goto out;
        }
        log_notice("http: anchor %s posted opportunity %lld: %s", a->name, (long long)id,
                   o.title);
        ret = created(h, rq, 201, id);
out:
        free(seen);
        opportunity_done(&o);
        json_decref(j);
        return ret;
}
