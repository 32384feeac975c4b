/*
 * api.c — /api/v1/opportunities: an anchor posts an opportunity (POST),
 * lists its own (GET ?mine), reads, amends (PATCH) and withdraws (DELETE)
 * one of them (/api/v1/opportunities/{id}).
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
 *
 * An anchor sees only its own postings: another anchor's id, or any other
 * notice's, is 404 as if it did not exist (an id says nothing about who
 * posted it).  PATCH is partial: the keys given replace the stored ones
 * (null removes an optional one), then the whole posting is checked as a
 * POST is and stored again under the same notice id, so a changed posting
 * is re-matched through the store's content hash like any amended notice.
 * DELETE withdraws it: status cancelled, so the filter drops it and the
 * next matching pass withdraws its matches; the row stays.  Both are
 * idempotent, and both count against anchor_rate like POST.
 */
#include <errno.h>
#include <limits.h>
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
#include "bidbroker/json.h"
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

void
posting_validate(json_t *j, const struct http_anchor *a, int64_t now, struct opportunity *o,
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

const struct http_anchor *
http_anchor_named(const struct http_server *h, const char *name, size_t *idx)
{
        for (*idx = 0; *idx < h->nanchors; (*idx)++)
                if (strcmp(h->anchors[*idx].name, name) == 0)
                        return &h->anchors[*idx];
        return NULL;
}

/* The anchor of the Bearer token, or an answer already queued (*ret). */
static const struct http_anchor *
authenticate(struct http_server *h, struct req *rq, size_t *idx, enum MHD_Result *ret)
{
        const char *auth = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
                                                       MHD_HTTP_HEADER_AUTHORIZATION);
        static const char *const hdr[] = { "WWW-Authenticate", "Bearer", NULL };
        const struct http_anchor *a;
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
        a = http_anchor_named(h, name, idx);
        free(name);
        if (revoked) {
                *ret = http_reply_error(h, rq, 403, "this API token was revoked", NULL);
                return NULL;
        }
        if (a == NULL) {
                *ret = http_reply_error(h, rq, 403, "this token's anchor is no longer "
                                        "configured", NULL);
                return NULL;
        }
        return a;
}

bool
posting_over_rate(struct http_server *h, size_t idx, int64_t *retry)
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


/* ======================================================================
 * Postings: shared with the /post form (web.c)
 * ====================================================================== */

/* What every posting of a carries besides its fields. */
static void
posting_fill(struct opportunity *o, const struct http_anchor *a, const char *notice_id,
             int64_t published, int64_t updated, const char *raw)
{
        o->source = xasprintf("anchor:%s", a->name);
        o->notice_id = xstrdup(notice_id);
        o->stage = STAGE_TENDER;
        o->status = STATUS_ACTIVE;
        o->notice_type = xstrdup("anchor");
        o->buyer_name = xstrdup(a->display_name);
        o->buyer_id = xstrdup(a->buyer_id);
        o->published = published;
        o->updated = updated;
        o->raw = xstrdup(raw);
}

/* Store o in a transaction of its own (with the idempotency key, if any). */
static int
put_posting(struct http_server *h, const struct opportunity *o, const char *anchor,
            const char *idem, const char *body_hash, enum store_put_result *res, int64_t *id,
            struct err *e)
{
        int r;

        if ((r = store_begin(h->store, e)) < 0)
                return r;
        r = store_put(h->store, o, res, id, e);
        if (r == 0 && idem != NULL)
                r = anchor_post_put(h->store, anchor, idem, body_hash, *id, e);
        if (r == 0)
                r = store_commit(h->store, e);
        if (r < 0) {
                store_rollback(h->store);
                return r;
        }
        if (*res != STORE_UNCHANGED)
                h->stored++;
        return 0;
}

int
posting_create(struct http_server *h, const struct http_anchor *a, struct opportunity *o,
               const char *body, const char *idem, unsigned *status, int64_t *id,
               struct err *e)
{
        char body_hash[HASH_HEX_LEN], *seen = NULL, rnd[33];
        unsigned char raw[16];
        enum store_put_result res;
        int64_t now = (int64_t)time(NULL);
        int r;

