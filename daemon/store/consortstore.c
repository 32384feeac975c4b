/*
 * consortstore.c — stored consortium suggestions (consortstore.h; written by
 * the match pass through consortstore_int.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/consortstore.h"
#include "bidbroker/err.h"
#include "bidbroker/json.h"
#include "bidbroker/members.h"
#include "bidbroker/store.h"
#include "bidbroker/util.h"

#include "consortstore_int.h"
#include "db.h"

static const char *const sql[ST__N] = {
        [ST_CONSORT_FRESH] = "SELECT fingerprint = ?2 FROM consortium"
                             " WHERE opportunity_id = ?1 AND status = 'active'",
        [ST_CONSORT_PUT] = "INSERT INTO consortium (opportunity_id, verdict, doc, content_hash,"
                           " fingerprint, status, withdrawn_reason, computed, updated)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, 'active', NULL, ?6, ?6)"
                           " ON CONFLICT (opportunity_id) DO UPDATE SET"
                           " computed = CASE WHEN doc IS NOT excluded.doc OR status IS NOT"
                           "  'active' THEN excluded.computed ELSE computed END,"
                           " verdict = excluded.verdict, doc = excluded.doc,"
                           " content_hash = excluded.content_hash,"
                           " fingerprint = excluded.fingerprint, status = 'active',"
                           " withdrawn_reason = NULL, updated = excluded.updated",
        [ST_CONSORT_WITHDRAW] = "UPDATE consortium SET status = 'withdrawn', withdrawn_reason = ?2,"
                                " updated = ?3 WHERE opportunity_id = ?1 AND status = 'active'",
        [ST_CONSORT_MEM_DEL] = "DELETE FROM consortium_member WHERE opportunity_id = ?1",
        [ST_CONSORT_MEM_PUT] = "INSERT OR IGNORE INTO consortium_member (opportunity_id, rank,"
                               " member_id, role) VALUES (?1, ?2, ?3, ?4)",
        [ST_CONSORT_FIRST] = "SELECT m.member_id, m.role FROM consortium_member m"
                             " JOIN consortium c ON c.opportunity_id = m.opportunity_id"
                             " JOIN opportunity d ON d.id = m.opportunity_id"
                             " WHERE m.opportunity_id = ?1 AND m.rank = 1 AND c.status = 'active'"
                             " AND (d.deadline IS NULL OR d.deadline > ?2)",
        [ST_CONSORT_PROPOSED] = "INSERT INTO consortium_proposed (member_id, count, updated)"
                                " VALUES (?1, ?2, ?3) ON CONFLICT (member_id) DO UPDATE SET"
                                " count = excluded.count, updated = excluded.updated",
};

static int
start(struct store *s, enum stmt_id id, struct binder *b, struct err *err, const char *op)
{
        int rc = db_stmt(s, id, sql[id], &b->st, err, op);

        b->rc = SQLITE_OK;
        return rc;
}

static int
has_table(struct store *s, bool *ret, struct err *err, const char *op)
{
        int64_t n = 0;
        int rc = db_query_int(s, "SELECT count(*) FROM sqlite_schema"
                              " WHERE type = 'table' AND name = 'consortium'", &n, err, op);

        *ret = n > 0;
        return rc < 0 ? rc : 0;
}

/* ---- written by the match pass ------------------------------------------------ */

int
consortstore_fresh(struct store *s, int64_t opp, const char *fp, bool *fresh, struct err *err)
{
        static const char op[] = "read a stored consortium";
        struct binder b;
        int rc;

        *fresh = false;
        if ((rc = start(s, ST_CONSORT_FRESH, &b, err, op)) < 0)
                return rc;
        bind_int(&b, 1, opp);
        bind_str(&b, 2, fp);
        if ((rc = db_bound(s, &b, err, op)) < 0)
                return rc;
        rc = sqlite3_step(b.st);
        if (rc == SQLITE_ROW)
                *fresh = sqlite3_column_int(b.st, 0) == 1;
        db_reset(b.st);
        return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_err(s, rc, err, op);
}

