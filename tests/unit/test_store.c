/* test_store.c — the SQLite store: migrations, round trips, folding rules,
 * transactions, source state, iteration, and hostile files. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "testutil.h"

#include "bidbroker/err.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/store.h"
#include "bidbroker/util.h"

#define T0 1737600000           /* 2025-01-23 02:40 UTC */

struct fx {
        char  dir[64];          /* mkdtemp root */
        char *state;            /* dir/state (created by store_open) */
        struct store *s;
};

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
        (void)sb; (void)flag; (void)ftw;
        return remove(p);
}

static int
setup(void **state)
{
        struct fx *f = xcalloc(1, sizeof(*f));
        struct err err = { 0 };

        snprintf(f->dir, sizeof(f->dir), "/tmp/test_store.XXXXXX");
        if (mkdtemp(f->dir) == NULL)
                return -1;
        f->state = xasprintf("%s/state/sub", f->dir);
        if (store_open(f->state, &f->s, &err) < 0) {
                fprintf(stderr, "%s\n", err.msg);
                return -1;
        }
        store_set_now(f->s, T0);
        *state = f;
        return 0;
}

static int
teardown(void **state)
{
        struct fx *f = *state;

        store_close(f->s);
        nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        free(f->state);
        free(f);
        return 0;
}

/* A tender-stage notice keyed like FTS (notice id = release id). */
static void
mk(struct opportunity *o, const char *nid, const char *ocid, enum opp_stage stage,
   const char *type, int64_t updated)
{
        opportunity_init(o);
        o->source = xstrdup("fts");
        o->notice_id = xstrdup(nid);
        o->release_id = xstrdup(nid);
        o->ocid = xstrdup(ocid);
        o->stage = stage;
        o->notice_type = xstrdup(type);
        o->title = xasprintf("title of %s", nid);
        o->status = stage == STAGE_AWARD ? STATUS_COMPLETE : STATUS_ACTIVE;
        o->published = updated;
        o->updated = updated;
        o->deadline = updated + 30 * 86400;
        o->raw = xasprintf("{\"id\":\"%s\",\"date\":%lld}", nid, (long long)updated);
}

static int
put(struct store *s, const struct opportunity *o, int64_t *id)
{
        enum store_put_result res = 99;
        struct err err = { 0 };
        int r = store_put(s, o, &res, id, &err);

        if (r < 0) {
                fprintf(stderr, "store_put: %s\n", err.msg);
                return -1;
        }
        return (int)res;
}

static void
get(struct store *s, int64_t id, struct opportunity *o)
{
        struct err err = { 0 };

        opportunity_init(o);
        if (store_get(s, id, o, &err) < 0)
                fail_msg("store_get %lld: %s", (long long)id, err.msg);
}

static int64_t
count(struct store *s)
{
        struct err err = { 0 };
        int64_t n = -1;

        assert_int_equal(store_count(s, &n, &err), 0);
        return n;
}

/* Every column of every row of the store's tables, as text. */
static char *
dump(struct store *s)
{
        static const char *const q[] = {
                "SELECT * FROM opportunity ORDER BY id",
                "SELECT * FROM notice_alias ORDER BY source, notice_id",
        };
        struct buf b;

        buf_init(&b);
        for (size_t i = 0; i < ARRAY_SIZE(q); i++) {
                sqlite3_stmt *st;

                assert_int_equal(sqlite3_prepare_v2(store_db(s), q[i], -1, &st, NULL), SQLITE_OK);
                while (sqlite3_step(st) == SQLITE_ROW) {
                        for (int c = 0; c < sqlite3_column_count(st); c++) {
                                const unsigned char *t = sqlite3_column_text(st, c);

                                buf_printf(&b, "%s|", t ? (const char *)t : "<null>");
                        }
                        buf_addc(&b, '\n');
                }
                sqlite3_finalize(st);
        }
        return buf_steal(&b);
}

static int64_t
sql_int(struct store *s, const char *sql)
{
        sqlite3_stmt *st;
        int64_t v = -1;

        assert_int_equal(sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL), SQLITE_OK);
        if (sqlite3_step(st) == SQLITE_ROW)
                v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return v;
}

static void
strv_set(struct strv *v, const char *const *items, size_t n)
{
        for (size_t i = 0; i < n; i++)
                strv_add(v, items[i]);
}

static void
assert_strv_equal(const struct strv *a, const struct strv *b)
{
        assert_int_equal(a->n, b->n);
        for (size_t i = 0; i < a->n; i++)
                assert_string_equal(a->v[i], b->v[i]);
}

static void
assert_str_or_null(const char *a, const char *b)
{
        if (a == NULL || b == NULL)
                assert_ptr_equal(a, b);
        else
                assert_string_equal(a, b);
}

/* Every field of struct opportunity except id. */
static void
assert_opp_equal(const struct opportunity *a, const struct opportunity *b)
{
        assert_str_or_null(a->source, b->source);
        assert_str_or_null(a->notice_id, b->notice_id);
        assert_str_or_null(a->ocid, b->ocid);
        assert_str_or_null(a->release_id, b->release_id);
        assert_int_equal(a->stage, b->stage);
        assert_str_or_null(a->notice_type, b->notice_type);
        assert_str_or_null(a->title, b->title);
        assert_str_or_null(a->description, b->description);
        assert_str_or_null(a->buyer_name, b->buyer_name);
        assert_str_or_null(a->buyer_id, b->buyer_id);
        assert_int_equal(a->value_stated, b->value_stated);
        assert_true(a->value_max == b->value_max);
        assert_true(a->value_min == b->value_min);
        assert_true(a->value_gross == b->value_gross);
        assert_memory_equal(a->currency, b->currency, sizeof(a->currency));
        assert_strv_equal(&a->cpv, &b->cpv);
        assert_strv_equal(&a->regions, &b->regions);
        assert_int_equal(a->anywhere, b->anywhere);
        assert_strv_equal(&a->postcodes, &b->postcodes);
        assert_strv_equal(&a->lot_titles, &b->lot_titles);
        assert_strv_equal(&a->item_descriptions, &b->item_descriptions);
        assert_true(a->published == b->published);
        assert_true(a->updated == b->updated);
        assert_true(a->deadline == b->deadline);
        assert_int_equal(a->above_threshold, b->above_threshold);
        assert_str_or_null(a->procurement_method, b->procurement_method);
        assert_str_or_null(a->procurement_method_details, b->procurement_method_details);
        assert_int_equal(a->suitable_sme, b->suitable_sme);
        assert_int_equal(a->suitable_vcse, b->suitable_vcse);
        assert_str_or_null(a->url, b->url);
        assert_int_equal(a->status, b->status);
        assert_int_equal(a->amended, b->amended);
        assert_str_or_null(a->raw, b->raw);
}

