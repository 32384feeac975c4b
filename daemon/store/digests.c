/*
 * digests.c — tables digest and digest_item (digests.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/digests.h"
#include "bidbroker/err.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/util.h"

#include "db.h"

static const char *const sql[ST__N] = {
        [ST_DIGEST_FIND] = "SELECT id, message_id, outbox_id, items, overflow, infeasible,"
                           " message, created FROM digest WHERE member = ?1 AND period = ?2",
        [ST_DIGEST_INSERT] = "INSERT INTO digest (member, period, message_id, outbox_id, items,"
                             " overflow, infeasible, message, created)"
                             " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        [ST_DIGEST_OUTBOX] = "UPDATE digest SET outbox_id = ?2 WHERE id = ?1",
        [ST_DIGEST_ITEM_PUT] = "INSERT INTO digest_item (digest_id, member, opportunity_id, kind,"
                               " section, title, deadline, value_stated, value_max, created)"
                               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        [ST_DIGEST_ITEM_LAST] = "SELECT title, deadline, value_stated, value_max FROM digest_item"
                                " WHERE member = ?1 AND opportunity_id = ?2"
                                " ORDER BY digest_id DESC LIMIT 1",
};

void
digest_row_init(struct digest_row *d)
{
        memset(d, 0, sizeof(*d));
}

void
digest_row_done(struct digest_row *d)
{
        free(d->member);
        free(d->period);
        free(d->message_id);
        free(d->message);
        digest_row_init(d);
}

int
digest_find(struct store *s, const char *member, const char *period, struct digest_row *d,
            struct err *err)
{
        static const char op[] = "find a digest";
        struct binder b;
        int r;

        if ((r = db_stmt(s, ST_DIGEST_FIND, sql[ST_DIGEST_FIND], &b.st, err, op)) < 0)
                return r;
        b.rc = SQLITE_OK;
        bind_str(&b, 1, member);
        bind_str(&b, 2, period);
        if ((r = db_bound(s, &b, err, op)) < 0)
                return r;
        r = sqlite3_step(b.st);
        if (r == SQLITE_ROW) {
                const void *blob = sqlite3_column_blob(b.st, 6);
                int n = sqlite3_column_bytes(b.st, 6);

                digest_row_done(d);
                d->id = sqlite3_column_int64(b.st, 0);
                d->member = xstrdup(member);
                d->period = xstrdup(period);
                d->message_id = col_str(b.st, 1);
                d->outbox_id = sqlite3_column_int64(b.st, 2);
                d->items = sqlite3_column_int64(b.st, 3);
                d->overflow = sqlite3_column_int64(b.st, 4);
                d->infeasible = sqlite3_column_int64(b.st, 5);
                if (blob != NULL) {
                        d->message = xmalloc((size_t)n + 1);
                        memcpy(d->message, blob, (size_t)n);
                        d->message[n] = '\0';
                        d->len = (size_t)n;
                }
                d->created = sqlite3_column_int64(b.st, 7);
                db_reset(b.st);
                return 1;
        }
        db_reset(b.st);
        if (r != SQLITE_DONE)
                return db_err(s, r, err, op);
        return 0;
}

int
digest_insert(struct store *s, const struct digest_row *d, int64_t *ret_id, struct err *err)
{
        static const char op[] = "record a digest";
        struct binder b;
        int r;

        if ((r = db_stmt(s, ST_DIGEST_INSERT, sql[ST_DIGEST_INSERT], &b.st, err, op)) < 0)
                return r;
        b.rc = SQLITE_OK;
        bind_str(&b, 1, d->member);
        bind_str(&b, 2, d->period);
        bind_str(&b, 3, d->message_id);
        if (d->outbox_id > 0)
                bind_int(&b, 4, d->outbox_id);
        bind_int(&b, 5, d->items);
        bind_int(&b, 6, d->overflow);
        bind_int(&b, 7, d->infeasible);
        if (d->message != NULL && b.rc == SQLITE_OK)
                b.rc = sqlite3_bind_blob64(b.st, 8, d->message, d->len, SQLITE_STATIC);
        bind_int(&b, 9, d->created);
        r = db_run(s, &b, err, op);
        if (r == -EINVAL)       /* UNIQUE (member, period) */
                return err_set(err, -EEXIST, "store: %s: %s has a digest for %s already", op,
                               d->member, d->period);
        if (r < 0)
                return r;
        if (ret_id)
                *ret_id = sqlite3_last_insert_rowid(s->db);
        return 0;
}

int
digest_set_outbox(struct store *s, int64_t id, int64_t outbox_id, struct err *err)
{
        static const char op[] = "record a digest's outbox row";
        struct binder b;
        int r;

        if ((r = db_stmt(s, ST_DIGEST_OUTBOX, sql[ST_DIGEST_OUTBOX], &b.st, err, op)) < 0)
                return r;
        b.rc = SQLITE_OK;
        bind_int(&b, 1, id);
        bind_int(&b, 2, outbox_id);
        return db_run(s, &b, err, op);
}

int
digest_item_put(struct store *s, int64_t digest_id, const char *member,
                const struct digest_item_row *it, int64_t now, struct err *err)
{
        static const char op[] = "record a digest item";
        struct binder b;
        int r;

        if ((r = db_stmt(s, ST_DIGEST_ITEM_PUT, sql[ST_DIGEST_ITEM_PUT], &b.st, err, op)) < 0)
                return r;
        b.rc = SQLITE_OK;
        bind_int(&b, 1, digest_id);
        bind_str(&b, 2, member);
        bind_int(&b, 3, it->opportunity_id);
        bind_str(&b, 4, it->kind);
        bind_str(&b, 5, it->section);
        bind_str(&b, 6, it->title);
        bind_opt(&b, 7, it->deadline);
        bind_int(&b, 8, it->value_stated);
        bind_opt(&b, 9, it->value_max);
        bind_int(&b, 10, now);
        return db_run(s, &b, err, op);
}

int
digest_item_last(struct store *s, const char *member, int64_t opportunity, char **title,
                 int64_t *deadline, bool *value_stated, int64_t *value_max, struct err *err)
{
        static const char op[] = "read the last digest item";
        struct binder b;
        int r;

        if ((r = db_stmt(s, ST_DIGEST_ITEM_LAST, sql[ST_DIGEST_ITEM_LAST], &b.st, err, op)) < 0)
                return r;
        b.rc = SQLITE_OK;
        bind_str(&b, 1, member);
        bind_int(&b, 2, opportunity);
        if ((r = db_bound(s, &b, err, op)) < 0)
                return r;
        r = sqlite3_step(b.st);
        if (r == SQLITE_ROW) {
                *title = col_str(b.st, 0);
                *deadline = col_opt(b.st, 1);
                *value_stated = sqlite3_column_int(b.st, 2) != 0;
                *value_max = col_opt(b.st, 3);
                db_reset(b.st);
                return 1;
        }
        db_reset(b.st);
        return r == SQLITE_DONE ? 0 : db_err(s, r, err, op);
}
