/*
 * store.c — persistent state in SQLite (see include/bidbroker/store.h).
 *
 * One connection, WAL journal, statements prepared once at open
 * (SQLITE_PREPARE_PERSISTENT) and reset after every use.  Every SQLite return
 * code is checked; errors name the operation and carry sqlite3_errmsg().
 *
 * The folding rules of store_put() live in put_locked() and reclose(): a row
 * keeps the status its notice gave (status_given) and its effective status
 * (status), which reclose() recomputes from the award/cancellation rows of the
 * same (source, ocid), so the result does not depend on arrival order.
 * Never logs.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "bidbroker/err.h"
#include "bidbroker/hash.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/store.h"
#include "bidbroker/util.h"

#define STORE_APPLICATION_ID 1114195010        /* 0x42694442, "BiDB" in the file header */

/*
 * Schema migrations, applied in order by store_open(), each in its own
 * transaction; PRAGMA user_version holds the last one applied.
 *
 * Append new migrations here; never edit a released one.  Number them
 * consecutively; the SQL may hold several statements.
 */
struct migration {
        int         version;
        const char *sql;
};

static const struct migration migrations[] = {
        { 1,
          "PRAGMA application_id = 1114195010;"   /* STORE_APPLICATION_ID */
          "CREATE TABLE opportunity ("
          " id INTEGER PRIMARY KEY,"
          " source TEXT NOT NULL,"
          " notice_id TEXT NOT NULL,"
          " ocid TEXT,"
          " release_id TEXT,"
          " stage TEXT NOT NULL,"                 /* opp_stage_name() */
          " notice_type TEXT,"
          " title TEXT,"
          " description TEXT,"
          " buyer_name TEXT,"
          " buyer_id TEXT,"
          " value_stated INTEGER NOT NULL,"
          " value_max INTEGER,"                   /* pence; NULL: VALUE_NONE */
          " value_min INTEGER,"
          " value_gross INTEGER,"
          " currency TEXT,"
          " cpv TEXT NOT NULL,"                   /* JSON array of strings */
          " regions TEXT NOT NULL,"
          " anywhere INTEGER NOT NULL,"
          " postcodes TEXT NOT NULL,"
          " lot_titles TEXT NOT NULL,"
          " item_descriptions TEXT NOT NULL,"
          " published INTEGER,"                   /* Unix seconds; NULL: unknown */
          " updated INTEGER,"
          " deadline INTEGER,"
          " above_threshold INTEGER,"             /* NULL/0/1 */
          " procurement_method TEXT,"
          " procurement_method_details TEXT,"
          " suitable_sme INTEGER,"
          " suitable_vcse INTEGER,"
          " url TEXT,"
          " status TEXT NOT NULL,"                /* effective (closed by award/cancel) */
          " status_given TEXT NOT NULL,"          /* as the notice stated it */
          " amended INTEGER NOT NULL,"
          " orphan INTEGER NOT NULL DEFAULT 0,"   /* keyed by an amendment's id */
          " content_hash TEXT NOT NULL,"          /* BLAKE2b-256 hex */
          " first_seen INTEGER NOT NULL,"
          " last_changed INTEGER NOT NULL,"
          " raw TEXT,"                            /* last: large, read only when asked */
          " UNIQUE (source, notice_id)"
          ");"
          "CREATE INDEX opportunity_ocid ON opportunity (source, ocid);"
          "CREATE INDEX opportunity_deadline ON opportunity (deadline);"
          "CREATE INDEX opportunity_updated ON opportunity (updated);"
          "CREATE INDEX opportunity_changed ON opportunity (last_changed);"
          "CREATE TABLE notice_alias ("
          " source TEXT NOT NULL,"
          " notice_id TEXT NOT NULL,"
          " opportunity_id INTEGER NOT NULL"
          "  REFERENCES opportunity (id) ON DELETE CASCADE,"
          " PRIMARY KEY (source, notice_id)"
          ") WITHOUT ROWID;"
          "CREATE INDEX notice_alias_opp ON notice_alias (opportunity_id);"
          "CREATE TABLE source_state ("
          " source TEXT PRIMARY KEY,"
          " watermark INTEGER,"
          " etag TEXT,"
          " last_modified TEXT,"
          " failures INTEGER NOT NULL DEFAULT 0,"
          " next_attempt INTEGER,"
          " last_error TEXT,"
          " last_success INTEGER"
          ");"
          "CREATE TABLE meta ("
          " key TEXT PRIMARY KEY,"
          " value TEXT"
          ");" },
        { 2,    /* matches (daemon/store/matchstore.c, the register area) */
          "CREATE TABLE match ("
          " opportunity_id INTEGER NOT NULL"
          "  REFERENCES opportunity (id) ON DELETE CASCADE,"
          " member_id TEXT NOT NULL,"
          " kind TEXT NOT NULL DEFAULT 'single',"
          " score REAL NOT NULL,"
          " reasons TEXT NOT NULL,"               /* JSON array of reason objects */
          " content_hash TEXT NOT NULL,"          /* of the matching fields, then */
          " fingerprint TEXT NOT NULL,"           /* of the engine's configuration */
          " status TEXT NOT NULL DEFAULT 'active',"  /* active, withdrawn */
          " withdrawn_reason TEXT,"
          " first_matched INTEGER NOT NULL,"
          " updated INTEGER NOT NULL,"
          " UNIQUE (opportunity_id, member_id)"
          ");"
          "CREATE INDEX match_member ON match (member_id, status);"
          "CREATE TABLE match_run ("               /* when each notice was last matched */
          " opportunity_id INTEGER PRIMARY KEY"
          "  REFERENCES opportunity (id) ON DELETE CASCADE,"
          " content_hash TEXT NOT NULL,"
          " fingerprint TEXT NOT NULL,"
          " eligible INTEGER NOT NULL,"           /* the filter accepted it */
          " matched_at INTEGER NOT NULL"
          ");" },
        /* append new migrations here; never edit a released one */
};

