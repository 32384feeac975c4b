/*
 * db.h — what the store's modules share (private to daemon/store/).
 *
 * db.c owns the connection: struct store, opening, transactions, the mapping
 * of SQLite result codes to negative errno values with a message that names
 * the operation, and the small binding/stepping helpers every table module
 * (notices.c, sources.c, meta.c, matchstore.c) uses for its statements.
 * schema.h holds the migrations.
 */
#ifndef BIDBROKER_STORE_DB_H
#define BIDBROKER_STORE_DB_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "bidbroker/opportunity.h"

struct err;

/* One slot per cached statement; each module names its own.  A slot is
 * prepared on first use (SQLITE_PREPARE_PERSISTENT) and kept until close. */
enum stmt_id {
        /* db.c */
        ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_SAVEPOINT, ST_RELEASE, ST_ROLLBACK_TO,
        /* notices.c */
        ST_FIND_NOTICE, ST_FIND_ALIAS, ST_FIND_TENDER, ST_FIND_ORPHAN,
        ST_INSERT, ST_UPDATE, ST_RENAME, ST_CLEAR_ORPHAN, ST_ADD_ALIAS,
        ST_CLOSERS, ST_TENDERS, ST_SET_STATUS, ST_GET, ST_EACH, ST_COUNT, ST_PUT_SCALE,
        /* sources.c */
        ST_SRC_GET, ST_SRC_PUT,
        /* meta.c */
        ST_META_GET, ST_META_PUT,
        /* matchstore.c */
        ST_MATCH_RUN_GET, ST_MATCH_RUN_PUT, ST_MATCH_ROWS, ST_MATCH_INSERT,
        ST_MATCH_UPDATE, ST_MATCH_WITHDRAW,
        ST_CONSORT_FRESH, ST_CONSORT_PUT, ST_CONSORT_WITHDRAW,
        ST_CONSORT_MEM_DEL, ST_CONSORT_MEM_PUT, ST_CONSORT_FIRST, ST_CONSORT_PROPOSED,
        /* links.c */
        ST_LINK_KEY_PUT, ST_LINK_KEY_DEL, ST_LINK_KEY_GET, ST_LINK_REF_DEL, ST_LINK_REF_PUT,
        ST_LINK_OF, ST_LINK_OUT, ST_LINK_IN, ST_LINK_TEXT, ST_LINK_INSERT, ST_LINK_DELETE,
        ST_LINK_RULE, ST_LINK_GET, ST_LINK_CITED, ST_LINK_SIBLINGS, ST_LINK_CLOSED,
        /* anchors.c */
        ST_ANCHOR_TOKEN_ADD, ST_ANCHOR_TOKEN_REVOKE, ST_ANCHOR_TOKEN_FIND, ST_ANCHOR_TOKEN_EACH,
        ST_ANCHOR_POST_GET, ST_ANCHOR_POST_PUT,
        /* feedback.c */
        ST_FEEDBACK_GET, ST_FEEDBACK_PUT, ST_FEEDBACK_EACH, ST_FEEDBACK_RULES, ST_FEEDBACK_TOTALS,
        ST_UNSUB_PUT, ST_UNSUB_RESUB, ST_UNSUB_GET, ST_UNSUB_EACH,
        /* awards.c */
        ST_AWARD_DEL, ST_AWARD_PUT, ST_AWARD_SUP_PUT,
        /* storemetrics.c */
        ST_METRIC_OPP, ST_METRIC_MATCH, ST_METRIC_FEEDBACK, ST_METRIC_UNSUB, ST_METRIC_DIGEST,
        ST_METRIC_DIGEST_ITEMS,
        /* anchors.c, again */
        ST_ANCHOR_POSTINGS, ST_ANCHOR_TABLE,
        ST_ANCHOR_MATCHED, ST_ANCHOR_ALERTED, ST_ANCHOR_INTERESTED,
        ST_ANCHOR_SESSION_ADD, ST_ANCHOR_SESSION_FIND, ST_ANCHOR_SESSION_DEL,
        ST_ANCHOR_SESSION_PURGE,
        /* digests.c */
        ST_DIGEST_FIND, ST_DIGEST_INSERT, ST_DIGEST_OUTBOX, ST_DIGEST_ITEM_PUT,
        ST_DIGEST_ITEM_LAST,
        ST_METRIC_OUTBOX,
        /* outbox.c */
        ST_OUTBOX_FIND, ST_OUTBOX_ADD, ST_OUTBOX_CLAIM, ST_OUTBOX_MARK, ST_OUTBOX_RECOVER,
        ST_OUTBOX_REQUEUE, ST_OUTBOX_GET, ST_OUTBOX_EACH, ST_OUTBOX_DUE, ST_OUTBOX_COUNTS,
        ST_OUTBOX_STAMP,
        /* notices.c: lots (migration 16) */
        ST_PUT_LOTS, ST_DEL_LOTS,
        ST__N
};