static int
clear_members(struct store *s, int64_t opp, struct err *err)
{
        static const char op[] = "clear a consortium's members";
        struct binder b;
        int rc;

        if ((rc = start(s, ST_CONSORT_MEM_DEL, &b, err, op)) < 0)
                return rc;
        bind_int(&b, 1, opp);
        return db_run(s, &b, err, op);
}

static int
put_members(struct store *s, int64_t opp, const json_t *doc, struct err *err)
{
        static const char op[] = "store a consortium's members";
        const json_t *set, *id;
        size_t i, k;
        int rc = clear_members(s, opp, err);

        json_array_foreach(json_object_get(doc, "consortia"), i, set) {
                const json_t *ids = json_object_get(set, "members");
                const char *lead = json_string_value(json_object_get(set, "lead"));

                /* a single member only as the first proposal (fairness) */
                if (json_array_size(ids) < 2 && i > 0)
                        continue;
                json_array_foreach(ids, k, id) {
                        struct binder b;

                        if (rc < 0 || (rc = start(s, ST_CONSORT_MEM_PUT, &b, err, op)) < 0)
                                return rc;
                        bind_int(&b, 1, opp);
                        bind_int(&b, 2, (int64_t)i + 1);
                        bind_str(&b, 3, json_string_value(id));
                        bind_str(&b, 4, json_array_size(ids) < 2 ? "single"
                                        : lead && strcmp(lead, json_string_value(id)) == 0
                                        ? "lead" : "partner");
                        if ((rc = db_run(s, &b, err, op)) < 0)
                                return rc;
                }
        }
        return rc;
}

int
consortstore_put(struct store *s, int64_t opp, const char *hash, const char *fp,
                 const json_t *doc, int64_t now, struct err *err)
{
        static const char op[] = "store a consortium suggestion";
        char *text = json_dumps(doc, JSON_DUMP_FLAGS | JSON_SORT_KEYS);
        struct binder b;
        int rc;

        if ((rc = start(s, ST_CONSORT_PUT, &b, err, op)) == 0) {
                bind_int(&b, 1, opp);
                bind_str(&b, 2, json_string_value(json_object_get(doc, "verdict")));
                bind_str(&b, 3, text);
                bind_str(&b, 4, hash);
                bind_str(&b, 5, fp);
                bind_int(&b, 6, now);
                rc = db_run(s, &b, err, op);
        }
        free(text);
        return rc < 0 ? rc : put_members(s, opp, doc, err);
}

int
consortstore_withdraw(struct store *s, int64_t opp, const char *why, int64_t now,
                      struct err *err)
{
        static const char op[] = "withdraw a consortium suggestion";
        struct binder b;
        int rc;

        if ((rc = start(s, ST_CONSORT_WITHDRAW, &b, err, op)) < 0)
                return rc;
        bind_int(&b, 1, opp);
        bind_str(&b, 2, why);
        bind_int(&b, 3, now);
        if ((rc = db_run(s, &b, err, op)) < 0)
                return rc;
        return clear_members(s, opp, err);
}

int
consortstore_withdraw_duplicates(struct store *s, int64_t now, struct err *err)
{
        static const char op[] = "withdraw consortia of duplicates";
        sqlite3_stmt *st = NULL;
        struct { int64_t opp, canonical; } *w = NULL;
        size_t n = 0;
        int rc;

        rc = sqlite3_prepare_v2(s->db, "SELECT c.opportunity_id, l.canonical_id FROM link l"
                                " JOIN consortium c ON c.opportunity_id = l.opportunity_id"
                                " WHERE c.status = 'active'", -1, &st, NULL);
        if (rc != SQLITE_OK)
                return db_err(s, rc, err, op);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                w = xreallocarray(w, n + 1, sizeof(*w));
                w[n].opp = sqlite3_column_int64(st, 0);
                w[n++].canonical = sqlite3_column_int64(st, 1);
        }
        sqlite3_finalize(st);
        rc = rc == SQLITE_DONE ? 0 : db_err(s, rc, err, op);
        for (size_t i = 0; rc == 0 && i < n; i++) {
                char why[64];

                snprintf(why, sizeof(why), "same tender as %lld", (long long)w[i].canonical);
                rc = consortstore_withdraw(s, w[i].opp, why, now, err);
        }
        free(w);
        return rc;
}