/* The columns loaded into a struct opportunity, in enum col order. */
#define OPP_COLS \
        "id, source, notice_id, ocid, release_id, stage, notice_type, title," \
        " description, buyer_name, buyer_id, value_stated, value_max, value_min," \
        " value_gross, currency, cpv, regions, anywhere, postcodes, lot_titles," \
        " item_descriptions, published, updated, deadline, above_threshold," \
        " procurement_method, procurement_method_details, suitable_sme," \
        " suitable_vcse, url, status, amended"

enum col {
        C_ID, C_SOURCE, C_NOTICE_ID, C_OCID, C_RELEASE_ID, C_STAGE, C_NOTICE_TYPE,
        C_TITLE, C_DESCRIPTION, C_BUYER_NAME, C_BUYER_ID, C_VALUE_STATED,
        C_VALUE_MAX, C_VALUE_MIN, C_VALUE_GROSS, C_CURRENCY, C_CPV, C_REGIONS,
        C_ANYWHERE, C_POSTCODES, C_LOT_TITLES, C_ITEM_DESCRIPTIONS, C_PUBLISHED,
        C_UPDATED, C_DEADLINE, C_ABOVE_THRESHOLD, C_PROC_METHOD,
        C_PROC_METHOD_DETAILS, C_SUITABLE_SME, C_SUITABLE_VCSE, C_URL, C_STATUS,
        C_AMENDED, C_RAW,
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

enum stmt_id {
        ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_SAVEPOINT, ST_RELEASE, ST_ROLLBACK_TO,
        ST_FIND_NOTICE, ST_FIND_ALIAS, ST_FIND_TENDER, ST_FIND_ORPHAN,
        ST_INSERT, ST_UPDATE, ST_RENAME, ST_CLEAR_ORPHAN, ST_ADD_ALIAS,
        ST_CLOSERS, ST_TENDERS, ST_SET_STATUS,
        ST_GET, ST_EACH, ST_COUNT, ST_SRC_GET, ST_SRC_PUT, ST_META_GET, ST_META_PUT,
        ST__N
};

#define EACH_SQL \
        "SELECT " OPP_COLS ", CASE WHEN ?5 THEN NULL ELSE raw END FROM opportunity" \
        " WHERE (?1 IS NULL OR updated >= ?1) AND (?2 IS NULL OR source = ?2)" \
        " AND (?3 = 0 OR stage = 'tender') AND (?4 IS NULL OR last_changed >= ?4)" \
        " ORDER BY deadline NULLS LAST, id"

static const char *const stmt_sql[ST__N] = {
        [ST_BEGIN] = "BEGIN IMMEDIATE",
        [ST_COMMIT] = "COMMIT",
        [ST_ROLLBACK] = "ROLLBACK",
        [ST_SAVEPOINT] = "SAVEPOINT store_put",
        [ST_RELEASE] = "RELEASE store_put",
        [ST_ROLLBACK_TO] = "ROLLBACK TO store_put",
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
        [ST_GET] = "SELECT " OPP_COLS ", raw FROM opportunity WHERE id = ?1",
        [ST_EACH] = EACH_SQL,
        [ST_COUNT] = "SELECT count(*) FROM opportunity",
        [ST_SRC_GET] =
                "SELECT watermark, etag, last_modified, failures, next_attempt,"
                " last_error, last_success FROM source_state WHERE source = ?1",
        [ST_SRC_PUT] =
                "INSERT INTO source_state (source, watermark, etag, last_modified,"
                " failures, next_attempt, last_error, last_success)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
                " ON CONFLICT (source) DO UPDATE SET watermark = excluded.watermark,"
                " etag = excluded.etag, last_modified = excluded.last_modified,"
                " failures = excluded.failures, next_attempt = excluded.next_attempt,"
                " last_error = excluded.last_error, last_success = excluded.last_success",
        [ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
        [ST_META_PUT] =
                "INSERT INTO meta (key, value) VALUES (?1, ?2)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
};

struct store {
        sqlite3      *db;
        char         *path;
        bool          readonly;
        int64_t       now;              /* TIME_UNKNOWN: the system clock */
        sqlite3_stmt *st[ST__N];
};

/* What store_put needs to know about an existing row. */
struct row_ref {
        int64_t  id;
        char    *notice_id;
        char    *ocid;
        bool     tender;
        int64_t  updated;
        bool     orphan;
        char     hash[65];
};

static void
row_ref_done(struct row_ref *r)
{
        free(r->notice_id);
        free(r->ocid);
        memset(r, 0, sizeof(*r));
}

/* ---- errors ------------------------------------------------------------- */

static int
errno_of(int rc)
{
        switch (rc & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                return -EBUSY;
        case SQLITE_NOMEM:
                return -ENOMEM;
        case SQLITE_READONLY:
                return -EROFS;
        case SQLITE_PERM:
        case SQLITE_AUTH:
                return -EACCES;
        case SQLITE_FULL:
                return -ENOSPC;
        case SQLITE_CANTOPEN:
                return -ENOENT;
        case SQLITE_TOOBIG:
                return -E2BIG;
        case SQLITE_CONSTRAINT:
        case SQLITE_MISMATCH:
        case SQLITE_RANGE:
                return -EINVAL;
        default:
                return -EIO;            /* CORRUPT, NOTADB, IOERR, ... */
        }
}

/* Report the failure of operation 'op' with SQLite's message. */
static int
db_err(struct store *s, int rc, struct err *err, const char *op)
{
        const char *msg = s && s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);

        return err_set(err, errno_of(rc), "store: %s: %s", op, msg);
}

static int64_t
store_now(const struct store *s)
{
        return s->now != TIME_UNKNOWN ? s->now : (int64_t)time(NULL);
}

/* ---- small statement helpers -------------------------------------------- */

/* Reset a statement and drop its bindings (SQLITE_STATIC buffers included). */
static void
st_done(sqlite3_stmt *st)
{
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
}

/* Bindings with one error slot: after the first failure the rest are no-ops. */
struct binder {
        sqlite3_stmt *st;
        int           rc;
};

static void
bind_str(struct binder *b, int i, const char *s)
{
        if (b->rc != SQLITE_OK)
                return;
        b->rc = s == NULL ? sqlite3_bind_null(b->st, i)
                          : sqlite3_bind_text64(b->st, i, s, strlen(s), SQLITE_STATIC,
                                                SQLITE_UTF8);
}

static void
bind_int(struct binder *b, int i, int64_t v)
{
        if (b->rc == SQLITE_OK)
                b->rc = sqlite3_bind_int64(b->st, i, v);
}

/* TIME_UNKNOWN and VALUE_NONE (both INT64_MIN) are stored as NULL. */
static void
bind_opt(struct binder *b, int i, int64_t v)
{
        if (b->rc != SQLITE_OK)
                return;
        b->rc = v == INT64_MIN ? sqlite3_bind_null(b->st, i) : sqlite3_bind_int64(b->st, i, v);
}

static void
bind_tri(struct binder *b, int i, enum tristate t)
{
        if (b->rc != SQLITE_OK)
                return;
        b->rc = t == TRI_UNKNOWN ? sqlite3_bind_null(b->st, i)
                                 : sqlite3_bind_int(b->st, i, t == TRI_NO ? 0 : 1);
}

/* Step a statement that returns no rows; resets it. */
static int
exec_st(struct store *s, enum stmt_id id, struct err *err, const char *op)
{
        int rc = sqlite3_step(s->st[id]);

        if (rc != SQLITE_DONE) {
                int r = db_err(s, rc, err, op);

                st_done(s->st[id]);
                return r;
        }
        st_done(s->st[id]);
        return 0;
}

static char *
col_str(sqlite3_stmt *st, int i)
{
        const unsigned char *t;

        if (sqlite3_column_type(st, i) == SQLITE_NULL)
                return NULL;
        t = sqlite3_column_text(st, i);
        if (t == NULL)          /* out of memory in SQLite */
                return xstrdup("");
        return xstrndup((const char *)t, (size_t)sqlite3_column_bytes(st, i));
}

static int64_t
col_opt(sqlite3_stmt *st, int i)
{
        return sqlite3_column_type(st, i) == SQLITE_NULL ? INT64_MIN
                                                         : sqlite3_column_int64(st, i);
}

static enum tristate
col_tri(sqlite3_stmt *st, int i)
{
        if (sqlite3_column_type(st, i) == SQLITE_NULL)
                return TRI_UNKNOWN;
        return sqlite3_column_int64(st, i) ? TRI_YES : TRI_NO;
}

static bool
col_is(sqlite3_stmt *st, int i, const char *s)
{
        const unsigned char *t = sqlite3_column_text(st, i);

        return t != NULL && strcmp((const char *)t, s) == 0;
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

static void
buf_add_utf8(struct buf *b, unsigned cp)
{
        if (cp < 0x80) {
                buf_addc(b, (char)cp);
        } else if (cp < 0x800) {
                buf_addc(b, (char)(0xc0 | cp >> 6));
                buf_addc(b, (char)(0x80 | (cp & 0x3f)));
        } else if (cp < 0x10000) {
                buf_addc(b, (char)(0xe0 | cp >> 12));
                buf_addc(b, (char)(0x80 | (cp >> 6 & 0x3f)));
                buf_addc(b, (char)(0x80 | (cp & 0x3f)));
        } else {
                buf_addc(b, (char)(0xf0 | cp >> 18));
                buf_addc(b, (char)(0x80 | (cp >> 12 & 0x3f)));
                buf_addc(b, (char)(0x80 | (cp >> 6 & 0x3f)));
                buf_addc(b, (char)(0x80 | (cp & 0x3f)));
        }
}

/* Decode a JSON array of strings (as written by strv_to_json, or by SQLite's
 * JSON functions) into v.  -EINVAL when it is not one. */
static int
strv_from_json(const char *p, size_t len, struct strv *v)
{
        const char *end = p + len;
        struct buf b;

        buf_init(&b);
        while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
                p++;
        if (p == end || *p++ != '[')
                goto bad;
        for (bool first = true;; first = false) {
                while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
                        p++;
                if (p < end && *p == ']' && first) {
                        p++;
                        break;
                }
                if (!first) {
                        if (p < end && *p == ']') {
                                p++;
                                break;
                        }
                        if (p == end || *p++ != ',')
                                goto bad;
                        while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
                                p++;
                }
                if (p == end || *p++ != '"')
                        goto bad;
                buf_reset(&b);
                for (;;) {
                        unsigned cp, lo;

                        if (p == end)
                                goto bad;
                        if (*p == '"') {
                                p++;
                                break;
                        }
                        if (*p != '\\') {
                                buf_addc(&b, *p++);
                                continue;
                        }
                        if (++p == end)
                                goto bad;
                        switch (*p++) {
                        case '"': buf_addc(&b, '"'); break;
                        case '\\': buf_addc(&b, '\\'); break;
                        case '/': buf_addc(&b, '/'); break;
                        case 'b': buf_addc(&b, '\b'); break;
                        case 'f': buf_addc(&b, '\f'); break;
                        case 'n': buf_addc(&b, '\n'); break;
                        case 'r': buf_addc(&b, '\r'); break;
                        case 't': buf_addc(&b, '\t'); break;
                        case 'u':
                                if (read_u4(&p, end, &cp) < 0 || cp == 0)
                                        goto bad;
                                if (cp >= 0xd800 && cp < 0xdc00) {
                                        if (end - p < 2 || p[0] != '\\' || p[1] != 'u')
                                                goto bad;
                                        p += 2;
                                        if (read_u4(&p, end, &lo) < 0 ||
                                            lo < 0xdc00 || lo > 0xdfff)
                                                goto bad;
                                        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                                } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                                        goto bad;
                                }
                                buf_add_utf8(&b, cp);
                                break;
                        default:
                                goto bad;
                        }
                }
                if (memchr(b.data, '\0', b.len) != NULL)
                        goto bad;
                strv_add(v, b.data);
        }
        while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
                p++;
        if (p != end)
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
opp_hash(const struct opportunity *o, char hex[65])
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

/* ---- open, migrate, close ----------------------------------------------- */

static int
exec_sql(struct store *s, const char *sql, struct err *err, const char *op)
{
        char *msg = NULL;
        int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);

        if (rc != SQLITE_OK) {
                int r = err_set(err, errno_of(rc), "store: %s: %s", op,
                                msg ? msg : sqlite3_errmsg(s->db));

                sqlite3_free(msg);
                return r;
        }
        return 0;
}

/* Run a one-value integer query (PRAGMA user_version, ...). */
static int
query_int(struct store *s, const char *sql, int64_t *ret, struct err *err, const char *op)
{
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

        if (rc != SQLITE_OK)
                return db_err(s, rc, err, op);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                *ret = sqlite3_column_int64(st, 0);
                rc = SQLITE_DONE;
        } else if (rc == SQLITE_DONE) {
                *ret = 0;
        }
        if (rc != SQLITE_DONE) {
                int r = db_err(s, rc, err, op);

                sqlite3_finalize(st);
                return r;
        }
        sqlite3_finalize(st);
        return 0;
}

