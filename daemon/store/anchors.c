/*
 * anchors.c — anchors' API tokens and idempotency keys (anchors.h), tables
 * anchor_token and anchor_post (schema.c, migration 6).
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
        struct hasher h;

        hasher_init(&h, "bidbroker anchor token");
        hasher_str(&h, token);
        hasher_hex(&h, out);
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
