/*
 * db.c — the store's connection (see include/bidbroker/store.h and db.h).
 *
 * One connection, WAL journal, statements prepared once
 * (SQLITE_PREPARE_PERSISTENT, on first use) and reset after every use.
 * Every SQLite return code is checked; errors name the operation, carry
 * sqlite3_errmsg() and map SQLite's code to a negative errno (db_errno).
 * Never logs.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "bidbroker/err.h"
#include "bidbroker/store.h"
#include "bidbroker/util.h"

#include "db.h"
#include "schema.h"

/* ---- errors ------------------------------------------------------------- */

int
db_errno(int rc)
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

int
db_err(struct store *s, int rc, struct err *err, const char *op)
{
        const char *msg = s && s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);

        if (db_errno(rc) == -EBUSY && s != NULL && s->path != NULL)
                return err_set(err, -EBUSY, "store: %s: %s (another process held the lock "
                               "on %s for longer than busy_timeout, %lld ms; nothing was "
                               "written, try again later)", op, msg, s->path,
                               (long long)s->busy_timeout_ms);
        return err_set(err, db_errno(rc), "store: %s: %s", op, msg);
}

int64_t
db_now(const struct store *s)
{
        return s->now != TIME_UNKNOWN ? s->now : (int64_t)time(NULL);
}

/* ---- statements ---------------------------------------------------------- */

int
db_stmt(struct store *s, enum stmt_id id, const char *sql, sqlite3_stmt **ret,
        struct err *err, const char *op)
{
        int rc;

        if (s->st[id] == NULL) {
                rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                        &s->st[id], NULL);
                if (rc != SQLITE_OK) {
                        s->st[id] = NULL;
                        *ret = NULL;
                        return db_err(s, rc, err, op);
                }
        }
        *ret = s->st[id];
        return 0;
}

void
db_reset(sqlite3_stmt *st)
{
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
}

int
db_step_done(struct store *s, sqlite3_stmt *st, struct err *err, const char *op)
{
        int rc;

        assert(s->in_each == 0 || sqlite3_stmt_readonly(st));  /* store_each contract */
        rc = sqlite3_step(st);
        if (rc != SQLITE_DONE) {
                int r = db_err(s, rc, err, op);

                db_reset(st);
                return r;
        }
        db_reset(st);
        return 0;
}

int
db_exec_sql(struct store *s, const char *sql, struct err *err, const char *op)
{
        char *msg = NULL;
        int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);

        if (rc != SQLITE_OK && db_errno(rc) == -EBUSY) {
                sqlite3_free(msg);
                return db_err(s, rc, err, op);
        }
        if (rc != SQLITE_OK) {
                int r = err_set(err, db_errno(rc), "store: %s: %s", op,
                                msg ? msg : sqlite3_errmsg(s->db));

                sqlite3_free(msg);
                return r;
        }
        return 0;
}

int
db_query_int(struct store *s, const char *sql, int64_t *ret, struct err *err, const char *op)
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

/* ---- bindings and columns ------------------------------------------------- */

void
bind_str(struct binder *b, int i, const char *s)
{
        if (b->rc != SQLITE_OK)
                return;
        b->rc = s == NULL ? sqlite3_bind_null(b->st, i)
                          : sqlite3_bind_text64(b->st, i, s, strlen(s), SQLITE_STATIC,
                                                SQLITE_UTF8);
}

void
bind_int(struct binder *b, int i, int64_t v)
{
        if (b->rc == SQLITE_OK)
                b->rc = sqlite3_bind_int64(b->st, i, v);
}

void
bind_blob(struct binder *b, int i, const void *p, size_t n)
{
        if (b->rc == SQLITE_OK)
                b->rc = sqlite3_bind_blob64(b->st, i, n ? p : "", n, SQLITE_STATIC);
}

void
bind_double(struct binder *b, int i, double v)
{
        if (b->rc == SQLITE_OK)
                b->rc = sqlite3_bind_double(b->st, i, v);
}

