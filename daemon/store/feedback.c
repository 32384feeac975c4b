/*
 * feedback.c — members' feedback on digest items and their unsubscriptions
 * (feedback.h), tables feedback and unsubscribe (schema.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "bidbroker/err.h"
#include "bidbroker/feedback.h"
#include "bidbroker/store.h"
#include "bidbroker/util.h"

#include "db.h"

/* The static constant for a stored action (the CHECK allows only these). */
static const char *
action_const(const char *s)
{
        if (s != NULL && strcmp(s, FEEDBACK_INTERESTED) == 0)
                return FEEDBACK_INTERESTED;
        if (s != NULL && strcmp(s, FEEDBACK_NOT_RELEVANT) == 0)
                return FEEDBACK_NOT_RELEVANT;
        return NULL;
}

/* Step a statement that yields rows to the end; fn(st, arg) per row, its
 * non-zero return stops.  The statement is reset. */
static int
each_row(struct store *s, sqlite3_stmt *st, int (*fn)(sqlite3_stmt *st, void *arg), void *arg,
         struct err *err, const char *op)
{
        int r = 0, rc;

        while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
                r = fn(st, arg);
        if (r == 0 && rc != SQLITE_DONE)
                r = db_err(s, rc, err, op);
        db_reset(st);
        return r;
}

static const char *
col_text(sqlite3_stmt *st, int i)
{
        return (const char *)sqlite3_column_text(st, i);
}

/* ---- feedback ------------------------------------------------------------------- */

int
feedback_get(struct store *s, const char *member, int64_t opportunity, const char **action,
             int64_t *at, struct err *err)
{
        static const char op[] = "read feedback";
        sqlite3_stmt *st;
        struct binder b;
        int r, rc;

        if ((r = db_stmt(s, ST_FEEDBACK_GET, "SELECT action, at FROM feedback "
                         "WHERE member = ? AND opportunity_id = ?", &st, err, op)) < 0)
                return r;
        b = binder_of(st);
        bind_str(&b, 1, member);
        bind_int(&b, 2, opportunity);
        if ((r = db_bound(s, &b, err, op)) < 0)
                return r;
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                *action = action_const(col_text(st, 0));
                *at = sqlite3_column_int64(st, 1);
                r = 0;
        } else {
                r = rc == SQLITE_DONE ? -ENOENT : db_err(s, rc, err, op);
        }
        db_reset(st);
        return r;
}

int
feedback_record(struct store *s, const char *member, int64_t opportunity, const char *action,
                int64_t now, enum feedback_result *res, struct err *err)
{
        static const char op[] = "record feedback";
        const char *was = NULL;
        sqlite3_stmt *st;
        struct binder b;
        int64_t at;
        int r;

        if ((action = action_const(action)) == NULL)
                return err_set(err, -EINVAL, "store: %s: the action is not '%s' or '%s'", op,
                               FEEDBACK_INTERESTED, FEEDBACK_NOT_RELEVANT);
        r = feedback_get(s, member, opportunity, &was, &at, err);
        if (r < 0 && r != -ENOENT)
                return r;
        if ((r = db_stmt(s, ST_FEEDBACK_PUT, "INSERT INTO feedback (member, opportunity_id, "
                         "action, at, first_at, clicks) VALUES (?1, ?2, ?3, ?4, ?4, 1) "
                         "ON CONFLICT (member, opportunity_id) DO UPDATE SET "
                         "action = excluded.action, at = excluded.at, clicks = clicks + 1",
                         &st, err, op)) < 0)
                return r;
        b = binder_of(st);
        bind_str(&b, 1, member);
        bind_int(&b, 2, opportunity);
        bind_str(&b, 3, action);
        bind_int(&b, 4, now);
        if ((r = db_run(s, &b, err, op)) < 0)
                return r;
        if (res != NULL)
                *res = was == NULL ? FEEDBACK_NEW : was == action ? FEEDBACK_SAME
                                                                 : FEEDBACK_CHANGED;
        return 0;
}

struct each_ctx {
        union {
                feedback_fn      row;
                feedback_rule_fn rule;
                unsubscribe_fn   unsub;
        } fn;
        void *arg;
};