/* ---- migrations ---------------------------------------------------------- */

/* The anchors' "members alerted" and the dashboard look digest_item up by
 * opportunity: SQLite must use an index for it, not scan every digest. */
static void
t_digest_item_by_opportunity(void **state)
{
        struct fx *f = *state;
        sqlite3_stmt *st;
        bool indexed = false;

        assert_int_equal(sqlite3_prepare_v2(store_db(f->s), "EXPLAIN QUERY PLAN SELECT "
                                            "count(DISTINCT member) FROM digest_item WHERE "
                                            "opportunity_id = 7", -1, &st, NULL), SQLITE_OK);
        while (sqlite3_step(st) == SQLITE_ROW)
                indexed |= strstr((const char *)sqlite3_column_text(st, 3),
                                  "USING COVERING INDEX digest_item_opportunity") != NULL;
        sqlite3_finalize(st);
        assert_true(indexed);
}

static void
t_migrate_and_reopen(void **state)
{
        struct fx *f = *state;
        struct err err = { 0 };
        struct stat sb;
        int64_t ver = sql_int(f->s, "PRAGMA user_version");
        char *path = xasprintf("%s/" STORE_DB_NAME, f->state);
        char *mode;
        sqlite3_stmt *st;

        assert_true(ver >= 1);
        assert_int_equal(stat(f->state, &sb), 0);
        assert_true(S_ISDIR(sb.st_mode));
        assert_int_equal(sb.st_mode & 0027, 0);         /* 0750 (less umask) */
        assert_int_equal(stat(path, &sb), 0);
        assert_int_equal(sb.st_mode & 0037, 0);         /* 0640 */
        assert_int_equal(sqlite3_prepare_v2(store_db(f->s), "PRAGMA journal_mode", -1, &st,
                                            NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        mode = xstrdup((const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        assert_string_equal(mode, "wal");
        free(mode);
        assert_int_equal(sql_int(f->s, "PRAGMA foreign_keys"), 1);
        assert_int_equal(sql_int(f->s, "PRAGMA busy_timeout"), 5000);
        assert_int_equal(sql_int(f->s, "PRAGMA synchronous"), 1);     /* NORMAL */
        assert_int_equal(sql_int(f->s, "SELECT count(*) FROM sqlite_schema WHERE name IN "
                                 "('opportunity', 'source_state', 'meta', 'notice_alias')"), 4);

        /* Reopen: nothing to migrate, same version, data kept. */
        struct opportunity o;
        mk(&o, "n1", "ocds-1", STAGE_TENDER, "UK4", T0);
        assert_int_equal(put(f->s, &o, NULL), STORE_NEW);
        f->s = store_close(f->s);
        assert_int_equal(store_open(f->state, &f->s, &err), 0);
        assert_true(sql_int(f->s, "PRAGMA user_version") == ver);
        assert_int_equal(count(f->s), 1);
        f->s = store_close(f->s);
        assert_int_equal(store_open(f->state, &f->s, &err), 0);
        assert_int_equal(count(f->s), 1);
        opportunity_done(&o);
        free(path);
}

/* ---- round trips ----------------------------------------------------------- */

static void
full_opp(struct opportunity *o)
{
        static const char *const cpv[] = { "90911200", "90919300", "45000000" };
        static const char *const regions[] = { "UKG", "UKE2" };
        static const char *const pcs[] = { "B1 1AA", "LS1 4DY" };
        static const char *const lots[] = { "Lot 1: \"offices\"", "Lot 2 \\ depots\n(night)" };
        static const char *const items[] = { "Cleaning £5k\tweekly", "", "Ünïcødé ✓ 𝄞" };

        mk(o, "rel-1", "ocds-h6vhtk-000001", STAGE_TENDER, "UK4", T0);
        free(o->release_id);
        o->release_id = xstrdup("rel-1");
        o->description = xstrdup("Line one\nLine two with \"quotes\" and \\ and £.");
        o->buyer_name = xstrdup("Leeds City Council");
        o->buyer_id = xstrdup("GB-GOR-PB1");
        o->value_stated = true;
        o->value_max = 3372100;
        o->value_min = 1000000;
        o->value_gross = 4046520;
        memcpy(o->currency, "GBP", 4);
        strv_set(&o->cpv, cpv, ARRAY_SIZE(cpv));
        strv_set(&o->regions, regions, ARRAY_SIZE(regions));
        o->anywhere = true;
        strv_set(&o->postcodes, pcs, ARRAY_SIZE(pcs));
        strv_set(&o->lot_titles, lots, ARRAY_SIZE(lots));
        strv_set(&o->item_descriptions, items, ARRAY_SIZE(items));
        o->published = T0 - 86400;
        o->updated = T0;
        o->deadline = T0 + 14 * 86400;
        o->above_threshold = TRI_NO;
        o->procurement_method = xstrdup("open");
        o->procurement_method_details = xstrdup("Below threshold - open competition");
        o->suitable_sme = TRI_YES;
        o->suitable_vcse = TRI_NO;
        o->url = xstrdup("https://www.find-tender.service.gov.uk/Notice/032703-2026");
        o->status = STATUS_ACTIVE;
        o->amended = false;
}

static void
t_roundtrip_full(void **state)
{
        struct fx *f = *state;
        struct opportunity o, back;
        int64_t id = 0;

        full_opp(&o);
        assert_int_equal(put(f->s, &o, &id), STORE_NEW);
        assert_true(id > 0);
        get(f->s, id, &back);
        assert_true(back.id == id);
        assert_opp_equal(&o, &back);

        /* store_get on an already filled struct replaces it without leaking. */
        assert_int_equal(store_get(f->s, id, &back, NULL), 0);
        assert_opp_equal(&o, &back);
        opportunity_done(&back);
        opportunity_done(&o);
}

static void
t_roundtrip_unknowns(void **state)
{
        struct fx *f = *state;
        struct opportunity o, back;
        int64_t id = 0;

        /* The bare minimum: everything unknown / not stated / NULL. */
        opportunity_init(&o);
        o.source = xstrdup("feed:leeds");
        o.notice_id = xstrdup("urn:entry:1");
        assert_int_equal(put(f->s, &o, &id), STORE_NEW);
        get(f->s, id, &back);
        assert_opp_equal(&o, &back);
        assert_true(back.value_max == VALUE_NONE && back.value_min == VALUE_NONE &&
                    back.value_gross == VALUE_NONE);
        assert_true(back.published == TIME_UNKNOWN && back.updated == TIME_UNKNOWN &&
                    back.deadline == TIME_UNKNOWN);
        assert_int_equal(back.above_threshold, TRI_UNKNOWN);
        assert_int_equal(back.suitable_sme, TRI_UNKNOWN);
        assert_int_equal(back.suitable_vcse, TRI_UNKNOWN);
        assert_null(back.ocid);
        assert_null(back.raw);
        assert_string_equal(back.currency, "");
        assert_int_equal(back.cpv.n, 0);
        opportunity_done(&back);

        /* Empty strings stay empty strings (not NULL), tristates YES/NO. */
        opportunity_done(&o);
        opportunity_init(&o);
        o.source = xstrdup("feed:leeds");
        o.notice_id = xstrdup("urn:entry:2");
        o.title = xstrdup("");
        o.above_threshold = TRI_YES;
        o.suitable_sme = TRI_NO;
        o.suitable_vcse = TRI_YES;
        o.value_stated = false;
        o.value_max = 0;                /* a zero amount is kept as zero */
        o.stage = STAGE_PLANNING;
        o.status = STATUS_PLANNED;
        assert_int_equal(put(f->s, &o, &id), STORE_NEW);
        get(f->s, id, &back);
        assert_opp_equal(&o, &back);
        assert_string_equal(back.title, "");
        assert_true(back.value_max == 0);
        opportunity_done(&back);
        opportunity_done(&o);

        assert_int_equal(store_get(f->s, 999999, &back, NULL), -ENOENT);
        opportunity_done(&back);
}

static void
t_huge_and_odd_strings(void **state)
{
        struct fx *f = *state;
        struct opportunity o, back;
        size_t big = 8u << 20;
        int64_t id;
        char ctl[40];

        mk(&o, "huge", "ocds-h", STAGE_TENDER, "UK4", T0);
        free(o.description);
        o.description = xmalloc(big + 1);
        for (size_t i = 0; i < big; i++)
                o.description[i] = (char)('a' + i % 26);
        o.description[big] = '\0';
        free(o.raw);
        o.raw = xmalloc(big / 2 + 1);
        memset(o.raw, 'x', big / 2);
        o.raw[big / 2] = '\0';
        for (int i = 0; i < 10000; i++) {
                char c[16];

                snprintf(c, sizeof(c), "%08d", i);
                strv_add(&o.cpv, c);
        }
        /* control characters, quotes, invalid UTF-8 in list items */
        for (int i = 1; i < 32; i++)
                ctl[i - 1] = (char)i;
        ctl[31] = '"';
        ctl[32] = '\\';
        ctl[33] = (char)0xff;
        ctl[34] = (char)0xc3;
        ctl[35] = '\0';
        strv_add(&o.lot_titles, ctl);
        strv_add(&o.lot_titles, "\\u0041 is not an escape here");
        assert_int_equal(put(f->s, &o, &id), STORE_NEW);
        get(f->s, id, &back);
        assert_opp_equal(&o, &back);
        opportunity_done(&back);
        assert_int_equal(put(f->s, &o, &id), STORE_UNCHANGED);
        opportunity_done(&o);
}

/* ---- folding rules --------------------------------------------------------- */

static void
t_reput_unchanged(void **state)
{
        struct fx *f = *state;
        struct opportunity a, b;
        int64_t id1 = 0, id2 = 0;
        char *before, *after;

        full_opp(&a);
        mk(&b, "rel-2", "ocds-2", STAGE_AWARD, "award", T0);
        assert_int_equal(put(f->s, &a, &id1), STORE_NEW);
        assert_int_equal(put(f->s, &b, NULL), STORE_NEW);
        before = dump(f->s);
        store_set_now(f->s, T0 + 3600);         /* a later run */
        assert_int_equal(put(f->s, &a, &id2), STORE_UNCHANGED);
        assert_int_equal(put(f->s, &b, NULL), STORE_UNCHANGED);
        assert_true(id1 == id2);
        after = dump(f->s);
        assert_string_equal(before, after);
        assert_int_equal(count(f->s), 2);
        free(before);
        free(after);
        opportunity_done(&a);
        opportunity_done(&b);
}

static void
t_newer_release_updates(void **state)
{
        struct fx *f = *state;
        struct opportunity o, back;
        int64_t id = 0, id2 = 0;

        mk(&o, "n1", "ocds-1", STAGE_TENDER, "UK4", T0);
        assert_int_equal(put(f->s, &o, &id), STORE_NEW);
        get(f->s, id, &back);
        assert_false(back.amended);
        opportunity_done(&back);

        /* a later release of the same notice with a changed deadline */
        o.updated = T0 + 100;
        o.deadline += 86400;
        store_set_now(f->s, T0 + 200);
        assert_int_equal(put(f->s, &o, &id2), STORE_UPDATED);
        assert_true(id2 == id);
        get(f->s, id, &back);
        assert_true(back.amended);
        assert_true(back.deadline == o.deadline);
        assert_true(back.updated == T0 + 100);
        opportunity_done(&back);
        assert_int_equal(sql_int(f->s, "SELECT last_changed FROM opportunity"), T0 + 200);
        assert_int_equal(sql_int(f->s, "SELECT first_seen FROM opportunity"), T0);

        /* same release date but different content: also an update */
        free(o.title);
        o.title = xstrdup("corrected title");
        assert_int_equal(put(f->s, &o, NULL), STORE_UPDATED);
        get(f->s, id, &back);
        assert_string_equal(back.title, "corrected title");
        opportunity_done(&back);
        assert_int_equal(put(f->s, &o, NULL), STORE_UNCHANGED);
        assert_int_equal(count(f->s), 1);
        opportunity_done(&o);
}

static void
t_older_release_ignored(void **state)
{
        struct fx *f = *state;
        struct opportunity o, back;
        int64_t id = 0;
        char *before, *after;

        mk(&o, "n1", "ocds-1", STAGE_TENDER, "UK4", T0 + 1000);
        assert_int_equal(put(f->s, &o, &id), STORE_NEW);
        before = dump(f->s);
        o.updated = T0;                 /* an older release turns up later */
        free(o.title);
        o.title = xstrdup("old title");
        assert_int_equal(put(f->s, &o, NULL), STORE_UNCHANGED);
        after = dump(f->s);
        assert_string_equal(before, after);
        get(f->s, id, &back);
        assert_string_equal(back.title, "title of n1");
        assert_false(back.amended);
        opportunity_done(&back);
        free(before);
        free(after);
        opportunity_done(&o);
}

static void
t_amendment_folds_by_ocid(void **state)
{
        struct fx *f = *state;
        struct opportunity t, a, other, back;
        int64_t tid = 0, aid = 0;

        mk(&t, "t1", "ocds-x", STAGE_TENDER, "tender", T0);
        mk(&a, "a2", "ocds-x", STAGE_TENDER, "tenderAmendment", T0 + 500);
        a.deadline = T0 + 60 * 86400;
        mk(&other, "t9", "ocds-y", STAGE_TENDER, "tender", T0);

        assert_int_equal(put(f->s, &other, NULL), STORE_NEW);
        assert_int_equal(put(f->s, &t, &tid), STORE_NEW);
        assert_int_equal(put(f->s, &a, &aid), STORE_UPDATED);
        assert_true(aid == tid);
        assert_int_equal(count(f->s), 2);
        get(f->s, tid, &back);
        assert_string_equal(back.notice_id, "t1");      /* keeps the tender's key */
        assert_string_equal(back.release_id, "a2");     /* content of the amendment */
        assert_string_equal(back.title, "title of a2");
        assert_true(back.deadline == T0 + 60 * 86400);
        assert_true(back.amended);
        opportunity_done(&back);

        /* Both again, in either order: nothing changes. */
        char *before = dump(f->s);
        assert_int_equal(put(f->s, &a, &aid), STORE_UNCHANGED);
        assert_true(aid == tid);
        assert_int_equal(put(f->s, &t, NULL), STORE_UNCHANGED);
        char *after = dump(f->s);
        assert_string_equal(before, after);
        free(before);
        free(after);

        /* a tenderUpdate with yet another id also folds in */
        struct opportunity u;
        mk(&u, "u3", "ocds-x", STAGE_TENDER, "tenderUpdate", T0 + 900);
        assert_int_equal(put(f->s, &u, &aid), STORE_UPDATED);
        assert_true(aid == tid);
        assert_int_equal(count(f->s), 2);
        opportunity_done(&u);
        opportunity_done(&t);
        opportunity_done(&a);
        opportunity_done(&other);
}

/* Newest first (as pages come): the amendment is stored first; when the
 * tender arrives it takes over the row, and the end state is the same as in
 * publication order. */
static void
t_amendment_before_tender(void **state)
{
        struct fx *f = *state;
        struct opportunity t, a, back;
        int64_t aid = 0, tid = 0;

        mk(&t, "t1", "ocds-x", STAGE_TENDER, "tender", T0);
        mk(&a, "a2", "ocds-x", STAGE_TENDER, "tenderAmendment", T0 + 500);
        assert_int_equal(put(f->s, &a, &aid), STORE_NEW);
        assert_int_equal(put(f->s, &t, &tid), STORE_UNCHANGED);  /* older release */
        assert_true(aid == tid);
        assert_int_equal(count(f->s), 1);
        get(f->s, tid, &back);
        assert_string_equal(back.notice_id, "t1");
        assert_string_equal(back.title, "title of a2");
        assert_true(back.amended);
        opportunity_done(&back);

        char *before = dump(f->s);
        assert_int_equal(put(f->s, &t, NULL), STORE_UNCHANGED);
        assert_int_equal(put(f->s, &a, NULL), STORE_UNCHANGED);
        char *after = dump(f->s);
        assert_string_equal(before, after);
        free(after);

        /* byte for byte what publication order gives */
        struct store *fwd;
        struct err err = { 0 };
        char *dir = xasprintf("%s/forward", f->dir);
        assert_int_equal(store_open(dir, &fwd, &err), 0);
        store_set_now(fwd, T0);
        assert_int_equal(put(fwd, &t, NULL), STORE_NEW);
        assert_int_equal(put(fwd, &a, NULL), STORE_UPDATED);
        after = dump(fwd);
        assert_string_equal(before, after);
        store_close(fwd);
        free(dir);
        free(before);
        free(after);

        /* a second, unrelated tender notice of the same ocid is its own row */
        struct opportunity t2;
        mk(&t2, "t3", "ocds-x", STAGE_TENDER, "tender", T0 + 800);
        assert_int_equal(put(f->s, &t2, NULL), STORE_NEW);
        assert_int_equal(count(f->s), 2);
        opportunity_done(&t2);
        opportunity_done(&t);
        opportunity_done(&a);
}

/* Contracts Finder keys notices by a GUID that stays the same across
 * releases; a different GUID in the same ocid is a different notice. */
static void
t_stable_notice_ids_not_folded(void **state)
{
        struct fx *f = *state;
        struct opportunity t, a, b, back;
        int64_t tid = 0, id = 0;

        mk(&t, "guid-a", "ocds-cf", STAGE_TENDER, "tender", T0);
        free(t.release_id);
        t.release_id = xstrdup("guid-a-819842");
        mk(&a, "guid-a", "ocds-cf", STAGE_TENDER, "tenderAmendment", T0 + 200);
        free(a.release_id);
        a.release_id = xstrdup("guid-a-819916");
        mk(&b, "guid-b", "ocds-cf", STAGE_TENDER, "tenderAmendment", T0 + 300);
        free(b.release_id);
        b.release_id = xstrdup("guid-b-819950");

        /* newest first */
        assert_int_equal(put(f->s, &b, NULL), STORE_NEW);
        assert_int_equal(put(f->s, &a, &id), STORE_NEW);
        assert_int_equal(put(f->s, &t, &tid), STORE_UNCHANGED);
        assert_true(id == tid);
        assert_int_equal(count(f->s), 2);
        get(f->s, tid, &back);
        assert_string_equal(back.release_id, "guid-a-819916");
        assert_true(back.amended);
        opportunity_done(&back);
        opportunity_done(&t);
        opportunity_done(&a);
        opportunity_done(&b);
}

static void
check_status(struct store *s, int64_t id, enum opp_status want)
{
        struct opportunity o;

        get(s, id, &o);
        if (o.status != want)
                fail_msg("row %lld: status %s, want %s", (long long)id,
                         opp_status_name(o.status), opp_status_name(want));
        opportunity_done(&o);
}

static void
t_award_closes_tender(void **state)
{
        struct fx *f = *state;
        struct opportunity t, t2, aw, other;
        int64_t tid, t2id, awid, oid;

        mk(&t, "t1", "ocds-x", STAGE_TENDER, "tender", T0);
        mk(&t2, "t2", "ocds-x", STAGE_TENDER, "tender", T0 + 10);
        mk(&aw, "aw", "ocds-x", STAGE_AWARD, "award", T0 + 5000);
        mk(&other, "o1", "ocds-y", STAGE_TENDER, "tender", T0);

        assert_int_equal(put(f->s, &t, &tid), STORE_NEW);
        assert_int_equal(put(f->s, &t2, &t2id), STORE_NEW);
        assert_int_equal(put(f->s, &other, &oid), STORE_NEW);
        check_status(f->s, tid, STATUS_ACTIVE);
        store_set_now(f->s, T0 + 7000);
        assert_int_equal(put(f->s, &aw, &awid), STORE_NEW);    /* about the award */
        check_status(f->s, tid, STATUS_AWARDED);
        check_status(f->s, t2id, STATUS_AWARDED);
        check_status(f->s, awid, STATUS_COMPLETE);              /* as the award says */
        check_status(f->s, oid, STATUS_ACTIVE);
        assert_int_equal(sql_int(f->s, "SELECT count(*) FROM opportunity"
                                 " WHERE last_changed = 1737607000 AND stage = 'tender'"), 2);
        assert_int_equal(count(f->s), 4);

        /* Re-ingest: all unchanged, still closed. */
        char *before = dump(f->s);
        assert_int_equal(put(f->s, &aw, NULL), STORE_UNCHANGED);
        assert_int_equal(put(f->s, &t, NULL), STORE_UNCHANGED);
        assert_int_equal(put(f->s, &t2, NULL), STORE_UNCHANGED);
        char *after = dump(f->s);
        assert_string_equal(before, after);
        free(before);
        free(after);

        /* A newer release of a closed tender updates it but it stays closed. */
        t.updated = T0 + 100;
        assert_int_equal(put(f->s, &t, NULL), STORE_UPDATED);
        check_status(f->s, tid, STATUS_AWARDED);

        /* A tender published after the award (a new round) stays open. */
        struct opportunity t3;
        int64_t t3id;
        mk(&t3, "t3", "ocds-x", STAGE_TENDER, "tender", T0 + 9000);
        assert_int_equal(put(f->s, &t3, &t3id), STORE_NEW);
        check_status(f->s, t3id, STATUS_ACTIVE);
        opportunity_done(&t3);
        opportunity_done(&t);
        opportunity_done(&t2);
        opportunity_done(&aw);
        opportunity_done(&other);
}

static void
t_award_before_tender(void **state)
{
        struct fx *f = *state;
        struct opportunity t, aw, back;
        int64_t tid, awid;

        mk(&t, "t1", "ocds-x", STAGE_TENDER, "tender", T0);
        mk(&aw, "aw", "ocds-x", STAGE_AWARD, "award", T0 + 5000);
        assert_int_equal(put(f->s, &aw, &awid), STORE_NEW);
        assert_int_equal(put(f->s, &t, &tid), STORE_NEW);
        check_status(f->s, tid, STATUS_AWARDED);
        get(f->s, tid, &back);
        assert_false(opportunity_is_open(&back, T0));
        opportunity_done(&back);

        /* the amendment arriving last changes content, not the closure */
        struct opportunity a;
        mk(&a, "a2", "ocds-x", STAGE_TENDER, "tenderAmendment", T0 + 100);
        assert_int_equal(put(f->s, &a, NULL), STORE_UPDATED);
        check_status(f->s, tid, STATUS_AWARDED);
        assert_int_equal(count(f->s), 2);
        opportunity_done(&a);
        opportunity_done(&t);
        opportunity_done(&aw);
}

/* CF style: award and awardUpdate share the notice GUID; either order ends
 * in the same row. */
static void
t_award_update_either_order(void **state)
{
        struct fx *f = *state;
        char *dumps[2];

        for (int order = 0; order < 2; order++) {
                struct opportunity aw, up, back;
                struct err err = { 0 };
                int64_t id1, id2;
                char *dir = xasprintf("%s/order%d", f->dir, order);
                struct store *s;

                assert_int_equal(store_open(dir, &s, &err), 0);
                store_set_now(s, T0);
                mk(&aw, "guid-g", "ocds-g", STAGE_AWARD, "award", T0 + 10);
                free(aw.release_id);
                aw.release_id = xstrdup("guid-g-1");
                mk(&up, "guid-g", "ocds-g", STAGE_AWARD, "awardUpdate", T0 + 20);
                free(up.release_id);
                up.release_id = xstrdup("guid-g-2");
                if (order == 0) {
                        assert_int_equal(put(s, &aw, &id1), STORE_NEW);
                        assert_int_equal(put(s, &up, &id2), STORE_UPDATED);
                } else {
                        assert_int_equal(put(s, &up, &id2), STORE_NEW);
                        assert_int_equal(put(s, &aw, &id1), STORE_UNCHANGED);
                }
                assert_true(id1 == id2);
                get(s, id1, &back);
                assert_true(back.amended);
                assert_string_equal(back.release_id, "guid-g-2");
                opportunity_done(&back);
                dumps[order] = dump(s);
                store_close(s);
                opportunity_done(&aw);
                opportunity_done(&up);
                free(dir);
        }
        assert_string_equal(dumps[0], dumps[1]);
        free(dumps[0]);
        free(dumps[1]);
}

static void
t_cancellation(void **state)
{
        struct fx *f = *state;
        struct opportunity t, c, t2, c2;
        int64_t tid, cid, t2id;

        /* tender first, then the UK12 */
        mk(&t, "t1", "ocds-x", STAGE_TENDER, "UK4", T0);
        mk(&c, "c1", "ocds-x", STAGE_TENDER, "UK12", T0 + 100);
        c.status = STATUS_CANCELLED;
        assert_int_equal(put(f->s, &t, &tid), STORE_NEW);
        assert_int_equal(put(f->s, &c, &cid), STORE_NEW);
        assert_true(cid != tid);
        check_status(f->s, tid, STATUS_CANCELLED);
        check_status(f->s, cid, STATUS_CANCELLED);

        /* cancellation first, then the tender */
        mk(&t2, "t2", "ocds-z", STAGE_TENDER, "UK4", T0);
        mk(&c2, "c2", "ocds-z", STAGE_PLANNING, "UK12", T0 + 100);
        c2.status = STATUS_CANCELLED;
        assert_int_equal(put(f->s, &c2, NULL), STORE_NEW);
        assert_int_equal(put(f->s, &t2, &t2id), STORE_NEW);
        check_status(f->s, t2id, STATUS_CANCELLED);

        /* a cancellation later withdrawn (newer release, not cancelled)
         * reopens the tender: closure follows the stored notices */
        c2.updated = T0 + 200;
        c2.status = STATUS_ACTIVE;
        assert_int_equal(put(f->s, &c2, NULL), STORE_UPDATED);
        check_status(f->s, t2id, STATUS_ACTIVE);
        opportunity_done(&t);
        opportunity_done(&c);
        opportunity_done(&t2);
        opportunity_done(&c2);
}

/* A cancellation notice is never the row an amendment folds into. */
static void
t_cancellation_not_fold_target(void **state)
{
        struct fx *f = *state;
        struct opportunity t, a, c, back;
        int64_t tid, aid, cid;

        mk(&t, "t1", "ocds-x", STAGE_TENDER, "UK4", T0);
        mk(&a, "a2", "ocds-x", STAGE_TENDER, "tenderAmendment", T0 + 100);
        mk(&c, "c3", "ocds-x", STAGE_TENDER, "UK12", T0 + 200);
        c.status = STATUS_CANCELLED;
        /* newest first */
        assert_int_equal(put(f->s, &c, &cid), STORE_NEW);
        assert_int_equal(put(f->s, &a, &aid), STORE_NEW);
        assert_true(aid != cid);
        assert_int_equal(put(f->s, &t, &tid), STORE_UNCHANGED);
        assert_true(tid == aid);
        assert_int_equal(count(f->s), 2);
        get(f->s, cid, &back);
        assert_string_equal(back.title, "title of c3");
        assert_int_equal(back.status, STATUS_CANCELLED);
        opportunity_done(&back);
        get(f->s, tid, &back);
        assert_string_equal(back.notice_id, "t1");
        assert_string_equal(back.title, "title of a2");
        assert_int_equal(back.status, STATUS_CANCELLED);
        opportunity_done(&back);
        opportunity_done(&t);
        opportunity_done(&a);
        opportunity_done(&c);
}

/* ---- transactions ---------------------------------------------------------- */

static void
t_rollback_keeps_committed(void **state)
{
        struct fx *f = *state;
        struct opportunity a, b, bad;
        struct err err = { 0 };
        int64_t aid;

        mk(&a, "a", "ocds-a", STAGE_TENDER, "UK4", T0);
        mk(&b, "b", "ocds-b", STAGE_TENDER, "UK4", T0);
        opportunity_init(&bad);
        bad.source = xstrdup("fts");            /* no notice id */

        assert_int_equal(store_begin(f->s, &err), 0);
        assert_int_equal(put(f->s, &a, &aid), STORE_NEW);
        assert_int_equal(store_commit(f->s, &err), 0);

        assert_int_equal(store_begin(f->s, &err), 0);
        assert_int_equal(put(f->s, &b, NULL), STORE_NEW);
        assert_int_equal(store_put(f->s, &bad, NULL, NULL, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "without id"));
        a.updated = T0 + 50;
        assert_int_equal(put(f->s, &a, NULL), STORE_UPDATED);
        assert_int_equal(count(f->s), 2);
        assert_int_equal(store_rollback(f->s), 0);

        assert_int_equal(count(f->s), 1);
        struct opportunity back;
        get(f->s, aid, &back);
        assert_false(back.amended);
        assert_true(back.updated == T0);
        opportunity_done(&back);
        assert_int_equal(store_rollback(f->s), 0);      /* nothing open: quiet */

        /* A commit without begin is an error that names the operation. */
        assert_true(store_commit(f->s, &err) < 0);
        assert_non_null(strstr(err.msg, "commit"));

        /* After a close without commit, the open transaction is gone too. */
        assert_int_equal(store_begin(f->s, &err), 0);
        assert_int_equal(put(f->s, &b, NULL), STORE_NEW);
        f->s = store_close(f->s);
        assert_int_equal(store_open(f->state, &f->s, &err), 0);
        assert_int_equal(count(f->s), 1);
        opportunity_done(&a);
        opportunity_done(&b);
        opportunity_done(&bad);
}

/* A failing statement inside a batch undoes that one put, not the batch. */
static void
t_failed_put_in_batch(void **state)
{
        struct fx *f = *state;
        struct opportunity a, b;
        struct err err = { 0 };

        mk(&a, "a", "ocds-a", STAGE_TENDER, "UK4", T0);
        mk(&b, "b", "ocds-b", STAGE_TENDER, "UK4", T0);
        assert_int_equal(store_begin(f->s, &err), 0);
        assert_int_equal(put(f->s, &a, NULL), STORE_NEW);
        /* make the next insert fail inside SQLite */
        assert_int_equal(sqlite3_exec(store_db(f->s),
                         "CREATE TEMP TRIGGER no_b BEFORE INSERT ON opportunity"
                         " WHEN NEW.notice_id = 'b' BEGIN SELECT RAISE(ABORT, 'no b'); END",
                         NULL, NULL, NULL), SQLITE_OK);
        memset(&err, 0, sizeof(err));
        assert_true(store_put(f->s, &b, NULL, NULL, &err) < 0);
        assert_non_null(strstr(err.msg, "insert notice fts/b"));
        assert_non_null(strstr(err.msg, "no b"));
        assert_int_equal(store_commit(f->s, &err), 0);
        assert_int_equal(count(f->s), 1);
        opportunity_done(&a);
        opportunity_done(&b);
}

/* ---- source state ------------------------------------------------------------ */

static void
t_source_state(void **state)
{
        struct fx *f = *state;
        struct source_state st, back;
        struct err err = { 0 };

        assert_int_equal(store_source_get(f->s, "fts", &back, &err), 0);
        assert_true(back.watermark == TIME_UNKNOWN);
        assert_true(back.next_attempt == TIME_UNKNOWN);
        assert_true(back.last_success == TIME_UNKNOWN);
        assert_int_equal(back.failures, 0);
        assert_null(back.etag);
        assert_null(back.last_modified);
        assert_null(back.last_error);
        source_state_done(&back);

        source_state_init(&st);
        st.watermark = T0;
        st.etag = xstrdup("W/\"abc\"");
        st.last_modified = xstrdup("Thu, 23 Jan 2025 18:30:29 GMT");
        st.failures = 3;
        st.next_attempt = T0 + 600;
        st.last_error = xstrdup("HTTP 429 Too Many Requests");
        st.last_success = T0 - 60;
        assert_int_equal(store_source_put(f->s, "fts", &st, &err), 0);
        assert_int_equal(store_source_get(f->s, "fts", &back, &err), 0);
        assert_true(back.watermark == T0);
        assert_string_equal(back.etag, st.etag);
        assert_string_equal(back.last_modified, st.last_modified);
        assert_int_equal(back.failures, 3);
        assert_true(back.next_attempt == T0 + 600);
        assert_string_equal(back.last_error, st.last_error);
        assert_true(back.last_success == T0 - 60);
        source_state_done(&back);

        /* overwrite: a success clears the error */
        free(st.last_error);
        st.last_error = NULL;
        st.failures = 0;
        st.watermark = T0 + 3600;
        assert_int_equal(store_source_put(f->s, "fts", &st, &err), 0);
        assert_int_equal(store_source_get(f->s, "fts", &back, &err), 0);
        assert_null(back.last_error);
        assert_true(back.watermark == T0 + 3600);
        source_state_done(&back);
        assert_int_equal(store_source_get(f->s, "cf", &back, &err), 0);
        assert_true(back.watermark == TIME_UNKNOWN);
        source_state_done(&back);
        assert_int_equal(store_source_put(f->s, "", &st, &err), -EINVAL);
        source_state_done(&st);
}

static void
t_meta(void **state)
{
        struct fx *f = *state;
        struct err err = { 0 };
        char *v = (char *)"x";

        assert_int_equal(store_meta_get(f->s, "last_match", &v, &err), 0);
        assert_null(v);
        assert_int_equal(store_meta_put(f->s, "last_match", "2025-01-23T00:00:00Z", &err), 0);
        assert_int_equal(store_meta_get(f->s, "last_match", &v, &err), 0);
        assert_string_equal(v, "2025-01-23T00:00:00Z");
        free(v);
        assert_int_equal(store_meta_put(f->s, "last_match", "later", &err), 0);
        assert_int_equal(store_meta_get(f->s, "last_match", &v, &err), 0);
        assert_string_equal(v, "later");
        free(v);
}

/* ---- iteration --------------------------------------------------------------- */

struct collect {
        struct strv ids;
        int stop_after;
        bool raw_seen;
        struct store *s;
        int nested;
};

static int
collect_cb(const struct opportunity *o, void *arg)
{
        struct collect *c = arg;

        strv_add(&c->ids, o->notice_id);
        if (o->raw != NULL)
                c->raw_seen = true;
        if (c->stop_after && (int)c->ids.n == c->stop_after)
                return 42;
        return 0;
}

static char *
each_ids(struct store *s, const struct store_query *q, bool *raw_seen)
{
        struct collect c = { .stop_after = 0 };
        struct err err = { 0 };
        struct buf b;

        strv_init(&c.ids);
        assert_int_equal(store_each(s, q, collect_cb, &c, &err), 0);
        buf_init(&b);
        for (size_t i = 0; i < c.ids.n; i++)
                buf_printf(&b, "%s%s", i ? " " : "", c.ids.v[i]);
        strv_done(&c.ids);
        if (raw_seen)
                *raw_seen = c.raw_seen;
        return buf_steal(&b);
}

static void
t_each_order_and_filters(void **state)
{
        struct fx *f = *state;
        struct opportunity o;
        struct store_query q;
        bool raw;
        char *got;
        static const struct {
                const char *nid, *source;
                enum opp_stage stage;
                int64_t deadline, updated;
        } rows[] = {
                { "n-none1", "fts", STAGE_TENDER, TIME_UNKNOWN, T0 },
                { "n-late", "fts", STAGE_TENDER, T0 + 300, T0 + 10 },
                { "n-early", "cf", STAGE_TENDER, T0 + 100, T0 + 20 },
                { "n-plan", "fts", STAGE_PLANNING, T0 + 200, T0 + 30 },
                { "n-none2", "cf", STAGE_TENDER, TIME_UNKNOWN, TIME_UNKNOWN },
                { "n-tie", "cf", STAGE_AWARD, T0 + 100, T0 + 40 },
        };

        for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
                char ocid[32];

                snprintf(ocid, sizeof(ocid), "ocds-e%zu", i);
                mk(&o, rows[i].nid, ocid, rows[i].stage, "x", rows[i].updated);
                free(o.source);
                o.source = xstrdup(rows[i].source);
                o.deadline = rows[i].deadline;
                store_set_now(f->s, T0 + (int64_t)i * 1000);
                assert_int_equal(put(f->s, &o, NULL), STORE_NEW);
                opportunity_done(&o);
        }

        got = each_ids(f->s, NULL, &raw);
        assert_string_equal(got, "n-early n-tie n-plan n-late n-none1 n-none2");
        assert_true(raw);
        free(got);

        store_query_init(&q);
        q.source = "cf";
        got = each_ids(f->s, &q, NULL);
        assert_string_equal(got, "n-early n-tie n-none2");
        free(got);

        store_query_init(&q);
        q.tender_stage_only = true;
        q.skip_raw = true;
        got = each_ids(f->s, &q, &raw);
        assert_string_equal(got, "n-early n-late n-none1 n-none2");
        assert_false(raw);
        free(got);

        store_query_init(&q);
        q.updated_since = T0 + 20;
        got = each_ids(f->s, &q, NULL);
        assert_string_equal(got, "n-early n-tie n-plan");
        free(got);

        store_query_init(&q);
        q.changed_since = T0 + 3000;
        got = each_ids(f->s, &q, NULL);
        assert_string_equal(got, "n-tie n-plan n-none2");
        free(got);

        /* a zeroed query is "everything" */
        memset(&q, 0, sizeof(q));
        got = each_ids(f->s, &q, NULL);
        assert_string_equal(got, "n-early n-tie n-plan n-late n-none1 n-none2");
        free(got);

        /* the callback stops the iteration with its own value */
        struct collect c = { .stop_after = 2 };
        struct err err = { 0 };
        strv_init(&c.ids);
        assert_int_equal(store_each(f->s, NULL, collect_cb, &c, &err), 42);
        assert_int_equal(c.ids.n, 2);
        strv_done(&c.ids);
        /* and the statement is usable again */
        got = each_ids(f->s, NULL, NULL);
        assert_string_equal(got, "n-early n-tie n-plan n-late n-none1 n-none2");
        free(got);
}

static int
nested_cb(const struct opportunity *o, void *arg)
{
        struct collect *c = arg;
        struct err err = { 0 };
        struct opportunity back;
        char *inner;

        (void)o;
        inner = each_ids(c->s, NULL, NULL);
        assert_string_equal(inner, "a b");
        free(inner);
        opportunity_init(&back);
        assert_int_equal(store_get(c->s, o->id, &back, &err), 0);
        assert_string_equal(back.notice_id, o->notice_id);
        opportunity_done(&back);
        c->nested++;
        return 0;
}

static void
t_each_nested(void **state)
{
        struct fx *f = *state;
        struct opportunity a, b;
        struct collect c = { .s = f->s };
        struct err err = { 0 };

        mk(&a, "a", "ocds-a", STAGE_TENDER, "UK4", T0);
        mk(&b, "b", "ocds-b", STAGE_TENDER, "UK4", T0);
        b.deadline = a.deadline + 1;
        assert_int_equal(put(f->s, &a, NULL), STORE_NEW);
        assert_int_equal(put(f->s, &b, NULL), STORE_NEW);
        assert_int_equal(store_each(f->s, NULL, nested_cb, &c, &err), 0);
        assert_int_equal(c.nested, 2);
        opportunity_done(&a);
        opportunity_done(&b);
}

/* ---- read-only, bad files ---------------------------------------------------- */

static void
t_readonly(void **state)
{
        struct fx *f = *state;
        struct opportunity o, back;
        struct store *ro = NULL;
        struct err err = { 0 };
        int64_t id;
        char *missing = xasprintf("%s/nowhere", f->dir);

        assert_int_equal(store_open_readonly(missing, &ro, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "nowhere"));
        assert_null(ro);
        free(missing);

        mk(&o, "a", "ocds-a", STAGE_TENDER, "UK4", T0);
        assert_int_equal(put(f->s, &o, &id), STORE_NEW);
        /* the writer stays open (WAL: readers and a writer side by side) */
        assert_int_equal(store_open_readonly(f->state, &ro, &err), 0);
        get(ro, id, &back);
        assert_opp_equal(&o, &back);
        opportunity_done(&back);
        o.updated++;
        memset(&err, 0, sizeof(err));
        assert_true(store_put(ro, &o, NULL, NULL, &err) < 0);
        assert_true(err.msg[0] != '\0');
        store_close(ro);

        /* and with no writer around */
        f->s = store_close(f->s);
        assert_int_equal(store_open_readonly(f->state, &ro, &err), 0);
        assert_int_equal(count(ro), 1);
        store_close(ro);
        opportunity_done(&o);
}

static void
write_file(const char *path, const void *data, size_t len)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, len), (ssize_t)len);
        close(fd);
}

