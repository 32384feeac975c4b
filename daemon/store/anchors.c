/*
 * anchors.c — anchors' API tokens and idempotency keys (anchors.h), tables
 * anchor_token and anchor_post (schema.c, migration 6); the /post form's
 * sessions, table anchor_session (migration 11); what became of a posting
 * (counts from match and, when present, digest_item and feedback).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "bidbroker/anchors.h"
#include "bidbroker/err.h"
#include "bidbroker/hash.h"
#include "bidbroker/store.h"
#include "bidbroker/util.h"

#include "db.h"

void
anchor_token_new(char out[ANCHOR_TOKEN_LEN])
{
        unsigned char raw[32];

        randombytes_buf(raw, sizeof(raw));
        memcpy(out, "bbt_", 4);
        sodium_bin2hex(out + 4, ANCHOR_TOKEN_LEN - 4, raw, sizeof(raw));
        sodium_memzero(raw, sizeof(raw));
}

void
anchor_token_hash(const char *token, char out[HASH_HEX_LEN])
{
        hash_str_hex("bidbroker anchor token", token, out);
}

/* A row lookup's last step: 0 after a row (the caller read it), -ENOENT
 * when there was none, else the SQLite error; the statement is reset. */
static int
row_end(struct store *s, sqlite3_stmt *st, int rc, struct err *err, const char *op)
{
        int r = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : db_err(s, rc, err, op);

        db_reset(st);
        return r;
}

int
anchor_token_add(struct store *s, const char *anchor, const char *hash, int64_t now,
                 struct err *err)
{
        static const char op[] = "store an anchor token";
        sqlite3_stmt *st;
        struct binder b;
        int r;

        if ((r = db_stmt(s, ST_ANCHOR_TOKEN_ADD, "INSERT INTO anchor_token (anchor, hash, "
                         "created) VALUES (?, ?, ?)", &st, err, op)) < 0)
                return r;
        b = binder_of(st);
        bind_str(&b, 1, anchor);
        bind_str(&b, 2, hash);
        bind_int(&b, 3, now);
        return db_run(s, &b, err, op);
}

int
anchor_token_revoke(struct store *s, const char *anchor, int64_t now, int64_t *n,
                    struct err *err)
{
        static const char op[] = "revoke anchor tokens";
        sqlite3_stmt *st;
        struct binder b;
        int r;

        if ((r = db_stmt(s, ST_ANCHOR_TOKEN_REVOKE, "UPDATE anchor_token SET revoked = ? "
                         "WHERE anchor = ? AND revoked IS NULL", &st, err, op)) < 0)
                return r;
        b = binder_of(st);
        bind_int(&b, 1, now);
        bind_str(&b, 2, anchor);
        r = db_run(s, &b, err, op);
        *n = r == 0 ? sqlite3_changes(s->db) : 0;
        return r;
}

int
anchor_token_find(struct store *s, const char *hash, char **anchor, bool *revoked,
                  struct err *err)
{
        static const char op[] = "look up an anchor token";
        sqlite3_stmt *st;
        struct binder b;
        int r, rc;

        if ((r = db_stmt(s, ST_ANCHOR_TOKEN_FIND, "SELECT anchor, revoked IS NOT NULL "
                         "FROM anchor_token WHERE hash = ?", &st, err, op)) < 0)
                return r;
        b = binder_of(st);
        bind_str(&b, 1, hash);
        if ((r = db_bound(s, &b, err, op)) < 0)
                return r;
        if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                *anchor = xstrdup((const char *)sqlite3_column_text(st, 0));
                *revoked = sqlite3_column_int(st, 1) != 0;
        }
        return row_end(s, st, rc, err, op);
}

int
anchor_token_each(struct store *s, anchor_token_fn fn, void *arg, struct err *err)
{
        static const char op[] = "list anchor tokens";
        sqlite3_stmt *st;
        int r, rc;

        if ((r = db_stmt(s, ST_ANCHOR_TOKEN_EACH, "SELECT anchor, id, created, "
                         "coalesce(revoked, 0) FROM anchor_token ORDER BY anchor, id",
                         &st, err, op)) < 0)
                return r;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW && r == 0)
                r = fn((const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1),
                       sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3), arg);
        if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
                r = db_err(s, rc, err, op);
        db_reset(st);
        return r;
}

