/* meta.c — small key/value settings, table meta (see store.h). */
#include <stdlib.h>

#include "bidbroker/err.h"
#include "bidbroker/store.h"

#include "db.h"

static const char *const sql[ST__N] = {
        [ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
        [ST_META_PUT] =
                "INSERT INTO meta (key, value) VALUES (?1, ?2)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
};

int
store_meta_get(struct store *s, const char *key, char **ret, struct err *err)
{
        static const char op[] = "read meta";
        sqlite3_stmt *st;
        struct binder b;
        int rc, r;

        *ret = NULL;
        if ((r = db_stmt(s, ST_META_GET, sql[ST_META_GET], &st, err, op)) < 0)
                return r;
        b = binder_of(st);
        bind_str(&b, 1, key);
        if ((r = db_bound(s, &b, err, op)) < 0)
                return r;
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                *ret = col_str(st, 0);
        else if (rc != SQLITE_DONE)
                r = db_err(s, rc, err, op);
        db_reset(st);
        return r;
}

int
store_meta_put(struct store *s, const char *key, const char *value, struct err *err)
{
        static const char op[] = "write meta";
        sqlite3_stmt *st;
        struct binder b;
        int r;

        if ((r = db_stmt(s, ST_META_PUT, sql[ST_META_PUT], &st, err, op)) < 0)
                return r;
        b = binder_of(st);
        bind_str(&b, 1, key);
        bind_str(&b, 2, value);
        if ((r = db_bound(s, &b, err, op)) < 0)
                return r;
        return db_step_done(s, st, err, op);
}