        hash_str_hex("bidbroker anchor posting", body, body_hash);
        if (idem != NULL) {
                r = anchor_post_get(h->store, a->name, idem, &seen, id, e);
                if (r == 0) {
                        *status = strcmp(seen, body_hash) == 0 ? 200 : 409;
                        free(seen);
                        return 0;
                }
                if (r != -ENOENT)
                        return r;
        }
        randombytes_buf(raw, sizeof(raw));
        sodium_bin2hex(rnd, sizeof(rnd), raw, sizeof(raw));
        posting_fill(o, a, rnd, now, now, body);
        if ((r = put_posting(h, o, a->name, idem, body_hash, &res, id, e)) < 0)
                return r;
        log_notice("http: anchor %s posted opportunity %lld: %s", a->name, (long long)*id,
                   o->title);
        *status = 201;
        return 0;
}

int
posting_load(struct http_server *h, const struct http_anchor *a, int64_t id,
             struct opportunity *o, struct err *e)
{
        char *src = xasprintf("anchor:%s", a->name);
        int r = store_get(h->store, id, o, e);

        if (r == 0 && (o->source == NULL || strcmp(o->source, src) != 0)) {
                opportunity_done(o);
                opportunity_init(o);
                r = -ENOENT;
        }
        free(src);
        return r;
}

int
posting_withdraw(struct http_server *h, struct opportunity *o, bool *changed, struct err *e)
{
        enum store_put_result res;
        int64_t now = (int64_t)time(NULL), id;
        int r;

        *changed = false;
        if (o->status == STATUS_CANCELLED)
                return 0;
        o->status = STATUS_CANCELLED;
        if (o->updated == TIME_UNKNOWN || o->updated < now)
                o->updated = now;
        if ((r = put_posting(h, o, o->source, NULL, NULL, &res, &id, e)) < 0)
                return r;
        *changed = res != STORE_UNCHANGED;
        return 0;
}

const char *
posting_status(const struct opportunity *o, int64_t now)
{
        if (o->status == STATUS_CANCELLED)
                return "withdrawn";
        return opportunity_is_open(o, now) ? "open" : "closed";
}

/* The fields as posted (the raw record without its idempotency_key); an
 * empty object when the record is not one. */
static json_t *
posting_fields(const struct opportunity *o)
{
        json_t *j = o->raw ? json_loads(o->raw, 0, NULL) : NULL;

        if (!json_is_object(j)) {
                json_decref(j);
                return json_object();
        }
        json_object_del(j, "idempotency_key");
        return j;
}

static json_t *
count_json(int64_t n)
{
        return n < 0 ? json_null() : json_integer(n);
}

json_t *
posting_json(struct http_server *h, const struct opportunity *o, int64_t now, struct err *e)
{
        struct posting_counts c;

        if (anchor_posting_counts(h->store, o->id, &c, e) < 0)
                return NULL;
        return json_pack("{s:I,s:s?,s:s,s:o,s:o,s:o,s:b,s:I,s:o,s:o,s:o}",
                         "id", (json_int_t)o->id,
                         "title", o->title,
                         "status", posting_status(o, now),
                         "deadline", json_time(o->deadline),
                         "posted", json_time(o->published),
                         "updated", json_time(o->updated),
                         "amended", o->amended,
                         "members_matched", (json_int_t)c.matched,
                         "members_alerted", count_json(c.alerted),
                         "members_interested", count_json(c.interested),
                         "posting", posting_fields(o));
}

/* ======================================================================
 * The API's answers
 * ====================================================================== */

static enum MHD_Result
created(struct http_server *h, struct req *rq, unsigned status, int64_t id)
{
        return http_reply_json(h, rq, status, json_pack("{s:I}", "id", (json_int_t)id), NULL);
}

static enum MHD_Result
too_many(struct http_server *h, struct req *rq, int64_t retry)
{
        char retry_s[24];
        const char *hdr[] = { "Retry-After", retry_s, NULL };

        snprintf(retry_s, sizeof(retry_s), "%lld", (long long)retry);
        return http_reply_error(h, rq, 429, "too many postings from this anchor: "
                                "try again later", hdr);
}