int
anchor_post_get(struct store *s, const char *anchor, const char *key, char **body_hash,
                int64_t *opp_id, struct err *err)
{
        static const char op[] = "look up an idempotency key";
        sqlite3_stmt *st;
        struct binder b;
        int r, rc;

        if ((r = db_stmt(s, ST_ANCHOR_POST_GET, "SELECT body_hash, opportunity_id FROM "
                         "anchor_post WHERE anchor = ? AND idem_key = ?", &st, err, op)) < 0)
                return r;
        b = binder_of(st);
        bind_str(&b, 1, anchor);
        bind_str(&b, 2, key);
        if ((r = db_bound(s, &b, err, op)) < 0)
                return r;
        if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                *body_hash = xstrdup((const char *)sqlite3_column_text(st, 0));
                *opp_id = sqlite3_column_int64(st, 1);
        }
        return row_end(s, st, rc, err, op);
}

int
anchor_post_put(struct store *s, const char *anchor, const char *key, const char *body_hash,
                int64_t opp_id, struct err *err)
{
        static const char op[] = "store an idempotency key";
        sqlite3_stmt *st;
        struct binder b;
        int r;

        if ((r = db_stmt(s, ST_ANCHOR_POST_PUT, "INSERT INTO anchor_post (anchor, idem_key, "
                         "body_hash, opportunity_id) VALUES (?, ?, ?, ?)", &st, err, op)) < 0)
                return r;
        b = binder_of(st);
        bind_str(&b, 1, anchor);
        bind_str(&b, 2, key);
        bind_str(&b, 3, body_hash);
        bind_int(&b, 4, opp_id);
        return db_run(s, &b, err, op);
}

int
anchor_postings(struct store *s, const char *source, int64_t before, size_t limit,
                int64_t **ids, size_t *n, bool *more, struct err *err)
{
        static const char op[] = "list an anchor's postings";
        sqlite3_stmt *st;
        struct binder b;
        int r, rc;

        *ids = NULL;
        *n = 0;
        *more = false;
        if ((r = db_stmt(s, ST_ANCHOR_POSTINGS, "SELECT id FROM opportunity WHERE source = ?1 "
                         "AND (?2 = 0 OR id < ?2) ORDER BY id DESC LIMIT ?3", &st, err, op)) < 0)
                return r;
        b = binder_of(st);
        bind_str(&b, 1, source);
        bind_int(&b, 2, before);
        bind_int(&b, 3, (int64_t)limit + 1);
        if ((r = db_bound(s, &b, err, op)) < 0)
                return r;
        *ids = xcalloc(limit + 1, sizeof(**ids));
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (*n == limit) {
                        *more = true;
                        break;
                }
                (*ids)[(*n)++] = sqlite3_column_int64(st, 0);
        }
        r = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_err(s, rc, err, op);
        db_reset(st);
        if (r < 0) {
                free(*ids);
                *ids = NULL;
                *n = 0;
        }
        return r;
}

/* One count of rows about opp: -1 when table is not in this store (a table
 * another module adds). */
static int
count_of(struct store *s, const char *table, enum stmt_id id, const char *sql, int64_t opp,
         int64_t *ret, struct err *err)
{
        static const char op[] = "count what became of a posting";
        sqlite3_stmt *st;
        struct binder b;
        int r, rc;

        *ret = -1;
        if (table != NULL) {
                if ((r = db_stmt(s, ST_ANCHOR_TABLE, "SELECT count(*) FROM sqlite_master "
                                 "WHERE type = 'table' AND name = ?", &st, err, op)) < 0)
                        return r;
                b = binder_of(st);
                bind_str(&b, 1, table);
                if ((r = db_bound(s, &b, err, op)) < 0)
                        return r;
                rc = sqlite3_step(st);
                r = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
                if ((rc = row_end(s, st, rc, err, op)) < 0)
                        return rc;
                if (r <= 0)
                        return 0;
        }
        if ((r = db_stmt(s, id, sql, &st, err, op)) < 0)
                return r;
        b = binder_of(st);
        bind_int(&b, 1, opp);
        if ((r = db_bound(s, &b, err, op)) < 0)
                return r;
        if ((rc = sqlite3_step(st)) == SQLITE_ROW)
                *ret = sqlite3_column_int64(st, 0);
        return row_end(s, st, rc, err, op);
}