static int
latest_version(void)
{
        return migrations[ARRAY_SIZE(migrations) - 1].version;
}

/* Is this file ours (or empty)?  Reads application_id, user_version. */
static int
check_identity(struct store *s, int64_t *ret_version, struct err *err)
{
        int64_t app = 0, ver = 0, tables = 0;
        int r;

        char *op = xasprintf("open %s", s->path);

        /* One read transaction, so the three answers come from one snapshot:
         * another process may be creating the schema right now. */
        r = exec_sql(s, "BEGIN", err, op);
        if (r == 0)
                r = query_int(s, "PRAGMA application_id", &app, err, op);
        if (r == 0)
                r = query_int(s, "PRAGMA user_version", &ver, err, op);
        if (r == 0)
                r = query_int(s, "SELECT count(*) FROM sqlite_schema", &tables, err, op);
        if (!sqlite3_get_autocommit(s->db))
                (void)sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
        free(op);
        if (r < 0)
                return r;
        if (app != 0 && app != STORE_APPLICATION_ID)
                return err_set(err, -EINVAL, "store: %s is not a bidbroker database "
                               "(application_id %" PRId64 ")", s->path, app);
        if (app == 0 && tables > 0)
                return err_set(err, -EINVAL, "store: %s is not a bidbroker database "
                               "(it has tables but no bidbroker schema)", s->path);
        if (ver > latest_version())
                return err_set(err, -EPROTO, "store: %s has schema version %" PRId64
                               ", newer than this bidbroker understands (%d)",
                               s->path, ver, latest_version());
        *ret_version = ver;
        return 0;
}