static void
t_corrupt_file(void **state)
{
        struct fx *f = *state;
        struct store *s = NULL;
        struct err err = { 0 };
        char *dir = xasprintf("%s/bad", f->dir);
        char *path = xasprintf("%s/" STORE_DB_NAME, dir);
        char junk[8192];

        assert_int_equal(mkdir(dir, 0750), 0);
        for (size_t i = 0; i < sizeof(junk); i++)
                junk[i] = (char)(i * 7 + 3);
        write_file(path, junk, sizeof(junk));
        assert_true(store_open(dir, &s, &err) < 0);
        assert_null(s);
        assert_non_null(strstr(err.msg, path));
        assert_non_null(strstr(err.msg, "not a database"));
        memset(&err, 0, sizeof(err));
        assert_true(store_open_readonly(dir, &s, &err) < 0);
        assert_non_null(strstr(err.msg, "not a database"));

        /* a text file */
        write_file(path, "hello\n", 6);
        assert_true(store_open(dir, &s, &err) < 0);
        assert_non_null(strstr(err.msg, "not a database"));

        /* somebody else's SQLite database */
        unlink(path);
        sqlite3 *db;
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
        assert_true(store_open(dir, &s, &err) < 0);
        assert_non_null(strstr(err.msg, "not a bidbroker database"));

        /* ours, but from a newer bidbroker */
        unlink(path);
        assert_int_equal(store_open(dir, &s, &err), 0);
        assert_int_equal(sqlite3_exec(store_db(s), "PRAGMA user_version = 9999", NULL, NULL,
                                      NULL), SQLITE_OK);
        s = store_close(s);
        assert_true(store_open(dir, &s, &err) < 0);
        assert_non_null(strstr(err.msg, "newer"));

        /* state "directory" that is a file */
        char *file = xasprintf("%s/afile", f->dir);
        write_file(file, "x", 1);
        assert_int_equal(store_open(file, &s, &err), -ENOTDIR);
        free(file);
        free(dir);
        free(path);
}