int
anchor_posting_counts(struct store *s, int64_t opp, struct posting_counts *c, struct err *err)
{
        int r;

        if ((r = count_of(s, NULL, ST_ANCHOR_MATCHED, "SELECT count(*) FROM match WHERE "
                          "opportunity_id = ? AND status = 'active'", opp, &c->matched,
                          err)) < 0 ||
            (r = count_of(s, "digest_item", ST_ANCHOR_ALERTED, "SELECT count(DISTINCT member) "
                          "FROM digest_item WHERE opportunity_id = ?", opp, &c->alerted,
                          err)) < 0 ||
            (r = count_of(s, "feedback", ST_ANCHOR_INTERESTED, "SELECT count(*) FROM feedback "
                          "WHERE opportunity_id = ? AND action = 'interested'", opp,
                          &c->interested, err)) < 0)
                return r;
        return 0;
}

int
anchor_session_add(struct store *s, const char *hash, const char *anchor,
                   const char *token_hash, int64_t now, int64_t expires, struct err *err)
{
        static const char op[] = "store a session";
        sqlite3_stmt *st;
        struct binder b;
        int r;

        if ((r = db_stmt(s, ST_ANCHOR_SESSION_ADD, "INSERT INTO anchor_session (hash, anchor, "
                         "token_hash, created, expires) VALUES (?, ?, ?, ?, ?)", &st, err,
                         op)) < 0)
                return r;
        b = binder_of(st);
        bind_str(&b, 1, hash);
        bind_str(&b, 2, anchor);
        bind_str(&b, 3, token_hash);
        bind_int(&b, 4, now);
        bind_int(&b, 5, expires);
        return db_run(s, &b, err, op);
}

int
anchor_session_find(struct store *s, const char *hash, int64_t now, char **anchor,
                    struct err *err)
{
        static const char op[] = "look up a session";
        sqlite3_stmt *st;
        struct binder b;
        int r, rc;

        if ((r = db_stmt(s, ST_ANCHOR_SESSION_FIND, "SELECT s.anchor FROM anchor_session s "
                         "JOIN anchor_token t ON t.hash = s.token_hash AND t.anchor = s.anchor "
                         "WHERE s.hash = ? AND s.expires > ? AND t.revoked IS NULL", &st, err,
                         op)) < 0)
                return r;
        b = binder_of(st);
        bind_str(&b, 1, hash);
        bind_int(&b, 2, now);
        if ((r = db_bound(s, &b, err, op)) < 0)
                return r;
        if ((rc = sqlite3_step(st)) == SQLITE_ROW)
                *anchor = xstrdup((const char *)sqlite3_column_text(st, 0));
        return row_end(s, st, rc, err, op);
}

int
anchor_session_delete(struct store *s, const char *hash, struct err *err)
{
        static const char op[] = "end a session";
        sqlite3_stmt *st;
        struct binder b;
        int r;

        if ((r = db_stmt(s, ST_ANCHOR_SESSION_DEL, "DELETE FROM anchor_session WHERE hash = ?",
                         &st, err, op)) < 0)
                return r;
        b = binder_of(st);
        bind_str(&b, 1, hash);
        return db_run(s, &b, err, op);
}

int
anchor_session_purge(struct store *s, int64_t now, struct err *err)
{
        static const char op[] = "forget expired sessions";
        sqlite3_stmt *st;
        struct binder b;
        int r;

        if ((r = db_stmt(s, ST_ANCHOR_SESSION_PURGE, "DELETE FROM anchor_session WHERE "
                         "expires <= ?", &st, err, op)) < 0)
                return r;
        b = binder_of(st);
        bind_int(&b, 1, now);
        return db_run(s, &b, err, op);
}