static int
feedback_row_of(sqlite3_stmt *st, void *arg)
{
        struct each_ctx *c = arg;
        struct feedback_row row = {
                .member = col_text(st, 0),
                .opportunity = sqlite3_column_int64(st, 1),
                .action = action_const(col_text(st, 2)),
                .at = sqlite3_column_int64(st, 3),
                .first_at = sqlite3_column_int64(st, 4),
                .clicks = sqlite3_column_int64(st, 5),
                .title = col_text(st, 6),
        };

        return c->fn.row(&row, c->arg);
}

int
feedback_each(struct store *s, const char *member, feedback_fn fn, void *arg, struct err *err)
{
        static const char op[] = "list feedback";
        struct each_ctx c = { .fn.row = fn, .arg = arg };
        sqlite3_stmt *st;
        struct binder b;
        int r;

        if ((r = db_stmt(s, ST_FEEDBACK_EACH, "SELECT f.member, f.opportunity_id, f.action, "
                         "f.at, f.first_at, f.clicks, o.title FROM feedback f "
                         "LEFT JOIN opportunity o ON o.id = f.opportunity_id "
                         "WHERE ?1 IS NULL OR f.member = ?1 "
                         "ORDER BY f.at DESC, f.member, f.opportunity_id", &st, err, op)) < 0)
                return r;
        b = binder_of(st);
        if (member != NULL)
                bind_str(&b, 1, member);
        if ((r = db_bound(s, &b, err, op)) < 0)
                return r;
        return each_row(s, st, feedback_row_of, &c, err, op);
}

static int
rule_row_of(sqlite3_stmt *st, void *arg)
{
        struct each_ctx *c = arg;
        struct feedback_rule row = {
                .kind = col_text(st, 0),
                .capability = col_text(st, 1),
                .rule = col_text(st, 2),
                .interested = sqlite3_column_int64(st, 3),
                .not_relevant = sqlite3_column_int64(st, 4),
        };

        return c->fn.rule(&row, c->arg);
}

int
feedback_by_rule(struct store *s, const char *member, feedback_rule_fn fn, void *arg,
                 struct err *err)
{
        static const char op[] = "feedback per rule";
        struct each_ctx c = { .fn.rule = fn, .arg = arg };
        sqlite3_stmt *st;
        struct binder b;
        int r;

        /* DISTINCT: a rule matching two fields of one notice counts once */
        if ((r = db_stmt(s, ST_FEEDBACK_RULES,
                         "SELECT kind, capability, rule, sum(action = 'interested'),"
                         " sum(action = 'not-relevant') FROM ("
                         "  SELECT DISTINCT f.member, f.opportunity_id, f.action,"
                         "   json_extract(j.value, '$.kind') AS kind,"
                         "   json_extract(j.value, '$.capability') AS capability,"
                         "   json_extract(j.value, '$.rule') AS rule"
                         "  FROM feedback f JOIN match m"
                         "   ON m.opportunity_id = f.opportunity_id AND m.member_id = f.member,"
                         "   json_each(m.reasons) j"
                         "  WHERE (?1 IS NULL OR f.member = ?1) AND json_valid(m.reasons)"
                         "   AND json_extract(j.value, '$.kind') IN ('cpv', 'rule', 'member_rule'))"
                         " GROUP BY kind, capability, rule"
                         " ORDER BY 5 DESC, 4, kind, capability, rule", &st, err, op)) < 0)
                return r;
        b = binder_of(st);
        if (member != NULL)
                bind_str(&b, 1, member);
        if ((r = db_bound(s, &b, err, op)) < 0)
                return r;
        return each_row(s, st, rule_row_of, &c, err, op);
}

static int
totals_of(sqlite3_stmt *st, void *arg)
{
        struct feedback_totals *t = arg;

        t->interested = sqlite3_column_int64(st, 0);
        t->not_relevant = sqlite3_column_int64(st, 1);
        t->unsubscribed = sqlite3_column_int64(st, 2);
        return 0;
}

int
feedback_totals(struct store *s, struct feedback_totals *t, struct err *err)
{
        static const char op[] = "count feedback";
        sqlite3_stmt *st;
        int r;

        memset(t, 0, sizeof(*t));
        if ((r = db_stmt(s, ST_FEEDBACK_TOTALS, "SELECT "
                         "(SELECT count(*) FROM feedback WHERE action = 'interested'), "
                         "(SELECT count(*) FROM feedback WHERE action = 'not-relevant'), "
                         "(SELECT count(*) FROM unsubscribe WHERE resubscribed IS NULL)",
                         &st, err, op)) < 0)
                return r;
        return each_row(s, st, totals_of, t, err, op);
}

