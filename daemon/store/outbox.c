/*
 * outbox.c — messages waiting for delivery and their state (outbox.h), table
 * outbox (schema.c, migration 14).  Each transition is one statement whose
 * WHERE names the state it starts from, so a row never moves along an edge
 * the state machine does not have, whoever else writes to the store.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "bidbroker/err.h"
#include "bidbroker/outbox.h"
#include "bidbroker/store.h"
#include "bidbroker/util.h"

#include "db.h"

static const char *const state_names[OUTBOX__N] = {
        [OUTBOX_QUEUED] = "queued", [OUTBOX_SENDING] = "sending", [OUTBOX_SENT] = "sent",
        [OUTBOX_RETRY] = "retry", [OUTBOX_FAILED] = "failed",
};

/* The columns every reader reads, in the order read_row expects. */
#define COLS "id, member, rcpt, message_id, state, attempts, next_attempt, last_error, " \
             "last_code, created, updated, sent_at, length(bytes)"
#define COL_BYTES 13                    /* after COLS, when asked for */

const char *
outbox_state_name(enum outbox_state st)
{
        return st >= 0 && st < OUTBOX__N ? state_names[st] : "?";
}

int
outbox_state_parse(const char *name, enum outbox_state *ret)
{
        for (int i = 0; i < OUTBOX__N; i++)
                if (strcmp(name, state_names[i]) == 0) {
                        *ret = (enum outbox_state)i;
                        return 0;
                }
        return -EINVAL;
}

void
outbox_msg_clear(struct outbox_msg *m)
{
        if (m == NULL)
                return;
        free(m->member);
        free(m->rcpt);
        free(m->message_id);
        free(m->bytes);
        free(m->last_error);
        memset(m, 0, sizeof(*m));
}

/* Fill m from the current row (strings copied); bytes too when with_bytes. */
static void
read_row(sqlite3_stmt *st, bool with_bytes, struct outbox_msg *m)
{
        const char *state = (const char *)sqlite3_column_text(st, 4);

        memset(m, 0, sizeof(*m));
        m->id = sqlite3_column_int64(st, 0);
        m->member = col_str(st, 1);
        m->rcpt = col_str(st, 2);
        m->message_id = col_str(st, 3);
        if (state == NULL || outbox_state_parse(state, &m->state) < 0)
                m->state = OUTBOX_FAILED;       /* the CHECK constraint rules it out */
        m->attempts = sqlite3_column_int64(st, 5);
        m->next_attempt = sqlite3_column_int64(st, 6);
        m->last_error = col_str(st, 7);
        m->last_code = (long)sqlite3_column_int64(st, 8);
        m->created = sqlite3_column_int64(st, 9);
        m->updated = sqlite3_column_int64(st, 10);
        m->sent_at = sqlite3_column_int64(st, 11);
        m->len = (size_t)sqlite3_column_int64(st, 12);
        if (with_bytes) {
                const void *p = sqlite3_column_blob(st, COL_BYTES);
                size_t n = (size_t)sqlite3_column_bytes(st, COL_BYTES);

                m->bytes = xmalloc(n + 1);
                if (n)
                        memcpy(m->bytes, p, n);
                m->bytes[n] = '\0';
                m->len = n;
        }
}

/* Step a statement expected to give at most one row into m; 0, -ENOENT for
 * no row, or the SQLite error.  Resets it. */
static int
one_row(struct store *s, sqlite3_stmt *st, struct outbox_msg *m, struct err *e,
        const char *op)
{
        int rc = sqlite3_step(st), r;

        if (rc == SQLITE_ROW) {
                read_row(st, true, m);
                rc = sqlite3_step(st);          /* RETURNING: run it to the end */
                if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
                        db_reset(st);
                        return 0;
                }
                outbox_msg_clear(m);
        }
        r = rc == SQLITE_DONE ? -ENOENT : db_err(s, rc, e, op);
        db_reset(st);
        return r;
}

static bool
bad_text(const char *s)
{
        return s == NULL || *s == '\0' || str_has_control(s);
}