static int
migrate(struct store *s, struct err *err)
{
        for (size_t i = 0; i < ARRAY_SIZE(migrations); i++) {
                const struct migration *m = &migrations[i];
                char op[64], pragma[64];
                int64_t ver = 0;
                int r;

                snprintf(op, sizeof(op), "migration %d", m->version);
                if ((r = exec_sql(s, "BEGIN IMMEDIATE", err, op)) < 0)
                        return r;
                /* Re-read inside the transaction: another process may have
                 * migrated while we waited for the lock. */
                if ((r = query_int(s, "PRAGMA user_version", &ver, err, op)) < 0)
                        goto fail;
                if (ver >= m->version) {
                        if ((r = exec_sql(s, "COMMIT", err, op)) < 0)
                                goto fail;
                        continue;
                }
                if (ver != m->version - 1) {
                        r = err_set(err, -EPROTO, "store: %s: schema version %" PRId64
                                    " cannot be migrated to %d", op, ver, m->version);
                        goto fail;
                }
                snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", m->version);
                if ((r = exec_sql(s, m->sql, err, op)) < 0 ||
                    (r = exec_sql(s, pragma, err, op)) < 0 ||
                    (r = exec_sql(s, "COMMIT", err, op)) < 0)
                        goto fail;
                continue;
fail:
                if (!sqlite3_get_autocommit(s->db))
                        (void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
                return r;
        }
        return 0;
}

static int
prepare_all(struct store *s, struct err *err)
{
        for (int i = 0; i < ST__N; i++) {
                int rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1,
                                            SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL);

                if (rc != SQLITE_OK)
                        return db_err(s, rc, err, "prepare statement");
        }
        return 0;
}