/* ---- unsubscribe ---------------------------------------------------------------- */

static bool
how_ok(const char *how)
{
        return how != NULL && (strcmp(how, UNSUB_ONE_CLICK) == 0 ||
                               strcmp(how, UNSUB_PAGE) == 0 || strcmp(how, UNSUB_STAFF) == 0);
}

int
member_unsubscribe(struct store *s, const char *member, const char *how, int64_t now,
                   bool *already, struct err *err)
{
        static const char op[] = "unsubscribe a member";
        sqlite3_stmt *st;
        struct binder b;
        int r;

        if (!how_ok(how))
                return err_set(err, -EINVAL, "store: %s: unknown way '%s'", op,
                               how ? how : "(null)");
        if ((r = db_stmt(s, ST_UNSUB_PUT, "INSERT INTO unsubscribe (member, at, how) "
                         "VALUES (?1, ?2, ?3) ON CONFLICT (member) DO UPDATE SET "
                         "at = excluded.at, how = excluded.how, resubscribed = NULL "
                         "WHERE resubscribed IS NOT NULL", &st, err, op)) < 0)
                return r;
        b = binder_of(st);
        bind_str(&b, 1, member);
        bind_int(&b, 2, now);
        bind_str(&b, 3, how);
        if ((r = db_run(s, &b, err, op)) < 0)
                return r;
        if (already != NULL)
                *already = sqlite3_changes(s->db) == 0;
        return 0;
}

int
member_resubscribe(struct store *s, const char *member, int64_t now, bool *was,
                   struct err *err)
{
        static const char op[] = "resubscribe a member";
        sqlite3_stmt *st;
        struct binder b;
        int r;

        if ((r = db_stmt(s, ST_UNSUB_RESUB, "UPDATE unsubscribe SET resubscribed = ?2 "
                         "WHERE member = ?1 AND resubscribed IS NULL", &st, err, op)) < 0)
                return r;
        b = binder_of(st);
        bind_str(&b, 1, member);
        bind_int(&b, 2, now);
        if ((r = db_run(s, &b, err, op)) < 0)
                return r;
        if (was != NULL)
                *was = sqlite3_changes(s->db) > 0;
        return 0;
}

static int
found(sqlite3_stmt *st, void *arg)
{
        (void)st;
        *(bool *)arg = true;
        return 0;
}

int
member_unsubscribed(struct store *s, const char *member, bool *ret, struct err *err)
{
        static const char op[] = "is a member unsubscribed";
        sqlite3_stmt *st;
        struct binder b;
        int r;

        *ret = false;
        if ((r = db_stmt(s, ST_UNSUB_GET, "SELECT 1 FROM unsubscribe "
                         "WHERE member = ? AND resubscribed IS NULL", &st, err, op)) < 0)
                return r;
        b = binder_of(st);
        bind_str(&b, 1, member);
        if ((r = db_bound(s, &b, err, op)) < 0)
                return r;
        return each_row(s, st, found, ret, err, op);
}

static int
unsub_row_of(sqlite3_stmt *st, void *arg)
{
        struct each_ctx *c = arg;
        struct unsubscribe_row row = {
                .member = col_text(st, 0),
                .at = sqlite3_column_int64(st, 1),
                .how = col_text(st, 2),
                .resubscribed = sqlite3_column_int64(st, 3),
        };

        return c->fn.unsub(&row, c->arg);
}

int
unsubscribe_each(struct store *s, const char *member, unsubscribe_fn fn, void *arg,
                 struct err *err)
{
        static const char op[] = "list unsubscriptions";
        struct each_ctx c = { .fn.unsub = fn, .arg = arg };
        sqlite3_stmt *st;
        struct binder b;
        int r;

        if ((r = db_stmt(s, ST_UNSUB_EACH, "SELECT member, at, how, coalesce(resubscribed, 0) "
                         "FROM unsubscribe WHERE ?1 IS NULL OR member = ?1 ORDER BY member",
                         &st, err, op)) < 0)
                return r;
        b = binder_of(st);
        if (member != NULL)
                bind_str(&b, 1, member);
        if ((r = db_bound(s, &b, err, op)) < 0)
                return r;
        return each_row(s, st, unsub_row_of, &c, err, op);
}
