/* test_feedback.c — members' feedback and unsubscriptions in the store
 * (daemon/store/feedback.c): last click wins, idempotence, per-rule counts,
 * totals, unsubscribe / resubscribe. */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "testutil.h"

#include "bidbroker/err.h"
#include "bidbroker/feedback.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/store.h"
#include "bidbroker/util.h"

#define T0 1767225600           /* 2026-01-01 00:00 UTC */

struct fx {
        char          dir[64];
        struct store *s;
        int64_t       opp[2];
};

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
        (void)sb; (void)flag; (void)ftw;
        return remove(p);
}

static int64_t
put_opp(struct store *s, const char *nid, const char *title)
{
        struct opportunity o;
        struct err err = { 0 };
        enum store_put_result res;
        int64_t id = 0;

        opportunity_init(&o);
        o.source = xstrdup("fts");
        o.notice_id = xstrdup(nid);
        o.stage = STAGE_TENDER;
        o.status = STATUS_ACTIVE;
        o.title = xstrdup(title);
        o.published = o.updated = T0;
        o.deadline = T0 + 30 * 86400;
        if (store_put(s, &o, &res, &id, &err) < 0)
                fail_msg("store_put: %s", err.msg);
        opportunity_done(&o);
        return id;
}

static int
setup(void **state)
{
        struct fx *f = xcalloc(1, sizeof(*f));
        struct err err = { 0 };

        snprintf(f->dir, sizeof(f->dir), "/tmp/test_feedback.XXXXXX");
        if (mkdtemp(f->dir) == NULL || store_open(f->dir, &f->s, &err) < 0) {
                fprintf(stderr, "%s\n", err.msg);
                return -1;
        }
        f->opp[0] = put_opp(f->s, "n1", "Grounds maintenance");
        f->opp[1] = put_opp(f->s, "n2", "Window cleaning");
        *state = f;
        return 0;
}

static int
teardown(void **state)
{
        struct fx *f = *state;

        store_close(f->s);
        nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        free(f);
        return 0;
}

static void
record(struct fx *f, const char *m, int i, const char *action, int64_t at,
       enum feedback_result want)
{
        enum feedback_result res = 99;
        struct err err = { 0 };

        if (feedback_record(f->s, m, f->opp[i], action, at, &res, &err) < 0)
                fail_msg("feedback_record: %s", err.msg);
        assert_int_equal(res, want);
}

struct rows {
        char text[1024];
};

static int
row_text(const struct feedback_row *r, void *arg)
{
        struct rows *rs = arg;
        size_t n = strlen(rs->text);

        snprintf(rs->text + n, sizeof(rs->text) - n, "%s %s %s %lld %lld %lld\n", r->member,
                 r->title ? r->title : "-", r->action, (long long)(r->at - T0),
                 (long long)(r->first_at - T0), (long long)r->clicks);
        return 0;
}

static void
t_last_click_wins(void **state)
{
        struct fx *f = *state;
        struct err err = { 0 };
        struct rows rs = { "" };
        const char *action = NULL;
        int64_t at = 0;

        assert_int_equal(feedback_get(f->s, "m1", f->opp[0], &action, &at, &err), -ENOENT);
        record(f, "m1", 0, FEEDBACK_INTERESTED, T0 + 10, FEEDBACK_NEW);
        record(f, "m1", 0, FEEDBACK_INTERESTED, T0 + 20, FEEDBACK_SAME);
        record(f, "m1", 0, FEEDBACK_NOT_RELEVANT, T0 + 30, FEEDBACK_CHANGED);
        record(f, "m2", 1, FEEDBACK_INTERESTED, T0 + 5, FEEDBACK_NEW);
        assert_int_equal(feedback_get(f->s, "m1", f->opp[0], &action, &at, &err), 0);
        assert_string_equal(action, FEEDBACK_NOT_RELEVANT);
        assert_int_equal(at, T0 + 30);

        assert_int_equal(feedback_each(f->s, NULL, row_text, &rs, &err), 0);
        assert_string_equal(rs.text, "m1 Grounds maintenance not-relevant 30 10 3\n"
                            "m2 Window cleaning interested 5 5 1\n");
        rs.text[0] = '\0';
        assert_int_equal(feedback_each(f->s, "m2", row_text, &rs, &err), 0);
        assert_string_equal(rs.text, "m2 Window cleaning interested 5 5 1\n");

        /* an unknown action is refused; an unknown opportunity by the key */
        assert_int_equal(feedback_record(f->s, "m1", f->opp[0], "maybe", T0, NULL, &err),
                         -EINVAL);
        assert_non_null(strstr(err.msg, "interested"));
        assert_int_equal(feedback_record(f->s, "m1", 999999, FEEDBACK_INTERESTED, T0, NULL,
                                         &err), -EINVAL);
}

struct rules {
        char text[1024];
};

static int
rule_text(const struct feedback_rule *r, void *arg)
{
        struct rules *rs = arg;
        size_t n = strlen(rs->text);

        snprintf(rs->text + n, sizeof(rs->text) - n, "%s/%s/%s +%lld -%lld\n", r->kind,
                 r->capability ? r->capability : "-", r->rule ? r->rule : "-",
                 (long long)r->interested, (long long)r->not_relevant);
        return 0;
}

