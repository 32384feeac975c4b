/*
 * ocds.c — OCDS JSON into struct opportunity (see include/bidbroker/ocds.h).
 *
 * Three steps:
 *  1. prepare(): one pass over the raw bytes that makes real-world bodies
 *     acceptable to jansson without changing their meaning: invalid UTF-8
 *     bytes are read as Windows-1252, raw control characters inside strings
 *     are escaped, and number tokens jansson refuses are rewritten (a real
 *     that overflows a double, e.g. 1e9999, becomes null; leading zeros,
 *     e.g. 000, are dropped; an integer too big for 64 bits becomes a real;
 *     NaN/Infinity become null).  An offset map takes jansson's error
 *     position back to the original line and column.
 *  2. json_loadb() with JSON_ALLOW_NUL; a size cap before it and jansson's
 *     own depth limit (2048) during it; a release package is decoded one
 *     top-level member and one release at a time (parse_streaming), so
 *     memory is not ten times the document.
 *  3. one normalise pass per release; any field of the wrong type rejects
 *     that release only, with its index, id and the field's path.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "bidbroker/json.h"
#include "bidbroker/lots.h"
#include "bidbroker/ocds.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/region.h"
#include "bidbroker/text.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/utf8.h"

#define OCDS_MAX_BYTES          (64u << 20)     /* whole document */
#define OCDS_MAX_RELEASES       100000          /* per document */
#define OCDS_MAX_LIST           2000            /* items, lots, addresses, documents ... */
#define OCDS_MAX_CPV            256
#define OCDS_MAX_POSTCODES      64
#define OCDS_MAX_LOTS_KEPT      200
#define OCDS_RAW_MAX            (1u << 20)      /* raw bigger than this: long strings cut */
#define OCDS_RAW_STRING_MAX     (64u << 10)
#define OCDS_ID_MAX             256             /* ids, codes, methods */
#define OCDS_ITEM_TEXT_MAX      4096
#define ANYWHERE_COUNTRIES      20              /* a list this long means "anywhere" */

#define CF_NOTICE_URL   "https://www.contractsfinder.service.gov.uk/Notice/"
#define FTS_NOTICE_URL  "https://www.find-tender.service.gov.uk/Notice/"

/* ---- step 1: make the bytes acceptable to jansson ---- */

struct offmap {                         /* after each edit: (output, input) offsets */
        size_t (*pt)[2];
        size_t n, cap;
};

static void
offmap_add(struct offmap *m, size_t out, size_t in)
{
        if (m->n == m->cap) {
                m->cap = m->cap ? m->cap * 2 : 16;
                m->pt = xreallocarray(m->pt, m->cap, sizeof(*m->pt));
        }
        m->pt[m->n][0] = out;
        m->pt[m->n][1] = in;
        m->n++;
}

static size_t
offmap_input(const struct offmap *m, size_t out)
{
        size_t lo = 0, hi = m->n;

        /* last checkpoint with .out <= out */
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;

                if (m->pt[mid][0] <= out)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (lo == 0)
                return out;
        return m->pt[lo - 1][1] + (out - m->pt[lo - 1][0]);
}

/* Append a number token t[0..n), rewritten if jansson would refuse it. */
static bool
put_number(struct buf *b, const char *t, size_t n)
{
        char fixed[512];
        size_t i = 0, int_start, z, len;
        bool real = false;
        double d;

        if (n >= sizeof(fixed) - 3)
                goto asis;
        if (t[i] == '-')
                i++;
        int_start = i;
        while (i < n && isdigit((unsigned char)t[i]))
                i++;
        if (i == int_start)
                goto asis;
        if (i < n && t[i] == '.') {
                size_t s = ++i;

                while (i < n && isdigit((unsigned char)t[i]))
                        i++;
                if (i == s)
                        goto asis;
                real = true;
        }
        if (i < n && (t[i] == 'e' || t[i] == 'E')) {
                size_t s;

                i++;
                if (i < n && (t[i] == '+' || t[i] == '-'))
                        i++;
                s = i;
                while (i < n && isdigit((unsigned char)t[i]))
                        i++;
                if (i == s)
                        goto asis;
                real = true;
        }
        if (i != n)
                goto asis;
        /* drop leading zeros of the integer part: "000" -> "0", "-007" -> "-7" */
        z = int_start;
        while (z + 1 < n && t[z] == '0' && isdigit((unsigned char)t[z + 1]))
                z++;
        len = 0;
        if (t[0] == '-')
                fixed[len++] = '-';
        memcpy(fixed + len, t + z, n - z);
        len += n - z;
        fixed[len] = '\0';
        errno = 0;
        if (!real) {
                (void)strtoll(fixed, NULL, 10);
                if (errno != ERANGE)
                        goto out;
                memcpy(fixed + len, ".0", 3);   /* too big for an integer: a real */
                len += 2;
        }
        d = strtod(fixed, NULL);
        if (isinf(d)) {
                buf_adds(b, "null");
                return true;
        }
out:
        buf_add(b, fixed, len);
        return len != n || memcmp(fixed, t, n) != 0;
asis:
        buf_add(b, t, n);
        return false;
}

static bool
is_number_char(char c)
{
        return isdigit((unsigned char)c) || c == '-' || c == '+' || c == '.' || c == 'e' ||
               c == 'E';
}

static void
prepare(const char *in, size_t len, struct buf *out, struct offmap *map)
{
        bool in_string = false;
        size_t i = 0;

        buf_init(out);
        buf_add(out, "", 0);
        if (len >= 3 && memcmp(in, "\xEF\xBB\xBF", 3) == 0) {
                i = 3;
                offmap_add(map, 0, 3);
        }
        while (i < len) {
                unsigned char c = (unsigned char)in[i];
                uint32_t cp;
                size_t n;

                if (c >= 0x80) {
                        n = utf8_decode(in + i, len - i, &cp);
                        if (n > 0) {
                                buf_add(out, in + i, n);
                                i += n;
                        } else {
                                utf8_put(out, text_cp1252_char(c));
                                i++;
                                offmap_add(map, out->len, i);
                        }
                        continue;
                }
                if (in_string) {
                        if (c == '"') {
                                in_string = false;
                        } else if (c == '\\' && i + 1 < len) {
                                buf_add(out, in + i, 2);
                                i += 2;
                                continue;
                        } else if (c < 0x20) {
                                static const char esc[] = "btnvfr";

                                if (c >= 8 && c <= 13 && c != 11)
                                        buf_printf(out, "\\%c", esc[c - 8]);
                                else
                                        buf_printf(out, "\\u%04x", c);
                                i++;
                                offmap_add(map, out->len, i);
                                continue;
                        }
                        buf_addc(out, (char)c);
                        i++;
                        continue;
                }
                if (c == '"') {
                        in_string = true;
                        buf_addc(out, (char)c);
                        i++;
                } else if (c == '-' && i + 9 <= len && memcmp(in + i, "-Infinity", 9) == 0) {
                        buf_adds(out, "null");
                        i += 9;
                        offmap_add(map, out->len, i);
                } else if (isdigit(c) || c == '-') {
                        size_t s = i;

                        while (i < len && is_number_char(in[i]))
                                i++;
                        if (put_number(out, in + s, i - s))
                                offmap_add(map, out->len, i);
                } else if (isalpha(c)) {
                        size_t s = i;

                        while (i < len && isalpha((unsigned char)in[i]))
                                i++;
                        if ((i - s == 3 && memcmp(in + s, "NaN", 3) == 0) ||
                            (i - s == 8 && memcmp(in + s, "Infinity", 8) == 0)) {
                                buf_adds(out, "null");
                                offmap_add(map, out->len, i);
                        } else {
                                buf_add(out, in + s, i - s);
                        }
                } else {
                        buf_addc(out, (char)c);
                        i++;
                }
        }
}