void
bind_opt(struct binder *b, int i, int64_t v)
{
        if (b->rc != SQLITE_OK)
                return;
        b->rc = v == INT64_MIN ? sqlite3_bind_null(b->st, i) : sqlite3_bind_int64(b->st, i, v);
}

void
bind_tri(struct binder *b, int i, enum tristate t)
{
        if (b->rc != SQLITE_OK)
                return;
        b->rc = t == TRI_UNKNOWN ? sqlite3_bind_null(b->st, i)
                                 : sqlite3_bind_int(b->st, i, t == TRI_NO ? 0 : 1);
}

int
db_bound(struct store *s, struct binder *b, struct err *err, const char *op)
{
        if (b->rc == SQLITE_OK)
                return 0;
        db_reset(b->st);
        return db_err(s, b->rc, err, op);
}

int
db_run(struct store *s, struct binder *b, struct err *err, const char *op)
{
        int r = db_bound(s, b, err, op);

        return r < 0 ? r : db_step_done(s, b->st, err, op);
}

char *
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

int64_t
col_opt(sqlite3_stmt *st, int i)
{
        return sqlite3_column_type(st, i) == SQLITE_NULL ? INT64_MIN
                                                         : sqlite3_column_int64(st, i);
}

enum tristate
col_tri(sqlite3_stmt *st, int i)
{
        if (sqlite3_column_type(st, i) == SQLITE_NULL)
                return TRI_UNKNOWN;
        return sqlite3_column_int64(st, i) ? TRI_YES : TRI_NO;
}

bool
col_is(sqlite3_stmt *st, int i, const char *s)
{
        const unsigned char *t = sqlite3_column_text(st, i);

        return t != NULL && strcmp((const char *)t, s) == 0;
}

/* ---- open, close ----------------------------------------------------------- */

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

/* The state directory exists (created 0750 if missing) and is a directory;
 * the database file exists (created 0640). */
static int
create_files(const char *dir, const char *path, struct err *err)
{
        struct stat sb;
        int r;

        if (stat(dir, &sb) < 0) {
                r = errno == ENOENT ? mkdir_p(dir, 0750) : -errno;
                if (r < 0)
                        return err_set(err, r, "store: create state directory %s: %s",
                                       dir, strerror(-r));
        } else if (!S_ISDIR(sb.st_mode)) {
                return err_set(err, -ENOTDIR, "store: state directory %s is not a directory",
                               dir);
        }
        return precreate(path, err);
}

/* A read-only open needs the database to be there; say what to do if not. */
static int
check_exists(const char *path, struct err *err)
{
        struct stat sb;

        if (stat(path, &sb) == 0)
                return 0;
        if (errno == ENOENT || errno == ENOTDIR)
                return err_set(err, -ENOENT, "store: no store at %s (nothing stored yet: "
                               "run 'bidbroker ingest' or 'bidbroker poll' first, or check "
                               "--state / state_dir)", path);
        return err_set(err, -errno, "store: open %s: %s", path, strerror(errno));
}

/* Switch the file to WAL (a no-op when it already is).  Switching a new file
 * needs an exclusive lock, and SQLite does not wait on the busy handler for
 * it: when another process is opening the same new database at this moment,
 * retry for up to the busy timeout. */
static int
set_wal(struct store *s, int64_t busy_timeout_ms, struct err *err)
{
        char mode[16] = "";
        int64_t waited = 0;
        int rc;

        for (;;) {
                sqlite3_stmt *st = NULL;

                rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
                if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                        snprintf(mode, sizeof(mode), "%s", sqlite3_column_text(st, 0));
                        rc = SQLITE_OK;
                }
                sqlite3_finalize(st);
                if ((rc & 0xff) != SQLITE_BUSY || waited >= busy_timeout_ms)
                        break;
                sqlite3_sleep(10);
                waited += 10;
        }
        if (rc != SQLITE_OK)
                return db_err(s, rc, err, "set journal_mode=WAL");
        if (strcmp(mode, "wal") != 0)
                return err_set(err, -EIO, "store: %s: cannot use WAL journal (got %s)",
                               s->path, mode);
        return 0;
}