/* A JSON body (application/json; PATCH also application/merge-patch+json). */
static bool
json_body(const struct req *rq, bool merge_patch)
{
        const char *ctype = http_header(rq, MHD_HTTP_HEADER_CONTENT_TYPE);
        size_t n;

        if (ctype == NULL)
                return false;
        if (strncasecmp(ctype, "application/json", 16) == 0)
                n = 16;
        else if (merge_patch && strncasecmp(ctype, "application/merge-patch+json", 28) == 0)
                n = 28;
        else
                return false;
        return ctype[n] == '\0' || ctype[n] == ';';
}

/* The body as a JSON object, or NULL with the problem in errors. */
static json_t *
body_object(const struct req *rq, json_t *errors)
{
        json_error_t jerr;
        json_t *j = json_loadb(rq->body.data ? rq->body.data : "", rq->body.len,
                               JSON_REJECT_DUPLICATES, &jerr);
        char msg[256];

        if (json_is_object(j))
                return j;
        if (j == NULL)
                snprintf(msg, sizeof(msg), "not JSON: %s (line %d, column %d)", jerr.text,
                         jerr.line, jerr.column);
        else
                snprintf(msg, sizeof(msg), "must be a JSON object");
        json_decref(j);
        bad(errors, "", msg);
        return NULL;
}

static enum MHD_Result
post_opportunity(struct http_server *h, struct req *rq, const struct http_anchor *a,
                 size_t idx)
{
        const char *idem = NULL;
        struct opportunity o;
        struct err e = { 0 };
        json_t *j, *errors = json_array();
        enum MHD_Result ret;
        int64_t id = 0, retry;
        unsigned status;

        if (!json_body(rq, false)) {
                json_decref(errors);
                return http_reply_error(h, rq, 415, "the body must be application/json", NULL);
        }
        if (posting_over_rate(h, idx, &retry)) {
                json_decref(errors);
                return too_many(h, rq, retry);
        }
        opportunity_init(&o);
        if ((j = body_object(rq, errors)) != NULL)
                posting_validate(j, a, (int64_t)time(NULL), &o, &idem, errors);
        if (json_array_size(errors) > 0) {
                ret = http_reply_json(h, rq, 400, json_pack("{s:o}", "errors", errors), NULL);
                goto out;
        }
        json_decref(errors);
        if (posting_create(h, a, &o, rq->body.data, idem, &status, &id, &e) < 0) {
                log_warnx("http: anchor %s: posting not stored: %s", a->name, e.msg);
                ret = http_reply_error(h, rq, 503, "the store is busy: try again", NULL);
        } else if (status == 409) {
                ret = http_reply_error(h, rq, 409, "this idempotency_key was used with "
                                       "another body", NULL);
        } else {
                ret = created(h, rq, status, id);
        }
out:
        opportunity_done(&o);
        json_decref(j);
        return ret;
}

/* GET /api/v1/opportunities?mine[&limit=N][&before=ID]: newest first. */
static enum MHD_Result
list_mine(struct http_server *h, struct req *rq, const struct http_anchor *a)
{
        const char *ls = MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, "limit");
        const char *bs = MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, "before");
        char *src = NULL, *next = NULL;
        struct err e = { 0 };
        int64_t *ids = NULL, now = (int64_t)time(NULL);
        long limit = 20, before = 0;
        size_t n = 0;
        bool more;
        json_t *list = NULL;
        enum MHD_Result ret;

        if (!http_query_has(rq, "mine"))
                return http_reply_error(h, rq, 400, "add ?mine: an anchor lists its own "
                                        "postings", NULL);
        if (ls != NULL && parse_long(ls, 1, 100, &limit) < 0)
                return http_reply_error(h, rq, 400, "limit must be 1 to 100", NULL);
        if (bs != NULL && parse_long(bs, 1, LONG_MAX, &before) < 0)
                return http_reply_error(h, rq, 400, "before must be a posting's id", NULL);
        src = xasprintf("anchor:%s", a->name);
        if (anchor_postings(h->store, src, before, (size_t)limit, &ids, &n, &more, &e) < 0)
                goto busy;
        list = json_array();
        for (size_t i = 0; i < n; i++) {
                struct opportunity o;
                json_t *one;

                opportunity_init(&o);
                one = store_get(h->store, ids[i], &o, &e) == 0 ? posting_json(h, &o, now, &e)
                                                                : NULL;
                opportunity_done(&o);
                if (one == NULL)
                        goto busy;
                json_array_append_new(list, one);
        }
        if (more)
                next = xasprintf("/api/v1/opportunities?mine&limit=%ld&before=%lld", limit,
                                 (long long)ids[n - 1]);
        ret = http_reply_json(h, rq, 200, json_pack("{s:o,s:s?}", "opportunities", list,
                                                    "next", next), NULL);
        list = NULL;
        goto out;