struct store {
        sqlite3      *db;
        char         *path;             /* DIR/bidbroker.db */
        bool          readonly;
        int64_t       now;              /* TIME_UNKNOWN: the system clock */
        int64_t       busy_timeout_ms;  /* SQLite's busy handler waits this long */
        uint64_t      links_made;       /* by store_put on this connection (links.c) */
        unsigned      in_each;          /* store_each callbacks running: no writes */
        sqlite3_stmt *st[ST__N];        /* NULL until first used */
};

/* The time written to first_seen/last_changed (store_set_now, or the clock). */
int64_t db_now(const struct store *s);

/* ---- errors -------------------------------------------------------------- */

/* A SQLite result code (extended or primary) as a negative errno:
 * BUSY/LOCKED -EBUSY, NOMEM -ENOMEM, READONLY -EROFS, PERM/AUTH -EACCES,
 * FULL -ENOSPC, CANTOPEN -ENOENT, TOOBIG -E2BIG, CONSTRAINT/MISMATCH/RANGE
 * -EINVAL, anything else (CORRUPT, NOTADB, IOERR, ...) -EIO. */
int db_errno(int rc);
/* err = "store: OP: <SQLite's message>", returns db_errno(rc); for -EBUSY
 * the message says another process held the lock past busy_timeout. */
int db_err(struct store *s, int rc, struct err *err, const char *op);

/* ---- statements ------------------------------------------------------------ */

/* *ret = the cached statement of slot id, prepared from sql on first use
 * (pass the same sql for a slot every time). */
int db_stmt(struct store *s, enum stmt_id id, const char *sql, sqlite3_stmt **ret,
            struct err *err, const char *op);
/* Step one of the transaction slots (ST_BEGIN ... ST_ROLLBACK_TO). */
int db_txn(struct store *s, enum stmt_id id, struct err *err, const char *op);
/* Reset a statement and drop its bindings (SQLITE_STATIC buffers included). */
void db_reset(sqlite3_stmt *st);
/* Step a statement that returns no rows, then reset it. */
int db_step_done(struct store *s, sqlite3_stmt *st, struct err *err, const char *op);
/* Run SQL text (one or more statements) with sqlite3_exec. */
int db_exec_sql(struct store *s, const char *sql, struct err *err, const char *op);
/* Run a one-value integer query (PRAGMA user_version, ...); 0 when no row. */
int db_query_int(struct store *s, const char *sql, int64_t *ret, struct err *err,
                 const char *op);

/* Bindings with one error slot: after the first failure the rest are no-ops;
 * check b.rc once (db_bound) before stepping.  Strings are bound
 * SQLITE_STATIC: they must outlive the step. */
struct binder {
        sqlite3_stmt *st;
        int           rc;
};
static inline struct binder
binder_of(sqlite3_stmt *st)
{
        return (struct binder){ st, SQLITE_OK };
}
void bind_str(struct binder *b, int i, const char *s);
void bind_int(struct binder *b, int i, int64_t v);
/* n bytes at p, as a BLOB (an empty one for n == 0), SQLITE_STATIC */
void bind_blob(struct binder *b, int i, const void *p, size_t n);
void bind_double(struct binder *b, int i, double v);
/* TIME_UNKNOWN and VALUE_NONE (both INT64_MIN) are bound as NULL. */
void bind_opt(struct binder *b, int i, int64_t v);
void bind_tri(struct binder *b, int i, enum tristate t);
/* 0 when every binding succeeded; otherwise resets the statement and fails
 * like db_err. */
int db_bound(struct store *s, struct binder *b, struct err *err, const char *op);
/* db_bound, then db_step_done: run a bound statement that returns no rows. */
int db_run(struct store *s, struct binder *b, struct err *err, const char *op);

/* Column readers: a copy (NULL for SQL NULL, caller frees), an optional
 * integer (NULL: INT64_MIN), a tri-state, a comparison with a string. */
char *col_str(sqlite3_stmt *st, int i);
int64_t col_opt(sqlite3_stmt *st, int i);
enum tristate col_tri(sqlite3_stmt *st, int i);
bool col_is(sqlite3_stmt *st, int i, const char *s);

#endif
