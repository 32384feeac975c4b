/*
 * notices.c — the notice tables: opportunity and notice_alias (see
 * include/bidbroker/store.h).
 *
 * The folding rules of store_put() live in put_locked() and reclose(): a row
 * keeps the status its notice gave (status_given) and its effective status
 * (status), which reclose() recomputes from the award/cancellation rows of the
 * same (source, ocid), so the result does not depend on arrival order.
 * Never logs.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/err.h"
#include "bidbroker/hash.h"
#include "bidbroker/json.h"
#include "bidbroker/lots.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/store.h"
#include "bidbroker/utf8.h"
#include "bidbroker/util.h"

#include "db.h"
#include "awards_int.h"
#include "links_int.h"
#include "schema.h"

/* The columns loaded into a struct opportunity, in enum col order. */
#define OPP_COLS \
        "id, source, notice_id, ocid, release_id, stage, notice_type, title," \
        " description, buyer_name, buyer_id, value_stated, value_max, value_min," \
        " value_gross, currency, cpv, regions, anywhere, postcodes, lot_titles," \
        " item_descriptions, published, updated, deadline, above_threshold," \
        " procurement_method, procurement_method_details, suitable_sme," \
        " suitable_vcse, url, status, amended, framework, dps, term_days, lots"

/* opportunity with its side tables, for OPP_COLS (their column names are
 * unique, so OPP_COLS needs no qualifier) */
#define OPP_FROM \
        " FROM opportunity LEFT JOIN opportunity_scale" \
        "  ON opportunity_scale.opportunity_id = opportunity.id" \
        " LEFT JOIN opportunity_lots ON opportunity_lots.opportunity_id = opportunity.id"

enum col {
        C_ID, C_SOURCE, C_NOTICE_ID, C_OCID, C_RELEASE_ID, C_STAGE, C_NOTICE_TYPE,
        C_TITLE, C_DESCRIPTION, C_BUYER_NAME, C_BUYER_ID, C_VALUE_STATED,
        C_VALUE_MAX, C_VALUE_MIN, C_VALUE_GROSS, C_CURRENCY, C_CPV, C_REGIONS,
        C_ANYWHERE, C_POSTCODES, C_LOT_TITLES, C_ITEM_DESCRIPTIONS, C_PUBLISHED,
        C_UPDATED, C_DEADLINE, C_ABOVE_THRESHOLD, C_PROC_METHOD,
        C_PROC_METHOD_DETAILS, C_SUITABLE_SME, C_SUITABLE_VCSE, C_URL, C_STATUS,
        C_AMENDED, C_FRAMEWORK, C_DPS, C_TERM_DAYS, C_LOTS, C_RAW,
};

/* Parameters shared by ST_INSERT and ST_UPDATE (see bind_content()). */
enum param {
        P_SOURCE = 1, P_NOTICE_ID, P_OCID, P_RELEASE_ID, P_STAGE, P_NOTICE_TYPE,
        P_TITLE, P_DESCRIPTION, P_BUYER_NAME, P_BUYER_ID, P_VALUE_STATED,
        P_VALUE_MAX, P_VALUE_MIN, P_VALUE_GROSS, P_CURRENCY, P_CPV, P_REGIONS,
        P_ANYWHERE, P_POSTCODES, P_LOT_TITLES, P_ITEM_DESCRIPTIONS, P_PUBLISHED,
        P_UPDATED, P_DEADLINE, P_ABOVE_THRESHOLD, P_PROC_METHOD,
        P_PROC_METHOD_DETAILS, P_SUITABLE_SME, P_SUITABLE_VCSE, P_URL, P_STATUS,
        P_RAW, P_HASH, P_NOW, P_AMENDED, P_ORPHAN, P_ROWID,
};

#define ROW_REF_COLS "id, notice_id, ocid, stage, updated, orphan, content_hash"

#define EACH_SQL \
        "SELECT " OPP_COLS ", CASE WHEN ?5 THEN NULL ELSE raw END" OPP_FROM \
        " WHERE (?1 IS NULL OR updated >= ?1) AND (?2 IS NULL OR source = ?2)" \
        " AND (?3 = 0 OR stage = 'tender') AND (?4 IS NULL OR last_changed >= ?4)" \
        " ORDER BY deadline NULLS LAST, id"