/* Line and column (1-based, in characters) of byte offset off in data. */
static void
line_column(const char *data, size_t len, size_t off, int *line, int *col)
{
        int l = 1, c = 0;

        if (off > len)
                off = len;
        for (size_t i = 0; i < off; i++) {
                if (data[i] == '\n') {
                        l++;
                        c = 0;
                } else if (((unsigned char)data[i] & 0xC0) != 0x80) {
                        c++;
                }
        }
        *line = l;
        *col = c;
}

/* ---- step 3: one release ---- */

struct rctx {
        const char *name;               /* document name for messages */
        const char *pkg_uri;            /* package uri, or NULL */
        char        why[256];           /* first problem; "" when none */
};

static void
fail(struct rctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
fail(struct rctx *c, const char *fmt, ...)
{
        va_list ap;

        if (c->why[0] != '\0')
                return;
        va_start(ap, fmt);
        vsnprintf(c->why, sizeof(c->why), fmt, ap);
        va_end(ap);
}

/* An array element that must be an object: true when it is; null is
 * skipped quietly; anything else rejects the release. */
static bool
element_object(struct rctx *c, const json_t *v, const char *path)
{
        if (json_is_object(v))
                return true;
        if (!json_is_null(v))
                fail(c, "%s is not an object", path);
        return false;
}

/*
 * Walk the objects of the list OBJ_PATH.NAME (arr, may be NULL), at most
 * OCDS_MAX_LIST elements: returns the next object from index *i on, with its
 * path "OBJ_PATH.NAME[i]" in p, and moves *i past it; NULL at the end.  A
 * null element is skipped; anything else rejects the release (element_object).
 *
 *      for (size_t i = 0; (v = next_object(c, arr, &i, path, "items", p, sizeof(p)));)
 */
static json_t *
next_object(struct rctx *c, const json_t *arr, size_t *i, const char *obj_path,
            const char *name, char *p, size_t plen)
{
        for (; *i < json_array_size(arr) && *i < OCDS_MAX_LIST; (*i)++) {
                json_t *v = json_array_get(arr, *i);

                snprintf(p, plen, "%s.%s[%zu]", obj_path, name, *i);
                if (element_object(c, v, p)) {
                        (*i)++;
                        return v;
                }
        }
        return NULL;
}

/* Keep a cleaned text once, up to max entries; takes s (may be NULL). */
static void
keep_text(struct strv *sv, char *s, size_t max)
{
        if (s != NULL && sv->n < max && !strv_contains(sv, s))
                strv_take(sv, s);
        else
                free(s);
}

enum want { W_STR, W_NUM, W_BOOL, W_OBJ, W_ARR, W_ID };

static const char *const want_name[] = {
        [W_STR] = "a string", [W_NUM] = "a number", [W_BOOL] = "a boolean",
        [W_OBJ] = "an object", [W_ARR] = "an array", [W_ID] = "a string",
};

/*
 * obj[key] when it has the wanted type; NULL when obj is NULL, the key is
 * absent or null.  A value of another type is a fault of the release:
 * recorded as "PATH.KEY is not a TYPE" (path "" for the release itself).
 * W_ID accepts a string or an integer (ids and codes given as numbers).
 */
static json_t *
field(struct rctx *c, const json_t *obj, const char *key, enum want w, const char *path)
{
        json_t *v;
        bool ok;

        if (obj == NULL || (v = json_object_get(obj, key)) == NULL || json_is_null(v))
                return NULL;
        switch (w) {
        case W_STR:  ok = json_is_string(v); break;
        case W_NUM:  ok = json_is_number(v); break;
        case W_BOOL: ok = json_is_boolean(v); break;
        case W_OBJ:  ok = json_is_object(v); break;
        case W_ARR:  ok = json_is_array(v); break;
        case W_ID:   ok = json_is_string(v) || json_is_integer(v); break;
        default:     ok = false; break;
        }
        if (!ok) {
                fail(c, "%s%s%s is not %s", path, *path ? "." : "", key, want_name[w]);
                return NULL;
        }
        return v;
}

static const char *
field_str(struct rctx *c, const json_t *obj, const char *key, const char *path)
{
        return json_string_value(field(c, obj, key, W_STR, path));
}

/* A string or integer field as a new string (bounded), or NULL. */
static char *
field_id(struct rctx *c, const json_t *obj, const char *key, const char *path)
{
        return json_id_text(field(c, obj, key, W_ID, path), OCDS_ID_MAX);
}

/* Cleaned text of a string field, or NULL when absent or empty. */
static char *
field_text(struct rctx *c, const json_t *obj, const char *key, const char *path,
           size_t max, unsigned flags)
{
        json_t *v = field(c, obj, key, W_STR, path);
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

static enum tristate
field_tri(struct rctx *c, const json_t *obj, const char *key, const char *path)
{
        json_t *v = field(c, obj, key, W_BOOL, path);

        return v == NULL ? TRI_UNKNOWN : json_is_true(v) ? TRI_YES : TRI_NO;
}

static int64_t
field_time(struct rctx *c, const json_t *obj, const char *key, const char *path)
{
        const char *s = field_str(c, obj, key, path);
        int64_t t;

        if (s == NULL || time_parse_iso8601(s, &t) < 0)
                return TIME_UNKNOWN;
        return t;
}

/* "8f124d5d-fa11-457c-a0ed-431674a867c1": 8-4-4-4-12 hex digits. */
static bool
is_guid(const char *s)
{
        for (int i = 0; i < 36; i++) {
                if (i == 8 || i == 13 || i == 18 || i == 23) {
                        if (s[i] != '-')
                                return false;
                } else if (!isxdigit((unsigned char)s[i])) {
                        return false;
                }
        }
        return true;
}

static char *
guid_dup(const char *s)
{
        char *g = xstrndup(s, 36);

        for (char *p = g; *p; p++)
                *p = (char)tolower((unsigned char)*p);
        return g;
}

/* The first GUID in s (not part of a longer hex run), or NULL. */
static char *
find_guid(const char *s)
{
        size_t n = strlen(s);

        for (size_t i = 0; i + 36 <= n; i++) {
                if (i > 0 && isxdigit((unsigned char)s[i - 1]))
                        continue;
                if (is_guid(s + i) && !isxdigit((unsigned char)s[i + 36]))
                        return guid_dup(s + i);
        }
        return NULL;
}

/* The GUID of a Contracts Finder notice page URL ".../Notice/<guid>", or NULL. */
static char *
cf_notice_guid(const char *url)
{
        const char *p = strstr(url, "/Notice/");

        if (p == NULL)
                return NULL;
        p += 8;
        if (strlen(p) < 36 || !is_guid(p) || (p[36] != '\0' && p[36] != '?' && p[36] != '#'))
                return NULL;
        return guid_dup(p);
}

/* ---- CPV ---- */

static void
add_cpv(struct opportunity *o, const char *id)
{
        char code[9];

        if (cpv_normalise(id, code) && o->cpv.n < OCDS_MAX_CPV)
                strv_add_unique(&o->cpv, code);
}

static void
classification(struct rctx *c, struct opportunity *o, const json_t *cl, const char *path)
{
        const char *scheme = field_str(c, cl, "scheme", path);
        char *id;

        if (scheme != NULL && *scheme && strcasecmp(scheme, "CPV") != 0)
                return;                 /* CPVS supplementary codes, UNSPSC, ... */
        id = field_id(c, cl, "id", path);
        if (id != NULL)
                add_cpv(o, id);
        free(id);
}

/* classification and additionalClassifications of obj (tender, item, lot). */
static void
classifications(struct rctx *c, struct opportunity *o, const json_t *obj, const char *path)
{
        char p[128];
        json_t *cl = field(c, obj, "classification", W_OBJ, path);
        json_t *arr = field(c, obj, "additionalClassifications", W_ARR, path);
        json_t *v;

        snprintf(p, sizeof(p), "%s.classification", path);
        if (cl)
                classification(c, o, cl, p);
        for (size_t i = 0;
             (v = next_object(c, arr, &i, path, "additionalClassifications", p, sizeof(p)));)
                classification(c, o, v, p);
}

/* ---- delivery places ---- */

struct places {
        struct strv regions;            /* from region fields */
        struct strv country_regions;    /* from country names (UK, England, ...) */
        struct strv postcodes;          /* delivery postcodes, normalised */
        bool anywhere;
        size_t uk, outside, countries;  /* country entries seen */
};

static void
places_init(struct places *pl)
{
        memset(pl, 0, sizeof(*pl));
        strv_init(&pl->regions);
        strv_init(&pl->country_regions);
        strv_init(&pl->postcodes);
}

static void
places_done(struct places *pl)
{
        strv_done(&pl->regions);
        strv_done(&pl->country_regions);
        strv_done(&pl->postcodes);
}

static void
address(struct rctx *c, struct places *pl, const json_t *a, const char *path)
{
        const char *region = field_str(c, a, "region", path);
        const char *pc = field_str(c, a, "postalCode", path);
        const char *country = field_str(c, a, "countryName", path);
        const char *ccode = field_str(c, a, "country", path);
        enum region_kind k = REGION_UNKNOWN;

        if (region != NULL && *region) {
                k = region_parse(region, &pl->regions);
                if (k == REGION_ANYWHERE)
                        pl->anywhere = true;
                else if (k == REGION_OUTSIDE_UK)
                        pl->outside++;
        }
        if (pc != NULL && *pc) {
                char area[3];
                char *n = postcode_normalise(pc);

                if (n != NULL && postcode_area(n, area) == 0 &&
                    pl->postcodes.n < OCDS_MAX_POSTCODES)
                        strv_add_unique(&pl->postcodes, n);
                free(n);
        }
        if (k != REGION_UNKNOWN)
                return;                 /* the region field said where */
        if (country == NULL || !*country)
                country = ccode;
        if (country == NULL || !*country)
                return;
        pl->countries++;
        switch (region_parse(country, &pl->country_regions)) {
        case REGION_CODES:
                pl->uk++;
                break;
        case REGION_ANYWHERE:
                pl->anywhere = true;
                break;
        case REGION_OUTSIDE_UK:
        case REGION_UNKNOWN:            /* any other country name */
                pl->outside++;
                break;
        }
}

static void
addresses(struct rctx *c, struct places *pl, const json_t *obj, const char *path)
{
        char p[128];
        json_t *arr = field(c, obj, "deliveryAddresses", W_ARR, path);
        json_t *one = field(c, obj, "deliveryAddress", W_OBJ, path);
        json_t *v;

        for (size_t i = 0; (v = next_object(c, arr, &i, path, "deliveryAddresses", p, sizeof(p)));)
                address(c, pl, v, p);
        if (one != NULL) {
                snprintf(p, sizeof(p), "%s.deliveryAddress", path);
                address(c, pl, one, p);
        }
}

/*
 * Decide the regions: region fields first; "anywhere" when a place says so,
 * when the countries named include the UK and somewhere outside it, or when
 * twenty or more are named (Contracts Finder's "any region" lists); else
 * the delivery postcodes' areas; else the countries (UK, England, ...);
 * else, when nothing at all was said, the buyer's region or postcode.
 */
static void
decide_regions(struct opportunity *o, struct places *pl, const json_t *buyer_addr,
               struct rctx *c)
{
        if ((pl->uk > 0 && pl->outside > 0) || pl->countries >= ANYWHERE_COUNTRIES)
                pl->anywhere = true;
        o->anywhere = pl->anywhere;
        strv_copy(&o->postcodes, &pl->postcodes);
        if (pl->regions.n > 0) {
                strv_copy(&o->regions, &pl->regions);
        } else if (!pl->anywhere) {
                struct strv *r = &o->regions;

                for (size_t i = 0; i < pl->postcodes.n; i++) {
                        const char *code = postcode_region(pl->postcodes.v[i]);

                        if (code)
                                strv_add_unique(r, code);
                }
                if (r->n == 0)
                        strv_copy(r, &pl->country_regions);
                if (r->n == 0 && pl->outside == 0 && buyer_addr != NULL) {
                        const char *reg = field_str(c, buyer_addr, "region", "parties[].address");
                        const char *pc = field_str(c, buyer_addr, "postalCode",
                                                   "parties[].address");
                        struct strv tmp;

                        strv_init(&tmp);
                        if (reg != NULL && region_parse(reg, &tmp) == REGION_CODES)
                                strv_copy(r, &tmp);
                        else if (pc != NULL && postcode_region(pc) != NULL)
                                strv_add(r, postcode_region(pc));
                        strv_done(&tmp);
                }
        }
        region_list_simplify(&o->regions);
        strv_sort(&o->regions);
}

/* ---- value ---- */

struct money {
        bool    stated;
        int64_t pence;
};

/* Amount to pence; absent, negative, absurd, 0, 0.1 and 1 are not stated. */
static struct money
money(struct rctx *c, const json_t *val, const char *key, const char *path)
{
        json_t *a = field(c, val, key, W_NUM, path);
        struct money m = { false, VALUE_NONE };
        double d;

        if (a == NULL)
                return m;
        d = json_number_value(a);
        if (!isfinite(d) || d < 0 || d > 9.0e15)
                return m;
        m.pence = llround(d * 100.0);
        if (m.pence == 0 || m.pence == 10 || m.pence == 100) {
                m.pence = VALUE_NONE;
                return m;
        }
        m.stated = true;
        return m;
}

static void
set_currency(struct rctx *c, struct opportunity *o, const json_t *val, const char *path)
{
        const char *cur = field_str(c, val, "currency", path);

        if (o->currency[0] != '\0' || cur == NULL || strlen(cur) != 3)
                return;
        for (int i = 0; i < 3; i++) {
                if (!isalpha((unsigned char)cur[i]))
                        return;
                o->currency[i] = (char)toupper((unsigned char)cur[i]);
        }
        o->currency[3] = '\0';
}

/* Sum the stated values of every element of arr (lots, awards); false
 * unless at least one is stated and (when all is set) all of them are. */
static bool
sum_values(struct rctx *c, struct opportunity *o, const json_t *arr, const char *what,
           bool all, struct money *max, struct money *gross)
{
        size_t i, stated = 0, n = 0;
        json_t *v;
        int64_t sum = 0, gsum = 0;
        bool gross_all = true;
        char p[96];

        json_array_foreach(arr, i, v) {
                json_t *val;
                struct money m, g;

                if (i >= OCDS_MAX_LIST)
                        break;
                if (!json_is_object(v))
                        continue;
                n++;
                snprintf(p, sizeof(p), "%s[%zu]", what, i);
                val = field(c, v, "value", W_OBJ, p);
                snprintf(p, sizeof(p), "%s[%zu].value", what, i);
                m = money(c, val, "amount", p);
                g = money(c, val, "amountGross", p);
                if (!m.stated && g.stated)
                        m = g;
                if (!m.stated)
                        continue;
                stated++;
                sum += m.pence;
                if (g.stated)
                        gsum += g.pence;
                else
                        gross_all = false;
                set_currency(c, o, val, p);
        }
        if (stated == 0 || (all && stated != n))
                return false;
        max->stated = true;
        max->pence = sum;
        if (gross_all && gsum > 0) {
                gross->stated = true;
                gross->pence = gsum;
        }
        return true;
}

static void
values(struct rctx *c, struct opportunity *o, const json_t *tender, const json_t *release)
{
        json_t *val = field(c, tender, "value", W_OBJ, "tender");
        json_t *minval = field(c, tender, "minValue", W_OBJ, "tender");
        json_t *lots = field(c, tender, "lots", W_ARR, "tender");
        json_t *awards = field(c, release, "awards", W_ARR, "");
        struct money max = money(c, val, "amount", "tender.value");
        struct money gross = money(c, val, "amountGross", "tender.value");
        struct money min = money(c, minval, "amount", "tender.minValue");

        if (max.stated || gross.stated) {
                set_currency(c, o, val, "tender.value");
                if (!max.stated)
                        max = gross;            /* only the gross is given */
        } else if (!sum_values(c, o, lots, "tender.lots", true, &max, &gross) &&
                   o->stage == STAGE_AWARD) {
                (void)sum_values(c, o, awards, "awards", false, &max, &gross);
        }
        if (!max.stated) {
                o->value_stated = false;
                o->value_max = o->value_min = o->value_gross = VALUE_NONE;
                o->currency[0] = '\0';
                return;
        }
        o->value_stated = true;
        o->value_max = max.pence;
        o->value_gross = gross.stated ? gross.pence : VALUE_NONE;
        if (min.stated && min.pence <= max.pence) {
                o->value_min = min.pence;
                set_currency(c, o, minval, "tender.minValue");
        }
}

/* ---- stage, type, status ---- */

static enum opp_stage
tag_stage(const char *t, bool *cancelled)
{
        static const char *const planning[] = { "planning", "planningUpdate" };
        static const char *const tender[] = { "tender", "tenderAmendment", "tenderUpdate",
                                              "tenderCancellation" };
        static const char *const award[] = {
                "award", "awardUpdate", "awardCancellation", "contract", "contractUpdate",
                "contractAmendment", "contractTermination", "implementation",
                "implementationUpdate",
        };

        if (strcmp(t, "tenderCancellation") == 0)
                *cancelled = true;
        for (size_t i = 0; i < ARRAY_SIZE(award); i++)
                if (strcmp(t, award[i]) == 0)
                        return STAGE_AWARD;
        for (size_t i = 0; i < ARRAY_SIZE(tender); i++)
                if (strcmp(t, tender[i]) == 0)
                        return STAGE_TENDER;
        for (size_t i = 0; i < ARRAY_SIZE(planning); i++)
                if (strcmp(t, planning[i]) == 0)
                        return STAGE_PLANNING;
        return STAGE_UNKNOWN;
}

static enum opp_status
tender_status(const char *s)
{
        if (s == NULL)
                return STATUS_UNKNOWN;
        if (strcasecmp(s, "active") == 0)
                return STATUS_ACTIVE;
        if (strcasecmp(s, "planned") == 0 || strcasecmp(s, "planning") == 0)
                return STATUS_PLANNED;
        if (strcasecmp(s, "cancelled") == 0 || strcasecmp(s, "withdrawn") == 0)
                return STATUS_CANCELLED;
        if (strcasecmp(s, "complete") == 0 || strcasecmp(s, "unsuccessful") == 0 ||
            strcasecmp(s, "closed") == 0)
                return STATUS_COMPLETE;
        return STATUS_UNKNOWN;
}

/* Documents of every part of the release that carries notices. */
struct doc_walk {
        const json_t *lists[4 + OCDS_MAX_LIST];
        size_t n;
};

static void
collect_docs(struct rctx *c, const json_t *release, const json_t *tender, struct doc_walk *w)
{
        json_t *planning = field(c, release, "planning", W_OBJ, "");
        json_t *awards = field(c, release, "awards", W_ARR, "");
        json_t *contracts = field(c, release, "contracts", W_ARR, "");
        json_t *d;
        size_t i;
        json_t *v;

        w->n = 0;
        if ((d = field(c, tender, "documents", W_ARR, "tender")) != NULL)
                w->lists[w->n++] = d;
        if ((d = field(c, planning, "documents", W_ARR, "planning")) != NULL)
                w->lists[w->n++] = d;
        json_array_foreach(awards, i, v) {
                if (w->n >= ARRAY_SIZE(w->lists))
                        break;
                if (json_is_object(v) && (d = field(c, v, "documents", W_ARR, "awards[]")))
                        w->lists[w->n++] = d;
        }
        json_array_foreach(contracts, i, v) {
                if (w->n >= ARRAY_SIZE(w->lists))
                        break;
                if (json_is_object(v) && (d = field(c, v, "documents", W_ARR, "contracts[]")))
                        w->lists[w->n++] = d;
        }
}

/* FTS: the notice type ("UK4") of the document that is this notice, else
 * of any document that names one. */
static char *
fts_notice_type(struct rctx *c, const struct doc_walk *w, const char *release_id,
                char **url)
{
        const char *first = NULL, *mine = NULL, *mine_url = NULL;

        for (size_t l = 0; l < w->n; l++) {
                size_t i;
                json_t *doc;

                json_array_foreach(w->lists[l], i, doc) {
                        const char *nt, *id, *u;

                        if (i >= OCDS_MAX_LIST || !json_is_object(doc))
                                continue;
                        nt = field_str(c, doc, "noticeType", "documents[]");
                        id = json_string_value(json_object_get(doc, "id"));
                        u = field_str(c, doc, "url", "documents[]");
                        if (nt != NULL && *nt && first == NULL)
                                first = nt;
                        if (id != NULL && strcmp(id, release_id) == 0) {
                                if (nt != NULL && *nt && mine == NULL)
                                        mine = nt;
                                if (u != NULL && strstr(u, "find-tender.service.gov.uk/Notice/"))
                                        mine_url = u;
                        }
                }
        }
        if (mine_url != NULL && strncmp(mine_url, "https://", 8) == 0 && !*url)
                *url = text_clean_str(mine_url, OCDS_ID_MAX * 4, TEXT_SINGLE_LINE);
        if (mine == NULL)
                mine = first;
        return mine ? text_clean_str(mine, 32, TEXT_SINGLE_LINE) : NULL;
}

/* CF: the GUID of a notice page linked from the documents, preferring want. */
static char *
cf_doc_guid(const struct doc_walk *w, const char *want)
{
        char *first = NULL;

        for (size_t l = 0; l < w->n; l++) {
                size_t i;
                json_t *doc;

                json_array_foreach(w->lists[l], i, doc) {
                        const char *u = json_string_value(json_object_get(doc, "url"));
                        char *g;

                        if (i >= OCDS_MAX_LIST || u == NULL ||
                            strstr(u, "contractsfinder.service.gov.uk/Notice/") == NULL)
                                continue;
                        if ((g = cf_notice_guid(u)) == NULL)
                                continue;
                        if (want != NULL && strcmp(g, want) == 0) {
                                free(first);
                                return g;
                        }
                        if (first == NULL)
                                first = g;
                        else
                                free(g);
                }
        }
        return first;
}

/* ---- the release ---- */

/* The party that is the buyer: the one with buyer_id, else the first with
 * the role "buyer"; its index in *ret_index. */
static const json_t *
find_buyer_party(struct rctx *c, const json_t *release, const char *buyer_id,
                 size_t *ret_index)
{
        json_t *parties = field(c, release, "parties", W_ARR, "");
        const json_t *first = NULL;
        size_t i;
        json_t *p;

        json_array_foreach(parties, i, p) {
                json_t *roles;
                const char *id;
                size_t j;
                json_t *r;

                if (i >= OCDS_MAX_LIST || !json_is_object(p))
                        continue;
                id = json_string_value(json_object_get(p, "id"));
                if (buyer_id != NULL && id != NULL && strcmp(id, buyer_id) == 0) {
                        *ret_index = i;
                        return p;
                }
                roles = json_object_get(p, "roles");
                json_array_foreach(roles, j, r) {
                        const char *s = json_string_value(r);

                        if (s != NULL && strcmp(s, "buyer") == 0 && first == NULL) {
                                first = p;
                                *ret_index = i;
                        }
                }
        }
        return first;
}

static int
release_source(struct rctx *c, const char *ocid, const char **ret)
{
        const char *uri = c->pkg_uri;

        if (strncmp(ocid, "ocds-b5fd17", 11) == 0) {
                *ret = "cf";
        } else if (strncmp(ocid, "ocds-h6vhtk", 11) == 0) {
                *ret = "fts";
        } else if (uri != NULL && strstr(uri, "contractsfinder.service.gov.uk") != NULL) {
                *ret = "cf";
        } else if (uri != NULL && strstr(uri, "find-tender.service.gov.uk") != NULL) {
                *ret = "fts";
        } else {
                fail(c, "unknown publisher (ocid prefix is neither ocds-b5fd17 nor ocds-h6vhtk)");
                return -EINVAL;
        }
        return 0;
}

/* Truncate every string longer than max in the tree (for the raw copy). */
static void
cap_strings(json_t *j, size_t max, int depth)
{
        const char *k;
        size_t i;
        json_t *v;

        if (depth > JSON_PARSER_MAX_DEPTH)
                return;
        if (json_is_string(j) && json_string_length(j) > max) {
                const char *s = json_string_value(j);

                json_string_setn_nocheck(j, s, utf8_cut(s, json_string_length(j), max));
        } else if (json_is_object(j)) {
                json_object_foreach(j, k, v)
                        cap_strings(v, max, depth + 1);
        } else if (json_is_array(j)) {
                json_array_foreach(j, i, v)
                        cap_strings(v, max, depth + 1);
        }
}

static char *
raw_json(json_t *release)
{
        size_t flags = JSON_DUMP_FLAGS | JSON_SORT_KEYS | JSON_REAL_PRECISION(15);
        char *raw = json_dumps(release, flags);

        if (raw != NULL && strlen(raw) > OCDS_RAW_MAX) {
                free(raw);
                cap_strings(release, OCDS_RAW_STRING_MAX, 0);
                raw = json_dumps(release, flags);
        }
        return raw ? raw : xstrdup("{}");
}

/* ---- the release, phase by phase ---- */

/* ocid, id and publisher; the id as given in *ret_id.  -EINVAL (and c->why)
 * when the release cannot be identified: nothing else is read then. */
static int
release_identity(struct rctx *c, const json_t *r, struct opportunity *o, const char **ret_id)
{
        const char *ocid, *id, *source;

        if (!json_is_object(r)) {
                fail(c, "not an object");
                return -EINVAL;
        }
        ocid = field_str(c, r, "ocid", "");
        id = field_str(c, r, "id", "");
        if (c->why[0])
                return -EINVAL;
        if (ocid == NULL || !*ocid) {
                fail(c, "ocid is missing");
                return -EINVAL;
        }
        if (id == NULL || !*id) {
                fail(c, "id is missing");
                return -EINVAL;
        }
        if (release_source(c, ocid, &source) < 0)
                return -EINVAL;
        o->source = xstrdup(source);
        o->ocid = text_clean_str(ocid, OCDS_ID_MAX, TEXT_SINGLE_LINE);
        o->release_id = text_clean_str(id, OCDS_ID_MAX, TEXT_SINGLE_LINE);
        o->updated = field_time(c, r, "date", "");
        *ret_id = id;
        return 0;
}

/* Stage (the latest of the tags) and, for now, the notice type (the first
 * tag); *cancelled when a tag is tenderCancellation. */
static void
release_stage(struct rctx *c, const json_t *r, struct opportunity *o, bool *cancelled)
{
        json_t *tags = json_object_get(r, "tag");
        size_t i;
        json_t *t;

        if (json_is_string(tags)) {
                o->stage = tag_stage(json_string_value(tags), cancelled);
                o->notice_type = text_clean_str(json_string_value(tags), 64, TEXT_SINGLE_LINE);
        } else if (json_is_array(tags)) {
                json_array_foreach(tags, i, t) {
                        enum opp_stage s;

                        if (!json_is_string(t)) {
                                fail(c, "tag[%zu] is not a string", i);
                                break;
                        }
                        s = tag_stage(json_string_value(t), cancelled);
                        if (s > o->stage)
                                o->stage = s;
                        if (o->notice_type == NULL)
                                o->notice_type = text_clean_str(json_string_value(t), 64,
                                                                TEXT_SINGLE_LINE);
                }
        } else if (tags != NULL && !json_is_null(tags)) {
                fail(c, "tag is not an array");
        }
}

/* FTS: the notice is the release; its type (UK4) and page from the documents. */
static void
fts_notice(struct rctx *c, struct opportunity *o, const struct doc_walk *docs)
{
        char *nt = fts_notice_type(c, docs, o->release_id, &o->url);

        o->notice_id = xstrdup(o->release_id);
        if (nt != NULL) {
                free(o->notice_type);
                o->notice_type = nt;
        }
        if (o->url == NULL)
                o->url = xasprintf(FTS_NOTICE_URL "%s", o->notice_id);
}

/* CF: the notice GUID from the release id ("<guid>-582356", or a legacy
 * "ocds-b5fd17-<guid>-..."), else from a notice page link, else the id. */
static void
cf_notice(struct opportunity *o, const char *id, const struct doc_walk *docs)
{
        size_t n = strlen(id);
        size_t d = n;

        while (d > 0 && isdigit((unsigned char)id[d - 1]))
                d--;
        if (n == 36 + 1 + (n - d) && d < n && id[36] == '-' && is_guid(id))
                o->notice_id = guid_dup(id);
        else
                o->notice_id = find_guid(id);
        if (o->notice_id == NULL)
                o->notice_id = cf_doc_guid(docs, NULL);
        if (o->notice_id == NULL)
                o->notice_id = xstrdup(o->release_id);
        if (is_guid(o->notice_id) && strlen(o->notice_id) == 36)
                o->url = xasprintf(CF_NOTICE_URL "%s", o->notice_id);
}

/* Title and description: the tender's, else the release's; never NULL. */
static void
release_text(struct rctx *c, struct opportunity *o, const json_t *tender, const json_t *r)
{
        o->title = field_text(c, tender, "title", "tender", TEXT_TITLE_MAX, TEXT_SINGLE_LINE);
        if (o->title == NULL)
                o->title = field_text(c, r, "title", "", TEXT_TITLE_MAX, TEXT_SINGLE_LINE);
        if (o->title == NULL)
                o->title = xstrdup("");
        o->description = field_text(c, tender, "description", "tender",
                                    TEXT_DESCRIPTION_MAX, 0);
        if (o->description == NULL)
                o->description = field_text(c, r, "description", "",
                                            TEXT_DESCRIPTION_MAX, 0);
        if (o->description == NULL)
                o->description = xstrdup("");
}

/* Buyer name and id from release.buyer, completed from its party; returns
 * the buyer party's address (for regions), or NULL. */
static const json_t *
release_buyer(struct rctx *c, const json_t *r, struct opportunity *o)
{
        json_t *buyer = field(c, r, "buyer", W_OBJ, "");
        const json_t *party;
        char p[64];
        size_t i;

        o->buyer_name = field_text(c, buyer, "name", "buyer", TEXT_TITLE_MAX, TEXT_SINGLE_LINE);
        o->buyer_id = field_id(c, buyer, "id", "buyer");
        party = find_buyer_party(c, r, o->buyer_id, &i);
        if (party == NULL)
                return NULL;
        snprintf(p, sizeof(p), "parties[%zu]", i);
        if (o->buyer_name == NULL)
                o->buyer_name = field_text(c, party, "name", p, TEXT_TITLE_MAX, TEXT_SINGLE_LINE);
        if (o->buyer_id == NULL)
                o->buyer_id = field_id(c, party, "id", p);
        return field(c, party, "address", W_OBJ, p);
}

/* The status the release states, corrected by its stage and notice type.
 * Decided before values: award values count only at award stage. */
static void
release_status(struct rctx *c, struct opportunity *o, const json_t *tender, bool cancelled)
{
        const char *st_s = field_str(c, tender, "status", "tender");

        o->status = tender_status(st_s);
        if (o->stage == STAGE_AWARD && o->status != STATUS_CANCELLED &&
            !(st_s && strcasecmp(st_s, "unsuccessful") == 0))
                o->status = STATUS_AWARDED;
        if (o->status == STATUS_UNKNOWN && o->stage == STAGE_PLANNING)
                o->status = STATUS_PLANNED;
        if (cancelled || (o->notice_type && strcmp(o->notice_type, "UK12") == 0))
                o->status = STATUS_CANCELLED;
}

/* CPV codes, delivery places and descriptions of tender.items[]. */
static void
release_items(struct rctx *c, struct opportunity *o, const json_t *tender, struct places *pl)
{
        json_t *items = field(c, tender, "items", W_ARR, "tender");
        char p[64];
        json_t *v;

        for (size_t i = 0; (v = next_object(c, items, &i, "tender", "items", p, sizeof(p)));) {
                char *desc;

                classifications(c, o, v, p);
                addresses(c, pl, v, p);
                desc = field_text(c, v, "description", p, OCDS_ITEM_TEXT_MAX, 0);
                keep_text(&o->item_descriptions, desc, OCDS_MAX_LOTS_KEPT);
        }
}

/* CPV codes, delivery places, titles and suitability of tender.lots[]. */
static void
release_lots(struct rctx *c, struct opportunity *o, const json_t *tender, struct places *pl)
{
        json_t *lots = field(c, tender, "lots", W_ARR, "tender");
        char p[64];
        json_t *v;

        for (size_t i = 0; (v = next_object(c, lots, &i, "tender", "lots", p, sizeof(p)));) {
                char *title;
                json_t *suit;

                classifications(c, o, v, p);
                addresses(c, pl, v, p);
                title = field_text(c, v, "title", p, TEXT_TITLE_MAX, TEXT_SINGLE_LINE);
                keep_text(&o->lot_titles, title, OCDS_MAX_LOTS_KEPT);
                /* FTS states suitability per lot: any lot suitable is enough */
                suit = field(c, v, "suitability", W_OBJ, p);
                if (suit != NULL) {
                        enum tristate sme = field_tri(c, suit, "sme", p);
                        enum tristate vcse = field_tri(c, suit, "vcse", p);

                        if (sme != TRI_UNKNOWN && o->suitable_sme != TRI_YES)
                                o->suitable_sme = sme;
                        if (vcse != TRI_UNKNOWN && o->suitable_vcse != TRI_YES)
                                o->suitable_vcse = vcse;
                }
        }
}

/* CPV codes and regions from the tender, its items and its lots. */
static void
release_places(struct rctx *c, struct opportunity *o, const json_t *tender,
               const json_t *buyer_addr)
{
        struct places pl;

        places_init(&pl);
        classifications(c, o, tender, "tender");
        addresses(c, &pl, tender, "tender");
        release_items(c, o, tender, &pl);
        release_lots(c, o, tender, &pl);
        decide_regions(o, &pl, buyer_addr, c);
        places_done(&pl);
}

/* Published (tender.datePublished, else the release date) and deadline. */
static void
release_dates(struct rctx *c, struct opportunity *o, const json_t *tender)
{
        json_t *period;

        o->published = field_time(c, tender, "datePublished", "tender");
        if (o->published == TIME_UNKNOWN)
                o->published = o->updated;
        period = field(c, tender, "tenderPeriod", W_OBJ, "tender");
        o->deadline = field_time(c, period, "endDate", "tender.tenderPeriod");
}

/* Whether procurementMethodDetails says above or below the threshold:
 * "Open procedure (below threshold)", "Below threshold - open competition",
 * "Restricted procedure (above threshold)", "sub-threshold", "OJEU". */
static enum tristate
threshold_words(const char *d)
{
        static const char *const below[] = {
                "below threshold", "below the threshold", "under threshold",
                "under the threshold", "sub-threshold", "sub threshold",
        };
        static const char *const above[] = {
                "above threshold", "above the threshold", "over threshold",
                "over the threshold", "ojeu", "official journal",
        };

        if (d == NULL)
                return TRI_UNKNOWN;
        for (size_t i = 0; i < ARRAY_SIZE(below); i++)
                if (strcasestr(d, below[i]))
                        return TRI_NO;
        for (size_t i = 0; i < ARRAY_SIZE(above); i++)
                if (strcasestr(d, above[i]))
                        return TRI_YES;
        return TRI_UNKNOWN;
}

/* Procurement method and whether it is above the threshold (FTS states it;
 * Contracts Finder writes "Open procedure (below threshold)"). */
static void
release_procedure(struct rctx *c, struct opportunity *o, const json_t *tender)
{
        o->procurement_method = field_text(c, tender, "procurementMethod", "tender",
                                           OCDS_ID_MAX, TEXT_SINGLE_LINE);
        o->procurement_method_details = field_text(c, tender, "procurementMethodDetails",
                                                   "tender", TEXT_TITLE_MAX, TEXT_SINGLE_LINE);
        o->above_threshold = field_tri(c, tender, "aboveThreshold", "tender");
        if (o->above_threshold == TRI_UNKNOWN)
                o->above_threshold = threshold_words(o->procurement_method_details);
}

/* yes when any of a and b is yes; no when one is no and none yes. */
static enum tristate
tri_any(enum tristate a, enum tristate b)
{
        if (a == TRI_YES || b == TRI_YES)
                return TRI_YES;
        return a == TRI_NO || b == TRI_NO ? TRI_NO : TRI_UNKNOWN;
}

/* Days of obj.contractPeriod: durationInDays, else from startDate to the
 * later of endDate and maxExtentDate (the end with every extension);
 * TERM_NONE when it cannot be told. */
static int64_t
contract_days(struct rctx *c, const json_t *obj, const char *path)
{
        char p[96];
        json_t *per = field(c, obj, "contractPeriod", W_OBJ, path);
        json_t *dur;
        int64_t start, end, ext;

        if (per == NULL)
                return TERM_NONE;
        snprintf(p, sizeof(p), "%s.contractPeriod", path);
        dur = field(c, per, "durationInDays", W_NUM, p);
        start = field_time(c, per, "startDate", p);
        end = field_time(c, per, "endDate", p);
        ext = field_time(c, per, "maxExtentDate", p);
        if (dur != NULL && json_number_value(dur) >= 1 && json_number_value(dur) < 36600)
                return llround(json_number_value(dur));
        if (ext != TIME_UNKNOWN && (end == TIME_UNKNOWN || ext > end))
                end = ext;
        if (start == TIME_UNKNOWN || end == TIME_UNKNOWN || end <= start)
                return TERM_NONE;
        return (end - start + 43200) / 86400;   /* whole days, rounded */
}

/* The techniques (framework, DPS) and contract term of obj: the tender or
 * a lot. */
static void
scale_facts(struct rctx *c, struct opportunity *o, const json_t *obj, const char *path)
{
        char p[96];
        json_t *t = field(c, obj, "techniques", W_OBJ, path);
        int64_t days = contract_days(c, obj, path);

        snprintf(p, sizeof(p), "%s.techniques", path);
        o->framework = tri_any(o->framework, field_tri(c, t, "hasFrameworkAgreement", p));
        o->dps = tri_any(o->dps, field_tri(c, t, "hasDynamicPurchasingSystem", p));
        if (days > o->term_days)
                o->term_days = days;
}

/* Scale facts of the tender and its lots: the longest term, and yes to a
 * framework or DPS when the tender or any lot says so. */
static void
release_scale(struct rctx *c, struct opportunity *o, const json_t *tender)
{
        json_t *lots = field(c, tender, "lots", W_ARR, "tender");
        char p[64];
        size_t i;
        json_t *v;

        scale_facts(c, o, tender, "tender");
        json_array_foreach(lots, i, v) {
                if (i >= OCDS_MAX_LIST)
                        break;
                if (!json_is_object(v))
                        continue;       /* reported by release_lots() */
                snprintf(p, sizeof(p), "tender.lots[%zu]", i);
                scale_facts(c, o, v, p);
        }
}

/* Suitability for SMEs and VCSEs: tender.suitability overrides what the
 * lots said; the legacy xClassifications fill what is still unknown. */
static void
release_suitability(struct rctx *c, struct opportunity *o, const json_t *tender)
{
        json_t *v = field(c, tender, "suitability", W_OBJ, "tender");

        if (v != NULL) {
                enum tristate sme = field_tri(c, v, "sme", "tender.suitability");
                enum tristate vcse = field_tri(c, v, "vcse", "tender.suitability");

                if (sme != TRI_UNKNOWN)
                        o->suitable_sme = sme;
                if (vcse != TRI_UNKNOWN)
                        o->suitable_vcse = vcse;
        }
        v = field(c, tender, "xClassifications", W_OBJ, "tender");
        if (v != NULL) {
                if (o->suitable_sme == TRI_UNKNOWN)
                        o->suitable_sme = field_tri(c, v, "isSuitableForSme",
                                                    "tender.xClassifications");
                if (o->suitable_vcse == TRI_UNKNOWN)
                        o->suitable_vcse = field_tri(c, v, "isSuitableForVco",
                                                     "tender.xClassifications");
        }
}

/*
 * One release into o.  Every phase reads on after a fault so that the first
 * fault (in reading order) is the one reported; the raw copy is kept only
 * for a release without faults.  0, or -EINVAL with c->why set.
 */
static int
parse_release(struct rctx *c, json_t *r, struct opportunity *o)
{
        const char *id;
        const json_t *tender, *buyer_addr;
        struct doc_walk *docs;
        bool cancelled = false;

        if (release_identity(c, r, o, &id) < 0)
                return -EINVAL;
        release_stage(c, r, o, &cancelled);

        tender = field(c, r, "tender", W_OBJ, "");
        docs = xmalloc(sizeof(*docs));
        collect_docs(c, r, tender, docs);
        if (strcmp(o->source, "fts") == 0)
                fts_notice(c, o, docs);
        else
                cf_notice(o, id, docs);
        free(docs);

        release_text(c, o, tender, r);
        buyer_addr = release_buyer(c, r, o);
        release_status(c, o, tender, cancelled);
        values(c, o, tender, r);
        release_places(c, o, tender, buyer_addr);
        release_dates(c, o, tender);
        release_procedure(c, o, tender);
        release_suitability(c, o, tender);
        release_scale(c, o, tender);
        opp_lots_read(r, o);

        if (c->why[0] != '\0')
                return -EINVAL;
        o->raw = raw_json(r);
        return 0;
}

/* ---- the document ---- */

void
ocds_page_init(struct ocds_page *p)
{
        memset(p, 0, sizeof(*p));
        diag_init(&p->rejected);
}

void
ocds_page_done(struct ocds_page *p)
{
        for (size_t i = 0; i < p->n; i++)
                opportunity_done(&p->opps[i]);
        free(p->opps);
        free(p->next);
        diag_done(&p->rejected);
        ocds_page_init(p);
}

static void
page_add(struct ocds_page *page, struct opportunity *o)
{
        page->opps = xreallocarray(page->opps, page->n + 1, sizeof(*page->opps));
        page->opps[page->n++] = *o;
}

/* The release id for a message: bounded, one line. */
static char *
id_for_message(const json_t *r)
{
        const char *id = json_string_value(json_object_get(r, "id"));

        return id ? text_clean_str(id, 100, TEXT_SINGLE_LINE) : NULL;
}

/* Release i of the document, parsed into page or rejected with its reason. */
static void
add_release(struct rctx *c, struct ocds_page *page, json_t *r, size_t i)
{
        struct opportunity o;

        opportunity_init(&o);
        c->why[0] = '\0';
        if (parse_release(c, r, &o) == 0) {
                page_add(page, &o);
        } else {
                char *id = json_is_object(r) ? id_for_message(r) : NULL;

                if (id != NULL)
                        diag_add(&page->rejected, c->name, 0, "release %zu (id %s): %s",
                                 i, id, c->why);
                else
                        diag_add(&page->rejected, c->name, 0, "release %zu: %s", i, c->why);
                free(id);
                opportunity_done(&o);
        }
}

/* ---- the document, one release at a time ----
 *
 * jansson builds a tree of the whole document: about ten times its size in
 * memory (631 MB for a 60 MB file).  A release package is read here instead
 * one value at a time: a linear scan finds where each top-level member and
 * each element of "releases" begins and ends (strings and nesting followed,
 * nothing else checked), and jansson decodes each of those slices on its
 * own, so only one release's tree is alive at a time.  Every byte is still
 * decoded by jansson exactly once, so what is valid is unchanged.  Whatever
 * the scan does not expect (not an object, a bare release, "releases" not
 * an array, a slice jansson refuses) sends the document to the whole-tree
 * path below, after the releases already added are taken back, so errors
 * read exactly as before (jansson's message, line and column). */

struct jscan {
        const char *s;
        size_t      len, i;
};

static void
js_ws(struct jscan *j)
{
        while (j->i < j->len && (j->s[j->i] == ' ' || j->s[j->i] == '\t' ||
                                 j->s[j->i] == '\n' || j->s[j->i] == '\r'))
                j->i++;
}

static bool
js_at(struct jscan *j, char c)
{
        js_ws(j);
        return j->i < j->len && j->s[j->i] == c;
}

/* Past the string starting at j->i ('"'). */
static bool
js_string(struct jscan *j)
{
        for (j->i++; j->i < j->len; j->i++) {
                if (j->s[j->i] == '\\')
                        j->i++;
                else if (j->s[j->i] == '"')
                        return ++j->i <= j->len;
        }
        return false;
}

/* Past one value starting at j->i (after white space). */
static bool
js_value(struct jscan *j)
{
        size_t depth = 0, start;

        js_ws(j);
        start = j->i;
        while (j->i < j->len) {
                char c = j->s[j->i];

                if (c == '"') {
                        if (!js_string(j))
                                return false;
                } else if (c == '[' || c == '{') {
                        depth++, j->i++;
                } else if (c == ']' || c == '}') {
                        if (depth == 0)
                                break;
                        depth--, j->i++;
                } else if (depth == 0 && (c == ',' || c == ':' || c == ' ' || c == '\t' ||
                                          c == '\n' || c == '\r')) {
                        break;
                } else {
                        j->i++;
                }
                if (depth == 0 && (c == '"' || c == ']' || c == '}'))
                        break;
        }
        return depth == 0 && j->i > start;
}

static json_t *
js_decode(const struct jscan *j, size_t from)
{
        json_error_t jerr;

        return json_loadb(j->s + from, j->i - from, JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);
}

/* Take back what the releases of this document added to page. */
static void
page_truncate(struct ocds_page *page, size_t n, size_t nrel, size_t nrej, size_t dropped)
{
        while (page->n > n)
                opportunity_done(&page->opps[--page->n]);
        page->nreleases = nrel;
        while (page->rejected.n > nrej)
                free(page->rejected.msg[--page->rejected.n]);
        page->rejected.dropped = dropped;
}

/* Read a release package from the prepared bytes one release at a time.
 * true when done (0 returned in *ret; page filled); false when the
 * whole-tree path must read the document (page as it was). */
static bool
parse_streaming(const char *name, const char *buf, size_t len, struct ocds_page *page)
{
        struct jscan j = { buf, len, 0 };
        size_t n0 = page->n, r0 = page->nreleases, d0 = page->rejected.n;
        size_t dd0 = page->rejected.dropped, rel = SIZE_MAX, rel_end = 0, i = 0;
        json_t *pkg = json_object(), *links;
        struct rctx c;
        bool ok = false;

        if (!js_at(&j, '{'))
                goto out;
        j.i++;
        if (js_at(&j, '}')) {
                j.i++;
        } else for (;;) {
                size_t k0, v0;
                json_t *key, *val;

                if (!js_at(&j, '"'))
                        goto out;
                k0 = j.i;
                if (!js_string(&j) || (key = js_decode(&j, k0)) == NULL)
                        goto out;
                if (!js_at(&j, ':')) {
                        json_decref(key);
                        goto out;
                }
                j.i++;
                js_ws(&j);
                v0 = j.i;
                if (!js_value(&j)) {
                        json_decref(key);
                        goto out;
                }
                if (strcmp(json_string_value(key), "releases") == 0) {
                        rel = v0, rel_end = j.i;        /* the last one wins, as in jansson */
                        json_object_del(pkg, "releases");
                } else if ((val = js_decode(&j, v0)) != NULL) {
                        json_object_set_new(pkg, json_string_value(key), val);
                } else {
                        json_decref(key);
                        goto out;
                }
                json_decref(key);
                if (js_at(&j, ',')) {
                        j.i++;
                } else if (js_at(&j, '}')) {
                        j.i++;
                        break;
                } else {
                        goto out;
                }
        }
        js_ws(&j);
        if (j.i != len || rel == SIZE_MAX || buf[rel] != '[')
                goto out;

        memset(&c, 0, sizeof(c));
        c.name = name;
        c.pkg_uri = json_string_value(json_object_get(pkg, "uri"));
        j.i = rel + 1;
        j.len = rel_end;
        if (js_at(&j, ']')) {
                j.i++;
        } else for (;; i++) {
                size_t v0;
                json_t *r;

                js_ws(&j);
                v0 = j.i;
                if (!js_value(&j) || (r = js_decode(&j, v0)) == NULL)
                        goto out;
                if (i < OCDS_MAX_RELEASES)
                        add_release(&c, page, r, i);
                json_decref(r);
                if (js_at(&j, ',')) {
                        j.i++;
                } else if (js_at(&j, ']')) {
                        j.i++, i++;
                        break;
                } else {
                        goto out;
                }
        }
        js_ws(&j);
        if (j.i != rel_end)
                goto out;
        page->nreleases += i;
        if (i > OCDS_MAX_RELEASES)
                diag_add(&page->rejected, name, 0, "releases after the first %d ignored (%zu)",
                         OCDS_MAX_RELEASES, i - OCDS_MAX_RELEASES);
        links = json_object_get(pkg, "links");
        if (json_is_object(links) && json_is_string(json_object_get(links, "next"))) {
                free(page->next);
                page->next = xstrdup(json_string_value(json_object_get(links, "next")));
        }
        ok = true;
out:
        if (!ok)
                page_truncate(page, n0, r0, d0, dd0);
        json_decref(pkg);
        return ok;
}

/* ---- the document, as one tree ---- */

int
ocds_parse(const char *name, const char *data, size_t len, struct ocds_page *page,
           struct err *err)
{
        struct buf prepared;
        struct offmap map = { NULL, 0, 0 };
        json_error_t jerr;
        json_t *doc = NULL, *releases, *links, *single = NULL;
        struct rctx c;
        size_t i, n, k;
        int ret = -EINVAL;

        if (name == NULL)
                name = "(input)";
        if (data == NULL)
                len = 0;
        for (k = 0; k < len && isspace((unsigned char)data[k]); k++)
                ;
        if (k == len)
                return err_set(err, -EINVAL, "%s: empty document", name);
        if (len > OCDS_MAX_BYTES)
                return err_set(err, -EINVAL, "%s: document too large (%zu bytes, limit %u)",
                               name, len, OCDS_MAX_BYTES);

        prepare(data, len, &prepared, &map);
        if (parse_streaming(name, prepared.data, prepared.len, page)) {
                ret = 0;
                goto out;
        }
        doc = json_loadb(prepared.data, prepared.len, JSON_ALLOW_NUL, &jerr);
        if (doc == NULL) {
                int line = jerr.line, col = jerr.column;

                if (map.n > 0 && jerr.position >= 0)
                        line_column(data, len, offmap_input(&map, (size_t)jerr.position),
                                    &line, &col);
                err_set(err, -EINVAL, "%s: line %d column %d: %s", name, line, col, jerr.text);
                goto out;
        }
        if (!json_is_object(doc)) {
                err_set(err, -EINVAL, "%s: not an OCDS release package (the document is %s)",
                        name, json_is_array(doc) ? "an array" : "not an object");
                goto out;
        }
        releases = json_object_get(doc, "releases");
        if (releases == NULL && json_is_string(json_object_get(doc, "ocid"))) {
                single = json_array();          /* a bare release */
                json_array_append(single, doc);
                releases = single;
        } else if (releases == NULL) {
                err_set(err, -EINVAL, "%s: not an OCDS release package (no \"releases\")", name);
                goto out;
        } else if (!json_is_array(releases)) {
                err_set(err, -EINVAL, "%s: \"releases\" is not an array", name);
                goto out;
        }

        memset(&c, 0, sizeof(c));
        c.name = name;
        c.pkg_uri = json_string_value(json_object_get(doc, "uri"));
        links = json_object_get(doc, "links");
        if (json_is_object(links) && json_is_string(json_object_get(links, "next"))) {
                free(page->next);
                page->next = xstrdup(json_string_value(json_object_get(links, "next")));
        }

        n = json_array_size(releases);
        page->nreleases += n;
        for (i = 0; i < n && i < OCDS_MAX_RELEASES; i++)
                add_release(&c, page, json_array_get(releases, i), i);
        if (n > OCDS_MAX_RELEASES)
                diag_add(&page->rejected, name, 0, "releases after the first %d ignored (%zu)",
                         OCDS_MAX_RELEASES, n - OCDS_MAX_RELEASES);
        ret = 0;
out:
        json_decref(single);
        json_decref(doc);
        buf_done(&prepared);
        free(map.pt);
        return ret;
}
