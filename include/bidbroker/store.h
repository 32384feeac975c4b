/*
 * store.h — persistent state in SQLite (WAL) under the state directory.
 *
 * One row per notice, keyed by (source, notice_id), with the normalised fields,
 * the raw record and a content hash: putting the same data twice changes
 * nothing.  Schema changes are numbered migrations (daemon/store/schema.c)
 * run by store_open().  The store never logs; errors come back in struct err
 * as a negative errno (SQLite's code mapped: -EBUSY for a lock another
 * process holds, -ENOSPC for a full disk, -EROFS, -ENOMEM, -EIO, ...) and a
 * message naming the operation.
 *
 * Ownership: struct store owns the sqlite3 handle and its prepared statements.
 * Opportunities handed to callbacks are owned by the store and valid only for
 * the duration of the callback.
 */
#ifndef BIDBROKER_STORE_H
#define BIDBROKER_STORE_H

#include <stdbool.h>
#include <stdint.h>

struct err;
struct opportunity;
struct store;

#define STORE_DB_NAME "bidbroker.db"

/* How long a store operation waits for a lock another process holds
 * (SQLite's busy handler) unless told otherwise: [bidbroker] busy_timeout. */
#define STORE_BUSY_TIMEOUT_MS 5000

enum store_mode {
        /* create DIR (0750) and DIR/bidbroker.db (0640) if missing, migrate
         * the schema (only when it is older: taking the write lock) */
        STORE_READ_WRITE,
        /* an existing, current database, opened SQLITE_OPEN_READONLY: never
         * creates anything, never takes the write lock (WAL readers run next
         * to a writer); -ENOENT naming the path when there is no store */
        STORE_READ_ONLY,
};

/*
 * Open DIR/bidbroker.db.  Every statement and transaction waits up to
 * busy_timeout_ms (>= 0) for a lock another process holds; when it is still
 * held the operation fails with -EBUSY and a message saying so, having
 * written nothing (a caller can back off and try again).
 */
int store_open_mode(const char *dir, enum store_mode mode, int64_t busy_timeout_ms,
                    struct store **ret, struct err *err);
/* store_open_mode(dir, STORE_READ_WRITE, STORE_BUSY_TIMEOUT_MS, ...) */
int store_open(const char *dir, struct store **ret, struct err *err);
/* store_open_mode(dir, STORE_READ_ONLY, STORE_BUSY_TIMEOUT_MS, ...) */
int store_open_readonly(const char *dir, struct store **ret, struct err *err);
struct store *store_close(struct store *s);             /* NULL-safe, returns NULL */

/* The time recorded as first_seen/last_changed of rows written from now on
 * (for reproducible runs with --now); TIME_UNKNOWN: the system clock (default). */
void store_set_now(struct store *s, int64_t now);

/* Explicit transactions: one per ingested batch (file, page). */
int store_begin(struct store *s, struct err *err);      /* BEGIN IMMEDIATE; -EBUSY */
int store_commit(struct store *s, struct err *err);
int store_rollback(struct store *s);                    /* never fails loudly */

enum store_put_result {
        STORE_NEW = 0,          /* a new notice row */
        STORE_UPDATED,          /* a newer release changed the notice (amended) */
        STORE_UNCHANGED,        /* same content, or an older release than stored */
};

/*
 * Insert or update one notice.  Folding rules:
 *  - same (source, notice_id): a newer release (by o->updated) with different
 *    content updates the row and marks it amended; an older or identical one
 *    changes nothing;
 *  - a tenderAmendment/tenderUpdate release whose notice_id is new folds into
 *    the tender-stage row of the same (source, ocid);
 *  - an award-stage notice, or a cancellation (FTS UK12, status cancelled),
 *    closes the tender-stage rows of the same (source, ocid), whatever the
 *    order the releases arrive in.
 * On success *ret_id (may be NULL) is the row id of the affected notice.
 */
int store_put(struct store *s, const struct opportunity *o,
              enum store_put_result *res, int64_t *ret_id, struct err *err);

/* Load one notice by row id into *o (initialised by the caller). -ENOENT if none. */
int store_get(struct store *s, int64_t id, struct opportunity *o, struct err *err);