static void
t_per_rule(void **state)
{
        struct fx *f = *state;
        struct err err = { 0 };
        struct rules rs = { "" };
        char *path = xasprintf("%s/bidbroker.db", f->dir), *sql;
        sqlite3 *db;

        /* matches as the engine stores them: a rule matching two fields
         * counts once; region reasons are no rule */
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        sql = xasprintf(
                "INSERT INTO match (opportunity_id, member_id, score, reasons, content_hash,"
                " fingerprint, first_matched, updated) VALUES"
                " (%lld, 'm1', 1, '[{\"kind\":\"rule\",\"capability\":\"grounds\","
                "\"rule\":\"grass cutting\",\"field\":\"title\"},{\"kind\":\"rule\","
                "\"capability\":\"grounds\",\"rule\":\"grass cutting\",\"field\":"
                "\"description\"},{\"kind\":\"region\",\"rule\":null}]', 'h', 'f', 0, 0),"
                " (%lld, 'm2', 1, '[{\"kind\":\"rule\",\"capability\":\"grounds\","
                "\"rule\":\"grass cutting\"},{\"kind\":\"cpv\",\"capability\":\"cleaning\","
                "\"rule\":\"9091\"}]', 'h', 'f', 0, 0)",
                (long long)f->opp[0], (long long)f->opp[1]);
        assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
        free(sql);
        free(path);

        record(f, "m1", 0, FEEDBACK_NOT_RELEVANT, T0, FEEDBACK_NEW);
        record(f, "m2", 1, FEEDBACK_INTERESTED, T0, FEEDBACK_NEW);
        record(f, "m3", 1, FEEDBACK_INTERESTED, T0, FEEDBACK_NEW);      /* no match row */
        assert_int_equal(feedback_by_rule(f->s, NULL, rule_text, &rs, &err), 0);
        assert_string_equal(rs.text, "rule/grounds/grass cutting +1 -1\n"
                            "cpv/cleaning/9091 +1 -0\n");
        rs.text[0] = '\0';
        assert_int_equal(feedback_by_rule(f->s, "m1", rule_text, &rs, &err), 0);
        assert_string_equal(rs.text, "rule/grounds/grass cutting +0 -1\n");
}

static void
t_unsubscribe(void **state)
{
        struct fx *f = *state;
        struct err err = { 0 };
        struct feedback_totals t;
        bool b = true, already = true, was = false;

        assert_int_equal(member_unsubscribed(f->s, "m1", &b, &err), 0);
        assert_false(b);
        assert_int_equal(member_unsubscribe(f->s, "m1", UNSUB_ONE_CLICK, T0, &already, &err),
                         0);
        assert_false(already);
        assert_int_equal(member_unsubscribe(f->s, "m1", UNSUB_PAGE, T0 + 9, &already, &err),
                         0);
        assert_true(already);
        assert_int_equal(member_unsubscribed(f->s, "m1", &b, &err), 0);
        assert_true(b);
        assert_int_equal(member_unsubscribe(f->s, "m1", "carrier pigeon", T0, NULL, &err),
                         -EINVAL);
        assert_int_equal(member_unsubscribe(f->s, "m2", UNSUB_STAFF, T0, NULL, &err), 0);

        record(f, "m1", 0, FEEDBACK_INTERESTED, T0, FEEDBACK_NEW);
        record(f, "m2", 0, FEEDBACK_NOT_RELEVANT, T0, FEEDBACK_NEW);
        record(f, "m2", 1, FEEDBACK_NOT_RELEVANT, T0, FEEDBACK_NEW);
        assert_int_equal(feedback_totals(f->s, &t, &err), 0);
        assert_int_equal(t.interested, 1);
        assert_int_equal(t.not_relevant, 2);
        assert_int_equal(t.unsubscribed, 2);

        assert_int_equal(member_resubscribe(f->s, "m1", T0 + 100, &was, &err), 0);
        assert_true(was);
        assert_int_equal(member_resubscribe(f->s, "m1", T0 + 200, &was, &err), 0);
        assert_false(was);
        assert_int_equal(member_resubscribe(f->s, "nobody", T0, &was, &err), 0);
        assert_false(was);
        assert_int_equal(member_unsubscribed(f->s, "m1", &b, &err), 0);
        assert_false(b);
        assert_int_equal(feedback_totals(f->s, &t, &err), 0);
        assert_int_equal(t.unsubscribed, 1);
        /* and again: a new unsubscription replaces the old one */
        assert_int_equal(member_unsubscribe(f->s, "m1", UNSUB_PAGE, T0 + 300, &already, &err),
                         0);
        assert_false(already);
        assert_int_equal(member_unsubscribed(f->s, "m1", &b, &err), 0);
        assert_true(b);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(t_last_click_wins, setup, teardown),
                cmocka_unit_test_setup_teardown(t_per_rule, setup, teardown),
                cmocka_unit_test_setup_teardown(t_unsubscribe, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