/* ---- read ------------------------------------------------------------------------- */

static const char cols[] = "c.opportunity_id, c.verdict, c.doc, c.content_hash, c.fingerprint,"
                           " c.status, c.withdrawn_reason, c.computed, c.updated";

static void
row_of(sqlite3_stmt *st, struct stored_consortia *c)
{
        *c = (struct stored_consortia){
                .opportunity_id = sqlite3_column_int64(st, 0),
                .verdict = (const char *)sqlite3_column_text(st, 1),
                .doc = (const char *)sqlite3_column_text(st, 2),
                .content_hash = (const char *)sqlite3_column_text(st, 3),
                .fingerprint = (const char *)sqlite3_column_text(st, 4),
                .status = (const char *)sqlite3_column_text(st, 5),
                .withdrawn_reason = (const char *)sqlite3_column_text(st, 6),
                .computed = sqlite3_column_int64(st, 7),
                .updated = sqlite3_column_int64(st, 8),
        };
}

int
consortstore_get(struct store *s, int64_t opp, consortstore_fn fn, void *arg, struct err *err)
{
        static const char op[] = "read a stored consortium";
        sqlite3_stmt *st = NULL;
        struct binder b;
        bool table;
        char *q;
        int rc, r;

        if ((r = has_table(s, &table, err, op)) < 0)
                return r;
        if (!table)
                return -ENOENT;
        q = xasprintf("SELECT %s FROM consortium c WHERE c.opportunity_id = ?1", cols);
        rc = sqlite3_prepare_v2(s->db, q, -1, &st, NULL);
        free(q);
        if (rc != SQLITE_OK)
                return db_err(s, rc, err, op);
        b = binder_of(st);
        bind_int(&b, 1, opp);
        if ((r = db_bound(s, &b, err, op)) < 0)
                goto out;
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                struct stored_consortia c;

                row_of(st, &c);
                r = fn(&c, arg);
        } else {
                r = rc == SQLITE_DONE ? -ENOENT : db_err(s, rc, err, op);
        }
out:
        sqlite3_finalize(st);
        return r;
}

int
consortstore_member_each(struct store *s, const char *member, bool open_only, int64_t now,
                         consortstore_member_fn fn, void *arg, struct err *err)
{
        static const char op[] = "list a member's consortia";
        sqlite3_stmt *st = NULL;
        struct binder b;
        bool table;
        char *q;
        int rc, r;

        if ((r = has_table(s, &table, err, op)) < 0 || !table)
                return r;
        q = xasprintf("SELECT %s, m.rank, m.role FROM consortium_member m"
                      " JOIN consortium c ON c.opportunity_id = m.opportunity_id"
                      " JOIN opportunity d ON d.id = m.opportunity_id"
                      " WHERE m.member_id = ?1 AND c.status = 'active' AND m.role <> 'single'"
                      " AND (NOT ?2 OR d.deadline IS NULL OR d.deadline > ?3)"
                      " ORDER BY m.opportunity_id, m.rank", cols);
        rc = sqlite3_prepare_v2(s->db, q, -1, &st, NULL);
        free(q);
        if (rc != SQLITE_OK)
                return db_err(s, rc, err, op);
        b = binder_of(st);
        bind_str(&b, 1, member);
        bind_int(&b, 2, open_only);
        bind_int(&b, 3, now);
        if ((r = db_bound(s, &b, err, op)) < 0)
                goto out;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct stored_consortia c;

                row_of(st, &c);
                r = fn(&c, (unsigned)sqlite3_column_int(st, 9),
                       (const char *)sqlite3_column_text(st, 10), arg);
                if (r != 0)
                        break;
        }
        if (r == 0 && rc != SQLITE_DONE)
                r = db_err(s, rc, err, op);
