/* matchstore.c — stored matches and the matching pass (see matchstore.h). */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/engine.h"
#include "bidbroker/err.h"
#include "bidbroker/filter.h"
#include "bidbroker/matchstore.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/register.h"
#include "bidbroker/hash.h"
#include "bidbroker/store.h"
#include "bidbroker/util.h"

/* ---- content hash ------------------------------------------------------------ */

void
match_content_hash(const struct opportunity *o, char out[MATCH_HASH_LEN])
{
        struct hasher h;

        hasher_init(&h, "bidbroker/match-content/v1");
        hasher_str(&h, o->title);
        hasher_str(&h, o->description);
        hasher_str(&h, o->buyer_name);
        hasher_strv(&h, &o->lot_titles);
        hasher_strv(&h, &o->item_descriptions);
        hasher_strv(&h, &o->cpv);
        hasher_strv(&h, &o->regions);
        hasher_int(&h, o->anywhere);
        hasher_strv(&h, &o->postcodes);
        hasher_int(&h, o->value_stated);
        hasher_int(&h, o->value_max);
        hasher_int(&h, o->value_min);
        hasher_str(&h, o->currency);
        hasher_int(&h, o->suitable_sme);
        hasher_int(&h, o->suitable_vcse);
        hasher_hex(&h, out);
}

/* ---- reasons as JSON ------------------------------------------------------------ */

static json_t *
str_or_null(const char *s)
{
        return s ? json_string(s) : json_null();
}

json_t *
reasons_to_json(const struct reason *r, size_t n)
{
        json_t *a = json_array();

        for (size_t i = 0; i < n; i++) {
                json_t *o = json_object();

                json_object_set_new(o, "kind", json_string(reason_kind_name(r[i].kind)));
                json_object_set_new(o, "capability", str_or_null(r[i].capability));
                json_object_set_new(o, "rule", str_or_null(r[i].rule));
                json_object_set_new(o, "field", str_or_null(r[i].field));
                json_object_set_new(o, "matched", str_or_null(r[i].matched));
                json_object_set_new(o, "weight", json_real(r[i].weight));
                json_array_append_new(a, o);
        }
        return a;
}

/* ---- statements -------------------------------------------------------------------- */

enum {
        Q_RUN_GET, Q_RUN_PUT, Q_ROWS, Q_INSERT, Q_UPDATE, Q_WITHDRAW, Q__N
};

static const char *const q_sql[Q__N] = {
        [Q_RUN_GET] = "SELECT content_hash, fingerprint, eligible FROM match_run"
                      " WHERE opportunity_id = ?1",
        [Q_RUN_PUT] = "INSERT INTO match_run (opportunity_id, content_hash, fingerprint,"
                      " eligible, matched_at) VALUES (?1, ?2, ?3, ?4, ?5)"
                      " ON CONFLICT (opportunity_id) DO UPDATE SET"
                      " content_hash = excluded.content_hash,"
                      " fingerprint = excluded.fingerprint, eligible = excluded.eligible,"
                      " matched_at = excluded.matched_at",
        [Q_ROWS] = "SELECT member_id, score, reasons, content_hash, fingerprint, status"
                   " FROM match WHERE opportunity_id = ?1 AND kind = 'single'",
        [Q_INSERT] = "INSERT INTO match (opportunity_id, member_id, kind, score, reasons,"
                     " content_hash, fingerprint, status, withdrawn_reason, first_matched,"
                     " updated) VALUES (?1, ?2, 'single', ?3, ?4, ?5, ?6, 'active', NULL,"
                     " ?7, ?7)",
        [Q_UPDATE] = "UPDATE match SET"
                     " updated = CASE WHEN score IS NOT ?3 OR reasons IS NOT ?4"
                     "  OR status IS NOT 'active' THEN ?7 ELSE updated END,"
                     " score = ?3, reasons = ?4, content_hash = ?5, fingerprint = ?6,"
                     " status = 'active', withdrawn_reason = NULL"
                     " WHERE opportunity_id = ?1 AND member_id = ?2 AND kind = 'single'",
        [Q_WITHDRAW] = "UPDATE match SET status = 'withdrawn', withdrawn_reason = ?3,"
                       " updated = ?4 WHERE opportunity_id = ?1 AND member_id = ?2"
                       " AND kind = 'single' AND status = 'active'",
};

struct run {
        sqlite3                 *db;
        sqlite3_stmt            *q[Q__N];
        const struct engine     *e;
        struct engine_scratch   *scratch;
        const char              *fingerprint;
        const struct filter     *f;
        int64_t                  now;
        struct match_counts     *c;
        struct err              *err;
};

static int
db_fail(struct run *r, const char *what)
{
        return err_set(r->err, -EIO, "match store: %s: %s", what, sqlite3_errmsg(r->db));
}

static void
q_done(sqlite3_stmt *s)
{
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
}