/* Create the database file with mode 0640 (SQLite would use 0644); the -wal
 * and -shm files inherit its mode. */
static int
precreate(const char *path, struct err *err)
{
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);

        if (fd < 0)
                return err_set(err, -errno, "store: create %s: %s", path, strerror(errno));
        close(fd);
        return 0;
}

static int
open_common(const char *dir, bool readonly, struct store **ret, struct err *err)
{
        struct store *s = xcalloc(1, sizeof(*s));
        int64_t ver = 0;
        struct stat sb;
        int flags, rc, r;

        s->readonly = readonly;
        s->now = TIME_UNKNOWN;
        if (dir == NULL || dir[0] == '\0') {
                r = err_set(err, -EINVAL, "store: no state directory given");
                goto fail;
        }
        s->path = path_join(dir, STORE_DB_NAME);
        if (sodium_init() < 0) {
                r = err_set(err, -EIO, "store: libsodium initialisation failed");
                goto fail;
        }
        if (readonly) {
                if (stat(s->path, &sb) < 0) {
                        r = err_set(err, -errno, "store: open %s: %s", s->path, strerror(errno));
                        goto fail;
                }
                flags = SQLITE_OPEN_READONLY;
        } else {
                if (stat(dir, &sb) < 0) {
                        r = errno == ENOENT ? mkdir_p(dir, 0750) : -errno;
                        if (r < 0) {
                                err_set(err, r, "store: create state directory %s: %s",
                                        dir, strerror(-r));
                                goto fail;
                        }
                } else if (!S_ISDIR(sb.st_mode)) {
                        r = err_set(err, -ENOTDIR, "store: state directory %s is not a directory",
                                    dir);
                        goto fail;
                }
                if ((r = precreate(s->path, err)) < 0)
                        goto fail;
                flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
        }
        rc = sqlite3_open_v2(s->path, &s->db, flags | SQLITE_OPEN_NOFOLLOW, NULL);
        if (rc != SQLITE_OK) {
                r = err_set(err, errno_of(rc), "store: open %s: %s", s->path,
                            s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
                goto fail;
        }
        sqlite3_extended_result_codes(s->db, 1);
        if ((r = exec_sql(s, "PRAGMA busy_timeout = 5000", err, "set busy_timeout")) < 0)
                goto fail;
        if ((r = check_identity(s, &ver, err)) < 0)
                goto fail;
        if (!readonly) {
                char mode[16] = "";
                sqlite3_stmt *st = NULL;

                /* Switching a new file to WAL needs an exclusive lock, and
                 * SQLite does not wait on the busy handler for it: when
                 * another process is opening the same new database at this
                 * moment, retry for up to the busy timeout. */
                for (int tries = 0; ; tries++) {
                        rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st,
                                                NULL);
                        if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                                snprintf(mode, sizeof(mode), "%s", sqlite3_column_text(st, 0));
                                rc = SQLITE_OK;
                        }
                        sqlite3_finalize(st);
                        st = NULL;
                        if ((rc & 0xff) != SQLITE_BUSY || tries >= 500)
                                break;
                        sqlite3_sleep(10);
                }
                if (rc != SQLITE_OK) {
                        r = db_err(s, rc, err, "set journal_mode=WAL");
                        goto fail;
                }
                if (strcmp(mode, "wal") != 0) {
                        r = err_set(err, -EIO, "store: %s: cannot use WAL journal (got %s)",
                                    s->path, mode);
                        goto fail;
                }
                if ((r = exec_sql(s, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON",
                                  err, "set pragmas")) < 0 ||
                    (r = migrate(s, err)) < 0)
                        goto fail;
        } else {
                if (ver != latest_version()) {
                        r = err_set(err, -EPROTO, "store: %s has schema version %" PRId64
                                    ", expected %d; open it once read-write to migrate",
                                    s->path, ver, latest_version());
                        goto fail;
                }
                if ((r = exec_sql(s, "PRAGMA foreign_keys = ON; PRAGMA query_only = 1",
                                  err, "set pragmas")) < 0)
                        goto fail;
        }
        if ((r = prepare_all(s, err)) < 0)
                goto fail;
        *ret = s;
        return 0;