int
outbox_enqueue(struct store *s, const char *member, const char *rcpt,
               const char *message_id, const char *bytes, size_t len, int64_t now,
               int64_t *ret_id, struct err *e)
{
        static const char op[] = "queue a message";
        struct outbox_msg old = { 0 };
        sqlite3_stmt *st;
        struct binder b;
        int r;

        if (bad_text(member) || bad_text(rcpt) || bad_text(message_id))
                return err_set(e, -EINVAL, "store: %s: member, recipient and Message-ID must "
                               "be non-empty, without control characters", op);
        if (len == 0)
                return err_set(e, -EINVAL, "store: %s: the message %s is empty", op,
                               message_id);
        if ((r = db_stmt(s, ST_OUTBOX_FIND, "SELECT " COLS ", bytes FROM outbox "
                         "WHERE message_id = ?", &st, e, op)) < 0)
                return r;
        b = binder_of(st);
        bind_str(&b, 1, message_id);
        if ((r = db_bound(s, &b, e, op)) < 0)
                return r;
        r = one_row(s, st, &old, e, op);
        if (r == 0) {
                bool same = old.len == len && memcmp(old.bytes, bytes, len) == 0 &&
                            strcmp(old.rcpt, rcpt) == 0 && strcmp(old.member, member) == 0;

                if (same && ret_id)
                        *ret_id = old.id;
                r = same ? 0 : err_set(e, -EEXIST, "store: %s: Message-ID %s is already "
                                       "queued as outbox %lld with other content", op,
                                       message_id, (long long)old.id);
                outbox_msg_clear(&old);
                return r;
        }
        if (r != -ENOENT)
                return r;
        if ((r = db_stmt(s, ST_OUTBOX_ADD, "INSERT INTO outbox (member, rcpt, message_id, "
                         "bytes, state, attempts, next_attempt, created, updated) "
                         "VALUES (?1, ?2, ?3, ?4, 'queued', 0, ?5, ?5, ?5)", &st, e, op)) < 0)
                return r;
        b = binder_of(st);
        bind_str(&b, 1, member);
        bind_str(&b, 2, rcpt);
        bind_str(&b, 3, message_id);
        bind_blob(&b, 4, bytes, len);
        bind_int(&b, 5, now);
        if ((r = db_run(s, &b, e, op)) < 0)
                return r;
        if (ret_id)
                *ret_id = sqlite3_last_insert_rowid(s->db);
        return 0;
}

int
outbox_claim(struct store *s, int64_t now, struct outbox_msg *m, struct err *e)
{
        static const char op[] = "claim a message to deliver";
        sqlite3_stmt *st;
        struct binder b;
        int r;

        assert(s->in_each == 0);
        /* one statement: the choice and the claim cannot be split by another writer */
        if ((r = db_stmt(s, ST_OUTBOX_CLAIM, "UPDATE outbox SET state = 'sending', "
                         "attempts = attempts + 1, updated = ?1 WHERE id = (SELECT id FROM "
                         "outbox WHERE state IN ('queued', 'retry') AND next_attempt <= ?1 "
                         "ORDER BY next_attempt, id LIMIT 1) RETURNING " COLS ", bytes",
                         &st, e, op)) < 0)
                return r;
        b = binder_of(st);
        bind_int(&b, 1, now);
        if ((r = db_bound(s, &b, e, op)) < 0)
                return r;
        return one_row(s, st, m, e, op);
}

/* sending -> to, with the reply code and error. */
static int
mark(struct store *s, int64_t id, enum outbox_state to, int64_t now, int64_t next,
     long code, const char *error, struct err *e)
{
        static const char op[] = "record a delivery";
        sqlite3_stmt *st;
        struct binder b;
        int r;

        if ((r = db_stmt(s, ST_OUTBOX_MARK, "UPDATE outbox SET state = ?2, updated = ?3, "
                         "next_attempt = coalesce(?4, next_attempt), last_code = ?5, "
                         "last_error = ?6, sent_at = CASE ?2 WHEN 'sent' THEN ?3 END "
                         "WHERE id = ?1 AND state = 'sending'", &st, e, op)) < 0)
                return r;
        b = binder_of(st);
        bind_int(&b, 1, id);
        bind_str(&b, 2, state_names[to]);
        bind_int(&b, 3, now);
        bind_opt(&b, 4, to == OUTBOX_RETRY ? next : INT64_MIN);
        bind_opt(&b, 5, code > 0 ? code : INT64_MIN);
        bind_str(&b, 6, error);
        if ((r = db_run(s, &b, e, op)) < 0)
                return r;
        if (sqlite3_changes(s->db) != 1)
                return err_set(e, -ESTALE, "store: %s: outbox %lld is not being sent any "
                               "more (changed by someone else)", op, (long long)id);
        return 0;
}

int
outbox_mark_sent(struct store *s, int64_t id, int64_t now, long code, struct err *e)
{
        return mark(s, id, OUTBOX_SENT, now, 0, code, NULL, e);
}

int
outbox_mark_retry(struct store *s, int64_t id, int64_t now, int64_t next_attempt,
                  long code, const char *error, struct err *e)
{
        return mark(s, id, OUTBOX_RETRY, now, next_attempt, code, error, e);
}

int
outbox_mark_failed(struct store *s, int64_t id, int64_t now, long code, const char *error,
                   struct err *e)
{
        return mark(s, id, OUTBOX_FAILED, now, 0, code, error, e);
}

int
outbox_recover(struct store *s, int64_t now, int64_t *n, struct err *e)
{
        static const char op[] = "recover interrupted deliveries";
        sqlite3_stmt *st;
        struct binder b;
        int r;

        *n = 0;
        if ((r = db_stmt(s, ST_OUTBOX_RECOVER, "UPDATE outbox SET state = 'retry', "
                         "next_attempt = ?1, updated = ?1, last_error = 'interrupted while "
                         "sending (bidbroker stopped): delivery unknown, sent again with the "
                         "same Message-ID' WHERE state = 'sending'", &st, e, op)) < 0)
                return r;
        b = binder_of(st);
        bind_int(&b, 1, now);
        if ((r = db_run(s, &b, e, op)) < 0)
                return r;
        *n = sqlite3_changes(s->db);
        return 0;
}