/* Run a statement that returns no rows. */
static int
q_exec(struct run *r, int which, const char *what)
{
        int rc = sqlite3_step(r->q[which]);

        q_done(r->q[which]);
        return rc == SQLITE_DONE ? 0 : db_fail(r, what);
}

struct old_row {
        char   *member;
        double  score;
        char   *reasons;
        char   *hash, *fp;
        bool    active;
        bool    seen;
};

static char *
col_text(sqlite3_stmt *s, int i)
{
        const unsigned char *t = sqlite3_column_text(s, i);

        return t ? xstrdup((const char *)t) : NULL;
}

static int
load_rows(struct run *r, int64_t opp, struct old_row **ret, size_t *n)
{
        sqlite3_stmt *s = r->q[Q_ROWS];
        struct old_row *rows = NULL;
        int rc;

        *n = 0;
        sqlite3_bind_int64(s, 1, opp);
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
                struct old_row *o;

                rows = xreallocarray(rows, *n + 1, sizeof(*rows));
                o = &rows[(*n)++];
                o->member = col_text(s, 0);
                o->score = sqlite3_column_double(s, 1);
                o->reasons = col_text(s, 2);
                o->hash = col_text(s, 3);
                o->fp = col_text(s, 4);
                o->active = sqlite3_column_text(s, 5) &&
                            strcmp((const char *)sqlite3_column_text(s, 5), "active") == 0;
                o->seen = false;
        }
        q_done(s);
        *ret = rows;
        if (rc != SQLITE_DONE)
                return db_fail(r, "read matches");
        return 0;
}

static void
free_rows(struct old_row *rows, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(rows[i].member);
                free(rows[i].reasons);
                free(rows[i].hash);
                free(rows[i].fp);
        }
        free(rows);
}

static int
withdraw(struct run *r, int64_t opp, const char *member, const char *why)
{
        sqlite3_stmt *s = r->q[Q_WITHDRAW];

        sqlite3_bind_int64(s, 1, opp);
        sqlite3_bind_text(s, 2, member, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 3, why, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 4, r->now);
        return q_exec(r, Q_WITHDRAW, "withdraw a match");
}