fail:
        store_close(s);
        return r;
}

int
store_open(const char *dir, struct store **ret, struct err *err)
{
        return open_common(dir, false, ret, err);
}

int
store_open_readonly(const char *dir, struct store **ret, struct err *err)
{
        return open_common(dir, true, ret, err);
}

struct store *
store_close(struct store *s)
{
        if (s == NULL)
                return NULL;
        for (int i = 0; i < ST__N; i++)
                sqlite3_finalize(s->st[i]);
        if (s->db != NULL) {
                if (!sqlite3_get_autocommit(s->db))
                        (void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
                sqlite3_close_v2(s->db);
        }
        free(s->path);
        free(s);
        return NULL;
}

struct sqlite3 *
store_db(struct store *s)
{
        return s->db;
}

void
store_set_now(struct store *s, int64_t now)
{
        s->now = now;
}

/* ---- transactions ------------------------------------------------------- */

int
store_begin(struct store *s, struct err *err)
{
        return exec_st(s, ST_BEGIN, err, "begin transaction");
}

int
store_commit(struct store *s, struct err *err)
{
        return exec_st(s, ST_COMMIT, err, "commit");
}

int
store_rollback(struct store *s)
{
        if (s == NULL || s->db == NULL || sqlite3_get_autocommit(s->db))
                return 0;
        return exec_st(s, ST_ROLLBACK, NULL, "rollback");
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
        sqlite3_stmt *st = s->st[id];
        struct binder bd = { st, SQLITE_OK };
        int rc;

        bind_str(&bd, 1, a);
        bind_str(&bd, 2, b);
        if (bd.rc != SQLITE_OK) {
                st_done(st);
                return db_err(s, bd.rc, err, "look up notice");
        }
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) {
                st_done(st);
                return 0;
        }
        if (rc != SQLITE_ROW) {
                int e = db_err(s, rc, err, "look up notice");

                st_done(st);
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
        st_done(st);
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
        sqlite3_stmt *st = s->st[id];
        struct binder b = { st, SQLITE_OK };
        const char *op = id == ST_INSERT ? "insert notice" : "update notice";
        char what[160];
        int rc;

        bind_content(&b, o, l, hash, store_now(s));
        bind_int(&b, P_AMENDED, amended);
        bind_int(&b, P_ORPHAN, orphan);
        if (id == ST_UPDATE)
                bind_int(&b, P_ROWID, rowid);
        snprintf(what, sizeof(what), "%s %s/%.100s", op, o->source, o->notice_id);
        if (b.rc != SQLITE_OK) {
                st_done(st);
                return db_err(s, b.rc, err, what);
        }
        rc = sqlite3_step(st);
        if (rc != SQLITE_DONE) {
                int r = db_err(s, rc, err, what);

                st_done(st);
                return r;
        }
        st_done(st);
        return 0;
}

static int
add_alias(struct store *s, const char *source, const char *notice_id, int64_t rowid,
          struct err *err)
{
        struct binder b = { s->st[ST_ADD_ALIAS], SQLITE_OK };

        bind_str(&b, 1, source);
        bind_str(&b, 2, notice_id);
        bind_int(&b, 3, rowid);
        if (b.rc != SQLITE_OK) {
                st_done(b.st);
                return db_err(s, b.rc, err, "add notice alias");
        }
        return exec_st(s, ST_ADD_ALIAS, err, "add notice alias");
}

static int
rename_row(struct store *s, int64_t rowid, const char *notice_id, struct err *err)
{
        struct binder b = { s->st[ST_RENAME], SQLITE_OK };

        bind_int(&b, 1, rowid);
        bind_str(&b, 2, notice_id);
        bind_int(&b, 3, store_now(s));
        if (b.rc != SQLITE_OK) {
                st_done(b.st);
                return db_err(s, b.rc, err, "re-key notice");
        }
        return exec_st(s, ST_RENAME, err, "re-key notice");
}

static int
clear_orphan(struct store *s, int64_t rowid, struct err *err)
{
        struct binder b = { s->st[ST_CLEAR_ORPHAN], SQLITE_OK };

        bind_int(&b, 1, rowid);
        if (b.rc != SQLITE_OK) {
                st_done(b.st);
                return db_err(s, b.rc, err, "update notice");
        }
        return exec_st(s, ST_CLEAR_ORPHAN, err, "update notice");
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
        struct closer *c = NULL;
        struct tender_row *t = NULL;
        size_t nc = 0, nt = 0, cap;
        sqlite3_stmt *st;
        int rc, r = 0;

        st = s->st[ST_CLOSERS];
        cap = 0;
        if ((rc = sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC)) != SQLITE_OK ||
            (rc = sqlite3_bind_text(st, 2, ocid, -1, SQLITE_STATIC)) != SQLITE_OK) {
                st_done(st);
                return db_err(s, rc, err, "find closing notices");
        }
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (nc == cap) {
                        cap = cap ? 2 * cap : 4;
                        c = xreallocarray(c, cap, sizeof(*c));
                }
                c[nc].id = sqlite3_column_int64(st, 0);
                c[nc].cancelled = col_is(st, 2, "cancelled");
                c[nc].time = col_opt(st, 4);
                if (c[nc].time == TIME_UNKNOWN)
                        c[nc].time = col_opt(st, 3);
                nc++;
        }
        st_done(st);
        if (rc != SQLITE_DONE) {
                r = db_err(s, rc, err, "find closing notices");
                goto out;
        }

        st = s->st[ST_TENDERS];
        cap = 0;
        if ((rc = sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC)) != SQLITE_OK ||
            (rc = sqlite3_bind_text(st, 2, ocid, -1, SQLITE_STATIC)) != SQLITE_OK) {
                st_done(st);
                r = db_err(s, rc, err, "find tender notices");
                goto out;
        }
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (nt == cap) {
                        cap = cap ? 2 * cap : 4;
                        t = xreallocarray(t, cap, sizeof(*t));
                }
                t[nt].id = sqlite3_column_int64(st, 0);
                t[nt].given = col_status(st, 1);
                t[nt].status = col_status(st, 2);
                t[nt].time = col_opt(st, 3);
                if (t[nt].time == TIME_UNKNOWN)
                        t[nt].time = col_opt(st, 4);
                nt++;
        }
        st_done(st);
        if (rc != SQLITE_DONE) {
                r = db_err(s, rc, err, "find tender notices");
                goto out;
        }

        for (size_t i = 0; i < nt; i++) {
                enum opp_status want = t[i].given;
                const struct closer *best = NULL;
                struct binder b = { s->st[ST_SET_STATUS], SQLITE_OK };

                for (size_t j = 0; j < nc && want != STATUS_CANCELLED; j++) {
                        if (c[j].id == t[i].id)
                                continue;
                        if (c[j].time != TIME_UNKNOWN && t[i].time != TIME_UNKNOWN &&
                            t[i].time > c[j].time)
                                continue;       /* published after it: a new round */
                        if (best == NULL || c[j].time >= best->time)
                                best = &c[j];
                }
                if (best != NULL)
                        want = best->cancelled ? STATUS_CANCELLED : STATUS_AWARDED;
                if (want == t[i].status)
                        continue;
                bind_int(&b, 1, t[i].id);
                bind_str(&b, 2, opp_status_name(want));
                bind_int(&b, 3, store_now(s));
                if (b.rc != SQLITE_OK) {
                        st_done(b.st);
                        r = db_err(s, b.rc, err, "close tender notice");
                        goto out;
                }
                if ((r = exec_st(s, ST_SET_STATUS, err, "close tender notice")) < 0)
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
        char hash[65];
        bool own_txn;
        int r;

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
        r = exec_st(s, own_txn ? ST_BEGIN : ST_SAVEPOINT, err, "begin notice");
        if (r < 0)
                goto out;
        r = put_locked(s, o, hash, &l, res, ret_id, err);
        if (r == 0)
                r = exec_st(s, own_txn ? ST_COMMIT : ST_RELEASE, err, "finish notice");
        if (r < 0) {
                if (own_txn) {
                        store_rollback(s);
                } else if (!sqlite3_get_autocommit(s->db)) {
                        (void)exec_st(s, ST_ROLLBACK_TO, NULL, "undo notice");
                        (void)exec_st(s, ST_RELEASE, NULL, "undo notice");
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
        o->raw = col_str(st, C_RAW);
        return 0;
}

int
store_get(struct store *s, int64_t id, struct opportunity *o, struct err *err)
{
        sqlite3_stmt *st = s->st[ST_GET];
        int rc, r = 0;

        opportunity_done(o);
        if ((rc = sqlite3_bind_int64(st, 1, id)) != SQLITE_OK) {
                st_done(st);
                return db_err(s, rc, err, "get opportunity");
        }
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                r = load_row(s, st, o, err);
                if (r < 0)
                        opportunity_done(o);
        } else if (rc == SQLITE_DONE) {
                r = err_set(err, -ENOENT, "store: no opportunity %lld", (long long)id);
        } else {
                r = db_err(s, rc, err, "get opportunity");
        }
        st_done(st);
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
        struct store_query all;
        struct opportunity o;
        sqlite3_stmt *st = s->st[ST_EACH], *own = NULL;
        struct binder b;
        int rc, r = 0;

        if (q == NULL) {
                store_query_init(&all);
                q = &all;
        }
        if (sqlite3_stmt_busy(st)) {    /* store_each from inside a callback */
                rc = sqlite3_prepare_v2(s->db, EACH_SQL, -1, &own, NULL);
                if (rc != SQLITE_OK)
                        return db_err(s, rc, err, "list opportunities");
                st = own;
        }
        b = (struct binder){ st, SQLITE_OK };
        bind_opt(&b, 1, q->updated_since == 0 ? TIME_UNKNOWN : q->updated_since);
        bind_str(&b, 2, q->source);
        bind_int(&b, 3, q->tender_stage_only);
        bind_opt(&b, 4, q->changed_since == 0 ? TIME_UNKNOWN : q->changed_since);
        bind_int(&b, 5, q->skip_raw);
        if (b.rc != SQLITE_OK) {
                r = db_err(s, b.rc, err, "list opportunities");
                goto out;
        }
        opportunity_init(&o);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if ((r = load_row(s, st, &o, err)) < 0)
                        break;
                r = fn(&o, arg);
                opportunity_done(&o);
                if (r != 0)
                        break;
        }
        opportunity_done(&o);
        if (r == 0 && rc != SQLITE_DONE)
                r = db_err(s, rc, err, "list opportunities");
out:
        if (own != NULL)
                sqlite3_finalize(own);
        else
                st_done(st);
        return r;
}