out:
        sqlite3_finalize(st);
        return r;
}

/* ---- fairness ---------------------------------------------------------------------- */

int
consortstore_first(struct store *s, int64_t opp, int64_t now,
                   void (*fn)(const char *member, bool single, void *arg), void *arg,
                   struct err *err)
{
        static const char op[] = "read a consortium's first set";
        struct binder b;
        int rc;

        if ((rc = start(s, ST_CONSORT_FIRST, &b, err, op)) < 0)
                return rc;
        bind_int(&b, 1, opp);
        bind_int(&b, 2, now);
        if ((rc = db_bound(s, &b, err, op)) < 0)
                return rc;
        while ((rc = sqlite3_step(b.st)) == SQLITE_ROW)
                fn((const char *)sqlite3_column_text(b.st, 0),
                   col_is(b.st, 1, "single"), arg);
        db_reset(b.st);
        return rc == SQLITE_DONE ? 0 : db_err(s, rc, err, op);
}

int
consortstore_proposed(struct store *s, const char *member, double count, int64_t now,
                      struct err *err)
{
        static const char op[] = "count a member's proposals";
        struct binder b;
        int rc;

        if ((rc = start(s, ST_CONSORT_PROPOSED, &b, err, op)) < 0)
                return rc;
        bind_str(&b, 1, member);
        bind_int(&b, 2, (int64_t)count);
        bind_int(&b, 3, now);
        return db_run(s, &b, err, op);
}

static long
member_index(const struct member_register *reg, const char *id)
{
        const struct member *m = members_find(reg, id);

        return m ? (long)(m - reg->members) : -1;
}

int
consortstore_load(struct store *s, const struct member_register *reg, int64_t now,
                  double *proposed, long *open, struct err *err)
{
        static const char op[] = "read the members' consortium load";
        static const char *const q[2] = {
                "SELECT member_id, count FROM consortium_proposed",
                "SELECT m.member_id, count(*) FROM consortium_member m"
                " JOIN consortium c ON c.opportunity_id = m.opportunity_id"
                " JOIN opportunity d ON d.id = m.opportunity_id"
                " WHERE m.rank = 1 AND m.role <> 'single' AND c.status = 'active'"
                " AND (d.deadline IS NULL OR d.deadline > ?1) GROUP BY m.member_id",
        };
        int64_t n = 0;
        int rc;

        for (size_t i = 0; i < reg->n; i++) {
                proposed[i] = 0;
                open[i] = 0;
        }
        rc = db_query_int(s, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
                          " AND name IN ('consortium', 'consortium_proposed')", &n, err, op);
        if (rc < 0 || n < 2)
                return rc < 0 ? rc : 0;
        for (int k = 0; k < 2; k++) {
                sqlite3_stmt *st = NULL;

                rc = sqlite3_prepare_v2(s->db, q[k], -1, &st, NULL);
                if (rc != SQLITE_OK)
                        return db_err(s, rc, err, op);
                sqlite3_bind_int64(st, 1, now);
                while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                        long i = member_index(reg, (const char *)sqlite3_column_text(st, 0));

                        if (i < 0)
                                continue;
                        if (k == 0)
                                proposed[i] = (double)sqlite3_column_int64(st, 1);
                        else
                                open[i] = (long)sqlite3_column_int64(st, 1);
                }
                sqlite3_finalize(st);
                if (rc != SQLITE_DONE)
                        return db_err(s, rc, err, op);
        }
        return 0;
}
