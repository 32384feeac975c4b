/* sources.c — per-source polling state, table source_state (see store.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/err.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/store.h"

#include "db.h"

static const char *const sql[ST__N] = {
        [ST_SRC_GET] =
                "SELECT watermark, etag, last_modified, failures, next_attempt,"
                " last_error, last_success FROM source_state WHERE source = ?1",
        [ST_SRC_PUT] =
                "INSERT INTO source_state (source, watermark, etag, last_modified,"
                " failures, next_attempt, last_error, last_success)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
                " ON CONFLICT (source) DO UPDATE SET watermark = excluded.watermark,"
                " etag = excluded.etag, last_modified = excluded.last_modified,"
                " failures = excluded.failures, next_attempt = excluded.next_attempt,"
                " last_error = excluded.last_error, last_success = excluded.last_success",
};

void
source_state_init(struct source_state *st)
{
        memset(st, 0, sizeof(*st));
        st->watermark = TIME_UNKNOWN;
        st->next_attempt = TIME_UNKNOWN;
        st->last_success = TIME_UNKNOWN;
}

void
source_state_done(struct source_state *st)
{
        free(st->etag);
        free(st->last_modified);
        free(st->last_error);
        source_state_init(st);
}

int
store_source_get(struct store *s, const char *source, struct source_state *out,
                 struct err *err)
{
        static const char op[] = "read source state";
        sqlite3_stmt *st;
        struct binder b;
        int rc, r;

        source_state_init(out);
        if ((r = db_stmt(s, ST_SRC_GET, sql[ST_SRC_GET], &st, err, op)) < 0)
                return r;
        b = binder_of(st);
        bind_str(&b, 1, source);
        if ((r = db_bound(s, &b, err, op)) < 0)
                return r;
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                out->watermark = col_opt(st, 0);
                out->etag = col_str(st, 1);
                out->last_modified = col_str(st, 2);
                out->failures = sqlite3_column_int64(st, 3);
                out->next_attempt = col_opt(st, 4);
                out->last_error = col_str(st, 5);
                out->last_success = col_opt(st, 6);
        } else if (rc != SQLITE_DONE) {
                r = db_err(s, rc, err, op);
        }
        db_reset(st);
        return r;
}

int
store_source_put(struct store *s, const char *source, const struct source_state *in,
                 struct err *err)
{
        static const char op[] = "write source state";
        sqlite3_stmt *st;
        struct binder b;
        int r;

        if (source == NULL || source[0] == '\0')
                return err_set(err, -EINVAL, "store: source state without a source name");
        if ((r = db_stmt(s, ST_SRC_PUT, sql[ST_SRC_PUT], &st, err, op)) < 0)
                return r;
        b = binder_of(st);
        bind_str(&b, 1, source);
        bind_opt(&b, 2, in->watermark);
        bind_str(&b, 3, in->etag);
        bind_str(&b, 4, in->last_modified);
        bind_int(&b, 5, in->failures);
        bind_opt(&b, 6, in->next_attempt);
        bind_str(&b, 7, in->last_error);
        bind_opt(&b, 8, in->last_success);
        if ((r = db_bound(s, &b, err, op)) < 0)
                return r;
        return db_step_done(s, st, err, op);
}