int
store_count(struct store *s, int64_t *ret, struct err *err)
{
        sqlite3_stmt *st = s->st[ST_COUNT];
        int rc = sqlite3_step(st);

        if (rc != SQLITE_ROW) {
                int r = db_err(s, rc, err, "count opportunities");

                st_done(st);
                return r;
        }
        *ret = sqlite3_column_int64(st, 0);
        st_done(st);
        return 0;
}

/* ---- source state ------------------------------------------------------- */

void
source_state_init(struct source_state *st)
{
        memset(st, 0, sizeof(*st));
        st->watermark = TIME_UNKNOWN;
        st->next_attempt = TIME_UNKNOWN;
        st->last_success = TIME_UNKNOWN;
}

void
source_state_done(struct source_state *st)
{
        free(st->etag);
        free(st->last_modified);
        free(st->last_error);
        source_state_init(st);
}

int
store_source_get(struct store *s, const char *source, struct source_state *out,
                 struct err *err)
{
        sqlite3_stmt *st = s->st[ST_SRC_GET];
        struct binder b = { st, SQLITE_OK };
        int rc, r = 0;

        source_state_init(out);
        bind_str(&b, 1, source);
        if (b.rc != SQLITE_OK) {
                st_done(st);
                return db_err(s, b.rc, err, "read source state");
        }
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                out->watermark = col_opt(st, 0);
                out->etag = col_str(st, 1);
                out->last_modified = col_str(st, 2);
                out->failures = sqlite3_column_int64(st, 3);
                out->next_attempt = col_opt(st, 4);
                out->last_error = col_str(st, 5);
                out->last_success = col_opt(st, 6);
        } else if (rc != SQLITE_DONE) {
                r = db_err(s, rc, err, "read source state");
        }
        st_done(st);
        return r;
}