/* A database damaged in the middle: errors, never a crash. */
static void
t_damaged_pages(void **state)
{
        struct fx *f = *state;
        struct opportunity o;
        struct err err = { 0 };
        char *path = xasprintf("%s/" STORE_DB_NAME, f->state);
        struct stat sb;
        int fd, r;

        for (int i = 0; i < 300; i++) {
                char nid[16];

                snprintf(nid, sizeof(nid), "n%d", i);
                mk(&o, nid, nid, STAGE_TENDER, "UK4", T0 + i);
                free(o.description);
                o.description = xmalloc(2001);
                memset(o.description, 'd', 2000);
                o.description[2000] = '\0';
                assert_int_equal(put(f->s, &o, NULL), STORE_NEW);
                opportunity_done(&o);
        }
        f->s = store_close(f->s);               /* checkpoints the WAL */
        assert_int_equal(stat(path, &sb), 0);
        assert_true(sb.st_size > 64 * 1024);
        /* overwrite pages 3.. with garbage, keep the header page */
        fd = open(path, O_WRONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        char junk[4096];
        memset(junk, 0x5a, sizeof(junk));
        for (off_t off = 2 * 4096; off < sb.st_size; off += 4096)
                assert_int_equal(pwrite(fd, junk, sizeof(junk), off), (ssize_t)sizeof(junk));
        close(fd);

        r = store_open(f->state, &f->s, &err);
        if (r == 0) {
                r = store_each(f->s, NULL, collect_cb, &(struct collect){ 0 }, &err);
                /* collect_cb leaks its strv on this path only if rows come back;
                 * they cannot: the table pages are garbage */
                assert_true(r < 0);
        }
        assert_true(err.msg[0] != '\0');
        assert_non_null(strstr(err.msg, "store: "));
        free(path);
}

static void
t_invalid_put(void **state)
{
        struct fx *f = *state;
        struct opportunity o;
        struct err err = { 0 };

        opportunity_init(&o);
        o.notice_id = xstrdup("x");
        assert_int_equal(store_put(f->s, &o, NULL, NULL, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "without source"));
        opportunity_done(&o);
        assert_int_equal(count(f->s), 0);
}

/* Several processes opening the same new state directory at once (the
 * daemon starting while staff run `bidbroker list`) all succeed: schema
 * creation and the switch to WAL are race-free. */
static void
t_concurrent_first_open(void **state)
{
        struct fx *f = *state;
        enum { NPROC = 8, ROUNDS = 15 };

        for (int round = 0; round < ROUNDS; round++) {
                char *dir = xasprintf("%s/race%d", f->dir, round);
                pid_t pids[NPROC];

                for (int i = 0; i < NPROC; i++) {
                        pids[i] = fork();
                        assert_true(pids[i] >= 0);
                        if (pids[i] == 0) {
                                struct store *s = NULL;
                                struct err err = { 0 };
                                int r = store_open(dir, &s, &err);

                                if (r < 0)
                                        fprintf(stderr, "child %d: %s\n", i, err.msg);
                                store_close(s);
                                _exit(r < 0 ? 1 : 0);
                        }
                }
                for (int i = 0; i < NPROC; i++) {
                        int st = 0;

                        assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
                        assert_true(WIFEXITED(st));
                        assert_int_equal(WEXITSTATUS(st), 0);
                }
                free(dir);
        }
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
                T(t_migrate_and_reopen),
                T(t_digest_item_by_opportunity),
                T(t_roundtrip_full),
                T(t_roundtrip_unknowns),
                T(t_huge_and_odd_strings),
                T(t_reput_unchanged),
                T(t_newer_release_updates),
                T(t_older_release_ignored),
                T(t_amendment_folds_by_ocid),
                T(t_amendment_before_tender),
                T(t_stable_notice_ids_not_folded),
                T(t_award_closes_tender),
                T(t_award_before_tender),
                T(t_award_update_either_order),
                T(t_cancellation),
                T(t_cancellation_not_fold_target),
                T(t_rollback_keeps_committed),
                T(t_failed_put_in_batch),
                T(t_source_state),
                T(t_meta),
                T(t_each_order_and_filters),
                T(t_each_nested),
                T(t_readonly),
                T(t_corrupt_file),
                T(t_damaged_pages),
                T(t_invalid_put),
                T(t_concurrent_first_open),
#undef T
        };

        umask(022);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