/* Iterate over stored notices in (deadline, id) order, unknown deadlines
 * last.  The callback returns 0 to go on, non-zero to stop (that value is
 * returned).  q may be NULL (everything); a zeroed query also means
 * everything.  Do not write to the store from the callback (asserted:
 * store_put and every write statement check it). */
struct store_query {
        int64_t  updated_since;         /* release date >= this; TIME_UNKNOWN or 0: all */
        const char *source;             /* NULL: all */
        bool     tender_stage_only;
        /* added by the store module: */
        int64_t  changed_since;         /* row inserted/changed (incl. closed) at or
                                         * after this store time; TIME_UNKNOWN or 0: all */
        bool     skip_raw;              /* leave o->raw NULL (much faster over many rows) */
};
void store_query_init(struct store_query *q);   /* everything */
typedef int (*store_each_fn)(const struct opportunity *o, void *arg);
int store_each(struct store *s, const struct store_query *q, store_each_fn fn,
               void *arg, struct err *err);

/* Counts of rows, for status output. */
int store_count(struct store *s, int64_t *ret, struct err *err);
/* fn(source, rows, arg) for every source with stored opportunities, in
 * source order; a non-zero return from fn stops and is returned. */
typedef int (*store_count_fn)(const char *source, int64_t n, void *arg);
int store_count_by_source(struct store *s, store_count_fn fn, void *arg, struct err *err);

/* Gauges for /metrics (storemetrics.c), each from one indexed count:
 * opportunities by status, matches by status, feedback by action, members
 * unsubscribed, digests and the items they carried.  fn gets one row per series; help (and type) are set on the
 * first row of each name; a labelled name without any row yet comes once
 * with value NULL (its HELP and TYPE only).  Strings valid during the call. */
struct store_metric {
        const char *name;               /* bidbroker_... */
        const char *help;               /* NULL after a name's first row */
        const char *type;               /* "gauge" */
        const char *label;              /* the label's name, or NULL */
        const char *value;              /* its value; NULL: no sample (see above) */
        int64_t     n;
};
typedef int (*store_metric_fn)(const struct store_metric *m, void *arg);
int store_metrics(struct store *s, store_metric_fn fn, void *arg, struct err *err);

/*
 * Per-source polling state.  The watermark only moves after the notices it
 * covers were committed (callers update it inside the same transaction).
 */
struct source_state {
        int64_t  watermark;             /* everything up to here is stored; TIME_UNKNOWN: never */
        char    *etag;                  /* for conditional GET (feeds) */
        char    *last_modified;
        int64_t  failures;              /* consecutive */
        int64_t  next_attempt;          /* not before (back-off), TIME_UNKNOWN: now */
        char    *last_error;
        int64_t  last_success;
};
void source_state_init(struct source_state *st);
void source_state_done(struct source_state *st);
/* *st is overwritten, not freed (pass a fresh or source_state_done() one);
 * a fresh state if none stored.  The caller frees it with source_state_done(). */
int store_source_get(struct store *s, const char *source, struct source_state *st,
                     struct err *err);
int store_source_put(struct store *s, const char *source, const struct source_state *st,
                     struct err *err);

/* Small key/value settings in table meta (e.g. "last match run").
 * *ret is NULL when the key is not set; the caller frees it. */
int store_meta_get(struct store *s, const char *key, char **ret, struct err *err);
int store_meta_put(struct store *s, const char *key, const char *value,
                   struct err *err);

/* The raw sqlite3 handle, for tests and diagnostics.  Modules that add tables
 * live in daemon/store/ (a migration appended in schema.c, statements through
 * db.h); nothing outside that folder runs SQL on the store's tables. */
struct sqlite3 *store_db(struct store *s);

/*
 * A consistent copy of the store in dest, a new file (never overwritten:
 * -EEXIST), made with SQLite's online backup API while the daemon may be
 * writing (daemon/store/backup.c): one committed state, checked (PRAGMA
 * quick_check), a single file without -wal (mode 0600), written under a
 * temporary name and renamed into place.  0 or -errno with err set.
 */
int store_backup(struct store *s, const char *dest, struct err *err);

#endif