busy:
        log_warnx("http: anchor %s: listing postings: %s", a->name, e.msg);
        ret = http_reply_error(h, rq, 503, "the store is busy: try again", NULL);
out:
        json_decref(list);
        free(next);
        free(ids);
        free(src);
        return ret;
}

enum MHD_Result
api_opportunities(struct http_server *h, struct req *rq)
{
        const struct http_anchor *a;
        enum MHD_Result ret = MHD_NO;
        size_t idx = 0;

        if ((a = authenticate(h, rq, &idx, &ret)) == NULL)
                return ret;
        if (strcmp(rq->method, "GET") == 0)
                return list_mine(h, rq, a);
        return post_opportunity(h, rq, a, idx);
}

/* 200 with the posting id as it is now in the store. */
static enum MHD_Result
show(struct http_server *h, struct req *rq, const struct http_anchor *a, int64_t id)
{
        struct opportunity o;
        struct err e = { 0 };
        json_t *j = NULL;
        int r;

        opportunity_init(&o);
        r = posting_load(h, a, id, &o, &e);
        if (r == 0)
                j = posting_json(h, &o, (int64_t)time(NULL), &e);
        opportunity_done(&o);
        if (r == -ENOENT)
                return http_reply_error(h, rq, 404, "no such opportunity of this anchor", NULL);
        if (j == NULL) {
                log_warnx("http: anchor %s: opportunity %lld: %s", a->name, (long long)id,
                          e.msg);
                return http_reply_error(h, rq, 503, "the store is busy: try again", NULL);
        }
        return http_reply_json(h, rq, 200, j, NULL);
}

/* The patch's keys over the stored fields; null removes a key. */
static json_t *
merged_fields(const struct opportunity *o, json_t *patch, json_t *errors)
{
        json_t *m = posting_fields(o), *v;
        const char *key;

        json_object_foreach(patch, key, v) {
                if (strcmp(key, "idempotency_key") == 0)
                        bad(errors, key, "not used when amending (PATCH is idempotent)");
                else if (json_is_null(v))
                        json_object_del(m, key);
                else
                        json_object_set(m, key, v);
        }
        return m;
}

static bool
same_json(json_t *a, json_t *b)
{
        char *x = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
        char *y = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
        bool same = x != NULL && y != NULL && strcmp(x, y) == 0;

        free(x);
        free(y);
        return same;
}