int
outbox_requeue(struct store *s, int64_t id, int64_t now, struct err *e)
{
        static const char op[] = "queue a message again";
        struct outbox_msg m = { 0 };
        sqlite3_stmt *st;
        struct binder b;
        int r;

        if ((r = db_stmt(s, ST_OUTBOX_REQUEUE, "UPDATE outbox SET state = 'queued', "
                         "next_attempt = ?2, updated = ?2 WHERE id = ?1 AND state IN "
                         "('failed', 'retry')", &st, e, op)) < 0)
                return r;
        b = binder_of(st);
        bind_int(&b, 1, id);
        bind_int(&b, 2, now);
        if ((r = db_run(s, &b, e, op)) < 0)
                return r;
        if (sqlite3_changes(s->db) == 1)
                return 0;
        /* say why not */
        if ((r = outbox_get(s, id, &m, e)) < 0)
                return r == -ENOENT ? err_set(e, -ENOENT, "no outbox message %lld",
                                              (long long)id) : r;
        r = m.state == OUTBOX_QUEUED
                ? err_set(e, -EINVAL, "outbox %lld is already queued", (long long)id)
                : err_set(e, -EALREADY, "outbox %lld is %s: only failed or retry messages "
                          "can be queued again", (long long)id, state_names[m.state]);
        outbox_msg_clear(&m);
        return r;
}

int
outbox_get(struct store *s, int64_t id, struct outbox_msg *m, struct err *e)
{
        static const char op[] = "read an outbox message";
        sqlite3_stmt *st;
        struct binder b;
        int r;

        if ((r = db_stmt(s, ST_OUTBOX_GET, "SELECT " COLS ", bytes FROM outbox WHERE id = ?",
                         &st, e, op)) < 0)
                return r;
        b = binder_of(st);
        bind_int(&b, 1, id);
        if ((r = db_bound(s, &b, e, op)) < 0)
                return r;
        r = one_row(s, st, m, e, op);
        if (r == -ENOENT)
                err_set(e, -ENOENT, "no outbox message %lld", (long long)id);
        return r;
}

int
outbox_each(struct store *s, outbox_each_fn fn, void *arg, struct err *e)
{
        static const char op[] = "list the outbox";
        struct outbox_msg m;
        sqlite3_stmt *st;
        int r, rc;

        if ((r = db_stmt(s, ST_OUTBOX_EACH, "SELECT " COLS " FROM outbox ORDER BY id",
                         &st, e, op)) < 0)
                return r;
        s->in_each++;
        while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                read_row(st, false, &m);
                r = fn(&m, arg);
                outbox_msg_clear(&m);
        }
        s->in_each--;
        if (r == 0 && rc != SQLITE_DONE)
                r = db_err(s, rc, e, op);
        db_reset(st);
        return r;
}

int
outbox_next_due(struct store *s, int64_t *when, struct err *e)
{
        static const char op[] = "look for due messages";
        sqlite3_stmt *st;
        int r, rc;

        if ((r = db_stmt(s, ST_OUTBOX_DUE, "SELECT min(next_attempt) FROM outbox WHERE "
                         "state IN ('queued', 'retry')", &st, e, op)) < 0)
                return r;
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
                *when = sqlite3_column_int64(st, 0);
                r = 0;
        } else {
                r = rc == SQLITE_ROW || rc == SQLITE_DONE ? -ENOENT : db_err(s, rc, e, op);
        }
        db_reset(st);
        return r;
}

int
outbox_counts(struct store *s, int64_t counts[OUTBOX__N], struct err *e)
{
        static const char op[] = "count the outbox";
        sqlite3_stmt *st;
        int r, rc;

        memset(counts, 0, sizeof(int64_t) * OUTBOX__N);
        if ((r = db_stmt(s, ST_OUTBOX_COUNTS, "SELECT state, count(*) FROM outbox "
                         "GROUP BY state", &st, e, op)) < 0)
                return r;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                enum outbox_state k;
                const char *name = (const char *)sqlite3_column_text(st, 0);

                if (name != NULL && outbox_state_parse(name, &k) == 0)
                        counts[k] = sqlite3_column_int64(st, 1);
        }
        r = rc == SQLITE_DONE ? 0 : db_err(s, rc, e, op);
        db_reset(st);
        return r;
}

uint64_t
outbox_stamp(struct store *s)
{
        sqlite3_stmt *st;
        uint64_t v = 0;

        if (db_stmt(s, ST_OUTBOX_STAMP, "PRAGMA data_version", &st, NULL, "data_version") == 0) {
                if (sqlite3_step(st) == SQLITE_ROW)
                        v = (uint64_t)sqlite3_column_int64(st, 0);
                db_reset(st);
        }
        return v << 32 ^ (uint64_t)sqlite3_total_changes64(s->db);
}