static const char *const sql[ST__N] = {
        [ST_FIND_NOTICE] =
                "SELECT " ROW_REF_COLS " FROM opportunity"
                " WHERE source = ?1 AND notice_id = ?2",
        [ST_FIND_ALIAS] =
                "SELECT o.id, o.notice_id, o.ocid, o.stage, o.updated, o.orphan,"
                " o.content_hash FROM notice_alias a"
                " JOIN opportunity o ON o.id = a.opportunity_id"
                " WHERE a.source = ?1 AND a.notice_id = ?2",
        [ST_FIND_TENDER] =
                "SELECT " ROW_REF_COLS " FROM opportunity"
                " WHERE source = ?1 AND ocid = ?2 AND stage = 'tender'"
                " AND status_given <> 'cancelled' ORDER BY orphan, id LIMIT 1",
        [ST_FIND_ORPHAN] =
                "SELECT " ROW_REF_COLS " FROM opportunity"
                " WHERE source = ?1 AND ocid = ?2 AND stage = 'tender' AND orphan = 1"
                " AND status_given <> 'cancelled' ORDER BY id LIMIT 1",
        [ST_INSERT] =
                "INSERT INTO opportunity (source, notice_id, ocid, release_id, stage,"
                " notice_type, title, description, buyer_name, buyer_id, value_stated,"
                " value_max, value_min, value_gross, currency, cpv, regions, anywhere,"
                " postcodes, lot_titles, item_descriptions, published, updated,"
                " deadline, above_threshold, procurement_method,"
                " procurement_method_details, suitable_sme, suitable_vcse, url,"
                " status, status_given, raw, content_hash, first_seen, last_changed,"
                " amended, orphan) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
                " ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23,"
                " ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?31, ?32, ?33, ?34, ?34,"
                " ?35, ?36)",
        [ST_UPDATE] =
                "UPDATE opportunity SET ocid = ?3, release_id = ?4, stage = ?5,"
                " notice_type = ?6, title = ?7, description = ?8, buyer_name = ?9,"
                " buyer_id = ?10, value_stated = ?11, value_max = ?12, value_min = ?13,"
                " value_gross = ?14, currency = ?15, cpv = ?16, regions = ?17,"
                " anywhere = ?18, postcodes = ?19, lot_titles = ?20,"
                " item_descriptions = ?21, published = ?22, updated = ?23,"
                " deadline = ?24, above_threshold = ?25, procurement_method = ?26,"
                " procurement_method_details = ?27, suitable_sme = ?28,"
                " suitable_vcse = ?29, url = ?30, status = ?31, status_given = ?31,"
                " raw = ?32, content_hash = ?33, last_changed = ?34, amended = ?35"
                " WHERE id = ?37",
        [ST_RENAME] =
                "UPDATE opportunity SET notice_id = ?2, orphan = 0, last_changed = ?3"
                " WHERE id = ?1",
        [ST_CLEAR_ORPHAN] =
                "UPDATE opportunity SET orphan = 0 WHERE id = ?1 AND orphan = 1",
        [ST_ADD_ALIAS] =
                "INSERT OR REPLACE INTO notice_alias (source, notice_id, opportunity_id)"
                " VALUES (?1, ?2, ?3)",
        [ST_CLOSERS] =
                "SELECT id, stage, status_given, published, updated FROM opportunity"
                " WHERE source = ?1 AND ocid = ?2"
                " AND (stage = 'award' OR status_given = 'cancelled') ORDER BY id",
        [ST_TENDERS] =
                "SELECT id, status_given, status, published, updated FROM opportunity"
                " WHERE source = ?1 AND ocid = ?2 AND stage = 'tender' ORDER BY id",
        [ST_SET_STATUS] =
                "UPDATE opportunity SET status = ?2, last_changed = ?3"
                " WHERE id = ?1 AND status IS NOT ?2",
        [ST_GET] = "SELECT " OPP_COLS ", raw" OPP_FROM " WHERE id = ?1",
        [ST_PUT_SCALE] =
                "INSERT OR REPLACE INTO opportunity_scale (opportunity_id, framework, dps,"
                " term_days) VALUES (?1, ?2, ?3, ?4)",
        [ST_PUT_LOTS] =
                "INSERT OR REPLACE INTO opportunity_lots (opportunity_id, lots) VALUES (?1, ?2)",
        [ST_DEL_LOTS] = "DELETE FROM opportunity_lots WHERE opportunity_id = ?1",
        [ST_EACH] = EACH_SQL,
        [ST_COUNT] = "SELECT count(*) FROM opportunity",
};

static int
stmt(struct store *s, enum stmt_id id, sqlite3_stmt **ret, struct err *err, const char *op)
{
        return db_stmt(s, id, sql[id], ret, err, op);
}

/* The statement of slot id, ready for binding into *b. */
static int
start(struct store *s, enum stmt_id id, struct binder *b, struct err *err, const char *op)
{
        int r = stmt(s, id, &b->st, err, op);

        b->rc = SQLITE_OK;
        return r;
}

/* What store_put needs to know about an existing row. */
struct row_ref {
        int64_t  id;
        char    *notice_id;
        char    *ocid;
        bool     tender;
        int64_t  updated;
        bool     orphan;
        char     hash[HASH_HEX_LEN];
};

static void
row_ref_done(struct row_ref *r)
{
        free(r->notice_id);
        free(r->ocid);
        memset(r, 0, sizeof(*r));
}

/* ---- string lists as JSON arrays ---------------------------------------- */

/* Encode a strv as a JSON array of strings.  Bytes >= 0x80 are copied as they
 * are (UTF-8, or whatever the parser let through), so decoding gives back
 * exactly the same bytes. */