/* Connection settings, then the schema: migrated when older (read-write), or
 * required current (read-only; checked with a read, no write lock). */
static int
prepare_connection(struct store *s, int64_t busy_timeout_ms, struct err *err)
{
        char pragma[64];
        int64_t ver = 0;
        int r;

        sqlite3_extended_result_codes(s->db, 1);
        snprintf(pragma, sizeof(pragma), "PRAGMA busy_timeout = %lld",
                 (long long)busy_timeout_ms);
        if ((r = db_exec_sql(s, pragma, err, "set busy_timeout")) < 0 ||
            (r = schema_check(s, &ver, err)) < 0)
                return r;
        if (s->readonly) {
                if (ver != schema_latest())
                        return err_set(err, -EPROTO, "store: %s has schema version %" PRId64
                                       ", expected %d; open it once read-write to migrate",
                                       s->path, ver, schema_latest());
                return db_exec_sql(s, "PRAGMA foreign_keys = ON; PRAGMA query_only = 1",
                                   err, "set pragmas");
        }
        if ((r = set_wal(s, busy_timeout_ms, err)) < 0 ||
            (r = db_exec_sql(s, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON",
                             err, "set pragmas")) < 0)
                return r;
        return ver < schema_latest() ? schema_migrate(s, err) : 0;
}

int
store_open_mode(const char *dir, enum store_mode mode, int64_t busy_timeout_ms,
                struct store **ret, struct err *err)
{
        struct store *s = xcalloc(1, sizeof(*s));
        int flags, rc, r;

        s->readonly = mode == STORE_READ_ONLY;
        s->now = TIME_UNKNOWN;
        s->busy_timeout_ms = busy_timeout_ms < 0 ? 0 : busy_timeout_ms;
        if (dir == NULL || dir[0] == '\0') {
                r = err_set(err, -EINVAL, "store: no state directory given");
                goto fail;
        }
        s->path = path_join(dir, STORE_DB_NAME);
        r = s->readonly ? check_exists(s->path, err) : create_files(dir, s->path, err);
        if (r < 0)
                goto fail;
        flags = s->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
        rc = sqlite3_open_v2(s->path, &s->db, flags | SQLITE_OPEN_NOFOLLOW, NULL);
        if (rc != SQLITE_OK) {
                r = err_set(err, db_errno(rc), "store: open %s: %s", s->path,
                            s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
                goto fail;
        }
        if ((r = prepare_connection(s, s->busy_timeout_ms, err)) < 0)
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
        return store_open_mode(dir, STORE_READ_WRITE, STORE_BUSY_TIMEOUT_MS, ret, err);
}

int
store_open_readonly(const char *dir, struct store **ret, struct err *err)
{
        return store_open_mode(dir, STORE_READ_ONLY, STORE_BUSY_TIMEOUT_MS, ret, err);
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

static const char *const txn_sql[] = {
        [ST_BEGIN] = "BEGIN IMMEDIATE",
        [ST_COMMIT] = "COMMIT",
        [ST_ROLLBACK] = "ROLLBACK",
        [ST_SAVEPOINT] = "SAVEPOINT store_put",
        [ST_RELEASE] = "RELEASE store_put",
        [ST_ROLLBACK_TO] = "ROLLBACK TO store_put",
};

int
db_txn(struct store *s, enum stmt_id id, struct err *err, const char *op)
{
        sqlite3_stmt *st = NULL;
        int r = db_stmt(s, id, txn_sql[id], &st, err, op);

        return r < 0 ? r : db_step_done(s, st, err, op);
}

int
store_begin(struct store *s, struct err *err)
{
        return db_txn(s, ST_BEGIN, err, "begin transaction");
}

int
store_commit(struct store *s, struct err *err)
{
        return db_txn(s, ST_COMMIT, err, "commit");
}

int
store_rollback(struct store *s)
{
        if (s == NULL || s->db == NULL || sqlite3_get_autocommit(s->db))
                return 0;
        return db_txn(s, ST_ROLLBACK, NULL, "rollback");
}