static enum MHD_Result
amend(struct http_server *h, struct req *rq, const struct http_anchor *a, size_t idx,
      int64_t id)
{
        const char *idem = NULL;
        struct opportunity o, n;
        struct err e = { 0 };
        json_t *patch = NULL, *merged = NULL, *was = NULL, *errors = json_array();
        enum store_put_result res;
        enum MHD_Result ret;
        int64_t now = (int64_t)time(NULL), retry;
        char *raw = NULL;
        int r;

        opportunity_init(&o);
        opportunity_init(&n);
        if (!json_body(rq, true)) {
                ret = http_reply_error(h, rq, 415, "the body must be application/json "
                                       "(or application/merge-patch+json)", NULL);
                goto out;
        }
        if (posting_over_rate(h, idx, &retry)) {
                ret = too_many(h, rq, retry);
                goto out;
        }
        if ((patch = body_object(rq, errors)) == NULL) {
                ret = http_reply_json(h, rq, 400, json_pack("{s:O}", "errors", errors), NULL);
                goto out;
        }
        if ((r = posting_load(h, a, id, &o, &e)) == -ENOENT) {
                ret = http_reply_error(h, rq, 404, "no such opportunity of this anchor", NULL);
                goto out;
        } else if (r < 0) {
                goto busy;
        }
        if (o.status == STATUS_CANCELLED) {
                ret = http_reply_error(h, rq, 409, "this opportunity was withdrawn: post a new "
                                       "one", NULL);
                goto out;
        }
        merged = merged_fields(&o, patch, errors);
        posting_validate(merged, a, now, &n, &idem, errors);
        if (json_array_size(errors) > 0) {
                ret = http_reply_json(h, rq, 400, json_pack("{s:O}", "errors", errors), NULL);
                goto out;
        }
        was = posting_fields(&o);
        if (!same_json(was, merged)) {
                raw = json_dumps(merged, JSON_COMPACT);
                posting_fill(&n, a, o.notice_id, o.published,
                             o.updated != TIME_UNKNOWN && o.updated > now ? o.updated : now,
                             raw);
                if (put_posting(h, &n, a->name, NULL, NULL, &res, &id, &e) < 0)
                        goto busy;
                log_notice("http: anchor %s amended opportunity %lld: %s", a->name,
                           (long long)id, n.title);
        }
        ret = show(h, rq, a, id);
        goto out;
busy:
        log_warnx("http: anchor %s: opportunity %lld not amended: %s", a->name, (long long)id,
                  e.msg);
        ret = http_reply_error(h, rq, 503, "the store is busy: try again", NULL);
out:
        free(raw);
        json_decref(was);
        json_decref(merged);
        json_decref(patch);
        json_decref(errors);
        opportunity_done(&n);
        opportunity_done(&o);
        return ret;
}

static enum MHD_Result
withdraw(struct http_server *h, struct req *rq, const struct http_anchor *a, size_t idx,
         int64_t id)
{
        struct opportunity o;
        struct err e = { 0 };
        int64_t retry;
        bool changed = false;
        int r;

        if (posting_over_rate(h, idx, &retry))
                return too_many(h, rq, retry);
        opportunity_init(&o);
        r = posting_load(h, a, id, &o, &e);
        if (r == 0)
                r = posting_withdraw(h, &o, &changed, &e);
        opportunity_done(&o);
        if (r == -ENOENT)
                return http_reply_error(h, rq, 404, "no such opportunity of this anchor", NULL);
        if (r < 0) {
                log_warnx("http: anchor %s: opportunity %lld not withdrawn: %s", a->name,
                          (long long)id, e.msg);
                return http_reply_error(h, rq, 503, "the store is busy: try again", NULL);
        }
        if (changed)
                log_notice("http: anchor %s withdrew opportunity %lld", a->name, (long long)id);
        return show(h, rq, a, id);
}

/* "123" -> 123; anything else (signs, spaces, "/", leading zeros) 0. */
int64_t
posting_id_of(const char *s)
{
        long v;

        if (*s < '1' || *s > '9' || strspn(s, "0123456789") != strlen(s) || strlen(s) > 18 ||
            parse_long(s, 1, LONG_MAX, &v) < 0)
                return 0;
        return v;
}

enum MHD_Result
api_opportunity(struct http_server *h, struct req *rq)
{
        const struct http_anchor *a;
        enum MHD_Result ret = MHD_NO;
        size_t idx = 0;
        int64_t id;

        if ((a = authenticate(h, rq, &idx, &ret)) == NULL)
                return ret;
        if ((id = posting_id_of(rq->tail)) == 0)
                return http_reply_error(h, rq, 404, "no such opportunity of this anchor", NULL);
        if (strcmp(rq->method, "PATCH") == 0)
                return amend(h, rq, a, idx, id);
        if (strcmp(rq->method, "DELETE") == 0)
                return withdraw(h, rq, a, idx, id);
        return show(h, rq, a, id);
}