static void
strv_to_json(const struct strv *v, struct buf *b)
{
        static const char hex[] = "0123456789abcdef";

        buf_reset(b);
        buf_addc(b, '[');
        for (size_t i = 0; i < v->n; i++) {
                if (i > 0)
                        buf_addc(b, ',');
                buf_addc(b, '"');
                for (const unsigned char *p = (const unsigned char *)v->v[i]; *p; p++) {
                        if (*p == '"' || *p == '\\') {
                                buf_addc(b, '\\');
                                buf_addc(b, (char)*p);
                        } else if (*p < 0x20) {
                                char e[7] = { '\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15], 0 };

                                buf_add(b, e, 6);
                        } else {
                                buf_addc(b, (char)*p);
                        }
                }
                buf_addc(b, '"');
        }
        buf_addc(b, ']');
}

static int
hexval(int c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

static int
read_u4(const char **pp, const char *end, unsigned *ret)
{
        const char *p = *pp;
        unsigned v = 0;

        if (end - p < 4)
                return -1;
        for (int i = 0; i < 4; i++) {
                int h = hexval((unsigned char)p[i]);

                if (h < 0)
                        return -1;
                v = v << 4 | (unsigned)h;
        }
        *pp = p + 4;
        *ret = v;
        return 0;
}

static const char *
skip_ws(const char *p, const char *end)
{
        while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
                p++;
        return p;
}

/* One \uXXXX escape (p after the 'u'), a surrogate pair as one code point,
 * appended to b as UTF-8.  -1 when it is not a valid one (or is U+0000). */
static int
read_u_escape(const char **pp, const char *end, struct buf *b)
{
        const char *p = *pp;
        unsigned cp, lo;

        if (read_u4(&p, end, &cp) < 0 || cp == 0)
                return -1;
        if (cp >= 0xd800 && cp < 0xdc00) {
                if (end - p < 2 || p[0] != '\\' || p[1] != 'u')
                        return -1;
                p += 2;
                if (read_u4(&p, end, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
                        return -1;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                return -1;
        }
        utf8_put(b, cp);
        *pp = p;
        return 0;
}

/* The JSON string at *pp (after its opening quote) into b; *pp after its
 * closing quote.  -1 when it is not a valid one or holds a NUL. */
static int
read_string(const char **pp, const char *end, struct buf *b)
{
        const char *p = *pp;

        buf_reset(b);
        for (;;) {
                if (p == end)
                        return -1;
                if (*p == '"') {
                        p++;
                        break;
                }
                if (*p != '\\') {
                        buf_addc(b, *p++);
                        continue;
                }
                if (++p == end)
                        return -1;
                switch (*p++) {
                case '"': buf_addc(b, '"'); break;
                case '\\': buf_addc(b, '\\'); break;
                case '/': buf_addc(b, '/'); break;
                case 'b': buf_addc(b, '\b'); break;
                case 'f': buf_addc(b, '\f'); break;
                case 'n': buf_addc(b, '\n'); break;
                case 'r': buf_addc(b, '\r'); break;
                case 't': buf_addc(b, '\t'); break;
                case 'u':
                        if (read_u_escape(&p, end, b) < 0)
                                return -1;
                        break;
                default:
                        return -1;
                }
        }
        if (memchr(b->data, '\0', b->len) != NULL)
                return -1;
        *pp = p;
        return 0;
}

/* Decode a JSON array of strings (as written by strv_to_json, or by SQLite's
 * JSON functions) into v.  -EINVAL when it is not one. */
static int
strv_from_json(const char *p, size_t len, struct strv *v)
{
        const char *end = p + len;
        struct buf b;

        buf_init(&b);
        p = skip_ws(p, end);
        if (p == end || *p++ != '[')
                goto bad;
        for (bool first = true;; first = false) {
                p = skip_ws(p, end);
                if (p < end && *p == ']') {
                        p++;
                        break;
                }
                if (!first) {
                        if (p == end || *p++ != ',')
                                goto bad;
                        p = skip_ws(p, end);
                }
                if (p == end || *p++ != '"' || read_string(&p, end, &b) < 0)
                        goto bad;
                strv_add(v, b.data);
        }
        if (skip_ws(p, end) != end)
                goto bad;
        buf_done(&b);
        return 0;
bad:
        buf_done(&b);
        return -EINVAL;
}

/* ---- content hash ------------------------------------------------------- */

/*
 * BLAKE2b-256 over a canonical serialisation of everything the notice says:
 * each field in a fixed order, tagged, strings length-prefixed, so no two
 * different notices serialise the same.  Excluded: id and amended (the store
 * decides those).  Changing this format makes every re-put look like a change:
 * bump the domain string if you ever must.
 */
static void
opp_hash(const struct opportunity *o, char hex[HASH_HEX_LEN])
{
        char cur[4] = { 0 };
        struct hasher h;

        memcpy(cur, o->currency, strnlen(o->currency, 3));
        hasher_init(&h, "bidbroker/opportunity/v1");
        hasher_str(&h, o->source);
        hasher_str(&h, o->notice_id);
        hasher_str(&h, o->ocid);
        hasher_str(&h, o->release_id);
        hasher_str(&h, opp_stage_name(o->stage));
        hasher_str(&h, o->notice_type);
        hasher_str(&h, o->title);
        hasher_str(&h, o->description);
        hasher_str(&h, o->buyer_name);
        hasher_str(&h, o->buyer_id);
        hasher_int(&h, o->value_stated);
        hasher_int(&h, o->value_max);
        hasher_int(&h, o->value_min);
        hasher_int(&h, o->value_gross);
        hasher_str(&h, cur);
        hasher_strv(&h, &o->cpv);
        hasher_strv(&h, &o->regions);
        hasher_int(&h, o->anywhere);
        hasher_strv(&h, &o->postcodes);
        hasher_strv(&h, &o->lot_titles);
        hasher_strv(&h, &o->item_descriptions);
        hasher_int(&h, o->published);
        hasher_int(&h, o->updated);
        hasher_int(&h, o->deadline);
        hasher_int(&h, o->above_threshold);
        hasher_str(&h, o->procurement_method);
        hasher_str(&h, o->procurement_method_details);
        hasher_int(&h, o->suitable_sme);
        hasher_int(&h, o->suitable_vcse);
        hasher_str(&h, o->url);
        hasher_str(&h, opp_status_name(o->status));
        hasher_str(&h, o->raw);
        hasher_hex(&h, hex);
}

/* ---- store_put ---------------------------------------------------------- */

/* tenderAmendment, tenderUpdate, awardUpdate, ...: a later release of
 * something published before. */
static bool
says_amended(const struct opportunity *o)
{
        return o->notice_type != NULL &&
               (strcasestr(o->notice_type, "amendment") != NULL ||
                strcasestr(o->notice_type, "update") != NULL);
}

/* An amendment of a tender: folds into the tender's row. */
static bool
is_amendment(const struct opportunity *o)
{
        return o->stage == STAGE_TENDER && says_amended(o);
}

/* Notices whose id is the release id (FTS) get a new id for every release, so
 * an amendment can only be tied to its tender by ocid.  Sources with a stable
 * notice id across releases (Contracts Finder GUIDs) are trusted as they are. */
static bool
keyed_per_release(const struct opportunity *o)
{
        return o->release_id == NULL || strcmp(o->release_id, o->notice_id) == 0;
}

/* Run a ROW_REF_COLS query with (?1, ?2) = (a, b).  1 found, 0 not, <0 error. */
static int
find_row(struct store *s, enum stmt_id id, const char *a, const char *b,
         struct row_ref *r, struct err *err)
{
        static const char op[] = "look up notice";
        sqlite3_stmt *st;
        struct binder bd;
        int rc;

        if ((rc = stmt(s, id, &st, err, op)) < 0)
                return rc;
        bd = binder_of(st);
        bind_str(&bd, 1, a);
        bind_str(&bd, 2, b);
        if ((rc = db_bound(s, &bd, err, op)) < 0)
                return rc;
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) {
                db_reset(st);
                return 0;
        }
        if (rc != SQLITE_ROW) {
                int e = db_err(s, rc, err, op);

                db_reset(st);
                return e;
        }
        r->id = sqlite3_column_int64(st, 0);
        r->notice_id = col_str(st, 1);
        r->ocid = col_str(st, 2);
        r->tender = col_is(st, 3, "tender");
        r->updated = col_opt(st, 4);
        r->orphan = sqlite3_column_int64(st, 5) != 0;
        snprintf(r->hash, sizeof(r->hash), "%s",
                 sqlite3_column_text(st, 6) ? (const char *)sqlite3_column_text(st, 6) : "");
        db_reset(st);
        return 1;
}

/* Lists encoded once per put. */
struct lists {
        struct buf cpv, regions, postcodes, lots, items;
};

static void
bind_content(struct binder *b, const struct opportunity *o, const struct lists *l,
             const char *hash, int64_t now)
{
        char cur[4] = { 0 };

        memcpy(cur, o->currency, strnlen(o->currency, 3));
        bind_str(b, P_SOURCE, o->source);
        bind_str(b, P_NOTICE_ID, o->notice_id);
        bind_str(b, P_OCID, o->ocid);
        bind_str(b, P_RELEASE_ID, o->release_id);
        bind_str(b, P_STAGE, opp_stage_name(o->stage));
        bind_str(b, P_NOTICE_TYPE, o->notice_type);
        bind_str(b, P_TITLE, o->title);
        bind_str(b, P_DESCRIPTION, o->description);
        bind_str(b, P_BUYER_NAME, o->buyer_name);
        bind_str(b, P_BUYER_ID, o->buyer_id);
        bind_int(b, P_VALUE_STATED, o->value_stated);
        bind_opt(b, P_VALUE_MAX, o->value_max);
        bind_opt(b, P_VALUE_MIN, o->value_min);
        bind_opt(b, P_VALUE_GROSS, o->value_gross);
        if (b->rc == SQLITE_OK)         /* cur is on our stack: copy it */
                b->rc = cur[0] ? sqlite3_bind_text(b->st, P_CURRENCY, cur, -1, SQLITE_TRANSIENT)
                               : sqlite3_bind_null(b->st, P_CURRENCY);
        bind_str(b, P_CPV, l->cpv.data);
        bind_str(b, P_REGIONS, l->regions.data);
        bind_int(b, P_ANYWHERE, o->anywhere);
        bind_str(b, P_POSTCODES, l->postcodes.data);
        bind_str(b, P_LOT_TITLES, l->lots.data);
        bind_str(b, P_ITEM_DESCRIPTIONS, l->items.data);
        bind_opt(b, P_PUBLISHED, o->published);
        bind_opt(b, P_UPDATED, o->updated);
        bind_opt(b, P_DEADLINE, o->deadline);
        bind_tri(b, P_ABOVE_THRESHOLD, o->above_threshold);
        bind_str(b, P_PROC_METHOD, o->procurement_method);
        bind_str(b, P_PROC_METHOD_DETAILS, o->procurement_method_details);
        bind_tri(b, P_SUITABLE_SME, o->suitable_sme);
        bind_tri(b, P_SUITABLE_VCSE, o->suitable_vcse);
        bind_str(b, P_URL, o->url);
        bind_str(b, P_STATUS, opp_status_name(o->status));
        bind_str(b, P_RAW, o->raw);
        bind_str(b, P_HASH, hash);
        bind_int(b, P_NOW, now);
}

static int
write_row(struct store *s, enum stmt_id id, const struct opportunity *o,
          const struct lists *l, const char *hash, bool amended, bool orphan,
          int64_t rowid, struct err *err)
{
        const char *op = id == ST_INSERT ? "insert notice" : "update notice";
        sqlite3_stmt *st;
        struct binder b;
        char what[160];
        int r;

        snprintf(what, sizeof(what), "%s %s/%.100s", op, o->source, o->notice_id);
        if ((r = stmt(s, id, &st, err, what)) < 0)
                return r;
        b = binder_of(st);
        bind_content(&b, o, l, hash, db_now(s));
        bind_int(&b, P_AMENDED, amended);
        bind_int(&b, P_ORPHAN, orphan);
        if (id == ST_UPDATE)
                bind_int(&b, P_ROWID, rowid);
        return db_run(s, &b, err, what);
}

/* The scale facts of o (derived from its raw record, so outside the
 * content hash) for row rowid. */
static int
put_scale(struct store *s, const struct opportunity *o, int64_t rowid, struct err *err)
{
        struct binder b;
        int r;

        if ((r = start(s, ST_PUT_SCALE, &b, err, "store scale facts")) < 0)
                return r;
        bind_int(&b, 1, rowid);
        bind_tri(&b, 2, o->framework);
        bind_tri(&b, 3, o->dps);
        bind_opt(&b, 4, o->term_days == TERM_NONE ? INT64_MIN : o->term_days);
        return db_run(s, &b, err, "store scale facts");
}

/* The lots of o (lots.h; derived from its raw record, so outside the
 * content hash) for row rowid: a row when it has lots, none otherwise. */
static int
put_lots(struct store *s, const struct opportunity *o, int64_t rowid, struct err *err)
{
        json_t *j = opp_lots_to_json(o);
        struct binder b;
        char *text;
        int r;

        if ((r = start(s, j ? ST_PUT_LOTS : ST_DEL_LOTS, &b, err, "store lots")) < 0) {
                json_decref(j);
                return r;
        }
        bind_int(&b, 1, rowid);
        if (j == NULL)
                return db_run(s, &b, err, "store lots");
        text = json_dumps(j, JSON_DUMP_FLAGS);
        json_decref(j);
        bind_str(&b, 2, text);
        r = db_run(s, &b, err, "store lots");
        free(text);
        return r;
}

/* Migration 16: the lots of the OCDS notices already stored, read from their
 * raw records as the parser reads them. */
int
notices_lots_fill(struct store *s, struct err *err)
{
        static const char op[] = "migration: lots of stored notices";
        sqlite3_stmt *st = NULL;
        int rc, r = 0;

        rc = sqlite3_prepare_v2(s->db, "SELECT id, raw FROM opportunity WHERE source IN"
                                " ('cf', 'fts') AND raw LIKE '%\"lots\"%'", -1, &st, NULL);
        if (rc != SQLITE_OK)
                return db_err(s, rc, err, op);
        while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct opportunity o;
                const char *raw = (const char *)sqlite3_column_text(st, 1);

                opportunity_init(&o);
                if (raw != NULL && opp_lots_parse_release(raw, strlen(raw), &o) == 0)
                        r = put_lots(s, &o, sqlite3_column_int64(st, 0), err);
                opportunity_done(&o);
        }
        if (r == 0 && rc != SQLITE_DONE)
                r = db_err(s, rc, err, op);
        sqlite3_finalize(st);
        return r;
}

static int
add_alias(struct store *s, const char *source, const char *notice_id, int64_t rowid,
          struct err *err)
{
        struct binder b;
        int r;

        if ((r = start(s, ST_ADD_ALIAS, &b, err, "add notice alias")) < 0)
                return r;
        bind_str(&b, 1, source);
        bind_str(&b, 2, notice_id);
        bind_int(&b, 3, rowid);
        return db_run(s, &b, err, "add notice alias");
}

static int
rename_row(struct store *s, int64_t rowid, const char *notice_id, struct err *err)
{
        struct binder b;
        int r;

        if ((r = start(s, ST_RENAME, &b, err, "re-key notice")) < 0)
                return r;
        bind_int(&b, 1, rowid);
        bind_str(&b, 2, notice_id);
        bind_int(&b, 3, db_now(s));
        return db_run(s, &b, err, "re-key notice");
}

static int
clear_orphan(struct store *s, int64_t rowid, struct err *err)
{
        struct binder b;
        int r;

        if ((r = start(s, ST_CLEAR_ORPHAN, &b, err, "update notice")) < 0)
                return r;
        bind_int(&b, 1, rowid);
        return db_run(s, &b, err, "update notice");
}

struct closer {
        int64_t id;
        int64_t time;           /* its release date (TIME_UNKNOWN: applies always) */
        bool    cancelled;
};

struct tender_row {
        int64_t          id;
        int64_t          time;  /* first published (or updated) */
        enum opp_status  given, status;
};

static enum opp_status
col_status(sqlite3_stmt *st, int i)
{
        enum opp_status v = STATUS_UNKNOWN;
        const unsigned char *t = sqlite3_column_text(st, i);

        if (t != NULL)
                (void)opp_status_parse((const char *)t, &v);
        return v;
}

/* Fills one array element from the current row of a statement. */
typedef void row_reader(sqlite3_stmt *st, void *elem);

/* Every row statement id gives for (source, ocid), read by read into the
 * growing array *ret of elements of size bytes (*n of them). */
static int
load_by_ocid(struct store *s, enum stmt_id id, const char *op, const char *source,
             const char *ocid, row_reader *read, size_t size, void **ret, size_t *n,
             struct err *err)
{
        struct binder b;
        size_t cap = 0;
        int rc;

        if ((rc = start(s, id, &b, err, op)) < 0)
                return rc;
        bind_str(&b, 1, source);
        bind_str(&b, 2, ocid);
        if ((rc = db_bound(s, &b, err, op)) < 0)
                return rc;
        while ((rc = sqlite3_step(b.st)) == SQLITE_ROW) {
                if (*n == cap) {
                        cap = cap ? 2 * cap : 4;
                        *ret = xreallocarray(*ret, cap, size);
                }
                read(b.st, (char *)*ret + (*n)++ * size);
        }
        db_reset(b.st);
        return rc == SQLITE_DONE ? 0 : db_err(s, rc, err, op);
}

/* A closing notice of the ocid: an award-stage row or a cancellation. */
static void
read_closer(sqlite3_stmt *st, void *elem)
{
        struct closer *c = elem;

        c->id = sqlite3_column_int64(st, 0);
        c->cancelled = col_is(st, 2, "cancelled");
        c->time = col_opt(st, 4);
        if (c->time == TIME_UNKNOWN)
                c->time = col_opt(st, 3);
}

/* A tender-stage row of the ocid. */
static void
read_tender(sqlite3_stmt *st, void *elem)
{
        struct tender_row *t = elem;

        t->id = sqlite3_column_int64(st, 0);
        t->given = col_status(st, 1);
        t->status = col_status(st, 2);
        t->time = col_opt(st, 3);
        if (t->time == TIME_UNKNOWN)
                t->time = col_opt(st, 4);
}

/* The status tender row t should have: what it said, unless a closer released
 * no earlier than t was first published closes it (the latest one decides). */
static enum opp_status
closed_status(const struct tender_row *t, const struct closer *c, size_t nc)
{
        const struct closer *best = NULL;

        if (t->given == STATUS_CANCELLED)
                return t->given;
        for (size_t j = 0; j < nc; j++) {
                if (c[j].id == t->id)
                        continue;
                if (c[j].time != TIME_UNKNOWN && t->time != TIME_UNKNOWN &&
                    t->time > c[j].time)
                        continue;       /* published after it: a new round */
                if (best == NULL || c[j].time >= best->time)
                        best = &c[j];
        }
        if (best == NULL)
                return t->given;
        return best->cancelled ? STATUS_CANCELLED : STATUS_AWARDED;
}

static int
set_status(struct store *s, int64_t rowid, enum opp_status status, struct err *err)
{
        static const char op[] = "close tender notice";
        struct binder b;
        int r;

        if ((r = start(s, ST_SET_STATUS, &b, err, op)) < 0)
                return r;
        bind_int(&b, 1, rowid);
        bind_str(&b, 2, opp_status_name(status));
        bind_int(&b, 3, db_now(s));
        return db_run(s, &b, err, op);
}

/*
 * Recompute the effective status of every tender-stage row of (source, ocid):
 * the status its notice gave, unless an award row or a cancellation of the
 * same ocid, released no earlier than the tender was first published, closes
 * it (the latest such closer decides: awarded or cancelled).  Writes only rows
 * whose status changes, so running it again changes nothing.
 */
static int
reclose(struct store *s, const char *source, const char *ocid, struct err *err)
{
        void *cv = NULL, *tv = NULL;
        struct closer *c;
        struct tender_row *t;
        size_t nc = 0, nt = 0;
        int r;

        r = load_by_ocid(s, ST_CLOSERS, "find closing notices", source, ocid, read_closer,
                         sizeof(*c), &cv, &nc, err);
        if (r == 0)
                r = load_by_ocid(s, ST_TENDERS, "find tender notices", source, ocid,
                                 read_tender, sizeof(*t), &tv, &nt, err);
        c = cv;
        t = tv;
        if (r < 0)
                goto out;
        for (size_t i = 0; i < nt; i++) {
                enum opp_status want = closed_status(&t[i], c, nc);

                if (want != t[i].status && (r = set_status(s, t[i].id, want, err)) < 0)
                        goto out;
        }
out:
        free(c);
        free(t);
        return r;
}

static int
put_locked(struct store *s, const struct opportunity *o, const char *hash,
           const struct lists *l, enum store_put_result *res, int64_t *ret_id,
           struct err *err)
{
        struct row_ref r = { 0 };
        bool amendment = is_amendment(o);
        bool per_release = keyed_per_release(o);
        bool direct = false, written = false;
        int found, e = 0;

        found = find_row(s, ST_FIND_NOTICE, o->source, o->notice_id, &r, err);
        if (found == 1)
                direct = true;
        else if (found == 0)
                found = find_row(s, ST_FIND_ALIAS, o->source, o->notice_id, &r, err);
        if (found < 0)
                return found;

        if (found == 0 && per_release && o->ocid != NULL && amendment) {
                /* A tenderAmendment with its own id: fold into the tender. */
                if ((found = find_row(s, ST_FIND_TENDER, o->source, o->ocid, &r, err)) < 0)
                        return found;
                if (found && (e = add_alias(s, o->source, o->notice_id, r.id, err)) < 0)
                        goto out;
        } else if (found == 0 && per_release && o->ocid != NULL &&
                   o->stage == STAGE_TENDER && o->status != STATUS_CANCELLED) {
                /* The tender itself, after an amendment that arrived first
                 * (pages are newest-first): the row takes the tender's id. */
                if ((found = find_row(s, ST_FIND_ORPHAN, o->source, o->ocid, &r, err)) < 0)
                        return found;
                if (found) {
                        if ((e = add_alias(s, o->source, r.notice_id, r.id, err)) < 0 ||
                            (e = rename_row(s, r.id, o->notice_id, err)) < 0)
                                goto out;
                        r.orphan = false;
                        written = true;
                }
        } else if (found && direct && r.orphan && !amendment) {
                if ((e = clear_orphan(s, r.id, err)) < 0)
                        goto out;
        }

        if (!found) {
                bool orphan = per_release && amendment && o->ocid != NULL;

                /* an amendment stored before what it amends is amended all
                 * the same, so the end state does not depend on the order */
                if ((e = write_row(s, ST_INSERT, o, l, hash, o->amended || says_amended(o),
                                   orphan, 0, err)) < 0)
                        goto out;
                r.id = sqlite3_last_insert_rowid(s->db);
                *res = STORE_NEW;
                written = true;
        } else if (strcmp(r.hash, hash) == 0 || o->updated < r.updated) {
                *res = STORE_UNCHANGED;         /* identical, or an older release */
        } else {
                if ((e = write_row(s, ST_UPDATE, o, l, hash, true, false, r.id, err)) < 0)
                        goto out;
                *res = STORE_UPDATED;
                written = true;
        }

        if (written && *res != STORE_UNCHANGED && ((e = put_scale(s, o, r.id, err)) < 0 ||
                                                   (e = put_lots(s, o, r.id, err)) < 0))
                goto out;
        if (written && o->ocid != NULL && (e = reclose(s, o->source, o->ocid, err)) < 0)
                goto out;
        if (written && r.ocid != NULL && (o->ocid == NULL || strcmp(r.ocid, o->ocid) != 0) &&
            (e = reclose(s, o->source, r.ocid, err)) < 0)
                goto out;
        if (ret_id != NULL)
                *ret_id = r.id;
out:
        row_ref_done(&r);
        return e;
}

int
store_put(struct store *s, const struct opportunity *o, enum store_put_result *res,
          int64_t *ret_id, struct err *err)
{
        enum store_put_result dummy;
        struct lists l;
        char hash[HASH_HEX_LEN];
        bool own_txn, linked = false;
        int64_t id = 0;
        int r;

        assert(s->in_each == 0);                /* no writes from a store_each callback */
        if (o->source == NULL || o->source[0] == '\0' ||
            o->notice_id == NULL || o->notice_id[0] == '\0')
                return err_set(err, -EINVAL, "store: notice without %s",
                               o->source == NULL || o->source[0] == '\0' ? "source" : "id");
        if (res == NULL)
                res = &dummy;
        opp_hash(o, hash);
        buf_init(&l.cpv);
        buf_init(&l.regions);
        buf_init(&l.postcodes);
        buf_init(&l.lots);
        buf_init(&l.items);
        strv_to_json(&o->cpv, &l.cpv);
        strv_to_json(&o->regions, &l.regions);
        strv_to_json(&o->postcodes, &l.postcodes);
        strv_to_json(&o->lot_titles, &l.lots);
        strv_to_json(&o->item_descriptions, &l.items);

        /* All of one put or nothing: inside the caller's transaction a
         * savepoint, otherwise a transaction of our own. */
        own_txn = sqlite3_get_autocommit(s->db) != 0;
        r = db_txn(s, own_txn ? ST_BEGIN : ST_SAVEPOINT, err, "begin notice");
        if (r < 0)
                goto out;
        r = put_locked(s, o, hash, &l, res, &id, err);
        if (r == 0 && *res != STORE_UNCHANGED)
                r = links_note(s, id, o, &linked, err);         /* links.c */
        if (r == 0 && *res != STORE_UNCHANGED)
                r = awards_note(s, id, o, err);                 /* awards.c */
        if (r == 0)
                r = db_txn(s, own_txn ? ST_COMMIT : ST_RELEASE, err, "finish notice");
        if (r == 0 && ret_id != NULL)
                *ret_id = id;
        if (r == 0 && linked)
                s->links_made++;
        if (r < 0) {
                if (own_txn) {
                        store_rollback(s);
                } else if (!sqlite3_get_autocommit(s->db)) {
                        (void)db_txn(s, ST_ROLLBACK_TO, NULL, "undo notice");
                        (void)db_txn(s, ST_RELEASE, NULL, "undo notice");
                }
        }
out:
        buf_done(&l.cpv);
        buf_done(&l.regions);
        buf_done(&l.postcodes);
        buf_done(&l.lots);
        buf_done(&l.items);
        return r;
}

/* ---- reading ------------------------------------------------------------ */

static int
col_strv(struct store *s, sqlite3_stmt *st, int i, struct strv *v, const char *name,
         struct err *err)
{
        const unsigned char *t = sqlite3_column_text(st, i);

        (void)s;
        if (t == NULL)
                return 0;
        if (strv_from_json((const char *)t, (size_t)sqlite3_column_bytes(st, i), v) < 0)
                return err_set(err, -EIO, "store: opportunity %lld: malformed %s list",
                               (long long)sqlite3_column_int64(st, C_ID), name);
        return 0;
}

/* Fill o (initialised, empty) from the current row of an OPP_COLS query. */
static int
load_row(struct store *s, sqlite3_stmt *st, struct opportunity *o, struct err *err)
{
        const unsigned char *t;
        int r;

        o->id = sqlite3_column_int64(st, C_ID);
        o->source = col_str(st, C_SOURCE);
        o->notice_id = col_str(st, C_NOTICE_ID);
        o->ocid = col_str(st, C_OCID);
        o->release_id = col_str(st, C_RELEASE_ID);
        if ((t = sqlite3_column_text(st, C_STAGE)) == NULL ||
            opp_stage_parse((const char *)t, &o->stage) < 0)
                o->stage = STAGE_UNKNOWN;
        o->notice_type = col_str(st, C_NOTICE_TYPE);
        o->title = col_str(st, C_TITLE);
        o->description = col_str(st, C_DESCRIPTION);
        o->buyer_name = col_str(st, C_BUYER_NAME);
        o->buyer_id = col_str(st, C_BUYER_ID);
        o->value_stated = sqlite3_column_int64(st, C_VALUE_STATED) != 0;
        o->value_max = col_opt(st, C_VALUE_MAX);
        o->value_min = col_opt(st, C_VALUE_MIN);
        o->value_gross = col_opt(st, C_VALUE_GROSS);
        memset(o->currency, 0, sizeof(o->currency));
        if ((t = sqlite3_column_text(st, C_CURRENCY)) != NULL)
                snprintf(o->currency, sizeof(o->currency), "%s", (const char *)t);
        if ((r = col_strv(s, st, C_CPV, &o->cpv, "cpv", err)) < 0 ||
            (r = col_strv(s, st, C_REGIONS, &o->regions, "regions", err)) < 0 ||
            (r = col_strv(s, st, C_POSTCODES, &o->postcodes, "postcodes", err)) < 0 ||
            (r = col_strv(s, st, C_LOT_TITLES, &o->lot_titles, "lot_titles", err)) < 0 ||
            (r = col_strv(s, st, C_ITEM_DESCRIPTIONS, &o->item_descriptions,
                          "item_descriptions", err)) < 0)
                return r;
        o->anywhere = sqlite3_column_int64(st, C_ANYWHERE) != 0;
        o->published = col_opt(st, C_PUBLISHED);
        o->updated = col_opt(st, C_UPDATED);
        o->deadline = col_opt(st, C_DEADLINE);
        o->above_threshold = col_tri(st, C_ABOVE_THRESHOLD);
        o->procurement_method = col_str(st, C_PROC_METHOD);
        o->procurement_method_details = col_str(st, C_PROC_METHOD_DETAILS);
        o->suitable_sme = col_tri(st, C_SUITABLE_SME);
        o->suitable_vcse = col_tri(st, C_SUITABLE_VCSE);
        o->url = col_str(st, C_URL);
        o->status = col_status(st, C_STATUS);
        o->amended = sqlite3_column_int64(st, C_AMENDED) != 0;
        o->framework = col_tri(st, C_FRAMEWORK);
        o->dps = col_tri(st, C_DPS);
        o->term_days = col_opt(st, C_TERM_DAYS);
        if (o->term_days == INT64_MIN)
                o->term_days = TERM_NONE;
        if ((t = sqlite3_column_text(st, C_LOTS)) != NULL
            && opp_lots_from_json((const char *)t, o) < 0)
                return err_set(err, -EIO, "store: opportunity %lld: malformed lots",
                               (long long)o->id);
        o->raw = col_str(st, C_RAW);
        return 0;
}

int
store_get(struct store *s, int64_t id, struct opportunity *o, struct err *err)
{
        static const char op[] = "get opportunity";
        struct binder b;
        sqlite3_stmt *st;
        int rc, r;

        opportunity_done(o);
        if ((r = start(s, ST_GET, &b, err, op)) < 0)
                return r;
        bind_int(&b, 1, id);
        if ((r = db_bound(s, &b, err, op)) < 0)
                return r;
        st = b.st;
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                r = load_row(s, st, o, err);
                if (r < 0)
                        opportunity_done(o);
        } else if (rc == SQLITE_DONE) {
                r = err_set(err, -ENOENT, "store: no opportunity %lld", (long long)id);
        } else {
                r = db_err(s, rc, err, op);
        }
        db_reset(st);
        return r;
}

void
store_query_init(struct store_query *q)
{
        memset(q, 0, sizeof(*q));
        q->updated_since = TIME_UNKNOWN;
        q->changed_since = TIME_UNKNOWN;
}

int
store_each(struct store *s, const struct store_query *q, store_each_fn fn, void *arg,
           struct err *err)
{
        static const char op[] = "list opportunities";
        struct store_query all;
        struct opportunity o;
        sqlite3_stmt *st, *own = NULL;
        struct binder b;
        int rc, r;

        if (q == NULL) {
                store_query_init(&all);
                q = &all;
        }
        if ((r = stmt(s, ST_EACH, &st, err, op)) < 0)
                return r;
        if (sqlite3_stmt_busy(st)) {    /* store_each from inside a callback */
                rc = sqlite3_prepare_v2(s->db, EACH_SQL, -1, &own, NULL);
                if (rc != SQLITE_OK)
                        return db_err(s, rc, err, op);
                st = own;
        }
        b = binder_of(st);
        bind_opt(&b, 1, q->updated_since == 0 ? TIME_UNKNOWN : q->updated_since);
        bind_str(&b, 2, q->source);
        bind_int(&b, 3, q->tender_stage_only);
        bind_opt(&b, 4, q->changed_since == 0 ? TIME_UNKNOWN : q->changed_since);
        bind_int(&b, 5, q->skip_raw);
        if (b.rc != SQLITE_OK) {
                r = db_err(s, b.rc, err, op);
                goto out;
        }
        opportunity_init(&o);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if ((r = load_row(s, st, &o, err)) < 0)
                        break;
                s->in_each++;
                r = fn(&o, arg);
                s->in_each--;
                opportunity_done(&o);
                if (r != 0)
                        break;
        }
        opportunity_done(&o);
        if (r == 0 && rc != SQLITE_DONE)
                r = db_err(s, rc, err, op);
out:
        if (own != NULL)
                sqlite3_finalize(own);
        else
                db_reset(st);
        return r;
}

int
store_count(struct store *s, int64_t *ret, struct err *err)
{
        static const char op[] = "count opportunities";
        sqlite3_stmt *st;
        int rc;

        if ((rc = stmt(s, ST_COUNT, &st, err, op)) < 0)
                return rc;
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
                int r = db_err(s, rc, err, op);

                db_reset(st);
                return r;
        }
        *ret = sqlite3_column_int64(st, 0);
        db_reset(st);
        return 0;
}


int
store_count_by_source(struct store *s, store_count_fn fn, void *arg, struct err *err)
{
        static const char op[] = "count opportunities by source";
        sqlite3_stmt *st;
        int rc, r = 0;

        rc = sqlite3_prepare_v2(s->db, "SELECT source, count(*) FROM opportunity "
                                "GROUP BY source ORDER BY source", -1, &st, NULL);
        if (rc != SQLITE_OK)
                return db_err(s, rc, err, op);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW && r == 0)
                r = fn((const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1),
                       arg);
        if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
                r = db_err(s, rc, err, op);
        sqlite3_finalize(st);
        return r;
}