/* Bring the rows of one evaluated opportunity in line with res. */
static int
sync_rows(struct run *r, int64_t opp, const char *hash, const struct match_result *res)
{
        struct old_row *rows = NULL;
        size_t nrows = 0;
        int rc;

        rc = load_rows(r, opp, &rows, &nrows);
        for (size_t i = 0; rc == 0 && i < res->nmatches; i++) {
                const struct member_match *mm = &res->matches[i];
                json_t *js = reasons_to_json(mm->reasons, mm->nreasons);
                char *reasons = json_dumps(js, JSON_COMPACT);
                struct old_row *old = NULL;
                int which;
                sqlite3_stmt *s;

                json_decref(js);
                for (size_t j = 0; j < nrows; j++)
                        if (strcmp(rows[j].member, mm->member->id) == 0)
                                old = &rows[j];
                if (old == NULL) {
                        which = Q_INSERT;
                        r->c->added++;
                } else {
                        old->seen = true;
                        which = Q_UPDATE;
                        if (!old->active)
                                r->c->added++;
                        else if (old->score != mm->score ||
                                 strcmp(old->reasons ? old->reasons : "", reasons) != 0)
                                r->c->changed++;
                        else
                                r->c->unchanged++;
                }
                s = r->q[which];
                sqlite3_bind_int64(s, 1, opp);
                sqlite3_bind_text(s, 2, mm->member->id, -1, SQLITE_TRANSIENT);
                sqlite3_bind_double(s, 3, mm->score);
                sqlite3_bind_text(s, 4, reasons, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(s, 5, hash, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(s, 6, r->fingerprint, -1, SQLITE_TRANSIENT);
                sqlite3_bind_int64(s, 7, r->now);
                rc = q_exec(r, which, "store a match");
                free(reasons);
        }
        for (size_t j = 0; rc == 0 && j < nrows; j++) {
                if (rows[j].seen || !rows[j].active)
                        continue;
                rc = withdraw(r, opp, rows[j].member, "no longer matches");
                r->c->withdrawn++;
        }
        free_rows(rows, nrows);
        return rc;
}

static int
withdraw_all(struct run *r, int64_t opp, const char *why)
{
        struct old_row *rows = NULL;
        size_t nrows = 0;
        int rc = load_rows(r, opp, &rows, &nrows);

        for (size_t j = 0; rc == 0 && j < nrows; j++) {
                if (!rows[j].active)
                        continue;
                rc = withdraw(r, opp, rows[j].member, why);
                r->c->withdrawn++;
        }
        free_rows(rows, nrows);
        return rc;
}

static int
each_opp(const struct opportunity *o, void *arg)
{
        struct run *r = arg;
        sqlite3_stmt *s = r->q[Q_RUN_GET];
        const char *why = filter_reject_reason(r->f, o, r->now);
        char hash[MATCH_HASH_LEN];
        bool same = false;
        int rc;

        r->c->considered++;
        if (why == NULL)
                r->c->eligible++;
        match_content_hash(o, hash);
        sqlite3_bind_int64(s, 1, o->id);
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
                const char *h = (const char *)sqlite3_column_text(s, 0);
                const char *fp = (const char *)sqlite3_column_text(s, 1);

                same = h && fp && strcmp(h, hash) == 0 && strcmp(fp, r->fingerprint) == 0 &&
                       sqlite3_column_int(s, 2) == (why == NULL);
        }
        q_done(s);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                return db_fail(r, "read match state");
        if (same) {
                r->c->skipped++;
                return 0;
        }
        if (why != NULL) {
                rc = withdraw_all(r, o->id, why);
        } else {
                struct match_result res;

                match_result_init(&res);
                rc = engine_match(r->e, r->scratch, o, 0, &res);
                if (rc < 0)
                        rc = err_set(r->err, rc, "matching opportunity %lld failed: %s",
                                     (long long)o->id, strerror(-rc));
                else
                        rc = sync_rows(r, o->id, hash, &res);
                match_result_done(&res);
                r->c->evaluated++;
        }
        if (rc < 0)
                return rc;
        s = r->q[Q_RUN_PUT];
        sqlite3_bind_int64(s, 1, o->id);
        sqlite3_bind_text(s, 2, hash, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 3, r->fingerprint, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(s, 4, why == NULL);
        sqlite3_bind_int64(s, 5, r->now);
        return q_exec(r, Q_RUN_PUT, "record the match run");
}

int
matchstore_run(struct store *st, const struct engine *e, const char *fingerprint,
               const struct filter *f, int64_t now, int64_t since,
               struct match_counts *counts, struct err *err)
{
        struct run r = { .db = store_db(st), .e = e, .fingerprint = fingerprint, .f = f,
                         .now = now, .c = counts, .err = err };
        struct store_query q;
        int rc = 0;

        memset(counts, 0, sizeof(*counts));
        for (int i = 0; i < Q__N; i++) {
                if (sqlite3_prepare_v2(r.db, q_sql[i], -1, &r.q[i], NULL) != SQLITE_OK) {
                        rc = db_fail(&r, "prepare");
                        goto out;
                }
        }
        r.scratch = engine_scratch_new(e);
        store_query_init(&q);
        q.updated_since = since;
        q.skip_raw = true;
        rc = store_begin(st, err);
        if (rc < 0)
                goto out;
        rc = store_each(st, &q, each_opp, &r, err);
        if (rc == 0)
                rc = store_commit(st, err);
        else
                store_rollback(st);
out:
        engine_scratch_free(r.scratch);
        for (int i = 0; i < Q__N; i++)
                sqlite3_finalize(r.q[i]);
        return rc < 0 ? rc : 0;
}

int
matchstore_each(struct store *st, const char *member, bool all, matchstore_each_fn fn,
                void *arg, struct err *err)
{
        static const char sql[] =
                "SELECT opportunity_id, member_id, kind, score, reasons, content_hash,"
                " fingerprint, status, withdrawn_reason, first_matched, updated FROM match"
                " WHERE (?1 IS NULL OR member_id = ?1) AND (?2 OR status = 'active')"
                " ORDER BY member_id, score DESC, opportunity_id";
        sqlite3 *db = store_db(st);
        sqlite3_stmt *s = NULL;
        int rc, r = 0;

        if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
                if (strstr(sqlite3_errmsg(db), "no such table") != NULL)
                        return err_set(err, -ENOENT, "no matches are stored yet (run "
                                       "bidbroker match)");
                return err_set(err, -EIO, "match store: %s", sqlite3_errmsg(db));
        }
        if (member)
                sqlite3_bind_text(s, 1, member, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(s, 2, all);
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
                struct stored_match m = {
                        .opportunity_id = sqlite3_column_int64(s, 0),
                        .member = (const char *)sqlite3_column_text(s, 1),
                        .kind = (const char *)sqlite3_column_text(s, 2),
                        .score = sqlite3_column_double(s, 3),
                        .reasons = (const char *)sqlite3_column_text(s, 4),
                        .content_hash = (const char *)sqlite3_column_text(s, 5),
                        .fingerprint = (const char *)sqlite3_column_text(s, 6),
                        .status = (const char *)sqlite3_column_text(s, 7),
                        .withdrawn_reason = (const char *)sqlite3_column_text(s, 8),
                        .first_matched = sqlite3_column_int64(s, 9),
                        .updated = sqlite3_column_int64(s, 10),
                };

                r = fn(&m, arg);
                if (r != 0)
                        break;
        }
        if (r == 0 && rc != SQLITE_DONE)
                r = err_set(err, -EIO, "match store: %s", sqlite3_errmsg(db));
        sqlite3_finalize(s);
        return r;
}