int
store_source_put(struct store *s, const char *source, const struct source_state *in,
                 struct err *err)
{
        struct binder b = { s->st[ST_SRC_PUT], SQLITE_OK };

        if (source == NULL || source[0] == '\0')
                return err_set(err, -EINVAL, "store: source state without a source name");
        bind_str(&b, 1, source);
        bind_opt(&b, 2, in->watermark);
        bind_str(&b, 3, in->etag);
        bind_str(&b, 4, in->last_modified);
        bind_int(&b, 5, in->failures);
        bind_opt(&b, 6, in->next_attempt);
        bind_str(&b, 7, in->last_error);
        bind_opt(&b, 8, in->last_success);
        if (b.rc != SQLITE_OK) {
                st_done(b.st);
                return db_err(s, b.rc, err, "write source state");
        }
        return exec_st(s, ST_SRC_PUT, err, "write source state");
}

/* ---- meta --------------------------------------------------------------- */

int
store_meta_get(struct store *s, const char *key, char **ret, struct err *err)
{
        sqlite3_stmt *st = s->st[ST_META_GET];
        struct binder b = { st, SQLITE_OK };
        int rc, r = 0;

        *ret = NULL;
        bind_str(&b, 1, key);
        if (b.rc != SQLITE_OK) {
                st_done(st);
                return db_err(s, b.rc, err, "read meta");
        }
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                *ret = col_str(st, 0);
        else if (rc != SQLITE_DONE)
                r = db_err(s, rc, err, "read meta");
        st_done(st);
        return r;
}

int
store_meta_put(struct store *s, const char *key, const char *value, struct err *err)
{
        struct binder b = { s->st[ST_META_PUT], SQLITE_OK };

        bind_str(&b, 1, key);
        bind_str(&b, 2, value);
        if (b.rc != SQLITE_OK) {
                st_done(b.st);
                return db_err(s, b.rc, err, "write meta");
        }
        return exec_st(s, ST_META_PUT, err, "write meta");
}
